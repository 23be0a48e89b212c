/* SPDX-License-Identifier: Apache-2.0
 * tools/ledger_resources.c — the ledger as MCP resources (spec/mcp.md §5.1): the runs
 * (workledger://runs, workledger://runs/{run_id}, .../events in seq order, .../receipt the Work
 * Receipt Envelope of a closed run), the stored receipts (workledger://receipts,
 * workledger://receipts/{receipt_id}, .../tree: the nested delegation receipts as a tree whose
 * nodes carry the verdict of the server's own verifier), the pending approvals
 * (workledger://approvals, workledger://approvals/{approval_id}, arguments with secrets
 * redacted) and the node's health (workledger://health). Who may read what: the ledger (runs,
 * receipts) needs a caller whose policy shows it the read tool motus_run_export and who is not
 * an unknown caller; approvals and health need an operator (the local operator on stdio, or a
 * static token marked `operator` in http.tokens). Reads record nothing. */
#include "config/config.h"
#include "crypto/artifacts.h"
#include "crypto/seal.h"
#include "ledger/kinds.h"
#include "ledger/ledger.h"
#include "ledger/work.h"
#include "mcp/tool.h"
#include "tools/tools.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define RUNS_LISTED 200     /* runs resources/list names, newest first */
#define RECEIPTS_LISTED 100 /* execution receipts it names */
#define TREE_DEPTH_MAX 10   /* the delegation depth limit (DESIGN.md "Delegation") */
#define REDACT_DEPTH_MAX 32

static const char RUNS[] = "workledger://runs/";
static const char RECEIPTS[] = "workledger://receipts/";
static const char APPROVALS[] = "workledger://approvals/";

int tools_caller_is_operator(mcp_ctx *ctx)
{
  const mcp_caller *c = mcp_ctx_caller(ctx);
  if (!c || c->trust == MCP_TRUST_LOCAL)
    return 1;
  if (c->trust == MCP_TRUST_UNKNOWN || c->trust == MCP_TRUST_BLOCKED)
    return 0;
  return mcp_config_http_token_is_operator(mcp_ctx_config(ctx), c->id);
}

/* 0 when the caller may read runs and receipts, else 2 with the reason in err. */
static int may_read_ledger(mcp_ctx *ctx, char *err, size_t errlen)
{
  const mcp_caller *c = mcp_ctx_caller(ctx);
  json_t *tools, *t;
  size_t i;
  int ok = 0;
  if (!c || c->trust == MCP_TRUST_LOCAL)
    return 0;
  if (c->trust != MCP_TRUST_UNKNOWN && c->trust != MCP_TRUST_BLOCKED &&
      (tools = mcp_server_tools_for(mcp_ctx_server(ctx), c))) {
    json_array_foreach(tools, i, t)
      ok |= strcmp(json_string_value(json_object_get(t, "name")), "motus_run_export") == 0;
    json_decref(tools);
  }
  if (ok)
    return 0;
  snprintf(err, errlen,
           "the ledger is readable only by callers whose policy allows "
           "motus_run_export (authenticate, or ask the operator)");
  return 2;
}

static int operator_only(mcp_ctx *ctx, const char *what, char *err, size_t errlen)
{
  if (tools_caller_is_operator(ctx))
    return 0;
  snprintf(err, errlen, "%s: only an operator may read this (a token with \"operator\": true)",
           what);
  return 2;
}

static int dump(json_t *v, char **text_out, char *err, size_t errlen)
{
  *text_out = v ? seal_json_dumps(v, JSON_COMPACT) : NULL;
  json_decref(v);
  if (*text_out)
    return 0;
  snprintf(err, errlen, "out of memory");
  return -1;
}

/* A ledger error as a resource return code: 1 not there, -1 otherwise. */
static int lfail(int rc, const ledger_err *lerr, const char *what, char *err, size_t errlen)
{
  snprintf(err, errlen, "%s: %s", what, lerr->msg[0] ? lerr->msg : ledger_strerror(rc));
  return rc == LEDGER_ENOTFOUND || rc == LEDGER_EINVAL ? 1 : -1;
}

static int need_store(mcp_ctx *ctx, char *err, size_t errlen)
{
  if (mcp_ctx_store(ctx))
    return 0;
  snprintf(err, errlen, "this server has no Store open");
  return 1;
}

