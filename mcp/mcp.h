/* SPDX-License-Identifier: Apache-2.0
 * mcp/mcp.h — the transport-agnostic MCP server core: JSON-RPC 2.0 parsing with limits, the
 * dual-era lifecycle (legacy initialize-based 2025-11-25/06-18/03-26 and modern 2026-07-28
 * per-request _meta), the tool registry driven by schemas/tools/<name>.json, the policy gate call,
 * the signed ToolInvocationReceipt and the Store commit that precedes every response.
 * Transports (stdio in cli/cmd_serve.c + transports/stdio.c, HTTP in the HTTP helper's files)
 * hand it raw messages and get raw messages back; it never touches a file descriptor itself.
 *
 * Threading model. One mcp_server owns a bounded worker pool (opts.workers threads) and an
 * in-flight window (opts.window requests). A transport opens one mcp_session per connection
 * (stdio: the process; HTTP: one per POST when served statelessly) and calls mcp_submit() for
 * every received message. Requests that need work (tools/call, tools/list, ...) run on the pool;
 * trivial ones (ping, errors, notifications, responses to our own requests) are answered inline,
 * on the submitting thread, before mcp_submit returns. The emit callback may therefore run on
 * the submitter's thread or on a worker thread; it must be thread-safe for the session.
 *
 * Errors: functions return MCP_OK (0) or a negative mcp_rc (an alias of a wl_code,
 * crypto/err.h). Protocol faults never come back as
 * return codes: they are JSON-RPC error messages delivered through the emit callback. */
#ifndef WL_MCP_MCP_H
#define WL_MCP_MCP_H

#include "crypto/err.h"
#include "crypto/seal.h"
#include "mcp/policy.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define MCP_WUR __attribute__((warn_unused_result))
#define MCP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MCP_WUR
#define MCP_PRINTF(a, b)
#endif

/* The codes of the core: aliases into the one code space of crypto/err.h. */
typedef enum mcp_rc {
  MCP_OK = WL_OK,
  MCP_ERROR = WL_ERROR,     /* unexpected: out of memory, thread creation, Store failure */
  MCP_EINVAL = WL_EINVAL,   /* bad options or arguments */
  MCP_ECLOSED = WL_ECLOSED, /* the session or server is shutting down; the message was not taken */
  MCP_EBUSY = WL_EBUSY, /* the in-flight window is full and the session has no_wait; not taken */
} mcp_rc;

/* Protocol revisions we speak. */
#define MCP_VERSION_MODERN "2026-07-28"
#define MCP_VERSION_LEGACY_LATEST "2025-11-25"

/* JSON-RPC / MCP error codes (reference/mcp.md §1.6). A wl_code maps to its JSON-RPC code
 * through wl_code_jsonrpc() (crypto/err.h), the one mapping table. */
#define MCP_JSONRPC_PARSE_ERROR WL_JSONRPC_PARSE_ERROR
#define MCP_JSONRPC_INVALID_REQUEST WL_JSONRPC_INVALID_REQUEST
#define MCP_JSONRPC_METHOD_NOT_FOUND WL_JSONRPC_METHOD_NOT_FOUND
#define MCP_JSONRPC_INVALID_PARAMS WL_JSONRPC_INVALID_PARAMS
#define MCP_JSONRPC_INTERNAL_ERROR WL_JSONRPC_INTERNAL_ERROR
#define MCP_ERR_HEADER_MISMATCH -32020
#define MCP_ERR_MISSING_CAPABILITY -32021
#define MCP_ERR_UNSUPPORTED_VERSION -32022

/* Default limits (all overridable in mcp_server_opts; 0 = default). */
#define MCP_DEFAULT_MAX_MESSAGE (4u * 1024u * 1024u) /* bytes of one JSON-RPC message */
#define MCP_DEFAULT_MAX_DEPTH 64                     /* JSON nesting depth */
#define MCP_DEFAULT_MAX_STRING (1024u * 1024u)       /* bytes of one JSON string */
#define MCP_DEFAULT_WORKERS 16
#define MCP_DEFAULT_WINDOW 64

