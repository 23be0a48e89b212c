#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/delegation.sh — agent-to-agent delegation (spec/mcp.md §3.1.1) with real nodes over
# HTTP on loopback ephemeral ports:
#  1. examples/delegation/run.sh (A → B → C): A's receipt passes `verify --strict-hash` at depth
#     2 with three different keys, relay_task_id binds each hop (inner.relay_task_id ==
#     outer.task_id), delegated_scope at each delegated hop, delegation events in every Store.
#  2. one node A with misbehaving peers: a proxy that tampers with the signed receipt, one that
#     rebinds relay_task_id, a wrong pinned key, trust on first use then a key change behind the
#     same URL, a peer that never answers (timeout), one that answers its identity but not the
#     task (timeout), a closed port, a peer refusing our
#     credentials, a peer whose command fails (failed, nested), a loop A → L → A (denied, signed,
#     nested): each gives A's signed receipt naming the cause (verified), events in A's Store,
#     and A keeps answering; the peer's progress reaches A's caller.
#  3. crafted delegation chains (JSON arrays of tokens; python3 `cryptography`): narrowed →
#     completed; widened, broken link, this node already a delegator, too long → denied; a chain
#     of 10 sent to A cannot grow → denied; a foreign single token forwarded as a chain.
# Needs python3 (sqlite3); part 3 needs the cryptography module and says so when skipped.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
python3 -c 'import sqlite3' 2>/dev/null || { echo "SKIP: python3 sqlite3 missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 - "$W" "$SRC" "$T" <<'PY'
import atexit, base64, json, os, re, socket, sqlite3, subprocess, sys, time

W, SRC, T = sys.argv[1], sys.argv[2], sys.argv[3]
fails = 0
procs = []

def ok(m): print("ok   " + m)
def bad(m):
    global fails
    fails += 1
    print("FAIL " + m)
def check(cond, m):
    ok(m) if cond else bad(m)
    return cond

@atexit.register
def stop_all():
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()

def wait_file(path, proc, what):
    for _ in range(600):
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return open(path).read().strip()
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit("FAIL %s did not start" % what)

def init(name):
    d = os.path.join(T, name)
    os.makedirs(d, exist_ok=True)
    subprocess.run([W, "init", "--quiet"], cwd=d, check=True, capture_output=True)
    j = json.loads(subprocess.run([W, "token", "pubkey", "--json"], cwd=d, check=True,
                                  capture_output=True).stdout)
    return {"dir": d, "mid": j["motebit_id"], "pk": j["public_key"], "name": name}

def serve(node, config):
    with open(os.path.join(node["dir"], ".motus", "config.json"), "w") as f:
        json.dump(config, f)
    pf = os.path.join(T, node["name"] + ".port")
    log = open(os.path.join(T, node["name"] + ".log"), "w")
    p = subprocess.Popen([W, "serve", "--http", "127.0.0.1:0", "--port-file", pf], cwd=node["dir"],
                         stdout=subprocess.DEVNULL, stderr=log)
    procs.append(p)
    node["url"] = "http://127.0.0.1:%s/mcp" % wait_file(pf, p, "node " + node["name"])
    node["store"] = os.path.join(node["dir"], ".motus", "kernel-store.db")
    return node

def fake(script, *args, name):
    pf = os.path.join(T, name + ".port")
    p = subprocess.Popen(["python3", os.path.join(SRC, "tests", "e2e", "fakes", script), *args[:1], pf,
                          *args[1:]], stdout=subprocess.DEVNULL, stderr=open(os.path.join(T, name + ".log"), "w"))
    procs.append(p)
    return "http://127.0.0.1:%s/mcp" % wait_file(pf, p, name)

def call(caller, url, tool, args, timeout=90):
    p = subprocess.run([W, "call", url, tool, json.dumps(args), "--motebit-token", "--timeout", "60"],
                       cwd=caller["dir"], capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()

def task(caller, node, prompt, caps, **kw):
    a = {"prompt": prompt, "required_capabilities": caps}
    a.update(kw)
    t0 = time.time()
    rc, out, err = call(caller, node["url"], "motebit_task", a)
    if rc != 0:
        bad("motebit_task %s: exit %d: %s" % (caps, rc, err.strip()[:300]))
        return None, time.time() - t0
    lines = out.splitlines()
    return json.loads(lines[0]), time.time() - t0

def verify(receipt, pinned=None):
    path = os.path.join(T, "verify.json")
    with open(path, "w") as f:
        json.dump(receipt, f)
    cmd = [W, "verify", "--strict-hash", "--json", path]
    if pinned:
        cmd += ["--public-key", pinned]
    p = subprocess.run(cmd, capture_output=True)
    try:
        v = json.loads(p.stdout)
    except ValueError:
        v = {"valid": False, "out": p.stdout.decode(), "err": p.stderr.decode()}
    return p.returncode, v

def events(store, task_id):
    db = sqlite3.connect(store)
    try:
        run = db.execute("SELECT run_id FROM receipts WHERE task_id=? AND kind='motebit.execution-receipt'",
                         (task_id,)).fetchone()
        if not run:
            return []
        return [(k, json.loads(p)) for k, p in db.execute(
            "SELECT event_kind, payload FROM events WHERE run_id=? ORDER BY seq", (run[0],))]
    finally:
        db.close()

def kinds_payload(evs, kind):
    return [p for k, p in evs if k == kind]

def alive(node, caller):
    rc, out, err = call(caller, node["url"], "motebit_identity", {})
    return rc == 0 and node["mid"] in out

# ---- 1. the three-node example ---------------------------------------------------------------
demo = os.path.join(T, "demo")
env = dict(os.environ, WORKLEDGER_BIN=W, DELEGATION_DIR=demo, DELEGATION_PROMPT="make me loud")
p = subprocess.run(["bash", os.path.join(SRC, "examples", "delegation", "run.sh")], env=env,
                   capture_output=True, timeout=300)
check(p.returncode == 0, "example run.sh exits 0 (%s)" % p.stderr.decode()[-300:])
out = p.stdout.decode()
check(len(out.splitlines()) == 1, "example prints only A's receipt on stdout")
ids = {}
for n in ("a", "b", "c"):
    j = json.loads(subprocess.run([W, "token", "pubkey", "--json"], cwd=os.path.join(demo, n),
                                  capture_output=True).stdout)
    ids[n] = j
try:
    ra = json.loads(out.splitlines()[0])
except (ValueError, IndexError):
    ra = {}
    bad("example stdout is not a receipt: %r" % out[:200])
vp = subprocess.run([W, "verify", "--strict-hash", "--json", "-"], input=out.encode(), capture_output=True)
v = json.loads(vp.stdout or b"{}")
check(vp.returncode == 0 and v.get("valid") and v.get("depth") == 2,
      "verify --strict-hash accepts A's receipt at depth 2 (%s)" % v)
check(v.get("signer_pk", ra.get("public_key")) == ids["a"]["public_key"] or ra.get("public_key") == ids["a"]["public_key"],
      "the top signer is A")
rb = (ra.get("delegation_receipts") or [{}])[0]
rc_ = (rb.get("delegation_receipts") or [{}])[0]
keys = {ra.get("public_key"), rb.get("public_key"), rc_.get("public_key")}
check(len(keys) == 3 and None not in keys, "three different signing keys")
check([ra.get("motebit_id"), rb.get("motebit_id"), rc_.get("motebit_id")] ==
      [ids["a"]["motebit_id"], ids["b"]["motebit_id"], ids["c"]["motebit_id"]], "A, B, C signed in order")
check(rb.get("relay_task_id") == ra.get("task_id") and rc_.get("relay_task_id") == rb.get("task_id"),
      "relay_task_id binds each hop (inner.relay_task_id == outer.task_id)")
check("delegated_scope" not in ra and rb.get("delegated_scope") == "translate" and
      rc_.get("delegated_scope") == "translate", "delegated_scope at each delegated hop")
check([r.get("status") for r in (ra, rb, rc_)] == ["completed"] * 3 and
      ra.get("result") == "MAKE ME LOUD" and rc_.get("tools_used") == ["translate"] and
      ra.get("tools_used") == ["delegate:node-b"] and rb.get("tools_used") == ["delegate:node-c"],
      "completed end to end, C ran the command")
evs_a = events(os.path.join(demo, "a", ".motus", "kernel-store.db"), ra.get("task_id"))
evs_b = events(os.path.join(demo, "b", ".motus", "kernel-store.db"), rb.get("task_id"))
da, db_ = kinds_payload(evs_a, "task.delegated"), kinds_payload(evs_b, "task.delegated")
check(len(da) == 1 and da[0]["peer"] == "node-b" and da[0]["scope"] == "translate" and
      da[0]["chain_length"] == 1 and da[0]["peer_public_key"] == ids["b"]["public_key"],
      "A's Store: task.delegated to node-b, scope translate, chain of 1")
check(len(db_) == 1 and db_[0]["chain_length"] == 2 and db_[0]["scope"] == "translate",
      "B's Store: task.delegated to node-c with a chain of 2")
res_a = kinds_payload(evs_a, "task.delegation_result")
check(len(res_a) == 1 and res_a[0]["status"] == "completed" and res_a[0]["peer_task_id"] == rb.get("task_id"),
      "A's Store: task.delegation_result completed, naming B's task")
routed = kinds_payload(evs_a, "task.routed")
check(routed and routed[0]["executor"] == "delegate" and routed[0]["route"] == "node-b", "A routed to delegate/node-b")

# ---- 2. one node with misbehaving peers ------------------------------------------------------
A, C, D, L, client = (init(n) for n in ("na", "nc", "nd", "nl", "client"))
UPPER = {"type": "command", "argv": ["/bin/sh", "-c", "tr a-z A-Z"], "timeout_s": 30}
serve(C, {"profile": "service", "http": {"known_callers": {A["mid"]: A["pk"], client["mid"]: client["pk"]}},
          "executors": {"cap_ok": UPPER, "cap_md": UPPER, "cap_tamper": UPPER, "cap_relay": UPPER, "cap_tofu": UPPER,
                        "cap_noauth": UPPER,
                        "cap_slow": {"type": "command", "argv": ["/bin/sh", "-c", "sleep 20"], "timeout_s": 30},
                        "cap_boom": {"type": "command", "argv": ["/bin/sh", "-c", "echo kaboom >&2; exit 3"]}}})
serve(D, {"profile": "service", "http": {"known_callers": {A["mid"]: A["pk"]}},
          "executors": {"cap_tofu": UPPER}})
up_c = os.path.join(T, "up_c")
open(up_c, "w").write(C["url"])
up_switch = os.path.join(T, "up_switch")
open(up_switch, "w").write(C["url"])
up_a = os.path.join(T, "up_a")
open(up_a, "w").write("http://127.0.0.1:9/mcp")
p_tamper = fake("mcp_proxy.py", "tamper", up_c, name="tamper")
p_relay = fake("mcp_proxy.py", "relay", up_c, name="relay")
p_switch = fake("mcp_proxy.py", "pass", up_switch, name="switch")
p_toa = fake("mcp_proxy.py", "pass", up_a, name="to_a")
md_c = os.path.join(C["dir"], ".motus", "identity", "motebit.md")
md_forged = os.path.join(T, "forged.md")
open(md_forged, "w").write(open(md_c).read().replace(C["mid"], D["mid"]))   # signature now wrong
p_md = fake("mcp_proxy.py", "mdident", up_c, md_c, name="mdident")
p_mdbad = fake("mcp_proxy.py", "mdident", up_c, md_forged, name="mdforged")
p_hang = fake("peer_fakes.py", "hang", name="hang")
s = socket.socket(); s.bind(("127.0.0.1", 0)); dead = "http://127.0.0.1:%d/mcp" % s.getsockname()[1]; s.close()
serve(L, {"profile": "service", "http": {"known_callers": {A["mid"]: A["pk"]}},
          "peers": [{"name": "node-a", "url": p_toa, "public_key": A["pk"], "capabilities": ["cap_loop"],
                     "motebit_token": True, "timeout_s": 30}]})
def peer(name, url, caps, pk=None, **kw):
    e = {"name": name, "url": url, "capabilities": caps, "motebit_token": True, "timeout_s": 30}
    if pk: e["public_key"] = pk
    e.update(kw)
    return e
serve(A, {"profile": "service", "http": {"known_callers": {client["mid"]: client["pk"], L["mid"]: L["pk"]}},
          "peers": [peer("ok", C["url"], ["cap_ok", "cap_boom"], C["pk"]),
                    peer("tamper", p_tamper, ["cap_tamper"], C["pk"]),
                    peer("relay", p_relay, ["cap_relay"], C["pk"]),
                    peer("pinbad", C["url"], ["cap_pinbad"], D["pk"]),
                    peer("mdident", p_md, ["cap_md"], C["pk"]),
                    peer("mdforged", p_mdbad, ["cap_mdbad"], C["pk"]),
                    peer("tofu", p_switch, ["cap_tofu"]),
                    peer("hang", p_hang, ["cap_hang"], C["pk"], timeout_s=2),
                    peer("dead", dead, ["cap_dead"], C["pk"], timeout_s=5),
                    peer("slow", C["url"], ["cap_slow"], C["pk"], timeout_s=2),
                    {"name": "noauth", "url": C["url"], "capabilities": ["cap_noauth"], "public_key": C["pk"]},
                    peer("loop", L["url"], ["cap_loop"], L["pk"])]})
open(up_a, "w").write(A["url"])

def failed_case(label, caps, cause, prompt="x", status="failed", nested=False, max_s=None):
    r, dt = task(client, A, prompt, caps)
    if r is None:
        return None
    code, v = verify(r, A["pk"])
    check(code == 0 and v.get("valid"), "%s: A's receipt is signed and verifies (%s)" % (label, v.get("reasons")))
    check(r.get("status") == status, "%s: status %s (got %s)" % (label, status, r.get("status")))
    check(cause in r.get("result", ""), "%s: result names the cause %r (%s)" % (label, cause, r.get("result", "")[:200]))
    check(("delegation_receipts" in r) == nested, "%s: %s nested receipt" % (label, "a" if nested else "no"))
    if max_s is not None:
        check(dt < max_s, "%s: answered in %.1f s (< %d s)" % (label, dt, max_s))
    evs = events(A["store"], r.get("task_id"))
    res = kinds_payload(evs, "task.delegation_result")
    fin = kinds_payload(evs, "task.finished")
    want = {"failed": "error", "denied": "denied"}[status] if not nested else status
    check(len(res) == 1 and res[0]["status"] == want and (nested or cause in res[0].get("error", "")),
          "%s: A's Store has task.delegation_result %s (%s)" % (label, want, res))
    check(len(fin) == 1 and fin[0]["status"] == status, "%s: A's Store has task.finished %s" % (label, status))
    return r

r, _ = task(client, A, "hello", ["cap_ok"])
check(r is not None and r["status"] == "completed" and r["result"] == "HELLO" and
      verify(r, A["pk"])[1].get("depth") == 1, "a good peer: completed at depth 1")
r = failed_case("peer command fails", ["cap_boom"], 'peer "ok" failed the task', nested=True)
if r:
    check(r["delegation_receipts"][0]["status"] == "failed", "peer command fails: the peer's failed receipt is nested")
failed_case("tampered receipt", ["cap_tamper"], "does not verify", prompt="tamperme")
# a peer whose motebit_identity answers with its signed motebit.md instead of JSON
r, _ = task(client, A, "md", ["cap_md"])
check(r is not None and r.get("status") == "completed" and r.get("result") == "MD" and
      verify(r, A["pk"])[1].get("depth") == 1, "identity as a signed motebit.md: delegation completes")
failed_case("forged motebit.md identity", ["cap_mdbad"], "malformed identity")
failed_case("relay_task_id rebound", ["cap_relay"], "bound to another task")
failed_case("pinned key mismatch", ["cap_pinbad"], "peer key mismatch")
r, _ = task(client, A, "first use", ["cap_tofu"])
check(r is not None and r["status"] == "completed", "trust on first use: completed")
db = sqlite3.connect(A["store"])
pins = [json.loads(p) for (p,) in db.execute("SELECT payload FROM events WHERE event_kind='peer.pinned'")]
db.close()
check(pins == [{"peer": "tofu", "motebit_id": C["mid"], "public_key": C["pk"]}], "peer.pinned records C's key (%s)" % pins)
open(up_switch, "w").write(D["url"])
failed_case("key changed after first use", ["cap_tofu"], "pinned on first use")
open(up_switch, "w").write(C["url"])
r, _ = task(client, A, "back", ["cap_tofu"])
check(r is not None and r["status"] == "completed", "the first-use key still works")
failed_case("peer never answers", ["cap_hang"], "timed out", max_s=30)
failed_case("peer answers identity but not the task", ["cap_slow"], "no answer to motebit_task", max_s=30)
failed_case("peer unreachable", ["cap_dead"], "unreachable")
failed_case("peer refuses our credentials", ["cap_noauth"], "refused our authentication")
r = failed_case("loop A -> L -> A", ["cap_loop"], "delegation loop", status="denied", nested=True)
if r:
    inner = r["delegation_receipts"][0]
    check(inner["status"] == "denied" and "delegation loop" in inner["result"] and inner["motebit_id"] == L["mid"],
          "loop: L's signed denied receipt names the loop")
p = subprocess.run([W, "call", A["url"], "motebit_task", json.dumps({"prompt": "progress", "required_capabilities": ["cap_ok"]}),
                    "--motebit-token", "--progress", "--timeout", "60"], cwd=client["dir"], capture_output=True, timeout=90)
check(p.returncode == 0 and 'peer "ok": ' in p.stderr.decode(),
      "the peer's progress is relayed to our caller (%s)" % p.stderr.decode()[-300:])
check(alive(A, client), "A keeps answering")
check(alive(C, client), "C keeps answering")
r, _ = task(client, A, "still", ["cap_ok"])
check(r is not None and r["status"] == "completed", "A still delegates afterwards")

# ---- 3. crafted chains -----------------------------------------------------------------------
try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
except ImportError:
    Ed25519PrivateKey = None
    print("NOTE: python3 cryptography absent: crafted chain cases skipped")

if Ed25519PrivateKey:
    def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    class K:
        def __init__(self, mid=None):
            self.sk = Ed25519PrivateKey.generate()
            self.pk = self.sk.public_key().public_bytes(serialization.Encoding.Raw,
                                                        serialization.PublicFormat.Raw).hex()
            self.mid = mid or ("x-" + self.pk[:12])
    def tok(frm, to_mid, to_pk, scope):
        now = int(time.time() * 1000)
        t = {"delegator_id": frm.mid, "delegator_public_key": frm.pk, "delegate_id": to_mid,
             "delegate_public_key": to_pk, "scope": scope, "issued_at": now - 1000,
             "expires_at": now + 600000, "suite": "motebit-jcs-ed25519-b64-v1"}
        body = json.dumps(t, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        t["signature"] = b64u(frm.sk.sign(body))
        return t
    def chain(keys, last, scopes):
        out = []
        for i, k in enumerate(keys):
            nxt = keys[i + 1] if i + 1 < len(keys) else None
            out.append(tok(k, nxt.mid if nxt else last["mid"], nxt.pk if nxt else last["pk"], scopes[i]))
        return out
    def chain_task(label, node, ch, caps, status, cause):
        r, _ = task(client, node, "chained", caps, delegation_token=json.dumps(ch))
        if r is None:
            return None
        code, v = verify(r, node["pk"])
        check(code == 0 and r["status"] == status and cause in r["result"],
              "%s: signed %s naming %r (%s)" % (label, status, cause, r["result"][:160]))
        return r
    X, Y = K(), K()
    r = chain_task("narrowed chain", C, chain([X, Y], C, ["cap_ok,cap_boom", "cap_ok"]), ["cap_ok"],
                   "completed", "CHAINED")
    if r:
        check(r.get("delegated_scope") == "cap_ok", "narrowed chain: delegated_scope is the last token's")
    chain_task("widened chain", C, chain([X, Y], C, ["cap_ok", "cap_ok,cap_boom"]), ["cap_ok"],
               "denied", "widens")
    broken = chain([X, Y], C, ["cap_ok", "cap_ok"])
    broken[0] = tok(X, "someone", K().pk, "cap_ok")
    chain_task("broken link", C, broken, ["cap_ok"], "denied", "does not verify")
    chain_task("this node already a delegator", C, chain([K(mid=C["mid"]), Y], C, ["cap_ok", "cap_ok"]),
               ["cap_ok"], "denied", "delegation loop")
    ks = [K() for _ in range(11)]
    chain_task("chain of 11", C, chain(ks, C, ["cap_ok"] * 11), ["cap_ok"], "denied", "depth limit")
    chain_task("required outside the last scope", C, chain([X, Y], C, ["cap_ok,cap_boom", "cap_boom"]),
               ["cap_ok"], "denied", "not within delegated scope")
    # sent to A, which would delegate: a chain of 10 cannot grow
    r = chain_task("chain of 10 at a delegating node", A, chain(ks[:10], A, ["cap_ok"] * 10), ["cap_ok"],
                   "denied", "would exceed")
    # a single foreign token: A forwards [token, A's token]; C checks the chain and narrowing
    single = tok(X, A["mid"], A["pk"], "cap_ok,cap_boom")
    r, _ = task(client, A, "forward me", ["cap_ok"], delegation_token=json.dumps(single))
    if r is not None:
        inner = (r.get("delegation_receipts") or [{}])[0]
        check(r["status"] == "completed" and r.get("delegated_scope") == "cap_ok,cap_boom" and
              inner.get("delegated_scope") == "cap_ok" and inner.get("relay_task_id") == r["task_id"],
              "a single token is forwarded as a chain and narrowed (%s / %s)" %
              (r.get("delegated_scope"), inner.get("delegated_scope")))
        dl = kinds_payload(events(A["store"], r["task_id"]), "task.delegated")
        check(dl and dl[0]["chain_length"] == 2 and dl[0]["scope"] == "cap_ok", "A recorded a chain of 2 (%s)" % dl)
    check(alive(A, client) and alive(C, client), "the nodes keep answering after the crafted chains")

if fails:
    for n in ("na", "nc", "nl"):
        try:
            print("--- %s.log" % n); print(open(os.path.join(T, n + ".log")).read()[-1500:])
        except OSError:
            pass
sys.exit(1 if fails else 0)
PY
