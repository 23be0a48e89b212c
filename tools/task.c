/* SPDX-License-Identifier: Apache-2.0
 * tools/task.c — the motebit_task tool (reference/motebit.md §1, §2; spec/mcp.md §3.1): checks the
 * arguments the schema cannot (required_capabilities: the reference declares it untyped), opens
 * one Store run per task (work_id "task-<task_id>"), checks an optional delegation_token
 * (JSON, signature, expiry/not_before, addressed to this node, scope ⊇ required capabilities;
 * or a JSON array of tokens, root first: each verified, linked and narrowing, at most 10, none
 * delegated by this node — spec/mcp.md §3.1.1) and signs a `denied` receipt when it fails,
 * routes by required_capabilities through the executor table (tools/executor.h: local commands,
 * then peers) — no route gives a signed `failed` receipt saying so — runs the executor, then signs the ExecutionReceipt (every required field, relay_task_id verbatim,
 * delegated_scope, result_hash = sha256(result)), verifies its own signature, and commits the
 * task.finished event, work.closed and the receipt (receipts table, id = task_id) in one
 * transaction before answering. The receipt is the tool's payload: call.c writes it as the text
 * (JSON + motebit tag) and as structuredContent. Executors live in their own files. */
#include "crypto/artifacts.h"
#include "ledger/ledger.h"
#include "config/config.h"
#include "tools/executor.h"
#include "tools/tools.h"
#include "mcp/tool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECEIPT_KIND LEDGER_KIND_EXECUTION_RECEIPT
#define KIND_ROUTED "task.routed"
#define KIND_FINISHED "task.finished"
#define KIND_DELEGATION_RESULT "task.delegation_result" /* written by tools/exec_delegate.c */
#define MAX_CAPS 64
#define MAX_CAP_LEN 128

/* Executor types, asked in this order (local commands before peers). A new type adds one line. */
static const mcp_executor *const executor_table[] = {&mcp_executor_command, &mcp_executor_mcp,
                                                     &mcp_executor_delegate, &mcp_executor_chat,
                                                     NULL};

const char *mcp_task_status_name(mcp_task_status st)
{
  switch (st) {
  case MCP_TASK_COMPLETED: return "completed";
  case MCP_TASK_DENIED: return "denied";
  default: return "failed";
  }
}

char *mcp_task_strf(const char *fmt, ...)
{
  va_list ap, aq;
  int n;
  char *s;
  va_start(ap, fmt);
  va_copy(aq, ap);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s)
    vsnprintf(s, (size_t)n + 1, fmt, aq);
  va_end(aq);
  return s;
}

/* ---- Store jobs ------------------------------------------------------------------------------ */

static int register_kinds(ledger_txn *t, ledger_err *err)
{
  static const char *const kinds[][5] = {
      {KIND_ROUTED, "task_id", "executor", "route", NULL},
      {KIND_FINISHED, "task_id", "status", "result_hash", NULL},
      {KIND_DELEGATION_RESULT, "task_id", "peer", "status", NULL},
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    json_t *req = json_array();
    int rc;
    for (int k = 1; kinds[i][k]; k++)
      json_array_append_new(req, json_string(kinds[i][k]));
    rc = ledger_txn_kind_register(t, kinds[i][0], req, err);
    json_decref(req);
    if (rc)
      return rc;
  }
  return LEDGER_OK;
}

typedef struct start_job {
  const char *work_id;
  const json_t *payload;
  const json_t *routed; /* task.routed, or NULL when the task is not routed */
  char run_id[LEDGER_ID_MAX];
} start_job;

static int start_fn(ledger_txn *t, void *p, ledger_err *err)
{
  start_job *j = p;
  ledger_run_in in;
  ledger_event_in ev;
  int rc;
  if ((rc = register_kinds(t, err)))
    return rc;
  memset(&in, 0, sizeof in);
  in.work_id = j->work_id;
  in.producer_id = "workledger.mcp";
  if ((rc = ledger_txn_run_open(t, &in, j->run_id, NULL, err)))
    return rc;
  memset(&ev, 0, sizeof ev);
  ev.run_id = j->run_id;
  ev.event_kind = LEDGER_KIND_WORK_STARTED;
  ev.idempotency_key = "task:start";
  ev.payload = j->payload;
  if ((rc = ledger_txn_event_append(t, &ev, NULL, err)) || !j->routed)
    return rc;
  ev.event_kind = KIND_ROUTED;
  ev.idempotency_key = "task:routed";
  ev.payload = j->routed;
  return ledger_txn_event_append(t, &ev, NULL, err);
}

