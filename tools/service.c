/* SPDX-License-Identifier: Apache-2.0
 * tools/service.c — the motebit service surface beside motebit_task (spec/mcp.md "Service
 * tools"): motebit_service_listing (the AgentServiceListing of config.json, or
 * {"error":"No service listing configured"} as a plain result, like the reference),
 * motebit_credentials (a VerifiablePresentation, eddsa-jcs-2022, holding a reputation credential
 * computed from the ExecutionReceipts in the Store), and motebit_remember / motebit_recall over
 * the FTS5 memories with the sensitivity floor of motebit §3.5 (writes above "none" refused for
 * every MCP caller; recall never reads medical, financial or secret, and "personal" only for the
 * local operator) and a ranking that halves a memory's weight every memory.half_life_days. The
 * handlers only read config and the Store through ledger/ledger.h; the core signs the call's
 * ToolInvocationReceipt and records it. Nothing here logs memory content. */
#include "crypto/artifacts.h"
#include "ledger/ledger.h"
#include "config/config.h"
#include "mcp/tool.h"
#include "tools/tools.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VC_CONTEXT "https://www.w3.org/ns/credentials/v2"
#define RECALL_DEFAULT 10
#define RECALL_CANDIDATES_MIN 50
#define MEMORY_CONFIDENCE 100 /* a remembered fact starts at full confidence, then decays */
#define DAY_MS 86400000.0

/* ---- motebit_service_listing ---------------------------------------------------------------- */

/* The listing's updated_at: the first time this process served it. config.json is read once per
 * process, so the listing cannot change before a restart, which gives a new value. */
static _Atomic int64_t listing_loaded_ms;

static void listing_id_derive(char out[SEAL_SOVEREIGN_ID], const char *motebit_id)
{
  /* Stable per motebit: a UUIDv8 over sha256("workledger/service-listing:" || motebit_id). */
  static const char label[] = "workledger/service-listing:";
  uint8_t h[SEAL_SHA256_BYTES];
  size_t n = strlen(motebit_id);
  char *buf = malloc(sizeof label + n);
  if (!buf) {
    seal_uuid4(out);
    return;
  }
  memcpy(buf, label, sizeof label - 1);
  memcpy(buf + sizeof label - 1, motebit_id, n);
  seal_sha256(h, buf, sizeof label - 1 + n);
  free(buf);
  seal_sovereign_id(out, h);
}

static int listing_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  const json_t *sl = mcp_config_service_listing(mcp_ctx_config(ctx));
  const char *id;
  char derived[SEAL_SOVEREIGN_ID];
  int64_t expect = 0, now = mcp_now_ms();
  (void)args;
  if (!json_is_object(sl)) {
    out->payload = json_pack("{s:s}", "error", "No service listing configured");
    return out->payload ? 0 : -1;
  }
  atomic_compare_exchange_strong(&listing_loaded_ms, &expect, now);
  id = json_string_value(json_object_get(sl, "listing_id"));
  if (!id || !*id) {
    listing_id_derive(derived, mcp_ctx_motebit_id(ctx));
    id = derived;
  }
  out->payload = json_pack("{s:s,s:s,s:O,s:O,s:O,s:O,s:I}", "listing_id", id, "motebit_id",
                           mcp_ctx_motebit_id(ctx), "capabilities",
                           json_object_get(sl, "capabilities"), "pricing",
                           json_object_get(sl, "pricing"), "sla", json_object_get(sl, "sla"),
                           "description", json_object_get(sl, "description"), "updated_at",
                           (json_int_t)atomic_load(&listing_loaded_ms));
  if (!out->payload) {
    snprintf(out->error, sizeof out->error, "Error: the configured service listing is incomplete");
    return -1;
  }
  return 0;
}

/* ---- motebit_credentials -------------------------------------------------------------------- */

/* The credential bodies before their proofs (new references). Reals appear only here, in
 * eddsa-jcs-2022 bodies, which canonicalize them in ECMAScript form (spec/signing.md). */
