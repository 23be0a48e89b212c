/* SPDX-License-Identifier: Apache-2.0
 * client/reply.c — the reply side of the MCP client (client/client_int.h, shared with the fuzz
 * target): the parser that turns one HTTP response (status, content type, body, and the
 * JSON-RPC messages of an event stream) into a result or a classified error, the error
 * helpers every client file uses (mcp_client__fail, mcp_client__clip) and mcp_client_strerror.
 * No network and no stdout here: client/client.c performs the exchange. */
#include "client/client.h"
#include "client/client_int.h"

#include "transports/sse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- errors ---------------------------------------------------------------------------------- */

void mcp_client__fail(mcp_client_err *err, int code, long status, int rpc, const char *fmt, ...)
{
  if (!err)
    return;
  err->code = code;
  err->http_status = status;
  err->rpc_code = rpc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  for (char *p = err->msg; *p; p++) /* one line, printable */
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = ' ';
}

/* Copies at most cap-1 bytes of s, replacing control characters, for messages. */
void mcp_client__clip(char *out, size_t cap, const char *s)
{
  size_t i = 0;
  for (; s && s[i] && i + 1 < cap; i++)
    out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
  out[i] = 0;
}

const char *mcp_client_strerror(int rc)
{
  switch (rc) {
  case MCP_CLIENT_OK: return "ok";
  case MCP_CLIENT_ERROR: return "internal error";
  case MCP_CLIENT_EINVAL: return "invalid argument";
  case MCP_CLIENT_EUNREACHABLE: return "unreachable";
  case MCP_CLIENT_ETIMEOUT: return "timeout";
  case MCP_CLIENT_ETOOBIG: return "response too large";
  case MCP_CLIENT_ECANCELLED: return "cancelled";
  case MCP_CLIENT_EAUTH: return "unauthorized";
  case MCP_CLIENT_EFORBIDDEN: return "forbidden";
  case MCP_CLIENT_ENOTFOUND: return "not found";
  case MCP_CLIENT_EHTTP: return "HTTP error";
  case MCP_CLIENT_EPROTOCOL: return "protocol error";
  case MCP_CLIENT_ERPC: return "JSON-RPC error";
  case MCP_CLIENT_ETOOL: return "tool error";
  default: return "unknown error";
  }
}

/* ---- the reply parser ----------------------------------------------------------------------- */

void mcp_client__rx_free(mcp_client__rx *rx)
{
  if (!rx)
    return;
  json_decref(rx->response);
  rx->response = NULL;
}

static void rx_bad(mcp_client__rx *rx, const char *why)
{
  if (!rx->bad)
    snprintf(rx->why, sizeof rx->why, "%s", why);
  rx->bad = 1;
}

static int id_matches(const json_t *id, json_int_t want)
{
  return json_is_integer(id) && json_integer_value(id) == want;
}

int mcp_client__rx_message(mcp_client__rx *rx, const char *data, size_t len)
{
  if (rx->response)
    return 1;
  rx->messages++;
  json_t *m = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(m)) {
    rx_bad(rx, "an event's data is not a JSON object");
    json_decref(m);
    return 0;
  }
  const char *jv = json_string_value(json_object_get(m, "jsonrpc"));
  if (!jv || strcmp(jv, "2.0")) {
    rx_bad(rx, "an event is not JSON-RPC 2.0");
    json_decref(m);
    return 0;
  }
  const json_t *method = json_object_get(m, "method");
  const json_t *id = json_object_get(m, "id");
  if (json_is_string(method)) {
    if (!id) { /* a notification related to our request */
      const mcp_client_call_opts *co = rx->co;
      if (co && co->on_notification)
        co->on_notification(m, co->payload);
      const json_t *p = json_object_get(m, "params");
      if (co && co->on_progress && rx->progress_token &&
          !strcmp(json_string_value(method), "notifications/progress") &&
          json_equal(json_object_get(p, "progressToken"), (json_t *)rx->progress_token) &&
          json_is_number(json_object_get(p, "progress"))) {
        const json_t *tot = json_object_get(p, "total");
        co->on_progress(json_number_value(json_object_get(p, "progress")),
                        json_is_number(tot) ? json_number_value(tot) : 0,
                        json_string_value(json_object_get(p, "message")), co->payload);
      }
    }
    /* a server->client request (ping, elicitation...) on the stream: not answered (the modern
     * era forbids them; a legacy server treats the missing answer as a timeout on its side) */
    json_decref(m);
    return 0;
  }
  if (id_matches(id, rx->id) && (json_object_get(m, "result") || json_object_get(m, "error"))) {
    rx->response = m;
    return 1;
  }
  rx_bad(rx, "the stream carried a response for another request id");
  json_decref(m);
  return 0;
}

