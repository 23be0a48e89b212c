/* SPDX-License-Identifier: Apache-2.0
 * ledger/pg.c — the PostgreSQL driver of the statement shim (db.h). Not built yet: every call
 * fails with SQLITE_MISUSE (no PostgreSQL connection is ever opened). */
#include "ledger/ledger_int.h"

int ledger__pg_prepare(lconn *c, const char *sql, struct pg_stmt **out)
{
  *out = NULL;
  return SQLITE_MISUSE;
}
const char *ledger__pg_errmsg(lconn *c)
{
  return "PostgreSQL engine not built";
}
int ledger__pg_errcode(lconn *c)
{
  return SQLITE_MISUSE;
}
int ledger__pg_changes(lconn *c)
{
  return 0;
}
int ledger__pg_idle(lconn *c)
{
  return 1;
}
int ledger__pg_step(struct pg_stmt *p)
{
  return SQLITE_MISUSE;
}
int ledger__pg_reset(struct pg_stmt *p)
{
  return SQLITE_OK;
}
int ledger__pg_clear(struct pg_stmt *p)
{
  return SQLITE_OK;
}
int ledger__pg_bind(struct pg_stmt *p, int i, const char *v, int n, int is_blob)
{
  return SQLITE_MISUSE;
}
int ledger__pg_bind_int64(struct pg_stmt *p, int i, int64_t v)
{
  return SQLITE_MISUSE;
}
const unsigned char *ledger__pg_text(struct pg_stmt *p, int i)
{
  return NULL;
}
int64_t ledger__pg_int64(struct pg_stmt *p, int i)
{
  return 0;
}
double ledger__pg_double(struct pg_stmt *p, int i)
{
  return 0;
}
int ledger__pg_type(struct pg_stmt *p, int i)
{
  return SQLITE_NULL;
}
int ledger__pg_bytes(struct pg_stmt *p, int i)
{
  return 0;
}
const void *ledger__pg_blob(struct pg_stmt *p, int i)
{
  return NULL;
}
void ledger__pg_finalize(struct pg_stmt *p)
{
}
