/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/tools/test_ledger_resources.c — the workledger:// resources and the approval tool in
 * an in-process MCP server over a Store in a temporary folder (tools/ledger_resources.c,
 * tools/approvals.c; spec/mcp.md §5.1.1, spec/policy.md R-POLICY-067): a pending approval's
 * secret-named arguments read "[redacted]" (nested too) and their values appear nowhere; an
 * agent token may read runs but not approvals or health, an operator token may, an unknown caller
 * reads no ledger data; workledger_approval_decide refuses a non-operator, and an operator's
 * decision is a signed ApprovalDecision that leaves nothing pending. Test code only. */
#include "config/config.h"
#include "crypto/artifacts.h"
#include "ledger/ledger.h"
#include "mcp/mcp.h"
#include "tests/support/test_support.h"
#include "tools/tools.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *ledger_resources_suite(void);

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

/* One request on a stateless session as `caller`; the whole response (new). */
static json_t *rpc_as(mcp_server *srv, const char *caller, mcp_trust trust, const char *method,
                      const char *params)
{
  mcp_session *s = NULL;
  mcp_session_opts so;
  coll c;
  char line[2048];
  memset(&so, 0, sizeof so);
  so.caller.id = caller;
  so.caller.trust = trust;
  so.stateless = 1;
  memset(&c, 0, sizeof c);
  pthread_mutex_init(&c.mu, NULL);
  pthread_cond_init(&c.cv, NULL);
  ck_assert_int_eq(mcp_session_new(&s, srv, &so), MCP_OK);
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}",
           method, params);
  ck_assert_int_eq(mcp_submit(s, line, strlen(line), emit, &c, NULL), MCP_OK);
  pthread_mutex_lock(&c.mu);
  while (c.n < 1)
    pthread_cond_wait(&c.cv, &c.mu);
  pthread_mutex_unlock(&c.mu);
  mcp_session_free(s);
  pthread_mutex_destroy(&c.mu);
  pthread_cond_destroy(&c.cv);
  ck_assert_ptr_nonnull(c.last);
  return c.last;
}

/* resources/read text of uri as caller (new string), or NULL when it is an error. */
static char *read_as(mcp_server *srv, const char *caller, mcp_trust trust, const char *uri)
{
  char params[600];
  snprintf(params, sizeof params, "{\"uri\":\"%s\"}", uri);
  json_t *r = rpc_as(srv, caller, trust, "resources/read", params);
  const char *t = json_string_value(json_object_get(
      json_array_get(json_object_get(json_object_get(r, "result"), "contents"), 0), "text"));
  char *out = t ? strdup(t) : NULL;
  json_decref(r);
  return out;
}

typedef struct appr_job {
  const json_t *request;
  char id[LEDGER_ID_MAX];
} appr_job;

static int appr_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  appr_job *j = payload;
  ledger_approval_in in = {
      NULL,
      "motebit_remember",
      "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
      2,
      "agent",
      j->request};
  return ledger_txn_approval_create(t, &in, j->id, err);
}

