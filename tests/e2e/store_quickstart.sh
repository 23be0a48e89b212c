#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/store_quickstart.sh — the Motus quickstart (shared/seeds/motus.txt) with `workledger`
# in place of `motus`: init, doctor, claim -> evidence -> release -> receipt (+ --export), and
# wrap -- true / false / sh -c 'exit 3'. The exported receipt, store export and projection
# manifest are validated against ../shared/fixtures/motus/schemas (python3-jsonschema; skipped,
# saying so, when missing), the lineage and Level 1 checks of reference/motus.md §4.3 are
# re-run in Python, exports are byte-compared, the receipt signature is checked with
# `workledger verify`, and the bad-input cases must leave the Store unchanged.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SHARED=${WL_SHARED_DIR:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }
expect_rc() { # expected actual what
  [ "$1" = "$2" ] || die "$3: exit $2, expected $1"
}
store_digest() { python3 - "$1" <<'EOF'
import hashlib, sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
h = hashlib.sha256()
for line in c.iterdump():
    h.update(line.encode())
print(h.hexdigest())
EOF
}
one_line() { # file what
  local n; n=$(wc -l < "$1")
  [ "$n" -eq 1 ] || die "$2: expected one stderr line, got $n: $(cat "$1")"
}

# ---- quickstart -------------------------------------------------------------------------------
"$W" doctor > doctor0.txt; expect_rc 1 $? "doctor before init"
"$W" init --path . > init.txt; expect_rc 0 $? "init"
"$W" init --path . --quiet; expect_rc 0 $? "init again (idempotent)"
# after a clean close the database file alone (without -wal/-shm) is a Store, not an empty file
cp .motus/kernel-store.db alone.db
python3 -c 'import sqlite3,sys; n=sqlite3.connect(sys.argv[1]).execute("select count(*) from sqlite_master where name=\"events\"").fetchone()[0]; sys.exit(0 if n==1 else 1)' alone.db ||
  die "the Store file alone has no schema after init"
rm -f alone.db
[ -f .motus/kernel-store.db ] || die "no .motus/kernel-store.db"
[ "$(stat -c %a .motus/identity/key)" = 600 ] || die "identity key is not mode 0600"
"$W" verify .motus/identity/motebit.md > idverify.json; expect_rc 0 $? "identity file verifies"
"$W" doctor > doctor1.txt; expect_rc 0 $? "doctor after init"

LEASE_ID=$("$W" work claim ADHOC-QUICKSTART-001 --intent "First local work item" --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["lease_id"])')
[ -n "$LEASE_ID" ] || die "claim returned no lease_id"
"$W" work claim ADHOC-QUICKSTART-001 2> busy.err; expect_rc 1 $? "second claim (BUSY)"
grep -q busy busy.err || die "BUSY claim message: $(cat busy.err)"
"$W" work evidence "$LEASE_ID" test_result --passed 1 --failed 0; expect_rc 0 $? "evidence"
echo "artifact" > artifact.txt
"$W" work evidence "$LEASE_ID" artifact --file artifact.txt --uri "file://artifact.txt" --json > ev2.json
expect_rc 0 $? "evidence --file"
want=$(sha256sum artifact.txt | cut -c1-64)
got=$(python3 -c 'import json,sys; print(json.load(open("ev2.json"))["digest"]["value"])')
[ "$want" = "$got" ] || die "file evidence digest $got != sha256 $want"
"$W" work decision "$LEASE_ID" "ship it" --rationale "tests pass"; expect_rc 0 $? "decision"
"$W" work status "$LEASE_ID" --json > status.json; expect_rc 0 $? "status"
"$W" work release "$LEASE_ID" success --json > rel1.json; expect_rc 0 $? "release"
"$W" work release "$LEASE_ID" success --json > rel2.json; expect_rc 0 $? "release again"
python3 - <<'EOF' || die "repeated release must return the same receipt"
import json
a, b = json.load(open("rel1.json")), json.load(open("rel2.json"))
assert a["receipt_id"] == b["receipt_id"] and a["receipt_id"].startswith("sha256:")
assert a["outcome"] == "success" and b["replayed"] is True and a["replayed"] is False
EOF
"$W" work receipt "$LEASE_ID" > receipt.json; expect_rc 0 $? "receipt"
"$W" work receipt "$LEASE_ID" --export exp1 > /dev/null; expect_rc 0 $? "receipt --export"
"$W" work receipt "$LEASE_ID" --export exp2 > /dev/null; expect_rc 0 $? "receipt --export again"
for f in receipt.json store-export.json projection-manifest.json; do
  cmp -s "exp1/$f" "exp2/$f" || die "export is not deterministic: $f differs"
