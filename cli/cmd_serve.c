/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_serve.c — `workledger serve`: the MCP server over stdio (the default; `--http` hands
 * the whole argv to cmd_serve_http). Composition (the shared steps are in cli/serve_common.c):
 * guards stdout (the real stdout becomes the protocol stream, fd 1 points at stderr), loads
 * .motus/config.json and the node key, opens the Store (creating it when missing), builds the MCP
 * core with the tool table and hands it to the stdio binding (serve/stdio.c). stdin EOF: finish
 * the calls in flight, close the session run, exit 0. Options: --store PATH, --profile P,
 * --durability full|normal, --workers N, --window N, --max-line BYTES, --heartbeat-ms MS
 * (progress heartbeat of long calls, default 10000), --no-store (tests/bench:
 * record nothing), --ephemeral-key (no `workledger init` needed: a throwaway key),
 * --stdio (explicit default), --json (accepted, no effect). */
#include "cli/cli.h"
#include "cli/serve_int.h"
#include "mcp/mcp.h"
#include "serve/stdio.h"
#include "transports/tp.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct stdio_opts {
  serve_common_opts c;
  long max_line, heartbeat;
  int ephemeral;
} stdio_opts;

static int usage(void)
{
  fprintf(
      stderr,
      "usage: workledger serve [--store PATH] [--profile personal|service|collaborative]\n"
      "                        [--durability full|normal] [--workers N] [--window N]\n"
      "                        [--max-line BYTES] [--heartbeat-ms MS] [--no-store] [--ephemeral-key]\n"
      "                        [--http HOST:PORT ...]\n");
  return CLI_EXIT_OK;
}

/* One stdio-only option with its value `v` (non-NULL): a SERVE_OPT_* answer. */
static int stdio_value_opt(stdio_opts *o, const char *a, const char *v)
{
  if (!strcmp(a, "--max-line")) {
    if (cli_parse_long(v, 1024, 256L * 1024 * 1024, &o->max_line)) {
      cli_errorf("serve: --max-line must be 1024..268435456");
      return SERVE_OPT_BAD;
    }
    return SERVE_OPT_VALUE;
  }
  if (!strcmp(a, "--heartbeat-ms")) {
    if (cli_parse_long(v, 10, 600000, &o->heartbeat)) {
      cli_errorf("serve: --heartbeat-ms must be 10..600000");
      return SERVE_OPT_BAD;
    }
    return SERVE_OPT_VALUE;
  }
  return SERVE_OPT_OTHER;
}

/* @return CLI_CONTINUE, or the exit code (--help, usage error). An option that lacks its value is
 * an unknown option here. */
static int parse_opts(int argc, char **argv, stdio_opts *o)
{
  memset(o, 0, sizeof *o);
  serve_common_opts_init(&o->c);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int r = serve_common_opt(&o->c, a, v);
    if (r == SERVE_OPT_OTHER && v)
      r = stdio_value_opt(o, a, v);
    if (r == SERVE_OPT_BAD)
      return CLI_EXIT_USAGE;
    if (r == SERVE_OPT_VALUE)
      i++;
    else if (r == SERVE_OPT_FLAG)
      continue;
    else if (!strcmp(a, "--ephemeral-key"))
      o->ephemeral = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
      return usage();
    else {
      cli_errorf("serve: unknown option %s (see workledger serve --help)", a);
      return CLI_EXIT_USAGE;
    }
  }
  return CLI_CONTINUE;
}

int cmd_serve(int argc, char **argv)
{
  stdio_opts o;
  serve_env env;
  mcp_server *srv = NULL;
  int rc, proto_fd = -1;
  char err[512];

  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--http") == 0 || strncmp(argv[i], "--http=", 7) == 0)
      return cmd_serve_http(argc, argv);
  if ((rc = parse_opts(argc, argv, &o)) != CLI_CONTINUE)
    return rc;
  /* Guard stdout first: nothing below may corrupt the protocol stream. */
  if (tp_stdout_guard(&proto_fd) != TP_OK) {
    cli_errorf("serve: cannot set up stdout");
    return CLI_EXIT_FAIL;
  }
  if ((rc = serve_env_config(&env, &o.c)) != 0) {
    rc = rc == -2 ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    goto out;
  }
  rc = CLI_EXIT_FAIL;
  /* the node identity before the Store: without one nothing is created */
  if (serve_env_identity(&env, o.ephemeral) != 0 || serve_env_store(&env, &o.c) != 0 ||
      serve_server_new(&srv, &env, &o.c, o.max_line, o.heartbeat) != 0)
    goto out;
  mcp_log(MCP_LOG_INFO, "serving MCP over stdio (store %s, profile %s)",
          env.store ? ledger_path(env.store) : "none", o.c.profile);
  if (serve_stdio_run(srv, 0, proto_fd, (size_t)o.max_line, err, sizeof err) != 0) {
    cli_errorf("serve: %s", err);
    goto out;
  }
  rc = CLI_EXIT_OK;
out:
  serve_env_detach(&env); /* no list_changed relay into a freed server */
  mcp_server_free(srv);
  serve_env_free(&env);
  if (proto_fd >= 0)
    close(proto_fd);
  return rc;
}
