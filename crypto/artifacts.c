/* SPDX-License-Identifier: Apache-2.0
 * crypto/artifacts.c — motebit b64-suite artifacts (spec/signing.md): signing and verifying
 * ExecutionReceipts (recursively over delegation_receipts, each node with its own key),
 * ToolInvocationReceipts, ApprovalDecisions and DelegationTokens; verdicts; the artifact
 * detector and the text front door used by `workledger verify`. Delegation scopes and chains are
 * in delegation.c; Work Receipts in work.c; bearer tokens, identity files, succession and
 * credentials in identity.c. No I/O, no logging. */
#include "crypto/artifacts.h"
#include "crypto/seal_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *seal_kind_name(seal_kind kind)
{
  switch (kind) {
  case SEAL_KIND_EXECUTION_RECEIPT: return "execution_receipt";
  case SEAL_KIND_TOOL_INVOCATION_RECEIPT: return "tool_invocation_receipt";
  case SEAL_KIND_APPROVAL_DECISION: return "approval_decision";
  case SEAL_KIND_DELEGATION_TOKEN: return "delegation_token";
  case SEAL_KIND_WORK_RECEIPT: return "work_receipt";
  case SEAL_KIND_IDENTITY_FILE: return "identity_file";
  case SEAL_KIND_BEARER_TOKEN: return "bearer_token";
  case SEAL_KIND_KEY_SUCCESSION: return "key_succession";
  case SEAL_KIND_CREDENTIAL: return "credential";
  default: return "unknown";
  }
}

/* ---- verdicts ------------------------------------------------------------------------------- */

void seal_verdict_init(seal_verdict *v)
{
  memset(v, 0, sizeof *v);
  v->valid = 1;
  v->reasons = json_array();
}

void seal_verdict_clear(seal_verdict *v)
{
  json_decref(v->reasons);
  v->reasons = NULL;
}

void seal_verdict_fail(seal_verdict *v, const char *fmt, ...)
{
  char msg[512];
  json_t *s;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  v->valid = 0;
  if (!v->reasons)
    v->reasons = json_array();
  s = json_string(msg);
  if (!s) { /* not valid UTF-8 (a truncated or echoed input byte): keep ASCII only */
    char *p;
    for (p = msg; *p; p++)
      if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
        *p = '?';
    s = json_string(msg);
  }
  json_array_append_new(v->reasons, s);
}

json_t *seal_verdict_json(const seal_verdict *v)
{
  return json_pack("{s:b,s:s,s:o,s:i,s:O}", "valid", v->valid, "kind", seal_kind_name(v->kind),
                   "signer", v->signer[0] ? json_string(v->signer) : json_null(), "depth", v->depth,
                   "reasons", v->reasons ? v->reasons : json_array());
}

static void verdict_set_signer(seal_verdict *v, const uint8_t pk[SEAL_PK_BYTES])
{
  if (seal_did_key_from_pk(v->signer, pk) != SEAL_OK)
    v->signer[0] = '\0';
  seal_hex_encode(v->signer_pk, pk, SEAL_PK_BYTES);
}

/* ---- field shapes (R-SIGN-010) ---------------------------------------------------------------- */

enum ftype { F_STR, F_STR1, F_INT, F_HEX64, F_STRARR, F_ARR, F_OBJ, F_ENUM };

typedef struct field {
  const char *name;
  enum ftype type;
  int required;
  const char *const *values; /* F_ENUM: NULL-terminated */
} field;

static const char *const status_values[] = {"completed", "failed", "denied", NULL};
static const char *const origin_values[] = {"user-tap", "ai-loop", "scheduled", "agent-to-agent",
                                            NULL};
static const char *const verdict_values[] = {"approved", "denied", NULL};

static const field receipt_fields[] = {{"task_id", F_STR1, 1, NULL},
                                       {"motebit_id", F_STR1, 1, NULL},
                                       {"public_key", F_HEX64, 0, NULL},
                                       {"device_id", F_STR, 1, NULL},
                                       {"submitted_at", F_INT, 1, NULL},
                                       {"completed_at", F_INT, 1, NULL},
                                       {"status", F_ENUM, 1, status_values},
                                       {"result", F_STR, 1, NULL},
                                       {"tools_used", F_STRARR, 1, NULL},
                                       {"memories_formed", F_INT, 1, NULL},
                                       {"prompt_hash", F_HEX64, 1, NULL},
                                       {"result_hash", F_HEX64, 1, NULL},
                                       {"delegation_receipts", F_ARR, 0, NULL},
                                       {"relay_task_id", F_STR, 0, NULL},
                                       {"delegated_scope", F_STR, 0, NULL},
                                       {"source_digest", F_OBJ, 0, NULL},
                                       {"source_projection", F_STR, 0, NULL},
                                       {"invocation_origin", F_ENUM, 0, origin_values},
                                       {"suite", F_STR, 1, NULL},
                                       {"signature", F_STR, 1, NULL},
                                       {NULL, F_STR, 0, NULL}};

