/* SPDX-License-Identifier: Apache-2.0
 * crypto/work.c — Motus Work Receipt Envelope v0.1 (spec/signing.md "Work Receipts"): the
 * receipt digest (json.sorted.compact.v0 without receipt_id and hashes.receipt), finalize, our
 * Level 3 signature entry in signatures_optional, and the Level 0 structural checks (required
 * fields, enums, additionalProperties:false at every level, date-times, self-hash) written
 * from motus.md §2–§3 as a small table of node descriptions. No schema files are read. */
#include "crypto/artifacts.h"
#include "crypto/seal_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- structure descriptions ------------------------------------------------------------------ */

enum { W_OBJ, W_STR, W_ARR, W_ANYOBJ };
enum { FMT_NONE, FMT_DATETIME, FMT_HEX64, FMT_SHA256ID };

typedef struct wnode wnode;
typedef struct wprop {
  const char *name;
  int required;
  const wnode *node;
} wprop;
struct wnode {
  int type;
  int minlen;
  const char *const *values; /* enum, NULL-terminated */
  const char *konst;
  int fmt;
  const wprop *props; /* W_OBJ: NULL-terminated; additionalProperties is always false */
  const wnode *items; /* W_ARR */
  int unique;
};

static const char *const actor_types[] = {"human", "agent", "service", "ci", "tool", NULL};
static const char *const runtime_kinds[] = {"cli", "ci",   "mcp",   "agent",
                                            "sdk", "tool", "other", NULL};
static const char *const trigger_kinds[] = {"manual",    "ci",    "schedule", "webhook",
                                            "tool_call", "agent", NULL};
static const char *const instr_kinds[] = {"command",  "contract", "prompt", "ticket",
                                          "workflow", "other",    NULL};
static const char *const outcome_st[] = {"success",    "failure", "partial", "aborted",
                                         "superseded", "unknown", NULL};
static const char *const redaction_st[] = {"none", "redacted", "withheld", NULL};
static const char *const accept_st[] = {"accepted", "rejected", "not_required", "pending", NULL};
static const char *const route_st[] = {"complete", "handoff", "blocked", "none", NULL};
static const char *const handoff_st[] = {"none", "ready", "blocked", NULL};
static const char *const sha256_only[] = {"sha256", NULL};

static const wnode n_str = {W_STR, 0, NULL, NULL, FMT_NONE, NULL, NULL, 0};
static const wnode n_str1 = {W_STR, 1, NULL, NULL, FMT_NONE, NULL, NULL, 0};
static const wnode n_dt = {W_STR, 0, NULL, NULL, FMT_DATETIME, NULL, NULL, 0};
static const wnode n_hex64 = {W_STR, 0, NULL, NULL, FMT_HEX64, NULL, NULL, 0};
static const wnode n_sha256id = {W_STR, 0, NULL, NULL, FMT_SHA256ID, NULL, NULL, 0};
#define ENUM_NODE(id, vals) static const wnode id = {W_STR, 0, vals, NULL, FMT_NONE, NULL, NULL, 0}
ENUM_NODE(n_actor_type, actor_types);
ENUM_NODE(n_runtime_kind, runtime_kinds);
ENUM_NODE(n_trigger_kind, trigger_kinds);
ENUM_NODE(n_instr_kind, instr_kinds);
ENUM_NODE(n_outcome_st, outcome_st);
ENUM_NODE(n_redaction_st, redaction_st);
ENUM_NODE(n_accept_st, accept_st);
ENUM_NODE(n_route_st, route_st);
ENUM_NODE(n_handoff_st, handoff_st);
ENUM_NODE(n_sha256_alg, sha256_only);
static const wnode n_schema_version = {W_STR,    0,    NULL, "motus.work-receipt-envelope.v0.1",
                                       FMT_NONE, NULL, NULL, 0};
static const wnode n_canon_method = {W_STR,    0,    NULL, "json.sorted.compact.v0",
                                     FMT_NONE, NULL, NULL, 0};
