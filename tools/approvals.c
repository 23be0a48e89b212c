/* SPDX-License-Identifier: Apache-2.0
 * tools/approvals.c — workledger_approval_decide, the operator's approve/deny as an MCP tool (the
 * console's, spec/http.md "The console"): only an operator caller (tools_caller_is_operator) may
 * use it; the decision is the same signed ApprovalDecision, receipt and approval.resolved event
 * as `workledger approve/deny` (ledger_approval_decide). Registered only when http.tokens holds
 * an operator token. Its Store writes commit on their own (MCP_TOOL_LONG), before the call record. */
#include "config/config.h"
#include "ledger/approval.h"
#include "ledger/ledger.h"
#include "mcp/tool.h"
#include "tools/tools.h"

#include <stdio.h>
#include <string.h>

static int any_operator(const json_t *config)
{
  const json_t *tokens = mcp_config_get(config, "http.tokens");
  size_t i;
  json_t *t;
  json_array_foreach((json_t *)tokens, i, t) {
    if (json_is_true(json_object_get(t, "operator")))
      return 1;
  }
  return 0;
}

static int decide_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  const char *id = json_string_value(json_object_get(args, "approval_id"));
  const char *verdict = json_string_value(json_object_get(args, "verdict"));
  const char *reason = json_string_value(json_object_get(args, "reason"));
  const mcp_caller *caller = mcp_ctx_caller(ctx);
  int approve = strcmp(verdict, "approve") == 0, rc;
  char by[200];
  json_t *decision = NULL, *row = NULL;
  ledger_err lerr = {0};
  if (!tools_caller_is_operator(ctx)) {
    snprintf(out->error, sizeof out->error,
             "Error: only an operator may decide approvals (a token marked \"operator\" in "
             "http.tokens)");
    return -1;
  }
  if (!mcp_ctx_store(ctx)) {
    snprintf(out->error, sizeof out->error, "Error: no Store is open on this server");
    return -1;
  }
  if (!approve && !reason) {
    snprintf(out->error, sizeof out->error, "Error: deny needs a reason");
    return -1;
  }
  snprintf(by, sizeof by, "console:%s", caller && caller->id ? caller->id : "operator");
  ledger_decide_in in = {id,
                         approve,
                         approve ? NULL : reason,
                         mcp_ctx_key(ctx),
                         mcp_ctx_motebit_id(ctx),
                         mcp_ctx_device_id(ctx),
                         "workledger.mcp",
                         by};
  rc = ledger_approval_decide(mcp_ctx_store(ctx), &in, &decision, &row, &lerr);
  if (rc != LEDGER_OK) {
    snprintf(out->error, sizeof out->error, "Error: cannot %s %s: %s", verdict, id,
             lerr.msg[0] ? lerr.msg : ledger_strerror(rc));
    return -1;
  }
  out->payload = json_pack("{s:s,s:s,s:O,s:o}", "approval_id", id, "status",
                           approve ? "approved" : "denied", "tool", json_object_get(row, "tool"),
                           "decision", decision);
  json_decref(row);
  if (!out->payload) {
    snprintf(out->error, sizeof out->error, "Error: out of memory");
    return -1;
  }
  return 0;
}

const mcp_tool_impl tools_approvals[] = {
    {"workledger_approval_decide", decide_fn, 0, any_operator, MCP_TOOL_LONG, NULL, NULL},
    {NULL, NULL, 0, NULL, 0, NULL, NULL},
};
