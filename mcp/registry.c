/* SPDX-License-Identifier: Apache-2.0
 * mcp/registry.c — the tool registry: joins the embedded schemas/tools/<name>.json files (name,
 * description, risk, inputSchema, outputSchema) with the handler tables of the tool groups, builds
 * the tools/list entries (annotations derived from risk) and serves tools/list with cursor
 * pagination. A schema file without a handler is skipped with a warning; a handler without a
 * schema file is a startup error. The order is the sorted schema file order (deterministic).
 * The tool tables come from the composition root (mcp_server_opts.tool_groups); the core names
 * no tool. Profiles (reference/motebit.md §1, spec/mcp.md §3): each table entry says which
 * profiles REQUIRE the tool (always registered there) and, through its `available` hook, when an
 * optional tool can do something on this node (profile_registers below). It also keeps each
 * built-in tool's outputSchema memo (mcp__output_valid). */
#include "crypto/artifacts.h"
#include "crypto/jschema.h"
#include "mcp/mcp_int.h"
#include "schemas/schemas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when tool `t` is part of this server's surface: its table entry says which profiles require
 * it and, for the others, whether it can do something with this configuration. */
static int profile_registers(const mcp_server *srv, const mcp_tool_impl *t)
{
  unsigned bit = !strcmp(srv->profile, SEAL_PROFILE_SERVICE)         ? MCP_PROFILE_SERVICE
                 : !strcmp(srv->profile, SEAL_PROFILE_COLLABORATIVE) ? MCP_PROFILE_COLLABORATIVE
                                                                     : MCP_PROFILE_PERSONAL;
  return (t->profiles & bit) != 0 || !t->available || t->available(srv->config);
}

static int schema_has(const char *name)
{
  size_t n = strlen(name);
  for (size_t i = 0; i < schema_files_count; i++) {
    const char *p = schema_files[i].path;
    if (strncmp(p, "tools/", 6) == 0 && strncmp(p + 6, name, n) == 0 &&
        strcmp(p + 6 + n, ".json") == 0)
      return 1;
  }
  return 0;
}

static const mcp_tool_impl *impl_find(const mcp_server *srv, const char *name)
{
  for (int g = 0; srv->tool_groups && srv->tool_groups[g]; g++)
    for (const mcp_tool_impl *t = srv->tool_groups[g]; t->name; t++)
      if (strcmp(t->name, name) == 0)
        return t;
  return NULL;
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
    const mcp_tool_impl *impl;

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
      snprintf(err, errlen, "schemas/%s: needs name, description, risk 0..4 and inputSchema",
               f->path);
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
    impl = impl_find(srv, name);
    if (!impl) {
      mcp_log(MCP_LOG_WARNING, "schemas/%s: no handler for tool %s; not registered", f->path, name);
      json_decref(doc);
      continue;
    }
    if (!profile_registers(srv, impl)) {
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
    e->fn = impl->fn;
    e->flags = impl->flags;
    e->precheck = impl->precheck;
    e->runs_short = impl->runs_short;
    if (e->output_schema && (e->memo = calloc(1, sizeof *e->memo)))
      pthread_mutex_init(&e->memo->mu, NULL);
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
    if (e->flags & MCP_TOOL_TASK) /* SEP-2663: may run as a task */
      json_object_set_new(e->listing, "execution", json_pack("{s:s}", "taskSupport", "optional"));
  }
  for (int g = 0; srv->tool_groups && srv->tool_groups[g]; g++)
    for (const mcp_tool_impl *t = srv->tool_groups[g]; t->name; t++)
      if (!schema_has(t->name)) {
        snprintf(err, errlen, "tool %s has a handler but no schemas/tools/%s.json", t->name,
                 t->name);
        return -1;
      }
  return 0;
}