#define OBJ_NODE(id, props) static const wnode id = {W_OBJ, 0, NULL, NULL, FMT_NONE, props, NULL, 0}

static const wprop p_actor[] = {
    {"type", 1, &n_actor_type}, {"id", 1, &n_str1}, {"display", 0, &n_str}, {NULL, 0, NULL}};
OBJ_NODE(n_actor, p_actor);
static const wprop p_ref_actor[] = {{"type", 1, &n_actor_type},
                                    {"id", 1, &n_str1},
                                    {NULL, 0, NULL}};
OBJ_NODE(n_ref_actor, p_ref_actor);
static const wprop p_digest[] = {{"algorithm", 1, &n_sha256_alg},
                                 {"value", 1, &n_hex64},
                                 {"canonicalization", 1, &n_str1},
                                 {NULL, 0, NULL}};
OBJ_NODE(n_digest, p_digest);
static const wprop p_runtime[] = {
    {"name", 1, &n_str1}, {"kind", 1, &n_runtime_kind}, {"version", 0, &n_str}, {NULL, 0, NULL}};
OBJ_NODE(n_runtime, p_runtime);
static const wprop p_trigger[] = {{"kind", 1, &n_trigger_kind},
                                  {"ref", 0, &n_str},
                                  {NULL, 0, NULL}};
OBJ_NODE(n_trigger, p_trigger);
static const wprop p_instr[] = {{"kind", 1, &n_instr_kind},
                                {"uri", 0, &n_str},
                                {"digest", 1, &n_digest},
                                {"summary", 0, &n_str},
                                {NULL, 0, NULL}};
OBJ_NODE(n_instr, p_instr);
static const wprop p_events[] = {{"uri", 0, &n_str}, {"digest", 1, &n_digest}, {NULL, 0, NULL}};
OBJ_NODE(n_events, p_events);
static const wprop p_ev_red[] = {{"status", 1, &n_redaction_st},
                                 {"reason", 0, &n_str},
                                 {NULL, 0, NULL}};
OBJ_NODE(n_ev_red, p_ev_red);
static const wprop p_evidence[] = {{"evidence_id", 1, &n_str1},
                                   {"kind", 1, &n_str1},
                                   {"uri", 0, &n_str},
                                   {"digest", 1, &n_digest},
                                   {"summary", 0, &n_str},
                                   {"redaction", 1, &n_ev_red},
                                   {NULL, 0, NULL}};
OBJ_NODE(n_evidence, p_evidence);
static const wnode n_evidence_arr = {W_ARR, 0, NULL, NULL, FMT_NONE, NULL, &n_evidence, 0};
static const wprop p_tool[] = {
    {"name", 1, &n_str1}, {"kind", 0, &n_str}, {"digest", 0, &n_digest}, {NULL, 0, NULL}};
OBJ_NODE(n_tool, p_tool);
static const wnode n_tool_arr = {W_ARR, 0, NULL, NULL, FMT_NONE, NULL, &n_tool, 0};
static const wprop p_outcome[] = {
    {"status", 1, &n_outcome_st}, {"summary", 0, &n_str}, {"closed_at", 0, &n_dt}, {NULL, 0, NULL}};
OBJ_NODE(n_outcome, p_outcome);
static const wprop p_accept[] = {{"status", 1, &n_accept_st},  {"actor", 0, &n_ref_actor},
                                 {"accepted_at", 0, &n_dt},    {"method", 1, &n_str1},
                                 {"rationale_ref", 0, &n_str}, {NULL, 0, NULL}};
OBJ_NODE(n_accept, p_accept);
static const wprop p_route[] = {{"status", 1, &n_route_st},
                                {"next_actor", 0, &n_ref_actor},
                                {"reason", 0, &n_str},
                                {"route_ref", 0, &n_str},
                                {NULL, 0, NULL}};
