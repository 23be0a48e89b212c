#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/chat_node.sh — runs tests/e2e/node/chat.test.mjs: the official MCP TypeScript SDK
# client against the real `workledger serve` over stdio. Installs the pinned test dependencies
# from package-lock.json (`npm ci`) when node_modules is missing. Exit 77 (skip) only when node
# or npm is absent.
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
DIR=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/node
command -v node >/dev/null || { echo "SKIP: node is not installed"; exit 77; }
command -v npm >/dev/null || { echo "SKIP: npm is not installed"; exit 77; }
cd "$DIR"
# one install at a time: the node tests run in parallel under ctest -j
exec 9>"${TMPDIR:-/tmp}/workledger-e2e-node.lock"
flock 9
if [ ! -d node_modules/@modelcontextprotocol/sdk ]; then
  npm ci --silent --no-audit --no-fund >&2
fi
flock -u 9
exec node chat.test.mjs "$BIN"
