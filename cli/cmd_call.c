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
      "         --progress (relay progress to stderr) --cacert FILE (trust this PEM certificate or CA)\n"
      "         --insecure (skip TLS verification) --json\n"
      "exit: 0 ok, 1 tool error (isError), 2 usage/transport/protocol error\n");
  return CLI_EXIT_USAGE;
}

typedef struct call_opts {
  const char *url, *tool, *args_text, *token, *aud, *cacert;
  int list, motebit, json, progress, insecure, send_pk;
  long timeout_s, connect_s, max_response;
  mcp_client_era era;
} call_opts;

/* One option taking a value (`v` non-NULL). 1 taken, 0 not ours, -1 bad value (printed). */
static int value_opt(call_opts *o, const char *a, const char *v)
{
  if (!strcmp(a, "--token"))
    o->token = v;
  else if (!strcmp(a, "--aud"))
    o->aud = v;
  else if (!strcmp(a, "--cacert"))
    o->cacert = v;
  else if (!strcmp(a, "--timeout")) {
    if (cli_parse_long(v, 1, 86400, &o->timeout_s)) {
      cli_errorf("call: --timeout must be 1..86400 seconds");
      return -1;
    }
  } else if (!strcmp(a, "--connect-timeout")) {
    if (cli_parse_long(v, 1, 3600, &o->connect_s)) {
      cli_errorf("call: --connect-timeout must be 1..3600 seconds");
      return -1;
    }
  } else if (!strcmp(a, "--max-response")) {
    if (cli_parse_long(v, 1024, 1L << 30, &o->max_response)) {
      cli_errorf("call: --max-response must be 1024..1073741824 bytes");
      return -1;
    }
  } else if (!strcmp(a, "--era")) {
    if (!strcmp(v, "auto"))
      o->era = MCP_CLIENT_ERA_AUTO;
    else if (!strcmp(v, "legacy"))
      o->era = MCP_CLIENT_ERA_LEGACY;
    else if (!strcmp(v, "modern"))
      o->era = MCP_CLIENT_ERA_MODERN;
    else {
      cli_errorf("call: --era must be auto, legacy or modern");
      return -1;
    }
  } else
    return 0;
  return 1;
}

/* One flag. 1 taken, 0 not ours. */
static int flag_opt(call_opts *o, const char *a)
{
  int *f = !strcmp(a, "--list")              ? &o->list
           : !strcmp(a, "--motebit-token")   ? &o->motebit
           : !strcmp(a, "--send-public-key") ? &o->send_pk
           : !strcmp(a, "--json")            ? &o->json
           : !strcmp(a, "--progress")        ? &o->progress
           : !strcmp(a, "--insecure")        ? &o->insecure
                                             : NULL;
  if (f)
    *f = 1;
  return f != NULL;
}

/* @return CLI_CONTINUE, or the exit status of a usage error. */
static int parse_opts(int argc, char **argv, call_opts *o)
{
  memset(o, 0, sizeof *o);
  o->json = cli_opt_json;
  o->timeout_s = 60;
  o->connect_s = 10;
  o->era = MCP_CLIENT_ERA_AUTO;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int r = 0;
    if (flag_opt(o, a))
      continue;
    if (i + 1 < argc && (r = value_opt(o, a, argv[i + 1])) != 0) {
      if (r < 0)
        return CLI_EXIT_USAGE;
      i++;
    } else if (a[0] == '-' && a[1] == '-') {
      cli_errorf("call: unknown option %s", a);
      return usage();
    } else if (!o->url)
      o->url = a;
    else if (!o->tool)
      o->tool = a;
    else if (!o->args_text)
      o->args_text = a;
    else
      return usage();
  }
  if (!o->url || (!o->tool && !o->list) || (o->tool && o->list))
    return usage();
  if (!o->token && !o->motebit) {
    const char *e = getenv("WORKLEDGER_CALL_TOKEN");
    if (e && *e)
      o->token = e;
  }
  if (o->token && o->motebit) {
    cli_errorf("call: --token and --motebit-token are exclusive");
    return CLI_EXIT_USAGE;
  }
  return CLI_CONTINUE;
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
  char *s = seal_json_dumps(v, JSON_COMPACT);
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

/* The JSON-ARGS object into *out (new; NULL without JSON-ARGS). 0, or -1 with the error printed. */
static int parse_args(const char *text, json_t **out)
{
  json_error_t je;
  *out = NULL;
  if (!text)
    return 0;
  json_t *args = json_loads(text, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(args)) {
    cli_errorf("call: the arguments must be a JSON object%s%s", args ? "" : ": ",
               args ? "" : je.text);
    json_decref(args);
    return -1;
  }
  *out = args;
  return 0;
}

/* The client for `o`; with --motebit-token the config (*cfg, new) and the node (*node, to free
 * with cli_node_free) sign its tokens. 0, or -1 with the error printed. */
