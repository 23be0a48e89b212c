/* SPDX-License-Identifier: Apache-2.0
 * client/client.c — the MCP client of client/client.h: era negotiation (server/discover probe and the
 * legacy initialize handshake with its fallback rules), request building (ids, _meta, the
 * per-era headers, progress tokens), authentication headers (static bearer or motebit signed
 * tokens minted with crypto/artifacts.h and refreshed before expiry), the reply parser and error
 * classification (shared with the fuzz target through client/client_int.h), re-initialization after
 * a lost legacy session, and best-effort notifications/cancelled. HTTP itself is
 * transports/http_client.h; this file never touches a socket or stdout. */
#include "client/client.h"
#include "client/client_int.h"

#include "crypto/artifacts.h"
#include "transports/http_client.h"
#include "transports/sse.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef WL_VERSION
#define WL_VERSION "0"
#endif

#define MODERN "2026-07-28"
#define LEGACY_LATEST "2025-11-25"
#define SESSION_HEADER "Mcp-Session-Id"
#define MAX_SESSION_ID 512
#define MAX_NAME 256
#define CANCEL_TIMEOUT_MS 2000L
#define TOKEN_REFRESH_MS 60000L

static const char *const LEGACY_VERSIONS[] = {"2025-11-25", "2025-06-18", "2025-03-26", NULL};

struct mcp_client {
  char *url, *bearer, *mid, *did, *aud, *ca_file, *name, *version;
  const seal_key *key;
  mcp_client_era era;
  long connect_ms, timeout_ms, ttl_ms;
  size_t max_response;
  int insecure_tls, send_pk;
  atomic_llong next_id;
  pthread_mutex_t connect_mu; /* serializes negotiation */
  pthread_mutex_t mu;         /* guards everything below */
  int connected, modern;
  char proto[16];
  char *session; /* legacy Mcp-Session-Id, or NULL */
  json_t *info;  /* discover/initialize result */
  char *token;   /* current motebit token */
  int64_t token_exp;
};

/* ---- small helpers -------------------------------------------------------------------------- */

static void fail(mcp_client_err *err, int code, long status, int rpc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void fail(mcp_client_err *err, int code, long status, int rpc, const char *fmt, ...)
{
  if (!err)
    return;
  err->code = code;
  err->http_status = status;
  err->rpc_code = rpc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  for (char *p = err->msg; *p; p++) /* one line, printable */
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = ' ';
}

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *xstrdup(const char *s)
{
  return s ? strdup(s) : NULL;
}

/* Copies at most cap-1 bytes of s, replacing control characters, for messages. */
static void clip(char *out, size_t cap, const char *s)
{
  size_t i = 0;
  for (; s && s[i] && i + 1 < cap; i++)
    out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
  out[i] = 0;
}

static int is_legacy_version(const char *v)
{
  for (int i = 0; v && LEGACY_VERSIONS[i]; i++)
    if (!strcmp(v, LEGACY_VERSIONS[i]))
      return 1;
  return 0;
}

const char *mcp_client_strerror(int rc)
{
  switch (rc) {
  case MCP_CLIENT_OK: return "ok";
  case MCP_CLIENT_ERROR: return "internal error";
  case MCP_CLIENT_EINVAL: return "invalid argument";
  case MCP_CLIENT_EUNREACHABLE: return "unreachable";
  case MCP_CLIENT_ETIMEOUT: return "timeout";
  case MCP_CLIENT_ETOOBIG: return "response too large";
  case MCP_CLIENT_ECANCELLED: return "cancelled";
  case MCP_CLIENT_EAUTH: return "unauthorized";
  case MCP_CLIENT_EFORBIDDEN: return "forbidden";
  case MCP_CLIENT_ENOTFOUND: return "not found";
  case MCP_CLIENT_EHTTP: return "HTTP error";
  case MCP_CLIENT_EPROTOCOL: return "protocol error";
  case MCP_CLIENT_ERPC: return "JSON-RPC error";
  case MCP_CLIENT_ETOOL: return "tool error";
  default: return "unknown error";
  }
}

/* ---- the reply parser (client_int.h) -------------------------------------------------------- */

void mcp_client__rx_free(mcp_client__rx *rx)
{
  if (!rx)
    return;
  json_decref(rx->response);
  rx->response = NULL;
}

static void rx_bad(mcp_client__rx *rx, const char *why)
{
  if (!rx->bad)
    snprintf(rx->why, sizeof rx->why, "%s", why);
  rx->bad = 1;
}

static int id_matches(const json_t *id, json_int_t want)
{
  return json_is_integer(id) && json_integer_value(id) == want;
}

int mcp_client__rx_message(mcp_client__rx *rx, const char *data, size_t len)
{
  if (rx->response)
    return 1;
  rx->messages++;
  json_t *m = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(m)) {
    rx_bad(rx, "an event's data is not a JSON object");
    json_decref(m);
    return 0;
  }
  const char *jv = json_string_value(json_object_get(m, "jsonrpc"));
  if (!jv || strcmp(jv, "2.0")) {
    rx_bad(rx, "an event is not JSON-RPC 2.0");
    json_decref(m);
    return 0;
  }
  const json_t *method = json_object_get(m, "method");
  const json_t *id = json_object_get(m, "id");
  if (json_is_string(method)) {
    if (!id) { /* a notification related to our request */
      const mcp_client_call_opts *co = rx->co;
      if (co && co->on_notification)
        co->on_notification(m, co->payload);
      const json_t *p = json_object_get(m, "params");
      if (co && co->on_progress && rx->progress_token &&
          !strcmp(json_string_value(method), "notifications/progress") &&
          json_equal(json_object_get(p, "progressToken"), (json_t *)rx->progress_token) &&
          json_is_number(json_object_get(p, "progress"))) {
        const json_t *tot = json_object_get(p, "total");
        co->on_progress(json_number_value(json_object_get(p, "progress")),
                        json_is_number(tot) ? json_number_value(tot) : 0,
                        json_string_value(json_object_get(p, "message")), co->payload);
      }
    }
    /* a server->client request (ping, elicitation...) on the stream: not answered (the modern
     * era forbids them; a legacy server treats the missing answer as a timeout on its side) */
    json_decref(m);
    return 0;
  }
  if (id_matches(id, rx->id) && (json_object_get(m, "result") || json_object_get(m, "error"))) {
    rx->response = m;
    return 1;
  }
  rx_bad(rx, "the stream carried a response for another request id");
  json_decref(m);
  return 0;
}