void mcp__registry_free(mcp_server *srv)
{
  for (size_t i = 0; i < srv->ntools; i++) {
    json_decref(srv->tools[i].listing);
    json_decref(srv->tools[i].schema_file);
    if (srv->tools[i].memo) {
      pthread_mutex_destroy(&srv->tools[i].memo->mu);
      json_decref(srv->tools[i].memo->value);
      free(srv->tools[i].memo);
    }
  }
  free(srv->tools);
  srv->tools = NULL;
  srv->ntools = 0;
}

int mcp__output_valid(const mcp_tool_entry *t, json_t *v, seal_jschema_err *verr)
{
  mcp_valid_memo *m = t->upstream ? NULL : t->memo;
  json_t *copy;
  int same = 0, kept = 0;
  if (m) {
    pthread_mutex_lock(&m->mu);
    kept = m->value != NULL;
    same = kept && json_equal(m->value, v);
    pthread_mutex_unlock(&m->mu);
    if (same)
      return 1;
  }
  if (seal_jschema_validate(t->output_schema, v, verr) != SEAL_JSCHEMA_OK)
    return 0;
  if (m && !kept && (copy = json_deep_copy(v))) {
    pthread_mutex_lock(&m->mu);
    if (!m->value) {
      m->value = copy;
      copy = NULL;
    }
    pthread_mutex_unlock(&m->mu);
    json_decref(copy);
  }
  return 1;
}

const mcp_tool_entry *mcp__tool_find(const mcp_server *srv, const char *name)
{
  for (size_t i = 0; i < srv->ntools; i++)
    if (strcmp(srv->tools[i].name, name) == 0)
      return &srv->tools[i];
  return NULL;
}

/* The snapshot of srv->tool_source (new; [] without one). */
static json_t *source_snapshot(mcp_server *srv)
{
  json_t *snap = srv->tool_source ? srv->tool_source->snapshot(srv->tool_source->self) : NULL;
  return json_is_array(snap) ? snap : (json_decref(snap), json_array());
}

int mcp__source_find(mcp_server *srv, const char *name, mcp_tool_entry *e, json_t **snap_out)
{
  json_t *snap, *it;
  size_t i;
  *snap_out = NULL;
  if (!srv->tool_source)
    return -1;
  snap = source_snapshot(srv);
  json_array_foreach(snap, i, it) {
    json_t *tool = json_object_get(it, "tool");
    const char *n = json_string_value(json_object_get(tool, "name"));
    json_int_t risk = json_integer_value(json_object_get(it, "risk"));
    if (!n || strcmp(n, name) != 0)
      continue;
    memset(e, 0, sizeof *e);
    e->name = n;
    e->description = json_string_value(json_object_get(tool, "description"));
    if (!e->description)
      e->description = "";
    e->risk = risk >= 0 && risk <= 4 ? (mcp_risk)risk : MCP_R3_EXECUTE;
    e->input_schema = json_object_get(tool, "inputSchema");
    e->output_schema = json_object_get(tool, "outputSchema");
    e->listing = tool;
    e->upstream = 1;
    e->flags = MCP_TOOL_LONG; /* no Store scope held open while the upstream works */
    e->deny = json_is_true(json_object_get(it, "deny"));
    e->approval = json_is_true(json_object_get(it, "approval"));
    *snap_out = snap;
    return 0;
  }
  json_decref(snap);
  return -1;
}

/* Entry i of the combined list: our tools first, then the source's snapshot. */
static const json_t *entry_listing(const mcp_server *srv, json_t *snap, size_t i)
{
  return i < srv->ntools ? srv->tools[i].listing
                         : json_object_get(json_array_get(snap, i - srv->ntools), "tool");
}

/* Whether entry i is listed: not denied to everyone by the policy (mcp_policy_listed: the
 * denylist, the allowlist, the deny band) nor, for an upstream tool, by its config. */
static int entry_listed(const mcp_server *srv, json_t *snap, size_t i)
{
  if (i < srv->ntools)
    return mcp_policy_listed(srv->policy, srv->tools[i].name, srv->tools[i].risk);
  json_t *it = json_array_get(snap, i - srv->ntools);
  json_int_t risk = json_integer_value(json_object_get(it, "risk"));
  const char *n = json_string_value(json_object_get(json_object_get(it, "tool"), "name"));
  if (!n || json_is_true(json_object_get(it, "deny")))
    return 0;
  return mcp_policy_listed(srv->policy, n,
                           risk >= 0 && risk <= 4 ? (mcp_risk)risk : MCP_R3_EXECUTE);
}

