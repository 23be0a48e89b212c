/* SPDX-License-Identifier: Apache-2.0
 * mcp/record.c — durable recording of MCP calls in the Store (spec/mcp.md "Where events go").
 * Each server process opens ONE Store run (work_id "mcp-session-<uuid>", producer
 * "workledger.mcp") when it starts and closes it when it stops. Every tools/call that named a
 * known tool — allowed, denied, held for approval, invalid or failed — appends ONE `mcp.call` event
 * to that run (the gate's decision, the outcome and the signed ToolInvocationReceipt, which is
 * stored nowhere else; spec/store.md), in the same transaction as everything the handler wrote
 * (ledger/scope.c), group-committed before the response is written. Work-loop tools
 * additionally write their own work run through ledger/work.h; the mcp.call event names that run in work_run_id. Also: approvals
 * (pending, one-shot consumption, decisions obtained through elicitation). */
#include "crypto/artifacts.h"
#include "crypto/err.h"
#include "ledger/ledger.h"
#include "mcp/mcp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPROVAL_USE_KIND "workledger.approval-use"

static const char *jstr(const json_t *o, const char *k)
{
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "";
}

typedef struct open_job {
  mcp_server *srv;
  char work_id[80];
} open_job;

static int open_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  open_job *j = payload;
  mcp_server *srv = j->srv;
  ledger_run_in in;
  ledger_event_in ev;
  json_t *p;
  int rc;

  memset(&in, 0, sizeof in);
  in.work_id = j->work_id;
  in.producer_id = "workledger.mcp";
  if ((rc = ledger_txn_run_open(t, &in, srv->run_id, NULL, err)))
    return rc;
  p = json_pack("{s:s,s:{s:s,s:s},s:{s:s},s:{s:s}}", "work_id", j->work_id, "actor", "id",
                srv->motebit_id, "type", "service", "trigger", "kind", "mcp_session", "instruction",
                "summary", "MCP server session: one mcp.call event per tools/call");
  memset(&ev, 0, sizeof ev);
  ev.run_id = srv->run_id;
  ev.event_kind = LEDGER_KIND_WORK_STARTED;
  ev.idempotency_key = "session-start";
  ev.payload = p;
  rc = ledger_txn_event_append(t, &ev, NULL, err);
  json_decref(p);
  return rc;
}

int mcp__record_open(mcp_server *srv, char *err, size_t errlen)
{
  open_job j;
  ledger_err lerr;
  char uuid[SEAL_SOVEREIGN_ID];
  int rc;
  if (!srv->store)
    return 0;
  seal_uuid4(uuid);
  j.srv = srv;
  snprintf(j.work_id, sizeof j.work_id, "mcp-session-%s", uuid);
  memset(&lerr, 0, sizeof lerr);
  rc = ledger_tx(srv->store, open_fn, &j, &lerr);
  if (rc != LEDGER_OK) {
    if (err && errlen)
      snprintf(err, errlen, "cannot open the session run in the Store: %s",
               lerr.msg[0] ? lerr.msg : ledger_strerror(rc));
    srv->run_id[0] = '\0';
    return -1;
  }
  srv->run_open = 1;
  mcp_log(MCP_LOG_INFO, "session run %s (%s)", srv->run_id, j.work_id);
  return 0;
}

static int close_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  mcp_server *srv = payload;
  ledger_event_in ev;
  json_t *p = json_pack("{s:{s:s},s:{s:s},s:{s:s},s:{s:s}}", "outcome", "status", "success",
                        "acceptance", "status", "not_evaluated", "route_summary", "route",
                        "mcp_session", "handoff", "next", "none");
  int rc;
  memset(&ev, 0, sizeof ev);
  ev.run_id = srv->run_id;
  ev.event_kind = LEDGER_KIND_WORK_CLOSED;
  ev.idempotency_key = "session-close";
  ev.payload = p;
  rc = ledger_txn_run_close(t, &ev, NULL, err);
  json_decref(p);
  return rc;
}

void mcp__record_close(mcp_server *srv)
{
  ledger_err lerr;
  int rc;
  if (!srv->store || !srv->run_open)
    return;
  memset(&lerr, 0, sizeof lerr);
  rc = ledger_tx(srv->store, close_fn, srv, &lerr);
  if (rc != LEDGER_OK)
    mcp_log(MCP_LOG_WARNING, "cannot close session run %s: %s", srv->run_id,
            lerr.msg[0] ? lerr.msg : ledger_strerror(rc));
  srv->run_open = 0;
  {
    ledger_stats st;
    ledger_stats_get(srv->store, &st);
    mcp_log(MCP_LOG_INFO,
            "store: %llu jobs in %llu commits, %llu WAL frames (%.1f per job), %llu checkpoint "
            "passes, %llu finished inline",
            (unsigned long long)st.jobs, (unsigned long long)st.commits,
            (unsigned long long)st.wal_frames,
            st.jobs ? (double)st.wal_frames / (double)st.jobs : 0.0,
            (unsigned long long)st.ckpt_passes, (unsigned long long)st.ckpt_inline);
  }
}

