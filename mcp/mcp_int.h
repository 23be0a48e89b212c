/* SPDX-License-Identifier: Apache-2.0
 * mcp/mcp_int.h — structures shared by the files of mcp/ (never included from another folder):
 * the server, sessions, in-flight requests, the tool registry and the call recorder, and the
 * functions one file of mcp/ offers the others, grouped by the file that defines them. */
#ifndef WL_MCP_INT_H
#define WL_MCP_INT_H

#include "mcp/mcp.h"
#include "mcp/policy.h"
#include "mcp/tool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* The first structuredContent of a built-in tool found to match its outputSchema
 * (mcp__output_valid, registry.c): a tool whose result does not change from call to call
 * (motebit_identity) has it checked once. The schema lives as long as the server, and the same
 * JSON value against the same schema gets the same verdict. */
typedef struct mcp_valid_memo {
  pthread_mutex_t mu;
  json_t *value; /* new (a deep copy), or NULL until the first valid result */
} mcp_valid_memo;

typedef struct mcp_tool_entry {
  const char *name;        /* borrowed from schema json */
  const char *description; /* borrowed from schema json */
  mcp_risk risk;
  json_t *schema_file;   /* new: the parsed schemas/tools/<name>.json */
  json_t *input_schema;  /* borrowed from schema_file */
  json_t *output_schema; /* borrowed from schema_file, may be NULL */
  json_t *listing;       /* new: the tools/list entry */
  mcp_tool_fn fn;
  unsigned flags;                                                    /* mcp_tool_impl.flags */
  int (*precheck)(const json_t *args, char *err, size_t errlen);     /* mcp_tool_impl.precheck */
  int (*runs_short)(const struct ledger *store, const json_t *args); /* mcp_tool_impl.runs_short */
  int upstream;         /* 1: a tool of mcp_server.tool_source (fn NULL, schemas borrowed
                           from the snapshot the call holds) */
  int deny;             /* upstream: denied by its config */
  int approval;         /* upstream: always in the approval band by its config */
  mcp_valid_memo *memo; /* new: built-in tools with an outputSchema, else NULL */
} mcp_tool_entry;

/* Checks a result's structuredContent `v` (borrowed) against t->output_schema (non-NULL): 1
 * valid, 0 not (*verr set). A value equal to the first one found valid for a built-in tool
 * (t->memo, a deep copy kept for the server's life) is not checked again. Thread-safe. */
struct seal_jschema_err; /* crypto/jschema.h */
int mcp__output_valid(const mcp_tool_entry *t, json_t *v, struct seal_jschema_err *verr);

typedef struct mcp_req mcp_req;
struct ledger_scope; /* ledger/ledger.h */

/* Fault injection for the tests of "one call, one transaction" (mcp_server_opts.fault). */
enum {
  MCP_FAULT_NONE,
  MCP_FAULT_SIGN,
  MCP_FAULT_INSERT,
  MCP_FAULT_COMMIT,
  MCP_FAULT_KILL_BEFORE_COMMIT, /* the process SIGKILLs itself with the call's writes staged */
  MCP_FAULT_KILL_AFTER_COMMIT,  /* ... once the call is durable, before it is answered */
};
typedef struct mcp_outreq mcp_outreq;
typedef struct mcp_watch mcp_watch;

struct mcp_server {
  struct ledger *store;
  const seal_key *key;
  char motebit_id[64];
  char did[SEAL_DID_KEY_MAX]; /* did:key of the node key, derived once ("" if it failed) */
  char device_id[128];
  char profile[32];
  char server_name[64];
  char *instructions;
  json_t *config;
  mcp_policy *policy;
  mcp_policy *policy_probe; /* a second instance used only to list usable tools */
  size_t max_message;
  int max_depth;
  size_t max_string;
  int page_size;
  int progress_interval_ms;

  const mcp_tool_impl *const *tool_groups;         /* borrowed (mcp_server_opts.tool_groups) */
  const mcp_resource_impl *const *resource_groups; /* borrowed; NULL = none */
  const mcp_prompt_impl *const *prompt_groups;     /* borrowed; NULL = none */
  char *identity_file;                             /* new copy, or NULL */
  mcp_tool_entry *tools;
  size_t ntools;
  const mcp_tool_source *tool_source; /* borrowed; NULL = none */
  pthread_mutex_t sess_mu;            /* guards sessions */
  mcp_session *sessions;              /* every open session (linked through srv_next) */

  /* worker pool */
  pthread_mutex_t mu;
  pthread_cond_t cv_work; /* work queued or stopping */
  pthread_cond_t cv_slot; /* a window slot freed */
  mcp_req *q_head, *q_tail;
  int inflight;
  int window;
  int stopping;
  atomic_int shutting_down; /* mcp_server_shutdown: every running call sees itself cancelled */
  pthread_t *threads;
  int nthreads;
  atomic_int approval_waiters; /* held calls waiting for a decision (call.c) */