struct ledger;          /* ledger/ledger.h */
struct mcp_tool_impl;   /* mcp/tool.h */
struct mcp_tool_source; /* mcp/tool.h */

typedef struct mcp_server_opts {
  struct ledger *store;   /* borrowed, must outlive the server; NULL = record nothing (tests) */
  const seal_key *key;    /* borrowed, must outlive the server; signs receipts (required) */
  const char *motebit_id; /* borrowed (copied); NULL = sovereign id derived from the key */
  const char *device_id;  /* borrowed (copied); NULL = "workledger" */
  /* borrowed (the server takes its own reference): the whole .motus/config.json object, or NULL */
  const json_t *config;
  const char *profile; /* "personal" (default), "service" or "collaborative"; borrowed (copied) */
  const char *server_name;  /* serverInfo.name; NULL = "workledger" */
  const char *instructions; /* optional instructions text; borrowed (copied) */
  /* The tools: a NULL-terminated list of tool tables (mcp/tool.h), borrowed, must outlive the
   * server. The composition root passes tools_groups (tools/tools.h); NULL = no tools. */
  const struct mcp_tool_impl *const *tool_groups;
  /* Tools of other MCP servers (mcp/tool.h, spec/upstreams.md), borrowed, must outlive the
   * server; NULL = none. With one, tools/list announces listChanged. */
  const struct mcp_tool_source *tool_source;
  /* Resources and prompts (mcp/tool.h): {NULL}-terminated lists of {NULL}-terminated tables,
   * borrowed, must outlive the server; NULL = none (and no such capability is announced). */
  const struct mcp_resource_impl *const *resource_groups;
  const struct mcp_prompt_impl *const *prompt_groups;
  /* The node's signed identity file (motebit.md) text, served as motebit://identity; borrowed
   * (copied); NULL = none. */
  const char *identity_file;
  /* Tests only: make every tools/call fail at one step after its handler ran: "sign" (the
   * receipt), "insert" (the Store job, after its inserts) or "commit" (the COMMIT); or SIGKILL
   * the process there: "kill-before-commit", "kill-after-commit" (before the answer is sent).
   * NULL = none. The CLI takes it from WORKLEDGER_FAULT. */
  const char *fault;
  int workers;              /* worker threads; 0 = MCP_DEFAULT_WORKERS */
  int window;               /* max requests in flight per server; 0 = MCP_DEFAULT_WINDOW */
  size_t max_message;       /* 0 = MCP_DEFAULT_MAX_MESSAGE */
  int max_depth;            /* 0 = MCP_DEFAULT_MAX_DEPTH */
  size_t max_string;        /* 0 = MCP_DEFAULT_MAX_STRING */
  int page_size;            /* tools/list page size; 0 = 50 */
  int progress_interval_ms; /* heartbeat progress for long calls; 0 = 10000 */
} mcp_server_opts;

typedef struct mcp_server mcp_server;
typedef struct mcp_session mcp_session;

/* Creates a server and starts its worker pool. Returns MCP_OK, MCP_EINVAL (no key, bad
 * profile, invalid policy configuration; message in err) or MCP_ERROR. `*out` untouched on
 * failure. err may be NULL. */
int mcp_server_new(mcp_server **out, const mcp_server_opts *opts, char *err, size_t errlen) MCP_WUR;

/* Stops the pool after the in-flight requests of every session finished; frees. Sessions must be
 * freed first. NULL is a no-op. */
void mcp_server_free(mcp_server *srv);

/* The server is going down (SIGTERM): from now on every running and every new tool call sees
 * itself cancelled (mcp_ctx_cancelled), so long handlers stop their child processes, endpoints
 * and peers and answer with a clean failure and a signed receipt. Callable from any thread, any
 * number of times; the server still has to be freed. */
