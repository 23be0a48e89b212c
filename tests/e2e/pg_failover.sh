#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/pg_failover.sh — a node keeps serving across a PostgreSQL restart (issue #18): a
# `serve --http` node on a throwaway cluster (tests/support/pg.sh) records calls; the server is
# stopped hard (pg_ctl -m immediate, as a crash or failover) and started again; calls made while
# it is down fail cleanly (an error answer, never a success that was not stored) and the node
# does not exit; once the server is back the node reconnects by itself and calls succeed; every
# acknowledged call is in the Store and doctor passes. Polls with bounds, no sleeps for ordering.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
W=$(cd "$(dirname "$W")" && pwd)/$(basename "$W")
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
# shellcheck source=tests/support/pg.sh
. "$SRC/tests/support/pg.sh"
pg_start
rc=$?
[ $rc -eq 0 ] || exit $rc
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; pg_stop; }
trap cleanup EXIT
cd "$T" || exit 1
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
TOKEN=pg-failover-token-0123456789abcdef
export MOTUS_KERNEL_STORE_PATH=$WL_PG_URI
"$W" init --quiet || { bad init; exit 1; }
printf '{"profile":"service","http":{"tokens":[{"name":"agent","token":"%s"}]}}' "$TOKEN" > .motus/config.json
"$W" serve --http 127.0.0.1:0 --port-file port 2> server.err &
PID=$!
for _ in $(seq 1 300); do [ -s port ] && break; kill -0 $PID 2>/dev/null || break; sleep 0.1; done
[ -s port ] || { bad "node did not start: $(tail -3 server.err)"; exit 1; }
U="http://127.0.0.1:$(cat port)/mcp"
N=0
remember() { # -> prints ok <memory id> | err <text>
  N=$((N + 1))
  curl -s -m 60 -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    -H "Accept: application/json, text/event-stream" -H "MCP-Protocol-Version: 2025-11-25" \
    --data "{\"jsonrpc\":\"2.0\",\"id\":$N,\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_remember\",\"arguments\":{\"content\":\"failover note $N\"}}}" \
    "$U" | python3 -c 'import json,sys
try:
    d = json.load(sys.stdin)
except Exception:
    print("err no-json"); sys.exit()
r = d.get("result")
if r and not r.get("isError") and (r.get("structuredContent") or {}).get("node_id"):
    print("ok", r["structuredContent"]["node_id"])
else:
    print("err", json.dumps(d)[:160])'
}
: > acked.txt
for _ in 1 2 3; do
  read -r st id < <(remember)
  [ "$st" = ok ] && echo "$id" >> acked.txt
done
[ "$(wc -l < acked.txt)" = 3 ] && ok "calls recorded before the failover" || bad "calls before the failover: $(wc -l < acked.txt)"

pg_as "$WL_PG_BIN/pg_ctl" -D "$WL_PG_DATA" -m immediate -w stop > /dev/null 2>&1 || bad "pg_ctl stop"
down_ok=0 down_err=0
for _ in 1 2 3; do
  read -r st id < <(remember)
  if [ "$st" = ok ]; then down_ok=$((down_ok + 1)); echo "$id" >> acked.txt; else down_err=$((down_err + 1)); fi
done
[ $down_ok = 0 ] && [ $down_err = 3 ] && ok "while PostgreSQL is down every call fails cleanly" || bad "while down: $down_ok acknowledged, $down_err failed"
kill -0 $PID 2>/dev/null && ok "the node keeps running" || bad "the node exited: $(tail -3 server.err)"

pg_as "$WL_PG_BIN/pg_ctl" -D "$WL_PG_DATA" -l "$WL_PG_DIR/server.log" -w -t 120 \
  -o "-c listen_addresses='' -c unix_socket_directories='$WL_PG_DIR'" start > /dev/null 2>&1 || bad "pg_ctl start"
back=0
for _ in $(seq 1 100); do
  read -r st id < <(remember)
  if [ "$st" = ok ]; then echo "$id" >> acked.txt; back=1; break; fi
  sleep 0.2
done
[ $back = 1 ] && ok "after the restart the node reconnects and calls succeed" || bad "no call succeeded after the restart"
for _ in 1 2 3 4 5; do
  read -r st id < <(remember)
  [ "$st" = ok ] && echo "$id" >> acked.txt || bad "a call after the reconnect failed: $id"
done
missing=0
while read -r id; do
  [ "$(psql -X -At "$WL_PG_URI" -c "SELECT count(*) FROM memories WHERE memory_id = '$id'")" = 1 ] || missing=$((missing + 1))
done < acked.txt
[ $missing = 0 ] && ok "all $(wc -l < acked.txt) acknowledged calls are in the Store" || bad "$missing acknowledged calls missing"
grep -q 'S3cret\|password' server.err && bad "the server log mentions a password" || ok "no password in the server log"
"$W" doctor > doctor.txt 2>&1 && ok "doctor passes" || { bad doctor; grep -v PASS doctor.txt; }
echo "pg_failover: $fails failures"
[ $fails = 0 ]
