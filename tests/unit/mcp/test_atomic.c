/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/test_atomic.c — one call, one transaction (spec/mcp.md §2.5): a failure injected
 * at each step after the handler ran (signing the receipt, the Store job after its inserts, the
 * COMMIT) leaves the Store exactly as it was and answers the client with a JSON-RPC error; a
 * writing call (motus_work_evidence) and a reading one (motebit_identity) each cost exactly one
 * commit; a call repeated with the same idempotency key gets the original result and receipt
 * and writes nothing, the same key with other arguments is refused, and a key is per caller. */
#include "ledger/ledger.h"
#include "mcp/mcp.h"
#include "tests/support/test_support.h"
#include "tools/tools.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *atomic_suite(void);

typedef struct rig {
  char *dir;
  ledger *l;
  seal_key *key;
  mcp_server *srv;
  mcp_session *s;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  json_t *last; /* the last final message (new), json null for none */
  int finals;
} rig;

static void emit(const char *msg, size_t len, unsigned flags, void *payload)
{
  rig *g = payload;
  if (!(flags & MCP_EMIT_FINAL))
    return;
  pthread_mutex_lock(&g->mu);
  json_decref(g->last);
  g->last = msg ? json_loadb(msg, len, 0, NULL) : json_null();
  g->finals++;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

/* Submits one message and waits for its final message (borrowed, valid until the next call). */
static json_t *call(rig *g, const char *line)
{
  int n = g->finals;
  ck_assert_int_eq(mcp_submit(g->s, line, strlen(line), emit, g, NULL), MCP_OK);
  pthread_mutex_lock(&g->mu);
  while (g->finals == n)
    pthread_cond_wait(&g->cv, &g->mu);
  pthread_mutex_unlock(&g->mu);
  return g->last;
}

static void rig_start(rig *g, const char *fault, const char *caller)
{
  char path[512], err[256] = "";
  ledger_opts lo = LEDGER_OPTS_INIT;
  mcp_server_opts o;
  mcp_session_opts so;
  memset(g, 0, sizeof *g);
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
  g->dir = ts_tmpdir();
  snprintf(path, sizeof path, "%s/kernel-store.db", g->dir);
  lo.create = 1;
  lo.durability = LEDGER_DURABLE_NORMAL;
  ck_assert_int_eq(ledger_open(&g->l, path, &lo, NULL), LEDGER_OK);
  ck_assert_int_eq(seal_key_generate(&g->key), 0);
  memset(&o, 0, sizeof o);
  o.store = g->l;
  o.key = g->key;
  o.tool_groups = tools_groups;
  o.fault = fault;
  o.workers = 2;
  ck_assert_msg(mcp_server_new(&g->srv, &o, err, sizeof err) == MCP_OK, "%s", err);
  memset(&so, 0, sizeof so);
  so.caller.id = caller;
  so.caller.trust = MCP_TRUST_LOCAL;
  ck_assert_int_eq(mcp_session_new(&g->s, g->srv, &so), MCP_OK);
  call(g, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
          "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}");
}

static void rig_stop(rig *g)
{
  mcp_session_free(g->s);
  mcp_server_free(g->srv);
  ledger_close(g->l);
  seal_key_free(g->key);
  json_decref(g->last);
  ts_rmrf(g->dir);
  free(g->dir);
}

/* Everything a call could leave behind: runs, events, receipts (rows, and the signed receipts
 * embedded in mcp.call events), approvals. */
typedef struct facts {
  size_t runs, events, receipts, approvals;
} facts;

static facts facts_of(ledger *l)
{
  facts f = {0, 0, 0, 0};
  json_t *runs = NULL, *r, *list = NULL;
  size_t i;
  ck_assert_int_eq(ledger_run_list(l, 0, 10000, &runs, NULL), LEDGER_OK);
  f.runs = json_array_size(runs);
  json_array_foreach(runs, i, r) {
    json_t *ev = NULL, *rc = NULL;
    const char *id = json_string_value(json_object_get(r, "run_id"));
    json_t *e;
    size_t k;
    ck_assert_int_eq(ledger_run_events(l, id, &ev, NULL), LEDGER_OK);
    f.events += json_array_size(ev);
    json_array_foreach(ev, k, e) {
      if (strcmp(json_string_value(json_object_get(e, "event_kind")), "mcp.call") == 0 &&
          json_is_object(json_object_get(json_object_get(e, "payload"), "receipt")))
        f.receipts++;
    }
    ck_assert_int_eq(ledger_receipt_list(l, id, NULL, &rc, NULL), LEDGER_OK);
    f.receipts += json_array_size(rc);
    json_decref(ev);
    json_decref(rc);
  }
  json_decref(runs);
  ck_assert_int_eq(ledger_approval_list(l, NULL, &list, NULL), LEDGER_OK);
  f.approvals = json_array_size(list);
  json_decref(list);
  return f;
}

static void facts_eq(facts a, facts b)
{
  ck_assert_uint_eq(a.runs, b.runs);
  ck_assert_uint_eq(a.events, b.events);
  ck_assert_uint_eq(a.receipts, b.receipts);
  ck_assert_uint_eq(a.approvals, b.approvals);
}

static const char CLAIM[] = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{"
                            "\"name\":\"motus_work_claim\",\"arguments\":{\"work_id\":\"W-1\"}}}";
static const char IDENTITY[] = "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":"
                               "{\"name\":\"motebit_identity\",\"arguments\":{}}}";

static const char *faults[] = {"sign", "insert", "commit"};

START_TEST(fault_after_handler_keeps_nothing)
{
  rig g;
  rig_start(&g, faults[_i], "local-operator");
  for (int k = 0; k < 2; k++) {
    facts before = facts_of(g.l);
    json_t *m = call(&g, k == 0 ? CLAIM : IDENTITY);
    ck_assert_msg(json_object_get(m, "error") != NULL && !json_object_get(m, "result"),
                  "fault %s: the call must fail with a JSON-RPC error", faults[_i]);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m, "error"), "code")),
                     MCP_JSONRPC_INTERNAL_ERROR);
    facts_eq(before, facts_of(g.l)); /* the claim's run, lock, events: none of it kept */
  }
  {
    json_t *leases = NULL;
    ck_assert_int_eq(ledger_run_list(g.l, 1, 100, &leases, NULL), LEDGER_OK);
    ck_assert_uint_eq(json_array_size(leases), 1); /* the session run only */
    json_decref(leases);
  }
  rig_stop(&g);
}
END_TEST

