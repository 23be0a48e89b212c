/* SPDX-License-Identifier: Apache-2.0
 * ledger/pg_int.h — private to ledger/: the PostgreSQL connection of an lconn (pg.c, pg_store.c)
 * and the PostgreSQL side of opening, migrating and checking a Store. Only ledger/pg*.c include
 * it (and with it <libpq-fe.h>). */
#ifndef WL_LEDGER_PG_INT_H
#define WL_LEDGER_PG_INT_H

#include "ledger/ledger_int.h"

#include <libpq-fe.h>

/* Type OIDs of the result columns pg.c reads (pg_type.h is a server header). */
#define PG_BOOLOID 16
#define PG_BYTEAOID 17
#define PG_INT8OID 20
#define PG_INT2OID 21
#define PG_INT4OID 23
#define PG_TEXTOID 25
#define PG_FLOAT4OID 700
#define PG_FLOAT8OID 701
#define PG_NUMERICOID 1700

/* One libpq session. conn owned; uri owned (the connection URI, with its password if it has
 * one: never logged, see ledger__uri_redact); gen counts (re)connections, so that statements
 * prepared on an earlier session are prepared again. */
struct pg_conn {
  PGconn *conn;
  char *uri;
  int read_only;
  int statement_timeout_ms;
  unsigned gen, next_name;
  int changes, errcode;
  char errmsg[512];
};
typedef struct pg_conn pg_conn;

/* SQLite result code of a SQLSTATE; ledger__pg_note records res's outcome on c (error message
 * and code, or the change count) and returns the code. */
int ledger__pg_map_state(const char *state);
int ledger__pg_note(lconn *c, PGresult *res);
/* Reconnects c (PQreset, then the session settings): SQLITE_OK or SQLITE_IOERR. The transaction
 * that was open is gone; its statements fail and nothing of it was committed. */
int ledger__pg_reconnect(lconn *c);

#endif
