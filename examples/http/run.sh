#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/http/run.sh — a workledger node over Streamable HTTP with a static bearer token, called
# twice: once with the token (motebit_identity, the signed receipt verified offline), once without
# (refused with 401). Everything lives in a temporary folder that is removed at the end.
# Usage: examples/http/run.sh        (WORKLEDGER_BIN names the binary; default build/release)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=${WORKLEDGER_BIN:-$HERE/../../build/release/workledger}
case $W in /*) ;; *) W=$PWD/$W ;; esac
[ -x "$W" ] || { echo "run.sh: no workledger binary at $W (make build, or set WORKLEDGER_BIN)" >&2; exit 2; }
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T"

# 1. A node: its Store and key in ./.motus, one static token for one remote agent.
"$W" init --quiet
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > .motus/config.json <<JSON
{"http": {"tokens": [{"name": "build-agent", "token": "$TOKEN"}]}}
JSON

# 2. Serve on an ephemeral loopback port (the chosen port is written to ./port).
"$W" serve --http 127.0.0.1:0 --port-file port 2>server.log &
PID=$!
for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.05; done
[ -s port ] || { echo "run.sh: the server did not start:" >&2; cat server.log >&2; exit 1; }
URL="http://127.0.0.1:$(cat port)/mcp"
echo "serving $URL" >&2

# 3. An authenticated call: the result and its receipt.
"$W" call "$URL" motebit_identity '{}' --token "$TOKEN" --json > result.json
echo "motebit_identity with the token:" >&2
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps(r["structuredContent"]))' result.json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); json.dump(r["_meta"]["io.motebit/receipt"], open("receipt.json","w"))' result.json
echo "its receipt, verified offline:" >&2
"$W" verify receipt.json

# 4. The same call without the token is refused (exit 2: HTTP 401).
if "$W" call "$URL" motebit_identity '{}' 2>err.txt; then
  echo "run.sh: an unauthenticated call was accepted" >&2; exit 1
fi
echo "without the token: $(cat err.txt)" >&2