typedef struct event_job {
  const char *run_id, *kind, *key;
  const json_t *payload;
} event_job;

static int event_fn(ledger_txn *t, void *p, ledger_err *err)
{
  event_job *j = p;
  ledger_event_in ev;
  memset(&ev, 0, sizeof ev);
  ev.run_id = j->run_id;
  ev.event_kind = j->kind;
  ev.idempotency_key = j->key;
  ev.payload = j->payload;
  return ledger_txn_event_append(t, &ev, NULL, err);
}

int mcp_task_event(mcp_ctx *ctx, const mcp_task *task, const char *kind,
                   const char *idempotency_key, const json_t *payload, char *err, size_t errlen)
{
  event_job j = {task->run_id, kind, idempotency_key, payload};
  ledger_err lerr;
  memset(&lerr, 0, sizeof lerr);
  if (!mcp_ctx_store(ctx) || ledger_tx(mcp_ctx_store(ctx), event_fn, &j, &lerr) != LEDGER_OK) {
    if (err && errlen)
      snprintf(err, errlen, "%s", lerr.msg[0] ? lerr.msg : "no Store");
    return -1;
  }
  return 0;
}

typedef struct finish_job {
  const char *run_id, *task_id;
  json_t *finished, *closed;
  const json_t *receipt;
} finish_job;

static int finish_fn(ledger_txn *t, void *p, ledger_err *err)
{
  finish_job *j = p;
  char now[LEDGER_TS_MAX];
  ledger_event_in ev;
  int rc;
  ledger_now(now);
  memset(&ev, 0, sizeof ev);
  ev.run_id = j->run_id;
  ev.event_kind = KIND_FINISHED;
  ev.idempotency_key = "task:finished";
  ev.occurred_at = now;
  ev.payload = j->finished;
  if ((rc = ledger_txn_event_append(t, &ev, NULL, err)))
    return rc;
  json_object_set_new(json_object_get(j->closed, "outcome"), "closed_at", json_string(now));
  json_object_set_new(json_object_get(j->closed, "acceptance"), "accepted_at", json_string(now));
  ev.event_kind = LEDGER_KIND_WORK_CLOSED;
  ev.idempotency_key = "task:close";
  ev.payload = j->closed;
  if ((rc = ledger_txn_run_close(t, &ev, NULL, err)))
    return rc;
  return ledger_txn_receipt_put(t, j->task_id, RECEIPT_KIND, j->run_id, j->task_id, j->receipt,
                                err);
}

/* ---- delegation_token (reference/motebit.md §1 "When delegation_token is present") ----------- */

/* The chain form (spec/mcp.md §3.1.1, our extension for workledger-to-workledger hops): a JSON
 * array of DelegationTokens, root first, the last one addressed to this node. 0 when the chain
 * links, narrows and never names this node as a delegator; 1 (why set) otherwise. */
