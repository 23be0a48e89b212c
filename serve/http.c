/* SPDX-License-Identifier: Apache-2.0
 * serve/http.c — the MCP-over-HTTP glue of serve/http.h: routes (/mcp, /health, RFC 9728 metadata),
 * Host/Origin allow-lists, bearer auth and its 401/403 challenges (failed authentications are
 * recorded by serve/http_authlog.c; the modern-era header checks live in serve/http_headers.c),
 * and the bridge from transports/http_server's request objects to mcp_submit(): one long-lived stateless mcp_session per distinct caller,
 * JSON replies, SSE once a call emits a notification, HTTP status from the JSON-RPC error code,
 * and mcp_cancel() when the client disconnects; the operator console's static files at /
 * (serve/console.c). It does no JSON-RPC dispatch of its own except
 * the conformance fixtures (serve/conformance.c) in conformance mode. */
#include "serve/http.h"
#include "serve/http_int.h"

#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "serve/auth.h"
#include "config/config.h"
#include "serve/conformance.h"
#include "serve/console.h"
#include "transports/http_server.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#define MAX_SESSIONS 4096

typedef struct sess_entry {
  char *key;
  mcp_session *s;
} sess_entry;

struct mcp_http {
  mcp_server *srv;
  const json_t *config;
  struct ledger *store;
  char *motebit_id;
  char *public_base; /* scheme://authority from public_url, or NULL */
  char *public_url;
  tp_http_server *tp;
  mcp_auth *auth;
  _Atomic uint16_t port; /* set once the listener is bound; read by the listener */
  int tls, conformance, insecure, auth_required;
  int console; /* serve the operator console at / (http.console, default true) */
  char *bind_host;
  pthread_mutex_t mu; /* sessions (never taken together with authlog.mu) */
  sess_entry *sessions;
  int nsessions;
  http_authlog authlog; /* failed authentications (serve/http_authlog.c) */
};

typedef struct hreq {
  mcp_http *h;
  tp_http_req *req;
  mcp_session *sess;
  pthread_mutex_t mu;
  int refs;
  uint64_t ticket;
  int streaming, sse_ok, modern;
  char *session_id; /* new: the Mcp-Session-Id an initialize answer carries, or NULL */
} hreq;

/* ---- small helpers -------------------------------------------------------------------------- */

static const char *const JSON_CT = "application/json";

static char *error_body(const json_t *id, int code, const char *msg)
{
  json_t *e = json_pack("{s:s,s:{s:i,s:s},s:O}", "jsonrpc", "2.0", "error", "code", code, "message",
                        msg, "id", id ? id : json_null());
  char *s = e ? seal_json_dumps(e, JSON_COMPACT) : NULL;
  json_decref(e);
  return s;
}

void http_reply_error(tp_http_req *r, unsigned status, const json_t *id, int code, const char *msg,
                      const char *const *headers)
{
  char *b = error_body(id, code, msg);
  tp_http_reply(r, status, JSON_CT, headers, b ? b : "{}", b ? strlen(b) : 2);
  free(b);
}

static void reply_json(tp_http_req *r, unsigned status, json_t *v /* stolen */)
{
  char *s = v ? seal_json_dumps(v, JSON_COMPACT) : NULL;
  json_decref(v);
  tp_http_reply(r, status, JSON_CT, NULL, s ? s : "{}", s ? strlen(s) : 2);
  free(s);
}

static int is_loopback_name(const char *h)
{
  return !strcasecmp(h, "localhost") || !strcmp(h, "127.0.0.1") || !strcmp(h, "[::1]") ||
         !strcmp(h, "::1");
}

/* Splits "name[:port]" / "[v6][:port]" into name (with brackets for v6) and port (-1 = none). */
static int split_hostport(const char *hp, char *name, size_t cap, long *port)
{
  *port = -1;
  const char *colon;
  if (hp[0] == '[') {
    const char *rb = strchr(hp, ']');
    if (!rb)
      return -1;
    colon = rb[1] == ':' ? rb + 1 : NULL;
    if (rb[1] && rb[1] != ':')
      return -1;
  } else {
    colon = strchr(hp, ':');
    if (colon && strchr(colon + 1, ':'))
      return -1;
  }
  size_t n = colon ? (size_t)(colon - hp) : strlen(hp);
  if (n == 0 || n >= cap)
    return -1;
  memcpy(name, hp, n);
  name[n] = 0;
  if (colon) {
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || p < 0 || p > 65535)
      return -1;
    *port = p;
  }
  return 0;
}

