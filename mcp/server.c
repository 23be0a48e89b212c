/* SPDX-License-Identifier: Apache-2.0
 * mcp/server.c — the MCP core's server: construction and release, the worker pool and its
 * in-flight window, mcp_submit (parse with limits, classify, answer inline or enqueue) and the
 * routing of queued requests to tools/list (registry.c) and tools/call (call.c). The envelope
 * parse lives in jsonrpc.c, sessions and server->client requests in session.c, the lifecycle of
 * both eras in lifecycle.c, the handler's context (progress, logs) in context.c. It never
 * touches a file descriptor: messages go out through callbacks. */
#include "crypto/artifacts.h"
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
  seal_free_soon(r); /* ended on the Store's writer: back to the submitting thread */
}

void mcp__slot_release(mcp_server *srv)
{
  pthread_mutex_lock(&srv->mu);
  srv->inflight--;
  pthread_cond_broadcast(&srv->cv_slot);
  pthread_mutex_unlock(&srv->mu);
}

static int handle_request(mcp_req *r);

void mcp__slot_retake(mcp_server *srv)
{
  pthread_mutex_lock(&srv->mu);
  srv->inflight++;
  pthread_mutex_unlock(&srv->mu);
}

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
      else if (handle_request(r))
        continue; /* the call answers r once its commit is durable (mcp__req_done) */
      mcp__session_unlink(s, r);
      req_free(r);
      mcp__slot_release(srv);
    }
  }
}