static const field tool_receipt_fields[] = {{"invocation_id", F_STR1, 1, NULL},
                                            {"task_id", F_STR, 1, NULL},
                                            {"motebit_id", F_STR1, 1, NULL},
                                            {"public_key", F_HEX64, 0, NULL},
                                            {"device_id", F_STR, 1, NULL},
                                            {"tool_name", F_STR1, 1, NULL},
                                            {"started_at", F_INT, 1, NULL},
                                            {"completed_at", F_INT, 1, NULL},
                                            {"status", F_STR1, 1, NULL},
                                            {"args_hash", F_HEX64, 1, NULL},
                                            {"result_hash", F_HEX64, 1, NULL},
                                            {"invocation_origin", F_ENUM, 0, origin_values},
                                            {"suite", F_STR, 1, NULL},
                                            {"signature", F_STR, 1, NULL},
                                            {NULL, F_STR, 0, NULL}};

static const field approval_fields[] = {{"approval_id", F_STR1, 1, NULL},
                                        {"motebit_id", F_STR1, 1, NULL},
                                        {"public_key", F_HEX64, 0, NULL},
                                        {"device_id", F_STR, 1, NULL},
                                        {"tool_name", F_STR1, 1, NULL},
                                        {"args_hash", F_HEX64, 1, NULL},
                                        {"risk_level", F_INT, 1, NULL},
                                        {"verdict", F_ENUM, 1, verdict_values},
                                        {"requested_at", F_INT, 1, NULL},
                                        {"resolved_at", F_INT, 1, NULL},
                                        {"denied_reason", F_STR, 0, NULL},
                                        {"run_id", F_STR, 0, NULL},
                                        {"suite", F_STR, 1, NULL},
                                        {"signature", F_STR, 1, NULL},
                                        {NULL, F_STR, 0, NULL}};

static const field token_fields[] = {
    {"delegator_id", F_STR1, 1, NULL}, {"delegator_public_key", F_HEX64, 1, NULL},
    {"delegate_id", F_STR1, 1, NULL},  {"delegate_public_key", F_HEX64, 1, NULL},
    {"scope", F_STR, 1, NULL},         {"issued_at", F_INT, 1, NULL},
    {"expires_at", F_INT, 1, NULL},    {"not_before", F_INT, 0, NULL},
    {"grant_id", F_STR, 0, NULL},      {"suite", F_STR, 1, NULL},
    {"signature", F_STR, 1, NULL},     {NULL, F_STR, 0, NULL}};

static int is_hex64(const json_t *v)
{
  const char *s = json_string_value(v);
  size_t i;
  if (!s || json_string_length(v) != 64)
    return 0;
  for (i = 0; i < 64; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

/* Checks `o` against `fs`; reasons are "<node>: ...". `skip_signing` leaves out suite/signature
 * (used before signing). `strict` refuses unknown fields. Returns the number of problems. */
static int check_fields(const json_t *o, const field *fs, const char *node, seal_verdict *v,
                        int skip_signing, int strict)
{
  int bad = 0;
  const field *f;
  for (f = fs; f->name; f++) {
    json_t *x = json_object_get(o, f->name);
    int ok = 1;
    if (skip_signing && (!strcmp(f->name, "suite") || !strcmp(f->name, "signature") ||
                         !strcmp(f->name, "public_key")))
      continue;
    if (!x) {
      if (f->required) {
        seal_verdict_fail(v, "%s: missing required field %s", node, f->name);
        bad++;
      }
      continue;
    }
    switch (f->type) {
    case F_STR: ok = json_is_string(x); break;
    case F_STR1: ok = json_is_string(x) && json_string_length(x) > 0; break;
    case F_INT: ok = json_is_integer(x); break; /* booleans and reals are not integers */
    case F_HEX64: ok = is_hex64(x); break;
    case F_ARR: ok = json_is_array(x); break;
    case F_OBJ: ok = json_is_object(x); break;
    case F_STRARR: {
      size_t i;
      ok = json_is_array(x);
      for (i = 0; ok && i < json_array_size(x); i++)
        ok = json_is_string(json_array_get(x, i));
      break;
    }
    case F_ENUM: {
      const char *const *e;
      ok = 0;
      if (json_is_string(x))
        for (e = f->values; *e; e++)
          if (!strcmp(*e, json_string_value(x)))
            ok = 1;
      break;
    }
    }
    if (!ok) {
      const char *what = f->type == F_HEX64    ? "64 lowercase hex characters"
                         : f->type == F_INT    ? "an integer"
                         : f->type == F_ENUM   ? "one of the allowed values"
                         : f->type == F_STR1   ? "a non-empty string"
                         : f->type == F_STRARR ? "an array of strings"
                         : f->type == F_ARR    ? "an array"
                         : f->type == F_OBJ    ? "an object"
                                               : "a string";
      seal_verdict_fail(v, "%s: field %s must be %s", node, f->name, what);
      bad++;
    }
  }
  if (strict) {
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)o, k, x) {
      for (f = fs; f->name && strcmp(f->name, k); f++)
        ;
      if (!f->name) {
        seal_verdict_fail(v, "%s: unknown field %s (additionalProperties is false)", node, k);
        bad++;
      }
    }
  }
  return bad;
}

