/* SPDX-License-Identifier: Apache-2.0
 * cli/main.c — the entry point and subcommand dispatcher of the workledger binary, and the
 * composition root: it initialises libsodium (through crypto/) and hands argv to the matching
 * cmd_<name>() in cli/cmd_<name>.c. Global options (--store PATH, --json) may precede the
 * subcommand. It also holds the small shared helpers of cli/cli.h (errors, Store and .motus
 * paths, integer options); no protocol or Store logic. */
#include "cli/cli.h"
#include "ledger/ledger.h"
#include "crypto/seal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_opt_store;
int cli_opt_json;

void cli_errorf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("workledger: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

const char *cli_store_path(const char *opt)
{
  const char *e;
  if (opt && *opt)
    return opt;
  if ((e = getenv("MOTUS_KERNEL_STORE_PATH")) && *e)
    return e;
  if ((e = getenv("MOTUS_STORE_PATH")) && *e)
    return e;
  /* the config key "store" of ./.motus/config.json (validated when the config is loaded) */
  static char from_config[4096];
  json_t *cfg = json_load_file(".motus/config.json", 0, NULL);
  const char *s = json_string_value(json_object_get(cfg, "store"));
  if (s && *s && strlen(s) < sizeof from_config) {
    snprintf(from_config, sizeof from_config, "%s", s);
    json_decref(cfg);
    return from_config;
  }
  json_decref(cfg);
  return ".motus/kernel-store.db";
}

void cli_motus_dir(char *out, size_t cap, const char *store_path)
{
  if (ledger_store_is_uri(store_path)) { /* a PostgreSQL Store: the identity stays local */
    snprintf(out, cap, ".motus");
    return;
  }
  const char *slash = strrchr(store_path, '/');
  if (!slash)
    snprintf(out, cap, ".");
  else if (slash == store_path)
    snprintf(out, cap, "/");
  else
    snprintf(out, cap, "%.*s", (int)(slash - store_path), store_path);
}

int cli_parse_long(const char *s, long lo, long hi, long *out)
{
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || *end || end == s || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

int cmd_version(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  if (cli_opt_json)
    printf("{\"name\":\"workledger\",\"version\":\"%s\"}\n", WL_VERSION);
  else
    printf("workledger %s\n", WL_VERSION);
  return CLI_EXIT_OK;
}

static const struct {
  const char *name;
  int (*fn)(int, char **);
  const char *help;
} commands[] = {
    {"install", cmd_install, "apply the local defaults (.motus/, Store, identity, config)"},
    {"init", cmd_init, "create .motus/ with the Store and the identity key"},
    {"serve", cmd_serve, "serve the MCP tools over stdio (default) or --http HOST:PORT"},
    {"identity", cmd_identity, "show or rotate this node's identity"},
    {"verify", cmd_verify, "verify a signed artifact (FILE or -)"},
    {"wrap", cmd_wrap, "run a command as a recorded Store run: wrap -- CMD [ARG...]"},
    {"work", cmd_work, "the work loop: claim, evidence, decision, release, receipt, status, list"},
    {"run", cmd_run, "runs in the Store: list, packet"},
    {"store", cmd_store, "move a Store between engines: store copy --from SRC --to DST"},
    {"doctor", cmd_doctor, "check the Store (and --fix what is missing)"},
    {"approvals", cmd_approvals, "list pending approvals"},
    {"approve", cmd_approve, "approve a pending call: approve ID"},
    {"deny", cmd_deny, "deny a pending call: deny ID --reason R"},
    {"tasks", cmd_tasks, "list motebit tasks"},
    {"receipts", cmd_receipts, "receipts show TASK_ID"},
    {"token", cmd_token, "token mint --aud AUD [--ttl S] | token pubkey"},
    {"call", cmd_call, "call a tool on an MCP server: call URL TOOL [JSON]"},
    {"version", cmd_version, "print the version"},
    {"help", NULL, "help [COMMAND]: this list, or the usage of one command"},
};

static void usage(FILE *f)
{
  fprintf(f, "usage: workledger [--store PATH] [--json] COMMAND [ARGS...]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
      cli_opt_store = argv[++i];
    else if (strncmp(argv[i], "--store=", 8) == 0)
      cli_opt_store = argv[i] + 8;
    else if (strcmp(argv[i], "--json") == 0)
      cli_opt_json = 1;
    else
      break;
  }
  if (i >= argc) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *name = argv[i];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    if (i + 1 < argc && strcmp(name, "help") == 0 && strcmp(argv[i + 1], "--help") != 0 &&
        strcmp(argv[i + 1], "-h") != 0) {
      if (cli_help(argv[i + 1]))
        return CLI_EXIT_OK;
      cli_errorf("help: unknown command '%s' (try 'workledger help')", argv[i + 1]);
      return CLI_EXIT_USAGE;
    }
    usage(stdout);
    return CLI_EXIT_OK;
  }
  /* --help on any command (work and run answer it per subcommand themselves) */
  if (strcmp(name, "work") != 0 && strcmp(name, "run") != 0 &&
      cli_wants_help(name, argc - i, argv + i) && cli_help(name))
    return CLI_EXIT_OK;
  if (strcmp(name, "--version") == 0)
    name = "version";
  if (seal_init() != SEAL_OK) {
    cli_errorf("cannot initialise libsodium");
    return CLI_EXIT_FAIL;
  }
  for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
    if (strcmp(commands[k].name, name) == 0 && commands[k].fn)
      return commands[k].fn(argc - i, argv + i);
  cli_errorf("unknown command '%s' (try 'workledger help')", name);
  return CLI_EXIT_USAGE;
}
