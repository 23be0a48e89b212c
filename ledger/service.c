/* SPDX-License-Identifier: Apache-2.0
 * ledger/service.c — the two Store queries behind the motebit service surface (spec/store.md
 * "Service queries"): per-status counts and activity bounds of the ExecutionReceipts that
 * motebit_task stored in `receipts` (kind LEDGER_KIND_EXECUTION_RECEIPT), which
 * motebit_credentials turns into a reputation credential; and the FTS5 candidate search of
 * motebit_recall, restricted in SQL to the sensitivities the caller may see, so a refused
 * sensitivity never leaves the Store. Both are read-only and run on pooled read connections
 * (one committed snapshot per call). Ranking with the half-life is mcp/'s policy, not ours: we
 * return the raw bm25 score with each candidate. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
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

struct stats_rd {
  const char *motebit_id;
  ledger_task_stats *out;
};

static int rd_stats(lconn *c, void *p, ledger_err *err)
{
  struct stats_rd *r = p;
  ledger_task_stats *s = r->out;
  sqlite3_stmt *st = ledger__stmt(c, SQL_TASK_STATS, err);
  int rc;
  if (!st)
    return LEDGER_ERROR;
  sqlite3_bind_text(st, 1, LEDGER_KIND_EXECUTION_RECEIPT, -1, SQLITE_STATIC);
  if (r->motebit_id)
    sqlite3_bind_text(st, 2, r->motebit_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *status = COLTXT(st, 0);
    int64_t n = sqlite3_column_int64(st, 1);
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
    if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
      int64_t v = sqlite3_column_int64(st, 2);
      if (s->first_ms == 0 || v < s->first_ms)
        s->first_ms = v;
    }
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
      int64_t v = sqlite3_column_int64(st, 3);
      if (v > s->last_ms)
        s->last_ms = v;
    }
    if (ran && sqlite3_column_type(st, 4) != SQLITE_NULL) {
      s->latency_sum_ms += sqlite3_column_int64(st, 4);
      s->latency_n += sqlite3_column_int64(st, 5);
    }
  }
  sqlite3_reset(st);
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

/* ---- memory recall candidates --------------------------------------------------------------- */

static const char SQL_MEM_RECALL[] =
    "SELECT m.memory_id, m.content, m.sensitivity, m.confidence, m.created_at, bm25(memories_fts)"
    " FROM memories_fts f JOIN memories m ON m.rowid = f.rowid"
    " WHERE memories_fts MATCH ?1 AND m.sensitivity IN (SELECT value FROM json_each(?2))"
    " ORDER BY bm25(memories_fts), m.created_at DESC, m.memory_id LIMIT ?3";

struct recall_rd {
  const char *match;
  const char *allowed; /* JSON array text */
  int limit;
  json_t *out;
};

static int rd_recall(lconn *c, void *p, ledger_err *err)
{
  struct recall_rd *r = p;
  sqlite3_stmt *st = ledger__stmt(c, SQL_MEM_RECALL, err);
  int rc;
  if (!st)
    return LEDGER_ERROR;
  sqlite3_bind_text(st, 1, r->match, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, r->allowed, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 3, r->limit);
  r->out = json_array();
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(r->out, json_pack("{s:s,s:s,s:s,s:i,s:s,s:f}", "memory_id", COLTXT(st, 0),
                                            "content", COLTXT(st, 1), "sensitivity", COLTXT(st, 2),
                                            "confidence", sqlite3_column_int(st, 3), "created_at",
                                            COLTXT(st, 4), "bm25", sqlite3_column_double(st, 5)));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(r->out);
    r->out = NULL;
    return ledger__sqlerr(err, c, rc, "search memories");
  }
  return LEDGER_OK;
}

int ledger_memory_recall(ledger *l, const char *query, const char *const *sensitivities, int limit,
                         json_t **out, ledger_err *err)
{
  json_t *allowed;
  struct recall_rd r;
  char *match, *atext;
  int rc;
  *out = NULL;
  if (!query || !sensitivities)
    return ledger__errf(err, LEDGER_EINVAL, 0, "memory recall needs a query and sensitivities");
  if (!(match = ledger__fts_words(query)))
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  if (!match[0] || !sensitivities[0]) {
    free(match);
    *out = json_array();
    return *out ? LEDGER_OK : ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  }
  allowed = json_array();
  for (int i = 0; sensitivities[i]; i++)
    json_array_append_new(allowed, json_string(sensitivities[i]));
  atext = seal_json_dumps(allowed, JSON_COMPACT);
  json_decref(allowed);
  if (!atext) {
    free(match);
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  }
  r.match = match;
  r.allowed = atext;
  r.limit = limit > 0 ? (limit > LEDGER_RECALL_MAX ? LEDGER_RECALL_MAX : limit) : 20;
  r.out = NULL;
  rc = ledger__read(l, rd_recall, &r, err);
  free(match);
  free(atext);
  *out = rc ? NULL : r.out;
  return rc;
}