static int check_chain(mcp_ctx *ctx, const json_t *chain, char *why, size_t cap)
{
  size_t i, n = json_array_size(chain);
  const json_t *t;
  seal_err serr;
  int rc;
  if (n == 0) {
    snprintf(why, cap, "Denied: delegation_token is an empty chain");
    return 1;
  }
  if (n > MCP_DELEGATION_MAX_CHAIN) {
    snprintf(why, cap, "Denied: delegation depth limit: the chain holds %zu tokens (at most %d)", n,
             MCP_DELEGATION_MAX_CHAIN);
    return 1;
  }
  json_array_foreach(chain, i, t) {
    if (!json_is_object(t)) {
      snprintf(why, cap, "Denied: delegation_token chain[%zu] is not a DelegationToken object", i);
      return 1;
    }
  }
  memset(&serr, 0, sizeof serr);
  rc = seal_verify_delegation_chain(chain, &serr);
  if (rc == SEAL_ESCOPE) {
    snprintf(why, cap, "Denied: delegation chain widens its scope: %.300s", serr.msg);
    return 1;
  }
  if (rc != SEAL_OK) {
    snprintf(why, cap, "Denied: delegation chain does not verify: %.300s", serr.msg);
    return 1;
  }
  json_array_foreach(chain, i, t) {
    const char *did = json_string_value(json_object_get(t, "delegator_id"));
    const char *dpk = json_string_value(json_object_get(t, "delegator_public_key"));
    if ((did && strcmp(did, mcp_ctx_motebit_id(ctx)) == 0) ||
        (dpk && strcmp(dpk, seal_key_pk_hex(mcp_ctx_key(ctx))) == 0)) {
      snprintf(why, cap,
               "Denied: delegation loop: this node (%.80s) already delegated this task "
               "(delegator of chain[%zu])",
               mcp_ctx_motebit_id(ctx), i);
      return 1;
    }
  }
  return 0;
}

/* 0: valid (*tok new reference to the token addressed to us, *chain new reference to the whole
 * array when one was sent, else NULL; *scope borrowed from *tok); 1: denied (why set). */
static int check_token(mcp_ctx *ctx, const char *text, const json_t *required, json_t **tok,
                       json_t **chain, const char **scope, char *why, size_t cap)
{
  json_error_t jerr;
  seal_verdict v;
  int vrc;
  const char *dpk, *denied = NULL;
  json_t *parsed = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *t;
  *tok = NULL;
  *chain = NULL;
  *scope = NULL;
  if (!parsed) {
    snprintf(why, cap, "Denied: delegation_token is not valid JSON");
    return 1;
  }
  if (json_is_array(parsed)) {
    if (check_chain(ctx, parsed, why, cap)) {
      json_decref(parsed);
      return 1;
    }
    t = json_incref(json_array_get(parsed, json_array_size(parsed) - 1));
    *chain = parsed;
  } else {
    t = parsed;
  }
  vrc = seal_verify_delegation_token(t, NULL, &v);
  seal_verdict_clear(&v);
  if (vrc == SEAL_EEXPIRED) {
    json_int_t exp = json_integer_value(json_object_get(t, "expires_at"));
    if (exp < mcp_now_ms())
      snprintf(why, cap, "Denied: delegation token has expired");
    else
      snprintf(why, cap, "Denied: delegation token is not yet valid (not_before)");
    goto denied;
  }
  if (vrc != SEAL_OK) {
    snprintf(why, cap, "Denied: delegation token has invalid signature");
    goto denied;
  }
  /* Stricter than the reference: a token addressed to another agent is not ours to use (and
   * the last token of a chain must name this node). */
  dpk = json_string_value(json_object_get(t, "delegate_public_key"));
  if ((dpk || *chain) && (!dpk || strcmp(dpk, seal_key_pk_hex(mcp_ctx_key(ctx))) != 0)) {
    snprintf(why, cap,
             "Denied: delegation token was issued to another agent (delegate_public_key "
             "is not this node's key)");
    goto denied;
  }
  *scope = json_string_value(json_object_get(t, "scope"));
  if (!*scope)
    *scope = "";
  if (json_is_array(required) && !seal_scope_covers(*scope, required, &denied)) {
    snprintf(why, cap, "Denied: capability \"%.128s\" is not within delegated scope \"%.256s\"",
             denied ? denied : "?", *scope);
    *scope = NULL;
    goto denied;
  }
  *tok = t;
  return 0;
denied:
  json_decref(t);
  json_decref(*chain);
  *chain = NULL;
  return 1;
}

/* ---- the tool -------------------------------------------------------------------------------- */

static int caps_check(const json_t *caps, char *msg, size_t cap)
{
  size_t i;
  const json_t *c;
  if (!json_is_array(caps) || json_array_size(caps) > MAX_CAPS) {
    snprintf(msg, cap,
             "Invalid arguments for tool motebit_task: /required_capabilities: must be an "
             "array of at most %d capability names (strings)",
             MAX_CAPS);
    return -1;
  }
  json_array_foreach(caps, i, c) {
    const char *s = json_string_value(c);
    if (!s || !*s || strlen(s) >= MAX_CAP_LEN) {
      snprintf(msg, cap,
               "Invalid arguments for tool motebit_task: /required_capabilities/%zu: must "
               "be a non-empty string of at most %d bytes",
               i, MAX_CAP_LEN - 1);
      return -1;
    }
  }
  return 0;
}