static json_t *reputation_subject(const char *did, const ledger_task_stats *s, int64_t now)
{
  int64_t ran = s->completed + s->failed, total = ran + s->denied;
  double success = ran ? (double)s->completed / (double)ran : 0.0;
  double trust = (double)(s->completed + 1) / (double)(ran + 2);
  double avail = total ? (double)ran / (double)total : 0.0;
  int64_t latency = s->latency_n ? s->latency_sum_ms / s->latency_n : 0;
  return json_pack("{s:s,s:f,s:I,s:I,s:f,s:f,s:I,s:I}", "id", did, "success_rate", success,
                   "avg_latency_ms", (json_int_t)latency, "task_count", (json_int_t)total,
                   "trust_score", trust, "availability", avail, "sample_size", (json_int_t)total,
                   "measured_at", (json_int_t)now);
}

static json_t *ledger_subject(const char *did, const char *motebit_id, const ledger_task_stats *s,
                              int64_t now)
{
  int64_t ran = s->completed + s->failed;
  json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:f,s:I}", "id", did, "motebit_id", motebit_id,
                        "tasks_completed", (json_int_t)s->completed, "tasks_failed",
                        (json_int_t)s->failed, "tasks_denied", (json_int_t)s->denied, "task_count",
                        (json_int_t)(ran + s->denied), "success_rate",
                        ran ? (double)s->completed / (double)ran : 0.0, "measured_at",
                        (json_int_t)now);
  if (o) {
    json_object_set_new(o, "first_activity_at",
                        s->first_ms ? json_integer(s->first_ms) : json_null());
    json_object_set_new(o, "last_activity_at", s->last_ms ? json_integer(s->last_ms) : json_null());
  }
  return o;
}

static json_t *credential(const char *type, const char *did, const char *valid_from,
                          json_t *subject)
{
  return json_pack("{s:[s],s:[s,s],s:s,s:s,s:o}", "@context", VC_CONTEXT, "type",
                   "VerifiableCredential", type, "issuer", did, "validFrom", valid_from,
                   "credentialSubject", subject);
}

static int credentials_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  ledger *store = mcp_ctx_store(ctx);
  const seal_key *key = mcp_ctx_key(ctx);
  ledger_task_stats st;
  ledger_err lerr;
  seal_err serr;
  char did[SEAL_DID_KEY_MAX], iso[32];
  json_t *c1 = NULL, *c2 = NULL, *p1 = NULL, *p2 = NULL, *vp = NULL;
  int64_t now = mcp_now_ms();
  int rc;
  (void)args;
  if (!store) {
    out->payload = json_pack("{s:s}", "error", "No credentials available");
    return out->payload ? 0 : -1;
  }
  memset(&lerr, 0, sizeof lerr);
  if (ledger_task_stats_get(store, mcp_ctx_motebit_id(ctx), &st, &lerr) != LEDGER_OK) {
    snprintf(out->error, sizeof out->error, "Error: cannot read the task receipts: %s", lerr.msg);
    return -1;
  }
  if (seal_did_key_from_pk(did, seal_key_pk(key)) != SEAL_OK) {
    snprintf(out->error, sizeof out->error, "Error: cannot derive did:key");
    return -1;
  }
  mcp_iso_utc(iso, now);
  c1 = credential("AgentReputationCredential", did, iso, reputation_subject(did, &st, now));
  c2 = credential("WorkledgerTaskLedgerCredential", did, iso,
                  ledger_subject(did, mcp_ctx_motebit_id(ctx), &st, now));
  memset(&serr, 0, sizeof serr);
  rc = c1 && c2 ? SEAL_OK : SEAL_ERROR;
  if (rc == SEAL_OK)
    rc = seal_vc_prove(&p1, c1, key, iso, "assertionMethod", &serr);
  if (rc == SEAL_OK)
    rc = seal_vc_prove(&p2, c2, key, iso, "assertionMethod", &serr);
  if (rc == SEAL_OK) {
    json_t *body = json_pack("{s:[s],s:[s],s:s,s:[O,O]}", "@context", VC_CONTEXT, "type",
                             "VerifiablePresentation", "holder", did, "verifiableCredential", p1,
                             p2);
    rc = body ? seal_vc_prove(&vp, body, key, iso, "authentication", &serr) : SEAL_ERROR;
    json_decref(body);
  }
  json_decref(c1);
  json_decref(c2);
  json_decref(p1);
  json_decref(p2);
  if (rc != SEAL_OK) {
    snprintf(out->error, sizeof out->error, "Error: cannot sign the presentation: %s",
             serr.msg[0] ? serr.msg : seal_strerror(rc));
    return -1;
  }
  out->payload = vp;
  return 0;
}

