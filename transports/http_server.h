/* SPDX-License-Identifier: Apache-2.0
 * transports/http_server.h — an HTTP/1.1 listener on libmicrohttpd (one internal polling thread
 * with epoll, suspend/resume for deferred and streamed responses, optional TLS through MHD's
 * GnuTLS support). It moves bytes only: it hands a complete request (method, path, headers,
 * body) to the upper layer and sends back whatever response the upper layer produces, either
 * at once or later from any thread, whole or as a chunked stream. It knows nothing of JSON-RPC
 * or MCP. A front door (http_gate.c) accepts connections itself and checks each request head
 * before libmicrohttpd sees it: deadlines for the head and the body (408), caps per address and
 * in total with a reserve for /health and callers with credentials (503), strict HTTP/1.x
 * syntax (400/414/431/501/505), body size (413); every refusal is one status line with a
 * JSON-RPC error body, and every response closes its connection. It also notices a
 * client that disconnects while its response is pending and reports it through the request's
 * abort callback so the upper layer can cancel the work.
 *
 * Request lifetime. Every request handed to the handler is held jointly by the transport and
 * the upper layer. The upper layer MUST end it exactly once, with tp_http_reply() or
 * tp_http_stream_end(), even after an abort (then the call only releases memory). After that
 * terminal call the tp_http_req pointer must not be used again.
 *
 * Errors: TP_OK (0) or a negative tp_http_rc. Thread-safety: the handler runs on the listener
 * thread and must not block for long; every tp_http_req_* reader may be called from the handler
 * only (the strings are borrowed from the request and valid until its terminal call);
 * tp_http_reply/stream_* may be called from any thread. */
#ifndef WL_TRANSPORTS_HTTP_SERVER_H
#define WL_TRANSPORTS_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define TP_WUR __attribute__((warn_unused_result))
#else
#define TP_WUR
#endif

typedef enum tp_http_rc {
  TP_HTTP_OK = 0,
  TP_HTTP_ERROR = -1,   /* unexpected: out of memory, thread or socket failure */
  TP_HTTP_EINVAL = -2,  /* bad options (no handler, bad address, TLS without key) */
  TP_HTTP_EBIND = -3,   /* could not listen on the address (in use, not local, no permission) */
  TP_HTTP_ECLOSED = -4, /* the client went away or the response is already complete */
} tp_http_rc;

/* Log callback: level 0 debug, 1 info, 2 warning, 3 error; msg is one line, borrowed. */
typedef void (*tp_http_log_fn)(void *payload, int level, const char *msg);

typedef struct tp_http_req tp_http_req;

/* Called once per complete request (headers and whole body received), on the listener thread. */
typedef void (*tp_http_handler_fn)(tp_http_req *req, void *payload);
/* Called at most once, on the listener or watchdog thread, when the client disconnected before
 * the response was complete. The request still needs its terminal call. */
typedef void (*tp_http_abort_fn)(tp_http_req *req, void *payload);

typedef struct tp_http_opts {
  const char *host; /* numeric address or name to bind; NULL = "127.0.0.1"; borrowed (copied) */
  uint16_t port;    /* 0 = ephemeral (read it back with tp_http_server_port) */
  size_t max_body;  /* request body limit; 0 = 4 MiB. Larger → 413 */
  const char
      *too_big_body; /* body of the 413 reply (application/json); NULL = "{}"; borrowed (copied) */
  unsigned max_connections;  /* connections handed to the library at once; 0 = 256 */
  unsigned reserved;         /* of those, kept for GET /health and requests with an Authorization
                               header; 0 = 32 (always less than max_connections) */
  unsigned per_address;      /* connections per peer address (waiting or served); 0 = 64 */
  unsigned max_waiting;      /* connections whose request is not complete yet; 0 = 1024 */
  unsigned header_timeout_s; /* the request head must arrive within this of the accept; 0 = 10 */
  unsigned body_timeout_s;   /* the body within this of the head; 0 = 30 */
  size_t max_header;         /* request line + header fields; 0 = 16 KiB (over → 431) */
  size_t max_uri;            /* request target; 0 = 8 KiB (over → 414) */
  unsigned idle_timeout_s;   /* inactivity timeout of a connection the library serves; 0 = 30 */
  unsigned threads;          /* listener threads (MHD thread pool); 0 or 1 = one thread */
  unsigned keepalive_ms;     /* SSE ": keep-alive" comment interval on idle streams; 0 = 15000 */
  unsigned watch_ms;         /* how often pending requests are checked for a disconnect; 0 = 250 */
  const char *tls_cert_pem;  /* PEM text; both or neither; borrowed during tp_http_server_start */
  const char *tls_key_pem;
  tp_http_handler_fn handler; /* required */
  void *payload;
  tp_http_log_fn log; /* optional */
  void *log_payload;
} tp_http_opts;

