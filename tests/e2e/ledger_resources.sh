#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/ledger_resources.sh — the ledger as MCP resources over Streamable HTTP (spec/mcp.md
# §5.1, issue #14 "Resources"): a claimed-and-released run and 60 wrapped runs; then, over
# `serve --http` with an agent token and an operator token: resources/templates/list names the
# run, events, Work Receipt, receipt tree and approval templates; resources/list pages (cursor)
# over every run; resources/read of a run, its events (seq 1..N with their hashes) and its Work
# Receipt, which validates against the upstream Motus work-receipt-envelope schema in
# ../shared/fixtures and whose digests recompute; in the 2026-07-28 era too; an unknown run is
# -32002 / -32602; the agent token may not read approvals or health, the operator may; no token
# gets 401 and no ledger data; over stdio, resources/subscribe to an open run gives
# notifications/resources/updated until it closes, and a new run list_changed. Needs python3 (+ jsonschema for the schema check). Exit 77 skips.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SHARED=${WL_SHARED_DIR:-}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T" || exit 1
"$W" init --quiet >/dev/null 2>&1 || { echo "FAIL: init"; exit 1; }
AG=agent-token-0123456789abcdef
OP=operator-token-0123456789abcdef
cat > .motus/config.json <<EOF
{"http":{"tokens":[{"name":"agent","token":"$AG"},{"name":"op","token":"$OP","operator":true}]}}
EOF
L=$("$W" work claim build-42 --intent "resources e2e" --json) || { echo "FAIL: claim"; exit 1; }
LEASE=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["lease_id"])' "$L")
"$W" work evidence "$LEASE" test --passed 3 --json >/dev/null || { echo "FAIL: evidence"; exit 1; }
R=$("$W" work release "$LEASE" success --summary done --json) || { echo "FAIL: release"; exit 1; }
RUN=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["run_id"])' "$R")
for i in $(seq 1 60); do "$W" wrap -- true >/dev/null 2>&1 || { echo "FAIL: wrap $i"; exit 1; }; done

"$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>"$T/server.err" &
PID=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; kill -0 $PID 2>/dev/null || break; sleep 0.1; done
[ -s "$T/port" ] || { echo "FAIL: server did not start"; cat "$T/server.err"; exit 1; }

python3 - "http://127.0.0.1:$(cat "$T/port")/mcp" "$AG" "$OP" "$RUN" "$SHARED" <<'EOF'
import copy, hashlib, json, os, sys, urllib.request, urllib.error
url, AG, OP, RUN, SHARED = sys.argv[1:6]
fails = passes = 0
def check(cond, what):
    global fails, passes
    print(("ok   " if cond else "FAIL ") + what)
    fails += 0 if cond else 1
    passes += 1 if cond else 0
def rpc(method, params=None, token=AG, modern=False):
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": dict(params or {})}
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if modern:
        body["params"]["_meta"] = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                   "io.modelcontextprotocol/clientCapabilities": {}}
        h["MCP-Protocol-Version"] = "2026-07-28"
        h["Mcp-Method"] = method
        if method == "resources/read":
            h["Mcp-Name"] = body["params"]["uri"]
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, json.dumps(body).encode(), h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
def read(uri, **kw):
    st, m = rpc("resources/read", {"uri": uri}, **kw)
    if "result" not in m:
        return st, m, None
    return st, m, json.loads(m["result"]["contents"][0]["text"])

st, m = rpc("resources/templates/list")
tmpl = [t["uriTemplate"] for t in m.get("result", {}).get("resourceTemplates", [])]
for t in ("workledger://runs/{run_id}", "workledger://runs/{run_id}/events",
          "workledger://runs/{run_id}/receipt", "workledger://receipts/{receipt_id}/tree",
          "workledger://approvals/{approval_id}"):
    check(t in tmpl, "template " + t)

uris, cursor, pages = [], None, 0
while pages < 20:
    st, m = rpc("resources/list", {"cursor": cursor} if cursor else {})
    res = m.get("result", {})
    uris += [r["uri"] for r in res.get("resources", [])]
    pages += 1
    cursor = res.get("nextCursor")
    if not cursor:
        break
