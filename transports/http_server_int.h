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

struct tp_http_server {
  struct MHD_Daemon *d;
  int lfd;
  uint16_t port;
  int tls;
  size_t max_body;
  char *too_big_body;
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