/* ---- redaction ----------------------------------------------------------------------------- */

static int secret_name(const char *k)
{
  static const char *const words[] = {"token",         "secret",  "password", "passwd",
                                      "authorization", "api_key", "apikey",   "private",
                                      "credential",    "cookie",  NULL};
  char low[128];
  size_t n = 0;
  for (; k[n] && n + 1 < sizeof low; n++)
    low[n] = (char)tolower((unsigned char)k[n]);
  low[n] = '\0';
  for (int i = 0; words[i]; i++)
    if (strstr(low, words[i]))
      return 1;
  return 0;
}

/* A copy of v (new) whose members with a secret-sounding name read "[redacted]". */
static json_t *redacted(const json_t *v, int depth)
{
  json_t *out, *x;
  const char *k;
  size_t i;
  if (depth > REDACT_DEPTH_MAX)
    return json_string("[redacted: too deep]");
  if (json_is_object(v)) {
    out = json_object();
    json_object_foreach((json_t *)v, k, x)
      json_object_set_new(out, k,
                          secret_name(k) ? json_string("[redacted]") : redacted(x, depth + 1));
    return out;
  }
  if (json_is_array(v)) {
    out = json_array();
    json_array_foreach(v, i, x)
      json_array_append_new(out, redacted(x, depth + 1));
    return out;
  }
  return json_deep_copy(v);
}

/* An approval row as the console shows it: {approval_id, tool, risk, caller, status, created_at,
 * resolved_at?, reason?, arguments (redacted), args_hash, decision?}. New. */
static json_t *approval_view(const json_t *row)
{
  json_t *o = json_object();
  static const char *const keys[] = {"approval_id", "tool",       "risk",        "caller",
                                     "status",      "created_at", "resolved_at", "reason",
                                     "args_hash",   "decision",   NULL};
  for (int i = 0; keys[i]; i++)
    if (json_object_get(row, keys[i]))
      json_object_set(o, keys[i], json_object_get(row, keys[i]));
  json_object_set_new(o, "arguments",
                      redacted(json_object_get(json_object_get(row, "request"), "arguments"), 0));
  return o;
}

/* ---- fixed resources ------------------------------------------------------------------------- */

static int runs_read(mcp_ctx *ctx, char **text_out, char *err, size_t errlen)
{
  ledger_work_ctx w = {0};
  ledger_err lerr = {0};
  json_t *args, *out = NULL;
  int rc;
  if ((rc = may_read_ledger(ctx, err, errlen)) || (rc = need_store(ctx, err, errlen)))
    return rc;
  args = json_pack("{s:i}", "limit", 1000);
  w.runtime_kind = "mcp";
  rc = ledger_work_runs(mcp_ctx_store(ctx), &w, args, &out, &lerr);
  json_decref(args);
  if (rc != LEDGER_OK)
    return lfail(rc, &lerr, "runs", err, errlen);
  return dump(out, text_out, err, errlen);
}

static int approvals_read(mcp_ctx *ctx, char **text_out, char *err, size_t errlen)
{
  ledger_err lerr = {0};
  json_t *rows = NULL, *row, *list;
  size_t i;
  int rc;
  if ((rc = operator_only(ctx, "approvals", err, errlen)) || (rc = need_store(ctx, err, errlen)))
    return rc;
  if ((rc = ledger_approval_list(mcp_ctx_store(ctx), "pending", &rows, &lerr)) != LEDGER_OK)
    return lfail(rc, &lerr, "approvals", err, errlen);
  list = json_array();
  json_array_foreach(rows, i, row)
    json_array_append_new(list, approval_view(row));
  json_decref(rows);
  return dump(json_pack("{s:o}", "pending", list), text_out, err, errlen);
}

