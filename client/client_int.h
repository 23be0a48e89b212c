/* SPDX-License-Identifier: Apache-2.0
 * client/client_int.h — internals of client/ shared between its files and with the fuzz target
 * (tests/fuzz/fuzz_client_response.c): the reply parser (client/reply.c) that turns one HTTP
 * response (status, content type, body, and the JSON-RPC messages of an event stream) into a
 * result or a classified error, the error helpers, and the wire form of a request
 * (client/wire.c). Not a public API: only client/ and the
 * fuzz target include it. */
#ifndef WL_MCP_CLIENT_INT_H
#define WL_MCP_CLIENT_INT_H

#include "client/client.h"

#include <jansson.h>
#include <stddef.h>

/* The modern era's protocol version. */
#define MCP_CLIENT__MODERN "2026-07-28"

/* "Name: value" as a new string (free()), NULL on out of memory. */
char *mcp_client__hdr(const char *name, const char *value);

/* A header value as a new string (free()): `v` as is when it is visible ASCII, else
 * "=?base64?...?=" (2026-07-28). NULL on out of memory. */
char *mcp_client__header_safe(const char *v);

/* Builds {"jsonrpc":"2.0",["id":id,]"method":method,"params":{...,_meta}} as compact text (new,
 * free()) and its length in *len. `params` (borrowed; NULL = {}) is copied; `progress_token` and
 * `extra_meta` (borrowed, may be NULL) go into params._meta; `modern` adds the era's _meta
 * members naming client_name and client_version. id 0 = a notification. NULL when
 * params._meta is not an object or on out of memory. */
char *mcp_client__build(const char *client_name, const char *client_version, const char *method,
                        json_int_t id, const json_t *params, int modern,
                        const json_t *progress_token, const json_t *extra_meta, size_t *len);

/* Fills err (NULL: no-op) with code, HTTP status, JSON-RPC code and a printf message made one
 * printable line. */
void mcp_client__fail(mcp_client_err *err, int code, long status, int rpc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Copies at most cap-1 bytes of s (NULL = ""), replacing control characters, for messages. */
void mcp_client__clip(char *out, size_t cap, const char *s);

/* State of one request's reply. Zero it, then set id, progress_token and co. */
typedef struct mcp_client__rx {
  json_int_t id;                  /* the request id (integer) we expect back */
  const json_t *progress_token;   /* borrowed; NULL when none was sent */
  const mcp_client_call_opts *co; /* borrowed; may be NULL */
  json_t *response;               /* new (freed by mcp_client__rx_free): the response once seen */
  unsigned messages;              /* messages seen in the stream */
  int bad;                        /* 1 when a stream message was not valid JSON-RPC */
  char why[160];                  /* first such problem */
} mcp_client__rx;

/* Handles one JSON-RPC message (an SSE event's data): notifications go to the callbacks,
 * progress for our token to on_progress, a response with our id is kept. Returns 1 once the
 * response is held (stop reading), 0 otherwise. */
int mcp_client__rx_message(mcp_client__rx *rx, const char *data, size_t len);

/* Parses a whole event-stream body (when it was not parsed while streaming) through
 * transports/sse.h into mcp_client__rx_message. max_event 0 = 1 MiB. Returns 0, or -1 when the
 * stream was malformed (too long an event; rx->why set). */
int mcp_client__rx_sse_body(mcp_client__rx *rx, const char *body, size_t len, size_t max_event);

/* Classifies the exchange: HTTP status (401 → EAUTH, 403 → EFORBIDDEN, 404 → ENOTFOUND unless
 * the body is a JSON-RPC -32601, other non-2xx → ERPC when the body is a JSON-RPC error, else
 * EHTTP), content type (JSON body parsed here; event stream: rx->response), then the JSON-RPC
 * envelope (jsonrpc "2.0", our id, result object or error). `*result_out` (new) on OK.
 * `what` names the exchange in messages (e.g. the method). Fills err on failure. */
int mcp_client__rx_finish(mcp_client__rx *rx, long status, const char *content_type,
                          const char *www_authenticate, const char *body, size_t len,
                          const char *what, json_t **result_out, mcp_client_err *err);

/* Frees rx->response; rx may be reused after zeroing. */
void mcp_client__rx_free(mcp_client__rx *rx);

#endif
