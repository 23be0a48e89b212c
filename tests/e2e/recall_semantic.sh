#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/recall_semantic.sh — motebit_remember / motebit_recall with executors.embeddings
# through the real `workledger serve` over stdio, against a local fake OpenAI-compatible
# embeddings server (tests/e2e/fakes/embeddings_fake.py, started and stopped here), checked with
# Python's sqlite3 and the fake's own request log:
#  - remember embeds each memory: one well-formed request per memory (POST /v1/embeddings,
#    {"model", "input"}, the bearer key from the variable api_key_env names); the vector is in
#    memory_vectors (binary32 little-endian, the fake's numbers) and memory.written says so;
#  - recall embeds the query: "canine" shares no word with any memory yet finds the puppy memory
#    first with similarity > 0.9 (semantic recall is used), and not the unrelated ones;
#  - an endpoint answering 500, an unset key variable (nothing sent) and an endpoint that is
#    down each fall back to lexical recall with a clear line on stderr; a memory remembered while
#    it is down is stored without a vector and found by its words;
#  - the API key never appears on stderr or stdout; stdout holds only JSON-RPC.
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
"$BIN" init --quiet

python3 - "$BIN" "$T" "$SRC/tests/e2e/fakes" <<'PY'
import atexit, json, os, secrets, sqlite3, struct, subprocess, sys, time
binp, tmp, fakes = sys.argv[1:4]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, fakes)
import embeddings_fake
db_path = os.path.join(tmp, ".motus", "kernel-store.db")
key = "sk-e2e-" + secrets.token_hex(12)

# the fake: our child, stopped at exit whatever happens (atexit runs after a failed assert too)
port_file = os.path.join(tmp, "port")
fake = subprocess.Popen([sys.executable, os.path.join(fakes, "embeddings_fake.py"), port_file,
                         os.path.join(tmp, "fake.log")],
                        env=dict(os.environ, FAKE_EMBED_KEY=key, FAKE_EMBED_MODEL="fake-embed-1"))
def stop_fake():
    if fake.poll() is None:
        fake.terminate()
        fake.wait(timeout=60)
atexit.register(stop_fake)
for _ in range(600):  # readiness: the fake writes its port once bound
    if os.path.exists(port_file) or fake.poll() is not None:
        break
    time.sleep(0.1)
assert os.path.exists(port_file), "the fake embeddings server did not start"
port = open(port_file).read().strip()
url = "http://127.0.0.1:%s/v1" % port
with open(os.path.join(tmp, ".motus", "config.json"), "w") as f:
    json.dump({"profile": "service",
               "executors": {"embeddings": {"type": "openai", "url": url, "model": "fake-embed-1",
                                            "api_key_env": "WL_E2E_EMBED_KEY", "timeout_s": 30}}}, f)

def serve(calls, with_key=True):
    """One `workledger serve`; calls = [(id, tool, args)]; returns ({id: payload}, stderr).
    Calls of one process run concurrently: a recall that must see a memory runs in a later one."""
    lines = [json.dumps({"jsonrpc": "2.0", "id": "init", "method": "initialize",
                         "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                    "clientInfo": {"name": "e2e", "version": "1"}}}),
             json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})]
    for i, tool, args in calls:
        lines.append(json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                                 "params": {"name": tool, "arguments": args}}))
    env = dict(os.environ)
    env.pop("WL_E2E_EMBED_KEY", None)
    if with_key:
        env["WL_E2E_EMBED_KEY"] = key
    p = subprocess.run([binp, "serve"], input=("\n".join(lines) + "\n").encode(), env=env,
                       capture_output=True, timeout=300)
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == 0, (p.returncode, err[-2000:])
    assert key not in out and key not in err, "the API key leaked"
    got = {}
    for l in out.splitlines():
        m = json.loads(l)
        assert m.get("jsonrpc") == "2.0", l
        if m.get("id") not in (None, "init"):
            r = m["result"]
            assert not r.get("isError"), r
            text = r["content"][0]["text"]
            got[m["id"]] = json.loads(text[:text.rfind("\n[motebit:")])
    assert sorted(got) == sorted(c[0] for c in calls), (got, err[-2000:])
    return got, err

def fake_log():
    with open(os.path.join(tmp, "fake.log")) as f:
        return [json.loads(l) for l in f]

def contents(mems):
    return [m["content"] for m in mems]