static int on_sse_event(const char *event, const char *data, size_t len, void *payload)
{
  (void)event; /* MCP uses the default "message" event; the data decides */
  return mcp_client__rx_message(payload, data, len);
}

int mcp_client__rx_sse_body(mcp_client__rx *rx, const char *body, size_t len, size_t max_event)
{
  tp_sse p;
  tp_sse_init(&p, max_event, on_sse_event, rx);
  int rc = tp_sse_feed(&p, body, len);
  if (rc == 0)
    rc = tp_sse_feed(&p, "\n\n", 2); /* a server that ends without the blank line */
  tp_sse_free(&p);
  if (rc < 0) {
    rx_bad(rx, rc == TP_SSE_ETOOBIG ? "an event exceeded the size limit" : "out of memory");
    return -1;
  }
  return 0;
}

/* The JSON-RPC error object of a body, if it is one: code and message (clipped). */
static int body_error(const char *body, size_t len, int *code, char *msg, size_t cap)
{
  json_t *v = body && len ? json_loadb(body, len, 0, NULL) : NULL;
  const json_t *e = json_object_get(v, "error");
  int ok = json_is_object(e) && json_is_integer(json_object_get(e, "code"));
  if (ok) {
    *code = (int)json_integer_value(json_object_get(e, "code"));
    clip(msg, cap, json_string_value(json_object_get(e, "message")));
  }
  json_decref(v);
  return ok;
}

/* error="..." of a WWW-Authenticate challenge, for the 401 message. */
static void auth_error_param(char *out, size_t cap, const char *wa)
{
  out[0] = 0;
  const char *p = wa ? strstr(wa, "error=\"") : NULL;
  if (!p)
    return;
  p += 7;
  size_t n = strcspn(p, "\"");
  if (n >= cap)
    n = cap - 1;
  memcpy(out, p, n);
  out[n] = 0;
  clip(out, cap, out);
}

