/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/test_oom.c — allocation-failure sweeps (tests/support/alloc_fail.h) over the
 * MCP core: JSON-RPC parsing and tools/call through mcp_submit on the in-memory harness (a
 * motebit_identity call, the same call with invalid arguments, and a malformed message). With
 * every allocation of the submission failing in turn, the submission must still end in exactly
 * one FINAL message that is either the same result as without failures or a clean error (a
 * JSON-RPC error, or an isError tool result); every tools/call result carries a receipt that
 * verifies; a call with invalid arguments must never succeed.
 * Nothing may crash or leak (ASan). The server is started once, unarmed; only the submission
 * (submitting thread and the worker that serves it) is swept. */
#include "crypto/artifacts.h"
#include "tests/support/alloc_fail.h"
#include "tests/unit/mcp/harness.h"

#include <errno.h>
#include <string.h>
#include <time.h>

Suite *oom_mcp_suite(void);

/* Captures the messages of one submission without allocating (the emit callback runs while
 * the allocator is armed). */
typedef struct capture {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int finals, others, null_final;
  char final[16384];
} capture;

typedef struct oom_call {
  harness h;
  capture cap;
  const char *line;
  json_t *want; /* the response without failures (set by the first counting run) */
  int must_fail;
} oom_call;

static void cap_emit(const char *msg, size_t len, unsigned flags, void *payload)
{
  capture *c = payload;
  pthread_mutex_lock(&c->mu);
  if (flags & MCP_EMIT_FINAL) {
    c->finals++;
    c->null_final = msg == NULL;
    if (msg) {
      size_t n = len < sizeof c->final - 1 ? len : sizeof c->final - 1;
      memcpy(c->final, msg, n);
      c->final[n] = '\0';
    }
  } else {
    c->others++;
  }
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

/* Waits (10 s at most) for the FINAL message; returns 0 on timeout. */
static int cap_wait(capture *c)
{
  struct timespec dl;
  int ok;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 10;
  pthread_mutex_lock(&c->mu);
  while (c->finals == 0)
    if (pthread_cond_timedwait(&c->cv, &c->mu, &dl) == ETIMEDOUT)
      break;
  ok = c->finals > 0;
  pthread_mutex_unlock(&c->mu);
  return ok;
}

static int is_error_response(const json_t *r)
{
  const json_t *res = json_object_get(r, "result");
  return json_object_get(r, "error") != NULL || json_is_true(json_object_get(res, "isError"));
}

/* The parts of a tools/call result that do not change between calls (the receipt in _meta
 * carries a fresh invocation id and times). */
static int same_result(const json_t *a, const json_t *b)
{
  const json_t *ra = json_object_get(a, "result"), *rb = json_object_get(b, "result");
  return json_equal(json_object_get(a, "id"), json_object_get(b, "id")) &&
         json_equal(json_object_get(ra, "content"), json_object_get(rb, "content")) &&
         json_equal(json_object_get(ra, "structuredContent"),
                    json_object_get(rb, "structuredContent")) &&
         json_is_true(json_object_get(ra, "isError")) ==
             json_is_true(json_object_get(rb, "isError"));
}

/* Every tools/call result, success or isError, carries its signed receipt. */
static void check_receipt(const json_t *r, long fail_at, const char *text)
{
  const json_t *res = json_object_get(r, "result"), *rc;
  seal_verdict v;
  if (!res)
    return;
  rc = json_object_get(json_object_get(res, "_meta"), "io.motebit/receipt");
  ck_assert_msg(rc != NULL, "a result without its receipt at allocation %ld: %s", fail_at, text);
  ck_assert_msg(seal_verify_tool_invocation_receipt(rc, NULL, &v) == SEAL_OK,
                "a receipt that does not verify at allocation %ld: %s", fail_at, text);
  seal_verdict_clear(&v);
}

static void path_call(long fail_at, void *ctx)
{
  oom_call *t = ctx;
  capture *c = &t->cap;
  json_t *r;
  int rc, done;
  c->finals = c->others = c->null_final = 0;
  c->final[0] = '\0';
  af_arm(fail_at);
  rc = mcp_submit(t->h.sess, t->line, strlen(t->line), cap_emit, c, NULL);
  done = rc == MCP_OK && cap_wait(c);
  af_disarm();
  ck_assert_msg(rc == MCP_OK, "mcp_submit: %d at allocation %ld", rc, fail_at);
  ck_assert_msg(done, "no FINAL message at allocation %ld", fail_at);
  ck_assert_msg(!c->null_final, "FINAL without a message at allocation %ld", fail_at);
  r = json_loads(c->final, 0, NULL);
  ck_assert_msg(json_is_object(r), "unparseable response at allocation %ld: %s", fail_at, c->final);
  if (strstr(t->line, "tools/call"))
    check_receipt(r, fail_at, c->final);
  if (!t->want) {
    ck_assert_msg(is_error_response(r) == t->must_fail, "baseline: %s", c->final);
    t->want = json_incref(r);
  } else if (is_error_response(r)) {
    const json_t *id = json_object_get(r, "id");
    ck_assert_msg(json_equal(id, json_object_get(t->want, "id")) || json_is_null(id),
                  "error with a wrong id at allocation %ld: %s", fail_at, c->final);
  } else {
    ck_assert_msg(!t->must_fail, "success after allocation %ld failed: %s", fail_at, c->final);
    ck_assert_msg(same_result(r, t->want), "different result at allocation %ld: %s\nwanted: %s",
                  fail_at, c->final, json_dumps(t->want, 0));
  }
  json_decref(r);
}

static void sweep_line(const char *name, const char *line, int must_fail)
{
  oom_call t;
  memset(&t, 0, sizeof t);
  pthread_mutex_init(&t.cap.mu, NULL);
  pthread_cond_init(&t.cap.cv, NULL);
  h_start(&t.h, NULL, 0, 0);
  h_init(&t.h, NULL);
  t.line = line;
  t.must_fail = must_fail;
  /* a first call fills what a server keeps once (the outputSchema memo, mcp__output_valid), so
   * that every counted run makes the same allocations */
  path_call(0, &t);
  af_sweep(name, path_call, &t, 0);
  json_decref(t.want);
  h_stop(&t.h);
  pthread_mutex_destroy(&t.cap.mu);
  pthread_cond_destroy(&t.cap.cv);
}

START_TEST(oom_call_identity)
{
  sweep_line("tools/call motebit_identity",
             "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"motebit_identity\",\"arguments\":{}}}",
             0);
}
END_TEST

START_TEST(oom_call_invalid_arguments)
{
  sweep_line("tools/call motebit_identity {x:1}",
             "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"motebit_identity\",\"arguments\":{\"x\":1}}}",
             1);
}
END_TEST

START_TEST(oom_parse_error)
{
  sweep_line("malformed JSON-RPC", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",", 1);
}
END_TEST

Suite *oom_mcp_suite(void)
{
  Suite *s = suite_create("oom_mcp");
  TCase *tc = tcase_create("sweep");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, oom_call_identity);
  tcase_add_test(tc, oom_call_invalid_arguments);
  tcase_add_test(tc, oom_parse_error);
  suite_add_tcase(s, tc);
  return s;
}
