/* SPDX-License-Identifier: Apache-2.0
 * serve/http_headers.c — the HTTP header rules of the MCP binding: media-range lists (Accept,
 * Content-Type), header values with `=?base64?...?=` decoding, and the per-era checks of a POST
 * (MCP-Protocol-Version for both eras; for 2026-07-28 the methods it removed, the agreement of
 * MCP-Protocol-Version, Mcp-Method and Mcp-Name with the body). */
#include "serve/http_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int http_has_token(const char *list, const char *tok)
{
  /* comma-separated media ranges, parameters ignored, case-insensitive */
  if (!list)
    return 0;
  size_t tl = strlen(tok);
  const char *p = list;
  while (*p) {
    while (*p == ' ' || *p == ',' || *p == '\t')
      p++;
    const char *e = p;
    while (*e && *e != ',' && *e != ';' && *e != ' ')
      e++;
    if ((size_t)(e - p) == tl && strncasecmp(p, tok, tl) == 0)
      return 1;
    while (*e && *e != ',')
      e++;
    p = e;
  }
  return 0;
}

static int b64_val(int c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

/* Strict RFC 4648 base64 (standard or url alphabet) of n chars into out (cap): the length a
 * multiple of 4, '=' only as the last one or two. 0 ok, -1 bad. */
static int b64_strict(char *out, size_t cap, const char *p, size_t n)
{
  size_t o = 0, pad = 0;
  unsigned acc = 0;
  int bits = 0;
  if (n % 4 != 0)
    return -1;
  while (pad < 2 && pad < n && p[n - 1 - pad] == '=')
    pad++;
  for (size_t i = 0; i < n - pad; i++) {
    int d = b64_val((unsigned char)p[i]);
    if (d < 0)
      return -1;
    acc = (acc << 6) | (unsigned)d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o + 1 >= cap)
        return -1;
      out[o++] = (char)((acc >> bits) & 0xff);
    }
  }
  out[o] = 0;
  return memchr(out, 0, o) ? -1 : 0; /* no NUL inside a header value */
}

/* Header value with OWS trimmed and `=?base64?...?=` decoded; into out (cap). 0 ok, -1 bad. */
static int header_value(char *out, size_t cap, const char *v)
{
  while (*v == ' ' || *v == '\t')
    v++;
  size_t n = strlen(v);
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  if (n >= 11 && strncasecmp(v, "=?base64?", 9) == 0 && strncmp(v + n - 2, "?=", 2) == 0)
    return b64_strict(out, cap, v + 9, n - 11);
  if (n >= cap)
    return -1;
  memcpy(out, v, n);
  out[n] = 0;
  return 0;
}

/* The text a header carries for an argument value: strings as they are, integers, reals and
 * booleans as JSON prints them. 0 ok, -1 for a value a header cannot carry. */
static int arg_text(char *out, size_t cap, const json_t *v)
{
  if (json_is_string(v))
    return json_string_length(v) < cap ? (snprintf(out, cap, "%s", json_string_value(v)), 0) : -1;
  if (json_is_integer(v))
    return snprintf(out, cap, "%lld", (long long)json_integer_value(v)), 0;
  if (json_is_boolean(v))
    return snprintf(out, cap, "%s", json_is_true(v) ? "true" : "false"), 0;
  if (json_is_real(v))
    return snprintf(out, cap, "%.17g", json_real_value(v)), 0;
  return -1;
}

int http_check_param_headers(tp_http_req *r, const json_t *root, const json_t *schema)
{
  const json_t *params = json_object_get(root, "params");
  const json_t *args = json_object_get(params, "arguments");
  const json_t *props = json_object_get(schema, "properties"), *p;
  const json_t *id = json_object_get(root, "id");
  const char *k;
  json_object_foreach((json_t *)props, k, p) {
    const char *hn = json_string_value(json_object_get(p, "x-mcp-header"));
    const json_t *v = json_object_get(args, k);
    char name[160], hv[1024], want[1024], msg[300];
    const char *raw;
    if (!hn || strlen(hn) > 100)
      continue;
    snprintf(name, sizeof name, "Mcp-Param-%s", hn);
    raw = tp_http_req_header(r, name);
    if (!raw && (!v || json_is_null(v)))
      continue;
    if (!raw)
      snprintf(msg, sizeof msg, "Header mismatch: %s header is required (argument %.60s)", name, k);
    else if (header_value(hv, sizeof hv, raw) != 0)
      snprintf(msg, sizeof msg, "Header mismatch: %s is not a valid header value", name);
    else if (!v || json_is_null(v) || arg_text(want, sizeof want, v) != 0 || strcmp(hv, want))
      snprintf(msg, sizeof msg, "Header mismatch: %s does not match argument %.60s", name, k);
    else
      continue;
    http_reply_error(r, 400, id, MCP_ERR_HEADER_MISMATCH, msg, NULL);
    return 400;
  }
  return 0;
}