static char *caps_text(const json_t *caps)
{
  size_t i, len = 1, o = 0;
  const json_t *c;
  char *s;
  json_array_foreach(caps, i, c)
    len += strlen(json_string_value(c)) + 4;
  s = malloc(len);
  if (!s)
    return NULL;
  s[0] = '\0';
  json_array_foreach(caps, i, c)
    o += (size_t)snprintf(s + o, len - o, "%s\"%s\"", i ? ", " : "", json_string_value(c));
  return s;
}

static void route_find(const json_t *cfg, const json_t *required, mcp_route *r)
{
  memset(r, 0, sizeof *r);
  for (int i = 0; executor_table[i]; i++) {
    mcp_route cand;
    memset(&cand, 0, sizeof cand);
    if (executor_table[i]->route(cfg, required, &cand)) {
      *r = cand;
      r->executor = executor_table[i];
      return;
    }
  }
}

static json_t *closed_payload(mcp_task_status st, const char *caller, const char *summary)
{
  const char *outcome = st == MCP_TASK_COMPLETED ? "success"
                        : st == MCP_TASK_DENIED  ? "aborted"
                                                 : "failure";
  return json_pack("{s:{s:s,s:s},s:{s:s,s:s,s:{s:s,s:s}},s:{s:s},s:{s:s},s:{s:s,s:s}}", "outcome",
                   "status", outcome, "summary", summary, "acceptance", "status",
                   st == MCP_TASK_COMPLETED ? "accepted" : "rejected", "method", "terminal_outcome",
                   "actor", "type", "agent", "id", caller, "route_summary", "status",
                   st == MCP_TASK_COMPLETED ? "complete" : "blocked", "handoff", "status", "none",
                   "redaction", "status", "redacted", "summary",
                   "prompt and result stored as digests in events; the result is in the receipt");
}

/* One motebit_task call in flight: the arguments (borrowed from args), what the steps fill in,
 * and the references they own (released once, at the end of task_fn). */
typedef struct tjob {
  mcp_ctx *ctx;
  ledger *l;
  const char *prompt;
  size_t prompt_len;
  const json_t *tok_arg; /* the delegation_token string, or NULL */
  const char *relay;     /* relay_task_id, or NULL */
  const char *caller;
  json_t *caps;        /* required_capabilities (an array, possibly empty) */
  json_t *tok, *chain; /* the verified delegation token / chain, or NULL */
  const char *scope;   /* borrowed from tok */
  char task_id[SEAL_SOVEREIGN_ID], work_id[64], prompt_hash[SEAL_SHA256_HEX];
  char result_hash[SEAL_SHA256_HEX];
  char run_id[LEDGER_ID_MAX];
  int64_t submitted_at;
  mcp_task task;
  mcp_route route;
  mcp_task_result tr;
} tjob;

static int oom(mcp_tool_out *out)
{
  snprintf(out->error, sizeof out->error, "Error: out of memory");
  return -1;
}

/* The arguments the schema cannot check, answered before any run is opened (the Store stays as
 * it was). 0, or -1 with out->error set. */
static int task_args(tjob *j, const json_t *args, mcp_tool_out *out)
{
  const json_t *caps_arg = json_object_get(args, "required_capabilities");
  j->prompt = json_string_value(json_object_get(args, "prompt"));
  j->prompt_len = json_string_length(json_object_get(args, "prompt"));
  j->tok_arg = json_object_get(args, "delegation_token");
  j->relay = json_string_value(json_object_get(args, "relay_task_id"));
  if (!j->l) {
    snprintf(out->error, sizeof out->error, "Error: no Store is open on this server");
    return -1;
  }
  if (!j->prompt || !*j->prompt) {
    snprintf(out->error, sizeof out->error,
             "Invalid arguments for tool motebit_task: /prompt: must be a non-empty string");
    return -1;
  }
  /* the reference declares required_capabilities untyped: anything but an array of names is a
   * model-correctable error */
  if (caps_arg && !json_is_null(caps_arg)) {
    if (caps_check(caps_arg, out->error, sizeof out->error) != 0)
      return -1;
    j->caps = json_incref((json_t *)caps_arg);
  } else {
    j->caps = json_array();
  }
  if (j->tok_arg && !json_is_string(j->tok_arg)) {
    snprintf(out->error, sizeof out->error,
             "Invalid arguments for tool motebit_task: /delegation_token: must be a string "
             "(the JSON-encoded DelegationToken)");
    return -1;
  }
  return 0;
}