void mcp_server_shutdown(mcp_server *srv);

/* ---- sessions and the submit API ---------------------------------------------------------- */

/* Flags passed to the emit callback. */
#define MCP_EMIT_FINAL                                                                             \
  1u /* last message of this submission; msg may be NULL (nothing to send:
                                    a notification, a cancelled request, a response we consumed) */
#define MCP_EMIT_NOTIFICATION                                                                      \
  2u                        /* msg is a notification (progress, message) related to the request */
#define MCP_EMIT_REQUEST 4u /* msg is a server->client request (elicitation/create) */

/* Receives the outgoing messages of one submission, in order: zero or more notifications, then
 * exactly one call with MCP_EMIT_FINAL (the response, or msg == NULL when there is none).
 * `msg` is compact JSON without a trailing newline, NUL-terminated, borrowed for the duration
 * of the call. May be called on any thread, but never concurrently for the same submission. */
typedef void (*mcp_emit_fn)(const char *msg, size_t len, unsigned flags, void *payload);

typedef struct mcp_session_opts {
  mcp_caller caller; /* strings borrowed (copied) */
  int stateless;     /* 1 = HTTP: legacy `initialize` is answered but nothing is remembered;
                                 every non-initialize request is served as already initialized */
  /* Out-of-band channel for server->client requests (elicitation/create) and session-wide
   * notifications. NULL = none (then elicitation is never used). Same contract as mcp_emit_fn
   * except MCP_EMIT_FINAL is never set. */
  mcp_emit_fn send;
  void *send_payload;
  /* 1 = never block in mcp_submit: a full in-flight window answers MCP_EBUSY (HTTP: the listener
   * thread serves every connection and must not wait; the client gets 503 + Retry-After). */
  int no_wait;
  /* 1 = tools flagged MCP_TOOL_SHORT run on the thread calling mcp_submit (no hand-off to a
   * worker) when no approval can be asked for them; their answer still comes after their
   * record's group commit, from the Store's writer thread. For a single reader (stdio). */
  int run_short;
  /* 1 = emit accepts several final responses in one call, joined by '\n' (one line each: stdio);
   * the answers of one group commit are then written together. */
  int joined_finals;
} mcp_session_opts;

/* Opens a session on `srv`. Returns MCP_OK or MCP_ERROR. */
int mcp_session_new(mcp_session **out, mcp_server *srv, const mcp_session_opts *opts) MCP_WUR;

/* Submits one raw message (`len` bytes, need not be NUL-terminated). Every outcome, including
 * parse errors and oversize messages, comes back through `emit` (exactly one MCP_EMIT_FINAL call
 * per accepted submission, possibly before mcp_submit returns). When the in-flight window is full
 * this call blocks until a slot frees (backpressure on the reader), or with opts.no_wait returns
 * MCP_EBUSY at once. `*ticket_out` (may be NULL) receives a handle for mcp_cancel; 0 when the
 * message completed inline. Returns MCP_OK, MCP_EBUSY, or MCP_ECLOSED when the session is
 * draining (emit is then not called for MCP_EBUSY and MCP_ECLOSED). */
int mcp_submit(mcp_session *s, const char *msg, size_t len, mcp_emit_fn emit, void *payload,
               uint64_t *ticket_out);

/* Answers a message the transport could not even hand over (e.g. a stdio line over the size limit,
 * already discarded): emits one JSON-RPC error with id null and the given code/message through
 * `emit` with MCP_EMIT_FINAL. Returns MCP_OK. */
int mcp_reject(mcp_session *s, int code, const char *message, mcp_emit_fn emit, void *payload);

/* Cancels a submission (HTTP: the client closed the stream). The request stops at its next
 * cancellation point and its FINAL callback carries msg == NULL. Unknown/finished tickets are
 * ignored. Stdio clients cancel with notifications/cancelled instead, which the core handles. */
