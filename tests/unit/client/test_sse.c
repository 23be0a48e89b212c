/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/client/test_sse.c — transports/sse.h: LF, CRLF and lone-CR line ends (also split
 * across feeds), multi-line data, comments, event names, events without data, a leading BOM
 * (also split across feeds), the per-event limit, a callback that stops, and an unterminated
 * last event (discarded). */
#include "transports/sse.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

Suite *client_sse_suite(void);

typedef struct got {
  int n;
  char data[8][128];
  char event[8][64];
  int stop_at;
} got;

static int on_ev(const char *event, const char *data, size_t len, void *p)
{
  got *g = p;
  ck_assert_uint_eq(strlen(data), len);
  if (g->n < 8) {
    snprintf(g->data[g->n], sizeof g->data[0], "%s", data);
    snprintf(g->event[g->n], sizeof g->event[0], "%s", event);
  }
  g->n++;
  return g->stop_at && g->n == g->stop_at ? 7 : 0;
}

static void feed_all(tp_sse *p, const char *s, size_t step)
{
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i += step) {
    size_t k = n - i < step ? n - i : step;
    ck_assert_int_eq(tp_sse_feed(p, s + i, k), TP_SSE_OK);
  }
}

START_TEST(test_client_sse__line_endings)
{
  const char *in =
      "\xEF\xBB\xBF: comment\r\nevent: message\r\ndata: a\r\ndata:b\r\n\r\n"
      "data: c\rdata: d\r\rid: 7\nretry: 10\nevent: x\n\nevent: e2\ndata: {\"k\":1}\n\ndata: tail";
  for (size_t step = 1; step <= 7; step += 3) {
    got g = {0};
    tp_sse p;
    tp_sse_init(&p, 0, on_ev, &g);
    feed_all(&p, in, step);
    tp_sse_free(&p);
    ck_assert_int_eq(g.n,
                     3); /* the event without data and the unterminated tail are not dispatched */
    ck_assert_str_eq(g.data[0], "a\nb");
    ck_assert_str_eq(g.event[0], "message");
    ck_assert_str_eq(g.data[1], "c\nd");
    ck_assert_str_eq(g.event[1], "");
    ck_assert_str_eq(g.data[2], "{\"k\":1}");
    ck_assert_str_eq(g.event[2], "e2");
  }
}
END_TEST

/* A leading BOM is skipped however the stream is split (found by tests/fuzz/fuzz_sse.c: a BOM
 * split across feeds used to stay in the first field name and lose the first event); bytes that
 * start like a BOM and are not one stay content. */
START_TEST(test_client_sse__bom_split)
{
  for (size_t step = 1; step <= 4; step++) {
    got g = {0};
    tp_sse p;
    tp_sse_init(&p, 0, on_ev, &g);
    feed_all(&p,
             "\xEF\xBB\xBF"
             "data: x\n\n",
             step);
    tp_sse_free(&p);
    ck_assert_int_eq(g.n, 1);
    ck_assert_str_eq(g.data[0], "x");
    got h = {0};
    tp_sse_init(&p, 0, on_ev, &h);
    feed_all(&p,
             "\xEF\xBB"
             "data: y\n\ndata: z\n\n",
             step); /* not a BOM: a field "\xEF\xBBdata" */
    tp_sse_free(&p);
    ck_assert_int_eq(h.n, 1);
    ck_assert_str_eq(h.data[0], "z");
  }
}
END_TEST

START_TEST(test_client_sse__limits_and_stop)
{
  got g = {0};
  tp_sse p;
  tp_sse_init(&p, 16, on_ev, &g);
  ck_assert_int_eq(tp_sse_feed(&p, "data: 0123456789\n\n", 18), TP_SSE_OK);
  ck_assert_int_eq(tp_sse_feed(&p, "data: 0123456789abcdef", 22),
                   TP_SSE_ETOOBIG); /* one line too long */
  tp_sse_free(&p);
  tp_sse_init(&p, 16, on_ev, &g);
  ck_assert_int_eq(tp_sse_feed(&p, "data: 0123456789\ndata: 0123456789\n", 34),
                   TP_SSE_ETOOBIG); /* data too long */
  tp_sse_free(&p);
  got s = {.stop_at = 2};
  tp_sse_init(&p, 0, on_ev, &s);
  ck_assert_int_eq(tp_sse_feed(&p, "data: 1\n\ndata: 2\n\ndata: 3\n\n", 27), 7);
  ck_assert_int_eq(s.n, 2);
  tp_sse_free(&p);
  tp_sse_free(NULL);
}
END_TEST

Suite *client_sse_suite(void)
{
  Suite *s = suite_create("client_sse");
  TCase *t = tcase_create("sse");
  tcase_add_test(t, test_client_sse__line_endings);
  tcase_add_test(t, test_client_sse__bom_split);
  tcase_add_test(t, test_client_sse__limits_and_stop);
  suite_add_tcase(s, t);
  return s;
}
