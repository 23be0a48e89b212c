/* SPDX-License-Identifier: Apache-2.0
 * mcp/context.c — what a tool handler sees of its request (mcp_ctx of mcp/tool.h): the
 * accessors of the server, caller and request, cancellation, progress notifications with the
 * heartbeat thread that sends "still running" progress, and log notifications to the client
 * (notifications/message at the level the client asked for). */
#include "mcp/mcp_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* step = 1: progress is the last one sent plus one (whatever it was). */
static void send_progress(mcp_ctx *ctx, int step, double progress, double total, const char *msg)
{
  mcp_req *r = ctx->req;
  json_t *p, *note;
  if (!r->progress_token || atomic_load(&r->cancelled))
    return;
  pthread_mutex_lock(&r->progress_mu);
  if (step)
    progress = r->progress_last + 1;
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

void mcp_ctx_progress(mcp_ctx *ctx, double progress, double total, const char *msg)
{
  send_progress(ctx, 0, progress, total, msg);
}

void mcp_ctx_progress_step(mcp_ctx *ctx, const char *msg)
{
  send_progress(ctx, 1, 0, 0, msg);
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

void mcp_ctx_notify(mcp_ctx *ctx, const char *method, json_t *params)
{
  mcp_req *r = ctx->req;
  json_t *note;
  if (atomic_load(&r->cancelled)) {
    json_decref(params);
    return;
  }
  if (!strcmp(method, "notifications/message")) { /* only at the level the client asked for */
    int lvl = mcp_log_level_parse(json_string_value(json_object_get(params, "level")));
    if (r->log_level < 0 || lvl < r->log_level) {
      json_decref(params);
      return;
    }
  }
  note = json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method", method);
  if (note && params)
    json_object_set_new(note, "params", params);
  else
    json_decref(params);
  if (note)
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

json_t *mcp_ctx_client_request(mcp_ctx *ctx, const char *capability, const char *method,
                               json_t *params, int timeout_ms, char *err, size_t errlen)
{
  mcp_req *r = ctx->req;
  json_t *resp, *result, *e;
  if (r->modern || (!r->s->send && !r->s->stateless)) {
    json_decref(params);
    snprintf(err, errlen,
             "the client cannot be asked (%s): this %s has no server-to-client channel; use a "
             "stdio session, a legacy HTTP request, or an InputRequiredResult",
             method, r->modern ? "2026-07-28 request" : "session");
    return NULL;
  }
  if (capability && !json_object_get(r->client_caps, capability)) {
    json_decref(params);
    snprintf(err, errlen, "the client did not declare the %s capability, so %s cannot be sent",
             capability, method);
    return NULL;
  }
  if (!(resp = mcp__session_request(r, method, params, timeout_ms))) {
    snprintf(err, errlen, "%s: %s", method,
             atomic_load(&r->cancelled) ? "cancelled by the caller"
                                        : "no answer from the client in time");
    return NULL;
  }
  if ((e = json_object_get(resp, "error"))) {
    const char *m = json_string_value(json_object_get(e, "message"));
    snprintf(err, errlen, "%s: the client answered with an error: %.300s", method, m ? m : "?");
    json_decref(resp);
    return NULL;
  }
  result = json_object_get(resp, "result");
  if (!json_is_object(result)) {
    snprintf(err, errlen, "%s: the client's answer has no result object", method);
    json_decref(resp);
    return NULL;
  }
  json_incref(result);
  json_decref(resp);
  return result;
}

int mcp_ctx_shutting_down(mcp_ctx *ctx)
{
  return atomic_load(&ctx->req->s->srv->shutting_down);
}

int mcp_ctx_cancelled(mcp_ctx *ctx)
{
  mcp_req *r = ctx->req;
  return atomic_load(&r->cancelled) || atomic_load(&r->s->srv->shutting_down) ||
         (r->task_id[0] && mcp_task_cancelled(r->s->srv, r->task_id));
}
const char *mcp_ctx_identity_file(mcp_ctx *ctx)
{
  return ctx->req->s->srv->identity_file;
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
