#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/motus_handoff.sh — a Motus Level 2 governed handoff (issue #16), from the CLI and
# over MCP stdio. Leg 1: an agent claims, records evidence and a decision and releases with
# --next-actor/--receiver human:reviewer; the exported receipt, store export and projection
# manifest pass the schemas, the digest and lineage checks, Level 1 and the governed-handoff
# (Level 2) checks of tests/e2e/lib/motus_check.py (reference/motus.md §4.3). Leg 2: the
# receiver claims the same work id, accepts it with `work decision --accepted-by` and releases
# success: acceptance accepted by the receiver. The checks can fail: a receipt without a
# handoff is refused at Level 2, a tampered receipt at Level 0, and a release naming two
# different actors or handing off without evidence is refused with the Store unchanged.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SHARED=${WL_SHARED_DIR:-}
HERE=$(cd "$(dirname "$0")" && pwd)
SCHEMAS=$SHARED/fixtures/motus/schemas
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "SKIP: python3-jsonschema missing"; exit 77; }
[ -d "$SCHEMAS" ] || { echo "SKIP: no Motus schemas in ${SHARED:-../shared}"; exit 77; }
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
print("" if d is None else (json.dumps(d, sort_keys=True) if isinstance(d,(dict,list)) else d))' "$@"; }
mcheck() { python3 "$HERE/lib/motus_check.py" "$SCHEMAS" "$@"; }
nevents() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from events").fetchone()[0])' "$MOTUS_KERNEL_STORE_PATH"; }

"$W" init --path . --quiet || { bad init; exit 1; }

# ---- leg 1: the CLI produces a governed handoff --------------------------------------------------
"$W" work claim REL-42 --intent "cut release 4.2" --actor agent:release-bot --json > c1.json
L1=$(jget c1.json lease_id)
check "claim by agent:release-bot" '[ -n "$L1" ]'
"$W" work evidence "$L1" test_result --passed 12 --failed 0 --json > e1.json
EV1=$(jget e1.json evidence_id)
"$W" work decision "$L1" "ready for review" --rationale "all checks green" > /dev/null ||
  bad "decision"
n0=$(nevents)
"$W" work release "$L1" success --next-actor human:reviewer --receiver human:someone-else 2> two.err
rc=$?
check "next actor and receiver must be one actor (Level 2), Store unchanged" '[ $rc = 2 ] || [ $rc = 1 ]; [ $rc != 0 ] && grep -q "same actor" two.err && [ "$(nevents)" = "$n0" ]'
"$W" work release "$L1" success --next-actor human:reviewer --receiver human:reviewer \
  --expected-action "review and accept the release" --reason "needs a human sign-off" \
  > r1.out; rc=$?
check "release with the handoff fields; the output names the receiver" '[ $rc = 0 ] && grep -q "handed off to human:reviewer" r1.out'
"$W" work release "$L1" success --json > r1b.json; rc=$?
check "a repeated release answers the same receipt and still names the receiver" '[ $rc = 0 ] && [ "$(jget r1b.json replayed)" = True ] && [ "$(jget r1b.json handoff.receiver.id)" = reviewer ] && grep -qF "$(jget r1b.json receipt_id)" r1.out'
"$W" work receipt "$L1" --export leg1 > /dev/null || bad "export leg 1"
if mcheck leg1 --level 2; then ok "leg 1 passes the Motus Level 2 governed handoff checks"; else bad "leg 1 Level 2"; fi
check "the receipt hands the evidence on" '[ "$(jget leg1/receipt.json handoff.evidence_refs)" != "" ] && jget leg1/receipt.json handoff.evidence_refs | grep -q "$EV1"'
check "expected_action and reason are carried" '[ "$(jget leg1/receipt.json handoff.expected_action)" = "review and accept the release" ] && [ "$(jget leg1/receipt.json route_summary.reason)" = "needs a human sign-off" ]'
check "actor is the claiming agent" '[ "$(jget leg1/receipt.json actor.type)" = agent ] && [ "$(jget leg1/receipt.json actor.id)" = release-bot ]'
"$W" work receipt "$L1" --export leg1b > /dev/null
check "the export is deterministic" 'cmp -s leg1/receipt.json leg1b/receipt.json && cmp -s leg1/store-export.json leg1b/store-export.json && cmp -s leg1/projection-manifest.json leg1b/projection-manifest.json'
"$W" verify leg1/receipt.json > v1.json
check "the handoff receipt carries a valid signature" 'grep -q "\"valid\":true" v1.json'

