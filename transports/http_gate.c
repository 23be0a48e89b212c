/* SPDX-License-Identifier: Apache-2.0
 * transports/http_gate.c — the front door of the HTTP listener (transports/http_server.h). One
 * thread owns the listening socket: it accepts every connection itself, caps connections per
 * peer address and in total, and looks at each request with MSG_PEEK (the bytes stay in the
 * socket) until the head — and a body that fits in its window — has arrived, checking it with
 * http_head.c. It answers every refusal itself, with one status line and a JSON-RPC error body:
 * 400/414/431/501/505/413/417 for bad requests, 408 when the head or the body misses its deadline
 * (or a slow connection is evicted to admit a new one), 503 when the library's connections are
 * full. Good requests are handed to libmicrohttpd with MHD_add_connection(); anonymous ones may
 * take only the connections outside a reserve kept for GET /health and requests that carry
 * credentials. A connection kept alive for a verified caller (spec/http.md R-HTTP-060) is
 * back under the head deadline after each answer (tp__gate_rearm). Refused connections are
 * half-closed and drained briefly so that the reply is not lost to a reset. Plain HTTP only: a TLS connection is handed over at once (the door sees
 * ciphertext), under the same connection caps. */
#include "transports/http_server_int.h"
#include "transports/tp_dl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINGER_MS 2000
#define LINGER_BYTES (1u << 20) /* a refused sender may push this much more before a reset */
#define MAX_CLOSING 1024
#define ADDR_BUCKETS 1024

typedef struct gconn {
  int fd;
  int closing; /* refused: half-closed, being drained until EOF or the linger deadline */
  int64_t t0, deadline;
  int head_done;
  size_t seen, drained;
  struct sockaddr_storage addr;
  socklen_t alen;
  char peer[INET6_ADDRSTRLEN];
} gconn;

typedef struct addr_node {
  struct addr_node *next;
  unsigned n;
  char peer[INET6_ADDRSTRLEN];
} addr_node;

/* A connection handed to the library (the notify callback's socket context). */
typedef struct served {
  struct served *prev, *next; /* g->served_list */
  char peer[INET6_ADDRSTRLEN];
  int fd, anon, started, tls;
  int phase;     /* SV_* */
  int reaped;    /* a deadline passed: the library must drop the connection */
  int64_t since; /* start of the current phase */
} served;

enum { SV_HEAD = 0, SV_BODY = 1, SV_SERVING = 2 };

struct tp_gate {
  tp_http_server *s;
  tp_gate_opts o;
  pthread_t th;
  int started;
  int wake[2];
  pthread_mutex_t mu; /* addresses, served counters, by_fd (the library's thread takes it too) */
  addr_node *addrs[ADDR_BUCKETS];
  unsigned served_total, served_anon;
  served **by_fd;
  size_t nfd;
  served *served_list; /* every record from its hand-over until the library closes it */
  gconn *c;            /* at the door: waiting ones and closing ones */
  size_t nc, capc;
  char *buf; /* peek buffer (window + 1 bytes) */
};

static const tp_mhd_api *M;

static void glog(tp_gate *g, int level, const char *what, const char *peer, const char *msg)
{
  if (!g->s->log)
    return;
  char m[300];
  snprintf(m, sizeof m, "%s %s%s%s", what, peer, msg ? ": " : "", msg ? msg : "");
  g->s->log(g->s->log_payload, level, m);
}

/* ---- per-address counts (under g->mu) ---- */