void mcp__req_done(mcp_req *r)
{
  mcp_session *s = r->s;
  /* the slot first: once unlinked, a drained session (and then the server) may be freed */
  mcp__slot_release(s->srv);
  mcp__session_unlink(s, r);
  req_free(r);
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
  profile = opts->profile && *opts->profile ? opts->profile : SEAL_PROFILE_PERSONAL;
  if (!seal_profile_valid(profile)) {
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
  srv->tool_source = opts->tool_source;
  pthread_mutex_init(&srv->sess_mu, NULL);
  srv->fault = !opts->fault                                 ? MCP_FAULT_NONE
               : !strcmp(opts->fault, "sign")               ? MCP_FAULT_SIGN
               : !strcmp(opts->fault, "insert")             ? MCP_FAULT_INSERT
               : !strcmp(opts->fault, "commit")             ? MCP_FAULT_COMMIT
               : !strcmp(opts->fault, "kill-before-commit") ? MCP_FAULT_KILL_BEFORE_COMMIT
               : !strcmp(opts->fault, "kill-after-commit")  ? MCP_FAULT_KILL_AFTER_COMMIT
                                                            : MCP_FAULT_NONE;
  srv->instructions = opts->instructions ? strdup(opts->instructions) : NULL;
  srv->resource_groups = opts->resource_groups;
  srv->prompt_groups = opts->prompt_groups;
  srv->identity_file = opts->identity_file ? strdup(opts->identity_file) : NULL;
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
  if (mcp__state_key_init(srv) != 0) {
    mcp_server_free(srv);
    return MCP_ERROR;
  }
  if (mcp__registry_load(srv, err, errlen) != 0) {
    mcp_server_free(srv);
    return MCP_ERROR;
  }
  if (mcp__record_open(srv, err, errlen) != 0) {
    mcp_server_free(srv);
    return MCP_ERROR;
  }
  if (mcp__tasks_init(srv) != 0) {
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

void mcp_server_shutdown(mcp_server *srv)
{
  if (srv)
    atomic_store(&srv->shutting_down, 1);
}

void mcp_server_free(mcp_server *srv)
{
  if (!srv)
    return;
  mcp__tasks_free(srv); /* task threads stop (cancelled) and end before anything they use */
  pthread_mutex_lock(&srv->mu);
  srv->stopping = 1;
  pthread_cond_broadcast(&srv->cv_work);
  pthread_mutex_unlock(&srv->mu);
  for (int i = 0; srv->threads && i < srv->nthreads; i++)
    pthread_join(srv->threads[i], NULL);
  free(srv->threads);
  mcp__record_close(srv);
  mcp__registry_free(srv);
  mcp__state_key_free(srv);
  mcp_policy_free(srv->policy);
  mcp_policy_free(srv->policy_probe);
  json_decref(srv->config);
  free(srv->instructions);
  free(srv->identity_file);
  pthread_mutex_destroy(&srv->mu);
  pthread_cond_destroy(&srv->cv_work);
  pthread_cond_destroy(&srv->cv_slot);
  pthread_mutex_destroy(&srv->rec_mu);
  pthread_mutex_destroy(&srv->sess_mu);
  free(srv);
}

/* ---- routing and submit ---------------------------------------------------------------------- */

/* Runs on a worker: produces the final message for r. Returns 1 when a tools/call took r over
 * (it answers and ends r itself once its record is durable), else 0. */
static int handle_request(mcp_req *r)
{
  int code = 0, taken = 0;
  char msg[600] = "";
  json_t *result = NULL;
  json_t *data = NULL;

  if (strcmp(r->method, "tools/list") == 0)
    result = mcp__tools_list(r->s->srv, r, r->params, &code, msg, sizeof msg);
  else if (strcmp(r->method, "tools/call") == 0)
    result = mcp__tools_call_maybe_task(r, &taken, &code, msg, sizeof msg);
  else if (mcp__is_subscribe_method(r->method))
    result = mcp__subscribe_request(r, &code, msg, sizeof msg);
  else if (mcp__is_resource_method(r->method))
    result = mcp__resources_request(r, &code, msg, sizeof msg);
  else if (strcmp(r->method, "completion/complete") == 0)
    result = mcp__complete_request(r, &code, msg, sizeof msg);
  else if (strncmp(r->method, "tasks/", 6) == 0)
    result = mcp__tasks_request(r, &code, msg, sizeof msg, &data);
  else {
    code = MCP_JSONRPC_METHOD_NOT_FOUND;
    snprintf(msg, sizeof msg, "Method not found: %s", r->method);
  }
  if (taken)
    return 1;
  if (atomic_load(&r->cancelled)) {
    json_decref(result);
    json_decref(data);
    r->emit(NULL, 0, MCP_EMIT_FINAL, r->payload);
    return 0;
  }
  if (result) {
    mcp__modernize(r, result);
    mcp__emit_json(r, mcp__result_msg(r->id, result), MCP_EMIT_FINAL);
  } else {
    if (!code)
      code = MCP_JSONRPC_INTERNAL_ERROR;
    mcp__emit_json(r, mcp__error_msg(r->id, code, msg[0] ? msg : "Internal error", data),
                   MCP_EMIT_FINAL);
  }
  return 0;
}

/* A request for the worker or an inline answer, built from its envelope (references taken). */
static mcp_req *req_new(mcp_session *s, const mcp_envelope *env, int modern, mcp_emit_fn emit,
                        void *payload)
{
  json_t *meta = json_object_get(env->params, "_meta");
  json_t *token = json_object_get(meta, "progressToken");
  mcp_req *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->s = s;
  pthread_mutex_init(&r->progress_mu, NULL);
  r->id = json_incref(env->id);
  snprintf(r->method, sizeof r->method, "%s", env->method);
  r->params = env->params ? json_incref(env->params) : json_object();
  r->emit = emit;
  r->payload = payload;
  r->modern = modern;
  r->log_level = -1;
  if (json_is_string(token) || json_is_integer(token))
    r->progress_token = json_incref(token);
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
  return r;
}

/* Takes a window slot (blocking = backpressure on the reader; a no_wait session is told
 * MCP_EBUSY instead, so its listener thread never stalls) and queues r for a worker. Returns
 * MCP_OK with *queued = 1 when r now belongs to the pool; otherwise r stays the caller's. */
static int enqueue(mcp_req *r, uint64_t *ticket_out, int *queued)
{
  mcp_session *s = r->s;
  mcp_server *srv = s->srv;
  *queued = 0;
  pthread_mutex_lock(&srv->mu);
  if (s->no_wait && srv->inflight >= srv->window && !srv->stopping) {
    pthread_mutex_unlock(&srv->mu);
    return MCP_EBUSY;
  }
  while (srv->inflight >= srv->window && !srv->stopping)
    pthread_cond_wait(&srv->cv_slot, &srv->mu);
  if (srv->stopping) {
    pthread_mutex_unlock(&srv->mu);
    mcp__reply_error(r->emit, r->payload, r->id, MCP_JSONRPC_INTERNAL_ERROR, "server shutting down",
                     NULL);
    return MCP_OK;
  }
  srv->inflight++;
  pthread_mutex_unlock(&srv->mu);

  mcp__session_link(s, r);
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
  *queued = 1;
  return MCP_OK;
}

/* A tools/call that the submitting thread may run itself (mcp_session_opts.run_short): a tool
 * flagged MCP_TOOL_SHORT, or whose runs_short says so for these arguments, on which the policy
 * can never ask for an approval (an elicitation would wait for this very reader). */
static int runs_here(const mcp_req *r)
{
  const mcp_tool_entry *t;
  const char *name = json_string_value(json_object_get(r->params, "name"));
  if (!r->s->run_short || !name || strcmp(r->method, "tools/call") != 0)
    return 0;
  t = mcp__tool_find(r->s->srv, name);
  if (!t || !((t->flags & MCP_TOOL_SHORT) ||
              (t->runs_short &&
               t->runs_short(r->s->srv->store, json_object_get(r->params, "arguments")))))
    return 0;
  return mcp_policy_never_asks(r->s->srv->policy, t->risk, &r->s->caller);
}

/* Runs r on this thread with a window slot of its own, as a worker would. */
static int run_here(mcp_req *r)
{
  mcp_session *s = r->s;
  mcp_server *srv = s->srv;
  pthread_mutex_lock(&srv->mu);
  while (srv->inflight >= srv->window && !srv->stopping)
    pthread_cond_wait(&srv->cv_slot, &srv->mu);
  if (srv->stopping) {
    pthread_mutex_unlock(&srv->mu);
    mcp__reply_error(r->emit, r->payload, r->id, MCP_JSONRPC_INTERNAL_ERROR, "server shutting down",
                     NULL);
    req_free(r);
    return MCP_OK;
  }
  srv->inflight++;
  pthread_mutex_unlock(&srv->mu);
  mcp__session_link(s, r);
  if (!handle_request(r))
    mcp__req_done(r);
  return MCP_OK;
}

static int session_draining(mcp_session *s)
{
  int d;
  pthread_mutex_lock(&s->mu);
  d = s->draining;
  pthread_mutex_unlock(&s->mu);
  return d;
}

int mcp_submit(mcp_session *s, const char *msg, size_t len, mcp_emit_fn emit, void *payload,
               uint64_t *ticket_out)
{
  mcp_envelope env;
  mcp_req *r = NULL;
  int rc = MCP_OK, modern = 0, kind, queued = 0;

  if (ticket_out)
    *ticket_out = 0;
  if (!s || !emit)
    return MCP_EINVAL;
  (void)seal_graveyard_drain(); /* what the writer released of earlier calls, freed here */
  if (session_draining(s))
    return MCP_ECLOSED;
  if (mcp__jsonrpc_parse(s->srv, msg, len, emit, payload, &env) != 0)
    return MCP_OK; /* the error went out through emit */

  if (env.response || !env.id) {
    /* a client's response to one of our requests, or a notification: no reply, ever */
    if (env.response)
      mcp__session_take_response(s, env.root);
    else
      mcp__session_notification(s, env.method, env.params);
    emit(NULL, 0, MCP_EMIT_FINAL, payload);
    goto out;
  }
  kind = mcp__classify(s, &env, emit, payload, &modern);
  if (kind == MCP_CLASS_ANSWERED)
    goto out;
  r = req_new(s, &env, modern, emit, payload);
  if (!r) {
    mcp__reply_error(emit, payload, env.id, MCP_JSONRPC_INTERNAL_ERROR, "out of memory", NULL);
    goto out;
  }
  if (kind == MCP_CLASS_INLINE) {
    mcp__answer_inline(r);
  } else if (runs_here(r)) {
    rc = run_here(r);
    r = NULL; /* answered and freed, or taken by its asynchronous record */
  } else if ((rc = enqueue(r, ticket_out, &queued)) == MCP_OK && queued)
    r = NULL; /* the worker frees it */
out:
  req_free(r);
  json_decref(env.root);
  return rc;
}
