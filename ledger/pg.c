/* SPDX-License-Identifier: Apache-2.0
 * ledger/pg.c — the PostgreSQL driver of the statement shim (db.h), the only file besides
 * pg_store.c that includes <libpq-fe.h>. A statement keeps SQLite's SQL text with its `?N`
 * parameters rewritten to `$N` (bare `?` numbered in order), is prepared once per connection
 * (PQprepare, a name of its own) and executed on its first step with every parameter as text
 * (blobs as binary), types inferred by the server; the rows are then served from the result, as
 * text (booleans read as 1/0, bytea decoded). Transaction control and multi-statement text go
 * through the simple protocol. SQLSTATEs map onto SQLite's result codes (unique, foreign key,
 * check and not-null violations and trigger exceptions onto SQLITE_CONSTRAINT_*, serialization
 * failures and deadlocks onto SQLITE_BUSY, a cancelled statement (statement_timeout) onto
 * SQLITE_INTERRUPT, a lost connection onto SQLITE_IOERR, a full disk onto SQLITE_FULL), so the
 * callers' error handling is the same for both engines. */
#include "ledger/pg_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_MAX_PARAMS 32

struct pg_stmt {
  lconn *c;
  char *sql;  /* translated text */
  int simple; /* transaction control / no parameters and several statements: PQexec */
  char name[24];
  unsigned gen; /* connection generation it was prepared on (0: never) */
  int nparams;
  Oid types[PG_MAX_PARAMS]; /* 0: inferred; text for a parameter tested with IS NULL */
  char *vals[PG_MAX_PARAMS];
  int lens[PG_MAX_PARAMS], fmts[PG_MAX_PARAMS];
  PGresult *res;
  int row, nrows, executed;
  unsigned char *blob; /* decoded bytea of the last ledger__pg_blob call */
  size_t blob_len;
  int blob_row, blob_col;
};

/* ---- errors ---------------------------------------------------------------------------------- */

int ledger__pg_map_state(const char *state)
{
  if (!state || strlen(state) != 5)
    return SQLITE_ERROR;
  if (!strcmp(state, "23505"))
    return SQLITE_CONSTRAINT_UNIQUE;
  if (!strcmp(state, "23503"))
    return SQLITE_CONSTRAINT_FOREIGNKEY;
  if (!strcmp(state, "23514"))
    return SQLITE_CONSTRAINT_CHECK;
  if (!strcmp(state, "23502"))
    return SQLITE_CONSTRAINT_NOTNULL;
  if (!strncmp(state, "23", 2))
    return SQLITE_CONSTRAINT;
  if (!strcmp(state, "P0001"))
    return SQLITE_CONSTRAINT_TRIGGER;
  if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
    return SQLITE_BUSY;
  if (!strcmp(state, "57014"))
    return SQLITE_INTERRUPT;
  if (!strcmp(state, "53100"))
    return SQLITE_FULL;
  if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3))
    return SQLITE_IOERR;
  if (!strcmp(state, "25006"))
    return SQLITE_READONLY;
  if (!strcmp(state, "25P02"))
    return SQLITE_ABORT;
  return SQLITE_ERROR;
}

/* Records the outcome of res (NULL: the connection failed) on c; returns the mapped code. */
int ledger__pg_note(lconn *c, PGresult *res)
{
  pg_conn *p = c->pg;
  ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY) {
    const char *n = res ? PQcmdTuples(res) : "";
    p->changes = n && *n ? (int)strtol(n, NULL, 10) : 0;
    p->errcode = SQLITE_OK;
    return SQLITE_OK;
  }
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  int code = PQstatus(p->conn) == CONNECTION_BAD ? SQLITE_IOERR : ledger__pg_map_state(state);
  if (!msg)
    msg = PQerrorMessage(p->conn);
  snprintf(p->errmsg, sizeof p->errmsg, "%s", msg && *msg ? msg : "PostgreSQL error");
  size_t n = strlen(p->errmsg);
  while (n && (p->errmsg[n - 1] == '\n' || p->errmsg[n - 1] == ' '))
    p->errmsg[--n] = 0;
  p->errcode = code;
  return code;
}

const char *ledger__pg_errmsg(lconn *c)
{
  return c->pg->errmsg[0] ? c->pg->errmsg : "not an error";
}

int ledger__pg_errcode(lconn *c)
{
  return c->pg->errcode;
}

int ledger__pg_changes(lconn *c)
{
  return c->pg->changes;
}

int ledger__pg_idle(lconn *c)
{
  return PQtransactionStatus(c->pg->conn) == PQTRANS_IDLE;
}

/* ---- statements ------------------------------------------------------------------------------ */

