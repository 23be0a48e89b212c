/* SPDX-License-Identifier: Apache-2.0
 * mcp/mrtr.c — multi-round-trip requests (SEP-2322, spec/mcp.md §5.3): the opaque requestState a
 * server hands out with an InputRequiredResult and takes back on the retry. The state is the
 * base64url of a small JSON envelope {p: purpose, e: expiry ms, s: state} followed by "." and the
 * base64url HMAC-SHA-256 of the caller id and that text, under a per-process random key held in
 * sodium_malloc memory (created with the server, wiped with it). A state therefore cannot be
 * altered, replayed by another caller, used for another purpose or after its expiry; a server
 * restart invalidates every state in flight (the client starts the request again). */
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MAX (64u * 1024u) /* longest requestState accepted */

int mcp__state_key_init(mcp_server *srv)
{
  srv->state_key = (uint8_t *)seal_secret_alloc(SEAL_HMAC_KEY_BYTES);
  if (!srv->state_key)
    return -1;
  seal_random(srv->state_key, SEAL_HMAC_KEY_BYTES);
  return 0;
}

void mcp__state_key_free(mcp_server *srv)
{
  seal_secret_free((char *)srv->state_key);
  srv->state_key = NULL;
}

/* HMAC over caller id, a newline and the payload text, base64url (new) or NULL. */
static char *state_mac(const mcp_server *srv, const char *caller_id, const char *b64, size_t n)
{
  size_t cl = strlen(caller_id);
  uint8_t mac[SEAL_HMAC_BYTES];
  char *buf = malloc(cl + 1 + n), *out;
  if (!buf)
    return NULL;
  memcpy(buf, caller_id, cl);
  buf[cl] = '\n';
  memcpy(buf + cl + 1, b64, n);
  seal_hmac_sha256(mac, srv->state_key, buf, cl + 1 + n);
  free(buf);
  out = seal_b64url_encode(mac, sizeof mac);
  seal_wipe(mac, sizeof mac);
  return out;
}

char *mcp_state_seal(mcp_server *srv, const char *caller_id, const char *purpose,
                     const json_t *state)
{
  return mcp_state_seal_ttl(srv, caller_id, purpose, state, MCP_STATE_TTL_MS);
}

char *mcp_state_seal_ttl(mcp_server *srv, const char *caller_id, const char *purpose,
                         const json_t *state, int64_t ttl_ms)
{
  json_t *env;
  char *text, *b64, *mac, *out = NULL;
  if (!srv || !srv->state_key || !caller_id || !purpose || !state)
    return NULL;
  env = json_pack("{s:s,s:I,s:O}", "p", purpose, "e", (json_int_t)(mcp_now_ms() + ttl_ms), "s",
                  state);
  text = env ? seal_json_dumps(env, JSON_COMPACT) : NULL;
  json_decref(env);
  b64 = text ? seal_b64url_encode((const uint8_t *)text, strlen(text)) : NULL;
  free(text);
  mac = b64 ? state_mac(srv, caller_id, b64, strlen(b64)) : NULL;
  if (mac && (out = malloc(strlen(b64) + strlen(mac) + 2)) != NULL)
    snprintf(out, strlen(b64) + strlen(mac) + 2, "%s.%s", b64, mac);
  free(b64);
  free(mac);
  return out;
}

json_t *mcp_state_open(mcp_server *srv, const char *caller_id, const char *purpose,
                       const char *token)
{
  const char *dot;
  char *mac;
  uint8_t *raw = NULL;
  size_t rawlen = 0, n;
  json_t *env, *state = NULL;
  int ok;
  if (!srv || !srv->state_key || !caller_id || !purpose || !token || strlen(token) > STATE_MAX ||
      !(dot = strchr(token, '.')))
    return NULL;
  n = (size_t)(dot - token);
  mac = state_mac(srv, caller_id, token, n);
  ok = mac && strlen(mac) == strlen(dot + 1) && seal_memcmp(mac, dot + 1, strlen(mac)) == 0;
  free(mac);
  if (!ok || seal_b64url_decode(&raw, &rawlen, token, n) != SEAL_OK)
    return NULL;
  env = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL);
  free(raw);
  if (json_is_object(env) &&
      !strcmp(json_string_value(json_object_get(env, "p"))
                  ? json_string_value(json_object_get(env, "p"))
                  : "",
              purpose) &&
      json_integer_value(json_object_get(env, "e")) >= mcp_now_ms())
    state = json_incref(json_object_get(env, "s"));
  json_decref(env);
  return state;
}

json_t *mcp_input_required(json_t *input_requests, const char *request_state)
{
  json_t *res = json_pack("{s:s,s:o}", "resultType", "input_required", "inputRequests",
                          input_requests ? input_requests : json_object());
  if (res && request_state)
    json_object_set_new(res, "requestState", json_string(request_state));
  return res;
}

json_t *mcp_elicit_request(const char *message, json_t *schema)
{
  return json_pack("{s:s,s:{s:s,s:o}}", "method", "elicitation/create", "params", "message",
                   message, "requestedSchema", schema ? schema : json_object());
}

int mcp_caps_has(const json_t *client_caps, const char *name)
{
  return json_object_get(client_caps, name) != NULL;
}
