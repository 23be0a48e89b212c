/* SPDX-License-Identifier: Apache-2.0
 * mcp/lifecycle.c — the dual-era lifecycle: classification of a request by era (legacy
 * initialize/initialized/ping/logging sessions, modern 2026-07-28 per-request _meta), the
 * methods answered inline (ping, initialize, logging/setLevel, server/discover), the modern
 * result decoration (resultType, serverInfo) and the client capabilities a request may use. */
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <string.h>

static const char *const legacy_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", NULL};

static int caps_has(const json_t *caps, const char *name)
{
  return json_object_get(caps, name) != NULL;
}

/* The server's icon (a data: URI, so that no client has to fetch anything). */
#define ICON_SVG                                                                                     \
  "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAg"   \
  "MCAzMiAzMiI+PHJlY3Qgd2lkdGg9IjMyIiBoZWlnaHQ9IjMyIiByeD0iNiIgZmlsbD0iIzFmNGU3OSIvPjxwYXRoIGQ9Ik04" \
  "IDloMTZNOCAxNmgxNk04IDIzaDEwIiBzdHJva2U9IiNmZmYiIHN0cm9rZS13aWR0aD0iMyIvPjwvc3ZnPg=="

/* Used when the configuration gives none (mcp_server_opts.instructions). */
static const char default_instructions[] =
    "workledger is a motebit node and a Motus Work Ledger: every tool call is policy-gated, "
    "signed (a receipt in _meta io.motebit/receipt) and recorded. Claim work with "
    "motus_work_claim, record evidence, renew long leases, release and decide; run long work as "
    "a task (motebit_task, motus_wrap) when your client supports the tasks extension; calls in "
    "the approval band ask the user (elicitation) or wait for `workledger approve`.";

static json_t *server_info(const mcp_server *srv)
{
  return json_pack("{s:s,s:s,s:s,s:[{s:s,s:s,s:[s]}]}", "name", srv->server_name, "version",
                   WL_VERSION, "title", "workledger", "icons", "src", ICON_SVG, "mimeType",
                   "image/svg+xml", "sizes", "any");
}

/* s: the session answered (NULL for server/discover): subscriptions need a channel back. */
static json_t *server_caps(const mcp_server *srv, const mcp_session *s)
{
  json_t *caps = json_pack("{s:{s:b},s:{},s:{}}", "tools", "listChanged", srv->tool_source != NULL,
                           "logging", "completions");
  int sub = mcp__can_subscribe(s);
  if (caps && mcp__has_resources(srv))
    json_object_set_new(caps, "resources",
                        json_pack("{s:b,s:b}", "subscribe", sub, "listChanged", sub));
  if (caps && mcp__has_prompts(srv))
    json_object_set_new(caps, "prompts", json_pack("{s:b}", "listChanged", 0));
  if (caps) /* SEP-2663: tools flagged MCP_TOOL_TASK run as tasks for clients that opt in */
    json_object_set_new(caps, "extensions", json_pack("{s:{}}", "io.modelcontextprotocol/tasks"));
  return caps;
}

/* Adds resultType and serverInfo to a modern-era result. */
void mcp__modernize(mcp_req *r, json_t *result)
{
  json_t *meta;
  if (!r->modern || !json_is_object(result))
    return;
  if (!json_is_string(json_object_get(result, "resultType")))
    json_object_set_new(result, "resultType", json_string("complete"));
  meta = json_object_get(result, "_meta");
  if (!json_is_object(meta)) {
    meta = json_object();
    json_object_set_new(result, "_meta", meta);
  }
  json_object_set_new(meta, "io.modelcontextprotocol/serverInfo", server_info(r->s->srv));
}