static unsigned hash_peer(const char *p)
{
  unsigned h = 2166136261u;
  for (; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  return h % ADDR_BUCKETS;
}

static addr_node **addr_slot(tp_gate *g, const char *peer)
{
  addr_node **pp = &g->addrs[hash_peer(peer)];
  while (*pp && strcmp((*pp)->peer, peer) != 0)
    pp = &(*pp)->next;
  return pp;
}

static unsigned addr_count(tp_gate *g, const char *peer)
{
  addr_node **pp = addr_slot(g, peer);
  return *pp ? (*pp)->n : 0;
}

static int addr_inc(tp_gate *g, const char *peer)
{
  addr_node **pp = addr_slot(g, peer);
  if (!*pp) {
    addr_node *a = calloc(1, sizeof *a);
    if (!a)
      return -1;
    snprintf(a->peer, sizeof a->peer, "%s", peer);
    *pp = a;
  }
  (*pp)->n++;
  return 0;
}

static void addr_dec(tp_gate *g, const char *peer)
{
  addr_node **pp = addr_slot(g, peer);
  addr_node *a = *pp;
  if (!a)
    return;
  if (--a->n == 0) {
    *pp = a->next;
    free(a);
  }
}

/* ---- replies ---- */

static const char *reason(unsigned st)
{
  switch (st) {
  case 400: return "Bad Request";
  case 408: return "Request Timeout";
  case 411: return "Length Required";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 417: return "Expectation Failed";
  case 431: return "Request Header Fields Too Large";
  case 501: return "Not Implemented";
  case 503: return "Service Unavailable";
  case 505: return "HTTP Version Not Supported";
  default: return "Error";
  }
}

size_t tp__error_json(char *out, size_t cap, unsigned status, const char *msg)
{
  char esc[400];
  size_t k = 0;
  for (const char *p = msg; *p && k + 7 < sizeof esc; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') {
      esc[k++] = '\\';
      esc[k++] = (char)c;
    } else if (c < 0x20 || c >= 0x7f) {
      k += (size_t)snprintf(esc + k, sizeof esc - k, "\\u%04x", c);
    } else {
      esc[k++] = (char)c;
    }
  }
  esc[k] = 0;
  int code = status == 503 ? -32603 : -32600;
  int n = snprintf(out, cap,
                   "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,\"message\":\"%s\"}}",
                   code, esc);
  return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

static void start_closing(tp_gate *g, gconn *c)
{
  shutdown(c->fd, SHUT_WR);
  c->closing = 1;
  c->deadline = tp__now_ms() + LINGER_MS;
  (void)g;
}

/* Answers c with status and a JSON-RPC error body, then half-closes it. */
static void refuse_conn(tp_gate *g, gconn *c, unsigned status, const char *msg)
{
  char body[600], head[300];
  size_t bl;
  if (status == 413 && msg == g->o.lim.too_big_msg && g->s->too_big_body &&
      strlen(g->s->too_big_body) < sizeof body) {
    bl = strlen(g->s->too_big_body); /* the upper layer's own 413 body */
    memcpy(body, g->s->too_big_body, bl + 1);
  } else {
    bl = tp__error_json(body, sizeof body, status, msg);
  }
  int hl = snprintf(head, sizeof head,
                    "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                    "Connection: close\r\n%s\r\n",
                    status, reason(status), bl, status == 503 ? "Retry-After: 1\r\n" : "");
  char out[900];
  size_t n = 0;
  if (hl > 0 && (size_t)hl + bl < sizeof out) {
    memcpy(out, head, (size_t)hl);
    memcpy(out + hl, body, bl);
    n = (size_t)hl + bl;
  }
  if (n)
    (void)send(c->fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (status != 408 && status != 503)
    glog(g, 1, "refused a request from", c->peer, msg);
  start_closing(g, c);
}

/* ---- the door ---- */

static void close_conn(tp_gate *g, size_t i)
{
  gconn *c = &g->c[i];
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
}

/* A waiting connection leaves the door (refused or handed over): its address count drops, unless
 * it is handed over (then it moves with it). */
static void leave_waiting(tp_gate *g, gconn *c)
{
  pthread_mutex_lock(&g->mu);
  addr_dec(g, c->peer);
  pthread_mutex_unlock(&g->mu);
}

static void evict(tp_gate *g, gconn *c, const char *why)
{
  leave_waiting(g, c);
  refuse_conn(g, c, 408, why);
}

/* The oldest waiting connection (of peer, when given), or NULL. */
static gconn *oldest(tp_gate *g, const char *peer)
{
  gconn *best = NULL;
  for (size_t i = 0; i < g->nc; i++) {
    gconn *c = &g->c[i];
    if (c->fd < 0 || c->closing || (peer && strcmp(c->peer, peer) != 0))
      continue;
    if (!best || c->t0 < best->t0)
      best = c;
  }
  return best;
}

static size_t count_state(tp_gate *g, int closing)
{
  size_t n = 0;
  for (size_t i = 0; i < g->nc; i++)
    n += g->c[i].fd >= 0 && g->c[i].closing == closing;
  return n;
}

/* Unlinks and frees a record, releasing its counts. Must hold g->mu. */
static void served_free(tp_gate *g, served *sv)
{
  if (sv->prev)
    sv->prev->next = sv->next;
  else
    g->served_list = sv->next;
  if (sv->next)
    sv->next->prev = sv->prev;
  g->served_total--;
  g->served_anon -= (unsigned)sv->anon;
  addr_dec(g, sv->peer);
  free(sv);
}

int tp__gate_phase(tp_http_server *s, struct MHD_Connection *conn, int phase)
{
  tp_gate *g = s->gate;
  const union MHD_ConnectionInfo *ci = M->get_connection_info(conn,
                                                              MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  served *sv = g && ci ? ci->socket_context : NULL;
  if (!sv)
    return 0;
  pthread_mutex_lock(&g->mu);
  int reaped = sv->reaped;
  if (!reaped && phase > sv->phase) {
    sv->phase = phase;
    sv->since = tp__now_ms();
  }
  pthread_mutex_unlock(&g->mu);
  return reaped ? -1 : 0;
}

void tp__gate_rearm(tp_http_server *s, struct MHD_Connection *conn)
{
  tp_gate *g = s->gate;
  const union MHD_ConnectionInfo *ci = M->get_connection_info(conn,
                                                              MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  served *sv = g && ci ? ci->socket_context : NULL;
  if (!sv)
    return;
  pthread_mutex_lock(&g->mu);
  if (!sv->reaped) {
    sv->phase = SV_HEAD;
    sv->since = tp__now_ms();
  }
  pthread_mutex_unlock(&g->mu);
}

/* Deadlines of connections the library serves: a head (TLS) or a body that the door did not wait
 * for. A plain connection gets its 408 written here (the library is only reading then) and is
 * half-closed; the library drops it at its next callback (tp__gate_phase) or read. */
static void reap_served(tp_gate *g, int64_t now)
{
  pthread_mutex_lock(&g->mu);
  for (served *sv = g->served_list; sv; sv = sv->next) {
    if (!sv->started || sv->reaped || sv->phase == SV_SERVING)
      continue;
    int64_t limit = (int64_t)(sv->phase == SV_HEAD ? g->o.header_timeout_s : g->o.body_timeout_s) *
                    1000;
    if (now - sv->since < limit)
      continue;
    sv->reaped = 1;
    if (sv->tls || sv->phase == SV_HEAD) {
      shutdown(sv->fd, SHUT_RDWR);
      continue;
    }
    char out[700], body[400];
    size_t bl = tp__error_json(body, sizeof body, 408,
                               "Request Timeout: the request body did not arrive in time");
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     bl, body);
    if (n > 0 && (size_t)n < sizeof out)
      (void)send(sv->fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(sv->fd, SHUT_WR);
  }
  pthread_mutex_unlock(&g->mu);
}

static void handoff(tp_gate *g, gconn *c, int priority)
{
  pthread_mutex_lock(&g->mu);
  unsigned limit = g->o.max_connections;
  unsigned anon_limit = limit > g->o.reserved ? limit - g->o.reserved : 1;
  int full = g->served_total >= limit || (!priority && g->served_anon >= anon_limit);
  served *sv = NULL;
  if (!full && (size_t)c->fd < g->nfd && (sv = calloc(1, sizeof *sv))) {
    snprintf(sv->peer, sizeof sv->peer, "%s", c->peer);
    sv->anon = !priority;
    sv->fd = c->fd;
    sv->tls = g->s->tls;
    sv->since = tp__now_ms();
    sv->next = g->served_list;
    if (g->served_list)
      g->served_list->prev = sv;
    g->served_list = sv;
    g->served_total++;
    g->served_anon += (unsigned)sv->anon;
    g->by_fd[c->fd] = sv;
  }
  pthread_mutex_unlock(&g->mu);
  if (!sv) {
    leave_waiting(g, c);
    refuse_conn(g, c, 503,
                full ? "server busy: every connection is in use; retry shortly"
                     : "server busy: out of memory");
    return;
  }
  int one = 1;
  setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
  int fd = c->fd;
  c->fd = -1; /* the library owns (and closes) it now */
  if (M->add_connection(g->s->d, fd, (struct sockaddr *)&c->addr, c->alen) != MHD_YES) {
    pthread_mutex_lock(&g->mu);
    if ((size_t)fd < g->nfd && g->by_fd[fd] == sv && !sv->started) {
      g->by_fd[fd] = NULL;
      served_free(g, sv);
    }
    pthread_mutex_unlock(&g->mu);
    glog(g, 2, "the HTTP library refused a connection from", c->peer, NULL);
  }
}

void tp__gate_notify(tp_http_server *s, struct MHD_Connection *conn, void **ctx, int started)
{
  tp_gate *g = s->gate;
  if (!g)
    return;
  pthread_mutex_lock(&g->mu);
  if (started) {
    const union MHD_ConnectionInfo *ci = M->get_connection_info(conn,
                                                                MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = ci ? ci->connect_fd : -1;
    if (fd >= 0 && (size_t)fd < g->nfd && g->by_fd[fd]) {
      *ctx = g->by_fd[fd];
      g->by_fd[fd]->started = 1;
      g->by_fd[fd] = NULL;
    }
  } else if (*ctx) {
    served *sv = *ctx;
    *ctx = NULL;
    served_free(g, sv);
  }
  pthread_mutex_unlock(&g->mu);
}

/* Looks at what c has sent so far; refuses, hands over, or waits for more. */
static void examine(tp_gate *g, gconn *c, int hup)
{
  ssize_t n = recv(c->fd, g->buf, g->o.lim.window, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return;
    leave_waiting(g, c);
    close(c->fd);
    c->fd = -1;
    return;
  }
  if (n == 0 || (hup && (size_t)n == c->seen)) {
    leave_waiting(g, c);
    if (n == 0) {
      close(c->fd);
      c->fd = -1;
    } else {
      refuse_conn(g, c, 400, "Bad Request: the connection ended before the request was complete");
    }
    return;
  }
  c->seen = (size_t)n;
  tp_head h, e;
  int rc = tp__head_parse(g->buf, (size_t)n, &g->o.lim, &h);
  if (rc == TP_HEAD_REFUSED) {
    leave_waiting(g, c);
    refuse_conn(g, c, h.status, h.msg);
    return;
  }
  size_t req_len = 0;
  if (rc == TP_HEAD_OK) {
    if (!c->head_done) {
      c->head_done = 1;
      c->deadline = tp__now_ms() + (int64_t)g->o.body_timeout_s * 1000;
    }
    int priority = h.has_auth || (h.path_len == 7 && memcmp(h.path, "/health", 7) == 0 &&
                                  (!strcmp(h.method, "GET") || !strcmp(h.method, "HEAD")));
    rc = tp__body_check(g->buf, (size_t)n, &h, &g->o.lim, &req_len, &e);
    if (rc == TP_HEAD_REFUSED) {
      leave_waiting(g, c);
      refuse_conn(g, c, e.status, e.msg);
      return;
    }
    if (rc == TP_HEAD_OK) {
      handoff(g, c, priority);
      return;
    }
    if (h.expect_continue && (size_t)n == h.head_len && !h.chunked) {
      /* the client waits for 100 (Continue) before it sends the body: the library sends it
       * and reads the body (under its inactivity timeout) */
      handoff(g, c, priority);
      return;
    }
  }
  /* wait for more: poll wakes only when a byte more has arrived (or on EOF) */
  int lowat = (int)n + 1;
  setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
}

static void drain(gconn *c)
{
  char junk[16384];
  for (int i = 0; c->drained <= LINGER_BYTES; i++) {
    if (i == 64)
      return; /* more next round */
    ssize_t n = recv(c->fd, junk, sizeof junk, MSG_DONTWAIT);
    if (n > 0) {
      c->drained += (size_t)n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return;
    break;
  }
  close(c->fd); /* EOF, an error, or more than LINGER_BYTES */
  c->fd = -1;
}

static gconn *add_conn(tp_gate *g)
{
  if (g->nc == g->capc) {
    size_t cap = g->capc ? g->capc * 2 : 64;
    gconn *nc = realloc(g->c, cap * sizeof *nc);
    if (!nc)
      return NULL;
    g->c = nc;
    g->capc = cap;
  }
  gconn *c = &g->c[g->nc++];
  memset(c, 0, sizeof *c);
  c->fd = -1;
  return c;
}

static void peer_name(gconn *c)
{
  snprintf(c->peer, sizeof c->peer, "?");
  if (c->addr.ss_family == AF_INET)
    inet_ntop(AF_INET, &((struct sockaddr_in *)&c->addr)->sin_addr, c->peer, sizeof c->peer);
  else if (c->addr.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&c->addr)->sin6_addr, c->peer, sizeof c->peer);
}

/* Admits a freshly accepted connection: the per-address cap evicts that address's oldest waiting
 * connection (or refuses the new one when all of its are handed over); the waiting cap evicts the
 * oldest waiting connection of all. */
static void admit(tp_gate *g, gconn *c)
{
  c->t0 = tp__now_ms();
  c->deadline = c->t0 + (int64_t)g->o.header_timeout_s * 1000;
  peer_name(c);
  pthread_mutex_lock(&g->mu);
  int over = addr_count(g, c->peer) >= g->o.per_address;
  pthread_mutex_unlock(&g->mu);
  if (over) {
    gconn *old = oldest(g, c->peer);
    if (!old) {
      refuse_conn(g, c, 503, "server busy: too many connections from this address");
      return;
    }
    evict(g, old, "Request Timeout: too slow, evicted to admit a newer connection");
  }
  if (count_state(g, 0) > g->o.max_waiting) {
    gconn *old = oldest(g, NULL);
    if (old && old != c)
      evict(g, old, "Request Timeout: too slow, evicted to admit a newer connection");
  }
  pthread_mutex_lock(&g->mu);
  int rc = addr_inc(g, c->peer);
  pthread_mutex_unlock(&g->mu);
  if (rc != 0) {
    refuse_conn(g, c, 503, "server busy: out of memory");
    return;
  }
  if (g->s->tls)
    handoff(g, c, 1); /* ciphertext: nothing to look at */
}

static void accept_some(tp_gate *g)
{
  for (int i = 0; i < 64; i++) {
    if (count_state(g, 1) >= MAX_CLOSING) {
      gconn *o = NULL; /* too many lingering: drop the oldest */
      for (size_t k = 0; k < g->nc; k++)
        if (g->c[k].fd >= 0 && g->c[k].closing && (!o || g->c[k].deadline < o->deadline))
          o = &g->c[k];
      if (o) {
        close(o->fd);
        o->fd = -1;
      }
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(g->s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        gconn *old = oldest(g, NULL);
        if (old)
          evict(g, old, "Request Timeout: too slow, evicted (out of file descriptors)");
      }
      return;
    }
    gconn *c = add_conn(g);
    if (!c) {
      close(fd);
      return;
    }
    c->fd = fd;
    c->addr = ss;
    c->alen = sl;
    admit(g, c);
  }
}

static void expire(tp_gate *g, int64_t now)
{
  for (size_t i = 0; i < g->nc; i++) {
    gconn *c = &g->c[i];
    if (c->fd < 0 || now < c->deadline)
      continue;
    if (c->closing)
      close_conn(g, i);
    else
      evict(g, c,
            c->head_done ? "Request Timeout: the request body did not arrive in time"
                         : "Request Timeout: the request head did not arrive in time");
  }
}

static void compact(tp_gate *g)
{
  size_t k = 0;
  for (size_t i = 0; i < g->nc; i++)
    if (g->c[i].fd >= 0)
      g->c[k++] = g->c[i];
  g->nc = k;
}

static void *gate_main(void *arg)
{
  tp_gate *g = arg;
  struct pollfd *pf = NULL;
  size_t pcap = 0;
  while (!g->s->stopping) {
    size_t np = g->nc + 2;
    if (np > pcap) {
      struct pollfd *n = realloc(pf, np * 2 * sizeof *n);
      if (!n) {
        poll(NULL, 0, 100);
        continue;
      }
      pf = n;
      pcap = np * 2;
    }
    int64_t now = tp__now_ms(), next = now + 1000;
    pf[0] = (struct pollfd){.fd = g->wake[0], .events = POLLIN};
    pf[1] = (struct pollfd){.fd = g->s->lfd, .events = POLLIN};
    size_t polled = g->nc;
    for (size_t i = 0; i < polled; i++) {
      pf[i + 2] = (struct pollfd){.fd = g->c[i].fd, .events = POLLIN | POLLRDHUP};
      if (g->c[i].deadline < next)
        next = g->c[i].deadline;
    }
    int wait = next > now ? (int)(next - now) : 0;
    if (poll(pf, polled + 2, wait) < 0 && errno != EINTR)
      poll(NULL, 0, 10);
    if (g->s->stopping)
      break;
    for (size_t i = 0; i < polled; i++) {
      gconn *c = &g->c[i];
      short re = pf[i + 2].revents;
      if (c->fd < 0 || !re)
        continue;
      if (c->closing)
        drain(c);
      else
        examine(g, c, (re & (POLLRDHUP | POLLHUP | POLLERR)) != 0);
    }
    if (pf[1].revents & POLLIN)
      accept_some(g);
    expire(g, tp__now_ms());
    reap_served(g, tp__now_ms());
    compact(g);
  }
  free(pf);
  return NULL;
}

int tp__gate_start(tp_http_server *s, const tp_gate_opts *o)
{
  M = tp_mhd(NULL);
  tp_gate *g = calloc(1, sizeof *g);
  if (!g)
    return TP_HTTP_ERROR;
  g->s = s;
  g->o = *o;
  g->wake[0] = g->wake[1] = -1;
  struct rlimit rl;
  g->nfd = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
                   rl.rlim_cur < (1u << 20)
               ? (size_t)rl.rlim_cur
               : (1u << 20);
  g->by_fd = calloc(g->nfd, sizeof *g->by_fd);
  g->buf = malloc(o->lim.window + 1);
  pthread_mutex_init(&g->mu, NULL);
  if (!g->by_fd || !g->buf || pipe2(g->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    s->gate = g;
    tp__gate_stop(s);
    return TP_HTTP_ERROR;
  }
  int fl = fcntl(s->lfd, F_GETFL);
  fcntl(s->lfd, F_SETFL, fl | O_NONBLOCK);
  s->gate = g;
  if (pthread_create(&g->th, NULL, gate_main, g) != 0) {
    tp__gate_stop(s);
    return TP_HTTP_ERROR;
  }
  g->started = 1;
  return TP_HTTP_OK;
}

void tp__gate_stop(tp_http_server *s)
{
  tp_gate *g = s ? s->gate : NULL;
  if (!g)
    return;
  if (g->wake[1] >= 0) {
    (void)!write(g->wake[1], "x", 1);
    if (g->started)
      pthread_join(g->th, NULL);
    g->started = 0;
  }
  for (size_t i = 0; i < g->nc; i++)
    if (g->c[i].fd >= 0)
      close(g->c[i].fd);
  free(g->c);
  g->c = NULL;
  g->nc = 0;
  if (g->wake[0] >= 0)
    close(g->wake[0]);
  if (g->wake[1] >= 0)
    close(g->wake[1]);
  g->wake[0] = g->wake[1] = -1;
  free(g->buf);
  g->buf = NULL;
  /* the address table and served records stay until the library has closed its connections */
}

void tp__gate_free(tp_http_server *s)
{
  tp_gate *g = s ? s->gate : NULL;
  if (!g)
    return;
  for (size_t b = 0; b < ADDR_BUCKETS; b++)
    while (g->addrs[b]) {
      addr_node *a = g->addrs[b];
      g->addrs[b] = a->next;
      free(a);
    }
  while (g->served_list)
    served_free(g, g->served_list);
  free(g->by_fd);
  pthread_mutex_destroy(&g->mu);
  free(g);
  s->gate = NULL;
}
