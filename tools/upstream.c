/* SPDX-License-Identifier: Apache-2.0
 * tools/upstream.c — the configured upstream MCP servers as the core's tool source
 * (tools/upstream.h, spec/upstreams.md): starting them from the config (argv, exactly the
 * configured environment, cwd; or URL and bearer token from token_env), the cached listing of
 * their tools under <upstream>__<tool> with risk and overrides, the relay of list_changed to
 * the server's sessions, and the calls with their callbacks: progress to the caller's
 * progressToken, notifications/message to the caller at its log level, cancellation from
 * mcp_ctx_cancelled, elicitation/sampling requests of the upstream asked of the caller. */
#include "tools/upstream.h"
#include "client/upstream.h"
#include "config/config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPSTREAM_SEP "__"
#define CLIENT_REQUEST_TIMEOUT_MS (10 * 60 * 1000)

struct tools_upstreams {
  mcp_upstream **ups;
  const json_t **cfgs; /* borrowed from the config: each upstream's entry */
  json_t *config;      /* a reference to the config */
  size_t n;
  mcp_tool_source source;
  pthread_mutex_t mu;
  json_t *cache; /* the snapshot, NULL when stale */
  mcp_server *srv;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static tools_upstreams *g_set; /* the set the mcp executor uses */

/* Risk from the annotations (readOnlyHint R0, destructiveHint R3, else R2), then the override. */
static int tool_risk(const json_t *tool, const json_t *override)
{
  const json_t *ann = json_object_get(tool, "annotations");
  if (json_is_integer(json_object_get(override, "risk")))
    return (int)json_integer_value(json_object_get(override, "risk"));
  if (json_is_true(json_object_get(ann, "readOnlyHint")))
    return 0;
  if (json_is_true(json_object_get(ann, "destructiveHint")))
    return 3;
  return 2;
}

static json_t *build_snapshot(tools_upstreams *t)
{
  json_t *out = json_array();
  for (size_t i = 0; out && i < t->n; i++) {
    json_t *tools = mcp_upstream_tools(t->ups[i]), *tool;
    const json_t *over = json_object_get(t->cfgs[i], "tools");
    size_t j;
    json_array_foreach(tools, j, tool) {
      const char *tn = json_string_value(json_object_get(tool, "name"));
      const json_t *o = tn ? json_object_get(over, tn) : NULL;
      char full[256];
      json_t *copy;
      if (!tn || snprintf(full, sizeof full, "%s" UPSTREAM_SEP "%s", mcp_upstream_name(t->ups[i]),
                          tn) >= (int)sizeof full)
        continue;
      if (!(copy = json_deep_copy(tool)))
        continue;
      json_object_set_new(copy, "name", json_string(full));
      json_array_append_new(out,
                            json_pack("{s:o,s:i,s:b,s:b}", "tool", copy, "risk", tool_risk(tool, o),
                                      "deny", json_is_true(json_object_get(o, "deny")), "approval",
                                      json_is_true(json_object_get(o, "approval"))));
    }
    json_decref(tools);
  }
  return out;
}

static json_t *source_snapshot(void *self)
{
  tools_upstreams *t = self;
  json_t *snap;
  pthread_mutex_lock(&t->mu);
  if (!t->cache)
    t->cache = build_snapshot(t);
  snap = json_incref(t->cache);
  pthread_mutex_unlock(&t->mu);
  return snap ? snap : json_array();
}

static void on_changed(void *payload)
{
  tools_upstreams *t = payload;
  mcp_server *srv;
  pthread_mutex_lock(&t->mu);
  json_decref(t->cache);
  t->cache = NULL;
  srv = t->srv;
  pthread_mutex_unlock(&t->mu);
  mcp_log(MCP_LOG_INFO, "upstream tools changed; notifying clients");
  if (srv)
    mcp_server_tools_changed(srv);
}

/* ---- calls --------------------------------------------------------------------------------- */

static void cb_progress(double progress, double total, const char *message, void *payload)
{
  mcp_ctx_progress(payload, progress, total, message);
}

static void cb_notification(const json_t *n, void *payload)
{
  const char *method = json_string_value(json_object_get(n, "method"));
  if (method && !strcmp(method, "notifications/message"))
    mcp_ctx_notify(payload, method, json_deep_copy(json_object_get(n, "params")));
}

static int cb_cancelled(void *payload)
{
  return mcp_ctx_cancelled(payload);
}

static json_t *cb_request(const char *method, const json_t *params, void *payload, char *err,
                          size_t errlen)
{
  const char *cap = !strcmp(method, "elicitation/create")       ? "elicitation"
                    : !strcmp(method, "sampling/createMessage") ? "sampling"
                                                                : NULL;
  if (!cap) {
    snprintf(err, errlen, "workledger does not relay %.100s", method);
    return NULL;
  }
  return mcp_ctx_client_request(payload, cap, method, json_deep_copy(params),
                                CLIENT_REQUEST_TIMEOUT_MS, err, errlen);
}

static int set_call(tools_upstreams *t, mcp_ctx *ctx, const char *name, const char *tool,
                    const json_t *args, long timeout_ms, json_t **result_out, char *err,
                    size_t errlen)
{
  mcp_client_call_opts co;
  mcp_client_err e;
  size_t i;
  for (i = 0; i < t->n; i++)
    if (!strcmp(mcp_upstream_name(t->ups[i]), name))
      break;
  if (i == t->n) {
    snprintf(err, errlen, "Error: no upstream named %.60s is configured", name);
    return -1;
  }
  memset(&co, 0, sizeof co);
  memset(&e, 0, sizeof e);
  co.on_progress = cb_progress;
  co.on_notification = cb_notification;
  co.cancelled = cb_cancelled;
  co.payload = ctx;
  co.timeout_ms = timeout_ms;
  if (mcp_upstream_call(t->ups[i], tool, args, &co, cb_request, result_out, &e) == MCP_CLIENT_OK)
    return 0;
  snprintf(err, errlen, "Error: calling %.60s" UPSTREAM_SEP "%.100s failed: %.300s%s", name, tool,
           e.msg,
           e.code == MCP_CLIENT_EUNREACHABLE ? " (the upstream is restarted; retry the call)" : "");
  return -1;
}

static int source_call(void *self, mcp_ctx *ctx, const char *full, const json_t *args,
                       json_t **result_out, char *err, size_t errlen)
{
  const char *sep = strstr(full, UPSTREAM_SEP);
  char name[64];
  if (!sep || (size_t)(sep - full) >= sizeof name) {
    snprintf(err, errlen, "Error: %.100s is not an upstream tool", full);
    return -1;
  }
  memcpy(name, full, (size_t)(sep - full));
  name[sep - full] = '\0';
  return set_call(self, ctx, name, sep + strlen(UPSTREAM_SEP), args, 0, result_out, err, errlen);
}

int tools_upstream_call(mcp_ctx *ctx, const char *name, const char *tool, const json_t *args,
                        long timeout_ms, json_t **result_out, char *err, size_t errlen)
{
  tools_upstreams *t;
  *result_out = NULL;
  pthread_mutex_lock(&g_mu);
  t = g_set;
  pthread_mutex_unlock(&g_mu);
  if (!t) {
    snprintf(err, errlen, "Error: no upstream servers are running");
    return -1;
  }
  return set_call(t, ctx, name, tool, args, timeout_ms, result_out, err, errlen);
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

/* "K=V" strings of an env object (new, NULL-terminated; free each and the array). */
static char **env_strings(const json_t *env)
{
  size_t n = json_object_size(env), i = 0;
  char **out = calloc(n + 1, sizeof *out);
  const char *k;
  json_t *v;
  if (!out)
    return NULL;
  json_object_foreach((json_t *)env, k, v) {
    size_t len = strlen(k) + json_string_length(v) + 2;
    if (!(out[i] = malloc(len))) { /* never a partial environment */
      while (i > 0)
        free(out[--i]);
      free(out);
      return NULL;
    }
    snprintf(out[i++], len, "%s=%s", k, json_string_value(v));
  }
  return out;
}

static void strings_free(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

static int start_one(tools_upstreams *t, const json_t *u, char *err, size_t errlen)
{
  mcp_upstream_opts o;
  mcp_client_err e;
  const json_t *cmd = json_object_get(u, "command");
  const char **argv = NULL, *tenv = json_string_value(json_object_get(u, "token_env"));
  char **envp = NULL;
  int rc;
  memset(&o, 0, sizeof o);
  memset(&e, 0, sizeof e);
  o.name = json_string_value(json_object_get(u, "name"));
  o.timeout_ms = (long)json_integer_value(json_object_get(u, "timeout_s")) * 1000L;
  o.max_message = (size_t)json_integer_value(json_object_get(u, "max_result_bytes"));
  o.max_concurrency = (int)json_integer_value(json_object_get(u, "max_concurrency"));
  o.on_tools_changed = on_changed;
  o.payload = t;
  if (cmd) {
    argv = calloc(json_array_size(cmd) + 1, sizeof *argv);
    envp = env_strings(json_object_get(u, "env"));
    for (size_t i = 0; argv && i < json_array_size(cmd); i++)
      argv[i] = json_string_value(json_array_get(cmd, i));
    o.argv = argv;
    o.envp = (const char *const *)envp;
    o.cwd = json_string_value(json_object_get(u, "cwd"));
  } else {
    o.url = json_string_value(json_object_get(u, "url"));
    if (tenv && !(o.bearer = getenv(tenv))) {
      snprintf(err, errlen, "upstream %s: token_env %s is not set", o.name, tenv);
      return -1;
    }
  }
  rc = (cmd && (!argv || !envp)) ? MCP_CLIENT_ERROR : mcp_upstream_start(&t->ups[t->n], &o, &e);
  free(argv);
  strings_free(envp);
  if (rc != MCP_CLIENT_OK) {
    snprintf(err, errlen, "upstream %s: %s", o.name, e.msg[0] ? e.msg : "cannot start");
    return -1;
  }
  t->cfgs[t->n++] = u;
  return 0;
}

int tools_upstreams_start(tools_upstreams **out, const json_t *config, char *err, size_t errlen)
{
  const json_t *list = mcp_config_upstreams(config), *u;
  size_t n = json_array_size(list), i;
  tools_upstreams *t = calloc(1, sizeof *t);
  *out = NULL;
  if (!t || !(t->ups = calloc(n + 1, sizeof *t->ups)) ||
      !(t->cfgs = calloc(n + 1, sizeof *t->cfgs))) {
    if (t)
      free(t->ups);
    free(t);
    snprintf(err, errlen, "upstreams: out of memory");
    return -1;
  }
  pthread_mutex_init(&t->mu, NULL);
  t->config = json_incref((json_t *)config);
  t->source.snapshot = source_snapshot;
  t->source.call = source_call;
  t->source.self = t;
  json_array_foreach((json_t *)list, i, u) {
    if (start_one(t, u, err, errlen) != 0) {
      tools_upstreams_free(t);
      return -1;
    }
  }
  pthread_mutex_lock(&g_mu);
  g_set = t;
  pthread_mutex_unlock(&g_mu);
  *out = t;
  return 0;
}

const mcp_tool_source *tools_upstreams_source(tools_upstreams *t)
{
  return t && t->n > 0 ? &t->source : NULL;
}

void tools_upstreams_attach(tools_upstreams *t, mcp_server *srv)
{
  if (!t)
    return;
  pthread_mutex_lock(&t->mu);
  t->srv = srv;
  pthread_mutex_unlock(&t->mu);
}

int tools_upstreams_wait(tools_upstreams *t, long timeout_ms)
{
  int64_t end = mcp_now_ms() + timeout_ms;
  int down = 0;
  for (size_t i = 0; t && i < t->n; i++) {
    int64_t left = end - mcp_now_ms();
    if (!mcp_upstream_wait_ready(t->ups[i], left > 0 ? (long)left : 0)) {
      mcp_log(MCP_LOG_WARNING, "upstream %s is not ready yet; its tools appear when it is",
              mcp_upstream_name(t->ups[i]));
      down++;
    }
  }
  return down;
}

void tools_upstreams_free(tools_upstreams *t)
{
  if (!t)
    return;
  pthread_mutex_lock(&g_mu);
  if (g_set == t)
    g_set = NULL;
  pthread_mutex_unlock(&g_mu);
  tools_upstreams_attach(t, NULL);
  for (size_t i = 0; i < t->n; i++)
    mcp_upstream_free(t->ups[i]);
  free(t->ups);
  free(t->cfgs);
  json_decref(t->cache);
  json_decref(t->config);
  pthread_mutex_destroy(&t->mu);
  free(t);
}
