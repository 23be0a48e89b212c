#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/motebit_task.sh — motebit_task and the profiles against the real binary over stdio:
# tools/list per profile (service: every required tool with the motebit §5 input schemas;
# personal/collaborative: motebit_task only when an executor is configured; motebit_type = the
# profile); command executors (prompt on stdin or in an env var; no shell of ours) returning
# signed ExecutionReceipts that `workledger verify --strict-hash` accepts from the text form and
# from structuredContent; relay_task_id copied verbatim; the task's Store run with its events
# (work.started, task.routed, tool.used, evidence.referenced, task.finished, work.closed) and the
# receipt in the receipts table; unknown capability → signed `failed`; non-zero exit, timeout,
# output cap → `failed`; delegation tokens (not JSON, bad signature, expired, not yet valid,
# out of scope, addressed to another agent → `denied`; in scope → delegated_scope); bad
# required_capabilities → isError and no run; progress and cancellation; `workledger tasks` and
# `workledger receipts show`.
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
cd "$T"
"$BIN" init --quiet >/dev/null 2>&1
cat > .motus/config.json <<'EOF'
{"executors": {
  "upper": {"type": "command", "argv": ["/bin/sh", "-c", "tr a-z A-Z"]},
  "envy":  {"type": "command", "argv": ["/bin/sh", "-c", "printf %s \"$TASK_PROMPT\" | rev; cat"],
            "stdin": false, "env_var": "TASK_PROMPT"},
  "boom":  {"type": "command", "argv": ["/bin/sh", "-c", "echo partial; echo kaboom >&2; exit 3"]},
  "slow":  {"type": "command", "argv": ["/bin/sh", "-c", "sleep 60"], "timeout_s": 1},
  "hang":  {"type": "command", "argv": ["/bin/sh", "-c", "echo started; sleep 60"], "timeout_s": 120},
  "big":   {"type": "command", "argv": ["/bin/sh", "-c", "yes hello"], "max_output_bytes": 1000},
  "mute":  {"type": "command", "argv": ["/bin/true"]},
  "echo":  {"type": "command", "argv": ["cat"]},
  "bin":   {"type": "command", "argv": ["/bin/sh", "-c", "printf 'ok\\377\\376'"]}
}}
EOF

python3 - "$BIN" "$T" "${WL_SOURCE_DIR:-}" <<'PY'
import json, os, re, sqlite3, subprocess, sys, time, base64, threading
binp, tmp, src = sys.argv[1], sys.argv[2], sys.argv[3]
store = os.path.join(tmp, ".motus", "kernel-store.db")
TAG = re.compile(r"\n\[motebit:[^\]]*\]\s*$")

def session(lines, args=("serve", "--profile", "service"), env=None):
    data = "\n".join(json.dumps(l) for l in lines) + "\n"
    p = subprocess.run([binp, *args], input=data.encode(), capture_output=True, timeout=120, env=env)
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    got = {}
    notes = []
    for l in p.stdout.decode().splitlines():
        m = json.loads(l)
        if "id" in m and m["id"] is not None and "method" not in m:
            got[m["id"]] = m
        else:
            notes.append(m)
    return got, notes