/* tools/list names the tools the policy does not deny to everyone; a denied tool can still be
 * called and gets its signed denial. Cursors count listed tools. */
json_t *mcp__tools_list(mcp_server *srv, mcp_req *r, const json_t *params, int *code, char *msg,
                        size_t msgcap)
{
  const json_t *cursor = json_object_get(params, "cursor");
  json_t *snap = source_snapshot(srv);
  size_t start = 0, nlisted = 0, i, k, total = srv->ntools + json_array_size(snap);
  json_t *tools, *res;
  for (i = 0; i < total; i++)
    nlisted += (size_t)entry_listed(srv, snap, i);
  if (cursor && !json_is_null(cursor)) {
    const char *c = json_string_value(cursor);
    char *endp = NULL;
    unsigned long v;
    if (!c || strncmp(c, "wl1:", 4) != 0 || !c[4]) {
      *code = MCP_JSONRPC_INVALID_PARAMS;
      snprintf(msg, msgcap, "Invalid params: unknown cursor");
      json_decref(snap);
      return NULL;
    }
    v = strtoul(c + 4, &endp, 10);
    if (*endp || v == 0 || v >= nlisted) {
      *code = MCP_JSONRPC_INVALID_PARAMS;
      snprintf(msg, msgcap, "Invalid params: unknown cursor");
      json_decref(snap);
      return NULL;
    }
    start = (size_t)v;
  }
  tools = json_array();
  for (i = 0, k = 0; i < total && k < start + (size_t)srv->page_size; i++) {
    if (!entry_listed(srv, snap, i))
      continue;
    if (k++ >= start)
      json_array_append(tools, (json_t *)entry_listing(srv, snap, i));
  }
  json_decref(snap);
  res = json_pack("{s:o}", "tools", tools);
  if (k < nlisted) {
    char next[32];
    snprintf(next, sizeof next, "wl1:%zu", k);
    json_object_set_new(res, "nextCursor", json_string(next));
  }
  if (r && r->modern) {
    json_object_set_new(res, "ttlMs", json_integer(srv->tool_source ? 0 : 300000));
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
    mcp_policy_decide(srv->policy_probe, e->name, e->risk, NULL, caller, mcp_now_ms(), &d);
    /* Budget and allow-list denials depend on the moment and the arguments: still usable. */
    if (d.verdict == MCP_DENY && d.rule &&
        (!strcmp(d.rule, "denylist") || !strcmp(d.rule, "allowlist") || !strcmp(d.rule, "scope") ||
         !strcmp(d.rule, "risk_band") || !strcmp(d.rule, "caller_trust")))
      continue;
    json_array_append_new(out, json_pack("{s:s,s:s,s:i}", "name", e->name, "description",
                                         e->description, "risk", (int)e->risk));
  }
  {
    json_t *snap = source_snapshot(srv), *it;
    size_t i;
    json_array_foreach(snap, i, it) {
      mcp_tool_entry e;
      json_t *held = NULL;
      const char *n = json_string_value(json_object_get(json_object_get(it, "tool"), "name"));
      if (!n || mcp__source_find(srv, n, &e, &held) != 0)
        continue;
      if (!e.deny && mcp_policy_visible(srv->policy_probe, e.name, e.risk, caller))
        json_array_append_new(out, json_pack("{s:s,s:s,s:i}", "name", e.name, "description",
                                             e.description, "risk", (int)e.risk));
      json_decref(held);
    }
    json_decref(snap);
  }
  return out;
}

const json_t *mcp_server_tool_schema(mcp_server *srv, const char *name)
{
  const mcp_tool_entry *t = srv && name ? mcp__tool_find(srv, name) : NULL;
  return t ? t->input_schema : NULL;
}
