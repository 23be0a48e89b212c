/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_init.c — `workledger init [--path DIR] [--quiet] [--json]`: creates DIR/.motus/ with
 * the Store (kernel-store.db) and the node identity (identity/key, identity/motebit.md).
 * Idempotent: existing files are kept and reported. With --store, that Store path is used
 * instead of DIR/.motus/kernel-store.db (the identity goes beside it). */
#include "cli/cli.h"
#include "cli/node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cmd_init(int argc, char **argv)
{
  const char *dir = ".";
  int quiet = 0, json = cli_opt_json;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--path") == 0 && i + 1 < argc)
      dir = argv[++i];
    else if (strncmp(argv[i], "--path=", 7) == 0)
      dir = argv[i] + 7;
    else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
      quiet = 1;
    else if (strcmp(argv[i], "--json") == 0)
      json = 1;
    else if (strcmp(argv[i], "--empty") == 0)
      ; /* Motus compatibility: our layout is always minimal */
    else {
      cli_errorf("init: unexpected argument '%s' (usage: init [--path DIR] [--quiet] [--json])",
                 argv[i]);
      return CLI_EXIT_USAGE;
    }
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    cli_errorf("init: %s is not a directory", dir);
    return CLI_EXIT_USAGE;
  }
  char store_path[4096], motus_dir[4096];
  if (cli_opt_store || getenv("MOTUS_KERNEL_STORE_PATH") || getenv("MOTUS_STORE_PATH")) {
    snprintf(store_path, sizeof store_path, "%s", cli_store_path(cli_opt_store));
  } else {
    snprintf(store_path, sizeof store_path, "%s/.motus/kernel-store.db", dir);
  }
  cli_motus_dir(motus_dir, sizeof motus_dir, store_path);
  if (ledger_store_is_uri(store_path)) /* PostgreSQL: the identity goes in DIR/.motus */
    snprintf(motus_dir, sizeof motus_dir, "%s/.motus", dir);
  if (mkdir(motus_dir, 0700) != 0 && errno != EEXIST) {
    cli_errorf("init: cannot create %s: %s", motus_dir, strerror(errno));
    return CLI_EXIT_FAIL;
  }
  int existed = access(store_path, F_OK) == 0;
  ledger *l = NULL;
  ledger_opts o = LEDGER_OPTS_INIT;
  ledger_err e = {0};
  char shown[1024];
  ledger_store_display(shown, sizeof shown, store_path);
  if (ledger_store_is_uri(store_path)) {
    o.read_only = 1;
    existed = ledger_open(&l, store_path, &o, NULL) == LEDGER_OK;
    ledger_close(l);
    l = NULL;
    o.read_only = 0;
  }
  o.create = 1;
  int rc = ledger_open(&l, store_path, &o, &e);
  if (rc) {
    cli_errorf("init: %s: %s", shown, e.msg);
    return CLI_EXIT_FAIL;
  }
  ledger_close(l);
  cli_node node;
  int created = 0;
  char err[512];
  if (cli_node_init(&node, motus_dir, &created, err, sizeof err)) {
    cli_errorf("init: %s", err);
    return CLI_EXIT_FAIL;
  }
  if (json) {
    json_t *out = json_pack("{s:s,s:s,s:b,s:b,s:s,s:s,s:s,s:i}", "motus_dir", motus_dir, "store",
                            shown, "store_created", !existed, "key_created", created, "motebit_id",
                            node.motebit_id, "public_key", seal_key_pk_hex(node.key), "did",
                            node.did, "schema_version", LEDGER_SCHEMA_VERSION);
    cli_print_json(out);
    json_decref(out);
  } else if (!quiet) {
    printf("%s Store %s (schema %d)\n", existed ? "kept" : "created", shown, LEDGER_SCHEMA_VERSION);
    printf("%s identity %s/identity (motebit_id %s)\n", created ? "created" : "kept", motus_dir,
           node.motebit_id);
  }
  cli_node_free(&node);
  return CLI_EXIT_OK;
}