/* Host (or Origin authority) allowed? */
static int host_allowed(const mcp_http *h, const char *hostport)
{
  char name[256];
  long port;
  if (!hostport || split_hostport(hostport, name, sizeof name, &port) != 0)
    return 0;
  long def = h->tls ? 443 : 80;
  int port_ok = port == h->port || (port < 0 && h->port == def);
  if (port_ok && is_loopback_name(name))
    return 1;
  if (port_ok && h->bind_host && strcasecmp(name, h->bind_host) == 0 &&
      strcmp(h->bind_host, "0.0.0.0") && strcmp(h->bind_host, "::"))
    return 1;
  const json_t *list = mcp_config_get(h->config, "http.allowed_hosts");
  size_t i;
  json_t *v;
  json_array_foreach((json_t *)list, i, v) {
    const char *e = json_string_value(v);
    char en[256];
    long ep;
    if (!e || split_hostport(e, en, sizeof en, &ep) != 0)
      continue;
    if (strcasecmp(en, name) != 0)
      continue;
    if (ep >= 0 ? ep == (port < 0 ? def : port) : port_ok)
      return 1;
  }
  return 0;
}

static int origin_allowed(const mcp_http *h, const char *origin)
{
  if (!origin)
    return 1;
  const json_t *list = mcp_config_get(h->config, "http.allowed_origins");
  size_t i;
  json_t *v;
  json_array_foreach((json_t *)list, i, v) {
    if (json_is_string(v) && strcasecmp(json_string_value(v), origin) == 0)
      return 1;
  }
  const char *p;
  if (!strncasecmp(origin, "http://", 7))
    p = origin + 7;
  else if (!strncasecmp(origin, "https://", 8))
    p = origin + 8;
  else
    return 0;
  char hp[300];
  size_t n = strcspn(p, "/");
  if (n == 0 || n >= sizeof hp || p[n])
    return 0; /* an Origin is scheme://authority only */
  memcpy(hp, p, n);
  hp[n] = 0;
  /* The Origin's port defaults to its own scheme's. */
  if (!strchr(hp[0] == '[' ? strchr(hp, ']') ? strchr(hp, ']') : hp : hp, ':')) {
    size_t l = strlen(hp);
    snprintf(hp + l, sizeof hp - l, ":%d", !strncasecmp(origin, "https", 5) ? 443 : 80);
  }
  return host_allowed(h, hp);
}

/* scheme://authority for the metadata URLs of this request. */
static void base_url(const mcp_http *h, tp_http_req *r, char *out, size_t cap)
{
  if (h->public_base) {
    snprintf(out, cap, "%s", h->public_base);
    return;
  }
  const char *host = tp_http_req_header(r, "Host");
  if (host && host_allowed(h, host) && !strpbrk(host, "\"\\ \r\n"))
    snprintf(out, cap, "%s://%s", h->tls ? "https" : "http", host);
  else
    snprintf(out, cap, "%s://127.0.0.1:%u", h->tls ? "https" : "http", (unsigned)h->port);
}

/* ---- sessions per caller -------------------------------------------------------------------- */

static mcp_session *session_for(mcp_http *h, const mcp_auth_result *ar)
{
  char key[200];
  snprintf(key, sizeof key, "%d|%s", (int)ar->trust, ar->caller_id);
  mcp_session *s = NULL;
  pthread_mutex_lock(&h->mu);
  for (int i = 0; i < h->nsessions; i++)
    if (strcmp(h->sessions[i].key, key) == 0) {
      s = h->sessions[i].s;
      break;
    }
  if (!s && h->nsessions < MAX_SESSIONS) {
    mcp_session_opts so = {.caller = {.id = ar->caller_id, .trust = ar->trust, .scope = NULL},
                           .stateless = 1,
                           .no_wait = 1};
    sess_entry *ns = realloc(h->sessions, (size_t)(h->nsessions + 1) * sizeof *ns);
    if (ns) {
      h->sessions = ns;
      char *k = strdup(key);
      if (k && mcp_session_new(&s, h->srv, &so) == MCP_OK) {
        ns[h->nsessions].key = k;
        ns[h->nsessions].s = s;
        h->nsessions++;
      } else {
        free(k);
        s = NULL;
      }
    }
  }
  pthread_mutex_unlock(&h->mu);
  return s;
}