/* Newest execution receipts as {receipt_id, task_id?, status, created_at, depth}. */
static int receipts_read(mcp_ctx *ctx, char **text_out, char *err, size_t errlen)
{
  ledger_err lerr = {0};
  json_t *rows = NULL, *row, *list;
  size_t i;
  int rc;
  if ((rc = may_read_ledger(ctx, err, errlen)) || (rc = need_store(ctx, err, errlen)))
    return rc;
  rc = ledger_receipt_list_kind(mcp_ctx_store(ctx), LEDGER_KIND_EXECUTION_RECEIPT, RECEIPTS_LISTED,
                                &rows, &lerr);
  if (rc != LEDGER_OK)
    return lfail(rc, &lerr, "receipts", err, errlen);
  list = json_array();
  json_array_foreach(rows, i, row) {
    const json_t *j = json_object_get(row, "json");
    json_t *r = json_is_string(j) ? json_loads(json_string_value(j), 0, NULL)
                                  : json_incref((json_t *)j);
    json_t *o = json_pack("{s:O,s:O}", "receipt_id", json_object_get(row, "receipt_id"),
                          "created_at", json_object_get(row, "created_at"));
    if (o && json_is_object(r) && json_object_get(r, "status"))
      json_object_set(o, "status", json_object_get(r, "status"));
    if (o && json_object_get(row, "task_id"))
      json_object_set(o, "task_id", json_object_get(row, "task_id"));
    json_decref(r);
    json_array_append_new(list, o);
  }
  json_decref(rows);
  return dump(json_pack("{s:o}", "receipts", list), text_out, err, errlen);
}

static void file_size(json_t *o, const char *key, const char *path, const char *suffix)
{
  char p[4200];
  struct stat st;
  snprintf(p, sizeof p, "%s%s", path, suffix);
  json_object_set_new(o, key, json_integer(stat(p, &st) == 0 ? (json_int_t)st.st_size : 0));
}

/* {store:{engine, path, size_bytes, wal_bytes, ok, reason}, calls_last_minute,
 * auth_failures_last_hour, motebit_id}. */
static int health_read(mcp_ctx *ctx, char **text_out, char *err, size_t errlen)
{
  ledger *l = mcp_ctx_store(ctx);
  ledger_health lh = {.ok = 1, .reason = "ok"};
  ledger_err lerr = {0};
  char since[LEDGER_TS_MAX], now[LEDGER_TS_MAX];
  int64_t t = 0, calls = 0, fails = 0;
  json_t *st, *o;
  int rc;
  if ((rc = operator_only(ctx, "health", err, errlen)) || (rc = need_store(ctx, err, errlen)))
    return rc;
  ledger_health_get(l, &lh);
  st = json_pack("{s:s,s:s,s:b,s:s}", "engine", "sqlite", "path", ledger_path(l), "ok", lh.ok,
                 "reason", lh.reason);
  if (!st)
    return dump(NULL, text_out, err, errlen);
  file_size(st, "size_bytes", ledger_path(l), "");
  file_size(st, "wal_bytes", ledger_path(l), "-wal");
  ledger_now(now);
  if (ledger_ts_parse(&t, now) == LEDGER_OK) {
    ledger_ts_format(since, t - 60000);
    if (ledger_event_count_since(l, LEDGER_KIND_MCP_CALL, since, &calls, &lerr) != LEDGER_OK)
      calls = -1;
    ledger_ts_format(since, t - 3600000);
    if (ledger_event_count_since(l, "http.auth_failed", since, &fails, &lerr) != LEDGER_OK)
      fails = -1;
  }
  o = json_pack("{s:o,s:I,s:I,s:s,s:s}", "store", st, "calls_last_minute", (json_int_t)calls,
                "auth_failures_last_hour", (json_int_t)fails, "motebit_id", mcp_ctx_motebit_id(ctx),
                "at", now);
  return dump(o, text_out, err, errlen);
}

/* ---- templates ------------------------------------------------------------------------------- */

/* workledger://runs/{run_id}[/events|/receipt] */
static int run_read(mcp_ctx *ctx, const char *uri, char **text_out, char *err, size_t errlen)
{
  char id[LEDGER_ID_MAX];
  const char *rest = uri + strlen(RUNS), *slash = strchr(rest, '/');
  size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
  ledger *l = mcp_ctx_store(ctx);
  ledger_err lerr = {0};
  json_t *out = NULL;
  int rc;
  if ((rc = may_read_ledger(ctx, err, errlen)) || (rc = need_store(ctx, err, errlen)))
    return rc;
  if (n == 0 || n >= sizeof id ||
      (slash && strcmp(slash, "/events") && strcmp(slash, "/receipt"))) {
    snprintf(err, errlen, "%.200s: not a run resource (runs/{run_id}[/events|/receipt])", uri);
    return 1;
  }
  memcpy(id, rest, n);
  id[n] = '\0';
  if (!slash) {
    rc = ledger_run_get(l, id, &out, &lerr);
  } else if (!strcmp(slash, "/events")) {
    json_t *run = NULL;
    if ((rc = ledger_run_get(l, id, &run, &lerr)) == LEDGER_OK)
      rc = ledger_run_events(l, id, &out, &lerr);
    json_decref(run);
  } else {
    ledger_work_ctx w = {0};
    json_t *args = json_pack("{s:s}", "id", id);
    w.runtime_kind = "mcp";
    rc = ledger_work_receipt(l, &w, args, &out, &lerr);
    json_decref(args);
  }
  if (rc != LEDGER_OK)
    return lfail(rc, &lerr, id, err, errlen);
  return dump(out, text_out, err, errlen);
}

