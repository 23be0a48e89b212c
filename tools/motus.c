/* SPDX-License-Identifier: Apache-2.0
 * tools/motus.c — the Motus work-loop tools: thin wrappers over ledger/work.h
 * (motus_work_claim/_evidence/_decision/_release/_renew/_receipt/_status/_list, motus_run_export)
 * and ledger/wrap.h (motus_wrap: argv, no shell). The arguments arrive validated against the
 * tool's inputSchema; each function maps Store error codes to a message a model can act on.
 * Progress for motus_wrap is reported as output arrives (when the client sent a progressToken);
 * a cancelled call (or a server shutting down) is noticed within 100 ms even when the command
 * prints nothing: its process group is killed and its run closes aborted. No policy or receipt
 * logic here (call.c). */
#include "ledger/work.h"
#include "ledger/wrap.h"
#include "mcp/tool.h"
#include "tools/tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*work_fn)(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                       ledger_err *err);

static void work_ctx(mcp_ctx *ctx, ledger_work_ctx *w)
{
  memset(w, 0, sizeof *w);
  w->runtime_kind = "mcp";
  w->default_actor = mcp_ctx_caller(ctx)->id;
  w->actor_type = "agent";
  w->trigger_kind = "tool_call";
  w->key = mcp_ctx_key(ctx);
  w->signer = mcp_ctx_motebit_id(ctx);
}

static const char *hint(int rc)
{
  switch (rc) {
  case LEDGER_ENOTFOUND: return " (check the id: use motus_work_list to see leases)";
  case LEDGER_EBUSY:
    return " (someone holds this work; wait for its lease to be released or expire)";
  case LEDGER_ECLOSED: return " (the run is closed: claim the work again to record more)";
  case LEDGER_EEXPIRED: return " (the lease expired: claim the work again)";
  case LEDGER_ESTALE: return " (the lease was taken over by another claim)";
  default: return "";
  }
}

static int run_work(mcp_ctx *ctx, work_fn fn, const char *what, const json_t *args,
                    mcp_tool_out *out)
{
  ledger *l = mcp_ctx_store(ctx);
  ledger_work_ctx w;
  ledger_err err;
  json_t *res = NULL;
  int rc;
  const char *run;

  if (!l) {
    snprintf(out->error, sizeof out->error, "Error: no Store is open on this server");
    return -1;
  }
  work_ctx(ctx, &w);
  memset(&err, 0, sizeof err);
  rc = fn(l, &w, args, &res, &err);
  if (rc != LEDGER_OK) {
    snprintf(out->error, sizeof out->error, "Error: %s failed: %s%s", what,
             err.msg[0] ? err.msg : ledger_strerror(rc), hint(rc));
    json_decref(res);
    return -1;
  }
  run = json_string_value(json_object_get(res, "run_id"));
  if (run)
    snprintf(out->run_id, sizeof out->run_id, "%s", run);
  out->payload = res;
  return 0;
}

static int claim_fn(mcp_ctx *c, const json_t *a, mcp_tool_out *o)
{
  return run_work(c, ledger_work_claim, "claim", a, o);
}
/* Evidence on a SQLite Store reads its lease on a reader connection and defers its append to the
 * call's commit (ledger/work_evidence.c): short, unless it must hash a file first. */
static int evidence_short(const ledger *l, const json_t *a)
{
  return ledger_defers_writes(l) && json_is_string(json_object_get(a, "lease_id")) &&
         !json_object_get(a, "file");
}
static int evidence_fn(mcp_ctx *c, const json_t *a, mcp_tool_out *o)
{
  return run_work(c, ledger_work_evidence, "evidence", a, o);
}
static int decision_fn(mcp_ctx *c, const json_t *a, mcp_tool_out *o)
{
  return run_work(c, ledger_work_decision, "decision", a, o);
}
static int release_fn(mcp_ctx *c, const json_t *a, mcp_tool_out *o)
{
  return run_work(c, ledger_work_release, "release", a, o);
}
static int renew_fn(mcp_ctx *c, const json_t *a, mcp_tool_out *o)
{
  return run_work(c, ledger_work_renew, "renew", a, o);
}
static int receipt_fn(mcp_ctx *c, const json_t *a, mcp_tool_out *o)
{
  return run_work(c, ledger_work_receipt, "receipt", a, o);
}
static int status_fn(mcp_ctx *c, const json_t *a, mcp_tool_out *o)
{
  return run_work(c, ledger_work_status, "status", a, o);
}
static int list_fn(mcp_ctx *c, const json_t *a, mcp_tool_out *o)
{
  return run_work(c, ledger_work_list, "list", a, o);
}
static int export_fn(mcp_ctx *c, const json_t *a, mcp_tool_out *o)
{
  return run_work(c, ledger_work_export, "export", a, o);
}

