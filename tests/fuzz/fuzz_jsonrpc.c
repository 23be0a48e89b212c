/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_jsonrpc.c — libFuzzer target for the MCP core: every input is submitted as one
 * raw JSON-RPC message to a stateless session of a server without a Store. Every message the
 * core emits must be a single line of valid JSON with "jsonrpc":"2.0"; anything else aborts.
 * Covers the pre-scan limits, JSON-RPC classification, both eras, tools/list and tools/call
 * (argument validation, policy, handlers). */
#include "tools/tools.h"
#include "mcp/mcp.h"

#include <jansson.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mcp_server *srv;
static mcp_session *sess;
static seal_key *key;

static void check(const char *msg, size_t len, unsigned flags, void *payload)
{
  json_t *m;
  (void)flags;
  (void)payload;
  if (!msg)
    return;
  if (memchr(msg, '\n', len))
    abort();
  m = json_loadb(msg, len, 0, NULL);
  if (!m || !json_is_object(m) ||
      strcmp(json_string_value(json_object_get(m, "jsonrpc"))
                 ? json_string_value(json_object_get(m, "jsonrpc"))
                 : "",
             "2.0") != 0)
    abort();
  json_decref(m);
}

static void setup(void)
{
  mcp_server_opts o;
  mcp_session_opts so;
  if (srv)
    return;
  if (seal_init() != 0 || seal_key_generate(&key) != 0)
    abort();
  mcp_log_set_level(MCP_LOG_EMERGENCY);
  memset(&o, 0, sizeof o);
  o.key = key;
  o.workers = 2;
  o.window = 4;
  o.tool_groups = tools_groups;
  if (mcp_server_new(&srv, &o, NULL, 0) != MCP_OK)
    abort();
  memset(&so, 0, sizeof so);
  so.caller.id = "fuzz";
  so.caller.trust = MCP_TRUST_LOCAL;
  so.stateless = 1;
  if (mcp_session_new(&sess, srv, &so) != MCP_OK)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  setup();
  (void)mcp_submit(sess, (const char *)data, size, check, NULL, NULL);
  while (mcp_session_inflight(sess) > 0)
    sched_yield();
  return 0;
}