/* A run's version for resources/subscribe: "<status>:<event_count>" while it is open (0), non-zero
 * once it is closed, gone or not for this caller. Serves runs/{run_id} and .../events. */
static int run_version(mcp_ctx *ctx, const char *uri, char *out, size_t cap)
{
  char id[LEDGER_ID_MAX], err[200];
  const char *rest = uri + strlen(RUNS), *slash = strchr(rest, '/');
  size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
  ledger_err lerr = {0};
  json_t *run = NULL;
  int open;
  if (may_read_ledger(ctx, err, sizeof err) || !mcp_ctx_store(ctx) || n == 0 || n >= sizeof id ||
      (slash && strcmp(slash, "/events")))
    return 1;
  memcpy(id, rest, n);
  id[n] = '\0';
  if (ledger_run_get(mcp_ctx_store(ctx), id, &run, &lerr) != LEDGER_OK)
    return 1;
  open = strcmp(json_string_value(json_object_get(run, "status")), "open") == 0;
  snprintf(out, cap, "%s:%lld", json_string_value(json_object_get(run, "status")),
           (long long)json_integer_value(json_object_get(run, "event_count")));
  json_decref(run);
  return open ? 0 : 1;
}

/* One node of a receipt tree and its children (new): what the console draws. */
static json_t *tree_node(const json_t *r, const char *path, int depth)
{
  seal_verdict v;
  json_t *node, *kids = json_array(), *k;
  static const char *const keys[] = {"task_id",      "motebit_id",   "public_key", "status",
                                     "submitted_at", "completed_at", NULL};
  size_t i;
  seal_verdict_init(&v);
  (void)seal_verify_execution_receipt(r, NULL, &v);
  node = json_pack("{s:s,s:i,s:b,s:O}", "path", path, "depth", depth, "verified", v.valid,
                   "reasons", v.reasons);
  seal_verdict_clear(&v);
  for (int j = 0; node && keys[j]; j++)
    if (json_object_get(r, keys[j]))
      json_object_set(node, keys[j], json_object_get(r, keys[j]));
  json_array_foreach(json_object_get(r, "delegation_receipts"), i, k) {
    char p[64];
    snprintf(p, sizeof p, "%s.%zu", path, i);
    if (depth < TREE_DEPTH_MAX && json_is_object(k))
      json_array_append_new(kids, tree_node(k, p, depth + 1));
  }
  json_object_set_new(node, "children", kids);
  return node;
}

/* Counts the nodes of a tree and how many verified. */
static void tree_count(const json_t *n, int *all, int *ok)
{
  size_t i;
  json_t *c;
  (*all)++;
  *ok += json_is_true(json_object_get(n, "verified"));
  json_array_foreach(json_object_get(n, "children"), i, c)
    tree_count(c, all, ok);
}

