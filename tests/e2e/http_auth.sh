#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e2e: `serve --http` on 127.0.0.1 (ephemeral port) with a static token and a known motebit
# caller. Checks: /health without auth; no token, a wrong, an expired and a wrong-audience token
# (and a token issued an hour in the future, or living longer than http.max_token_lifetime_s)
# get 401 + WWW-Authenticate resource_metadata + a JSON-RPC error body, and each leaves an
# http.auth_failed event (without the token) in the Store; static and motebit tokens call a tool;
# a foreign Host or Origin gets 403; a 20 MB body gets 413; GET/DELETE get 405; RFC 9728
# metadata; a non-loopback bind without auth is refused; the server keeps serving throughout and
# exits 0 on SIGTERM. Needs curl and python3 (sqlite3 module) — skips (77) without them.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
python3 -c 'import sqlite3' 2>/dev/null || { echo "SKIP: python3 sqlite3 missing"; exit 77; }
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
expect() { # name want got
  if [ "$2" = "$3" ]; then ok "$1 ($3)"; else bad "$1: want $2, got $3"; fi
}

mkdir -p "$T/caller" "$T/server"
(cd "$T/caller" && "$W" init >/dev/null 2>&1) || { bad "caller init"; exit 1; }
(cd "$T/server" && "$W" init >/dev/null 2>&1) || { bad "server init"; exit 1; }
CJ=$(cd "$T/caller" && "$W" token pubkey --json) || { bad "token pubkey"; exit 1; }
MID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["motebit_id"])' "$CJ")
PK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["public_key"])' "$CJ")
STATIC=static-secret-e2e-0123456789
cat >"$T/server/.motus/config.json" <<EOF
{"http":{"tokens":[{"name":"ci","token":"$STATIC"}],"known_callers":{"$MID":"$PK"}}}
EOF

# refused: non-loopback bind without auth (no config in this dir)
mkdir -p "$T/open"
(cd "$T/open" && "$W" serve --http 0.0.0.0:0 --no-store >/dev/null 2>"$T/open.err")
expect "non-loopback bind without auth refused (exit 2)" 2 $?

cd "$T/server"
"$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>"$T/server.err" &
PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; kill -0 $PID 2>/dev/null || break; sleep 0.1; done
[ -s "$T/port" ] || { bad "server did not start"; cat "$T/server.err"; exit 1; }
P=$(cat "$T/port")
U=http://127.0.0.1:$P
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}'
CALL='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"motebit_identity","arguments":{}}}'
post() { # body, extra curl args... → prints status; headers in $T/h, body in $T/b
  local body=$1; shift
  curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -X POST "$U/mcp" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' --data-binary "$body" "$@"
}
alive() { expect "still serving: /health" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$U/health")"; }

expect "/health without auth" 200 "$(curl -s -o "$T/b" -w '%{http_code}' "$U/health")"
grep -q '"status":"ok"' "$T/b" || bad "/health body: $(cat "$T/b")"
expect "RFC 9728 metadata" 200 "$(curl -s -o "$T/b" -w '%{http_code}' "$U/.well-known/oauth-protected-resource/mcp")"
grep -q "\"resource\":\"$U/mcp\"" "$T/b" || bad "metadata resource: $(cat "$T/b")"

expect "no token → 401" 401 "$(post "$INIT")"
grep -qi "^WWW-Authenticate: Bearer resource_metadata=\"$U/.well-known/oauth-protected-resource/mcp\"" "$T/h" ||
  bad "401 challenge: $(grep -i www-auth "$T/h")"
