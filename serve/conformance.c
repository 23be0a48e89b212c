/* SPDX-License-Identifier: Apache-2.0
 * serve/conformance.c — the fixture tools, resources and prompts that the official MCP
 * conformance suite calls (serve/conformance.h), answered in front of the core dispatcher in
 * `serve --http ... --conformance` mode only. The fixtures mirror the suite's reference
 * "everything" server (fixed names, fixed content); their calls are not policy-gated, signed or
 * recorded, because they are test scaffolding, not ledger tools. Era rules follow the request:
 * modern (2026-07-28) results carry resultType/_meta serverInfo and caching hints; requests
 * with malformed modern _meta are left to the core, which rejects them. Sampling, elicitation
 * and SSE resumption fixtures are deliberately absent (spec/http.md "Conformance baseline"). */
#include "serve/conformance_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMG_B64                                                                                    \
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
#define WAV_B64 "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
#define SERVER_NAME "workledger-conformance"

void conf_send_json(mcp_emit_fn emit, void *payload, json_t *msg, unsigned flags)
{
  char *s = msg ? seal_json_dumps(msg, JSON_COMPACT) : NULL;
  json_decref(msg);
  if (s)
    emit(s, strlen(s), flags, payload);
  else if (flags & MCP_EMIT_FINAL)
    emit(NULL, 0, flags, payload);
  free(s);
}

void conf_result(mcp_emit_fn emit, void *payload, const json_t *id, json_t *res, int modern,
                 int cache)
{
  if (modern) {
    if (!json_object_get(res, "resultType"))
      json_object_set_new(res, "resultType", json_string("complete"));
    json_t *meta = json_object_get(res, "_meta");
    if (!meta)
      json_object_set_new(res, "_meta", meta = json_object());
    json_object_set_new(meta, "io.modelcontextprotocol/serverInfo",
                        json_pack("{s:s,s:s}", "name", SERVER_NAME, "version", WL_VERSION));
    if (cache) {
      json_object_set_new(res, "ttlMs", json_integer(0));
      json_object_set_new(res, "cacheScope", json_string("public"));
    }
  }
  conf_send_json(emit, payload,
                 json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", res),
                 MCP_EMIT_FINAL);
}

void conf_error(mcp_emit_fn emit, void *payload, const json_t *id, int code, const char *msg,
                json_t *data)
{
  json_t *e = json_pack("{s:i,s:s}", "code", code, "message", msg);
  if (data)
    json_object_set_new(e, "data", data);
  conf_send_json(emit, payload, json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "error", e),
                 MCP_EMIT_FINAL);
}

void conf_text_result(const conf_call *c, const char *text)
{
  conf_result(c->emit, c->payload, c->id, json_pack("{s:[o]}", "content", conf_text_block(text)),
              c->modern, 0);
}

static json_t *caps(int modern)
{
  if (modern) /* 2026-07-28: no resources/subscribe, no logging capability, no listChanged streams */
    return json_pack("{s:{},s:{},s:{},s:{},s:{s:{}}}", "tools", "resources", "prompts",
                     "completions", "extensions", "io.modelcontextprotocol/tasks");
  return json_pack("{s:{s:b},s:{s:b,s:b},s:{s:b},s:{},s:{}}", "tools", "listChanged", 0,
                   "resources", "subscribe", 1, "listChanged", 0, "prompts", "listChanged", 0,
                   "logging", "completions");
}

static json_t *empty_schema(void)
{
  return json_pack("{s:s,s:{}}", "type", "object", "properties");
}

static json_t *tool(const char *name, const char *desc, json_t *schema)
{
  return json_pack("{s:s,s:s,s:o}", "name", name, "description", desc, "inputSchema",
                   schema ? schema : empty_schema());
}

static json_t *tools_list_base(void);
static json_t *tools_list(int modern)
{
  json_t *list = tools_list_base();
  conf_legacy_tools(list);
  if (modern) {
    conf_mrtr_tools(list);
    conf_tasks_tools(list);
  }
  return list;
}

