/* SPDX-License-Identifier: Apache-2.0
 * transports/http_server_int.h — shared by http_server.c (the listener) and http_request.c (the
 * request object), private to transports/: the server and request structures and the request
 * functions the listener calls. The libmicrohttpd table (tp_mhd()) is loaded by the first
 * tp_http_server_start, before any request exists. */
#ifndef WL_TRANSPORTS_HTTP_SERVER_INT_H
#define WL_TRANSPORTS_HTTP_SERVER_INT_H

#include "transports/http_server.h"
#include "transports/tp_dl.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>

enum { R_NONE = 0, R_WHOLE, R_STREAM };

struct tp_http_req {
  tp_http_server *srv;
  struct MHD_Connection *conn; /* NULL once MHD completed the request */
  int fd;
  pthread_mutex_t mu;    /* guards everything below */
  pthread_mutex_t cb_mu; /* recursive: abort callback vs terminal call */
  int refs;              /* MHD's + the upper layer's (once dispatched) */
  char method[16];
  char *path;
  char *body;
  size_t body_len, body_cap;
  int too_big, dispatched, queued, suspended, completed, aborted, upper_done;
  int has_length; /* the request carried Content-Length */
  int keep; /* tp_http_req_keep_alive: no Connection: close, the door re-arms the head deadline */
  int kind;
  unsigned status;
  char *ctype;
  char **hdrs; /* NULL-terminated name/value pairs */
  char *out;   /* whole body or stream queue */
  size_t out_len, out_cap, out_off;
  int ended; /* stream ended by the upper layer */
  int sse;
  int64_t last_ms;
  tp_http_abort_fn abort_fn;
  void *abort_payload;
  char peer[INET6_ADDRSTRLEN];
  int loopback;
  tp_http_req *prev, *next; /* srv->pending list (dispatched, not completed) */
};

typedef struct tp_gate tp_gate;

struct tp_http_server {
  struct MHD_Daemon *d;
  tp_gate *gate; /* the front door (http_gate.c): owns accepting; NULL until started */
  int lfd;
  uint16_t port;
  int tls;
  size_t max_body;
  char *too_big_body;
  char *too_big_msg; /* the front door's 413 reason */
  unsigned keepalive_ms, watch_ms;
  tp_http_handler_fn handler;
  void *payload;
  tp_http_log_fn log;
  void *log_payload;
  pthread_mutex_t mu; /* guards the pending list, stop, npending */
  pthread_cond_t cv;
  tp_http_req *pending;
  int npending;         /* dispatched and not yet ended by the upper layer */
  _Atomic int stopping; /* written under mu, read by the listener and the watchdog without it */
  pthread_t watchdog;
  int watchdog_started;
};

int64_t tp__now_ms(void); /* CLOCK_MONOTONIC milliseconds */

/* ---- the request-head checker (http_head.c) ---- */

enum { TP_HEAD_OK = 0, TP_HEAD_MORE = 1, TP_HEAD_REFUSED = -1 };

typedef struct tp_head_limits {
  size_t max_header;       /* request line + fields + final CRLF */
  size_t max_uri;          /* request target */
  size_t max_body;         /* declared or decoded body */
  size_t window;           /* bytes the front door looks at (head + body) before handing over */
  const char *too_big_msg; /* reason of a 413 (borrowed), NULL = "Content Too Large" */
} tp_head_limits;

typedef struct tp_head {
  unsigned status; /* when refused: the HTTP status */
  const char *msg; /* when refused: a static one-line reason */
  size_t head_len; /* bytes of the head, final CRLF CRLF included */
  char method[16];
  const char *path; /* into the parsed buffer; path_len excludes the query */
  size_t path_len;
  unsigned long long content_length;
  int has_length, chunked, has_auth, http10, expect_continue;
} tp_head;

/* Checks the head at the start of b[0..n). TP_HEAD_OK (h filled), TP_HEAD_MORE (incomplete and
 * nothing wrong so far) or TP_HEAD_REFUSED (h->status, h->msg). */
int tp__head_parse(const char *b, size_t n, const tp_head_limits *lim, tp_head *h);
/* After TP_HEAD_OK: checks the body that follows the head in b[0..n). TP_HEAD_OK with *req_len =
 * bytes of the whole request (or of the window, for a Content-Length body longer than it),
 * TP_HEAD_MORE, or TP_HEAD_REFUSED (err->status, err->msg; chunked framing, 413). */
int tp__body_check(const char *b, size_t n, const tp_head *h, const tp_head_limits *lim,
                   size_t *req_len, tp_head *err);

/* ---- the front door (http_gate.c) ---- */

typedef struct tp_gate_opts {
  unsigned max_connections; /* handed to the library at once */
  unsigned reserved;        /* of those, kept for /health and requests with credentials */
  unsigned per_address;     /* connections (waiting or handed over) per peer address */
  unsigned max_waiting;     /* connections whose request is not complete yet */
  unsigned header_timeout_s, body_timeout_s;
  tp_head_limits lim;
} tp_gate_opts;

/* Starts the front door thread on s->lfd (s->d must be running). TP_HTTP_OK or TP_HTTP_ERROR. */
int tp__gate_start(tp_http_server *s, const tp_gate_opts *o);
/* Stops accepting, closes every connection still at the door, joins the thread. NULL-safe. */
void tp__gate_stop(tp_http_server *s);
/* Frees the rest once the library is stopped (no more notifications). NULL-safe. */
void tp__gate_free(tp_http_server *s);
/* Called by the listener as a request on conn advances: phase 1 = head received (body being
 * read), 2 = complete (handed to the upper layer). Returns -1 when a deadline has passed and the
 * connection must be dropped (MHD_NO), else 0. */
int tp__gate_phase(tp_http_server *s, struct MHD_Connection *conn, int phase);
/* The library's connection notifications (MHD_OPTION_NOTIFY_CONNECTION): started = 1 or 0. */
void tp__gate_notify(tp_http_server *s, struct MHD_Connection *c, void **ctx, int started);
/* A kept-alive connection finished a request: its next head must be complete within the head
 * deadline from now (else it is shut down, as a head that missed it at the door). */
void tp__gate_rearm(tp_http_server *s, struct MHD_Connection *conn);
/* The JSON-RPC error body of a refusal: {"jsonrpc":"2.0","id":null,"error":{code,message}} into
 * out (cap bytes, NUL-terminated; msg is escaped). Returns its length. */
size_t tp__error_json(char *out, size_t cap, unsigned status, const char *msg);
/* A request for connection c (url and method copied): one reference (MHD's); NULL when out of
 * memory. */
tp_http_req *tp__req_new(tp_http_server *s, struct MHD_Connection *c, const char *url,
                         const char *method);
void tp__req_unref(tp_http_req *r); /* the last reference frees r */
/* Calls the abort callback once, unless the upper layer already ended the request. */
void tp__fire_abort(tp_http_req *r);
/* Resumes r's connection when it is suspended; must hold r->mu. */
void tp__resume_locked(tp_http_req *r);
/* Appends to r's output (whole body or stream queue); must hold r->mu. */
int tp__append_out(tp_http_req *r, const char *data, size_t len);

#endif
