#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/identity_rotation.sh — `workledger identity rotate` and `workledger verify` across a
# key succession, with the real binary: a receipt signed before the rotation verifies against
# the new current key only through the chain (and the verdict says "retired"); without the chain
# it is refused; the record carries two valid signatures (checked here in Python, independently);
# motebit.md is re-signed by the new key and the motebit_id is unchanged; after a second rotation
# the first key still links; a forged record (tampered field, attacker key substituted, extra
# link) makes the retired-key receipt invalid, and `verify` rejects the forged record itself.
set -euo pipefail
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography needed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
"$BIN" init --quiet

/usr/bin/python3 - "$BIN" "$T" <<'PY'
import json, os, subprocess, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey, Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

binp, tmp = sys.argv[1:3]
ident_dir = os.path.join(tmp, ".motus", "identity")
chain_file = os.path.join(ident_dir, "succession.jsonl")

def run(*args, ok=None):
    p = subprocess.run([binp] + list(args), capture_output=True, timeout=60)
    if ok is not None:
        assert (p.returncode == 0) == ok, (args, p.returncode, p.stdout[-800:], p.stderr[-800:])
    return p

def show():
    return json.loads(run("identity", "show", "--json", ok=True).stdout)

def verdict(*args, ok):
    p = run("verify", *args, ok=ok)
    return json.loads(p.stdout.decode().splitlines()[0])

def receipt(name):
    lines = [json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                         "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                    "clientInfo": {"name": "e2e", "version": "1"}}}),
             json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
             json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                         "params": {"name": "motebit_identity", "arguments": {}}})]
    p = subprocess.run([binp, "serve"], input=("\n".join(lines) + "\n").encode(),
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr[-1000:]
    msg = [json.loads(l) for l in p.stdout.decode().splitlines() if json.loads(l).get("id") == 1][0]
    path = os.path.join(tmp, name)
    json.dump(msg["result"]["_meta"]["io.motebit/receipt"], open(path, "w"))
    return path

id0 = show()
assert id0["succession"] == "none" and id0["retired_keys"] == []
r_old = receipt("r-old.json")
assert verdict(r_old, "--local", ok=True)["key"]["status"] == "current"

out = json.loads(run("identity", "rotate", "--reason", "scheduled rotation", "--json", ok=True).stdout)
id1 = show()
assert id1["motebit_id"] == id0["motebit_id"], "the motebit_id must survive the rotation"
assert id1["public_key"] != id0["public_key"] and out["new_public_key"] == id1["public_key"]
assert id1["retired_keys"] == [id0["public_key"]] and id1["succession"] == "valid", id1

# the record: both keys signed JCS({new_public_key, old_public_key, reason, suite, timestamp})
recs = [json.loads(l) for l in open(chain_file) if l.strip()]
assert len(recs) == 1
rec = recs[0]
assert rec["old_public_key"] == id0["public_key"] and rec["new_public_key"] == id1["public_key"]
assert rec["suite"] == "motebit-jcs-ed25519-hex-v1" and rec["reason"] == "scheduled rotation"
signed = json.dumps({k: rec[k] for k in ("new_public_key", "old_public_key", "reason", "suite", "timestamp")},
                    sort_keys=True, separators=(",", ":")).encode()
Ed25519PublicKey.from_public_bytes(bytes.fromhex(rec["old_public_key"])).verify(bytes.fromhex(rec["old_key_signature"]), signed)
Ed25519PublicKey.from_public_bytes(bytes.fromhex(rec["new_public_key"])).verify(bytes.fromhex(rec["new_key_signature"]), signed)

# motebit.md: re-signed by the new key, with the succession list
md_v = verdict(os.path.join(ident_dir, "motebit.md"), ok=True)
assert md_v["kind"] == "identity_file" and md_v["signer"] == id1["did"], md_v
md = open(os.path.join(ident_dir, "motebit.md")).read()
assert ('public_key: "%s"' % id1["public_key"]) in md and "succession:" in md
assert md.index('public_key: "%s"' % id1["public_key"]) < md.index("succession:")
assert ('motebit_id: "%s"' % id0["motebit_id"]) in md

# old receipt: through the chain yes, without it no
v = verdict(r_old, "--local", ok=True)
assert v["valid"] and v["key"]["status"] == "retired", v
assert v["key"]["signer_key"] == id0["public_key"] and v["key"]["current_key"] == id1["public_key"], v
assert v["key"]["retired_at"] == rec["timestamp"], v
v = verdict(r_old, "--public-key", id1["public_key"], ok=False)
assert not v["valid"] and any("pinned" in r for r in v["reasons"]), v
v = verdict(r_old, "--public-key", id1["public_key"], "--succession", chain_file, ok=True)
assert v["key"]["status"] == "retired", v
# a chain that does not end at the pinned key links nothing
other = Ed25519PrivateKey.generate().public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
v = verdict(r_old, "--public-key", other, "--succession", chain_file, ok=False)
assert any("does not link" in r for r in v["reasons"]), v
# new receipts are signed by the new key
r_new = receipt("r-new.json")
assert verdict(r_new, "--local", ok=True)["key"]["status"] == "current"

# a second rotation: the first key still links through both records
run("identity", "rotate", ok=True)
id2 = show()
assert id2["motebit_id"] == id0["motebit_id"] and id2["retired_keys"] == [id0["public_key"], id1["public_key"]]
for r, k in [(r_old, 0), (r_new, 1)]:
    v = verdict(r, "--local", ok=True)
    assert v["key"]["status"] == "retired" and v["key"]["succession_record"] == k, v

# forgeries
good = [json.loads(l) for l in open(chain_file) if l.strip()]
def with_chain(chain, name):
    p = os.path.join(tmp, name)
    open(p, "w").write("".join(json.dumps(r) + "\n" for r in chain))
    return p
tampered = json.loads(json.dumps(good)); tampered[0]["reason"] = "forged"
attacker = Ed25519PrivateKey.generate()
apk = attacker.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
swapped = json.loads(json.dumps(good)); swapped[0]["old_public_key"] = apk   # claim the attacker's key was ours
body = {k: swapped[0][k] for k in ("new_public_key", "old_public_key", "suite", "timestamp")}
swapped[0].pop("reason", None)
swapped[0]["old_key_signature"] = attacker.sign(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hex()
reordered = [good[1], good[0]]
for name, chain in [("tampered", tampered), ("swapped", swapped), ("reordered", reordered)]:
    path = with_chain(chain, name + ".jsonl")
    v = verdict(r_old, "--public-key", id2["public_key"], "--succession", path, ok=False)
    assert not v["valid"], (name, v)
    if name != "swapped":   # swapped: r_old's key is no longer in the chain at all
        assert any("succession" in r for r in v["reasons"]), (name, v)
v = verdict(with_chain(tampered[:1], "one.jsonl"), ok=False)
assert v["kind"] == "key_succession" and not v["valid"], v
assert verdict(with_chain(good[:1], "good1.jsonl"), ok=True)["kind"] == "key_succession"
# the node's own chain file, forged in place: --local refuses the old receipt, rotate refuses to extend it
open(chain_file, "w").write("".join(json.dumps(r) + "\n" for r in tampered))
v = verdict(r_old, "--local", ok=False)
assert any("succession" in r for r in v["reasons"]), v
p = run("identity", "rotate", ok=False)
assert b"refusing" in p.stderr, p.stderr
after = json.loads(run("identity", "show", "--json", ok=False).stdout)   # exit 1: chain invalid
assert after["succession"] == "invalid" and after["public_key"] == id2["public_key"], after
print("identity rotation: ok")
PY
