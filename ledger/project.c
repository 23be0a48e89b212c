/* SPDX-License-Identifier: Apache-2.0
 * ledger/project.c — pure projections over a store export: the Work Receipt Envelope v0.1
 * (mapping of the Motus event-backed reference emitter, motus.md §4.3) with an optional Level 3
 * Ed25519 signature entry, its verification, and the projection manifest. No SQLite, no clock:
 * every timestamp comes from the export. */
#include "ledger/ledger_int.h"
#include "ledger/work.h"
#include "crypto/artifacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *find_one(const json_t *events, const char *kind, int *count)
{
  size_t i;
  json_t *e, *found = NULL;
  *count = 0;
  json_array_foreach(events, i, e) {
    const char *k = json_string_value(json_object_get(e, "event_kind"));
    if (k && strcmp(k, kind) == 0) {
      (*count)++;
      if (!found)
        found = json_object_get(e, "payload");
    }
  }
  return found;
}

static json_t *collect(const json_t *events, const char *kind, const char *key)
{
  json_t *out = json_array();
  size_t i;
  json_t *e;
  json_array_foreach(events, i, e) {
    const char *k = json_string_value(json_object_get(e, "event_kind"));
    if (!k || strcmp(k, kind) != 0)
      continue;
    json_t *list = json_object_get(json_object_get(e, "payload"), key);
    if (json_is_array(list))
      json_array_extend(out, list);
  }
  return out;
}

/* canonical receipt minus receipt_id, hashes.receipt and signatures_optional */
static int signing_bytes(const json_t *receipt, char **buf, size_t *len, ledger_err *err)
{
  json_t *c = json_deep_copy(receipt);
  if (!c)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  json_object_del(c, "receipt_id");
  json_object_del(c, "signatures_optional");
  json_t *h = json_object_get(c, "hashes");
  if (json_is_object(h))
    json_object_del(h, "receipt");
  int rc = ledger__canon(buf, len, c, err);
  json_decref(c);
  return rc;
}

/* hex digest of the receipt minus receipt_id and hashes.receipt */
static int receipt_digest(const json_t *receipt, char hex[SEAL_SHA256_HEX], ledger_err *err)
{
  json_t *c = json_deep_copy(receipt);
  if (!c)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  json_object_del(c, "receipt_id");
  json_t *h = json_object_get(c, "hashes");
  if (json_is_object(h))
    json_object_del(h, "receipt");
  char p[LEDGER_HASH_MAX];
  int rc = ledger__hash_prefixed(p, c, err);
  json_decref(c);
  if (!rc)
    memcpy(hex, p + 7, SEAL_SHA256_HEX);
  return rc;
}

int ledger__receipt_build(const json_t *store_export, const ledger_receipt_params *p, json_t **out,
                          ledger_err *err)
{
  const json_t *events = json_object_get(store_export, "events");
  const json_t *run = json_array_get(json_object_get(store_export, "runs"), 0);
  int ns, nc, rc;
  *out = NULL;
  json_t *started = find_one(events, LEDGER_KIND_WORK_STARTED, &ns);
  json_t *closed = find_one(events, LEDGER_KIND_WORK_CLOSED, &nc);
  if (!run || ns != 1 || nc != 1)
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "a receipt needs exactly one work.started and one work.closed event");
  json_t *instruction = json_object_get(started, "instruction");
  const char *ctext = json_string_value(json_object_get(instruction, "canonical_text"));
  const char *ikind = json_string_value(json_object_get(instruction, "kind"));
  if (!ctext || !ikind)
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "work.started instruction lacks kind/canonical_text");
  const json_t *runtime = p->runtime ? p->runtime : json_object_get(started, "runtime");
  json_t *rt = runtime ? json_deep_copy(runtime)
                       : json_pack("{s:s,s:s}", "name", "workledger", "kind", "other");
  const char *created_at = p->created_at ? p->created_at
                                         : json_string_value(json_object_get(run, "closed_at"));
  if (!created_at)
    created_at = json_string_value(json_object_get(store_export, "exported_at"));
  json_t *src = NULL;
  if ((rc = ledger__digest_obj(&src, store_export, err))) {
    json_decref(rt);
    return rc;
  }
  const char *isum = json_string_value(json_object_get(instruction, "summary"));
  json_t *events_ref = json_pack("{s:O}", "digest", src);
  json_object_set_new(events_ref, "uri",
                      json_string(p->events_uri ? p->events_uri : "file://store-export.json"));
  json_t *def_route = json_pack("{s:s}", "status", "complete");
  json_t *def_handoff = json_pack("{s:s}", "status", "none");
  json_t *def_red = json_pack("{s:s}", "status", "none");
  json_t *route = json_object_get(closed, "route_summary");
  json_t *handoff = json_object_get(closed, "handoff");
  json_t *red = json_object_get(closed, "redaction");
  json_t *r = json_pack(
      "{s:s,s:s,s:O,s:O,s:O,s:o,s:O,s:{s:s,s:s,s:o},s:o,s:o,s:o,s:O,s:O,s:O,s:O,"
      "s:{s:s,s:[s]},s:{s:{s:s,s:s,s:s},s:o},s:O,s:s}",
      "schema_version", "motus.work-receipt-envelope.v0.1", "receipt_id",
      "sha256:0000000000000000000000000000000000000000000000000000000000000000", "run_id",
      json_object_get(run, "run_id"), "work_id", json_object_get(started, "work_id"), "actor",
      json_object_get(started, "actor"), "runtime", rt, "trigger",
      json_object_get(started, "trigger"), "instruction_ref", "kind", ikind, "summary",
      isum ? isum : "", "digest", ledger__digest_text(ctext, strlen(ctext), "utf8.instruction.v0"),
      "events_ref", events_ref, "evidence_refs",
      collect(events, LEDGER_KIND_EVIDENCE_REFERENCED, "evidence_refs"), "tool_refs",
      collect(events, LEDGER_KIND_TOOL_USED, "tool_refs"), "outcome",
      json_object_get(closed, "outcome"), "acceptance", json_object_get(closed, "acceptance"),
      "route_summary", route ? route : def_route, "handoff", handoff ? handoff : def_handoff,
      "canonicalization", "method", "json.sorted.compact.v0", "volatile_fields", "created_at",
      "hashes", "receipt", "algorithm", "sha256", "value",
      "0000000000000000000000000000000000000000000000000000000000000000", "canonicalization",
      "json.sorted.compact.v0", "source_export", src, "redaction", red ? red : def_red,
      "created_at", created_at);
  json_decref(def_route);
  json_decref(def_handoff);
  json_decref(def_red);
  if (!r)
    return ledger__errf(err, LEDGER_ERROR, 0, "cannot build the receipt (missing members?)");
  if (p->key) {
    json_t *signed_r = NULL;
    seal_err se = {0};
    if (seal_work_receipt_sign(&signed_r, r, p->key, p->signer, &se) != SEAL_OK) {
      json_decref(r);
      return ledger__errf(err, LEDGER_ERROR, 0, "signing the receipt failed: %s", se.msg);
    }
    json_decref(r);
    r = signed_r;
  }
  char hex[SEAL_SHA256_HEX], id[LEDGER_HASH_MAX];
  if ((rc = receipt_digest(r, hex, err))) {
    json_decref(r);
    return rc;
  }
  snprintf(id, sizeof id, "sha256:%s", hex);
  json_object_set_new(r, "receipt_id", json_string(id));
  json_object_set_new(json_object_get(json_object_get(r, "hashes"), "receipt"), "value",
                      json_string(hex));
  *out = r;
  return LEDGER_OK;
}

