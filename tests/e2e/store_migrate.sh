#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/store_migrate.sh — a Store written by the previous release (tests/vectors/store-v1,
# schema version 1: a policy.decided event, an mcp.call event and a receipts row per tool call)
# opened by this build: the migration to the current schema runs, `doctor` finds nothing, the old
# run's Motus export, projection manifest and Work Receipt are byte-identical to what the old
# release exported, an old tool-call receipt is still shown and verifies, and new calls recorded
# in the new layout (one mcp.call event carrying the receipt) sit beside the old ones with doctor
# still clean. History is never rewritten: every old event is still there, unchanged, column for
# column. The events table is then in the layout of schema version 4 (a rowid table, no event_id
# index) with its append-only triggers back in place.
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
COLS="run_id, seq, event_id, event_kind, occurred_at, idempotency_key, producer_id, payload, payload_hash, schema_hash"
python3 -c 'import json,sqlite3,sys; print(json.dumps(sqlite3.connect(sys.argv[1]).execute("select " + sys.argv[2] + " from events order by run_id, seq").fetchall()))' "$VEC/kernel-store.db" "$COLS" >old-events.json

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
now_old=$(python3 - "$COLS" <<'PY'
import json, sqlite3, sys
old = [tuple(r) for r in json.load(open("old-events.json"))]
db = sqlite3.connect(".motus/kernel-store.db")
have = set(db.execute("select " + sys.argv[1] + " from events"))
print("kept" if old and all(r in have for r in old) else "missing")
PY
)
[ "$now_old" = kept ] || { echo "FAIL: old events were rewritten or lost"; exit 1; }
# schema version 4: events in a rowid table, no index on event_id; an UPDATE is still refused
python3 - <<'PY'
import sqlite3
db = sqlite3.connect(".motus/kernel-store.db")
assert db.execute("pragma user_version").fetchone()[0] >= 4
sql = db.execute("select sql from sqlite_master where type='table' and name='events'").fetchone()[0]
assert "WITHOUT ROWID" not in sql.upper(), sql
idx = [r[0] for r in db.execute("select name from pragma_index_list('events')")]
cols = {n: [c[2] for c in db.execute("select * from pragma_index_info(?)", (n,))] for n in idx}
assert sorted(map(tuple, cols.values())) == [("run_id", "idempotency_key"), ("run_id", "seq")], cols
trig = {r[0] for r in db.execute("select name from sqlite_master where type='trigger'")}
assert {"events_no_update", "events_no_delete", "events_open_run", "events_contiguous",
        "runs_close_needs_event"} <= trig, trig
row = db.execute("select run_id, seq, idempotency_key from events order by rowid desc limit 1").fetchone()
try:
    db.execute("update events set payload = '{}' where run_id = ? and seq = ?", row[:2])
    raise SystemExit("an event was updated")
except sqlite3.IntegrityError as e:
    assert "append-only" in str(e), e
PY
"$BIN" doctor >doctor2.txt || { cat doctor2.txt; echo "FAIL: doctor after new calls"; exit 1; }
echo "PASS store_migrate: v1 Store migrated, exports byte-identical, old and new receipts found"
