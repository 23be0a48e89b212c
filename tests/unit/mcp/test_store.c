/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/test_store.c — the MCP core with a real Store: every call (allowed, invalid,
 * denied, held) leaves policy.decided + mcp.call events and its signed receipt in the session run
 * before the response is delivered; 40 concurrent calls share group commits and keep seq
 * contiguous; the approval band creates a pending approval, an approved decision lets exactly one
 * retry through, and the session run is closed when the server stops. */
#include "tools/tools.h"
#include "config/config.h"
#include "ledger/ledger.h"
#include "mcp/mcp.h"
#include "tests/support/test_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *store_suite(void);

typedef struct coll {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  json_t *finals; /* array of parsed final messages (null for none) */
  ledger *store;
  char run_id[128];
  int events_at_final_ok;
} coll;

static int count_kind(ledger *l, const char *run, const char *kind)
{
  json_t *ev = NULL, *e;
  size_t i;
  int n = 0;
  ck_assert_int_eq(ledger_run_events(l, run, &ev, NULL), LEDGER_OK);
  json_array_foreach(ev, i, e)
    n += strcmp(json_string_value(json_object_get(e, "event_kind")), kind) == 0;
  json_decref(ev);
  return n;
}

static void emit(const char *msg, size_t len, unsigned flags, void *payload)
{
  coll *c = payload;
  if (!(flags & MCP_EMIT_FINAL))
    return;
  json_t *m = msg ? json_loadb(msg, len, 0, NULL) : json_null();
  /* durability before the response: the receipt must already be readable in the Store */
  json_t *rc = json_object_get(json_object_get(json_object_get(m, "result"), "_meta"),
                               "io.motebit/receipt");
  int ok = 1;
  if (rc) {
    json_t *got = NULL;
    ok = ledger_receipt_get(c->store, json_string_value(json_object_get(rc, "invocation_id")), &got,
                            NULL) == LEDGER_OK;
    json_decref(got);
  }
  pthread_mutex_lock(&c->mu); /* workers emit concurrently */
  if (!ok)
    c->events_at_final_ok = 0;
  if (rc && !c->run_id[0])
    snprintf(c->run_id, sizeof c->run_id, "%s", json_string_value(json_object_get(rc, "task_id")));
  json_array_append_new(c->finals, m);
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static void wait_n(coll *c, size_t n)
{
  pthread_mutex_lock(&c->mu);
  while (json_array_size(c->finals) < n)
    pthread_cond_wait(&c->cv, &c->mu);
  pthread_mutex_unlock(&c->mu);
}

static json_t *call(mcp_session *s, coll *c, const char *line)
{
  size_t n = json_array_size(c->finals);
  ck_assert_int_eq(mcp_submit(s, line, strlen(line), emit, c, NULL), MCP_OK);
  wait_n(c, n + 1);
  return json_array_get(c->finals, n);
}

static const char *text_of(const json_t *m)
{
  return json_string_value(json_object_get(
      json_array_get(json_object_get(json_object_get(m, "result"), "content"), 0), "text"));
}

typedef struct approve_job {
  const char *id;
} approve_job;

static int approve_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  approve_job *j = payload;
  return ledger_txn_approval_resolve(t, j->id, "approved", NULL, NULL, err);
}

