/* SPDX-License-Identifier: Apache-2.0
 * ledger/approval.h — resolving a pending approval as the operator (spec/policy.md
 * R-POLICY-062/063): the signed ApprovalDecision (motebit.md §3.6) is built and signed with the
 * node key, stored with the approval and as a receipt ("approval:<id>"), and announced by an
 * `approval.resolved` event in the run that asked (while it is open) or in the Store's approvals
 * run, all in one transaction. The one implementation behind `workledger approve/deny` and the
 * console's approval tool. Errors: ledger_rc codes with `err` filled. */
#ifndef WL_LEDGER_APPROVAL_H
#define WL_LEDGER_APPROVAL_H

#include "crypto/seal.h"
#include "ledger/ledger.h"

#include <jansson.h>

#define LEDGER_APPROVALS_RUN_ID "run_workledger_approvals"
#define LEDGER_APPROVALS_WORK_ID "workledger.approvals"

typedef struct ledger_decide_in {
  const char *approval_id; /* required */
  int approve;             /* 1 approved, 0 denied */
  const char *reason;      /* required when denying; NULL otherwise */
  const seal_key *key;     /* the node key (required) */
  const char *motebit_id;  /* the node's id (required) */
  const char *device_id;   /* NULL: "workledger" */
  const char *producer;    /* the events' producer_id, e.g. "workledger.cli" (required) */
  const char *resolved_by; /* "cli", "console:<caller>", ... (required) */
} ledger_decide_in;

/* Resolves in->approval_id. All pointers borrowed. @param[out] decision_out the signed
 * ApprovalDecision (new), @param[out] row_out the approval as it was before (new; may be NULL).
 * @return LEDGER_OK; LEDGER_ENOTFOUND (no such approval); LEDGER_ECONFLICT (already resolved:
 * err says how); LEDGER_EINVAL (denying without a reason, an unreadable created_at, a signing
 * failure); LEDGER_ERROR. Nothing is written on failure. */
int ledger_approval_decide(ledger *l, const ledger_decide_in *in, json_t **decision_out,
                           json_t **row_out, ledger_err *err) LEDGER_WUR;

#endif