/* Everything of one call is serialised and hashed here, on the calling worker: the writer thread
 * only runs call_fn, which binds and steps. */
typedef struct call_job {
  ledger_event_prep *call;
  const mcp_call_record *rec;
  int fail_insert; /* fault injection (mcp_server_opts.fault "insert") */
} call_job;

static int call_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  call_job *j = payload;
  const mcp_call_record *rec = j->rec;
  int rc;
  if ((rc = ledger_txn_event_append_prepared(t, j->call, NULL, err)))
    return rc;
  if (rec->idempotency_key &&
      (rc = ledger_txn_replay_put(t, rec->caller_id ? rec->caller_id : "", rec->idempotency_key,
                                  rec->args_hash, rec->invocation_id, rec->result_text, err)))
    return rc;
  if (j->fail_insert) {
    if (err) {
      err->code = LEDGER_ERROR;
      snprintf(err->msg, sizeof err->msg, "injected failure after the call's inserts");
    }
    return LEDGER_ERROR;
  }
  return LEDGER_OK;
}

/* The one event of a call (spec/mcp.md "Where events go"): the gate's decision, the call's
 * outcome and its signed receipt, which is stored nowhere else. Its canonical text is written
 * here member by member (seal_canon_members), with the receipt's canonical text inside, instead
 * of building a JSON tree only to serialise it: byte for byte the same text (doctor recomputes
 * it), at a fraction of the allocations. */
static int prepare_call(mcp_server *srv, const mcp_call_record *rec, call_job *j, ledger_err *err)
{
  char key[96], ts[LEDGER_TS_MAX];
  ledger_event_in ev;
  seal_cmember m[15];
  size_t n = 0;
  char *txt = NULL;
  size_t len = 0;
  seal_err serr;
  int rc;

  memset(&serr, 0, sizeof serr);
#define STR_M(k, v) (m[n++] = (seal_cmember){(k), SEAL_CM_STR, (v), 0, 0})
#define INT_M(k, v) (m[n++] = (seal_cmember){(k), SEAL_CM_INT, NULL, 0, (long long)(v)})
  STR_M("tool", rec->tool);
  STR_M("invocation_id", rec->invocation_id);
  STR_M("status", rec->status);
  STR_M("verdict", rec->verdict);
  STR_M("rule", rec->rule ? rec->rule : "");
  STR_M("reason", rec->reason ? rec->reason : "");
  STR_M("caller", rec->caller_id ? rec->caller_id : "");
  STR_M("risk", mcp_risk_name(rec->risk));
  STR_M("args_hash", rec->args_hash);
  STR_M("result_hash", rec->result_hash);
  INT_M("started_at_ms", rec->started_at);
  INT_M("completed_at_ms", rec->completed_at);
  /* the receipt's canonical text is its Motus text too (ASCII keys): in as it is */
  m[n++] = (seal_cmember){"receipt", SEAL_CM_RAW, rec->receipt_text, rec->receipt_len, 0};
  if (rec->work_run_id)
    STR_M("work_run_id", rec->work_run_id);
  if (rec->approval_id)
    STR_M("approval_id", rec->approval_id);
#undef STR_M
#undef INT_M
  rc = seal_canon_members(&txt, &len, m, n, SEAL_CANON_MOTUS, &serr);
  if (rc != SEAL_OK)
    return wl_err_set(err, rc == SEAL_ERROR ? LEDGER_ERROR : LEDGER_EINVAL, 0,
                      "cannot serialise the call record: %s", serr.msg);
  memset(&ev, 0, sizeof ev);
  ledger_ts_format(ts, rec->completed_at);
  ev.run_id = srv->run_id;
  ev.event_kind = LEDGER_KIND_MCP_CALL;
  snprintf(key, sizeof key, "%s:call", rec->invocation_id);
  ev.idempotency_key = key;
  ev.occurred_at = ts;
  return ledger_event_prepare_text(srv->store, &ev, txt, len, &j->call, err); /* txt stolen */
}

