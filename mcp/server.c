/* SPDX-License-Identifier: Apache-2.0
 * mcp/server.c — the MCP core: server construction, the worker pool and in-flight window,
 * sessions, JSON-RPC 2.0 parsing with limits (size, depth, string length, UTF-8), the dual-era
 * lifecycle (legacy initialize/initialized/ping/logging and modern 2026-07-28 per-request _meta,
 * server/discover), request routing, cancellation, progress and log notifications, and
 * server->client requests (elicitation). Tool listing lives in registry.c, the tools/call
 * pipeline in call.c. It never touches a file descriptor: messages go out through callbacks. */
#include "mcp/mcp_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const legacy_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", NULL};

/* ---- small helpers -------------------------------------------------------------------------- */

int64_t mcp_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mcp_iso_utc(char out[32], int64_t ms)
{
  time_t sec = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&sec, &tm);
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
           (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
           tm.tm_sec % 100, (int)(ms % 1000));
  memcpy(out, tmp, 31);
  out[31] = '\0';
}

json_t *mcp__error_msg(const json_t *id, int code, const char *message, json_t *data)
{
  json_t *err = json_pack("{s:i,s:s}", "code", code, "message", message ? message : "error");
  if (err && data)
    json_object_set_new(err, "data", data);
  else if (data)
    json_decref(data);
  return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", err);
}

json_t *mcp__result_msg(const json_t *id, json_t *result)
{
  return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", result);
}

static void emit_raw(mcp_emit_fn emit, void *payload, json_t *msg, unsigned flags)
{
  char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  if (!text && !(flags & MCP_EMIT_FINAL)) {
    json_decref(msg); /* a notification that could not be built or serialised: dropped */
    return;
  }
  if (!text) {
    /* building or serialising the response failed (out of memory): say so, never go silent */
    static const char oom[] =
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"out of memory\"}}";
    emit(oom, sizeof oom - 1, flags, payload);
  } else {
    emit(text, text ? strlen(text) : 0, flags, payload);
  }
  free(text);
  json_decref(msg);
}

void mcp__emit_json(mcp_req *r, json_t *msg, unsigned flags)
{
  emit_raw(r->emit, r->payload, msg, flags);
}

/* ---- JSON-RPC pre-scan: limits before jansson sees the bytes -------------------------------- */

typedef struct scan_limits {
  size_t max_message;
  int max_depth;
  size_t max_string;
} scan_limits;

/* Returns 0 or a JSON-RPC error code with a message. */
static int prescan(const char *msg, size_t len, const scan_limits *lim, char *why, size_t cap)
{
  int depth = 0, in_str = 0, esc = 0;
  size_t str_start = 0;
  if (len > lim->max_message) {
    snprintf(why, cap, "message of %zu bytes exceeds the limit of %zu bytes", len,
             lim->max_message);
    return MCP_JSONRPC_INVALID_REQUEST;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)msg[i];
    if (in_str) {
      if (esc)
        esc = 0;
      else if (ch == '\\')
        esc = 1;
      else if (ch == '"') {
        in_str = 0;
        if (i - str_start > lim->max_string) {
          snprintf(why, cap, "a string exceeds the limit of %zu bytes", lim->max_string);
          return MCP_JSONRPC_INVALID_REQUEST;
        }
      }
      continue;
    }
    if (ch == '"') {
      in_str = 1;
      str_start = i;
    } else if (ch == '[' || ch == '{') {
      if (++depth > lim->max_depth) {
        snprintf(why, cap, "Parse error: JSON nesting deeper than %d levels", lim->max_depth);
        return MCP_JSONRPC_PARSE_ERROR;
      }
    } else if (ch == ']' || ch == '}') {
      depth--;
    } else if (ch == 0) {
      snprintf(why, cap, "Parse error: NUL byte in message");
      return MCP_JSONRPC_PARSE_ERROR;
    }
  }
  if (in_str && len - str_start > lim->max_string) {
    snprintf(why, cap, "a string exceeds the limit of %zu bytes", lim->max_string);
    return MCP_JSONRPC_INVALID_REQUEST;
  }
  return 0;
}

int mcp_peek_method(const char *msg, size_t len, char *method_out, size_t mcap, char *name_out,
                    size_t ncap)
{
  scan_limits lim = {MCP_DEFAULT_MAX_MESSAGE, MCP_DEFAULT_MAX_DEPTH, MCP_DEFAULT_MAX_STRING};
  char why[160];
  json_t *root, *m, *p;
  if (!msg || prescan(msg, len, &lim, why, sizeof why) != 0)
    return MCP_EINVAL;
  root = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL);
  m = json_object_get(root, "method");
  if (!json_is_string(m)) {
    json_decref(root);
    return MCP_EINVAL;
  }
  if (method_out && mcap)
    snprintf(method_out, mcap, "%s", json_string_value(m));
  if (name_out && ncap) {
    const char *n;
    p = json_object_get(root, "params");
    n = json_string_value(json_object_get(p, "name"));
    if (!n)
      n = json_string_value(json_object_get(p, "uri"));
    snprintf(name_out, ncap, "%s", n ? n : "");
  }
  json_decref(root);
  return MCP_OK;
}