static json_t *tools_list_base(void)
{
  json_t *schema2020 = json_loads(
      "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
      "\"$defs\":{\"address\":{\"$anchor\":\"address\",\"type\":\"object\",\"properties\":"
      "{\"street\":{\"type\":\"string\"},\"city\":{\"type\":\"string\"}}}},"
      "\"properties\":{\"name\":{\"type\":\"string\"},\"address\":{\"$ref\":\"#/$defs/address\"}},"
      "\"allOf\":[{\"anyOf\":[{\"required\":[\"name\"]},{\"required\":[\"address\"]},{\"maxProperties\":0}]}],"
      "\"if\":{\"required\":[\"address\"]},\"then\":{\"properties\":{\"address\":{\"type\":\"object\"}}},"
      "\"else\":{\"properties\":{\"name\":{\"type\":\"string\"}}},"
      "\"additionalProperties\":false}",
      0, NULL);
  return json_pack(
      "[o,o,o,o,o,o,o,o,o,o,o]",
      tool("test_simple_text", "Tests simple text content response", NULL),
      tool("test_image_content", "Tests image content response", NULL),
      tool("test_audio_content", "Tests audio content response", NULL),
      tool("test_embedded_resource", "Tests embedded resource content response", NULL),
      tool("test_multiple_content_types",
           "Tests response with multiple content types (text, image, resource)", NULL),
      tool("test_tool_with_logging", "Tests tool that emits log messages during execution", NULL),
      tool("test_tool_with_progress", "Tests tool that reports progress notifications", NULL),
      tool("test_error_handling", "Tests error response handling", NULL),
      tool("json_schema_2020_12_tool",
           "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)", schema2020),
      tool("test_missing_capability",
           "Requires the sampling client capability (2026-07-28 -32021 check)", NULL),
      tool("test_logging_tool", "Logs only when the request's _meta logLevel asks for it", NULL));
}

json_t *conf_text_block(const char *t)
{
  return json_pack("{s:s,s:s}", "type", "text", "text", t);
}

static void log_note(mcp_emit_fn emit, void *payload, const char *text)
{
  conf_send_json(emit, payload,
                 json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "jsonrpc", "2.0", "method",
                           "notifications/message", "params", "level", "info", "logger",
                           SERVER_NAME, "data", text),
                 MCP_EMIT_NOTIFICATION);
}

