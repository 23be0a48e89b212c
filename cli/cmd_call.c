/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_call.c — `workledger call URL TOOL [JSON]` and `workledger call URL --list`: a small
 * MCP client for operators and tests on top of client/client.h. Authenticates with --token T (or
 * $WORKLEDGER_CALL_TOKEN, which keeps the token out of the process list) or --motebit-token (a
 * signed token minted with this node's key, audience --aud or task:submit). Prints the tool's
 * text content (or, with --json, the whole CallToolResult as one line of JSON) on stdout;
 * --progress relays the server's progress notifications to stderr (and makes the server stream
 * SSE). Exit status: 0 success, 1 the tool reported an error (isError; the result is still
 * printed), 2 usage, transport or protocol error (one line on stderr). It does not verify
 * receipts (`workledger verify` does). */
#include "cli/cli.h"
#include "cli/node.h"
#include "crypto/seal.h"
#include "client/client.h"
#include "config/config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
  fprintf(
      stderr,
      "usage: workledger call URL TOOL [JSON-ARGS] [options]\n"
      "       workledger call URL --list [options]\n"
      "options: --token T | --motebit-token [--aud AUD] [--send-public-key]\n"
      "         --timeout SECONDS (default 60) --connect-timeout SECONDS (default 10)\n"
      "         --max-response BYTES (default 8 MiB) --era auto|legacy|modern (default auto)\n"
      "         --progress (relay progress to stderr) --insecure (skip TLS verification) --json\n"
      "exit: 0 ok, 1 tool error (isError), 2 usage/transport/protocol error\n");
  return CLI_EXIT_USAGE;
}

