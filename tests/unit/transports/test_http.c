/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/http/test_http_transport.c — transports/http_server + http_client against each
 * other on 127.0.0.1 (ephemeral port): immediate and deferred replies, SSE streams parsed by the
 * client, the body limit (413, server still serving), oversize headers, a client that leaves
 * while its response is pending (abort callback), and stop with a pending request. */
#include "transports/http_client.h"
#include "transports/http_server.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

Suite *http_transport_suite(void);

typedef struct ctx {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int aborts;
  int mode; /* 0 echo now, 1 deferred from thread, 2 SSE from thread, 3 never answer */
  tp_http_req *held;
} ctx;

static ctx C;

static void *deferred_main(void *arg)
{
  tp_http_req *r = arg;
  if (C.mode == 1) {
    ck_assert_int_eq(tp_http_reply(r, 201, "text/plain", NULL, "later", 5), TP_HTTP_OK);
  } else {
    const char *h[] = {"X-Accel-Buffering", "no", NULL};
    ck_assert_int_eq(tp_http_stream_begin(r, 200, "text/event-stream", h), TP_HTTP_OK);
    for (int i = 0; i < 3; i++) {
      char ev[64];
      int n = snprintf(ev, sizeof ev, "event: message\ndata: {\"n\":%d}\n\n", i);
      ck_assert_int_eq(tp_http_stream_write(r, ev, (size_t)n), TP_HTTP_OK);
    }
    tp_http_stream_end(r);
  }
  return NULL;
}

static void on_abort(tp_http_req *r, void *p)
{
  (void)p;
  pthread_mutex_lock(&C.mu);
  C.aborts++;
  pthread_cond_broadcast(&C.cv);
  pthread_mutex_unlock(&C.mu);
  tp_http_stream_end(r); /* terminal call from inside the callback must be allowed */
}

static void handler(tp_http_req *r, void *payload)
{
  (void)payload;
  if (strcmp(tp_http_req_path(r), "/echo") == 0 || C.mode == 0) {
    size_t n;
    const char *b = tp_http_req_body(r, &n);
    const char *xh = tp_http_req_header(r, "x-test");
    char hdr[80];
    snprintf(hdr, sizeof hdr, "%s|%s|%d", tp_http_req_method(r), xh ? xh : "-",
             tp_http_req_peer_is_loopback(r));
    const char *h[] = {"X-Echo", hdr, NULL};
    tp_http_reply(r, 200, "application/json", h, b, n);
    return;
  }
  if (C.mode == 3) {
    tp_http_req_on_abort(r, on_abort, NULL);
    return;
  }
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, deferred_main, r), 0);
  pthread_detach(t);
}

static tp_http_server *start(size_t max_body)
{
  tp_http_opts o = {.host = "127.0.0.1",
                    .port = 0,
                    .max_body = max_body,
                    .handler = handler,
                    .too_big_body = "{\"error\":\"too big\"}",
                    .watch_ms = 20};
  tp_http_server *s = NULL;
  char err[200] = "";
  ck_assert_msg(tp_http_server_start(&s, &o, err, sizeof err) == TP_HTTP_OK, "%s", err);
  ck_assert_uint_gt(tp_http_server_port(s), 0);
  return s;
}

static void url_of(char *u, size_t cap, tp_http_server *s, const char *path)
{
  snprintf(u, cap, "http://127.0.0.1:%u%s", (unsigned)tp_http_server_port(s), path);
}

static void setup(void)
{
  memset(&C, 0, sizeof C);
  pthread_mutex_init(&C.mu, NULL);
  pthread_cond_init(&C.cv, NULL);
}

START_TEST(test_http_transport__echo)
{
  tp_http_server *s = start(0);
  char u[100];
  url_of(u, sizeof u, s, "/echo?q=1");
  const char *h[] = {"X-Test: abc", "Content-Type: application/json", NULL};
  tp_httpc_response r;
  char err[200];
  ck_assert_int_eq(tp_httpc_request(&r, "POST", u, h, "{\"a\":1}", 7, NULL, err, sizeof err),
                   TP_HTTPC_OK);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(r.body, "{\"a\":1}");
  ck_assert_str_eq(r.content_type, "application/json");
  tp_httpc_response_free(&r);
  ck_assert_int_eq(tp_http_server_pending(s), 0);
  tp_http_server_stop(s);
}
END_TEST

