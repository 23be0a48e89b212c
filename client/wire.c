/* SPDX-License-Identifier: Apache-2.0
 * client/wire.c — the wire form of an MCP client request (client/client_int.h): the JSON-RPC
 * message with its params._meta (progress token, and for the modern era protocol version,
 * client capabilities and client info) as compact text, and header lines, with values that are
 * not visible ASCII encoded as "=?base64?...?=" (2026-07-28). client/client.c sends them. */
#include "client/client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "Name: value" into a fresh string. */
char *mcp_client__hdr(const char *name, const char *value)
{
  size_t n = strlen(name) + strlen(value) + 3;
  char *s = malloc(n);
  if (s)
    snprintf(s, n, "%s: %s", name, value);
  return s;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A header value: as is when it is visible ASCII, else "=?base64?...?=" (2026-07-28). */
char *mcp_client__header_safe(const char *v)
{
  int plain = *v != 0;
  for (const char *p = v; *p; p++)
    if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
      plain = 0;
  if (plain)
    return strdup(v);
  size_t n = strlen(v), o = 0;
  char *s = malloc(9 + (n + 2) / 3 * 4 + 3);
  if (!s)
    return NULL;
  memcpy(s, "=?base64?", 9);
  o = 9;
  for (size_t i = 0; i < n; i += 3) {
    unsigned a = (unsigned char)v[i], b = i + 1 < n ? (unsigned char)v[i + 1] : 0,
             cc = i + 2 < n ? (unsigned char)v[i + 2] : 0;
    unsigned t = a << 16 | b << 8 | cc;
    s[o++] = B64[t >> 18 & 63];
    s[o++] = B64[t >> 12 & 63];
    s[o++] = i + 1 < n ? B64[t >> 6 & 63] : '=';
    s[o++] = i + 2 < n ? B64[t & 63] : '=';
  }
  memcpy(s + o, "?=", 3);
  return s;
}

/* Builds {"jsonrpc":"2.0",["id":id,]"method":m,"params":{...,_meta}} as compact text. */
char *mcp_client__build(const char *client_name, const char *client_version, const char *method,
                        json_int_t id, const json_t *params, int modern,
                        const json_t *progress_token, const json_t *extra_meta, size_t *len)
{
  json_t *p = params ? json_deep_copy(params) : json_object();
  json_t *meta = json_object_get(p, "_meta");
  if (meta && !json_is_object(meta)) {
    json_decref(p);
    return NULL;
  }
  if (!meta) {
    meta = json_object();
    json_object_set_new(p, "_meta", meta);
  }
  if (extra_meta)
    json_object_update(meta, (json_t *)extra_meta);
  if (progress_token)
    json_object_set(meta, "progressToken", (json_t *)progress_token);
  if (modern) {
    json_object_set_new(meta, "io.modelcontextprotocol/protocolVersion",
                        json_string(MCP_CLIENT__MODERN));
    if (!json_object_get(meta, "io.modelcontextprotocol/clientCapabilities"))
      json_object_set_new(meta, "io.modelcontextprotocol/clientCapabilities", json_object());
    json_object_set_new(meta, "io.modelcontextprotocol/clientInfo",
                        json_pack("{s:s,s:s}", "name", client_name, "version", client_version));
  }
  if (json_object_size(meta) == 0)
    json_object_del(p, "_meta");
  json_t *m = json_pack("{s:s,s:s,s:o}", "jsonrpc", "2.0", "method", method, "params", p);
  if (m && id)
    json_object_set_new(m, "id", json_integer(id));
  char *s = m ? seal_json_dumps(m, JSON_COMPACT) : NULL;
  json_decref(m);
  if (s)
    *len = strlen(s);
  return s;
}