/* ---- the bridge ----------------------------------------------------------------------------- */

static void hreq_unref(hreq *x)
{
  pthread_mutex_lock(&x->mu);
  int left = --x->refs;
  pthread_mutex_unlock(&x->mu);
  if (left)
    return;
  pthread_mutex_destroy(&x->mu);
  free(x->session_id);
  free(x);
}

static unsigned status_for(const char *msg, size_t len, int modern)
{
  if (!strstr(msg, "\"error\""))
    return 200;
  json_t *v = json_loadb(msg, len, 0, NULL);
  json_t *e = json_object_get(v, "error");
  unsigned st = 200;
  if (json_is_object(e)) {
    json_int_t code = json_integer_value(json_object_get(e, "code"));
    const char *m = json_string_value(json_object_get(e, "message"));
    switch (code) {
    case -32700:
    case -32600:
    case -32020:
    case -32021:
    case -32022: st = 400; break;
    case -32601: st = modern ? 404 : 200; break;
    case -32602:
      st = (m && (strstr(m, "_meta") || strstr(m, "protocolVersion"))) ? 400 : 200;
      break;
    case -32603: st = 500; break;
    default: st = 200;
    }
  }
  json_decref(v);
  return st;
}

static void write_event(hreq *x, const char *msg, size_t len)
{
  static const char pre[] = "event: message\ndata: ";
  size_t n = sizeof pre - 1 + len + 2;
  char *b = malloc(n);
  if (!b)
    return;
  memcpy(b, pre, sizeof pre - 1);
  memcpy(b + sizeof pre - 1, msg, len);
  memcpy(b + n - 2, "\n\n", 2);
  (void)tp_http_stream_write(x->req, b, n);
  free(b);
}

static void drop_final(const char *msg, size_t len, unsigned flags, void *payload)
{
  (void)msg;
  (void)len;
  (void)flags;
  (void)payload;
}

/* A server request (msg) that cannot reach a client without an SSE stream: answered at once, on
 * the client's behalf, with an error, so that the waiting call goes on (pending approval). */
static void answer_unreachable(hreq *x, const char *msg, size_t len)
{
  json_t *req = json_loadb(msg, len, 0, NULL);
  json_t *resp = json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id",
                           json_object_get(req, "id") ? json_object_get(req, "id") : json_null(),
                           "error", "code", MCP_JSONRPC_INTERNAL_ERROR, "message",
                           "the client cannot receive server requests (Accept has no "
                           "text/event-stream)");
  char *t = resp ? seal_json_dumps(resp, JSON_COMPACT) : NULL;
  if (t && x->sess)
    (void)mcp_submit(x->sess, t, strlen(t), drop_final, NULL, NULL);
  free(t);
  json_decref(resp);
  json_decref(req);
}

static void on_emit(const char *msg, size_t len, unsigned flags, void *payload)
{
  hreq *x = payload;
  if (flags & MCP_EMIT_FINAL) {
    if (x->streaming) {
      if (msg)
        write_event(x, msg, len);
      tp_http_stream_end(x->req);
    } else if (!msg) {
      tp_http_reply(x->req, 202, NULL, NULL, NULL, 0);
    } else {
      const char *const sh[] = {"Mcp-Session-Id", x->session_id, NULL};
      tp_http_reply(x->req, status_for(msg, len, x->modern), JSON_CT, x->session_id ? sh : NULL,
                    msg, len);
    }
    hreq_unref(x);
    return;
  }
  if (msg && !x->sse_ok && (flags & MCP_EMIT_REQUEST)) {
    answer_unreachable(x, msg, len);
    return;
  }
  if (!msg || !x->sse_ok)
    return; /* the client cannot receive a stream: notifications are dropped */
  if (!x->streaming) {
    static const char *const hdrs[] = {"Cache-Control", "no-cache", "X-Accel-Buffering", "no",
                                       NULL};
    if (tp_http_stream_begin(x->req, 200, "text/event-stream", hdrs) != TP_HTTP_OK)
      return;
    x->streaming = 1;
  }
  write_event(x, msg, len);
}