/* Record start, durable before any executor runs: opens the task's Store run (work_id
 * "task-<task_id>") with its work.started event and, when the task was routed, task.routed, in
 * one transaction; fills run_id (and out->run_id). 0 or -1 with out->error set. */
static int record_start(tjob *j, mcp_tool_out *out)
{
  json_t *start, *routed = NULL;
  start_job sj;
  ledger_err lerr;
  int rc;
  start = json_pack("{s:s,s:{s:s,s:s},s:{s:s},s:{s:s,s:s,s:s},s:{s:s,s:s,s:s},"
                    "s:{s:s,s:s,s:I,s:O,s:b,s:s}}",
                    "work_id", j->work_id, "actor", "type", "agent", "id", j->caller, "trigger",
                    "kind", "tool_call", "instruction", "kind", "task", "summary", "motebit_task",
                    "canonical_text", j->work_id, "runtime", "name", "workledger", "kind", "mcp",
                    "version", WL_VERSION, "task", "task_id", j->task_id, "prompt_hash",
                    j->prompt_hash, "prompt_bytes", (json_int_t)j->prompt_len,
                    "required_capabilities", j->caps, "delegation_token", j->tok_arg != NULL,
                    "invocation_id", mcp_ctx_invocation_id(j->ctx));
  if (j->route.executor && !j->tr.result)
    routed = json_pack("{s:s,s:s,s:s}", "task_id", j->task_id, "executor", j->route.executor->type,
                       "route", j->route.name);
  if (!start || (j->route.executor && !j->tr.result && !routed)) {
    json_decref(start);
    return oom(out);
  }
  if (j->relay)
    json_object_set_new(json_object_get(start, "task"), "relay_task_id", json_string(j->relay));
  memset(&sj, 0, sizeof sj);
  sj.work_id = j->work_id;
  sj.payload = start;
  sj.routed = routed;
  memset(&lerr, 0, sizeof lerr);
  rc = ledger_tx(j->l, start_fn, &sj, &lerr);
  json_decref(start);
  json_decref(routed);
  if (rc != LEDGER_OK) {
    snprintf(out->error, sizeof out->error,
             "Error: the task could not be recorded in the Store: %s",
             lerr.msg[0] ? lerr.msg : "Store error");
    return -1;
  }
  snprintf(j->run_id, sizeof j->run_id, "%s", sj.run_id);
  snprintf(out->run_id, sizeof out->run_id, "%s", sj.run_id);
  return 0;
}

/* Decides, before anything is recorded, what the task will do: a delegation_token that does
 * not pass gives a denied outcome, no matching executor a failed one (j->tr.result set in both
 * cases); otherwise j->route names the executor. Fills the task as executors see it. */
