/* SPDX-License-Identifier: Apache-2.0
 * mcp/call.c — the tools/call pipeline (shared/DESIGN.md "One tool call, end to end"): tool
 * lookup, argument validation against the tool's inputSchema, the policy gate decision (deny,
 * approval band with a pending approval or an elicitation round trip, allow), the handler, the
 * CallToolResult (text payload, motebit identity tag, structuredContent checked against the
 * outputSchema), the signed ToolInvocationReceipt in _meta["io.motebit/receipt"], and the
 * durable recording of the call in the Store before the result is returned to the transport.
 * It does not parse JSON-RPC (server.c) or touch the Store directly (record.c). */
#include "crypto/artifacts.h"
#include "crypto/jschema.h"
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECEIPT_SUITE "motebit-jcs-ed25519-b64-v1"
#define ELICIT_TIMEOUT_MS (10 * 60 * 1000)

static json_t *text_result(const char *text, int is_error)
{
  json_t *res = json_pack("{s:[{s:s,s:s}]}", "content", "type", "text", "text", text);
  if (is_error && json_object_set_new(res, "isError", json_true()) != 0) {
    json_decref(res); /* out of memory: never an error result that reads as a success */
    return NULL;
  }
  return res;
}

typedef struct call_state {
  mcp_req *r;
  const mcp_tool_entry *tool;
  mcp_server *srv;
  char invocation_id[SEAL_SOVEREIGN_ID];
  char args_hash[SEAL_SHA256_HEX];
  char result_hash[SEAL_SHA256_HEX];
  char approval_id[128];
  char work_run[128];
  int64_t started_at, completed_at;
  mcp_decision decision;
  const char *verdict;
  const char *status;
} call_state;

static json_t *make_receipt(call_state *cs)
{
  mcp_server *srv = cs->srv;
  json_t *signed_rc = NULL;
  seal_err serr;
  const char *origin = cs->r->s->caller.trust == MCP_TRUST_LOCAL ? "ai-loop" : "agent-to-agent";
  json_t *rc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "invocation_id",
                         cs->invocation_id, "task_id",
                         srv->run_id[0] ? srv->run_id : cs->invocation_id, "motebit_id",
                         srv->motebit_id, "public_key", seal_key_pk_hex(srv->key), "device_id",
                         srv->device_id, "tool_name", cs->tool->name, "started_at",
                         (json_int_t)cs->started_at, "completed_at", (json_int_t)cs->completed_at,
                         "status", cs->status, "args_hash", cs->args_hash, "result_hash",
                         cs->result_hash, "invocation_origin", origin, "suite", RECEIPT_SUITE);
  memset(&serr, 0, sizeof serr);
  if (!rc || seal_sign_tool_invocation_receipt(&signed_rc, rc, srv->key, &serr) != SEAL_OK) {
    mcp_log(MCP_LOG_ERROR, "cannot sign a ToolInvocationReceipt: %s", serr.msg);
    json_decref(rc);
    return NULL;
  }
  json_decref(rc);
  return signed_rc;
}