static int starts_ci(const char *s, const char *prefix)
{
  return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int mcp_client__rx_finish(mcp_client__rx *rx, long status, const char *ct, const char *wa,
                          const char *body, size_t len, const char *what, json_t **result_out,
                          mcp_client_err *err)
{
  *result_out = NULL;
  int code = 0;
  char m[200] = "";
  if (status < 200 || status > 299) {
    int has = body_error(body, len, &code, m, sizeof m);
    if (status == 401) {
      char e[64];
      auth_error_param(e, sizeof e, wa);
      fail(err, MCP_CLIENT_EAUTH, status, has ? code : 0, "%s: HTTP 401 unauthorized%s%s%s%s%s",
           what, e[0] ? " (" : "", e, e[0] ? ")" : "", m[0] ? ": " : "", m);
      return MCP_CLIENT_EAUTH;
    }
    if (status == 403) {
      fail(err, MCP_CLIENT_EFORBIDDEN, status, has ? code : 0, "%s: HTTP 403 forbidden%s%s", what,
           m[0] ? ": " : "", m);
      return MCP_CLIENT_EFORBIDDEN;
    }
    if (status == 404 && !(has && code == -32601)) {
      fail(err, MCP_CLIENT_ENOTFOUND, status, has ? code : 0, "%s: HTTP 404 not found%s%s", what,
           m[0] ? ": " : "", m);
      return MCP_CLIENT_ENOTFOUND;
    }
    if (has && status >= 400 && status < 500 && status != 413) {
      fail(err, MCP_CLIENT_ERPC, status, code, "%s: JSON-RPC error %d (HTTP %ld): %s", what, code,
           status, m);
      return MCP_CLIENT_ERPC;
    }
    if (status == 0) {
      fail(err, MCP_CLIENT_EPROTOCOL, 0, 0, "%s: no HTTP status", what);
      return MCP_CLIENT_EPROTOCOL;
    }
    fail(err, MCP_CLIENT_EHTTP, status, has ? code : 0, "%s: HTTP %ld%s%s%s", what, status,
         status == 413   ? " request too large for the server"
         : status >= 500 ? " server error"
                         : "",
         m[0] ? ": " : "", m);
    return MCP_CLIENT_EHTTP;
  }
  json_t *msg = NULL;
  if (starts_ci(ct, "text/event-stream")) {
    if (!rx->response) {
      if (rx->bad)
        fail(err, MCP_CLIENT_EPROTOCOL, status, 0, "%s: malformed event stream: %s", what, rx->why);
      else
        fail(err, MCP_CLIENT_EPROTOCOL, status, 0, "%s: the event stream ended without a response",
             what);
      return MCP_CLIENT_EPROTOCOL;
    }
    msg = json_incref(rx->response);
  } else if (starts_ci(ct, "application/json")) {
    json_error_t je;
    msg = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!msg) {
      char t[100];
      clip(t, sizeof t, je.text);
      fail(err, MCP_CLIENT_EPROTOCOL, status, 0, "%s: malformed JSON reply: %s", what, t);
      return MCP_CLIENT_EPROTOCOL;
    }
  } else {
    char t[80];
    clip(t, sizeof t, ct ? ct : "(none)");
    fail(err, MCP_CLIENT_EPROTOCOL, status, 0, "%s: HTTP %ld with unexpected content type %s", what,
         status, t);
    return MCP_CLIENT_EPROTOCOL;
  }
  int rc = MCP_CLIENT_EPROTOCOL;
  const char *jv = json_string_value(json_object_get(msg, "jsonrpc"));
  const json_t *res = json_object_get(msg, "result"), *e = json_object_get(msg, "error");
  if (!json_is_object(msg) || !jv || strcmp(jv, "2.0")) {
    fail(err, rc, status, 0, "%s: the reply is not a JSON-RPC 2.0 message", what);
  } else if (e) {
    if (json_is_object(e) && json_is_integer(json_object_get(e, "code"))) {
      code = (int)json_integer_value(json_object_get(e, "code"));
      clip(m, sizeof m, json_string_value(json_object_get(e, "message")));
      rc = MCP_CLIENT_ERPC;
      fail(err, rc, status, code, "%s: JSON-RPC error %d: %s", what, code,
           m[0] ? m : "(no message)");
    } else {
      fail(err, rc, status, 0, "%s: malformed JSON-RPC error object", what);
    }
  } else if (!id_matches(json_object_get(msg, "id"), rx->id)) {
    fail(err, rc, status, 0, "%s: the reply's id does not match the request's", what);
  } else if (!json_is_object(res)) {
    fail(err, rc, status, 0, "%s: the reply has no result object", what);
  } else {
    const char *rt = json_string_value(json_object_get(res, "resultType"));
    if (rt && !strcmp(rt, "input_required")) {
      fail(
          err, rc, status, 0,
          "%s: the server asks for client input (input_required), which this client does not support",
          what);
    } else {
      *result_out = json_incref((json_t *)res);
      rc = MCP_CLIENT_OK;
    }
  }
  json_decref(msg);
  return rc;
}

/* ---- construction --------------------------------------------------------------------------- */

int mcp_client_new(mcp_client **out, const mcp_client_opts *o, mcp_client_err *err)
{
  if (!out || !o || !o->url) {
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "no peer URL");
    return MCP_CLIENT_EINVAL;
  }
  if (strncasecmp(o->url, "http://", 7) && strncasecmp(o->url, "https://", 8)) {
    char u[120];
    clip(u, sizeof u, o->url);
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "%s: the URL must start with http:// or https://", u);
    return MCP_CLIENT_EINVAL;
  }
  if (strpbrk(o->url, " \t\r\n")) {
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "the URL contains white space");
    return MCP_CLIENT_EINVAL;
  }
  if (o->bearer && o->motebit_key) {
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "a static token and a motebit key are exclusive");
    return MCP_CLIENT_EINVAL;
  }
  if (o->motebit_key && (!o->motebit_id || !*o->motebit_id)) {
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "a motebit token needs the caller's motebit_id");
    return MCP_CLIENT_EINVAL;
  }
  if (o->bearer && (!*o->bearer || strpbrk(o->bearer, "\r\n"))) {
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "the bearer token is empty or contains a line break");
    return MCP_CLIENT_EINVAL;
  }
  if (o->era != MCP_CLIENT_ERA_AUTO && o->era != MCP_CLIENT_ERA_LEGACY &&
      o->era != MCP_CLIENT_ERA_MODERN) {
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "unknown era %d", (int)o->era);
    return MCP_CLIENT_EINVAL;
  }
  mcp_client *c = calloc(1, sizeof *c);
  if (!c)
    goto oom;
  pthread_mutex_init(&c->mu, NULL);
  pthread_mutex_init(&c->connect_mu, NULL);
  atomic_init(&c->next_id, 1);
  c->era = o->era;
  c->key = o->motebit_key;
  c->url = strdup(o->url);
  c->bearer = seal_secret_dup(o->bearer); /* sodium_malloc memory, wiped when freed */
  c->mid = xstrdup(o->motebit_id);
  c->did = strdup(o->device_id ? o->device_id : "workledger");
  c->aud = strdup(o->audience ? o->audience : "task:submit");
  c->ca_file = xstrdup(o->ca_file);
  c->name = strdup(o->client_name ? o->client_name : "workledger");
  c->version = strdup(o->client_version ? o->client_version : WL_VERSION);
  c->connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : MCP_CLIENT_DEFAULT_CONNECT_MS;
  c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : MCP_CLIENT_DEFAULT_TIMEOUT_MS;
  c->ttl_ms = o->token_ttl_ms > 0 ? o->token_ttl_ms : MCP_CLIENT_DEFAULT_TOKEN_TTL_MS;
  c->max_response = o->max_response ? o->max_response : MCP_CLIENT_DEFAULT_MAX_RESPONSE;
  c->insecure_tls = o->insecure_tls;
  c->send_pk = o->send_public_key && o->motebit_key;
  if (!c->url || !c->did || !c->aud || !c->name || !c->version || (o->bearer && !c->bearer) ||
      (o->motebit_id && !c->mid) || (o->ca_file && !c->ca_file)) {
    mcp_client_free(c);
    goto oom;
  }
  *out = c;
  return MCP_CLIENT_OK;