static void plan_task(tjob *j)
{
  mcp_task_result *tr = &j->tr;
  char why[700] = "";
  seal_uuid4(j->task_id);
  snprintf(j->work_id, sizeof j->work_id, "task-%s", j->task_id);
  seal_sha256_hex(j->prompt_hash, j->prompt, j->prompt_len);
  memset(&j->task, 0, sizeof j->task);
  j->task.task_id = j->task_id;
  j->task.run_id = j->run_id; /* filled by record_start */
  j->task.prompt = j->prompt;
  j->task.prompt_len = j->prompt_len;
  j->task.required_capabilities = j->caps;
  j->task.relay_task_id = j->relay;
  j->task.submitted_at = j->submitted_at;
  if (j->tok_arg && check_token(j->ctx, json_string_value(j->tok_arg), j->caps, &j->tok, &j->chain,
                                &j->scope, why, sizeof why)) {
    tr->status = MCP_TASK_DENIED;
    tr->result = mcp_task_strf("%s", why);
    return;
  }
  j->task.delegated_scope = j->scope;
  j->task.delegation_token = j->tok;
  j->task.delegation_chain = j->chain;
  route_find(mcp_ctx_config(j->ctx), j->caps, &j->route);
  if (!j->route.executor) {
    char *ct = caps_text(j->caps);
    tr->status = MCP_TASK_FAILED;
    if (json_array_size(j->caps))
      tr->result = mcp_task_strf("Error: no executor for the required capabilities [%s] on this "
                                 "node (configure executors.<capability> or a peer)",
                                 ct ? ct : "");
    else
      tr->result = mcp_task_strf("Error: no executor for a task without required_capabilities on "
                                 "this node (configure executors.default)");
    free(ct);
  }
}

/* Runs the routed executor (after record_start), filling j->tr. 0 with j->tr.result set, or -1
 * with out->error set. */
static int run_task(tjob *j, mcp_tool_out *out)
{
  mcp_task_result *tr = &j->tr;
  char m[200];
  if (tr->result) /* denied or not routable: decided by plan_task, nothing to run */
    return 0;
  snprintf(m, sizeof m, "task %s routed to %s executor \"%.100s\"", j->task_id,
           j->route.executor->type, j->route.name);
  mcp_ctx_progress(j->ctx, 1, 0, m);
  if (j->route.executor->run(j->ctx, &j->task, &j->route, tr) != 0) {
    tr->status = MCP_TASK_FAILED;
    if (!tr->result)
      tr->result = mcp_task_strf("Error: executor \"%s\" failed (internal error)", j->route.name);
  }
  if (tr->status == MCP_TASK_COMPLETED && (!tr->result || !*tr->result)) {
    free(tr->result);
    tr->status = MCP_TASK_FAILED;
    tr->result = mcp_task_strf("Error: executor \"%s\" produced no result", j->route.name);
  }
  return tr->result ? 0 : oom(out);
}

/* Builds and signs the ExecutionReceipt (reference/motebit.md §2.1: optional fields omitted when
 * absent), then checks it as the reference builder does: our own receipt must verify, hash
 * included. 0 with *receipt (new reference), or -1 with out->error set. */
static int sign_receipt(tjob *j, mcp_tool_out *out, json_t **receipt)
{
  const mcp_task_result *tr = &j->tr;
  mcp_ctx *ctx = j->ctx;
  seal_verify_opts vo = SEAL_VERIFY_OPTS_INIT;
  seal_verdict v;
  seal_err serr;
  json_t *body;
  int rc = -1;
  seal_sha256_hex(j->result_hash, tr->result, strlen(tr->result));
  body = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:o,s:I,s:s,s:s,s:s}", "task_id", j->task_id,
                   "motebit_id", mcp_ctx_motebit_id(ctx), "device_id", mcp_ctx_device_id(ctx),
                   "submitted_at", (json_int_t)j->submitted_at, "completed_at",
                   (json_int_t)mcp_now_ms(), "status", mcp_task_status_name(tr->status), "result",
                   tr->result, "tools_used",
                   tr->tools_used ? json_incref(tr->tools_used) : json_array(), "memories_formed",
                   (json_int_t)(tr->memories_formed > 0 ? tr->memories_formed : 0), "prompt_hash",
                   j->prompt_hash, "result_hash", j->result_hash, "invocation_origin",
                   mcp_ctx_caller(ctx)->trust == MCP_TRUST_LOCAL ? "ai-loop" : "agent-to-agent");
  if (!body)
    return oom(out);
  if (j->relay)
    json_object_set_new(body, "relay_task_id", json_string(j->relay));
  if (j->scope && tr->status != MCP_TASK_DENIED)
    json_object_set_new(body, "delegated_scope", json_string(j->scope));
  if (json_array_size(tr->delegation_receipts))
    json_object_set(body, "delegation_receipts", tr->delegation_receipts);
  memset(&serr, 0, sizeof serr);
  if (seal_sign_execution_receipt(receipt, body, mcp_ctx_key(ctx), &serr) != SEAL_OK) {
    snprintf(out->error, sizeof out->error, "Error: the receipt could not be signed: %s", serr.msg);
    goto out;
  }
  vo.strict_hash = 1;
  vo.pinned_pk = seal_key_pk(mcp_ctx_key(ctx));
  if (seal_verify_execution_receipt(*receipt, &vo, &v) != SEAL_OK) {
    json_t *r0 = json_array_get(v.reasons, 0);
    snprintf(out->error, sizeof out->error, "Error: the signed receipt does not verify: %s",
             json_string_value(r0) ? json_string_value(r0) : "?");
    seal_verdict_clear(&v);
    goto out;
  }
  seal_verdict_clear(&v);
  rc = 0;
