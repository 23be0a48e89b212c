/* SPDX-License-Identifier: Apache-2.0
 * serve/conformance_legacy.c — conformance fixtures of the legacy eras that ask the client
 * (test_sampling, test_elicitation, test_elicitation_sep1034_defaults,
 * test_elicitation_sep1330_enums): each runs on its own detached thread, sends its
 * sampling/createMessage or elicitation/create as a server request on the response stream of
 * the POST (mcp_session_ask), waits for the client's answer (POSTed back, matched by the core
 * session) and then answers the call. Also test_header_region, the tool whose `region`
 * parameter declares x-mcp-header (SEP-2243), served in both eras. Behind --conformance only. */
#include "serve/conformance_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASK_TIMEOUT_MS 60000

typedef struct ask_job {
  json_t *id;
  json_t *params; /* the server request's params */
  char method[40];
  char label[40]; /* "LLM response" / "User response" / "Elicitation completed" */
  mcp_session *sess;
  mcp_emit_fn emit;
  void *payload;
} ask_job;

static void *ask_main(void *arg)
{
  ask_job *j = arg;
  json_t *resp = mcp_session_ask(j->sess, j->method, j->params, j->emit, j->payload,
                                 ASK_TIMEOUT_MS);
  json_t *result = json_object_get(resp, "result");
  char *rt = result ? seal_json_dumps(result, JSON_COMPACT) : NULL;
  char t[2048];
  if (!strcmp(j->method, "sampling/createMessage")) {
    const char *txt = json_string_value(
        json_object_get(json_object_get(result, "content"), "text"));
    snprintf(t, sizeof t, "LLM response: %.1800s", txt ? txt : "(none)");
  } else {
    snprintf(t, sizeof t, "%s: action=%s, content=%.1800s", j->label,
             json_string_value(json_object_get(result, "action"))
                 ? json_string_value(json_object_get(result, "action"))
                 : "none",
             rt ? rt : "{}");
  }
  free(rt);
  if (resp && result)
    conf_result(j->emit, j->payload, j->id, json_pack("{s:[o]}", "content", conf_text_block(t)), 0,
                0);
  else
    conf_error(j->emit, j->payload, j->id, MCP_JSONRPC_INTERNAL_ERROR,
               resp ? "the client answered with an error" : "no answer from the client", NULL);
  json_decref(resp);
  json_decref(j->id);
  free(j);
  return NULL;
}

/* Starts the asking thread (params stolen). */
static int ask_async(const conf_call *c, const char *method, json_t *params, const char *label)
{
  pthread_t th;
  pthread_attr_t at;
  ask_job *j = calloc(1, sizeof *j);
  if (!j || !c->sess || !params) {
    free(j);
    json_decref(params);
    conf_error(c->emit, c->payload, c->id, MCP_JSONRPC_INTERNAL_ERROR, "cannot ask the client",
               NULL);
    return 1;
  }
  j->id = json_deep_copy(c->id);
  j->params = params;
  snprintf(j->method, sizeof j->method, "%s", method);
  snprintf(j->label, sizeof j->label, "%s", label);
  j->sess = c->sess;
  j->emit = c->emit;
  j->payload = c->payload;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&th, &at, ask_main, j) != 0) {
    json_decref(j->id);
    json_decref(j->params);
    free(j);
    conf_error(c->emit, c->payload, c->id, MCP_JSONRPC_INTERNAL_ERROR, "cannot start a thread",
               NULL);
  }
  pthread_attr_destroy(&at);
  return 1;
}

static json_t *sep1034_schema(void)
{
  return json_pack(
      "{s:s,s:{s:{s:s,s:s},s:{s:s,s:i},s:{s:s,s:f},s:{s:s,s:[s,s,s],s:s},s:{s:s,s:b}}}", "type",
      "object", "properties", "name", "type", "string", "default", "John Doe", "age", "type",
      "integer", "default", 30, "score", "type", "number", "default", 95.5, "status", "type",
      "string", "enum", "active", "inactive", "pending", "default", "active", "verified", "type",
      "boolean", "default", 1);
}