grep -q '"error":{"code":-32001' "$T/b" || bad "401 body is not a JSON-RPC error: $(cat "$T/b")"
WRONG=wrong-token-e2e-should-not-be-logged
expect "wrong token → 401" 401 "$(post "$INIT" -H "Authorization: Bearer $WRONG")"
grep -qi 'error="invalid_token"' "$T/h" || bad "invalid_token missing"
NOW=$(python3 -c 'import time; print(int(time.time()*1000))')
EXPIRED=$(cd "$T/caller" && "$W" token mint --aud task:submit --ttl 60 --now $((NOW - 600000)))
expect "expired motebit token → 401" 401 "$(post "$INIT" -H "Authorization: Bearer motebit:$EXPIRED")"
FUTURE=$(cd "$T/caller" && "$W" token mint --aud task:submit --ttl 60 --now $((NOW + 3600000)))
expect "motebit token issued an hour ahead → 401" 401 "$(post "$INIT" -H "Authorization: Bearer motebit:$FUTURE")"
LONG=$(cd "$T/caller" && "$W" token mint --aud task:submit --ttl 2592000)
expect "motebit token living 30 days → 401" 401 "$(post "$INIT" -H "Authorization: Bearer motebit:$LONG")"
SKEWED=$(cd "$T/caller" && "$W" token mint --aud task:submit --ttl 300 --now $((NOW + 30000)))
expect "motebit token 30 s ahead (within the skew) → 200" 200 "$(post "$INIT" -H "Authorization: Bearer motebit:$SKEWED")"
WRONGAUD=$(cd "$T/caller" && "$W" token mint --aud sync)
expect "wrong-audience motebit token → 401" 401 "$(post "$INIT" -H "Authorization: Bearer motebit:$WRONGAUD")"
alive

expect "static token: initialize" 200 "$(post "$INIT" -H "Authorization: Bearer $STATIC")"
expect "static token: tools/call" 200 "$(post "$CALL" -H "Authorization: Bearer $STATIC")"
grep -q '"result"' "$T/b" && ! grep -q '"isError":true' "$T/b" || bad "static call result: $(head -c 300 "$T/b")"
TOK=$(cd "$T/caller" && "$W" token mint --aud task:submit)
expect "motebit token: tools/call" 200 "$(post "$CALL" -H "Authorization: Bearer motebit:$TOK")"
grep -q '"result"' "$T/b" && ! grep -q '"isError":true' "$T/b" || bad "motebit call result: $(head -c 300 "$T/b")"
expect "motebit token reused within exp" 200 "$(post "$CALL" -H "Authorization: Bearer motebit:$TOK")"

expect "foreign Host → 403" 403 "$(post "$INIT" -H "Authorization: Bearer $STATIC" -H 'Host: evil.example.com')"
expect "foreign Origin → 403" 403 "$(post "$INIT" -H "Authorization: Bearer $STATIC" -H 'Origin: http://evil.example.com')"
expect "loopback Origin → 200" 200 "$(post "$INIT" -H "Authorization: Bearer $STATIC" -H "Origin: http://localhost:$P")"
head -c $((20 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$T/big"
expect "20 MB body → 413" 413 "$(curl -s -o "$T/b" -w '%{http_code}' -X POST "$U/mcp" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $STATIC" --data-binary @"$T/big")"
# a chunked body (no Content-Length) that keeps coming past the limit: the server stops reading
# it (the sender cannot push 200 MB) instead of swallowing it forever
chunked=$(python3 - "$P" "$STATIC" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" % (sys.argv[1], sys.argv[2])).encode())
chunk = b"a" * 65536
sent, t0 = 0, time.time()
try:
    while sent < 200 * 1024 * 1024 and time.time() - t0 < 30:
        s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n"); sent += len(chunk)
    print("read-all")
except OSError:
    print("cut")
PY
)
expect "endless chunked body → connection cut" cut "$chunked"
expect "GET /mcp → 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $STATIC" "$U/mcp")"
expect "DELETE /mcp → 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $STATIC" "$U/mcp")"
expect "batch → 400" 400 "$(post '[{"jsonrpc":"2.0","id":1,"method":"ping"}]' -H "Authorization: Bearer $STATIC")"
expect "bad JSON → 400" 400 "$(post '{"jsonrpc":' -H "Authorization: Bearer $STATIC")"
expect "notification → 202" 202 "$(post '{"jsonrpc":"2.0","method":"notifications/initialized"}' -H "Authorization: Bearer $STATIC")"
alive

kill -TERM $PID
wait $PID
expect "exit status after SIGTERM" 0 $?
PID=
N=$(python3 - "$T/server/.motus/kernel-store.db" "$WRONG" "$STATIC" "$TOK" "$FUTURE" "$LONG" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = [r[0] for r in c.execute("select payload from events where event_kind='http.auth_failed'")]
leak = any(s in (p if isinstance(p, str) else p.decode()) for p in rows for s in sys.argv[2:])
print(-1 if leak else len(rows))
EOF
)
# no token, wrong, expired, wrong audience, issued ahead, living too long
expect "auth failures recorded as events, without tokens" 6 "$N"
[ $fails -eq 0 ] || { echo "--- server stderr"; tail -20 "$T/server.err"; }
exit $((fails > 0))
