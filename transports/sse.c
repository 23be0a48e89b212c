/* SPDX-License-Identifier: Apache-2.0
 * transports/sse.c — the event-stream line machine of transports/sse.h: splits on LF, CRLF and
 * CR (remembering a CR that ends one piece so the LF starting the next is not a second line),
 * applies the field rules (one optional space after the colon, unknown fields ignored) and
 * enforces max_event on both the current line and the accumulated data. */
#include "transports/sse.h"

#include <stdlib.h>
#include <string.h>

#define DEF_MAX_EVENT (1u << 20)

void tp_sse_init(tp_sse *p, size_t max_event, tp_sse_event_fn fn, void *payload)
{
  memset(p, 0, sizeof *p);
  p->max_event = max_event ? max_event : DEF_MAX_EVENT;
  p->fn = fn;
  p->payload = payload;
}

void tp_sse_free(tp_sse *p)
{
  if (!p)
    return;
  free(p->line);
  free(p->data);
  p->line = p->data = NULL;
  p->line_len = p->line_cap = p->data_len = p->data_cap = 0;
}

static int grow(char **b, size_t *cap, size_t need)
{
  if (need <= *cap)
    return 0;
  size_t nc = *cap ? *cap : 256;
  while (nc < need)
    nc *= 2;
  char *nb = realloc(*b, nc);
  if (!nb)
    return -1;
  *b = nb;
  *cap = nc;
  return 0;
}

static int dispatch(tp_sse *p)
{
  int rc = 0;
  if (p->has_data && p->fn) {
    if (grow(&p->data, &p->data_cap, p->data_len + 1))
      return TP_SSE_ENOMEM;
    p->data[p->data_len] = 0;
    rc = p->fn(p->event, p->data, p->data_len, p->payload);
    if (rc < 0)
      rc = 1; /* a callback may only stop, not fail with our codes */
  }
  p->data_len = 0;
  p->event[0] = 0;
  p->has_data = 0;
  return rc;
}

/* One complete line (without its terminator). */
static int on_line(tp_sse *p, const char *l, size_t n)
{
  if (n == 0)
    return dispatch(p);
  if (l[0] == ':')
    return 0;
  const char *colon = memchr(l, ':', n);
  size_t flen = colon ? (size_t)(colon - l) : n;
  const char *v = colon ? colon + 1 : l + n;
  size_t vlen = colon ? n - flen - 1 : 0;
  if (vlen && *v == ' ')
    v++, vlen--;
  if (flen == 4 && memcmp(l, "data", 4) == 0) {
    size_t need = p->data_len + (p->has_data ? 1 : 0) + vlen;
    if (need > p->max_event)
      return TP_SSE_ETOOBIG;
    if (grow(&p->data, &p->data_cap, need + 1))
      return TP_SSE_ENOMEM;
    if (p->has_data)
      p->data[p->data_len++] = '\n';
    if (vlen)
      memcpy(p->data + p->data_len, v, vlen);
    p->data_len += vlen;
    p->has_data = 1;
  } else if (flen == 5 && memcmp(l, "event", 5) == 0) {
    size_t k = vlen < sizeof p->event - 1 ? vlen : sizeof p->event - 1;
    memcpy(p->event, v, k);
    p->event[k] = 0;
  }
  return 0;
}

/* Appends one ordinary (non-terminator) byte to the current line. */
static int line_add(tp_sse *p, char c)
{
  if (p->line_len + 1 > p->max_event)
    return TP_SSE_ETOOBIG;
  if (grow(&p->line, &p->line_cap, p->line_len + 1))
    return TP_SSE_ENOMEM;
  p->line[p->line_len++] = c;
  return TP_SSE_OK;
}

int tp_sse_feed(tp_sse *p, const char *d, size_t n)
{
  static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
  size_t i = 0;
  /* a BOM at the very start is skipped even when it arrives split across pieces: p->bom counts
   * its bytes matched so far; on a mismatch those bytes were content after all */
  while (!p->started && i < n) {
    if (d[i] == bom[p->bom]) {
      i++;
      if (++p->bom == 3)
        p->started = 1;
      continue;
    }
    p->started = 1;
    for (int k = 0; k < p->bom; k++) {
      int rc = line_add(p, bom[k]);
      if (rc)
        return rc;
    }
  }
  for (; i < n; i++) {
    char c = d[i];
    if (c == '\n' && p->last_cr) { /* LF of a CRLF split across or within pieces */
      p->last_cr = 0;
      continue;
    }
    p->last_cr = 0;
    if (c == '\n' || c == '\r') {
      p->last_cr = c == '\r';
      int rc = on_line(p, p->line ? p->line : "", p->line_len);
      p->line_len = 0;
      if (rc)
        return rc;
      continue;
    }
    int rc = line_add(p, c);
    if (rc)
      return rc;
  }
  return TP_SSE_OK;
}
