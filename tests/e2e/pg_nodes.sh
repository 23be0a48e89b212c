#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/pg_nodes.sh — several nodes, one ledger (issue #18): a throwaway PostgreSQL cluster
# (tests/support/pg.sh), `init` on it, and two `serve --http` nodes on the one Store sharing one
# service identity (.motus/identity copied). 1. 200 concurrent motus_work_claim calls of one work
# id split across both nodes: exactly one succeeds, the other 199 answer busy naming that lease,
# and the Store holds exactly one lease for the work id. 2. 10,000 motus_work_evidence calls on
# that lease (one run: both nodes append to it) split across the nodes, node B SIGKILLed
# mid-load (its clients then go to node A, as behind a load balancer): every acknowledged call's
# evidence is in the run at the seq it was acknowledged with, seq is 1..N without gaps, and
# `doctor` passes. No sleeping for ordering: waits poll with bounds.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
W=$(cd "$(dirname "$W")" && pwd)/$(basename "$W")
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
# shellcheck source=tests/support/pg.sh
. "$SRC/tests/support/pg.sh"
pg_start
rc=$?
[ $rc -eq 0 ] || exit $rc
T=$(mktemp -d)
PA= PB=
cleanup() {
  [ -n "$PA" ] && kill "$PA" 2>/dev/null
  [ -n "$PB" ] && kill "$PB" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$T"
  pg_stop
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
TOKEN=pg-nodes-token-0123456789abcdef
export MOTUS_KERNEL_STORE_PATH=$WL_PG_URI
psq() { psql -X -At "$WL_PG_URI" -c "$1"; }

mkdir -p "$T/a" "$T/b"
(cd "$T/a" && "$W" init --quiet) || { bad "init on PostgreSQL"; exit 1; }
cp -a "$T/a/.motus" "$T/b/" # one service identity provisioned to every node
for n in a b; do
  cat > "$T/$n/.motus/config.json" <<JSON
{"profile": "service", "http": {"tokens": [{"name": "agent", "token": "$TOKEN"}]}}
JSON
done
start() { # dir -> pid in $STARTED
  (cd "$1" && rm -f port && exec "$W" serve --http 127.0.0.1:0 --port-file port 2>>server.err) &
  STARTED=$!
  for _ in $(seq 1 300); do [ -s "$1/port" ] && return 0; kill -0 $STARTED 2>/dev/null || break; sleep 0.1; done
  echo "node in $1 did not start:"; tail -5 "$1/server.err"; return 1
}
start "$T/a" || exit 1
PA=$STARTED
start "$T/b" || exit 1
PB=$STARTED
UA="http://127.0.0.1:$(cat "$T/a/port")/mcp"
UB="http://127.0.0.1:$(cat "$T/b/port")/mcp"
ok "two nodes serve one PostgreSQL Store"

cat > "$T/drive.py" <<'PY'
import json, sys, threading, http.client, urllib.parse, os, signal, time
mode, ua, ub, token = sys.argv[1:5]
urls = [urllib.parse.urlparse(ua), urllib.parse.urlparse(ub)]
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json",
     "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
dead = set()
def call(node, conns, name, args, i):
    """One tools/call on node; (structuredContent, isError) or None when the node is unreachable."""
    u = urls[node]
    c = conns.get(node)
    if c is None:
        c = conns[node] = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                       "params": {"name": name, "arguments": args}})
    try:
        c.request("POST", u.path, body, H)
        r = c.getresponse()
        data = r.read()
    except (OSError, http.client.HTTPException):
        conns.pop(node, None)
        return None
    if r.status != 200:
        return ({"http": r.status}, True)
    res = json.loads(data).get("result")
    if res is None:
        return ({"rpc_error": json.loads(data).get("error")}, True)
    sc = res.get("structuredContent")
    if sc is None:  # a tool error: its text
        sc = {"text": "".join(c.get("text", "") for c in res.get("content", []))}
    return (sc, bool(res.get("isError")))

if mode == "claims":
    out = [None] * 200
    def worker(k):
        conns = {}
        for i in range(k, 200, 25):
            out[i] = call(i % 2, conns, "motus_work_claim", {"work_id": "W-RACE", "intent": "race"}, i)
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(25)]
    [t.start() for t in ts]; [t.join() for t in ts]
    json.dump(out, sys.stdout)
    sys.exit(0)

# mode "load": N evidence calls on one lease, from 16 threads, alternating nodes; after KILL_AT
# acknowledgements node B is SIGKILLed; a call that B did not answer goes to A (a load balancer)
lease, n, kill_at, pid_b = sys.argv[5], int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
acked, lock, next_i = [], threading.Lock(), [0]
failed = [0]
def worker():
    conns = {}
    while True:
        with lock:
            i = next_i[0]; next_i[0] += 1
            if i >= n:
                return
            if len(acked) >= kill_at and pid_b not in dead:
                dead.add(pid_b)
                os.kill(pid_b, signal.SIGKILL)
        node = 1 if (i % 2 and pid_b not in dead) else 0
        args = {"lease_id": lease, "kind": "test_result", "passed": i, "uri": "urn:call:%d" % i}
        r = call(node, conns, "motus_work_evidence", args, i)
        if r is None and node == 1:
            r = call(0, conns, "motus_work_evidence", args, i)
        if r is None or r[1]:
            with lock:
                failed[0] += 1
            continue
        with lock:
            acked.append({"i": i, "evidence_id": r[0]["evidence_id"], "seq": r[0].get("seq")})
