#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/http_busy.sh — backpressure over HTTP never stalls the listener: with an in-flight
# window of one held by a long motebit_task, another POST /mcp is answered at once with 503,
# Retry-After and a JSON-RPC error body, /health keeps answering, and once the long call is
# cancelled (its client disconnects) calls go through again. spec/http.md "Backpressure".
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
PID= CPID=
cleanup() { [ -n "$CPID" ] && kill "$CPID" 2>/dev/null; [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
cd "$T"
"$W" init --quiet || { echo "FAIL: init"; exit 1; }
cat > .motus/config.json <<'JSON'
{"profile": "service",
 "http": {"tokens": [{"name": "t", "token": "busy-test-token-0123456789"}]},
 "executors": {"slow": {"type": "command", "argv": ["sleep", "60"], "stdin": false}}}
JSON
"$W" serve --http 127.0.0.1:0 --port-file port --window 1 2>server.err &
PID=$!
for _ in $(seq 1 100); do [ -s port ] && break; kill -0 $PID 2>/dev/null || break; sleep 0.1; done
[ -s port ] || { echo "FAIL: server did not start"; cat server.err; exit 1; }
U="http://127.0.0.1:$(cat port)"
H=(-H "Authorization: Bearer busy-test-token-0123456789" -H "Content-Type: application/json"
   -H "Accept: application/json, text/event-stream" -H "MCP-Protocol-Version: 2025-11-25")
post() { curl -s -m 10 -o "$1" -D "$1.h" -w '%{http_code}' "${H[@]}" --data "$2" "$U/mcp"; }

# 1. the long call takes the only slot
curl -s "${H[@]}" --data '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"motebit_task","arguments":{"prompt":"x","required_capabilities":["slow"]}}}' "$U/mcp" > long.out &
CPID=$!
# wait until its executor runs (the task.routed event is in the Store)
routed=0
for _ in $(seq 1 100); do
  n=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from events where event_kind=\"task.routed\"").fetchone()[0])' .motus/kernel-store.db 2>/dev/null || echo 0)
  [ "$n" -ge 1 ] && { routed=1; break; }
  sleep 0.1
done
[ $routed = 1 ] || bad "the long task never started: $(cat server.err | tail -3)"

# 2. another call: 503 at once, Retry-After, a JSON-RPC error body
code=$(post busy.json '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"motebit_identity","arguments":{}}}')
[ "$code" = 503 ] || bad "busy call: HTTP $code, want 503 ($(cat busy.json))"
grep -qi '^Retry-After: 1' busy.json.h || bad "busy call: no Retry-After header"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"]==-32603 and "busy" in e["message"], e' busy.json || bad "busy body: $(cat busy.json)"
# 3. the listener still serves /health
hc=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$U/health")
[ "$hc" = 200 ] || bad "/health while busy: HTTP $hc"

# 4. the long call's client goes away: its call is cancelled and the slot frees
kill "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null; CPID=
ok=0
for _ in $(seq 1 100); do
  code=$(post again.json '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"motebit_identity","arguments":{}}}')
  [ "$code" = 200 ] && { ok=1; break; }
  sleep 0.1
done
[ $ok = 1 ] || bad "after the cancel: last HTTP $code"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"]; assert not r.get("isError") and r["structuredContent"]["motebit_id"], r' again.json || bad "after the cancel: $(cat again.json)"
kill -0 $PID 2>/dev/null || bad "server died"
[ $fail = 0 ] && echo "http_busy: all checks passed"
exit $fail
