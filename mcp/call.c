/* SPDX-License-Identifier: Apache-2.0
 * mcp/call.c — the tools/call pipeline (shared/DESIGN.md "One tool call, end to end"): tool
 * lookup, the replay of a call made with an idempotency key, argument validation against the
 * tool's inputSchema, the policy gate decision (deny, approval band with a pending approval or
 * an elicitation round trip, allow), the handler, the CallToolResult (text payload, motebit
 * identity tag, structuredContent checked against the outputSchema) and the signed
 * ToolInvocationReceipt in _meta["io.motebit/receipt"]. One call is one Store transaction
 * (spec/mcp.md "One call, one transaction"): a ledger call scope is open around everything the
 * call writes (approval use, the handler's writes, the decision, the call record, the receipt,
 * the replay row), the receipt is signed on this thread, and record.c commits it all at once
 * before the result goes back to the transport: the whole response is built here and the
 * Store's writer thread writes it once the group commit is durable (call_done; over stdio the
 * answers of one commit in one write), so no thread waits for the commit. If anything fails,
 * nothing is kept and the client gets a JSON-RPC error. It does not parse JSON-RPC (server.c). */
#include "config/config.h"
#include "crypto/artifacts.h"
#include "crypto/jschema.h"
#include "ledger/ledger.h"
#include "mcp/mcp_int.h"
#include "schemas/schemas.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ELICIT_TIMEOUT_MS (10 * 60 * 1000)
#define APPROVAL_POLL_MS 200 /* how often a waiting held call looks for the decision */
#define IDEMPOTENCY_META "io.motebit/idempotency-key"
#define IDEMPOTENCY_KEY_MAX 200

typedef struct call_state {
  mcp_req *r;
  const mcp_tool_entry *tool;
  mcp_server *srv;
  json_t *args; /* new: the validated arguments object */
  char invocation_id[SEAL_SOVEREIGN_ID];
  char args_hash[SEAL_SHA256_HEX];
  char result_hash[SEAL_SHA256_HEX];
  char approval_id[128];
  char work_run[128];
  int64_t started_at, completed_at;
  mcp_decision decision;
  const char *verdict;
  const char *status;
  const char *idem_key; /* borrowed from the request's _meta, or NULL */
  ledger_scope *scope;  /* new: the call's open scope, or NULL */
  mcp_tool_entry dyn;   /* an upstream tool (tool then points here) */
  json_t *dyn_snap;     /* new: the source snapshot dyn borrows from, or NULL */
  int *taken;           /* set to 1 when the call answers its request itself (call_done) */
  int *code;            /* the JSON-RPC error of a call that gets no result */
  char *msg;
  size_t cap;
} call_state;

static json_t *fail_rpc(call_state *cs, int code, const char *fmt, ...) MCP_PRINTF(3, 4);
static json_t *fail_rpc(call_state *cs, int code, const char *fmt, ...)
{
  va_list ap;
  *cs->code = code;
  va_start(ap, fmt);
  vsnprintf(cs->msg, cs->cap, fmt, ap);
  va_end(ap);
  return NULL;
}

/* Opens the call's scope (no-op without a Store or when already open). */
static void scope_open(call_state *cs)
{
  if (cs->scope || !cs->srv->store)
    return;
  if (ledger_scope_begin(cs->srv->store, &cs->scope, NULL) != LEDGER_OK)
    cs->scope = NULL; /* then the handler's writes commit on their own, as before */
}
/* Signs the call's receipt: its canonical text (new) into *out, *len. 0, or -1 (logged). */
static int make_receipt(call_state *cs, char **out, size_t *len)
{
  mcp_server *srv = cs->srv;
  seal_err serr;
  seal_tir_fields f = {
      .invocation_id = cs->invocation_id,
      .task_id = srv->run_id[0] ? srv->run_id : cs->invocation_id,
      .motebit_id = srv->motebit_id,
      .device_id = srv->device_id,
      .tool_name = cs->tool->name,
      .status = cs->status,
      .args_hash = cs->args_hash,
      .result_hash = cs->result_hash,
      .invocation_origin = cs->r->s->caller.trust == MCP_TRUST_LOCAL ? "ai-loop" : "agent-to-agent",
      .started_at = cs->started_at,
      .completed_at = cs->completed_at,
  };
  memset(&serr, 0, sizeof serr);
  if (seal_sign_tool_invocation_receipt_text(out, len, &f, srv->key, &serr) != SEAL_OK) {
    mcp_log(MCP_LOG_ERROR, "cannot sign a ToolInvocationReceipt: %s", serr.msg);
    return -1;
  }
  return 0;
}

/* A call whose record commits asynchronously: its final message, ready before the COMMIT, and
 * what call_done needs once the COMMIT is durable or failed. */