START_TEST(test_http_transport__client_limits)
{
  tp_http_server *s = start(0);
  char u[100];
  url_of(u, sizeof u, s, "/echo");
  char body[4096];
  memset(body, 'x', sizeof body);
  tp_httpc_opts o = {.max_response = 1000};
  tp_httpc_response r;
  char err[200] = "";
  ck_assert_int_eq(tp_httpc_request(&r, "POST", u, NULL, body, sizeof body, &o, err, sizeof err),
                   TP_HTTPC_ETOOBIG);
  ck_assert_ptr_nonnull(strstr(err, "larger than 1000"));
  ck_assert_uint_le(r.len, 1000);
  tp_httpc_response_free(&r);
  ck_assert_int_eq(tp_httpc_request(&r, "POST", "notaurl://x", NULL, NULL, 0, NULL, err,
                                    sizeof err),
                   TP_HTTPC_EINVAL);
  ck_assert_int_eq(tp_httpc_request(&r, NULL, u, NULL, NULL, 0, NULL, NULL, 0), TP_HTTPC_EINVAL);
  tp_http_server_stop(s);
}
END_TEST

START_TEST(test_http_transport__deferred)
{
  C.mode = 1;
  tp_http_server *s = start(0);
  char u[100];
  url_of(u, sizeof u, s, "/x");
  tp_httpc_response r;
  for (int i = 0; i < 20; i++) { /* keep-alive reuse is not needed; each call is fresh */
    ck_assert_int_eq(tp_httpc_request(&r, "POST", u, NULL, "x", 1, NULL, NULL, 0), TP_HTTPC_OK);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(r.body, "later");
    tp_httpc_response_free(&r);
  }
  tp_http_server_stop(s);
}
END_TEST

typedef struct evs {
  int n;
  char last[64];
} evs;

static int on_event(const char *event, const char *data, size_t len, void *p)
{
  evs *e = p;
  ck_assert_str_eq(event, "message");
  snprintf(e->last, sizeof e->last, "%.*s", (int)len, data);
  e->n++;
  return 0;
}

START_TEST(test_http_transport__sse)
{
  C.mode = 2;
  tp_http_server *s = start(0);
  char u[100];
  url_of(u, sizeof u, s, "/sse");
  evs e = {0};
  tp_httpc_opts o = {.on_event = on_event, .payload = &e};
  tp_httpc_response r;
  ck_assert_int_eq(tp_httpc_request(&r, "POST", u, NULL, "{}", 2, &o, NULL, 0), TP_HTTPC_OK);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(r.content_type, "text/event-stream");
  ck_assert_int_eq(e.n, 3);
  ck_assert_str_eq(e.last, "{\"n\":2}");
  tp_httpc_response_free(&r);
  tp_http_server_stop(s);
}
END_TEST

START_TEST(test_http_transport__too_big)
{
  tp_http_server *s = start(1024);
  char u[100];
  url_of(u, sizeof u, s, "/echo");
  size_t big = 20u * 1024u * 1024u;
  char *b = malloc(big);
  memset(b, 'a', big);
  tp_httpc_response r;
  ck_assert_int_eq(tp_httpc_request(&r, "POST", u, NULL, b, big, NULL, NULL, 0), TP_HTTPC_OK);
  ck_assert_int_eq(r.status, 413);
  ck_assert_str_eq(r.body, "{\"error\":\"too big\"}");
  tp_httpc_response_free(&r);
  /* just over the limit, small enough to be read and discarded */
  ck_assert_int_eq(tp_httpc_request(&r, "POST", u, NULL, b, 1025, NULL, NULL, 0), TP_HTTPC_OK);
  ck_assert_int_eq(r.status, 413);
  tp_httpc_response_free(&r);
  ck_assert_int_eq(tp_httpc_request(&r, "POST", u, NULL, b, 1024, NULL, NULL, 0), TP_HTTPC_OK);
  ck_assert_int_eq(r.status, 200);
  ck_assert_uint_eq(r.len, 1024);
  tp_httpc_response_free(&r);
  free(b);
  tp_http_server_stop(s);
}
END_TEST

START_TEST(test_http_transport__header_too_big)
{
  tp_http_server *s = start(0);
  char u[100];
  url_of(u, sizeof u, s, "/echo");
  size_t n = 64 * 1024;
  char *h = malloc(n + 16);
  memcpy(h, "X-Big: ", 7);
  memset(h + 7, 'b', n);
  h[7 + n] = 0;
  const char *hs[] = {h, NULL};
  tp_httpc_response r;
  int rc = tp_httpc_request(&r, "POST", u, hs, "x", 1, NULL, NULL, 0);
  ck_assert_msg(rc != TP_HTTPC_OK || r.status >= 400, "oversize header accepted: %ld", r.status);
  if (rc == TP_HTTPC_OK)
    tp_httpc_response_free(&r);
  free(h);
  ck_assert_int_eq(tp_httpc_request(&r, "POST", u, NULL, "ok", 2, NULL, NULL, 0), TP_HTTPC_OK);
  ck_assert_int_eq(r.status, 200);
  tp_httpc_response_free(&r);
  tp_http_server_stop(s);
}
END_TEST