done
"$W" verify exp1/receipt.json > rverify.json; expect_rc 0 $? "workledger verify receipt"
grep -q '"valid":true' rverify.json || die "receipt does not verify: $(cat rverify.json)"
"$W" run packet "$LEASE_ID" > packet.txt; expect_rc 0 $? "run packet"
grep -q "ship it" packet.txt || die "packet lacks the decision"
"$W" work list --json > list.json; expect_rc 0 $? "work list"

# ---- wrap -------------------------------------------------------------------------------------
out=$("$W" wrap -- python3 -c "print('motus store run')" 2> wrap.err); expect_rc 0 $? "wrap python3"
[ "$out" = "motus store run" ] || die "wrap did not stream stdout: '$out'"
grep -q "work receipt" wrap.err || die "wrap did not say how to get the receipt"
"$W" wrap -- true 2>/dev/null; expect_rc 0 $? "wrap true"
"$W" wrap -- false 2>/dev/null; expect_rc 1 $? "wrap false"
"$W" wrap -- sh -c 'exit 3' 2>/dev/null; expect_rc 3 $? "wrap sh -c 'exit 3'"
"$W" wrap -- /nonexistent/cmd 2>/dev/null; expect_rc 127 $? "wrap not found"
"$W" wrap --timeout 1 -- sleep 10 2>/dev/null; expect_rc 124 $? "wrap timeout"
printf 'a\nb' | "$W" wrap --json -- cat > cat.out 2> cat.err; expect_rc 0 $? "wrap cat"
[ "$(printf 'a\nb')" = "$(cat cat.out)" ] || die "stdin/stdout not passed through"
python3 - <<'EOF' || die "wrap counts: $(cat cat.err)"
import json
r = json.loads(open("cat.err").read().strip().splitlines()[-1])
assert r["stdout"] == {"bytes": 3, "lines": 1}, r
assert r["exit_status"] == 0 and r["outcome"] == "success"
EOF
RUN=$(python3 -c 'import json; print(json.loads(open("cat.err").read().strip().splitlines()[-1])["run_id"])')
"$W" work receipt "$RUN" --export wrapexp > /dev/null; expect_rc 0 $? "wrap receipt --export"
"$W" doctor > doctor2.txt; expect_rc 0 $? "doctor after the quickstart"

# ---- schema validation + lineage + Level 1 ------------------------------------------------------
if [ -n "$SHARED" ] && [ -d "$SHARED/fixtures/motus/schemas" ] && python3 -c 'import jsonschema' 2>/dev/null; then
  for d in exp1 wrapexp; do
    python3 - "$SHARED/fixtures/motus/schemas" "$d" <<'EOF' || die "Motus validation of $d"
import copy, hashlib, json, os, sys
import jsonschema
sd, d = sys.argv[1], sys.argv[2]
schemas = {}
for f in os.listdir(sd):
    if f.endswith(".schema.json"):
        s = json.load(open(os.path.join(sd, f)))
        schemas[s["$id"]] = s
def validator(name):
    s = schemas["https://motus.dev/schemas/%s.schema.json" % name]
    try:
        from referencing import Registry, Resource
        reg = Registry().with_resources([(k, Resource.from_contents(v)) for k, v in schemas.items()])
        return jsonschema.Draft202012Validator(s, registry=reg, format_checker=jsonschema.FormatChecker())
    except ImportError:
        res = jsonschema.RefResolver.from_schema(s, store=schemas)
        return jsonschema.Draft202012Validator(s, resolver=res, format_checker=jsonschema.FormatChecker())