/* workledger://receipts/{receipt_id}[/tree] */
static int receipt_read(mcp_ctx *ctx, const char *uri, char **text_out, char *err, size_t errlen)
{
  char id[LEDGER_ID_MAX + 16];
  const char *rest = uri + strlen(RECEIPTS);
  size_t n = strlen(rest);
  int tree = n > 5 && strcmp(rest + n - 5, "/tree") == 0, rc, all = 0, ok = 0;
  ledger_err lerr = {0};
  json_t *r = NULL, *root;
  if ((rc = may_read_ledger(ctx, err, errlen)) || (rc = need_store(ctx, err, errlen)))
    return rc;
  if (tree)
    n -= 5;
  if (n == 0 || n >= sizeof id) {
    snprintf(err, errlen, "%.200s: not a receipt resource", uri);
    return 1;
  }
  memcpy(id, rest, n);
  id[n] = '\0';
  if ((rc = ledger_receipt_get(mcp_ctx_store(ctx), id, &r, &lerr)) != LEDGER_OK)
    return lfail(rc, &lerr, id, err, errlen);
  if (!tree)
    return dump(r, text_out, err, errlen);
  if (json_is_object(json_object_get(r, "receipt")) && !json_object_get(r, "signature")) {
    json_t *inner = json_incref(json_object_get(r, "receipt"));
    json_decref(r);
    r = inner;
  }
  root = tree_node(r, "0", 0);
  json_decref(r);
  tree_count(root, &all, &ok);
  return dump(json_pack("{s:s,s:i,s:i,s:o}", "receipt_id", id, "nodes", all, "verified_nodes", ok,
                        "root", root),
              text_out, err, errlen);
}

/* workledger://approvals/{approval_id} */
static int approval_read(mcp_ctx *ctx, const char *uri, char **text_out, char *err, size_t errlen)
{
  const char *id = uri + strlen(APPROVALS);
  ledger_err lerr = {0};
  json_t *row = NULL;
  int rc;
  if ((rc = operator_only(ctx, "approvals", err, errlen)) || (rc = need_store(ctx, err, errlen)))
    return rc;
  if ((rc = ledger_approval_get(mcp_ctx_store(ctx), id, &row, &lerr)) != LEDGER_OK)
    return lfail(rc, &lerr, id, err, errlen);
  json_t *v = approval_view(row);
  json_decref(row);
  return dump(v, text_out, err, errlen);
}

/* ---- listings -------------------------------------------------------------------------------- */

static void add_item(json_t *items, const char *prefix, const char *id, const char *suffix,
                     const char *title)
{
  char uri[LEDGER_ID_MAX + 64];
  snprintf(uri, sizeof uri, "%s%s%s", prefix, id, suffix);
  json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:s}", "uri", uri, "name", id, "title",
                                         title, "mimeType", "application/json"));
}

static int runs_list(mcp_ctx *ctx, json_t *items, char *err, size_t errlen)
{
  ledger_err lerr = {0};
  json_t *runs = NULL, *r;
  size_t i;
  if (may_read_ledger(ctx, err, errlen) || !mcp_ctx_store(ctx))
    return 0; /* nothing listed for this caller */
  if (ledger_run_list(mcp_ctx_store(ctx), 0, RUNS_LISTED, &runs, &lerr) != LEDGER_OK) {
    snprintf(err, errlen, "%s", lerr.msg);
    return -1;
  }
  json_array_foreach(runs, i, r) {
    char title[300];
    const char *work = json_string_value(json_object_get(r, "work_id"));
    snprintf(title, sizeof title, "Run %.100s (%s)", work ? work : "-",
             json_string_value(json_object_get(r, "status")));
    add_item(items, RUNS, json_string_value(json_object_get(r, "run_id")), "", title);
  }
  json_decref(runs);
  return 0;
}

static int receipts_list(mcp_ctx *ctx, json_t *items, char *err, size_t errlen)
{
  ledger_err lerr = {0};
  json_t *rows = NULL, *r;
  size_t i;
  if (may_read_ledger(ctx, err, errlen) || !mcp_ctx_store(ctx))
    return 0;
  if (ledger_receipt_list_kind(mcp_ctx_store(ctx), LEDGER_KIND_EXECUTION_RECEIPT, RECEIPTS_LISTED,
                               &rows, &lerr) != LEDGER_OK) {
    snprintf(err, errlen, "%s", lerr.msg);
    return -1;
  }
  json_array_foreach(rows, i, r)
    add_item(items, RECEIPTS, json_string_value(json_object_get(r, "receipt_id")), "",
             "Execution receipt");
  json_decref(rows);
  return 0;
}

static int approvals_list(mcp_ctx *ctx, json_t *items, char *err, size_t errlen)
{
  ledger_err lerr = {0};
  json_t *rows = NULL, *r;
  size_t i;
  if (operator_only(ctx, "approvals", err, errlen) || !mcp_ctx_store(ctx))
    return 0;
  if (ledger_approval_list(mcp_ctx_store(ctx), "pending", &rows, &lerr) != LEDGER_OK) {
    snprintf(err, errlen, "%s", lerr.msg);
    return -1;
  }
  json_array_foreach(rows, i, r)
    add_item(items, APPROVALS, json_string_value(json_object_get(r, "approval_id")), "",
             "Pending approval");
  json_decref(rows);
  return 0;
}