int mcp__record_call(mcp_server *srv, ledger_scope *scope, const mcp_call_record *rec, int *code,
                     char *err, size_t errlen)
{
  call_job j;
  ledger_err lerr;
  int rc;
  if (!srv->store) {
    ledger_scope_abort(scope);
    return 0;
  }
  memset(&j, 0, sizeof j);
  memset(&lerr, 0, sizeof lerr);
  j.rec = rec;
  j.fail_insert = srv->fault == MCP_FAULT_INSERT;
  rc = prepare_call(srv, rec, &j, &lerr);
  if (rc != LEDGER_OK)
    ledger_scope_abort(scope);
  else if (scope) /* the handler's writes, the decision, the call and its receipt: one commit */
    rc = ledger_scope_commit(scope, call_fn, &j, &lerr);
  else
    rc = ledger_tx_rerunnable(srv->store, call_fn, &j, &lerr); /* call_fn only appends */
  if (code)
    *code = rc;
  ledger_event_prep_free(j.call);
  if (rc != LEDGER_OK) {
    if (err && errlen)
      snprintf(err, errlen, "%s", lerr.msg[0] ? lerr.msg : ledger_strerror(rc));
    return -1;
  }
  return 0;
}

/* The asynchronous record: call_fn's job with its own copies of what call_fn reads. */
typedef struct async_rec {
  call_job j;
  mcp_call_record rec;
  char *caller_id, *idempotency_key, *result_text;
  char args_hash[SEAL_SHA256_HEX];
  char invocation_id[SEAL_SOVEREIGN_ID];
  void (*done)(int rc, const char *err, int last, void *arg);
  void *arg;
} async_rec;

static void async_free(async_rec *a)
{
  ledger_event_prep_free(a->j.call); /* on the writer: everything back to the caller's thread */
  seal_free_soon(a->caller_id);
  seal_free_soon(a->idempotency_key);
  seal_free_soon(a->result_text);
  seal_free_soon(a);
}

static void async_done(int rc, const ledger_err *lerr, int last, void *arg)
{
  async_rec *a = arg;
  void (*done)(int, const char *, int, void *) = a->done;
  void *darg = a->arg;
  char msg[sizeof lerr->msg];
  snprintf(msg, sizeof msg, "%s",
           rc == LEDGER_OK ? "" : (lerr && lerr->msg[0] ? lerr->msg : ledger_strerror(rc)));
  async_free(a);
  done(rc, msg, last, darg);
}

static char *dup_or_null(const char *s, int *oom)
{
  char *d = s ? strdup(s) : NULL;
  if (s && !d)
    *oom = 1;
  return d;
}

int mcp__record_call_async(mcp_server *srv, ledger_scope *scope, const mcp_call_record *rec,
                           void (*done)(int rc, const char *err, int last, void *arg), void *arg,
                           char *err, size_t errlen)
{
  ledger_err lerr;
  async_rec *a = calloc(1, sizeof *a);
  int oom = 0, rc;
  memset(&lerr, 0, sizeof lerr);
  if (!a) {
    ledger_scope_abort(scope);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  a->caller_id = dup_or_null(rec->caller_id ? rec->caller_id : "", &oom);
  a->idempotency_key = dup_or_null(rec->idempotency_key, &oom);
  a->result_text = dup_or_null(rec->result_text, &oom);
  snprintf(a->args_hash, sizeof a->args_hash, "%s", rec->args_hash);
  snprintf(a->invocation_id, sizeof a->invocation_id, "%s", rec->invocation_id);
  a->rec.caller_id = a->caller_id;
  a->rec.idempotency_key = a->idempotency_key;
  a->rec.result_text = a->result_text;
  a->rec.args_hash = a->args_hash;
  a->rec.invocation_id = a->invocation_id;
  a->j.rec = &a->rec;
  a->j.fail_insert = srv->fault == MCP_FAULT_INSERT;
  a->done = done;
  a->arg = arg;
  rc = oom ? wl_err_set(&lerr, LEDGER_ERROR, ENOMEM, "out of memory")
           : prepare_call(srv, rec, &a->j, &lerr);
  if (rc != LEDGER_OK) {
    ledger_scope_abort(scope);
    snprintf(err, errlen, "%s", lerr.msg[0] ? lerr.msg : ledger_strerror(rc));
    async_free(a);
    return -1;
  }
  /* call_fn only appends: a scope without earlier steps may join a batch without savepoints */
  ledger_scope_commit_async(scope, call_fn, &a->j, 1, async_done, a);
  return 0;
}

/* ---- approvals ------------------------------------------------------------------------------ */

typedef struct use_job {
  const char *approval_id;
  const char *invocation_id;
} use_job;

static int use_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  use_job *u = payload;
  char id[LEDGER_ID_MAX + 16];
  json_t *body = json_pack("{s:s,s:s}", "approval_id", u->approval_id, "used_by", u->invocation_id);
  int rc;
  snprintf(id, sizeof id, "approval-use:%s", u->approval_id);
  rc = ledger_txn_receipt_put(t, id, APPROVAL_USE_KIND, NULL, NULL, body, err);
  json_decref(body);
  return rc;
}

