/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/client/test_client.c — client/client.h end to end in one process:
 * - against the real MCP-over-HTTP server (serve/http.h + the MCP core, no Store): both eras with a
 *   static token and with a motebit signed token, tools/list, isError → ETOOL, unknown tool →
 *   ERPC, bad/missing token → EAUTH, wrong path → ENOTFOUND;
 * - against its conformance fixtures: SSE replies with progress relayed to the callback;
 * - against a scripted fake peer (transports/http_server.h): a legacy sessionful server (discover
 *   refused → initialize fallback, Mcp-Session-Id and MCP-Protocol-Version carried, re-initialize
 *   after a 404 for a lost session, DELETE on free), modern headers, an unsupported version,
 *   recognized modern errors (no fallback), 403/413/500, malformed/foreign/wrong-id replies, an
 *   event stream without a response, input_required, oversize JSON and SSE replies, and
 *   cancellation (notifications/cancelled sent);
 * - a listener that accepts and never answers (timeout) and a closed port (unreachable). */
#include "tools/tools.h"
#include "crypto/artifacts.h"
#include "crypto/seal.h"
#include "client/client.h"
#include "config/config.h"
#include "serve/http.h"
#include "mcp/mcp.h"
#include "transports/http_server.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

Suite *client_suite(void);

#define STATIC_TOKEN "s3cret-client-token"

static seal_key *key_n(int n)
{
  uint8_t seed[SEAL_SEED_BYTES];
  memset(seed, n, sizeof seed);
  seal_key *k = NULL;
  ck_assert_int_eq(seal_key_from_seed(&k, seed), SEAL_OK);
  return k;
}

/* ---- the real server ------------------------------------------------------------------------ */

typedef struct real {
  seal_key *key, *caller;
  json_t *cfg;
  mcp_server *srv;
  mcp_http *http;
  char url[120];
} real;

static void real_start(real *r, int conformance)
{
  memset(r, 0, sizeof *r);
  ck_assert_int_eq(seal_init(), 0);
  r->key = key_n(1);
  r->caller = key_n(2);
  char text[600];
  snprintf(
      text, sizeof text,
      "{\"http\":{\"tokens\":[{\"name\":\"ci\",\"token\":\"%s\"}],\"known_callers\":{\"caller-1\":\"%s\"}}}",
      STATIC_TOKEN, seal_key_pk_hex(r->caller));
  json_t *in = json_loads(text, 0, NULL);
  char err[300] = "";
  ck_assert_msg(mcp_config_normalize(&r->cfg, in, err, sizeof err) == 0, "%s", err);
  json_decref(in);
  mcp_server_opts o = {.key = r->key, .config = r->cfg, .workers = 2, .window = 8};
  o.tool_groups = tools_groups;
  ck_assert_msg(mcp_server_new(&r->srv, &o, err, sizeof err) == MCP_OK, "%s", err);
  mcp_http_opts ho = {.server = r->srv, .config = r->cfg, .conformance = conformance};
  ck_assert_msg(mcp_http_start(&r->http, &ho, err, sizeof err) == MCP_OK, "%s", err);
  snprintf(r->url, sizeof r->url, "http://127.0.0.1:%u/mcp", (unsigned)mcp_http_port(r->http));
}

static void real_stop(real *r)
{
  mcp_http_stop(r->http);
  mcp_server_free(r->srv);
  json_decref(r->cfg);
  seal_key_free(r->key);
  seal_key_free(r->caller);
}

static mcp_client *client(const char *url, mcp_client_era era, const char *bearer,
                          const seal_key *k)
{
  mcp_client_opts o = {.url = url,
                       .era = era,
                       .bearer = bearer,
                       .motebit_key = k,
                       .motebit_id = k ? "caller-1" : NULL,
                       .timeout_ms = 10000,
                       .connect_timeout_ms = 5000};
  mcp_client *c = NULL;
  mcp_client_err e = {0};
  ck_assert_msg(mcp_client_new(&c, &o, &e) == MCP_CLIENT_OK, "%s", e.msg);
  return c;
}

