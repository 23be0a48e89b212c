/* SPDX-License-Identifier: Apache-2.0
 * client/llm.c — OpenAI-compatible chat completions (client/llm.h): the request body, the
 * Authorization header in sodium_malloc memory, the streamed chunks read as server-sent events
 * while they arrive (each delta appended to the answer and handed to the caller), the single-JSON
 * reply of servers that do not stream, and the classification of failures into the client's error
 * codes with the endpoint's own error message where it gave one. */
#include "client/client_int.h"
#include "client/llm.h"
#include "crypto/seal.h"
#include "transports/http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLM_DEFAULT_TIMEOUT_MS 120000L
#define LLM_DEFAULT_CONNECT_MS 10000L
#define LLM_DEFAULT_MAX_OUTPUT (1024u * 1024u)

typedef struct llm_rx {
  const llm_opts *o;
  char *text;
  size_t len, cap, max;
  char *model;
  int done, toobig, oom, bad;
  char why[200];
} llm_rx;

static int rx_add(llm_rx *x, const char *d, size_t n)
{
  if (x->len + n > x->max) {
    x->toobig = 1;
    return -1;
  }
  if (x->len + n + 1 > x->cap) {
    size_t cap = x->cap ? x->cap : 1024;
    while (cap < x->len + n + 1)
      cap *= 2;
    char *nt = realloc(x->text, cap);
    if (!nt) {
      x->oom = 1;
      return -1;
    }
    x->text = nt;
    x->cap = cap;
  }
  memcpy(x->text + x->len, d, n);
  x->len += n;
  x->text[x->len] = '\0';
  return 0;
}

static void rx_model(llm_rx *x, const json_t *obj)
{
  const char *m = json_string_value(json_object_get(obj, "model"));
  if (m && !x->model)
    x->model = strdup(m);
}

/* The endpoint's own error message ({"error":{"message":...}} or {"error":"..."}), or NULL. */
static const char *error_message(const json_t *obj)
{
  const json_t *e = json_object_get(obj, "error");
  if (json_is_string(e))
    return json_string_value(e);
  if (json_is_object(e))
    return json_string_value(json_object_get(e, "message"));
  return NULL;
}

/* One SSE event of the stream: a chunk, [DONE] or an error object. 1 = stop reading. */
static int on_event(const char *event, const char *data, size_t len, void *payload)
{
  llm_rx *x = payload;
  json_error_t je;
  json_t *chunk, *content;
  (void)event;
  if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
    x->done = 1;
    return 1;
  }
  if (!(chunk = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je)) || !json_is_object(chunk)) {
    json_decref(chunk);
    x->bad = 1;
    snprintf(x->why, sizeof x->why, "a stream chunk is not a JSON object");
    return 1;
  }
  if (error_message(chunk) || json_object_get(chunk, "error")) {
    const char *m = error_message(chunk);
    x->bad = 1;
    mcp_client__clip(x->why, sizeof x->why, m ? m : "the endpoint reported an error");
    json_decref(chunk);
    return 1;
  }
  rx_model(x, chunk);
  content = json_object_get(
      json_object_get(json_array_get(json_object_get(chunk, "choices"), 0), "delta"), "content");
  if (json_is_string(content) && json_string_length(content) > 0) {
    size_t n = json_string_length(content);
    if (rx_add(x, json_string_value(content), n) != 0) {
      json_decref(chunk);
      return 1;
    }
    if (x->o->on_delta)
      x->o->on_delta(json_string_value(content), n, x->len, x->o->payload);
  }
  json_decref(chunk);
  return 0;
}

static int should_abort(void *payload)
{
  llm_rx *x = payload;
  return x->o->cancelled && x->o->cancelled(x->o->payload);
}

