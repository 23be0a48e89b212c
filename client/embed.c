/* SPDX-License-Identifier: Apache-2.0
 * client/embed.c — the embeddings client of client/client.h (mcp_client_embed): one POST of
 * {"model", "input"} to an OpenAI-compatible `{url}/embeddings`, with a bearer key when one is
 * given, total and connect timeouts and a response size cap (transports/http_client.h moves the
 * bytes), and a strict reading of the answer: `data[0].embedding` must be a non-empty array of
 * finite numbers, at most max_dims of them. Failures are classified like the MCP client's
 * (unreachable, timeout, too big, 401/403/404, other HTTP status, malformed answer) with a
 * one-line message that names the URL and never contains the key. No retries, no batching, no
 * logging: the caller decides what a failure means (memory recall falls back to words). */
#include "client/client.h"
#include "client/client_int.h"
#include "crypto/seal.h"

#include "transports/http_client.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMBED_PATH "/embeddings"

/* {url}/embeddings, without a doubled slash. New, NULL on out of memory. */
static char *endpoint(const char *base)
{
  size_t n = strlen(base);
  char *u;
  while (n > 0 && base[n - 1] == '/')
    n--;
  if (!(u = malloc(n + sizeof EMBED_PATH)))
    return NULL;
  memcpy(u, base, n);
  memcpy(u + n, EMBED_PATH, sizeof EMBED_PATH);
  return u;
}

/* A short excerpt of an error answer: its error.message when it is OpenAI-shaped JSON, else the
 * start of the body; "" when the excerpt would contain the key. */
static void excerpt(char *out, size_t cap, const char *body, size_t len, const char *key)
{
  json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
  const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
  if (!m)
    m = json_string_value(json_object_get(j, "error"));
  mcp_client__clip(out, cap, m ? m : body);
  json_decref(j);
  if (key && *key && body && strstr(body, key))
    out[0] = 0;
}

static int http_failure(const char *url, int trc, long timeout_ms, const char *terr,
                        mcp_client_err *err)
{
  switch (trc) {
  case TP_HTTPC_ECONNECT:
    mcp_client__fail(err, MCP_CLIENT_EUNREACHABLE, 0, 0, "POST %s: unreachable (%s)", url, terr);
    return MCP_CLIENT_EUNREACHABLE;
  case TP_HTTPC_ETIMEOUT:
    mcp_client__fail(err, MCP_CLIENT_ETIMEOUT, 0, 0, "POST %s: no answer within %ld ms", url,
                     timeout_ms);
    return MCP_CLIENT_ETIMEOUT;
  case TP_HTTPC_ETOOBIG:
    mcp_client__fail(err, MCP_CLIENT_ETOOBIG, 0, 0, "POST %s: the answer exceeded the size limit",
                     url);
    return MCP_CLIENT_ETOOBIG;
  case TP_HTTPC_EINVAL:
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0, "POST %s: %s", url, terr);
    return MCP_CLIENT_EINVAL;
  default:
    mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "POST %s: %s", url, terr);
    return MCP_CLIENT_ERROR;
  }
}

static int status_failure(const char *url, const tp_httpc_response *r, const char *key,
                          mcp_client_err *err)
{
  char ex[160];
  int code = r->status == 401   ? MCP_CLIENT_EAUTH
             : r->status == 403 ? MCP_CLIENT_EFORBIDDEN
             : r->status == 404 ? MCP_CLIENT_ENOTFOUND
                                : MCP_CLIENT_EHTTP;
  excerpt(ex, sizeof ex, r->body, r->len, key);
  mcp_client__fail(err, code, r->status, 0, "POST %s: HTTP %ld%s%s", url, r->status,
                   ex[0] ? ": " : "", ex);
  return code;
}