static void on_abort(tp_http_req *r, void *payload)
{
  hreq *x = payload;
  (void)r;
  pthread_mutex_lock(&x->mu);
  uint64_t t = x->ticket;
  pthread_mutex_unlock(&x->mu);
  if (t && x->sess)
    mcp_cancel(x->sess, t);
}

static void handle_mcp_post(mcp_http *h, tp_http_req *r, const mcp_auth_result *ar)
{
  const char *ct = tp_http_req_header(r, "Content-Type");
  if (!ct || !http_has_token(ct, "application/json")) {
    http_reply_error(r, 415, NULL, MCP_JSONRPC_INVALID_REQUEST,
                     "Unsupported Media Type: Content-Type must be application/json", NULL);
    return;
  }
  const char *accept = tp_http_req_header(r, "Accept");
  int any = !accept || http_has_token(accept, "*/*");
  int sse_ok = any || http_has_token(accept, "text/event-stream");
  int json_ok = any || http_has_token(accept, "application/json") ||
                http_has_token(accept, "application/*");
  if (!sse_ok && !json_ok) {
    http_reply_error(r, 406, NULL, MCP_JSONRPC_INVALID_REQUEST,
                     "Not Acceptable: Accept must include application/json and text/event-stream",
                     NULL);
    return;
  }
  size_t len;
  const char *body = tp_http_req_body(r, &len);
  json_t *root = json_loadb(body, len, 0, NULL);
  int modern = 0;
  if (json_is_object(root) && http_check_headers(r, root, &modern) != 0) {
    json_decref(root);
    return;
  }
  const char *meth = json_string_value(json_object_get(root, "method"));
  if (json_is_object(root) && json_object_get(root, "id") && meth && !strcmp(meth, "tools/call")) {
    const char *tool = json_string_value(json_object_get(json_object_get(root, "params"), "name"));
    json_t *schema = tool && h->conformance ? mcp_conformance_tool_schema(tool) : NULL;
    if (tool && !schema)
      schema = json_incref((json_t *)mcp_server_tool_schema(h->srv, tool));
    int bad = http_check_param_headers(r, root, schema);
    json_decref(schema);
    if (bad) {
      json_decref(root);
      return;
    }
  }
  /* legacy sessions (spec/http.md): an id is a sealed token bound to the caller, checked on
   * every request that carries one; nothing is kept per session (a restart ends them all) */
  const char *sid = tp_http_req_header(r, "Mcp-Session-Id");
  if (!modern && sid) {
    json_t *st = mcp_state_open(h->srv, ar->caller_id, "http-session", sid);
    if (!st) {
      json_decref(root);
      http_reply_error(r, 404, NULL, MCP_JSONRPC_INVALID_REQUEST,
                       "Not Found: unknown or expired Mcp-Session-Id; initialize again", NULL);
      return;
    }
    json_decref(st);
  }
  hreq *x = calloc(1, sizeof *x);
  if (!x) {
    json_decref(root);
    http_reply_error(r, 500, NULL, MCP_JSONRPC_INTERNAL_ERROR, "out of memory", NULL);
    return;
  }
  if (!modern && json_object_get(root, "id") &&
      !strcmp(json_string_value(json_object_get(root, "method"))
                  ? json_string_value(json_object_get(root, "method"))
                  : "",
              "initialize")) {
    json_t *st = json_pack("{s:i}", "v", 1);
    x->session_id = st ? mcp_state_seal_ttl(h->srv, ar->caller_id, "http-session", st,
                                            24LL * 3600 * 1000)
                       : NULL;
    json_decref(st);
  }
  pthread_mutex_init(&x->mu, NULL);
  x->h = h;
  x->req = r;
  x->refs = 2;
  x->sse_ok = sse_ok;
  x->modern = modern;
  x->sess = session_for(h, ar);
  if (h->conformance && x->sess && json_is_object(root) && json_object_get(root, "id") &&
      json_object_get(root, "method")) {
    mcp_conformance_ctx cx = {.srv = h->srv, .sess = x->sess, .caller = ar->caller_id};
    if (mcp_conformance_handle(root, modern, &cx, on_emit, x)) {
      json_decref(root);
      hreq_unref(x);
      return;
    }
  }
  json_decref(root);
  if (!x->sess) {
    pthread_mutex_destroy(&x->mu);
    free(x->session_id);
    free(x);
    http_reply_error(r, 503, NULL, MCP_JSONRPC_INTERNAL_ERROR, "too many distinct callers", NULL);
    return;
  }
  tp_http_req_on_abort(r, on_abort, x);
  uint64_t ticket = 0;
  int rc = mcp_submit(x->sess, body, len, on_emit, x, &ticket);
  if (rc != MCP_OK) {
    static const char *const retry[] = {"Retry-After", "1", NULL};
    tp_http_req_on_abort(r, NULL, NULL);
    if (rc == MCP_EBUSY)
      http_reply_error(r, 503, NULL, MCP_JSONRPC_INTERNAL_ERROR,
                       "server busy: the in-flight window is full; retry shortly", retry);
    else
      http_reply_error(r, 503, NULL, MCP_JSONRPC_INTERNAL_ERROR, "server shutting down", NULL);
    hreq_unref(x);
    hreq_unref(x);
    return;
  }
  pthread_mutex_lock(&x->mu);
  x->ticket = ticket;
  pthread_mutex_unlock(&x->mu);
  hreq_unref(x);
}