  int fault;               /* MCP_FAULT_* (tests: mcp_server_opts.fault) */
  uint8_t *state_key;      /* mrtr.c: the requestState HMAC key (sodium_malloc memory) */
  struct mcp_tasks *tasks; /* tasks.c: the MCP tasks of this server */

  /* the Store run that holds this server's mcp.call events (see record.c) */
  pthread_mutex_t rec_mu;
  char run_id[128];
  int run_open;
};

struct mcp_session {
  mcp_server *srv;
  mcp_caller caller;
  char *caller_id;
  char *caller_scope;
  int stateless;
  int no_wait;   /* mcp_submit answers MCP_EBUSY instead of waiting for a window slot */
  int run_short; /* mcp_session_opts.run_short */
  int joined;    /* mcp_session_opts.joined_finals */
  mcp_emit_fn send;
  void *send_payload;

  pthread_mutex_t mu;
  pthread_cond_t cv;
  int init_state; /* 0 none, 1 initialize answered, 2 initialized notification seen */
  char version[16];
  json_t *client_caps; /* legacy: from initialize */
  json_t *client_info;
  int log_level; /* legacy logging/setLevel; -1 = none */
  int draining;
  int inflight;
  mcp_req *live;    /* in-flight requests (linked through live_next) */
  mcp_outreq *out;  /* pending server->client requests */
  mcp_watch *watch; /* subscriptions and list watching (subscribe.c), NULL until used */
  uint64_t next_ticket;
  uint64_t next_out_id;
  mcp_session *srv_next; /* mcp_server.sessions */
};

struct mcp_req {
  mcp_session *s;
  uint64_t ticket;
  json_t *id; /* new: the request id, NULL for notifications */
  char method[64];
  json_t *params; /* new; may be NULL */
  mcp_emit_fn emit;
  void *payload;
  atomic_int cancelled;
  int modern;
  char version[16];
  int log_level;          /* effective level for notifications/message; -1 = none */
  json_t *progress_token; /* new or NULL */
  double progress_last;
  pthread_mutex_t progress_mu; /* serialises progress between the handler and the heartbeat */
  json_t *client_caps;         /* new: effective client capabilities */
  char task_id[64];            /* call_task.c: the task this call runs as, or "" */
  mcp_req *q_next;
  mcp_req *live_next;
};

struct mcp_outreq {
  mcp_outreq *next;
  char id[48];
  json_t *response; /* new when set */
  int done;
};

struct mcp_ctx {
  mcp_req *req;
  const mcp_tool_entry *tool;
  char invocation_id[40];
  struct ledger_scope **scope; /* the call's scope slot (call.c); NULL outside tools/call */
};

/* server.c: the window slots of the worker pool. A request waiting on its client lends its
 * slot back (release) and takes it again without waiting (retake). */
void mcp__slot_release(mcp_server *srv);
void mcp__slot_retake(mcp_server *srv);

/* jsonrpc.c */
void mcp__emit_json(mcp_req *r, json_t *msg, unsigned flags); /* msg stolen */
json_t *mcp__error_msg(const json_t *id, int code, const char *message,
                       json_t *data);                      /* new; data stolen */
json_t *mcp__result_msg(const json_t *id, json_t *result); /* new; result stolen */
/* Emit the final error / result message for `id` (borrowed); data / result are stolen. */
void mcp__reply_error(mcp_emit_fn emit, void *payload, const json_t *id, int code, const char *m,
                      json_t *data);
void mcp__reply_result(mcp_emit_fn emit, void *payload, const json_t *id, json_t *result);
/* One decoded JSON-RPC message. id, method and params are borrowed from root. */
typedef struct mcp_envelope {
  json_t *root;       /* new: the decoded object */
  json_t *id;         /* NULL for a notification */
  const char *method; /* NULL for a response */
  json_t *params;     /* an object or NULL */
  int response;       /* 1: a client's response to a server->client request */
} mcp_envelope;
/* Parses msg under the server's limits (size, depth, string length, NUL) into env: 0 on
 * success (env->root then belongs to the caller), -1 when the error has been answered through
 * emit (env holds nothing). */
int mcp__jsonrpc_parse(const mcp_server *srv, const char *msg, size_t len, mcp_emit_fn emit,
                       void *payload, mcp_envelope *env);

/* resources.c: resources/list, resources/templates/list, resources/read, prompts/list and
 * prompts/get on a worker (NULL + code/msg on error); has_* say whether to announce them. */