void mcp_cancel(mcp_session *s, uint64_t ticket);

/* Stops accepting messages and waits until every in-flight submission of the session delivered
 * its FINAL callback. */
void mcp_session_drain(mcp_session *s);

/* Drains, then frees. NULL is a no-op. */
void mcp_session_free(mcp_session *s);

/* Sends the server->client request `method` (params stolen) through `emit` with
 * MCP_EMIT_REQUEST (e.g. on the response stream of the POST it belongs to) and waits up to
 * timeout_ms for the client's response, which arrives through mcp_submit on the same session.
 * Returns the whole response message (new: {id, result} or {id, error}) or NULL (timeout, the
 * session draining, out of memory). Blocks: never call it on a thread that reads the client. */
json_t *mcp_session_ask(mcp_session *s, const char *method, json_t *params, mcp_emit_fn emit,
                        void *payload, int timeout_ms);

/* Number of submissions of the session still in flight (for tests and HTTP accounting). */
int mcp_session_inflight(mcp_session *s);

/* The inputSchema of a registered tool (borrowed, lives as long as the server), or NULL: for the
 * HTTP binding's x-mcp-header checks (SEP-2243). */
const json_t *mcp_server_tool_schema(mcp_server *srv, const char *name);

/* ---- multi-round-trip requests (SEP-2322; spec/mcp.md §5.3) -------------------------------- */

#define MCP_STATE_TTL_MS (15 * 60 * 1000) /* a requestState is good for 15 minutes */

/* Seals `state` (borrowed JSON value) into an opaque requestState bound to `caller_id` and
 * `purpose` (HMAC-SHA-256 under the server's per-process key, held in sodium_malloc memory).
 * Returns a new string (free()) or NULL (bad arguments, out of memory). */
char *mcp_state_seal(mcp_server *srv, const char *caller_id, const char *purpose,
                     const json_t *state);
/* The same with its own lifetime (legacy HTTP session ids: a day). */
char *mcp_state_seal_ttl(mcp_server *srv, const char *caller_id, const char *purpose,
                         const json_t *state, int64_t ttl_ms);
/* Opens a requestState: the sealed value (new) when its MAC checks for this caller and purpose
 * and it has not expired; NULL otherwise (tampered, another caller, expired, malformed). */
json_t *mcp_state_open(mcp_server *srv, const char *caller_id, const char *purpose,
                       const char *token);
/* {resultType:"input_required", inputRequests, requestState?} (new); input_requests stolen
 * (NULL = {}), request_state borrowed (NULL = none). */
json_t *mcp_input_required(json_t *input_requests, const char *request_state);
/* One inputRequests entry {method:"elicitation/create", params:{message, requestedSchema}}
 * (new); message borrowed, schema stolen. */
json_t *mcp_elicit_request(const char *message, json_t *schema);
/* 1 when the client capabilities object (borrowed, may be NULL) declares `name`. */
int mcp_caps_has(const json_t *client_caps, const char *name);

/* ---- logging ------------------------------------------------------------------------------ */

typedef enum mcp_log_level {
  MCP_LOG_DEBUG = 0,
  MCP_LOG_INFO,
  MCP_LOG_NOTICE,
  MCP_LOG_WARNING,
  MCP_LOG_ERROR,
  MCP_LOG_CRITICAL,
  MCP_LOG_ALERT,
  MCP_LOG_EMERGENCY
} mcp_log_level;

/* Minimum level written to stderr (default MCP_LOG_INFO; WORKLEDGER_LOG=debug|info|... sets it). */
void mcp_log_set_level(mcp_log_level lvl);
/* One line to stderr: "<UTC ISO-8601 ms> <level> <message>". Thread-safe. Never writes stdout. */
void mcp_log(mcp_log_level lvl, const char *fmt, ...) MCP_PRINTF(2, 3);
/* 1 when mcp_log at this level would write a line (to skip formatting it otherwise). */
int mcp_log_enabled(mcp_log_level lvl);
/* "debug".."emergency" <-> level; parse returns -1 for an unknown name. */
const char *mcp_log_level_name(mcp_log_level lvl);
int mcp_log_level_parse(const char *name);