/* ---- b64 suite sign / verify ------------------------------------------------------------------ */

/* Signs `copy` (owned, already holding suite and key) over JCS(copy minus signature) and sets
 * `signature`. On failure `copy` is released. */
static int sign_into(json_t **out, json_t *copy, const seal_key *key, seal_err *err)
{
  char *canon = NULL, *b64;
  size_t n = 0;
  uint8_t sig[SEAL_SIG_BYTES];
  int rc;
  json_object_del(copy, "signature");
  if ((rc = seal_canon(&canon, &n, copy, SEAL_CANON_JCS, err)) != SEAL_OK) {
    json_decref(copy);
    return rc;
  }
  rc = seal_sign(sig, key, canon, n);
  free(canon);
  if (rc != SEAL_OK || !(b64 = seal_b64url_encode(sig, sizeof sig))) {
    json_decref(copy);
    return seal_errf(err, SEAL_ERROR, 0, "signing failed");
  }
  rc = json_object_set_new(copy, "signature", json_string(b64));
  free(b64);
  if (rc != 0) { /* out of memory: never hand out an unsigned copy */
    json_decref(copy);
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  }
  *out = copy;
  return SEAL_OK;
}

int seal_sign_b64(json_t **out, const json_t *body, const seal_key *key, seal_err *err)
{
  json_t *copy;
  if (!json_is_object(body) || !key)
    return seal_errf(err, SEAL_EINVAL, 0, "sign: body must be an object and key non-NULL");
  copy = json_deep_copy(body);
  if (!copy)
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  if (json_object_set_new(copy, "public_key", json_string(seal_key_pk_hex(key))) ||
      json_object_set_new(copy, "suite", json_string(SEAL_SUITE_B64))) {
    json_decref(copy);
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  }
  return sign_into(out, copy, key, err);
}

/* The fields of a body about to be signed: SEAL_OK, or SEAL_EINVAL naming the first problem. */
static int check_to_sign(const json_t *body, const field *fs, const char *what, seal_err *err)
{
  seal_verdict v;
  int rc = SEAL_OK;
  seal_verdict_init(&v);
  if (check_fields(body, fs, what, &v, 1, 0))
    rc = seal_errf(err, SEAL_EINVAL, 0, "%s", json_string_value(json_array_get(v.reasons, 0)));
  seal_verdict_clear(&v);
  return rc;
}

static int sign_checked(json_t **out, const json_t *body, const seal_key *key, const field *fs,
                        const char *what, seal_err *err)
{
  int rc;
  if (!json_is_object(body))
    return seal_errf(err, SEAL_EINVAL, 0, "%s: body must be an object", what);
  if ((rc = check_to_sign(body, fs, what, err)))
    return rc;
  return seal_sign_b64(out, body, key, err);
}

int seal_sign_execution_receipt(json_t **out, const json_t *body, const seal_key *key,
                                seal_err *err)
{
  return sign_checked(out, body, key, receipt_fields, "execution receipt", err);
}

int seal_sign_tool_invocation_receipt(json_t **out, const json_t *body, const seal_key *key,
                                      seal_err *err)
{
  return sign_checked(out, body, key, tool_receipt_fields, "tool invocation receipt", err);
}

