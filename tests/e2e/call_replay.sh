#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/call_replay.sh — one call, one transaction, and replay after a crash (spec/mcp.md
# "One call, one transaction", "Replay"). The real `workledger serve` over stdio, killed with
# SIGKILL by the test-only fault WORKLEDGER_FAULT at the two worst moments of a
# motus_work_evidence call that carries _meta["io.motebit/idempotency-key"]:
#   kill-before-commit: everything is staged, nothing is committed → the Store holds none of the
#     call; the retry with the same key runs it once;
#   kill-after-commit: everything is committed, the client never saw the answer → the retry with
#     the same key returns the original result and receipt (the same invocation_id and signature)
#     and appends nothing.
# Afterwards exactly one evidence event, one mcp.call event and one receipt exist per key, the
# same key with other arguments is refused (-32602), and `workledger doctor` finds the Store sound.
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
                    "clientInfo": {"name": "e2e-replay", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"}]

def serve(calls, fault=None):
    """One server process: initialize, then the calls; returns (returncode, {id: message})."""
    env = dict(os.environ)
    env.pop("WORKLEDGER_FAULT", None)
    if fault:
        env["WORKLEDGER_FAULT"] = fault
    data = "".join(json.dumps(m) + "\n" for m in INIT + calls).encode()
    p = subprocess.run([binp, "serve"], input=data, capture_output=True, timeout=120, env=env)
    got = {}
    for line in p.stdout.decode().splitlines():
        m = json.loads(line)
        if "id" in m:
            got[m["id"]] = m
    return p.returncode, got, p.stderr.decode(errors="replace")

def call(i, name, args, key=None):
    params = {"name": name, "arguments": args}
    if key is not None:
        params["_meta"] = {"io.motebit/idempotency-key": key}
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": params}

def db_counts(summary):
    db = sqlite3.connect(store)
    ev = [json.loads(p) for (p,) in db.execute(
        "SELECT payload FROM events WHERE event_kind='evidence.referenced'")]
    n_ev = sum(1 for p in ev if summary in json.dumps(p))
    calls = [json.loads(p) for (p,) in db.execute(
        "SELECT payload FROM events WHERE event_kind='mcp.call'")]
    n_calls = sum(1 for c in calls if c.get("tool") == "motus_work_evidence")
    # the signed receipt is stored in its mcp.call event, nowhere else
    n_rcpt = sum(1 for c in calls if isinstance(c.get("receipt"), dict))
    n_replay = db.execute("SELECT count(*) FROM call_replays").fetchone()[0]
    db.close()
    return n_ev, n_calls, n_rcpt, n_replay

# a lease to write evidence against (an ordinary call, no fault)
rc, got, err = serve([call("c", "motus_work_claim", {"work_id": "ADHOC-REPLAY", "intent": "replay"})])
assert rc == 0, (rc, err[-800:])
lease = got["c"]["result"]["structuredContent"]["lease_id"]
_, calls0, rcpt0, _ = db_counts("no such summary")

def evidence(i, summary, key):
    return call(i, "motus_work_evidence", {"lease_id": lease, "kind": "test_result",
                                           "summary": summary, "passed": 3, "failed": 0}, key)

# 1. killed before the commit: nothing of the call is in the Store, the client got no answer
rc, got, err = serve([evidence("e1", "first evidence", "key-1")], fault="kill-before-commit")
assert rc == -9, ("expected SIGKILL", rc, err[-800:])
assert "e1" not in got, got
assert db_counts("first evidence") == (0, calls0, rcpt0, 0), db_counts("first evidence")

# the retry with the same key runs the call once
rc, got, err = serve([evidence("e1", "first evidence", "key-1")])
assert rc == 0, (rc, err[-800:])
r1 = got["e1"]["result"]
assert not r1.get("isError"), r1
rcpt1 = r1["_meta"]["io.motebit/receipt"]
assert db_counts("first evidence") == (1, calls0 + 1, rcpt0 + 1, 1), db_counts("first evidence")

# 2. killed after the commit: the call is in the Store, the client got no answer
rc, got, err = serve([evidence("e2", "second evidence", "key-2")], fault="kill-after-commit")
assert rc == -9, ("expected SIGKILL", rc, err[-800:])
assert "e2" not in got, got
assert db_counts("second evidence") == (1, calls0 + 2, rcpt0 + 2, 2), db_counts("second evidence")
db = sqlite3.connect(store)
(stored_inv,) = db.execute("SELECT invocation_id FROM call_replays WHERE idempotency_key='key-2'").fetchone()
db.close()

# the retry returns the original result and receipt and appends nothing; key-1 too; the same key
# with other arguments is refused; the same key from another caller namespace is not ours to see
rc, got, err = serve([evidence("e2", "second evidence", "key-2"),
                      evidence("e1", "first evidence", "key-1"),
                      evidence("x", "other arguments", "key-1")])
assert rc == 0, (rc, err[-800:])
r2 = got["e2"]["result"]
assert not r2.get("isError"), r2
assert r2["_meta"]["io.motebit/receipt"]["invocation_id"] == stored_inv, (r2["_meta"], stored_inv)
assert got["e1"]["result"]["_meta"]["io.motebit/receipt"] == rcpt1, "replay must return the same receipt"
assert got["e1"]["result"]["content"] == r1["content"], "replay must return the same result"
assert got["x"].get("error", {}).get("code") == -32602, got["x"]
assert "idempotency" in got["x"]["error"]["message"].lower(), got["x"]
assert db_counts("first evidence") == (1, calls0 + 2, rcpt0 + 2, 2), db_counts("first evidence")
assert db_counts("second evidence")[0] == 1
assert db_counts("other arguments")[0] == 0
print("call_replay: kill-before-commit left nothing, kill-after-commit replayed", stored_inv)
PY

"$BIN" doctor >/dev/null || { echo "FAIL: doctor found problems after the SIGKILLs"; "$BIN" doctor; exit 1; }
echo "PASS call_replay"