static json_t *do_initialize(mcp_req *r, int *code, char *msg, size_t cap)
{
  mcp_session *s = r->s;
  mcp_server *srv = s->srv;
  const char *want = json_string_value(json_object_get(r->params, "protocolVersion"));
  const char *answer = MCP_VERSION_LEGACY_LATEST;
  json_t *caps = json_object_get(r->params, "capabilities");
  json_t *res;

  if (!want) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "initialize: params.protocolVersion (string) is required");
    return NULL;
  }
  if (caps && !json_is_object(caps)) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "initialize: params.capabilities must be an object");
    return NULL;
  }
  for (int i = 0; legacy_versions[i]; i++)
    if (strcmp(want, legacy_versions[i]) == 0)
      answer = legacy_versions[i];
  if (s->stateless) {
    /* stateless HTTP remembers nothing but what the caller's client can be asked (legacy
     * elicitation on the response stream needs the capability of its last initialize) */
    pthread_mutex_lock(&s->mu);
    json_decref(s->client_caps);
    s->client_caps = caps ? json_incref(caps) : json_object();
    pthread_mutex_unlock(&s->mu);
  } else {
    pthread_mutex_lock(&s->mu);
    if (s->init_state > 0) {
      pthread_mutex_unlock(&s->mu);
      *code = MCP_JSONRPC_INVALID_REQUEST;
      snprintf(msg, cap, "initialize: the session is already initialized");
      return NULL;
    }
    s->init_state = 1;
    snprintf(s->version, sizeof s->version, "%s", answer);
    json_decref(s->client_caps);
    s->client_caps = caps ? json_incref(caps) : json_object();
    json_decref(s->client_info);
    s->client_info = json_incref(json_object_get(r->params, "clientInfo"));
    pthread_mutex_unlock(&s->mu);
    mcp_log(MCP_LOG_INFO, "initialize: client %s, protocol %s (asked %s)",
            json_string_value(json_object_get(json_object_get(r->params, "clientInfo"), "name"))
                ? json_string_value(
                      json_object_get(json_object_get(r->params, "clientInfo"), "name"))
                : "?",
            answer, want);
  }
  res = json_pack("{s:s,s:o,s:o}", "protocolVersion", answer, "capabilities",
                  server_caps(srv, r->s), "serverInfo", server_info(srv));
  json_object_set_new(res, "instructions",
                      json_string(srv->instructions ? srv->instructions : default_instructions));
  return res;
}

static json_t *do_discover(mcp_req *r)
{
  mcp_server *srv = r->s->srv;
  json_t *res = json_pack("{s:[s,s,s,s],s:o,s:i,s:s}", "supportedVersions", MCP_VERSION_MODERN,
                          "2025-11-25", "2025-06-18", "2025-03-26", "capabilities",
                          server_caps(srv, NULL), "ttlMs", 300000, "cacheScope", "public");
  json_object_set_new(res, "instructions",
                      json_string(srv->instructions ? srv->instructions : default_instructions));
  return res;
}

static json_t *do_set_level(mcp_req *r, int *code, char *msg, size_t cap)
{
  const char *lv = json_string_value(json_object_get(r->params, "level"));
  int l = mcp_log_level_parse(lv);
  if (l < 0) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap,
             "logging/setLevel: level must be one of debug, info, notice, warning, "
             "error, critical, alert, emergency");
    return NULL;
  }
  if (!r->s->stateless) {
    pthread_mutex_lock(&r->s->mu);
    r->s->log_level = l;
    pthread_mutex_unlock(&r->s->mu);
  }
  return json_object();
}

static int known_method(const char *m)
{
  static const char *const methods[] = {"initialize",
                                        "ping",
                                        "tools/list",
                                        "tools/call",
                                        "logging/setLevel",
                                        "server/discover",
                                        "tasks/get",
                                        "tasks/update",
                                        "tasks/cancel",
                                        "completion/complete",
                                        NULL};
  for (int i = 0; methods[i]; i++)
    if (strcmp(m, methods[i]) == 0)
      return 1;
  return mcp__is_resource_method(m) || mcp__is_subscribe_method(m);
}

/* The era of a request: 1 modern (its _meta carries a supported protocolVersion and the client
 * capabilities), 0 legacy, -1 when the error has been answered. */