oom:
  fail(err, MCP_CLIENT_ERROR, 0, 0, "out of memory");
  return MCP_CLIENT_ERROR;
}

const char *mcp_client_protocol_version(const mcp_client *c)
{
  return c && c->connected ? c->proto : NULL;
}

int mcp_client_is_modern(const mcp_client *c)
{
  return c && c->connected && c->modern;
}

const json_t *mcp_client_server_info(const mcp_client *c)
{
  return c && c->connected ? c->info : NULL;
}

/* ---- one HTTP exchange ---------------------------------------------------------------------- */

typedef struct xchg {
  mcp_client__rx rx;
  const mcp_client_call_opts *co;
} xchg;

static int on_event(const char *event, const char *data, size_t len, void *payload)
{
  xchg *x = payload;
  (void)event;
  return mcp_client__rx_message(&x->rx, data, len);
}

static int should_abort(void *payload)
{
  xchg *x = payload;
  return x->co && x->co->cancelled && x->co->cancelled(x->co->payload);
}

/* "Name: value" into a fresh string. */
static char *hdr(const char *name, const char *value)
{
  size_t n = strlen(name) + strlen(value) + 3;
  char *s = malloc(n);
  if (s)
    snprintf(s, n, "%s: %s", name, value);
  return s;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A header value: as is when it is visible ASCII, else "=?base64?...?=" (2026-07-28). */
static char *header_safe(const char *v)
{
  int plain = *v != 0;
  for (const char *p = v; *p; p++)
    if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
      plain = 0;
  if (plain)
    return strdup(v);
  size_t n = strlen(v), o = 0;
  char *s = malloc(9 + (n + 2) / 3 * 4 + 3);
  if (!s)
    return NULL;
  memcpy(s, "=?base64?", 9);
  o = 9;
  for (size_t i = 0; i < n; i += 3) {
    unsigned a = (unsigned char)v[i], b = i + 1 < n ? (unsigned char)v[i + 1] : 0,
             cc = i + 2 < n ? (unsigned char)v[i + 2] : 0;
    unsigned t = a << 16 | b << 8 | cc;
    s[o++] = B64[t >> 18 & 63];
    s[o++] = B64[t >> 12 & 63];
    s[o++] = i + 1 < n ? B64[t >> 6 & 63] : '=';
    s[o++] = i + 2 < n ? B64[t & 63] : '=';
  }
  memcpy(s + o, "?=", 3);
  return s;
}

/* The Authorization header line (minting or refreshing a motebit token): a transient copy,
 * one per request, so plain heap; the caller wipes it (seal_wipe) before free. */
static char *auth_header(const char *scheme_prefix, const char *secret)
{
  size_t n = strlen("Authorization: Bearer ") + strlen(scheme_prefix) + strlen(secret);
  char *s = malloc(n + 1);
  if (s)
    snprintf(s, n + 1, "Authorization: Bearer %s%s", scheme_prefix, secret);
  return s;
}

static char *auth_value(mcp_client *c, mcp_client_err *err)
{
  if (c->bearer)
    return auth_header("", c->bearer);
  if (!c->key)
    return NULL;
  pthread_mutex_lock(&c->mu);
  int64_t now = now_ms();
  if (!c->token ||
      now >= c->token_exp - (c->ttl_ms > 2 * TOKEN_REFRESH_MS ? TOKEN_REFRESH_MS : c->ttl_ms / 2)) {
    char *tok = NULL;
    seal_err se;
    memset(&se, 0, sizeof se);
    if (seal_token_mint(&tok, c->key, c->mid, c->did, now, now + c->ttl_ms, NULL, c->aud, &se) !=
        SEAL_OK) {
      pthread_mutex_unlock(&c->mu);
      fail(err, MCP_CLIENT_ERROR, 0, 0, "cannot mint a motebit token: %s", se.msg);
      return NULL;
    }
    if (c->token)
      seal_wipe(c->token, strlen(c->token));
    free(c->token);
    c->token = tok;
    c->token_exp = now + c->ttl_ms;
  }
  char *s = auth_header("motebit:", c->token);
  pthread_mutex_unlock(&c->mu);
  return s;
}

enum { F_INIT = 1, F_NOTIFY = 2, F_DELETE = 4 };

typedef struct post_in {
  const char *method; /* for headers and messages */
  const char *name;   /* Mcp-Name (modern) or NULL */
  const char *body;   /* NULL for DELETE */
  size_t len;
  json_int_t id; /* 0 for notifications */
  const json_t *progress_token;
  const mcp_client_call_opts *co;
  long timeout_ms;
  unsigned flags;
  int modern;          /* which headers to send */
  const char *proto;   /* MCP-Protocol-Version value or NULL */
  const char *session; /* Mcp-Session-Id or NULL */
} post_in;

/* Performs one exchange. On OK `*result_out` is the result (requests) or NULL (notifications,
 * DELETE). For F_INIT `*session_out` receives the captured session id (malloc'd) or NULL. */
static int post(mcp_client *c, const post_in *in, json_t **result_out, char **session_out,
                mcp_client_err *err)
{
  char *h[10] = {0};
  int nh = 0, rc = MCP_CLIENT_ERROR;
  *result_out = NULL;
  if (session_out)
    *session_out = NULL;
  mcp_client_err aerr = {0};
  char *auth = auth_value(c, &aerr);
  if (!auth && (c->bearer || c->key)) {
    if (!aerr.code)
      fail(&aerr, MCP_CLIENT_ERROR, 0, 0, "out of memory");
    if (err)
      *err = aerr;
    return MCP_CLIENT_ERROR;
  }
  if (in->body) {
    h[nh++] = strdup("Content-Type: application/json");
    h[nh++] = strdup("Accept: application/json, text/event-stream");
  }
  int auth_slot = -1;
  if (auth) {
    auth_slot = nh;
    h[nh++] = auth; /* already the whole header line; wiped at out: */
  }
  if (c->send_pk)
    h[nh++] = hdr("Motebit-Public-Key", seal_key_pk_hex(c->key));
  if (in->proto)
    h[nh++] = hdr("MCP-Protocol-Version", in->proto);
  if (in->session)
    h[nh++] = hdr(SESSION_HEADER, in->session);
  if (in->modern && in->body) {
    char *mv = header_safe(in->method);
    h[nh++] = mv ? hdr("Mcp-Method", mv) : NULL;
    free(mv);
    if (in->name) {
      char *nv = header_safe(in->name);
      h[nh++] = nv ? hdr("Mcp-Name", nv) : NULL;
      free(nv);
    }
  }
  for (int i = 0; i < nh; i++)
    if (!h[i]) {
      fail(err, MCP_CLIENT_ERROR, 0, 0, "out of memory");
      goto out;
    }
  xchg x = {.rx = {.id = in->id, .progress_token = in->progress_token, .co = in->co}, .co = in->co};
  tp_httpc_opts to = {.timeout_ms = in->timeout_ms > 0 ? in->timeout_ms : c->timeout_ms,
                      .connect_timeout_ms = c->connect_ms,
                      .max_response = c->max_response,
                      .ca_file = c->ca_file,
                      .insecure_tls = c->insecure_tls,
                      .on_event = in->id ? on_event : NULL,
                      .should_abort = in->co && in->co->cancelled ? should_abort : NULL,
                      .payload = &x,
                      .capture_header = (in->flags & F_INIT) ? SESSION_HEADER : NULL};
  tp_httpc_response r;
  char terr[300] = "";
  int trc = tp_httpc_request(&r, in->body ? "POST" : "DELETE", c->url, (const char *const *)h,
                             in->body, in->len, &to, terr, sizeof terr);
  char what[80];
  snprintf(what, sizeof what, "%s", in->method);
  switch (trc) {
  case TP_HTTPC_OK:
  case TP_HTTPC_EABORTED: /* on_event stopped the stream: the response is in */
    if (in->flags & (F_NOTIFY | F_DELETE)) {
      if (r.status >= 200 && r.status <= 299)
        rc = MCP_CLIENT_OK;
      else
        rc = mcp_client__rx_finish(&x.rx, r.status, r.content_type, r.www_authenticate, r.body,
                                   r.len, what, result_out, err);
      json_decref(*result_out);
      *result_out = NULL;
    } else {
      rc = mcp_client__rx_finish(&x.rx, r.status, r.content_type, r.www_authenticate, r.body, r.len,
                                 what, result_out, err);
    }
    if (rc == MCP_CLIENT_OK && session_out && r.captured && r.captured[0]) {
      size_t sl = strlen(r.captured);
      int okid = sl <= MAX_SESSION_ID;
      for (size_t i = 0; i < sl; i++)
        if ((unsigned char)r.captured[i] < 0x21 || (unsigned char)r.captured[i] > 0x7e)
          okid = 0;
      if (!okid) {
        json_decref(*result_out);
        *result_out = NULL;
        fail(err, MCP_CLIENT_EPROTOCOL, r.status, 0,
             "%s: the server's Mcp-Session-Id is not visible ASCII of at most %d bytes", what,
             MAX_SESSION_ID);
        rc = MCP_CLIENT_EPROTOCOL;
      } else {
        *session_out = r.captured;
        r.captured = NULL;
      }
    }
    break;
  case TP_HTTPC_ETOOBIG:
    fail(err, MCP_CLIENT_ETOOBIG, r.status, 0,
         "%s: the response exceeded %zu bytes and was cut off", what, c->max_response);
    rc = MCP_CLIENT_ETOOBIG;
    break;
  case TP_HTTPC_ECANCELLED:
    fail(err, MCP_CLIENT_ECANCELLED, r.status, 0, "%s: cancelled", what);
    rc = MCP_CLIENT_ECANCELLED;
    break;
  case TP_HTTPC_ETIMEOUT:
    fail(err, MCP_CLIENT_ETIMEOUT, 0, 0, "%s: no complete response within %ld ms (%s)", what,
         to.timeout_ms, terr);
    rc = MCP_CLIENT_ETIMEOUT;
    break;
  case TP_HTTPC_ECONNECT:
    fail(err, MCP_CLIENT_EUNREACHABLE, 0, 0, "%s: unreachable: %s", what, terr);
    rc = MCP_CLIENT_EUNREACHABLE;
    break;
  case TP_HTTPC_EINVAL:
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "%s: %s", what, terr);
    rc = MCP_CLIENT_EINVAL;
    break;
  default:
    fail(err, MCP_CLIENT_ERROR, 0, 0, "%s: %s", what, terr[0] ? terr : "HTTP client failure");
    rc = MCP_CLIENT_ERROR;
  }
  if (trc == TP_HTTPC_OK || trc == TP_HTTPC_EABORTED || trc == TP_HTTPC_ETOOBIG ||
      trc == TP_HTTPC_ECANCELLED)
    tp_httpc_response_free(&r);
  mcp_client__rx_free(&x.rx);
out:
  for (int i = 0; i < nh; i++) {
    if (i == auth_slot && h[i])
      seal_wipe(h[i], strlen(h[i]));
    free(h[i]);
  }
  return rc;
}

