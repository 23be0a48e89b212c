#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e2e: `serve --http ... --tls-cert --tls-key` serves HTTPS (libmicrohttpd + GnuTLS): /health and
# an MCP ping over TLS verified against the self-signed certificate, plain HTTP on the TLS port
# fails, and a key/cert mismatch is refused at start. Needs openssl and curl (skips with 77).
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v openssl >/dev/null && command -v curl >/dev/null || { echo "SKIP: openssl/curl missing"; exit 77; }
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fails=0
expect() { if [ "$2" = "$3" ]; then echo "ok   $1 ($3)"; else echo "FAIL $1: want $2, got $3"; fails=$((fails + 1)); fi; }
cd "$T" && "$W" init >/dev/null 2>&1 || { echo "FAIL init"; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost >/dev/null 2>&1 || { echo "SKIP: openssl cannot make a certificate"; exit 77; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.pem -out other-cert.pem -days 1 -subj /CN=x >/dev/null 2>&1
timeout 20 "$W" serve --http 127.0.0.1:0 --tls-cert cert.pem --tls-key other.pem --no-store 2>mismatch.err
rc=$?
if [ $rc -eq 2 ] && grep -q "cannot start the HTTPS listener" mismatch.err; then echo "ok   mismatched key refused"
else echo "FAIL mismatched key: exit $rc: $(tail -3 mismatch.err)"; fails=$((fails + 1)); fi
"$W" serve --http 127.0.0.1:0 --tls-cert cert.pem --tls-key key.pem --no-store --port-file port 2>server.err &
PID=$!
for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.1; done
P=$(cat port)
expect "GET /health over TLS" 200 "$(curl -s -o b --cacert cert.pem -w '%{http_code}' "https://localhost:$P/health")"
expect "ping over TLS" 200 "$(curl -s -o b --cacert cert.pem -w '%{http_code}' -X POST "https://localhost:$P/mcp" \
  -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":7,"method":"ping"}')"
grep -q '"id":7,"result":{}' b || { echo "FAIL ping body: $(cat b)"; fails=$((fails + 1)); }
code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://localhost:$P/health")
[ "$code" != 200 ] && echo "ok   plain HTTP on the TLS port fails ($code)" || { echo "FAIL plain HTTP served"; fails=$((fails + 1)); }
kill -TERM $PID; wait $PID; expect "exit after SIGTERM" 0 $?; PID=
exit $((fails > 0))