START_TEST(recorded_before_response)
{
  char *dir = ts_tmpdir(), path[512], err[256] = "", line[400], aid[128];
  ledger_opts lo = LEDGER_OPTS_INIT;
  ledger *l = NULL;
  seal_key *key = NULL;
  mcp_server *srv = NULL;
  mcp_session *s = NULL, *s2 = NULL;
  json_t *cfg = NULL;
  mcp_server_opts o;
  mcp_session_opts so;
  coll c;
  json_t *m;
  const char *t, *p;
  const int N = 40;

  memset(&c, 0, sizeof c);
  pthread_mutex_init(&c.mu, NULL);
  pthread_cond_init(&c.cv, NULL);
  c.finals = json_array();
  c.events_at_final_ok = 1;
  snprintf(path, sizeof path, "%s/kernel-store.db", dir);
  lo.create = 1;
  lo.durability = LEDGER_DURABLE_NORMAL;
  ck_assert_int_eq(ledger_open(&l, path, &lo, NULL), LEDGER_OK);
  c.store = l;
  ck_assert_int_eq(seal_init(), 0);
  ck_assert_int_eq(seal_key_generate(&key), 0);
  memset(&o, 0, sizeof o);
  o.store = l;
  o.key = key;
  o.tool_groups = tools_groups;
  /* a second, remote caller runs motus_wrap below: the operator lists `true` for it */
  {
    json_t *raw = json_loads("{\"policy\":{\"argv_allowlist\":[\"true\"]}}", 0, NULL);
    ck_assert_int_eq(mcp_config_normalize(&cfg, raw, err, sizeof err), 0);
    json_decref(raw);
    o.config = cfg;
  }
  ck_assert_msg(mcp_server_new(&srv, &o, err, sizeof err) == MCP_OK, "%s", err);
  memset(&so, 0, sizeof so);
  so.caller.id = "local-operator";
  so.caller.trust = MCP_TRUST_LOCAL;
  ck_assert_int_eq(mcp_session_new(&s, srv, &so), MCP_OK);
  call(
      s, &c,
      "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}");

  /* N concurrent calls */
  for (int i = 0; i < N; i++) {
    snprintf(
        line, sizeof line,
        "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_identity\"}}",
        i + 1);
    ck_assert_int_eq(mcp_submit(s, line, strlen(line), emit, &c, NULL), MCP_OK);
  }
  wait_n(&c, (size_t)N + 1);
  ck_assert_msg(c.events_at_final_ok,
                "a response was delivered before its receipt was in the Store");
  ck_assert_int_eq(count_kind(l, c.run_id, "mcp.call"), N);
  ck_assert_int_eq(count_kind(l, c.run_id, "policy.decided"), 0); /* folded into mcp.call */
  ck_assert_int_eq(count_kind(l, c.run_id, "work.started"), 1);

  /* invalid arguments and the approval band are recorded too */
  m = call(
      s, &c,
      "{\"jsonrpc\":\"2.0\",\"id\":100,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_work_claim\",\"arguments\":{}}}");
  ck_assert(json_is_true(json_object_get(json_object_get(m, "result"), "isError")));
  m = call(
      s, &c,
      "{\"jsonrpc\":\"2.0\",\"id\":101,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  t = text_of(m);
  ck_assert_msg(strncmp(t, "Governance:", 11) == 0, "%s", t);
  p = strstr(t, "Pending approval: ");
  ck_assert_ptr_nonnull(p);
  p += 18;
  snprintf(aid, sizeof aid, "%.*s", (int)(strchr(p, '.') - p), p);
  ck_assert_int_eq(count_kind(l, c.run_id, "mcp.call"), N + 2);
  ck_assert_int_eq(count_kind(l, c.run_id, "approval.requested"), 1);
  /* the same call again while pending: the same approval id, no second request */
  m = call(
      s, &c,
      "{\"jsonrpc\":\"2.0\",\"id\":102,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  ck_assert_ptr_nonnull(strstr(text_of(m), aid));
  ck_assert_int_eq(count_kind(l, c.run_id, "approval.requested"), 1);
  /* another caller asking for the same call gets an approval of its own ... */
  {
    mcp_session_opts so2;
    memset(&so2, 0, sizeof so2);
    so2.caller.id = "mallory";
    so2.caller.trust = MCP_TRUST_VERIFIED;
    ck_assert_int_eq(mcp_session_new(&s2, srv, &so2), MCP_OK);
  }
  call(
      s2, &c,
      "{\"jsonrpc\":\"2.0\",\"id\":200,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}");
  m = call(
      s2, &c,
      "{\"jsonrpc\":\"2.0\",\"id\":201,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  ck_assert_msg(strncmp(text_of(m), "Governance:", 11) == 0, "%s", text_of(m));
  ck_assert_ptr_null(strstr(text_of(m), aid));
  ck_assert_int_eq(count_kind(l, c.run_id, "approval.requested"), 2);
  /* approve in the Store (as `workledger approve` does), retry: it runs once */
  {
    approve_job j = {aid};
    ck_assert_int_eq(ledger_tx(l, approve_fn, &j, NULL), LEDGER_OK);
  }
  /* ... and cannot spend the first caller's approval */
  m = call(
      s2, &c,
      "{\"jsonrpc\":\"2.0\",\"id\":202,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  ck_assert_msg(strncmp(text_of(m), "Governance:", 11) == 0, "%s", text_of(m));
  mcp_session_free(s2);
  m = call(
      s, &c,
      "{\"jsonrpc\":\"2.0\",\"id\":103,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  ck_assert_msg(!json_is_true(json_object_get(json_object_get(m, "result"), "isError")), "%s",
                text_of(m));
  m = call(
      s, &c,
      "{\"jsonrpc\":\"2.0\",\"id\":104,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  ck_assert_msg(strncmp(text_of(m), "Governance:", 11) == 0, "%s", text_of(m));
  /* the approval was used once: the next identical call gets a new pending approval */
  ck_assert_ptr_null(strstr(text_of(m), aid));

  mcp_session_free(s);
  mcp_server_free(srv);
  json_decref(cfg);
  /* the session run is closed at shutdown */
  {
    json_t *run = NULL;
    ck_assert_int_eq(ledger_run_get(l, c.run_id, &run, NULL), LEDGER_OK);
    ck_assert_str_eq(json_string_value(json_object_get(run, "status")), "closed");
    json_decref(run);
  }
  ledger_close(l);
  seal_key_free(key);
  json_decref(c.finals);
  ts_rmrf(dir);
  free(dir);
}
END_TEST

Suite *store_suite(void)
{
  Suite *s = suite_create("mcp_store");
  TCase *tc = tcase_create("store");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, recorded_before_response);
  suite_add_tcase(s, tc);
  return s;
}