PUPPY = "my puppy chewed the sofa"
mems = [PUPPY, "the invoice was paid in cash", "the car needs new tires"]

# ---------------------------------------------------------------- semantic recall
got, err0 = serve([("m%d" % i, "motebit_remember", {"content": c}) for i, c in enumerate(mems)])
assert "embeddings:" not in err0, err0[-2000:]
got, err = serve([("r1", "motebit_recall", {"query": "canine"}),
                  ("r2", "motebit_recall", {"query": "fail-me puppy"})])
log = fake_log()
assert len(log) == 5, log
for rec in log:
    assert rec["path"] == "/v1/embeddings" and rec["auth_ok"] and rec["shape_ok"], rec
    assert rec["model"] == "fake-embed-1", rec
assert sorted(r["input"] for r in log) == sorted(mems + ["canine", "fail-me puppy"]), log

con = sqlite3.connect(db_path)
rows = con.execute("SELECT m.content, v.model, v.dims, v.vector FROM memory_vectors v"
                   " JOIN memories m ON m.memory_id = v.memory_id").fetchall()
assert sorted(r[0] for r in rows) == sorted(mems), rows
for content, model, dims, blob in rows:
    assert model == "fake-embed-1" and dims == 8 and len(blob) == 32, (model, dims, len(blob))
    want = embeddings_fake.embed(content)
    have = struct.unpack("<8f", blob)
    assert all(abs(a - b) < 1e-6 for a, b in zip(have, want)), (content, have, want)
ev = [json.loads(p) for (p,) in con.execute(
    "SELECT payload FROM events WHERE event_kind = 'memory.written'")]
assert len(ev) == 3 and all(e["embedding"] == {"model": "fake-embed-1", "dims": 8} for e in ev), ev

r1 = got["r1"]
assert contents(r1) == [PUPPY], r1           # no shared word: only the vectors found it
assert r1[0]["similarity"] > 0.9 and r1[0]["similarity"] <= 1, r1
assert 0.99 < r1[0]["confidence"] <= 1, r1

# an endpoint error: lexical similarity, and stderr says why
r2 = got["r2"]
assert contents(r2) == [PUPPY] and r2[0]["similarity"] < 0.5, r2
line = [l for l in err.splitlines() if "embeddings:" in l and "HTTP 500" in l]
assert line and "recall falls back to lexical similarity" in line[0], err[-2000:]
assert "the fake model failed on purpose" in line[0], line

# the key's variable unset: nothing is sent, lexical recall, a clear line
got, err = serve([("r3", "motebit_recall", {"query": "canine"})], with_key=False)
assert got["r3"] == [], got
assert "WL_E2E_EMBED_KEY" in err and "is not set" in err and "lexical" in err, err[-2000:]
assert len(fake_log()) == 5, "a request was sent without the key"

# ---------------------------------------------------------------- the endpoint is down
stop_fake()  # terminate + wait: its port is closed from here on
got, err = serve([("m9", "motebit_remember", {"content": "a second puppy arrived"})])
got, err2 = serve([("r4", "motebit_recall", {"query": "canine"}),
                   ("r5", "motebit_recall", {"query": "puppy"})])
down = [l for l in (err + err2).splitlines() if "embeddings:" in l]
assert len(down) == 3, err[-3000:]
assert all(("POST %s/embeddings: unreachable" % url) in l for l in down), down
assert any("stored without an embedding" in l for l in down), down
assert sum("recall falls back to lexical similarity" in l for l in down) == 2, down
assert got["r4"] == [], got["r4"]            # words only: "canine" occurs nowhere
assert sorted(contents(got["r5"])) == sorted([PUPPY, "a second puppy arrived"]), got["r5"]
assert all(0 < m["similarity"] <= 1 for m in got["r5"]), got["r5"]
assert con.execute("SELECT COUNT(*) FROM memory_vectors").fetchone()[0] == 3
assert con.execute("SELECT COUNT(*) FROM memories").fetchone()[0] == 4
(second,) = con.execute("SELECT memory_id FROM memories WHERE content = ?",
                        ("a second puppy arrived",)).fetchone()
last = [json.loads(p) for (p,) in con.execute(
    "SELECT payload FROM events WHERE event_kind = 'memory.written'")]
last = [e for e in last if e["memory_id"] == second]
assert len(last) == 1 and "embedding" not in last[0], last
print("recall semantic: ok")
PY
