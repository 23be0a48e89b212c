#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/service_surface.sh — the motebit service tools through the real `workledger serve`
# over stdio, checked by code independent of ours (Python: sqlite3, jsonschema, cryptography):
#  - motebit_service_listing validates against fixtures/motebit/schemas/agent-service-listing-v1.json,
#    and without a configured listing answers {"error":"No service listing configured"} (no isError);
#  - motebit_remember refuses personal/medical/financial/secret with isError and a clear message
#    and leaves the memories table as it was; a "none" memory is stored and found again by one
#    word of its content; recall never returns medical/financial/secret rows (planted directly
#    in the Store), and ranks an old memory below a fresh one with confidence 0.5^(age/half-life);
#  - motebit_credentials: the VerifiablePresentation and both credentials verify under an
#    independent eddsa-jcs-2022 check (own JCS + base58 + Ed25519), a tampered copy does not, the
#    reputation subject validates against reputation-credential-subject-v1.json, and its numbers
#    equal counts computed here from the receipts table.
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SHARED=${WL_SHARED_DIR:-}
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
[ -n "$SHARED" ] && [ -f "$SHARED/fixtures/motebit/schemas/agent-service-listing-v1.json" ] ||
  { echo "SKIP: ../shared absent: fixture schemas needed"; exit 77; }
/usr/bin/python3 -c 'import jsonschema, cryptography' 2>/dev/null ||
  { echo "SKIP: python3-jsonschema and python3-cryptography needed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
"$BIN" init --quiet

/usr/bin/python3 - "$BIN" "$T" "$SHARED" <<'PY'
import base64, hashlib, json, math, os, sqlite3, subprocess, sys, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.exceptions import InvalidSignature
import jsonschema

binp, tmp, shared = sys.argv[1:4]
db_path = os.path.join(tmp, ".motus", "kernel-store.db")
cfg_path = os.path.join(tmp, ".motus", "config.json")
schemas = os.path.join(shared, "fixtures", "motebit", "schemas")

def serve(calls):
    """One `workledger serve` process; calls = [(id, tool, args)]; returns {id: result}."""
    lines = [json.dumps({"jsonrpc": "2.0", "id": "init", "method": "initialize",
                         "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                    "clientInfo": {"name": "e2e", "version": "1"}}}),
             json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})]
    for i, tool, args in calls:
        lines.append(json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                                 "params": {"name": tool, "arguments": args}}))
    p = subprocess.run([binp, "serve"], input=("\n".join(lines) + "\n").encode(),
                       capture_output=True, timeout=120)
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    got = {}
    for l in p.stdout.decode().splitlines():
        m = json.loads(l)
        if m.get("id") not in (None, "init"):
            assert "result" in m, m
            got[m["id"]] = m["result"]
    for i, _, _ in calls:
        assert i in got, ("no response", i)
    return got

def payload(res):
    text = res["content"][0]["text"]
    tag = text.rfind("\n[motebit:")
    assert tag > 0 and text.endswith("]"), text[-80:]
    return json.loads(text[:tag])

# ---------------------------------------------------------------- listing
r = serve([("l0", "motebit_service_listing", {})])["l0"]
assert not r.get("isError"), r
assert payload(r) == {"error": "No service listing configured"}, payload(r)

with open(cfg_path, "w") as f:
    json.dump({"profile": "service",
               "service_listing": {"capabilities": ["summarize", "translate"],
                                   "pricing": [{"capability": "summarize", "unit_cost": 0.25,
                                                "currency": "USD", "per": "task"}],
                                   "sla": {"max_latency_ms": 5000, "availability_guarantee": 0.99},
                                   "description": "Summaries of plain text"},
               "memory": {"half_life_days": 7}}, f)

# planted facts, written straight into the Store (not through our code)
now_ms = int(time.time() * 1000)
def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)
con = sqlite3.connect(db_path)
ident = json.loads(subprocess.run([binp, "identity", "show", "--json"], capture_output=True,
                                  check=True).stdout)
me = ident["motebit_id"]
def receipt(i, status, sub, comp, mid=me, kind="motebit.execution-receipt"):
    body = {"task_id": "t%d" % i, "motebit_id": mid, "status": status, "submitted_at": sub,
            "completed_at": comp, "result": "r", "suite": "motebit-jcs-ed25519-b64-v1"}
    con.execute("INSERT INTO receipts(receipt_id, kind, run_id, task_id, json, created_at)"
                " VALUES (?,?,?,?,?,?)", ("rc%d" % i, kind, None, "t%d" % i,
                json.dumps(body, sort_keys=True, separators=(",", ":")), iso(comp)))
