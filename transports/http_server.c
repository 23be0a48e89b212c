/* SPDX-License-Identifier: Apache-2.0
 * transports/http_server.c — the libmicrohttpd listener behind transports/http_server.h. One
 * internal polling thread (epoll; optionally an MHD thread pool) accepts connections, collects
 * each request body under a size limit and calls the upper layer's handler. A response the upper
 * layer does not give at once parks the connection with M->suspend_connection(); the answering
 * thread resumes it. Streams are chunked callback responses whose reader suspends the connection
 * when its queue is empty. MHD neither times out nor notices a disconnect on a suspended
 * connection, so a watchdog thread polls every suspended socket for POLLRDHUP and, on streams,
 * queues an SSE comment when idle. It does not parse JSON, does no auth and decides no routes.
 * The request object (lifetime, accessors, answering calls) is in http_request.c. */
#include "transports/http_server.h"

#include "transports/http_server_int.h"
#include "transports/tp_dl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEF_MAX_BODY (4u * 1024u * 1024u)
#define DEF_MAX_CONN 256u
#define DEF_MAX_HEADER (16u * 1024u)
#define DEF_MAX_URI (8u * 1024u)
#define DEF_RESERVED 32u
#define DEF_PER_ADDR 64u
#define DEF_MAX_WAITING 1024u
#define DEF_HEADER_S 10u
#define DEF_BODY_S 30u
#define GATE_WINDOW (32u * 1024u) /* head + body bytes the front door looks at */
#define DEF_IDLE_S 30u
#define DEF_KEEPALIVE_MS 15000u
#define DEF_WATCH_MS 250u
#define EARLY_REJECT_BYTES (64u * 1024u * 1024u) /* beyond this a too-big body is not even read */

static const tp_mhd_api *M; /* libmicrohttpd, loaded by the first tp_http_server_start (tp_dl.h) */

static void logf_(tp_http_server *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(tp_http_server *s, int level, const char *fmt, ...)
{
  if (!s->log)
    return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  s->log(s->log_payload, level, buf);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
  tp_http_server *s = cls;
  if (!s->log)
    return;
  char buf[512];
  vsnprintf(buf, sizeof buf, fmt, ap);
  size_t n = strlen(buf);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    buf[--n] = 0;
  s->log(s->log_payload, 2, buf);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
  if (!err || !errlen)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- MHD callbacks -------------------------------------------------------------------------- */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
  tp_http_req *r = cls;
  (void)pos;
  ssize_t n;
  pthread_mutex_lock(&r->mu);
  if (r->aborted) {
    n = MHD_CONTENT_READER_END_WITH_ERROR;
  } else if (r->out_len > r->out_off) {
    size_t k = r->out_len - r->out_off;
    if (k > max)
      k = max;
    memcpy(buf, r->out + r->out_off, k);
    r->out_off += k;
    if (r->out_off == r->out_len)
      r->out_off = r->out_len = 0;
    r->last_ms = tp__now_ms();
    n = (ssize_t)k;
  } else if (r->ended) {
    n = MHD_CONTENT_READER_END_OF_STREAM;
  } else {
    r->suspended = 1;
    M->suspend_connection(r->conn);
    n = 0;
  }
  pthread_mutex_unlock(&r->mu);
  return n;
}

static void add_headers(struct MHD_Response *resp, const char *ctype, char **hdrs, int keep)
{
  /* one request per connection, so that every request passes the front door (http_gate.c),
   * unless the upper layer authenticated this one (spec/http.md R-HTTP-060) */
  if (!keep)
    M->add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  if (ctype)
    M->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  for (char **p = hdrs; p && p[0] && p[1]; p += 2)
    M->add_response_header(resp, p[0], p[1]);
}

static enum MHD_Result queue_simple(struct MHD_Connection *c, unsigned status, const char *ctype,
                                    const char *body)
{
  struct MHD_Response *resp = M->create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                                             MHD_RESPMEM_MUST_COPY);
  if (!resp)
    return MHD_NO;
  M->add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  if (ctype)
    M->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  enum MHD_Result ret = M->queue_response(c, status, resp);
  M->destroy_response(resp);
  return ret;
}

/* First call for a request: creates it and refuses a declared body over the limit early (at
 * once when the client waits for 100-continue or the body is huge). */
