/* SPDX-License-Identifier: Apache-2.0
 * mcp/mcp_int.h — structures shared by the files of mcp/ (never included from another folder):
 * the server, sessions, in-flight requests, the tool registry and the call recorder. */
#ifndef WL_MCP_INT_H
#define WL_MCP_INT_H

#include "mcp/mcp.h"
#include "mcp/policy.h"
#include "mcp/tool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct mcp_tool_entry {
  const char *name;        /* borrowed from schema json */
  const char *description; /* borrowed from schema json */
  mcp_risk risk;
  json_t *schema_file;   /* new: the parsed schemas/tools/<name>.json */
  json_t *input_schema;  /* borrowed from schema_file */
  json_t *output_schema; /* borrowed from schema_file, may be NULL */
  json_t *listing;       /* new: the tools/list entry */
  mcp_tool_fn fn;
} mcp_tool_entry;

typedef struct mcp_req mcp_req;
typedef struct mcp_outreq mcp_outreq;

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

  const mcp_tool_impl *const *tool_groups; /* borrowed (mcp_server_opts.tool_groups) */
  mcp_tool_entry *tools;
  size_t ntools;

  /* worker pool */
  pthread_mutex_t mu;
  pthread_cond_t cv_work; /* work queued or stopping */
  pthread_cond_t cv_slot; /* a window slot freed */
  mcp_req *q_head, *q_tail;
  int inflight;
  int window;
  int stopping;
  pthread_t *threads;
  int nthreads;

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
  int no_wait; /* mcp_submit answers MCP_EBUSY instead of waiting for a window slot */
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
  mcp_req *live;   /* in-flight requests (linked through live_next) */
  mcp_outreq *out; /* pending server->client requests */
  uint64_t next_ticket;
  uint64_t next_out_id;
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
};

/* server.c */
void mcp__emit_json(mcp_req *r, json_t *msg, unsigned flags); /* msg stolen */
json_t *mcp__error_msg(const json_t *id, int code, const char *message,
                       json_t *data);                      /* new; data stolen */
json_t *mcp__result_msg(const json_t *id, json_t *result); /* new; result stolen */
/* Sends a server->client request on the session channel and waits for the reply (or timeout /
 * cancellation). Returns the response message (new) or NULL. */
json_t *mcp__session_request(mcp_req *r, const char *method, json_t *params, int timeout_ms);
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
/* 1 when the request may ask the user through elicitation/create (legacy session with a
 * server->client channel and the client's elicitation capability). */
int mcp__req_can_elicit(const mcp_req *r);

/* registry.c */
int mcp__registry_load(mcp_server *srv, char *err, size_t errlen);
void mcp__registry_free(mcp_server *srv);
const mcp_tool_entry *mcp__tool_find(const mcp_server *srv, const char *name);
json_t *mcp__tools_list(mcp_server *srv, mcp_req *r, const json_t *params, int *code, char *msg,
                        size_t msgcap);

/* call.c */
json_t *mcp__tools_call(mcp_req *r, int *code, char *msg,
                        size_t msgcap); /* result or NULL + error */

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
  const json_t *receipt; /* the signed ToolInvocationReceipt (borrowed) */
} mcp_call_record;
int mcp__record_open(mcp_server *srv, char *err, size_t errlen);
void mcp__record_close(mcp_server *srv);
int mcp__record_call(mcp_server *srv, const mcp_call_record *rec, char *err, size_t errlen);
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