static int on_sse_event(const char *event, const char *data, size_t len, void *payload)
{
  (void)event; /* MCP uses the default "message" event; the data decides */
  return mcp_client__rx_message(payload, data, len);
}

int mcp_client__rx_sse_body(mcp_client__rx *rx, const char *body, size_t len, size_t max_event)
{
  tp_sse p;
  tp_sse_init(&p, max_event, on_sse_event, rx);
  int rc = tp_sse_feed(&p, body, len);
  if (rc == 0)
    rc = tp_sse_feed(&p, "\n\n", 2); /* a server that ends without the blank line */
  tp_sse_free(&p);
  if (rc < 0) {
    rx_bad(rx, rc == TP_SSE_ETOOBIG ? "an event exceeded the size limit" : "out of memory");
    return -1;
  }
  return 0;
}

/* The JSON-RPC error object of a body, if it is one: code and message (clipped). */
static int body_error(const char *body, size_t len, int *code, char *msg, size_t cap)
{
  json_t *v = body && len ? json_loadb(body, len, 0, NULL) : NULL;
  const json_t *e = json_object_get(v, "error");
  int ok = json_is_object(e) && json_is_integer(json_object_get(e, "code"));
  if (ok) {
    *code = (int)json_integer_value(json_object_get(e, "code"));
    mcp_client__clip(msg, cap, json_string_value(json_object_get(e, "message")));
  }
  json_decref(v);
  return ok;
}

/* error="..." of a WWW-Authenticate challenge, for the 401 message. */
static void auth_error_param(char *out, size_t cap, const char *wa)
{
  out[0] = 0;
  const char *p = wa ? strstr(wa, "error=\"") : NULL;
  if (!p)
    return;
  p += 7;
  size_t n = strcspn(p, "\"");
  if (n >= cap)
    n = cap - 1;
  memcpy(out, p, n);
  out[n] = 0;
  mcp_client__clip(out, cap, out);
}

static int starts_ci(const char *s, const char *prefix)
{
  return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The error of a non-2xx reply: 401 EAUTH, 403 EFORBIDDEN, 404 ENOTFOUND unless the body is a
 * JSON-RPC -32601, another 4xx with a JSON-RPC error body ERPC, else EHTTP (EPROTOCOL without a
 * status). Fills err. */
static int status_error(long status, const char *wa, const char *body, size_t len, const char *what,
                        mcp_client_err *err)
{
  int code = 0;
  char m[200] = "";
  int has = body_error(body, len, &code, m, sizeof m);
  if (status == 401) {
    char e[64];
    auth_error_param(e, sizeof e, wa);
    mcp_client__fail(err, MCP_CLIENT_EAUTH, status, has ? code : 0,
                     "%s: HTTP 401 unauthorized%s%s%s%s%s", what, e[0] ? " (" : "", e,
                     e[0] ? ")" : "", m[0] ? ": " : "", m);
    return MCP_CLIENT_EAUTH;
  }
  if (status == 403) {
    mcp_client__fail(err, MCP_CLIENT_EFORBIDDEN, status, has ? code : 0,
                     "%s: HTTP 403 forbidden%s%s", what, m[0] ? ": " : "", m);
    return MCP_CLIENT_EFORBIDDEN;
  }
  if (status == 404 && !(has && code == -32601)) {
    mcp_client__fail(err, MCP_CLIENT_ENOTFOUND, status, has ? code : 0,
                     "%s: HTTP 404 not found%s%s", what, m[0] ? ": " : "", m);
    return MCP_CLIENT_ENOTFOUND;
  }
  if (has && status >= 400 && status < 500 && status != 413) {
    mcp_client__fail(err, MCP_CLIENT_ERPC, status, code, "%s: JSON-RPC error %d (HTTP %ld): %s",
                     what, code, status, m);
    return MCP_CLIENT_ERPC;
  }
  if (status == 0) {
    mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, 0, 0, "%s: no HTTP status", what);
    return MCP_CLIENT_EPROTOCOL;
  }
  mcp_client__fail(err, MCP_CLIENT_EHTTP, status, has ? code : 0, "%s: HTTP %ld%s%s%s", what,
                   status,
                   status == 413   ? " request too large for the server"
                   : status >= 500 ? " server error"
                                   : "",
                   m[0] ? ": " : "", m);
  return MCP_CLIENT_EHTTP;
}