/* 1 handled, 0 not a fixture tool. */
static int call_tool(const conf_call *c)
{
  const json_t *id = c->id, *params = c->params;
  int modern = c->modern;
  mcp_emit_fn emit = c->emit;
  void *payload = c->payload;
  const char *name = json_string_value(json_object_get(params, "name"));
  const json_t *meta = json_object_get(params, "_meta");
  json_t *content = NULL;
  int is_error = 0;
  if (!name)
    return 0;
  if (conf_mrtr_call(c, name) || conf_tasks_call(c, name) || conf_legacy_call(c, name))
    return 1;
  if (!strcmp(name, "test_simple_text")) {
    content = json_pack("[o]", conf_text_block("This is a simple text response for testing."));
  } else if (!strcmp(name, "test_image_content")) {
    content = json_pack("[{s:s,s:s,s:s}]", "type", "image", "data", IMG_B64, "mimeType",
                        "image/png");
  } else if (!strcmp(name, "test_audio_content")) {
    content = json_pack("[{s:s,s:s,s:s}]", "type", "audio", "data", WAV_B64, "mimeType",
                        "audio/wav");
  } else if (!strcmp(name, "test_embedded_resource")) {
    content = json_pack("[{s:s,s:{s:s,s:s,s:s}}]", "type", "resource", "resource", "uri",
                        "test://embedded-resource", "mimeType", "text/plain", "text",
                        "This is an embedded resource content.");
  } else if (!strcmp(name, "test_multiple_content_types")) {
    content = json_pack("[o,{s:s,s:s,s:s},{s:s,s:{s:s,s:s,s:s}}]",
                        conf_text_block("Multiple content types test:"), "type", "image", "data",
                        IMG_B64, "mimeType", "image/png", "type", "resource", "resource", "uri",
                        "test://mixed-content-resource", "mimeType", "application/json", "text",
                        "{\"test\":\"data\",\"value\":123}");
  } else if (!strcmp(name, "test_tool_with_logging") || !strcmp(name, "test_logging_tool")) {
    int may_log = !modern ||
                  json_is_string(json_object_get(meta, "io.modelcontextprotocol/logLevel"));
    if (may_log) {
      log_note(emit, payload, "Tool execution started");
      log_note(emit, payload, "Tool processing data");
      log_note(emit, payload, "Tool execution completed");
    }
    content = json_pack("[o]", conf_text_block("Tool with logging executed successfully"));
  } else if (!strcmp(name, "test_tool_with_progress")) {
    const json_t *tok = json_object_get(meta, "progressToken");
    for (int step = 0; tok && step <= 100; step += 50) {
      char m[64];
      snprintf(m, sizeof m, "Completed step %d of 100", step);
      conf_send_json(emit, payload,
                     json_pack("{s:s,s:s,s:{s:O,s:i,s:i,s:s}}", "jsonrpc", "2.0", "method",
                               "notifications/progress", "params", "progressToken", tok, "progress",
                               step, "total", 100, "message", m),
                     MCP_EMIT_NOTIFICATION);
    }
    char t[128];
    if (json_is_string(tok))
      snprintf(t, sizeof t, "%s", json_string_value(tok));
    else
      snprintf(t, sizeof t, "%lld", tok ? (long long)json_integer_value(tok) : 0LL);
    content = json_pack("[o]", conf_text_block(t));
  } else if (!strcmp(name, "test_error_handling")) {
    content = json_pack("[o]",
                        conf_text_block("This tool intentionally returns an error for testing"));
    is_error = 1;
  } else if (!strcmp(name, "json_schema_2020_12_tool")) {
    char *a = seal_json_dumps(json_object_get(params, "arguments")
                                  ? json_object_get(params, "arguments")
                                  : json_object(),
                              JSON_COMPACT);
    char t[1024];
    snprintf(t, sizeof t, "JSON Schema 2020-12 tool called with: %s", a ? a : "{}");
    free(a);
    content = json_pack("[o]", conf_text_block(t));
  } else if (!strcmp(name, "test_missing_capability")) {
    const json_t *cc = json_object_get(meta, "io.modelcontextprotocol/clientCapabilities");
    if (!json_object_get(cc, "sampling")) {
      conf_error(emit, payload, id, MCP_ERR_MISSING_CAPABILITY,
                 "Missing required client capability: sampling",
                 json_pack("{s:{s:{}}}", "requiredCapabilities", "sampling"));
      return 1;
    }
    content = json_pack("[o]", conf_text_block("sampling capability declared"));
  } else {
    return 0;
  }
  json_t *res = json_pack("{s:o}", "content", content);
  if (is_error)
    json_object_set_new(res, "isError", json_true());
  conf_result(emit, payload, id, res, modern, 0);
  return 1;
}

static json_t *resource(const char *uri, const char *name, const char *title, const char *desc,
                        const char *mime)
{
  return json_pack("{s:s,s:s,s:s,s:s,s:s}", "uri", uri, "name", name, "title", title, "description",
                   desc, "mimeType", mime);
}

static int read_resource(const json_t *id, const json_t *params, int modern, mcp_emit_fn emit,
                         void *payload)
{
  const char *uri = json_string_value(json_object_get(params, "uri"));
  json_t *c = NULL;
  if (!uri)
    return 0;
  if (!strcmp(uri, "test://static-text")) {
    c = json_pack("{s:s,s:s,s:s}", "uri", uri, "mimeType", "text/plain", "text",
                  "This is the content of the static text resource.");
  } else if (!strcmp(uri, "test://static-binary")) {
    c = json_pack("{s:s,s:s,s:s}", "uri", uri, "mimeType", "image/png", "blob", IMG_B64);
  } else if (!strcmp(uri, "test://watched-resource")) {
    c = json_pack("{s:s,s:s,s:s}", "uri", uri, "mimeType", "text/plain", "text",
                  "Watched resource content");
  } else if (!strncmp(uri, "test://template/", 16)) {
    const char *idp = uri + 16, *slash = strchr(idp, '/');
    if (!slash || strcmp(slash, "/data") != 0 || slash == idp || slash - idp > 200)
      goto notfound;
    char rid[256], text[600];
    snprintf(rid, sizeof rid, "%.*s", (int)(slash - idp), idp);
    json_t *o = json_pack("{s:s,s:b,s:s}", "id", rid, "templateTest", 1, "data", "");
    snprintf(text, sizeof text, "Data for ID: %s", rid);
    json_object_set_new(o, "data", json_string(text));
    char *s = seal_json_dumps(o, JSON_COMPACT);
    json_decref(o);
    c = json_pack("{s:s,s:s,s:s}", "uri", uri, "mimeType", "application/json", "text",
                  s ? s : "{}");
    free(s);
  } else {
    goto notfound;
  }
  conf_result(emit, payload, id, json_pack("{s:[o]}", "contents", c), modern, 1);
  return 1;
notfound:
  conf_error(emit, payload, id, modern ? MCP_JSONRPC_INVALID_PARAMS : -32002, "Resource not found",
             json_pack("{s:s}", "uri", uri));
  return 1;
}