OBJ_NODE(n_route, p_route);
static const wnode n_str1_unique_arr = {W_ARR, 0, NULL, NULL, FMT_NONE, NULL, &n_str1, 1};
static const wprop p_handoff[] = {{"status", 1, &n_handoff_st},
                                  {"receiver", 0, &n_ref_actor},
                                  {"expected_action", 0, &n_str},
                                  {"reason", 0, &n_str},
                                  {"evidence_refs", 0, &n_str1_unique_arr},
                                  {NULL, 0, NULL}};
OBJ_NODE(n_handoff, p_handoff);
static const wnode n_str_arr = {W_ARR, 0, NULL, NULL, FMT_NONE, NULL, &n_str, 0};
static const wprop p_canon[] = {{"method", 1, &n_canon_method},
                                {"volatile_fields", 0, &n_str_arr},
                                {NULL, 0, NULL}};
OBJ_NODE(n_canon, p_canon);
static const wprop p_hashes[] = {{"receipt", 1, &n_digest},
                                 {"source_export", 0, &n_digest},
                                 {NULL, 0, NULL}};
OBJ_NODE(n_hashes, p_hashes);
static const wnode n_anyobj = {W_ANYOBJ, 0, NULL, NULL, FMT_NONE, NULL, NULL, 0};
static const wnode n_sigs = {W_ARR, 0, NULL, NULL, FMT_NONE, NULL, &n_anyobj, 0};
static const wprop p_redaction[] = {{"status", 1, &n_redaction_st},
                                    {"summary", 0, &n_str},
                                    {NULL, 0, NULL}};
OBJ_NODE(n_redaction, p_redaction);
static const wprop p_envelope[] = {{"schema_version", 1, &n_schema_version},
                                   {"receipt_id", 1, &n_sha256id},
                                   {"run_id", 1, &n_str1},
                                   {"work_id", 1, &n_str1},
                                   {"actor", 1, &n_actor},
                                   {"runtime", 1, &n_runtime},
                                   {"trigger", 1, &n_trigger},
                                   {"instruction_ref", 1, &n_instr},
                                   {"events_ref", 1, &n_events},
                                   {"evidence_refs", 1, &n_evidence_arr},
                                   {"tool_refs", 1, &n_tool_arr},
                                   {"outcome", 1, &n_outcome},
                                   {"acceptance", 1, &n_accept},
                                   {"route_summary", 1, &n_route},
                                   {"handoff", 0, &n_handoff},
                                   {"canonicalization", 1, &n_canon},
                                   {"hashes", 1, &n_hashes},
                                   {"signatures_optional", 0, &n_sigs},
                                   {"redaction", 1, &n_redaction},
                                   {"created_at", 1, &n_dt},
                                   {NULL, 0, NULL}};
OBJ_NODE(n_envelope, p_envelope);

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM). */
static int is_datetime(const char *s)
{
  static const char pat[] = "dddd-dd-ddTdd:dd:dd";
  size_t i;
  int mo, d, h, mi, se;
  for (i = 0; pat[i]; i++) {
    if (pat[i] == 'd' ? !isdigit((unsigned char)s[i])
                      : (pat[i] == 'T' ? (s[i] != 'T' && s[i] != 't') : s[i] != pat[i]))
      return 0;
  }
  mo = (s[5] - '0') * 10 + (s[6] - '0');
  d = (s[8] - '0') * 10 + (s[9] - '0');
  h = (s[11] - '0') * 10 + (s[12] - '0');
  mi = (s[14] - '0') * 10 + (s[15] - '0');
  se = (s[17] - '0') * 10 + (s[18] - '0');
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
    return 0;
  s += 19;
  if (*s == '.') {
    s++;
    if (!isdigit((unsigned char)*s))
      return 0;
    while (isdigit((unsigned char)*s))
      s++;
  }
  if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
    return 1;
  if ((*s == '+' || *s == '-') && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
      s[3] == ':' && isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5]) && s[6] == '\0')
    return (s[1] - '0') * 10 + (s[2] - '0') < 24 && (s[4] - '0') * 10 + (s[5] - '0') < 60;
  return 0;
}

