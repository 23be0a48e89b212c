/* SPDX-License-Identifier: Apache-2.0
 * ledger/txn_records.c — the Store's records beside runs and events, as ledger_txn_* operations
 * inside a ledger_tx() job: receipts (immutable, idempotent by id and content), approvals
 * (created pending, resolved once) and memories. Every function works on the writer
 * connection; none commits. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- receipts ------------------------------------------------------------------------------- */

static const char SQL_RCPT_GET[] = "SELECT json FROM receipts WHERE receipt_id = ?1";
static const char SQL_RCPT_INS[] =
    "INSERT INTO receipts(receipt_id, kind, run_id, task_id, json, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

int ledger_receipt_text(const json_t *json, char **out, size_t *len, ledger_err *err)
{
  int rc;
  *out = NULL;
  if (!json)
    return ledger__errf(err, LEDGER_EINVAL, 0, "receipt needs a body");
  if ((rc = ledger__canon(out, len, json, err))) {
    /* bodies with reals (motebit credentials) are stored as compact sorted JSON instead, reals
     * in shortest round-trip form (seal_json_dumps) */
    if (rc != LEDGER_EINVAL || !(*out = seal_json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS)))
      return rc;
    *len = strlen(*out);
  }
  return LEDGER_OK;
}

/* Numbers equal as doubles (1 and 1.0, 0.99 and 0.98999999999999999), the rest as json_equal. */
static int same_value(const json_t *a, const json_t *b)
{
  if (json_is_number(a) && json_is_number(b))
    return json_number_value(a) == json_number_value(b);
  if (json_typeof(a) != json_typeof(b))
    return 0;
  if (json_is_array(a)) {
    if (json_array_size(a) != json_array_size(b))
      return 0;
    for (size_t i = 0; i < json_array_size(a); i++)
      if (!same_value(json_array_get(a, i), json_array_get(b, i)))
        return 0;
    return 1;
  }
  if (json_is_object(a)) {
    const char *k;
    json_t *x, *y;
    if (json_object_size(a) != json_object_size(b))
      return 0;
    json_object_foreach((json_t *)a, k, x) {
      if (!(y = json_object_get(b, k)) || !same_value(x, y))
        return 0;
    }
    return 1;
  }
  return json_equal(a, b);
}

/* A stored receipt text and a new one that differ in bytes can still hold the same value: a body
 * with reals stored before the output printer wrote them in shortest form (%.17g then, 0.99 now;
 * spec/canonical-json.md R-JSON-004). Canonical texts (every signed receipt) never differ so. */
static int same_value_text(const char *a, size_t alen, const char *b, size_t blen)
{
  json_t *x = json_loadb(a, alen, 0, NULL), *y = x ? json_loadb(b, blen, 0, NULL) : NULL;
  int same = x && y && same_value(x, y);
  json_decref(x);
  json_decref(y);
  return same;
}

int ledger_txn_receipt_put_text(ledger_txn *t, const char *receipt_id, const char *kind,
                                const char *run_id, const char *task_id, const char *txt,
                                size_t len, ledger_err *err)
{
  lconn *c = t->c;
  char now[LEDGER_TS_MAX];
  int rc;
  if (!ledger__valid_id_text(receipt_id) || !kind || !*kind || !txt)
    return ledger__errf(err, LEDGER_EINVAL, 0, "receipt needs an id, a kind and a body");
  db_stmt *st = ledger__stmt(c, SQL_RCPT_GET, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, receipt_id);
  rc = db_step(st);
  if (rc == SQLITE_ROW) {
    const char *have = (const char *)db_column_text(st, 0);
    size_t hlen = (size_t)db_column_bytes(st, 0);
    int same = (hlen == len && memcmp(have, txt, len) == 0) ||
               same_value_text(have, hlen, txt, len);
    db_reset(st);
    return same ? LEDGER_OK
                : ledger__errf(err, LEDGER_ECONFLICT, 0, "receipt %s exists with other content",
                               receipt_id);
  }
  db_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, "read receipt");
  ledger_now(now);
  if (!(st = ledger__stmt(c, SQL_RCPT_INS, err)))
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, receipt_id);
  BIND_TEXT(st, 2, kind);
  BIND_OPT(st, 3, run_id);
  BIND_OPT(st, 4, task_id);
  db_bind_text(st, 5, txt, (int)len, SQLITE_STATIC);
  BIND_TEXT(st, 6, now);
  rc = ledger__step_done(c, st, err, "store receipt");
  db_clear_bindings(st); /* the body was bound without a copy */
  return rc;
}

int ledger_txn_receipt_put(ledger_txn *t, const char *receipt_id, const char *kind,
                           const char *run_id, const char *task_id, const json_t *json,
                           ledger_err *err)
{
  char *txt = NULL;
  size_t len = 0;
  int rc;
  if (!ledger__valid_id_text(receipt_id) || !kind || !*kind || !json)
    return ledger__errf(err, LEDGER_EINVAL, 0, "receipt needs an id, a kind and a body");
  if ((rc = ledger_receipt_text(json, &txt, &len, err)))
    return rc;
  rc = ledger_txn_receipt_put_text(t, receipt_id, kind, run_id, task_id, txt, len, err);
  free(txt);
  return rc;
}

/* ---- approvals ------------------------------------------------------------------------------ */

