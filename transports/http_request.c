/* SPDX-License-Identifier: Apache-2.0
 * transports/http_request.c — the request object of transports/http_server.h: its creation from
 * an MHD connection (path, peer address, loopback), reference counting and release, the abort
 * callback, the accessors the upper layer reads, and the answering calls (whole replies and
 * streams) that fill its output and resume the suspended connection. The listener side (MHD
 * callbacks, watchdog, start/stop) is in http_server.c. */
#include "transports/http_server_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int64_t tp__now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- request objects ------------------------------------------------------------------------ */

static void free_hdrs(char **h)
{
  if (!h)
    return;
  for (char **p = h; *p; p++)
    free(*p);
  free(h);
}

void tp__req_unref(tp_http_req *r)
{
  pthread_mutex_lock(&r->mu);
  int left = --r->refs;
  pthread_mutex_unlock(&r->mu);
  if (left)
    return;
  pthread_mutex_destroy(&r->mu);
  pthread_mutex_destroy(&r->cb_mu);
  free(r->path);
  free(r->body);
  free(r->ctype);
  free_hdrs(r->hdrs);
  free(r->out);
  free(r);
}

static void peer_of(tp_http_req *r, struct MHD_Connection *c)
{
  const union MHD_ConnectionInfo *ci = tp_mhd(NULL)->get_connection_info(
      c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  snprintf(r->peer, sizeof r->peer, "?");
  if (!ci || !ci->client_addr)
    return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
    inet_ntop(AF_INET, &in->sin_addr, r->peer, sizeof r->peer);
    r->loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    inet_ntop(AF_INET6, &in6->sin6_addr, r->peer, sizeof r->peer);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
      r->loopback = 1;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127)
      r->loopback = 1;
  }
}

tp_http_req *tp__req_new(tp_http_server *s, struct MHD_Connection *c, const char *url,
                         const char *method)
{
  tp_http_req *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&r->cb_mu, &a);
  pthread_mutexattr_destroy(&a);
  pthread_mutex_init(&r->mu, NULL);
  r->srv = s;
  r->conn = c;
  r->refs = 1;
  r->fd = -1;
  snprintf(r->method, sizeof r->method, "%s", method ? method : "");
  const char *q = url ? strchr(url, '?') : NULL;
  size_t plen = url ? (q ? (size_t)(q - url) : strlen(url)) : 0;
  r->path = malloc(plen + 1);
  if (!r->path) {
    tp__req_unref(r);
    return NULL;
  }
  if (plen)
    memcpy(r->path, url, plen);
  r->path[plen] = 0;
  const union MHD_ConnectionInfo *ci = tp_mhd(NULL)->get_connection_info(
      c, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (ci)
    r->fd = ci->connect_fd;
  peer_of(r, c);
  return r;
}

/* Calls the abort callback once, unless the upper layer already ended the request. */
void tp__fire_abort(tp_http_req *r)
{
  pthread_mutex_lock(&r->cb_mu);
  pthread_mutex_lock(&r->mu);
  tp_http_abort_fn fn = r->upper_done ? NULL : r->abort_fn;
  void *p = r->abort_payload;
  r->abort_fn = NULL;
  pthread_mutex_unlock(&r->mu);
  if (fn)
    fn(r, p);
  pthread_mutex_unlock(&r->cb_mu);
}

/* Marks the upper layer's part done (terminal call) and drops its reference. */
static void upper_release(tp_http_req *r)
{
  tp_http_server *s = r->srv;
  pthread_mutex_lock(&s->mu);
  s->npending--;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  tp__req_unref(r);
}

/* Must hold r->mu. */
void tp__resume_locked(tp_http_req *r)
{
  if (r->suspended && r->conn) {
    r->suspended = 0;
    tp_mhd(NULL)->resume_connection(r->conn);
  }
}

/* ---- request accessors ---------------------------------------------------------------------- */

const char *tp_http_req_method(const tp_http_req *r)
{
  return r->method;
}
const char *tp_http_req_path(const tp_http_req *r)
{
  return r->path;
}

const char *tp_http_req_header(const tp_http_req *r, const char *name)
{
  if (!r->conn)
    return NULL;
  return tp_mhd(NULL)->lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *tp_http_req_body(const tp_http_req *r, size_t *len)
{
  if (len)
    *len = r->body_len;
  return r->body ? r->body : "";
}

const char *tp_http_req_peer(const tp_http_req *r)
{
  return r->peer;
}
int tp_http_req_peer_is_loopback(const tp_http_req *r)
{
  return r->loopback;
}
int tp_http_req_is_tls(const tp_http_req *r)
{
  return r->srv->tls;
}

void tp_http_req_keep_alive(tp_http_req *r)
{
  pthread_mutex_lock(&r->mu);
  r->keep = 1;
  pthread_mutex_unlock(&r->mu);
}

void tp_http_req_on_abort(tp_http_req *r, tp_http_abort_fn fn, void *payload)
{
  pthread_mutex_lock(&r->mu);
  r->abort_fn = fn;
  r->abort_payload = payload;
  pthread_mutex_unlock(&r->mu);
}

int tp_http_req_aborted(tp_http_req *r)
{
  pthread_mutex_lock(&r->mu);
  int a = r->aborted;
  pthread_mutex_unlock(&r->mu);
  return a;
}

/* ---- answering ------------------------------------------------------------------------------ */

static char **copy_hdrs(const char *const *h)
{
  size_t n = 0;
  while (h && h[n] && h[n + 1])
    n += 2;
  char **c = calloc(n + 1, sizeof *c);
  if (!c)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    c[i] = strdup(h[i]);
    if (!c[i]) {
      free_hdrs(c);
      return NULL;
    }
  }
  return c;
}

