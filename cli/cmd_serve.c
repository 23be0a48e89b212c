/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_serve.c — `workledger serve`: the MCP server over stdio (the default; `--http` hands
 * the whole argv to cmd_serve_http). Composition: loads .motus/config.json, opens the Store
 * (creating it when missing), loads the node key, guards stdout (the real stdout becomes the
 * protocol stream, fd 1 points at stderr), builds the MCP core with the tool table and hands it
 * to the stdio binding (serve/stdio.c). stdin EOF: finish the calls in flight, close the session
 * run, exit 0. Options: --store PATH, --profile P,
 * --durability full|normal, --workers N, --window N, --max-line BYTES, --heartbeat-ms MS
 * (progress heartbeat of long calls, default 10000), --no-store (tests/bench:
 * record nothing), --ephemeral-key (no `workledger init` needed: a throwaway key),
 * --stdio (explicit default), --json (accepted, no effect). */
#include "tools/tools.h"
#include "cli/cli.h"
#include "cli/node.h"
#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "config/config.h"
#include "mcp/mcp.h"
#include "serve/stdio.h"
#include "transports/tp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_p(const char *dir)
{
  char tmp[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof tmp)
    return -1;
  memcpy(tmp, dir, n + 1);
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
      *p = '/';
    }
  if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
    return -1;
  return 0;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
  char *end = NULL;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || !end || *end || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

int cmd_serve(int argc, char **argv)
{
  const char *store_opt = cli_opt_store, *profile = NULL;
  ledger_opts lopts = LEDGER_OPTS_INIT;
  long workers = 0, window = 0, max_line = 0, heartbeat = 0;
  int no_store = 0, ephemeral = 0, rc = CLI_EXIT_FAIL, proto_fd = -1;
  char motus_dir[4096], err[512], motebit_id[64] = "";
  const char *store_path;
  json_t *cfg = NULL;
  ledger *store = NULL;
  seal_key *key = NULL;
  mcp_server *srv = NULL;
  mcp_server_opts so;
  ledger_err lerr;

  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--http") == 0 || strncmp(argv[i], "--http=", 7) == 0)
      return cmd_serve_http(argc, argv);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--store") == 0 && v) {
      store_opt = v;
      i++;
    } else if (strcmp(a, "--profile") == 0 && v) {
      profile = v;
      i++;
    } else if (strcmp(a, "--durability") == 0 && v) {
      if (strcmp(v, "full") == 0)
        lopts.durability = LEDGER_DURABLE_FULL;
      else if (strcmp(v, "normal") == 0)
        lopts.durability = LEDGER_DURABLE_NORMAL;
      else {
        cli_errorf("serve: --durability must be full or normal");
        return CLI_EXIT_USAGE;
      }
      i++;
    } else if (strcmp(a, "--workers") == 0 && v) {
      if (parse_int(v, 1, 256, &workers)) {
        cli_errorf("serve: --workers must be 1..256");
        return CLI_EXIT_USAGE;
      }
      i++;
    } else if (strcmp(a, "--window") == 0 && v) {
      if (parse_int(v, 1, 1024, &window)) {
        cli_errorf("serve: --window must be 1..1024");
        return CLI_EXIT_USAGE;
      }
      i++;
    } else if (strcmp(a, "--max-line") == 0 && v) {
      if (parse_int(v, 1024, 256L * 1024 * 1024, &max_line)) {
        cli_errorf("serve: --max-line must be 1024..268435456");
        return CLI_EXIT_USAGE;
      }
      i++;
    } else if (strcmp(a, "--heartbeat-ms") == 0 && v) {
      if (parse_int(v, 10, 600000, &heartbeat)) {
        cli_errorf("serve: --heartbeat-ms must be 10..600000");
        return CLI_EXIT_USAGE;
      }
      i++;
    } else if (strcmp(a, "--no-store") == 0) {
      no_store = 1;
    } else if (strcmp(a, "--ephemeral-key") == 0) {
      ephemeral = 1;
    } else if (strcmp(a, "--stdio") == 0 || strcmp(a, "--json") == 0) {
      /* default transport / accepted for uniformity */
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fprintf(
          stderr,
          "usage: workledger serve [--store PATH] [--profile personal|service|collaborative]\n"
          "                        [--durability full|normal] [--workers N] [--window N]\n"
          "                        [--max-line BYTES] [--heartbeat-ms MS] [--no-store] [--ephemeral-key]\n"
          "                        [--http HOST:PORT ...]\n");
      return CLI_EXIT_OK;
    } else {
      cli_errorf("serve: unknown option %s (see workledger serve --help)", a);
      return CLI_EXIT_USAGE;
    }
  }

  /* Guard stdout first: nothing below may corrupt the protocol stream. */
  if (tp_stdout_guard(&proto_fd) != TP_OK) {
    cli_errorf("serve: cannot set up stdout");
    return CLI_EXIT_FAIL;
  }

  store_path = cli_store_path(store_opt);
  cli_motus_dir(motus_dir, sizeof motus_dir, store_path);
  if (mcp_config_load_ex(&cfg, motus_dir, profile, err, sizeof err) != 0) {
    cli_errorf("serve: %s", err); /* err names the file and the key path */
    goto out;
  }
  if (!profile)
    profile = mcp_config_profile(cfg);
  /* the node identity first: without one nothing is created (not even the Store) */
  {
    cli_node node;
    memset(&node, 0, sizeof node);
    if (cli_node_load(&node, motus_dir, err, sizeof err) == 0) {
      key = node.key;
      snprintf(motebit_id, sizeof motebit_id, "%s", node.motebit_id);
    } else if (ephemeral) {
      mcp_log(MCP_LOG_WARNING, "no node identity (%s); using an ephemeral key", err);
      if (seal_key_generate(&key) != SEAL_OK)
        goto out;
    } else {
      cli_errorf("serve: %s", err);
      goto out;
    }
  }
  if (!no_store) {
    if (mkdir_p(motus_dir) != 0) {
      cli_errorf("serve: cannot create %s: %s", motus_dir, strerror(errno));
      goto out;
    }
    lopts.create = 1;
    memset(&lerr, 0, sizeof lerr);
    if (ledger_open(&store, store_path, &lopts, &lerr) != LEDGER_OK) {
      cli_errorf("serve: cannot open the Store %s: %s", store_path, lerr.msg);
      goto out;
    }
  }

  memset(&so, 0, sizeof so);
  so.store = store;
  so.key = key;
  so.motebit_id = motebit_id[0] ? motebit_id : mcp_config_motebit_id(cfg);
  so.device_id = mcp_config_device_id(cfg);
  so.config = cfg;
  so.profile = profile;
  so.workers = (int)workers;
  so.window = (int)window;
  so.progress_interval_ms = (int)heartbeat;
  if (max_line > 0)
    so.max_message = (size_t)max_line;
  so.tool_groups = tools_groups;
  if (mcp_server_new(&srv, &so, err, sizeof err) != MCP_OK) {
    cli_errorf("serve: %s", err);
    goto out;
  }
  mcp_log(MCP_LOG_INFO, "serving MCP over stdio (store %s, profile %s)",
          store ? store_path : "none", profile);
  if (serve_stdio_run(srv, 0, proto_fd, (size_t)max_line, err, sizeof err) != 0) {
    cli_errorf("serve: %s", err);
    goto out;
  }
  rc = CLI_EXIT_OK;
out:
  mcp_server_free(srv);
  ledger_close(store);
  seal_key_free(key);
  json_decref(cfg);
  if (proto_fd >= 0)
    close(proto_fd);
  return rc;
}