static enum MHD_Result on_headers(tp_http_server *s, struct MHD_Connection *c, const char *url,
                                  const char *method, void **con_cls)
{
  if (tp__gate_phase(s, c, 1) != 0)
    return MHD_NO; /* its head missed the deadline (TLS) */
  tp_http_req *r = tp__req_new(s, c, url, method);
  if (!r)
    return MHD_NO;
  *con_cls = r;
  const char *cl = M->lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (cl) {
    char *end = NULL;
    r->has_length = 1;
    errno = 0;
    unsigned long long v = strtoull(cl, &end, 10);
    if (errno || end == cl || v > s->max_body) {
      r->too_big = 1;
      const char *ex = M->lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
      if ((ex && strcasecmp(ex, "100-continue") == 0) || errno || v > EARLY_REJECT_BYTES) {
        r->queued = 1; /* MHD discards the body and closes after this reply */
        return queue_simple(c, MHD_HTTP_CONTENT_TOO_LARGE, "application/json", s->too_big_body);
      }
    }
  }
  return MHD_YES;
}

/* A piece of the body: collected under the size limit. */
static enum MHD_Result on_upload(tp_http_server *s, tp_http_req *r, struct MHD_Connection *c,
                                 const char *upload, size_t n)
{
  if (r->queued || (r->too_big && r->has_length))
    return MHD_YES; /* read and discarded */
  if (r->too_big) {
    /* a body without Content-Length that keeps coming past the limit: answer now, and MHD
     * stops reading and closes after the reply (a refused queue closes at once) */
    r->queued = 1;
    return queue_simple(c, MHD_HTTP_CONTENT_TOO_LARGE, "application/json", s->too_big_body);
  }
  if (r->body_len + n > s->max_body) {
    r->too_big = 1;
    free(r->body);
    r->body = NULL;
    r->body_len = r->body_cap = 0;
    return MHD_YES;
  }
  if (r->body_len + n + 1 > r->body_cap) {
    size_t cap = r->body_cap ? r->body_cap : 1024;
    while (cap < r->body_len + n + 1)
      cap *= 2;
    if (cap > s->max_body + 1)
      cap = s->max_body + 1;
    char *nb = realloc(r->body, cap);
    if (!nb)
      return MHD_NO;
    r->body = nb;
    r->body_cap = cap;
  }
  memcpy(r->body + r->body_len, upload, n);
  r->body_len += n;
  r->body[r->body_len] = 0;
  return MHD_YES;
}

/* The whole body is in: hands the request to the upper layer (once). */
static void dispatch(tp_http_server *s, tp_http_req *r)
{
  r->dispatched = 1;
  r->last_ms = tp__now_ms();
  pthread_mutex_lock(&s->mu);
  r->refs++; /* the upper layer's reference (no other thread knows r yet) */
  s->npending++;
  r->next = s->pending;
  if (s->pending)
    s->pending->prev = r;
  s->pending = r;
  pthread_mutex_unlock(&s->mu);
  s->handler(r, s->payload);
}

/* Queues the upper layer's answer when there is one, else suspends the connection until it
 * comes. Must hold r->mu. */
/* Under r->mu: decides the answer. Returns MHD_NO/MHD_YES with *resp NULL (nothing to queue:
 * aborted, already queued, or suspended until a worker resumes it), or MHD_YES with *resp the
 * response to queue once r->mu is released. The library takes the response's own mutex while it
 * holds it and calls stream_reader (which takes r->mu) under that mutex, so queueing under r->mu
 * would take the two in the opposite order (ThreadSanitizer: lock-order-inversion). */