int seal_sign_approval_decision(json_t **out, const json_t *body, const seal_key *key,
                                seal_err *err)
{
  return sign_checked(out, body, key, approval_fields, "approval decision", err);
}

int seal_sign_delegation_token(json_t **out, const json_t *body, const seal_key *key, seal_err *err)
{
  json_t *copy;
  int rc;
  if (!json_is_object(body) || !key)
    return seal_errf(err, SEAL_EINVAL, 0, "delegation token: body must be an object");
  copy = json_deep_copy(body);
  if (!copy)
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  /* the token names its signer delegator_public_key; it has no public_key field */
  json_object_set_new(copy, "delegator_public_key", json_string(seal_key_pk_hex(key)));
  json_object_set_new(copy, "suite", json_string(SEAL_SUITE_B64));
  if ((rc = check_to_sign(copy, token_fields, "delegation token", err))) {
    json_decref(copy);
    return rc;
  }
  return sign_into(out, copy, key, err);
}

/* Verifies one b64-suite signature of object `o` under `pk`. Adds "<node>: ..." reasons. */
static int check_b64_signature(const json_t *o, const uint8_t pk[SEAL_PK_BYTES], const char *node,
                               seal_verdict *v)
{
  const char *suite = json_string_value(json_object_get(o, "suite"));
  const char *sigtxt = json_string_value(json_object_get(o, "signature"));
  uint8_t *sig = NULL;
  size_t siglen = 0, n = 0;
  char *canon = NULL;
  seal_err err = {0};
  int rc;
  if (!suite) {
    seal_verdict_fail(v, "%s: suite missing", node);
    return 0;
  }
  if (strcmp(suite, SEAL_SUITE_B64) != 0) {
    seal_verdict_fail(v, "%s: unknown suite \"%.60s\" (expected %s)", node, suite, SEAL_SUITE_B64);
    return 0;
  }
  if (!sigtxt || seal_b64url_decode(&sig, &siglen, sigtxt, strlen(sigtxt)) != SEAL_OK) {
    seal_verdict_fail(v, "%s: signature is not base64url", node);
    return 0;
  }
  if (siglen != SEAL_SIG_BYTES) {
    free(sig);
    seal_verdict_fail(v, "%s: signature is %zu bytes, expected 64", node, siglen);
    return 0;
  }
  if ((rc = seal_canon_without(&canon, &n, o, "signature", SEAL_CANON_JCS, &err)) != SEAL_OK) {
    free(sig);
    seal_verdict_fail(v, "%s: cannot canonicalize: %s", node, err.msg);
    return 0;
  }
  rc = seal_verify(sig, pk, canon, n);
  free(sig);
  free(canon);
  if (rc != SEAL_OK) {
    seal_verdict_fail(v, "%s: signature did not verify", node);
    return 0;
  }
  return 1;
}

int seal_verify_b64(const json_t *o, const uint8_t pk[SEAL_PK_BYTES], seal_err *err)
{
  seal_verdict v;
  int ok;
  if (!json_is_object(o))
    return seal_errf(err, SEAL_EINVAL, 0, "not a JSON object");
  seal_verdict_init(&v);
  ok = check_b64_signature(o, pk, "object", &v);
  if (!ok)
    seal_errf(err, SEAL_EVERIFY, 0, "%s", json_string_value(json_array_get(v.reasons, 0)));
  seal_verdict_clear(&v);
  return ok ? SEAL_OK : SEAL_EVERIFY;
}

int seal_identity_binding(const char *motebit_id, const uint8_t pk[SEAL_PK_BYTES])
{
  char id[SEAL_SOVEREIGN_ID], did[SEAL_DID_KEY_MAX];
  if (!motebit_id)
    return 0;
  seal_sovereign_id(id, pk);
  if (!strcmp(id, motebit_id))
    return 1;
  return seal_did_key_from_pk(did, pk) == SEAL_OK && !strcmp(did, motebit_id);
}

/* Picks the key of a node: embedded `key_field` when valid hex, else `fallback`. */
static int node_key(uint8_t pk[SEAL_PK_BYTES], const json_t *o, const char *key_field,
                    const uint8_t *fallback, const char *node, seal_verdict *v)
{
  json_t *k = json_object_get(o, key_field);
  if (k && is_hex64(k)) {
    if (seal_hex_decode(pk, SEAL_PK_BYTES, json_string_value(k), 1) == SEAL_OK)
      return 1;
  }
  if (!k && fallback) {
    memcpy(pk, fallback, SEAL_PK_BYTES);
    return 1;
  }
  seal_verdict_fail(v, "%s: no usable public key (%s missing or not 64 lowercase hex)", node,
                    key_field);
  return 0;
}