/* Builds {"jsonrpc":"2.0",["id":id,]"method":m,"params":{...,_meta}} as compact text. */
static char *build(mcp_client *c, const char *method, json_int_t id, const json_t *params,
                   int modern, const json_t *progress_token, const json_t *extra_meta, size_t *len)
{
  json_t *p = params ? json_deep_copy(params) : json_object();
  json_t *meta = json_object_get(p, "_meta");
  if (meta && !json_is_object(meta)) {
    json_decref(p);
    return NULL;
  }
  if (!meta) {
    meta = json_object();
    json_object_set_new(p, "_meta", meta);
  }
  if (extra_meta)
    json_object_update(meta, (json_t *)extra_meta);
  if (progress_token)
    json_object_set(meta, "progressToken", (json_t *)progress_token);
  if (modern) {
    json_object_set_new(meta, "io.modelcontextprotocol/protocolVersion", json_string(MODERN));
    if (!json_object_get(meta, "io.modelcontextprotocol/clientCapabilities"))
      json_object_set_new(meta, "io.modelcontextprotocol/clientCapabilities", json_object());
    json_object_set_new(meta, "io.modelcontextprotocol/clientInfo",
                        json_pack("{s:s,s:s}", "name", c->name, "version", c->version));
  }
  if (json_object_size(meta) == 0)
    json_object_del(p, "_meta");
  json_t *m = json_pack("{s:s,s:s,s:o}", "jsonrpc", "2.0", "method", method, "params", p);
  if (m && id)
    json_object_set_new(m, "id", json_integer(id));
  char *s = m ? json_dumps(m, JSON_COMPACT) : NULL;
  json_decref(m);
  if (s)
    *len = strlen(s);
  return s;
}