/* data[0].embedding of the answer as floats. */
static int parse_answer(float **out, size_t *dims_out, const char *url, const tp_httpc_response *r,
                        size_t max_dims, mcp_client_err *err)
{
  json_error_t je;
  json_t *j = json_loadb(r->body, r->len, 0, &je), *emb, *v;
  float *vec = NULL;
  size_t i, n;
  emb = json_object_get(json_array_get(json_object_get(j, "data"), 0), "embedding");
  n = json_array_size(emb);
  if (!j)
    mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, r->status, 0,
                     "POST %s: the answer is not JSON (%s)", url, je.text);
  else if (!json_is_array(emb) || n == 0)
    mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, r->status, 0,
                     "POST %s: the answer has no data[0].embedding array of numbers", url);
  else if (n > max_dims)
    mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, r->status, 0,
                     "POST %s: the embedding has %zu components, more than %zu", url, n, max_dims);
  if (!j || !json_is_array(emb) || n == 0 || n > max_dims) {
    json_decref(j);
    return MCP_CLIENT_EPROTOCOL;
  }
  if (!(vec = malloc(n * sizeof *vec))) {
    json_decref(j);
    mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "out of memory");
    return MCP_CLIENT_ERROR;
  }
  json_array_foreach(emb, i, v) {
    double d = json_number_value(v);
    if (!json_is_number(v) || !isfinite(d) || fabs(d) > 3.4e38) {
      mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, r->status, 0,
                       "POST %s: embedding component %zu is not a finite number", url, i);
      free(vec);
      json_decref(j);
      return MCP_CLIENT_EPROTOCOL;
    }
    vec[i] = (float)d;
  }
  json_decref(j);
  *out = vec;
  *dims_out = n;
  return MCP_CLIENT_OK;
}

int mcp_client_embed(float **out, size_t *dims_out, const mcp_client_embed_opts *o,
                     const char *text, mcp_client_err *err)
{
  char *url = NULL, *body = NULL, *auth = NULL, terr[300] = "";
  const char *h[4];
  int nh = 0, rc, trc;
  json_t *req;
  tp_httpc_response r;
  tp_httpc_opts to;
  *out = NULL;
  *dims_out = 0;
  if (!o || !o->url || !o->model || !*o->model || !text ||
      (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0)) {
    mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0,
                     "embeddings need an http(s) URL, a model and a text");
    return MCP_CLIENT_EINVAL;
  }
  req = json_pack("{s:s,s:s}", "model", o->model, "input", text);
  body = req ? seal_json_dumps(req, JSON_COMPACT) : NULL;
  json_decref(req);
  url = endpoint(o->url);
  if (o->api_key && *o->api_key) {
    size_t n = strlen(o->api_key) + sizeof "Authorization: Bearer ";
    for (const char *k = o->api_key; *k; k++)
      if ((unsigned char)*k < 0x20 || *k == 0x7f) {
        mcp_client__fail(err, MCP_CLIENT_EINVAL, 0, 0,
                         "the embeddings API key contains control characters");
        rc = MCP_CLIENT_EINVAL;
        goto out;
      }
    if ((auth = malloc(n)))
      snprintf(auth, n, "Authorization: Bearer %s", o->api_key);
  }
  if (!body || !url || (o->api_key && *o->api_key && !auth)) {
    mcp_client__fail(err, MCP_CLIENT_ERROR, 0, 0, "out of memory");
    rc = MCP_CLIENT_ERROR;
    goto out;
  }
  h[nh++] = "Content-Type: application/json";
  h[nh++] = "Accept: application/json";
  if (auth)
    h[nh++] = auth;
  h[nh] = NULL;
  memset(&to, 0, sizeof to);
  to.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : MCP_CLIENT_EMBED_TIMEOUT_MS;
  to.connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
                                                    : MCP_CLIENT_DEFAULT_CONNECT_MS;
  if (to.connect_timeout_ms > to.timeout_ms)
    to.connect_timeout_ms = to.timeout_ms;
  to.max_response = o->max_response ? o->max_response : MCP_CLIENT_EMBED_MAX_RESPONSE;
  to.ca_file = o->ca_file;
  memset(&r, 0, sizeof r);
  trc = tp_httpc_request(&r, "POST", url, h, body, strlen(body), &to, terr, sizeof terr);
  if (trc != TP_HTTPC_OK)
    rc = http_failure(url, trc, to.timeout_ms, terr, err);
  else if (r.status < 200 || r.status > 299)
    rc = status_failure(url, &r, o->api_key, err);
  else
    rc = parse_answer(out, dims_out, url, &r, o->max_dims ? o->max_dims : MCP_CLIENT_EMBED_MAX_DIMS,
                      err);
  tp_httpc_response_free(&r);
out:
  if (auth) {
    seal_wipe(auth, strlen(auth));
    free(auth);
  }
  free(url);
  free(body);
  return rc;
}
