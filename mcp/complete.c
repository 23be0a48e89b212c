/* SPDX-License-Identifier: Apache-2.0
 * mcp/complete.c — completion/complete (both eras; spec/mcp.md §5.2): values for a prompt's or a
 * resource template's argument by the argument's name — run_id, work_id and lease_id from the
 * Store's runs (newest first), tool_name / tool from the registry — that start with the typed
 * value, at most 100, with total and hasMore. Other arguments complete to nothing. Reads only. */
#include "ledger/ledger.h"
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <string.h>

#define COMPLETE_MAX 100
#define RUNS_SCANNED 500

static void add(json_t *values, int *total, const char *v, const char *prefix)
{
  size_t i;
  json_t *e;
  if (!v || strncmp(v, prefix, strlen(prefix)) != 0)
    return;
  json_array_foreach(values, i, e) {
    if (!strcmp(json_string_value(e), v))
      return; /* once each (work ids repeat across runs) */
  }
  (*total)++;
  if (json_array_size(values) < COMPLETE_MAX)
    json_array_append_new(values, json_string(v));
}

json_t *mcp__complete_request(mcp_req *r, int *code, char *msg, size_t cap)
{
  mcp_server *srv = r->s->srv;
  const json_t *ref = json_object_get(r->params, "ref");
  const json_t *arg = json_object_get(r->params, "argument");
  const char *type = json_string_value(json_object_get(ref, "type"));
  const char *name = json_string_value(json_object_get(arg, "name"));
  const char *value = json_string_value(json_object_get(arg, "value"));
  json_t *values = json_array(), *runs = NULL, *v;
  int total = 0;
  size_t i;
  if (!type || (strcmp(type, "ref/prompt") && strcmp(type, "ref/resource")) || !name || !value) {
    json_decref(values);
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap,
             "Invalid params: completion/complete needs ref {type: ref/prompt | "
             "ref/resource} and argument {name, value} (strings)");
    return NULL;
  }
  if (!strcmp(name, "tool_name") || !strcmp(name, "tool")) {
    for (size_t k = 0; k < srv->ntools; k++)
      add(values, &total, srv->tools[k].name, value);
  } else if ((!strcmp(name, "run_id") || !strcmp(name, "work_id") || !strcmp(name, "lease_id")) &&
             srv->store && ledger_run_list(srv->store, 0, RUNS_SCANNED, &runs, NULL) == LEDGER_OK) {
    json_array_foreach(runs, i, v) {
      const json_t *src = !strcmp(name, "lease_id") ? json_object_get(v, "lease") : v;
      add(values, &total, json_string_value(json_object_get(src, name)), value);
    }
    json_decref(runs);
  }
  return json_pack("{s:{s:o,s:i,s:b}}", "completion", "values", values, "total", total, "hasMore",
                   total > (int)json_array_size(values));
}
