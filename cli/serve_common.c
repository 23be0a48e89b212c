/* SPDX-License-Identifier: Apache-2.0
 * cli/serve_common.c — the part of `workledger serve` shared by the stdio (cli/cmd_serve.c) and
 * HTTP (cli/cmd_serve_http.c) transports (cli/serve_int.h): the common options, loading
 * .motus/config.json and the node identity, creating and opening the Store, and building the MCP
 * core with the tool table. Errors are one line on stderr prefixed "serve: ". */
#include "cli/serve_int.h"
#include "cli/cli.h"
#include "cli/node.h"
#include "config/config.h"
#include "tools/tools.h"
#include "tools/upstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVE_IDENTITY_MAX (64 * 1024) /* a larger motebit.md is not served */
#define SERVE_UPSTREAM_WAIT_MS 30000   /* the longest serve waits for upstream tool listings */
#include <sys/stat.h>

void serve_common_opts_init(serve_common_opts *o)
{
  ledger_opts lopts = LEDGER_OPTS_INIT;
  memset(o, 0, sizeof *o);
  o->store_opt = cli_opt_store;
  o->lopts = lopts;
}

static int bad_value(const char *msg)
{
  cli_errorf("serve: %s", msg);
  return SERVE_OPT_BAD;
}

int serve_common_opt(serve_common_opts *o, const char *a, const char *v)
{
  if (!strcmp(a, "--no-store")) {
    o->no_store = 1;
    return SERVE_OPT_FLAG;
  }
  if (!strcmp(a, "--stdio") || !strcmp(a, "--json"))
    return SERVE_OPT_FLAG; /* the default transport / accepted for uniformity */
  if (strcmp(a, "--store") && strcmp(a, "--profile") && strcmp(a, "--durability") &&
      strcmp(a, "--workers") && strcmp(a, "--window"))
    return SERVE_OPT_OTHER;
  if (!v)
    return SERVE_OPT_NO_VALUE;
  if (!strcmp(a, "--store"))
    o->store_opt = v;
  else if (!strcmp(a, "--profile"))
    o->profile = v;
  else if (!strcmp(a, "--durability")) {
    if (!strcmp(v, "full"))
      o->lopts.durability = LEDGER_DURABLE_FULL;
    else if (!strcmp(v, "normal"))
      o->lopts.durability = LEDGER_DURABLE_NORMAL;
    else
      return bad_value("--durability must be full or normal");
  } else if (!strcmp(a, "--workers")) {
    if (cli_parse_long(v, 1, 256, &o->workers))
      return bad_value("--workers must be 1..256");
  } else if (cli_parse_long(v, 1, 1024, &o->window)) {
    return bad_value("--window must be 1..1024");
  }
  return SERVE_OPT_VALUE;
}

/* Edit distance of two short names, capped: enough to suggest "motus_wrap" for "motus_wrapp". */
static size_t name_distance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b), row[65], i, j;
  if (la > 64 || lb > 64)
    return 99;
  for (j = 0; j <= lb; j++)
    row[j] = j;
  for (i = 1; i <= la; i++) {
    size_t diag = row[0], up;
    row[0] = i;
    for (j = 1; j <= lb; j++) {
      up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

/* Every tool named by policy.denylist and policy.allowlist must be a tool of this program (any
 * profile): a typo would otherwise silently deny or allow nothing. @return 0, or -1 after one
 * "serve: ..." line naming the tool (and the nearest real name). */
static int policy_names_check(const json_t *cfg)
{
  static const char *const lists[] = {"denylist", "allowlist", NULL};
  const json_t *pol = json_object_get(cfg, "policy");
  for (int l = 0; lists[l]; l++) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(pol, lists[l]), i, v) {
      const char *name = json_string_value(v), *near = NULL;
      size_t best = 3;
      int known = 0;
      for (int g = 0; name && tools_groups[g] && !known; g++)
        for (const mcp_tool_impl *t = tools_groups[g]; t->name && !known; t++) {
          size_t d = name_distance(name, t->name);
          known = d == 0;
          if (d < best) {
            best = d;
            near = t->name;
          }
        }
      if (known)
        continue;
      if (near)
        cli_errorf("serve: policy.%s names an unknown tool \"%s\" (did you mean \"%s\"?); fix "
                   ".motus/config.json",
                   lists[l], name ? name : "?", near);
      else
        cli_errorf("serve: policy.%s names an unknown tool \"%s\" (`workledger call URL --list` "
                   "or tools/list names the tools); fix .motus/config.json",
                   lists[l], name ? name : "?");
      return -1;
    }
  }
  return 0;
}