static void verify_receipt_node(const json_t *r, const seal_verify_opts *o, const char *node,
                                int depth, seal_verdict *v)
{
  uint8_t pk[SEAL_PK_BYTES];
  json_t *kids;
  size_t i;
  if (depth > v->depth)
    v->depth = depth;
  if (depth > SEAL_MAX_CHAIN_DEPTH) {
    seal_verdict_fail(v, "%s: delegation depth %d exceeds %d", node, depth, SEAL_MAX_CHAIN_DEPTH);
    return;
  }
  if (!json_is_object(r)) {
    seal_verdict_fail(v, "%s: not a JSON object", node);
    return;
  }
  check_fields(r, receipt_fields, node, v, 0, 1);
  if (node_key(pk, r, "public_key", depth == 0 && o ? o->pinned_pk : NULL, node, v)) {
    if (depth == 0) {
      verdict_set_signer(v, pk);
      if (o && o->pinned_pk && seal_memcmp(pk, o->pinned_pk, SEAL_PK_BYTES) != 0)
        seal_verdict_fail(v, "%s: signer key is not the pinned key", node);
    }
    check_b64_signature(r, pk, node, v);
  }
  if (o && o->strict_hash) {
    json_t *res = json_object_get(r, "result");
    const char *rh = json_string_value(json_object_get(r, "result_hash"));
    char h[SEAL_SHA256_HEX];
    if (json_is_string(res) && rh) {
      seal_sha256_hex(h, json_string_value(res), json_string_length(res));
      if (strcmp(h, rh) != 0)
        seal_verdict_fail(v, "%s: result_hash does not equal sha256(result)", node);
    }
  }
  kids = json_object_get(r, "delegation_receipts");
  for (i = 0; json_is_array(kids) && i < json_array_size(kids); i++) {
    char child[400];
    if (depth == 0)
      snprintf(child, sizeof child, "delegation_receipts[%zu]", i);
    else
      snprintf(child, sizeof child, "%.300s.delegation_receipts[%zu]", node, i);
    seal_verify_opts co = SEAL_VERIFY_OPTS_INIT;
    co.strict_hash = o && o->strict_hash; /* children inherit strict hashing, never the pin */
    verify_receipt_node(json_array_get(kids, i), &co, child, depth + 1, v);
    if (depth + 1 > SEAL_MAX_CHAIN_DEPTH)
      break;
  }
}

int seal_verify_execution_receipt(const json_t *r, const seal_verify_opts *opts, seal_verdict *out)
{
  seal_verify_opts o = SEAL_VERIFY_OPTS_INIT;
  seal_verdict_init(out);
  out->kind = SEAL_KIND_EXECUTION_RECEIPT;
  if (opts)
    o = *opts;
  verify_receipt_node(r, &o, "receipt", 0, out);
  return out->valid ? SEAL_OK : SEAL_EVERIFY;
}

static int verify_flat(const json_t *r, const seal_verify_opts *opts, seal_verdict *out,
                       seal_kind kind, const field *fs, const char *node)
{
  uint8_t pk[SEAL_PK_BYTES];
  seal_verdict_init(out);
  out->kind = kind;
  if (!json_is_object(r)) {
    seal_verdict_fail(out, "%s: not a JSON object", node);
    return SEAL_EVERIFY;
  }
  check_fields(r, fs, node, out, 0, 1);
  if (node_key(pk, r, "public_key", opts ? opts->pinned_pk : NULL, node, out)) {
    verdict_set_signer(out, pk);
    if (opts && opts->pinned_pk && seal_memcmp(pk, opts->pinned_pk, SEAL_PK_BYTES) != 0)
      seal_verdict_fail(out, "%s: signer key is not the pinned key", node);
    check_b64_signature(r, pk, node, out);
  }
  return out->valid ? SEAL_OK : SEAL_EVERIFY;
}

int seal_verify_tool_invocation_receipt(const json_t *r, const seal_verify_opts *opts,
                                        seal_verdict *out)
{
  return verify_flat(r, opts, out, SEAL_KIND_TOOL_INVOCATION_RECEIPT, tool_receipt_fields,
                     "tool_invocation_receipt");
}

int seal_verify_approval_decision(const json_t *r, const seal_verify_opts *opts, seal_verdict *out)
{
  return verify_flat(r, opts, out, SEAL_KIND_APPROVAL_DECISION, approval_fields,
                     "approval_decision");
}

