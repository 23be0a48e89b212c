/* SPDX-License-Identifier: Apache-2.0
 * tools/motebit.c — the two universal motebit tools (motebit.md §1): motebit_identity
 * ({motebit_id, public_key, did, motebit_type}) and motebit_tools ([{name, description, risk}] of
 * the tools this caller may use; the text is the bare array, structuredContent wraps it as
 * {tools:[...]} because structuredContent must be an object). The identity tag appended to the
 * text and the receipt are added by call.c, not here. */
#include "mcp/tool.h"
#include "tools/tools.h"

#include <stdio.h>
#include <string.h>

static int identity_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  const char *did = mcp_ctx_did(ctx); /* derived once per server */
  const seal_key *key = mcp_ctx_key(ctx);
  (void)args;
  if (!did[0]) {
    snprintf(out->error, sizeof out->error, "Error: cannot derive did:key");
    return -1;
  }
  out->payload = json_pack("{s:s,s:s,s:s,s:s}", "motebit_id", mcp_ctx_motebit_id(ctx), "public_key",
                           seal_key_pk_hex(key), "did", did, "motebit_type", mcp_ctx_profile(ctx));
  return out->payload ? 0 : -1;
}

static int tools_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  json_t *list = mcp_server_tools_for(mcp_ctx_server(ctx), mcp_ctx_caller(ctx));
  (void)args;
  if (!list)
    return -1;
  out->payload = list;
  out->structured = json_pack("{s:O}", "tools", list);
  return 0;
}

const mcp_tool_impl tools_motebit[] = {
    {"motebit_identity", identity_fn, MCP_PROFILE_ALL, NULL, MCP_TOOL_SHORT, NULL, NULL},
    {"motebit_tools", tools_fn, MCP_PROFILE_ALL, NULL, MCP_TOOL_SHORT, NULL, NULL},
    {NULL, NULL, 0, NULL, 0, NULL, NULL},
};
