/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_run.c — `workledger run list [--open] [--outcome O] [--work-id ID] [--since TS]
 * [--limit N] [--offset N] [--json]` (Store runs, newest first, filtered by ledger_work_runs;
 * --json prints the array of runs) and `workledger run packet RUN [--json]` (the work packet: an
 * operator summary of one run — work, owner, intent, evidence, decisions, outcome, acceptance,
 * next route). */
#include "cli/cli.h"
#include "cli/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *js(const json_t *o, const char *k)
{
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "-";
}

static void print_packet(const json_t *p)
{
  printf("run      %s (%s)\n", js(p, "run_id"), js(p, "status"));
  printf("work     %s\n", js(p, "work_id"));
  json_t *owner = json_object_get(p, "owner");
  printf("owner    %s %s\n", js(owner, "type"), js(owner, "id"));
  printf("intent   %s\n", js(p, "intent"));
  printf("started  %s\n", js(p, "started_at"));
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(p, "tools"), i, v)
    printf("tool     %s (%s)\n", js(v, "name"), js(v, "kind"));
  json_array_foreach(json_object_get(p, "evidence"), i, v)
    printf("evidence %s %s: %s\n", js(v, "evidence_id"), js(v, "kind"), js(v, "summary"));
  json_array_foreach(json_object_get(p, "decisions"), i, v) {
    printf("decision %s: %s", js(v, "decision_id"), js(v, "text"));
    if (json_object_get(v, "rationale"))
      printf(" (because %s)", js(v, "rationale"));
    printf("\n");
  }
  json_t *oc = json_object_get(p, "outcome");
  if (oc) {
    printf("outcome  %s: %s (closed %s)\n", js(oc, "status"), js(oc, "summary"),
           js(p, "closed_at"));
    json_t *acc = json_object_get(p, "acceptance");
    printf("accepted %s by %s\n", js(acc, "status"), js(acc, "method"));
    json_t *nr = json_object_get(p, "next_route");
    printf("next     %s%s%s\n", js(nr, "status"), json_object_get(nr, "reason") ? ": " : "",
           json_object_get(nr, "reason") ? js(nr, "reason") : "");
    printf("receipt  %s\n", js(p, "receipt_id"));
  } else {
    printf("outcome  (open)\n");
  }
}

#define RUN_USAGE                                                                                  \
  "run list [--open] [--outcome O] [--work-id ID] [--since TS] [--limit N] [--offset N] | run "    \
  "packet RUN"

/* One `run list` option with a value into the ledger_work_runs arguments; 0, or the exit code. */
static int list_opt(json_t *a, const char *name, const char *val)
{
  long n;
  if (strcmp(name, "--limit") == 0 || strcmp(name, "--offset") == 0) {
    int lim = name[2] == 'l';
    if (cli_parse_long(val, lim ? 1 : 0, lim ? 1000 : 2147483647L, &n)) {
      cli_errorf("run list: %s must be %s, got '%s'", name,
                 lim ? "1..1000" : "a non-negative integer", val);
      return CLI_EXIT_USAGE;
    }
    json_object_set_new(a, name + 2, json_integer(n));
  } else {
    json_object_set_new(a, strcmp(name, "--work-id") == 0 ? "work_id" : name + 2, json_string(val));
  }
  return 0;
}

static void print_runs(const json_t *items)
{
  size_t i;
  json_t *r;
  json_array_foreach(items, i, r)
    printf("%-40s %-6s %-8s %-24s %s\n", js(r, "run_id"), js(r, "status"), js(r, "outcome_status"),
           js(r, "started_at"), js(r, "work_id"));
  if (!json_array_size(items))
    printf("no runs\n");
}

int cmd_run(int argc, char **argv)
{
  static const char *const with_value[] = {"--outcome", "--work-id", "--since",
                                           "--limit",   "--offset",  NULL};
  int json = cli_opt_json, rc = CLI_EXIT_OK, lrc;
  const char *id = NULL;
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: workledger run list [--open] [--outcome O] [--work-id ID] [--since TS] "
           "[--limit N] [--offset N]\n       workledger run packet RUN\n");
    return CLI_EXIT_OK;
  }
  if (argc < 2 || (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "packet") != 0)) {
    cli_errorf("run: usage: %s", RUN_USAGE);
    return CLI_EXIT_USAGE;
  }
  int packet = strcmp(argv[1], "packet") == 0;
  json_t *a = json_object();
  for (int i = 2; i < argc; i++) {
    const char *s = argv[i], *eq = strchr(s, '=');
    char name[16] = "";
    int takes = 0;
    if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
      printf("usage: workledger %s\n", packet ? "run packet RUN" : RUN_USAGE);
      json_decref(a);
      return CLI_EXIT_OK;
    }
    snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - s) : (int)strlen(s), s);
    for (int k = 0; !packet && with_value[k]; k++)
      takes |= strcmp(name, with_value[k]) == 0;
    if (strcmp(s, "--json") == 0) {
      json = 1;
    } else if (!packet && strcmp(s, "--open") == 0) {
      json_object_set_new(a, "open", json_true());
    } else if (takes && (eq || i + 1 < argc)) {
      if ((rc = list_opt(a, name, eq ? eq + 1 : argv[++i]))) {
        json_decref(a);
        return rc;
      }
    } else if (packet && !id && s[0] != '-') {
      id = s;
    } else {
      cli_errorf("run %s: %s '%s' (usage: %s)", argv[1],
                 takes ? "missing value for" : "unexpected argument", s, RUN_USAGE);
      json_decref(a);
      return CLI_EXIT_USAGE;
    }
  }
  if (packet && !id) {
    cli_errorf("run packet: missing RUN (usage: run packet RUN)");
    json_decref(a);
    return CLI_EXIT_USAGE;
  }
  ledger *l = NULL;
  if ((rc = cli_store_open(&l, 0))) {
    json_decref(a);
    return rc;
  }
  ledger_err e = {0};
  json_t *out = NULL;
  ledger_work_ctx ctx = {"cli", NULL, NULL, NULL, NULL, NULL, NULL};
  if (packet) {
    json_object_set_new(a, "id", json_string(id));
    lrc = ledger_work_packet(l, &ctx, a, &out, &e);
    if (lrc)
      rc = cli_ledger_fail("run packet", lrc, &e);
    else if (json)
      cli_print_json(out);
    else
      print_packet(out);
  } else {
    lrc = ledger_work_runs(l, &ctx, a, &out, &e);
    /* a bad filter value is bad input */
    if (lrc)
      rc = lrc == LEDGER_EINVAL ? (cli_errorf("run list: %s", e.msg), CLI_EXIT_USAGE)
                                : cli_ledger_fail("run list", lrc, &e);
    else if (json)
      cli_print_json(json_object_get(out, "items"));
    else
      print_runs(json_object_get(out, "items"));
  }
  json_decref(a);
  json_decref(out);
  ledger_close(l);
  return rc;
}