START_TEST(redaction_visibility_and_decide)
{
  char *dir = ts_tmpdir(), path[600], err[300] = "";
  ledger_opts lo = LEDGER_OPTS_INIT;
  ledger *l = NULL;
  seal_key *key = NULL;
  mcp_server *srv = NULL;
  mcp_server_opts o;
  json_t *raw, *cfg = NULL, *req, *r;
  appr_job j;
  char *t, params[400];
  snprintf(path, sizeof path, "%s/kernel-store.db", dir);
  lo.create = 1;
  lo.durability = LEDGER_DURABLE_NORMAL;
  ck_assert_int_eq(ledger_open(&l, path, &lo, NULL), LEDGER_OK);
  req = json_pack("{s:{s:s,s:{s:s,s:s},s:s},s:s}", "arguments", "api_key", "sk-very-secret",
                  "nested", "password", "hunter2", "ok", "visible", "note", "hi", "motebit_id",
                  "m");
  j.request = req;
  ck_assert_int_eq(ledger_tx(l, appr_fn, &j, NULL), LEDGER_OK);
  json_decref(req);

  ck_assert_int_eq(seal_init(), 0);
  raw = json_loads("{\"http\":{\"tokens\":[{\"name\":\"agent\",\"token\":\"a-token-0123456789\"},"
                   "{\"name\":\"op\",\"token\":\"o-token-0123456789\",\"operator\":true}]}}",
                   0, NULL);
  ck_assert_msg(mcp_config_normalize(&cfg, raw, err, sizeof err) == 0, "%s", err);
  json_decref(raw);
  ck_assert_int_eq(seal_key_generate(&key), 0);
  memset(&o, 0, sizeof o);
  o.key = key;
  o.store = l;
  o.config = cfg;
  o.profile = mcp_config_profile(cfg);
  o.tool_groups = tools_groups;
  o.resource_groups = tools_resource_groups;
  ck_assert_msg(mcp_server_new(&srv, &o, err, sizeof err) == MCP_OK, "%s", err);
  json_decref(cfg);

  /* redaction: names, nested, values nowhere */
  t = read_as(srv, MCP_CALLER_LOCAL, MCP_TRUST_LOCAL, "workledger://approvals");
  ck_assert_ptr_nonnull(t);
  r = json_loads(t, 0, NULL);
  json_t *args = json_object_get(json_array_get(json_object_get(r, "pending"), 0), "arguments");
  ck_assert_str_eq(json_string_value(json_object_get(args, "api_key")), "[redacted]");
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(args, "nested"), "password")),
                   "[redacted]");
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(args, "nested"), "ok")),
                   "visible");
  ck_assert_str_eq(json_string_value(json_object_get(args, "note")), "hi");
  ck_assert_ptr_null(strstr(t, "sk-very-secret"));
  ck_assert_ptr_null(strstr(t, "hunter2"));
  json_decref(r);
  free(t);

  /* who reads what */
  t = read_as(srv, "agent", MCP_TRUST_VERIFIED, "workledger://runs");
  ck_assert_ptr_nonnull(t);
  free(t);
  ck_assert_ptr_null(read_as(srv, "agent", MCP_TRUST_VERIFIED, "workledger://approvals"));
  ck_assert_ptr_null(read_as(srv, "agent", MCP_TRUST_VERIFIED, "workledger://health"));
  ck_assert_ptr_null(read_as(srv, "anonymous", MCP_TRUST_UNKNOWN, "workledger://runs"));
  ck_assert_ptr_null(read_as(srv, "anonymous", MCP_TRUST_UNKNOWN, "workledger://receipts"));
  t = read_as(srv, "op", MCP_TRUST_VERIFIED, "workledger://health");
  ck_assert_ptr_nonnull(strstr(t, "\"engine\":\"sqlite\""));
  free(t);

  /* deciding: a non-operator is refused; the operator's decision is signed */
  snprintf(params, sizeof params,
           "{\"name\":\"workledger_approval_decide\",\"arguments\":{\"approval_id\":\"%s\","
           "\"verdict\":\"approve\"}}",
           j.id);
  r = rpc_as(srv, "agent", MCP_TRUST_VERIFIED, "tools/call", params);
  ck_assert(json_is_true(json_object_get(json_object_get(r, "result"), "isError")));
  json_decref(r);
  r = rpc_as(srv, "op", MCP_TRUST_VERIFIED, "tools/call", params);
  json_t *sc = json_object_get(json_object_get(r, "result"), "structuredContent");
  ck_assert_msg(sc != NULL, "%s",
                json_string_value(json_object_get(
                    json_array_get(json_object_get(json_object_get(r, "result"), "content"), 0),
                    "text")));
  ck_assert_str_eq(json_string_value(json_object_get(sc, "status")), "approved");
  seal_verdict v;
  ck_assert_int_eq(seal_verify_approval_decision(json_object_get(sc, "decision"), NULL, &v),
                   SEAL_OK);
  seal_verdict_clear(&v);
  json_decref(r);
  t = read_as(srv, "op", MCP_TRUST_VERIFIED, "workledger://approvals");
  ck_assert_str_eq(t, "{\"pending\":[]}");
  free(t);
  r = rpc_as(srv, "op", MCP_TRUST_VERIFIED, "tools/call", params); /* already resolved */
  ck_assert(json_is_true(json_object_get(json_object_get(r, "result"), "isError")));
  json_decref(r);

  mcp_server_free(srv);
  seal_key_free(key);
  ledger_close(l);
  ts_rmrf(dir);
  free(dir);
}
END_TEST

Suite *ledger_resources_suite(void)
{
  Suite *s = suite_create("ledger_resources");
  TCase *tc = tcase_create("ledger_resources");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, redaction_visibility_and_decide);
  suite_add_tcase(s, tc);
  return s;
}
