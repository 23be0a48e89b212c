/* SPDX-License-Identifier: Apache-2.0
 * client/upstream.c — an upstream MCP server's lifecycle and calls (client/upstream.h,
 * spec/upstreams.md): the options copied at start, the supervisor thread (spawn or connect,
 * initialize, tools/list with pagination, re-listing on list_changed, restart with exponential
 * backoff from 250 ms to 30 s, reset after a child lived 60 s), the request/response exchange
 * over the child's pipes with its waiter loop (timeout, cancellation with
 * notifications/cancelled, the call's notifications and server->client requests handled on the
 * caller's thread), and the same calls over HTTP through mcp_client. */
#include "client/upstream_int.h"
#include "crypto/seal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UPS_DEFAULT_TIMEOUT_MS 60000L
#define UPS_DEFAULT_MAX_MESSAGE (4u * 1024u * 1024u)
#define UPS_DEFAULT_CONCURRENCY 16
#define UPS_BACKOFF_MIN_MS 250L
#define UPS_BACKOFF_MAX_MS 30000L
#define UPS_HEALTHY_MS 60000L
#define UPS_POLL_MS 200L
#define UPS_MAX_PAGES 100

static int64_t now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits on u->cv (mu held) at most ms milliseconds. */
static void cv_wait_ms(mcp_upstream *u, long ms)
{
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(&u->cv, &u->mu, &t);
}

static char **strv_copy(const char *const *v)
{
  size_t n = 0;
  char **out;
  while (v && v[n])
    n++;
  if (!(out = calloc(n + 1, sizeof *out)))
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (!(out[i] = strdup(v[i]))) {
      while (i > 0)
        free(out[--i]);
      free(out);
      return NULL;
    }
  return out;
}

static void strv_free(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

const char *mcp_upstream_name(const mcp_upstream *u)
{
  return u->name;
}

json_t *mcp_upstream_tools(mcp_upstream *u)
{
  json_t *t;
  pthread_mutex_lock(&u->mu);
  t = json_incref(u->tools);
  pthread_mutex_unlock(&u->mu);
  return t;
}

long mcp_upstream_pid(mcp_upstream *u)
{
  long pid;
  pthread_mutex_lock(&u->mu);
  pid = (long)u->pid;
  pthread_mutex_unlock(&u->mu);
  return pid;
}

int mcp_upstream_wait_ready(mcp_upstream *u, long timeout_ms)
{
  int64_t end = now_ms() + timeout_ms;
  int ready;
  pthread_mutex_lock(&u->mu);
  while (!u->first_done && now_ms() < end)
    cv_wait_ms(u, UPS_POLL_MS);
  ready = u->state == UPS_READY;
  pthread_mutex_unlock(&u->mu);
  return ready;
}

/* ---- the stdio exchange -------------------------------------------------------------------- */

/* The waiter's share of its call: notifications (progress, logs) and server->client requests
 * that arrived for it. Called with mu held; unlocks around the callbacks. */
static void drain_inbox(mcp_upstream *u, ups_pend *p, const mcp_client_call_opts *co,
                        mcp_upstream_request_fn on_req)
{
  while (json_array_size(p->inbox) > 0) {
    json_t *m = json_incref(json_array_get(p->inbox, 0));
    const char *method = json_string_value(json_object_get(m, "method"));
    json_t *id = json_object_get(m, "id"), *params = json_object_get(m, "params");
    json_array_remove(p->inbox, 0);
    pthread_mutex_unlock(&u->mu);
    if (id) { /* a server->client request (elicitation, sampling): relayed when it can be */
      char why[200] = "workledger does not relay this request";
      json_t *res = on_req && method ? on_req(method, params, co->payload, why, sizeof why) : NULL;
      json_t *a = res ? json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", res)
                      : json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", id, "error",
                                  "code", -32603, "message", why);
      if (a)
        (void)ups__send(u, a);
      json_decref(a);
    } else if (method && !strcmp(method, "notifications/progress") && co && co->on_progress) {
      json_t *pr = json_object_get(params, "progress"), *tot = json_object_get(params, "total");
      co->on_progress(json_number_value(pr), json_is_number(tot) ? json_number_value(tot) : 0,
                      json_string_value(json_object_get(params, "message")), co->payload);
    } else if (co && co->on_notification) {
      co->on_notification(m, co->payload);
    }
    json_decref(m);
    pthread_mutex_lock(&u->mu);
  }
}

