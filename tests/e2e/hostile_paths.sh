#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/hostile_paths.sh — paths cannot be turned against the server or the operator (#17):
#  - `work receipt --export DIR` with a symbolic link planted at DIR/receipt.json is refused with
#    one line and exit 1, the link's target is unchanged and no temporary file is left; without the
#    link the three files are written (mode 0644);
#  - CLI `work evidence --file`: a FIFO, a symbolic link, a directory and /dev/zero are refused at
#    once with a one-line message and exit 2 (nothing hangs: every call runs under `timeout`), a
#    regular file is hashed (streamed) and its digest equals sha256sum's;
#  - over HTTP, a remote caller naming /etc/shadow, a FIFO or a missing path as `file` is denied by
#    the gate before anything is opened (rule remote_file, the same message whether the path exists
#    or not), each answer within 5 s (curl's own time; the issue's "at once": a FIFO once hung
#    a worker for good), and the Store gains no evidence event; with policy.path_allowlist set, a file under it
#    is hashed and one outside it is denied (path_allowlist);
#  - over HTTP in the service profile, `motus_wrap` of /bin/sh is denied (remote_argv) unless the
#    program is on policy.argv_allowlist; a listed program runs, an unlisted one is denied.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
cd "$T" || exit 1
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
"$W" init --quiet || { bad init; exit 1; }
mkdir -p allowed
echo "artifact bytes" > allowed/artifact.txt
mkfifo allowed/fifo
ln -s /etc/passwd allowed/link
LEASE=$("$W" work claim ADHOC-FILES --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lease_id"])')
[ -n "$LEASE" ] || { bad "claim"; exit 1; }

for f in allowed/fifo allowed/link allowed /dev/zero; do
  timeout 20 "$W" work evidence "$LEASE" artifact --file "$f" 2>"$T/err"
  rc=$?
  if [ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    grep -Eq "not a regular file|symbolic link|directory" "$T/err"; then
    ok "CLI --file $f refused: $(cat "$T/err")"
  else
    bad "CLI --file $f: rc $rc, $(cat "$T/err")"
  fi
done
got=$(timeout 20 "$W" work evidence "$LEASE" artifact --file allowed/artifact.txt --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"]["value"])')
[ "$got" = "$(sha256sum allowed/artifact.txt | cut -c1-64)" ] && ok "CLI regular file hashed" ||
  bad "CLI regular file digest $got"

"$W" work release "$LEASE" success --summary "files checked" >/dev/null 2>&1 || bad "release"
mkdir -p exp
echo "operator's precious file" > precious
ln -s "$T/precious" exp/receipt.json
"$W" work receipt "$LEASE" --export exp 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "symbolic link" "$T/err" &&
  [ "$(cat precious)" = "operator's precious file" ] && [ -L exp/receipt.json ] &&
  [ -z "$(ls -A exp | grep -v '^receipt.json$')" ]; then
  ok "export through a planted symlink refused, target unchanged: $(cat "$T/err")"
else
  bad "symlinked export: rc $rc, $(cat "$T/err"), precious=$(cat precious), exp=$(ls -A exp)"
fi
rm exp/receipt.json
if "$W" work receipt "$LEASE" --export exp >/dev/null 2>"$T/err" &&
  [ "$(stat -c %a exp/receipt.json exp/store-export.json exp/projection-manifest.json | sort -u)" = 644 ] &&
  [ "$(ls -A exp | wc -l)" -eq 3 ]; then
  ok "export written (3 files, 0644)"
else
  bad "export: $(cat "$T/err") $(ls -lA exp)"
fi
LEASE=$("$W" work claim ADHOC-FILES-2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lease_id"])')

serve_http() { # config JSON
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  echo "$1" > .motus/config.json
  rm -f "$T/port"
  "$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>>"$T/server.err" &
  PID=$!
  for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
  [ -s "$T/port" ] || { bad "server did not start: $(tail -3 "$T/server.err")"; exit 1; }
}
call() { # file → the tools/call result JSON on stdout; the request's milliseconds in $T/ms
  local body
  body=$(python3 -c 'import json,sys; print(json.dumps({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"motus_work_evidence","arguments":{"lease_id":sys.argv[1],"kind":"artifact","file":sys.argv[2]}}}))' "$LEASE" "$1")
  timeout 20 curl -s -X POST "http://127.0.0.1:$(cat "$T/port")/mcp" -H 'Content-Type: application/json' \
    -H 'Accept: application/json' -H 'Authorization: Bearer e2e-files-token-0123456789' \
    -H 'MCP-Protocol-Version: 2025-11-25' --data-binary "$body" -w '\n%{time_total}' >"$T/resp"
  echo 99999 >"$T/ms"
  [ -s "$T/resp" ] && tail -n1 "$T/resp" | awk '{ printf "%d\n", $1 * 1000 }' >"$T/ms"
  sed '$d' "$T/resp"
}
events() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM events WHERE event_kind = ?", ("evidence.referenced",)).fetchone()[0])' "$MOTUS_KERNEL_STORE_PATH"; }

TOK='{"name":"ci","token":"e2e-files-token-0123456789"}'
serve_http "{\"policy\":{\"preset\":\"autonomous\"},\"http\":{\"tokens\":[$TOK]}}"
before=$(events)
msgs=
for f in /etc/shadow "$T/allowed/fifo" "$T/allowed/no-such-file"; do
  out=$(call "$f")
  dt=$(cat "$T/ms")
  msg=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1])["result"]; assert r["isError"]; print(r["content"][0]["text"])' "$out" 2>/dev/null)
  if [ -n "$msg" ] && echo "$msg" | grep -q "only the local operator" && [ "$dt" -lt 5000 ]; then
    ok "HTTP file=$f denied at once (${dt} ms)"
    msgs="$msgs$msg
"
  else
    bad "HTTP file=$f: $out"
  fi
done
[ "$(printf '%s' "$msgs" | sort -u | wc -l)" -eq 1 ] && ok "one message whether the path exists or not" ||
  bad "messages differ by path: $msgs"
[ "$(events)" = "$before" ] && ok "no evidence recorded" || bad "evidence events grew"

serve_http "{\"policy\":{\"preset\":\"autonomous\",\"path_allowlist\":[\"$T/allowed\"]},\"http\":{\"tokens\":[$TOK]}}"
out=$(call "$T/allowed/artifact.txt")
python3 -c 'import json,sys; r=json.loads(sys.argv[1])["result"]; assert not r.get("isError"), r' "$out" &&
  ok "HTTP file under path_allowlist hashed" || bad "allowed file: $out"
out=$(call "/etc/passwd")
echo "$out" | grep -q "outside the allowed paths" && ok "HTTP file outside path_allowlist denied" ||
  bad "outside: $out"
out=$(call "$T/allowed/fifo")
dt=$(cat "$T/ms")
echo "$out" | grep -q "not a regular file" && [ "$dt" -lt 5000 ] &&
  ok "HTTP FIFO under path_allowlist refused at once (${dt} ms)" || bad "allowed fifo ($dt ms): $out"
# motus_wrap from a remote caller, service profile (R3 runs): only programs the operator listed
wrap() { # argv JSON → result JSON
  local body
  body=$(python3 -c 'import json,sys; print(json.dumps({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"motus_wrap","arguments":{"argv":json.loads(sys.argv[1])}}}))' "$1")
  timeout 30 curl -s -X POST "http://127.0.0.1:$(cat "$T/port")/mcp" -H 'Content-Type: application/json' \
    -H 'Accept: application/json' -H 'Authorization: Bearer e2e-files-token-0123456789' \
    -H 'MCP-Protocol-Version: 2025-11-25' --data-binary "$body"
}
serve_http "{\"profile\":\"service\",\"http\":{\"tokens\":[$TOK]}}"
out=$(wrap '["/bin/sh","-c","touch '"$T"'/pwned"]')
echo "$out" | grep -q "only the local operator" && [ ! -e "$T/pwned" ] &&
  ok "HTTP motus_wrap /bin/sh refused without policy.argv_allowlist" || bad "remote wrap: $out"
serve_http "{\"profile\":\"service\",\"policy\":{\"argv_allowlist\":[\"echo\"]},\"http\":{\"tokens\":[$TOK]}}"
out=$(wrap '["echo","allowed"]')
python3 -c 'import json,sys; r=json.loads(sys.argv[1])["result"]; assert not r.get("isError"), r' "$out" &&
  ok "HTTP motus_wrap echo (listed) runs" || bad "listed wrap: $out"
out=$(wrap '["/bin/sh","-c","touch '"$T"'/pwned"]')
echo "$out" | grep -q "not on policy.argv_allowlist" && [ ! -e "$T/pwned" ] &&
  ok "HTTP motus_wrap /bin/sh (not listed) refused" || bad "unlisted wrap: $out"
[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
