/* SPDX-License-Identifier: Apache-2.0
 * serve/conformance_int.h — what the files of the conformance fixture surface share (never
 * included outside serve/conformance*.c): the reply helpers, one fixture call's context, and the
 * fixture groups of each file (multi-round-trip tools, task tools, legacy server->client tools). */
#ifndef WL_SERVE_CONFORMANCE_INT_H
#define WL_SERVE_CONFORMANCE_INT_H

#include "serve/conformance.h"

#include <jansson.h>

/* One fixture request: everything borrowed for the duration of the call. */
typedef struct conf_call {
  const json_t *id;
  const json_t *params;
  int modern;
  mcp_server *srv;
  mcp_session *sess; /* the caller's session (legacy server->client requests), may be NULL */
  const char *caller;
  mcp_emit_fn emit;
  void *payload;
} conf_call;

/* conformance.c: send `msg` (stolen) through emit; a result / an error as the FINAL message. */
void conf_send_json(mcp_emit_fn emit, void *payload, json_t *msg, unsigned flags);
void conf_result(mcp_emit_fn emit, void *payload, const json_t *id, json_t *res, int modern,
                 int cache);
void conf_error(mcp_emit_fn emit, void *payload, const json_t *id, int code, const char *msg,
                json_t *data);
json_t *conf_text_block(const char *t); /* {type:"text", text} (new) */
/* {content:[text]} as the final result of c (text borrowed). */
void conf_text_result(const conf_call *c, const char *text);

/* conformance_mrtr.c: the SEP-2322 tools and prompt. tools: appends the listings to `list`;
 * call / prompt: 1 handled (the final message went out), 0 not theirs. */
void conf_mrtr_tools(json_t *list);
int conf_mrtr_call(const conf_call *c, const char *name);
int conf_mrtr_prompt(const conf_call *c, const char *name);
void conf_mrtr_prompts(json_t *list);

/* conformance_tasks.c: the SEP-2663 task fixtures (greet, slow_compute, ...) over the core's
 * task table (mcp/mcp.h). Same contract. */
void conf_tasks_tools(json_t *list);
int conf_tasks_call(const conf_call *c, const char *name);

/* conformance_legacy.c: legacy-era tools that ask the client (sampling, elicitation) on the
 * response stream, and the x-mcp-header fixture. Same contract. */
void conf_legacy_tools(json_t *list);
int conf_legacy_call(const conf_call *c, const char *name);

#endif
