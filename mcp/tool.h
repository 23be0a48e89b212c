/* SPDX-License-Identifier: Apache-2.0
 * mcp/tool.h — what a tool handler sees. Each tool group lives in its own file
 * (tools/motebit.c, tools/motus.c, ...) and exports a table of mcp_tool_impl terminated
 * by a {NULL} entry; mcp/registry.c lists the groups. The schema of every tool (description,
 * risk, inputSchema, outputSchema) comes from schemas/tools/<name>.json, never from C. A handler
 * runs on a worker thread after its arguments were validated against inputSchema and the policy
 * gate allowed the call; it fills mcp_tool_out and returns 0, or returns -1 with out->error set
 * (the call becomes an isError result). The core signs the receipt and commits the call's events
 * afterwards; handlers that write to the Store themselves (the work loop) do so through the
 * ledger API and report the run they touched in out->run_id. */
#ifndef WL_MCP_TOOL_H
#define WL_MCP_TOOL_H

#include "mcp/mcp.h"

#include <jansson.h>

typedef struct mcp_ctx mcp_ctx;

typedef struct mcp_tool_out {
  json_t *payload; /* stolen by the core: the JSON written as the text content
                         (compact). Required on success. */
  json_t
      *structured;  /* stolen by the core, or NULL: structuredContent; NULL = payload when it is an
                         object. Must validate against the tool's outputSchema. */
  char error[512];  /* on failure: one message a model can act on */
  char run_id[128]; /* optional: id of the Store run the call acted on ("" = none) */
} mcp_tool_out;

typedef int (*mcp_tool_fn)(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out);

/* Profiles (reference/motebit.md §1, spec/mcp.md §3) as bits of mcp_tool_impl.profiles. */
#define MCP_PROFILE_PERSONAL 1u
#define MCP_PROFILE_SERVICE 2u
#define MCP_PROFILE_COLLABORATIVE 4u
#define MCP_PROFILE_ALL (MCP_PROFILE_PERSONAL | MCP_PROFILE_SERVICE | MCP_PROFILE_COLLABORATIVE)

/* One tool of a tool table. The registry registers it when the server's profile is one of
 * `profiles` (the profiles that REQUIRE the tool), or else when `available` is NULL or says the
 * tool can do something with this configuration (`config`: the normalised config, borrowed,
 * possibly an empty object). */
typedef struct mcp_tool_impl {
  const char *name; /* must equal the "name" of schemas/tools/<name>.json */
  mcp_tool_fn fn;
  unsigned profiles;
  int (*available)(const json_t *config);
  unsigned flags; /* MCP_TOOL_* */
  /* Optional: a refusal that depends on the arguments alone (e.g. the memory sensitivity floor),
   * run after the policy gate's outright denials and before any approval is asked, so a call the
   * tool would refuse anyway never waits for an operator. Returns 0 to go on, or -1 with one
   * model-actionable line in err (errlen bytes, caller's buffer); the call then ends as an
   * isError result with status "failed" and the handler never runs. args is borrowed. */
  int (*precheck)(const json_t *args, char *err, size_t errlen);
  /* Optional: 1 when this call is short as MCP_TOOL_SHORT says (no wait for the Store's writer,
   * no file or child process, no talk with the client) for these arguments on this Store, so a
   * run_short session may run it on its submitting thread; 0 = hand it to a worker. Called
   * before the arguments are validated (args borrowed, of any shape; store borrowed, may be
   * NULL), from any thread. */
  int (*runs_short)(const struct ledger *store, const json_t *args);
} mcp_tool_impl;

/* The handler runs for long (a child process, a peer): its Store writes commit as it makes them
 * (a task's start is durable before it runs), and only what it writes after
 * mcp_ctx_join_call_tx() commits with the call record. Without this flag, everything the
 * handler writes commits atomically with the call record (one transaction per call). */
#define MCP_TOOL_LONG 1u
/* The tool may run as an MCP task (SEP-2663, taskSupport "optional"): a 2026-07-28 client that
 * declares the io.modelcontextprotocol/tasks extension gets a CreateTaskResult and polls
 * tasks/get; every other client gets the synchronous answer. */
#define MCP_TOOL_TASK 2u

/* ---- tools of other MCP servers (spec/upstreams.md) ----------------------------------------- */