ts = [threading.Thread(target=worker) for _ in range(16)]
[t.start() for t in ts]; [t.join() for t in ts]
json.dump({"acked": acked, "failed": failed[0]}, sys.stdout)
PY

# ---- 1. 200 concurrent claims of one work id across both nodes: exactly one lease ---------------
python3 "$T/drive.py" claims "$UA" "$UB" "$TOKEN" > "$T/claims.json" || bad "claims driver failed"
python3 - "$T/claims.json" > "$T/claims.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wins = [x[0] for x in r if x and not x[1]]
isbusy = lambda x: x and x[1] and " is busy: lease " in x[0].get("text", "")
busy = [x[0] for x in r if isbusy(x)]
other = [x for x in r if not x or (x[1] and not isbusy(x))]
lease = wins[0]["lease_id"] if len(wins) == 1 else ""
same = all(("lease " + lease + " ") in b["text"] for b in busy)
print(len(wins), len(busy), len(other), lease, int(same), json.dumps(other[:2]))
PY
read -r WINS BUSY OTHER LEASE SAME REST < "$T/claims.txt"
if [ "$WINS" = 1 ] && [ "$BUSY" = 199 ] && [ "$SAME" = 1 ]; then
  ok "200 concurrent claims on two nodes: 1 lease, 199 busy naming it"
else
  bad "claims: $WINS won, $BUSY busy, $OTHER other ($REST), busy name the winner: $SAME"
fi
NL=$(psq "SELECT count(*) FROM runs WHERE work_id = 'W-RACE' AND lease_status = 'active'")
[ "$NL" = 1 ] && ok "the Store holds exactly one active lease for the work id" || bad "active leases for W-RACE: $NL"
NT=$(psq "SELECT count(*) FROM runs WHERE work_id = 'W-RACE'")
[ "$NT" = 1 ] && ok "and exactly one run" || bad "runs for W-RACE: $NT"

# ---- 2. 10,000 calls across both nodes, node B SIGKILLed mid-load ------------------------------
N=${PG_NODES_CALLS:-10000}
python3 "$T/drive.py" load "$UA" "$UB" "$TOKEN" "$LEASE" "$N" $((N / 3)) "$PB" > "$T/load.json" || bad "load driver failed"
wait "$PB" 2>/dev/null
PB=
RUN=$(psq "SELECT run_id FROM runs WHERE lease_id = '$LEASE'")
psq "SELECT seq, payload FROM events WHERE run_id = '$RUN' ORDER BY seq" > "$T/events.txt"
python3 - "$T/load.json" "$T/events.txt" "$N" > "$T/load.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
acked, n = d["acked"], int(sys.argv[3])
seqs, by_eid = [], {}
for line in open(sys.argv[2]):
    seq, payload = line.rstrip("\n").split("|", 1)
    seqs.append(int(seq))
    for ref in json.loads(payload).get("evidence_refs", []):
        by_eid[ref.get("evidence_id")] = int(seq)
missing = [a for a in acked if by_eid.get(a["evidence_id"]) is None]
wrong = [a for a in acked if a["seq"] is not None and by_eid.get(a["evidence_id"]) not in (None, a["seq"])]
contiguous = seqs == list(range(1, len(seqs) + 1))
print(len(acked), d["failed"], len(missing), len(wrong), int(contiguous), len(seqs))
PY
read -r ACKED FAILED MISSING WRONG CONTIG NEV < "$T/load.txt"
echo "     $ACKED of $N calls acknowledged ($FAILED failed or unanswered), $NEV events in the run"
[ "$MISSING" = 0 ] && [ "$ACKED" -gt 0 ] && ok "every acknowledged call is in the Store" || bad "$MISSING acknowledged calls missing"
[ "$WRONG" = 0 ] && ok "each at the seq it was acknowledged with" || bad "$WRONG calls at another seq"
[ "$CONTIG" = 1 ] && ok "seq 1..$NEV without gaps" || bad "seq not contiguous"
[ "$ACKED" -ge $((N * 9 / 10)) ] && ok "at least 90% acknowledged despite the kill" || bad "only $ACKED acknowledged"
kill -0 "$PA" 2>/dev/null && ok "node A kept serving" || bad "node A died"
(cd "$T/a" && "$W" doctor > "$T/doctor.txt" 2>&1)
rc=$?
[ $rc = 0 ] && ok "doctor passes" || { bad "doctor: exit $rc"; grep -v PASS "$T/doctor.txt"; }

echo "pg_nodes: $fails failures"
[ $fails = 0 ]