static const char SQL_APPR_INS[] =
    "INSERT INTO approvals(approval_id, tool, args_hash, risk, caller, status, request, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)";
static const char SQL_APPR_STATUS[] = "SELECT status FROM approvals WHERE approval_id = ?1";
static const char SQL_APPR_RESOLVE[] =
    "UPDATE approvals SET status = ?2, reason = ?3, decision = ?4, resolved_at = ?5"
    " WHERE approval_id = ?1 AND status = 'pending'";

int ledger_txn_approval_create(ledger_txn *t, const ledger_approval_in *in,
                               char id_out[LEDGER_ID_MAX], ledger_err *err)
{
  lconn *c = t->c;
  char id[LEDGER_ID_MAX], now[LEDGER_TS_MAX];
  char *req = NULL;
  int rc;
  if (!in->tool || !*in->tool || !in->args_hash || !in->caller || in->risk < 0 || in->risk > 4)
    return ledger__errf(err, LEDGER_EINVAL, 0, "approval needs tool, args_hash, caller, risk 0..4");
  if (in->approval_id) {
    if (!ledger__valid_id_text(in->approval_id))
      return ledger__errf(err, LEDGER_EINVAL, 0, "invalid approval id");
    snprintf(id, sizeof id, "%s", in->approval_id);
  } else {
    char u[SEAL_SOVEREIGN_ID];
    seal_uuid4(u);
    snprintf(id, sizeof id, "appr_%s", u);
  }
  if (in->request && !(req = seal_json_dumps(in->request, JSON_COMPACT | JSON_SORT_KEYS)))
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  ledger_now(now);
  db_stmt *st = ledger__stmt(c, SQL_APPR_INS, err);
  if (!st) {
    free(req);
    return LEDGER_ERROR;
  }
  BIND_TEXT(st, 1, id);
  BIND_TEXT(st, 2, in->tool);
  BIND_TEXT(st, 3, in->args_hash);
  db_bind_int(st, 4, in->risk);
  BIND_TEXT(st, 5, in->caller);
  BIND_OPT(st, 6, req);
  BIND_TEXT(st, 7, now);
  free(req);
  if ((rc = ledger__step_done(c, st, err, "create approval")))
    return rc;
  memcpy(id_out, id, strlen(id) + 1);
  return LEDGER_OK;
}

int ledger_txn_approval_resolve(ledger_txn *t, const char *approval_id, const char *status,
                                const char *reason, const json_t *decision, ledger_err *err)
{
  lconn *c = t->c;
  char now[LEDGER_TS_MAX];
  char *dec = NULL;
  int rc;
  if (!status || (strcmp(status, "approved") != 0 && strcmp(status, "denied") != 0))
    return ledger__errf(err, LEDGER_EINVAL, 0, "approval status must be approved or denied");
  db_stmt *st = ledger__stmt(c, SQL_APPR_STATUS, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, approval_id ? approval_id : "");
  rc = db_step(st);
  if (rc != SQLITE_ROW) {
    db_reset(st);
    return rc == SQLITE_DONE
               ? ledger__errf(err, LEDGER_ENOTFOUND, 0, "approval %s not found", approval_id)
               : ledger__sqlerr(err, c, rc, "read approval");
  }
  int pending = strcmp((const char *)db_column_text(st, 0), "pending") == 0;
  db_reset(st);
  if (!pending)
    return ledger__errf(err, LEDGER_ECONFLICT, 0, "approval %s is already resolved", approval_id);
  if (decision && !(dec = seal_json_dumps(decision, JSON_COMPACT | JSON_SORT_KEYS)))
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  ledger_now(now);
  if (!(st = ledger__stmt(c, SQL_APPR_RESOLVE, err))) {
    free(dec);
    return LEDGER_ERROR;
  }
  BIND_TEXT(st, 1, approval_id);
  BIND_TEXT(st, 2, status);
  BIND_OPT(st, 3, reason);
  BIND_OPT(st, 4, dec);
  BIND_TEXT(st, 5, now);
  free(dec);
  return ledger__step_done(c, st, err, "resolve approval");
}

/* ---- memories ------------------------------------------------------------------------------- */

static const char SQL_MEM_INS[] =
    "INSERT INTO memories(memory_id, content, sensitivity, confidence, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";

int ledger_txn_memory_put(ledger_txn *t, const char *content, const char *sensitivity,
                          int confidence, char id_out[LEDGER_ID_MAX], ledger_err *err)
{
  char id[LEDGER_ID_MAX], u[SEAL_SOVEREIGN_ID], now[LEDGER_TS_MAX];
  if (!content || !*content || confidence < 0 || confidence > 100)
    return ledger__errf(err, LEDGER_EINVAL, 0, "memory needs content and confidence 0..100");
  seal_uuid4(u);
  snprintf(id, sizeof id, "mem_%s", u);
  ledger_now(now);
  db_stmt *st = ledger__stmt(t->c, SQL_MEM_INS, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, id);
  BIND_TEXT(st, 2, content);
  BIND_TEXT(st, 3, sensitivity ? sensitivity : "none");
  db_bind_int(st, 4, confidence);
  BIND_TEXT(st, 5, now);
  int rc = ledger__step_done(t->c, st, err, "store memory");
  if (!rc)
    memcpy(id_out, id, strlen(id) + 1);
  return rc;
}