runs = [u for u in uris if u.startswith("workledger://runs/")]
check(pages >= 2, "resources/list is paged (%d pages)" % pages)
check(len(runs) >= 61 and len(set(uris)) == len(uris), "every run listed once (%d)" % len(runs))
check("workledger://runs/" + RUN in runs, "the released run is listed")
check("workledger://approvals" not in uris, "the agent is not shown the approvals resource")
st, m = rpc("resources/list", {"cursor": "not-a-cursor"})
check(m.get("error", {}).get("code") == -32602, "a bad cursor is -32602")

st, m, run = read("workledger://runs/" + RUN)
check(run and run["run_id"] == RUN and run["status"] == "closed", "read the run: %s" % (run or m))
st, m, ev = read("workledger://runs/%s/events" % RUN)
check(ev and [e["seq"] for e in ev] == list(range(1, len(ev) + 1)) and len(ev) == run["event_count"],
      "read its events in seq order")
check(ev and all(e["payload_hash"] and e["event_id"] and e["run_id"] == RUN for e in ev),
      "each event carries its hashes")
check(ev and ev[0]["event_kind"] == "work.started" and ev[-1]["event_kind"] == "work.closed",
      "work.started .. work.closed")
st, m, wr = read("workledger://runs/%s/receipt" % RUN)
check(wr and wr.get("schema_version", "").startswith("motus.work-receipt"), "read its Work Receipt")
b = copy.deepcopy(wr); b.pop("receipt_id"); b["hashes"].pop("receipt")
canon = lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
check(wr["receipt_id"] == "sha256:" + hashlib.sha256(canon(b)).hexdigest(), "receipt digest recomputes")
sd = os.path.join(SHARED, "fixtures/motus/schemas") if SHARED else ""
try:
    import jsonschema
except ImportError:
    jsonschema = None
if jsonschema and sd and os.path.isdir(sd):
    schemas = {}
    for f in os.listdir(sd):
        if f.endswith(".schema.json"):
            s = json.load(open(os.path.join(sd, f)))
            schemas[s["$id"]] = s
    s = schemas["https://motus.dev/schemas/work-receipt-envelope.schema.json"]
    try:
        from referencing import Registry, Resource
        reg = Registry().with_resources([(k, Resource.from_contents(v)) for k, v in schemas.items()])
        v = jsonschema.Draft202012Validator(s, registry=reg, format_checker=jsonschema.FormatChecker())
    except ImportError:
        v = jsonschema.Draft202012Validator(s, resolver=jsonschema.RefResolver.from_schema(s, store=schemas),
                                            format_checker=jsonschema.FormatChecker())
    errs = list(v.iter_errors(wr))
    check(not errs, "Work Receipt valid against the Motus schema" + (": %s" % errs[0].message if errs else ""))
    ws = schemas.get("https://motus.dev/schemas/work-event.schema.json")
    if ws:
        ev_errs = [e for x in ev for e in jsonschema.Draft202012Validator(ws).iter_errors(x)]
        check(not ev_errs, "events valid against the Motus work-event schema")
else:
    print("note: jsonschema or the Motus schemas missing; schema check skipped")
st, m, wr2 = read("workledger://runs/%s/receipt" % RUN, modern=True)
check(wr2 == wr, "the same Work Receipt in the 2026-07-28 era")
st, m, _ = read("workledger://runs/no-such-run")
check(m.get("error", {}).get("code") == -32002, "unknown run: -32002 (legacy)")
st, m, _ = read("workledger://runs/no-such-run", modern=True)
check(m.get("error", {}).get("code") == -32602, "unknown run: -32602 (2026-07-28)")
for u in ("workledger://approvals", "workledger://health"):
    st, m, _ = read(u)
    check("error" in m and "not readable" in m["error"]["message"], "agent refused " + u)
    st, m, d = read(u, token=OP)
    check(d is not None, "operator reads " + u)
st, m = rpc("resources/list", token=None)
check(st == 401 and "result" not in m, "no token: 401, no ledger data")
st, m = rpc("resources/read", {"uri": "workledger://runs/" + RUN}, token="wrong-token")
check(st == 401 and "result" not in m, "wrong token: 401, no ledger data")
print("ledger_resources: %d passed, %d failed" % (passes, fails))
sys.exit(1 if fails else 0)
EOF
rc=$?
[ $rc = 0 ] || tail -n 20 "$T/server.err"
[ $rc = 0 ] || exit $rc