typedef struct deferred {
  mcp_req *r;
  char *text; /* the JSON-RPC response (new) */
  size_t len; /* strlen(text), measured on the calling thread */
  char tool[64];
  char invocation_id[SEAL_SOVEREIGN_ID];
  char line[300]; /* the log line of the call, "" when nobody wants it */
  mcp_log_level lvl;
  int to_client;
  struct deferred *next; /* in the writer thread's outbox */
} deferred;

/* Answers of the current group commit waiting to be written together (joined_finals sessions);
 * only the Store's writer thread, which runs call_done, touches it. */
static _Thread_local deferred *outbox, **outbox_end;

/* Writes the outbox: consecutive answers to the same output in one emit (joined by '\n'), then
 * ends their requests. */
static void outbox_flush(void)
{
  deferred *d = outbox, *run_end, *nx;
  outbox = NULL;
  outbox_end = &outbox;
  while (d) {
    size_t len = 0, at = 0;
    char *buf;
    for (run_end = d;
         run_end && run_end->r->emit == d->r->emit && run_end->r->payload == d->r->payload;
         run_end = run_end->next)
      len += run_end->len + 1;
    buf = d->next == run_end ? NULL : malloc(len);
    if (buf) {
      for (deferred *e = d; e != run_end; e = e->next) {
        size_t n = e->len;
        memcpy(buf + at, e->text, n);
        at += n;
        buf[at++] = '\n';
      }
      d->r->emit(buf, at - 1, MCP_EMIT_FINAL, d->r->payload);
      free(buf);
    }
    for (; d != run_end; d = nx) {
      mcp_req *r = d->r;
      nx = d->next;
      if (!buf) /* one answer, or no memory to join them: one at a time */
        r->emit(d->text, d->len, MCP_EMIT_FINAL, r->payload);
      seal_free_soon(d->text);
      seal_free_soon(d);
      mcp__req_done(r);
    }
  }
}

/* The log line of a finished call (stderr, and the client when it asked for logs); "" when
 * nobody wants it: the line is built only then. */
static void call_line(call_state *cs, char *line, size_t cap, mcp_log_level *lvl, int *to_client)
{
  *lvl = strcmp(cs->status, "completed") == 0 ? MCP_LOG_INFO : MCP_LOG_WARNING;
  *to_client = cs->r->log_level >= 0 && (int)*lvl >= cs->r->log_level;
  line[0] = '\0';
  if (!*to_client && !mcp_log_enabled(MCP_LOG_INFO))
    return;
  snprintf(line, cap, "tools/call %s by %s: %s (%s) %lldms, receipt %s", cs->tool->name,
           cs->r->s->caller.id, cs->status, cs->verdict,
           (long long)(cs->completed_at - cs->started_at), cs->invocation_id);
}

/* Writer thread, once the call's transaction is durable (rc 0) or failed: the answer goes out
 * (a joined_finals session's with the other answers of the batch, when the last one is done),
 * then the request ends (mcp__req_done). */
static void call_done(int rc, const char *err, int last, void *arg)
{
  deferred *d = arg;
  mcp_req *r = d->r;
  if (rc == 0 && r->s->srv->fault == MCP_FAULT_KILL_AFTER_COMMIT)
    raise(SIGKILL);
  if (rc != 0) {
    char msg[600];
    mcp_log(MCP_LOG_ERROR, "tools/call %s %s: Store write failed: %s", d->tool, d->invocation_id,
            err);
    snprintf(msg, sizeof msg,
             "Internal error: the call could not be recorded in the Store (%s); nothing of it "
             "was kept",
             err);
    if (atomic_load(&r->cancelled))
      r->emit(NULL, 0, MCP_EMIT_FINAL, r->payload);
    else
      mcp__emit_json(r, mcp__error_msg(r->id, MCP_JSONRPC_INTERNAL_ERROR, msg, NULL),
                     MCP_EMIT_FINAL);
  } else if (atomic_load(&r->cancelled)) {
    r->emit(NULL, 0, MCP_EMIT_FINAL, r->payload); /* recorded; a cancelled call gets no response */
  } else if (r->s->joined) {
    mcp__call_log_line(r, d->line, d->lvl, d->to_client);
    if (!outbox)
      outbox_end = &outbox;
    d->next = NULL;
    *outbox_end = d; /* in commit order */
    outbox_end = &d->next;
    d = NULL;
  } else {
    mcp__call_log_line(r, d->line, d->lvl, d->to_client);
    r->emit(d->text, d->len, MCP_EMIT_FINAL, r->payload);
  }
  if (d) {
    seal_free_soon(d->text);
    seal_free_soon(d);
    mcp__req_done(r);
  }
  if (last)
    outbox_flush();
}

/* Puts the receipt in the result's _meta: a marker for the text to be spliced in at printing
 * (`marker`), or the text parsed. Returns the value set, or NULL out of memory. */
static json_t *attach_receipt(json_t *result, const char *rtext, size_t rlen, int marker)
{
  json_t *meta = json_object_get(result, "_meta"), *v;
  if (!json_is_object(meta) && json_object_set_new(result, "_meta", meta = json_object()) != 0)
    return NULL; /* meta freed by the failed set */
  v = marker ? json_object() : json_loadb(rtext, rlen, 0, NULL);
  return json_object_set_new(meta, "io.motebit/receipt", v) == 0 ? v : NULL;
}