static int self_item(json_t *items, const char *uri, const char *name, const char *title)
{
  json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:s}", "uri", uri, "name", name, "title",
                                         title, "mimeType", "application/json"));
  return 0;
}

static int runs_self(mcp_ctx *ctx, json_t *items, char *err, size_t errlen)
{
  return may_read_ledger(ctx, err, errlen) ? 0
                                           : self_item(items, "workledger://runs", "runs", "Runs");
}

static int receipts_self(mcp_ctx *ctx, json_t *items, char *err, size_t errlen)
{
  return may_read_ledger(ctx, err, errlen)
             ? 0
             : self_item(items, "workledger://receipts", "receipts", "Execution receipts");
}

static int approvals_self(mcp_ctx *ctx, json_t *items, char *err, size_t errlen)
{
  return operator_only(ctx, "approvals", err, errlen)
             ? 0
             : self_item(items, "workledger://approvals", "approvals", "Pending approvals");
}

static int health_self(mcp_ctx *ctx, json_t *items, char *err, size_t errlen)
{
  return operator_only(ctx, "health", err, errlen)
             ? 0
             : self_item(items, "workledger://health", "health", "Health");
}

/* clang-format off */
#define FIXED(uri, name, title, desc, fn, self) {uri, name, title, desc, "application/json", fn, NULL, NULL, self, NULL}
#define TEMPLATE(prefix, tmpl, name, title, desc, fn, ls, ver) \
  {prefix, name, title, desc, "application/json", NULL, tmpl, fn, ls, ver}
/* clang-format on */

const mcp_resource_impl tools_ledger_resources[] = {
    FIXED("workledger://runs", "runs", "Runs",
          "Store runs newest first: {items:[{run_id, work_id, status, started_at, closed_at?, "
          "outcome_status?, event_count}], count}",
          runs_read, runs_self),
    FIXED("workledger://receipts", "receipts", "Execution receipts",
          "Stored motebit ExecutionReceipts newest first: {receipts:[{receipt_id, task_id, "
          "status, created_at}]}",
          receipts_read, receipts_self),
    FIXED("workledger://approvals", "approvals", "Pending approvals",
          "Calls waiting for the operator (operators only): {pending:[{approval_id, tool, risk, "
          "caller, created_at, arguments (secrets redacted)}]}",
          approvals_read, approvals_self),
    FIXED("workledger://health", "health", "Health",
          "Store engine, size and WAL, calls in the last minute, auth failures in the last hour "
          "(operators only)",
          health_read, health_self),
    TEMPLATE(RUNS, "workledger://runs/{run_id}", "run", "Run",
             "One Store run: {run_id, work_id, status, started_at, closed_at?, event_count}",
             run_read, runs_list, run_version),
    TEMPLATE(RUNS, "workledger://runs/{run_id}/events", "run-events", "Run events",
             "The run's events in seq order, each a Motus work-event (hashes included)", run_read,
             NULL, run_version),
    TEMPLATE(RUNS, "workledger://runs/{run_id}/receipt", "run-receipt", "Work Receipt",
             "The signed Work Receipt Envelope v0.1 of a closed run", run_read, NULL, NULL),
    TEMPLATE(RECEIPTS, "workledger://receipts/{receipt_id}", "receipt", "Receipt",
             "A stored receipt (ExecutionReceipt, Work Receipt, ApprovalDecision) as signed",
             receipt_read, receipts_list, NULL),
    TEMPLATE(RECEIPTS, "workledger://receipts/{receipt_id}/tree", "receipt-tree", "Receipt tree",
             "The receipt's nested delegation receipts as a tree; each node {path, depth, "
             "motebit_id, public_key, status, submitted_at, completed_at, verified, reasons}",
             receipt_read, NULL, NULL),
    TEMPLATE(APPROVALS, "workledger://approvals/{approval_id}", "approval", "Approval",
             "One approval (operators only), its arguments with secrets redacted", approval_read,
             approvals_list, NULL),
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