canon = lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
sha = lambda v: hashlib.sha256(canon(v)).hexdigest()
r = json.load(open(os.path.join(d, "receipt.json")))
x = json.load(open(os.path.join(d, "store-export.json")))
m = json.load(open(os.path.join(d, "projection-manifest.json")))
for name, doc in (("work-receipt-envelope", r), ("store-export", x), ("projection-manifest", m)):
    errs = sorted(validator(name).iter_errors(doc), key=lambda e: list(e.path))
    assert not errs, "%s: %s at %s" % (name, errs[0].message, list(errs[0].path))
b = copy.deepcopy(r); b.pop("receipt_id"); b["hashes"].pop("receipt")
D = hashlib.sha256(canon(b)).hexdigest()
assert r["receipt_id"] == "sha256:" + D and r["hashes"]["receipt"]["value"] == D, "receipt digest"
src = {"algorithm": "sha256", "value": sha(x), "canonicalization": "json.sorted.compact.v0"}
assert r["events_ref"]["digest"] == src == r["hashes"]["source_export"], "lineage"
assert m["source_export_hash"] == "sha256:" + sha(x), "manifest source_export_hash"
assert m["projections"]["work_receipt"]["digest"] == r["receipt_id"], "manifest receipt digest"
kinds = {"work.started": ["work_id", "actor", "trigger", "instruction"], "tool.used": ["tool_refs"],
         "evidence.referenced": ["evidence_refs"],
         "work.closed": ["outcome", "acceptance", "route_summary", "handoff"]}
ev, run = x["events"], x["runs"][0]
assert [e["seq"] for e in ev] == list(range(1, len(ev) + 1)), "seq 1..N"
assert all(e["run_id"] == run["run_id"] for e in ev)
ks = [e["event_kind"] for e in ev]
assert ks.count("work.started") == 1 and ks.count("work.closed") == 1 and ks[-1] == "work.closed"
for e in ev:
    k = e["event_kind"]
    assert e["schema_hash"] == "sha256:" + sha({"schema_version": "motus.event-kind-schema.v0.1",
                                                "event_kind": k, "required_payload": kinds[k]}), k
    assert e["payload_hash"] == "sha256:" + sha(e["payload"])
    c = dict(e); eid = c.pop("event_id")
    assert eid == "sha256:" + sha(c), "event_id"
closed = ev[-1]["payload"]; started = ev[0]["payload"]
assert "redaction" in closed and "handoff" in r
for k in ("outcome", "acceptance", "route_summary", "handoff", "redaction"):
    assert r[k] == closed[k], k
assert r["actor"] == started["actor"] and r["trigger"] == started["trigger"]
assert r["work_id"] == run["work_id"] == started["work_id"] and r["run_id"] == run["run_id"]
assert run["status"] == "closed" and run["outcome_status"] == closed["outcome"]["status"]
assert run["closed_at"] == closed["outcome"]["closed_at"]
assert r["runtime"]["name"] == "workledger" and r["runtime"]["kind"] == "cli"
sig = r["signatures_optional"][0]
assert sig["suite"] == "motus-sorted-ed25519-b64-v1" and len(sig["public_key"]) == 64
print("motus: %s valid (schemas, digest, lineage, level 1)" % d)
EOF
  done
else
  echo "SKIP: schema validation (needs ../shared and python3-jsonschema)" >&2
fi

