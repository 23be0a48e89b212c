/* SPDX-License-Identifier: Apache-2.0
 * client/upstream.h — one upstream MCP server that workledger serves through its gate
 * (spec/upstreams.md): either a stdio server (a child process started once, kept alive and
 * restarted with backoff when it dies; newline-delimited JSON-RPC on its stdin/stdout, its stderr
 * shared with ours) or a Streamable HTTP server reached through mcp_client (both eras). A
 * supervisor thread per upstream connects it (initialize + notifications/initialized, or the
 * era probe), lists its tools, re-lists them on notifications/tools/list_changed and restarts a
 * dead child. Calls run on the caller's thread: the stdio request is written under a mutex and
 * the caller waits for its response, which the reader thread hands over by id. Progress and
 * logging notifications of a call reach its callbacks; cancellation sends
 * notifications/cancelled. A child gets exactly the environment its options name.
 * Limits: a per-call timeout, a message/result size cap (a larger stdout line kills and
 * restarts the child; its calls fail), a concurrency cap (calls over it fail at once). Lines
 * on the child's stdout that are not JSON-RPC are logged and skipped. Never writes stdout.
 *
 * Threading: every function may be called from any thread once mcp_upstream_start returned;
 * mcp_upstream_free must not race with calls.
 *
 * Errors: functions return MCP_CLIENT_OK or a negative mcp_client_rc (client/client.h) and fill
 * `err` (may be NULL) with a one-line message naming the upstream. */
#ifndef WL_CLIENT_UPSTREAM_H
#define WL_CLIENT_UPSTREAM_H

#include "client/client.h"

#include <jansson.h>
#include <stddef.h>

#define MCP_UPSTREAM_NAME_MAX 48

typedef struct mcp_upstream_opts {
  const char *name;        /* required; borrowed (copied) */
  const char *const *argv; /* stdio: NULL-terminated program and arguments; borrowed (copied) */
  const char *const *envp; /* stdio: "K=V" strings, NULL-terminated: the child's whole
                                environment (NULL = empty); borrowed (copied) */
  const char *cwd;         /* stdio: working directory; NULL = ours; borrowed (copied) */
  const char *url;         /* http: the endpoint (exclusive with argv); borrowed (copied) */
  const char *bearer;      /* http: static bearer token or NULL; borrowed (copied) */
  long timeout_ms;         /* per call and per handshake step; 0 = 60000 */
  size_t max_message;      /* bytes of one message / result; 0 = 4 MiB */
  int max_concurrency;     /* calls in flight at once; 0 = 16 */
  /* Called (on the supervisor thread) when a listing differs from the one before (the first
   * non-empty one, list_changed, a restart that listed other tools). May be NULL. */
  void (*on_tools_changed)(void *payload);
  void *payload;
} mcp_upstream_opts;

typedef struct mcp_upstream mcp_upstream;

/* Validates the options, starts the supervisor (which spawns/connects in the background) and
 * returns at once. Returns OK, EINVAL (no name, neither or both of argv/url) or ERROR. */
int mcp_upstream_start(mcp_upstream **out, const mcp_upstream_opts *o,
                       mcp_client_err *err) MCP_CLIENT_WUR;

/* Waits up to timeout_ms until the first tool listing succeeded or failed once. Returns 1 when
 * the upstream is ready, 0 otherwise. */
int mcp_upstream_wait_ready(mcp_upstream *u, long timeout_ms);

/* The upstream's name (borrowed). */
const char *mcp_upstream_name(const mcp_upstream *u);

/* The upstream's current tools: a new reference to an array of its tools/list entries as
 * received (never NULL: [] before the first listing). */
json_t *mcp_upstream_tools(mcp_upstream *u);

/* The pid of the running child (stdio), or 0. */
long mcp_upstream_pid(mcp_upstream *u);

/* A server->client request of the upstream during a call (elicitation/create,
 * sampling/createMessage): runs on the calling thread; returns the result to send back (new), or
 * NULL with a one-line message in err (size errlen) to answer with a JSON-RPC error. */
typedef json_t *(*mcp_upstream_request_fn)(const char *method, const json_t *params, void *payload,
                                           char *err, size_t errlen);

/* tools/call `tool` with `arguments` (borrowed object; NULL = {}) on the live upstream, waiting
 * for a restart in progress within the call's timeout. co's callbacks (progress, notification,
 * cancelled; their payload also goes to on_request, which may be NULL: then such requests are
 * refused; stdio only) and timeout_ms apply; co may be NULL. `*result_out` (new) is the CallToolResult
 * exactly as received on OK (isError results included: the caller decides), NULL otherwise.
 * Returns OK; ETIMEOUT (no answer in time: the upstream got
 * notifications/cancelled), ECANCELLED, ETOOBIG (reply over max_message), EUNREACHABLE (the
 * child died or is not running, the HTTP server is unreachable), EPROTOCOL (malformed reply),
 * ERPC (the upstream's JSON-RPC error), ERROR (too many calls in flight: err says so), or any
 * mcp_client_call_tool code for HTTP. */
int mcp_upstream_call(mcp_upstream *u, const char *tool, const json_t *arguments,
                      const mcp_client_call_opts *co, mcp_upstream_request_fn on_request,
                      json_t **result_out, mcp_client_err *err) MCP_CLIENT_WUR;

/* Stops the supervisor, kills the child's process group (SIGTERM, then SIGKILL after 2 s),
 * frees. NULL is a no-op. */
void mcp_upstream_free(mcp_upstream *u);

#endif
