/* SPDX-License-Identifier: Apache-2.0
 * transports/http_client.h — outbound HTTP on libcurl: one request (typically a POST of a JSON
 * body with extra headers) and its whole response, with total and connect timeouts and a bound
 * on the response size. When the response is `text/event-stream` the SSE events are also parsed
 * as they arrive (transports/sse.h) and each event's data is handed to an optional callback (the
 * MCP client uses it to see progress notifications and the final response). An optional abort
 * hook is polled while the transfer runs (cancellation), and one extra response header named by
 * the caller can be captured (e.g. a session id). It moves bytes only: it does not parse JSON
 * and knows nothing of MCP or tokens. Thread-safe: every call uses its own handle.
 * Errors: TP_HTTPC_OK (0) or a negative tp_httpc_rc, with a one-line message in err. An HTTP
 * error status (4xx/5xx) is NOT an error here: it is returned in the response. */
#ifndef WL_TRANSPORTS_HTTP_CLIENT_H
#define WL_TRANSPORTS_HTTP_CLIENT_H

#include <stddef.h>

#if defined(__GNUC__)
#define TP_HTTPC_WUR __attribute__((warn_unused_result))
#else
#define TP_HTTPC_WUR
#endif

typedef enum tp_httpc_rc {
  TP_HTTPC_OK = 0,
  TP_HTTPC_ERROR = -1,      /* unexpected: out of memory, libcurl setup */
  TP_HTTPC_EINVAL = -2,     /* bad URL or arguments */
  TP_HTTPC_ECONNECT = -3,   /* could not connect / resolve / TLS handshake failed */
  TP_HTTPC_ETIMEOUT = -4,   /* the timeout elapsed (connect or total) */
  TP_HTTPC_ETOOBIG = -5,    /* the response exceeded max_response bytes */
  TP_HTTPC_EABORTED = -6,   /* the SSE callback asked to stop */
  TP_HTTPC_ECANCELLED = -7, /* the abort hook asked to stop */
} tp_httpc_rc;

/* One SSE event's `data` (lines joined with "\n"; NUL-terminated, borrowed for the call) and its
 * `event` name ("" when absent). Return 0 to continue, non-zero to stop reading (the call then
 * returns TP_HTTPC_EABORTED, with the response received so far). */
typedef int (*tp_httpc_event_fn)(const char *event, const char *data, size_t len, void *payload);

/* Polled while the transfer runs (at least about once per second, more often while data flows;
 * also once before connecting). Return non-zero to stop: the call then returns
 * TP_HTTPC_ECANCELLED. Gets the same payload as on_event. */
typedef int (*tp_httpc_abort_fn)(void *payload);

typedef struct tp_httpc_opts {
  long timeout_ms;                /* whole transfer; 0 = 30000 */
  long connect_timeout_ms;        /* 0 = 10000 */
  size_t max_response;            /* bytes of the response body; 0 = 8 MiB */
  const char *ca_file;            /* PEM bundle for TLS; NULL = system default; borrowed */
  int insecure_tls;               /* 1 = do not verify the server certificate (tests only) */
  tp_httpc_event_fn on_event;     /* optional SSE callback */
  tp_httpc_abort_fn should_abort; /* optional cancellation hook */
  void *payload;
  const char *capture_header; /* optional header name (case-insensitive) whose value is returned
                                 in tp_httpc_response.captured; borrowed */
  size_t max_event;           /* bytes of one SSE line/event; 0 = max_response */
} tp_httpc_opts;

typedef struct tp_httpc_response {
  long status;            /* HTTP status, 0 when no response */
  char *content_type;     /* new, or NULL when absent */
  char *www_authenticate; /* new WWW-Authenticate header, or NULL */
  char *captured;         /* new value of opts.capture_header (trimmed), or NULL */
  char *body;             /* new, NUL-terminated (len excludes the NUL); never NULL on OK */
  size_t len;
} tp_httpc_response;

/* Performs `method` ("POST", "GET", ...) on `url` with extra `headers` (NULL-terminated array of
 * "Name: value" strings, borrowed; may be NULL) and `body` (len bytes, borrowed; NULL for none).
 * `out` is filled on TP_HTTPC_OK and also on ETOOBIG/EABORTED/ECANCELLED (partial body); free it
 * with tp_httpc_response_free() in every case. opts may be NULL (defaults). err may be NULL.
 * Returns TP_HTTPC_OK, EINVAL, ECONNECT, ETIMEOUT, ETOOBIG (body or one SSE event over its
 * limit), EABORTED, ECANCELLED or ERROR. */
int tp_httpc_request(tp_httpc_response *out, const char *method, const char *url,
                     const char *const *headers, const char *body, size_t len,
                     const tp_httpc_opts *opts, char *err, size_t errlen) TP_HTTPC_WUR;

/* Frees the members (not the struct); zeroes it. NULL is a no-op. */
void tp_httpc_response_free(tp_httpc_response *r);

#endif
