#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/schema_limits.sh — schemas/tools/*.json are the single source of truth for argument
# limits: the same evidence summary gets the same outcome over MCP (tools/call
# motus_work_evidence on `workledger serve`, stdio) and on the CLI (`workledger work evidence`).
# A 3000-character summary (and 4000 two-byte characters: limits count code points) is accepted
# on both paths and stored whole; a summary one character over the schema's maxLength is refused
# over MCP with an isError result carrying the schema's message and on the CLI with the same
# message as its one stderr line, a usage exit code, and a byte-identical Store.
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
cd "$T"
"$BIN" init --path . --quiet >/dev/null

python3 - "$BIN" "$MOTUS_KERNEL_STORE_PATH" <<'PY'
import hashlib, json, sqlite3, subprocess, sys
binp, store = sys.argv[1], sys.argv[2]

def cli(*args):
    return subprocess.run([binp, *args], capture_output=True, text=True, timeout=60)

def store_digest():
    c = sqlite3.connect("file:%s?mode=ro" % store, uri=True)
    h = hashlib.sha256()
    for line in c.iterdump():
        h.update(line.encode())
    c.close()
    return h.hexdigest()

def claim(work_id):
    p = cli("work", "claim", work_id, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["lease_id"]

def summaries(lease):
    p = cli("work", "status", lease, "--json")
    assert p.returncode == 0, p.stderr
    return [e.get("summary") for e in json.loads(p.stdout)["evidence"]]

# the limit under test is the one the served schema states
p = subprocess.run([binp, "serve"], capture_output=True, timeout=60, input=(
    json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}}) + "\n" +
    json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n" +
    json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}) + "\n").encode())
tools = {t["name"]: t for l in p.stdout.splitlines() for m in [json.loads(l)] if m.get("id") == 2
         for t in m["result"]["tools"]}
schema_max = tools["motus_work_evidence"]["inputSchema"]["properties"]["summary"]["maxLength"]
assert schema_max >= 3000, schema_max

ok_ascii, ok_wide, too_long = "a" * 3000, "\u00e9" * schema_max, "b" * (schema_max + 1)
want = ("Invalid arguments for tool motus_work_evidence: /summary: string longer than %d characters"
        % schema_max)

# ---- MCP: one session, three evidence calls on a lease claimed for it -------------------------
mcp_lease = claim("ADHOC-SCHEMA-MCP")
lines = [
    {"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
]
for i, s in (("ok", ok_ascii), ("wide", ok_wide), ("long", too_long)):
    lines.append({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {
        "name": "motus_work_evidence",
        "arguments": {"lease_id": mcp_lease, "kind": "log", "summary": s}}})
p = subprocess.run([binp, "serve"], input=("\n".join(json.dumps(l) for l in lines) + "\n").encode(),
                   capture_output=True, timeout=120)
assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
got = {m.get("id"): m for m in map(json.loads, p.stdout.splitlines())}
for i in ("ok", "wide"):
    r = got[i]["result"]
    assert not r.get("isError"), (i, r["content"][0]["text"][:300])
    assert r["structuredContent"]["evidence_id"].startswith("evidence-"), r
r = got["long"]["result"]
assert r.get("isError") is True, r
mcp_text = r["content"][0]["text"]
assert mcp_text == want, mcp_text
# calls of one session run concurrently: their evidence may be stored in either order
assert sorted(summaries(mcp_lease)) == sorted([ok_ascii, ok_wide]), "MCP: the stored summaries differ"

# ---- CLI: the same three summaries ------------------------------------------------------------
cli_lease = claim("ADHOC-SCHEMA-CLI")
for s in (ok_ascii, ok_wide):
    p = cli("work", "evidence", cli_lease, "log", "--summary", s)
    assert p.returncode == 0, p.stderr
assert summaries(cli_lease) == [ok_ascii, ok_wide], "CLI: the stored summaries differ"
before = store_digest()
p = cli("work", "evidence", cli_lease, "log", "--summary", too_long)
after = store_digest()
assert p.returncode == 2, ("CLI exit", p.returncode, p.stderr)
err = p.stderr.splitlines()
assert len(err) == 1, err
assert err[0] == "workledger: " + mcp_text, (err[0], mcp_text)
assert before == after, "the refused CLI call changed the Store"
assert summaries(cli_lease) == [ok_ascii, ok_wide]

# ---- the other mirrored commands refuse by the schema too (Store untouched) -------------------
before = store_digest()
for args, tool in ((["work", "decision", cli_lease, "x" * 4001], "motus_work_decision"),
                   (["work", "claim", "w" * 121], "motus_work_claim"),
                   (["work", "release", cli_lease, "finished"], "motus_work_release"),
                   (["wrap", "--timeout", "0", "--", "true"], "motus_wrap")):
    p = cli(*args)
    err = p.stderr.splitlines()
    assert p.returncode == 2 and len(err) == 1, (args[:2], p.returncode, err)
    assert err[0].startswith("workledger: Invalid arguments for tool %s: /" % tool), err
assert store_digest() == before, "a refused CLI call changed the Store"
print("schema_limits: ok")
PY