/* ---- introspection (tests, HTTP) ------------------------------------------------------------ */

/* The method of a raw JSON-RPC message and the tool name of a tools/call, for the HTTP helper's
 * Mcp-Method / Mcp-Name header checks. Returns MCP_OK (method_out set, name_out set or "") or
 * MCP_EINVAL when the message is not a JSON object with a string method. Buffers are NUL-terminated
 * and truncated to their capacity. */
int mcp_peek_method(const char *msg, size_t len, char *method_out, size_t mcap, char *name_out,
                    size_t ncap);

/* ---- durable MCP tasks (SEP-2663, the io.modelcontextprotocol/tasks extension of 2026-07-28;
 * spec/mcp.md §5.4; mcp/tasks.c) ------------------------------------------------------------------
 * A task is created by the server for a call whose request declared the extension, answered at
 * once with a CreateTaskResult, and run on a thread of the task table; the client polls
 * tasks/get (the result or error is inlined there), answers inputRequests with tasks/update and
 * stops it with tasks/cancel. With a Store each task is a Store run (run_id = taskId): created
 * before CreateTaskResult is sent, closed with its result, so tasks/get still answers after a
 * restart, and a task a crash cut short is closed as failed, with a signed receipt, when the
 * server comes back. Strings are borrowed for the call; json arguments are stolen where
 * marked, results are new. */

#define MCP_TASKS_EXTENSION "io.modelcontextprotocol/tasks"
#define MCP_TASK_ID_MAX 64
#define MCP_TASK_TTL_MS (24 * 3600 * 1000) /* kept for a day after creation */
#define MCP_TASK_POLL_MS 500

/* 1 when a request's params (borrowed) declare the tasks extension in their 2026-07-28
 * _meta clientCapabilities.extensions. */
int mcp_task_client_supports(const json_t *params);

/* The body of a task: runs on its own thread; it ends the task with mcp_task_complete or
 * mcp_task_fail (otherwise the task fails when fn returns). `arg` is the caller's. */
typedef void (*mcp_task_fn)(mcp_server *srv, const char *task_id, void *arg);

/* Creates a task owned by `owner` for `tool`, makes it durable (Store), starts fn(arg) on a new
 * thread and returns the CreateTaskResult (new) in *created. arg_free (may be NULL) releases arg
 * after fn returned, or at once on failure. Returns MCP_OK, MCP_ECLOSED (shutting down) or
 * MCP_ERROR (out of memory, thread, Store). */
int mcp_task_start(mcp_server *srv, const char *owner, const char *tool, mcp_task_fn fn, void *arg,
                   void (*arg_free)(void *), json_t **created) MCP_WUR;

/* Ends a task with a CallToolResult (stolen): status completed (a tool error is completed with
 * result.isError). No-op for a task already terminal (cancelled). */
void mcp_task_complete(mcp_server *srv, const char *task_id, json_t *result);
/* Ends a task with a protocol error: status failed, error {code, message}. */
void mcp_task_fail(mcp_server *srv, const char *task_id, int code, const char *message);
/* Parks the task in input_required with `requests` (stolen: {key: {method, params}}) and waits up
 * to timeout_ms until every key was answered through tasks/update. Returns {key: response}
 * (new), or NULL when cancelled, shut down or timed out. */
json_t *mcp_task_ask(mcp_server *srv, const char *task_id, json_t *requests, int timeout_ms);
/* 1 when the task was cancelled (tasks/cancel) or the server is shutting down. */
int mcp_task_cancelled(mcp_server *srv, const char *task_id);

#endif
