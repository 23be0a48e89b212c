/* SPDX-License-Identifier: Apache-2.0
 * tools/exec_mcp.c — the `mcp` task executor (tools/executor.h, spec/upstreams.md "Executors"):
 * a capability bound to {"type":"mcp","upstream":NAME,"tool":TOOL} runs as one tools/call on the
 * live upstream (no process per task). The task's prompt is the call's arguments when it is a
 * JSON object, else {"prompt": <text>}; the result is the text of the upstream's content blocks
 * (joined by newlines; structuredContent's JSON when there is no text block). An isError result,
 * a dead, hung or oversized upstream give a failed task. tools_used names <upstream>__<tool>.
 * Routing is the command executor's: the capability named by required_capabilities, or with
 * none the "default" capability or the only one. */
#include "config/config.h"
#include "crypto/seal.h"
#include "tools/executor.h"
#include "tools/upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int mcp_route_fn(const json_t *config, const json_t *required, mcp_route *out)
{
  return mcp_executor_route_typed(config, required, "mcp", out);
}

/* The text of a CallToolResult (new): its text blocks joined by "\n", else structuredContent
 * as JSON, else the whole content as JSON. NULL on out of memory. */
static char *result_text(const json_t *res)
{
  const json_t *content = json_object_get(res, "content"), *b;
  size_t i, len = 0;
  char *out = NULL;
  json_array_foreach(content, i, b) {
    const char *t = json_string_value(json_object_get(b, "text"));
    size_t n;
    char *grown;
    if (!t || strcmp(mcp_config_str(b, "type", ""), "text") != 0)
      continue;
    n = strlen(t);
    if (!(grown = realloc(out, len + n + 2))) {
      free(out);
      return NULL;
    }
    out = grown;
    if (len)
      out[len++] = '\n';
    memcpy(out + len, t, n + 1);
    len += n;
  }
  if (out)
    return out;
  if (json_object_get(res, "structuredContent"))
    return seal_json_dumps(json_object_get(res, "structuredContent"), JSON_COMPACT);
  return seal_json_dumps(content ? content : json_array(), JSON_COMPACT);
}

static int mcp_run(mcp_ctx *ctx, const mcp_task *task, const mcp_route *route, mcp_task_result *out)
{
  const char *up = mcp_config_str(route->spec, "upstream", ""),
             *tool = mcp_config_str(route->spec, "tool", "");
  long timeout_ms = (long)mcp_config_int(route->spec, "timeout_s", 300) * 1000L;
  json_t *args = json_loadb(task->prompt, task->prompt_len, 0, NULL), *res = NULL;
  char err[600], full[200];
  int rc;
  if (!json_is_object(args)) {
    json_decref(args);
    args = json_pack("{s:s}", "prompt", task->prompt);
  }
  snprintf(full, sizeof full, "%s__%s", up, tool);
  out->tools_used = json_pack("[s]", full);
  rc = args ? tools_upstream_call(ctx, up, tool, args, timeout_ms, &res, err, sizeof err) : -1;
  json_decref(args);
  if (rc != 0) {
    out->status = MCP_TASK_FAILED;
    out->result = mcp_task_strf("%s", args ? err : "Error: out of memory");
    return 0;
  }
  out->result = result_text(res);
  if (json_is_true(json_object_get(res, "isError"))) {
    char *msg = mcp_task_strf("Error: %s returned an error: %.500s", full,
                              out->result ? out->result : "");
    free(out->result);
    out->result = msg;
    out->status = MCP_TASK_FAILED;
  } else {
    out->status = mcp_ctx_cancelled(ctx) ? MCP_TASK_FAILED : MCP_TASK_COMPLETED;
  }
  json_decref(res);
  return 0;
}

const mcp_executor mcp_executor_mcp = {"mcp", mcp_route_fn, mcp_run};
