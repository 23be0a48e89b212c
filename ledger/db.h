/* SPDX-License-Identifier: Apache-2.0
 * ledger/db.h — the Store's engine shim, private to ledger/: one statement type (db_stmt) with
 * SQLite's calling conventions (prepare, bind, step, column, reset, finalize) and SQLite's result
 * codes as the one code space, over either engine: SQLite (the statement is a sqlite3_stmt) or
 * PostgreSQL (ledger/pg.c: `?N` parameters sent as `$N`, rows fetched as text, SQLSTATEs mapped
 * onto SQLITE_CONSTRAINT_*, SQLITE_BUSY, SQLITE_IOERR). The ledger logic calls only these, so both
 * engines run the same statements in the same order and exports are byte-identical by
 * construction. A db_stmt belongs to the connection that prepared it (its cache, or the caller
 * after db_prepare until db_finalize); column text is valid until the next step/reset. */
#ifndef WL_LEDGER_DB_H
#define WL_LEDGER_DB_H

#include <sqlite3.h>
#include <stdint.h>

struct lconn;
struct pg_stmt;

typedef struct db_stmt {
  sqlite3_stmt *s;   /* SQLite engine */
  struct pg_stmt *p; /* PostgreSQL engine (pg.c) */
} db_stmt;

/* The PostgreSQL statement functions (pg.c); same contracts as the SQLite calls they stand for. */
int ledger__pg_step(struct pg_stmt *p);
int ledger__pg_reset(struct pg_stmt *p);
int ledger__pg_clear(struct pg_stmt *p);
int ledger__pg_bind(struct pg_stmt *p, int i, const char *v, int n, int is_blob);
int ledger__pg_bind_int64(struct pg_stmt *p, int i, int64_t v);
const unsigned char *ledger__pg_text(struct pg_stmt *p, int i);
int64_t ledger__pg_int64(struct pg_stmt *p, int i);
double ledger__pg_double(struct pg_stmt *p, int i);
int ledger__pg_type(struct pg_stmt *p, int i);
int ledger__pg_bytes(struct pg_stmt *p, int i);
const void *ledger__pg_blob(struct pg_stmt *p, int i);
void ledger__pg_finalize(struct pg_stmt *p);

static inline int db_step(db_stmt *st)
{
  return st->p ? ledger__pg_step(st->p) : sqlite3_step(st->s);
}
static inline int db_reset(db_stmt *st)
{
  return st->p ? ledger__pg_reset(st->p) : sqlite3_reset(st->s);
}
static inline int db_clear_bindings(db_stmt *st)
{
  return st->p ? ledger__pg_clear(st->p) : sqlite3_clear_bindings(st->s);
}
static inline int db_bind_text(db_stmt *st, int i, const char *v, int n, void (*d)(void *))
{
  return st->p ? ledger__pg_bind(st->p, i, v, n, 0) : sqlite3_bind_text(st->s, i, v, n, d);
}
static inline int db_bind_blob(db_stmt *st, int i, const void *v, int n, void (*d)(void *))
{
  return st->p ? ledger__pg_bind(st->p, i, v, n, 1) : sqlite3_bind_blob(st->s, i, v, n, d);
}
static inline int db_bind_null(db_stmt *st, int i)
{
  return st->p ? ledger__pg_bind(st->p, i, NULL, 0, 0) : sqlite3_bind_null(st->s, i);
}
static inline int db_bind_int64(db_stmt *st, int i, sqlite3_int64 v)
{
  return st->p ? ledger__pg_bind_int64(st->p, i, v) : sqlite3_bind_int64(st->s, i, v);
}
static inline int db_bind_int(db_stmt *st, int i, int v)
{
  return st->p ? ledger__pg_bind_int64(st->p, i, v) : sqlite3_bind_int(st->s, i, v);
}
static inline const unsigned char *db_column_text(db_stmt *st, int i)
{
  return st->p ? ledger__pg_text(st->p, i) : sqlite3_column_text(st->s, i);
}
static inline sqlite3_int64 db_column_int64(db_stmt *st, int i)
{
  return st->p ? ledger__pg_int64(st->p, i) : sqlite3_column_int64(st->s, i);
}
static inline int db_column_int(db_stmt *st, int i)
{
  return st->p ? (int)ledger__pg_int64(st->p, i) : sqlite3_column_int(st->s, i);
}
static inline double db_column_double(db_stmt *st, int i)
{
  return st->p ? ledger__pg_double(st->p, i) : sqlite3_column_double(st->s, i);
}
static inline int db_column_type(db_stmt *st, int i)
{
  return st->p ? ledger__pg_type(st->p, i) : sqlite3_column_type(st->s, i);
}
static inline int db_column_bytes(db_stmt *st, int i)
{
  return st->p ? ledger__pg_bytes(st->p, i) : sqlite3_column_bytes(st->s, i);
}
static inline const void *db_column_blob(db_stmt *st, int i)
{
  return st->p ? ledger__pg_blob(st->p, i) : sqlite3_column_blob(st->s, i);
}

/* A statement outside the connection's cache: *out owned by the caller, freed by db_finalize
 * (NULL is a no-op). Returns SQLITE_OK or the engine's error (db_errmsg(c) describes it). */
int db_prepare(struct lconn *c, const char *sql, db_stmt **out);
void db_finalize(db_stmt *st);
/* The connection's last error message (never NULL), rows changed by the last statement, and 1
 * when no transaction is open (SQLite's autocommit; PostgreSQL's idle state). */
const char *db_errmsg(struct lconn *c);
int db_changes(struct lconn *c);
int db_autocommit(struct lconn *c);
int db_errcode(struct lconn *c);

#endif
