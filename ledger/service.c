/* SPDX-License-Identifier: Apache-2.0
 * ledger/service.c — the Store query behind motebit_credentials (spec/store.md "Service
 * queries"): per-status counts and activity bounds of the ExecutionReceipts that
 * motebit_task stored in `receipts` (kind LEDGER_KIND_EXECUTION_RECEIPT), which
 * motebit_credentials turns into a reputation credential. Read-only, on a pooled read
 * connection (one committed snapshot per call). The other service query, the candidate search
 * of motebit_recall, lives in ledger/recall.c. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <string.h>

/* ---- task statistics ------------------------------------------------------------------------ */

#define INT_FIELD(f) "json_extract(json, '$." f "')"
#define IS_INT(f) "typeof(" INT_FIELD(f) ") = 'integer'"

static const char SQL_TASK_STATS[] = "SELECT " INT_FIELD(
    "status") ", COUNT(*),"
              " MIN(CASE WHEN " IS_INT("submitted_at") " THEN " INT_FIELD(
                  "submitted_at") " END),"
                                  " MAX(CASE WHEN " IS_INT("completed_at") " THEN " INT_FIELD(
                                      "completed_at") " END),"
                                                      " SUM(CASE WHEN " IS_INT("submitted_at") " AND " IS_INT("completed_at") " AND " INT_FIELD("completed_at") " >= " INT_FIELD("submitted_at") " THEN " INT_FIELD("completed_at") " - " INT_FIELD(
                                                          "submitted_at") " END),"
                                                                          " COUNT(CASE WHEN " IS_INT("submitted_at") " AND " IS_INT("completed_at") " AND " INT_FIELD(
                                                                              "completed_at") " >= " INT_FIELD("submitted_at") " THEN 1 END)"
                                                                                                                               " FROM receipts WHERE kind = ?1 AND (?2 IS NULL OR " INT_FIELD(
                                                                                                                                   "motebit_id") " = ?2)"
                                                                                                                                                 " GROUP BY 1";

/* The same query on PostgreSQL: the fields read with json operators, an integer being a JSON
 * number written with digits only (SQLite's typeof() = 'integer'). */
#define PG_INT(f)                                                                                  \
  "CASE WHEN json_typeof(j->'" f "') = 'number' AND (j->>'" f "') ~ '^-?[0-9]+$'"                  \
  " THEN (j->>'" f "')::bigint END"
static const char SQL_TASK_STATS_PG[] =
    "SELECT st, COUNT(*), MIN(s), MAX(c),"
    " SUM(CASE WHEN s IS NOT NULL AND c IS NOT NULL AND c >= s THEN c - s END)::bigint,"
    " COUNT(CASE WHEN s IS NOT NULL AND c IS NOT NULL AND c >= s THEN 1 END)"
    " FROM (SELECT j->>'status' AS st, " PG_INT("submitted_at") " AS s, " PG_INT(
        "completed_at") " AS c"
                        " FROM (SELECT CAST(json AS json) AS j FROM receipts WHERE kind = ?1) r"
                        " WHERE (?2 IS NULL OR j->>'motebit_id' = ?2)) x GROUP BY 1";

struct stats_rd {
  const char *motebit_id;
  ledger_task_stats *out;
};

static int rd_stats(lconn *c, void *p, ledger_err *err)
{
  struct stats_rd *r = p;
  ledger_task_stats *s = r->out;
  db_stmt *st = ledger__stmt(c, c->pg ? SQL_TASK_STATS_PG : SQL_TASK_STATS, err);
  int rc;
  if (!st)
    return LEDGER_ERROR;
  db_bind_text(st, 1, LEDGER_KIND_EXECUTION_RECEIPT, -1, SQLITE_STATIC);
  if (r->motebit_id)
    db_bind_text(st, 2, r->motebit_id, -1, SQLITE_TRANSIENT);
  while ((rc = db_step(st)) == SQLITE_ROW) {
    const char *status = COLTXT(st, 0);
    int64_t n = db_column_int64(st, 1);
    int ran = 0;
    if (status && strcmp(status, "completed") == 0) {
      s->completed += n;
      ran = 1;
    } else if (status && strcmp(status, "failed") == 0) {
      s->failed += n;
      ran = 1;
    } else if (status && strcmp(status, "denied") == 0) {
      s->denied += n;
    } else {
      s->other += n;
    }
    if (db_column_type(st, 2) != SQLITE_NULL) {
      int64_t v = db_column_int64(st, 2);
      if (s->first_ms == 0 || v < s->first_ms)
        s->first_ms = v;
    }
    if (db_column_type(st, 3) != SQLITE_NULL) {
      int64_t v = db_column_int64(st, 3);
      if (v > s->last_ms)
        s->last_ms = v;
    }
    if (ran && db_column_type(st, 4) != SQLITE_NULL) {
      s->latency_sum_ms += db_column_int64(st, 4);
      s->latency_n += db_column_int64(st, 5);
    }
  }
  db_reset(st);
  return rc == SQLITE_DONE ? LEDGER_OK : ledger__sqlerr(err, c, rc, "count task receipts");
}

int ledger_task_stats_get(ledger *l, const char *motebit_id, ledger_task_stats *out,
                          ledger_err *err)
{
  struct stats_rd r = {motebit_id, out};
  memset(out, 0, sizeof *out);
  int rc = ledger__read(l, rd_stats, &r, err);
  if (rc)
    memset(out, 0, sizeof *out);
  return rc;
}
