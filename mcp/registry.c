/* SPDX-License-Identifier: Apache-2.0
 * mcp/registry.c — the tool registry: joins the embedded schemas/tools/<name>.json files (name,
 * description, risk, inputSchema, outputSchema) with the handler tables of the tool groups, builds
 * the tools/list entries (annotations derived from risk) and serves tools/list with cursor
 * pagination. A schema file without a handler is skipped with a warning; a handler without a
 * schema file is a startup error. The order is the sorted schema file order (deterministic).
 * Profiles (reference/motebit.md §1, spec/mcp.md §3): the motebit tools a profile REQUIRES are
 * always registered; an optional motebit tool is registered when it can do something on this
 * node (profile_rules below); tools outside the motebit vocabulary (motus_*) are registered in
 * every profile. */
#include "crypto/jschema.h"
#include "mcp/config.h"
#include "mcp/mcp_int.h"
#include "schemas/schemas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tool groups; a new group (one file) adds one line here. */
static const mcp_tool_impl *const groups[] = {mcp_tools_motebit, mcp_tools_motus, mcp_tools_task,
                                              mcp_tools_service, NULL};

/* ---- profiles ---- */
#define P_PERSONAL 1u
#define P_SERVICE 2u
#define P_COLLABORATIVE 4u
#define P_ALL (P_PERSONAL | P_SERVICE | P_COLLABORATIVE)

static int has_task_route(const mcp_server *srv)
{
  /* an executor or a delegation peer: otherwise every task would fail */
  return json_object_size(mcp_config_executors(srv->config)) > 0 ||
         json_array_size(mcp_config_peers(srv->config)) > 0;
}
static int has_chat_executor(const mcp_server *srv)
{
  return mcp_config_executor(srv->config, "chat") != NULL;
}
static int always(const mcp_server *srv)
{
  (void)srv;
  return 1;
}

typedef struct profile_rule {
  const char *name;
  unsigned required;                       /* profiles that require the tool */
  int (*available)(const mcp_server *srv); /* otherwise registered when this says so */
} profile_rule;

static const profile_rule profile_rules[] = {
    {"motebit_identity", P_ALL, always},
    {"motebit_tools", P_ALL, always},
    {"motebit_task", P_SERVICE, has_task_route},
    {"motebit_service_listing", P_SERVICE, always},
    {"motebit_credentials", P_SERVICE, always},
    {"motebit_query", 0, has_chat_executor},
    {"motebit_remember", 0, always},
    {"motebit_recall", 0, always},
};

static unsigned profile_bit(const char *profile)
{
  return !strcmp(profile, "service")         ? P_SERVICE
         : !strcmp(profile, "collaborative") ? P_COLLABORATIVE
                                             : P_PERSONAL;
}

/* 1 when tool `name` is part of this server's surface. */
static int profile_registers(const mcp_server *srv, const char *name)
{
  for (size_t i = 0; i < sizeof profile_rules / sizeof profile_rules[0]; i++)
    if (strcmp(profile_rules[i].name, name) == 0)
      return (profile_rules[i].required & profile_bit(srv->profile)) != 0 ||
             profile_rules[i].available(srv);
  return 1;
}

static int schema_has(const char *name)
{
  size_t n = strlen(name);
  for (size_t i = 0; i < schema_files_count; i++) {
    const char *p = schema_files[i].path;
    if (strncmp(p, "tools/", 6) == 0 && strncmp(p + 6, name, n) == 0 && strcmp(p + 6 + n, ".json") == 0)
      return 1;
  }
  return 0;
}

static const char *tool_names_static[64];

static mcp_tool_fn impl_find(const char *name)
{
  for (int g = 0; groups[g]; g++)
    for (const mcp_tool_impl *t = groups[g]; t->name; t++)
      if (strcmp(t->name, name) == 0)
        return t->fn;
  return NULL;
}

const char *const *mcp_tool_names(void)
{
  /* The names of every schemas/tools/<name>.json that has a handler, in registry order. */
  static int done;
  if (!done) {
    size_t n = 0;
    for (size_t i = 0; i < schema_files_count && n + 1 < sizeof tool_names_static / sizeof *tool_names_static; i++) {
      const char *p = schema_files[i].path;
      if (strncmp(p, "tools/", 6) == 0) {
        static char names[64][64];
        const char *base = p + 6;
        const char *dot = strrchr(base, '.');
        size_t len = dot ? (size_t)(dot - base) : strlen(base);
        if (len >= sizeof names[0])
          continue;
        memcpy(names[n], base, len);
        names[n][len] = '\0';
        if (!impl_find(names[n]))
          continue;
        tool_names_static[n] = names[n];
        n++;
      }
    }
    tool_names_static[n] = NULL;
    done = 1;
  }
  return tool_names_static;
}

