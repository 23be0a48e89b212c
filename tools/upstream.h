/* SPDX-License-Identifier: Apache-2.0
 * tools/upstream.h — the configured upstream MCP servers (config "upstreams", spec/upstreams.md)
 * as the core's tool source: their tools listed as <upstream>__<tool> with the upstream's
 * description, schemas and annotations, risk from the annotations (readOnlyHint R0,
 * destructiveHint R3, else R2) unless the config overrides it, deny and approval overrides,
 * calls relayed with progress, logging, cancellation and elicitation/sampling passed through;
 * and the lookup the `mcp` task executor uses (tools/exec_mcp.c). One set per process: the
 * last one started is the one the executor sees.
 *
 * Ownership: tools_upstreams_start returns a new set (tools_upstreams_free, after the server
 * that uses its source was freed). Errors: 0 or -1 with a one-line message in err. */
#ifndef WL_TOOLS_UPSTREAM_H
#define WL_TOOLS_UPSTREAM_H

#include "mcp/tool.h"

#include <jansson.h>
#include <stddef.h>

typedef struct tools_upstreams tools_upstreams;

/* Starts every entry of the config's "upstreams" (borrowed; none = an empty set). The token of
 * an HTTP upstream is read from its token_env now; an unset variable is an error. */
int tools_upstreams_start(tools_upstreams **out, const json_t *config, char *err, size_t errlen);
/* The tool source to put in mcp_server_opts.tool_source (borrowed from the set), or NULL when
 * the set is empty. */
const mcp_tool_source *tools_upstreams_source(tools_upstreams *t);
/* Relay tools/list_changed to srv's sessions from now on (srv borrowed; NULL = stop). */
void tools_upstreams_attach(tools_upstreams *t, mcp_server *srv);
/* Waits until every upstream listed its tools once or failed, at most timeout_ms in all.
 * Returns the number of upstreams not ready. */
int tools_upstreams_wait(tools_upstreams *t, long timeout_ms);
void tools_upstreams_free(tools_upstreams *t);

/* Calls `tool` of upstream `name` for the call or task of ctx (progress, logs and cancellation
 * relayed); `timeout_ms` 0 = the upstream's. *result_out: the CallToolResult (new) on 0; -1 with
 * a one-line message in err (unknown upstream, not running, died, timed out, too big...). */
int tools_upstream_call(mcp_ctx *ctx, const char *name, const char *tool, const json_t *args,
                        long timeout_ms, json_t **result_out, char *err, size_t errlen);

#endif