/* ---- worker pool ---------------------------------------------------------------------------- */

static void req_free(mcp_req *r)
{
  if (!r)
    return;
  json_decref(r->id);
  json_decref(r->params);
  json_decref(r->progress_token);
  pthread_mutex_destroy(&r->progress_mu);
  json_decref(r->client_caps);
  free(r);
}

static void session_unlink(mcp_session *s, mcp_req *r)
{
  mcp_req **pp;
  pthread_mutex_lock(&s->mu);
  for (pp = &s->live; *pp; pp = &(*pp)->live_next)
    if (*pp == r) {
      *pp = r->live_next;
      break;
    }
  s->inflight--;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

static void finish_slot(mcp_server *srv)
{
  pthread_mutex_lock(&srv->mu);
  srv->inflight--;
  pthread_cond_broadcast(&srv->cv_slot);
  pthread_mutex_unlock(&srv->mu);
}

static void handle_request(mcp_req *r);

static void *worker_main(void *arg)
{
  mcp_server *srv = arg;
  for (;;) {
    mcp_req *r;
    pthread_mutex_lock(&srv->mu);
    while (!srv->q_head && !srv->stopping)
      pthread_cond_wait(&srv->cv_work, &srv->mu);
    if (!srv->q_head && srv->stopping) {
      pthread_mutex_unlock(&srv->mu);
      return NULL;
    }
    r = srv->q_head;
    srv->q_head = r->q_next;
    if (!srv->q_head)
      srv->q_tail = NULL;
    pthread_mutex_unlock(&srv->mu);

    {
      mcp_session *s = r->s;
      if (atomic_load(&r->cancelled))
        r->emit(NULL, 0, MCP_EMIT_FINAL, r->payload);
      else
        handle_request(r);
      session_unlink(s, r);
      req_free(r);
      finish_slot(srv);
    }
  }
}

/* ---- server --------------------------------------------------------------------------------- */

int mcp_server_new(mcp_server **out, const mcp_server_opts *opts, char *err, size_t errlen)
{
  mcp_server *srv;
  const char *profile;
  const json_t *policy_cfg;
  char perr[256];

  if (!out || !opts || !opts->key) {
    if (err && errlen)
      snprintf(err, errlen, "mcp_server_new: a signing key is required");
    return MCP_EINVAL;
  }
  profile = opts->profile && *opts->profile ? opts->profile : "personal";
  if (strcmp(profile, "personal") && strcmp(profile, "service") &&
      strcmp(profile, "collaborative")) {
    if (err && errlen)
      snprintf(err, errlen, "unknown profile \"%s\" (personal, service, collaborative)", profile);
    return MCP_EINVAL;
  }
  srv = calloc(1, sizeof *srv);
  if (!srv)
    return MCP_ERROR;
  srv->store = opts->store;
  srv->key = opts->key;
  if (opts->motebit_id && *opts->motebit_id)
    snprintf(srv->motebit_id, sizeof srv->motebit_id, "%s", opts->motebit_id);
  else
    seal_sovereign_id(srv->motebit_id, seal_key_pk(opts->key));
  if (seal_did_key_from_pk(srv->did, seal_key_pk(opts->key)) != SEAL_OK)
    srv->did[0] = '\0';
  snprintf(srv->device_id, sizeof srv->device_id, "%s",
           opts->device_id && *opts->device_id ? opts->device_id : "workledger");
  snprintf(srv->profile, sizeof srv->profile, "%s", profile);
  snprintf(srv->server_name, sizeof srv->server_name, "%s",
           opts->server_name && *opts->server_name ? opts->server_name : "workledger");
  srv->tool_groups = opts->tool_groups;
  srv->instructions = opts->instructions ? strdup(opts->instructions) : NULL;
  srv->config = opts->config ? json_incref((json_t *)opts->config) : json_object();
  srv->max_message = opts->max_message ? opts->max_message : MCP_DEFAULT_MAX_MESSAGE;
  srv->max_depth = opts->max_depth > 0 ? opts->max_depth : MCP_DEFAULT_MAX_DEPTH;
  srv->max_string = opts->max_string ? opts->max_string : MCP_DEFAULT_MAX_STRING;
  srv->page_size = opts->page_size > 0 ? opts->page_size : 50;
  srv->progress_interval_ms = opts->progress_interval_ms > 0 ? opts->progress_interval_ms : 10000;
  srv->window = opts->window > 0 ? opts->window : MCP_DEFAULT_WINDOW;
  srv->nthreads = opts->workers > 0 ? opts->workers : MCP_DEFAULT_WORKERS;
  pthread_mutex_init(&srv->mu, NULL);
  pthread_cond_init(&srv->cv_work, NULL);
  pthread_cond_init(&srv->cv_slot, NULL);
  pthread_mutex_init(&srv->rec_mu, NULL);

  policy_cfg = json_object_get(srv->config, "policy");
  if (mcp_policy_new(&srv->policy, policy_cfg, profile, perr, sizeof perr) != 0 ||
      mcp_policy_new(&srv->policy_probe, policy_cfg, profile, perr, sizeof perr) != 0) {
    if (err && errlen)
      snprintf(err, errlen, "policy: %s", perr);
    mcp_server_free(srv);
    return MCP_EINVAL;
  }
  if (mcp__registry_load(srv, err, errlen) != 0) {
    mcp_server_free(srv);
    return MCP_ERROR;
  }
  if (mcp__record_open(srv, err, errlen) != 0) {
    mcp_server_free(srv);
    return MCP_ERROR;
  }
  srv->threads = calloc((size_t)srv->nthreads, sizeof *srv->threads);
  if (!srv->threads) {
    mcp_server_free(srv);
    return MCP_ERROR;
  }
  for (int i = 0; i < srv->nthreads; i++) {
    if (pthread_create(&srv->threads[i], NULL, worker_main, srv) != 0) {
      srv->nthreads = i;
      if (err && errlen)
        snprintf(err, errlen, "cannot start worker threads");
      mcp_server_free(srv);
      return MCP_ERROR;
    }
  }
  *out = srv;
  return MCP_OK;
}

void mcp_server_free(mcp_server *srv)
{
  if (!srv)
    return;
  pthread_mutex_lock(&srv->mu);
  srv->stopping = 1;
  pthread_cond_broadcast(&srv->cv_work);
  pthread_mutex_unlock(&srv->mu);
  for (int i = 0; srv->threads && i < srv->nthreads; i++)
    pthread_join(srv->threads[i], NULL);
  free(srv->threads);
  mcp__record_close(srv);
  mcp__registry_free(srv);
  mcp_policy_free(srv->policy);
  mcp_policy_free(srv->policy_probe);
  json_decref(srv->config);
  free(srv->instructions);
  pthread_mutex_destroy(&srv->mu);
  pthread_cond_destroy(&srv->cv_work);
  pthread_cond_destroy(&srv->cv_slot);
  pthread_mutex_destroy(&srv->rec_mu);
  free(srv);
}

/* ---- sessions ------------------------------------------------------------------------------- */

int mcp_session_new(mcp_session **out, mcp_server *srv, const mcp_session_opts *opts)
{
  mcp_session *s;
  if (!out || !srv)
    return MCP_EINVAL;
  s = calloc(1, sizeof *s);
  if (!s)
    return MCP_ERROR;
  s->srv = srv;
  if (opts) {
    s->caller = opts->caller;
    s->stateless = opts->stateless;
    s->no_wait = opts->no_wait;
    s->send = opts->send;
    s->send_payload = opts->send_payload;
  } else {
    s->caller.trust = MCP_TRUST_LOCAL;
  }
  s->caller_id = strdup(s->caller.id ? s->caller.id : "local-operator");
  s->caller_scope = s->caller.scope ? strdup(s->caller.scope) : NULL;
  s->caller.id = s->caller_id;
  s->caller.scope = s->caller_scope;
  s->log_level = -1;
  s->next_ticket = 1;
  s->next_out_id = 1;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  *out = s;
  return MCP_OK;
}

void mcp_session_drain(mcp_session *s)
{
  if (!s)
    return;
  pthread_mutex_lock(&s->mu);
  s->draining = 1;
  pthread_cond_broadcast(&s->cv); /* requests waiting for a client answer give up now */
  while (s->inflight > 0)
    pthread_cond_wait(&s->cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
}

void mcp_session_free(mcp_session *s)
{
  mcp_outreq *o, *n;
  if (!s)
    return;
  mcp_session_drain(s);
  for (o = s->out; o; o = n) {
    n = o->next;
    json_decref(o->response);
    free(o);
  }
  json_decref(s->client_caps);
  json_decref(s->client_info);
  free(s->caller_id);
  free(s->caller_scope);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s);
}

int mcp_session_inflight(mcp_session *s)
{
  int n;
  pthread_mutex_lock(&s->mu);
  n = s->inflight;
  pthread_mutex_unlock(&s->mu);
  return n;
}

int mcp_reject(mcp_session *s, int code, const char *message, mcp_emit_fn emit, void *payload)
{
  (void)s;
  emit_raw(emit, payload, mcp__error_msg(NULL, code, message, NULL), MCP_EMIT_FINAL);
  return MCP_OK;
}

static int same_id(const json_t *a, const json_t *b)
{
  if (json_is_integer(a) && json_is_integer(b))
    return json_integer_value(a) == json_integer_value(b);
  if (json_is_string(a) && json_is_string(b))
    return strcmp(json_string_value(a), json_string_value(b)) == 0;
  return 0;
}

void mcp_cancel(mcp_session *s, uint64_t ticket)
{
  mcp_req *r;
  if (!s || !ticket)
    return;
  pthread_mutex_lock(&s->mu);
  for (r = s->live; r; r = r->live_next)
    if (r->ticket == ticket) {
      atomic_store(&r->cancelled, 1);
      break;
    }
  pthread_cond_broadcast(&s->cv); /* wake a request waiting on elicitation */
  pthread_mutex_unlock(&s->mu);
}

static void cancel_by_id(mcp_session *s, const json_t *id)
{
  mcp_req *r;
  pthread_mutex_lock(&s->mu);
  for (r = s->live; r; r = r->live_next)
    if (r->id && same_id(r->id, id)) {
      atomic_store(&r->cancelled, 1);
      break;
    }
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* A response from the client to one of our requests: hand it to the waiter. */
static void take_response(mcp_session *s, json_t *msg)
{
  const char *id = json_string_value(json_object_get(msg, "id"));
  mcp_outreq *o;
  if (!id)
    return;
  pthread_mutex_lock(&s->mu);
  for (o = s->out; o; o = o->next)
    if (!o->done && strcmp(o->id, id) == 0) {
      o->response = json_incref(msg);
      o->done = 1;
      break;
    }
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

json_t *mcp__session_request(mcp_req *r, const char *method, json_t *params, int timeout_ms)
{
  mcp_session *s = r->s;
  mcp_outreq *o, **pp;
  json_t *msg, *resp = NULL;
  struct timespec deadline;
  char *text;

  if (!s->send) {
    json_decref(params);
    return NULL;
  }
  o = calloc(1, sizeof *o);
  if (!o) {
    json_decref(params);
    return NULL;
  }
  pthread_mutex_lock(&s->mu);
  snprintf(o->id, sizeof o->id, "wl-%llu", (unsigned long long)s->next_out_id++);
  o->next = s->out;
  s->out = o;
  pthread_mutex_unlock(&s->mu);

  msg = json_pack("{s:s,s:s,s:s,s:o}", "jsonrpc", "2.0", "id", o->id, "method", method, "params",
                  params);
  text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  json_decref(msg);
  if (text) {
    s->send(text, strlen(text), MCP_EMIT_REQUEST, s->send_payload);
    free(text);
  }
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  /* While it waits for the client, the request lends its window slot back: the answer comes in
   * through the same reader that a full window blocks, so keeping the slot could stall the
   * session until the timeout. It takes the slot back without waiting (the window may be
   * exceeded by the requests that were waiting on their clients). */
  finish_slot(s->srv);
  pthread_mutex_lock(&s->mu);
  while (text && !o->done && !atomic_load(&r->cancelled) && !s->draining) {
    if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT)
      break;
  }
  pthread_mutex_unlock(&s->mu);
  pthread_mutex_lock(&s->srv->mu);
  s->srv->inflight++;
  pthread_mutex_unlock(&s->srv->mu);
  pthread_mutex_lock(&s->mu);
  resp = o->response;
  o->response = NULL;
  for (pp = &s->out; *pp; pp = &(*pp)->next)
    if (*pp == o) {
      *pp = o->next;
      break;
    }
  pthread_mutex_unlock(&s->mu);
  free(o);
  return resp;
}

/* ---- notifications to the client ------------------------------------------------------------ */

static int caps_has(const json_t *caps, const char *name)
{
  return json_object_get(caps, name) != NULL;
}

void mcp_ctx_progress(mcp_ctx *ctx, double progress, double total, const char *msg)
{
  mcp_req *r = ctx->req;
  json_t *p, *note;
  if (!r->progress_token || atomic_load(&r->cancelled))
    return;
  pthread_mutex_lock(&r->progress_mu);
  if (progress <= r->progress_last) {
    pthread_mutex_unlock(&r->progress_mu);
    return;
  }
  r->progress_last = progress;
  p = json_pack("{s:O}", "progressToken", r->progress_token);
  if (progress == (double)(json_int_t)progress)
    json_object_set_new(p, "progress", json_integer((json_int_t)progress));
  else
    json_object_set_new(p, "progress", json_real(progress));
  if (total > 0) {
    if (total == (double)(json_int_t)total)
      json_object_set_new(p, "total", json_integer((json_int_t)total));
    else
      json_object_set_new(p, "total", json_real(total));
  }
  if (msg)
    json_object_set_new(p, "message", json_string(msg));
  note = json_pack("{s:s,s:s,s:o}", "jsonrpc", "2.0", "method", "notifications/progress", "params",
                   p);
  mcp__emit_json(r, note, MCP_EMIT_NOTIFICATION);
  pthread_mutex_unlock(&r->progress_mu);
}

static void *heartbeat_main(void *arg)
{
  mcp_heartbeat *hb = arg;
  mcp_req *r = hb->ctx->req;
  int interval = r->s->srv->progress_interval_ms;
  pthread_mutex_lock(&hb->mu);
  while (!hb->stop) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += interval / 1000;
    dl.tv_nsec += (long)(interval % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
      dl.tv_sec++;
      dl.tv_nsec -= 1000000000L;
    }
    if (pthread_cond_timedwait(&hb->cv, &hb->mu, &dl) == ETIMEDOUT && !hb->stop) {
      double next;
      pthread_mutex_unlock(&hb->mu);
      pthread_mutex_lock(&r->progress_mu);
      next = r->progress_last + 1;
      pthread_mutex_unlock(&r->progress_mu);
      mcp_ctx_progress(hb->ctx, next, 0, "still running");
      pthread_mutex_lock(&hb->mu);
    }
  }
  pthread_mutex_unlock(&hb->mu);
  return NULL;
}

void mcp__heartbeat_start(mcp_heartbeat *hb, mcp_ctx *ctx)
{
  memset(hb, 0, sizeof *hb);
  hb->ctx = ctx;
  if (!ctx->req->progress_token)
    return;
  pthread_mutex_init(&hb->mu, NULL);
  pthread_cond_init(&hb->cv, NULL);
  hb->running = pthread_create(&hb->th, NULL, heartbeat_main, hb) == 0;
  if (!hb->running) {
    pthread_mutex_destroy(&hb->mu);
    pthread_cond_destroy(&hb->cv);
  }
}

void mcp__heartbeat_stop(mcp_heartbeat *hb)
{
  if (!hb->running)
    return;
  pthread_mutex_lock(&hb->mu);
  hb->stop = 1;
  pthread_cond_signal(&hb->cv);
  pthread_mutex_unlock(&hb->mu);
  pthread_join(hb->th, NULL);
  pthread_mutex_destroy(&hb->mu);
  pthread_cond_destroy(&hb->cv);
  hb->running = 0;
}

void mcp__client_log(mcp_req *r, mcp_log_level lvl, const char *text)
{
  json_t *note;
  if (r->log_level < 0 || (int)lvl < r->log_level || atomic_load(&r->cancelled))
    return;
  note = json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "jsonrpc", "2.0", "method", "notifications/message",
                   "params", "level", mcp_log_level_name(lvl), "logger", "workledger", "data",
                   text);
  mcp__emit_json(r, note, MCP_EMIT_NOTIFICATION);
}