static int request_era(const mcp_envelope *env, mcp_emit_fn emit, void *payload)
{
  json_t *meta = json_object_get(env->params, "_meta");
  json_t *version = json_object_get(meta, "io.modelcontextprotocol/protocolVersion");
  if (!version)
    return 0;
  if (!json_is_string(version) || strcmp(json_string_value(version), MCP_VERSION_MODERN) != 0) {
    json_t *d = json_pack("{s:[s,s,s,s],s:O}", "supported", MCP_VERSION_MODERN, "2025-11-25",
                          "2025-06-18", "2025-03-26", "requested", version);
    mcp__reply_error(emit, payload, env->id, MCP_ERR_UNSUPPORTED_VERSION,
                     "Unsupported protocol version", d);
    return -1;
  }
  if (!json_is_object(json_object_get(meta, "io.modelcontextprotocol/clientCapabilities"))) {
    mcp__reply_error(
        emit, payload, env->id, MCP_JSONRPC_INVALID_PARAMS,
        "Invalid params: _meta[\"io.modelcontextprotocol/clientCapabilities\"] is required", NULL);
    return -1;
  }
  return 1;
}

static int session_initialized(mcp_session *s)
{
  int st;
  pthread_mutex_lock(&s->mu);
  st = s->init_state;
  pthread_mutex_unlock(&s->mu);
  return st != 0;
}

int mcp__classify(mcp_session *s, const mcp_envelope *env, mcp_emit_fn emit, void *payload,
                  int *modern)
{
  const char *m = env->method;
  char why[200];
  int era = request_era(env, emit, payload);

  if (era < 0)
    return MCP_CLASS_ANSWERED;
  *modern = era;
  if (!known_method(m) || (!era && !strncmp(m, "tasks/", 6)) ||
      (era && (!strcmp(m, "initialize") || !strcmp(m, "ping") || !strcmp(m, "logging/setLevel")))) {
    snprintf(why, sizeof why, "Method not found: %.150s", m);
    mcp__reply_error(emit, payload, env->id, MCP_JSONRPC_METHOD_NOT_FOUND, why, NULL);
    return MCP_CLASS_ANSWERED;
  }
  if (!era && strcmp(m, "server/discover") == 0) {
    mcp__reply_error(emit, payload, env->id, MCP_JSONRPC_INVALID_PARAMS,
                     "Invalid params: server/discover requires _meta[\"io.modelcontextprotocol/"
                     "protocolVersion\"]",
                     NULL);
    return MCP_CLASS_ANSWERED;
  }
  if (strcmp(m, "ping") == 0) {
    mcp__reply_result(emit, payload, env->id, json_object());
    return MCP_CLASS_ANSWERED;
  }
  if (!era && !s->stateless && strcmp(m, "initialize") != 0 && !session_initialized(s)) {
    mcp__reply_error(emit, payload, env->id, MCP_JSONRPC_INVALID_REQUEST,
                     "Invalid Request: server not initialized (send initialize first, or use "
                     "protocol 2026-07-28 _meta)",
                     NULL);
    return MCP_CLASS_ANSWERED;
  }
  if (!strcmp(m, "initialize") || !strcmp(m, "logging/setLevel") || !strcmp(m, "server/discover"))
    return MCP_CLASS_INLINE;
  return MCP_CLASS_WORKER;
}

void mcp__answer_inline(mcp_req *r)
{
  int c = 0;
  char em[300] = "";
  json_t *res;
  if (!strcmp(r->method, "initialize"))
    res = do_initialize(r, &c, em, sizeof em);
  else if (!strcmp(r->method, "logging/setLevel"))
    res = do_set_level(r, &c, em, sizeof em);
  else
    res = do_discover(r);
  if (res) {
    mcp__modernize(r, res);
    mcp__reply_result(r->emit, r->payload, r->id, res);
  } else {
    mcp__reply_error(r->emit, r->payload, r->id, c ? c : MCP_JSONRPC_INTERNAL_ERROR, em, NULL);
  }
}

int mcp__req_can_elicit(const mcp_req *r)
{
  return !r->modern && (r->s->send != NULL || r->s->stateless) &&
         caps_has(r->client_caps, "elicitation");
}