/* Sets status/type/headers; must hold r->mu. */
static int set_head(tp_http_req *r, int kind, unsigned status, const char *ctype,
                    const char *const *headers)
{
  char **h = copy_hdrs(headers);
  char *ct = ctype ? strdup(ctype) : NULL;
  if (!h || (ctype && !ct)) {
    free_hdrs(h);
    free(ct);
    return TP_HTTP_ERROR;
  }
  r->kind = kind;
  r->status = status;
  r->ctype = ct;
  r->hdrs = h;
  r->sse = ctype && strncmp(ctype, "text/event-stream", 17) == 0;
  return TP_HTTP_OK;
}

int tp__append_out(tp_http_req *r, const char *data, size_t len)
{
  if (!len)
    return TP_HTTP_OK;
  if (r->out_len + len > r->out_cap) {
    size_t cap = r->out_cap ? r->out_cap : 256;
    while (cap < r->out_len + len)
      cap *= 2;
    char *nb = realloc(r->out, cap);
    if (!nb)
      return TP_HTTP_ERROR;
    r->out = nb;
    r->out_cap = cap;
  }
  memcpy(r->out + r->out_len, data, len);
  r->out_len += len;
  return TP_HTTP_OK;
}

int tp_http_reply(tp_http_req *r, unsigned status, const char *content_type,
                  const char *const *headers, const char *body, size_t len)
{
  pthread_mutex_lock(&r->cb_mu);
  pthread_mutex_lock(&r->mu);
  int rc = TP_HTTP_OK;
  if (r->upper_done || r->kind != R_NONE) {
    rc = TP_HTTP_EINVAL;
  } else if (r->aborted || r->completed) {
    rc = TP_HTTP_ECLOSED;
  } else {
    rc = set_head(r, R_WHOLE, status, content_type, headers);
    if (rc == TP_HTTP_OK)
      rc = tp__append_out(r, body, len);
    if (rc != TP_HTTP_OK) { /* out of memory: answer 500 without a body */
      r->out_len = 0;
      r->status = 500;
      r->kind = R_WHOLE;
    }
    tp__resume_locked(r);
  }
  int was_done = r->upper_done;
  r->upper_done = 1;
  pthread_mutex_unlock(&r->mu);
  pthread_mutex_unlock(&r->cb_mu);
  if (!was_done)
    upper_release(r);
  return rc;
}

int tp_http_stream_begin(tp_http_req *r, unsigned status, const char *content_type,
                         const char *const *headers)
{
  pthread_mutex_lock(&r->mu);
  int rc;
  if (r->upper_done || r->kind != R_NONE)
    rc = TP_HTTP_EINVAL;
  else if (r->aborted || r->completed)
    rc = TP_HTTP_ECLOSED;
  else {
    rc = set_head(r, R_STREAM, status, content_type, headers);
    if (rc == TP_HTTP_OK)
      r->last_ms = tp__now_ms();
    tp__resume_locked(r);
  }
  pthread_mutex_unlock(&r->mu);
  return rc;
}

int tp_http_stream_write(tp_http_req *r, const char *data, size_t len)
{
  pthread_mutex_lock(&r->mu);
  int rc;
  if (r->kind != R_STREAM || r->upper_done)
    rc = TP_HTTP_EINVAL;
  else if (r->aborted || r->completed)
    rc = TP_HTTP_ECLOSED;
  else {
    rc = tp__append_out(r, data, len);
    tp__resume_locked(r);
  }
  pthread_mutex_unlock(&r->mu);
  return rc;
}

void tp_http_stream_end(tp_http_req *r)
{
  pthread_mutex_lock(&r->cb_mu);
  pthread_mutex_lock(&r->mu);
  int was_done = r->upper_done;
  if (!was_done) {
    if (r->kind == R_NONE) {
      r->kind = R_WHOLE;
      r->status = 500;
      r->out_len = 0;
    }
    r->ended = 1;
    r->upper_done = 1;
    tp__resume_locked(r);
  }
  pthread_mutex_unlock(&r->mu);
  pthread_mutex_unlock(&r->cb_mu);
  if (!was_done)
    upper_release(r);
}
