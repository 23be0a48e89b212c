/* SPDX-License-Identifier: Apache-2.0
 * tools/memory.c — motebit_remember and motebit_recall (spec/mcp.md §3.4) over the memories of
 * the Store, with the sensitivity floor of motebit §3.5 (writes above "none" refused for every
 * MCP caller; recall never reads medical, financial or secret, and "personal" only for the
 * local operator). Recall ranks by similarity × decay: similarity in [0, 1] is the cosine of the
 * embeddings of query and memory (negative cosines count as 0) when executors.embeddings is
 * configured and both have one, else the lexical cosine of their word sets (ledger/recall.c);
 * decay halves every memory.half_life_days and also scales the reported confidence. With an
 * embeddings endpoint, remember embeds the content BEFORE it joins the call's transaction (so
 * the Store writer never waits on the network) and stores the vector with the memory and its
 * memory.written event in that one transaction; recall embeds the query. An endpoint that
 * fails costs nothing but the vector: remember stores the memory without one, recall falls back
 * to lexical similarity, and one line on stderr (mcp_log, never stdout, never the API key, which
 * is read from the environment variable executors.embeddings.api_key_env names) says so.
 * Nothing here logs memory content. */
#include "client/client.h"
#include "config/config.h"
#include "ledger/ledger.h"
#include "mcp/tool.h"
#include "tools/tools.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECALL_DEFAULT 10
#define RECALL_CANDIDATES_MIN 50
#define MEMORY_CONFIDENCE 100 /* a remembered fact starts at full confidence, then decays */
#define DAY_MS 86400000.0

/* ---- embeddings ----------------------------------------------------------------------------- */

typedef struct embedding {
  float *v; /* new (free()), NULL when there is none */
  size_t dims;
  const char *model; /* borrowed from the config */
} embedding;

/* The embedding of `text` from executors.embeddings. 0 with `e` filled; -1 when no endpoint is
 * configured (silently) or it failed (one warning on stderr ending with `instead`). */
static int embed(const json_t *cfg, const char *text, const char *instead, embedding *e)
{
  const json_t *ec = mcp_config_embeddings(cfg);
  const char *env = mcp_config_str(ec, "api_key_env", NULL), *key = NULL;
  mcp_client_embed_opts o;
  mcp_client_err err;
  memset(e, 0, sizeof *e);
  if (!ec)
    return -1;
  if (env && (!(key = getenv(env)) || !*key)) {
    mcp_log(MCP_LOG_WARNING,
            "embeddings: the environment variable %s (executors.embeddings.api_key_env) is not "
            "set; %s",
            env, instead);
    return -1;
  }
  memset(&o, 0, sizeof o);
  o.url = mcp_config_str(ec, "url", NULL);
  o.model = mcp_config_str(ec, "model", NULL);
  o.api_key = key;
  o.timeout_ms = (long)mcp_config_int(ec, "timeout_s", 10) * 1000;
  o.max_response = (size_t)mcp_config_int(ec, "max_response_bytes", MCP_CLIENT_EMBED_MAX_RESPONSE);
  o.max_dims = LEDGER_VECTOR_MAX_DIMS;
  memset(&err, 0, sizeof err);
  if (mcp_client_embed(&e->v, &e->dims, &o, text, &err) != MCP_CLIENT_OK) {
    mcp_log(MCP_LOG_WARNING, "embeddings: %s; %s", err.msg, instead);
    return -1;
  }
  e->model = o.model;
  return 0;
}

/* ---- motebit_remember ----------------------------------------------------------------------- */

