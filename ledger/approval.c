/* SPDX-License-Identifier: Apache-2.0
 * ledger/approval.c — ledger_approval_decide (ledger/approval.h): read the pending approval,
 * sign the ApprovalDecision, and write the resolution, the decision receipt and the
 * approval.resolved event in one transaction (retried in the approvals run when the run that
 * asked closed in between). */
#include "ledger/approval.h"

#include "crypto/artifacts.h"
#include "ledger/kinds.h"
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <string.h>

typedef struct resolve_job {
  const ledger_decide_in *in;
  const char *status;
  const json_t *decision;
  const json_t *row;
  const char *run_id; /* the run that receives approval.resolved */
  int own_run;        /* 1: the Store's approvals run (opened on demand) */
} resolve_job;

static const char *jstr(const json_t *o, const char *k)
{
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static int resolve_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  resolve_job *j = payload;
  const char *id = j->in->approval_id;
  char receipt_id[LEDGER_ID_MAX + 16], key[LEDGER_ID_MAX + 32], run_id[LEDGER_ID_MAX];
  const char *reason = j->in->approve ? NULL : j->in->reason;
  ledger_event_in ev;
  json_t *p;
  int rc;
  if ((rc = ledger_txn_approval_resolve(t, id, j->status, reason, j->decision, err)))
    return rc;
  snprintf(receipt_id, sizeof receipt_id, "approval:%s", id);
  if ((rc = ledger_txn_receipt_put(t, receipt_id, SEAL_RECEIPT_KIND_APPROVAL_DECISION,
                                   j->own_run ? NULL : j->run_id, NULL, j->decision, err)))
    return rc;
  if (j->own_run) {
    ledger_run_in ri = {LEDGER_APPROVALS_RUN_ID, LEDGER_APPROVALS_WORK_ID, j->in->producer, NULL};
    if ((rc = ledger_txn_run_open(t, &ri, run_id, NULL, err)))
      return rc;
  }
  p = json_pack("{s:s,s:s,s:s,s:s,s:O,s:s}", "approval_id", id, "status", j->status, "tool",
                jstr(j->row, "tool"), "args_hash", jstr(j->row, "args_hash"), "risk",
                json_object_get(j->row, "risk"), "resolved_by", j->in->resolved_by);
  if (!p)
    return LEDGER_ERROR;
  if (reason)
    json_object_set_new(p, "reason", json_string(reason));
  snprintf(key, sizeof key, "approval.resolved:%s", id);
  memset(&ev, 0, sizeof ev);
  ev.run_id = j->run_id;
  ev.event_kind = LEDGER_KIND_APPROVAL_RESOLVED;
  ev.idempotency_key = key;
  ev.producer_id = j->in->producer;
  ev.payload = p;
  rc = ledger_txn_event_append(t, &ev, NULL, err);
  json_decref(p);
  return rc;
}

/* The signed ApprovalDecision for `row` (new), or NULL with err filled. */
static json_t *sign_decision(const json_t *row, const ledger_decide_in *in, const char *verdict,
                             ledger_err *err)
{
  const char *args_hash = jstr(row, "args_hash");
  int64_t requested_at = 0, resolved_at = 0;
  json_t *body, *signed_ = NULL;
  seal_err serr;
  char now[LEDGER_TS_MAX];
  if (strncmp(args_hash, "sha256:", 7) == 0)
    args_hash += 7;
  if (ledger_ts_parse(&requested_at, jstr(row, "created_at")) != LEDGER_OK) {
    ledger__errf(err, LEDGER_EINVAL, 0, "approval %s has an unreadable created_at",
                 in->approval_id);
    return NULL;
  }
  ledger_now(now);
  if (ledger_ts_parse(&resolved_at, now) != LEDGER_OK)
    return NULL;
  body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:s,s:I,s:I}", "approval_id", jstr(row, "approval_id"),
                   "motebit_id", in->motebit_id, "device_id",
                   in->device_id ? in->device_id : "workledger", "tool_name", jstr(row, "tool"),
                   "args_hash", args_hash, "risk_level", json_object_get(row, "risk"), "verdict",
                   verdict, "requested_at", (json_int_t)requested_at, "resolved_at",
                   (json_int_t)resolved_at);
  if (!body)
    return NULL;
  if (!in->approve)
    json_object_set_new(body, "denied_reason", json_string(in->reason));
  const char *run_id = json_string_value(
      json_object_get(json_object_get(row, "request"), "run_id"));
  if (run_id && *run_id)
    json_object_set_new(body, "run_id", json_string(run_id));
  memset(&serr, 0, sizeof serr);
  if (seal_sign_approval_decision(&signed_, body, in->key, &serr) != SEAL_OK) {
    ledger__errf(err, LEDGER_EINVAL, 0, "cannot sign the decision: %s",
                 serr.msg[0] ? serr.msg : seal_strerror(serr.code));
    signed_ = NULL;
  }
  json_decref(body);
  return signed_;
}

int ledger_approval_decide(ledger *l, const ledger_decide_in *in, json_t **decision_out,
                           json_t **row_out, ledger_err *err)
{
  json_t *row = NULL, *decision = NULL, *run = NULL;
  const char *status = in->approve ? "approved" : "denied";
  int rc;
  *decision_out = NULL;
  if (row_out)
    *row_out = NULL;
  if (!in->approve && (!in->reason || !*in->reason))
    return ledger__errf(err, LEDGER_EINVAL, 0, "a denial needs a reason");
  if ((rc = ledger_approval_get(l, in->approval_id, &row, err)) != LEDGER_OK)
    return rc;
  if (strcmp(jstr(row, "status"), "pending") != 0) {
    rc = ledger__errf(err, LEDGER_ECONFLICT, 0, "approval %s is already %s", in->approval_id,
                      jstr(row, "status"));
    goto done;
  }
  if (!(decision = sign_decision(row, in, status, err))) {
    rc = err->code ? err->code : LEDGER_ERROR;
    goto done;
  }
  /* The event goes to the run that asked when it is still open, else to the approvals run. */
  resolve_job j = {in, status, decision, row, LEDGER_APPROVALS_RUN_ID, 1};
  const char *req_run = json_string_value(
      json_object_get(json_object_get(row, "request"), "run_id"));
  if (req_run && *req_run && ledger_run_get(l, req_run, &run, NULL) == LEDGER_OK &&
      strcmp(jstr(run, "status"), "open") == 0) {
    j.run_id = req_run;
    j.own_run = 0;
  }
  rc = ledger_tx(l, resolve_fn, &j, err);
  if ((rc == LEDGER_ECLOSED || rc == LEDGER_ENOTFOUND) && !j.own_run) {
    /* the session's run closed in between: record in the approvals run instead */
    j.run_id = LEDGER_APPROVALS_RUN_ID;
    j.own_run = 1;
    memset(err, 0, sizeof *err);
    rc = ledger_tx(l, resolve_fn, &j, err);
  }
  if (rc == LEDGER_ECONFLICT && !err->msg[0])
    snprintf(err->msg, sizeof err->msg, "approval %s is already resolved", in->approval_id);
done:
  json_decref(run);
  if (rc == LEDGER_OK) {
    *decision_out = decision;
    if (row_out)
      *row_out = row;
    else
      json_decref(row);
  } else {
    json_decref(decision);
    json_decref(row);
  }
  return rc;
}