static enum MHD_Result prepare_answer(tp_http_server *s, tp_http_req *r, struct MHD_Connection *c,
                                      struct MHD_Response **resp, unsigned *status)
{
  *resp = NULL;
  if (r->aborted)
    return MHD_NO;
  if (r->queued)
    return MHD_YES;
  if (r->kind == R_NONE) {
    if (s->stopping)
      return MHD_NO;
    r->suspended = 1;
    M->suspend_connection(c);
    return MHD_YES;
  }
  if (r->kind == R_WHOLE)
    *resp = M->create_response_from_buffer(r->out_len, r->out ? r->out : (char *)"",
                                           MHD_RESPMEM_MUST_COPY);
  else
    *resp = M->create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_reader, r, NULL);
  r->queued = 1;
  if (!*resp)
    return MHD_NO;
  add_headers(*resp, r->ctype, r->hdrs, r->keep);
  *status = r->status;
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
  tp_http_server *s = cls;
  tp_http_req *r = *con_cls;
  (void)version;
  if (!r)
    return on_headers(s, c, url, method, con_cls);
  if (*upload_size) {
    size_t n = *upload_size;
    *upload_size = 0;
    if (!r->dispatched && !r->queued && tp__gate_phase(s, c, 1) != 0)
      return MHD_NO; /* the body missed its deadline: 408 already sent */
    return on_upload(s, r, c, upload, n);
  }
  if (r->queued && !r->dispatched)
    return MHD_YES;
  if (r->too_big) {
    r->queued = 1;
    return queue_simple(c, MHD_HTTP_CONTENT_TOO_LARGE, "application/json", s->too_big_body);
  }
  if (!r->dispatched) {
    if (tp__gate_phase(s, c, 2) != 0)
      return MHD_NO;
    dispatch(s, r);
  }
  struct MHD_Response *resp;
  unsigned status = 0;
  pthread_mutex_lock(&r->mu);
  enum MHD_Result ret = prepare_answer(s, r, c, &resp, &status);
  pthread_mutex_unlock(&r->mu);
  if (resp) {
    ret = M->queue_response(c, status, resp);
    M->destroy_response(resp);
  }
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  tp_http_server *s = cls;
  tp_http_req *r = *con_cls;
  if (!r)
    return;
  *con_cls = NULL;
  if (r->dispatched) {
    pthread_mutex_lock(&s->mu);
    if (r->prev)
      r->prev->next = r->next;
    else
      s->pending = r->next;
    if (r->next)
      r->next->prev = r->prev;
    r->prev = r->next = NULL;
    pthread_mutex_unlock(&s->mu);
  }
  if (r->keep && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
    tp__gate_rearm(s, c); /* the next request of a kept-alive connection: the head deadline */
  pthread_mutex_lock(&r->mu);
  r->completed = 1;
  r->conn = NULL;
  r->suspended = 0;
  int fire = 0;
  if (r->dispatched && !r->upper_done && !r->aborted) {
    r->aborted = 1;
    fire = 1;
  }
  pthread_mutex_unlock(&r->mu);
  if (fire)
    tp__fire_abort(r);
  tp__req_unref(r);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
  tp__gate_notify(cls, c, socket_context, toe == MHD_CONNECTION_NOTIFY_STARTED);
}

/* ---- watchdog: disconnects and keep-alives of suspended connections ------------------------- */

static void *watchdog_main(void *arg)
{
  tp_http_server *s = arg;
  pthread_mutex_lock(&s->mu);
  while (!s->stopping) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)(s->watch_ms % 1000) * 1000000L;
    ts.tv_sec += s->watch_ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    if (s->stopping)
      break;
    tp_http_req *gone[64];
    int ngone = 0;
    int64_t now = tp__now_ms();
    for (tp_http_req *r = s->pending; r && ngone < 64; r = r->next) {
      pthread_mutex_lock(&r->mu);
      if (r->suspended && !r->aborted && r->fd >= 0) {
        struct pollfd p = {.fd = r->fd, .events = POLLRDHUP};
        if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
          r->aborted = 1;
          r->refs++;
          gone[ngone++] = r;
          tp__resume_locked(r);
        } else if (r->kind == R_STREAM && r->queued && r->sse && !r->ended &&
                   now - r->last_ms >= (int64_t)s->keepalive_ms) {
          static const char ka[] = ": keep-alive\n\n";
          (void)tp__append_out(r, ka, sizeof ka - 1);
          r->last_ms = now;
          tp__resume_locked(r);
        }
      }
      pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < ngone; i++) {
      logf_(s, 0, "client %s went away during %s %s", gone[i]->peer, gone[i]->method,
            gone[i]->path);
      tp__fire_abort(gone[i]);
      tp__req_unref(gone[i]);
    }
    pthread_mutex_lock(&s->mu);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* ---- server --------------------------------------------------------------------------------- */