void mcp_ctx_log(mcp_ctx *ctx, mcp_log_level lvl, const char *fmt, ...)
{
  char text[1000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  mcp_log(lvl, "%s", text);
  mcp__client_log(ctx->req, lvl, text);
}

int mcp_ctx_cancelled(mcp_ctx *ctx)
{
  return atomic_load(&ctx->req->cancelled);
}
struct ledger *mcp_ctx_store(mcp_ctx *ctx)
{
  return ctx->req->s->srv->store;
}
const seal_key *mcp_ctx_key(mcp_ctx *ctx)
{
  return ctx->req->s->srv->key;
}
const char *mcp_ctx_motebit_id(mcp_ctx *ctx)
{
  return ctx->req->s->srv->motebit_id;
}
const char *mcp_ctx_device_id(mcp_ctx *ctx)
{
  return ctx->req->s->srv->device_id;
}
const char *mcp_ctx_did(mcp_ctx *ctx)
{
  return ctx->req->s->srv->did;
}
const char *mcp_ctx_session_run(mcp_ctx *ctx)
{
  mcp_server *srv = ctx->req->s->srv;
  return srv->run_open ? srv->run_id : NULL;
}
const char *mcp_ctx_profile(mcp_ctx *ctx)
{
  return ctx->req->s->srv->profile;
}
const json_t *mcp_ctx_config(mcp_ctx *ctx)
{
  return ctx->req->s->srv->config;
}
const mcp_caller *mcp_ctx_caller(mcp_ctx *ctx)
{
  return &ctx->req->s->caller;
}
mcp_server *mcp_ctx_server(mcp_ctx *ctx)
{
  return ctx->req->s->srv;
}
const char *mcp_ctx_invocation_id(mcp_ctx *ctx)
{
  return ctx->invocation_id;
}

/* ---- method handlers ------------------------------------------------------------------------ */

static json_t *server_info(const mcp_server *srv)
{
  return json_pack("{s:s,s:s,s:s}", "name", srv->server_name, "version", WL_VERSION, "title",
                   "workledger");
}

static json_t *server_caps(void)
{
  return json_pack("{s:{s:b},s:{}}", "tools", "listChanged", 0, "logging");
}

/* Adds resultType and serverInfo to a modern-era result. */
static void modernize(mcp_req *r, json_t *result)
{
  json_t *meta;
  if (!r->modern || !json_is_object(result))
    return;
  json_object_set_new(result, "resultType", json_string("complete"));
  meta = json_object_get(result, "_meta");
  if (!json_is_object(meta)) {
    meta = json_object();
    json_object_set_new(result, "_meta", meta);
  }
  json_object_set_new(meta, "io.modelcontextprotocol/serverInfo", server_info(r->s->srv));
}

static json_t *do_initialize(mcp_req *r, int *code, char *msg, size_t cap)
{
  mcp_session *s = r->s;
  mcp_server *srv = s->srv;
  const char *want = json_string_value(json_object_get(r->params, "protocolVersion"));
  const char *answer = MCP_VERSION_LEGACY_LATEST;
  json_t *caps = json_object_get(r->params, "capabilities");
  json_t *res;

  if (!want) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "initialize: params.protocolVersion (string) is required");
    return NULL;
  }
  if (caps && !json_is_object(caps)) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "initialize: params.capabilities must be an object");
    return NULL;
  }
  for (int i = 0; legacy_versions[i]; i++)
    if (strcmp(want, legacy_versions[i]) == 0)
      answer = legacy_versions[i];
  if (!s->stateless) {
    pthread_mutex_lock(&s->mu);
    if (s->init_state > 0) {
      pthread_mutex_unlock(&s->mu);
      *code = MCP_JSONRPC_INVALID_REQUEST;
      snprintf(msg, cap, "initialize: the session is already initialized");
      return NULL;
    }
    s->init_state = 1;
    snprintf(s->version, sizeof s->version, "%s", answer);
    json_decref(s->client_caps);
    s->client_caps = caps ? json_incref(caps) : json_object();
    json_decref(s->client_info);
    s->client_info = json_incref(json_object_get(r->params, "clientInfo"));
    pthread_mutex_unlock(&s->mu);
    mcp_log(MCP_LOG_INFO, "initialize: client %s, protocol %s (asked %s)",
            json_string_value(json_object_get(json_object_get(r->params, "clientInfo"), "name"))
                ? json_string_value(
                      json_object_get(json_object_get(r->params, "clientInfo"), "name"))
                : "?",
            answer, want);
  }
  res = json_pack("{s:s,s:o,s:o}", "protocolVersion", answer, "capabilities", server_caps(),
                  "serverInfo", server_info(srv));
  if (srv->instructions)
    json_object_set_new(res, "instructions", json_string(srv->instructions));
  return res;
}

