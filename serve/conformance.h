/* SPDX-License-Identifier: Apache-2.0
 * serve/conformance.h — the fixture surface the official MCP conformance suite calls
 * (shared/reference/mcp.md §4): tools test_*, resources test://..., prompts test_*, completion,
 * logging/setLevel, and an initialize / server/discover that declares them. Used by serve/http.c
 * only when `serve --http ... --conformance` runs on a loopback address; never otherwise. */
#ifndef WL_MCP_CONFORMANCE_H
#define WL_MCP_CONFORMANCE_H

#include "mcp/mcp.h"

#include <jansson.h>

/* Handles one parsed JSON-RPC request `msg` (borrowed) when it belongs to the fixture surface:
 * emits zero or more notifications and then exactly one MCP_EMIT_FINAL message through `emit`
 * (synchronously) and returns 1. Returns 0 when the message is not a fixture method (the caller
 * hands it to the core). `modern` = the request carried 2026-07-28 _meta; cx borrowed. Task
 * fixtures answer later from their own threads (the FINAL message may come after the return). */
typedef struct mcp_conformance_ctx {
  mcp_server *srv;    /* the core (requestState sealing, the task table) */
  mcp_session *sess;  /* the caller's session (server->client requests), may be NULL */
  const char *caller; /* the authenticated caller id */
} mcp_conformance_ctx;
int mcp_conformance_handle(const json_t *msg, int modern, const mcp_conformance_ctx *cx,
                           mcp_emit_fn emit, void *payload);

/* The inputSchema of a fixture tool that declares x-mcp-header parameters (new), or NULL. */
json_t *mcp_conformance_tool_schema(const char *name);

#endif
