#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/stdio_closed.sh — when the stdio client goes away (its end of stdout closed), `serve`
# stops taking work (issue #17): 3000 calls are piped in and the output into `head -c 100`, which
# exits after the first answer. The server must exit non-zero with a line saying stdout was
# closed, must not have run the 3000 calls (the pipe buffer and the in-flight window bound what
# can be taken before the first failed write: a few hundred at most), and the Store must pass
# `doctor` (what was taken was finished and recorded whole).
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
"$W" init --quiet || exit 1
python3 - > calls.jsonl <<'PY'
import json
print(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                  "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                             "clientInfo": {"name": "e2e", "version": "1"}}}))
for i in range(1, 3001):
    print(json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                      "params": {"name": "motebit_identity", "arguments": {}}}))
PY
"$W" serve < calls.jsonl 2> serve.err | head -c 100 > /dev/null
rc=${PIPESTATUS[0]}
fails=0
[ "$rc" -eq 1 ] && echo "ok   serve exited 1" || { echo "FAIL serve exit status $rc"; fails=1; }
grep -q "stdout was closed" serve.err && echo "ok   it says why" ||
  { echo "FAIL no message: $(tail -3 serve.err)"; fails=1; }
n=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM events WHERE event_kind = ?", ("mcp.call",)).fetchone()[0])' "$MOTUS_KERNEL_STORE_PATH")
[ "$n" -ge 1 ] && [ "$n" -lt 3000 ] && echo "ok   $n of 3000 calls taken before it stopped" ||
  { echo "FAIL $n calls recorded"; fails=1; }
"$W" doctor > doctor.txt 2>&1 && echo "ok   doctor passes" || { echo "FAIL doctor: $(cat doctor.txt)"; fails=1; }
exit $fails
