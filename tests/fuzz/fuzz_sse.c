/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_sse.c — libFuzzer target for the `text/event-stream` parser (transports/sse.h)
 * that every reply of a Streamable HTTP peer goes through. The first byte sets the feed pattern
 * and the per-event limit; the rest is the stream. The stream is fed whole, then byte by byte,
 * then in pieces of varying sizes: the events dispatched (name and data) and the outcome must be
 * the same every time (the parser does not depend on how the bytes arrive), every data buffer is
 * NUL-terminated at its length, and no event exceeds the limit. */
#include "transports/sse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct trace {
  uint64_t h; /* FNV-1a over every event's name, data and length, in order */
  size_t events, max_event;
} trace;

static void mix(trace *t, const void *p, size_t n)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    t->h = (t->h ^ b[i]) * 1099511628211ULL;
}

static int on_event(const char *event, const char *d, size_t len, void *payload)
{
  trace *t = payload;
  if (d[len] != 0 || strlen(event) > 63 || len > t->max_event)
    abort();
  mix(t, event, strlen(event) + 1);
  mix(t, &len, sizeof len);
  mix(t, d, len);
  t->events++;
  return 0;
}

/* Feeds s[0..n) in pieces: step 0 = whole, else sizes cycling 1..step. Returns the outcome. */
static int run(const char *s, size_t n, size_t max_event, size_t step, trace *t)
{
  tp_sse p;
  int rc = TP_SSE_OK;
  memset(t, 0, sizeof *t);
  t->h = 1469598103934665603ULL;
  t->max_event = max_event;
  tp_sse_init(&p, max_event, on_event, t);
  for (size_t off = 0, k = 1; off < n && rc == TP_SSE_OK; k = k % (step ? step : 1) + 1) {
    size_t piece = step ? k : n;
    if (piece > n - off)
      piece = n - off;
    rc = tp_sse_feed(&p, s + off, piece);
    off += piece;
  }
  if (rc == TP_SSE_OK)
    rc = tp_sse_feed(&p, NULL, 0);
  tp_sse_free(&p);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const size_t limits[] = {16, 64, 256, 4096};
  trace a, b, c;
  if (size < 1 || size > 32768)
    return 0;
  size_t max_event = limits[data[0] & 3];
  size_t step = 2 + (data[0] >> 2);
  const char *s = (const char *)data + 1;
  size_t n = size - 1;
  int ra = run(s, n, max_event, 0, &a);
  int rb = run(s, n, max_event, 1, &b);
  int rc = run(s, n, max_event, step, &c);
  if (ra < TP_SSE_ETOOBIG || ra > TP_SSE_OK)
    abort();
  if (ra != rb || ra != rc)
    abort(); /* the outcome depends on how the bytes were split */
  if (ra == TP_SSE_OK && (a.h != b.h || a.h != c.h || a.events != b.events || a.events != c.events))
    abort(); /* different events for the same stream */
  return 0;
}
