/* SPDX-License-Identifier: Apache-2.0
 * ledger/db.c — the engine-independent half of the statement shim (db.h): preparing a statement
 * outside the cache, finalizing it, and the connection's last error, change count and
 * transaction state, each dispatched to SQLite or to the PostgreSQL driver (pg.c). */
#include "ledger/ledger_int.h"

#include <stdlib.h>

int ledger__db_prepare(lconn *c, const char *sql, unsigned flags, db_stmt **out)
{
  *out = NULL;
  db_stmt *st = calloc(1, sizeof *st);
  if (!st)
    return SQLITE_NOMEM;
  int rc = c->pg ? ledger__pg_prepare(c, sql, &st->p)
                 : sqlite3_prepare_v3(c->db, sql, -1, flags, &st->s, NULL);
  if (rc != SQLITE_OK) {
    db_finalize(st);
    return rc;
  }
  *out = st;
  return SQLITE_OK;
}

int db_prepare(lconn *c, const char *sql, db_stmt **out)
{
  return ledger__db_prepare(c, sql, 0, out);
}

void db_finalize(db_stmt *st)
{
  if (!st)
    return;
  if (st->p)
    ledger__pg_finalize(st->p);
  else
    sqlite3_finalize(st->s);
  free(st);
}

const char *db_errmsg(lconn *c)
{
  if (c->pg)
    return ledger__pg_errmsg(c);
  return c->db ? sqlite3_errmsg(c->db) : "no connection";
}

int db_changes(lconn *c)
{
  return c->pg ? ledger__pg_changes(c) : sqlite3_changes(c->db);
}

int db_autocommit(lconn *c)
{
  return c->pg ? ledger__pg_idle(c) : sqlite3_get_autocommit(c->db);
}

int db_errcode(lconn *c)
{
  return c->pg ? ledger__pg_errcode(c) : sqlite3_extended_errcode(c->db);
}