/* The record of a finished call. With a scope open, the final message is built now, the COMMIT
 * is handed to the writer and call_done answers after it (returns NULL, cs->taken set); else
 * (no Store, or a long tool that has no scope) the record commits here and the result comes
 * back. `result` is stolen; rec->receipt_text is borrowed. */
static json_t *record(call_state *cs, mcp_call_record *rec, json_t *result)
{
  char err[256] = "";
  int lrc;
  if (cs->scope && cs->srv->store && cs->taken) {
    deferred *d = calloc(1, sizeof *d);
    json_t *msg, *marker;
    if (d && (marker = attach_receipt(result, NULL, 0, 1))) {
      mcp__modernize(cs->r, result);
      msg = mcp__result_msg(cs->r->id, result); /* result stolen */
      result = NULL;
      /* the receipt goes out as the very text that was signed and recorded */
      d->text = msg ? seal_json_dumps_splice(msg, JSON_COMPACT, marker, rec->receipt_text,
                                             rec->receipt_len, &d->len)
                    : NULL;
      json_decref(msg);
    }
    json_decref(result);
    if (!d || !d->text) {
      free(d);
      ledger_scope_abort(cs->scope);
      cs->scope = NULL;
      return fail_rpc(cs, MCP_JSONRPC_INTERNAL_ERROR, "Internal error: out of memory");
    }
    d->r = cs->r;
    seal_strcopy(d->tool, sizeof d->tool, cs->tool->name);
    seal_strcopy(d->invocation_id, sizeof d->invocation_id, cs->invocation_id);
    call_line(cs, d->line, sizeof d->line, &d->lvl, &d->to_client);
    if (cs->srv->fault == MCP_FAULT_KILL_BEFORE_COMMIT)
      raise(SIGKILL);
    lrc = mcp__record_call_async(cs->srv, cs->scope, rec, call_done, d, err, sizeof err);
    cs->scope = NULL; /* committed later, or aborted */
    if (lrc == 0) {
      *cs->taken = 1; /* from here on d, and the request, belong to call_done */
      return NULL;
    }
    free(d->text);
    free(d);
  } else {
    if (cs->srv->fault == MCP_FAULT_KILL_BEFORE_COMMIT)
      raise(SIGKILL);
    lrc = mcp__record_call(cs->srv, cs->scope, rec, NULL, err, sizeof err);
    if (cs->srv->fault == MCP_FAULT_KILL_AFTER_COMMIT && lrc == 0)
      raise(SIGKILL);
    cs->scope = NULL; /* committed or aborted by record_call */
    if (lrc == 0) {
      char line[300];
      mcp_log_level lvl;
      int to_client;
      if (!attach_receipt(result, rec->receipt_text, rec->receipt_len, 0)) {
        json_decref(result); /* out of memory: no result without its receipt (the record stands) */
        return fail_rpc(cs, MCP_JSONRPC_INTERNAL_ERROR, "Internal error: out of memory");
      }
      call_line(cs, line, sizeof line, &lvl, &to_client);
      mcp__call_log_line(cs->r, line, lvl, to_client);
      return result;
    }
    json_decref(result);
  }
  mcp_log(MCP_LOG_ERROR, "tools/call %s %s: Store write failed: %s", cs->tool->name,
          cs->invocation_id, err);
  return fail_rpc(cs, MCP_JSONRPC_INTERNAL_ERROR,
                  "Internal error: the call could not be recorded in the Store (%s); nothing "
                  "of it was kept",
                  err);
}

/* Finishes a call: hashes the text, signs the receipt, records everything in one transaction
 * (the call's scope), attaches _meta. `result` is stolen. */