static json_t *sep1330_schema(void)
{
  return json_loads(
      "{\"type\":\"object\",\"properties\":{"
      "\"untitledSingle\":{\"type\":\"string\",\"enum\":[\"option1\",\"option2\",\"option3\"]},"
      "\"titledSingle\":{\"type\":\"string\",\"oneOf\":[{\"const\":\"value1\",\"title\":\"First "
      "Option\"},{\"const\":\"value2\",\"title\":\"Second Option\"},{\"const\":\"value3\","
      "\"title\":\"Third Option\"}]},"
      "\"legacyEnum\":{\"type\":\"string\",\"enum\":[\"opt1\",\"opt2\",\"opt3\"],\"enumNames\":["
      "\"Option One\",\"Option Two\",\"Option Three\"]},"
      "\"untitledMulti\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"enum\":[\"option1\","
      "\"option2\",\"option3\"]}},"
      "\"titledMulti\":{\"type\":\"array\",\"items\":{\"anyOf\":[{\"const\":\"value1\",\"title\":"
      "\"First Choice\"},{\"const\":\"value2\",\"title\":\"Second Choice\"},{\"const\":"
      "\"value3\",\"title\":\"Third Choice\"}]}}}}",
      0, NULL);
}

int conf_legacy_call(const conf_call *c, const char *name)
{
  const json_t *args = json_object_get(c->params, "arguments");
  if (!strcmp(name, "test_header_region")) {
    char t[400];
    const char *region = json_string_value(json_object_get(args, "region"));
    snprintf(t, sizeof t, "Region: %.300s", region ? region : "(none)");
    conf_text_result(c, t);
    return 1;
  }
  if (c->modern)
    return 0;
  if (!strcmp(name, "test_sampling")) {
    const char *p = json_string_value(json_object_get(args, "prompt"));
    return ask_async(c, "sampling/createMessage",
                     json_pack("{s:[{s:s,s:{s:s,s:s}}],s:i}", "messages", "role", "user", "content",
                               "type", "text", "text", p ? p : "", "maxTokens", 100),
                     "LLM response");
  }
  if (!strcmp(name, "test_elicitation")) {
    const char *m = json_string_value(json_object_get(args, "message"));
    return ask_async(c, "elicitation/create",
                     json_pack("{s:s,s:{s:s,s:{s:{s:s,s:s},s:{s:s,s:s}},s:[s,s]}}", "message",
                               m ? m : "Please provide your information", "requestedSchema", "type",
                               "object", "properties", "username", "type", "string", "description",
                               "User's response", "email", "type", "string", "description",
                               "User's email address", "required", "username", "email"),
                     "User response");
  }
  if (!strcmp(name, "test_elicitation_sep1034_defaults"))
    return ask_async(c, "elicitation/create",
                     json_pack("{s:s,s:o}", "message", "Please review the defaults",
                               "requestedSchema", sep1034_schema()),
                     "Elicitation completed");
  if (!strcmp(name, "test_elicitation_sep1330_enums"))
    return ask_async(c, "elicitation/create",
                     json_pack("{s:s,s:o}", "message", "Please choose", "requestedSchema",
                               sep1330_schema()),
                     "Elicitation completed");
  return 0;
}

static json_t *listing(const char *name, const char *desc, json_t *schema)
{
  return json_pack("{s:s,s:s,s:o}", "name", name, "description", desc, "inputSchema", schema);
}

void conf_legacy_tools(json_t *list)
{
  json_array_append_new(list, listing("test_header_region",
                                      "Echoes its region, mirrored in the Mcp-Param-Region header",
                                      json_pack("{s:s,s:{s:{s:s,s:s}},s:[s]}", "type", "object",
                                                "properties", "region", "type", "string",
                                                "x-mcp-header", "Region", "required", "region")));
  json_array_append_new(list,
                        listing("test_sampling", "Asks the client's model (sampling/createMessage)",
                                json_pack("{s:s,s:{s:{s:s}},s:[s]}", "type", "object", "properties",
                                          "prompt", "type", "string", "required", "prompt")));
  json_array_append_new(list,
                        listing("test_elicitation", "Asks the user (elicitation/create)",
                                json_pack("{s:s,s:{s:{s:s}},s:[s]}", "type", "object", "properties",
                                          "message", "type", "string", "required", "message")));
  json_array_append_new(list, listing("test_elicitation_sep1034_defaults",
                                      "Elicitation with defaults (SEP-1034)",
                                      json_pack("{s:s,s:{}}", "type", "object", "properties")));
  json_array_append_new(list, listing("test_elicitation_sep1330_enums",
                                      "Elicitation with the enum forms (SEP-1330)",
                                      json_pack("{s:s,s:{}}", "type", "object", "properties")));
}

json_t *mcp_conformance_tool_schema(const char *name)
{
  json_t *list = json_array(), *v, *out = NULL;
  size_t i;
  conf_legacy_tools(list);
  json_array_foreach(list, i, v) {
    if (!strcmp(json_string_value(json_object_get(v, "name")), name))
      out = json_incref(json_object_get(v, "inputSchema"));
  }
  json_decref(list);
  return out;
}