/* Tools the core serves on behalf of other MCP servers (tools/upstream.c): they are listed after
 * the built-in ones and called through the same path (arguments checked against their
 * inputSchema when our validator understands it, the policy gate, the signed receipt, one Store
 * transaction), but their result is the other server's CallToolResult, returned unchanged with
 * our receipt added to its _meta. Both functions may be called from several threads at once. */
typedef struct mcp_tool_source {
  /* The current tools: a new array of {"tool": <tools/list entry, its final name included>,
   * "risk": 0..4, "deny": bool, "approval": bool}; never NULL (an empty array). */
  json_t *(*snapshot)(void *self);
  /* Calls tool `name` (as listed) with `args` (borrowed). Returns 0 with *result_out the
   * CallToolResult as the other server returned it (new; isError results included), or -1 with
   * a one-line message a model can act on in err (size errlen): then the call fails with a
   * signed `failed` receipt. Must honour mcp_ctx_cancelled(ctx). */
  int (*call)(void *self, mcp_ctx *ctx, const char *name, const json_t *args, json_t **result_out,
              char *err, size_t errlen);
  void *self; /* passed to both */
} mcp_tool_source;

/* Sends notifications/tools/list_changed to every session that has a channel to its client
 * (stdio). Callable from any thread. */
void mcp_server_tools_changed(mcp_server *srv);

/* Relays a notification (method borrowed, params stolen; NULL = none) to the calling client
 * as part of this call: notifications/message of another server, for instance. */
void mcp_ctx_notify(mcp_ctx *ctx, const char *method, json_t *params);
/* The handler is short, writes nothing to the Store and never talks to the client (no progress,
 * no sampling): a session opened with mcp_session_opts.run_short runs its calls on the thread
 * that submits them (the stdio reader) when the policy can never ask for an approval on them,
 * instead of handing them to a worker. Its record still commits asynchronously, grouped. */
#define MCP_TOOL_SHORT 4u

/* ---- resources and prompts (resources/list, resources/read, prompts/list, prompts/get) ------ */

/* A resource offered by a tool group (tools/resources.c, tools/ledger_resources.c): one with a
 * fixed URI (read), or a resource template (uri_template set, read_uri) that serves every URI
 * starting with `uri` (its prefix). Handlers run on a worker thread with the reading client's
 * context (caller, config, Store; no invocation id, nothing recorded) and fill *text_out (new,
 * free()) with the content, or return -1 with a one-line message in err. Returning 1 means "not
 * there" (resource not found, err says why), 2 "not for this caller" (its policy does not allow
 * the read; err says why). list (optional) appends the concrete resources of a template to
 * `items` (borrowed array) as {uri, name, title?, description?, mimeType} objects, newest first,
 * or for a fixed resource the resource itself when this caller may see it (without list, a fixed
 * resource is always listed); the core pages resources/list over them. */
typedef struct mcp_resource_impl {
  const char *uri;         /* "motebit://identity"; for a template the prefix it serves */
  const char *name;        /* "identity" */
  const char *title;       /* for people */
  const char *description; /* for models */
  const char *mime_type;   /* "application/json", "text/markdown" */
  int (*read)(mcp_ctx *ctx, char **text_out, char *err, size_t errlen);
  const char *uri_template; /* RFC 6570 level 1 ("workledger://runs/{run_id}"); NULL = fixed */
  int (*read_uri)(mcp_ctx *ctx, const char *uri, char **text_out, char *err, size_t errlen);
  int (*list)(mcp_ctx *ctx, json_t *items, char *err, size_t errlen);
  /* Optional, templates only: makes its URIs subscribable (resources/subscribe). Fills out (cap
   * bytes) with a text that changes whenever the resource does and returns 0 while it may be
   * subscribed (an open run), non-zero once it may not (closed, gone, not for this caller). */
  int (*version)(mcp_ctx *ctx, const char *uri, char *out, size_t cap);
} mcp_resource_impl;

typedef struct mcp_prompt_arg {
  const char *name;
  const char *description;
  int required;
} mcp_prompt_arg;

/* A prompt template. get() receives the arguments (a borrowed object of strings, the required
 * ones checked present by the core) and fills *messages_out with a new array of PromptMessage
 * ({role, content:{type:"text", text}}), or returns -1 with a one-line message in err. */
