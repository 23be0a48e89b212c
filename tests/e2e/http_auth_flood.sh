#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/http_auth_flood.sh — a flood of requests with a bad token: every one gets 401, the
# server keeps serving, at most 20 a second become http.auth_failed events of their own, and
# none goes uncounted: events + their suppressed_before counts + the run's close count = the
# number of rejected requests (spec/http.md R-HTTP-027).
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T"
"$W" init --quiet || { echo "FAIL: init"; exit 1; }
echo '{"http":{"tokens":[{"name":"t","token":"flood-test-token-0123456789"}]}}' > .motus/config.json
"$W" serve --http 127.0.0.1:0 --port-file port 2>server.err &
PID=$!
for _ in $(seq 1 100); do [ -s port ] && break; kill -0 $PID 2>/dev/null || break; sleep 0.1; done
[ -s port ] || { echo "FAIL: server did not start"; cat server.err; exit 1; }
N=150
python3 - "$(cat port)" "$N" <<'PY' || { echo "FAIL: flood"; exit 1; }
import http.client, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": "motebit_identity", "arguments": {}}})
hdr = {"Authorization": "Bearer wrong-token", "Content-Type": "application/json",
       "Accept": "application/json, text/event-stream"}
for i in range(n):
    c.request("POST", "/mcp", body, hdr)
    r = c.getresponse(); r.read()
    assert r.status == 401, (i, r.status)
# still serving: the right token works
hdr["Authorization"] = "Bearer flood-test-token-0123456789"
c.request("POST", "/mcp", body, hdr)
r = c.getresponse(); out = json.loads(r.read())
assert r.status == 200 and out["result"]["structuredContent"]["motebit_id"], out
PY
kill -TERM $PID; wait $PID; rc=$?; PID=
[ $rc = 0 ] || { echo "FAIL: server exit $rc"; tail -3 server.err; exit 1; }
python3 - .motus/kernel-store.db "$N" <<'PY' || { echo "FAIL: accounting"; exit 1; }
import json, sqlite3, sys
db, n = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
ev = [json.loads(p) for (p,) in db.execute("select payload from events where event_kind='http.auth_failed'")]
closed = [json.loads(p) for (p,) in db.execute(
    "select e.payload from events e join events s on s.run_id=e.run_id and s.event_kind='http.auth_failed'"
    " where e.event_kind='work.closed' group by e.run_id")]
assert len(closed) == 1, closed
total = len(ev) + sum(e.get("suppressed_before", 0) for e in ev) + closed[0].get("suppressed_auth_failures", 0)
assert total == n, (len(ev), total, n)
assert len(ev) < n, "the flood was not rate-limited: %d events" % len(ev)
assert all("wrong-token" not in json.dumps(e) for e in ev), "a token reached the Store"
print("http_auth_flood: %d rejected, %d recorded one by one, all counted" % (n, len(ev)))
PY