int mcp_client__rx_finish(mcp_client__rx *rx, long status, const char *ct, const char *wa,
                          const char *body, size_t len, const char *what, json_t **result_out,
                          mcp_client_err *err)
{
  *result_out = NULL;
  int code = 0;
  char m[200] = "";
  if (status < 200 || status > 299)
    return status_error(status, wa, body, len, what, err);
  json_t *msg = NULL;
  if (starts_ci(ct, "text/event-stream")) {
    if (!rx->response) {
      if (rx->bad)
        mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, status, 0, "%s: malformed event stream: %s",
                         what, rx->why);
      else
        mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, status, 0,
                         "%s: the event stream ended without a response", what);
      return MCP_CLIENT_EPROTOCOL;
    }
    msg = json_incref(rx->response);
  } else if (starts_ci(ct, "application/json")) {
    json_error_t je;
    msg = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!msg) {
      char t[100];
      mcp_client__clip(t, sizeof t, je.text);
      mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, status, 0, "%s: malformed JSON reply: %s", what,
                       t);
      return MCP_CLIENT_EPROTOCOL;
    }
  } else {
    char t[80];
    mcp_client__clip(t, sizeof t, ct ? ct : "(none)");
    mcp_client__fail(err, MCP_CLIENT_EPROTOCOL, status, 0,
                     "%s: HTTP %ld with unexpected content type %s", what, status, t);
    return MCP_CLIENT_EPROTOCOL;
  }
  int rc = MCP_CLIENT_EPROTOCOL;
  const char *jv = json_string_value(json_object_get(msg, "jsonrpc"));
  const json_t *res = json_object_get(msg, "result"), *e = json_object_get(msg, "error");
  if (!json_is_object(msg) || !jv || strcmp(jv, "2.0")) {
    mcp_client__fail(err, rc, status, 0, "%s: the reply is not a JSON-RPC 2.0 message", what);
  } else if (e) {
    if (json_is_object(e) && json_is_integer(json_object_get(e, "code"))) {
      code = (int)json_integer_value(json_object_get(e, "code"));
      mcp_client__clip(m, sizeof m, json_string_value(json_object_get(e, "message")));
      rc = MCP_CLIENT_ERPC;
      mcp_client__fail(err, rc, status, code, "%s: JSON-RPC error %d: %s", what, code,
                       m[0] ? m : "(no message)");
    } else {
      mcp_client__fail(err, rc, status, 0, "%s: malformed JSON-RPC error object", what);
    }
  } else if (!id_matches(json_object_get(msg, "id"), rx->id)) {
    mcp_client__fail(err, rc, status, 0, "%s: the reply's id does not match the request's", what);
  } else if (!json_is_object(res)) {
    mcp_client__fail(err, rc, status, 0, "%s: the reply has no result object", what);
  } else {
    const char *rt = json_string_value(json_object_get(res, "resultType"));
    if (rt && !strcmp(rt, "input_required")) {
      mcp_client__fail(
          err, rc, status, 0,
          "%s: the server asks for client input (input_required), which this client does not support",
          what);
    } else {
      *result_out = json_incref((json_t *)res);
      rc = MCP_CLIENT_OK;
    }
  }
  json_decref(msg);
  return rc;
}
