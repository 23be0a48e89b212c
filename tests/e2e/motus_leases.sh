#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/motus_leases.sh — leases as the Motus document says (issue #16): a busy claim names
# the lease and its expiry (text and --json); `work renew` extends an active lease (its lock too,
# a lease.renewed event in the custody run, the fencing token checked); a lease past its expiry
# takes no evidence and no renewal, and its release fails with a clear message while recording
# the expiry (run closed, outcome unknown, `work status` says expired); the next claim and
# `doctor --fix` end expired leases the same way; aborted stays distinct from expired; over MCP
# stdio motus_work_renew extends a lease with a signed receipt and refuses an expired one.
# No sleeping for timing: expiry comes from --ttl 1 and polling `work status` until it says
# expired (bounded at 60 s).
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d.get(k) if isinstance(d,dict) else None
print("" if d is None else d)' "$@"; }
q() { python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print("" if r is None else r[0])' .motus/kernel-store.db "$1"; }
# polls `work status L` until its lease is expired; 0 when it is, 1 after 60 s
wait_expired() {
  local i
  for i in $(seq 1 600); do
    "$W" work status "$1" --json > st.json 2>/dev/null
    [ "$(jget st.json lease_status)" = expired ] && return 0
    sleep 0.1
  done
  return 1
}
claim() { # work_id ttl -> lease id on stdout
  "$W" work claim "$1" --ttl "$2" --json > claim.json && jget claim.json lease_id
}

"$W" init --path . --quiet || { bad init; exit 1; }

# ---- 1. busy claim names the lease and when it expires ----------------------------------------
L1=$(claim W-LEASE 600)
"$W" work claim W-LEASE > busy.out 2> busy.err; rc=$?
check "busy claim exits 1" '[ $rc = 1 ]'
EXP1=$(jget claim.json expires_at)
check "busy message names the lease and its expiry" 'grep -qF "$L1" busy.err && grep -qF "$EXP1" busy.err'
"$W" work claim W-LEASE --json > busy.json 2>/dev/null; rc=$?
check "busy --json exits 1 and names lease, expiry" '[ $rc = 1 ] && [ "$(jget busy.json lease_id)" = "$L1" ] && [ "$(jget busy.json expires_at)" = "$EXP1" ] && [ "$(jget busy.json busy)" = True ]'

# ---- 2. renew extends an active lease ----------------------------------------------------------
TOK=$(jget claim.json fencing_token)
"$W" work renew "$L1" --ttl 7200 --json > renew.json; rc=$?
check "renew exits 0" '[ $rc = 0 ]'
check "renew extends expires_at" 'python3 -c "import json,sys; r=json.load(open(\"renew.json\")); sys.exit(0 if r[\"expires_at\"] > r[\"previous_expires_at\"] and r[\"previous_expires_at\"] == \"$EXP1\" else 1)"'
NEWEXP=$(jget renew.json expires_at)
"$W" work status "$L1" --json > st.json
check "status shows the renewed expiry, active" '[ "$(jget st.json lease.expires_at)" = "$NEWEXP" ] && [ "$(jget st.json lease_status)" = active ]'
check "the lock was extended too" '[ "$(q "select expires_at from locks where resource=\"work:W-LEASE\"")" = "$NEWEXP" ]'
check "a lease.renewed event in the custody run" '[ "$(q "select count(*) from events where run_id=\"lease-custody\" and event_kind=\"lease.renewed\" and json_extract(payload,\"\$.lease_id\")=\"$L1\"")" = 1 ]'
check "the work run keeps only Motus kinds" '[ "$(q "select count(*) from events where run_id=\"$(jget claim.json run_id)\" and event_kind not in (\"work.started\",\"tool.used\",\"evidence.referenced\",\"work.closed\")")" = 0 ]'
n0=$(q "select count(*) from events")
"$W" work renew "$L1" --fencing-token $((TOK + 5)) 2> stale.err; rc=$?
check "renew with a wrong fencing token fails, writes nothing" '[ $rc != 0 ] && grep -q "fencing token" stale.err && [ "$(q "select count(*) from events")" = "$n0" ]'
"$W" work evidence "$L1" test_result --passed 1 --fencing-token "$TOK" > /dev/null; rc=$?
check "evidence with the current fencing token" '[ $rc = 0 ]'
"$W" work renew --help > help.out; rc=$?
check "work renew --help: usage on stdout, exit 0" '[ $rc = 0 ] && grep -q "work renew LEASE" help.out'

# ---- 3. an expired lease: no evidence, no renewal, release fails and records the expiry --------
"$W" work renew "$L1" --ttl 1 > /dev/null || bad "renew --ttl 1"
if wait_expired "$L1"; then ok "work status says expired once expires_at passed"; else bad "status never said expired"; fi
check "work list says expired" '"$W" work list | grep "$L1" | grep -q expired'
check "an expired lease is not in work list --open" '! "$W" work list --open | grep -q "$L1"'
n0=$(q "select count(*) from events")
"$W" work evidence "$L1" test_result --passed 1 2> ev.err; rc=$?
check "evidence on an expired lease fails (exit 1), writes nothing" '[ $rc = 1 ] && grep -q expired ev.err && [ "$(q "select count(*) from events")" = "$n0" ]'
"$W" work renew "$L1" 2> rn.err; rc=$?
check "renewing an expired lease fails" '[ $rc = 1 ] && grep -q "cannot be renewed" rn.err'
"$W" work release "$L1" success > rel.out 2> rel.err; rc=$?
check "release of an expired lease fails (exit 1) with one clear line" '[ $rc = 1 ] && [ "$(wc -l < rel.err)" = 1 ] && grep -q "expired" rel.err && grep -q "claim the work again" rel.err && [ ! -s rel.out ]'
"$W" work status "$L1" --json > st.json
check "the expiry was recorded: run closed, outcome unknown, lease expired" '[ "$(jget st.json status)" = closed ] && [ "$(jget st.json outcome.status)" = unknown ] && [ "$(jget st.json lease.status)" = expired ]'
check "recorded as work.closed keyed expire:LEASE, noticed by release" '[ "$(q "select json_extract(payload,\"\$.lease_expiry.noticed_by\") from events where idempotency_key=\"expire:$L1\"")" = release ]'
check "the receipt is not accepted closeout" '"$W" work receipt "$L1" > r.json && [ "$(jget r.json acceptance.status)" = rejected ] && [ "$(jget r.json outcome.status)" = unknown ]'
"$W" work release "$L1" success 2> rel2.err; rc=$?
check "a second release still fails" '[ $rc = 1 ] && grep -q expired rel2.err'
"$W" work status "$L1" > st.txt
check "text status says expired" 'grep -q "expired" st.txt'

# ---- 4. the next claim ends an expired lease; doctor --fix too --------------------------------
L2=$(claim W-NEXT 1)
wait_expired "$L2" || bad "W-NEXT never expired"
L3=$(claim W-NEXT 600); rc=$?
check "a new claim takes over the expired work id" '[ $rc = 0 ] && [ -n "$L3" ] && [ "$L3" != "$L2" ]'
"$W" work status "$L2" --json > st.json
check "the old lease ended expired (noticed by claim)" '[ "$(jget st.json status)" = closed ] && [ "$(jget st.json lease.status)" = expired ] && [ "$(q "select json_extract(payload,\"\$.lease_expiry.noticed_by\") from events where idempotency_key=\"expire:$L2\"")" = claim ]'
L4=$(claim W-DOCTOR 1)
wait_expired "$L4" || bad "W-DOCTOR never expired"
"$W" doctor > doc1.txt; "$W" doctor --fix > doc2.txt; rc=$?
check "doctor --fix ends the expired lease" '[ $rc = 0 ] && [ "$(q "select status || \"/\" || lease_status || \"/\" || outcome_status from runs where lease_id=\"$L4\"")" = closed/expired/unknown ]'
"$W" doctor > doc3.txt; rc=$?
check "doctor passes afterwards" '[ $rc = 0 ] && grep -q "PASS  leases" doc3.txt'

# ---- 5. aborted and expired stay distinct --------------------------------------------------------
L5=$(claim W-ABORT 600)
"$W" work release "$L5" aborted > /dev/null || bad "release aborted"
"$W" work status "$L5" --json > st.json
check "aborted is its own terminal state" '[ "$(jget st.json lease.status)" = aborted ] && [ "$(jget st.json outcome.status)" = aborted ]'

# ---- 6. MCP: motus_work_renew over stdio, one call one transaction with a signed receipt ------
python3 - "$W" <<'PY' && ok "motus_work_renew over MCP stdio" || bad "motus_work_renew over MCP stdio"
import json, subprocess, sys, time, sqlite3
W = sys.argv[1]
p = subprocess.Popen([W, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def send(m):
    p.stdin.write((json.dumps(m) + "\n").encode()); p.stdin.flush()
def rpc(i, method, params):
    send({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
    while True:
        m = json.loads(p.stdout.readline())
        if m.get("id") == i:
            return m
def call(i, name, args):
    return rpc(i, "tools/call", {"name": name, "arguments": args})["result"]
rpc(0, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}})
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
names = [t["name"] for t in rpc(1, "tools/list", {})["result"]["tools"]]
assert "motus_work_renew" in names, names
c = call(2, "motus_work_claim", {"work_id": "W-MCP", "ttl": 600})
assert not c.get("isError"), c
lease = c["structuredContent"]["lease_id"]
r = call(3, "motus_work_renew", {"lease_id": lease, "ttl": 1200, "fencing_token": c["structuredContent"]["fencing_token"]})
assert not r.get("isError"), r
s = r["structuredContent"]
assert s["expires_at"] > s["previous_expires_at"], s
rc = r["_meta"]["io.motebit/receipt"]
assert rc["tool_name"] == "motus_work_renew" and rc["status"] == "completed" and rc["signature"], rc
bad = call(4, "motus_work_renew", {"lease_id": lease, "ttl": 0})
assert bad.get("isError") or "error" in bad, bad
short = call(5, "motus_work_renew", {"lease_id": lease, "ttl": 1})
assert not short.get("isError"), short
for _ in range(600):
    st = call(6, "motus_work_status", {"id": lease})["structuredContent"]
    if st.get("lease_status") == "expired":
        break
    time.sleep(0.1)
assert st.get("lease_status") == "expired", st
x = call(7, "motus_work_renew", {"lease_id": lease})
assert x.get("isError") and "expired" in x["content"][0]["text"], x
rel = call(8, "motus_work_release", {"lease_id": lease, "outcome": "success"})
assert rel.get("isError") and "expired" in rel["content"][0]["text"], rel
st = call(9, "motus_work_status", {"id": lease})["structuredContent"]
assert st["status"] == "closed" and st["outcome"]["status"] == "unknown", st   # recorded with the call
p.stdin.close(); p.wait(timeout=60)
PY

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "motus_leases: all checks passed"
