#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/store_migrate.sh — a Store written by the previous release (tests/vectors/store-v1,
# schema version 1: a policy.decided event, an mcp.call event and a receipts row per tool call)
# opened by this build: the migration to the current schema runs, `doctor` finds nothing, the old
# run's Motus export, projection manifest and Work Receipt are byte-identical to what the old
# release exported, an old tool-call receipt is still shown and verifies, and new calls recorded
# in the new layout (one mcp.call event carrying the receipt) sit beside the old ones with doctor
# still clean. History is never rewritten: every old event is still there, unchanged.
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
VEC=$(cd "$(dirname "$0")/../vectors/store-v1" && pwd)
RUN=run_01796249499655400937_4041d96d7d34
INV=01a238d0-4b17-74b8-8140-8799a389db1f
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
unset MOTUS_KERNEL_STORE_PATH MOTUS_STORE_PATH
"$BIN" init >/dev/null 2>&1
cp "$VEC/kernel-store.db" .motus/kernel-store.db
rm -f .motus/kernel-store.db-wal .motus/kernel-store.db-shm
old_events=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*), group_concat(event_id) from events").fetchone())' "$VEC/kernel-store.db")

"$BIN" doctor >doctor.txt || { cat doctor.txt; echo "FAIL: doctor on the migrated Store"; exit 1; }
grep -q 'schema version [0-9]* (this build' doctor.txt
grep -q 'schema version 1 ' doctor.txt && { echo "FAIL: not migrated"; cat doctor.txt; exit 1; }

"$BIN" work receipt "$RUN" --export exp >/dev/null
for f in receipt store-export projection-manifest; do
  cmp "exp/$f.json" "$VEC/$f.json" || { echo "FAIL: $f.json differs from the old release's export"; exit 1; }
done
"$BIN" verify exp/receipt.json >/dev/null

"$BIN" receipts show "$INV" >old-receipt.json
"$BIN" verify old-receipt.json >/dev/null
python3 - "$INV" <<'PY'
import json, sys
r = json.load(open("old-receipt.json"))
assert r["invocation_id"] == sys.argv[1] and r["tool_name"] == "motebit_identity", r
PY

# new calls on the migrated Store
python3 - "$BIN" <<'PY'
import json, sqlite3, subprocess, sys
binp = sys.argv[1]
msgs = [{"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "m", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "motebit_identity", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "motus_work_claim", "arguments": {"work_id": "ADHOC-AFTER", "intent": "after"}}}]
p = subprocess.run([binp, "serve"], input="".join(json.dumps(m) + "\n" for m in msgs).encode(),
                   capture_output=True, timeout=60)
assert p.returncode == 0, p.stderr[-500:]
got = {m["id"]: m for m in map(json.loads, p.stdout.decode().splitlines()) if "id" in m}
rc = got[2]["result"]["_meta"]["io.motebit/receipt"]
shown = subprocess.run([binp, "receipts", "show", rc["invocation_id"]], capture_output=True)
assert shown.returncode == 0 and json.loads(shown.stdout) == rc, shown
db = sqlite3.connect(".motus/kernel-store.db")
ev = [json.loads(x) for (x,) in db.execute("select payload from events where event_kind='mcp.call'")]
new = [e for e in ev if e.get("invocation_id") == rc["invocation_id"]]
assert len(new) == 1 and new[0]["receipt"] == rc, new
PY
now_old=$(python3 - "$old_events" <<'PY'
import sqlite3, sys
n, ids = eval(sys.argv[1])
db = sqlite3.connect(".motus/kernel-store.db")
have = {r[0] for r in db.execute("select event_id from events")}
missing = [i for i in ids.split(",") if i not in have]
print("missing" if missing else "kept")
PY
)
[ "$now_old" = kept ] || { echo "FAIL: old events were rewritten or lost"; exit 1; }
"$BIN" doctor >doctor2.txt || { cat doctor2.txt; echo "FAIL: doctor after new calls"; exit 1; }
echo "PASS store_migrate: v1 Store migrated, exports byte-identical, old and new receipts found"
