/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_tasks.c — `workledger tasks [--limit N] [--json]`: the motebit tasks this node ran
 * (motebit_task), newest first: running tasks (an open task run, no receipt yet) and finished
 * ones with the status of their signed ExecutionReceipt; and `workledger receipts show ID
 * [--json]`: prints a stored receipt as JSON — ID is a task_id (its ExecutionReceipt) or any
 * receipt id of the receipts table (an invocation id, a Work Receipt id). An unknown id is exit 1
 * with one line on stderr. Both only read the Store (spec/store.md §7). */
#include "cli/cli.h"
#include "cli/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXEC_RECEIPT_KIND LEDGER_KIND_EXECUTION_RECEIPT
#define TASK_WORK_PREFIX "task-"

static const char *js(const json_t *o, const char *k)
{
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "-";
}

/* {tasks:[...], count}: new reference, or NULL with the error printed (rc set). */
static json_t *collect(ledger *l, int limit, int *rc)
{
  json_t *runs = NULL, *rcpts = NULL, *tasks = json_array(), *r;
  ledger_err e = {0};
  size_t i;
  int lrc;
  if ((lrc = ledger_run_list(l, 1, 1000, &runs, &e))) {
    *rc = cli_ledger_fail("tasks", lrc, &e);
    json_decref(tasks);
    return NULL;
  }
  json_array_foreach(runs, i, r) {
    const char *w = json_string_value(json_object_get(r, "work_id"));
    if (!w || strncmp(w, TASK_WORK_PREFIX, strlen(TASK_WORK_PREFIX)) != 0)
      continue;
    json_array_append_new(
        tasks, json_pack("{s:s,s:s,s:s,s:s}", "task_id", w + strlen(TASK_WORK_PREFIX), "status",
                         "running", "run_id", js(r, "run_id"), "started_at", js(r, "started_at")));
  }
  json_decref(runs);
  if ((lrc = ledger_receipt_list_kind(l, EXEC_RECEIPT_KIND, limit, &rcpts, &e))) {
    *rc = cli_ledger_fail("tasks", lrc, &e);
    json_decref(tasks);
    return NULL;
  }
  json_array_foreach(rcpts, i, r) {
    const json_t *rc_json = json_object_get(r, "json");
    json_t *t = json_pack("{s:s,s:s,s:s,s:O,s:O,s:s}", "task_id", js(r, "task_id"), "status",
                          js(rc_json, "status"), "run_id", js(r, "run_id"), "submitted_at",
                          json_object_get(rc_json, "submitted_at"), "completed_at",
                          json_object_get(rc_json, "completed_at"), "result_hash",
                          js(rc_json, "result_hash"));
    if (!t)
      continue;
    json_object_set(t, "tools_used", json_object_get(rc_json, "tools_used"));
    if (json_object_get(rc_json, "relay_task_id"))
      json_object_set(t, "relay_task_id", json_object_get(rc_json, "relay_task_id"));
    json_array_append_new(tasks, t);
  }
  json_decref(rcpts);
  return json_pack("{s:I,s:o}", "count", (json_int_t)json_array_size(tasks), "tasks", tasks);
}

int cmd_tasks(int argc, char **argv)
{
  int json = cli_opt_json, rc = CLI_EXIT_OK;
  long limit = 100;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      json = 1;
    } else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
      if (cli_parse_long(argv[++i], 1, 1000, &limit)) {
        cli_errorf("tasks: --limit must be 1..1000");
        return CLI_EXIT_USAGE;
      }
    } else {
      cli_errorf("tasks: unexpected argument '%s' (usage: tasks [--limit N] [--json])", argv[i]);
      return CLI_EXIT_USAGE;
    }
  }
  ledger *l = NULL;
  if ((rc = cli_store_open(&l, 0)))
    return rc;
  json_t *out = collect(l, (int)limit, &rc);
  if (out && json) {
    cli_print_json(out);
  } else if (out) {
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(out, "tasks"), i, t) {
      char when[LEDGER_TS_MAX] = "-";
      const json_t *c = json_object_get(t, "completed_at");
      if (json_is_integer(c))
        ledger_ts_format(when, (int64_t)json_integer_value(c));
      else if (json_object_get(t, "started_at"))
        snprintf(when, sizeof when, "%s", js(t, "started_at"));
      printf("%-36s %-9s %-24s %s\n", js(t, "task_id"), js(t, "status"), when,
             json_object_get(t, "relay_task_id") ? js(t, "relay_task_id") : "-");
    }
    if (!json_array_size(json_object_get(out, "tasks")))
      printf("no tasks\n");
  }
  json_decref(out);
  ledger_close(l);
  return rc;
}

int cmd_receipts(int argc, char **argv)
{
  const char *id = NULL;
  int rc = CLI_EXIT_OK, lrc;
  if (argc < 2 || strcmp(argv[1], "show") != 0) {
    cli_errorf("receipts: usage: receipts show TASK_ID");
    return CLI_EXIT_USAGE;
  }
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      continue; /* the output is JSON anyway */
    if (!id && argv[i][0] != '-') {
      id = argv[i];
    } else {
      cli_errorf("receipts show: unexpected argument '%s'", argv[i]);
      return CLI_EXIT_USAGE;
    }
  }
  if (!id || !*id) {
    cli_errorf("receipts show: missing TASK_ID (usage: receipts show TASK_ID)");
    return CLI_EXIT_USAGE;
  }
  ledger *l = NULL;
  if ((rc = cli_store_open(&l, 0)))
    return rc;
  ledger_err e = {0};
  json_t *list = NULL, *found = NULL, *r;
  size_t i;
  /* a task id first (its ExecutionReceipt), then any receipt id */
  if ((lrc = ledger_receipt_list(l, NULL, id, &list, &e))) {
    rc = cli_ledger_fail("receipts show", lrc, &e);
    goto out;
  }
  json_array_foreach(list, i, r)
    if (strcmp(js(r, "kind"), EXEC_RECEIPT_KIND) == 0)
      found = json_incref(json_object_get(r, "json"));
  if (!found) {
    lrc = ledger_receipt_get(l, id, &found, &e);
    if (lrc == LEDGER_ENOTFOUND) {
      cli_errorf("receipts show: no receipt for %s", id);
      rc = CLI_EXIT_FAIL;
      goto out;
    }
    if (lrc) {
      rc = cli_ledger_fail("receipts show", lrc, &e);
      goto out;
    }
  }
  cli_print_json(found);
out:
  json_decref(list);
  json_decref(found);
  ledger_close(l);
  return rc;
}