static const char *first_text(const json_t *res)
{
  return json_string_value(
      json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
}

static void identity_call(mcp_client *c, const char *want_version)
{
  json_t *res = NULL;
  mcp_client_err e = {0};
  int rc = mcp_client_call_tool(c, "motebit_identity", NULL, NULL, &res, &e);
  ck_assert_msg(rc == MCP_CLIENT_OK, "rc %d: %s", rc, e.msg);
  ck_assert_ptr_nonnull(strstr(first_text(res), "\"motebit_id\""));
  ck_assert_str_eq(mcp_client_protocol_version(c), want_version);
  json_decref(res);
}

START_TEST(test_client__real_static_both_eras)
{
  real r;
  real_start(&r, 0);
  mcp_client *c = client(r.url, MCP_CLIENT_ERA_AUTO, STATIC_TOKEN, NULL);
  ck_assert_ptr_null(mcp_client_protocol_version(c));
  identity_call(c, "2026-07-28");
  ck_assert_int_eq(mcp_client_is_modern(c), 1);
  ck_assert_ptr_nonnull(json_object_get(mcp_client_server_info(c), "supportedVersions"));
  identity_call(c, "2026-07-28"); /* second call on the same client */
  mcp_client_free(c);

  c = client(r.url, MCP_CLIENT_ERA_LEGACY, STATIC_TOKEN, NULL);
  identity_call(c, "2025-11-25");
  ck_assert_int_eq(mcp_client_is_modern(c), 0);
  json_t *tools = NULL;
  mcp_client_err e = {0};
  ck_assert_int_eq(mcp_client_list_tools(c, NULL, &tools, &e), MCP_CLIENT_OK);
  int found = 0;
  size_t i;
  json_t *t;
  json_array_foreach(tools, i, t)
    found |= !strcmp(json_string_value(json_object_get(t, "name")), "motebit_identity");
  ck_assert_int_eq(found, 1);
  json_decref(tools);
  mcp_client_free(c);
  real_stop(&r);
}
END_TEST

START_TEST(test_client__real_motebit_token)
{
  real r;
  real_start(&r, 0);
  for (int era = MCP_CLIENT_ERA_AUTO; era <= MCP_CLIENT_ERA_MODERN; era++) {
    mcp_client *c = client(r.url, (mcp_client_era)era, NULL, r.caller);
    identity_call(c, era == MCP_CLIENT_ERA_LEGACY ? "2025-11-25" : "2026-07-28");
    identity_call(c, era == MCP_CLIENT_ERA_LEGACY ? "2025-11-25" : "2026-07-28");
    mcp_client_free(c);
  }
  /* a key the server does not know */
  seal_key *stranger = key_n(9);
  mcp_client *c = client(r.url, MCP_CLIENT_ERA_AUTO, NULL, stranger);
  json_t *res = NULL;
  mcp_client_err e = {0};
  ck_assert_int_eq(mcp_client_call_tool(c, "motebit_identity", NULL, NULL, &res, &e),
                   MCP_CLIENT_EAUTH);
  ck_assert_int_eq(e.http_status, 401);
  ck_assert_ptr_null(res);
  mcp_client_free(c);
  seal_key_free(stranger);
  real_stop(&r);
}
END_TEST

START_TEST(test_client__real_errors)
{
  real r;
  real_start(&r, 0);
  json_t *res = NULL;
  mcp_client_err e = {0};
  /* wrong and missing tokens */
  mcp_client *c = client(r.url, MCP_CLIENT_ERA_AUTO, "wrong-token", NULL);
  ck_assert_int_eq(mcp_client_call_tool(c, "motebit_identity", NULL, NULL, &res, &e),
                   MCP_CLIENT_EAUTH);
  ck_assert_int_eq(e.code, MCP_CLIENT_EAUTH);
  ck_assert_int_eq(e.http_status, 401);
  ck_assert_ptr_nonnull(strstr(e.msg, "401"));
  ck_assert_ptr_null(strstr(e.msg, "wrong-token"));
  mcp_client_free(c);
  c = client(r.url, MCP_CLIENT_ERA_LEGACY, NULL, NULL);
  ck_assert_int_eq(mcp_client_connect(c, &e), MCP_CLIENT_EAUTH);
  mcp_client_free(c);
  /* unknown tool: a JSON-RPC error; bad arguments: an isError result */
  c = client(r.url, MCP_CLIENT_ERA_AUTO, STATIC_TOKEN, NULL);
  ck_assert_int_eq(mcp_client_call_tool(c, "no_such_tool", NULL, NULL, &res, &e), MCP_CLIENT_ERPC);
  ck_assert_int_eq(e.rpc_code, -32602);
  ck_assert_ptr_null(res);
  json_t *args = json_pack("{s:i}", "unexpected", 1);
  ck_assert_int_eq(mcp_client_call_tool(c, "motus_work_status", args, NULL, &res, &e),
                   MCP_CLIENT_ETOOL);
  ck_assert_ptr_nonnull(res);
  ck_assert(json_is_true(json_object_get(res, "isError")));
  ck_assert_ptr_nonnull(strstr(e.msg, "tool error"));
  json_decref(res);
  json_decref(args);
  /* bad arguments of ours */
  args = json_pack("[i]", 1);
  ck_assert_int_eq(mcp_client_call_tool(c, "motebit_identity", args, NULL, &res, &e),
                   MCP_CLIENT_EINVAL);
  ck_assert_int_eq(mcp_client_call_tool(c, "", NULL, NULL, &res, &e), MCP_CLIENT_EINVAL);
  json_decref(args);
  mcp_client_free(c);
  /* not the MCP endpoint */
  char u[140];
  snprintf(u, sizeof u, "%.*s/nope", (int)(strlen(r.url) - 4), r.url);
  c = client(u, MCP_CLIENT_ERA_AUTO, STATIC_TOKEN, NULL);
  ck_assert_int_eq(mcp_client_connect(c, &e), MCP_CLIENT_ENOTFOUND);
  ck_assert_int_eq(e.http_status, 404);
  mcp_client_free(c);
  /* option checks */
  mcp_client_opts bad = {.url = "ftp://x/mcp"};
  ck_assert_int_eq(mcp_client_new(&c, &bad, &e), MCP_CLIENT_EINVAL);
  bad.url = r.url;
  bad.bearer = "x";
  bad.motebit_key = r.caller;
  bad.motebit_id = "caller-1";
  ck_assert_int_eq(mcp_client_new(&c, &bad, &e), MCP_CLIENT_EINVAL);
  ck_assert_int_eq(mcp_client_new(&c, NULL, &e), MCP_CLIENT_EINVAL);
  real_stop(&r);
}
END_TEST

typedef struct prog {
  int n, notes;
  double last;
  int increasing;
} prog;

static void on_prog(double p, double total, const char *msg, void *payload)
{
  prog *g = payload;
  if (g->n && p <= g->last)
    g->increasing = 0;
  g->last = p;
  g->n++;
  ck_assert(total == 100);
  ck_assert_ptr_nonnull(msg);
}

static void on_note(const json_t *n, void *payload)
{
  prog *g = payload;
  ck_assert_ptr_nonnull(json_string_value(json_object_get(n, "method")));
  g->notes++;
}

START_TEST(test_client__sse_progress)
{
  real r;
  real_start(&r, 1);
  for (int era = MCP_CLIENT_ERA_AUTO; era <= MCP_CLIENT_ERA_LEGACY; era++) {
    mcp_client *c = client(r.url, (mcp_client_era)era, STATIC_TOKEN, NULL);
    prog g = {.increasing = 1};
    mcp_client_call_opts co = {.on_progress = on_prog, .on_notification = on_note, .payload = &g};
    json_t *res = NULL;
    mcp_client_err e = {0};
    ck_assert_msg(mcp_client_call_tool(c, "test_tool_with_progress", NULL, &co, &res, &e) ==
                      MCP_CLIENT_OK,
                  "%s", e.msg);
    ck_assert_int_ge(g.n, 3);
    ck_assert_int_ge(g.notes, 3);
    ck_assert_int_eq(g.increasing, 1);
    json_decref(res);
    /* without a progress callback no token is sent: a plain JSON reply, no progress */
    prog h = {.increasing = 1};
    mcp_client_call_opts co2 = {.on_notification = on_note, .payload = &h};
    ck_assert_int_eq(mcp_client_call_tool(c, "test_tool_with_progress", NULL, &co2, &res, &e),
                     MCP_CLIENT_OK);
    ck_assert_int_eq(h.notes, 0);
    json_decref(res);
    /* the fixture's isError tool */
    ck_assert_int_eq(mcp_client_call_tool(c, "test_error_handling", NULL, NULL, &res, &e),
                     MCP_CLIENT_ETOOL);
    json_decref(res);
    mcp_client_free(c);
  }
  real_stop(&r);
}
END_TEST

/* ---- the fake peer -------------------------------------------------------------------------- */

enum fmode {
  FM_LEGACY_SESSION = 1, /* discover → 400 -32000; initialize issues a session; needs it later */
  FM_MODERN,             /* discover ok; records the modern headers */
  FM_BAD_VERSION,        /* initialize answers 2024-11-05 */
  FM_MODERN_ERROR,       /* discover → 400 -32020 */
  FM_REPLY,              /* tools/call answered with F.status / F.ctype / F.body (modern) */
  FM_HOLD,               /* legacy; tools/call never answered (cancellation) */
};

static struct {
  pthread_mutex_t mu;
  int mode;
  unsigned status;
  const char *ctype;
  char *body;
  size_t blen;
  int inits, discovers, deletes, cancels, sessions_seen, lose_session;
  char session[32];
  char last_method_hdr[64], last_name_hdr[64], last_proto[32], last_session[64];
  int64_t cancelled_id;
} F;

static void held_abort(tp_http_req *r, void *p)
{
  (void)p;
  tp_http_stream_end(r);
}

/* tmpl with every "{ID}" replaced by id (malloc'd). */
static char *subst(const char *tmpl, json_int_t id, size_t *len)
{
  char num[32];
  snprintf(num, sizeof num, "%lld", (long long)id);
  size_t n = strlen(tmpl), o = 0;
  char *b = malloc(n * 2 + 64);
  for (size_t i = 0; i < n;) {
    if (!strncmp(tmpl + i, "{ID}", 4)) {
      memcpy(b + o, num, strlen(num));
      o += strlen(num);
      i += 4;
    } else {
      b[o++] = tmpl[i++];
    }
  }
  b[o] = 0;
  *len = o;
  return b;
}

static void reply_json(tp_http_req *r, unsigned st, const char *tmpl, json_int_t id)
{
  size_t n;
  char *b = subst(tmpl, id, &n);
  tp_http_reply(r, st, "application/json", NULL, b, n);
  free(b);
}

static void copy_hdr(char *out, size_t cap, tp_http_req *r, const char *name)
{
  const char *v = tp_http_req_header(r, name);
  snprintf(out, cap, "%s", v ? v : "");
}

static void fake_handler(tp_http_req *r, void *payload)
{
  (void)payload;
  size_t len;
  const char *body = tp_http_req_body(r, &len);
  json_t *m = json_loadb(body, len, 0, NULL);
  const char *method = json_string_value(json_object_get(m, "method"));
  json_int_t id = json_integer_value(json_object_get(m, "id"));
  pthread_mutex_lock(&F.mu);
  copy_hdr(F.last_method_hdr, sizeof F.last_method_hdr, r, "Mcp-Method");
  copy_hdr(F.last_name_hdr, sizeof F.last_name_hdr, r, "Mcp-Name");
  copy_hdr(F.last_proto, sizeof F.last_proto, r, "MCP-Protocol-Version");
  copy_hdr(F.last_session, sizeof F.last_session, r, "Mcp-Session-Id");
  int mode = F.mode;
  if (!strcmp(tp_http_req_method(r), "DELETE")) {
    F.deletes++;
    pthread_mutex_unlock(&F.mu);
    tp_http_reply(r, 200, NULL, NULL, NULL, 0);
    json_decref(m);
    return;
  }
  if (!method)
    method = "";
  if (!strcmp(method, "server/discover")) {
    F.discovers++;
    pthread_mutex_unlock(&F.mu);
    if (mode == FM_MODERN || mode == FM_REPLY)
      reply_json(
          r, 200,
          "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":{\"resultType\":\"complete\",\"supportedVersions\":[\"2026-07-28\"],\"capabilities\":{\"tools\":{}}}}",
          id);
    else if (mode == FM_MODERN_ERROR)
      reply_json(
          r, 400,
          "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"error\":{\"code\":-32020,\"message\":\"Header mismatch\"}}",
          id);
    else
      reply_json(
          r, 400,
          "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,\"message\":\"Bad Request: Server not initialized\"}}",
          0);
    json_decref(m);
    return;
  }
  if (!strcmp(method, "initialize")) {
    F.inits++;
    snprintf(F.session, sizeof F.session, "sess-%d", F.inits);
    char sh[32];
    snprintf(sh, sizeof sh, "%s", F.session);
    pthread_mutex_unlock(&F.mu);
    const char *hdrs[] = {"Mcp-Session-Id", sh, NULL};
    char b[300];
    snprintf(
        b, sizeof b,
        "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"protocolVersion\":\"%s\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}}",
        (long long)id, mode == FM_BAD_VERSION ? "2024-11-05" : "2025-06-18");
    tp_http_reply(r, 200, "application/json", hdrs, b, strlen(b));
    json_decref(m);
    return;
  }
  if (mode == FM_LEGACY_SESSION || mode == FM_HOLD) {
    if (F.lose_session || strcmp(F.last_session, F.session)) {
      F.lose_session = 0;
      pthread_mutex_unlock(&F.mu);
      reply_json(
          r, 404,
          "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,\"message\":\"Session not found\"}}",
          0);
      json_decref(m);
      return;
    }
    F.sessions_seen++;
  }
  if (!strcmp(method, "notifications/cancelled")) {
    F.cancels++;
    F.cancelled_id = json_integer_value(json_object_get(json_object_get(m, "params"), "requestId"));
  }
  if (!strncmp(method, "notifications/", 14)) {
    pthread_mutex_unlock(&F.mu);
    tp_http_reply(r, 202, NULL, NULL, NULL, 0);
    json_decref(m);
    return;
  }
  if (mode == FM_HOLD) {
    pthread_mutex_unlock(&F.mu);
    tp_http_req_on_abort(r, held_abort, NULL);
    json_decref(m);
    return; /* never answered: ended by the abort callback when the client leaves */
  }
  if (mode == FM_REPLY) {
    unsigned st = F.status;
    const char *ct = F.ctype;
    size_t bl;
    char *b = subst(F.body, id, &bl);
    pthread_mutex_unlock(&F.mu);
    tp_http_reply(r, st, ct, NULL, b, bl);
    free(b);
    json_decref(m);
    return;
  }
  pthread_mutex_unlock(&F.mu);
  reply_json(
      r, 200,
      "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}}",
      id);
  json_decref(m);
}

static tp_http_server *fake_start(int mode, char *url, size_t cap)
{
  memset(&F, 0, sizeof F);
  pthread_mutex_init(&F.mu, NULL);
  F.mode = mode;
  tp_http_server *s = NULL;
  tp_http_opts o = {.handler = fake_handler, .watch_ms = 50};
  char err[200];
  ck_assert_msg(tp_http_server_start(&s, &o, err, sizeof err) == TP_HTTP_OK, "%s", err);
  snprintf(url, cap, "http://127.0.0.1:%u/mcp", (unsigned)tp_http_server_port(s));
  return s;
}

static void fake_stop(tp_http_server *s)
{
  tp_http_server_stop(s);
  free(F.body);
  F.body = NULL;
}

static void fake_reply(unsigned status, const char *ctype, const char *body)
{
  pthread_mutex_lock(&F.mu);
  F.status = status;
  F.ctype = ctype;
  free(F.body);
  F.body = strdup(body);
  F.blen = strlen(body);
  pthread_mutex_unlock(&F.mu);
}

START_TEST(test_client__legacy_session)
{
  char url[100];
  tp_http_server *s = fake_start(FM_LEGACY_SESSION, url, sizeof url);
  mcp_client *c = client(url, MCP_CLIENT_ERA_AUTO, "t", NULL);
  json_t *res = NULL;
  mcp_client_err e = {0};
  ck_assert_msg(mcp_client_call_tool(c, "echo", NULL, NULL, &res, &e) == MCP_CLIENT_OK, "%s",
                e.msg);
  json_decref(res);
  ck_assert_int_eq(F.discovers, 1); /* probed, refused, fell back */
  ck_assert_int_eq(F.inits, 1);
  ck_assert_str_eq(mcp_client_protocol_version(c), "2025-06-18");
  ck_assert_str_eq(F.last_proto, "2025-06-18");
  ck_assert_str_eq(F.last_session, "sess-1");
  ck_assert_int_eq(F.sessions_seen, 2); /* notifications/initialized + tools/call */
  /* the server loses the session: one re-initialize, then the call goes through */
  F.lose_session = 1;
  ck_assert_msg(mcp_client_call_tool(c, "echo", NULL, NULL, &res, &e) == MCP_CLIENT_OK, "%s",
                e.msg);
  json_decref(res);
  ck_assert_int_eq(F.inits, 2);
  ck_assert_str_eq(F.last_session, "sess-2");
  mcp_client_free(c);
  ck_assert_int_eq(F.deletes, 1);
  ck_assert_str_eq(F.last_session, "sess-2");
  fake_stop(s);
}
END_TEST

START_TEST(test_client__modern_headers_and_versions)
{
  char url[100];
  tp_http_server *s = fake_start(FM_MODERN, url, sizeof url);
  mcp_client *c = client(url, MCP_CLIENT_ERA_AUTO, "t", NULL);
  json_t *res = NULL;
  mcp_client_err e = {0};
  ck_assert_int_eq(mcp_client_call_tool(c, "echo.v2", NULL, NULL, &res, &e), MCP_CLIENT_OK);
  json_decref(res);
  ck_assert_int_eq(F.inits, 0);
  ck_assert_str_eq(F.last_method_hdr, "tools/call");
  ck_assert_str_eq(F.last_name_hdr, "echo.v2");
  ck_assert_str_eq(F.last_proto, "2026-07-28");
  ck_assert_str_eq(F.last_session, "");
  mcp_client_free(c);
  ck_assert_int_eq(F.deletes, 0);
  fake_stop(s);

  /* the server picks a version we do not speak */
  s = fake_start(FM_BAD_VERSION, url, sizeof url);
  c = client(url, MCP_CLIENT_ERA_LEGACY, "t", NULL);
  ck_assert_int_eq(mcp_client_connect(c, &e), MCP_CLIENT_EPROTOCOL);
  ck_assert_ptr_nonnull(strstr(e.msg, "2024-11-05"));
  ck_assert_int_eq(F.discovers, 0);
  mcp_client_free(c);
  fake_stop(s);

  /* a recognized modern error: no fallback to initialize */
  s = fake_start(FM_MODERN_ERROR, url, sizeof url);
  c = client(url, MCP_CLIENT_ERA_AUTO, "t", NULL);
  ck_assert_int_eq(mcp_client_connect(c, &e), MCP_CLIENT_ERPC);
  ck_assert_int_eq(e.rpc_code, -32020);
  ck_assert_int_eq(F.inits, 0);
  mcp_client_free(c);
  /* modern only against a legacy server: no initialize either */
  F.mode = FM_LEGACY_SESSION;
  c = client(url, MCP_CLIENT_ERA_MODERN, "t", NULL);
  ck_assert_int_eq(mcp_client_connect(c, &e), MCP_CLIENT_ERPC);
  ck_assert_int_eq(F.inits, 0);
  mcp_client_free(c);
  fake_stop(s);
}
END_TEST

typedef struct reply_case {
  unsigned status;
  const char *ctype, *body;
  int want;
  const char *msg_part;
} reply_case;

START_TEST(test_client__bad_replies)
{
  static const reply_case cases[] = {
      {500, "application/json",
       "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"error\":{\"code\":-32603,\"message\":\"boom\"}}",
       MCP_CLIENT_EHTTP, "HTTP 500"},
      {502, "text/html", "<html>bad gateway</html>", MCP_CLIENT_EHTTP, "502"},
      {413, "application/json",
       "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"too large\"}}",
       MCP_CLIENT_EHTTP, "413"},
      {403, "application/json", "{}", MCP_CLIENT_EFORBIDDEN, "403"},
      {400, "text/plain", "nope", MCP_CLIENT_EHTTP, "400"},
      {200, "application/json",
       "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":", MCP_CLIENT_EPROTOCOL, "malformed JSON"},
      {200, "application/json", "{\"jsonrpc\":\"1.0\",\"id\":{ID},\"result\":{}}",
       MCP_CLIENT_EPROTOCOL, "not a JSON-RPC"},
      {200, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":999{ID},\"result\":{}}",
       MCP_CLIENT_EPROTOCOL, "id does not match"},
      {200, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":[1]}",
       MCP_CLIENT_EPROTOCOL, "no result object"},
      {200, "application/json",
       "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":{\"resultType\":\"input_required\"}}",
       MCP_CLIENT_EPROTOCOL, "input_required"},
      {200, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":{\"isError\":false}}",
       MCP_CLIENT_EPROTOCOL, "no content array"},
      {200, "text/html", "<html>{ID}</html>", MCP_CLIENT_EPROTOCOL, "content type"},
      {200, "text/event-stream",
       "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n\n",
       MCP_CLIENT_EPROTOCOL, "without a response"},
      {200, "text/event-stream", "data: not json\n\n", MCP_CLIENT_EPROTOCOL,
       "malformed event stream"},
      {202, NULL, "", MCP_CLIENT_EPROTOCOL, "content type"},
      {200, "application/json",
       "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"error\":{\"code\":-32000,\"message\":\"nope\"}}",
       MCP_CLIENT_ERPC, "-32000"},
      {200, "text/event-stream",
       "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"x\",\"progress\":1}}\r\n\r\n"
       "data: {\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":{\"content\":[]}}\r\n\r\n",
       MCP_CLIENT_OK, ""},
  };
  char url[100];
  tp_http_server *s = fake_start(FM_REPLY, url, sizeof url);
  mcp_client *c = client(url, MCP_CLIENT_ERA_MODERN, "t", NULL);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fake_reply(cases[i].status, cases[i].ctype, cases[i].body);
    json_t *res = NULL;
    mcp_client_err e = {0};
    int rc = mcp_client_call_tool(c, "echo", NULL, NULL, &res, &e);
    ck_assert_msg(rc == cases[i].want, "case %zu: rc %d, want %d (%s)", i, rc, cases[i].want,
                  e.msg);
    ck_assert_msg(strstr(e.msg, cases[i].msg_part) != NULL, "case %zu: message '%s' lacks '%s'", i,
                  e.msg, cases[i].msg_part);
    ck_assert_msg(!strchr(e.msg, '\n'), "case %zu: multi-line message", i);
    if (rc != MCP_CLIENT_OK)
      ck_assert_ptr_null(res);
    if (rc == MCP_CLIENT_EHTTP || rc == MCP_CLIENT_EFORBIDDEN)
      ck_assert_int_eq(e.http_status, cases[i].status);
    json_decref(res);
  }
  mcp_client_free(c);
  fake_stop(s);
}
END_TEST

START_TEST(test_client__oversize)
{
  char url[100];
  tp_http_server *s = fake_start(FM_REPLY, url, sizeof url);
  mcp_client_opts o = {.url = url, .era = MCP_CLIENT_ERA_MODERN, .max_response = 64 * 1024};
  mcp_client *c = NULL;
  mcp_client_err e = {0};
  ck_assert_int_eq(mcp_client_new(&c, &o, &e), MCP_CLIENT_OK);
  size_t big = 1u << 20;
  char *b = malloc(big + 200);
  int n = snprintf(
      b, 200,
      "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"");
  memset(b + n, 'a', big);
  snprintf(b + n + big, 200, "\"}]}}");
  fake_reply(200, "application/json", b);
  json_t *res = NULL;
  ck_assert_int_eq(mcp_client_call_tool(c, "echo", NULL, NULL, &res, &e), MCP_CLIENT_ETOOBIG);
  ck_assert_ptr_nonnull(strstr(e.msg, "65536"));
  ck_assert_ptr_null(res);
  /* the same as one SSE event */
  char *sse = malloc(big + 400);
  snprintf(sse, big + 400, "event: message\ndata: %s\n\n", b);
  fake_reply(200, "text/event-stream", sse);
  ck_assert_int_eq(mcp_client_call_tool(c, "echo", NULL, NULL, &res, &e), MCP_CLIENT_ETOOBIG);
  /* a reply under the limit still works on the same client */
  fake_reply(200, "application/json",
             "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":{\"content\":[]}}");
  ck_assert_int_eq(mcp_client_call_tool(c, "echo", NULL, NULL, &res, &e), MCP_CLIENT_OK);
  json_decref(res);
  free(b);
  free(sse);
  mcp_client_free(c);
  fake_stop(s);
}
END_TEST

static int cancel_after(void *payload)
{
  int *polls = payload;
  return ++*polls >= 3;
}

START_TEST(test_client__cancel)
{
  char url[100];
  tp_http_server *s = fake_start(FM_HOLD, url, sizeof url);
  mcp_client *c = client(url, MCP_CLIENT_ERA_LEGACY, "t", NULL);
  int polls = 0;
  mcp_client_call_opts co = {.cancelled = cancel_after, .payload = &polls};
  json_t *res = NULL;
  mcp_client_err e = {0};
  ck_assert_int_eq(mcp_client_call_tool(c, "slow", NULL, &co, &res, &e), MCP_CLIENT_ECANCELLED);
  ck_assert_int_ge(polls, 3);
  ck_assert_int_eq(F.cancels, 1);
  ck_assert_int_eq(F.cancelled_id, 2); /* initialize was 1 */
  mcp_client_free(c);
  fake_stop(s);
}
END_TEST

/* ---- no server at all ----------------------------------------------------------------------- */

static int listener(uint16_t *port, int do_listen)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t l = sizeof a;
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
  *port = ntohs(a.sin_port);
  if (do_listen)
    ck_assert_int_eq(listen(fd, 8), 0);
  return fd;
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(test_client__hang_and_unreachable)
{
  uint16_t port;
  int fd = listener(&port,
                    1); /* the kernel completes the handshake; nobody ever reads or answers */
  char url[100];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/mcp", (unsigned)port);
  mcp_client_opts o = {.url = url, .timeout_ms = 400};
  mcp_client *c = NULL;
  mcp_client_err e = {0};
  ck_assert_int_eq(mcp_client_new(&c, &o, &e), MCP_CLIENT_OK);
  double t0 = now_s();
  ck_assert_int_eq(mcp_client_connect(c, &e), MCP_CLIENT_ETIMEOUT);
  double dt = now_s() - t0;
  ck_assert_msg(dt >= 0.35 && dt < 5, "timeout after %.2f s", dt);
  ck_assert_ptr_nonnull(strstr(e.msg, "400 ms"));
  mcp_client_free(c);
  close(fd);

  fd = listener(&port, 0); /* bound, not listening: connection refused */
  snprintf(url, sizeof url, "http://127.0.0.1:%u/mcp", (unsigned)port);
  o.url = url;
  ck_assert_int_eq(mcp_client_new(&c, &o, &e), MCP_CLIENT_OK);
  ck_assert_int_eq(mcp_client_connect(c, &e), MCP_CLIENT_EUNREACHABLE);
  ck_assert_int_eq(e.http_status, 0);
  json_t *res = NULL;
  ck_assert_int_eq(mcp_client_call_tool(c, "x", NULL, NULL, &res, &e), MCP_CLIENT_EUNREACHABLE);
  mcp_client_free(c);
  close(fd);
  ck_assert_str_eq(mcp_client_strerror(MCP_CLIENT_ETIMEOUT), "timeout");
}
END_TEST

Suite *client_suite(void)
{
  Suite *s = suite_create("client");
  TCase *t = tcase_create("client");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_client__real_static_both_eras);
  tcase_add_test(t, test_client__real_motebit_token);
  tcase_add_test(t, test_client__real_errors);
  tcase_add_test(t, test_client__sse_progress);
  tcase_add_test(t, test_client__legacy_session);
  tcase_add_test(t, test_client__modern_headers_and_versions);
  tcase_add_test(t, test_client__bad_replies);
  tcase_add_test(t, test_client__oversize);
  tcase_add_test(t, test_client__cancel);
  tcase_add_test(t, test_client__hang_and_unreachable);
  suite_add_tcase(s, t);
  return s;
}