/* ---- negotiation ---------------------------------------------------------------------------- */

static int exchange(mcp_client *c, const char *method, const char *name, const json_t *params,
                    int modern, const char *proto, const char *session, unsigned flags,
                    const mcp_client_call_opts *co, json_t **result_out, char **session_out,
                    json_int_t *id_out, mcp_client_err *err)
{
  json_int_t id = (flags & F_NOTIFY) ? 0 : (json_int_t)atomic_fetch_add(&c->next_id, 1);
  if (id_out)
    *id_out = id;
  json_t *ptok = NULL;
  if (co && co->on_progress && id) {
    char t[40];
    snprintf(t, sizeof t, "wlc-%lld", (long long)id);
    ptok = json_string(t);
  }
  size_t len = 0;
  char *body = build(c, method, id, params, modern, ptok, co ? co->meta : NULL, &len);
  if (!body) {
    json_decref(ptok);
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "%s: params._meta must be an object", method);
    return MCP_CLIENT_EINVAL;
  }
  post_in in = {.method = method,
                .name = name,
                .body = body,
                .len = len,
                .id = id,
                .progress_token = ptok,
                .co = co,
                .timeout_ms = co ? co->timeout_ms : 0,
                .flags = flags,
                .modern = modern,
                .proto = proto,
                .session = session};
  int rc = post(c, &in, result_out, session_out, err);
  free(body);
  json_decref(ptok);
  return rc;
}

/* Is a failed discover probe a reason to try initialize (reference/mcp.md §2.3)? */
static int falls_back(int rc, const mcp_client_err *e)
{
  if (rc == MCP_CLIENT_EHTTP || rc == MCP_CLIENT_ENOTFOUND || rc == MCP_CLIENT_EPROTOCOL)
    return 1;
  if (rc == MCP_CLIENT_ERPC) /* recognized modern errors mean the server is modern: no fallback */
    return e->rpc_code != -32020 && e->rpc_code != -32021;
  return 0;
}

static int has_string(const json_t *arr, const char *s)
{
  size_t i;
  const json_t *v;
  json_array_foreach(arr, i, v)
    if (json_is_string(v) && !strcmp(json_string_value(v), s))
      return 1;
  return 0;
}