static void on_request(tp_http_req *r, void *payload)
{
  mcp_http *h = payload;
  const char *path = tp_http_req_path(r);
  const char *method = tp_http_req_method(r);
  const char *host = tp_http_req_header(r, "Host");
  const char *origin = tp_http_req_header(r, "Origin");
  if (!host_allowed(h, host) || !origin_allowed(h, origin)) {
    mcp_log(MCP_LOG_WARNING, "http: 403 for %s: Host %.80s / Origin %.80s not allowed",
            tp_http_req_peer(r), host ? host : "(none)", origin ? origin : "(none)");
    http_reply_error(r, 403, NULL, MCP_JSONRPC_INVALID_REQUEST,
                     "Forbidden: Host or Origin not allowed", NULL);
    return;
  }
  if (!h->auth_required && !h->insecure && !tp_http_req_peer_is_loopback(r)) {
    http_reply_error(r, 403, NULL, MCP_JSONRPC_INVALID_REQUEST,
                     "Forbidden: no credentials configured; loopback only", NULL);
    return;
  }
  if (h->console && console_is_path(path)) {
    console_serve(r, path, method);
    return;
  }
  int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
  static const char *const allow_get[] = {"Allow", "GET", NULL};
  if (!strcmp(path, "/health")) {
    if (!is_get) {
      http_reply_error(r, 405, NULL, MCP_JSONRPC_INVALID_REQUEST, "Method Not Allowed", allow_get);
      return;
    }
    ledger_health lh = {.ok = 1};
    if (h->store)
      ledger_health_get(h->store, &lh);
    if (!lh.ok) { /* the Store cannot commit: no call can be recorded (spec/store.md) */
      reply_json(r, 503,
                 json_pack("{s:s,s:s,s:s,s:I,s:I,s:s}", "status", "unavailable", "reason",
                           lh.reason, "message", lh.message, "free_bytes",
                           (json_int_t)lh.free_bytes, "min_free_bytes",
                           (json_int_t)lh.min_free_bytes, "motebit_id",
                           h->motebit_id ? h->motebit_id : ""));
      return;
    }
    reply_json(r, 200,
               json_pack("{s:s,s:s}", "status", "ok", "motebit_id",
                         h->motebit_id ? h->motebit_id : ""));
    return;
  }
  char base[400];
  base_url(h, r, base, sizeof base);
  if (!strcmp(path, "/.well-known/oauth-protected-resource") ||
      !strcmp(path, "/.well-known/oauth-protected-resource/mcp")) {
    if (!is_get) {
      http_reply_error(r, 405, NULL, MCP_JSONRPC_INVALID_REQUEST, "Method Not Allowed", allow_get);
      return;
    }
    char res[460];
    if (h->public_url)
      snprintf(res, sizeof res, "%s", h->public_url);
    else
      snprintf(res, sizeof res, "%s/mcp", base);
    reply_json(r, 200,
               json_pack("{s:s,s:[s],s:s,s:[s,s]}", "resource", res, "bearer_methods_supported",
                         "header", "resource_name", "workledger", "scopes_supported", "mcp",
                         "task:submit"));
    return;
  }
  if (strcmp(path, "/mcp") != 0) {
    http_reply_error(r, 404, NULL, MCP_JSONRPC_INVALID_REQUEST,
                     "Not Found: the MCP endpoint is /mcp", NULL);
    return;
  }
  mcp_auth_result ar;
  int arc = mcp_auth_check(h->auth, tp_http_req_header(r, "Authorization"),
                           tp_http_req_header(r, "Motebit-Public-Key"), 0, &ar);
  if (arc != MCP_AUTH_OK) {
    char chal[700];
    unsigned st = arc == MCP_AUTH_EFORBIDDEN ? 403 : 401;
    if (arc == MCP_AUTH_EFORBIDDEN)
      snprintf(
          chal, sizeof chal,
          "Bearer error=\"insufficient_scope\", scope=\"mcp\", resource_metadata=\"%s/.well-known/oauth-protected-resource/mcp\"",
          base);
    else if (arc == MCP_AUTH_EINVALID)
      snprintf(
          chal, sizeof chal,
          "Bearer error=\"invalid_token\", resource_metadata=\"%s/.well-known/oauth-protected-resource/mcp\"",
          base);
    else
      snprintf(chal, sizeof chal,
               "Bearer resource_metadata=\"%s/.well-known/oauth-protected-resource/mcp\"", base);
    const char *hdrs[] = {"WWW-Authenticate", chal, NULL};
    http_authlog_record(&h->authlog, tp_http_req_peer(r), tp_http_req_path(r), &ar, st);
    char m[260];
    snprintf(m, sizeof m, "%s: %s", st == 401 ? "Unauthorized" : "Forbidden", ar.reason);
    http_reply_error(r, st, NULL, -32001, m, hdrs);
    return;
  }
  if (strcmp(ar.method, "none") != 0)
    tp_http_req_keep_alive(r); /* a verified credential: its connection may stay open */
  if (strcmp(method, "POST") != 0) {
    static const char *const allow_post[] = {"Allow", "POST", NULL};
    http_reply_error(r, 405, NULL, MCP_JSONRPC_INVALID_REQUEST,
                     "Method Not Allowed: this server is stateless; only POST is served",
                     allow_post);
    return;
  }
  handle_mcp_post(h, r, &ar);
}