# ---- wrap --keep-output: digest + a redacted, valid-UTF-8 copy ------------------------------------
printf 'ok \370\200\200 token=hunter2 caf\303\251\n' > keep.in
"$W" wrap --keep-output --json -- cat keep.in > keep.out 2> keep.json; expect_rc 0 $? "wrap --keep-output"
cmp -s keep.in keep.out || die "wrap changed the command's output"
python3 - keep.json .motus/kernel-store.db <<'PY' || die "keep-output copy"
import json, sqlite3, sys, hashlib
run = json.loads(open(sys.argv[1]).read().splitlines()[-1])["run_id"]  # wrap --json: on stderr
db = sqlite3.connect(sys.argv[2])
kept = None
for (p,) in db.execute("select payload from events where run_id=? order by seq", (run,)):
    p = json.loads(p)
    if "kept_output" in p: kept = p; break
assert kept, "no kept_output in the run's events"
text = kept["kept_output"]["stdout"]["redacted_text"]
assert "hunter2" not in text and "token=[REDACTED]" in text, text
assert "caf\u00e9" in text and "ok ??? " in text, text          # each bad byte -> "?", good UTF-8 kept
raw = open("keep.in", "rb").read()
digests = [r["digest"]["value"] for r in kept["evidence_refs"] if r.get("evidence_id") == "stdout"]
assert digests == [hashlib.sha256(raw).hexdigest()], digests
PY

# ---- the wrapped command never inherits workledger's own secrets ---------------------------------
WORKLEDGER_TOKEN=tok-sekrit WORKLEDGER_CALL_TOKEN=call-sekrit WL_PLAIN=visible \
  "$W" wrap -- env > env.out 2>/dev/null; expect_rc 0 $? "wrap env"
grep -q '^WL_PLAIN=visible$' env.out || die "wrap dropped an ordinary variable"
! grep -q 'sekrit' env.out || die "wrap passed a workledger secret to the command"

# ---- bad input: one stderr line, non-zero exit, Store unchanged ---------------------------------
before=$(store_digest .motus/kernel-store.db)
"$W" work evidence lease-nope test_result 2> e1; rc=$?; [ $rc -ne 0 ] || die "unknown lease accepted"; one_line e1 "unknown lease"
"$W" work evidence "$LEASE_ID" test_result 2> e2; rc=$?; [ $rc -ne 0 ] || die "evidence on a closed run accepted"; one_line e2 "closed run"
L2=$("$W" work claim ADHOC-BAD-002 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lease_id"])')
before=$(store_digest .motus/kernel-store.db)
"$W" work release "$L2" finished 2> e3; rc=$?; [ $rc -ne 0 ] || die "bad outcome accepted"; one_line e3 "bad outcome"
"$W" work evidence "$L2" log --file /nonexistent/x.log 2> e4; rc=$?; [ $rc -ne 0 ] || die "unreadable file accepted"; one_line e4 "unreadable --file"
"$W" work decision "$L2" 2> e5; rc=$?; [ $rc -ne 0 ] || die "decision without text accepted"; one_line e5 "missing text"
"$W" work claim ADHOC-BAD-003 --ttl abc 2> e6; rc=$?; [ $rc -ne 0 ] || die "bad ttl accepted"; one_line e6 "bad ttl"
after=$(store_digest .motus/kernel-store.db)
[ "$before" = "$after" ] || die "bad input changed the Store"
head -c 4096 /dev/urandom > notastore.db
cp notastore.db notastore.orig
"$W" --store notastore.db run list 2> e7; rc=$?; [ $rc -ne 0 ] || die "a random file was accepted as a Store"; one_line e7 "not a Store"
cmp -s notastore.db notastore.orig || die "the non-Store file was modified"
cp .motus/kernel-store.db newer.db
python3 -c 'import sqlite3; c=sqlite3.connect("newer.db"); c.execute("PRAGMA user_version=99"); c.commit()'
nb=$(store_digest newer.db)
"$W" --store newer.db work list 2> e8; rc=$?; [ $rc -ne 0 ] || die "a newer Store was accepted"; one_line e8 "newer schema"
grep -q newer e8 || die "newer-schema message: $(cat e8)"
[ "$nb" = "$(store_digest newer.db)" ] || die "the newer Store was modified"

[ $fail -eq 0 ] && echo "store_quickstart: ok"
exit $fail
