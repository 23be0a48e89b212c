/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_store.c — `workledger store copy --from SRC --to DST [--json]`: every run, event,
 * receipt, memory (and the rest of the stored facts) of the Store SRC into the Store DST, either
 * a SQLite path or a postgresql:// URI (ledger_store_copy: verified, resumable, idempotent; DST
 * is created when missing). Prints the rows per table and how many were written or already
 * there. URIs are printed without their passwords. */
#include "cli/cli.h"
#include "cli/node.h"
#include "ledger/ledger.h"

#include <stdio.h>
#include <string.h>

#define STORE_USAGE "store copy --from SRC --to DST"

static int copy(const char *from, const char *to)
{
  char sf[1024], st[1024];
  ledger_store_display(sf, sizeof sf, from);
  ledger_store_display(st, sizeof st, to);
  if (strcmp(from, to) == 0) {
    cli_errorf("store copy: --from and --to name the same Store");
    return CLI_EXIT_USAGE;
  }
  ledger *src = NULL, *dst = NULL;
  ledger_opts so = LEDGER_OPTS_INIT, dopt = LEDGER_OPTS_INIT;
  ledger_err e = {0};
  dopt.create = 1;
  if (ledger_open(&src, from, &so, &e) != LEDGER_OK) {
    cli_errorf("store copy: %s: %s", sf, e.msg);
    return CLI_EXIT_FAIL;
  }
  if (ledger_open(&dst, to, &dopt, &e) != LEDGER_OK) {
    cli_errorf("store copy: %s: %s", st, e.msg);
    ledger_close(src);
    return CLI_EXIT_FAIL;
  }
  ledger_copy_stats s;
  int rc = ledger_store_copy(src, dst, &s, &e);
  ledger_close(src);
  ledger_close(dst);
  if (rc != LEDGER_OK) {
    cli_errorf("store copy: %s (rows copied so far stay; run it again to resume)", e.msg);
    return CLI_EXIT_FAIL;
  }
  if (cli_opt_json) {
    json_t *rows = json_object();
    for (size_t i = 0; ledger_copy_table_name(i); i++)
      json_object_set_new(rows, ledger_copy_table_name(i), json_integer(s.rows[i]));
    json_t *o = json_pack("{s:s,s:s,s:o,s:I,s:I}", "from", sf, "to", st, "rows", rows, "written",
                          (json_int_t)s.written, "skipped", (json_int_t)s.skipped);
    cli_print_json(o);
    json_decref(o);
  } else {
    for (size_t i = 0; ledger_copy_table_name(i); i++)
      printf("%-15s %lld\n", ledger_copy_table_name(i), (long long)s.rows[i]);
    printf("copied %s -> %s: %lld rows written, %lld already there (events verified)\n", sf, st,
           (long long)s.written, (long long)s.skipped);
  }
  return CLI_EXIT_OK;
}

int cmd_store(int argc, char **argv)
{
  const char *from = NULL, *to = NULL;
  if (argc < 2 || strcmp(argv[1], "copy") != 0) {
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
      printf("usage: workledger %s\n", STORE_USAGE);
      return CLI_EXIT_OK;
    }
    cli_errorf("usage: %s", STORE_USAGE);
    return CLI_EXIT_USAGE;
  }
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--from") && i + 1 < argc)
      from = argv[++i];
    else if (!strcmp(argv[i], "--to") && i + 1 < argc)
      to = argv[++i];
    else if (!strcmp(argv[i], "--json"))
      cli_opt_json = 1;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("usage: workledger %s\n", STORE_USAGE);
      return CLI_EXIT_OK;
    } else {
      cli_errorf("store copy: unexpected argument '%s' (usage: %s)", argv[i], STORE_USAGE);
      return CLI_EXIT_USAGE;
    }
  }
  if (!from || !to || !*from || !*to) {
    cli_errorf("store copy: needs --from SRC and --to DST (usage: %s)", STORE_USAGE);
    return CLI_EXIT_USAGE;
  }
  return copy(from, to);
}