static int open_client(mcp_client **c, const call_opts *o, json_t **cfg, cli_node *node)
{
  mcp_client_err err;
  memset(&err, 0, sizeof err);
  mcp_client_opts co = {.url = o->url,
                        .era = o->era,
                        .bearer = o->token,
                        .connect_timeout_ms = o->connect_s * 1000,
                        .timeout_ms = o->timeout_s * 1000,
                        .max_response = (size_t)o->max_response,
                        .insecure_tls = o->insecure,
                        .ca_file = o->cacert,
                        .audience = o->aud,
                        .send_public_key = o->send_pk};
  if (o->motebit) {
    char motus_dir[4096], e[512];
    cli_motus_dir(motus_dir, sizeof motus_dir, cli_store_path(cli_opt_store));
    if (mcp_config_load(cfg, motus_dir, e, sizeof e) != 0) {
      cli_errorf("call: %s", e);
      return -1;
    }
    if (cli_node_load(node, motus_dir, e, sizeof e) != 0) {
      cli_errorf("call: --motebit-token: %s", e);
      return -1;
    }
    co.motebit_key = node->key;
    co.motebit_id = node->motebit_id;
    co.device_id = mcp_config_device_id(*cfg);
  }
  if (mcp_client_new(c, &co, &err) != MCP_CLIENT_OK) {
    cli_errorf("call: %s", err.msg);
    return -1;
  }
  return 0;
}

/* One line per tool: its name, a tab and the first line of its description. */
static void print_tools(const json_t *tools)
{
  size_t i;
  const json_t *t;
  json_array_foreach(tools, i, t) {
    const char *name = json_string_value(json_object_get(t, "name"));
    const char *d = json_string_value(json_object_get(t, "description"));
    printf("%s%s%.*s\n", name ? name : "?", d ? "\t" : "", d ? (int)strcspn(d, "\n") : 0,
           d ? d : "");
  }
}

/* A transport or protocol failure as one line that says what happened and what to do: an
 * unauthenticated call suggests --token, a certificate the system does not trust --cacert. The
 * step that failed (server/discover, initialize) is the client's business, not the reader's. */
static void transport_fail(const call_opts *o, int crc, const mcp_client_err *err)
{
  const char *m = err->msg, *colon = strstr(m, ": ");
  int tls = strstr(m, "certificate") || strstr(m, "SSL") || strstr(m, "TLS");
  if (colon && (!strncmp(m, "server/discover: ", 17) || !strncmp(m, "initialize: ", 12)))
    m = colon + 2;
  if (err->http_status == 401 && !o->token && !o->motebit)
    cli_errorf("call: the server wants a token (%s); pass --token T (or set "
               "WORKLEDGER_CALL_TOKEN), or --motebit-token if it pins this node's key",
               m);
  else if (err->http_status == 401)
    cli_errorf("call: the server refused the token (%s); check --token T, or --motebit-token "
               "and the key the server pins",
               m);
  else if (tls && !o->insecure && !err->http_status)
    cli_errorf("call: %s (%s); if the server uses a self-signed or private certificate, pass "
               "--cacert FILE (its certificate or CA, PEM)",
               m, mcp_client_strerror(crc));
  else
    cli_errorf("call: %s (%s)", m, mcp_client_strerror(crc));
}

/* Runs --list or the tool call, prints the result and returns the exit status. */
static int run_call(mcp_client *c, const call_opts *o, const json_t *args)
{
  mcp_client_call_opts co = {.on_progress = o->progress ? on_progress : NULL};
  mcp_client_err err;
  json_t *res = NULL;
  int crc, rc;
  memset(&err, 0, sizeof err);
  if (o->list) {
    crc = mcp_client_list_tools(c, &co, &res, &err);
    if (crc == MCP_CLIENT_OK) {
      if (o->json)
        print_json_line(res);
      else
        print_tools(res);
    }
  } else {
    crc = mcp_client_call_tool(c, o->tool, args, &co, &res, &err);
    if (res) {
      if (o->json)
        print_json_line(res);
      else
        print_result(res);
    }
  }
  fflush(stdout);
  json_decref(res);
  if (crc == MCP_CLIENT_OK) {
    rc = CLI_EXIT_OK;
  } else if (crc == MCP_CLIENT_ETOOL) {
    cli_errorf("call: %s", err.msg);
    rc = CLI_EXIT_FAIL;
  } else {
    transport_fail(o, crc, &err);
    rc = CLI_EXIT_USAGE;
  }
  return rc;
}

int cmd_call(int argc, char **argv)
{
  call_opts o;
  json_t *args = NULL, *cfg = NULL;
  cli_node node;
  mcp_client *c = NULL;
  int rc;

  if ((rc = parse_opts(argc, argv, &o)) != CLI_CONTINUE)
    return rc;
  if (parse_args(o.args_text, &args) != 0)
    return CLI_EXIT_USAGE;
  memset(&node, 0, sizeof node);
  rc = CLI_EXIT_USAGE;
  if (open_client(&c, &o, &cfg, &node) != 0)
    goto out;
  rc = run_call(c, &o, args);
out:
  mcp_client_free(c);
  json_decref(args);
  json_decref(cfg);
  cli_node_free(&node);
  return rc;
}
