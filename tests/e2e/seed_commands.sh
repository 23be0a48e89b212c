#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/seed_commands.sh — the commands the Motus seed names (issue #16): `install` applies
# the local defaults and says what it did, and a second run changes nothing (same files, same
# bytes, same Store) and says so; `init --empty --path DIR` makes the minimum neutral layout (only
# DIR/.motus) in another directory; MOTUS_WORK_STORE_BRIDGE behaves as spec/store.md says: unset
# or `auto` records the work loop as Store runs, `disabled` (compatibility recovery) records
# nothing (writes fail with one line, the Store unchanged) while reads still answer, `work
# receipt` showing the durable close record instead of the Store projection; any other value
# is refused as bad input (exit 2).
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
unset MOTUS_KERNEL_STORE_PATH MOTUS_STORE_PATH MOTUS_WORK_STORE_BRIDGE
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d.get(k) if isinstance(d,dict) else None
print("" if d is None else d)' "$@"; }
tree_digest() { # every file under .motus except the SQLite WAL/shm, and the Store's logical content
  python3 - "$1" <<'PY'
import hashlib, os, sqlite3, sys
root = sys.argv[1]; h = hashlib.sha256()
for d, _, fs in sorted(os.walk(root)):
    for f in sorted(fs):
        p = os.path.join(d, f)
        if f.endswith(("-wal", "-shm", ".db")):
            continue
        h.update(p.encode() + b"\0" + open(p, "rb").read())
c = sqlite3.connect("file:%s?mode=ro" % os.path.join(root, "kernel-store.db"), uri=True)
for line in c.iterdump():
    h.update(line.encode())
print(h.hexdigest())
PY
}
nevents() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from events").fetchone()[0])' .motus/kernel-store.db; }

# ---- install ---------------------------------------------------------------------------------------
mkdir proj && cd proj || exit 1
"$W" install > i1.txt; rc=$?
check "install exits 0 and says what it created" '[ $rc = 0 ] && grep -q "^created Store" i1.txt && grep -q "^created identity" i1.txt && grep -q "^created ./.motus/config.json" i1.txt && grep -q "installed the local defaults" i1.txt'
check "install made the Store, the key (0600), the config and .gitignore" '[ -f .motus/kernel-store.db ] && [ "$(stat -c %a .motus/identity/key)" = 600 ] && [ "$(stat -c %a .motus)" = 700 ] && [ -f .motus/config.json ] && grep -qx "\*" .motus/.gitignore'
check "the installed config states the defaults and serve accepts it" 'python3 -c "import json; c=json.load(open(\".motus/config.json\")); assert c[\"profile\"]==\"personal\" and c[\"policy\"][\"preset\"]==\"balanced\"" && echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}" | "$W" serve 2>/dev/null | grep -q "\"id\":1"'
"$W" doctor > doc.txt; rc=$?
check "doctor passes after install" '[ $rc = 0 ]'
before=$(tree_digest .motus)
"$W" install > i2.txt; rc=$?
check "install again: exit 0, nothing changed, and it says so" '[ $rc = 0 ] && ! grep -q "^created" i2.txt && grep -q "already installed: nothing changed" i2.txt'
check "install again: the same files, bytes and Store" '[ "$(tree_digest .motus)" = "$before" ]'
"$W" --json install > i3.json
check "install --json: changed false, every action kept" '[ "$(jget i3.json changed)" = False ] && ! grep -q "\"created\"" i3.json'
echo '{"profile":"personal","policy":{"preset":"cautious"}}' > .motus/config.json
"$W" install > i4.txt
check "install never overwrites an operator's config" 'grep -q cautious .motus/config.json && grep -q "^kept ./.motus/config.json" i4.txt'
cd "$T" || exit 1