static json_t *msg_text(const char *t)
{
  return json_pack("{s:s,s:o}", "role", "user", "content", conf_text_block(t));
}

static int get_prompt(const conf_call *c)
{
  const json_t *id = c->id, *params = c->params;
  int modern = c->modern;
  mcp_emit_fn emit = c->emit;
  void *payload = c->payload;
  const char *name = json_string_value(json_object_get(params, "name"));
  const json_t *args = json_object_get(params, "arguments");
  json_t *msgs;
  if (!name)
    return 0;
  if (conf_mrtr_prompt(c, name))
    return 1;
  if (!strcmp(name, "test_simple_prompt")) {
    msgs = json_pack("[o]", msg_text("This is a simple prompt for testing."));
  } else if (!strcmp(name, "test_prompt_with_arguments")) {
    const char *a1 = json_string_value(json_object_get(args, "arg1"));
    const char *a2 = json_string_value(json_object_get(args, "arg2"));
    if (!a1 || !a2) {
      conf_error(emit, payload, id, MCP_JSONRPC_INVALID_PARAMS,
                 "Invalid params: arg1 and arg2 are required", NULL);
      return 1;
    }
    char t[1024];
    snprintf(t, sizeof t, "Prompt with arguments: arg1='%.400s', arg2='%.400s'", a1, a2);
    msgs = json_pack("[o]", msg_text(t));
  } else if (!strcmp(name, "test_prompt_with_embedded_resource")) {
    const char *uri = json_string_value(json_object_get(args, "resourceUri"));
    msgs = json_pack("[{s:s,s:{s:s,s:{s:s,s:s,s:s}}},o]", "role", "user", "content", "type",
                     "resource", "resource", "uri", uri ? uri : "test://embedded", "mimeType",
                     "text/plain", "text", "Embedded resource content for testing.",
                     msg_text("Please process the embedded resource above."));
  } else if (!strcmp(name, "test_prompt_with_image")) {
    msgs = json_pack("[{s:s,s:{s:s,s:s,s:s}},o]", "role", "user", "content", "type", "image",
                     "data", IMG_B64, "mimeType", "image/png",
                     msg_text("Please analyze the image above."));
  } else {
    conf_error(emit, payload, id, MCP_JSONRPC_INVALID_PARAMS, "Invalid params: unknown prompt",
               NULL);
    return 1;
  }
  conf_result(emit, payload, id, json_pack("{s:o}", "messages", msgs), modern, 0);
  return 1;
}

static json_t *prompts_list(void)
{
  return json_pack(
      "[{s:s,s:s,s:s},{s:s,s:s,s:s,s:[{s:s,s:s,s:b},{s:s,s:s,s:b}]},{s:s,s:s,s:s,s:[{s:s,s:s,s:b}]},"
      "{s:s,s:s,s:s}]",
      "name", "test_simple_prompt", "title", "Simple Test Prompt", "description",
      "A simple prompt without arguments", "name", "test_prompt_with_arguments", "title",
      "Prompt With Arguments", "description", "A prompt with required arguments", "arguments",
      "name", "arg1", "description", "First test argument", "required", 1, "name", "arg2",
      "description", "Second test argument", "required", 1, "name",
      "test_prompt_with_embedded_resource", "title", "Prompt With Embedded Resource", "description",
      "A prompt that includes an embedded resource", "arguments", "name", "resourceUri",
      "description", "URI of the resource to embed", "required", 1, "name",
      "test_prompt_with_image", "title", "Prompt With Image", "description",
      "A prompt that includes image content");
}