static int approval_used(mcp_server *srv, const char *approval_id)
{
  char id[LEDGER_ID_MAX + 16];
  json_t *got = NULL;
  int rc;
  snprintf(id, sizeof id, "approval-use:%s", approval_id);
  rc = ledger_receipt_get(srv->store, id, &got, NULL);
  json_decref(got);
  return rc == LEDGER_OK;
}

int mcp__approval_take(mcp_server *srv, const char *tool, const char *args_hash,
                       const char *caller_id, char *approval_id, size_t cap, char *reason,
                       size_t rcap, const char *invocation_id)
{
  json_t *list = NULL, *a;
  char want[LEDGER_HASH_MAX];
  size_t i;
  int found = 0;
  if (!srv->store)
    return 0;
  snprintf(want, sizeof want, "sha256:%s", args_hash);
  if (ledger_approval_list(srv->store, NULL, &list, NULL) != LEDGER_OK)
    return -1;
  json_array_foreach(list, i, a) {
    const char *st = json_string_value(json_object_get(a, "status"));
    const char *id = json_string_value(json_object_get(a, "approval_id"));
    if (!st || !id || strcmp(jstr(a, "tool"), tool) != 0 ||
        strcmp(jstr(a, "args_hash"), want) != 0 ||
        strcmp(jstr(a, "caller"), caller_id ? caller_id : "") != 0)
      continue;
    if (strcmp(st, "approved") == 0 && !approval_used(srv, id)) {
      use_job u = {id, invocation_id};
      if (ledger_tx(srv->store, use_fn, &u, NULL) == LEDGER_OK) {
        snprintf(approval_id, cap, "%s", id);
        found = 1;
        break;
      }
    } else if (strcmp(st, "denied") == 0 && !approval_used(srv, id)) {
      use_job u = {id, invocation_id};
      if (ledger_tx(srv->store, use_fn, &u, NULL) == LEDGER_OK) {
        const char *r = json_string_value(json_object_get(a, "reason"));
        snprintf(approval_id, cap, "%s", id);
        snprintf(reason, rcap, "%s", r ? r : "");
        found = 2;
        break;
      }
    }
  }
  json_decref(list);
  return found;
}

typedef struct req_job {
  const ledger_approval_in *in;
  const char *run_id;
  char id[LEDGER_ID_MAX];
} req_job;

static int req_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  req_job *j = payload;
  ledger_event_in ev;
  char key[LEDGER_ID_MAX + 16];
  json_t *p;
  int rc = ledger_txn_approval_create(t, j->in, j->id, err);
  if (rc || !j->run_id[0])
    return rc;
  p = json_pack("{s:s,s:s,s:i,s:s,s:s}", "approval_id", j->id, "tool", j->in->tool, "risk",
                j->in->risk, "args_hash", j->in->args_hash, "caller",
                j->in->caller ? j->in->caller : "");
  memset(&ev, 0, sizeof ev);
  ev.run_id = j->run_id;
  ev.event_kind = LEDGER_KIND_APPROVAL_REQUESTED;
  snprintf(key, sizeof key, "%s:requested", j->id);
  ev.idempotency_key = key;
  ev.payload = p;
  rc = ledger_txn_event_append(t, &ev, NULL, err);
  json_decref(p);
  return rc;
}

