/* SPDX-License-Identifier: Apache-2.0
 * mcp/jsonrpc.c — JSON-RPC 2.0 with limits for the MCP core: the pre-scan that enforces size,
 * depth, string length and NUL bytes before jansson sees the bytes, the envelope parse of
 * mcp_submit (object, id, jsonrpc, method, params; batches refused), mcp_peek_method, and the
 * construction and emission of result and error messages through the binding's callback, and
 * the small result builders of tools/call (a text result, a result's text block, a call's log line). */
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *mcp__error_msg(const json_t *id, int code, const char *message, json_t *data)
{
  json_t *err = json_pack("{s:i,s:s}", "code", code, "message", message ? message : "error");
  if (err && data)
    json_object_set_new(err, "data", data);
  else if (data)
    json_decref(data);
  return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", err);
}

json_t *mcp__result_msg(const json_t *id, json_t *result)
{
  return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", result);
}

static void emit_raw(mcp_emit_fn emit, void *payload, json_t *msg, unsigned flags)
{
  char *text = msg ? seal_json_dumps(msg, JSON_COMPACT) : NULL;
  if (!text && !(flags & MCP_EMIT_FINAL)) {
    json_decref(msg); /* a notification that could not be built or serialised: dropped */
    return;
  }
  if (!text) {
    /* building or serialising the response failed (out of memory): say so, never go silent */
    static const char oom[] =
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"out of memory\"}}";
    emit(oom, sizeof oom - 1, flags, payload);
  } else {
    emit(text, text ? strlen(text) : 0, flags, payload);
  }
  free(text);
  json_decref(msg);
}

void mcp__emit_json(mcp_req *r, json_t *msg, unsigned flags)
{
  emit_raw(r->emit, r->payload, msg, flags);
}

/* ---- JSON-RPC pre-scan: limits before jansson sees the bytes -------------------------------- */

typedef struct scan_limits {
  size_t max_message;
  int max_depth;
  size_t max_string;
} scan_limits;

/* Returns 0 or a JSON-RPC error code with a message. */
static int prescan(const char *msg, size_t len, const scan_limits *lim, char *why, size_t cap)
{
  int depth = 0, in_str = 0, esc = 0;
  size_t str_start = 0;
  if (len > lim->max_message) {
    snprintf(why, cap, "message of %zu bytes exceeds the limit of %zu bytes", len,
             lim->max_message);
    return MCP_JSONRPC_INVALID_REQUEST;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)msg[i];
    if (in_str) {
      if (esc)
        esc = 0;
      else if (ch == '\\')
        esc = 1;
      else if (ch == '"') {
        in_str = 0;
        if (i - str_start > lim->max_string) {
          snprintf(why, cap, "a string exceeds the limit of %zu bytes", lim->max_string);
          return MCP_JSONRPC_INVALID_REQUEST;
        }
      }
      continue;
    }
    if (ch == '"') {
      in_str = 1;
      str_start = i;
    } else if (ch == '[' || ch == '{') {
      if (++depth > lim->max_depth) {
        snprintf(why, cap, "Parse error: JSON nesting deeper than %d levels", lim->max_depth);
        return MCP_JSONRPC_PARSE_ERROR;
      }
    } else if (ch == ']' || ch == '}') {
      depth--;
    } else if (ch == 0) {
      snprintf(why, cap, "Parse error: NUL byte in message");
      return MCP_JSONRPC_PARSE_ERROR;
    }
  }
  if (in_str && len - str_start > lim->max_string) {
    snprintf(why, cap, "a string exceeds the limit of %zu bytes", lim->max_string);
    return MCP_JSONRPC_INVALID_REQUEST;
  }
  return 0;
}

int mcp_peek_method(const char *msg, size_t len, char *method_out, size_t mcap, char *name_out,
                    size_t ncap)
{
  scan_limits lim = {MCP_DEFAULT_MAX_MESSAGE, MCP_DEFAULT_MAX_DEPTH, MCP_DEFAULT_MAX_STRING};
  char why[160];
  json_t *root, *m, *p;
  if (!msg || prescan(msg, len, &lim, why, sizeof why) != 0)
    return MCP_EINVAL;
  root = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL);
  m = json_object_get(root, "method");
  if (!json_is_string(m)) {
    json_decref(root);
    return MCP_EINVAL;
  }
  if (method_out && mcap)
    snprintf(method_out, mcap, "%s", json_string_value(m));
  if (name_out && ncap) {
    const char *n;
    p = json_object_get(root, "params");
    n = json_string_value(json_object_get(p, "name"));
    if (!n)
      n = json_string_value(json_object_get(p, "uri"));
    snprintf(name_out, ncap, "%s", n ? n : "");
  }
  json_decref(root);
  return MCP_OK;
}

void mcp__reply_error(mcp_emit_fn emit, void *payload, const json_t *id, int code, const char *m,
                      json_t *data)
{
  emit_raw(emit, payload, mcp__error_msg(id, code, m, data), MCP_EMIT_FINAL);
}