static json_t *do_discover(mcp_req *r)
{
  mcp_server *srv = r->s->srv;
  json_t *res = json_pack("{s:[s,s,s,s],s:o,s:i,s:s}", "supportedVersions", MCP_VERSION_MODERN,
                          "2025-11-25", "2025-06-18", "2025-03-26", "capabilities", server_caps(),
                          "ttlMs", 300000, "cacheScope", "public");
  if (srv->instructions)
    json_object_set_new(res, "instructions", json_string(srv->instructions));
  return res;
}

static json_t *do_set_level(mcp_req *r, int *code, char *msg, size_t cap)
{
  const char *lv = json_string_value(json_object_get(r->params, "level"));
  int l = mcp_log_level_parse(lv);
  if (l < 0) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap,
             "logging/setLevel: level must be one of debug, info, notice, warning, "
             "error, critical, alert, emergency");
    return NULL;
  }
  if (!r->s->stateless) {
    pthread_mutex_lock(&r->s->mu);
    r->s->log_level = l;
    pthread_mutex_unlock(&r->s->mu);
  }
  return json_object();
}

/* Runs on a worker: produces the final message for r. */
static void handle_request(mcp_req *r)
{
  int code = 0;
  char msg[600] = "";
  json_t *result = NULL;
  json_t *data = NULL;

  if (strcmp(r->method, "tools/list") == 0)
    result = mcp__tools_list(r->s->srv, r, r->params, &code, msg, sizeof msg);
  else if (strcmp(r->method, "tools/call") == 0)
    result = mcp__tools_call(r, &code, msg, sizeof msg);
  else {
    code = MCP_JSONRPC_METHOD_NOT_FOUND;
    snprintf(msg, sizeof msg, "Method not found: %s", r->method);
  }
  if (atomic_load(&r->cancelled)) {
    json_decref(result);
    r->emit(NULL, 0, MCP_EMIT_FINAL, r->payload);
    return;
  }
  if (result) {
    modernize(r, result);
    mcp__emit_json(r, mcp__result_msg(r->id, result), MCP_EMIT_FINAL);
  } else {
    if (!code)
      code = MCP_JSONRPC_INTERNAL_ERROR;
    mcp__emit_json(r, mcp__error_msg(r->id, code, msg[0] ? msg : "Internal error", data),
                   MCP_EMIT_FINAL);
  }
}