/* One request over the pipes. `handshake` = 1: do not wait for the ready state (the supervisor's
 * own initialize/tools/list). `*result_out` new on OK. */
static int stdio_request(mcp_upstream *u, const char *method, const json_t *params,
                         const mcp_client_call_opts *co, mcp_upstream_request_fn on_req,
                         int handshake, json_t **result_out, mcp_client_err *err)
{
  long tmo = co && co->timeout_ms > 0 ? co->timeout_ms : u->timeout_ms;
  int64_t deadline = now_ms() + tmo;
  ups_pend *p = calloc(1, sizeof *p);
  json_t *req = NULL, *prm = NULL, *resp = NULL;
  int rc = MCP_CLIENT_OK, cancelled = 0;

  *result_out = NULL;
  if (!p || !(p->inbox = json_array())) {
    free(p);
    ups__fail(err, MCP_CLIENT_ERROR, u, "out of memory");
    return MCP_CLIENT_ERROR;
  }
  pthread_mutex_lock(&u->mu);
  while (!handshake && u->state != UPS_READY && !u->stop) {
    if ((co && co->cancelled && co->cancelled(co->payload)) || now_ms() >= deadline)
      break;
    cv_wait_ms(u, UPS_POLL_MS);
  }
  if (!handshake && u->state != UPS_READY) {
    pthread_mutex_unlock(&u->mu);
    ups__fail(err, MCP_CLIENT_EUNREACHABLE, u, "not running (%s)",
              u->last_err[0] ? u->last_err : "starting");
    json_decref(p->inbox);
    free(p);
    return MCP_CLIENT_EUNREACHABLE;
  }
  p->id = ++u->next_id;
  p->gen = u->gen;
  if (co && (co->on_progress || co->on_notification))
    snprintf(p->token, sizeof p->token, "wl-%.20s-%lld", u->name, (long long)p->id);
  p->next = u->pending;
  u->pending = p;
  pthread_mutex_unlock(&u->mu);

  prm = params ? json_deep_copy(params) : json_object();
  if (prm && (p->token[0] || (co && co->meta))) {
    json_t *meta = json_object_get(prm, "_meta");
    if (!json_is_object(meta))
      json_object_set_new(prm, "_meta", meta = json_object());
    if (co && co->meta)
      json_object_update(meta, (json_t *)co->meta);
    if (p->token[0])
      json_object_set_new(meta, "progressToken", json_string(p->token));
  }
  req = prm ? json_pack("{s:s,s:I,s:s,s:o}", "jsonrpc", "2.0", "id", (json_int_t)p->id, "method",
                        method, "params", prm)
            : NULL;
  if (!req || ups__send(u, req) != 0) {
    rc = MCP_CLIENT_EUNREACHABLE;
    ups__fail(err, rc, u, "cannot write the request to the server process");
  }
  json_decref(req);

  pthread_mutex_lock(&u->mu);
  while (rc == MCP_CLIENT_OK) {
    drain_inbox(u, p, co, co ? on_req : NULL);
    if (p->done)
      break;
    if (co && co->cancelled && co->cancelled(co->payload)) {
      rc = MCP_CLIENT_ECANCELLED, cancelled = 1;
      ups__fail(err, rc, u, "call cancelled by the caller");
    } else if (now_ms() >= deadline) {
      rc = MCP_CLIENT_ETIMEOUT, cancelled = 1;
      ups__fail(err, rc, u, "no answer to %s within %ld ms", method, tmo);
    } else if (u->stop) {
      rc = MCP_CLIENT_ECANCELLED;
      ups__fail(err, rc, u, "shutting down");
    } else {
      cv_wait_ms(u, UPS_POLL_MS);
    }
  }
  for (ups_pend **pp = &u->pending; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  pthread_mutex_unlock(&u->mu);
  if (cancelled) {
    json_t *n = json_pack("{s:s,s:s,s:{s:I,s:s}}", "jsonrpc", "2.0", "method",
                          "notifications/cancelled", "params", "requestId", (json_int_t)p->id,
                          "reason", rc == MCP_CLIENT_ETIMEOUT ? "timeout" : "cancelled");
    if (n && ups__send(u, n) == 0)
      ups__info(u, "sent notifications/cancelled for request %lld (%s)", (long long)p->id,
                rc == MCP_CLIENT_ETIMEOUT ? "timeout" : "cancelled");
    json_decref(n);
  }
  if (rc == MCP_CLIENT_OK && p->done < 0) {
    rc = MCP_CLIENT_EUNREACHABLE;
    ups__fail(err, rc, u, "%s during the call", p->why);
  }
  resp = p->response;
  if (rc == MCP_CLIENT_OK) {
    json_t *e = json_object_get(resp, "error"), *res = json_object_get(resp, "result");
    if (json_is_object(e)) {
      rc = MCP_CLIENT_ERPC;
      ups__fail(err, rc, u, "%.250s",
                json_string_value(json_object_get(e, "message"))
                    ? json_string_value(json_object_get(e, "message"))
                    : "JSON-RPC error");
      if (err)
        err->rpc_code = (int)json_integer_value(json_object_get(e, "code"));
    } else if (!json_is_object(res)) {
      rc = MCP_CLIENT_EPROTOCOL;
      ups__fail(err, rc, u, "the response to %s has no result object", method);
    } else {
      *result_out = json_incref(res);
    }
  }
  json_decref(resp);
  json_decref(p->inbox);
  free(p);
  return rc;
}

/* ---- the supervisor ------------------------------------------------------------------------ */

/* tools/list over the pipes (pages followed). New array or NULL with u->last_err set. */
static json_t *stdio_list(mcp_upstream *u)
{
  json_t *all = json_array(), *cursor = NULL;
  mcp_client_err e;
  for (int page = 0; all && page < UPS_MAX_PAGES; page++) {
    json_t *params = cursor ? json_pack("{s:O}", "cursor", cursor) : json_object(), *res = NULL;
    int rc = stdio_request(u, "tools/list", params, NULL, NULL, 1, &res, &e);
    json_decref(params);
    json_decref(cursor);
    cursor = NULL;
    if (rc != MCP_CLIENT_OK || !json_is_array(json_object_get(res, "tools"))) {
      snprintf(u->last_err, sizeof u->last_err, "tools/list failed: %.170s",
               rc != MCP_CLIENT_OK ? e.msg : "no tools array");
      json_decref(res);
      json_decref(all);
      return NULL;
    }
    json_array_extend(all, json_object_get(res, "tools"));
    if (json_is_string(json_object_get(res, "nextCursor")))
      cursor = json_incref(json_object_get(res, "nextCursor"));
    json_decref(res);
    if (!cursor)
      return all;
  }
  json_decref(cursor);
  json_decref(all);
  snprintf(u->last_err, sizeof u->last_err, "tools/list: too many pages");
  return NULL;
}

static int stdio_handshake(mcp_upstream *u)
{
  mcp_client_err e;
  json_t *res = NULL, *note;
  /* elicitation and sampling are declared: a request of the upstream during a call is asked of
   * the caller when it can answer (else it gets a JSON-RPC error) */
  json_t *params = json_pack("{s:s,s:{s:{},s:{}},s:{s:s,s:s}}", "protocolVersion", "2025-11-25",
                             "capabilities", "elicitation", "sampling", "clientInfo", "name",
                             "workledger", "version", "upstream");
  int rc = stdio_request(u, "initialize", params, NULL, NULL, 1, &res, &e);
  json_decref(params);
  json_decref(res);
  if (rc != MCP_CLIENT_OK) {
    snprintf(u->last_err, sizeof u->last_err, "initialize failed: %.170s", e.msg);
    return -1;
  }
  note = json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method", "notifications/initialized");
  rc = note ? ups__send(u, note) : -1;
  json_decref(note);
  return rc;
}

/* Takes a new listing (stolen); calls on_tools_changed when it differs from an earlier one. */
static void take_listing(mcp_upstream *u, json_t *tools)
{
  int changed;
  pthread_mutex_lock(&u->mu);
  changed = !json_equal(u->tools, tools); /* the first listing too, unless empty */
  json_decref(u->tools);
  u->tools = tools;
  u->state = UPS_READY;
  u->first_done = 1;
  u->last_err[0] = '\0';
  pthread_cond_broadcast(&u->cv);
  pthread_mutex_unlock(&u->mu);
  if (changed && u->on_tools_changed)
    u->on_tools_changed(u->payload);
}

static void went_down(mcp_upstream *u)
{
  pthread_mutex_lock(&u->mu);
  u->state = UPS_DOWN;
  u->first_done = 1;
  pthread_cond_broadcast(&u->cv);
  pthread_mutex_unlock(&u->mu);
}

/* One life of a stdio child: spawn, handshake, list, then serve list_changed until it dies. */
static void stdio_life(mcp_upstream *u)
{
  json_t *tools;
  if (ups__spawn(u) != 0) {
    went_down(u);
    return;
  }
  if (stdio_handshake(u) != 0 || !(tools = stdio_list(u))) {
    ups__kill(u);
    went_down(u);
    return;
  }
  take_listing(u, tools);
  pthread_mutex_lock(&u->mu);
  while (!u->stop && u->state == UPS_READY) {
    if (u->relist) {
      u->relist = 0;
      pthread_mutex_unlock(&u->mu);
      if ((tools = stdio_list(u)))
        take_listing(u, tools);
      pthread_mutex_lock(&u->mu);
      continue;
    }
    pthread_cond_wait(&u->cv, &u->mu);
  }
  pthread_mutex_unlock(&u->mu);
  ups__kill(u);
}

/* One attempt at an HTTP upstream: connect and list. 0 when listed. */
static int http_life(mcp_upstream *u)
{
  mcp_client_err e;
  json_t *tools = NULL;
  memset(&e, 0, sizeof e);
  if (mcp_client_list_tools(u->http, NULL, &tools, &e) != MCP_CLIENT_OK) {
    pthread_mutex_lock(&u->mu);
    snprintf(u->last_err, sizeof u->last_err, "%.190s", e.msg);
    pthread_mutex_unlock(&u->mu);
    went_down(u);
    return -1;
  }
  take_listing(u, tools);
  pthread_mutex_lock(&u->mu);
  while (!u->stop)
    pthread_cond_wait(&u->cv, &u->mu);
  pthread_mutex_unlock(&u->mu);
  return 0;
}

static void *sup_main(void *arg)
{
  mcp_upstream *u = arg;
  long backoff = UPS_BACKOFF_MIN_MS;
  for (;;) {
    int64_t born = now_ms();
    pthread_mutex_lock(&u->mu);
    int stop = u->stop;
    pthread_mutex_unlock(&u->mu);
    if (stop)
      break;
    if (u->http)
      (void)http_life(u);
    else
      stdio_life(u);
    if (now_ms() - born >= UPS_HEALTHY_MS)
      backoff = UPS_BACKOFF_MIN_MS;
    pthread_mutex_lock(&u->mu);
    int64_t until = now_ms() + backoff;
    while (!u->stop && now_ms() < until)
      cv_wait_ms(u, until - now_ms());
    pthread_mutex_unlock(&u->mu);
    backoff = backoff * 2 > UPS_BACKOFF_MAX_MS ? UPS_BACKOFF_MAX_MS : backoff * 2;
  }
  return NULL;
}

/* ---- the public face ----------------------------------------------------------------------- */

static int copy_opts(mcp_upstream *u, const mcp_upstream_opts *o, mcp_client_err *err)
{
  snprintf(u->name, sizeof u->name, "%s", o->name);
  u->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : UPS_DEFAULT_TIMEOUT_MS;
  u->max_message = o->max_message > 0 ? o->max_message : UPS_DEFAULT_MAX_MESSAGE;
  u->max_concurrency = o->max_concurrency > 0 ? o->max_concurrency : UPS_DEFAULT_CONCURRENCY;
  u->on_tools_changed = o->on_tools_changed;
  u->payload = o->payload;
  u->to_fd = u->from_fd = -1;
  if (o->argv) {
    if (!(u->argv = strv_copy(o->argv)) || !(u->envp = strv_copy(o->envp)) ||
        (o->cwd && !(u->cwd = strdup(o->cwd))))
      return MCP_CLIENT_ERROR;
    return MCP_CLIENT_OK;
  }
  mcp_client_opts co;
  memset(&co, 0, sizeof co);
  co.url = o->url;
  co.bearer = o->bearer;
  co.timeout_ms = u->timeout_ms;
  co.max_response = u->max_message;
  co.client_name = "workledger-upstream";
  return mcp_client_new(&u->http, &co, err);
}

static void upstream_release(mcp_upstream *u)
{
  strv_free(u->argv);
  strv_free(u->envp);
  free(u->cwd);
  mcp_client_free(u->http);
  json_decref(u->tools);
  pthread_mutex_destroy(&u->mu);
  pthread_mutex_destroy(&u->wmu);
  pthread_cond_destroy(&u->cv);
  free(u);
}

int mcp_upstream_start(mcp_upstream **out, const mcp_upstream_opts *o, mcp_client_err *err)
{
  mcp_upstream *u;
  int rc;
  if (!o || !o->name || !o->name[0] || strlen(o->name) > MCP_UPSTREAM_NAME_MAX ||
      (!o->argv == !o->url) || (o->argv && !o->argv[0])) {
    if (err) {
      memset(err, 0, sizeof *err);
      err->code = MCP_CLIENT_EINVAL;
      snprintf(err->msg, sizeof err->msg, "upstream: needs a name and one of argv, url");
    }
    return MCP_CLIENT_EINVAL;
  }
  if (!(u = calloc(1, sizeof *u)))
    return MCP_CLIENT_ERROR;
  pthread_mutex_init(&u->mu, NULL);
  pthread_mutex_init(&u->wmu, NULL);
  pthread_cond_init(&u->cv, NULL);
  u->tools = json_array();
  if ((rc = copy_opts(u, o, err)) != MCP_CLIENT_OK || !u->tools) {
    upstream_release(u);
    return rc != MCP_CLIENT_OK ? rc : MCP_CLIENT_ERROR;
  }
  if (pthread_create(&u->sup, NULL, sup_main, u) != 0) {
    upstream_release(u);
    return MCP_CLIENT_ERROR;
  }
  *out = u;
  return MCP_CLIENT_OK;
}

int mcp_upstream_call(mcp_upstream *u, const char *tool, const json_t *arguments,
                      const mcp_client_call_opts *co, mcp_upstream_request_fn on_request,
                      json_t **result_out, mcp_client_err *err)
{
  int rc;
  *result_out = NULL;
  pthread_mutex_lock(&u->mu);
  if (u->inflight >= u->max_concurrency) {
    pthread_mutex_unlock(&u->mu);
    ups__fail(err, MCP_CLIENT_ERROR, u, "too many calls in flight (max_concurrency %d)",
              u->max_concurrency);
    return MCP_CLIENT_ERROR;
  }
  u->inflight++;
  pthread_mutex_unlock(&u->mu);
  if (u->http) {
    rc = mcp_client_call_tool(u->http, tool, arguments, co, result_out, err);
    if (rc == MCP_CLIENT_ETOOL)
      rc = MCP_CLIENT_OK; /* an isError result is the upstream's answer, returned as is */
  } else {
    json_t *params = json_pack("{s:s,s:o}", "name", tool, "arguments",
                               arguments ? json_deep_copy(arguments) : json_object());
    rc = params ? stdio_request(u, "tools/call", params, co, on_request, 0, result_out, err)
                : MCP_CLIENT_ERROR;
    json_decref(params);
  }
  pthread_mutex_lock(&u->mu);
  u->inflight--;
  pthread_mutex_unlock(&u->mu);
  return rc;
}

void mcp_upstream_free(mcp_upstream *u)
{
  if (!u)
    return;
  pthread_mutex_lock(&u->mu);
  u->stop = 1;
  pthread_cond_broadcast(&u->cv);
  pthread_mutex_unlock(&u->mu);
  pthread_join(u->sup, NULL);
  ups__kill(u);
  upstream_release(u);
}
