/* SPDX-License-Identifier: Apache-2.0
 * transports/sse.h — an incremental parser for `text/event-stream` bodies (the HTML Living
 * Standard "server-sent events" wire format, as used by MCP Streamable HTTP): bytes are fed in
 * arbitrary pieces; lines end in LF, CRLF or a lone CR; `data:` lines of one event are joined
 * with "\n"; `event:` names the event; `id:` and `retry:` are accepted and ignored; lines
 * starting with ":" are comments (keep-alives); a blank line dispatches the event, and an event
 * without any data line is not dispatched. A UTF-8 BOM at the very start is skipped, even when
 * split across pieces. It moves bytes only: it does not parse the data (JSON) and allocates
 * only its own line and data buffers, each bounded by max_event. Not thread-safe (one parser
 * per stream).
 * Errors: TP_SSE_OK (0), a positive value returned by the callback (stop), or a negative
 * tp_sse_rc. */
#ifndef WL_TRANSPORTS_SSE_H
#define WL_TRANSPORTS_SSE_H

#include <stddef.h>

#if defined(__GNUC__)
#define TP_SSE_WUR __attribute__((warn_unused_result))
#else
#define TP_SSE_WUR
#endif

typedef enum tp_sse_rc {
  TP_SSE_OK = 0,
  TP_SSE_ENOMEM = -1,  /* out of memory growing a buffer */
  TP_SSE_ETOOBIG = -2, /* one line or one event's data exceeded max_event bytes */
} tp_sse_rc;

/* One dispatched event: `event` is its name ("" when absent, truncated to 63 bytes), `data` its
 * data (NUL-terminated; len excludes the NUL). Both borrowed for the call only. Return 0 to go
 * on; a positive value stops the feed, which returns that value. */
typedef int (*tp_sse_event_fn)(const char *event, const char *data, size_t len, void *payload);

/* Transparent so it can live on the stack; treat the members as private. */
typedef struct tp_sse {
  char *line, *data;
  size_t line_len, line_cap, data_len, data_cap, max_event;
  char event[64];
  int has_data, last_cr, started, bom; /* bom: bytes of a leading BOM matched so far */
  tp_sse_event_fn fn;
  void *payload;
} tp_sse;

/* Prepares `p`. max_event 0 = 1 MiB. fn may be NULL (events are parsed and dropped). */
void tp_sse_init(tp_sse *p, size_t max_event, tp_sse_event_fn fn, void *payload);
/* Feeds n bytes (d may be NULL when n == 0). Returns TP_SSE_OK, the callback's positive stop
 * value, TP_SSE_ENOMEM or TP_SSE_ETOOBIG. After a non-zero return the parser must not be fed
 * again (free it). */
int tp_sse_feed(tp_sse *p, const char *d, size_t n) TP_SSE_WUR;
/* Frees the buffers; the struct may be re-initialised. NULL is a no-op. An event still pending
 * (no terminating blank line) is discarded, as the standard requires. */
void tp_sse_free(tp_sse *p);

#endif
