/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/tools/test_service.c — unit tests of the motebit service surface below the
 * transport: the Store queries (ledger_task_stats_get counts only this node's ExecutionReceipts;
 * ledger_memory_recall filters sensitivities in SQL and treats FTS5 syntax as literal words
 * OR-ed; ledger_memory_recall_ex adds the nearest vectors of the same model and dimension and
 * refuses bad vectors; recall ranks the memory equal to the query first with similarity > 0.9,
 * partial overlaps below, every similarity in [0, 1]),
 * the tools in an in-process MCP server (the listing validates against the upstream
 * agent-service-listing-v1 schema with crypto/jschema.h; no listing and a refused remember), and
 * seal_verify_text_succession (retired keys accepted only through a valid chain and only for
 * artifacts stated before the rotation). Test code only. */
#include "tools/tools.h"
#include "crypto/artifacts.h"
#include "crypto/jschema.h"
#include "ledger/ledger.h"
#include "config/config.h"
#include "mcp/mcp.h"
#include "tests/support/test_support.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a Store in a temporary directory -------------------------------------------------------- */

static ledger *open_store(char **dir_out)
{
  char *dir = ts_tmpdir(), path[600];
  ledger_opts lo = LEDGER_OPTS_INIT;
  ledger *l = NULL;
  snprintf(path, sizeof path, "%s/kernel-store.db", dir);
  lo.create = 1;
  lo.durability = LEDGER_DURABLE_NORMAL;
  ck_assert_int_eq(ledger_open(&l, path, &lo, NULL), LEDGER_OK);
  *dir_out = dir;
  return l;
}

typedef struct put_job {
  const char *id, *kind;
  json_t *body;
} put_job;

static int put_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  put_job *j = payload;
  return ledger_txn_receipt_put(t, j->id, j->kind, NULL, NULL, j->body, err);
}

static void put_receipt(ledger *l, const char *id, const char *kind, const char *mid,
                        const char *status, int64_t sub, int64_t comp)
{
  put_job j = {id, kind,
               json_pack("{s:s,s:s,s:s,s:I,s:I}", "task_id", id, "motebit_id", mid, "status",
                         status, "submitted_at", (json_int_t)sub, "completed_at",
                         (json_int_t)comp)};
  ck_assert_int_eq(ledger_tx(l, put_fn, &j, NULL), LEDGER_OK);
  json_decref(j.body);
}

START_TEST(task_stats_counts_own_execution_receipts)
{
  char *dir;
  ledger *l = open_store(&dir);
  ledger_task_stats s;
  ck_assert_int_eq(ledger_task_stats_get(l, "me", &s, NULL), LEDGER_OK);
  ck_assert_int_eq(s.completed + s.failed + s.denied + s.other, 0);
  ck_assert_int_eq(s.first_ms, 0);
  put_receipt(l, "a", LEDGER_KIND_EXECUTION_RECEIPT, "me", "completed", 1000, 1500);
  put_receipt(l, "b", LEDGER_KIND_EXECUTION_RECEIPT, "me", "completed", 2000, 4000);
  put_receipt(l, "c", LEDGER_KIND_EXECUTION_RECEIPT, "me", "failed", 500, 600);
  put_receipt(l, "d", LEDGER_KIND_EXECUTION_RECEIPT, "me", "denied", 7000, 9000);
  put_receipt(l, "e", LEDGER_KIND_EXECUTION_RECEIPT, "me", "weird", 7000, 7000);
  put_receipt(l, "f", LEDGER_KIND_EXECUTION_RECEIPT, "peer", "completed", 1, 99999);
  put_receipt(l, "g", "motebit.tool-invocation-receipt", "me", "completed", 1, 99999);
  ck_assert_int_eq(ledger_task_stats_get(l, "me", &s, NULL), LEDGER_OK);
  ck_assert_int_eq(s.completed, 2);
  ck_assert_int_eq(s.failed, 1);
  ck_assert_int_eq(s.denied, 1);
  ck_assert_int_eq(s.other, 1);
  ck_assert_int_eq(s.first_ms, 500);
  ck_assert_int_eq(s.last_ms, 9000);
  ck_assert_int_eq(s.latency_n, 3); /* denied is not a run */
  ck_assert_int_eq(s.latency_sum_ms, 500 + 2000 + 100);
  ck_assert_int_eq(ledger_task_stats_get(l, NULL, &s, NULL), LEDGER_OK);
  ck_assert_int_eq(s.completed, 3);
  ledger_close(l);
  ts_rmrf(dir);
  free(dir);
}
END_TEST