static int is_lower_hex(const char *s, size_t n)
{
  size_t i;
  if (strlen(s) != n)
    return 0;
  for (i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

/* R-MOTUS-003: reasons are "<json path>: <problem>", wording close to the upstream validator. */
static void wcheck(const json_t *v, const wnode *n, const char *path, seal_verdict *out, int depth)
{
  char sub[512];
  if (depth > SEAL_CANON_MAX_DEPTH)
    return;
  switch (n->type) {
  case W_ANYOBJ:
    if (!json_is_object(v))
      seal_verdict_fail(out, "%s: is not of type 'object'", path);
    return;
  case W_STR: {
    const char *s = json_string_value(v);
    if (!s) {
      seal_verdict_fail(out, "%s: is not of type 'string'", path);
      return;
    }
    if (n->minlen && json_string_length(v) < (size_t)n->minlen)
      seal_verdict_fail(out, "%s: '%s' should be non-empty", path, s);
    if (n->konst && strcmp(s, n->konst))
      seal_verdict_fail(out, "%s: '%.80s' was expected to be '%s'", path, s, n->konst);
    if (n->values) {
      const char *const *e;
      for (e = n->values; *e && strcmp(*e, s); e++)
        ;
      if (!*e)
        seal_verdict_fail(out, "%s: '%.80s' is not one of the allowed values", path, s);
    }
    if (n->fmt == FMT_DATETIME && !is_datetime(s))
      seal_verdict_fail(out, "%s: '%.80s' is not a 'date-time'", path, s);
    if (n->fmt == FMT_HEX64 && !is_lower_hex(s, 64))
      seal_verdict_fail(out, "%s: '%.80s' does not match '^[a-f0-9]{64}$'", path, s);
    if (n->fmt == FMT_SHA256ID && (strncmp(s, "sha256:", 7) || !is_lower_hex(s + 7, 64)))
      seal_verdict_fail(out, "%s: '%.80s' does not match '^sha256:[a-f0-9]{64}$'", path, s);
    return;
  }
  case W_ARR: {
    size_t i, j;
    if (!json_is_array(v)) {
      seal_verdict_fail(out, "%s: is not of type 'array'", path);
      return;
    }
    for (i = 0; i < json_array_size(v); i++) {
      snprintf(sub, sizeof sub, "%.400s[%zu]", path, i);
      wcheck(json_array_get(v, i), n->items, sub, out, depth + 1);
      for (j = 0; n->unique && j < i; j++)
        if (json_equal(json_array_get(v, i), json_array_get(v, j)))
          seal_verdict_fail(out, "%s: has non-unique elements", path);
    }
    return;
  }
  case W_OBJ: {
    const wprop *p;
    const char *k;
    json_t *x;
    if (!json_is_object(v)) {
      seal_verdict_fail(out, "%s: is not of type 'object'", path);
      return;
    }
    for (p = n->props; p->name; p++) {
      x = json_object_get(v, p->name);
      if (!x) {
        if (p->required)
          seal_verdict_fail(out, "%s: '%s' is a required property", path, p->name);
        continue;
      }
      snprintf(sub, sizeof sub, "%.400s.%s", path, p->name);
      wcheck(x, p->node, sub, out, depth + 1);
    }
    json_object_foreach((json_t *)v, k, x) {
      for (p = n->props; p->name && strcmp(p->name, k); p++)
        ;
      if (!p->name)
        seal_verdict_fail(out, "%s: Additional properties are not allowed ('%.80s' was unexpected)",
                          path, k);
    }
    return;
  }
  }
}

/* ---- digest, finalize, Level 3 ------------------------------------------------------------------- */

static json_t *strip_for_digest(const json_t *r, int also_sigs)
{
  json_t *c = json_deep_copy(r), *h;
  if (!c)
    return NULL;
  json_object_del(c, "receipt_id");
  h = json_object_get(c, "hashes");
  if (json_is_object(h))
    json_object_del(h, "receipt");
  if (also_sigs)
    json_object_del(c, "signatures_optional");
  return c;
}

int seal_work_receipt_digest(char out[SEAL_SHA256_HEX], const json_t *r, seal_err *err)
{
  json_t *c;
  int rc;
  if (!json_is_object(r))
    return seal_errf(err, SEAL_EINVAL, 0, "work receipt must be an object");
  if (!(c = strip_for_digest(r, 0)))
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  rc = seal_canon_sha256_hex(out, c, SEAL_CANON_MOTUS, err);
  json_decref(c);
  return rc;
}

int seal_work_receipt_finalize(json_t *r, seal_err *err)
{
  char d[SEAL_SHA256_HEX], id[8 + SEAL_SHA256_HEX];
  json_t *h;
  int rc;
  if (!json_is_object(r))
    return seal_errf(err, SEAL_EINVAL, 0, "work receipt must be an object");
  h = json_object_get(r, "hashes");
  if (!h) {
    h = json_object();
    json_object_set_new(r, "hashes", h);
  } else if (!json_is_object(h)) {
    return seal_errf(err, SEAL_EINVAL, 0, "work receipt: hashes must be an object");
  }
  if ((rc = seal_work_receipt_digest(d, r, err)) != SEAL_OK)
    return rc;
  snprintf(id, sizeof id, "sha256:%s", d);
  json_object_set_new(r, "receipt_id", json_string(id));
  json_object_set_new(h, "receipt",
                      json_pack("{s:s,s:s,s:s}", "algorithm", "sha256", "value", d,
                                "canonicalization", "json.sorted.compact.v0"));
  return SEAL_OK;
}

/* The bytes the Level 3 signature covers (R-SIGN-040). */
static int l3_bytes(char **out, size_t *n, const json_t *r, seal_err *err)
{
  json_t *c = strip_for_digest(r, 1);
  int rc;
  if (!c)
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  rc = seal_canon(out, n, c, SEAL_CANON_MOTUS, err);
  json_decref(c);
  return rc;
}

int seal_work_receipt_sign(json_t **out, const json_t *r, const seal_key *key, const char *signer,
                           seal_err *err)
{
  char *bytes = NULL, *b64, did[SEAL_DID_KEY_MAX];
  size_t n = 0;
  uint8_t sig[SEAL_SIG_BYTES];
  json_t *copy, *sigs;
  int rc;
  if (!json_is_object(r) || !key)
    return seal_errf(err, SEAL_EINVAL, 0, "work receipt must be an object and key non-NULL");
  if ((rc = l3_bytes(&bytes, &n, r, err)) != SEAL_OK)
    return rc;
  rc = seal_sign(sig, key, bytes, n);
  free(bytes);
  if (rc != SEAL_OK || !(b64 = seal_b64url_encode(sig, sizeof sig)))
    return seal_errf(err, SEAL_ERROR, 0, "signing failed");
  if (!signer) {
    if (seal_did_key_from_pk(did, seal_key_pk(key)) != SEAL_OK) {
      free(b64);
      return seal_errf(err, SEAL_ERROR, 0, "did:key failed");
    }
    signer = did;
  }
  copy = json_deep_copy(r);
  sigs = json_object_get(copy, "signatures_optional");
  if (!json_is_array(sigs)) {
    sigs = json_array();
    json_object_set_new(copy, "signatures_optional", sigs);
  }
  json_array_append_new(sigs,
                        json_pack("{s:s,s:s,s:s,s:s}", "suite", SEAL_SUITE_MOTUS, "public_key",
                                  seal_key_pk_hex(key), "signature", b64, "signer", signer));
  free(b64);
  if ((rc = seal_work_receipt_finalize(copy, err)) != SEAL_OK) {
    json_decref(copy);
    return rc;
  }
  *out = copy;
  return SEAL_OK;
}

int seal_verify_work_receipt(const json_t *r, const seal_verify_opts *opts, seal_verdict *out)
{
  char d[SEAL_SHA256_HEX], id[8 + SEAL_SHA256_HEX];
  seal_err err = {0};
  json_t *sigs;
  size_t i, ours = 0;
  seal_verdict_init(out);
  out->kind = SEAL_KIND_WORK_RECEIPT;
  if (!json_is_object(r)) {
    seal_verdict_fail(out, "work_receipt: not a JSON object");
    return SEAL_EVERIFY;
  }
  wcheck(r, &n_envelope, "$", out, 0);
  if (seal_work_receipt_digest(d, r, &err) != SEAL_OK) {
    seal_verdict_fail(out, "$: cannot compute the receipt digest: %s", err.msg);
    return SEAL_EVERIFY;
  }
  snprintf(id, sizeof id, "sha256:%s", d);
  {
    const char *rid = json_string_value(json_object_get(r, "receipt_id"));
    const char *hv = json_string_value(
        json_object_get(json_object_get(json_object_get(r, "hashes"), "receipt"), "value"));
    if (!rid || strcmp(rid, id))
      seal_verdict_fail(out, "receipt_id mismatch: expected %s, got %.80s", id,
                        rid ? rid : "(none)");
    if (!hv || strcmp(hv, d))
      seal_verdict_fail(out, "hashes.receipt.value mismatch: expected %s, got %.80s", d,
                        hv ? hv : "(none)");
  }
  sigs = json_object_get(r, "signatures_optional");
  for (i = 0; json_is_array(sigs) && i < json_array_size(sigs); i++) {
    json_t *e = json_array_get(sigs, i);
    const char *suite = json_string_value(json_object_get(e, "suite"));
    const char *pkh = json_string_value(json_object_get(e, "public_key"));
    const char *st = json_string_value(json_object_get(e, "signature"));
    uint8_t pk[SEAL_PK_BYTES], *sig = NULL;
    size_t sl = 0, n = 0;
    char *bytes = NULL;
    if (!suite || strcmp(suite, SEAL_SUITE_MOTUS))
      continue; /* other parties' attestations are not ours to judge */
    ours++;
    if (!pkh || seal_hex_decode(pk, SEAL_PK_BYTES, pkh, 1) != SEAL_OK) {
      seal_verdict_fail(out, "signatures_optional[%zu]: public_key is not 64 lowercase hex", i);
      continue;
    }
    if (ours == 1) {
      if (seal_did_key_from_pk(out->signer, pk) != SEAL_OK)
        out->signer[0] = '\0';
      seal_hex_encode(out->signer_pk, pk, SEAL_PK_BYTES);
      if (opts && opts->pinned_pk && seal_memcmp(pk, opts->pinned_pk, SEAL_PK_BYTES))
        seal_verdict_fail(out, "signatures_optional[%zu]: signer key is not the pinned key", i);
    }
    if (!st || seal_b64url_decode(&sig, &sl, st, strlen(st)) != SEAL_OK || sl != SEAL_SIG_BYTES) {
      free(sig);
      seal_verdict_fail(out, "signatures_optional[%zu]: signature is not 64 bytes of base64url", i);
      continue;
    }
    if (l3_bytes(&bytes, &n, r, &err) != SEAL_OK || seal_verify(sig, pk, bytes, n) != SEAL_OK)
      seal_verdict_fail(out, "signatures_optional[%zu]: signature did not verify", i);
    free(sig);
    free(bytes);
  }
  if (opts && opts->pinned_pk && ours == 0)
    seal_verdict_fail(out, "$: a key is pinned but the receipt carries no %s signature",
                      SEAL_SUITE_MOTUS);
  return out->valid ? SEAL_OK : SEAL_EVERIFY;
}
