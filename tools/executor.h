/* SPDX-License-Identifier: Apache-2.0
 * tools/executor.h — the task executor interface behind motebit_task (spec/mcp.md §3.1). The
 * router (tools/task.c) owns everything a task has in common: the Store run of the task, the
 * delegation_token checks, the routing by required_capabilities, the signed ExecutionReceipt,
 * its storage and the task events. An executor owns only "do the work and say how it went".
 * Executor types are entries of one table in tools/task.c (`executor_table`), asked in order:
 * the first whose route() accepts the task runs it. Adding a type (the `delegate` executor that
 * calls a peer) is one new file defining a `const mcp_executor` plus one line in that table; the
 * routing, receipt and Store code stay untouched.
 *
 * Threading: route() may run on any worker thread concurrently and must only read `config`.
 * run() runs on the worker thread of the tools/call; it may block (it is the task), must poll
 * mcp_ctx_cancelled() at least every second or so, and may send progress with mcp_ctx_progress().
 *
 * Ownership: every pointer in mcp_task and mcp_route is borrowed and valid only during the
 * run() call. run() hands its results over through mcp_task_result (stolen by the router, see
 * below). Nothing here writes to stdout. */
#ifndef WL_MCP_EXECUTOR_H
#define WL_MCP_EXECUTOR_H

#include "mcp/tool.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mcp_task_status {
  MCP_TASK_COMPLETED = 0, /* the work was done; result is its output */
  MCP_TASK_FAILED = 1,    /* crash, timeout, cancellation, bad output, the worker's own refusal */
  MCP_TASK_DENIED = 2,    /* a governance boundary blocked the task; no permitted work completed */
} mcp_task_status;

/* "completed" | "failed" | "denied" (static). */
const char *mcp_task_status_name(mcp_task_status st);

/* The task as the executor sees it. */
typedef struct mcp_task {
  const char *task_id;                 /* this node's task id (UUID v4), = the receipt's task_id */
  const char *run_id;                  /* the task's OPEN Store run: executors record into it */
  const char *prompt;                  /* UTF-8, NUL-terminated */
  size_t prompt_len;                   /* bytes of prompt */
  const json_t *required_capabilities; /* array of strings, possibly empty; never NULL */
  const char *relay_task_id;           /* NULL when absent */
  const char *delegated_scope;         /* scope of the verified delegation token; NULL = none */
  const json_t *delegation_token;      /* the verified token object (the LAST of a chain, the one
                                          addressed to this node); NULL = none */
  const json_t *delegation_chain;      /* the verified chain, root first, when the caller sent a
                                          JSON array of tokens (spec/mcp.md §3.1.1); NULL when it
                                          sent a single object or none */
  int64_t submitted_at;                /* epoch ms */
} mcp_task;

struct mcp_executor;

/* Where a task goes: filled by an executor's route(). */
typedef struct mcp_route {
  const struct mcp_executor *executor; /* set by the router */
  const json_t *spec;                  /* borrowed from the config: the executor's settings
                                          (executors.<capability>, a peers[] entry, ...) */
  char name[128];                      /* the route's name in events and messages: the
                                          capability, or the peer's name */
} mcp_route;

/* What run() reports. The router zero-initialises it; run() fills it. */
typedef struct mcp_task_result {
  mcp_task_status status;
  char *result;                /* UTF-8 text (no NUL bytes), stolen by the router (free());
                                  the output, or for failed/denied the error text a model can act
                                  on ("Error: ..."). NULL = "" (then a completed task is turned
                                  into failed: a completed receipt over an empty result is refused) */
  json_t *tools_used;          /* stolen by the router, or NULL (= []): array of strings */
  json_t *delegation_receipts; /* stolen by the router, or NULL: array of SIGNED ExecutionReceipts
                                  embedded untouched (verify them before returning them; the
                                  router verifies the whole chain again before signing) */
  int64_t memories_formed;     /* >= 0 */
} mcp_task_result;

typedef struct mcp_executor {
  const char *type; /* "command", "delegate", ...: named in task.routed events */
  /* Can this executor type run a task needing `required` (array of strings, possibly empty;
   * borrowed)? `config` is the server's normalised config (borrowed, may be an empty object).
   * Returns 1 and fills out->spec and out->name when it can, 0 when it cannot. Never fails. */
  int (*route)(const json_t *config, const json_t *required, mcp_route *out);
  /* Runs the task. Returns 0 when `out` describes the outcome (whatever the status), or -1 on an
   * internal error (Store write failed, out of memory): the router then signs a failed receipt
   * with out->result if set, else a generic message. Must honour mcp_ctx_cancelled(ctx) by
   * stopping and reporting MCP_TASK_FAILED ("Error: task cancelled by the caller"). */
  int (*run)(mcp_ctx *ctx, const mcp_task *task, const mcp_route *route, mcp_task_result *out);
} mcp_executor;

/* The built-in types, in routing order (tools/exec_command.c, tools/exec_mcp.c,
 * tools/exec_delegate.c, tools/chat.c). */
extern const mcp_executor mcp_executor_command;
extern const mcp_executor mcp_executor_delegate;
extern const mcp_executor mcp_executor_chat; /* tools/chat.c: the chat backend (executors.chat) */
extern const mcp_executor mcp_executor_mcp;  /* tools/exec_mcp.c: a call on a live upstream */

/* The routing rule of the executor types configured by name (tools/exec_command.c): the
 * executor `required` names (one capability), else "default", else the only task executor;
 * 1 with out filled when that executor's "type" is `type`, else 0. config and required borrowed. */
int mcp_executor_route_typed(const json_t *config, const json_t *required, const char *type,
                             mcp_route *out);

/* Longest delegation chain (tokens, root first) a task may carry or create (spec/mcp.md §3.1.1);
 * equal to the receipt nesting limit, so a chain and its receipts have the same depth. */
#define MCP_DELEGATION_MAX_CHAIN 10

/* Appends one event to the task's run (in its own group-committed transaction). `kind` must be
 * registered (spec/store.md: task.delegated is; see there for the others); `idempotency_key`
 * unique within the run (e.g. "delegate:<peer>"); `payload` borrowed, an object without reals.
 * Returns 0, or -1 with a one-line message in err (size errlen; err may be NULL). */
int mcp_task_event(mcp_ctx *ctx, const mcp_task *task, const char *kind,
                   const char *idempotency_key, const json_t *payload, char *err, size_t errlen);

/* printf into a new string (free(); or stolen by mcp_task_result.result); NULL on out of
 * memory. */
char *mcp_task_strf(const char *fmt, ...) MCP_PRINTF(1, 2);

#endif