typedef struct mem_job {
  const char *content, *sens;
} mem_job;

static int mem_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  mem_job *j = payload;
  char id[LEDGER_ID_MAX];
  return ledger_txn_memory_put(t, j->content, j->sens, 90, id, err);
}

/* Index of the row whose content is `content` in a candidate or result array, else -1. */
static int row_of(const json_t *rows, const char *content)
{
  size_t i;
  json_t *r;
  json_array_foreach((json_t *)rows, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "content")), content) == 0)
      return (int)i;
  }
  return -1;
}

START_TEST(recall_filters_sensitivity_in_sql)
{
  static const char *const none_only[] = {"none", NULL};
  static const char *const nothing[] = {NULL};
  static const mem_job mems[] = {{"okapi in the forest", "none"}, {"okapi medical file", "medical"},
                                 {"okapi iban", "financial"},     {"okapi password", "secret"},
                                 {"okapi home", "personal"},      {"the river bank", "none"}};
  char *dir;
  ledger *l = open_store(&dir);
  json_t *out = NULL;
  for (size_t i = 0; i < sizeof mems / sizeof *mems; i++) {
    mem_job j = mems[i];
    ck_assert_int_eq(ledger_tx(l, mem_fn, &j, NULL), LEDGER_OK);
  }
  ck_assert_int_eq(ledger_memory_recall(l, "okapi", none_only, 0, &out, NULL), LEDGER_OK);
  ck_assert_int_eq(json_array_size(out), 1);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(out, 0), "content")),
                   "okapi in the forest");
  ck_assert(json_is_real(json_object_get(json_array_get(out, 0), "bm25")));
  json_decref(out);
  ck_assert_int_eq(ledger_memory_recall(l, "okapi", nothing, 0, &out, NULL), LEDGER_OK);
  ck_assert_int_eq(json_array_size(out), 0);
  json_decref(out);
  /* FTS5 syntax is literal text: no error, no match-everything (words are OR-ed, so a query
   * naming okapi among operators finds the okapi memory and nothing else) */
  static const char *const qs[] = {
      "OR *",          "NEAR(", "content:", "-", "   ", "*", "\" \"", "\" \" \" \" \" \" \"",
      "\"\"\"\" \"\"", "— …",
  };
  for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
    ledger_err e = {0};
    ck_assert_msg(ledger_memory_recall(l, qs[i], none_only, 0, &out, &e) == LEDGER_OK, "%s: %s",
                  qs[i], e.msg);
    ck_assert_msg(json_array_size(out) == 0, "query %s matched", qs[i]);
    json_decref(out);
  }
  static const char *const okapi_qs[] = {"okapi OR *", "NEAR(okapi", "content:okapi",
                                         "OKAPI AND NOT river*"};
  for (size_t i = 0; i < sizeof okapi_qs / sizeof *okapi_qs; i++) {
    ck_assert_int_eq(ledger_memory_recall(l, okapi_qs[i], none_only, 0, &out, NULL), LEDGER_OK);
    /* the last one also names "river" */
    ck_assert_msg(json_array_size(out) == (i == 3 ? 2u : 1u), "query %s: %zu rows", okapi_qs[i],
                  json_array_size(out));
    ck_assert_int_ge(row_of(out, "okapi in the forest"), 0);
    json_decref(out);
  }
  /* a quote is punctuation inside a literal word: "okapi still finds okapi */
  ck_assert_int_eq(ledger_memory_recall(l, "\"okapi", none_only, 0, &out, NULL), LEDGER_OK);
  ck_assert_int_eq(json_array_size(out), 1);
  json_decref(out);
  ck_assert_int_eq(ledger_memory_recall(l, NULL, none_only, 0, &out, NULL), LEDGER_EINVAL);
  ledger_close(l);
  ts_rmrf(dir);
  free(dir);
}
END_TEST

/* ---- the tools in an in-process server ------------------------------------------------------- */

typedef struct coll {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  json_t *last;
  int n;
} coll;

