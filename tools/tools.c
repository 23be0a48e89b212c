/* SPDX-License-Identifier: Apache-2.0
 * tools/tools.c — the list of tool groups handed to the MCP core by the composition root
 * (tools/tools.h). A new group (one file) adds one line here; the core never names a tool. */
#include "tools/tools.h"

const mcp_tool_impl *const tools_groups[] = {tools_motebit,   tools_motus,  tools_task,
                                             tools_service,   tools_memory, tools_chat,
                                             tools_approvals, NULL};