typedef struct mcp_prompt_impl {
  const char *name;
  const char *title;
  const char *description;
  const mcp_prompt_arg *args; /* {NULL}-terminated; may be NULL */
  int (*get)(mcp_ctx *ctx, const json_t *args, json_t **messages_out, char *err, size_t errlen);
} mcp_prompt_impl;

/* Accessors (all borrowed, valid during the handler call). */
struct ledger *mcp_ctx_store(mcp_ctx *ctx);
const seal_key *mcp_ctx_key(mcp_ctx *ctx);
const char *mcp_ctx_motebit_id(mcp_ctx *ctx);
const char *mcp_ctx_device_id(mcp_ctx *ctx);
/* did:key of the node key ("" if it could not be derived). */
const char *mcp_ctx_did(mcp_ctx *ctx);
const char *mcp_ctx_profile(mcp_ctx *ctx);
const json_t *mcp_ctx_config(mcp_ctx *ctx);
const mcp_caller *mcp_ctx_caller(mcp_ctx *ctx);
mcp_server *mcp_ctx_server(mcp_ctx *ctx);
/* The Store run that holds this server's call records (the session run), or NULL when the
 * server records nothing. */
const char *mcp_ctx_session_run(mcp_ctx *ctx);
/* The node's signed identity file (motebit.md) as the composition root handed it over, or NULL. */
const char *mcp_ctx_identity_file(mcp_ctx *ctx);
/* The invocation id of this call (UUID text), also the receipt's invocation_id. */
const char *mcp_ctx_invocation_id(mcp_ctx *ctx);

/* Wall-clock time in epoch milliseconds, and its ISO-8601 UTC text ("2026-01-02T03:04:05.678Z"). */
int64_t mcp_now_ms(void);
void mcp_iso_utc(char out[32], int64_t ms);

/* From here on, this handler's Store writes (ledger_tx on this thread) commit in ONE transaction
 * with the call's decision, record and receipt, after the handler returns: all or nothing. The
 * default for tools without MCP_TOOL_LONG; a long handler calls it before its final writes, and
 * must not wait on anything slow afterwards. Returns 0, or -1 when the call records nothing. */
int mcp_ctx_join_call_tx(mcp_ctx *ctx);
/* The same as a callback for ledger_wrap_opts.before_end (payload: the mcp_ctx, borrowed). */
void mcp_ctx_join_call_tx_cb(void *ctx);

/* Sends the server->client request `method` (params stolen) to the calling client and waits up to
 * timeout_ms for its answer: sampling/createMessage, elicitation/create. Only a session with a
 * channel back to its client can be asked (stdio; not stateless HTTP nor a 2026-07-28 request),
 * and only when the client declared `capability` (NULL = no check). Returns the answer's result
 * object (new), or NULL with a one-line message in err (size errlen): no channel, capability
 * missing, cancelled, no answer in time, or the client's own error message. */
json_t *mcp_ctx_client_request(mcp_ctx *ctx, const char *capability, const char *method,
                               json_t *params, int timeout_ms, char *err, size_t errlen);
/* 1 when the client cancelled the call or the server is shutting down (mcp_server_shutdown);
 * long handlers poll it and return early. */
int mcp_ctx_cancelled(mcp_ctx *ctx);
/* 1 when the cancellation comes from mcp_server_shutdown (for the message). */
int mcp_ctx_shutting_down(mcp_ctx *ctx);
/* Sends notifications/progress when the request carried a progressToken (no-op otherwise).
 * `progress` must increase between calls; total <= 0 means unknown; msg may be NULL. */
void mcp_ctx_progress(mcp_ctx *ctx, double progress, double total, const char *msg);
/* The same with progress = the last value sent + 1 (the heartbeat's included): for a stream of
 * pieces (tokens of a chat answer) whose count says nothing. msg may be NULL. */
void mcp_ctx_progress_step(mcp_ctx *ctx, const char *msg);
/* Logs to stderr and, when the client asked for logs at this level, as notifications/message. */
void mcp_ctx_log(mcp_ctx *ctx, mcp_log_level lvl, const char *fmt, ...) MCP_PRINTF(3, 4);

/* The tools `caller` may use: [{name, description, risk}] in tools/list order (new).
 * Tools the policy denies outright for this caller are left out. */
json_t *mcp_server_tools_for(mcp_server *srv, const mcp_caller *caller);

#endif