static int parse_num(const char *s, long lo, long hi, long *out)
{
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || *end || end == s || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static void on_progress(double progress, double total, const char *message, void *payload)
{
  (void)payload;
  if (total > 0)
    fprintf(stderr, "progress: %g/%g%s%s\n", progress, total, message ? " " : "",
            message ? message : "");
  else
    fprintf(stderr, "progress: %g%s%s\n", progress, message ? " " : "", message ? message : "");
}

static void print_json_line(const json_t *v)
{
  char *s = json_dumps(v, JSON_COMPACT);
  if (s) {
    fputs(s, stdout);
    fputc('\n', stdout);
  }
  free(s);
}

/* Human output: every text block on its own line; otherwise structuredContent or the result. */
static void print_result(const json_t *res)
{
  size_t i;
  const json_t *b;
  int printed = 0;
  json_array_foreach(json_object_get(res, "content"), i, b) {
    const char *t = json_string_value(json_object_get(b, "type"));
    if (t && !strcmp(t, "text") && json_is_string(json_object_get(b, "text"))) {
      fputs(json_string_value(json_object_get(b, "text")), stdout);
      fputc('\n', stdout);
      printed = 1;
    }
  }
  if (!printed) {
    const json_t *sc = json_object_get(res, "structuredContent");
    print_json_line(sc ? sc : res);
  }
}

int cmd_call(int argc, char **argv)
{
  const char *url = NULL, *tool = NULL, *args_text = NULL, *token = NULL, *aud = NULL;
  int list = 0, motebit = 0, json = cli_opt_json, progress = 0, insecure = 0, send_pk = 0;
  long timeout_s = 60, connect_s = 10, max_response = 0;
  mcp_client_era era = MCP_CLIENT_ERA_AUTO;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--list"))
      list = 1;
    else if (!strcmp(a, "--token") && i + 1 < argc)
      token = argv[++i];
    else if (!strcmp(a, "--motebit-token"))
      motebit = 1;
    else if (!strcmp(a, "--aud") && i + 1 < argc)
      aud = argv[++i];
    else if (!strcmp(a, "--send-public-key"))
      send_pk = 1;
    else if (!strcmp(a, "--json"))
      json = 1;
    else if (!strcmp(a, "--progress"))
      progress = 1;
    else if (!strcmp(a, "--insecure"))
      insecure = 1;
    else if (!strcmp(a, "--timeout") && i + 1 < argc) {
      if (parse_num(argv[++i], 1, 86400, &timeout_s)) {
        cli_errorf("call: --timeout must be 1..86400 seconds");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--connect-timeout") && i + 1 < argc) {
      if (parse_num(argv[++i], 1, 3600, &connect_s)) {
        cli_errorf("call: --connect-timeout must be 1..3600 seconds");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--max-response") && i + 1 < argc) {
      if (parse_num(argv[++i], 1024, 1L << 30, &max_response)) {
        cli_errorf("call: --max-response must be 1024..1073741824 bytes");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--era") && i + 1 < argc) {
      const char *e = argv[++i];
      if (!strcmp(e, "auto"))
        era = MCP_CLIENT_ERA_AUTO;
      else if (!strcmp(e, "legacy"))
        era = MCP_CLIENT_ERA_LEGACY;
      else if (!strcmp(e, "modern"))
        era = MCP_CLIENT_ERA_MODERN;
      else {
        cli_errorf("call: --era must be auto, legacy or modern");
        return CLI_EXIT_USAGE;
      }
    } else if (a[0] == '-' && a[1] == '-') {
      cli_errorf("call: unknown option %s", a);
      return usage();
    } else if (!url)
      url = a;
    else if (!tool)
      tool = a;
    else if (!args_text)
      args_text = a;
    else
      return usage();
  }
  if (!url || (!tool && !list) || (tool && list))
    return usage();
  if (!token && !motebit) {
    const char *e = getenv("WORKLEDGER_CALL_TOKEN");
    if (e && *e)
      token = e;
  }
  if (token && motebit) {
    cli_errorf("call: --token and --motebit-token are exclusive");
    return CLI_EXIT_USAGE;
  }
  json_t *args = NULL;
  if (args_text) {
    json_error_t je;
    args = json_loads(args_text, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(args)) {
      cli_errorf("call: the arguments must be a JSON object%s%s", args ? "" : ": ",
                 args ? "" : je.text);
      json_decref(args);
      return CLI_EXIT_USAGE;
    }
  }

  int rc = CLI_EXIT_USAGE;
  json_t *cfg = NULL, *res = NULL;
  cli_node node;
  memset(&node, 0, sizeof node);
  mcp_client *c = NULL;
  mcp_client_err err;
  memset(&err, 0, sizeof err);
  mcp_client_opts o = {.url = url,
                       .era = era,
                       .bearer = token,
                       .connect_timeout_ms = connect_s * 1000,
                       .timeout_ms = timeout_s * 1000,
                       .max_response = (size_t)max_response,
                       .insecure_tls = insecure,
                       .audience = aud,
                       .send_public_key = send_pk};
  if (motebit) {
    char motus_dir[4096], e[512];
    cli_motus_dir(motus_dir, sizeof motus_dir, cli_store_path(cli_opt_store));
    if (mcp_config_load(&cfg, motus_dir, e, sizeof e) != 0) {
      cli_errorf("call: %s", e);
      goto out;
    }
    if (cli_node_load(&node, motus_dir, e, sizeof e) != 0) {
      cli_errorf("call: --motebit-token: %s", e);
      goto out;
    }
    o.motebit_key = node.key;
    o.motebit_id = node.motebit_id;
    o.device_id = mcp_config_device_id(cfg);
  }
  if (mcp_client_new(&c, &o, &err) != MCP_CLIENT_OK) {
    cli_errorf("call: %s", err.msg);
    goto out;
  }
  mcp_client_call_opts co = {.on_progress = progress ? on_progress : NULL};
  int crc;
  if (list) {
    crc = mcp_client_list_tools(c, &co, &res, &err);
    if (crc == MCP_CLIENT_OK) {
      if (json) {
        print_json_line(res);
      } else {
        size_t i;
        const json_t *t;
        json_array_foreach(res, i, t) {
          const char *d = json_string_value(json_object_get(t, "description"));
          printf("%s%s%.*s\n",
                 json_string_value(json_object_get(t, "name"))
                     ? json_string_value(json_object_get(t, "name"))
                     : "?",
                 d ? "\t" : "", d ? (int)strcspn(d, "\n") : 0, d ? d : "");
        }
      }
    }
  } else {
    crc = mcp_client_call_tool(c, tool, args, &co, &res, &err);
    if (res) {
      if (json)
        print_json_line(res);
      else
        print_result(res);
    }
  }
  fflush(stdout);
  /* exit status from the table (crypto/err.h): ok 0, tool error 1, transport/protocol 2; an
   * internal client failure (MCP_CLIENT_ERROR) also exits 2 here */
  rc = crc == MCP_CLIENT_ERROR ? CLI_EXIT_USAGE : wl_code_exit(crc);
  if (crc == MCP_CLIENT_ETOOL)
    cli_errorf("call: %s", err.msg);
  else if (crc != MCP_CLIENT_OK)
    cli_errorf("call: %s (%s)", err.msg, mcp_client_strerror(crc));
out:
  mcp_client_free(c);
  json_decref(res);
  json_decref(args);
  json_decref(cfg);
  cli_node_free(&node);
  return rc;
}