base = 1700000000000
receipt(1, "completed", base + 0, base + 1000)
receipt(2, "completed", base + 5000, base + 8000)
receipt(3, "completed", base + 9000, base + 9500)
receipt(4, "failed", base + 10000, base + 12000)
receipt(5, "denied", base + 13000, base + 13000)
receipt(6, "denied", base + 14000, base + 14001)
receipt(7, "completed", base - 99999, base + 99999999, mid="someone-else")      # not ours
receipt(8, "completed", base - 99999, base + 99999999, kind="motus.work-receipt")  # not a task
def memory(i, content, sens, age_days):
    con.execute("INSERT INTO memories(memory_id, content, sensitivity, confidence, created_at)"
                " VALUES (?,?,?,?,?)", ("mem_planted_%d" % i, content, sens, 100,
                iso(now_ms - int(age_days * 86400000))))
memory(1, "zebra medical record", "medical", 0)
memory(2, "zebra bank account 1234", "financial", 0)
memory(3, "zebra vault password", "secret", 0)
memory(4, "zebra crossing seen yesterday", "none", 30)
memory(5, "zebra stripes are unique", "none", 0)
memory(6, "zebra owner's home address", "personal", 0)
con.commit()
def mem_count():
    return con.execute("SELECT COUNT(*) FROM memories").fetchone()[0]
before = mem_count()

got = serve([("l1", "motebit_service_listing", {}),
             ("m1", "motebit_remember", {"content": "giraffe salary 100k", "sensitivity": "financial"}),
             ("m2", "motebit_remember", {"content": "giraffe diagnosis", "sensitivity": "medical"}),
             ("m3", "motebit_remember", {"content": "giraffe pin 0000", "sensitivity": "secret"}),
             ("m4", "motebit_remember", {"content": "giraffe birthday", "sensitivity": "personal"}),
             ("m5", "motebit_remember", {"content": "The giraffe is the tallest animal", "sensitivity": "none"})])
listing = payload(got["l1"])
schema = json.load(open(os.path.join(schemas, "agent-service-listing-v1.json")))
jsonschema.Draft7Validator(schema).validate(listing)
assert listing["motebit_id"] == me and listing["capabilities"] == ["summarize", "translate"], listing
assert listing["pricing"][0]["unit_cost"] == 0.25 and listing["sla"]["max_latency_ms"] == 5000, listing
assert isinstance(listing["updated_at"], int) and abs(listing["updated_at"] - now_ms) < 600000, listing
assert got["l1"]["structuredContent"] == listing
# the schema check can fail: a listing without listing_id is refused
bad = dict(listing); del bad["listing_id"]
try:
    jsonschema.Draft7Validator(schema).validate(bad); raise SystemExit("schema accepted a bad listing")
except jsonschema.ValidationError:
    pass
for i, sens in [("m1", "financial"), ("m2", "medical"), ("m3", "secret"), ("m4", "personal")]:
    r = got[i]
    assert r.get("isError") is True, (i, r)
    t = r["content"][0]["text"]
    assert ('sensitivity "%s"' % sens) in t and "Nothing was stored" in t, t
    assert r["_meta"]["io.motebit/receipt"]["status"] == "failed", r["_meta"]
assert not got["m5"].get("isError"), got["m5"]
node = payload(got["m5"])["node_id"]
assert node.startswith("mem_"), node
assert mem_count() == before + 1, (mem_count(), before)
row = con.execute("SELECT content, sensitivity FROM memories WHERE memory_id = ?", (node,)).fetchone()
assert row == ("The giraffe is the tallest animal", "none"), row
assert con.execute("SELECT COUNT(*) FROM memories WHERE content LIKE 'giraffe %'").fetchone()[0] == 0
ev = con.execute("SELECT payload FROM events WHERE event_kind = 'memory.written'").fetchall()
assert len(ev) == 1 and json.loads(ev[0][0])["memory_id"] == node, ev
assert "giraffe" not in ev[0][0], "the event must not carry the content"

# ---------------------------------------------------------------- recall
got = serve([("r1", "motebit_recall", {"query": "giraffe"}),
             ("r2", "motebit_recall", {"query": "zebra", "limit": 50}),
             ("r3", "motebit_recall", {"query": "tallest GIRAFFE"}),
             ("r4", "motebit_recall", {"query": "okapi"}),
             ("c1", "motebit_credentials", {})])
r1 = payload(got["r1"])
assert [m["content"] for m in r1] == ["The giraffe is the tallest animal"], r1
assert got["r1"]["structuredContent"] == {"memories": r1}
assert 0 < r1[0]["similarity"] <= 1 and r1[0]["half_life_days"] == 7, r1
assert [m["content"] for m in payload(got["r3"])] == ["The giraffe is the tallest animal"]
assert payload(got["r4"]) == []
r2 = payload(got["r2"])
contents = [m["content"] for m in r2]
for leak in ["zebra medical record", "zebra bank account 1234", "zebra vault password"]:
    assert leak not in contents, ("recall leaked", leak, contents)