/* ---- submit: classification and inline answers ---------------------------------------------- */

static int known_method(const char *m)
{
  static const char *const methods[] = {
      "initialize",      "ping", "tools/list", "tools/call", "logging/setLevel",
      "server/discover", NULL};
  for (int i = 0; methods[i]; i++)
    if (strcmp(m, methods[i]) == 0)
      return 1;
  return 0;
}

static void reply_error(mcp_emit_fn emit, void *payload, const json_t *id, int code, const char *m,
                        json_t *data)
{
  emit_raw(emit, payload, mcp__error_msg(id, code, m, data), MCP_EMIT_FINAL);
}

static void reply_result(mcp_emit_fn emit, void *payload, const json_t *id, json_t *result)
{
  emit_raw(emit, payload, mcp__result_msg(id, result), MCP_EMIT_FINAL);
}

static void handle_notification(mcp_session *s, const char *method, json_t *params)
{
  if (strcmp(method, "notifications/initialized") == 0) {
    pthread_mutex_lock(&s->mu);
    if (s->init_state == 1)
      s->init_state = 2;
    pthread_mutex_unlock(&s->mu);
  } else if (strcmp(method, "notifications/cancelled") == 0) {
    json_t *rid = json_object_get(params, "requestId");
    if (json_is_string(rid) || json_is_integer(rid)) {
      mcp_log(MCP_LOG_DEBUG, "cancel requested: %s",
              json_is_string(rid) ? json_string_value(rid) : "(integer id)");
      cancel_by_id(s, rid);
    }
  }
  /* other notifications (progress, roots/list_changed, ...) are ignored */
}

