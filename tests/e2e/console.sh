#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/console.sh — the operator console (issue #19, spec/http.md "The console"). Makes a
# three-node delegation chain (examples/delegation/run.sh, nodes A → B → C) and serves node A's
# Store with `serve --http`, an operator token and an agent token; then over plain HTTP: every
# console response (/, the files, HEAD, a POST, a bad path's 405) carries the CSP; a request
# without a valid token gets no ledger data; a cross-origin POST is refused even with the operator
# token; and with `http.console: false` nothing is served at /. Then the browser test
# (tests/e2e/console/console.test.mjs: Debian's chromium driven by puppeteer-core, pinned in
# tests/e2e/console/package-lock.json) signs in, approves and denies calls held for a real MCP
# SDK client, opens the runs and the delegation receipt (three verified nodes), tampers with the
# stored receipt (not verified) and writes screenshots of every page at desktop and phone widths
# into $WL_BUILD_DIR/console-screenshots. Exit 77 (skip) without chromium, node or npm.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
OUTDIR=${WL_BUILD_DIR:-$PWD}/console-screenshots
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium is not installed (scripts/install-deps.sh installs it)"; exit 77; }
command -v node >/dev/null || { echo "SKIP: node is not installed"; exit 77; }
command -v npm >/dev/null || { echo "SKIP: npm is not installed"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }
case $W in /*) ;; *) W=$PWD/$W ;; esac
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

D=$SRC/tests/e2e/console
(
  flock 9
  if [ ! -d "$D/node_modules/puppeteer-core" ] || [ ! -d "$D/node_modules/@modelcontextprotocol/sdk" ]; then
    cd "$D" && timeout 600 npm ci --silent --no-audit --no-fund >&2
  fi
) 9>"${TMPDIR:-/tmp}/workledger-console-npm-$(id -u).lock" || { echo "SKIP: npm ci failed in tests/e2e/console"; exit 77; }

# the chain: A's Store keeps A's ExecutionReceipt with B's and C's nested in it
RCPT=$(WORKLEDGER_BIN=$W DELEGATION_DIR=$T/chain bash "$SRC/examples/delegation/run.sh" 2>"$T/chain.err") ||
  { bad "delegation chain: $(tail -3 "$T/chain.err")"; exit 1; }
TASK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["task_id"])' "$RCPT") || { bad "no task_id: $RCPT"; exit 1; }
A=$T/chain/a
OP=operator-console-token-0123456789
AG=agent-console-token-0123456789
cat >"$A/.motus/config.json" <<EOF
{"profile": "service",
 "http": {"tokens": [{"name": "op", "token": "$OP", "operator": true}, {"name": "agent", "token": "$AG"}]},
 "policy": {"preset": "balanced", "approval_wait_s": 300}}
EOF
start() {
  rm -f "$T/port"
  (cd "$A" && exec "$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>>"$T/server.err") &
  PID=$!
  for _ in $(seq 1 300); do [ -s "$T/port" ] && break; kill -0 $PID 2>/dev/null || break; sleep 0.1; done
  [ -s "$T/port" ] || { bad "server did not start: $(tail -3 "$T/server.err")"; exit 1; }
  U=http://127.0.0.1:$(cat "$T/port")
}
start

# CSP on every console response
for spec in "GET /" "GET /index.html" "GET /console.js" "GET /console.css" "HEAD /" "POST /" "DELETE /console.js"; do
  set -- $spec
  hdr=$(curl -s -o /dev/null -D - -X "$1" "$U$2" $([ "$1" = HEAD ] && echo -I))
  st=$(printf '%s' "$hdr" | head -n1 | awk '{print $2}')
  if printf '%s' "$hdr" | grep -qi "^Content-Security-Policy: default-src 'none'; script-src 'self'"; then
    ok "CSP on $spec ($st)"
  else
    bad "no CSP on $spec ($st)"
  fi
done
body=$(curl -s "$U/")
grep -q '<script src="/console.js"' <<<"$body" && ! grep -qE '<script>|<script [^>]*>[^<]' <<<"$body" &&
  ! grep -qiE ' on[a-z]+="|style="' <<<"$body" && ok "no inline script or style in the page" || bad "inline script or style in the page"
grep -q 'run_\|appr_' <<<"$body" && bad "the page itself holds ledger data" || ok "the page holds no ledger data"

# no ledger data without a valid token
READ='{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"workledger://receipts"}}'
for auth in "" "Authorization: Bearer wrong-token" "Cookie: token=$OP"; do
  st=$(curl -s -o "$T/b" -w '%{http_code}' -X POST "$U/mcp" -H 'Content-Type: application/json' \
    -H 'Accept: application/json' ${auth:+-H "$auth"} --data-binary "$READ")
  if [ "$st" = 401 ] && ! grep -q "$TASK" "$T/b"; then ok "no ledger data with '${auth:-no token}' (401)"; else bad "'${auth:-no token}': $st $(head -c 200 "$T/b")"; fi
done
st=$(curl -s -o "$T/b" -w '%{http_code}' -X POST "$U/mcp" -H 'Content-Type: application/json' \
  -H 'Accept: application/json' -H "Authorization: Bearer $OP" --data-binary "$READ")
[ "$st" = 200 ] && grep -q "$TASK" "$T/b" && ok "the operator token reads the receipts" || bad "operator read: $st"
# cross-origin POST refused, even with the operator's token (and a form-encoded one too)
DECIDE='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"workledger_approval_decide","arguments":{"approval_id":"x","verdict":"approve"}}}'
st=$(curl -s -o "$T/b" -w '%{http_code}' -X POST "$U/mcp" -H 'Origin: http://evil.example' -H 'Content-Type: application/json' \
  -H 'Accept: application/json' -H "Authorization: Bearer $OP" --data-binary "$DECIDE")
[ "$st" = 403 ] && ok "cross-origin POST refused (403)" || bad "cross-origin POST: $st"
st=$(curl -s -o "$T/b" -w '%{http_code}' -X POST "$U/mcp" -H "Origin: $U" -H 'Content-Type: text/plain' \
  -H "Authorization: Bearer $OP" --data-binary "$DECIDE")
[ "$st" = 415 ] && ok "a simple (CORS-less) text/plain POST is refused (415)" || bad "text/plain POST: $st"
st=$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS "$U/mcp" -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: POST')
[ "$st" = 403 ] && ok "cross-origin preflight refused (403)" || bad "preflight: $st"

# the browser
SHOTS=$OUTDIR
rm -rf "$SHOTS"
# tampering as someone editing the Store file would: around the immutability trigger, the
# innermost (node C) result is rewritten; the trigger is put back as it was
cat >"$T/tamper.py" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
trig = c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'receipts'").fetchall()
for name, _ in trig:
    c.execute('DROP TRIGGER "%s"' % name)
n = c.execute("UPDATE receipts SET json = json_set(json, '$.delegation_receipts[0].delegation_receipts[0].result', 'TAMPERED') WHERE receipt_id = ?", (sys.argv[2],)).rowcount
for _, sql in trig:
    c.execute(sql)
c.commit()
assert n == 1, "no receipt %s" % sys.argv[2]
EOF
TAMPER="python3 $T/tamper.py $A/.motus/kernel-store.db $TASK"
(cd "$D" && CHROMIUM=$CHROMIUM timeout 600 node console.test.mjs "$U" "$OP" "$AG" "$TASK" "$SHOTS" "$TAMPER") || bad "the browser test"
n=$(ls "$SHOTS"/*-desktop.png "$SHOTS"/*-phone.png 2>/dev/null | wc -l)
[ "$n" -ge 14 ] && ok "$n screenshots in $SHOTS" || bad "only $n screenshots in $SHOTS"

# console off: nothing at /
kill "$PID"; wait "$PID" 2>/dev/null; PID=
python3 - "$A/.motus/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["http"]["console"] = False; json.dump(c, open(sys.argv[1], "w"))
EOF
start
st=$(curl -s -o "$T/b" -w '%{http_code}' "$U/")
[ "$st" = 404 ] && ! grep -q '<html' "$T/b" && ok "http.console false: / is 404" || bad "console off: $st"
st=$(curl -s -o /dev/null -w '%{http_code}' "$U/console.js")
[ "$st" = 404 ] && ok "http.console false: /console.js is 404" || bad "console off js: $st"

[ $fails = 0 ] || { echo "--- server stderr:"; tail -n 30 "$T/server.err"; }
echo "console.sh: $fails failed"
exit $((fails > 0))
