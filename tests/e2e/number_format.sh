#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/number_format.sh — every number we print is as short as it can be
# (spec/canonical-json.md "Output JSON", R-JSON-002/005). One `workledger serve --profile service`
# over stdio, with a service listing, memories, command executors and the autonomous preset,
# calls EVERY tool that tools/list names (the motebit_* and motus_* tools, with valid arguments;
# a listed tool this script does not know fails it), then reads each JSON-RPC line with Python's
# own parser: every real token (in the message, in each result's text content, structuredContent
# and signed receipt, and in any JSON text nested in strings) must read back to a double whose
# shortest repr has as many significant digits as the token, and must not carry a trailing
# fractional zero ("1.0", "0.50"). Known values must come out exactly (availability_guarantee
# 0.99, unit_cost 0.1), and reals must have been seen in the listing, recall and credentials.
# The CLI's --json outputs of the same Store go through the same check. Exit 77 = skipped.
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
"$BIN" init --quiet >/dev/null 2>&1
cat > .motus/config.json <<'EOF'
{"profile": "service",
 "policy": {"preset": "autonomous"},
 "executors": {
   "echo": {"type": "command", "argv": ["cat"]},
   "boom": {"type": "command", "argv": ["/bin/sh", "-c", "echo partial; exit 3"]}
 },
 "service_listing": {"capabilities": ["echo"],
                     "pricing": [{"capability": "echo", "unit_cost": 0.1, "currency": "USD", "per": "task"},
                                 {"capability": "boom", "unit_cost": 0.3, "currency": "USD", "per": "token"}],
                     "sla": {"max_latency_ms": 5000, "availability_guarantee": 0.99},
                     "description": "echo service"},
 "memory": {"half_life_days": 0.7}}
EOF

python3 - "$BIN" <<'PY'
import json, re, subprocess, sys
binp = sys.argv[1]
TAG = re.compile(r"\n\[motebit:[^\]]*\]\s*$")

def sig_digits(tok):
    m = tok.lower().split("e")[0].lstrip("-").replace(".", "").lstrip("0").rstrip("0")
    return max(len(m), 1)

seen = {}  # token -> where

def check_real(tok, where):
    d = float(tok)
    short = repr(d)
    assert sig_digits(tok) <= sig_digits(short), "%s: %s has more digits than %s" % (where, tok, short)
    frac = tok.lower().split("e")[0]
    assert not ("." in frac and frac.endswith("0")), "%s: %s has a trailing fractional zero" % (where, tok)
    seen.setdefault(tok, where)
    return d

def scan_text(text, where, depth=0):
    """Parses `text` as JSON (a trailing motebit tag removed) and checks every real in it, then
    every string inside that is JSON itself. Non-JSON text is left alone."""
    body = TAG.sub("", text)
    try:
        v = json.loads(body, parse_float=lambda t: check_real(t, where))
    except ValueError:
        return None
    if depth < 4:
        walk_strings(v, where, depth + 1)
    return v

def walk_strings(v, where, depth):
    if isinstance(v, dict):
        for k, x in v.items():
            walk_strings(x, where + "." + k, depth)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk_strings(x, "%s[%d]" % (where, i), depth)
    elif isinstance(v, str) and v[:1] in "{[":
        scan_text(v, where, depth)

p = subprocess.Popen([binp, "serve", "--profile", "service"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
lines = []
def rpc(i, method, params=None):
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    p.stdin.write((json.dumps(m) + "\n").encode())
    p.stdin.flush()
    while True:
        l = p.stdout.readline().decode()
        assert l, ("server closed", p.stderr.read()[-2000:])
        lines.append((str(i), l))
        m = json.loads(l)
        if m.get("id") == i and "method" not in m:
            assert "result" in m, m
            return m["result"]

def call(i, name, args):
    r = rpc(i, "tools/call", {"name": name, "arguments": args})
    assert not r.get("isError"), (name, r["content"][0]["text"][:400])
    return r

rpc("init", "initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                           "clientInfo": {"name": "e2e", "version": "1"}})
p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
p.stdin.flush()
listed = [t["name"] for t in rpc("list", "tools/list")["tools"]]

def structured(r):
    return r.get("structuredContent") or json.loads(TAG.sub("", r["content"][0]["text"]))

called = set()
def tool(i, name, args):
    called.add(name)
    return call(i, name, args)

tool("id", "motebit_identity", {})
tool("tools", "motebit_tools", {})
tool("listing", "motebit_service_listing", {})
tool("t1", "motebit_task", {"prompt": "hello", "required_capabilities": ["echo"]})
tool("t2", "motebit_task", {"prompt": "again", "required_capabilities": ["echo"]})
tool("t3", "motebit_task", {"prompt": "fails", "required_capabilities": ["boom"]})
tool("rem1", "motebit_remember", {"content": "zebra stripes are unique"})
tool("rem2", "motebit_remember", {"content": "zebra crossing ahead", "sensitivity": "none"})
tool("recall", "motebit_recall", {"query": "zebra", "limit": 5})
tool("creds", "motebit_credentials", {})
claim = structured(tool("claim", "motus_work_claim", {"work_id": "FLOAT-1", "intent": "numbers"}))
lease = claim["lease_id"]
tool("ev", "motus_work_evidence", {"lease_id": lease, "kind": "test_result", "passed": 3,
                                    "failed": 0, "skipped": 1, "summary": "ok"})
tool("renew", "motus_work_renew", {"lease_id": lease, "ttl": 600})
tool("dec", "motus_work_decision", {"lease_id": lease, "text": "ship", "rationale": "green"})
tool("status", "motus_work_status", {"id": lease})
tool("list1", "motus_work_list", {})
tool("list2", "motus_work_list", {"open": True})
tool("rel", "motus_work_release", {"lease_id": lease, "outcome": "success", "summary": "done"})
tool("wr", "motus_work_receipt", {"id": lease})
tool("exp", "motus_run_export", {"id": lease})
tool("wrap", "motus_wrap", {"argv": ["echo", "0.1 + 0.2"], "keep_output": True})
p.stdin.close()
assert p.wait(timeout=120) == 0, p.stderr.read()[-2000:]

missing = [n for n in listed if n not in called]
assert not missing, "tools listed but not exercised by this sweep: %s" % missing

for i, l in lines:
    m = json.loads(l, parse_float=lambda t: check_real(t, "line " + i))
    walk_strings(m, "line " + i, 0)

listing_line = [l for i, l in lines if i == "listing"][-1]
for tok in ('"availability_guarantee":0.99', '"unit_cost":0.1', '"unit_cost":0.3'):
    assert tok in listing_line, (tok, listing_line[:800])
where = lambda name: [t for t, w in seen.items() if w.startswith("line " + name)]
assert where("recall"), "no real in the recall results"
assert where("creds"), "no real in the credentials"
print("json numbers: %d tool calls, %d tools, %d distinct reals, all shortest" %
      (len([1 for i, _ in lines]), len(called), len(seen)))

# the CLI's JSON outputs of the same Store
for argv in (["tasks", "--json"], ["identity", "show", "--json"], ["doctor", "--json"],
             ["work", "status", lease, "--json"]):
    r = subprocess.run([binp] + argv, capture_output=True)
    assert r.returncode == 0, (argv, r.stderr[-500:])
    for l in r.stdout.decode().splitlines():
        scan_text(l, " ".join(argv))
PY
echo "ok: number format"
