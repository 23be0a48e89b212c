/* SPDX-License-Identifier: Apache-2.0
 * ledger/pg_store.c — a Store on PostgreSQL: recognising a connection URI, showing it without its
 * password, opening a session (synchronous_commit on, statement_timeout, UTC; readers read-only at
 * REPEATABLE READ so that one read sees one snapshot), reconnecting, the schema (the same tables,
 * columns and rules as schema.c's, in PostgreSQL's dialect, text compared bytewise with COLLATE
 * "C", append-only rules as PL/pgSQL triggers), its version in wl_meta and the migration (under
 * an advisory lock: several nodes may start at once), and the row and advisory locks that keep
 * seq contiguous and leases exclusive when several nodes write (ledger__lock_run/_key). */
#include "ledger/pg_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ledger_store_is_uri(const char *path)
{
  return path && (!strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11));
}

void ledger_store_display(char *out, size_t cap, const char *path)
{
  size_t o = 0;
  if (!cap)
    return;
  if (!ledger_store_is_uri(path)) {
    snprintf(out, cap, "%s", path ? path : "");
    return;
  }
  /* scheme://[user[:password]@]host.../db?...password=...: both passwords shown as *** */
  const char *auth = strstr(path, "://") + 3;
  const char *at = strchr(auth, '@'), *slash = strchr(auth, '/'), *colon = strchr(auth, ':');
  const char *pw_from = NULL, *pw_to = NULL;
  if (at && (!slash || at < slash) && colon && colon < at) {
    pw_from = colon + 1;
    pw_to = at;
  }
  for (const char *s = path; *s && o + 4 < cap;) {
    if (s == pw_from) {
      memcpy(out + o, "***", 3);
      o += 3;
      s = pw_to;
      continue;
    }
    if (!strncmp(s, "password=", 9) && (s == path || s[-1] == '?' || s[-1] == '&')) {
      if (o + 13 >= cap)
        break;
      memcpy(out + o, "password=***", 12);
      o += 12;
      s += 9;
      while (*s && *s != '&')
        s++;
      continue;
    }
    out[o++] = *s++;
  }
  out[o] = 0;
}

/* ---- sessions -------------------------------------------------------------------------------- */

static int session_setup(lconn *c)
{
  pg_conn *p = c->pg;
  char sql[320];
  snprintf(sql, sizeof sql,
           "SET synchronous_commit = on; SET statement_timeout = %d; SET TIME ZONE 'UTC';"
           " SET client_min_messages = warning;%s",
           p->statement_timeout_ms,
           p->read_only ? " SET default_transaction_read_only = on;"
                          " SET default_transaction_isolation = 'repeatable read';"
                        : "");
  PGresult *r = PQexec(p->conn, sql);
  int rc = ledger__pg_note(c, r);
  PQclear(r);
  return rc;
}

int ledger__pg_reconnect(lconn *c)
{
  pg_conn *p = c->pg;
  PQreset(p->conn);
  p->gen++;
  if (PQstatus(p->conn) != CONNECTION_OK) {
    ledger__pg_note(c, NULL);
    return SQLITE_IOERR;
  }
  return session_setup(c);
}

int ledger__pg_conn_open(lconn **out, const char *uri, int read_only, const ledger_opts *o,
                         ledger_err *err)
{
  lconn *c = calloc(1, sizeof *c);
  pg_conn *p = calloc(1, sizeof *p);
  if (!c || !p || !(p->uri = strdup(uri))) {
    free(c);
    free(p);
    return ledger__errf(err, LEDGER_ERROR, ENOMEM, "out of memory");
  }
  c->pg = p;
  p->read_only = read_only;
  const char *st = getenv("WORKLEDGER_PG_STATEMENT_TIMEOUT_MS");
  long ms = st ? strtol(st, NULL, 10) : 0;
  p->statement_timeout_ms = ms > 0 && ms <= 86400000 ? (int)ms : 30000;
  const char *why;
  if (ledger__pq_load(&why) != 0) {
    char shown[512];
    ledger_store_display(shown, sizeof shown, uri);
    ledger__errf(err, LEDGER_ERROR, SQLITE_CANTOPEN, "cannot open the PostgreSQL Store %s: %s",
                 shown, why);
    ledger__conn_close(c);
    return LEDGER_ERROR;
  }
  p->conn = PQconnectdb(uri);
  p->gen = 1;
  if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
    char shown[512], msg[256];
    ledger_store_display(shown, sizeof shown, uri);
    snprintf(msg, sizeof msg, "%s", p->conn ? PQerrorMessage(p->conn) : "out of memory");
    msg[strcspn(msg, "\n")] = 0;
    ledger__errf(err, LEDGER_ERROR, SQLITE_CANTOPEN, "cannot connect to %s: %s", shown, msg);
    ledger__conn_close(c);
    return LEDGER_ERROR;
  }
  if (session_setup(c) != SQLITE_OK) {
    int rc = ledger__sqlerr(err, c, p->errcode, "PostgreSQL session");
    ledger__conn_close(c);
    return rc;
  }
  *out = c;
  return LEDGER_OK;
}

void ledger__pg_conn_free(lconn *c)
{
  if (c->pg->conn)
    PQfinish(c->pg->conn);
  if (c->pg->uri) {
    memset(c->pg->uri, 0, strlen(c->pg->uri));
    free(c->pg->uri);
  }
  free(c->pg);
  c->pg = NULL;
}

int ledger__pg_exec(lconn *c, const char *sql, ledger_err *err)
{
  if (PQstatus(c->pg->conn) != CONNECTION_OK && ledger__pg_reconnect(c) != SQLITE_OK)
    return ledger__errf(err, LEDGER_ERROR, SQLITE_IOERR, "%s", ledger__pg_errmsg(c));
  PGresult *r = PQexec(c->pg->conn, sql);
  int rc = ledger__pg_note(c, r);
  PQclear(r);
  if (rc != SQLITE_OK)
    return ledger__sqlerr(err, c, rc, "PostgreSQL");
  return LEDGER_OK;
}

/* ---- locks for several nodes ----------------------------------------------------------------- */

static const char SQL_LOCK_RUN[] = "SELECT 1 FROM runs WHERE run_id = ?1 FOR UPDATE";
static const char SQL_LOCK_KEY[] = "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))";

int ledger__lock_run(lconn *c, const char *run_id, ledger_err *err)
{
  if (!c->pg)
    return LEDGER_OK; /* SQLite: BEGIN IMMEDIATE already serialises every writer */
  db_stmt *st = ledger__stmt(c, SQL_LOCK_RUN, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, run_id);
  int rc = db_step(st);
  db_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? LEDGER_OK : ledger__sqlerr(err, c, rc, "lock run");
}

int ledger__lock_key(lconn *c, const char *ns, const char *key, ledger_err *err)
{
  if (!c->pg)
    return LEDGER_OK;
  char k[2 * LEDGER_ID_MAX + 8];
  snprintf(k, sizeof k, "%s:%s", ns, key ? key : "");
  db_stmt *st = ledger__stmt(c, SQL_LOCK_KEY, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, k);
  int rc = db_step(st);
  db_reset(st);
  return rc == SQLITE_ROW ? LEDGER_OK : ledger__sqlerr(err, c, rc, "lock");
}