/* SQLite text -> PostgreSQL text: `?N` -> `$N`, `?` -> `$k`; quoted literals are copied as
 * they are. A parameter tested with `IS [NOT] NULL` gets the type text in types (the server
 * cannot infer one from that test, and every such parameter of ours is text). Returns the number
 * of parameters (highest N), -1 when out of memory or too many. */
static int translate(const char *sql, char **out, Oid *types)
{
  size_t n = strlen(sql), cap = n * 4 + 16; /* "?" (1 byte) becomes at most "$32" */
  char *o = malloc(cap), *w = o;
  int next = 0, max = 0;
  char q = 0;
  if (!o)
    return -1;
  for (const char *s = sql; *s; s++) {
    if (q) {
      if (*s == q)
        q = 0;
      *w++ = *s;
    } else if (*s == '\'' || *s == '"') {
      q = *s;
      *w++ = *s;
    } else if (*s == '?') {
      int k;
      if (isdigit((unsigned char)s[1])) {
        k = (int)strtol(s + 1, (char **)&s, 10);
        s--;
      } else {
        k = ++next;
      }
      if (k > next)
        next = k;
      if (k > max)
        max = k;
      if (k < 1 || k > PG_MAX_PARAMS) {
        max = PG_MAX_PARAMS + 1;
        break;
      }
      if (!strncmp(s + 1, " IS NULL", 8) || !strncmp(s + 1, " IS NOT NULL", 12))
        types[k - 1] = PG_TEXTOID;
      w += snprintf(w, cap - (size_t)(w - o), "$%d", k);
    } else {
      *w++ = *s;
    }
  }
  *w = 0;
  if (max > PG_MAX_PARAMS) {
    free(o);
    return -1;
  }
  *out = o;
  return max;
}

static int is_simple(const char *sql, int nparams)
{
  static const char *const ctl[] = {"BEGIN",   "COMMIT", "ROLLBACK", "SAVEPOINT",
                                    "RELEASE", "SET ",   NULL};
  for (int i = 0; ctl[i]; i++)
    if (!strncmp(sql, ctl[i], strlen(ctl[i])))
      return 1;
  return nparams == 0 && strchr(sql, ';') != NULL;
}

int ledger__pg_prepare(lconn *c, const char *sql, struct pg_stmt **out)
{
  *out = NULL;
  struct pg_stmt *p = calloc(1, sizeof *p);
  if (!p)
    return SQLITE_NOMEM;
  p->c = c;
  /* SQLite's write lock up front: PostgreSQL locks rows as they are written */
  if (!strcmp(sql, "BEGIN IMMEDIATE"))
    sql = "BEGIN";
  p->nparams = translate(sql, &p->sql, p->types);
  if (p->nparams < 0) {
    free(p);
    snprintf(c->pg->errmsg, sizeof c->pg->errmsg, "statement has too many parameters");
    return SQLITE_TOOBIG;
  }
  p->simple = is_simple(p->sql, p->nparams);
  snprintf(p->name, sizeof p->name, "wl%u", ++c->pg->next_name);
  *out = p;
  return SQLITE_OK;
}

static void drop_result(struct pg_stmt *p)
{
  PQclear(p->res);
  p->res = NULL;
  p->executed = 0;
  p->row = p->nrows = 0;
  PQfreemem(p->blob);
  p->blob = NULL;
}

int ledger__pg_reset(struct pg_stmt *p)
{
  drop_result(p);
  return SQLITE_OK;
}

int ledger__pg_clear(struct pg_stmt *p)
{
  for (int i = 0; i < PG_MAX_PARAMS; i++) {
    free(p->vals[i]);
    p->vals[i] = NULL;
    p->lens[i] = p->fmts[i] = 0;
  }
  return SQLITE_OK;
}

int ledger__pg_bind(struct pg_stmt *p, int i, const char *v, int n, int is_blob)
{
  if (i < 1 || i > PG_MAX_PARAMS)
    return SQLITE_RANGE;
  free(p->vals[i - 1]);
  p->vals[i - 1] = NULL;
  p->lens[i - 1] = p->fmts[i - 1] = 0;
  if (!v)
    return SQLITE_OK;
  size_t len = n < 0 ? strlen(v) : (size_t)n;
  char *copy = malloc(len + 1);
  if (!copy)
    return SQLITE_NOMEM;
  memcpy(copy, v, len);
  copy[len] = 0;
  p->vals[i - 1] = copy;
  p->lens[i - 1] = (int)len;
  p->fmts[i - 1] = is_blob ? 1 : 0;
  return SQLITE_OK;
}

int ledger__pg_bind_int64(struct pg_stmt *p, int i, int64_t v)
{
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)v);
  return ledger__pg_bind(p, i, buf, -1, 0);
}

