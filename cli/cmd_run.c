/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_run.c — `workledger run list [--open] [--limit N] [--json]` (Store runs, newest
 * first) and `workledger run packet RUN [--json]` (the work packet: an operator summary of one
 * run — work, owner, intent, evidence, decisions, outcome, acceptance, next route). */
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

int cmd_run(int argc, char **argv)
{
  int json = cli_opt_json, open_only = 0, rc = CLI_EXIT_OK, lrc;
  long limit = 100;
  const char *id = NULL;
  if (argc < 2 || (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "packet") != 0)) {
    cli_errorf("run: usage: run list [--open] [--limit N] | run packet RUN");
    return CLI_EXIT_USAGE;
  }
  int packet = strcmp(argv[1], "packet") == 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      json = 1;
    } else if (!packet && strcmp(argv[i], "--open") == 0) {
      open_only = 1;
    } else if (!packet && strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
      if (cli_parse_long(argv[++i], 1, 1000, &limit)) {
        cli_errorf("run list: --limit must be 1..1000");
        return CLI_EXIT_USAGE;
      }
    } else if (packet && !id && argv[i][0] != '-') {
      id = argv[i];
    } else {
      cli_errorf("run %s: unexpected argument '%s'", argv[1], argv[i]);
      return CLI_EXIT_USAGE;
    }
  }
  if (packet && !id) {
    cli_errorf("run packet: missing RUN (usage: run packet RUN)");
    return CLI_EXIT_USAGE;
  }
  ledger *l = NULL;
  if ((rc = cli_store_open(&l, 0)))
    return rc;
  ledger_err e = {0};
  json_t *out = NULL;
  if (packet) {
    ledger_work_ctx ctx = {"cli", NULL, NULL, NULL, NULL, NULL, NULL};
    json_t *a = json_pack("{s:s}", "id", id);
    lrc = ledger_work_packet(l, &ctx, a, &out, &e);
    json_decref(a);
    if (lrc)
      rc = cli_ledger_fail("run packet", lrc, &e);
    else if (json)
      cli_print_json(out);
    else
      print_packet(out);
  } else {
    lrc = ledger_run_list(l, open_only, (int)limit, &out, &e);
    if (lrc) {
      rc = cli_ledger_fail("run list", lrc, &e);
    } else if (json) {
      cli_print_json(out);
    } else {
      size_t i;
      json_t *r;
      json_array_foreach(out, i, r)
        printf("%-40s %-6s %-8s %-24s %s\n", js(r, "run_id"), js(r, "status"),
               js(r, "outcome_status"), js(r, "started_at"), js(r, "work_id"));
      if (!json_array_size(out))
        printf("no runs\n");
    }
  }
  json_decref(out);
  ledger_close(l);
  return rc;
}