/* ---- delegation tokens ------------------------------------------------------------------------ */

int seal_verify_delegation_token(const json_t *t, const seal_verify_opts *opts, seal_verdict *out)
{
  uint8_t pk[SEAL_PK_BYTES];
  int64_t now;
  json_t *exp, *nbf;
  seal_verdict_init(out);
  out->kind = SEAL_KIND_DELEGATION_TOKEN;
  if (!json_is_object(t)) {
    seal_verdict_fail(out, "delegation_token: not a JSON object");
    return SEAL_EVERIFY;
  }
  check_fields(t, token_fields, "delegation_token", out, 0, 0);
  if (node_key(pk, t, "delegator_public_key", NULL, "delegation_token", out)) {
    verdict_set_signer(out, pk);
    if (opts && opts->pinned_pk && seal_memcmp(pk, opts->pinned_pk, SEAL_PK_BYTES) != 0)
      seal_verdict_fail(out, "delegation_token: delegator key is not the pinned key");
    check_b64_signature(t, pk, "delegation_token", out);
  }
  if (!out->valid)
    return SEAL_EVERIFY;
  if (opts && opts->ignore_time)
    return SEAL_OK;
  now = opts && opts->now_ms ? opts->now_ms : seal_now_ms();
  exp = json_object_get(t, "expires_at");
  nbf = json_object_get(t, "not_before");
  if (json_is_integer(exp) && json_integer_value(exp) + (opts ? opts->skew_ms : 0) < now) {
    seal_verdict_fail(out, "delegation_token: expired at %" JSON_INTEGER_FORMAT " (now %lld)",
                      json_integer_value(exp), (long long)now);
    return SEAL_EEXPIRED;
  }
  if (json_is_integer(nbf) && now < json_integer_value(nbf) - (opts ? opts->skew_ms : 0)) {
    seal_verdict_fail(out, "delegation_token: not valid before %" JSON_INTEGER_FORMAT " (now %lld)",
                      json_integer_value(nbf), (long long)now);
    return SEAL_EEXPIRED;
  }
  return SEAL_OK;
}

/* ---- detection -------------------------------------------------------------------------------- */

static int has(const json_t *v, const char *k)
{
  return json_object_get(v, k) != NULL;
}

seal_kind seal_detect(const json_t *v)
{
  const char *sv;
  json_t *type;
  if (!json_is_object(v))
    return SEAL_KIND_UNKNOWN;
  if (json_object_size(v) == 1 && json_is_object(json_object_get(v, "receipt")))
    return seal_detect(json_object_get(v, "receipt"));
  sv = json_string_value(json_object_get(v, "schema_version"));
  if (sv && !strncmp(sv, "motus.work-receipt-envelope.", 28))
    return SEAL_KIND_WORK_RECEIPT;
  if (has(v, "delegator_public_key") && has(v, "scope"))
    return SEAL_KIND_DELEGATION_TOKEN;
  if (has(v, "approval_id"))
    return SEAL_KIND_APPROVAL_DECISION;
  if (has(v, "invocation_id"))
    return SEAL_KIND_TOOL_INVOCATION_RECEIPT;
  /* any two receipt-specific fields, so a receipt with one renamed key is still judged (and
   * rejected) as a receipt rather than as an unknown shape */
  if (has(v, "task_id") + has(v, "prompt_hash") + has(v, "result_hash") + has(v, "tools_used") +
          has(v, "memories_formed") >=
      2)
    return SEAL_KIND_EXECUTION_RECEIPT;
  if (has(v, "old_public_key") && has(v, "new_public_key"))
    return SEAL_KIND_KEY_SUCCESSION;
  type = json_object_get(v, "type");
  if (json_is_object(json_object_get(v, "proof")) && (json_is_array(type) || json_is_string(type)))
    return SEAL_KIND_CREDENTIAL;
  return SEAL_KIND_UNKNOWN;
}

