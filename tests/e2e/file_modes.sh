#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/file_modes.sh — the node's secrets are refused when others could read or replace them
# (issue #17): a .motus or identity/ directory writable by group or others, or a key readable by
# them, makes `serve` and `token mint` fail with one line
# naming the path, its mode and the chmod that fixes it, and `doctor` report file_modes FAIL (exit
# 1); after that chmod everything works again and doctor passes.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
T=$(mktemp -d)
trap 'chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
"$W" init --quiet || exit 1
fails=0
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}'
refused() { # what, path, fix-substring
  local rc
  echo "$INIT" | timeout 30 "$W" serve >out.txt 2>err.txt
  rc=$?
  if [ $rc -ne 0 ] && [ ! -s out.txt ] && grep -q "$2" err.txt && grep -q "chmod $3" err.txt; then
    echo "ok   serve refuses $1: $(grep "$2" err.txt | head -1)"
  else
    echo "FAIL serve with $1: rc $rc, $(cat err.txt | tail -2), out $(head -c 200 out.txt)"; fails=$((fails + 1))
  fi
  if timeout 30 "$W" token mint --aud task:submit >/dev/null 2>err.txt || ! grep -q "chmod $3" err.txt; then
    echo "FAIL token mint with $1: $(cat err.txt)"; fails=$((fails + 1))
  fi
  timeout 30 "$W" doctor > doc.txt 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q "^FAIL  file_modes: .*$2" doc.txt; then
    echo "ok   doctor reports $1"
  else
    echo "FAIL doctor with $1: rc $rc, $(grep file_modes doc.txt)"; fails=$((fails + 1))
  fi
}
works() {
  echo "$INIT" | timeout 30 "$W" serve >out.txt 2>err.txt && grep -q '"protocolVersion"' out.txt &&
    timeout 30 "$W" doctor >doc.txt 2>&1 && grep -q "^PASS  file_modes" doc.txt &&
    echo "ok   after $1 everything works" || { echo "FAIL after $1: $(tail -2 err.txt) $(grep file_modes doc.txt)"; fails=$((fails + 1)); }
}
works "init"
chmod 0777 .motus
refused ".motus mode 0777" "$T/.motus has mode 0777" "go-w"
chmod go-w .motus
works "chmod go-w .motus"
chmod 0777 .motus/identity
refused "identity/ mode 0777" "identity has mode 0777" "go-w"
chmod 0700 .motus/identity
chmod 0666 .motus/identity/key
refused "key mode 0666" "key has mode 0666" "600"
chmod 0644 .motus/identity/key
refused "key mode 0644 (readable by others)" "key has mode 0644" "600"
chmod 0600 .motus/identity/key
works "chmod 600 key"
exit $fails