assert "zebra owner's home address" in contents, contents   # personal: the local operator sees it
assert contents.index("zebra stripes are unique") < contents.index("zebra crossing seen yesterday"), contents
old = r2[contents.index("zebra crossing seen yesterday")]
assert abs(old["confidence"] - 0.5 ** (30 / 7)) < 0.01, old
fresh = r2[contents.index("zebra stripes are unique")]
assert fresh["confidence"] > 0.99, fresh

# ---------------------------------------------------------------- credentials
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
def b58decode(s):
    n = 0
    for ch in s:
        n = n * 58 + B58.index(ch)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(s) - len(s.lstrip("1"))) + raw
def es_number(x):
    if isinstance(x, bool):
        raise TypeError
    if isinstance(x, int):
        return str(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("non-finite")
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    r = repr(x)
    if "e" in r:
        m, e = r.split("e")
        e = int(e)
        if -7 < e < 21:
            return format(x, "f").rstrip("0").rstrip(".")
        return "%se%s%d" % (m, "+" if e > 0 else "-", abs(e))
    return r
def jcs(v):
    if v is None: return "null"
    if v is True: return "true"
    if v is False: return "false"
    if isinstance(v, (int, float)): return es_number(v)
    if isinstance(v, str): return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list): return "[" + ",".join(jcs(x) for x in v) + "]"
    keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(v[k]) for k in keys) + "}"
def did_pk(did):
    raw = b58decode(did.split("#")[0][len("did:key:z"):])
    assert raw[:2] == b"\xed\x01" and len(raw) == 34, did
    return raw[2:]
def vc_ok(doc):
    proof = doc["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022", proof
    opts = {k: v for k, v in proof.items() if k != "proofValue"}
    body = {k: v for k, v in doc.items() if k != "proof"}
    msg = hashlib.sha256(jcs(opts).encode()).digest() + hashlib.sha256(jcs(body).encode()).digest()
    assert proof["proofValue"][0] == "z"
    try:
        Ed25519PublicKey.from_public_bytes(did_pk(proof["verificationMethod"])).verify(
            b58decode(proof["proofValue"][1:]), msg)
        return True
    except InvalidSignature:
        return False
assert es_number(5e-7) == "5e-7" and es_number(1e21) == "1e+21" and es_number(0.1) == "0.1"
vp = payload(got["c1"])
assert not got["c1"].get("isError") and got["c1"]["structuredContent"] == vp
assert vp["type"] == ["VerifiablePresentation"] and vp["holder"] == ident["did"], vp
assert vc_ok(vp), "presentation proof"
assert vp["proof"]["proofPurpose"] == "authentication"
creds = {c["type"][1]: c for c in vp["verifiableCredential"]}
for c in creds.values():
    assert vc_ok(c), ("credential proof", c["type"])
    assert c["issuer"] == ident["did"] and c["proof"]["verificationMethod"].startswith(ident["did"] + "#")
tampered = json.loads(json.dumps(vp))
tampered["verifiableCredential"][0]["credentialSubject"]["success_rate"] = 1
assert vc_ok(tampered["verifiableCredential"][0]) is False, "a tampered credential must not verify"
assert vc_ok(tampered) is False, "the presentation covers its credentials"
rep = creds["AgentReputationCredential"]["credentialSubject"]
jsonschema.Draft7Validator(json.load(open(os.path.join(schemas,
                           "reputation-credential-subject-v1.json")))).validate(rep)
led = creds["WorkledgerTaskLedgerCredential"]["credentialSubject"]
# numbers computed here from the Store
rows = [json.loads(j) for (j,) in con.execute(
    "SELECT json FROM receipts WHERE kind = 'motebit.execution-receipt'")]
mine = [r for r in rows if r["motebit_id"] == me]
n = {s: sum(1 for r in mine if r["status"] == s) for s in ("completed", "failed", "denied")}
assert (led["tasks_completed"], led["tasks_failed"], led["tasks_denied"]) == (n["completed"], n["failed"], n["denied"]) == (3, 1, 2), led
assert led["task_count"] == rep["task_count"] == rep["sample_size"] == 6, (led, rep)
assert led["first_activity_at"] == min(r["submitted_at"] for r in mine) == base
assert led["last_activity_at"] == max(r["completed_at"] for r in mine) == base + 14001
ran = [r for r in mine if r["status"] in ("completed", "failed")]
assert rep["success_rate"] == led["success_rate"] == n["completed"] / len(ran) == 0.75, rep
assert rep["avg_latency_ms"] == sum(r["completed_at"] - r["submitted_at"] for r in ran) // len(ran) == 1625, rep
assert rep["availability"] == len(ran) / 6 and rep["trust_score"] == (3 + 1) / (4 + 2), rep
assert rep["id"] == ident["did"] and abs(rep["measured_at"] - now_ms) < 600000
print("service surface: ok")
PY