int mcp__registry_load(mcp_server *srv, char *err, size_t errlen)
{
  size_t cap = 0;
  for (size_t i = 0; i < schema_files_count; i++)
    if (strncmp(schema_files[i].path, "tools/", 6) == 0)
      cap++;
  srv->tools = calloc(cap ? cap : 1, sizeof *srv->tools);
  if (!srv->tools)
    return -1;
  for (size_t i = 0; i < schema_files_count; i++) {
    const struct schema_file *f = &schema_files[i];
    json_error_t jerr;
    json_t *doc;
    mcp_tool_entry *e;
    const char *name;
    json_t *risk, *ann;
    seal_jschema_err serr;

    if (strncmp(f->path, "tools/", 6) != 0)
      continue;
    doc = json_loadb(f->text, f->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
      snprintf(err, errlen, "schemas/%s: %s", f->path, jerr.text);
      return -1;
    }
    name = json_string_value(json_object_get(doc, "name"));
    risk = json_object_get(doc, "risk");
    if (!name || !json_is_string(json_object_get(doc, "description")) || !json_is_integer(risk) ||
        json_integer_value(risk) < 0 || json_integer_value(risk) > 4 ||
        !json_is_object(json_object_get(doc, "inputSchema"))) {
      snprintf(err, errlen, "schemas/%s: needs name, description, risk 0..4 and inputSchema", f->path);
      json_decref(doc);
      return -1;
    }
    if (seal_jschema_check(json_object_get(doc, "inputSchema"), &serr) != 0 ||
        (json_object_get(doc, "outputSchema") &&
         seal_jschema_check(json_object_get(doc, "outputSchema"), &serr) != 0)) {
      snprintf(err, errlen, "schemas/%s: %s at %s", f->path, serr.msg, serr.path);
      json_decref(doc);
      return -1;
    }
    if (!impl_find(name)) {
      mcp_log(MCP_LOG_WARNING, "schemas/%s: no handler for tool %s; not registered", f->path, name);
      json_decref(doc);
      continue;
    }
    if (!profile_registers(srv, name)) {
      json_decref(doc);
      continue;
    }
    e = &srv->tools[srv->ntools++];
    e->schema_file = doc;
    e->name = name;
    e->description = json_string_value(json_object_get(doc, "description"));
    e->risk = (mcp_risk)json_integer_value(risk);
    e->input_schema = json_object_get(doc, "inputSchema");
    e->output_schema = json_object_get(doc, "outputSchema");
    e->fn = impl_find(name);
    ann = mcp_risk_annotations(e->risk);
    if (!ann)
      ann = json_object();
    if (json_is_string(json_object_get(doc, "title")))
      json_object_set(ann, "title", json_object_get(doc, "title"));
    e->listing = json_pack("{s:s,s:s,s:O,s:o}", "name", e->name, "description", e->description,
                           "inputSchema", e->input_schema, "annotations", ann);
    if (json_is_string(json_object_get(doc, "title")))
      json_object_set(e->listing, "title", json_object_get(doc, "title"));
    if (e->output_schema)
      json_object_set(e->listing, "outputSchema", e->output_schema);
  }
  for (int g = 0; groups[g]; g++)
    for (const mcp_tool_impl *t = groups[g]; t->name; t++)
      if (!schema_has(t->name)) {
        snprintf(err, errlen, "tool %s has a handler but no schemas/tools/%s.json", t->name, t->name);
        return -1;
      }
  return 0;
}

void mcp__registry_free(mcp_server *srv)
{
  for (size_t i = 0; i < srv->ntools; i++) {
    json_decref(srv->tools[i].listing);
    json_decref(srv->tools[i].schema_file);
  }
  free(srv->tools);
  srv->tools = NULL;
  srv->ntools = 0;
}

const mcp_tool_entry *mcp__tool_find(const mcp_server *srv, const char *name)
{
  for (size_t i = 0; i < srv->ntools; i++)
    if (strcmp(srv->tools[i].name, name) == 0)
      return &srv->tools[i];
  return NULL;
}

json_t *mcp__tools_list(mcp_server *srv, mcp_req *r, const json_t *params, int *code, char *msg,
                        size_t msgcap)
{
  const json_t *cursor = json_object_get(params, "cursor");
  size_t start = 0, end;
  json_t *tools, *res;
  (void)r;
  if (cursor && !json_is_null(cursor)) {
    const char *c = json_string_value(cursor);
    char *endp = NULL;
    unsigned long v;
    if (!c || strncmp(c, "wl1:", 4) != 0 || !c[4]) {
      *code = MCP_JSONRPC_INVALID_PARAMS;
      snprintf(msg, msgcap, "Invalid params: unknown cursor");
      return NULL;
    }
    v = strtoul(c + 4, &endp, 10);
    if (*endp || v == 0 || v >= srv->ntools) {
      *code = MCP_JSONRPC_INVALID_PARAMS;
      snprintf(msg, msgcap, "Invalid params: unknown cursor");
      return NULL;
    }
    start = (size_t)v;
  }
  end = start + (size_t)srv->page_size;
  if (end > srv->ntools)
    end = srv->ntools;
  tools = json_array();
  for (size_t i = start; i < end; i++)
    json_array_append(tools, srv->tools[i].listing);
  res = json_pack("{s:o}", "tools", tools);
  if (end < srv->ntools) {
    char next[32];
    snprintf(next, sizeof next, "wl1:%zu", end);
    json_object_set_new(res, "nextCursor", json_string(next));
  }
  if (r && r->modern) {
    json_object_set_new(res, "ttlMs", json_integer(300000));
    json_object_set_new(res, "cacheScope", json_string("public"));
  }
  return res;
}

json_t *mcp_server_tools_for(mcp_server *srv, const mcp_caller *caller)
{
  json_t *out = json_array();
  for (size_t i = 0; i < srv->ntools; i++) {
    const mcp_tool_entry *e = &srv->tools[i];
    mcp_decision d;
    memset(&d, 0, sizeof d);
    mcp_policy_decide(srv->policy_probe, e->name, e->risk, NULL, caller, mcp__now_ms(), &d);
    /* Budget and allow-list denials depend on the moment and the arguments: still usable. */
    if (d.verdict == MCP_DENY && d.rule &&
        (!strcmp(d.rule, "denylist") || !strcmp(d.rule, "allowlist") || !strcmp(d.rule, "scope") || !strcmp(d.rule, "risk_band") ||
         !strcmp(d.rule, "caller_trust")))
      continue;
    json_array_append_new(out, json_pack("{s:s,s:s,s:i}", "name", e->name, "description",
                                         e->description, "risk", (int)e->risk));
  }
  return out;
}