typedef struct remember_job {
  const char *content;
  const char *sensitivity;
  const char *session_run; /* the server's session run, or NULL */
  const char *invocation_id;
  const embedding *emb; /* the content's embedding, or NULL */
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
  if (!rc && j->emb)
    rc = ledger_txn_memory_vector_put(t, j->memory_id, j->emb->model, j->emb->v, j->emb->dims, err);
  if (rc || !j->session_run)
    return rc;
  /* the session run says a memory was written (never its content: only its digest) */
  seal_sha256_hex(hash, j->content, strlen(j->content));
  p = json_pack("{s:s,s:s,s:s,s:s}", "memory_id", j->memory_id, "sensitivity", j->sensitivity,
                "content_sha256", hash, "invocation_id", j->invocation_id);
  if (p && j->emb &&
      json_object_set_new(p, "embedding",
                          json_pack("{s:s,s:I}", "model", j->emb->model, "dims",
                                    (json_int_t)j->emb->dims)) != 0) {
    json_decref(p);
    p = NULL;
  }
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

/* motebit §3.5: personal, medical, financial and secret are never written by a caller. The
 * registry runs this before the policy gate asks any approval (mcp_tool_impl.precheck), so a
 * refused write never waits for the operator; remember_fn checks it again. */
static int remember_precheck(const json_t *args, char *err, size_t errlen)
{
  const char *sens = json_string_value(json_object_get(args, "sensitivity"));
  if (!sens || strcmp(sens, "none") == 0)
    return 0;
  snprintf(err, errlen,
           "Denied: sensitivity \"%s\" is above the memory sensitivity floor: MCP callers may "
           "only store memories of sensitivity \"none\" (personal, medical, financial and secret "
           "are refused). Nothing was stored.",
           sens);
  return -1;
}

static int remember_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  const char *content = json_string_value(json_object_get(args, "content"));
  const char *sens = json_string_value(json_object_get(args, "sensitivity"));
  ledger *store = mcp_ctx_store(ctx);
  remember_job j;
  embedding e;
  ledger_err lerr;
  int rc;
  if (!sens)
    sens = "none";
  if (remember_precheck(args, out->error, sizeof out->error) != 0)
    return -1;
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
  if (embed(mcp_ctx_config(ctx), content,
            "the memory is stored without an embedding (recalled by its words only)", &e) == 0)
    j.emb = &e;
  /* from here on, the memory, its vector and memory.written commit with the call's record */
  (void)mcp_ctx_join_call_tx(ctx);
  memset(&lerr, 0, sizeof lerr);
  rc = ledger_tx(store, remember_tx, &j, &lerr);
  free(e.v);
  if (rc != LEDGER_OK) {
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

static double unit(double v)
{
  return v > 1 ? 1 : v > 0 ? v : 0; /* NaN gives 0 */
}

/* Ranks the candidates (best first) into rk and returns how many have a similarity above 0. */
static size_t rank(const json_t *cands, int semantic, double hl, int64_t now, ranked *rk)
{
  size_t i, n = 0;
  json_t *row;
  json_array_foreach((json_t *)cands, i, row) {
    const json_t *cos = json_object_get(row, "cosine");
    double sim = semantic && json_is_number(cos)
                     ? unit(json_number_value(cos))
                     : unit(json_number_value(json_object_get(row, "lexical")));
    int64_t created = 0;
    double age_days, decay;
    if (!(sim > 0))
      continue; /* shares neither a word nor a direction with the query */
    if (ledger_ts_parse(&created, json_string_value(json_object_get(row, "created_at"))) !=
        LEDGER_OK)
      created = now;
    age_days = created < now ? (double)(now - created) / DAY_MS : 0.0;
    decay = exp2(-age_days / hl);
    rk[n].row = row;
    rk[n].order = i;
    rk[n].similarity = sim;
    rk[n].confidence = json_integer_value(json_object_get(row, "confidence")) / 100.0 * decay;
    rk[n].score = sim * decay;
    n++;
  }
  qsort(rk, n, sizeof *rk, ranked_cmp);
  return n;
}

int tools_memory_recall(mcp_ctx *ctx, const char *query, int limit, json_t **out_list, char *err,
                        size_t errlen)
{
  static const char *const with_personal[] = {"none", "personal", NULL};
  static const char *const public_only[] = {"none", NULL};
  const mcp_caller *caller = mcp_ctx_caller(ctx);
  ledger *store = mcp_ctx_store(ctx);
  double hl = mcp_config_memory_half_life_days(mcp_ctx_config(ctx));
  ledger_recall_opts ro = LEDGER_RECALL_OPTS_INIT;
  int local, semantic;
  json_t *cands = NULL, *list;
  ledger_err lerr;
  embedding e;
  ranked *rk;
  size_t n, i;

  *out_list = NULL;
  if (!(hl > 0))
    hl = 7;
  if (!store || limit <= 0 || !query)
    return (*out_list = json_array()) ? 0 : -1;
  local = !caller || caller->trust == MCP_TRUST_LOCAL;
  semantic = embed(mcp_ctx_config(ctx), query, "recall falls back to lexical similarity", &e) == 0;
  ro.query = query;
  ro.sensitivities = local ? with_personal : public_only;
  ro.limit = limit * 5 > RECALL_CANDIDATES_MIN ? limit * 5 : RECALL_CANDIDATES_MIN;
  if (semantic) {
    ro.model = e.model;
    ro.vector = e.v;
    ro.dims = e.dims;
    ro.nearest = ro.limit;
  }
  memset(&lerr, 0, sizeof lerr);
  if (ledger_memory_recall_ex(store, &ro, &cands, &lerr) != LEDGER_OK) {
    free(e.v);
    snprintf(err, errlen, "Error: memory search failed: %s", lerr.msg);
    return -1;
  }
  free(e.v);
  rk = calloc(json_array_size(cands) ? json_array_size(cands) : 1, sizeof *rk);
  if (!rk) {
    json_decref(cands);
    return -1;
  }
  n = rank(cands, semantic, hl, mcp_now_ms(), rk);
  list = json_array();
  for (i = 0; list && i < n && i < (size_t)limit; i++)
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

/* Both are long-running in the sense of mcp/tool.h: with an embeddings endpoint they wait on the
 * network, which must not happen inside the call's transaction; remember joins it for its
 * writes (mcp_ctx_join_call_tx), so memory, vector, memory.written and the call record still
 * commit as one. */
const mcp_tool_impl tools_memory[] = {
    {"motebit_remember", remember_fn, 0, NULL, MCP_TOOL_LONG, remember_precheck, NULL},
    {"motebit_recall", recall_fn, 0, NULL, MCP_TOOL_LONG, NULL, NULL},
    {NULL, NULL, 0, NULL, 0, NULL, NULL},
};