/* A reply that is one JSON completion (a server that does not stream). */
static int whole_reply(llm_rx *x, const tp_httpc_response *r, mcp_client_err *err)
{
  json_error_t je;
  json_t *doc = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je), *content;
  int rc = MCP_CLIENT_OK;
  content = json_object_get(
      json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message"), "content");
  if (!json_is_string(content)) {
    mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, r->status, 0,
                     "chat endpoint: the reply is not a chat completion (no "
                     "choices[0].message.content)");
    rc = MCP_CLIENT_EPROTOCOL;
  } else {
    rx_model(x, doc);
    if (rx_add(x, json_string_value(content), json_string_length(content)) != 0)
      rc = x->toobig ? MCP_CLIENT_ETOOBIG : MCP_CLIENT_ERROR;
    else if (x->o->on_delta && x->len)
      x->o->on_delta(x->text, x->len, x->len, x->o->payload);
  }
  json_decref(doc);
  return rc;
}

static int http_status_fail(const tp_httpc_response *r, mcp_client_err *err)
{
  json_error_t je;
  json_t *doc = r->body ? json_loadb(r->body, r->len, 0, &je) : NULL;
  const char *m = error_message(doc);
  char clip[200];
  int code = r->status == 401   ? MCP_CLIENT_EAUTH
             : r->status == 403 ? MCP_CLIENT_EFORBIDDEN
                                : MCP_CLIENT_EHTTP;
  mcp_client__clip(clip, sizeof clip, m ? m : (r->body && r->len < 200 ? r->body : ""));
  mcp_client__fail(err, code, r->status, 0, "chat endpoint answered HTTP %ld%s%s%s", r->status,
                   clip[0] ? ": " : "", clip,
                   r->status == 401 ? " (check the key named by api_key_env)" : "");
  json_decref(doc);
  return code;
}

static int transfer_fail(int trc, const llm_opts *o, long timeout_ms, const char *terr,
                         mcp_client_err *err)
{
  (void)o;
  switch (trc) {
  case TP_HTTPC_ETIMEOUT:
    mcp_client__fail(err, MCP_CLIENT_ETIMEOUT, 0, 0,
                     "chat endpoint: no complete answer within %ld ms", timeout_ms);
    return MCP_CLIENT_ETIMEOUT;
  case TP_HTTPC_ECONNECT:
    mcp_client__fail(err, MCP_CLIENT_EUNREACHABLE, 0, 0, "chat endpoint unreachable: %s", terr);
    return MCP_CLIENT_EUNREACHABLE;
  case TP_HTTPC_ECANCELLED:
    mcp_client__fail(err, MCP_CLIENT_ECANCELLED, 0, 0, "chat endpoint: cancelled");
    return MCP_CLIENT_ECANCELLED;
  case TP_HTTPC_ETOOBIG:
    mcp_client__fail(err, MCP_CLIENT_ETOOBIG, 0, 0, "chat endpoint: the reply is too large");
    return MCP_CLIENT_ETOOBIG;
  case TP_HTTPC_EINVAL:
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "chat endpoint: %s", terr);
    return MCP_CLIENT_EINVAL;
  default:
    mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "chat endpoint: %s",
                     terr[0] ? terr : "HTTP client failure");
    return MCP_CLIENT_ERROR;
  }
}

/* What the HTTP exchange produced, turned into a code (the answer is in x). */
static int classify(llm_rx *x, int trc, const tp_httpc_response *r, long timeout_ms,
                    const char *terr, mcp_client_err *err)
{
  int streamed = r->content_type && strncmp(r->content_type, "text/event-stream", 17) == 0;
  if (x->oom) {
    mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "chat endpoint: out of memory");
    return MCP_CLIENT_ERROR;
  }
  if (x->toobig) {
    mcp_client__fail(err, MCP_CLIENT_ETOOBIG, r->status, 0,
                     "chat endpoint: the answer exceeded max_output_bytes (%zu bytes)", x->max);
    return MCP_CLIENT_ETOOBIG;
  }
  if (trc != TP_HTTPC_OK && trc != TP_HTTPC_EABORTED)
    return transfer_fail(trc, x->o, timeout_ms, terr, err);
  if (r->status < 200 || r->status > 299)
    return http_status_fail(r, err);
  if (x->bad) {
    mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, r->status, 0, "chat endpoint: %s", x->why);
    return MCP_CLIENT_EPROTOCOL;
  }
  if (!streamed) {
    int rc = whole_reply(x, r, err);
    if (rc != MCP_CLIENT_OK)
      return rc;
  }
  if (x->len == 0) {
    mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, r->status, 0,
                     "chat endpoint: the answer is empty%s",
                     streamed && !x->done ? " (the stream ended without [DONE])" : "");
    return MCP_CLIENT_EPROTOCOL;
  }
  {
    json_t *s = json_stringn(x->text, x->len); /* valid UTF-8, no NUL */
    int ok = s && strlen(x->text) == x->len;
    json_decref(s);
    if (!ok) {
      mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, r->status, 0,
                       "chat endpoint: the answer is not UTF-8 text");
      return MCP_CLIENT_EPROTOCOL;
    }
  }
  return MCP_CLIENT_OK;
}