void mcp__reply_result(mcp_emit_fn emit, void *payload, const json_t *id, json_t *result)
{
  emit_raw(emit, payload, mcp__result_msg(id, result), MCP_EMIT_FINAL);
}

/* Decodes msg under the server's limits into a JSON object (new reference), or answers the
 * error itself and returns NULL. */
static json_t *decode_object(const mcp_server *srv, const char *msg, size_t len, mcp_emit_fn emit,
                             void *payload)
{
  scan_limits lim = {srv->max_message, srv->max_depth, srv->max_string};
  char why[200];
  json_error_t jerr;
  json_t *root;
  int code;

  if (!msg) {
    mcp__reply_error(emit, payload, NULL, MCP_JSONRPC_INVALID_REQUEST, "empty message", NULL);
    return NULL;
  }
  if ((code = prescan(msg, len, &lim, why, sizeof why)) != 0) {
    mcp__reply_error(emit, payload, NULL, code, why, NULL);
    return NULL;
  }
  root = json_loadb(msg, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
  if (!root) {
    snprintf(why, sizeof why, "Parse error: %s", jerr.text);
    mcp__reply_error(emit, payload, NULL, MCP_JSONRPC_PARSE_ERROR, why, NULL);
    return NULL;
  }
  if (json_is_array(root)) {
    json_decref(root);
    mcp__reply_error(emit, payload, NULL, MCP_JSONRPC_INVALID_REQUEST,
                     "Invalid Request: JSON-RPC batches are not supported", NULL);
    return NULL;
  }
  if (!json_is_object(root)) {
    json_decref(root);
    mcp__reply_error(emit, payload, NULL, MCP_JSONRPC_INVALID_REQUEST,
                     "Invalid Request: a JSON-RPC message must be an object", NULL);
    return NULL;
  }
  return root;
}

/* Checks the envelope of the decoded object: 0 when env is a request, notification or response,
 * otherwise the error (or, for a notification with bad params, nothing) has been emitted. */
static int check_envelope(json_t *root, mcp_emit_fn emit, void *payload, mcp_envelope *env)
{
  json_t *id = json_object_get(root, "id");
  json_t *method = json_object_get(root, "method");
  const char *why = NULL;
  int code = MCP_JSONRPC_INVALID_REQUEST;

  if (id && !json_is_string(id) && !json_is_integer(id)) {
    mcp__reply_error(emit, payload, NULL, code,
                     "Invalid Request: id must be a string or an integer", NULL);
    return -1;
  }
  env->id = id;
  env->params = json_object_get(root, "params");
  if (!json_is_string(json_object_get(root, "jsonrpc")) ||
      strcmp(json_string_value(json_object_get(root, "jsonrpc")), "2.0") != 0)
    why = "Invalid Request: jsonrpc must be \"2.0\"";
  else if (!method && id && (json_object_get(root, "result") || json_object_get(root, "error")))
    env->response = 1;
  else if (!method)
    why = "Invalid Request: no method, result or error";
  else if (!json_is_string(method))
    why = "Invalid Request: method must be a string";
  else if (env->params && !json_is_object(env->params)) {
    if (!id) {
      emit(NULL, 0, MCP_EMIT_FINAL, payload);
      return -1;
    }
    code = MCP_JSONRPC_INVALID_PARAMS;
    why = "Invalid params: params must be an object";
  }
  if (why) {
    mcp__reply_error(emit, payload, id, code, why, NULL);
    return -1;
  }
  env->method = json_string_value(method);
  return 0;
}

int mcp__jsonrpc_parse(const mcp_server *srv, const char *msg, size_t len, mcp_emit_fn emit,
                       void *payload, mcp_envelope *env)
{
  json_t *root = decode_object(srv, msg, len, emit, payload);
  memset(env, 0, sizeof *env);
  if (!root)
    return -1;
  if (check_envelope(root, emit, payload, env) != 0) {
    json_decref(root);
    memset(env, 0, sizeof *env);
    return -1;
  }
  env->root = root;
  return 0;
}

json_t *mcp__text_result(const char *text, int is_error)
{
  json_t *res = json_pack("{s:[{s:s,s:s}]}", "content", "type", "text", "text", text);
  if (is_error && json_object_set_new(res, "isError", json_true()) != 0) {
    json_decref(res); /* out of memory: never an error result that reads as a success */
    return NULL;
  }
  return res;
}

void mcp__call_log_line(mcp_req *r, const char *line, mcp_log_level lvl, int to_client)
{
  if (!line[0])
    return;
  mcp_log(MCP_LOG_INFO, "%s", line);
  if (to_client)
    mcp__client_log(r, lvl, line);
}

char *mcp__result_text(const mcp_server *srv, const char *tool, const json_t *payload)
{
  char *payload_text = seal_json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY), *text;
  size_t tlen;
  if (!payload_text || strncmp(tool, "motebit_", 8) != 0)
    return payload_text;
  tlen = strlen(payload_text) + 64;
  text = malloc(tlen);
  if (text)
    snprintf(text, tlen, "%s\n[motebit:%.8s key:%.16s]", payload_text, srv->motebit_id,
             seal_key_pk_hex(srv->key));
  free(payload_text);
  return text;
}