static int make_listener(tp_http_server *s, const char *host, uint16_t port, char *err,
                         size_t errlen)
{
  struct addrinfo hints = {.ai_family = AF_UNSPEC,
                           .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE};
  struct addrinfo *res = NULL;
  char ps[8];
  snprintf(ps, sizeof ps, "%u", (unsigned)port);
  int g = getaddrinfo(host, ps, &hints, &res);
  if (g != 0) {
    set_err(err, errlen, "cannot resolve %s: %s", host, gai_strerror(g));
    return TP_HTTP_EINVAL;
  }
  int fd = -1, saved = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
      break;
    saved = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    set_err(err, errlen, "cannot listen on %s:%u: %s", host, (unsigned)port, strerror(saved));
    return TP_HTTP_EBIND;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
    if (ss.ss_family == AF_INET)
      s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
      s->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  }
  s->lfd = fd;
  return TP_HTTP_OK;
}

int tp_http_server_start(tp_http_server **out, const tp_http_opts *o, char *err, size_t errlen)
{
  const char *why = "";
  if (!(M = tp_mhd(&why))) {
    set_err(err, errlen, "%s", why);
    return TP_HTTP_ERROR;
  }
  if (!out || !o || !o->handler) {
    set_err(err, errlen, "no request handler");
    return TP_HTTP_EINVAL;
  }
  if (!!o->tls_cert_pem != !!o->tls_key_pem) {
    set_err(err, errlen, "TLS needs both a certificate and a key");
    return TP_HTTP_EINVAL;
  }
  tp_http_server *s = calloc(1, sizeof *s);
  if (!s)
    return TP_HTTP_ERROR;
  s->lfd = -1;
  s->max_body = o->max_body ? o->max_body : DEF_MAX_BODY;
  s->too_big_body = strdup(o->too_big_body ? o->too_big_body : "{}");
  s->keepalive_ms = o->keepalive_ms ? o->keepalive_ms : DEF_KEEPALIVE_MS;
  s->watch_ms = o->watch_ms ? o->watch_ms : DEF_WATCH_MS;
  s->handler = o->handler;
  s->payload = o->payload;
  s->log = o->log;
  s->log_payload = o->log_payload;
  s->tls = o->tls_cert_pem != NULL;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  int rc = s->too_big_body ? make_listener(s, o->host ? o->host : "127.0.0.1", o->port, err, errlen)
                           : TP_HTTP_ERROR;
  if (rc != TP_HTTP_OK) {
    tp_http_server_stop(s);
    return rc;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
  unsigned max_conn = o->max_connections ? o->max_connections : DEF_MAX_CONN;
  size_t max_header = o->max_header ? o->max_header : DEF_MAX_HEADER;
  if (s->tls)
    flags |= MHD_USE_TLS;
  unsigned threads = o->threads > 1 ? o->threads : 1;
  struct MHD_OptionItem ops[] = {
      {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_logger, s},
      /* the front door enforces max_conn; the library's own limit only backs it up */
      {MHD_OPTION_CONNECTION_LIMIT, max_conn * 2 + 16, NULL},
      {MHD_OPTION_CONNECTION_TIMEOUT, o->idle_timeout_s ? o->idle_timeout_s : DEF_IDLE_S, NULL},
      /* the requests after the first of a kept-alive connection are parsed by the library
       * alone: its strict mode (a Host in HTTP/1.1, no space before a field's colon, ...) */
      {MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL},
      /* room for a head the front door passed, with the window of body read behind it */
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(2 * (max_header + GATE_WINDOW)), NULL},
      {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
      {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s},
      {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL},
      {s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)(uintptr_t)o->tls_cert_pem},
      {s->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)(uintptr_t)o->tls_key_pem},
      {MHD_OPTION_END, 0, NULL},
  };
  /* MHD stops at the first MHD_OPTION_END: compact the array so optional items can be skipped. */
  size_t n = 0;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (ops[i].option != MHD_OPTION_END)
      ops[n++] = ops[i];
  ops[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
  s->d = M->start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, ops,
                         MHD_OPTION_END);
  if (!s->d) {
    int tls = s->tls;
    set_err(err, errlen,
            tls ? "cannot start the HTTPS listener (bad certificate or key?)"
                : "cannot start the HTTP listener");
    tp_http_server_stop(s);
    return tls ? TP_HTTP_EINVAL : TP_HTTP_ERROR;
  }
  {
    char m[120];
    snprintf(m, sizeof m, "Request body too large (limit %zu bytes)", s->max_body);
    s->too_big_msg = strdup(m);
    unsigned reserved = o->reserved ? o->reserved : DEF_RESERVED;
    tp_gate_opts go = {.max_connections = max_conn,
                       .reserved = reserved < max_conn ? reserved : max_conn - 1,
                       .per_address = o->per_address ? o->per_address : DEF_PER_ADDR,
                       .max_waiting = o->max_waiting ? o->max_waiting : DEF_MAX_WAITING,
                       .header_timeout_s = o->header_timeout_s ? o->header_timeout_s : DEF_HEADER_S,
                       .body_timeout_s = o->body_timeout_s ? o->body_timeout_s : DEF_BODY_S,
                       .lim = {.max_header = max_header,
                               .max_uri = o->max_uri ? o->max_uri : DEF_MAX_URI,
                               .max_body = s->max_body,
                               .window = GATE_WINDOW > max_header + 1024 ? GATE_WINDOW
                                                                         : max_header + 1024,
                               .too_big_msg = s->too_big_msg}};
    if (!s->too_big_msg || tp__gate_start(s, &go) != TP_HTTP_OK) {
      tp_http_server_stop(s);
      set_err(err, errlen, "cannot start the HTTP front door");
      return TP_HTTP_ERROR;
    }
  }
  if (pthread_create(&s->watchdog, NULL, watchdog_main, s) != 0) {
    tp_http_server_stop(s);
    set_err(err, errlen, "cannot start the watchdog thread");
    return TP_HTTP_ERROR;
  }
  s->watchdog_started = 1;
  logf_(s, 1, "listening on port %u%s", (unsigned)s->port, s->tls ? " (TLS)" : "");
  *out = s;
  return TP_HTTP_OK;
}

