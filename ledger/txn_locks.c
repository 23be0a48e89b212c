/* SPDX-License-Identifier: Apache-2.0
 * ledger/txn_locks.c — fenced locks (acquire with a fencing token that only grows, check,
 * release) and lease expiry (active leases past their expires_at become expired), as
 * ledger_txn_* operations inside a ledger_tx() job on the writer connection; none commits. */
#include "ledger/ledger_int.h"

#include <string.h>
#include <time.h>

/* ---- locks ---------------------------------------------------------------------------------- */

static const char SQL_LOCK_GET[] =
    "SELECT holder, fencing_token, status, expires_at FROM locks WHERE resource = ?1";
static const char SQL_LOCK_INS[] =
    "INSERT INTO locks(resource, holder, fencing_token, status, acquired_at, expires_at)"
    " VALUES (?1, ?2, 1, 'held', ?3, ?4)";
static const char SQL_LOCK_TAKE[] =
    "UPDATE locks SET holder = ?2, fencing_token = fencing_token + 1, status = 'held',"
    " acquired_at = ?3, expires_at = ?4, released_at = NULL WHERE resource = ?1";
static const char SQL_LOCK_FREE[] =
    "UPDATE locks SET status = 'free', released_at = ?2 WHERE resource = ?1";

static int expired_at(const char *expires_at, int64_t now_ms)
{
  int64_t ms;
  if (!expires_at)
    return 0;
  if (ledger_ts_parse(&ms, expires_at))
    return 1;
  return ms <= now_ms;
}

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ledger_txn_lock_acquire(ledger_txn *t, const char *resource, const char *holder,
                            const char *expires_at, int64_t *token_out, ledger_err *err)
{
  lconn *c = t->c;
  char now[LEDGER_TS_MAX];
  int rc;
  if (!ledger__valid_id_text(resource))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid lock resource");
  if (expires_at && !ledger__valid_ts(expires_at))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid expires_at");
  ledger_now(now);
  /* several nodes (PostgreSQL): one acquirer of a resource at a time, each seeing the last
   * committed holder (exactly one winner) */
  if ((rc = ledger__lock_key(c, "lock", resource, err)))
    return rc;
  db_stmt *st = ledger__stmt(c, SQL_LOCK_GET, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, resource);
  rc = db_step(st);
  if (rc == SQLITE_ROW) {
    int held = strcmp((const char *)db_column_text(st, 2), "held") == 0;
    int64_t tok = db_column_int64(st, 1);
    const char *exp = (const char *)db_column_text(st, 3);
    if (held && !expired_at(exp, now_ms())) {
      rc = ledger__errf(err, LEDGER_EBUSY, 0, "%s is held by %s", resource,
                        db_column_text(st, 0) ? (const char *)db_column_text(st, 0) : "?");
      db_reset(st);
      return rc;
    }
    db_reset(st);
    if (!(st = ledger__stmt(c, SQL_LOCK_TAKE, err)))
      return LEDGER_ERROR;
    BIND_TEXT(st, 1, resource);
    BIND_OPT(st, 2, holder);
    BIND_TEXT(st, 3, now);
    BIND_OPT(st, 4, expires_at);
    if ((rc = ledger__step_done(c, st, err, "take lock")))
      return rc;
    if (token_out)
      *token_out = tok + 1;
    return LEDGER_OK;
  }
  db_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, "read lock");
  if (!(st = ledger__stmt(c, SQL_LOCK_INS, err)))
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, resource);
  BIND_OPT(st, 2, holder);
  BIND_TEXT(st, 3, now);
  BIND_OPT(st, 4, expires_at);
  if ((rc = ledger__step_done(c, st, err, "insert lock")))
    return rc;
  if (token_out)
    *token_out = 1;
  return LEDGER_OK;
}

int ledger_txn_lock_check(ledger_txn *t, const char *resource, int64_t token, ledger_err *err)
{
  int lrc = ledger__lock_key(t->c, "lock", resource, err); /* see ledger_txn_lock_acquire */
  if (lrc)
    return lrc;
  db_stmt *st = ledger__stmt(t->c, SQL_LOCK_GET, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, resource);
  int rc = db_step(st);
  if (rc != SQLITE_ROW) {
    db_reset(st);
    return rc == SQLITE_DONE ? ledger__errf(err, LEDGER_ENOTFOUND, 0, "no lock on %s", resource)
                             : ledger__sqlerr(err, t->c, rc, "read lock");
  }
  int ok = db_column_int64(st, 1) == token &&
           strcmp((const char *)db_column_text(st, 2), "held") == 0;
  db_reset(st);
  return ok ? LEDGER_OK
            : ledger__errf(err, LEDGER_ESTALE, 0, "fencing token %lld on %s is no longer current",
                           (long long)token, resource);
}

int ledger_txn_lock_release(ledger_txn *t, const char *resource, int64_t token, ledger_err *err)
{
  char now[LEDGER_TS_MAX];
  int rc = ledger_txn_lock_check(t, resource, token, err);
  if (rc)
    return rc;
  ledger_now(now);
  db_stmt *st = ledger__stmt(t->c, SQL_LOCK_FREE, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, resource);
  BIND_TEXT(st, 2, now);
  return ledger__step_done(t->c, st, err, "release lock");
}

/* ---- leases --------------------------------------------------------------------------------- */

static const char SQL_LEASE_ACTIVE[] =
    "SELECT run_id, lease_expires_at FROM runs WHERE lease_status = 'active'";
static const char SQL_LEASE_EXPIRE[] =
    "UPDATE runs SET lease_status = 'expired' WHERE run_id = ?1 AND lease_status = 'active'";

int ledger_txn_leases_expire(ledger_txn *t, int *count_out, ledger_err *err)
{
  lconn *c = t->c;
  int64_t now = now_ms();
  int n = 0, rc;
  json_t *ids = json_array();
  db_stmt *st = ledger__stmt(c, SQL_LEASE_ACTIVE, err);
  if (!st) {
    json_decref(ids);
    return LEDGER_ERROR;
  }
  while ((rc = db_step(st)) == SQLITE_ROW)
    if (expired_at((const char *)db_column_text(st, 1), now))
      json_array_append_new(ids, json_string((const char *)db_column_text(st, 0)));
  db_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(ids);
    return ledger__sqlerr(err, c, rc, "list leases");
  }
  size_t i;
  json_t *v;
  json_array_foreach(ids, i, v) {
    if (!(st = ledger__stmt(c, SQL_LEASE_EXPIRE, err))) {
      json_decref(ids);
      return LEDGER_ERROR;
    }
    BIND_TEXT(st, 1, json_string_value(v));
    if ((rc = ledger__step_done(c, st, err, "expire lease"))) {
      json_decref(ids);
      return rc;
    }
    n++;
  }
  json_decref(ids);
  if (count_out)
    *count_out = n;
  return LEDGER_OK;
}