static void tp_log(void *payload, int level, const char *msg)
{
  (void)payload;
  mcp_log(level <= 0   ? MCP_LOG_DEBUG
          : level == 1 ? MCP_LOG_INFO
          : level == 2 ? MCP_LOG_WARNING
                       : MCP_LOG_ERROR,
          "http: %s", msg);
}

static int host_is_loopback(const char *host)
{
  return !strcmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "::1") ||
         !strcmp(host, "[::1]");
}

int mcp_http_start(mcp_http **out, const mcp_http_opts *o, char *err, size_t errlen)
{
  if (!out || !o || !o->server) {
    if (err && errlen)
      snprintf(err, errlen, "no MCP server");
    return MCP_EINVAL;
  }
  const char *host = o->host ? o->host : "127.0.0.1";
  mcp_http *h = calloc(1, sizeof *h);
  if (!h)
    return MCP_ERROR;
  pthread_mutex_init(&h->mu, NULL);
  h->srv = o->server;
  h->config = o->config;
  h->store = o->store;
  h->tls = o->tls_cert_pem != NULL;
  h->conformance = o->conformance;
  h->insecure = o->insecure_no_auth;
  h->console = mcp_config_bool(o->config, "http.console", 1);
  h->motebit_id = o->motebit_id ? strdup(o->motebit_id) : NULL;
  http_authlog_init(&h->authlog, h->store, h->motebit_id);
  h->bind_host = strdup(host);
  if (o->public_url) {
    h->public_url = strdup(o->public_url);
    const char *p = strstr(o->public_url, "://");
    size_t n = p ? (size_t)(p + 3 - o->public_url) + strcspn(p + 3, "/") : strlen(o->public_url);
    h->public_base = strndup(o->public_url, n);
  }
  if (mcp_auth_new(&h->auth, o->config, o->env_token) != MCP_OK) {
    mcp_http_stop(h);
    return MCP_ERROR;
  }
  h->auth_required = mcp_auth_required(h->auth);
  if (!host_is_loopback(host)) {
    if (o->conformance) {
      if (err && errlen)
        snprintf(err, errlen, "--conformance serves loopback addresses only");
      mcp_http_stop(h);
      return MCP_EINVAL;
    }
    if (!h->auth_required && !o->insecure_no_auth) {
      if (err && errlen)
        snprintf(err, errlen,
                 "refusing to serve %s without authentication: configure http.tokens, "
                 "WORKLEDGER_TOKEN or known callers, or pass --insecure-no-auth",
                 host);
      mcp_http_stop(h);
      return MCP_EINVAL;
    }
  }
  size_t max_body = o->max_body ? o->max_body
                                : (size_t)mcp_config_int(o->config, "http.max_body_bytes", 4 << 20);
  char *too_big = NULL;
  {
    char m[120];
    snprintf(m, sizeof m, "Request body too large (limit %zu bytes)", max_body);
    too_big = error_body(NULL, MCP_JSONRPC_INVALID_REQUEST, m);
  }
  tp_http_opts to = {
      .host = host,
      .port = o->port,
      .max_body = max_body,
      .too_big_body = too_big,
      .max_connections = o->max_connections,
      .reserved = (unsigned)mcp_config_int(o->config, "http.reserved_connections", 0),
      .per_address = (unsigned)mcp_config_int(o->config, "http.max_connections_per_address", 0),
      .header_timeout_s = (unsigned)mcp_config_int(o->config, "http.header_timeout_s", 0),
      .body_timeout_s = (unsigned)mcp_config_int(o->config, "http.body_timeout_s", 0),
      .idle_timeout_s = o->idle_timeout_s,
      .threads = o->threads,
      .tls_cert_pem = o->tls_cert_pem,
      .tls_key_pem = o->tls_key_pem,
      .handler = on_request,
      .payload = h,
      .log = tp_log};
  h->port = o->port; /* known now unless it is 0 (ephemeral): requests may arrive at once */
  int rc = tp_http_server_start(&h->tp, &to, err, errlen);
  free(too_big);
  if (rc != TP_HTTP_OK) {
    mcp_http_stop(h);
    return rc == TP_HTTP_ERROR ? MCP_ERROR : rc == TP_HTTP_EINVAL ? MCP_EINVAL : MCP_ERROR;
  }
  h->port = tp_http_server_port(h->tp);
  mcp_log(MCP_LOG_INFO, "http: serving MCP at %s://%s%s%s:%u/mcp (%s%s)", h->tls ? "https" : "http",
          strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", (unsigned)h->port,
          h->auth_required ? "bearer auth" : "no auth: callers are unknown",
          h->conformance ? ", conformance fixtures" : "");
  *out = h;
  return MCP_OK;
}

uint16_t mcp_http_port(const mcp_http *h)
{
  return h ? h->port : 0;
}

uint64_t mcp_http_auth_failures(mcp_http *h)
{
  return http_authlog_count(&h->authlog);
}

int mcp_http_quiesce(mcp_http *h, long timeout_ms)
{
  return h ? tp_http_server_quiesce(h->tp, timeout_ms) : 0;
}

void mcp_http_stop(mcp_http *h)
{
  if (!h)
    return;
  tp_http_server_stop(h->tp); /* cancels pending calls through their abort callbacks */
  for (int i = 0; i < h->nsessions; i++) {
    mcp_session_free(h->sessions[i].s); /* waits for in-flight calls to deliver FINAL */
    free(h->sessions[i].key);
  }
  free(h->sessions);
  http_authlog_close(&h->authlog);
  mcp_auth_free(h->auth);
  pthread_mutex_destroy(&h->mu);
  free(h->motebit_id);
  free(h->bind_host);
  free(h->public_url);
  free(h->public_base);
  free(h);
}
