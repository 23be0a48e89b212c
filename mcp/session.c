/* SPDX-License-Identifier: Apache-2.0
 * mcp/session.c — MCP sessions: creation, draining and release, the list of in-flight requests
 * and their cancellation (by ticket from the binding, by id from notifications/cancelled), the
 * notifications that change session state, and server->client requests (elicitation) with the
 * matching of the client's responses to their waiters. */
#include "mcp/mcp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    s->run_short = opts->run_short;
    s->joined = opts->joined_finals;
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
  pthread_mutex_lock(&srv->sess_mu);
  s->srv_next = srv->sessions;
  srv->sessions = s;
  pthread_mutex_unlock(&srv->sess_mu);
  *out = s;
  return MCP_OK;
}

void mcp_server_tools_changed(mcp_server *srv)
{
  static const char note[] =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}";
  pthread_mutex_lock(&srv->sess_mu);
  for (mcp_session *s = srv->sessions; s; s = s->srv_next)
    if (s->send && !s->stateless)
      s->send(note, sizeof note - 1, MCP_EMIT_NOTIFICATION, s->send_payload);
  pthread_mutex_unlock(&srv->sess_mu);
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
  mcp_session_drain(s); /* no request runs after this, so none can start a watcher */
  (void)seal_graveyard_drain();
  mcp__watch_stop(s);
  pthread_mutex_lock(&s->srv->sess_mu);
  for (mcp_session **pp = &s->srv->sessions; *pp; pp = &(*pp)->srv_next)
    if (*pp == s) {
      *pp = s->srv_next;
      break;
    }
  pthread_mutex_unlock(&s->srv->sess_mu);
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
  mcp__reply_error(emit, payload, NULL, code, message, NULL);
  return MCP_OK;
}

void mcp__session_link(mcp_session *s, mcp_req *r)
{
  pthread_mutex_lock(&s->mu);
  r->ticket = s->next_ticket++;
  r->live_next = s->live;
  s->live = r;
  s->inflight++;
  pthread_mutex_unlock(&s->mu);
}

void mcp__session_unlink(mcp_session *s, mcp_req *r)
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

void mcp__session_notification(mcp_session *s, const char *method, json_t *params)
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

/* A response from the client to one of our requests: hand it to the waiter. */
void mcp__session_take_response(mcp_session *s, json_t *msg)
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

/* Sends a server->client request (params stolen) through `send` (the session channel, or the
 * response stream of the request it belongs to) and waits for the client's answer, the timeout,
 * `*cancelled`, or the session draining. `slots`: lend the window slot back while waiting. */
static json_t *ask_client(mcp_session *s, mcp_emit_fn send, void *send_payload,
                          const atomic_int *cancelled, const char *method, json_t *params,
                          int timeout_ms, int slots)
{
  mcp_outreq *o, **pp;
  json_t *msg, *resp = NULL;
  struct timespec deadline;
  char *text;

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
  text = msg ? seal_json_dumps(msg, JSON_COMPACT) : NULL;
  json_decref(msg);
  if (text) {
    send(text, strlen(text), MCP_EMIT_REQUEST, send_payload);
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
  if (slots)
    mcp__slot_release(s->srv);
  pthread_mutex_lock(&s->mu);
  while (text && !o->done && !(cancelled && atomic_load(cancelled)) && !s->draining) {
    if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT)
      break;
  }
  pthread_mutex_unlock(&s->mu);
  if (slots)
    mcp__slot_retake(s->srv);
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

json_t *mcp__session_request(mcp_req *r, const char *method, json_t *params, int timeout_ms)
{
  mcp_session *s = r->s;
  /* stdio: the session channel; stateless HTTP: the response stream of this very request */
  if (s->send)
    return ask_client(s, s->send, s->send_payload, &r->cancelled, method, params, timeout_ms, 1);
  if (s->stateless)
    return ask_client(s, r->emit, r->payload, &r->cancelled, method, params, timeout_ms, 1);
  json_decref(params);
  return NULL;
}

json_t *mcp_session_ask(mcp_session *s, const char *method, json_t *params, mcp_emit_fn emit,
                        void *payload, int timeout_ms)
{
  if (!s || !method || !emit) {
    json_decref(params);
    return NULL;
  }
  return ask_client(s, emit, payload, NULL, method, params, timeout_ms, 0);
}
