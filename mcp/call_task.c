/* SPDX-License-Identifier: Apache-2.0
 * mcp/call_task.c — tools/call as an MCP task (SEP-2663): a tool flagged MCP_TOOL_TASK, called in
 * the 2026-07-28 era by a client whose request declared the tasks extension, gets a task of the
 * task table (tasks.c) instead of a synchronous answer. The task runs the whole call path of
 * call.c (policy gate, handler, signed receipt, Store commit) on a copy of the request that
 * counts as in flight on its session; an InputRequiredResult of that path (an approval) parks
 * the task in input_required and the answers of tasks/update resume it, with the requestState
 * the path issued. The final CallToolResult (its receipt in _meta) is the task's result; a
 * protocol error of the path fails the task. */
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASK_ASK_TIMEOUT_MS (10 * 60 * 1000)
#define TASK_MAX_ROUNDS 8

/* Notifications of a task's call have no stream to go to: dropped. */
static void drop_emit(const char *msg, size_t len, unsigned flags, void *payload)
{
  (void)msg;
  (void)len;
  (void)flags;
  (void)payload;
}

static void clone_free(void *p)
{
  mcp_req *c = p;
  if (!c)
    return;
  mcp__session_unlink(c->s, c);
  json_decref(c->id);
  json_decref(c->params);
  json_decref(c->client_caps);
  pthread_mutex_destroy(&c->progress_mu);
  free(c);
}

/* A copy of r for the task thread (new), linked on r's session so the session outlives it. */
static mcp_req *clone_req(const mcp_req *r)
{
  mcp_req *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->s = r->s;
  c->id = json_string("task");
  c->params = json_deep_copy(r->params);
  c->client_caps = json_deep_copy(r->client_caps);
  snprintf(c->method, sizeof c->method, "%s", r->method);
  snprintf(c->version, sizeof c->version, "%s", r->version);
  c->modern = 1;
  c->log_level = -1;
  c->emit = drop_emit;
  pthread_mutex_init(&c->progress_mu, NULL);
  if (!c->id || !c->params) {
    json_decref(c->id);
    json_decref(c->params);
    json_decref(c->client_caps);
    pthread_mutex_destroy(&c->progress_mu);
    free(c);
    return NULL;
  }
  json_object_del(json_object_get(c->params, "_meta"), "progressToken");
  mcp__session_link(c->s, c);
  return c;
}

static void task_body(mcp_server *srv, const char *task_id, void *arg)
{
  mcp_req *c = arg;
  snprintf(c->task_id, sizeof c->task_id, "%s", task_id);
  for (int round = 0; round < TASK_MAX_ROUNDS; round++) {
    int code = 0;
    char msg[600] = "";
    json_t *res = mcp__tools_call(c, NULL, &code, msg, sizeof msg), *answers;
    const char *rt = json_string_value(json_object_get(res, "resultType"));
    if (!res) {
      mcp_task_fail(srv, task_id, code ? code : MCP_JSONRPC_INTERNAL_ERROR,
                    msg[0] ? msg : "Internal error");
      return;
    }
    if (!rt || strcmp(rt, "input_required") != 0) {
      mcp_task_complete(srv, task_id, res);
      return;
    }
    answers = mcp_task_ask(srv, task_id, json_incref(json_object_get(res, "inputRequests")),
                           TASK_ASK_TIMEOUT_MS);
    if (!answers) { /* cancelled, shut down or no answer: the task says so */
      json_decref(res);
      if (!mcp_task_cancelled(srv, task_id))
        mcp_task_fail(srv, task_id, MCP_JSONRPC_INTERNAL_ERROR,
                      "no answer to the task's input "
                      "requests in time");
      return;
    }
    json_object_set_new(c->params, "inputResponses", answers);
    if (json_object_get(res, "requestState"))
      json_object_set(c->params, "requestState", json_object_get(res, "requestState"));
    json_decref(res);
  }
  mcp_task_fail(srv, task_id, MCP_JSONRPC_INTERNAL_ERROR, "too many input rounds");
}

json_t *mcp__tools_call_maybe_task(mcp_req *r, int *taken, int *code, char *msg, size_t cap)
{
  *taken = 0;
  const char *name = json_string_value(json_object_get(r->params, "name"));
  const mcp_tool_entry *t = name ? mcp__tool_find(r->s->srv, name) : NULL;
  json_t *created = NULL;
  mcp_req *c;
  if (!t || !(t->flags & MCP_TOOL_TASK) || !r->modern || !mcp_task_client_supports(r->params) ||
      r->task_id[0])
    return mcp__tools_call(r, taken, code, msg, cap);
  if (!(c = clone_req(r))) {
    *code = MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "Internal error: out of memory");
    return NULL;
  }
  if (mcp_task_start(r->s->srv, r->s->caller.id, name, task_body, c, clone_free, &created) !=
      MCP_OK) {
    *code = MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "Internal error: cannot create the task (Store, or shutting down)");
    return NULL;
  }
  return created;
}
