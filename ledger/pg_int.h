/* SPDX-License-Identifier: Apache-2.0
 * ledger/pg_int.h — private to ledger/: the PostgreSQL connection of an lconn (pg.c, pg_store.c)
 * and the PostgreSQL side of opening, migrating and checking a Store. Only ledger/pg*.c include
 * it (and with it <libpq-fe.h>). */
#ifndef WL_LEDGER_PG_INT_H
#define WL_LEDGER_PG_INT_H

#include "ledger/ledger_int.h"

#include <libpq-fe.h>

/* libpq is loaded on first use (ledger/pg_dl.c), like libcurl and libmicrohttpd: a node on the
 * embedded SQLite Store never maps libpq and the Kerberos, LDAP and TLS libraries it pulls in
 * (process start and idle RSS). Every PQ* function the ledger calls is in this list; after this
 * header each call goes through the table, which ledger__pq_load fills. Only a connection that
 * ledger__pq_load made possible calls them, so the table is never NULL at a call. */
#define LEDGER_PQ_FUNCS(X)                                                                         \
  X(PQclear)                                                                                       \
  X(PQcmdTuples)                                                                                   \
  X(PQconnectdb)                                                                                   \
  X(PQerrorMessage)                                                                                \
  X(PQexec)                                                                                        \
  X(PQexecPrepared)                                                                                \
  X(PQfinish)                                                                                      \
  X(PQfreemem)                                                                                     \
  X(PQftype)                                                                                       \
  X(PQgetisnull)                                                                                   \
  X(PQgetlength)                                                                                   \
  X(PQgetvalue)                                                                                    \
  X(PQnfields)                                                                                     \
  X(PQntuples)                                                                                     \
  X(PQprepare)                                                                                     \
  X(PQreset)                                                                                       \
  X(PQresultErrorField)                                                                            \
  X(PQresultStatus)                                                                                \
  X(PQstatus)                                                                                      \
  X(PQtransactionStatus)                                                                           \
  X(PQunescapeBytea)

typedef struct ledger_pq_api {
#define LEDGER_PQ_SLOT(f) __typeof__(f) *f;
  LEDGER_PQ_FUNCS(LEDGER_PQ_SLOT)
#undef LEDGER_PQ_SLOT
} ledger_pq_api;

/* The loaded table, or NULL before a successful ledger__pq_load. */
extern const ledger_pq_api *ledger__pq;

/* Loads libpq once per process (dlopen "libpq.so.5", then "libpq.so"; every function of the
 * list). Returns 0, or -1 with *why (static text, never freed) naming what is missing. */
int ledger__pq_load(const char **why);

#define PQclear (ledger__pq->PQclear)
#define PQcmdTuples (ledger__pq->PQcmdTuples)
#define PQconnectdb (ledger__pq->PQconnectdb)
#define PQerrorMessage (ledger__pq->PQerrorMessage)
#define PQexec (ledger__pq->PQexec)
#define PQexecPrepared (ledger__pq->PQexecPrepared)
#define PQfinish (ledger__pq->PQfinish)
#define PQfreemem (ledger__pq->PQfreemem)
#define PQftype (ledger__pq->PQftype)
#define PQgetisnull (ledger__pq->PQgetisnull)
#define PQgetlength (ledger__pq->PQgetlength)
#define PQgetvalue (ledger__pq->PQgetvalue)
#define PQnfields (ledger__pq->PQnfields)
#define PQntuples (ledger__pq->PQntuples)
#define PQprepare (ledger__pq->PQprepare)
#define PQreset (ledger__pq->PQreset)
#define PQresultErrorField (ledger__pq->PQresultErrorField)
#define PQresultStatus (ledger__pq->PQresultStatus)
#define PQstatus (ledger__pq->PQstatus)
#define PQtransactionStatus (ledger__pq->PQtransactionStatus)
#define PQunescapeBytea (ledger__pq->PQunescapeBytea)

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
