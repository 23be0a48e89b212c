/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_approvals.c — the operator's side of the approval band (spec/policy.md R-POLICY-06x):
 * `workledger approvals [--json]` lists pending approvals; `workledger approve ID` and
 * `workledger deny ID --reason R` resolve one with a signed ApprovalDecision (motebit.md §3.6),
 * stored with the approval, as a receipt, and announced by an `approval.resolved` event, all in
 * one Store transaction. It does not decide policy or run the held call: the agent's retry is
 * matched and consumed by the MCP dispatcher (mcp/record.c). */
#include "cli/cli.h"
#include "crypto/artifacts.h"
#include "crypto/seal.h"
#include "ledger/approval.h"
#include "ledger/ledger.h"
#include "config/config.h"

#include "cli/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct opts {
  int json;
  const char *store;
  const char *id;
  const char *reason;
} opts;

/* Parses [--json] [--store PATH] [--reason R] [ID]; returns 0 or prints usage and returns -1. */
static int parse(int argc, char **argv, opts *o, int want_id, int want_reason)
{
  memset(o, 0, sizeof *o);
  o->json = cli_opt_json;
  o->store = cli_opt_store;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--json") == 0)
      o->json = 1;
    else if (strcmp(a, "--store") == 0 && i + 1 < argc)
      o->store = argv[++i];
    else if (strncmp(a, "--store=", 8) == 0)
      o->store = a + 8;
    else if (want_reason && strcmp(a, "--reason") == 0 && i + 1 < argc)
      o->reason = argv[++i];
    else if (want_reason && strncmp(a, "--reason=", 9) == 0)
      o->reason = a + 9;
    else if (want_id && !o->id && a[0] != '-')
      o->id = a;
    else {
      cli_errorf("%s: unexpected argument '%s'", argv[0], a);
      return -1;
    }
  }
  if (want_id && !o->id) {
    cli_errorf("usage: workledger %s ID%s [--json]", argv[0], want_reason ? " --reason R" : "");
    return -1;
  }
  if (want_reason && (!o->reason || !*o->reason)) {
    cli_errorf("usage: workledger deny ID --reason R [--json] (a reason is required)");
    return -1;
  }
  return 0;
}

static ledger *open_store(const char *store_opt, int read_only, char *motus_dir, size_t cap)
{
  const char *path = cli_store_path(store_opt);
  ledger_opts lo = LEDGER_OPTS_INIT;
  ledger_err lerr;
  ledger *l = NULL;
  lo.read_only = read_only;
  memset(&lerr, 0, sizeof lerr);
  if (motus_dir)
    cli_motus_dir(motus_dir, cap, path);
  if (ledger_open(&l, path, &lo, &lerr) != LEDGER_OK) {
    char shown[1024]; /* a URI without its password */
    ledger_store_display(shown, sizeof shown, path);
    if (lerr.code == LEDGER_ENOTFOUND)
      cli_errorf("no Store at %s (run `workledger init`)", shown);
    else
      cli_errorf("cannot open the Store %s: %s", shown,
                 lerr.msg[0] ? lerr.msg : ledger_strerror(lerr.code));
    return NULL;
  }
  return l;
}