/* ---- motebit_remember ----------------------------------------------------------------------- */

typedef struct remember_job {
  const char *content;
  const char *sensitivity;
  const char *session_run; /* the server's session run, or NULL */
  const char *invocation_id;
  char memory_id[LEDGER_ID_MAX];
} remember_job;

static int remember_tx(ledger_txn *t, void *payload, ledger_err *err)
{
  remember_job *j = payload;
  char hash[SEAL_SHA256_HEX], key[96];
  ledger_event_in ev;
  json_t *p;
  int rc = ledger_txn_memory_put(t, j->content, j->sensitivity, MEMORY_CONFIDENCE, j->memory_id,
                                 err);
  if (rc || !j->session_run)
    return rc;
  /* the session run says a memory was written (never its content: only its digest) */
  seal_sha256_hex(hash, j->content, strlen(j->content));
  p = json_pack("{s:s,s:s,s:s,s:s}", "memory_id", j->memory_id, "sensitivity", j->sensitivity,
                "content_sha256", hash, "invocation_id", j->invocation_id);
  if (!p)
    return LEDGER_ERROR;
  memset(&ev, 0, sizeof ev);
  ev.run_id = j->session_run;
  ev.event_kind = LEDGER_KIND_MEMORY_WRITTEN;
  snprintf(key, sizeof key, "%s:memory", j->invocation_id);
  ev.idempotency_key = key;
  ev.payload = p;
  rc = ledger_txn_event_append(t, &ev, NULL, err);
  json_decref(p);
  return rc;
}

static int remember_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  const char *content = json_string_value(json_object_get(args, "content"));
  const char *sens = json_string_value(json_object_get(args, "sensitivity"));
  ledger *store = mcp_ctx_store(ctx);
  remember_job j;
  ledger_err lerr;
  int rc;
  if (!sens)
    sens = "none";
  if (strcmp(sens, "none") != 0) {
    /* motebit §3.5: personal, medical, financial and secret are never written by a caller */
    snprintf(out->error, sizeof out->error,
             "Denied: sensitivity \"%s\" is above the memory sensitivity floor: MCP callers may "
             "only store memories of sensitivity \"none\" (personal, medical, financial and secret "
             "are refused). Nothing was stored.",
             sens);
    return -1;
  }
  if (!content || !*content) {
    snprintf(out->error, sizeof out->error, "Error: content must be a non-empty string");
    return -1;
  }
  if (!store) {
    snprintf(out->error, sizeof out->error,
             "Error: this server runs without a Store; nothing can be remembered");
    return -1;
  }
  memset(&j, 0, sizeof j);
  j.content = content;
  j.sensitivity = sens;
  j.session_run = mcp_ctx_session_run(ctx);
  j.invocation_id = mcp_ctx_invocation_id(ctx);
  memset(&lerr, 0, sizeof lerr);
  if ((rc = ledger_tx(store, remember_tx, &j, &lerr)) != LEDGER_OK) {
    snprintf(out->error, sizeof out->error, "Error: the memory could not be stored: %s",
             lerr.msg[0] ? lerr.msg : ledger_strerror(rc));
    return -1;
  }
  if (j.session_run)
    snprintf(out->run_id, sizeof out->run_id, "%s", j.session_run);
  out->payload = json_pack("{s:s}", "node_id", j.memory_id);
  return out->payload ? 0 : -1;
}

/* ---- motebit_recall ------------------------------------------------------------------------- */

