/* SPDX-License-Identifier: Apache-2.0
 * ledger/replay.c — the answers kept for calls made with an idempotency key (table
 * call_replays, schema version 2; spec/store.md "Replay"). The MCP core writes one row in the
 * same transaction as the call's events and receipt, so a call is either wholly recorded with its
 * answer or not at all; a retry of the same (caller, key) reads the row and answers from it
 * without running the tool again. The primary key (caller, idempotency_key) makes the second of
 * two concurrent first calls fail with LEDGER_ECONFLICT, which rolls its whole call back. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_PUT[] = "INSERT INTO call_replays(caller, idempotency_key, args_hash, "
                              "invocation_id, result, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_GET[] = "SELECT args_hash, invocation_id, result FROM call_replays "
                              "WHERE caller = ?1 AND idempotency_key = ?2";

int ledger_txn_replay_put(ledger_txn *t, const char *caller, const char *key, const char *args_hash,
                          const char *invocation_id, const char *result, ledger_err *err)
{
  char now[LEDGER_TS_MAX];
  db_stmt *st;
  int rc;
  if (!caller || !key || !args_hash || !invocation_id || !result)
    return ledger__errf(err, LEDGER_EINVAL, 0, "replay: missing member");
  st = ledger__stmt(t->c, SQL_PUT, err);
  if (!st)
    return LEDGER_ERROR;
  ledger_now(now);
  db_bind_text(st, 1, caller, -1, SQLITE_STATIC);
  db_bind_text(st, 2, key, -1, SQLITE_STATIC);
  db_bind_text(st, 3, args_hash, -1, SQLITE_STATIC);
  db_bind_text(st, 4, invocation_id, -1, SQLITE_STATIC);
  db_bind_text(st, 5, result, -1, SQLITE_STATIC);
  db_bind_text(st, 6, now, -1, SQLITE_STATIC);
  rc = db_step(st);
  db_reset(st);
  db_clear_bindings(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, t->c, rc, "replay");
  return LEDGER_OK;
}

typedef struct get_job {
  const char *caller, *key;
  char *args_hash, *invocation_id;
  char *result;
} get_job;

static int get_fn(lconn *c, void *payload, ledger_err *err)
{
  get_job *j = payload;
  db_stmt *st = ledger__stmt(c, SQL_GET, err);
  int rc;
  if (!st)
    return LEDGER_ERROR;
  db_bind_text(st, 1, j->caller, -1, SQLITE_STATIC);
  db_bind_text(st, 2, j->key, -1, SQLITE_STATIC);
  rc = db_step(st);
  if (rc == SQLITE_ROW) {
    const char *h = (const char *)db_column_text(st, 0);
    const char *id = (const char *)db_column_text(st, 1);
    const char *res = (const char *)db_column_text(st, 2);
    snprintf(j->args_hash, LEDGER_HASH_MAX, "%s", h ? h : "");
    snprintf(j->invocation_id, LEDGER_ID_MAX, "%s", id ? id : "");
    j->result = strdup(res ? res : "");
    rc = j->result ? LEDGER_OK : ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  } else if (rc == SQLITE_DONE) {
    rc = ledger__errf(err, LEDGER_ENOTFOUND, 0, "no call with this idempotency key");
  } else {
    rc = ledger__sqlerr(err, c, rc, "replay");
  }
  db_reset(st);
  db_clear_bindings(st);
  return rc;
}

int ledger_replay_get(ledger *l, const char *caller, const char *key, char *args_hash,
                      char *invocation_id, char **result_out, ledger_err *err)
{
  get_job j = {caller, key, args_hash, invocation_id, NULL};
  int rc;
  *result_out = NULL;
  if (!caller || !key)
    return ledger__errf(err, LEDGER_EINVAL, 0, "replay: missing caller or key");
  rc = ledger__read(l, get_fn, &j, err);
  if (rc == LEDGER_OK)
    *result_out = j.result;
  else
    free(j.result);
  return rc;
}