static const char *jstr(const json_t *o, const char *k)
{
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* ---- workledger approvals ------------------------------------------------------------------- */

int cmd_approvals(int argc, char **argv)
{
  opts o;
  ledger *l;
  json_t *list = NULL, *out = NULL, *a;
  ledger_err lerr;
  size_t i;
  int rc = CLI_EXIT_FAIL;
  if (parse(argc, argv, &o, 0, 0) != 0)
    return CLI_EXIT_USAGE;
  if (!(l = open_store(o.store, 1, NULL, 0)))
    return CLI_EXIT_FAIL;
  memset(&lerr, 0, sizeof lerr);
  if (ledger_approval_list(l, "pending", &list, &lerr) != LEDGER_OK) {
    cli_errorf("cannot list approvals: %s", lerr.msg);
    goto done;
  }
  out = json_array();
  json_array_foreach(list, i, a) {
    json_t *row = json_pack("{s:s,s:s,s:O,s:s,s:s,s:s}", "approval_id", jstr(a, "approval_id"),
                            "tool", jstr(a, "tool"), "risk", json_object_get(a, "risk"),
                            "args_hash", jstr(a, "args_hash"), "caller", jstr(a, "caller"),
                            "created_at", jstr(a, "created_at"));
    json_t *args = json_object_get(json_object_get(a, "request"), "arguments");
    if (row && args)
      json_object_set(row, "arguments", args);
    if (row)
      json_array_append_new(out, row);
  }
  if (o.json) {
    char *s = seal_json_dumps(out, JSON_COMPACT);
    if (s)
      printf("%s\n", s);
    free(s);
  } else if (json_array_size(out) == 0) {
    printf("no pending approvals\n");
  } else {
    json_array_foreach(out, i, a) {
      char *args = json_object_get(a, "arguments")
                       ? seal_json_dumps(json_object_get(a, "arguments"), JSON_COMPACT)
                       : NULL;
      printf("%s  %s  R%lld  %s  caller=%s  %s\n", jstr(a, "approval_id"), jstr(a, "tool"),
             (long long)json_integer_value(json_object_get(a, "risk")), jstr(a, "args_hash"),
             jstr(a, "caller"), jstr(a, "created_at"));
      if (args)
        printf("    arguments: %.200s%s\n", args, strlen(args) > 200 ? "..." : "");
      free(args);
    }
    printf("resolve with: workledger approve ID | workledger deny ID --reason R\n");
  }
  rc = CLI_EXIT_OK;
done:
  json_decref(list);
  json_decref(out);
  ledger_close(l);
  return rc;
}

/* ---- approve / deny ------------------------------------------------------------------------- */

/* The node key (new), or NULL with the error printed; `motebit_id` receives the node's id. */
static seal_key *load_node_key(const char *motus_dir, char *motebit_id, size_t idcap)
{
  cli_node node;
  char err[512];
  if (cli_node_load(&node, motus_dir, err, sizeof err) != 0) {
    cli_errorf("%s", err);
    return NULL;
  }
  snprintf(motebit_id, idcap, "%s", node.motebit_id);
  return node.key;
}

static int resolve(int argc, char **argv, int approve)
{
  opts o;
  char motus_dir[4096], cerr[512], node_id[LEDGER_ID_MAX];
  ledger *l = NULL;
  json_t *row = NULL, *cfg = NULL, *decision = NULL;
  seal_key *key = NULL;
  ledger_err lerr;
  int rc = CLI_EXIT_FAIL, lrc;
  const char *status = approve ? "approved" : "denied";
  if (parse(argc, argv, &o, 1, !approve) != 0)
    return CLI_EXIT_USAGE;
  if (!(l = open_store(o.store, 0, motus_dir, sizeof motus_dir)))
    return CLI_EXIT_FAIL;
  memset(&lerr, 0, sizeof lerr);
  lrc = ledger_approval_get(l, o.id, &row, &lerr);
  if (lrc == LEDGER_ENOTFOUND) {
    cli_errorf("no approval '%s'", o.id);
    goto done;
  }
  if (lrc != LEDGER_OK) {
    cli_errorf("cannot read approval %s: %s", o.id, lerr.msg);
    goto done;
  }
  if (strcmp(jstr(row, "status"), "pending") != 0) {
    cli_errorf("approval %s is already %s", o.id, jstr(row, "status"));
    goto done;
  }
  if (mcp_config_load(&cfg, motus_dir, cerr, sizeof cerr) != 0) {
    cli_errorf("%s", cerr);
    goto done;
  }
  if (!(key = load_node_key(motus_dir, node_id, sizeof node_id)))
    goto done;
  ledger_decide_in in = {o.id,
                         approve,
                         approve ? NULL : o.reason,
                         key,
                         node_id,
                         mcp_config_device_id(cfg),
                         "workledger.cli",
                         "cli"};
  memset(&lerr, 0, sizeof lerr);
  lrc = ledger_approval_decide(l, &in, &decision, NULL, &lerr);
  if (lrc == LEDGER_ECONFLICT) {
    cli_errorf("approval %s is already resolved", o.id);
    goto done;
  }
  if (lrc != LEDGER_OK) {
    cli_errorf("cannot resolve approval %s: %s", o.id,
               lerr.msg[0] ? lerr.msg : ledger_strerror(lrc));
    goto done;
  }
  if (o.json) {
    char *s = seal_json_dumps(decision, JSON_COMPACT);
    if (s)
      printf("%s\n", s);
    free(s);
  } else {
    printf("%s %s (tool %s, R%lld)%s%s\n", status, o.id, jstr(row, "tool"),
           (long long)json_integer_value(json_object_get(row, "risk")), approve ? "" : ": ",
           approve ? "" : o.reason);
  }
  rc = CLI_EXIT_OK;
done:
  json_decref(row);
  json_decref(cfg);
  json_decref(decision);
  seal_key_free(key);
  ledger_close(l);
  return rc;
}

int cmd_approve(int argc, char **argv)
{
  return resolve(argc, argv, 1);
}

int cmd_deny(int argc, char **argv)
{
  return resolve(argc, argv, 0);
}