int mcp_conformance_handle(const json_t *msg, int modern, const mcp_conformance_ctx *cx,
                           mcp_emit_fn emit, void *payload)
{
  const json_t *id = json_object_get(msg, "id");
  const char *m = json_string_value(json_object_get(msg, "method"));
  const json_t *params = json_object_get(msg, "params");
  conf_call c = {.id = id,
                 .params = params,
                 .modern = modern,
                 .srv = cx->srv,
                 .sess = cx->sess,
                 .caller = cx->caller,
                 .emit = emit,
                 .payload = payload};
  if (!id || !m)
    return 0;
  if (modern) {
    const json_t *meta = json_object_get(params, "_meta");
    const char *v = json_string_value(
        json_object_get(meta, "io.modelcontextprotocol/protocolVersion"));
    /* malformed modern envelopes: the core answers with the right error */
    if (!v || strcmp(v, MCP_VERSION_MODERN) ||
        !json_is_object(json_object_get(meta, "io.modelcontextprotocol/clientCapabilities")))
      return 0;
  }
  if (!modern && !strcmp(m, "initialize")) {
    const char *req = json_string_value(json_object_get(params, "protocolVersion"));
    const char *ver = MCP_VERSION_LEGACY_LATEST;
    if (req &&
        (!strcmp(req, "2025-11-25") || !strcmp(req, "2025-06-18") || !strcmp(req, "2025-03-26")))
      ver = req;
    conf_result(emit, payload, id,
                json_pack("{s:s,s:o,s:{s:s,s:s}}", "protocolVersion", ver, "capabilities", caps(0),
                          "serverInfo", "name", SERVER_NAME, "version", WL_VERSION),
                0, 0);
    return 1;
  }
  if (modern && !strcmp(m, "server/discover")) {
    conf_result(emit, payload, id,
                json_pack("{s:[s,s,s,s],s:o}", "supportedVersions", MCP_VERSION_MODERN,
                          "2025-11-25", "2025-06-18", "2025-03-26", "capabilities", caps(1)),
                1, 1);
    return 1;
  }
  if (!modern && (!strcmp(m, "ping") || !strcmp(m, "logging/setLevel") ||
                  !strcmp(m, "resources/subscribe") || !strcmp(m, "resources/unsubscribe"))) {
    conf_result(emit, payload, id, json_object(), 0, 0);
    return 1;
  }
  if (!strcmp(m, "tools/list")) {
    conf_result(emit, payload, id, json_pack("{s:o}", "tools", tools_list(modern)), modern, 1);
    return 1;
  }
  if (!strcmp(m, "tools/call"))
    return call_tool(&c);
  if (!strcmp(m, "resources/list")) {
    conf_result(
        emit, payload, id,
        json_pack("{s:[o,o,o]}", "resources",
                  resource("test://static-text", "static-text", "Static Text Resource",
                           "A static text resource for testing", "text/plain"),
                  resource("test://static-binary", "static-binary", "Static Binary Resource",
                           "A static binary resource (image) for testing", "image/png"),
                  resource("test://watched-resource", "watched-resource", "Watched Resource",
                           "A resource that can be subscribed to", "text/plain")),
        modern, 1);
    return 1;
  }
  if (!strcmp(m, "resources/templates/list")) {
    conf_result(emit, payload, id,
                json_pack("{s:[{s:s,s:s,s:s,s:s,s:s}]}", "resourceTemplates", "uriTemplate",
                          "test://template/{id}/data", "name", "template", "title",
                          "Resource Template", "description",
                          "A resource template with parameter substitution", "mimeType",
                          "application/json"),
                modern, 1);
    return 1;
  }
  if (!strcmp(m, "resources/read"))
    return read_resource(id, params, modern, emit, payload);
  if (!strcmp(m, "prompts/list")) {
    json_t *pl = prompts_list();
    if (modern)
      conf_mrtr_prompts(pl);
    conf_result(emit, payload, id, json_pack("{s:o}", "prompts", pl), modern, 1);
    return 1;
  }
  if (!strcmp(m, "prompts/get"))
    return get_prompt(&c);
  if (!strcmp(m, "completion/complete")) {
    conf_result(emit, payload, id,
                json_pack("{s:{s:[],s:i,s:b}}", "completion", "values", "total", 0, "hasMore", 0),
                modern, 0);
    return 1;
  }
  return 0;
}