static json_t *finish(call_state *cs, json_t *result, const char *text)
{
  mcp_call_record rec;
  json_t *out;
  char *result_text = NULL, *receipt = NULL;
  size_t receipt_len = 0;
  int signed_ok;

  if (!result) { /* out of memory while building it: nothing is recorded */
    ledger_scope_abort(cs->scope);
    cs->scope = NULL;
    return fail_rpc(cs, MCP_JSONRPC_INTERNAL_ERROR, "Internal error: out of memory");
  }
  cs->completed_at = mcp_now_ms();
  if (text) /* NULL: an upstream result, hashed by run_upstream */
    seal_sha256_hex(cs->result_hash, text, strlen(text));
  signed_ok = cs->srv->fault != MCP_FAULT_SIGN && make_receipt(cs, &receipt, &receipt_len) == 0;
  if (cs->idem_key)
    result_text = seal_json_dumps(result, JSON_COMPACT);
  if (!signed_ok || (cs->idem_key && !result_text)) {
    ledger_scope_abort(cs->scope);
    cs->scope = NULL;
    free(receipt);
    json_decref(result);
    free(result_text);
    return fail_rpc(cs, MCP_JSONRPC_INTERNAL_ERROR,
                    "Internal error: cannot sign the receipt; nothing was recorded");
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
  rec.receipt_text = receipt;
  rec.receipt_len = receipt_len;
  rec.idempotency_key = cs->idem_key;
  rec.result_text = result_text;
  if (cs->srv->fault == MCP_FAULT_COMMIT && cs->srv->store)
    ledger_fault_commits(cs->srv->store, 1);
  if (!cs->scope && cs->srv->store && !(cs->tool->flags & MCP_TOOL_LONG))
    scope_open(cs); /* nothing written yet: the record alone */
  out = record(cs, &rec, result);
  free(receipt);
  free(result_text);
  return out;
}

static json_t *error_result(call_state *cs, const char *text)
{
  return finish(cs, mcp__text_result(text, 1), text);
}

/* Asks the user through elicitation/create. Returns 1 approved, 0 declined, -1 no answer. */
static int elicit_approval(call_state *cs, const json_t *args, char *why, size_t cap)
{
  char text[700];
  char *argtxt = seal_json_dumps(args, JSON_COMPACT);
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

/* The approval question as an elicitation/create inputRequests entry (new). */
static json_t *approval_request_entry(call_state *cs)
{
  char text[700];
  char *argtxt = seal_json_dumps(cs->args, JSON_COMPACT);
  snprintf(text, sizeof text,
           "workledger: the agent wants to call tool \"%s\" (risk %s) with arguments %.400s. "
           "Approve this call?",
           cs->tool->name, mcp_risk_name(cs->tool->risk), argtxt ? argtxt : "{}");
  free(argtxt);
  return mcp_elicit_request(
      text, json_pack("{s:s,s:{s:{s:s,s:s,s:s}},s:[s]}", "type", "object", "properties", "approve",
                      "type", "boolean", "title", "Approve", "description",
                      "Allow this tool call to run once", "required", "approve"));
}

/* The 2026-07-28 approval round trip (SEP-2322): without an answer, an InputRequiredResult
 * asking `approval` with a requestState bound to the caller, the tool and the arguments' hash;
 * with one, the answer. Returns 1 approved, 0 declined (why set), 2 with *ask set (the
 * InputRequiredResult to answer), -1 with the JSON-RPC error set (tampered or foreign state). */
static int mrtr_approval(call_state *cs, json_t **ask, char *why, size_t cap)
{
  mcp_req *r = cs->r;
  const json_t *answers = json_object_get(r->params, "inputResponses");
  const json_t *answer = json_object_get(answers, "approval");
  const char *token = json_string_value(json_object_get(r->params, "requestState"));
  json_t *state, *entries;
  char *sealed;
  if (answers && !json_is_object(answers)) {
    fail_rpc(cs, MCP_JSONRPC_INVALID_PARAMS,
             "Invalid params: inputResponses must be an object of responses");
    return -1;
  }
  if (answer && !json_is_object(answer))
    answer = NULL; /* not an answer: asked again */
  if (answer || token) {
    state = token ? mcp_state_open(cs->srv, r->s->caller.id, "approval", token) : NULL;
    const char *st_tool = json_string_value(json_object_get(state, "tool"));
    const char *st_hash = json_string_value(json_object_get(state, "args_hash"));
    if (!state || !st_tool || !st_hash || strcmp(st_tool, cs->tool->name) ||
        strcmp(st_hash, cs->args_hash)) {
      json_decref(state);
      fail_rpc(cs, MCP_JSONRPC_INVALID_PARAMS,
               "Invalid params: requestState failed its integrity check (altered, expired, or "
               "issued to another caller or call); start the call again without it");
      return -1;
    }
    json_decref(state);
    if (answer) {
      const char *action = json_string_value(json_object_get(answer, "action"));
      if (action && !strcmp(action, "accept") &&
          json_is_true(json_object_get(json_object_get(answer, "content"), "approve")))
        return 1;
      snprintf(why, cap, "%s",
               action && !strcmp(action, "cancel") ? "the user cancelled the call"
                                                   : "the user declined the call");
      return 0;
    }
  }
  state = json_pack("{s:s,s:s}", "tool", cs->tool->name, "args_hash", cs->args_hash);
  sealed = state ? mcp_state_seal(cs->srv, r->s->caller.id, "approval", state) : NULL;
  json_decref(state);
  entries = json_pack("{s:o}", "approval", approval_request_entry(cs));
  *ask = sealed && entries ? mcp_input_required(entries, sealed) : NULL;
  if (!*ask)
    json_decref(entries);
  free(sealed);
  if (!*ask) {
    fail_rpc(cs, MCP_JSONRPC_INTERNAL_ERROR, "Internal error: out of memory");
    return -1;
  }
  return 2;
}

/* ---- the steps of a call ------------------------------------------------------------------- */

/* Name, tool, arguments, their hash and the idempotency key. Returns 0, or -1 with the JSON-RPC
 * error set. */
static int call_begin(call_state *cs, mcp_req *r)
{
  const char *name = json_string_value(json_object_get(r->params, "name"));
  json_t *args = json_object_get(r->params, "arguments");
  json_t *key = json_object_get(json_object_get(r->params, "_meta"), IDEMPOTENCY_META);

  if (!name)
    return fail_rpc(cs, MCP_JSONRPC_INVALID_PARAMS,
                    "Invalid params: tools/call needs params.name (string)"),
           -1;
  cs->tool = mcp__tool_find(cs->srv, name);
  if (!cs->tool && mcp__source_find(cs->srv, name, &cs->dyn, &cs->dyn_snap) == 0)
    cs->tool = &cs->dyn;
  if (!cs->tool)
    return fail_rpc(cs, MCP_JSONRPC_INVALID_PARAMS, "Unknown tool: %.200s", name), -1;
  if (args && json_is_null(args))
    args = NULL;
  if (args && !json_is_object(args))
    return fail_rpc(cs, MCP_JSONRPC_INVALID_PARAMS, "Invalid params: arguments must be an object"),
           -1;
  if (key && (!json_is_string(key) || json_string_length(key) == 0 ||
              json_string_length(key) > IDEMPOTENCY_KEY_MAX))
    return fail_rpc(cs, MCP_JSONRPC_INVALID_PARAMS,
                    "Invalid params: _meta[\"" IDEMPOTENCY_META
                    "\"] must be a string of 1 to 200 characters"),
           -1;
  cs->idem_key = key ? json_string_value(key) : NULL;
  cs->args = args ? json_incref(args) : json_object();
  seal_uuid7(cs->invocation_id); /* time-ordered: receipt and key indexes grow at their end */
  cs->started_at = mcp_now_ms();
  if (seal_canon_sha256_hex(cs->args_hash, cs->args, SEAL_CANON_JCS_REALS, NULL) != SEAL_OK)
    return fail_rpc(cs, MCP_JSONRPC_INVALID_PARAMS,
                    "Invalid params: arguments cannot be canonicalized"),
           -1;
  return 0;
}

/* A call whose (caller, idempotency key) was answered before: the same answer again (its receipt
 * included), no new events; the same key with other arguments: a JSON-RPC error. Returns NULL
 * with *done 0 when the key is new. */
static json_t *replay(call_state *cs, int *done)
{
  char hash[LEDGER_HASH_MAX], id[LEDGER_ID_MAX], *text = NULL;
  json_t *result = NULL, *receipt = NULL;
  int rc;
  *done = 0;
  if (!cs->idem_key || !cs->srv->store)
    return NULL;
  rc = ledger_replay_get(cs->srv->store, cs->r->s->caller.id, cs->idem_key, hash, id, &text, NULL);
  if (rc == LEDGER_ENOTFOUND)
    return NULL;
  *done = 1;
  if (rc != LEDGER_OK)
    return fail_rpc(cs, MCP_JSONRPC_INTERNAL_ERROR,
                    "Internal error: cannot read the idempotency key's earlier call");
  if (strcmp(hash, cs->args_hash) != 0) {
    free(text);
    return fail_rpc(cs, MCP_JSONRPC_INVALID_PARAMS,
                    "Invalid params: idempotency key already used by this caller with other "
                    "arguments (call %s); use a new key for a new call",
                    id);
  }
  result = json_loads(text, 0, NULL);
  free(text);
  if (ledger_receipt_get(cs->srv->store, id, &receipt, NULL) != LEDGER_OK || !result) {
    json_decref(result);
    json_decref(receipt);
    return fail_rpc(cs, MCP_JSONRPC_INTERNAL_ERROR,
                    "Internal error: the earlier call of this idempotency key is incomplete");
  }
  if (!json_is_object(json_object_get(result, "_meta")))
    json_object_set_new(result, "_meta", json_object());
  json_object_set_new(json_object_get(result, "_meta"), "io.motebit/receipt", receipt);
  mcp_log(MCP_LOG_INFO, "tools/call %s by %s: replayed call %s (idempotency key)", cs->tool->name,
          cs->r->s->caller.id, id);
  return result;
}

/* A held call whose caller cannot be asked waits up to policy.approval_wait_s for the operator's
 * decision (the console, `workledger approve`), polling the Store. At most half the workers wait
 * at once, so the operator's own call (and every other) still finds one; past that a held call
 * answers at once. Returns 1 approved, 2 denied (reason in why), 0 no decision in time, no
 * worker to spare, or the call was cancelled. */
static int wait_for_decision(call_state *cs, char *why, size_t cap)
{
  int64_t wait_ms = 1000 * mcp_config_int(cs->srv->config, "policy.approval_wait_s", 0);
  int64_t until = mcp_now_ms() + wait_ms;
  char id[128];
  int got = 0;
  if (wait_ms <= 0)
    return 0;
  if (atomic_fetch_add(&cs->srv->approval_waiters, 1) >= cs->srv->nthreads / 2) {
    atomic_fetch_sub(&cs->srv->approval_waiters, 1);
    mcp_log(MCP_LOG_WARNING, "approval for %s: too many calls waiting; not waiting",
            cs->tool->name);
    return 0;
  }
  while (mcp_now_ms() < until && !atomic_load(&cs->r->cancelled)) {
    struct timespec ts = {0, APPROVAL_POLL_MS * 1000000L};
    got = mcp__approval_take(cs->srv, cs->tool->name, cs->args_hash, cs->r->s->caller.id, id,
                             sizeof id, why, cap, cs->invocation_id);
    if (got == 1 || got == 2) {
      snprintf(cs->approval_id, sizeof cs->approval_id, "%s", id);
      break;
    }
    got = 0;
    nanosleep(&ts, NULL);
  }
  atomic_fetch_sub(&cs->srv->approval_waiters, 1);
  return got;
}

/* Approval band: a recorded decision, an elicitation round trip, or a pending approval. Returns
 * the call's final result (an error result) or NULL with cs->verdict "approved" when it may
 * run; *cancelled set when the client cancelled meanwhile. */
static json_t *approval_gate(call_state *cs, int *cancelled)
{
  mcp_req *r = cs->r;
  char why[200] = "", t[700];
  int ans = -1;
  int got = mcp__approval_take(cs->srv, cs->tool->name, cs->args_hash, r->s->caller.id,
                               cs->approval_id, sizeof cs->approval_id, why, sizeof why,
                               cs->invocation_id);
  cs->verdict = "deny";
  cs->status = "denied";
  if (got == 2) {
    snprintf(t, sizeof t, "Policy denied: the operator denied approval %s for tool \"%s\"%s%s",
             cs->approval_id, cs->tool->name, why[0] ? ": " : "", why);
    cs->decision.rule = "approval_band";
    return error_result(cs, t);
  }
  if (got == 1) {
    ans = 1;
  } else if (r->modern && mcp_caps_has(r->client_caps, "elicitation")) {
    json_t *ask = NULL;
    ans = mrtr_approval(cs, &ask, why, sizeof why);
    if (ans == 2 || ans < 0) {
      cs->verdict = "input_required";
      return ask; /* NULL with the JSON-RPC error set when ans < 0; nothing is recorded */
    }
    snprintf(cs->approval_id, sizeof cs->approval_id, "%s", cs->invocation_id);
    mcp__approval_elicited(cs->srv, cs->tool->name, cs->args_hash, cs->tool->risk, ans == 1,
                           ans == 1 ? NULL : why, cs->started_at, cs->approval_id,
                           sizeof cs->approval_id);
    if (ans == 0) {
      snprintf(t, sizeof t, "Policy denied: approval for tool \"%s\" was not given (%s)",
               cs->tool->name, why);
      cs->decision.rule = "approval_band";
      return error_result(cs, t);
    }
  } else if (mcp__req_can_elicit(r)) {
    ans = elicit_approval(cs, cs->args, why, sizeof why);
    if (atomic_load(&r->cancelled)) {
      *cancelled = 1;
      return NULL;
    }
    if (ans >= 0) {
      snprintf(cs->approval_id, sizeof cs->approval_id, "%s", cs->invocation_id);
      mcp__approval_elicited(cs->srv, cs->tool->name, cs->args_hash, cs->tool->risk, ans == 1,
                             ans == 1 ? NULL : why, cs->started_at, cs->approval_id,
                             sizeof cs->approval_id);
    }
    if (ans == 0) {
      snprintf(t, sizeof t, "Policy denied: approval for tool \"%s\" was not given (%s)",
               cs->tool->name, why);
      cs->decision.rule = "approval_band";
      return error_result(cs, t);
    }
    if (ans < 0)
      mcp_log(MCP_LOG_WARNING, "elicitation for %s failed (%s); falling back to a pending approval",
              cs->tool->name, why);
  }
  if (ans == 1) {
    cs->verdict = "approved";
    return NULL;
  }
  if (mcp__approval_request(cs->srv, cs->tool->name, cs->args_hash, cs->tool->risk, cs->args,
                            r->s->caller.id, cs->approval_id, sizeof cs->approval_id) != 0)
    snprintf(cs->approval_id, sizeof cs->approval_id, "(not recorded)");
  else if ((ans = wait_for_decision(cs, why, sizeof why)) == 1) {
    cs->verdict = "approved";
    return NULL;
  } else if (ans == 2) {
    snprintf(t, sizeof t, "Policy denied: the operator denied approval %s for tool \"%s\"%s%s",
             cs->approval_id, cs->tool->name, why[0] ? ": " : "", why);
    cs->decision.rule = "approval_band";
    return error_result(cs, t);
  } else if (atomic_load(&r->cancelled)) {
    *cancelled = 1;
    return NULL;
  }
  snprintf(t, sizeof t,
           "Governance: tool \"%s\" requires approval from the motebit owner. This tool is in "
           "the approval band of the governance policy. Pending approval: %s. The operator "
           "approves it with `workledger approve %s` (or rejects it with `workledger deny %s "
           "--reason R`); then retry the same call with the same arguments.",
           cs->tool->name, cs->approval_id, cs->approval_id, cs->approval_id);
  cs->verdict = "needs_approval";
  return error_result(cs, t);
}

/* Arguments against inputSchema, then the policy gate. Returns the call's final result when the
 * call may not run, NULL when it may (cs->verdict "allow" or "approved"). */
static json_t *gate(call_state *cs, int *cancelled)
{
  seal_jschema_err verr;
  char t[600];
  /* arguments against inputSchema: a model-correctable isError result (SEP-1303); an upstream's
   * schema only when our validator understands it (else the upstream checks its own) */
  if ((!cs->tool->upstream || (json_is_object(cs->tool->input_schema) &&
                               seal_jschema_check(cs->tool->input_schema, &verr) == 0)) &&
      seal_jschema_validate(cs->tool->input_schema, cs->args, &verr) != SEAL_JSCHEMA_OK) {
    schema_args_message(t, sizeof t, cs->tool->name, verr.path, verr.msg);
    cs->verdict = "invalid_arguments";
    cs->status = "failed";
    snprintf(cs->decision.reason, sizeof cs->decision.reason, "%.190s", t);
    cs->decision.rule = "input_schema";
    return error_result(cs, t);
  }
  if (cs->tool->deny) { /* upstreams[].tools.<tool>.deny: never reaches the upstream */
    cs->decision.verdict = MCP_DENY;
    cs->decision.rule = "denylist";
    snprintf(cs->decision.reason, sizeof cs->decision.reason,
             "tool %.120s is denied by the upstream configuration", cs->tool->name);
  } else {
    mcp_policy_decide(cs->srv->policy, cs->tool->name, cs->tool->risk, cs->args, &cs->r->s->caller,
                      cs->started_at, &cs->decision);
    if (cs->tool->approval && cs->decision.verdict == MCP_ALLOW) {
      cs->decision.verdict = MCP_NEEDS_APPROVAL;
      cs->decision.rule = "approval_band";
      snprintf(cs->decision.reason, sizeof cs->decision.reason,
               "tool %.120s requires approval by the upstream configuration", cs->tool->name);
    }
  }
  if (cs->decision.verdict == MCP_DENY) {
    snprintf(t, sizeof t, "Policy denied: %s", cs->decision.reason);
    cs->verdict = "deny";
    cs->status = "denied";
    return error_result(cs, t);
  }
  /* a refusal the tool makes from the arguments alone comes before any approval is asked */
  if (cs->tool->precheck && cs->tool->precheck(cs->args, t, sizeof t) != 0) {
    cs->verdict = "invalid_arguments";
    cs->status = "failed";
    snprintf(cs->decision.reason, sizeof cs->decision.reason, "%.190s", t);
    cs->decision.rule = "tool_precheck";
    return error_result(cs, t);
  }
  if (cs->decision.verdict == MCP_NEEDS_APPROVAL)
    return approval_gate(cs, cancelled);
  cs->verdict = "allow";
  return NULL;
}

/* The handler's text: the compact payload, tagged with the node's identity for motebit tools.
 * NULL on out of memory. */
/* An upstream tool: the other server's CallToolResult, returned unchanged but for our receipt in
 * _meta. result_hash = sha256 of the JCS of the result as returned minus
 * _meta["io.motebit/receipt"] (and minus _meta when that leaves it empty): spec/upstreams.md. An
 * upstream's own receipt under that key moves to _meta["io.motebit/upstream-receipt"]. */
static json_t *run_upstream(call_state *cs)
{
  const mcp_tool_source *src = cs->srv->tool_source;
  json_t *res = NULL, *meta, *theirs;
  mcp_ctx ctx;
  mcp_heartbeat hb;
  char err[512] = "";
  int rc;

  memset(&ctx, 0, sizeof ctx);
  ctx.req = cs->r;
  ctx.tool = cs->tool;
  ctx.scope = &cs->scope;
  memcpy(ctx.invocation_id, cs->invocation_id, sizeof cs->invocation_id);
  mcp__heartbeat_start(&hb, &ctx);
  rc = src->call(src->self, &ctx, cs->tool->name, cs->args, &res, err, sizeof err);
  mcp__heartbeat_stop(&hb);
  if (rc != 0 || !json_is_object(res)) {
    json_decref(res);
    cs->status = "failed";
    return error_result(cs, err[0] ? err : "Error: the upstream call failed");
  }
  meta = json_object_get(res, "_meta");
  if (json_is_object(meta) && (theirs = json_object_get(meta, "io.motebit/receipt"))) {
    json_object_set(meta, "io.motebit/upstream-receipt", theirs);
    json_object_del(meta, "io.motebit/receipt");
  }
  if (json_is_object(meta) && json_object_size(meta) == 0)
    json_object_del(res, "_meta"); /* the caller sees _meta holding our receipt alone */
  if (seal_canon_sha256_hex(cs->result_hash, res, SEAL_CANON_JCS_REALS, NULL) != SEAL_OK) {
    json_decref(res);
    cs->status = "failed";
    return error_result(cs, "Error: the upstream result cannot be canonicalized (JCS); it was "
                            "not returned");
  }
  cs->status = json_is_true(json_object_get(res, "isError")) ? "failed" : "completed";
  return finish(cs, res, NULL);
}

/* Runs the handler and turns its output into the call's final result. */
static json_t *run_tool(call_state *cs)
{
  seal_jschema_err verr;
  mcp_tool_out out;
  mcp_ctx ctx;
  mcp_heartbeat hb;
  json_t *result, *structured;
  char *text, t[600];
  int rc;

  if (cs->tool->upstream)
    return run_upstream(cs);
  memset(&out, 0, sizeof out);
  memset(&ctx, 0, sizeof ctx);
  ctx.req = cs->r;
  ctx.tool = cs->tool;
  ctx.scope = &cs->scope;
  memcpy(ctx.invocation_id, cs->invocation_id, sizeof cs->invocation_id);
  mcp__heartbeat_start(&hb, &ctx);
  rc = cs->tool->fn(&ctx, cs->args, &out);
  mcp__heartbeat_stop(&hb);
  if (out.run_id[0])
    snprintf(cs->work_run, sizeof cs->work_run, "%s", out.run_id);
  if (rc != 0 || !out.payload) {
    json_decref(out.payload);
    json_decref(out.structured);
    cs->status = "failed";
    return error_result(cs, out.error[0] ? out.error : "Error: the tool failed");
  }
  /* the result: text (+ motebit tag), structuredContent checked against outputSchema */
  text = mcp__result_text(cs->srv, cs->tool->name, out.payload);
  structured = out.structured ? out.structured
                              : (json_is_object(out.payload) ? json_incref(out.payload) : NULL);
  json_decref(out.payload);
  if (!text) {
    json_decref(structured);
    ledger_scope_abort(cs->scope);
    cs->scope = NULL;
    return fail_rpc(cs, MCP_JSONRPC_INTERNAL_ERROR, "Internal error: cannot serialise the result");
  }
  if (cs->tool->output_schema && structured && !mcp__output_valid(cs->tool, structured, &verr)) {
    mcp_log(MCP_LOG_ERROR, "tool %s: result does not match its outputSchema at %s: %s",
            cs->tool->name, verr.path, verr.msg);
    snprintf(t, sizeof t,
             "Error: internal: the result of %s does not match its outputSchema (%s: %s)",
             cs->tool->name, verr.path, verr.msg);
    json_decref(structured);
    free(text);
    cs->status = "failed";
    return error_result(cs, t);
  }
  cs->status = "completed";
  result = mcp__text_result(text, 0);
  if (structured && json_object_set_new(result, "structuredContent", structured) != 0) {
    json_decref(result); /* out of memory; finish() reports it */
    result = NULL;
  }
  result = finish(cs, result, text);
  free(text);
  return result;
}

json_t *mcp__tools_call(mcp_req *r, int *taken, int *code, char *msg, size_t cap)
{
  call_state cs;
  json_t *result = NULL;
  int done = 0, cancelled = 0;

  memset(&cs, 0, sizeof cs);
  if (taken)
    *taken = 0;
  cs.r = r;
  cs.srv = r->s->srv;
  cs.taken = taken;
  cs.code = code;
  cs.msg = msg;
  cs.cap = cap;
  if (call_begin(&cs, r) != 0)
    goto out;
  result = replay(&cs, &done);
  if (done)
    goto out;
  /* a short call writes everything in one scope from here on (a long-running one, whose writes
   * must be durable while it runs, joins it only for its final writes: mcp_ctx_join_call_tx) */
  if (!(cs.tool->flags & MCP_TOOL_LONG))
    scope_open(&cs);
  result = gate(&cs, &cancelled);
  if (cancelled) {
    result = json_object(); /* dropped by the caller: no response for a cancelled call */
    goto out;
  }
  if (!result && *code == 0 && !(taken && *taken))
    result = run_tool(&cs);
out:
  ledger_scope_abort(cs.scope); /* left open only when the call ended early: nothing is kept */
  json_decref(cs.args);
  json_decref(cs.dyn_snap);
  return result;
}

int mcp_ctx_join_call_tx(mcp_ctx *ctx)
{
  call_state cs;
  if (!ctx->scope)
    return -1;
  if (*ctx->scope)
    return 0;
  memset(&cs, 0, sizeof cs);
  cs.srv = ctx->req->s->srv;
  scope_open(&cs);
  *ctx->scope = cs.scope;
  return cs.scope ? 0 : -1;
}

void mcp_ctx_join_call_tx_cb(void *ctx)
{
  (void)mcp_ctx_join_call_tx(ctx);
}