int http_check_headers(tp_http_req *r, const json_t *root, int *modern_out)
{
  const char *hv = tp_http_req_header(r, "MCP-Protocol-Version");
  const json_t *params = json_object_get(root, "params");
  const json_t *id = json_object_get(root, "id");
  const char *method = json_string_value(json_object_get(root, "method"));
  const char *mv = json_string_value(
      json_object_get(json_object_get(params, "_meta"), "io.modelcontextprotocol/protocolVersion"));
  char hvb[64] = "";
  if (hv && header_value(hvb, sizeof hvb, hv) != 0)
    hvb[0] = 0;
  int modern = mv != NULL || (hv && strcmp(hvb, MCP_VERSION_MODERN) == 0);
  *modern_out = modern;
  if (!method)
    return 0; /* responses, junk: the core answers */
  if (!modern) {
    if (hv && strcmp(hvb, "2025-11-25") && strcmp(hvb, "2025-06-18") && strcmp(hvb, "2025-03-26")) {
      http_reply_error(r, 400, id, MCP_JSONRPC_INVALID_REQUEST,
                       "Bad Request: unsupported MCP-Protocol-Version", NULL);
      return 400;
    }
    return 0;
  }
  static const char *const removed[] = {
      "initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe",
      NULL};
  for (int i = 0; removed[i]; i++)
    if (strcmp(method, removed[i]) == 0) {
      char m[200];
      snprintf(m, sizeof m, "Method not found: %s is not part of protocol %s", method,
               MCP_VERSION_MODERN);
      http_reply_error(r, 404, id, MCP_JSONRPC_METHOD_NOT_FOUND, m, NULL);
      return 404;
    }
  if (!hv) {
    http_reply_error(r, 400, id, MCP_ERR_HEADER_MISMATCH,
                     "Header mismatch: MCP-Protocol-Version header is required", NULL);
    return 400;
  }
  if (id && !mv) {
    http_reply_error(
        r, 400, id, MCP_JSONRPC_INVALID_PARAMS,
        "Invalid params: _meta[\"io.modelcontextprotocol/protocolVersion\"] is required", NULL);
    return 400;
  }
  if (mv && strcmp(hvb, mv) != 0) {
    http_reply_error(r, 400, id, MCP_ERR_HEADER_MISMATCH,
                     "Header mismatch: MCP-Protocol-Version does not match _meta protocolVersion",
                     NULL);
    return 400;
  }
  const char *mh = tp_http_req_header(r, "Mcp-Method");
  char mb[256];
  if (!mh || header_value(mb, sizeof mb, mh) != 0 || strcmp(mb, method) != 0) {
    http_reply_error(r, 400, id, MCP_ERR_HEADER_MISMATCH,
                     mh ? "Header mismatch: Mcp-Method does not match the body's method"
                        : "Header mismatch: Mcp-Method header is required",
                     NULL);
    return 400;
  }
  const char *want = NULL;
  if (!strcmp(method, "tools/call") || !strcmp(method, "prompts/get"))
    want = json_string_value(json_object_get(params, "name"));
  else if (!strcmp(method, "resources/read"))
    want = json_string_value(json_object_get(params, "uri"));
  else if (!strcmp(method, "tasks/get") || !strcmp(method, "tasks/update") ||
           !strcmp(method, "tasks/cancel")) /* SEP-2663: Mcp-Name carries the taskId */
    want = json_string_value(json_object_get(params, "taskId"));
  if (!strcmp(method, "tools/call") || !strcmp(method, "prompts/get") ||
      !strcmp(method, "resources/read") || !strcmp(method, "tasks/get") ||
      !strcmp(method, "tasks/update") || !strcmp(method, "tasks/cancel")) {
    const char *nh = tp_http_req_header(r, "Mcp-Name");
    char nb[1024];
    if (!nh || header_value(nb, sizeof nb, nh) != 0 || !want || strcmp(nb, want) != 0) {
      http_reply_error(r, 400, id, MCP_ERR_HEADER_MISMATCH,
                       nh ? "Header mismatch: Mcp-Name does not match the body"
                          : "Header mismatch: Mcp-Name header is required",
                       NULL);
      return 400;
    }
  }
  return 0;
}