/* Finishes a call: hashes the text, signs the receipt, records everything, attaches _meta. */
static json_t *finish(call_state *cs, json_t *result, const char *text, int *code, char *msg,
                      size_t cap)
{
  mcp_call_record rec;
  json_t *receipt, *meta;
  char err[256] = "";

  if (!result) { /* out of memory while building it */
    *code = MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "out of memory");
    return NULL;
  }
  cs->completed_at = mcp_now_ms();
  seal_sha256_hex(cs->result_hash, text, strlen(text));
  receipt = make_receipt(cs);
  if (!receipt) {
    json_decref(result);
    *code = MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "Internal error: cannot sign the receipt");
    return NULL;
  }
  memset(&rec, 0, sizeof rec);
  rec.invocation_id = cs->invocation_id;
  rec.tool = cs->tool->name;
  rec.caller_id = cs->r->s->caller.id;
  rec.risk = cs->tool->risk;
  rec.verdict = cs->verdict;
  rec.rule = cs->decision.rule ? cs->decision.rule : "";
  rec.reason = cs->decision.reason;
  rec.status = cs->status;
  rec.args_hash = cs->args_hash;
  rec.result_hash = cs->result_hash;
  rec.work_run_id = cs->work_run[0] ? cs->work_run : NULL;
  rec.approval_id = cs->approval_id[0] ? cs->approval_id : NULL;
  rec.started_at = cs->started_at;
  rec.completed_at = cs->completed_at;
  rec.receipt = receipt;
  if (mcp__record_call(cs->srv, &rec, err, sizeof err) != 0) {
    mcp_log(MCP_LOG_ERROR, "tools/call %s %s: Store write failed: %s", cs->tool->name,
            cs->invocation_id, err);
    json_decref(receipt);
    json_decref(result);
    *code = MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "Internal error: the call could not be recorded in the Store (%s)", err);
    return NULL;
  }
  meta = json_object_get(result, "_meta");
  if (!json_is_object(meta) && json_object_set_new(result, "_meta", meta = json_object()) != 0)
    meta = NULL; /* freed by the failed set */
  if (json_object_set_new(meta, "io.motebit/receipt", receipt) != 0) {
    json_decref(result); /* out of memory: no result without its receipt */
    *code = MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "out of memory");
    return NULL;
  }
  {
    mcp_log_level lvl = strcmp(cs->status, "completed") == 0 ? MCP_LOG_INFO : MCP_LOG_WARNING;
    int to_client = cs->r->log_level >= 0 && (int)lvl >= cs->r->log_level;
    if (to_client || mcp_log_enabled(MCP_LOG_INFO)) { /* the line is built only when wanted */
      char line[300];
      snprintf(line, sizeof line, "tools/call %s by %s: %s (%s) %lldms, receipt %s", cs->tool->name,
               cs->r->s->caller.id, cs->status, cs->verdict,
               (long long)(cs->completed_at - cs->started_at), cs->invocation_id);
      mcp_log(MCP_LOG_INFO, "%s", line);
      if (to_client)
        mcp__client_log(cs->r, lvl, line);
    }
  }
  return result;
}

static json_t *error_result(call_state *cs, const char *text, int *code, char *msg, size_t cap)
{
  return finish(cs, text_result(text, 1), text, code, msg, cap);
}

/* Asks the user through elicitation/create. Returns 1 approved, 0 declined, -1 no answer. */
static int elicit_approval(call_state *cs, const json_t *args, char *why, size_t cap)
{
  char text[700];
  char *argtxt = json_dumps(args, JSON_COMPACT);
  json_t *params, *resp, *result;
  const char *action;
  snprintf(text, sizeof text,
           "workledger: the agent wants to call tool \"%s\" (risk %s) with arguments %.400s. "
           "Approve this call?",
           cs->tool->name, mcp_risk_name(cs->tool->risk), argtxt ? argtxt : "{}");
  free(argtxt);
  params = json_pack("{s:s,s:{s:s,s:{s:{s:s,s:s,s:s}},s:[s]}}", "message", text, "requestedSchema",
                     "type", "object", "properties", "approve", "type", "boolean", "title",
                     "Approve", "description", "Allow this tool call to run once", "required",
                     "approve");
  resp = mcp__session_request(cs->r, "elicitation/create", params, ELICIT_TIMEOUT_MS);
  if (!resp) {
    snprintf(why, cap, "no answer to the approval request");
    return -1;
  }
  result = json_object_get(resp, "result");
  action = json_string_value(json_object_get(result, "action"));
  if (action && strcmp(action, "accept") == 0 &&
      json_is_true(json_object_get(json_object_get(result, "content"), "approve"))) {
    json_decref(resp);
    return 1;
  }
  {
    int is_err = json_object_get(resp, "error") != NULL;
    snprintf(why, cap, "%s",
             is_err                                    ? "the client could not ask the user"
             : action && strcmp(action, "cancel") == 0 ? "the user cancelled the call"
                                                       : "the user declined the call");
    json_decref(resp);
    return is_err ? -1 : 0;
  }
}