static void emit(const char *msg, size_t len, unsigned flags, void *payload)
{
  coll *c = payload;
  if (!(flags & MCP_EMIT_FINAL))
    return;
  pthread_mutex_lock(&c->mu);
  json_decref(c->last);
  c->last = msg ? json_loadb(msg, len, 0, NULL) : NULL;
  c->n++;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

/* One tools/call on a stateless session; returns the result object (new reference). */
static json_t *call_tool_as(mcp_server *srv, const char *caller, mcp_trust trust, const char *tool,
                            const char *args)
{
  mcp_session *s = NULL;
  mcp_session_opts so;
  coll c;
  char line[1024];
  json_t *res;
  memset(&so, 0, sizeof so);
  so.caller.id = caller;
  so.caller.trust = trust;
  so.stateless = 1;
  memset(&c, 0, sizeof c);
  pthread_mutex_init(&c.mu, NULL);
  pthread_cond_init(&c.cv, NULL);
  ck_assert_int_eq(mcp_session_new(&s, srv, &so), MCP_OK);
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
           "\"arguments\":%s}}",
           tool, args);
  ck_assert_int_eq(mcp_submit(s, line, strlen(line), emit, &c, NULL), MCP_OK);
  pthread_mutex_lock(&c.mu);
  while (c.n < 1)
    pthread_cond_wait(&c.cv, &c.mu);
  pthread_mutex_unlock(&c.mu);
  mcp_session_free(s);
  res = json_incref(json_object_get(c.last, "result"));
  ck_assert_msg(res != NULL, "no result for %s", tool);
  json_decref(c.last);
  pthread_mutex_destroy(&c.mu);
  pthread_cond_destroy(&c.cv);
  return res;
}

static json_t *call_tool(mcp_server *srv, const char *tool, const char *args)
{
  return call_tool_as(srv, MCP_CALLER_LOCAL, MCP_TRUST_LOCAL, tool, args);
}

static mcp_server *server_on(const char *config_text, seal_key **key, ledger *store)
{
  json_t *raw = json_loads(config_text, 0, NULL), *cfg = NULL;
  char err[300] = "";
  mcp_server *srv = NULL;
  mcp_server_opts o;
  ck_assert_int_eq(seal_init(), 0);
  ck_assert_msg(mcp_config_normalize(&cfg, raw, err, sizeof err) == 0, "%s", err);
  json_decref(raw);
  ck_assert_int_eq(seal_key_generate(key), 0);
  memset(&o, 0, sizeof o);
  o.key = *key;
  o.store = store;
  o.config = cfg;
  o.profile = mcp_config_profile(cfg);
  o.tool_groups = tools_groups;
  ck_assert_msg(mcp_server_new(&srv, &o, err, sizeof err) == MCP_OK, "%s", err);
  json_decref(cfg); /* the server keeps its own reference */
  return srv;
}

static mcp_server *server_with(const char *config_text, seal_key **key)
{
  return server_on(config_text, key, NULL);
}

START_TEST(listing_valid_against_upstream_schema)
{
  const char *sp = ts_shared_path("fixtures/motebit/schemas/agent-service-listing-v1.json");
  seal_key *key = NULL;
  mcp_server *srv;
  json_t *schema, *res, *listing;
  seal_jschema_err e;
  if (!sp)
    return;
  schema = ts_load_json(sp);
  srv = server_with(
      "{\"profile\":\"service\",\"service_listing\":{\"capabilities\":[\"summarize\"],"
      "\"pricing\":[{\"capability\":\"summarize\",\"unit_cost\":0.5,\"currency\":"
      "\"USD\",\"per\":\"tool_call\"}],\"description\":\"d\",\"listing_id\":\"L-1\"}}",
      &key);
  res = call_tool(srv, "motebit_service_listing", "{}");
  ck_assert(!json_is_true(json_object_get(res, "isError")));
  listing = json_object_get(res, "structuredContent");
  memset(&e, 0, sizeof e);
  ck_assert_msg(seal_jschema_validate(schema, listing, &e) == SEAL_JSCHEMA_OK, "%s: %s", e.path,
                e.msg);
  ck_assert_str_eq(json_string_value(json_object_get(listing, "listing_id")), "L-1");
  ck_assert_int_eq(json_integer_value(
                       json_object_get(json_object_get(listing, "sla"), "max_latency_ms")),
                   300000);
  /* the validator is able to refuse: drop a required member */
  json_object_del(listing, "updated_at");
  ck_assert_int_eq(seal_jschema_validate(schema, listing, &e), SEAL_JSCHEMA_INVALID);
  json_decref(res);
  mcp_server_free(srv);
  seal_key_free(key);
  json_decref(schema);
}
END_TEST