# ---- the checks can fail -----------------------------------------------------------------------
mkdir -p tampered noho
cp leg1/* tampered/
python3 - tampered/receipt.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["handoff"]["receiver"]["id"] = "mallory"
json.dump(r, open(sys.argv[1], "w"))
PY
check "a tampered receipt fails (digest)" '! mcheck tampered --level 2 2> t.err && grep -q "receipt_id mismatch" t.err'
"$W" work claim REL-43 --json > c3.json; L3=$(jget c3.json lease_id)
"$W" work evidence "$L3" test_result --passed 1 > /dev/null
"$W" work release "$L3" success > /dev/null
"$W" work receipt "$L3" --export noho > /dev/null
check "a plain release passes Level 1" 'mcheck noho --level 1 > /dev/null'
check "a plain release is not a Level 2 handoff" '! mcheck noho --level 2 2> n.err && grep -q "route_summary.status must be handoff" n.err'
"$W" work claim REL-44 --json > c4.json; L4=$(jget c4.json lease_id)
n0=$(nevents)
"$W" work release "$L4" success --receiver human:reviewer 2> noev.err; rc=$?
check "a handoff without evidence is refused, Store unchanged" '[ $rc != 0 ] && grep -q "record evidence" noev.err && [ "$(nevents)" = "$n0" ]'

# ---- leg 2: the receiver accepts -----------------------------------------------------------------
"$W" work claim REL-42 --actor human:reviewer --json > c2.json; rc=$?
L2=$(jget c2.json lease_id)
check "the receiver claims the handed-off work id" '[ $rc = 0 ] && [ -n "$L2" ] && [ "$L2" != "$L1" ]'
"$W" work evidence "$L2" review --summary "read the diff and the test report" > /dev/null
"$W" work decision "$L2" "accept release 4.2" --accepted-by human:reviewer --json > d2.json
check "decision --accepted-by names the acceptor" '[ "$(jget d2.json accepted_by.id)" = reviewer ]'
"$W" work release "$L2" success > /dev/null || bad "leg 2 release"
"$W" work receipt "$L2" --export leg2 > /dev/null
check "leg 2 passes Level 1" 'mcheck leg2 --level 1 > /dev/null'
check "leg 2: accepted by the receiver, by decision" '[ "$(jget leg2/receipt.json acceptance.status)" = accepted ] && [ "$(jget leg2/receipt.json acceptance.actor.id)" = reviewer ] && [ "$(jget leg2/receipt.json acceptance.method)" = decision ]'

# ---- MCP stdio: the same handoff with the tools ----------------------------------------------------
python3 - "$W" <<'PY' > mcp.out 2>&1 && ok "MCP: claim/evidence/decision/release with next_actor+receiver, export" || { bad "MCP handoff"; cat mcp.out; }
import json, os, subprocess, sys
W = sys.argv[1]
p = subprocess.Popen([W, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def rpc(i, method, params):
    p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}) + "\n").encode())
    p.stdin.flush()
    while True:
        m = json.loads(p.stdout.readline())
        if m.get("id") == i:
            return m
def call(i, name, args):
    r = rpc(i, "tools/call", {"name": name, "arguments": args})["result"]
    assert not r.get("isError"), (name, r)
    return r["structuredContent"]
rpc(0, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}})
p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'); p.stdin.flush()
c = call(1, "motus_work_claim", {"work_id": "REL-MCP", "actor": "agent:mcp-bot"})
lease = c["lease_id"]
call(2, "motus_work_evidence", {"lease_id": lease, "kind": "test_result", "passed": 3, "failed": 0})
d = call(3, "motus_work_decision", {"lease_id": lease, "text": "hand to ci", "accepted_by": "ci:gate"})
assert d["accepted_by"] == {"type": "ci", "id": "gate"}, d
r = call(4, "motus_work_release", {"lease_id": lease, "outcome": "success", "next_actor": "ci:gate",
                                   "receiver": "ci:gate", "expected_action": "run the gate"})
assert r["handoff"]["receiver"] == {"type": "ci", "id": "gate"}, r
x = call(5, "motus_run_export", {"id": lease})
os.makedirs("mcpexp", exist_ok=True)
for k, f in (("receipt", "receipt.json"), ("store_export", "store-export.json"),
             ("projection_manifest", "projection-manifest.json")):
    json.dump(x[k], open(os.path.join("mcpexp", f), "w"))
assert x["receipt"]["runtime"]["kind"] == "mcp", x["receipt"]["runtime"]
p.stdin.close(); p.wait(timeout=30)
PY
if mcheck mcpexp --level 2; then ok "the MCP handoff passes Level 2"; else bad "MCP Level 2"; fi

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "motus_handoff: all checks passed"