static int negotiate(mcp_client *c, mcp_client_err *err)
{
  json_t *res = NULL;
  int rc;
  mcp_client_err perr = {0};
  if (c->era != MCP_CLIENT_ERA_LEGACY) {
    rc = exchange(c, "server/discover", NULL, NULL, 1, MODERN, NULL, 0, NULL, &res, NULL, NULL,
                  &perr);
    if (rc == MCP_CLIENT_OK && has_string(json_object_get(res, "supportedVersions"), MODERN)) {
      pthread_mutex_lock(&c->mu);
      json_decref(c->info);
      c->info = res;
      c->modern = 1;
      snprintf(c->proto, sizeof c->proto, "%s", MODERN);
      free(c->session);
      c->session = NULL;
      c->connected = 1;
      pthread_mutex_unlock(&c->mu);
      return MCP_CLIENT_OK;
    }
    json_decref(res);
    res = NULL;
    if (c->era == MCP_CLIENT_ERA_MODERN) {
      if (rc == MCP_CLIENT_OK)
        fail(&perr, MCP_CLIENT_EPROTOCOL, 200, 0,
             "server/discover: the server does not list " MODERN);
      if (err)
        *err = perr;
      return perr.code;
    }
    if (rc != MCP_CLIENT_OK && !falls_back(rc, &perr)) {
      if (err)
        *err = perr;
      return rc;
    }
  }
  char *sid = NULL;
  json_t *params = json_pack("{s:s,s:{},s:{s:s,s:s}}", "protocolVersion", LEGACY_LATEST,
                             "capabilities", "clientInfo", "name", c->name, "version", c->version);
  if (!params) {
    fail(err, MCP_CLIENT_ERROR, 0, 0, "out of memory");
    return MCP_CLIENT_ERROR;
  }
  rc = exchange(c, "initialize", NULL, params, 0, NULL, NULL, F_INIT, NULL, &res, &sid, NULL, err);
  json_decref(params);
  if (rc != MCP_CLIENT_OK)
    return rc;
  const char *pv = json_string_value(json_object_get(res, "protocolVersion"));
  if (!is_legacy_version(pv)) {
    char v[40];
    clip(v, sizeof v, pv ? pv : "(none)");
    fail(
        err, MCP_CLIENT_EPROTOCOL, 200, 0,
        "initialize: the server chose protocol version %s; this client speaks 2025-11-25, 2025-06-18, 2025-03-26 and " MODERN,
        v);
    json_decref(res);
    free(sid);
    return MCP_CLIENT_EPROTOCOL;
  }
  json_t *none = NULL;
  rc = exchange(c, "notifications/initialized", NULL, NULL, 0, pv, sid, F_NOTIFY, NULL, &none, NULL,
                NULL, err);
  if (rc != MCP_CLIENT_OK) {
    json_decref(res);
    free(sid);
    return rc;
  }
  pthread_mutex_lock(&c->mu);
  snprintf(c->proto, sizeof c->proto, "%s", pv);
  json_decref(c->info);
  c->info = res;
  free(c->session);
  c->session = sid;
  c->modern = 0;
  c->connected = 1;
  pthread_mutex_unlock(&c->mu);
  return MCP_CLIENT_OK;
}

int mcp_client_connect(mcp_client *c, mcp_client_err *err)
{
  if (!c) {
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "no client");
    return MCP_CLIENT_EINVAL;
  }
  pthread_mutex_lock(&c->connect_mu);
  pthread_mutex_lock(&c->mu);
  int done = c->connected;
  pthread_mutex_unlock(&c->mu);
  int rc = done ? MCP_CLIENT_OK : negotiate(c, err);
  pthread_mutex_unlock(&c->connect_mu);
  return rc;
}

/* ---- requests ------------------------------------------------------------------------------- */

static void send_cancelled(mcp_client *c, json_int_t id, const char *proto, const char *session)
{
  json_t *p = json_pack("{s:I,s:s}", "requestId", (json_int_t)id, "reason",
                        "cancelled by the caller");
  mcp_client_call_opts co = {.timeout_ms = CANCEL_TIMEOUT_MS};
  json_t *none = NULL;
  if (p)
    (void)exchange(c, "notifications/cancelled", NULL, p, 0, proto, session, F_NOTIFY, &co, &none,
                   NULL, NULL, NULL);
  json_decref(p);
}

int mcp_client_request(mcp_client *c, const char *method, const json_t *params,
                       const mcp_client_call_opts *co, json_t **result_out, mcp_client_err *err)
{
  if (result_out)
    *result_out = NULL;
  if (!c || !method || !*method || !result_out || (params && !json_is_object(params))) {
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "%s: params must be an object", method ? method : "request");
    return MCP_CLIENT_EINVAL;
  }
  const char *name = NULL;
  if (!strcmp(method, "tools/call") || !strcmp(method, "prompts/get"))
    name = json_string_value(json_object_get(params, "name"));
  else if (!strcmp(method, "resources/read"))
    name = json_string_value(json_object_get(params, "uri"));
  for (int attempt = 0;; attempt++) {
    int rc = mcp_client_connect(c, err);
    if (rc != MCP_CLIENT_OK)
      return rc;
    pthread_mutex_lock(&c->mu);
    int modern = c->modern;
    char proto[16];
    snprintf(proto, sizeof proto, "%s", c->proto);
    char *session = xstrdup(c->session);
    pthread_mutex_unlock(&c->mu);
    json_int_t id = 0;
    rc = exchange(c, method, name, params, modern, proto, session, 0, co, result_out, NULL, &id,
                  err);
    if (rc == MCP_CLIENT_ECANCELLED && !modern)
      send_cancelled(c, id, proto, session);
    if (rc == MCP_CLIENT_ENOTFOUND && session && attempt == 0) {
      /* the server lost our session (restart, expiry): initialize again, retry once */
      pthread_mutex_lock(&c->mu);
      if (c->session && !strcmp(c->session, session))
        c->connected = 0;
      pthread_mutex_unlock(&c->mu);
      free(session);
      continue;
    }
    free(session);
    return rc;
  }
}