START_TEST(listing_absent_and_refused_memory)
{
  seal_key *key = NULL;
  mcp_server *srv = server_with("{\"profile\":\"service\"}", &key);
  json_t *res = call_tool(srv, "motebit_service_listing", "{}");
  const char *text = json_string_value(
      json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
  ck_assert(!json_is_true(json_object_get(res, "isError")));
  ck_assert_msg(strncmp(text, "{\"error\":\"No service listing configured\"}\n[motebit:", 51) == 0,
                "%s", text);
  json_decref(res);
  res = call_tool(srv, "motebit_remember",
                  "{\"content\":\"iban DE00\",\"sensitivity\":\"financial\"}");
  text = json_string_value(
      json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
  ck_assert(json_is_true(json_object_get(res, "isError")));
  ck_assert_msg(strstr(text, "sensitivity \"financial\"") && strstr(text, "Nothing was stored"),
                "%s", text);
  json_decref(res);
  /* an unknown sensitivity word never reaches the handler */
  res = call_tool(srv, "motebit_remember", "{\"content\":\"x\",\"sensitivity\":\"public\"}");
  ck_assert(json_is_true(json_object_get(res, "isError")));
  json_decref(res);
  mcp_server_free(srv);
  seal_key_free(key);
}
END_TEST

START_TEST(config_refuses_unknown_pricing_unit)
{
  json_t *raw = json_loads(
             "{\"service_listing\":{\"pricing\":[{\"capability\":\"x\",\"unit_cost\":1,"
             "\"currency\":\"USD\",\"per\":\"hour\"}]}}",
             0, NULL),
         *cfg = NULL;
  char err[300] = "";
  ck_assert_int_eq(mcp_config_normalize(&cfg, raw, err, sizeof err), -1);
  ck_assert_msg(strstr(err, "service_listing.pricing[0].per") != NULL, "%s", err);
  json_decref(raw);
}
END_TEST

START_TEST(recall_personal_only_for_the_local_operator)
{
  char *dir;
  ledger *l = open_store(&dir);
  seal_key *key = NULL;
  mcp_server *srv;
  json_t *res;
  mem_job j = {"tapir notes for the owner", "personal"};
  ck_assert_int_eq(ledger_tx(l, mem_fn, &j, NULL), LEDGER_OK);
  srv = server_on("{\"profile\":\"service\"}", &key, l);
  res = call_tool(srv, "motebit_recall", "{\"query\":\"tapir\"}");
  ck_assert_int_eq(
      json_array_size(json_object_get(json_object_get(res, "structuredContent"), "memories")), 1);
  json_decref(res);
  res = call_tool_as(srv, "peer-1", MCP_TRUST_TRUSTED, "motebit_recall", "{\"query\":\"tapir\"}");
  ck_assert(!json_is_true(json_object_get(res, "isError")));
  ck_assert_int_eq(
      json_array_size(json_object_get(json_object_get(res, "structuredContent"), "memories")), 0);
  json_decref(res);
  mcp_server_free(srv);
  seal_key_free(key);
  ledger_close(l);
  ts_rmrf(dir);
  free(dir);
}
END_TEST

static json_t *memories_of(const json_t *res)
{
  return json_object_get(json_object_get(res, "structuredContent"), "memories");
}

static double sim_at(const json_t *mems, int i)
{
  return json_number_value(json_object_get(json_array_get(mems, (size_t)i), "similarity"));
}

START_TEST(recall_ranks_exact_match_first)
{
  static const char *const mems[] = {
      "the deploy key is kept in the vault",                   /* shares 3 of the 8 words */
      "the deploy key rotates every friday at noon, says ops", /* all 8, and 2 more */
      "lunch on friday",                                       /* shares 1 */
      "okapis live in Congo forests",                          /* shares none */
      "the deploy key rotates every friday at noon",           /* the query itself */
  };
  static const char *const queries[] = {
      "{\"query\":\"the deploy key rotates every friday at noon\"}",
      "{\"query\":\"The Deploy KEY rotates every Friday, at noon!\"}", /* case, punctuation */
  };
  char *dir, args[300];
  ledger *l = open_store(&dir);
  seal_key *key = NULL;
  mcp_server *srv = server_on("{\"profile\":\"service\"}", &key, l);
  json_t *res;
  for (size_t i = 0; i < sizeof mems / sizeof *mems; i++) {
    snprintf(args, sizeof args, "{\"content\":\"%s\"}", mems[i]);
    res = call_tool(srv, "motebit_remember", args);
    ck_assert(!json_is_true(json_object_get(res, "isError")));
    json_decref(res);
  }
  for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
    res = call_tool(srv, "motebit_recall", queries[q]);
    const json_t *m = memories_of(res);
    int exact = row_of(m, mems[4]), near = row_of(m, mems[1]), part = row_of(m, mems[0]),
        one = row_of(m, mems[2]);
    ck_assert(!json_is_true(json_object_get(res, "isError")));
    ck_assert_msg(exact == 0, "%s: the exact memory is at %d", queries[q], exact);
    ck_assert_msg(sim_at(m, 0) > 0.9, "exact similarity %g", sim_at(m, 0));
    ck_assert_int_eq(near, 1);
    ck_assert_msg(sim_at(m, near) > 0.8 && sim_at(m, near) < sim_at(m, 0), "%g", sim_at(m, near));
    /* partial overlap still found (any word selects), ranked below */
    ck_assert_int_gt(part, near);
    ck_assert_int_gt(one, part);
    ck_assert(sim_at(m, part) < 0.5 && sim_at(m, one) < sim_at(m, part));
    ck_assert_int_eq(row_of(m, mems[3]), -1); /* no shared word: not returned */
    ck_assert_int_eq(json_array_size(m), 4);
    for (size_t i = 0; i < json_array_size(m); i++) {
      double c = json_number_value(json_object_get(json_array_get(m, i), "confidence"));
      ck_assert_msg(sim_at(m, (int)i) > 0 && sim_at(m, (int)i) <= 1, "%g", sim_at(m, (int)i));
      ck_assert_msg(c > 0.99 && c <= 1, "fresh confidence %g", c);
    }
    json_decref(res);
  }
  res = call_tool(srv, "motebit_recall", "{\"query\":\"friday deploy\",\"limit\":2}");
  ck_assert_int_eq(json_array_size(memories_of(res)), 2);
  json_decref(res);
  mcp_server_free(srv);
  seal_key_free(key);
  ledger_close(l);
  ts_rmrf(dir);
  free(dir);
}
END_TEST

typedef struct vec_job {
  const char *content, *model;
  float v[3];
  size_t dims;
  char id[LEDGER_ID_MAX];
} vec_job;

static int vec_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  vec_job *j = payload;
  int rc = j->id[0] ? LEDGER_OK : ledger_txn_memory_put(t, j->content, "none", 100, j->id, err);
  if (!rc && j->model)
    rc = ledger_txn_memory_vector_put(t, j->id, j->model, j->v, j->dims, err);
  return rc;
}