/* Prepares p on its connection's current session (after a reconnect, again). */
static int ensure_prepared(struct pg_stmt *p)
{
  pg_conn *pc = p->c->pg;
  if (p->gen == pc->gen)
    return SQLITE_OK;
  PGresult *r = PQprepare(pc->conn, p->name, p->sql, p->nparams, p->types);
  int rc = ledger__pg_note(p->c, r);
  PQclear(r);
  if (rc == SQLITE_OK)
    p->gen = pc->gen;
  return rc;
}

int ledger__pg_step(struct pg_stmt *p)
{
  if (!p->executed) {
    pg_conn *pc = p->c->pg;
    int rc;
    drop_result(p);
    if (PQstatus(pc->conn) != CONNECTION_OK && (rc = ledger__pg_reconnect(p->c)) != SQLITE_OK)
      return rc;
    if (p->simple) {
      p->res = PQexec(pc->conn, p->sql);
    } else {
      if ((rc = ensure_prepared(p)) != SQLITE_OK)
        return rc;
      p->res = PQexecPrepared(pc->conn, p->name, p->nparams, (const char *const *)p->vals, p->lens,
                              p->fmts, 0);
    }
    p->executed = 1;
    if ((rc = ledger__pg_note(p->c, p->res)) != SQLITE_OK) {
      PQclear(p->res);
      p->res = NULL;
      return rc;
    }
    p->nrows = PQresultStatus(p->res) == PGRES_TUPLES_OK ? PQntuples(p->res) : 0;
    p->row = -1;
  }
  if (!p->res)
    return SQLITE_MISUSE;
  if (p->row + 1 < p->nrows) {
    p->row++;
    return SQLITE_ROW;
  }
  p->row = p->nrows;
  return SQLITE_DONE;
}

static int has_cell(struct pg_stmt *p, int i)
{
  return p->res && p->row >= 0 && p->row < p->nrows && i >= 0 && i < PQnfields(p->res) &&
         !PQgetisnull(p->res, p->row, i);
}

const unsigned char *ledger__pg_text(struct pg_stmt *p, int i)
{
  if (!has_cell(p, i))
    return NULL;
  if (PQftype(p->res, i) == PG_BOOLOID)
    return (const unsigned char *)(PQgetvalue(p->res, p->row, i)[0] == 't' ? "1" : "0");
  return (const unsigned char *)PQgetvalue(p->res, p->row, i);
}

int64_t ledger__pg_int64(struct pg_stmt *p, int i)
{
  const unsigned char *v = ledger__pg_text(p, i);
  return v ? strtoll((const char *)v, NULL, 10) : 0;
}

double ledger__pg_double(struct pg_stmt *p, int i)
{
  const unsigned char *v = ledger__pg_text(p, i);
  return v ? strtod((const char *)v, NULL) : 0;
}

int ledger__pg_type(struct pg_stmt *p, int i)
{
  if (!has_cell(p, i))
    return SQLITE_NULL;
  switch (PQftype(p->res, i)) {
  case PG_INT8OID:
  case PG_INT4OID:
  case PG_INT2OID:
  case PG_BOOLOID: return SQLITE_INTEGER;
  case PG_FLOAT8OID:
  case PG_FLOAT4OID:
  case PG_NUMERICOID: return SQLITE_FLOAT;
  case PG_BYTEAOID: return SQLITE_BLOB;
  default: return SQLITE_TEXT;
  }
}

const void *ledger__pg_blob(struct pg_stmt *p, int i)
{
  if (!has_cell(p, i))
    return NULL;
  if (PQftype(p->res, i) != PG_BYTEAOID)
    return PQgetvalue(p->res, p->row, i);
  if (p->blob && p->blob_row == p->row && p->blob_col == i)
    return p->blob;
  PQfreemem(p->blob);
  p->blob = PQunescapeBytea((const unsigned char *)PQgetvalue(p->res, p->row, i), &p->blob_len);
  p->blob_row = p->row;
  p->blob_col = i;
  return p->blob;
}

int ledger__pg_bytes(struct pg_stmt *p, int i)
{
  if (!has_cell(p, i))
    return 0;
  if (PQftype(p->res, i) == PG_BYTEAOID)
    return ledger__pg_blob(p, i) ? (int)p->blob_len : 0;
  return PQgetlength(p->res, p->row, i);
}

void ledger__pg_finalize(struct pg_stmt *p)
{
  if (!p)
    return;
  drop_result(p);
  ledger__pg_clear(p);
  /* the server-side statement goes with the session (DEALLOCATE would cost a round trip on a
   * connection that is usually closing) */
  free(p->sql);
  free(p);
}
