#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/stdio_pipelined.sh — answers after the group commit, written per batch (spec/mcp.md
# §6.1 items 6-7). The real `workledger serve` over stdio gets 300 tools/call requests in one
# write, without waiting for any answer: motebit_identity (run on the reader itself), motebit_tools
# (likewise), motus_work_evidence (a worker, with a handler write in the call's transaction) and
# calls that fail the gate or the schema, mixed. Every request gets exactly one answer on a line of
# its own (valid JSON, its id, no id twice), every successful answer carries a receipt whose
# invocation_id has its mcp.call event in the Store (so no answer left before its record), the
# evidence events are contiguous, and doctor finds the Store sound. Then the same again with the
# test-only commit fault (every call arms one failed COMMIT): each call whose group commit failed
# is answered with the JSON-RPC error and has nothing in the Store, each other one has its record.
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
cd "$T"
"$BIN" init >/dev/null 2>&1

python3 - "$BIN" "$MOTUS_KERNEL_STORE_PATH" <<'PY'
import json, os, sqlite3, subprocess, sys
binp, store = sys.argv[1], sys.argv[2]
INIT = [{"jsonrpc": "2.0", "id": "i", "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                    "clientInfo": {"name": "e2e-pipelined", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"}]

def serve(calls, fault=None):
    env = dict(os.environ)
    env.pop("WORKLEDGER_FAULT", None)
    if fault:
        env["WORKLEDGER_FAULT"] = fault
    data = "".join(json.dumps(m) + "\n" for m in INIT + calls).encode()
    p = subprocess.run([binp, "serve"], input=data, capture_output=True, timeout=300, env=env)
    lines = p.stdout.decode().split("\n")
    assert lines[-1] == "", "output must end with a newline"
    got = {}
    for line in lines[:-1]:
        m = json.loads(line)  # one whole message per line, never two on one line
        if "id" in m:
            assert m["id"] not in got, ("answered twice", m["id"])
            got[m["id"]] = m
    return p.returncode, got, p.stderr.decode(errors="replace")

def call(i, name, args):
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call",
            "params": {"name": name, "arguments": args}}

rc, got, err = serve([call("c", "motus_work_claim", {"work_id": "ADHOC-PIPE", "intent": "pipe"})])
assert rc == 0, (rc, err[-800:])
lease = got["c"]["result"]["structuredContent"]["lease_id"]

def batch(tag):
    calls, kinds = [], {}
    for i in range(300):
        k = i % 6
        cid = "%s%d" % (tag, i)
        if k in (0, 1, 3):
            calls.append(call(cid, "motebit_identity", {}))
        elif k == 2:
            calls.append(call(cid, "motebit_tools", {}))
        elif k == 4:
            calls.append(call(cid, "motus_work_evidence",
                              {"lease_id": lease, "kind": "test_result",
                               "summary": "pipelined %s" % cid, "passed": 1, "failed": 0}))
        else:
            calls.append(call(cid, "motebit_identity", {"unexpected": 1}))  # schema: isError
        kinds[cid] = k
    return calls, kinds

def stored_invocations():
    db = sqlite3.connect(store)
    inv = {json.loads(p)["invocation_id"] for (p,) in db.execute(
        "SELECT payload FROM events WHERE event_kind='mcp.call'")}
    db.close()
    return inv

calls, kinds = batch("p")
rc, got, err = serve(calls)
assert rc == 0, (rc, err[-800:])
assert set(got) == {"i"} | set(kinds), sorted(set(kinds) - set(got))[:10]
inv = stored_invocations()
for cid, k in kinds.items():
    res = got[cid]["result"]
    assert bool(res.get("isError")) == (k == 5), (cid, res)
    rcpt = res["_meta"]["io.motebit/receipt"]
    assert rcpt["invocation_id"] in inv, ("answered without its record", cid)
db = sqlite3.connect(store)
seqs = [s for (s,) in db.execute(
    "SELECT e.seq FROM events e JOIN runs r ON r.run_id = e.run_id "
    "WHERE r.work_id = 'ADHOC-PIPE' ORDER BY e.seq")]
n_ev = db.execute("SELECT count(*) FROM events WHERE event_kind='evidence.referenced' "
                  "AND payload LIKE '%pipelined p%'").fetchone()[0]
db.close()
assert seqs == list(range(1, len(seqs) + 1)), "work run events must be contiguous"
assert n_ev == 50, n_ev

# failed COMMITs: the calls of a failed batch are answered with the error and keep nothing
calls, kinds = batch("f")
before = stored_invocations()
rc, got, err = serve(calls, fault="commit")
assert rc == 0, (rc, err[-800:])
assert set(got) == {"i"} | set(kinds)
failed = [cid for cid in kinds if "error" in got[cid]]
assert failed, "the injected COMMIT failure must reach a client"
for cid in failed:
    assert got[cid]["error"]["code"] == -32603, got[cid]
    assert "nothing of it was kept" in got[cid]["error"]["message"], got[cid]
inv = stored_invocations()
ok = [cid for cid in kinds if "result" in got[cid]]
assert len(ok) + len(failed) == 300
for cid in ok:
    assert got[cid]["result"]["_meta"]["io.motebit/receipt"]["invocation_id"] in inv, cid
assert len(inv - before) == len(ok), (len(inv - before), len(ok))
print("stdio_pipelined: 300 + 300 pipelined calls answered once each;", len(failed),
      "answered with the commit error")
PY

"$BIN" doctor >/dev/null || { echo "FAIL: doctor found problems"; "$BIN" doctor; exit 1; }
echo "PASS stdio_pipelined"