static const json_t *row_named(const json_t *rows, const char *content)
{
  int i = row_of(rows, content);
  return i < 0 ? NULL : json_array_get(rows, (size_t)i);
}

START_TEST(recall_vectors_by_cosine_of_the_same_model)
{
  static const char *const none_only[] = {"none", NULL};
  vec_job js[] = {
      {"puppy on the beach", "m1", {1, 0, 0}, 3, ""},
      {"invoice paid in cash", "m1", {0, 1, 0}, 3, ""},
      {"dog food order", "m2", {1, 0, 0}, 3, ""}, /* another model: never compared */
      {"canine teeth", "m1", {1, 0, 0}, 2, ""},   /* another dimension */
      {"dog days of summer", NULL, {0, 0, 0}, 0, ""},
  };
  const float q[3] = {0.9f, 0.1f, 0}, zero[3] = {0, 0, 0};
  char *dir;
  ledger *l = open_store(&dir);
  ledger_recall_opts o = LEDGER_RECALL_OPTS_INIT;
  ledger_err e = {0};
  json_t *out = NULL;
  const json_t *r;
  for (size_t i = 0; i < sizeof js / sizeof *js; i++)
    ck_assert_int_eq(ledger_tx(l, vec_fn, &js[i], NULL), LEDGER_OK);
  o.query = "dog";
  o.sensitivities = none_only;
  o.model = "m1";
  o.vector = q;
  o.dims = 3;
  ck_assert_msg(ledger_memory_recall_ex(l, &o, &out, &e) == LEDGER_OK, "%s", e.msg);
  ck_assert_int_eq(json_array_size(out), 4);
  /* the lexical candidates first (bm25), then the nearest vectors (best first) */
  ck_assert(json_is_real(json_object_get(json_array_get(out, 0), "bm25")));
  ck_assert(json_is_real(json_object_get(json_array_get(out, 1), "bm25")));
  ck_assert_int_eq(row_of(out, "puppy on the beach"), 2);
  r = row_named(out, "puppy on the beach");
  ck_assert(json_number_value(json_object_get(r, "cosine")) > 0.99);
  ck_assert(json_number_value(json_object_get(r, "lexical")) == 0);
  ck_assert_ptr_null(json_object_get(r, "bm25"));
  r = row_named(out, "invoice paid in cash");
  ck_assert(fabs(json_number_value(json_object_get(r, "cosine")) - 0.1 / sqrt(0.82)) < 1e-6);
  r = row_named(out, "dog food order");
  ck_assert_ptr_null(json_object_get(r, "cosine"));
  ck_assert(json_number_value(json_object_get(r, "lexical")) > 0.5);
  ck_assert_ptr_nonnull(row_named(out, "dog days of summer"));
  ck_assert_ptr_null(row_named(out, "canine teeth"));
  json_decref(out);
  o.nearest = 1;
  ck_assert_int_eq(ledger_memory_recall_ex(l, &o, &out, NULL), LEDGER_OK);
  ck_assert_int_eq(json_array_size(out), 3);
  ck_assert_ptr_null(row_named(out, "invoice paid in cash"));
  json_decref(out);
  o.vector = zero; /* no direction: words only */
  ck_assert_int_eq(ledger_memory_recall_ex(l, &o, &out, NULL), LEDGER_OK);
  ck_assert_int_eq(json_array_size(out), 2);
  json_decref(out);
  /* a query without words still finds by vector */
  o.vector = q;
  o.query = "?!";
  o.nearest = 0;
  ck_assert_int_eq(ledger_memory_recall_ex(l, &o, &out, NULL), LEDGER_OK);
  ck_assert_int_eq(json_array_size(out), 2);
  json_decref(out);
  {
    vec_job again = js[0], nan = {"x", "m1", {0, NAN, 0}, 3, ""},
            none = {"", "m1", {1}, 1, "mem_0"};
    vec_job zero_dims = {"y", "m1", {1}, 0, ""}, no_model = {"z", "", {1}, 1, ""};
    ck_assert_int_eq(ledger_tx(l, vec_fn, &again, &e), LEDGER_ECONFLICT);
    ck_assert_int_eq(ledger_tx(l, vec_fn, &nan, &e), LEDGER_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "not finite"));
    ck_assert_int_eq(ledger_tx(l, vec_fn, &none, &e), LEDGER_EINVAL);
    ck_assert_int_eq(ledger_tx(l, vec_fn, &zero_dims, &e), LEDGER_EINVAL);
    ck_assert_int_eq(ledger_tx(l, vec_fn, &no_model, &e), LEDGER_EINVAL);
  }
  ledger_close(l);
  ts_rmrf(dir);
  free(dir);
}
END_TEST

