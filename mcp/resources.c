/* SPDX-License-Identifier: Apache-2.0
 * mcp/resources.c — the MCP core's resources and prompts (spec/mcp.md §5): resources/list (paged
 * with an opaque offset cursor over the fixed resources and what each template lists),
 * resources/templates/list, resources/read (a fixed URI, else the template with the longest
 * prefix), prompts/list and prompts/get over the tables the composition root hands in
 * (mcp_server_opts.resource_groups / prompt_groups; the core names no resource). Lists carry the
 * caching hints in both eras; a resource that is not there is -32002 (legacy) or -32602
 * (2026-07-28), as each revision says. Reads are not tool calls: they pass no policy gate, are not
 * recorded and carry no receipt; each resource applies its own privacy filter. */
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MCP_ERR_RESOURCE_NOT_FOUND (-32002) /* legacy revisions */
#define LIST_TTL_MS 60000
#define RESOURCE_PAGE 50        /* resources/list page size */
#define RESOURCE_LIST_MAX 10000 /* most resources one listing walks */
#define RESOURCE_URI_MAX 1024

int mcp__is_resource_method(const char *m)
{
  return !strcmp(m, "resources/list") || !strcmp(m, "resources/templates/list") ||
         !strcmp(m, "resources/read") || !strcmp(m, "prompts/list") || !strcmp(m, "prompts/get");
}

int mcp__has_resources(const mcp_server *srv)
{
  return srv->resource_groups && srv->resource_groups[0] && srv->resource_groups[0]->uri;
}

int mcp__has_prompts(const mcp_server *srv)
{
  return srv->prompt_groups && srv->prompt_groups[0] && srv->prompt_groups[0]->name;
}

static void cache_hints(json_t *res, const char *scope)
{
  json_object_set_new(res, "ttlMs", json_integer(LIST_TTL_MS));
  json_object_set_new(res, "cacheScope", json_string(scope));
}

/* The entry serving uri: a fixed resource of that URI, else the template with the longest prefix
 * of it. */
static const mcp_resource_impl *find_resource(const mcp_server *srv, const char *uri)
{
  const mcp_resource_impl *best = NULL;
  for (int g = 0; srv->resource_groups && srv->resource_groups[g]; g++)
    for (const mcp_resource_impl *e = srv->resource_groups[g]; e->uri; e++) {
      if (!e->uri_template && strcmp(e->uri, uri) == 0)
        return e;
      if (e->uri_template && strncmp(e->uri, uri, strlen(e->uri)) == 0 && uri[strlen(e->uri)] &&
          (!best || strlen(e->uri) > strlen(best->uri)))
        best = e;
    }
  return best;
}

static const mcp_prompt_impl *find_prompt(const mcp_server *srv, const char *name)
{
  for (int g = 0; srv->prompt_groups && srv->prompt_groups[g]; g++)
    for (const mcp_prompt_impl *e = srv->prompt_groups[g]; e->name; e++)
      if (strcmp(e->name, name) == 0)
        return e;
  return NULL;
}

/* The context a resource or prompt handler sees: the request, no tool, no call scope. */
static void ctx_for(mcp_ctx *ctx, mcp_req *r)
{
  memset(ctx, 0, sizeof *ctx);
  ctx->req = r;
}

/* The page of resources/list that starts at params.cursor (an opaque offset). */
static json_t *list_resources(mcp_req *r, int *code, char *msg, size_t cap)
{
  const mcp_server *srv = r->s->srv;
  const char *cursor = json_string_value(json_object_get(r->params, "cursor"));
  json_t *all = json_array(), *page = json_array(), *res;
  char err[300] = "", *end = NULL;
  long off = cursor ? strtol(cursor, &end, 10) : 0;
  mcp_ctx ctx;
  if (cursor && (!*cursor || *end || off < 0 || off > RESOURCE_LIST_MAX)) {
    json_decref(all);
    json_decref(page);
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "resources/list: invalid cursor");
    return NULL;
  }
  ctx_for(&ctx, r);
  for (int g = 0; srv->resource_groups && srv->resource_groups[g]; g++)
    for (const mcp_resource_impl *e = srv->resource_groups[g]; e->uri; e++) {
      if (e->list && e->list(&ctx, all, err, sizeof err) != 0)
        mcp_log(MCP_LOG_WARNING, "resources/list: %s: %s", e->name, err);
      else if (!e->uri_template && !e->list)
        json_array_append_new(all, json_pack("{s:s,s:s,s:s,s:s,s:s}", "uri", e->uri, "name",
                                             e->name, "title", e->title, "description",
                                             e->description, "mimeType", e->mime_type));
    }
  for (size_t i = (size_t)off; i < json_array_size(all) && i < (size_t)off + RESOURCE_PAGE; i++)
    json_array_append(page, json_array_get(all, i));
  res = json_pack("{s:o}", "resources", page);
  if (res && json_array_size(all) > (size_t)off + RESOURCE_PAGE) {
    char next[32];
    snprintf(next, sizeof next, "%ld", off + RESOURCE_PAGE);
    json_object_set_new(res, "nextCursor", json_string(next));
  }
  json_decref(all);
  if (res)
    cache_hints(res, "private");
  return res;
}

static json_t *list_templates(const mcp_server *srv)
{
  json_t *list = json_array(), *res;
  for (int g = 0; srv->resource_groups && srv->resource_groups[g]; g++)
    for (const mcp_resource_impl *e = srv->resource_groups[g]; e->uri; e++)
      if (e->uri_template)
        json_array_append_new(list,
                              json_pack("{s:s,s:s,s:s,s:s,s:s}", "uriTemplate", e->uri_template,
                                        "name", e->name, "title", e->title, "description",
                                        e->description, "mimeType", e->mime_type));
  res = json_pack("{s:o}", "resourceTemplates", list);
  if (res)
    cache_hints(res, "public");
  return res;
}