int ledger_receipt_verify(const json_t *receipt, int *signed_out, ledger_err *err)
{
  char hex[SEAL_SHA256_HEX], want[LEDGER_HASH_MAX];
  int rc;
  if (signed_out)
    *signed_out = 0;
  if (!json_is_object(receipt))
    return ledger__errf(err, LEDGER_EINVAL, 0, "a receipt is a JSON object");
  if ((rc = receipt_digest(receipt, hex, err)))
    return rc;
  snprintf(want, sizeof want, "sha256:%s", hex);
  const char *id = json_string_value(json_object_get(receipt, "receipt_id"));
  const char *hv = json_string_value(
      json_object_get(json_object_get(json_object_get(receipt, "hashes"), "receipt"), "value"));
  if (!id || strcmp(id, want) != 0)
    return ledger__errf(err, LEDGER_ECORRUPT, 0, "receipt_id mismatch: expected %s", want);
  if (!hv || strcmp(hv, hex) != 0)
    return ledger__errf(err, LEDGER_ECORRUPT, 0, "hashes.receipt.value mismatch");
  json_t *sigs = json_object_get(receipt, "signatures_optional");
  size_t i;
  json_t *s;
  json_array_foreach(sigs, i, s) {
    const char *suite = json_string_value(json_object_get(s, "suite"));
    if (!suite || strcmp(suite, SEAL_SUITE_MOTUS) != 0)
      continue;
    const char *pkh = json_string_value(json_object_get(s, "public_key"));
    const char *sg = json_string_value(json_object_get(s, "signature"));
    uint8_t pk[SEAL_PK_BYTES];
    uint8_t *sig = NULL;
    size_t siglen = 0;
    if (!pkh || !sg || strlen(pkh) != 64 || seal_hex_decode(pk, sizeof pk, pkh, 1) != SEAL_OK ||
        seal_b64url_decode(&sig, &siglen, sg, strlen(sg)) != SEAL_OK || siglen != SEAL_SIG_BYTES) {
      free(sig);
      return ledger__errf(err, LEDGER_ECORRUPT, 0, "malformed signature entry");
    }
    char *buf = NULL;
    size_t len = 0;
    if ((rc = signing_bytes(receipt, &buf, &len, err))) {
      free(sig);
      return rc;
    }
    rc = seal_verify(sig, pk, buf, len);
    free(buf);
    free(sig);
    if (rc != SEAL_OK)
      return ledger__errf(err, LEDGER_ECORRUPT, 0, "receipt signature does not verify");
    if (signed_out)
      *signed_out = 1;
  }
  return LEDGER_OK;
}

int ledger__manifest_build(const json_t *store_export, const json_t *receipt,
                           const char *projection_id, json_t **out, ledger_err *err)
{
  char h[LEDGER_HASH_MAX];
  int rc = ledger__hash_prefixed(h, store_export, err);
  if (rc)
    return rc;
  *out = json_pack("{s:s,s:s,s:s,s:O,s:s,s:{s:{s:s,s:s,s:O}}}", "schema_version",
                   "motus.projection-manifest.v0.1", "projection_id", projection_id,
                   "source_export_hash", h, "generated_at", json_object_get(receipt, "created_at"),
                   "canonicalization", "json.sorted.compact.v0", "projections", "work_receipt",
                   "kind", "work_receipt", "uri", "file://receipt.json", "digest",
                   json_object_get(receipt, "receipt_id"));
  return *out ? LEDGER_OK : ledger__errf(err, LEDGER_ERROR, 0, "cannot build the manifest");
}
