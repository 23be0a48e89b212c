#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/http_shutdown.sh — SIGTERM ends `serve --http` while a call is running (issue #17):
# a motebit_task whose command executor runs `sleep 300` is in flight when the server gets
# SIGTERM. The call must still be answered, with a clean failure (a signed `failed`
# ExecutionReceipt saying the server is shutting down, inside a signed tool receipt), the sleep's process group must be gone, the server must exit 0 long before the
# sleep would have ended, and the Store must pass doctor afterwards.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; pkill -f "sleep 3000$$" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T" || exit 1
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
"$W" init --quiet || exit 1
MARK=3000$$ # a sleep argument only this test uses, to find its process
cat > .motus/config.json <<JSON
{"profile":"service","policy":{"preset":"autonomous"},
 "http":{"tokens":[{"name":"ci","token":"e2e-shutdown-token-0123456789"}]},
 "executors":{"slow":{"type":"command","argv":["sleep","$MARK"],"stdin":false}}}
JSON
"$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>"$T/server.err" &
PID=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "FAIL server did not start: $(tail -3 "$T/server.err")"; exit 1; }
curl -s -X POST "http://127.0.0.1:$(cat "$T/port")/mcp" -H 'Content-Type: application/json' \
  -H 'Accept: application/json' -H 'Authorization: Bearer e2e-shutdown-token-0123456789' \
  -H 'MCP-Protocol-Version: 2025-11-25' \
  --data '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"motebit_task","arguments":{"prompt":"wait","required_capabilities":["slow"]}}}' \
  > "$T/answer.json" &
CURL=$!
# wait until the executor's command runs (no fixed sleep: poll for the process)
for _ in $(seq 1 600); do pgrep -f "sleep $MARK" >/dev/null && break; sleep 0.05; done
pgrep -f "sleep $MARK" >/dev/null || { echo "FAIL the task's command never started"; exit 1; }
kill -TERM "$PID"
fails=0
# bounded wait (the command would sleep for $MARK s); no assertion on how fast within the bound
for _ in $(seq 1 1200); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$PID" 2>/dev/null; then
  echo "FAIL the server is still running 60 s after SIGTERM"; exit 1
fi
wait "$PID"; rc=$?; PID=
[ $rc -eq 0 ] && echo "ok   server exited 0 after SIGTERM" || { echo "FAIL server exit $rc: $(tail -3 "$T/server.err")"; fails=1; }
wait "$CURL"
python3 - "$T/answer.json" <<'PY' && echo "ok   the call in flight answered with a signed failed receipt" || fails=1
import json, sys
m = json.load(open(sys.argv[1]))
r = m["result"]
task = r["structuredContent"]  # the task's signed ExecutionReceipt
assert task["status"] == "failed" and task["signature"], task
assert task["result"] == "Error: task stopped: the server is shutting down", task
assert r["_meta"]["io.motebit/receipt"]["signature"], r["_meta"]
PY
pgrep -f "sleep $MARK" >/dev/null && { echo "FAIL the command outlived the server"; fails=1; } || echo "ok   the command's process group is gone"
"$W" doctor > "$T/doctor.txt" 2>&1 && echo "ok   doctor passes" || { echo "FAIL doctor: $(cat "$T/doctor.txt")"; fails=1; }
exit $fails