json_t *mcp__tools_call(mcp_req *r, int *code, char *msg, size_t cap)
{
  call_state cs;
  const char *name = json_string_value(json_object_get(r->params, "name"));
  json_t *args = json_object_get(r->params, "arguments");
  seal_jschema_err verr;
  mcp_tool_out out;
  mcp_ctx ctx;
  json_t *result, *structured;
  char *payload_text, *text;
  size_t tlen;
  int rc;

  if (!name) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "Invalid params: tools/call needs params.name (string)");
    return NULL;
  }
  memset(&cs, 0, sizeof cs);
  cs.r = r;
  cs.srv = r->s->srv;
  cs.tool = mcp__tool_find(cs.srv, name);
  if (!cs.tool) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "Unknown tool: %.200s", name);
    return NULL;
  }
  if (args && json_is_null(args))
    args = NULL;
  if (args && !json_is_object(args)) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "Invalid params: arguments must be an object");
    return NULL;
  }
  args = args ? json_incref(args) : json_object();
  seal_uuid7(cs.invocation_id); /* time-ordered: receipt and key indexes grow at their end */
  cs.started_at = mcp_now_ms();
  if (seal_canon_sha256_hex(cs.args_hash, args, SEAL_CANON_JCS_REALS, NULL) != SEAL_OK) {
    json_decref(args);
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "Invalid params: arguments cannot be canonicalized");
    return NULL;
  }

  /* 1. arguments against inputSchema: a model-correctable isError result (SEP-1303) */
  if (seal_jschema_validate(cs.tool->input_schema, args, &verr) != SEAL_JSCHEMA_OK) {
    char t[600];
    snprintf(t, sizeof t, "Invalid arguments for tool %s: %s%s%s", cs.tool->name,
             verr.path[0] ? verr.path : "", verr.path[0] ? ": " : "", verr.msg);
    cs.verdict = "invalid_arguments";
    cs.status = "failed";
    snprintf(cs.decision.reason, sizeof cs.decision.reason, "%.190s", t);
    cs.decision.rule = "input_schema";
    json_decref(args);
    return error_result(&cs, t, code, msg, cap);
  }

  /* 2. policy gate */
  mcp_policy_decide(cs.srv->policy, cs.tool->name, cs.tool->risk, args, &r->s->caller,
                    cs.started_at, &cs.decision);
  if (cs.decision.verdict == MCP_DENY) {
    char t[400];
    snprintf(t, sizeof t, "Policy denied: %s", cs.decision.reason);
    cs.verdict = "deny";
    cs.status = "denied";
    json_decref(args);
    return error_result(&cs, t, code, msg, cap);
  }
  if (cs.decision.verdict == MCP_NEEDS_APPROVAL) {
    char why[200] = "";
    int got = mcp__approval_take(cs.srv, cs.tool->name, cs.args_hash, r->s->caller.id,
                                 cs.approval_id, sizeof cs.approval_id, why, sizeof why,
                                 cs.invocation_id);
    int ans = -1;
    if (got == 2) {
      char t[500];
      snprintf(t, sizeof t, "Policy denied: the operator denied approval %s for tool \"%s\"%s%s",
               cs.approval_id, cs.tool->name, why[0] ? ": " : "", why);
      cs.verdict = "deny";
      cs.status = "denied";
      cs.decision.rule = "approval_band";
      json_decref(args);
      return error_result(&cs, t, code, msg, cap);
    }
    if (got == 1) {
      ans = 1;
    } else if (mcp__req_can_elicit(r)) {
      ans = elicit_approval(&cs, args, why, sizeof why);
      if (atomic_load(&r->cancelled)) {
        json_decref(args);
        return json_object(); /* dropped by the caller: no response for a cancelled call */
      }
      if (ans >= 0)
        snprintf(cs.approval_id, sizeof cs.approval_id, "%s", cs.invocation_id);
      if (ans >= 0)
        mcp__approval_elicited(cs.srv, cs.tool->name, cs.args_hash, cs.tool->risk, ans == 1,
                               ans == 1 ? NULL : why, cs.started_at, cs.approval_id,
                               sizeof cs.approval_id);
      if (ans == 0) {
        char t[400];
        snprintf(t, sizeof t, "Policy denied: approval for tool \"%s\" was not given (%s)",
                 cs.tool->name, why);
        cs.verdict = "deny";
        cs.status = "denied";
        cs.decision.rule = "approval_band";
        json_decref(args);
        return error_result(&cs, t, code, msg, cap);
      }
      if (ans < 0)
        mcp_log(MCP_LOG_WARNING,
                "elicitation for %s failed (%s); falling back to a pending approval", cs.tool->name,
                why);
    }
    if (ans == 1) {
      cs.verdict = "approved";
    } else {
      char t[700];
      if (mcp__approval_request(cs.srv, cs.tool->name, cs.args_hash, cs.tool->risk, args,
                                r->s->caller.id, cs.approval_id, sizeof cs.approval_id) != 0)
        snprintf(cs.approval_id, sizeof cs.approval_id, "(not recorded)");
      snprintf(t, sizeof t,
               "Governance: tool \"%s\" requires approval from the motebit owner. This tool is in "
               "the approval band of the governance policy. Pending approval: %s. The operator "
               "approves it with `workledger approve %s` (or rejects it with `workledger deny %s "
               "--reason R`); then retry the same call with the same arguments.",
               cs.tool->name, cs.approval_id, cs.approval_id, cs.approval_id);
      cs.verdict = "needs_approval";
      cs.status = "denied";
      json_decref(args);
      return error_result(&cs, t, code, msg, cap);
    }
  } else {
    cs.verdict = "allow";
  }

  /* 3. the handler */
  memset(&out, 0, sizeof out);
  memset(&ctx, 0, sizeof ctx);
  ctx.req = r;
  ctx.tool = cs.tool;
  memcpy(ctx.invocation_id, cs.invocation_id, sizeof cs.invocation_id);
  {
    mcp_heartbeat hb;
    mcp__heartbeat_start(&hb, &ctx);
    rc = cs.tool->fn(&ctx, args, &out);
    mcp__heartbeat_stop(&hb);
  }
  json_decref(args);
  if (out.run_id[0])
    snprintf(cs.work_run, sizeof cs.work_run, "%s", out.run_id);
  if (rc != 0 || !out.payload) {
    json_decref(out.payload);
    json_decref(out.structured);
    cs.status = "failed";
    return error_result(&cs, out.error[0] ? out.error : "Error: the tool failed", code, msg, cap);
  }

  /* 4. the result: text (+ motebit tag), structuredContent checked against outputSchema */
  payload_text = json_dumps(out.payload, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!payload_text) {
    json_decref(out.payload);
    json_decref(out.structured);
    *code = MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "Internal error: cannot serialise the result");
    return NULL;
  }
  structured = out.structured ? out.structured
                              : (json_is_object(out.payload) ? json_incref(out.payload) : NULL);
  json_decref(out.payload);
  if (strncmp(cs.tool->name, "motebit_", 8) == 0) {
    const char *pk = seal_key_pk_hex(cs.srv->key);
    tlen = strlen(payload_text) + 64;
    text = malloc(tlen);
    if (text)
      snprintf(text, tlen, "%s\n[motebit:%.8s key:%.16s]", payload_text, cs.srv->motebit_id, pk);
    free(payload_text);
  } else {
    text = payload_text;
  }
  if (!text) {
    json_decref(structured);
    *code = MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "out of memory");
    return NULL;
  }
  if (cs.tool->output_schema && structured &&
      seal_jschema_validate(cs.tool->output_schema, structured, &verr) != SEAL_JSCHEMA_OK) {
    char t[600];
    mcp_log(MCP_LOG_ERROR, "tool %s: result does not match its outputSchema at %s: %s",
            cs.tool->name, verr.path, verr.msg);
    snprintf(t, sizeof t,
             "Error: internal: the result of %s does not match its outputSchema (%s: %s)",
             cs.tool->name, verr.path, verr.msg);
    json_decref(structured);
    free(text);
    cs.status = "failed";
    return error_result(&cs, t, code, msg, cap);
  }
  cs.status = "completed";
  result = text_result(text, 0);
  if (structured && json_object_set_new(result, "structuredContent", structured) != 0) {
    json_decref(result); /* out of memory; finish() reports it */
    result = NULL;
  }
  result = finish(&cs, result, text, code, msg, cap);
  free(text);
  return result;
}