typedef struct wrap_sink {
  mcp_ctx *ctx;
  uint64_t bytes;
} wrap_sink;

static int sink(void *payload, const char *data, size_t len)
{
  wrap_sink *s = payload;
  char m[80];
  (void)data;
  if (mcp_ctx_cancelled(s->ctx))
    return 0; /* the tick stops the command (outcome aborted); the output is not delivered */
  s->bytes += len;
  snprintf(m, sizeof m, "%llu bytes of output", (unsigned long long)s->bytes);
  mcp_ctx_progress(s->ctx, (double)s->bytes, 0, m);
  return 0;
}

/* Cancellation, checked every 100 ms while the command runs, output or not. */
static int wrap_tick(void *payload)
{
  return mcp_ctx_cancelled(((wrap_sink *)payload)->ctx);
}

static int wrap_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  ledger *l = mcp_ctx_store(ctx);
  const json_t *argv_j = json_object_get(args, "argv");
  size_t n = json_array_size(argv_j);
  char **argv;
  ledger_work_ctx w;
  ledger_wrap_opts o;
  ledger_wrap_result res;
  ledger_err err;
  wrap_sink ws = {ctx, 0};
  int rc;

  if (!l) {
    snprintf(out->error, sizeof out->error, "Error: no Store is open on this server");
    return -1;
  }
  argv = calloc(n + 1, sizeof *argv);
  if (!argv)
    return -1;
  for (size_t i = 0; i < n; i++)
    argv[i] = (char *)json_string_value(json_array_get(argv_j, i));
  work_ctx(ctx, &w);
  memset(&o, 0, sizeof o);
  o.before_end = mcp_ctx_join_call_tx_cb; /* the end commits with the call record */
  o.before_end_payload = ctx;
  o.argv = argv;
  o.work_id = json_string_value(json_object_get(args, "work_id"));
  o.timeout_s = (int)json_integer_value(json_object_get(args, "timeout_s"));
  o.keep_output = json_is_true(json_object_get(args, "keep_output"));
  o.stdin_fd = -1;
  o.out_sink = sink;
  o.out_payload = &ws;
  o.err_sink = sink;
  o.err_payload = &ws;
  o.tick = wrap_tick;
  o.tick_payload = &ws;
  o.tick_ms = 100;
  o.own_group = 1; /* cancelling kills the command and what it started */
  memset(&res, 0, sizeof res);
  memset(&err, 0, sizeof err);
  mcp_ctx_progress(ctx, 0.5, 0, "started");
  rc = ledger_wrap_run(l, &w, &o, &res, &err);
  free(argv);
  if (rc != LEDGER_OK) {
    snprintf(out->error, sizeof out->error, "Error: wrap failed: %s",
             err.msg[0] ? err.msg : ledger_strerror(rc));
    return -1;
  }
  snprintf(out->run_id, sizeof out->run_id, "%s", res.run_id);
  if (res.cancelled) { /* no result for a cancelled call: the call is recorded as failed */
    snprintf(out->error, sizeof out->error,
             "Error: motus_wrap %s: the command was stopped and run %s closed aborted",
             mcp_ctx_shutting_down(ctx) ? "stopped: the server is shutting down"
                                        : "cancelled by the caller",
             res.run_id);
    return -1;
  }
  out->payload = ledger_wrap_result_json(&res);
  return out->payload ? 0 : -1;
}

const mcp_tool_impl tools_motus[] = {
    {"motus_work_claim", claim_fn, MCP_PROFILE_ALL, NULL, 0, NULL, NULL},
    {"motus_work_evidence", evidence_fn, MCP_PROFILE_ALL, NULL, 0, NULL, evidence_short},
    {"motus_work_decision", decision_fn, MCP_PROFILE_ALL, NULL, 0, NULL, NULL},
    {"motus_work_release", release_fn, MCP_PROFILE_ALL, NULL, 0, NULL, NULL},
    {"motus_work_renew", renew_fn, MCP_PROFILE_ALL, NULL, 0, NULL, NULL},
    {"motus_work_receipt", receipt_fn, MCP_PROFILE_ALL, NULL, 0, NULL, NULL},
    {"motus_work_status", status_fn, MCP_PROFILE_ALL, NULL, 0, NULL, NULL},
    {"motus_work_list", list_fn, MCP_PROFILE_ALL, NULL, 0, NULL, NULL},
    {"motus_run_export", export_fn, MCP_PROFILE_ALL, NULL, 0, NULL, NULL},
    {"motus_wrap", wrap_fn, MCP_PROFILE_ALL, NULL, MCP_TOOL_LONG | MCP_TOOL_TASK, NULL, NULL},
    {NULL, NULL, 0, NULL, 0, NULL, NULL},
};
