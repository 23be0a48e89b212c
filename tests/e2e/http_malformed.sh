#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/http_malformed.sh — the malformed-HTTP corpus (issue #17): every case of
# tests/e2e/http_malformed/ (bad request lines, methods and versions, huge targets and heads,
# folding, NUL/CR/LF injection, bad and conflicting Content-Length, Transfer-Encoding variants and
# chunk framing, Host/Origin, truncated bodies, pipelining, bad JSON, wrong Content-Type, auth) is
# sent over a raw socket to a real `serve --http`; each reply must be exactly one status line with
# the expected 4xx/5xx and a JSON-RPC error body (run.py checks it). Afterwards the server still
# serves (/health and an authenticated tools/call over curl), exits 0 on SIGTERM, and the Store
# passes doctor. The short head/body deadlines (2 s) only make the slow-sender cases quick.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
S=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T" || exit 1
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
"$W" init --quiet || exit 1
TOKEN=e2e-malformed-token-0123456789
cat > .motus/config.json <<JSON
{"http":{"tokens":[{"name":"ci","token":"$TOKEN"}],"max_body_bytes":16384,
 "header_timeout_s":2,"body_timeout_s":2}}
JSON
"$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>"$T/server.err" &
PID=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "FAIL server did not start: $(tail -3 "$T/server.err")"; exit 1; }
P=$(cat "$T/port")
fails=0
python3 "$S/tests/e2e/http_malformed/run.py" "$P" "$TOKEN" "$S/tests/e2e/http_malformed" || fails=1
st=$(curl -s -o "$T/h.json" -w '%{http_code}' --max-time 20 "http://127.0.0.1:$P/health")
[ "$st" = 200 ] && grep -q '"status":"ok"' "$T/h.json" && echo "ok   /health still answers" ||
  { echo "FAIL /health after the corpus: $st"; fails=1; }
st=$(curl -s -o "$T/c.json" -w '%{http_code}' --max-time 20 -X POST "http://127.0.0.1:$P/mcp" \
  -H 'Content-Type: application/json' -H 'Accept: application/json' -H "Authorization: Bearer $TOKEN" \
  --data '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"motebit_identity","arguments":{}}}')
[ "$st" = 200 ] && grep -q '"structuredContent"' "$T/c.json" && echo "ok   an authenticated tools/call still succeeds" ||
  { echo "FAIL tools/call after the corpus: $st $(head -c 300 "$T/c.json")"; fails=1; }
kill -TERM "$PID"
for _ in $(seq 1 400); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
wait "$PID"; rc=$?; PID=
[ $rc -eq 0 ] && echo "ok   server exited 0 on SIGTERM" || { echo "FAIL server exit $rc: $(tail -5 "$T/server.err")"; fails=1; }
if grep -qiE 'AddressSanitizer|runtime error|LeakSanitizer' "$T/server.err"; then
  echo "FAIL sanitizer report:"; grep -iE -A5 'AddressSanitizer|runtime error|LeakSanitizer' "$T/server.err" | head -30; fails=1
fi
"$W" doctor > "$T/doctor.txt" 2>&1 && echo "ok   doctor passes" || { echo "FAIL doctor: $(cat "$T/doctor.txt")"; fails=1; }
exit $fails