typedef struct tp_http_server tp_http_server;

/* Waits until every dispatched request has been answered and its response sent by the library
 * (the first step of a graceful stop: the upper layer makes its calls finish first), at most
 * timeout_ms. Returns how many are still open (0 = all done). The listener keeps running. */
int tp_http_server_quiesce(tp_http_server *s, long timeout_ms);

/* Binds and starts the listener. *out untouched on failure. err (size errlen, may be NULL)
 * receives a one-line message. Returns TP_HTTP_OK, TP_HTTP_EINVAL, TP_HTTP_EBIND, TP_HTTP_ERROR. */
int tp_http_server_start(tp_http_server **out, const tp_http_opts *opts, char *err,
                         size_t errlen) TP_WUR;
/* The bound port (useful with port 0). */
uint16_t tp_http_server_port(const tp_http_server *s);
/* Number of requests currently handed to the upper layer and not yet ended by it. */
int tp_http_server_pending(tp_http_server *s);
/* Stops listening, closes every connection (pending requests get their abort callback), waits
 * for the listener threads, then waits (up to 30 s) until the upper layer has ended every
 * pending request (its terminal call may come from another thread after the abort). NULL is a
 * no-op. */
void tp_http_server_stop(tp_http_server *s);

/* ---- reading a request (handler thread only; strings borrowed until the terminal call) ---- */

const char *tp_http_req_method(const tp_http_req *r); /* "POST", "GET", ... */
const char *tp_http_req_path(const tp_http_req *r);   /* URL path without the query */
/* Header value (case-insensitive name), or NULL when absent. */
const char *tp_http_req_header(const tp_http_req *r, const char *name);
/* The body (NUL-terminated for convenience; len excludes the NUL). Empty body: "" and 0. */
const char *tp_http_req_body(const tp_http_req *r, size_t *len);
/* Numeric peer address ("127.0.0.1", "::1") and whether it is a loopback address. */
const char *tp_http_req_peer(const tp_http_req *r);
int tp_http_req_peer_is_loopback(const tp_http_req *r);
/* Whether the connection uses TLS. */
int tp_http_req_is_tls(const tp_http_req *r);
/* The upper layer verified this request's credential: its answer keeps the connection open for
 * the same client's next request (no `Connection: close`; HTTP/1.0 and a client's own
 * `Connection: close` still end it). That request is parsed by libmicrohttpd in its strict mode,
 * not by the front door, and its head must be complete within the door's head deadline from the
 * end of this answer. Call it before the answer; a request never marked closes its connection
 * after its answer, as every request of an anonymous or failed caller does. */
void tp_http_req_keep_alive(tp_http_req *r);
/* Per-request abort callback (see above); may be set from the handler only. */
void tp_http_req_on_abort(tp_http_req *r, tp_http_abort_fn fn, void *payload);
/* 1 once the client has gone away. */
int tp_http_req_aborted(tp_http_req *r);

/* ---- answering (any thread) ----------------------------------------------------------------- */

/* Extra response headers: NULL-terminated array of "Name", "Value" pairs, borrowed (copied). May be
 * NULL. */

/* Sends a whole response and ends the request (terminal call). body borrowed (copied; may be NULL
 * when len == 0); content_type may be NULL (no Content-Type). Returns TP_HTTP_OK, or
 * TP_HTTP_ECLOSED when the client is gone (the request is ended all the same). */
int tp_http_reply(tp_http_req *r, unsigned status, const char *content_type,
                  const char *const *headers, const char *body, size_t len);

/* Starts a chunked streamed response (e.g. text/event-stream). Not terminal. Returns TP_HTTP_OK,
 * TP_HTTP_ECLOSED (client gone) or TP_HTTP_EINVAL (already answered). */
int tp_http_stream_begin(tp_http_req *r, unsigned status, const char *content_type,
                         const char *const *headers);
/* Appends bytes (borrowed, copied) to the stream. Returns TP_HTTP_OK, TP_HTTP_ECLOSED or
 * TP_HTTP_ERROR. */
int tp_http_stream_write(tp_http_req *r, const char *data, size_t len);
/* Ends the stream once the queued bytes are sent (terminal call). Ends a request that never
 * began a stream with an empty 500 reply. */
void tp_http_stream_end(tp_http_req *r);

#endif