/* ---- verification across a succession ------------------------------------------------------- */

#define HEX64 "0000000000000000000000000000000000000000000000000000000000000000"

static char *signed_receipt_text(const seal_key *k, int64_t completed_at)
{
  json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "invocation_id", "i-1",
                           "task_id", "t-1", "motebit_id", "m", "device_id", "d", "started_at",
                           (json_int_t)(completed_at - 5), "completed_at", (json_int_t)completed_at,
                           "status", "completed", "args_hash", HEX64, "result_hash", HEX64),
         *signed_rc = NULL;
  json_object_set_new(body, "tool_name", json_string("motebit_identity"));
  ck_assert_int_eq(seal_sign_tool_invocation_receipt(&signed_rc, body, k, NULL), SEAL_OK);
  char *t = json_dumps(signed_rc, JSON_COMPACT);
  json_decref(body);
  json_decref(signed_rc);
  return t;
}

START_TEST(succession_accepts_retired_key_only_before_rotation)
{
  seal_key *a = NULL, *b = NULL, *evil = NULL;
  json_t *rec = NULL, *chain;
  seal_verify_opts o = SEAL_VERIFY_OPTS_INIT;
  seal_verdict v;
  seal_key_link link;
  char *before, *after, *by_b;
  ck_assert_int_eq(seal_init(), 0);
  ck_assert_int_eq(seal_key_generate(&a), 0);
  ck_assert_int_eq(seal_key_generate(&b), 0);
  ck_assert_int_eq(seal_key_generate(&evil), 0);
  ck_assert_int_eq(seal_succession_sign(&rec, a, b, 1700000005000, NULL, NULL), SEAL_OK);
  chain = json_pack("[O]", rec);
  before = signed_receipt_text(a, 1700000004000);
  after = signed_receipt_text(a, 1700000006000);
  by_b = signed_receipt_text(b, 1700000006000);
  o.pinned_pk = seal_key_pk(b);

  ck_assert_int_eq(seal_verify_text_succession(before, strlen(before), &o, chain, &v, &link),
                   SEAL_OK);
  ck_assert_int_eq(link.retired, 1);
  ck_assert_int_eq(link.record, 0);
  ck_assert_int_eq(link.retired_at_ms, 1700000005000);
  ck_assert_str_eq(v.signer_pk, seal_key_pk_hex(a));
  seal_verdict_clear(&v);

  ck_assert_int_eq(seal_verify_text_succession(after, strlen(after), &o, chain, &v, &link),
                   SEAL_EVERIFY);
  ck_assert(strstr(json_string_value(json_array_get(v.reasons, json_array_size(v.reasons) - 1)),
                   "after that key was retired"));
  seal_verdict_clear(&v);

  ck_assert_int_eq(seal_verify_text_succession(by_b, strlen(by_b), &o, chain, &v, &link), SEAL_OK);
  ck_assert_int_eq(link.retired, 0);
  ck_assert_str_eq(link.current_pk, seal_key_pk_hex(b));
  seal_verdict_clear(&v);

  ck_assert_int_eq(seal_verify_text_succession(before, strlen(before), &o, NULL, &v, &link),
                   SEAL_EVERIFY);
  seal_verdict_clear(&v);

  /* a forged record: the new-key signature replaced by one from another key */
  {
    json_t *forged = json_deep_copy(chain), *r2 = NULL;
    ck_assert_int_eq(seal_succession_sign(&r2, a, evil, 1700000005000, NULL, NULL), SEAL_OK);
    json_object_set(json_array_get(forged, 0), "new_key_signature",
                    json_object_get(r2, "new_key_signature"));
    ck_assert_int_eq(seal_verify_text_succession(before, strlen(before), &o, forged, &v, &link),
                     SEAL_EVERIFY);
    ck_assert_int_eq(link.retired, 0);
    seal_verdict_clear(&v);
    json_decref(r2);
    json_decref(forged);
  }
  free(before);
  free(after);
  free(by_b);
  json_decref(rec);
  json_decref(chain);
  seal_key_free(a);
  seal_key_free(b);
  seal_key_free(evil);
}
END_TEST

Suite *service_suite(void);
Suite *service_suite(void)
{
  Suite *s = suite_create("service");
  TCase *tc = tcase_create("service");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, task_stats_counts_own_execution_receipts);
  tcase_add_test(tc, recall_filters_sensitivity_in_sql);
  tcase_add_test(tc, listing_valid_against_upstream_schema);
  tcase_add_test(tc, listing_absent_and_refused_memory);
  tcase_add_test(tc, config_refuses_unknown_pricing_unit);
  tcase_add_test(tc, recall_personal_only_for_the_local_operator);
  tcase_add_test(tc, recall_ranks_exact_match_first);
  tcase_add_test(tc, recall_vectors_by_cosine_of_the_same_model);
  tcase_add_test(tc, succession_accepts_retired_key_only_before_rotation);
  suite_add_tcase(s, tc);
  return s;
}