int seal_verify_artifact(const json_t *v, const seal_verify_opts *opts, seal_verdict *out)
{
  seal_kind k = seal_detect(v);
  if (json_is_object(v) && json_object_size(v) == 1 &&
      json_is_object(json_object_get(v, "receipt")))
    v = json_object_get(v, "receipt");
  switch (k) {
  case SEAL_KIND_EXECUTION_RECEIPT: return seal_verify_execution_receipt(v, opts, out);
  case SEAL_KIND_TOOL_INVOCATION_RECEIPT: return seal_verify_tool_invocation_receipt(v, opts, out);
  case SEAL_KIND_APPROVAL_DECISION: return seal_verify_approval_decision(v, opts, out);
  case SEAL_KIND_DELEGATION_TOKEN: return seal_verify_delegation_token(v, opts, out);
  case SEAL_KIND_WORK_RECEIPT: return seal_verify_work_receipt(v, opts, out);
  case SEAL_KIND_CREDENTIAL: return seal_vc_verify(v, out);
  case SEAL_KIND_KEY_SUCCESSION: {
    seal_err err = {0};
    seal_verdict_init(out);
    out->kind = k;
    if (seal_succession_verify(v, &err) != SEAL_OK)
      seal_verdict_fail(out, "key_succession: %s", err.msg);
    else {
      uint8_t pk[SEAL_PK_BYTES];
      if (seal_hex_decode(pk, SEAL_PK_BYTES,
                          json_string_value(json_object_get(v, "new_public_key")), 1) == SEAL_OK)
        verdict_set_signer(out, pk);
    }
    return out->valid ? SEAL_OK : SEAL_EVERIFY;
  }
  default:
    seal_verdict_init(out);
    out->kind = SEAL_KIND_UNKNOWN;
    seal_verdict_fail(out, "not a known artifact (no execution receipt, tool invocation receipt, "
                           "approval decision, delegation token, work receipt or identity shape)");
    return SEAL_EVERIFY;
  }
}

/* Strips a trailing MCP identity tag "\n[motebit:... key:...]" (and trailing whitespace). */
static size_t strip_mcp_tag(const char *t, size_t len)
{
  size_t end = len, i;
  while (end > 0 && isspace((unsigned char)t[end - 1]))
    end--;
  if (end == 0 || t[end - 1] != ']')
    return len;
  for (i = end; i > 0; i--) {
    if (t[i - 1] == '\n') {
      if (end - i > 9 && !strncmp(t + i, "[motebit:", 9) && !memchr(t + i, ']', end - i - 1))
        return i - 1;
      return len;
    }
  }
  return len;
}

static int looks_like_token(const char *t, size_t len)
{
  size_t i, dots = 0;
  if (len > 8 && !strncmp(t, "motebit:", 8))
    t += 8, len -= 8;
  if (len < 3)
    return 0;
  for (i = 0; i < len; i++) {
    char c = t[i];
    if (c == '.')
      dots++;
    else if (!(isalnum((unsigned char)c) || c == '-' || c == '_' || c == '='))
      return 0;
  }
  return dots == 1;
}

int seal_verify_text(const char *text, size_t len, const seal_verify_opts *opts, seal_verdict *out)
{
  size_t s = 0, e = len;
  json_t *v;
  seal_err err = {0};
  int rc;
  while (s < e && isspace((unsigned char)text[s]))
    s++;
  if (e - s >= 3 && !strncmp(text + s, "---", 3))
    return seal_identity_verify(text + s, e - s, opts, out);
  while (e > s && isspace((unsigned char)text[e - 1]))
    e--;
  if (looks_like_token(text + s, e - s)) {
    char *tok = strndup(text + s, e - s);
    json_t *claims = NULL;
    seal_verdict_init(out);
    out->kind = SEAL_KIND_BEARER_TOKEN;
    if (!tok)
      return SEAL_ERROR;
    if (!opts || !opts->pinned_pk) {
      rc = seal_token_peek(&claims, tok, &err);
      seal_verdict_fail(out,
                        rc == SEAL_OK ? "bearer_token: a public key is needed to verify a "
                                        "bearer token (--public-key)"
                                      : "bearer_token: %s",
                        err.msg);
      json_decref(claims);
    } else {
      rc = seal_token_verify(&claims, tok, opts->pinned_pk, opts->now_ms, opts->skew_ms, &err);
      if (rc != SEAL_OK)
        seal_verdict_fail(out, "bearer_token: %s", err.msg);
      else
        verdict_set_signer(out, opts->pinned_pk);
      json_decref(claims);
    }
    free(tok);
    return out->valid ? SEAL_OK : SEAL_EVERIFY;
  }
  e = s + strip_mcp_tag(text + s, e - s);
  v = seal_json_parse_strict(text + s, e - s, &err);
  if (!v) {
    seal_verdict_init(out);
    seal_verdict_fail(out, "unreadable input: %s", err.msg);
    return err.code == SEAL_EDEPTH ? SEAL_EDEPTH : SEAL_EINVAL;
  }
  rc = seal_verify_artifact(v, opts, out);
  json_decref(v);
  return rc;
}

