/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_init.c — `workledger init [--path DIR] [--empty] [--quiet] [--json]`: creates
 * DIR/.motus/ with the Store (kernel-store.db) and the node identity (identity/key,
 * identity/motebit.md); and `workledger install [--path DIR] [--json]`, the Motus seed's "local
 * defaults": the same plus .motus/config.json stating the default profile and policy and a
 * .motus/.gitignore, each line saying what it created or kept. Both are idempotent: existing
 * files are kept, never overwritten. With --store, that Store path is used instead of
 * DIR/.motus/kernel-store.db (the identity goes beside it). */
#include "cli/cli.h"
#include "cli/node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What init and install make: DIR/.motus/ (0700), the Store and the node identity. Fills
 * store_path (the Store as it may be shown: a PostgreSQL URI without its password) and motus_dir
 * (4096 bytes each), *store_existed and *key_created, and *node (free
 * with cli_node_free). @return 0, or an exit code after one "workledger: CMD: ..." line. */
static int make_node(const char *what, const char *dir, char *store_path, char *motus_dir,
                     int *store_existed, int *key_created, cli_node *node)
{
  struct stat st;
  char err[512], shown[1024];
  ledger *l = NULL;
  ledger_opts o = LEDGER_OPTS_INIT;
  ledger_err e = {0};
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    cli_errorf("%s: %s is not a directory", what, dir);
    return CLI_EXIT_USAGE;
  }
  if (cli_opt_store || getenv("MOTUS_KERNEL_STORE_PATH") || getenv("MOTUS_STORE_PATH"))
    snprintf(store_path, 4096, "%s", cli_store_path(cli_opt_store));
  else
    snprintf(store_path, 4096, "%s/.motus/kernel-store.db", dir);
  cli_motus_dir(motus_dir, 4096, store_path);
  if (ledger_store_is_uri(store_path)) /* PostgreSQL: the identity goes in DIR/.motus */
    snprintf(motus_dir, 4096, "%s/.motus", dir);
  if (mkdir(motus_dir, 0700) != 0 && errno != EEXIST) {
    cli_errorf("%s: cannot create %s: %s", what, motus_dir, strerror(errno));
    return CLI_EXIT_FAIL;
  }
  *store_existed = access(store_path, F_OK) == 0;
  ledger_store_display(shown, sizeof shown, store_path); /* no password in a message */
  if (ledger_store_is_uri(store_path)) {
    o.read_only = 1;
    *store_existed = ledger_open(&l, store_path, &o, NULL) == LEDGER_OK;
    ledger_close(l);
    l = NULL;
    o.read_only = 0;
  }
  o.create = 1;
  if (ledger_open(&l, store_path, &o, &e)) {
    cli_errorf("%s: %s: %s", what, shown, e.msg);
    return CLI_EXIT_FAIL;
  }
  ledger_close(l);
  snprintf(store_path, 4096, "%s", shown); /* from here on store_path is what we print */
  *key_created = 0;
  if (cli_node_init(node, motus_dir, key_created, err, sizeof err)) {
    cli_errorf("%s: %s", what, err);
    return CLI_EXIT_FAIL;
  }
  return 0;
}

int cmd_init(int argc, char **argv)
{
  const char *dir = ".";
  int quiet = 0, json = cli_opt_json, existed = 0, created = 0, rc;
  char store_path[4096], motus_dir[4096];
  cli_node node;
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
      cli_errorf("init: unexpected argument '%s' (usage: init [--path DIR] [--empty] [--quiet] "
                 "[--json])",
                 argv[i]);
      return CLI_EXIT_USAGE;
    }
  }
  memset(&node, 0, sizeof node);
  if ((rc = make_node("init", dir, store_path, motus_dir, &existed, &created, &node)))
    return rc;
  if (json) {
    json_t *out = json_pack("{s:s,s:s,s:b,s:b,s:s,s:s,s:s,s:i}", "motus_dir", motus_dir, "store",
                            store_path, "store_created", !existed, "key_created", created,
                            "motebit_id", node.motebit_id, "public_key", seal_key_pk_hex(node.key),
                            "did", node.did, "schema_version", LEDGER_SCHEMA_VERSION);
    cli_print_json(out);
    json_decref(out);
  } else if (!quiet) {
    printf("%s Store %s (schema %d)\n", existed ? "kept" : "created", store_path,
           LEDGER_SCHEMA_VERSION);
    printf("%s identity %s/identity (motebit_id %s)\n", created ? "created" : "kept", motus_dir,
           node.motebit_id);
  }
  cli_node_free(&node);
  return CLI_EXIT_OK;
}

