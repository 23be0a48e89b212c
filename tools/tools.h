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

extern const mcp_tool_impl tools_chat[];      /* tools/chat.c: motebit_query */
extern const mcp_tool_impl tools_approvals[]; /* tools/approvals.c: workledger_approval_decide */

/* All of the above, NULL-terminated. */
extern const mcp_tool_impl *const tools_groups[];

/* tools/resources.c: motebit://identity, motebit://state, motebit://memories and the prompts
 * chat, recall and reflect, as mcp_server_opts.resource_groups / prompt_groups. */
extern const mcp_resource_impl tools_resources[];
extern const mcp_prompt_impl tools_prompts[];
/* tools/prompts_work.c: start_work, summarise_run, review_approvals. */
extern const mcp_prompt_impl tools_work_prompts[];
extern const mcp_resource_impl *const tools_resource_groups[];
/* tools/ledger_resources.c: runs, events, Work Receipts, stored receipts and their trees,
 * pending approvals and health as workledger:// resources (in tools_resource_groups). */
extern const mcp_resource_impl tools_ledger_resources[];
/* 1 when the caller of ctx is an operator: the local operator (stdio), or an authenticated
 * caller whose static token is marked "operator" in http.tokens. */
int tools_caller_is_operator(mcp_ctx *ctx);
extern const mcp_prompt_impl *const tools_prompt_groups[];

/* motebit_task is optional outside the service profile: available when the config names an
 * executor or a delegation peer (otherwise every task would fail). `config` borrowed. */
int tools_task_routable(const json_t *config);

/* The memories motebit_recall returns for `query` and the caller of `ctx` (ranked, at most
 * `limit`; the sensitivity floor applied): *out new array of {content, confidence, similarity,
 * half_life_days, memory_type, created_at}, [] without a Store or with limit <= 0. Returns 0, or
 * -1 with a one-line message in err (size errlen). (tools/memory.c) */
int tools_memory_recall(mcp_ctx *ctx, const char *query, int limit, json_t **out, char *err,
                        size_t errlen);

#endif
