/* SPDX-License-Identifier: Apache-2.0
 * tools/tools.h — the tool tables of this program, for the composition root. Each group (one
 * file of tools/) exports a {NULL}-terminated table of mcp_tool_impl (mcp/tool.h); tools_groups
 * lists them all, NULL-terminated, and is what cli/ passes as mcp_server_opts.tool_groups.
 * Everything here is static data: nothing to free. */
#ifndef WL_TOOLS_TOOLS_H
#define WL_TOOLS_TOOLS_H

#include "mcp/tool.h"

extern const mcp_tool_impl tools_motebit[]; /* tools/motebit.c: identity, tools */
extern const mcp_tool_impl tools_motus[];   /* tools/motus.c: the Motus work loop and wrap */
extern const mcp_tool_impl tools_task[];    /* tools/task.c: motebit_task and its executors */
extern const mcp_tool_impl tools_service[]; /* tools/service.c: listing, credentials */
extern const mcp_tool_impl tools_memory[];  /* tools/memory.c: remember, recall */

/* All of the above, NULL-terminated. */
extern const mcp_tool_impl *const tools_groups[];

/* motebit_task is optional outside the service profile: available when the config names a
 * command executor or a delegation peer (otherwise every task would fail; the embeddings
 * endpoint does not count). `config` borrowed. */
int tools_task_routable(const json_t *config);

#endif
