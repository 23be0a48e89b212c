#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/cli_messages.sh — messages that say what happened and what to do (issue #16):
# `call` to a server that wants a token suggests --token (and names no internal step such as
# server/discover or initialize), a wrong token says it was refused; a self-signed TLS server
# gets the hint of --cacert FILE, and --cacert with its certificate then works; a busy claim
# names the holder, its lease and expiry in text and with --json. Needs openssl for the TLS
# part (skipped, saying so, without it).
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d.get(k) if isinstance(d,dict) else None
print("" if d is None else d)' "$@"; }
start() { # serve args... ; sets SP and PORT
  rm -f port.txt
  "$W" serve --http 127.0.0.1:0 --port-file port.txt "$@" 2>> serve.err &
  SP=$!
  for _ in $(seq 1 300); do [ -s port.txt ] && break; sleep 0.1; done
  PORT=$(cat port.txt 2>/dev/null)
}
stop() { kill "$SP" 2>/dev/null; wait "$SP" 2>/dev/null; SP=; }
"$W" init --path . --quiet || { bad init; exit 1; }
TOKEN=cli-messages-token-0123456789abcdef01
echo "{\"http\":{\"tokens\":[{\"name\":\"ci\",\"token\":\"$TOKEN\"}]}}" > .motus/config.json

# ---- a server that wants a token ------------------------------------------------------------------
start
for era in auto legacy modern; do
  "$W" call "http://127.0.0.1:$PORT/mcp" motebit_identity --era $era > out.txt 2> err.txt; rc=$?
  check "no token ($era): exit 2, one line suggesting --token" '[ $rc = 2 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -q "wants a token" err.txt && grep -q -- "--token T" err.txt'
  check "no token ($era): no internal step named" '! grep -q "server/discover\|initialize:" err.txt'
done
"$W" call "http://127.0.0.1:$PORT/mcp" --list --token wrong-token-0000000000000000 > out.txt 2> err.txt; rc=$?
check "a wrong token: refused, says so" '[ $rc = 2 ] && grep -q "refused the token" err.txt && ! grep -q "wrong-token" err.txt'
"$W" call "http://127.0.0.1:$PORT/mcp" motebit_identity --token "$TOKEN" > ok.txt; rc=$?
check "the right token works" '[ $rc = 0 ] && grep -q motebit_id ok.txt'
stop

# ---- a self-signed TLS server -------------------------------------------------------------------------
if command -v openssl >/dev/null &&
  openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost > /dev/null 2>&1; then
  start --tls-cert cert.pem --tls-key key.pem
  "$W" call "https://localhost:$PORT/mcp" motebit_identity --token "$TOKEN" > out.txt 2> err.txt; rc=$?
  check "self-signed: exit 2 with the hint of --cacert" '[ $rc = 2 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -q -- "--cacert FILE" err.txt'
  check "self-signed: no internal step named" '! grep -q "server/discover\|initialize:" err.txt'
  "$W" call "https://localhost:$PORT/mcp" motebit_identity --token "$TOKEN" --cacert cert.pem > ok.txt 2> err.txt; rc=$?
  check "--cacert with the server's certificate works" '[ $rc = 0 ] && grep -q motebit_id ok.txt'
  "$W" call "https://localhost:$PORT/mcp" motebit_identity --cacert cert.pem > out.txt 2> err.txt; rc=$?
  check "TLS trusted but no token: the --token hint, not the --cacert one" '[ $rc = 2 ] && grep -q "wants a token" err.txt && ! grep -q -- "--cacert" err.txt'
  stop
else
  echo "skip TLS messages: openssl missing or cannot make a certificate"
fi

# ---- a busy claim names the holder -------------------------------------------------------------------
"$W" work claim MSG-1 --actor agent:first --ttl 600 --json > c.json || bad "first claim"
L=$(jget c.json lease_id)
"$W" work claim MSG-1 > busy.out 2> busy.err; rc=$?
check "busy claim (text): exit 1, one line naming lease, holder and expiry" '[ $rc = 1 ] && [ "$(wc -l < busy.err)" = 1 ] && grep -qF "$L" busy.err && grep -q "actor first" busy.err && grep -qF "$(jget c.json expires_at)" busy.err && [ ! -s busy.out ]'
"$W" work claim MSG-1 --json > busy.json 2> /dev/null; rc=$?
check "busy claim --json prints the holder" '[ $rc = 1 ] && [ "$(jget busy.json busy)" = True ] && [ "$(jget busy.json lease_id)" = "$L" ] && [ "$(jget busy.json actor_id)" = first ] && [ "$(jget busy.json expires_at)" = "$(jget c.json expires_at)" ]'

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "cli_messages: all checks passed"