/* The config `install` writes when there is none: the defaults, stated (spec/config.md). */
static const char install_config[] = "{\n"
                                     "  \"profile\": \"personal\",\n"
                                     "  \"policy\": {\"preset\": \"balanced\", \"denylist\": []}\n"
                                     "}\n";
/* .motus/.gitignore: the Store and the secret key never land in a commit. */
static const char install_gitignore[] = "# written by `workledger install`: keep the Store and the "
                                        "node key out of git\n*\n";

/* Writes `text` to DIR/NAME unless the file exists (never overwritten). @return 1 created, 0
 * kept, -1 after a message. */
static int write_default(const char *dir, const char *name, const char *text, mode_t mode)
{
  char path[4200];
  FILE *f;
  int fd;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno == EEXIST)
    return 0;
  if (fd < 0 || !(f = fdopen(fd, "w"))) {
    cli_errorf("install: cannot create %s: %s", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  fputs(text, f);
  if (fclose(f) != 0) {
    cli_errorf("install: cannot write %s: %s", path, strerror(errno));
    return -1;
  }
  return 1;
}

int cmd_install(int argc, char **argv)
{
  const char *dir = ".";
  int json = cli_opt_json, existed = 0, created = 0, cfg, ign, rc;
  char store_path[4096], motus_dir[4096];
  cli_node node;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--path") == 0 && i + 1 < argc)
      dir = argv[++i];
    else if (strcmp(argv[i], "--json") == 0)
      json = 1;
    else {
      cli_errorf("install: unexpected argument '%s' (usage: install [--path DIR] [--json])",
                 argv[i]);
      return CLI_EXIT_USAGE;
    }
  }
  memset(&node, 0, sizeof node);
  if ((rc = make_node("install", dir, store_path, motus_dir, &existed, &created, &node)))
    return rc;
  cfg = write_default(motus_dir, "config.json", install_config, 0600);
  ign = cfg < 0 ? -1 : write_default(motus_dir, ".gitignore", install_gitignore, 0644);
  if (ign < 0) {
    cli_node_free(&node);
    return CLI_EXIT_FAIL;
  }
  int changed = !existed || created || cfg || ign;
  if (json) {
    json_t *out = json_pack("{s:s,s:b,s:[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}],s:s}",
                            "motus_dir", motus_dir, "changed", changed, "actions", "path",
                            store_path, "action", existed ? "kept" : "created", "path", "identity",
                            "action", created ? "created" : "kept", "path", "config.json", "action",
                            cfg ? "created" : "kept", "path", ".gitignore", "action",
                            ign ? "created" : "kept", "motebit_id", node.motebit_id);
    cli_print_json(out);
    json_decref(out);
  } else {
    printf("%s Store %s (schema %d)\n", existed ? "kept" : "created", store_path,
           LEDGER_SCHEMA_VERSION);
    printf("%s identity %s/identity (motebit_id %s)\n", created ? "created" : "kept", motus_dir,
           node.motebit_id);
    printf("%s %s/config.json%s\n", cfg ? "created" : "kept", motus_dir,
           cfg ? " (profile personal, policy preset balanced)" : " (not changed)");
    printf("%s %s/.gitignore%s\n", ign ? "created" : "kept", motus_dir,
           ign ? " (the Store and the key stay out of git)" : "");
    printf("%s\n", changed ? "installed the local defaults" : "already installed: nothing changed");
  }
  cli_node_free(&node);
  return CLI_EXIT_OK;
}
