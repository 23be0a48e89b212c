/* SPDX-License-Identifier: Apache-2.0
 * client/client.c — the MCP client of client/client.h: era negotiation (server/discover probe and
 * the legacy initialize handshake with its fallback rules), request building (ids, _meta, the
 * per-era headers, progress tokens; their wire form is client/wire.c), authentication headers
 * (static bearer or motebit signed tokens minted with crypto/artifacts.h and refreshed before
 * expiry), one HTTP exchange, re-initialization after a lost legacy session, and best-effort
 * notifications/cancelled. The reply parser and error classification are client/reply.c
 * (client/client_int.h). HTTP itself is transports/http_client.h; this file never touches a
 * socket or stdout. */
#include "client/client.h"
#include "client/client_int.h"

#include "crypto/artifacts.h"
#include "transports/http_client.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef WL_VERSION
#define WL_VERSION "0"
#endif

#define MODERN MCP_CLIENT__MODERN
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

static int is_legacy_version(const char *v)
{
  for (int i = 0; v && LEGACY_VERSIONS[i]; i++)
    if (!strcmp(v, LEGACY_VERSIONS[i]))
      return 1;
  return 0;
}

/* ---- construction --------------------------------------------------------------------------- */

int mcp_client_new(mcp_client **out, const mcp_client_opts *o, mcp_client_err *err)
{
  if (!out || !o || !o->url) {
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "no peer URL");
    return MCP_CLIENT_EINVAL;
  }
  if (strncasecmp(o->url, "http://", 7) && strncasecmp(o->url, "https://", 8)) {
    char u[120];
    mcp_client__clip(u, sizeof u, o->url);
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0,
                     "%s: the URL must start with http:// or https://", u);
    return MCP_CLIENT_EINVAL;
  }
  if (strpbrk(o->url, " \t\r\n")) {
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "the URL contains white space");
    return MCP_CLIENT_EINVAL;
  }
  if (o->bearer && o->motebit_key) {
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0,
                     "a static token and a motebit key are exclusive");
    return MCP_CLIENT_EINVAL;
  }
  if (o->motebit_key && (!o->motebit_id || !*o->motebit_id)) {
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "a motebit token needs the caller's motebit_id");
    return MCP_CLIENT_EINVAL;
  }
  if (o->bearer && (!*o->bearer || strpbrk(o->bearer, "\r\n"))) {
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0,
                     "the bearer token is empty or contains a line break");
    return MCP_CLIENT_EINVAL;
  }
  if (o->era != MCP_CLIENT_ERA_AUTO && o->era != MCP_CLIENT_ERA_LEGACY &&
      o->era != MCP_CLIENT_ERA_MODERN) {
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "unknown era %d", (int)o->era);
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
  mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "out of memory");
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
      mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "cannot mint a motebit token: %s", se.msg);
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

/* The request's header lines into h[] (room for 10). *nh counts the lines set, also on failure
 * (the caller frees them); *auth_slot is the Authorization line's index (wiped before it is
 * freed) or -1. */
static int post_headers(mcp_client *c, const post_in *in, char **h, int *nh, int *auth_slot,
                        mcp_client_err *err)
{
  mcp_client_err aerr = {0};
  char *auth = auth_value(c, &aerr);
  int n = 0;
  if (!auth && (c->bearer || c->key)) {
    if (!aerr.code)
      mcp_client__fail(&aerr, MCP_CLIENT_ERROR, 0, 0, "out of memory");
    if (err)
      *err = aerr;
    return MCP_CLIENT_ERROR;
  }
  if (in->body) {
    h[n++] = strdup("Content-Type: application/json");
    h[n++] = strdup("Accept: application/json, text/event-stream");
  }
  if (auth) {
    *auth_slot = n;
    h[n++] = auth; /* already the whole header line */
  }
  if (c->send_pk)
    h[n++] = mcp_client__hdr("Motebit-Public-Key", seal_key_pk_hex(c->key));
  if (in->proto)
    h[n++] = mcp_client__hdr("MCP-Protocol-Version", in->proto);
  if (in->session)
    h[n++] = mcp_client__hdr(SESSION_HEADER, in->session);
  if (in->modern && in->body) {
    char *mv = mcp_client__header_safe(in->method);
    h[n++] = mv ? mcp_client__hdr("Mcp-Method", mv) : NULL;
    free(mv);
    if (in->name) {
      char *nv = mcp_client__header_safe(in->name);
      h[n++] = nv ? mcp_client__hdr("Mcp-Name", nv) : NULL;
      free(nv);
    }
  }
  *nh = n;
  for (int i = 0; i < n; i++)
    if (!h[i]) {
      mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "out of memory");
      return MCP_CLIENT_ERROR;
    }
  return MCP_CLIENT_OK;
}

/* The reply of a completed exchange: classified, and for F_INIT the session id taken over from
 * r->captured into *session_out. */
static int post_reply(const post_in *in, xchg *x, tp_httpc_response *r, const char *what,
                      json_t **result_out, char **session_out, mcp_client_err *err)
{
  int rc;
  if (in->flags & (F_NOTIFY | F_DELETE)) {
    if (r->status >= 200 && r->status <= 299)
      rc = MCP_CLIENT_OK;
    else
      rc = mcp_client__rx_finish(&x->rx, r->status, r->content_type, r->www_authenticate, r->body,
                                 r->len, what, result_out, err);
    json_decref(*result_out);
    *result_out = NULL;
  } else {
    rc = mcp_client__rx_finish(&x->rx, r->status, r->content_type, r->www_authenticate, r->body,
                               r->len, what, result_out, err);
  }
  if (rc == MCP_CLIENT_OK && session_out && r->captured && r->captured[0]) {
    size_t sl = strlen(r->captured);
    int okid = sl <= MAX_SESSION_ID;
    for (size_t i = 0; i < sl; i++)
      if ((unsigned char)r->captured[i] < 0x21 || (unsigned char)r->captured[i] > 0x7e)
        okid = 0;
    if (!okid) {
      json_decref(*result_out);
      *result_out = NULL;
      mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, r->status, 0,
                       "%s: the server's Mcp-Session-Id is not visible ASCII of at most %d bytes",
                       what, MAX_SESSION_ID);
      rc = MCP_CLIENT_EPROTOCOL;
    } else {
      *session_out = r->captured;
      r->captured = NULL;
    }
  }
  return rc;
}

