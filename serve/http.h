/* SPDX-License-Identifier: Apache-2.0
 * serve/http.h — MCP over Streamable HTTP (spec/http.md): one endpoint `/mcp` served statelessly
 * for both eras (legacy initialize-based and 2026-07-28), GET/DELETE → 405, JSON responses, SSE
 * when a call emits notifications first; `GET /health` without auth; Host/Origin validation
 * (403) against an allow-list that defaults to the loopback names of the bound port; bearer
 * authentication (serve/auth.h) with 401 + WWW-Authenticate/resource_metadata and a JSON-RPC error
 * body; RFC 9728 metadata at /.well-known/oauth-protected-resource[/mcp]; failed authentications
 * recorded as `http.auth_failed` events in a Store run of their own (without the token); modern
 * header validation (MCP-Protocol-Version, Mcp-Method, Mcp-Name). A client that disconnects
 * cancels its call. It owns no tool logic: every accepted message goes to mcp_submit() with the
 * verified caller, or — in conformance mode only — to the fixture surface of serve/conformance.c.
 * Errors: MCP_OK or a negative mcp_rc with a one-line message in err. */
#ifndef WL_MCP_HTTP_H
#define WL_MCP_HTTP_H

#include "mcp/mcp.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct ledger;

typedef struct mcp_http_opts {
  mcp_server *server;       /* borrowed, must outlive the listener (required) */
  const json_t *config;     /* borrowed normalized config (http.*), may be NULL */
  struct ledger *store;     /* borrowed; where auth failures are recorded; may be NULL */
  const char *motebit_id;   /* shown by /health; borrowed (copied); may be NULL */
  const char *host;         /* bind address; NULL = "127.0.0.1"; borrowed (copied) */
  uint16_t port;            /* 0 = ephemeral */
  const char *tls_cert_pem; /* both or neither; borrowed during start */
  const char *tls_key_pem;
  const char *env_token;    /* WORKLEDGER_TOKEN value or NULL; borrowed (copied) */
  int insecure_no_auth;     /* allow a non-loopback bind without any credential configured */
  int conformance;          /* serve the conformance fixtures (loopback binds only) */
  size_t max_body;          /* 0 = config http.max_body_bytes (default 4 MiB) */
  unsigned max_connections; /* 0 = 256 */
  unsigned idle_timeout_s;  /* 0 = 30 */
  unsigned threads;         /* listener threads; 0 = 1 */
  const char *
      public_url; /* canonical resource URL (https://host/mcp); NULL = derived; borrowed (copied) */
} mcp_http_opts;

typedef struct mcp_http mcp_http;

/* Graceful stop, first step: waits (at most timeout_ms) until every request in flight has been
 * answered and sent, while the listener keeps running; pair with mcp_server_shutdown so long
 * calls end with a clean failure. Returns how many are still open. NULL → 0. */
int mcp_http_quiesce(mcp_http *h, long timeout_ms);

/* Starts listening. Refuses (MCP_EINVAL, message in err): a non-loopback bind with no credential
 * configured unless insecure_no_auth; conformance mode on a non-loopback bind. MCP_ERROR when
 * the address cannot be bound or TLS material is bad. */
int mcp_http_start(mcp_http **out, const mcp_http_opts *opts, char *err, size_t errlen) MCP_WUR;
/* The bound port. */
uint16_t mcp_http_port(const mcp_http *h);
/* Number of failed authentications so far (also recorded in the Store when one is open). */
uint64_t mcp_http_auth_failures(mcp_http *h);
/* Stops the listener (in-flight calls are cancelled), frees its sessions, closes its auth run.
 * NULL is a no-op. */
void mcp_http_stop(mcp_http *h);

#endif