typedef struct ranked {
  json_t *row; /* borrowed from the candidate array */
  double similarity, confidence, score;
  size_t order;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
  const ranked *x = a, *y = b;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static int recall_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  const char *query = json_string_value(json_object_get(args, "query"));
  const json_t *jl = json_object_get(args, "limit");
  int limit = RECALL_DEFAULT;
  json_t *list = NULL;

  if (json_is_number(jl)) {
    double v = json_number_value(jl);
    limit = v >= 100 ? 100 : v < 1 ? 1 : (int)v;
  }
  if (!query) {
    snprintf(out->error, sizeof out->error, "Error: query must be a string");
    return -1;
  }
  if (tools_memory_recall(ctx, query, limit, &list, out->error, sizeof out->error) != 0)
    return -1;
  out->payload = list;
  out->structured = json_pack("{s:O}", "memories", list);
  return out->structured ? 0 : -1;
}

int tools_memory_recall(mcp_ctx *ctx, const char *query, int limit, json_t **out_list, char *err,
                        size_t errlen)
{
  static const char *const with_personal[] = {"none", "personal", NULL};
  static const char *const public_only[] = {"none", NULL};
  const mcp_caller *caller = mcp_ctx_caller(ctx);
  ledger *store = mcp_ctx_store(ctx);
  double hl = mcp_config_memory_half_life_days(mcp_ctx_config(ctx));
  int64_t now = mcp_now_ms();
  int local;
  json_t *cands = NULL, *list;
  ledger_err lerr;
  ranked *rk;
  size_t n, i;

  *out_list = NULL;
  if (!(hl > 0))
    hl = 7;
  if (!store || limit <= 0)
    return (*out_list = json_array()) ? 0 : -1;
  local = !caller || caller->trust == MCP_TRUST_LOCAL;
  memset(&lerr, 0, sizeof lerr);
  if (ledger_memory_recall(store, query, local ? with_personal : public_only,
                           limit * 5 > RECALL_CANDIDATES_MIN ? limit * 5 : RECALL_CANDIDATES_MIN,
                           &cands, &lerr) != LEDGER_OK) {
    snprintf(err, errlen, "Error: memory search failed: %s", lerr.msg);
    return -1;
  }
  n = json_array_size(cands);
  rk = calloc(n ? n : 1, sizeof *rk);
  if (!rk) {
    json_decref(cands);
    return -1;
  }
  for (i = 0; i < n; i++) {
    json_t *row = json_array_get(cands, i);
    double s = -json_number_value(json_object_get(row, "bm25")); /* bm25: lower = better */
    int64_t created = 0;
    double age_days, decay;
    if (s < 0)
      s = 0;
    if (ledger_ts_parse(&created, json_string_value(json_object_get(row, "created_at"))) !=
        LEDGER_OK)
      created = now;
    age_days = created < now ? (double)(now - created) / DAY_MS : 0.0;
    decay = exp2(-age_days / hl);
    rk[i].row = row;
    rk[i].order = i;
    rk[i].similarity = s / (1.0 + s);
    rk[i].confidence = json_integer_value(json_object_get(row, "confidence")) / 100.0 * decay;
    rk[i].score = rk[i].similarity * decay;
  }
  qsort(rk, n, sizeof *rk, ranked_cmp);
  list = json_array();
  for (i = 0; i < n && i < (size_t)limit; i++)
    json_array_append_new(list, json_pack("{s:O,s:f,s:f,s:f,s:s,s:O}", "content",
                                          json_object_get(rk[i].row, "content"), "confidence",
                                          rk[i].confidence, "similarity", rk[i].similarity,
                                          "half_life_days", hl, "memory_type", "semantic",
                                          "created_at", json_object_get(rk[i].row, "created_at")));
  free(rk);
  json_decref(cands);
  *out_list = list;
  return list ? 0 : -1;
}

const mcp_tool_impl tools_service[] = {
    {"motebit_service_listing", listing_fn, MCP_PROFILE_SERVICE, NULL, 0},
    {"motebit_credentials", credentials_fn, MCP_PROFILE_SERVICE, NULL, 0},
    {"motebit_remember", remember_fn, 0, NULL, 0},
    {"motebit_recall", recall_fn, 0, NULL, 0},
    {NULL, NULL, 0, NULL, 0},
};