INIT = {"jsonrpc": "2.0", "id": "init", "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}}
INITED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
def call(i, name, args=None, meta=None):
    p = {"name": name, "arguments": args or {}}
    if meta: p["_meta"] = meta
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": p}
def task(i, prompt, caps=None, **kw):
    a = {"prompt": prompt}
    if caps is not None: a["required_capabilities"] = caps
    a.update(kw)
    return call(i, "motebit_task", a)

def verify(text):
    p = subprocess.run([binp, "verify", "--strict-hash", "-"], input=text.encode(), capture_output=True)
    return p.returncode, json.loads(p.stdout or b"{}")

def receipt_of(m):
    r = m["result"]
    assert not r.get("isError"), json.dumps(m)[:600]
    text = r["content"][0]["text"]
    assert TAG.search(text), text[-80:]
    rc = json.loads(TAG.sub("", text))
    assert r["structuredContent"] == rc, "structuredContent must be the receipt of the text"
    code, v = verify(text)
    assert code == 0 and v["valid"] and v["kind"] == "execution_receipt", (code, v, text[:300])
    code2, v2 = verify(json.dumps(r["structuredContent"]))
    assert code2 == 0, v2
    for k in ("task_id", "motebit_id", "device_id", "submitted_at", "completed_at", "status", "result",
              "tools_used", "memories_formed", "prompt_hash", "result_hash", "suite", "signature", "public_key"):
        assert k in rc, ("missing", k)
    assert rc["suite"] == "motebit-jcs-ed25519-b64-v1"
    assert isinstance(rc["submitted_at"], int) and isinstance(rc["completed_at"], int)
    assert rc["completed_at"] >= rc["submitted_at"]
    assert rc["status"] in ("completed", "failed", "denied")
    return rc

def sha(s):
    import hashlib
    return hashlib.sha256(s.encode()).hexdigest()

# ---- 1. profiles and tools/list -------------------------------------------------------------
def tools_list(profile, env=None):
    got, _ = session([INIT, INITED, {"jsonrpc": "2.0", "id": "l", "method": "tools/list"},
                      call("i", "motebit_identity")], ("serve", "--profile", profile), env)
    tools = {t["name"]: t for t in got["l"]["result"]["tools"]}
    ident = got["i"]["result"]["structuredContent"]
    return tools, ident

tools, ident = tools_list("service")
assert ident["motebit_type"] == "service", ident
node_pk = ident["public_key"]
for name in ("motebit_identity", "motebit_tools", "motebit_task", "motebit_service_listing", "motebit_credentials"):
    # tools another branch provides are required once their schema is in the tree
    if name in ("motebit_service_listing", "motebit_credentials") and not (
            src and os.path.exists(os.path.join(src, "schemas", "tools", name + ".json"))):
        continue
    assert name in tools, ("service profile must register", name, sorted(tools))
for name in ("motebit_identity", "motebit_tools"):
    s = tools[name]["inputSchema"]
    assert s["type"] == "object" and not s.get("required"), (name, s)
ts = tools["motebit_task"]["inputSchema"]
assert ts["type"] == "object" and ts["required"] == ["prompt"], ts
assert ts["properties"]["prompt"]["type"] == "string"
assert ts["properties"]["delegation_token"]["type"] == "string"
assert ts["properties"]["relay_task_id"]["type"] == "string"
assert "required_capabilities" in ts["properties"] and "type" not in ts["properties"]["required_capabilities"]
assert set(ts["properties"]) == {"prompt", "delegation_token", "required_capabilities", "relay_task_id"}
assert tools["motebit_task"]["outputSchema"]["type"] == "object"

for prof in ("personal", "collaborative"):
    t2, id2 = tools_list(prof)
    assert id2["motebit_type"] == prof, id2
    assert "motebit_task" in t2, (prof, "executors are configured: motebit_task is offered")
# without any executor the optional motebit_task is left out of personal, kept in service
os.rename(".motus/config.json", ".motus/config.json.off")
for prof, want in (("personal", False), ("collaborative", False), ("service", True)):
    t3, _ = tools_list(prof)
    assert ("motebit_task" in t3) == want, (prof, sorted(t3))
got, _ = session([INIT, INITED, task("x", "anything")])
rc = receipt_of(got["x"])
assert rc["status"] == "failed" and "no executor" in rc["result"], rc
os.rename(".motus/config.json.off", ".motus/config.json")
# the config's profile is used when --profile is absent
cfg = json.load(open(".motus/config.json"))
cfg["profile"] = "collaborative"
json.dump(cfg, open(".motus/config.json", "w"))
got, _ = session([INIT, INITED, call("i", "motebit_identity")], ("serve",))
assert got["i"]["result"]["structuredContent"]["motebit_type"] == "collaborative"
del cfg["profile"]
json.dump(cfg, open(".motus/config.json", "w"))

# ---- 2. delegation tokens -------------------------------------------------------------------
have_crypto = True
try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
except ImportError:
    have_crypto = False
    print("NOTE: python3 cryptography absent: signed delegation token cases skipped")

def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def mint(scope, exp_off=3600_000, nbf_off=None, delegate_pk=None, tamper=False):
    k = Ed25519PrivateKey.generate()
    pk = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    now = int(time.time() * 1000)
    t = {"delegator_id": "delegator-1", "delegator_public_key": pk, "delegate_id": "me",
         "delegate_public_key": delegate_pk or node_pk, "scope": scope, "issued_at": now - 1000,
         "expires_at": now + exp_off, "suite": "motebit-jcs-ed25519-b64-v1"}
    if nbf_off is not None: t["not_before"] = now + nbf_off
    body = json.dumps(t, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    t["signature"] = b64u(k.sign(body))
    if tamper: t["scope"] = "*"
    return json.dumps(t)

BIG = ("0123456789abcdef\u00e9" * 20000)   # ~340 KB: more than a pipe buffer each way

# ---- 3. one service session with every task case -------------------------------------------
lines = [INIT, INITED,
         task("up", "hello world", ["upper"], relay_task_id="relay-task-\u00e9-42"),
         task("env", "stressed", ["envy"]),
         task("none", "x", ["no_such_capability"]),
         task("two", "x", ["upper", "envy"]),
         task("boom", "x", ["boom"]),
         task("slow", "x", ["slow"]),
         task("big", "x", ["big"]),
         task("mute", "x", ["mute"]),
         task("echo", BIG, ["echo"]),
         task("bin", "x", ["bin"]),
         task("badjson", "x", ["upper"], delegation_token="{not json"),
         task("badcaps", "x", "upper"),
         task("badcaps2", "x", [1]),
         call("prog", "motebit_task", {"prompt": "progress please", "required_capabilities": ["upper"]},
              meta={"progressToken": "pt-1"})]
if have_crypto:
    lines += [task("tok_ok", "scoped", ["upper"], delegation_token=mint("envy, upper")),
              task("tok_star", "star", ["upper"], delegation_token=mint("*")),
              task("tok_scope", "x", ["upper"], delegation_token=mint("envy")),
              task("tok_exp", "x", ["upper"], delegation_token=mint("upper", exp_off=-60_000)),
              task("tok_nbf", "x", ["upper"], delegation_token=mint("upper", nbf_off=3600_000)),
              task("tok_sig", "x", ["upper"], delegation_token=mint("upper", tamper=True)),
              task("tok_other", "x", ["upper"], delegation_token=mint("upper", delegate_pk="ab" * 32))]
db0 = sqlite3.connect(store)
runs_before = db0.execute("SELECT COUNT(*) FROM runs WHERE work_id LIKE 'task-%'").fetchone()[0]
db0.close()
got, notes = session(lines)
R = {}
for i in [l["id"] for l in lines if l.get("method") == "tools/call" and not l["id"].startswith("badcaps")]:
    R[i] = receipt_of(got[i])

up = R["up"]
assert up["status"] == "completed" and up["result"] == "HELLO WORLD", up
assert up["relay_task_id"] == "relay-task-\u00e9-42" and up["task_id"] != up["relay_task_id"]
assert up["prompt_hash"] == sha("hello world") and up["result_hash"] == sha("HELLO WORLD")
assert up["tools_used"] == ["upper"] and up["memories_formed"] == 0
assert up["motebit_id"] == ident["motebit_id"] and up["public_key"] == node_pk
assert "delegated_scope" not in up and "delegation_receipts" not in up
assert R["env"]["status"] == "completed" and R["env"]["result"] == "desserts", R["env"]   # env, not stdin
assert "relay_task_id" not in R["env"]
assert R["echo"]["status"] == "completed" and R["echo"]["result"] == BIG, "a large prompt goes through stdin"
for i, needle in (("none", 'no executor for the required capabilities ["no_such_capability"]'),
                  ("two", "no executor"), ("boom", "exited with status 3: kaboom"),
                  ("slow", "timed out after 1 s"), ("big", "exceeded max_output_bytes (1000 bytes)"),
                  ("mute", "produced no output"), ("bin", "is not UTF-8 text"),
                  ("badjson", "Denied: delegation_token is not valid JSON")):
    rc = R[i]
    assert rc["status"] == ("denied" if i == "badjson" else "failed"), (i, rc)
    assert needle in rc["result"], (i, rc["result"])
    assert rc["result_hash"] == sha(rc["result"])
assert R["slow"]["completed_at"] - R["slow"]["submitted_at"] < 30000, "the timeout must kill the command"
assert R["big"]["completed_at"] - R["big"]["submitted_at"] < 30000
for i in ("badcaps", "badcaps2"):
    r = got[i]["result"]
    assert r.get("isError") and "required_capabilities" in r["content"][0]["text"], (i, r)
if have_crypto:
    assert R["tok_ok"]["status"] == "completed" and R["tok_ok"]["delegated_scope"] == "envy, upper", R["tok_ok"]
    assert R["tok_star"]["status"] == "completed" and R["tok_star"]["delegated_scope"] == "*"
    for i, msg in (("tok_scope", 'Denied: capability "upper" is not within delegated scope "envy"'),
                   ("tok_exp", "Denied: delegation token has expired"),
                   ("tok_nbf", "Denied: delegation token is not yet valid"),
                   ("tok_sig", "Denied: delegation token has invalid signature"),
                   ("tok_other", "Denied: delegation token was issued to another agent")):
        rc = R[i]
        assert rc["status"] == "denied" and rc["result"].startswith(msg), (i, rc)
        assert "delegated_scope" not in rc and rc["tools_used"] == [], (i, rc)
# progress: the routed step reached the client for the request that asked
prog = [n for n in notes if n.get("method") == "notifications/progress"]
assert any(n["params"]["progressToken"] == "pt-1" and "routed to command executor" in n["params"].get("message", "")
           for n in prog), prog
assert all(n["params"]["progressToken"] == "pt-1" for n in prog), "progress only for the request that asked"

# ---- 4. the Store: each task's run, events and receipt --------------------------------------
db = sqlite3.connect(store)
runs_after = db.execute("SELECT COUNT(*) FROM runs WHERE work_id LIKE 'task-%'").fetchone()[0]
assert runs_after - runs_before == len(R), (runs_after - runs_before, len(R))   # bad input opened no run
def run_of(rc):
    row = db.execute("SELECT run_id, status, outcome_status FROM runs WHERE work_id = ?", ("task-" + rc["task_id"],)).fetchone()
    assert row, ("no run for task", rc["task_id"])
    kinds = [k for (k,) in db.execute("SELECT event_kind FROM events WHERE run_id = ? ORDER BY seq", (row[0],))]
    stored = db.execute("SELECT json, kind, run_id FROM receipts WHERE receipt_id = ? AND task_id = ?",
                        (rc["task_id"], rc["task_id"])).fetchone()
    assert stored and stored[1] == "motebit.execution-receipt" and stored[2] == row[0], stored
    assert json.loads(stored[0]) == rc, "the stored receipt is the one returned"
    return row, kinds
row, kinds = run_of(up)
assert row[1] == "closed" and row[2] == "success", row
assert kinds == ["work.started", "task.routed", "tool.used", "evidence.referenced", "task.finished", "work.closed"], kinds
ev = {k: json.loads(p) for k, p in db.execute("SELECT event_kind, payload FROM events WHERE run_id = ?", (row[0],))}
assert ev["work.started"]["task"]["prompt_hash"] == sha("hello world")
assert "hello world" not in json.dumps(ev), "the prompt itself is not stored in events"
assert ev["task.routed"] == {"task_id": up["task_id"], "executor": "command", "route": "upper"}
assert ev["evidence.referenced"]["output"]["stdout_bytes"] == len("HELLO WORLD")
assert ev["task.finished"]["status"] == "completed" and ev["task.finished"]["result_hash"] == up["result_hash"]
row, kinds = run_of(R["none"])
assert row[2] == "failure" and kinds == ["work.started", "task.finished", "work.closed"], (row, kinds)
row, kinds = run_of(R["badjson"])
assert row[2] == "aborted" and "tool.used" not in kinds, (row, kinds)
if have_crypto:
    for i in ("tok_scope", "tok_exp", "tok_sig", "tok_other"):
        assert "tool.used" not in run_of(R[i])[1], ("denied task ran a command", i)
# the mcp.call event of the call names the task's run
calls = [json.loads(p) for (p,) in db.execute("SELECT payload FROM events WHERE event_kind = 'mcp.call'")]
assert any(c.get("work_run_id") == run_of(up)[0][0] for c in calls)
db.close()

# ---- 5. cancellation: the call is answered with nothing and the command is stopped ----------
p = subprocess.Popen([binp, "serve", "--profile", "service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
def send(m):
    p.stdin.write((json.dumps(m) + "\n").encode()); p.stdin.flush()
def read_until(pred):
    while True:
        l = p.stdout.readline()
        assert l, "server closed stdout"
        m = json.loads(l)
        if pred(m): return m
t0 = time.time()
send(INIT); read_until(lambda m: m.get("id") == "init"); send(INITED)
send(call("hang", "motebit_task", {"prompt": "wait", "required_capabilities": ["hang"]}, meta={"progressToken": "pt-h"}))
# output arrived = the command runs (progress reports its output bytes)
read_until(lambda m: m.get("method") == "notifications/progress" and "bytes of output" in m["params"].get("message", ""))
send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "hang", "reason": "test"}})
p.stdin.close()
rest = [json.loads(l) for l in p.stdout.read().splitlines()]
assert p.wait(timeout=60) == 0
assert not any(m.get("id") == "hang" for m in rest), "a cancelled call gets no response"
assert time.time() - t0 < 50, "cancellation must stop the 60 s command"
db = sqlite3.connect(store)
rows = db.execute("SELECT json FROM receipts WHERE kind = 'motebit.execution-receipt'").fetchall()
hang = [json.loads(j) for (j,) in rows if json.loads(j)["tools_used"] == ["hang"]]
assert len(hang) == 1 and hang[0]["status"] == "failed" and hang[0]["result"] == "Error: task cancelled by the caller", hang
db.close()

# ---- 6. CLI: tasks and receipts show ---------------------------------------------------------
out = subprocess.run([binp, "tasks", "--json"], capture_output=True, check=True).stdout
lst = json.loads(out)
by = {t["task_id"]: t for t in lst["tasks"]}
assert lst["count"] == len(lst["tasks"]) and by[up["task_id"]]["status"] == "completed"
assert by[up["task_id"]]["relay_task_id"] == up["relay_task_id"]
assert by[R["none"]["task_id"]]["status"] == "failed" and by[R["badjson"]["task_id"]]["status"] == "denied"
txt = subprocess.run([binp, "tasks"], capture_output=True, check=True, text=True).stdout
assert any(l.startswith(up["task_id"]) and " completed " in l for l in txt.splitlines()), txt
shown = subprocess.run([binp, "receipts", "show", up["task_id"]], capture_output=True, check=True).stdout
assert json.loads(shown) == up
code, v = verify(shown.decode())
assert code == 0, v
bad = subprocess.run([binp, "receipts", "show", "no-such-task"], capture_output=True, text=True)
assert bad.returncode == 1 and bad.stdout == "" and len(bad.stderr.strip().splitlines()) == 1, bad
print("motebit_task e2e: ok (%d tasks)" % len(R))
PY