/* ---- verification across a key succession (spec/signing.md "Key rotation") ------------------- */

/* The signing time an artifact states (epoch ms), or -1: completed_at (receipts), resolved_at
 * (approval decisions), issued_at (delegation tokens), iat (bearer tokens). */
static int64_t stated_time(const char *text, size_t len)
{
  size_t s = 0, e = len;
  static const char *const fields[] = {"completed_at", "resolved_at", "issued_at", NULL};
  json_t *v, *r;
  int64_t t = -1;
  while (s < e && isspace((unsigned char)text[s]))
    s++;
  while (e > s && isspace((unsigned char)text[e - 1]))
    e--;
  if (e - s >= 3 && !strncmp(text + s, "---", 3))
    return -1;
  if (looks_like_token(text + s, e - s)) {
    char *tok = strndup(text + s, e - s);
    json_t *claims = NULL;
    if (tok && seal_token_peek(&claims, tok, NULL) == SEAL_OK &&
        json_is_integer(json_object_get(claims, "iat")))
      t = json_integer_value(json_object_get(claims, "iat"));
    json_decref(claims);
    free(tok);
    return t;
  }
  e = s + strip_mcp_tag(text + s, e - s);
  if (!(v = seal_json_parse_strict(text + s, e - s, NULL)))
    return -1;
  r = json_is_object(json_object_get(v, "receipt")) ? json_object_get(v, "receipt") : v;
  for (int i = 0; fields[i] && t < 0; i++)
    if (json_is_integer(json_object_get(r, fields[i])))
      t = json_integer_value(json_object_get(r, fields[i]));
  json_decref(v);
  return t;
}

int seal_verify_text_succession(const char *text, size_t len, const seal_verify_opts *opts,
                                const json_t *chain, seal_verdict *out, seal_key_link *link)
{
  seal_verify_opts o2;
  seal_err err = {0};
  char current[SEAL_PK_HEX];
  int64_t signed_at;
  size_t i, n;
  int rc;
  if (link) {
    memset(link, 0, sizeof *link);
    link->record = -1;
    if (opts && opts->pinned_pk)
      seal_hex_encode(link->current_pk, opts->pinned_pk, SEAL_PK_BYTES);
  }
  rc = seal_verify_text(text, len, opts, out);
  if (rc == SEAL_OK || !chain || !opts || !opts->pinned_pk || rc == SEAL_EINVAL ||
      rc == SEAL_EDEPTH || rc == SEAL_ERROR)
    return rc;
  seal_hex_encode(current, opts->pinned_pk, SEAL_PK_BYTES);
  /* Which retired key of the chain signed it? Retry pinned to each old key in turn. */
  n = json_is_array(chain) ? json_array_size(chain) : 0;
  for (i = 0; i < n; i++) {
    const char *old = json_string_value(
        json_object_get(json_array_get(chain, i), "old_public_key"));
    uint8_t pk[SEAL_PK_BYTES];
    seal_verdict v2;
    if (!old || seal_hex_decode(pk, sizeof pk, old, 1) != SEAL_OK)
      continue;
    o2 = *opts;
    o2.pinned_pk = pk;
    if (seal_verify_text(text, len, &o2, &v2) != SEAL_OK) {
      seal_verdict_clear(&v2);
      continue;
    }
    /* Signed by retired key i. The chain must verify and end at the current key... */
    if (seal_succession_verify_chain(chain, current, &err) != SEAL_OK) {
      seal_verdict_clear(&v2);
      seal_verdict_fail(out,
                        "signed by key %.16s…, but the succession chain does not link it to "
                        "the current key: %s",
                        old, err.msg);
      return SEAL_EVERIFY;
    }
    /* ...and the artifact must not claim a time after the key was retired. */
    signed_at = stated_time(text, len);
    {
      int64_t retired = json_integer_value(json_object_get(json_array_get(chain, i), "timestamp"));
      if (signed_at > retired) {
        seal_verdict_clear(&v2);
        seal_verdict_fail(out,
                          "signed by key %.16s… at %lld ms, after that key was retired at %lld "
                          "ms (succession[%zu])",
                          old, (long long)signed_at, (long long)retired, i);
        return SEAL_EVERIFY;
      }
      if (link) {
        link->retired = 1;
        link->retired_at_ms = retired;
        link->record = (int)i;
      }
    }
    seal_verdict_clear(out);
    *out = v2;
    return SEAL_OK;
  }
  return rc;
}