static void wait_aborts(int n)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 10;
  pthread_mutex_lock(&C.mu);
  while (C.aborts < n) {
    if (pthread_cond_timedwait(&C.cv, &C.mu, &ts) != 0)
      break;
  }
  int got = C.aborts;
  pthread_mutex_unlock(&C.mu);
  ck_assert_int_eq(got, n);
}

START_TEST(test_http_transport__client_leaves)
{
  C.mode = 3;
  tp_http_server *s = start(0);
  char u[100];
  url_of(u, sizeof u, s, "/hang");
  tp_httpc_opts o = {.timeout_ms = 200};
  tp_httpc_response r;
  ck_assert_int_eq(tp_httpc_request(&r, "POST", u, NULL, "{}", 2, &o, NULL, 0), TP_HTTPC_ETIMEOUT);
  wait_aborts(1);
  /* the abort callback counts before the handler ends the request: give it a moment */
  for (int i = 0; i < 200 && tp_http_server_pending(s) != 0; i++) {
    struct timespec d = {0, 10000000};
    nanosleep(&d, NULL);
  }
  ck_assert_int_eq(tp_http_server_pending(s), 0);
  /* still serving */
  url_of(u, sizeof u, s, "/echo");
  ck_assert_int_eq(tp_httpc_request(&r, "POST", u, NULL, "ok", 2, NULL, NULL, 0), TP_HTTPC_OK);
  ck_assert_int_eq(r.status, 200);
  tp_httpc_response_free(&r);
  tp_http_server_stop(s);
}
END_TEST

static void *hang_client(void *arg)
{
  tp_httpc_response r;
  tp_httpc_opts o = {.timeout_ms = 5000};
  int rc = tp_httpc_request(&r, "POST", arg, NULL, "{}", 2, &o, NULL, 0);
  if (rc == TP_HTTPC_OK)
    tp_httpc_response_free(&r);
  return NULL;
}

START_TEST(test_http_transport__stop_with_pending)
{
  C.mode = 3;
  tp_http_server *s = start(0);
  char u[100];
  url_of(u, sizeof u, s, "/hang");
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, hang_client, u), 0);
  for (int i = 0; i < 500 && tp_http_server_pending(s) == 0; i++) {
    struct timespec d = {0, 10 * 1000000L};
    nanosleep(&d, NULL); /* polling for the request to arrive, not a timing assumption */
  }
  ck_assert_int_eq(tp_http_server_pending(s), 1);
  tp_http_server_stop(s);
  ck_assert_int_eq(C.aborts, 1);
  pthread_join(t, NULL);
}
END_TEST

START_TEST(test_http_transport__bind_errors)
{
  tp_http_server *a = start(0);
  tp_http_opts o = {.host = "127.0.0.1", .port = tp_http_server_port(a), .handler = handler};
  tp_http_server *b = NULL;
  char err[200] = "";
  ck_assert_int_eq(tp_http_server_start(&b, &o, err, sizeof err), TP_HTTP_EBIND);
  ck_assert_ptr_null(b);
  ck_assert_ptr_nonnull(strstr(err, "cannot listen"));
  o.handler = NULL;
  ck_assert_int_eq(tp_http_server_start(&b, &o, NULL, 0), TP_HTTP_EINVAL);
  o.handler = handler;
  o.port = 0;
  o.tls_cert_pem = "x";
  ck_assert_int_eq(tp_http_server_start(&b, &o, NULL, 0), TP_HTTP_EINVAL);
  tp_http_server_stop(a);
  tp_httpc_response r;
  ck_assert_int_eq(tp_httpc_request(&r, "GET", "http://127.0.0.1:1/", NULL, NULL, 0, NULL, err,
                                    sizeof err),
                   TP_HTTPC_ECONNECT);
}
END_TEST

Suite *http_transport_suite(void)
{
  Suite *s = suite_create("http_transport");
  TCase *tc = tcase_create("transport");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_http_transport__echo);
  tcase_add_test(tc, test_http_transport__deferred);
  tcase_add_test(tc, test_http_transport__client_limits);
  tcase_add_test(tc, test_http_transport__sse);
  tcase_add_test(tc, test_http_transport__too_big);
  tcase_add_test(tc, test_http_transport__header_too_big);
  tcase_add_test(tc, test_http_transport__client_leaves);
  tcase_add_test(tc, test_http_transport__stop_with_pending);
  tcase_add_test(tc, test_http_transport__bind_errors);
  suite_add_tcase(s, tc);
  return s;
}