json_t *mcp__resources_request(mcp_req *r, int *code, char *msg, size_t cap);
int mcp__has_resources(const mcp_server *srv);
int mcp__has_prompts(const mcp_server *srv);
/* 1 for the methods above. */
int mcp__is_resource_method(const char *method);

/* subscribe.c: resources/subscribe and resources/unsubscribe (legacy sessions with a channel
 * back: stdio), the per-session watcher that sends notifications/resources/updated and
 * list_changed, started on first use and stopped (joined) by mcp__watch_stop before the session
 * is freed. */
int mcp__is_subscribe_method(const char *method);
int mcp__can_subscribe(const mcp_session *s);
json_t *mcp__subscribe_request(mcp_req *r, int *code, char *msg, size_t cap);
void mcp__watch_list(mcp_session *s); /* after resources/list: watch the listing too */
void mcp__watch_stop(mcp_session *s);

/* mrtr.c: the requestState key (0 / -1 out of memory) and its release. */
int mcp__state_key_init(mcp_server *srv);
void mcp__state_key_free(mcp_server *srv);

/* tasks.c: the task table (init also closes the tasks a crash left open; free cancels and
 * joins every task thread) and tasks/get, tasks/update, tasks/cancel (NULL + code/msg/data). */
int mcp__tasks_init(mcp_server *srv);
void mcp__tasks_free(mcp_server *srv);
json_t *mcp__tasks_request(mcp_req *r, int *code, char *msg, size_t cap, json_t **data);

/* complete.c: completion/complete on a worker (NULL + code/msg on error). */
json_t *mcp__complete_request(mcp_req *r, int *code, char *msg, size_t cap);

/* session.c */
void mcp__session_link(mcp_session *s, mcp_req *r);   /* gives r its ticket, counts it live */
void mcp__session_unlink(mcp_session *s, mcp_req *r); /* r finished: wakes mcp_session_drain */
/* notifications/initialized and notifications/cancelled; others are ignored. */
void mcp__session_notification(mcp_session *s, const char *method, json_t *params);
/* A client's response (msg borrowed) to one of our requests: handed to its waiter. */
void mcp__session_take_response(mcp_session *s, json_t *msg);
/* Sends a server->client request on the session channel and waits for the reply (or timeout /
 * cancellation). params stolen. Returns the response message (new) or NULL. */
json_t *mcp__session_request(mcp_req *r, const char *method, json_t *params, int timeout_ms);

/* lifecycle.c */
enum { MCP_CLASS_ANSWERED, MCP_CLASS_INLINE, MCP_CLASS_WORKER };
/* Classifies a request (env has an id and a method) by era and method: MCP_CLASS_ANSWERED when
 * the answer (an error, or ping's result) went out through emit; otherwise *modern is its era
 * and MCP_CLASS_INLINE / MCP_CLASS_WORKER says who answers it. */
int mcp__classify(mcp_session *s, const mcp_envelope *env, mcp_emit_fn emit, void *payload,
                  int *modern);
/* Answers initialize, logging/setLevel or server/discover through r->emit. */
void mcp__answer_inline(mcp_req *r);
/* Adds resultType and serverInfo to a modern-era result (borrowed). */
void mcp__modernize(mcp_req *r, json_t *result);
/* 1 when the request may ask the user through elicitation/create (legacy session with a
 * server->client channel and the client's elicitation capability). */
int mcp__req_can_elicit(const mcp_req *r);

/* context.c */
/* Sends notifications/message for r when its client asked for logs at `lvl` or below. */
void mcp__client_log(mcp_req *r, mcp_log_level lvl, const char *text);
/* Heartbeat progress: while a handler runs and the request carried a progressToken, a helper
 * thread sends "still running" progress every progress_interval_ms. stop joins it. */
typedef struct mcp_heartbeat {
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int running;
  int stop;
  mcp_ctx *ctx;
} mcp_heartbeat;
void mcp__heartbeat_start(mcp_heartbeat *hb, mcp_ctx *ctx);
void mcp__heartbeat_stop(mcp_heartbeat *hb);

/* registry.c */
int mcp__registry_load(mcp_server *srv, char *err, size_t errlen);
void mcp__registry_free(mcp_server *srv);
const mcp_tool_entry *mcp__tool_find(const mcp_server *srv, const char *name);
/* A tool of srv->tool_source by name: fills *e (strings and schemas borrowed from *snap_out, a
 * new reference the caller releases after the call). 0, or -1 when there is no such tool. */
int mcp__source_find(mcp_server *srv, const char *name, mcp_tool_entry *e, json_t **snap_out);
json_t *mcp__tools_list(mcp_server *srv, mcp_req *r, const json_t *params, int *code, char *msg,
                        size_t msgcap);

/* call_task.c: tools/call, as a task when the tool and the client allow it (else as call.c,
 * *taken included; a task's created result always comes back with *taken 0). */
