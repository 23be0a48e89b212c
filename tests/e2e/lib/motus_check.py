#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/lib/motus_check.py — the Motus Work Ledger conformance checks (reference/motus.md
# §4.2-4.3, re-stated from the upstream checker's rules, not copied) on one export directory
# holding receipt.json, store-export.json and projection-manifest.json:
#   schemas   each file against ../shared/fixtures/motus/schemas (draft 2020-12, formats on)
#   digest    receipt_id == sha256 of the canonical receipt minus receipt_id and hashes.receipt
#   lineage   events_ref.digest == hashes.source_export == the export's digest; the manifest
#             names the same export and receipt
#   level 1   seq 1..N, one work.started first, one work.closed last, schema_hash / payload_hash /
#             event_id recomputed, the receipt equals the closed payload and the run
#   level 2   (--level 2) the governed handoff: route_summary handoff, handoff ready, acceptance
#             pending, next_actor == receiver == acceptance.actor, handoff.evidence_refs a
#             non-empty subset of the receipt's evidence ids
# Usage: motus_check.py SCHEMAS_DIR EXPORT_DIR [--level 1|2] [--receipt-only FILE]
# Exit 0 and one "motus: ... valid" line, or exit 1 and "motus: FAIL <why>" on stderr.
import copy
import hashlib
import json
import os
import sys

import jsonschema

KINDS = {"work.started": ["work_id", "actor", "trigger", "instruction"],
         "tool.used": ["tool_refs"],
         "evidence.referenced": ["evidence_refs"],
         "work.closed": ["outcome", "acceptance", "route_summary", "handoff"]}


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha(v):
    return hashlib.sha256(canon(v)).hexdigest()


def validator(schemas, name):
    s = schemas["https://motus.dev/schemas/%s.schema.json" % name]
    try:
        from referencing import Registry, Resource
        reg = Registry().with_resources([(k, Resource.from_contents(v)) for k, v in schemas.items()])
        return jsonschema.Draft202012Validator(s, registry=reg,
                                               format_checker=jsonschema.FormatChecker())
    except ImportError:
        res = jsonschema.RefResolver.from_schema(s, store=schemas)
        return jsonschema.Draft202012Validator(s, resolver=res,
                                               format_checker=jsonschema.FormatChecker())


def check_schema(schemas, name, doc):
    errs = sorted(validator(schemas, name).iter_errors(doc), key=lambda e: list(e.path))
    assert not errs, "%s: %s at %s" % (name, errs[0].message, list(errs[0].path))


def check_receipt(schemas, r):
    check_schema(schemas, "work-receipt-envelope", r)
    b = copy.deepcopy(r)
    b.pop("receipt_id")
    b["hashes"].pop("receipt")
    d = hashlib.sha256(canon(b)).hexdigest()
    assert r["receipt_id"] == "sha256:" + d, "receipt_id mismatch"
    assert r["hashes"]["receipt"]["value"] == d, "hashes.receipt.value mismatch"


def check_level1(r, x, m):
    src = {"algorithm": "sha256", "value": sha(x), "canonicalization": "json.sorted.compact.v0"}
    assert r["events_ref"]["digest"] == src == r["hashes"]["source_export"], "lineage"
    assert m["source_export_hash"] == "sha256:" + sha(x), "manifest source_export_hash"
    assert m["projections"]["work_receipt"]["digest"] == r["receipt_id"], "manifest receipt"
    ev, run = x["events"], x["runs"][0]
    assert [e["seq"] for e in ev] == list(range(1, len(ev) + 1)), "seq is not 1..N"
    assert all(e["run_id"] == run["run_id"] for e in ev), "an event of another run"
    ks = [e["event_kind"] for e in ev]
    assert ks.count("work.started") == 1 and ks.count("work.closed") == 1, ks
    assert ks[0] == "work.started" and ks[-1] == "work.closed", ks
    for e in ev:
        k = e["event_kind"]
        assert k in KINDS, "event kind %s is not a Motus reference kind" % k
        want = {"schema_version": "motus.event-kind-schema.v0.1", "event_kind": k,
                "required_payload": KINDS[k]}
        assert e["schema_hash"] == "sha256:" + sha(want), "schema_hash of " + k
        assert e["payload_hash"] == "sha256:" + sha(e["payload"]), "payload_hash"
        c = dict(e)
        eid = c.pop("event_id")
        assert eid == "sha256:" + sha(c), "event_id"
    closed, started = ev[-1]["payload"], ev[0]["payload"]
    assert "redaction" in closed and "handoff" in r, "closed payload redaction / receipt handoff"
    for k in ("outcome", "acceptance", "route_summary", "handoff", "redaction"):
        assert r[k] == closed[k], "receipt %s differs from work.closed" % k
    assert r["actor"] == started["actor"] and r["trigger"] == started["trigger"], "actor/trigger"
    assert r["work_id"] == run["work_id"] == started["work_id"], "work_id"
    assert r["run_id"] == run["run_id"], "run_id"
    assert run["status"] == "closed", "run not closed"
    assert run["outcome_status"] == closed["outcome"]["status"], "run outcome_status"
    assert run["closed_at"] == closed["outcome"]["closed_at"], "run closed_at"


def check_level2(r):
    rs, h, a = r["route_summary"], r["handoff"], r["acceptance"]
    assert rs["status"] == "handoff", "route_summary.status must be handoff"
    assert h["status"] == "ready", "handoff.status must be ready"
    assert a["status"] == "pending", "acceptance.status must be pending"
    assert "next_actor" in rs and "receiver" in h, "next_actor and receiver"
    assert rs["next_actor"] == h["receiver"], "next_actor != receiver"
    assert a.get("actor") == h["receiver"], "acceptance.actor != receiver"
    ids = {e["evidence_id"] for e in r["evidence_refs"]}
    refs = h.get("evidence_refs") or []
    assert refs and set(refs) <= ids, "handoff.evidence_refs must be a non-empty subset"


def main(argv):
    schemas_dir, d = argv[1], argv[2]
    level = int(argv[argv.index("--level") + 1]) if "--level" in argv else 1
    schemas = {}
    for f in os.listdir(schemas_dir):
        if f.endswith(".schema.json"):
            s = json.load(open(os.path.join(schemas_dir, f)))
            schemas[s["$id"]] = s
    r = json.load(open(os.path.join(d, "receipt.json")))
    x = json.load(open(os.path.join(d, "store-export.json")))
    m = json.load(open(os.path.join(d, "projection-manifest.json")))
    check_receipt(schemas, r)
    check_schema(schemas, "store-export", x)
    check_schema(schemas, "projection-manifest", m)
    check_level1(r, x, m)
    if level >= 2:
        check_level2(r)
    print("motus: %s valid (schemas, digest, lineage, level %d)" % (d, level))


if __name__ == "__main__":
    try:
        main(sys.argv)
    except (AssertionError, KeyError, ValueError) as e:
        sys.stderr.write("motus: FAIL %s: %r\n" % (sys.argv[2] if len(sys.argv) > 2 else "?", e))
        sys.exit(1)
