#!/usr/bin/env bash
# Installs the Debian packages workledger needs to build and test. Idempotent: quiet and quick
# when everything is already present. Run as root (or with sudo available) on Debian 12.
set -euo pipefail
PKGS=(build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
      libjansson-dev libsodium-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev libmicrohttpd-dev
      libgnutls28-dev libpq-dev postgresql check ca-certificates python3 python3-jsonschema
      python3-cryptography python3-yaml xxd curl strace groff-base chromium)
# chromium: the console's browser tests (tests/e2e/console.sh) drive Debian's headless Chromium
# with puppeteer-core; no browser is downloaded by npm. postgresql: the PostgreSQL engine's tests
# start a cluster of their own (tests/support/pg.sh).
# Node.js (for the end-to-end tests with the official MCP clients): any node with npm will do;
# nodesource's nodejs ships npm itself, Debian's needs the npm package.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