/* The client code of a transport failure `trc` (terr: the transport's message). */
static int post_failure(const mcp_client *c, int trc, const tp_httpc_response *r, const char *what,
                        long timeout_ms, const char *terr, mcp_client_err *err)
{
  switch (trc) {
  case TP_HTTPC_ETOOBIG:
    mcp_client__fail(err, MCP_CLIENT_ETOOBIG, r->status, 0,
                     "%s: the response exceeded %zu bytes and was cut off", what, c->max_response);
    return MCP_CLIENT_ETOOBIG;
  case TP_HTTPC_ECANCELLED:
    mcp_client__fail(err, MCP_CLIENT_ECANCELLED, r->status, 0, "%s: cancelled", what);
    return MCP_CLIENT_ECANCELLED;
  case TP_HTTPC_ETIMEOUT:
    mcp_client__fail(err, MCP_CLIENT_ETIMEOUT, 0, 0, "%s: no complete response within %ld ms (%s)",
                     what, timeout_ms, terr);
    return MCP_CLIENT_ETIMEOUT;
  case TP_HTTPC_ECONNECT:
    mcp_client__fail(err, MCP_CLIENT_EUNREACHABLE, 0, 0, "%s: unreachable: %s", what, terr);
    return MCP_CLIENT_EUNREACHABLE;
  case TP_HTTPC_EINVAL:
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "%s: %s", what, terr);
    return MCP_CLIENT_EINVAL;
  default:
    mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "%s: %s", what,
                     terr[0] ? terr : "HTTP client failure");
    return MCP_CLIENT_ERROR;
  }
}

/* Performs one exchange. On OK `*result_out` is the result (requests) or NULL (notifications,
 * DELETE). For F_INIT `*session_out` receives the captured session id (malloc'd) or NULL. */
static int post(mcp_client *c, const post_in *in, json_t **result_out, char **session_out,
                mcp_client_err *err)
{
  char *h[10] = {0};
  char terr[300] = "", what[80];
  int nh = 0, auth_slot = -1, trc, rc;
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
  *result_out = NULL;
  if (session_out)
    *session_out = NULL;
  if ((rc = post_headers(c, in, h, &nh, &auth_slot, err)) != MCP_CLIENT_OK)
    goto out;
  trc = tp_httpc_request(&r, in->body ? "POST" : "DELETE", c->url, (const char *const *)h, in->body,
                         in->len, &to, terr, sizeof terr);
  snprintf(what, sizeof what, "%s", in->method);
  /* EABORTED: on_event stopped the stream, the response is in */
  if (trc == TP_HTTPC_OK || trc == TP_HTTPC_EABORTED)
    rc = post_reply(in, &x, &r, what, result_out, session_out, err);
  else
    rc = post_failure(c, trc, &r, what, to.timeout_ms, terr, err);
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
  char *body = mcp_client__build(c->name, c->version, method, id, params, modern, ptok,
                                 co ? co->meta : NULL, &len);
  if (!body) {
    json_decref(ptok);
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "%s: params._meta must be an object", method);
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
        mcp_client__fail(&perr, MCP_CLIENT_EPROTOCOL, 200, 0,
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
    mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "out of memory");
    return MCP_CLIENT_ERROR;
  }
  rc = exchange(c, "initialize", NULL, params, 0, NULL, NULL, F_INIT, NULL, &res, &sid, NULL, err);
  json_decref(params);
  if (rc != MCP_CLIENT_OK)
    return rc;
  const char *pv = json_string_value(json_object_get(res, "protocolVersion"));
  if (!is_legacy_version(pv)) {
    char v[40];
    mcp_client__clip(v, sizeof v, pv ? pv : "(none)");
    mcp_client__fail(
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
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "no client");
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
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "%s: params must be an object",
                     method ? method : "request");
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
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0,
                     !nl || nl > MAX_NAME ? "the tool name must be 1..%d bytes"
                                          : "tool arguments must be a JSON object",
                     MAX_NAME);
    return MCP_CLIENT_EINVAL;
  }
  json_t *p = json_pack("{s:s,s:o}", "name", name, "arguments",
                        arguments ? json_incref((json_t *)arguments) : json_object());
  if (!p) {
    mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "out of memory");
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
    mcp_client__clip(m, sizeof m, text ? text : "(no text)");
    mcp_client__fail(err, MCP_CLIENT_ETOOL, 200, 0, "%s: tool error: %s", name, m);
    return MCP_CLIENT_ETOOL;
  }
  if (!json_is_array(json_object_get(*result_out, "content"))) {
    json_decref(*result_out);
    *result_out = NULL;
    mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, 200, 0, "%s: the tool result has no content array",
                     name);
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
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "no client");
    return MCP_CLIENT_EINVAL;
  }
  json_t *all = json_array();
  char *cursor = NULL;
  int rc = MCP_CLIENT_OK;
  for (int page = 0;; page++) {
    if (page >= MCP_CLIENT_MAX_PAGES) {
      mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, 200, 0, "tools/list: more than %d pages",
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
      mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, 200, 0,
                       "tools/list: the result has no tools array");
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