int mcp__approval_request(mcp_server *srv, const char *tool, const char *args_hash, mcp_risk risk,
                          const json_t *args, const char *caller_id, char *approval_id, size_t cap)
{
  json_t *list = NULL, *a, *request;
  char want[LEDGER_HASH_MAX];
  ledger_approval_in in;
  req_job j;
  size_t i;
  int rc;
  if (!srv->store)
    return -1;
  snprintf(want, sizeof want, "sha256:%s", args_hash);
  /* an identical request already pending: hand out the same id */
  if (ledger_approval_list(srv->store, "pending", &list, NULL) == LEDGER_OK) {
    json_array_foreach(list, i, a) {
      if (strcmp(jstr(a, "tool"), tool) == 0 && strcmp(jstr(a, "args_hash"), want) == 0 &&
          strcmp(jstr(a, "caller"), caller_id ? caller_id : "") == 0) {
        snprintf(approval_id, cap, "%s", json_string_value(json_object_get(a, "approval_id")));
        json_decref(list);
        return 0;
      }
    }
    json_decref(list);
  }
  request = json_pack("{s:O,s:s,s:s}", "arguments", args, "motebit_id", srv->motebit_id, "run_id",
                      srv->run_id);
  memset(&in, 0, sizeof in);
  in.tool = tool;
  in.args_hash = want;
  in.risk = (int)risk;
  in.caller = caller_id;
  in.request = request;
  memset(&j, 0, sizeof j);
  j.in = &in;
  j.run_id = srv->run_id;
  rc = ledger_tx(srv->store, req_fn, &j, NULL);
  json_decref(request);
  if (rc != LEDGER_OK)
    return -1;
  snprintf(approval_id, cap, "%s", j.id);
  mcp_log(MCP_LOG_NOTICE, "approval %s pending for tool %s (workledger approve %s)", j.id, tool,
          j.id);
  return 0;
}

typedef struct elicit_job {
  const ledger_approval_in *in;
  const char *status;
  const char *reason;
  json_t *decision;
  const char *invocation_id;
  char id[LEDGER_ID_MAX];
} elicit_job;

static int elicit_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  elicit_job *j = payload;
  int rc = ledger_txn_approval_create(t, j->in, j->id, err);
  if (rc)
    return rc;
  if ((rc = ledger_txn_approval_resolve(t, j->id, j->status, j->reason, j->decision, err)))
    return rc;
  {
    char id[LEDGER_ID_MAX + 16];
    json_t *body = json_pack("{s:s,s:s}", "approval_id", j->id, "used_by", j->invocation_id);
    snprintf(id, sizeof id, "approval-use:%s", j->id);
    rc = ledger_txn_receipt_put(t, id, APPROVAL_USE_KIND, NULL, NULL, body, err);
    json_decref(body);
  }
  return rc;
}

int mcp__approval_elicited(mcp_server *srv, const char *tool, const char *args_hash, mcp_risk risk,
                           int approved, const char *reason, int64_t requested_at,
                           char *approval_id, size_t cap)
{
  char want[LEDGER_HASH_MAX], uuid[SEAL_SOVEREIGN_ID], id[LEDGER_ID_MAX];
  ledger_approval_in in;
  elicit_job j;
  json_t *decision;
  int rc;

  if (approval_id[0]) {
    snprintf(id, sizeof id, "%s", approval_id); /* the triad: approval_id == invocation_id */
  } else {
    seal_uuid4(uuid);
    snprintf(id, sizeof id, "appr_%s", uuid);
    snprintf(approval_id, cap, "%s", id);
  }
  decision = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:I,s:s}", "approval_id", id,
                       "motebit_id", srv->motebit_id, "public_key", seal_key_pk_hex(srv->key),
                       "device_id", srv->device_id, "tool_name", tool, "args_hash", args_hash,
                       "risk_level", (int)risk, "verdict", approved ? "approved" : "denied",
                       "requested_at", (json_int_t)requested_at, "resolved_at",
                       (json_int_t)mcp_now_ms(), "suite", SEAL_SUITE_B64);
  if (!approved && reason)
    json_object_set_new(decision, "denied_reason", json_string(reason));
  if (srv->run_id[0])
    json_object_set_new(decision, "run_id", json_string(srv->run_id));
  {
    json_t *signed_d = NULL;
    int src = seal_sign_approval_decision(&signed_d, decision, srv->key, NULL);
    json_decref(decision);
    if (src != SEAL_OK)
      return -1;
    decision = signed_d;
  }
  if (!srv->store) {
    json_decref(decision);
    return 0;
  }
  snprintf(want, sizeof want, "sha256:%s", args_hash);
  memset(&in, 0, sizeof in);
  in.approval_id = id;
  in.tool = tool;
  in.args_hash = want;
  in.risk = (int)risk;
  in.caller = "elicitation";
  memset(&j, 0, sizeof j);
  j.in = &in;
  j.status = approved ? "approved" : "denied";
  j.reason = reason;
  j.decision = decision;
  j.invocation_id = id;
  rc = ledger_tx(srv->store, elicit_fn, &j, NULL);
  json_decref(decision);
  return rc == LEDGER_OK ? 0 : -1;
}