uint16_t tp_http_server_port(const tp_http_server *s)
{
  return s ? s->port : 0;
}

int tp_http_server_pending(tp_http_server *s)
{
  pthread_mutex_lock(&s->mu);
  int n = s->npending;
  pthread_mutex_unlock(&s->mu);
  return n;
}

int tp_http_server_quiesce(tp_http_server *s, long timeout_ms)
{
  struct timespec t0, now;
  int left;
  if (!s)
    return 0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    pthread_mutex_lock(&s->mu);
    left = 0;
    for (tp_http_req *r = s->pending; r; r = r->next)
      left++;
    pthread_mutex_unlock(&s->mu);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!left ||
        (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >= timeout_ms)
      return left;
    usleep(10000); /* shutdown only: completion is MHD's, which signals nothing */
  }
}

void tp_http_server_stop(tp_http_server *s)
{
  if (!s)
    return;
  pthread_mutex_lock(&s->mu);
  s->stopping = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  tp__gate_stop(s); /* no new connections; those still at the door are closed */
  if (s->watchdog_started)
    pthread_join(s->watchdog, NULL);
  if (s->d) {
    /* MHD refuses to stop with suspended connections: abort and resume every pending one, then
     * wait (bounded) until MHD has woken them all. */
    for (int round = 0; round < 200; round++) {
      tp_http_req *gone[64];
      int ngone = 0, still = 0;
      pthread_mutex_lock(&s->mu);
      for (tp_http_req *r = s->pending; r; r = r->next) {
        pthread_mutex_lock(&r->mu);
        if (r->suspended) {
          still = 1;
          if (!r->aborted && ngone < 64) {
            r->aborted = 1;
            r->refs++;
            gone[ngone++] = r;
          }
          if (r->aborted)
            tp__resume_locked(r);
        }
        pthread_mutex_unlock(&r->mu);
      }
      pthread_mutex_unlock(&s->mu);
      for (int i = 0; i < ngone; i++) {
        tp__fire_abort(gone[i]);
        tp__req_unref(gone[i]);
      }
      if (!still && round > 0)
        break;
      usleep(10000);
    }
    M->stop_daemon(s->d);
  }
  tp__gate_free(s);
  if (s->lfd >= 0)
    close(s->lfd);
  /* Requests the upper layer still holds reference the server in their terminal call: wait
   * (bounded) for them; if they never come, leak the server rather than free it under them. */
  pthread_mutex_lock(&s->mu);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 30;
  while (s->npending > 0)
    if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
      break;
  int left = s->npending;
  pthread_mutex_unlock(&s->mu);
  if (left > 0) {
    logf_(s, 3, "%d request(s) never ended by the upper layer; leaking the listener state", left);
    return;
  }
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s->too_big_body);
  free(s->too_big_msg);
  free(s);
}