# ---- init --empty --path ---------------------------------------------------------------------------
mkdir ws
"$W" init --empty --path ws > init.txt; rc=$?
check "init --empty --path ws exits 0" '[ $rc = 0 ] && grep -q "created Store ws/.motus/kernel-store.db" init.txt'
check "the layout is minimal: only ws/.motus, nothing in the cwd" '[ "$(ls -A ws)" = .motus ] && [ ! -e .motus ]'
"$W" init --empty --path ws > init2.txt; rc=$?
check "init --empty again keeps everything" '[ $rc = 0 ] && grep -q "^kept Store" init2.txt && grep -q "^kept identity" init2.txt'
"$W" init --empty --path no/such/dir 2> bad.err; rc=$?
check "init --path to a missing directory: exit 2, one line" '[ $rc = 2 ] && [ "$(wc -l < bad.err)" = 1 ]'

# ---- MOTUS_WORK_STORE_BRIDGE ---------------------------------------------------------------------------
cd proj || exit 1
L=$("$W" work claim BRIDGE-1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lease_id"])')
check "bridge unset (auto): claim records a Store run" '[ -n "$L" ]'
MOTUS_WORK_STORE_BRIDGE=auto "$W" work evidence "$L" test_result --passed 1 > /dev/null; rc=$?
check "bridge auto: evidence is recorded" '[ $rc = 0 ]'
n0=$(nevents)
MOTUS_WORK_STORE_BRIDGE=disabled "$W" work release "$L" success > rel.out 2> rel.err; rc=$?
check "bridge disabled: release fails with one line, nothing recorded" '[ $rc = 1 ] && [ "$(wc -l < rel.err)" = 1 ] && grep -q "MOTUS_WORK_STORE_BRIDGE=disabled" rel.err && [ ! -s rel.out ] && [ "$(nevents)" = "$n0" ]'
MOTUS_WORK_STORE_BRIDGE=disabled "$W" work claim BRIDGE-2 2> cl.err; rc=$?
check "bridge disabled: claim fails, nothing recorded" '[ $rc = 1 ] && grep -q "nothing was recorded" cl.err && [ "$(nevents)" = "$n0" ]'
MOTUS_WORK_STORE_BRIDGE=disabled "$W" work status "$L" --json > st.json; rc=$?
check "bridge disabled: status still reads the lease" '[ $rc = 0 ] && [ "$(jget st.json lease_status)" = active ]'
MOTUS_WORK_STORE_BRIDGE=disabled "$W" work list > list.txt; rc=$?
check "bridge disabled: list still reads" '[ $rc = 0 ] && grep -q "$L" list.txt'
"$W" work release "$L" success > /dev/null || bad "release with the bridge back on"
"$W" work receipt "$L" > proj.json
MOTUS_WORK_STORE_BRIDGE=disabled "$W" work receipt "$L" > close.json; rc=$?
check "bridge auto: work receipt is the Store receipt projection" '[ "$(jget proj.json schema_version)" = motus.work-receipt-envelope.v0.1 ]'
check "bridge disabled: work receipt is the durable close record" '[ $rc = 0 ] && [ "$(jget close.json lease.status)" = released ] && [ "$(jget close.json status)" = closed ] && [ -z "$(jget close.json schema_version)" ]'
MOTUS_WORK_STORE_BRIDGE=disabled "$W" work receipt "$L" --export x 2> ex.err; rc=$?
check "bridge disabled: --export (a Store projection) is refused" '[ $rc = 1 ] && grep -q "needs the Store bridge" ex.err'
MOTUS_WORK_STORE_BRIDGE=off "$W" work list 2> inv.err; rc=$?
check "an unknown bridge value is bad input (exit 2), naming the values" '[ $rc = 2 ] && grep -q "must be auto or disabled" inv.err'
MOTUS_WORK_STORE_BRIDGE=disabled "$W" wrap -- true 2> /dev/null; rc=$?
check "wrap (the Store-backed adapter) is not the bridge: it still records" '[ $rc = 0 ] && [ "$(nevents)" -gt "$n0" ]'

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "seed_commands: all checks passed"