static json_t *tool_result(json_t *m)
{
  json_t *r = json_object_get(m, "result");
  ck_assert_msg(r != NULL, "expected a result");
  return r;
}

START_TEST(one_commit_per_call)
{
  rig g;
  ledger_stats a, b;
  char line[400];
  const char *lease;
  rig_start(&g, NULL, "local-operator");
  lease = json_string_value(json_object_get(
      json_object_get(tool_result(call(&g, CLAIM)), "structuredContent"), "lease_id"));
  ck_assert_ptr_nonnull(lease);
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":"
           "\"motus_work_evidence\",\"arguments\":{\"lease_id\":\"%s\",\"kind\":\"test_result\","
           "\"passed\":1}}}",
           lease);
  for (int k = 0; k < 3; k++) {
    facts before = facts_of(g.l);
    ledger_stats_get(g.l, &a);
    ck_assert_ptr_null(json_object_get(tool_result(call(&g, k == 1 ? IDENTITY : line)), "isError"));
    ledger_stats_get(g.l, &b);
    ck_assert_uint_eq(b.commits - a.commits, 1); /* handler's writes + record + receipt */
    ck_assert_uint_eq(facts_of(g.l).receipts, before.receipts + 1);
  }
  rig_stop(&g);
}
END_TEST

static void keyed(char *out, size_t cap, const char *work_id, const char *key)
{
  snprintf(out, cap,
           "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{\"name\":"
           "\"motus_work_claim\",\"arguments\":{\"work_id\":\"%s\"},\"_meta\":{"
           "\"io.motebit/idempotency-key\":\"%s\"}}}",
           work_id, key);
}

static char *dump(const json_t *v)
{
  char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_ptr_nonnull(s);
  return s;
}

START_TEST(idempotency_key_replays)
{
  rig g;
  char line[400], *first, *again;
  facts f1;
  json_t *m;
  rig_start(&g, NULL, "local-operator");
  keyed(line, sizeof line, "W-7", "retry-1");
  first = dump(tool_result(call(&g, line)));
  f1 = facts_of(g.l);
  /* the same key and arguments: the same answer, receipt included, and nothing new */
  again = dump(tool_result(call(&g, line)));
  ck_assert_str_eq(first, again);
  facts_eq(f1, facts_of(g.l));
  free(again);
  /* the same key with other arguments: refused, nothing written */
  keyed(line, sizeof line, "W-8", "retry-1");
  m = call(&g, line);
  ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m, "error"), "code")),
                   MCP_JSONRPC_INVALID_PARAMS);
  ck_assert_ptr_nonnull(strstr(
      json_string_value(json_object_get(json_object_get(m, "error"), "message")), "idempotency"));
  facts_eq(f1, facts_of(g.l));
  /* a bad key is refused before anything runs */
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/call\",\"params\":{\"name\":"
           "\"motebit_identity\",\"arguments\":{},\"_meta\":{\"io.motebit/idempotency-key\":7}}}");
  m = call(&g, line);
  ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m, "error"), "code")),
                   MCP_JSONRPC_INVALID_PARAMS);
  facts_eq(f1, facts_of(g.l));
  /* another key: a new call (the work is held by the first claim: a recorded, failed call) */
  keyed(line, sizeof line, "W-7", "retry-2");
  again = dump(tool_result(call(&g, line)));
  ck_assert_str_ne(first, again);
  ck_assert_uint_gt(facts_of(g.l).receipts, f1.receipts);
  free(again);
  free(first);
  rig_stop(&g);
}
END_TEST

START_TEST(idempotency_key_is_per_caller)
{
  rig g;
  mcp_session *other = NULL, *mine;
  mcp_session_opts so;
  char line[400], *first, *theirs;
  rig_start(&g, NULL, "agent-a");
  keyed(line, sizeof line, "W-9", "k");
  first = dump(tool_result(call(&g, line)));
  memset(&so, 0, sizeof so);
  so.caller.id = "agent-b";
  so.caller.trust = MCP_TRUST_LOCAL;
  ck_assert_int_eq(mcp_session_new(&other, g.srv, &so), MCP_OK);
  mine = g.s;
  g.s = other;
  call(&g, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
           "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}");
  theirs = dump(tool_result(call(&g, line))); /* agent-b's first use of "k": runs for real */
  ck_assert_str_ne(first, theirs);
  ck_assert_ptr_nonnull(strstr(theirs, "\"isError\":true")); /* W-9 is held by agent-a */
  g.s = mine;
  mcp_session_free(other);
  free(first);
  free(theirs);
  rig_stop(&g);
}
END_TEST

Suite *atomic_suite(void)
{
  Suite *s = suite_create("mcp_atomic");
  TCase *tc = tcase_create("atomic");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, fault_after_handler_keeps_nothing, 0, 3);
  tcase_add_test(tc, one_commit_per_call);
  tcase_add_test(tc, idempotency_key_replays);
  tcase_add_test(tc, idempotency_key_is_per_caller);
  suite_add_tcase(s, tc);
  return s;
}