out:
  json_decref(body);
  return rc;
}

/* Record end: task.finished, work.closed and the receipt (receipts table, id = task_id) in one
 * transaction. 0, or -1 with out->error set. */
static int record_end(tjob *j, mcp_tool_out *out, const json_t *receipt)
{
  const mcp_task_result *tr = &j->tr;
  json_t *finished, *closed;
  char summary[200];
  finish_job fj;
  ledger_err lerr;
  int rc = -1;
  finished = json_pack("{s:s,s:s,s:s,s:I,s:s}", "task_id", j->task_id, "status",
                       mcp_task_status_name(tr->status), "result_hash", j->result_hash,
                       "result_bytes", (json_int_t)strlen(tr->result), "receipt_id", j->task_id);
  snprintf(summary, sizeof summary, "motebit_task %s", mcp_task_status_name(tr->status));
  closed = closed_payload(tr->status, j->caller, summary);
  if (!finished || !closed) {
    oom(out);
    goto out;
  }
  if (j->relay)
    json_object_set_new(finished, "relay_task_id", json_string(j->relay));
  if (j->route.executor && tr->status != MCP_TASK_DENIED)
    json_object_set_new(finished, "route", json_string(j->route.name));
  memset(&fj, 0, sizeof fj);
  fj.run_id = j->run_id;
  fj.task_id = j->task_id;
  fj.finished = finished;
  fj.closed = closed;
  fj.receipt = receipt;
  memset(&lerr, 0, sizeof lerr);
  (void)mcp_ctx_join_call_tx(j->ctx); /* the end commits with the call record, or not at all */
  if (ledger_tx(j->l, finish_fn, &fj, &lerr) != LEDGER_OK) {
    snprintf(out->error, sizeof out->error, "Error: the task receipt could not be stored: %s",
             lerr.msg[0] ? lerr.msg : "Store error");
    goto out;
  }
  rc = 0;
out:
  json_decref(finished);
  json_decref(closed);
  return rc;
}

static int task_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  json_t *receipt = NULL;
  tjob j;
  int rc = -1;

  memset(&j, 0, sizeof j);
  j.ctx = ctx;
  j.l = mcp_ctx_store(ctx);
  j.caller = mcp_ctx_caller(ctx)->id;
  j.submitted_at = mcp_now_ms();
  if (task_args(&j, args, out) != 0)
    goto out;
  plan_task(&j);
  if (record_start(&j, out) != 0 || run_task(&j, out) != 0 ||
      sign_receipt(&j, out, &receipt) != 0 || record_end(&j, out, receipt) != 0)
    goto out;
  out->payload = receipt;
  receipt = NULL;
  rc = 0;
out:
  free(j.tr.result);
  json_decref(j.tr.tools_used);
  json_decref(j.tr.delegation_receipts);
  json_decref(j.caps);
  json_decref(j.tok);
  json_decref(j.chain);
  json_decref(receipt);
  return rc;
}

int tools_task_routable(const json_t *config)
{
  return mcp_config_task_executor_count(config) > 0 || mcp_config_chat(config) != NULL ||
         json_array_size(mcp_config_peers(config)) > 0;
}

const mcp_tool_impl tools_task[] = {
    {"motebit_task", task_fn, MCP_PROFILE_SERVICE, tools_task_routable,
     MCP_TOOL_LONG | MCP_TOOL_TASK, NULL, NULL},
    {NULL, NULL, 0, NULL, 0, NULL, NULL},
};
