/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_client_response.c — libFuzzer target for the MCP client's reply parser
 * (client/client_int.h): the first input byte picks the HTTP status and content type (JSON, event
 * stream, other), the rest is the body. Event-stream bodies go through transports/sse.h (with a
 * small per-event limit) and the JSON-RPC message router (notifications, progress for our token,
 * the response with our id); then the exchange is classified. Aborts when a result and an error
 * come back together, when a code is outside mcp_client_rc, or when a message spans lines. */
#include "client/client_int.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_progress(double p, double t, const char *m, void *payload)
{
  (void)p, (void)t, (void)payload;
  if (m)
    (void)strlen(m);
}

static void on_note(const json_t *n, void *payload)
{
  (void)payload;
  if (!json_is_object(n))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const long statuses[] = {200, 200, 200, 202, 400, 401, 403, 404, 413, 500};
  static const char *const types[] = {"application/json", "text/event-stream", "text/html", NULL};
  if (size < 1)
    return 0;
  long status = statuses[(data[0] & 0x0f) % 10];
  const char *ct = types[(data[0] >> 4) & 3];
  const char *body = (const char *)data + 1;
  size_t len = size - 1;
  json_t *tok = json_string("wlc-1");
  mcp_client_call_opts co = {.on_progress = on_progress, .on_notification = on_note};
  mcp_client__rx rx = {.id = 1, .progress_token = tok, .co = &co};
  if (ct && !strcmp(ct, "text/event-stream"))
    (void)mcp_client__rx_sse_body(&rx, body, len, 4096);
  json_t *res = NULL;
  mcp_client_err err;
  memset(&err, 0, sizeof err);
  int rc = mcp_client__rx_finish(&rx, status, ct, "Bearer error=\"invalid_token\"", body, len,
                                 "fuzz", &res, &err);
  if (rc > 0 || rc < MCP_CLIENT_ETOOL)
    abort();
  if ((rc == MCP_CLIENT_OK) != (res != NULL))
    abort();
  if (rc != MCP_CLIENT_OK && (err.code != rc || !err.msg[0] || strchr(err.msg, '\n')))
    abort();
  json_decref(res);
  mcp_client__rx_free(&rx);
  json_decref(tok);
  return 0;
}