int mcp_client_call_tool(mcp_client *c, const char *name, const json_t *arguments,
                         const mcp_client_call_opts *co, json_t **result_out, mcp_client_err *err)
{
  if (result_out)
    *result_out = NULL;
  size_t nl = name ? strlen(name) : 0;
  if (!nl || nl > MAX_NAME || (arguments && !json_is_object(arguments))) {
    fail(err, MCP_CLIENT_EINVAL, 0, 0,
         !nl || nl > MAX_NAME ? "the tool name must be 1..%d bytes"
                              : "tool arguments must be a JSON object",
         MAX_NAME);
    return MCP_CLIENT_EINVAL;
  }
  json_t *p = json_pack("{s:s,s:o}", "name", name, "arguments",
                        arguments ? json_incref((json_t *)arguments) : json_object());
  if (!p) {
    fail(err, MCP_CLIENT_ERROR, 0, 0, "out of memory");
    return MCP_CLIENT_ERROR;
  }
  int rc = mcp_client_request(c, "tools/call", p, co, result_out, err);
  json_decref(p);
  if (rc != MCP_CLIENT_OK)
    return rc;
  if (json_is_true(json_object_get(*result_out, "isError"))) {
    const json_t *content = json_object_get(*result_out, "content");
    const char *text = NULL;
    size_t i;
    const json_t *b;
    json_array_foreach(content, i, b) {
      const char *t = json_string_value(json_object_get(b, "type"));
      if (t && !strcmp(t, "text") && json_is_string(json_object_get(b, "text"))) {
        text = json_string_value(json_object_get(b, "text"));
        break;
      }
    }
    char m[200];
    clip(m, sizeof m, text ? text : "(no text)");
    fail(err, MCP_CLIENT_ETOOL, 200, 0, "%s: tool error: %s", name, m);
    return MCP_CLIENT_ETOOL;
  }
  if (!json_is_array(json_object_get(*result_out, "content"))) {
    json_decref(*result_out);
    *result_out = NULL;
    fail(err, MCP_CLIENT_EPROTOCOL, 200, 0, "%s: the tool result has no content array", name);
    return MCP_CLIENT_EPROTOCOL;
  }
  return MCP_CLIENT_OK;
}

int mcp_client_list_tools(mcp_client *c, const mcp_client_call_opts *co, json_t **tools_out,
                          mcp_client_err *err)
{
  if (tools_out)
    *tools_out = NULL;
  if (!c || !tools_out) {
    fail(err, MCP_CLIENT_EINVAL, 0, 0, "no client");
    return MCP_CLIENT_EINVAL;
  }
  json_t *all = json_array();
  char *cursor = NULL;
  int rc = MCP_CLIENT_OK;
  for (int page = 0;; page++) {
    if (page >= MCP_CLIENT_MAX_PAGES) {
      fail(err, MCP_CLIENT_EPROTOCOL, 200, 0, "tools/list: more than %d pages",
           MCP_CLIENT_MAX_PAGES);
      rc = MCP_CLIENT_EPROTOCOL;
      break;
    }
    json_t *p = cursor ? json_pack("{s:s}", "cursor", cursor) : json_object();
    json_t *res = NULL;
    rc = mcp_client_request(c, "tools/list", p, co, &res, err);
    json_decref(p);
    if (rc != MCP_CLIENT_OK)
      break;
    const json_t *tools = json_object_get(res, "tools");
    if (!json_is_array(tools)) {
      json_decref(res);
      fail(err, MCP_CLIENT_EPROTOCOL, 200, 0, "tools/list: the result has no tools array");
      rc = MCP_CLIENT_EPROTOCOL;
      break;
    }
    json_array_extend(all, (json_t *)tools);
    const char *next = json_string_value(json_object_get(res, "nextCursor"));
    free(cursor);
    cursor = next && *next ? strdup(next) : NULL;
    json_decref(res);
    if (!cursor)
      break;
  }
  free(cursor);
  if (rc != MCP_CLIENT_OK) {
    json_decref(all);
    return rc;
  }
  *tools_out = all;
  return MCP_CLIENT_OK;
}

void mcp_client_free(mcp_client *c)
{
  if (!c)
    return;
  if (c->connected && !c->modern && c->session) {
    post_in in = {.method = "DELETE session",
                  .timeout_ms = CANCEL_TIMEOUT_MS,
                  .flags = F_DELETE,
                  .proto = c->proto,
                  .session = c->session};
    json_t *none = NULL;
    (void)post(c, &in, &none, NULL, NULL);
  }
  json_decref(c->info);
  free(c->session);
  if (c->token)
    seal_wipe(c->token, strlen(c->token));
  free(c->token);
  free(c->url);
  seal_secret_free(c->bearer);
  free(c->mid);
  free(c->did);
  free(c->aud);
  free(c->ca_file);
  free(c->name);
  free(c->version);
  pthread_mutex_destroy(&c->mu);
  pthread_mutex_destroy(&c->connect_mu);
  free(c);
}