int mcp_submit(mcp_session *s, const char *msg, size_t len, mcp_emit_fn emit, void *payload,
               uint64_t *ticket_out)
{
  mcp_server *srv;
  scan_limits lim;
  char why[200];
  json_error_t jerr;
  json_t *root, *id, *method, *params, *meta, *version;
  int code, modern = 0;
  const char *m;
  mcp_req *r;

  if (ticket_out)
    *ticket_out = 0;
  if (!s || !emit)
    return MCP_EINVAL;
  srv = s->srv;
  pthread_mutex_lock(&s->mu);
  if (s->draining) {
    pthread_mutex_unlock(&s->mu);
    return MCP_ECLOSED;
  }
  pthread_mutex_unlock(&s->mu);

  lim.max_message = srv->max_message;
  lim.max_depth = srv->max_depth;
  lim.max_string = srv->max_string;
  if (!msg) {
    reply_error(emit, payload, NULL, MCP_JSONRPC_INVALID_REQUEST, "empty message", NULL);
    return MCP_OK;
  }
  if ((code = prescan(msg, len, &lim, why, sizeof why)) != 0) {
    reply_error(emit, payload, NULL, code, why, NULL);
    return MCP_OK;
  }
  root = json_loadb(msg, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
  if (!root) {
    snprintf(why, sizeof why, "Parse error: %s", jerr.text);
    reply_error(emit, payload, NULL, MCP_JSONRPC_PARSE_ERROR, why, NULL);
    return MCP_OK;
  }
  if (json_is_array(root)) {
    json_decref(root);
    reply_error(emit, payload, NULL, MCP_JSONRPC_INVALID_REQUEST,
                "Invalid Request: JSON-RPC batches are not supported", NULL);
    return MCP_OK;
  }
  if (!json_is_object(root)) {
    json_decref(root);
    reply_error(emit, payload, NULL, MCP_JSONRPC_INVALID_REQUEST,
                "Invalid Request: a JSON-RPC message must be an object", NULL);
    return MCP_OK;
  }
  id = json_object_get(root, "id");
  method = json_object_get(root, "method");
  if (id && !json_is_string(id) && !json_is_integer(id)) {
    json_decref(root);
    reply_error(emit, payload, NULL, MCP_JSONRPC_INVALID_REQUEST,
                "Invalid Request: id must be a string or an integer", NULL);
    return MCP_OK;
  }
  if (!json_is_string(json_object_get(root, "jsonrpc")) ||
      strcmp(json_string_value(json_object_get(root, "jsonrpc")), "2.0") != 0) {
    reply_error(emit, payload, id, MCP_JSONRPC_INVALID_REQUEST,
                "Invalid Request: jsonrpc must be \"2.0\"", NULL);
    json_decref(root);
    return MCP_OK;
  }
  if (!method) {
    if (id && (json_object_get(root, "result") || json_object_get(root, "error"))) {
      take_response(s, root);
      json_decref(root);
      emit(NULL, 0, MCP_EMIT_FINAL, payload);
      return MCP_OK;
    }
    reply_error(emit, payload, id, MCP_JSONRPC_INVALID_REQUEST,
                "Invalid Request: no method, result or error", NULL);
    json_decref(root);
    return MCP_OK;
  }
  if (!json_is_string(method)) {
    reply_error(emit, payload, id, MCP_JSONRPC_INVALID_REQUEST,
                "Invalid Request: method must be a string", NULL);
    json_decref(root);
    return MCP_OK;
  }
  m = json_string_value(method);
  params = json_object_get(root, "params");
  if (params && !json_is_object(params)) {
    if (id)
      reply_error(emit, payload, id, MCP_JSONRPC_INVALID_PARAMS,
                  "Invalid params: params must be an object", NULL);
    else
      emit(NULL, 0, MCP_EMIT_FINAL, payload);
    json_decref(root);
    return MCP_OK;
  }

  /* notifications: no reply, ever */
  if (!id) {
    handle_notification(s, m, params);
    json_decref(root);
    emit(NULL, 0, MCP_EMIT_FINAL, payload);
    return MCP_OK;
  }

  /* era: a request carrying _meta protocolVersion is modern traffic */
  meta = json_object_get(params, "_meta");
  version = json_object_get(meta, "io.modelcontextprotocol/protocolVersion");
  if (version) {
    modern = 1;
    if (!json_is_string(version) || strcmp(json_string_value(version), MCP_VERSION_MODERN) != 0) {
      json_t *d = json_pack("{s:[s,s,s,s],s:O}", "supported", MCP_VERSION_MODERN, "2025-11-25",
                            "2025-06-18", "2025-03-26", "requested", version);
      reply_error(emit, payload, id, MCP_ERR_UNSUPPORTED_VERSION, "Unsupported protocol version",
                  d);
      json_decref(root);
      return MCP_OK;
    }
    if (!json_is_object(json_object_get(meta, "io.modelcontextprotocol/clientCapabilities"))) {
      reply_error(
          emit, payload, id, MCP_JSONRPC_INVALID_PARAMS,
          "Invalid params: _meta[\"io.modelcontextprotocol/clientCapabilities\"] is required",
          NULL);
      json_decref(root);
      return MCP_OK;
    }
  }

  if (!known_method(m) || (modern && (!strcmp(m, "initialize") || !strcmp(m, "ping") ||
                                      !strcmp(m, "logging/setLevel")))) {
    snprintf(why, sizeof why, "Method not found: %.150s", m);
    reply_error(emit, payload, id, MCP_JSONRPC_METHOD_NOT_FOUND, why, NULL);
    json_decref(root);
    return MCP_OK;
  }
  if (!modern && strcmp(m, "server/discover") == 0) {
    reply_error(emit, payload, id, MCP_JSONRPC_INVALID_PARAMS,
                "Invalid params: server/discover requires _meta[\"io.modelcontextprotocol/"
                "protocolVersion\"]",
                NULL);
    json_decref(root);
    return MCP_OK;
  }

  /* inline methods */
  if (strcmp(m, "ping") == 0) {
    reply_result(emit, payload, id, json_object());
    json_decref(root);
    return MCP_OK;
  }
  if (!modern && !s->stateless && strcmp(m, "initialize") != 0) {
    int st;
    pthread_mutex_lock(&s->mu);
    st = s->init_state;
    pthread_mutex_unlock(&s->mu);
    if (st == 0) {
      reply_error(emit, payload, id, MCP_JSONRPC_INVALID_REQUEST,
                  "Invalid Request: server not initialized (send initialize first, or use "
                  "protocol 2026-07-28 _meta)",
                  NULL);
      json_decref(root);
      return MCP_OK;
    }
  }

  r = calloc(1, sizeof *r);
  if (!r) {
    reply_error(emit, payload, id, MCP_JSONRPC_INTERNAL_ERROR, "out of memory", NULL);
    json_decref(root);
    return MCP_OK;
  }
  r->s = s;
  pthread_mutex_init(&r->progress_mu, NULL);
  r->id = json_incref(id);
  snprintf(r->method, sizeof r->method, "%s", m);
  r->params = params ? json_incref(params) : json_object();
  r->emit = emit;
  r->payload = payload;
  r->modern = modern;
  r->log_level = -1;
  if (json_is_string(json_object_get(meta, "progressToken")) ||
      json_is_integer(json_object_get(meta, "progressToken")))
    r->progress_token = json_incref(json_object_get(meta, "progressToken"));
  if (modern) {
    snprintf(r->version, sizeof r->version, "%s", MCP_VERSION_MODERN);
    r->client_caps = json_incref(
        json_object_get(meta, "io.modelcontextprotocol/clientCapabilities"));
    r->log_level = mcp_log_level_parse(
        json_string_value(json_object_get(meta, "io.modelcontextprotocol/logLevel")));
  } else {
    pthread_mutex_lock(&s->mu);
    snprintf(r->version, sizeof r->version, "%s",
             s->version[0] ? s->version : MCP_VERSION_LEGACY_LATEST);
    r->client_caps = s->client_caps ? json_incref(s->client_caps) : json_object();
    r->log_level = s->log_level;
    pthread_mutex_unlock(&s->mu);
  }
  json_decref(root);

  /* cheap methods answered inline */
  if (!strcmp(r->method, "initialize") || !strcmp(r->method, "logging/setLevel") ||
      !strcmp(r->method, "server/discover")) {
    int c = 0;
    char em[300] = "";
    json_t *res;
    if (!strcmp(r->method, "initialize"))
      res = do_initialize(r, &c, em, sizeof em);
    else if (!strcmp(r->method, "logging/setLevel"))
      res = do_set_level(r, &c, em, sizeof em);
    else
      res = do_discover(r);
    if (res) {
      modernize(r, res);
      reply_result(emit, payload, r->id, res);
    } else {
      reply_error(emit, payload, r->id, c ? c : MCP_JSONRPC_INTERNAL_ERROR, em, NULL);
    }
    req_free(r);
    return MCP_OK;
  }

  /* worker methods: take a window slot (blocking = backpressure on the reader; a no_wait
   * session is told MCP_EBUSY instead, so its listener thread never stalls) */
  pthread_mutex_lock(&srv->mu);
  if (s->no_wait && srv->inflight >= srv->window && !srv->stopping) {
    pthread_mutex_unlock(&srv->mu);
    req_free(r);
    return MCP_EBUSY;
  }
  while (srv->inflight >= srv->window && !srv->stopping)
    pthread_cond_wait(&srv->cv_slot, &srv->mu);
  if (srv->stopping) {
    pthread_mutex_unlock(&srv->mu);
    reply_error(emit, payload, r->id, MCP_JSONRPC_INTERNAL_ERROR, "server shutting down", NULL);
    req_free(r);
    return MCP_OK;
  }
  srv->inflight++;
  pthread_mutex_unlock(&srv->mu);

  pthread_mutex_lock(&s->mu);
  r->ticket = s->next_ticket++;
  r->live_next = s->live;
  s->live = r;
  s->inflight++;
  pthread_mutex_unlock(&s->mu);
  if (ticket_out)
    *ticket_out = r->ticket;

  pthread_mutex_lock(&srv->mu);
  if (srv->q_tail)
    srv->q_tail->q_next = r;
  else
    srv->q_head = r;
  srv->q_tail = r;
  pthread_cond_signal(&srv->cv_work);
  pthread_mutex_unlock(&srv->mu);
  return MCP_OK;
}

int mcp__req_can_elicit(const mcp_req *r)
{
  return !r->modern && r->s->send != NULL && caps_has(r->client_caps, "elicitation");
}
