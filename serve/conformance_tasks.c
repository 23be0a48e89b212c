/* SPDX-License-Identifier: Apache-2.0
 * serve/conformance_tasks.c — the task fixtures of the conformance suite (SEP-2663, 2026-07-28):
 * greet (sync only), slow_compute (a task when the client opted in, else sync; cancellable),
 * failing_job (task required: a tool error), protocol_error_job (a protocol error),
 * confirm_delete and multi_input (input_required through tasks/update) and test_tool_with_task
 * (an MRTR round, then a task). They run on the core's task table (mcp/mcp.h), the same that
 * real tools use; only their bodies are scaffolding. Behind --conformance only. */
#include "serve/conformance_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct job {
  char tool[64];
  json_t *args; /* new */
  char name[128];
} job;

static void job_free(void *p)
{
  job *j = p;
  json_decref(j->args);
  free(j);
}

static json_t *text_res(const char *t, int is_error)
{
  json_t *r = json_pack("{s:[o]}", "content", conf_text_block(t));
  if (r && is_error)
    json_object_set_new(r, "isError", json_true());
  return r;
}

static void nap_ms(int ms)
{
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Sleeps up to ms in small steps; 0 when cancelled meanwhile. */
static int wait_ms(mcp_server *srv, const char *id, int ms)
{
  for (int left = ms; left > 0; left -= 50) {
    if (id && mcp_task_cancelled(srv, id))
      return 0;
    nap_ms(left < 50 ? left : 50);
  }
  return !id || !mcp_task_cancelled(srv, id);
}

static json_t *confirm_req(const char *msg)
{
  return mcp_elicit_request(msg,
                            json_pack("{s:s,s:{s:{s:s}},s:[s]}", "type", "object", "properties",
                                      "confirm", "type", "boolean", "required", "confirm"));
}

static void body(mcp_server *srv, const char *id, void *arg)
{
  job *j = arg;
  char t[300];
  if (!strcmp(j->tool, "slow_compute")) {
    int secs = (int)json_integer_value(json_object_get(j->args, "seconds"));
    const char *label = json_string_value(json_object_get(j->args, "label"));
    if (!wait_ms(srv, id, (secs < 0 ? 0 : secs > 600 ? 600 : secs) * 1000))
      return; /* cancelled: the task already says so */
    snprintf(t, sizeof t, "Computed %.100s after %d s", label ? label : "result", secs);
    mcp_task_complete(srv, id, text_res(t, 0));
  } else if (!strcmp(j->tool, "failing_job")) {
    if (wait_ms(srv, id, 1000))
      mcp_task_complete(srv, id, text_res("failing_job: the job failed (as designed)", 1));
  } else if (!strcmp(j->tool, "protocol_error_job")) {
    mcp_task_fail(srv, id, MCP_JSONRPC_INTERNAL_ERROR, "protocol_error_job: internal failure");
  } else if (!strcmp(j->tool, "confirm_delete") || !strcmp(j->tool, "multi_input")) {
    json_t *req = !strcmp(j->tool, "confirm_delete")
                      ? json_pack("{s:o}", "confirm", confirm_req("Delete this file?"))
                      : json_pack("{s:o,s:o}", "first", confirm_req("First question?"), "second",
                                  confirm_req("Second question?"));
    json_t *ans = mcp_task_ask(srv, id, req, 60000);
    if (ans) {
      snprintf(t, sizeof t, "%s: %zu answer(s) received", j->tool, json_object_size(ans));
      mcp_task_complete(srv, id, text_res(t, 0));
    }
    json_decref(ans);
  } else { /* test_tool_with_task */
    snprintf(t, sizeof t, "Hello, %.100s! (from a task)", j->name);
    if (wait_ms(srv, id, 200))
      mcp_task_complete(srv, id, text_res(t, 0));
  }
}

static int start(const conf_call *c, const char *tool, const char *name)
{
  job *j = calloc(1, sizeof *j);
  json_t *created = NULL;
  if (!j) {
    conf_error(c->emit, c->payload, c->id, MCP_JSONRPC_INTERNAL_ERROR, "out of memory", NULL);
    return 1;
  }
  snprintf(j->tool, sizeof j->tool, "%s", tool);
  snprintf(j->name, sizeof j->name, "%s", name ? name : "");
  j->args = json_deep_copy(json_object_get(c->params, "arguments"));
  if (mcp_task_start(c->srv, c->caller, tool, body, j, job_free, &created) != MCP_OK) {
    conf_error(c->emit, c->payload, c->id, MCP_JSONRPC_INTERNAL_ERROR, "cannot create the task",
               NULL);
    return 1;
  }
  conf_result(c->emit, c->payload, c->id, created, 1, 0);
  return 1;
}

static int with_task(const conf_call *c)
{
  const json_t *a = json_object_get(json_object_get(c->params, "inputResponses"), "user_name");
  const char *tok = json_string_value(json_object_get(c->params, "requestState"));
  const char *name = json_string_value(json_object_get(json_object_get(a, "content"), "name"));
  json_t *st;
  if (!a) {
    st = json_pack("{s:s}", "tool", "test_tool_with_task");
    char *sealed = mcp_state_seal(c->srv, c->caller, "conformance-task", st);
    json_decref(st);
    conf_result(c->emit, c->payload, c->id,
                mcp_input_required(
                    json_pack("{s:o}", "user_name",
                              mcp_elicit_request("What is your name?",
                                                 json_pack("{s:s,s:{s:{s:s}},s:[s]}", "type",
                                                           "object", "properties", "name", "type",
                                                           "string", "required", "name"))),
                    sealed),
                1, 0);
    free(sealed);
    return 1;
  }
  st = tok ? mcp_state_open(c->srv, c->caller, "conformance-task", tok) : NULL;
  if (!st) {
    conf_error(c->emit, c->payload, c->id, MCP_JSONRPC_INVALID_PARAMS,
               "Invalid params: requestState failed its integrity check", NULL);
    return 1;
  }
  json_decref(st);
  return start(c, "test_tool_with_task", name ? name : "?");
}

int conf_tasks_call(const conf_call *c, const char *name)
{
  const json_t *args = json_object_get(c->params, "arguments");
  int opted = mcp_task_client_supports(c->params);
  char t[300];
  if (!c->modern)
    return 0;
  if (!strcmp(name, "greet")) {
    const char *n = json_string_value(json_object_get(args, "name"));
    snprintf(t, sizeof t, "Hello, %.200s!", n ? n : "World");
    conf_text_result(c, t);
    return 1;
  }
  if (strcmp(name, "slow_compute") && strcmp(name, "failing_job") &&
      strcmp(name, "protocol_error_job") && strcmp(name, "confirm_delete") &&
      strcmp(name, "multi_input") && strcmp(name, "test_tool_with_task"))
    return 0;
  if (!opted && strcmp(name, "slow_compute") != 0) { /* taskSupport "required" */
    conf_error(c->emit, c->payload, c->id, MCP_ERR_MISSING_CAPABILITY,
               "Missing required client capability: this tool runs only as a task",
               json_pack("{s:{s:{s:{}}}}", "requiredCapabilities", "extensions",
                         MCP_TASKS_EXTENSION));
    return 1;
  }
  if (!opted) { /* slow_compute without the extension: synchronous */
    int secs = (int)json_integer_value(json_object_get(args, "seconds"));
    wait_ms(c->srv, NULL, (secs < 0 ? 0 : secs > 5 ? 5 : secs) * 1000);
    snprintf(t, sizeof t, "Computed synchronously after %d s", secs);
    conf_text_result(c, t);
    return 1;
  }
  if (!strcmp(name, "test_tool_with_task"))
    return with_task(c);
  return start(c, name, NULL);
}

static json_t *listing(const char *name, const char *desc, const char *support, json_t *props)
{
  json_t *t = json_pack("{s:s,s:s,s:{s:s,s:o}}", "name", name, "description", desc, "inputSchema",
                        "type", "object", "properties", props ? props : json_object());
  if (t && support)
    json_object_set_new(t, "execution", json_pack("{s:s}", "taskSupport", support));
  return t;
}

void conf_tasks_tools(json_t *list)
{
  json_array_append_new(list, listing("greet", "Says hello (sync only)", NULL,
                                      json_pack("{s:{s:s}}", "name", "type", "string")));
  json_array_append_new(list, listing("slow_compute", "Sleeps `seconds`, then answers", "optional",
                                      json_pack("{s:{s:s},s:{s:s}}", "seconds", "type", "integer",
                                                "label", "type", "string")));
  json_array_append_new(list, listing("failing_job", "A task whose tool fails", "required", NULL));
  json_array_append_new(list, listing("protocol_error_job",
                                      "A task that fails with a protocol "
                                      "error",
                                      "required", NULL));
  json_array_append_new(list,
                        listing("confirm_delete", "A task that asks for confirmation", "required",
                                json_pack("{s:{s:s}}", "filename", "type", "string")));
  json_array_append_new(list,
                        listing("multi_input", "A task that asks two questions", "required", NULL));
  json_array_append_new(list, listing("test_tool_with_task", "An MRTR round, then a task",
                                      "required", NULL));
}