# subscriptions over stdio (a session with a channel back): updates of an open run until it
# closes, list_changed after a new run; stateless HTTP refuses subscribe
python3 - "$W" "http://127.0.0.1:$(cat "$T/port")/mcp" "$AG" <<'EOF'
import json, queue, subprocess, sys, threading, time, urllib.request
W, url, AG = sys.argv[1:4]
fails = passes = 0
def check(cond, what):
    global fails, passes
    print(("ok   " if cond else "FAIL ") + what)
    fails += 0 if cond else 1
    passes += 1 if cond else 0
p = subprocess.Popen([W, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open("stdio.err", "w"), text=True)
q = queue.Queue()
threading.Thread(target=lambda: [q.put(json.loads(l)) for l in p.stdout], daemon=True).start()
n = [0]
def send(method, params=None, notify=False):
    m = {"jsonrpc": "2.0", "method": method, "params": params or {}}
    if not notify:
        n[0] += 1
        m["id"] = n[0]
    p.stdin.write(json.dumps(m) + "\n"); p.stdin.flush()
    return m.get("id")
notes = []
def wait(pred, what, bound=60):
    end = time.time() + bound
    while time.time() < end:
        for i, m in enumerate(notes):
            if pred(m):
                return notes.pop(i)
        try:
            notes.append(q.get(timeout=0.5))
        except queue.Empty:
            pass
    return None
def call(method, params=None):
    i = send(method, params)
    return wait(lambda m: m.get("id") == i, method)
r = call("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "sub", "version": "1"}})
send("notifications/initialized", notify=True)
caps = r["result"]["capabilities"]["resources"]
check(caps == {"subscribe": True, "listChanged": True}, "stdio announces subscribe and listChanged: %s" % caps)
c = call("tools/call", {"name": "motus_work_claim", "arguments": {"work_id": "sub-1"}})
sc = c["result"]["structuredContent"]
uri = "workledger://runs/" + sc["run_id"]
r = call("resources/subscribe", {"uri": uri})
check(r.get("result") == {}, "subscribed to the open run")
call("resources/list")
call("tools/call", {"name": "motus_work_evidence", "arguments": {"lease_id": sc["lease_id"], "kind": "test", "passed": 1}})
u = wait(lambda m: m.get("method") == "notifications/resources/updated" and m["params"]["uri"] == uri, "updated")
check(u is not None, "notifications/resources/updated after an event")
call("tools/call", {"name": "motus_work_release", "arguments": {"lease_id": sc["lease_id"], "outcome": "success"}})
u = wait(lambda m: m.get("method") == "notifications/resources/updated" and m["params"]["uri"] == uri, "updated")
check(u is not None, "and once more when the run closes")
r = call("resources/subscribe", {"uri": uri})
check(r.get("error", {}).get("code") == -32602, "a closed run cannot be subscribed")
call("tools/call", {"name": "motus_work_claim", "arguments": {"work_id": "sub-2"}})
l = wait(lambda m: m.get("method") == "notifications/resources/list_changed", "list_changed")
check(l is not None, "notifications/resources/list_changed after a new run")
r = call("resources/unsubscribe", {"uri": uri})
check(r.get("result") == {}, "unsubscribe answers")
p.stdin.close(); p.wait(timeout=60)
check(p.returncode == 0, "stdio server exits 0")
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "resources/subscribe", "params": {"uri": uri}}).encode()
req = urllib.request.Request(url, body, {"Content-Type": "application/json", "Accept": "application/json", "Authorization": "Bearer " + AG})
m = json.loads(urllib.request.urlopen(req, timeout=60).read())
check(m.get("error", {}).get("code") == -32602 and "stateless" in m["error"]["message"], "stateless HTTP refuses subscribe")
print("subscriptions: %d passed, %d failed" % (passes, fails))
sys.exit(1 if fails else 0)
EOF
rc=$?
[ $rc = 0 ] || tail -n 20 stdio.err
exit $rc