static json_t *list_prompts(const mcp_server *srv)
{
  json_t *list = json_array(), *res;
  for (int g = 0; srv->prompt_groups && srv->prompt_groups[g]; g++)
    for (const mcp_prompt_impl *e = srv->prompt_groups[g]; e->name; e++) {
      json_t *args = json_array();
      for (const mcp_prompt_arg *a = e->args; a && a->name; a++)
        json_array_append_new(args, json_pack("{s:s,s:s,s:b}", "name", a->name, "description",
                                              a->description, "required", a->required));
      json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:o}", "name", e->name, "title", e->title,
                                            "description", e->description, "arguments", args));
    }
  res = json_pack("{s:o}", "prompts", list);
  cache_hints(res, "public");
  return res;
}

static json_t *read_resource(mcp_req *r, int *code, char *msg, size_t cap)
{
  const char *uri = json_string_value(json_object_get(r->params, "uri"));
  const mcp_resource_impl *e;
  char err[400] = "", *text = NULL;
  mcp_ctx ctx;
  json_t *res;
  int rc;
  if (!uri) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "resources/read: params.uri (string) is required");
    return NULL;
  }
  if (!(e = find_resource(r->s->srv, uri))) {
    *code = r->modern ? MCP_JSONRPC_INVALID_PARAMS : MCP_ERR_RESOURCE_NOT_FOUND;
    snprintf(msg, cap, "Resource not found: %.300s", uri);
    return NULL;
  }
  if (strlen(uri) > RESOURCE_URI_MAX) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "resources/read: uri longer than %d bytes", RESOURCE_URI_MAX);
    return NULL;
  }
  ctx_for(&ctx, r);
  rc = e->uri_template ? e->read_uri(&ctx, uri, &text, err, sizeof err)
                       : e->read(&ctx, &text, err, sizeof err);
  if (rc != 0) {
    *code = rc > 0 ? (r->modern ? MCP_JSONRPC_INVALID_PARAMS : MCP_ERR_RESOURCE_NOT_FOUND)
                   : MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "%s: %s",
             rc == 2  ? "Resource not readable by this caller"
             : rc > 0 ? "Resource not found"
                      : "Resource unreadable",
             err[0] ? err : uri);
    free(text);
    return NULL;
  }
  res = json_pack("{s:[{s:s,s:s,s:s}]}", "contents", "uri", uri, "mimeType", e->mime_type, "text",
                  text ? text : "");
  free(text);
  if (res)
    cache_hints(res, "private");
  return res;
}

static json_t *get_prompt(mcp_req *r, int *code, char *msg, size_t cap)
{
  const char *name = json_string_value(json_object_get(r->params, "name"));
  const json_t *args = json_object_get(r->params, "arguments");
  const mcp_prompt_impl *e;
  const char *k;
  json_t *v, *messages = NULL, *res, *empty = NULL;
  char err[400] = "";
  mcp_ctx ctx;
  if (!name) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "prompts/get: params.name (string) is required");
    return NULL;
  }
  if (!(e = find_prompt(r->s->srv, name))) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "Unknown prompt: %.200s", name);
    return NULL;
  }
  if (args && !json_is_object(args)) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "prompts/get: arguments must be an object of strings");
    return NULL;
  }
  json_object_foreach((json_t *)args, k, v) {
    int known = 0;
    for (const mcp_prompt_arg *a = e->args; a && a->name; a++)
      known |= strcmp(a->name, k) == 0;
    if (!json_is_string(v) || !known) {
      *code = MCP_JSONRPC_INVALID_PARAMS;
      snprintf(msg, cap, "prompts/get %s: argument \"%.100s\" %s", name, k,
               known ? "must be a string" : "is not an argument of this prompt");
      return NULL;
    }
  }
  for (const mcp_prompt_arg *a = e->args; a && a->name; a++)
    if (a->required && !json_string_length(json_object_get(args, a->name))) {
      *code = MCP_JSONRPC_INVALID_PARAMS;
      snprintf(msg, cap, "prompts/get %s: argument \"%s\" is required", name, a->name);
      return NULL;
    }
  if (!args)
    args = empty = json_object();
  ctx_for(&ctx, r);
  if (e->get(&ctx, args, &messages, err, sizeof err) != 0) {
    json_decref(empty);
    *code = MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "prompts/get %s: %s", name, err[0] ? err : "failed");
    return NULL;
  }
  json_decref(empty);
  res = json_pack("{s:s,s:o}", "description", e->description, "messages", messages);
  if (res)
    cache_hints(res, "private");
  return res;
}

json_t *mcp__resources_request(mcp_req *r, int *code, char *msg, size_t cap)
{
  mcp_server *srv = r->s->srv;
  int prompts = strncmp(r->method, "prompts/", 8) == 0;
  if (prompts ? !mcp__has_prompts(srv) : !mcp__has_resources(srv)) {
    *code = MCP_JSONRPC_METHOD_NOT_FOUND;
    snprintf(msg, cap, "Method not found: %s (this server offers no %s)", r->method,
             prompts ? "prompts" : "resources");
    return NULL;
  }
  if (!strcmp(r->method, "resources/list")) {
    mcp__watch_list(r->s);
    return list_resources(r, code, msg, cap);
  }
  if (!strcmp(r->method, "resources/templates/list"))
    return list_templates(srv);
  if (!strcmp(r->method, "resources/read"))
    return read_resource(r, code, msg, cap);
  if (!strcmp(r->method, "prompts/list"))
    return list_prompts(srv);
  return get_prompt(r, code, msg, cap);
}
