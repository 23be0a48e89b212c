/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/transports/test_stdio.c — the stdio line transport over pipes: framing, CRLF and
 * blank lines, oversize lines discarded up to their newline (the stream goes on), an
 * unterminated last line, and concurrent writers that never interleave. */
#include "tests/support/test_support.h"
#include "transports/tp.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Suite *stdio_suite(void);

static void write_all(int fd, const char *s, size_t n)
{
  while (n) {
    ssize_t w = write(fd, s, n);
    ck_assert_int_gt(w, 0);
    s += w;
    n -= (size_t)w;
  }
}

typedef struct feeder {
  int fd;
  size_t big;
} feeder;

static void *feed(void *arg)
{
  feeder *f = arg;
  char *b = malloc(f->big);
  memset(b, 'x', f->big);
  write_all(f->fd, "one\n\r\n\ntwo\r\n", 12);
  write_all(f->fd, b, f->big);
  write_all(f->fd, "\nthree\nlast-unterminated", 24);
  free(b);
  close(f->fd);
  return NULL;
}

START_TEST(framing)
{
  int p[2];
  tp_stdio *t;
  const char *line;
  size_t len;
  pthread_t th;
  feeder f;
  ck_assert_int_eq(pipe(p), 0);
  f.fd = p[1];
  f.big = 300000;
  ck_assert_int_eq(pthread_create(&th, NULL, feed, &f), 0);
  ck_assert_int_eq(tp_stdio_open(&t, p[0], -1, 100000), TP_OK);
  ck_assert_int_eq(tp_stdio_read(t, &line, &len), TP_OK);
  ck_assert_int_eq(len, 3);
  ck_assert(memcmp(line, "one", 3) == 0);
  ck_assert_int_eq(tp_stdio_read(t, &line, &len), TP_OK);
  ck_assert_int_eq(len, 3);
  ck_assert(memcmp(line, "two", 3) == 0);
  ck_assert_int_eq(tp_stdio_read(t, &line, &len), TP_ETOOBIG);
  ck_assert_int_ge(len, 100000);
  ck_assert_int_eq(tp_stdio_read(t, &line, &len), TP_OK);
  ck_assert_int_eq(len, 5);
  ck_assert(memcmp(line, "three", 5) == 0);
  ck_assert_int_eq(tp_stdio_read(t, &line, &len), TP_OK);
  ck_assert_str_eq(line, "last-unterminated");
  ck_assert_int_eq(tp_stdio_read(t, &line, &len), TP_EOF);
  pthread_join(th, NULL);
  tp_stdio_close(t);
  close(p[0]);
}
END_TEST

typedef struct writer {
  tp_stdio *t;
  char c;
  int failed_writes;
} writer;

static void *wr(void *arg)
{
  writer *w = arg;
  char msg[5000];
  memset(msg, w->c, sizeof msg);
  for (int i = 0; i < 50; i++)
    w->failed_writes += tp_stdio_write(w->t, msg, sizeof msg) != TP_OK;
  return NULL;
}

/* What the reader saw; checked on the test's own thread (one assertion each, not one per byte:
 * a million ck_assert calls ran into Check's timeout on a busy machine). */
typedef struct drained {
  int fd;
  int open_failed;
  int lines;
  int bad_lines; /* wrong length, or bytes of two writers interleaved */
} drained;

static void *drain(void *arg)
{
  drained *d = arg;
  tp_stdio *r;
  const char *line;
  size_t len;
  char want[5000];
  if (tp_stdio_open(&r, d->fd, -1, 0) != TP_OK) {
    d->open_failed = 1;
    return NULL;
  }
  while (tp_stdio_read(r, &line, &len) == TP_OK) {
    if (len == sizeof want) {
      memset(want, line[0], sizeof want);
      d->bad_lines += memcmp(line, want, sizeof want) != 0;
    } else {
      d->bad_lines++;
    }
    d->lines++;
  }
  tp_stdio_close(r);
  return NULL;
}

START_TEST(concurrent_writers)
{
  int p[2];
  tp_stdio *t;
  pthread_t th[4], rd;
  writer w[4];
  drained d;
  memset(&d, 0, sizeof d);
  memset(w, 0, sizeof w);
  ck_assert_int_eq(pipe(p), 0);
  d.fd = p[0];
  ck_assert_int_eq(pthread_create(&rd, NULL, drain, &d), 0);
  ck_assert_int_eq(tp_stdio_open(&t, -1, p[1], 0), TP_OK);
  for (int i = 0; i < 4; i++) {
    w[i].t = t;
    w[i].c = (char)('a' + i);
    ck_assert_int_eq(pthread_create(&th[i], NULL, wr, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  close(p[1]);
  pthread_join(rd, NULL);
  tp_stdio_close(t);
  close(p[0]);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(w[i].failed_writes, 0);
  ck_assert_int_eq(d.open_failed, 0);
  ck_assert_int_eq(d.lines, 200);
  ck_assert_int_eq(d.bad_lines, 0); /* never interleaved */
}
END_TEST

Suite *stdio_suite(void)
{
  Suite *s = suite_create("tp_stdio");
  TCase *tc = tcase_create("stdio");
  tcase_add_test(tc, framing);
  tcase_add_test(tc, concurrent_writers);
  suite_add_tcase(s, tc);
  return s;
}