int serve_env_config(serve_env *e, serve_common_opts *o)
{
  char err[512];
  memset(e, 0, sizeof *e);
  e->store_path = cli_store_path(o->store_opt);
  cli_motus_dir(e->motus_dir, sizeof e->motus_dir, e->store_path);
  if (mcp_config_load_ex(&e->cfg, e->motus_dir, o->profile, err, sizeof err) != 0) {
    cli_errorf("serve: %s", err); /* err names the file and the key path */
    return -1;
  }
  if (policy_names_check(e->cfg) != 0) {
    json_decref(e->cfg);
    e->cfg = NULL;
    return -2;
  }
  if (!o->profile)
    o->profile = mcp_config_profile(e->cfg);
  return 0;
}

int serve_env_identity(serve_env *e, int ephemeral)
{
  cli_node node;
  char err[512];
  int rc = cli_node_load(&node, e->motus_dir, err, sizeof err);
  if (rc == 0) {
    e->key = node.key;
    snprintf(e->motebit_id, sizeof e->motebit_id, "%s", node.motebit_id);
    return 0;
  }
  if (!ephemeral || rc == CLI_NODE_EMODES) {
    cli_errorf("serve: %s", err);
    return -1;
  }
  mcp_log(MCP_LOG_WARNING, "no node identity (%s); using an ephemeral key", err);
  return seal_key_generate(&e->key) == SEAL_OK ? 0 : -1;
}

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

int serve_env_store(serve_env *e, serve_common_opts *o)
{
  ledger_err lerr;
  if (o->no_store)
    return 0;
  if (mkdir_p(e->motus_dir) != 0) {
    cli_errorf("serve: cannot create %s: %s", e->motus_dir, strerror(errno));
    return -1;
  }
  o->lopts.create = 1;
  memset(&lerr, 0, sizeof lerr);
  if (ledger_open(&e->store, e->store_path, &o->lopts, &lerr) != LEDGER_OK) {
    char shown[1024];
    ledger_store_display(shown, sizeof shown, e->store_path);
    cli_errorf("serve: cannot open the Store %s: %s", shown, lerr.msg);
    return -1;
  }
  return 0;
}

/* The node's signed motebit.md (new string, free()), or NULL when there is none to serve (an
 * ephemeral key, a missing or oversized file). */
static char *identity_text(const serve_env *e)
{
  char path[4200], *buf = NULL;
  size_t n = 0;
  FILE *f;
  if (!e->motebit_id[0])
    return NULL;
  snprintf(path, sizeof path, "%s/identity/motebit.md", e->motus_dir);
  if (!(f = fopen(path, "rb")))
    return NULL;
  if ((buf = malloc(SERVE_IDENTITY_MAX + 1)))
    n = fread(buf, 1, SERVE_IDENTITY_MAX + 1, f);
  fclose(f);
  if (!buf || n == 0 || n > SERVE_IDENTITY_MAX || memchr(buf, '\0', n)) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  return buf;
}

int serve_server_new(mcp_server **out, serve_env *e, const serve_common_opts *o, long max_message,
                     long progress_ms)
{
  mcp_server_opts so;
  char err[512], *identity;
  int rc = 0;
  if (tools_upstreams_start(&e->ups, e->cfg, err, sizeof err) != 0) {
    cli_errorf("serve: %s", err);
    return -1;
  }
  if (tools_upstreams_source(e->ups))
    (void)tools_upstreams_wait(e->ups, SERVE_UPSTREAM_WAIT_MS);
  identity = identity_text(e);
  memset(&so, 0, sizeof so);
  so.tool_source = tools_upstreams_source(e->ups);
  so.store = e->store;
  so.key = e->key;
  so.motebit_id = e->motebit_id[0] ? e->motebit_id : mcp_config_motebit_id(e->cfg);
  so.device_id = mcp_config_device_id(e->cfg);
  so.config = e->cfg;
  so.profile = o->profile;
  so.workers = (int)o->workers;
  so.window = (int)o->window;
  so.progress_interval_ms = (int)progress_ms;
  if (max_message > 0)
    so.max_message = (size_t)max_message;
  so.tool_groups = tools_groups;
  so.resource_groups = tools_resource_groups;
  so.prompt_groups = tools_prompt_groups;
  so.identity_file = identity;           /* copied by the server */
  so.fault = getenv("WORKLEDGER_FAULT"); /* tests only (mcp/mcp.h mcp_server_opts.fault) */
  if (mcp_server_new(out, &so, err, sizeof err) != MCP_OK) {
    cli_errorf("serve: %s", err);
    rc = -1;
  } else {
    tools_upstreams_attach(e->ups, *out);
  }
  free(identity);
  return rc;
}

void serve_env_detach(serve_env *e)
{
  tools_upstreams_attach(e->ups, NULL);
}

void serve_env_free(serve_env *e)
{
  tools_upstreams_free(e->ups);
  e->ups = NULL;
  ledger_close(e->store);
  e->store = NULL;
  seal_key_free(e->key);
  e->key = NULL;
  json_decref(e->cfg);
  e->cfg = NULL;
}