json_t *mcp__tools_call_maybe_task(mcp_req *r, int *taken, int *code, char *msg, size_t msgcap);

/* jsonrpc.c, for call.c: a CallToolResult with one text block (new; NULL when out of memory,
 * never an error result that reads as a success), and a call's log line (stderr, and to the
 * client at lvl when to_client). */
json_t *mcp__text_result(const char *text, int is_error);
/* The text block of a tool's result: the compact payload (new, free()), with the node's
 * motebit tag for motebit_* tools; NULL when out of memory. */
char *mcp__result_text(const mcp_server *srv, const char *tool, const json_t *payload);
void mcp__call_log_line(mcp_req *r, const char *line, mcp_log_level lvl, int to_client);

/* call.c */
/* result, or NULL + error; or NULL with *taken 1: the call answers r itself later (its record
 * commits asynchronously) and r must not be touched again. taken NULL (a task's own call): the
 * record commits before the call returns and the result always comes back. */
json_t *mcp__tools_call(mcp_req *r, int *taken, int *code, char *msg, size_t msgcap);

/* record.c: durable recording of calls and approvals in the Store. */
typedef struct mcp_call_record {
  const char *invocation_id;
  const char *tool;
  const char *caller_id;
  mcp_risk risk;
  const char *verdict; /* "allow", "deny", "needs_approval", "invalid_arguments", "approved" */
  const char *rule;
  const char *reason;
  const char *status; /* receipt status: completed | failed | denied | pending_approval */
  const char *args_hash;
  const char *result_hash;
  const char *work_run_id; /* the handler's run, or NULL */
  const char *approval_id; /* or NULL */
  int64_t started_at, completed_at;
  const char *receipt_text; /* the signed ToolInvocationReceipt's canonical text (borrowed) */
  size_t receipt_len;
  const char *idempotency_key; /* the caller's key, or NULL: then nothing is kept for replay */
  const char *result_text;     /* the CallToolResult without its receipt (kept for replay) */
} mcp_call_record;
int mcp__record_open(mcp_server *srv, char *err, size_t errlen);
void mcp__record_close(mcp_server *srv);
/* Records one call: its decision, call event and receipt (and its replay row when it has an
 * idempotency key) in ONE transaction with everything the call's scope already wrote. `scope`
 * (stolen; NULL = none) is committed or aborted here. Returns 0, or -1 with the Store's
 * ledger_rc in *code (may be NULL) and a message in err: then nothing of the call was kept. */
int mcp__record_call(mcp_server *srv, struct ledger_scope *scope, const mcp_call_record *rec,
                     int *code, char *err, size_t errlen);
/* mcp__record_call without the wait (spec/mcp.md "One call, one transaction"): prepares the
 * record on this thread (everything of rec is copied; rec may go away on return), then hands
 * the scope's COMMIT to the writer and returns 0 at once; done(rc, err, arg) runs exactly once
 * after the COMMIT is durable or failed, on the writer thread (see ledger_scope_commit_async;
 * last: no other done of the same group commit follows).
 * Returns -1 with a message in err when the record could not be prepared: then the scope was
 * aborted, nothing was kept and done is not called. `scope` must not be NULL (stolen). */
int mcp__record_call_async(mcp_server *srv, struct ledger_scope *scope, const mcp_call_record *rec,
                           void (*done)(int rc, const char *err, int last, void *arg), void *arg,
                           char *err, size_t errlen);
/* server.c: a request that a tools/call took over (answered later from the writer thread) is
 * ended here: its window slot and its place in the session are given back, then r is freed. */
void mcp__req_done(mcp_req *r);
/* Approvals for (tool, args_hash) requested by `caller_id` (an approval belongs to the caller
 * that asked for it; NULL matches only approvals recorded without a caller): an approved,
 * unused decision is consumed (returns 1, id into approval_id); a denied, unused one returns 2
 * (id, and the reason into reason); 0 when there is none; <0 on a Store error. Without a
 * Store: 0. */
int mcp__approval_take(mcp_server *srv, const char *tool, const char *args_hash,
                       const char *caller_id, char *approval_id, size_t cap, char *reason,
                       size_t rcap, const char *invocation_id);
/* Creates (or reuses the same caller's pending) approval; id into approval_id. */
int mcp__approval_request(mcp_server *srv, const char *tool, const char *args_hash, mcp_risk risk,
                          const json_t *args, const char *caller_id, char *approval_id, size_t cap);
/* Records an ApprovalDecision obtained through elicitation (signed here). */
int mcp__approval_elicited(mcp_server *srv, const char *tool, const char *args_hash, mcp_risk risk,
                           int approved, const char *reason, int64_t requested_at,
                           char *approval_id, size_t cap);

#endif