static char *request_body(const llm_opts *o, const json_t *messages, size_t *len)
{
  json_t *b = json_pack("{s:s,s:O,s:b}", "model", o->model, "messages", messages, "stream", 1);
  char *s;
  if (!b)
    return NULL;
  if (o->max_tokens > 0)
    json_object_set_new(b, "max_tokens", json_integer(o->max_tokens));
  s = seal_json_dumps(b, JSON_COMPACT);
  json_decref(b);
  if (s)
    *len = strlen(s);
  return s;
}

int llm_chat(const llm_opts *o, const json_t *messages, char **text_out, char **model_out,
             mcp_client_err *err)
{
  char *url = NULL, *body = NULL, *auth = NULL, terr[300] = "";
  const char *h[5] = {"Content-Type: application/json", "Accept: text/event-stream", NULL};
  size_t blen = 0, ulen;
  llm_rx x;
  tp_httpc_response r;
  tp_httpc_opts to;
  int rc, trc;

  *text_out = NULL;
  if (model_out)
    *model_out = NULL;
  if (!o || !o->base_url || !o->model || !json_is_array(messages)) {
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0,
                     "chat endpoint: base_url, model and a messages array are required");
    return MCP_CLIENT_EINVAL;
  }
  memset(&x, 0, sizeof x);
  memset(&r, 0, sizeof r);
  x.o = o;
  x.max = o->max_output ? o->max_output : LLM_DEFAULT_MAX_OUTPUT;
  ulen = strlen(o->base_url);
  while (ulen > 0 && o->base_url[ulen - 1] == '/')
    ulen--;
  rc = MCP_CLIENT_ERROR;
  if (!(url = malloc(ulen + sizeof "/chat/completions")) ||
      !(body = request_body(o, messages, &blen))) {
    mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "chat endpoint: out of memory");
    goto out;
  }
  memcpy(url, o->base_url, ulen);
  memcpy(url + ulen, "/chat/completions", sizeof "/chat/completions");
  if (o->api_key && *o->api_key) {
    size_t kl = strlen(o->api_key);
    if (!(auth = seal_secret_alloc(kl + sizeof "Authorization: Bearer "))) {
      mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "chat endpoint: out of memory");
      goto out;
    }
    memcpy(auth, "Authorization: Bearer ", sizeof "Authorization: Bearer " - 1);
    memcpy(auth + sizeof "Authorization: Bearer " - 1, o->api_key, kl + 1);
    h[2] = auth;
  }
  memset(&to, 0, sizeof to);
  to.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : LLM_DEFAULT_TIMEOUT_MS;
  to.connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
                                                    : LLM_DEFAULT_CONNECT_MS;
  to.max_response = x.max * 8 + 65536; /* chunk framing costs several times the text */
  to.max_event = x.max + 65536;
  to.on_event = on_event;
  to.should_abort = should_abort;
  to.payload = &x;
  trc = tp_httpc_request(&r, "POST", url, h, body, blen, &to, terr, sizeof terr);
  rc = classify(&x, trc, &r, to.timeout_ms, terr, err);
  tp_httpc_response_free(&r);
  if (rc == MCP_CLIENT_OK) {
    *text_out = x.text;
    x.text = NULL;
    if (model_out) {
      *model_out = x.model;
      x.model = NULL;
    }
  }
out:
  free(x.text);
  free(x.model);
  free(url);
  free(body);
  seal_secret_free(auth);
  return rc;
}
