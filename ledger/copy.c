/* SPDX-License-Identifier: Apache-2.0
 * ledger/copy.c — ledger_store_copy(): every stored fact of one Store into another, whichever
 * their engines (spec/store.md "Moving a Store"). Tables in dependency order, rows in key order,
 * read on a reader of the source and written by the destination's writer in batches (one
 * transaction each); a row the destination has already is skipped, so an interrupted copy resumes
 * and a repeated one writes nothing. Every event is verified before it is written (payload
 * canonical, payload_hash and event_id recomputed) and after (the destination's event at that
 * seq must have the same event_id). A closed run is copied open, gets its events, and is closed
 * last, as the append-only triggers require. Values cross as text, integers, NULL or bytes,
 * unchanged, so the copy holds byte-identical facts. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_BATCH 500

typedef struct copy_table {
  const char *name;
  const char *cols; /* select list = insert list */
  const char *order;
  int ncols;
} copy_table;

/* runs are inserted open (columns 2..4 replaced: status, closed_at, outcome_status) and closed by
 * SQL_CLOSE after their events. */
static const copy_table tables[] = {
    {"kind_versions", "event_kind, schema_version, required_payload, schema_hash, registered_at",
     "event_kind", 5},
    {"runs",
     "run_id, work_id, status, started_at, closed_at, outcome_status, producer_id, lease_id,"
     " lease_status, lease_actor, lease_expires_at, lease_token",
     "run_id", 12},
    {"events",
     "run_id, seq, event_id, event_kind, occurred_at, idempotency_key, producer_id, payload,"
     " payload_hash, schema_hash",
     "run_id, seq", 10},
    {"locks", "resource, holder, fencing_token, status, acquired_at, expires_at, released_at",
     "resource", 7},
    {"receipts", "receipt_id, kind, run_id, task_id, json, created_at", "receipt_id", 6},
    {"approvals",
     "approval_id, tool, args_hash, risk, caller, status, reason, request, decision, created_at,"
     " resolved_at",
     "approval_id", 11},
    {"memories", "memory_id, content, sensitivity, confidence, created_at", "memory_id", 5},
    {"memory_vectors", "memory_id, model, dims, vector, created_at", "memory_id", 5},
    {"call_replays", "caller, idempotency_key, args_hash, invocation_id, result, created_at",
     "caller, idempotency_key", 6},
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* One value of a row. */
typedef struct cval {
  int type; /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_TEXT, SQLITE_BLOB */
  int64_t i;
  char *p;
  int n;
} cval;

typedef struct copy_batch {
  const copy_table *t;
  cval *v; /* nrows * t->ncols */
  int nrows;
  int64_t written, skipped;
  char sql[600];
} copy_batch;

static void batch_clear(copy_batch *b)
{
  for (int i = 0; i < b->nrows * b->t->ncols; i++)
    free(b->v[i].p);
  b->nrows = 0;
}

/* Checks the event in row r (columns as in tables[2]) the way doctor does. */
static int verify_event(const cval *r, ledger_err *err)
{
  json_t *payload = json_loadb(r[7].p, (size_t)r[7].n, 0, NULL);
  char ph[LEDGER_HASH_MAX], eid[LEDGER_HASH_MAX];
  char *canon = NULL;
  size_t clen = 0;
  int bad = !payload || !json_is_object(payload) || ledger__canon(&canon, &clen, payload, NULL) ||
            clen != (size_t)r[7].n || memcmp(canon, r[7].p, clen) != 0 ||
            ledger__hash_prefixed(ph, payload, NULL) || strcmp(ph, r[8].p) != 0;
  free(canon);
  if (!bad) {
    json_t *ev = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:O}", "schema_version",
                           "motus.work-event.v0.1", "run_id", r[0].p, "seq", (json_int_t)r[1].i,
                           "event_kind", r[3].p, "occurred_at", r[4].p, "idempotency_key", r[5].p,
                           "payload_hash", r[8].p, "schema_hash", r[9].p, "payload", payload);
    if (ev && r[6].type != SQLITE_NULL)
      json_object_set_new(ev, "producer_id", json_string(r[6].p));
    bad = !ev || ledger__hash_prefixed(eid, ev, NULL) || strcmp(eid, r[2].p) != 0;
    json_decref(ev);
  }
  json_decref(payload);
  if (bad)
    return ledger__errf(err, LEDGER_ECORRUPT, 0,
                        "run %s seq %lld: the source event does not verify; nothing of it copied",
                        r[0].p, (long long)r[1].i);
  return LEDGER_OK;
}

static void bind_val(db_stmt *st, int i, const cval *v)
{
  switch (v->type) {
  case SQLITE_NULL: db_bind_null(st, i); break;
  case SQLITE_INTEGER: db_bind_int64(st, i, v->i); break;
  case SQLITE_BLOB: db_bind_blob(st, i, v->p, v->n, SQLITE_TRANSIENT); break;
  default: db_bind_text(st, i, v->p, v->n, SQLITE_TRANSIENT); break;
  }
}

static const char SQL_EV_ID[] = "SELECT event_id FROM events WHERE run_id = ?1 AND seq = ?2";

/* Whether the destination has the event at this seq already: 1 yes (the same one), 0 no, else
 * an error (another event there). Checked before the insert: the append-only triggers run
 * before any conflict clause would. */
static int dst_has_event(lconn *c, const cval *r, ledger_err *err)
{
  db_stmt *st = ledger__stmt(c, SQL_EV_ID, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, r[0].p);
  db_bind_int64(st, 2, r[1].i);
  int rc = db_step(st);
  int found = rc == SQLITE_ROW, same = found && strcmp(COLTXT(st, 0), r[2].p) == 0;
  db_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, "copy: read event");
  if (found && !same)
    return ledger__errf(err, LEDGER_ECONFLICT, 0,
                        "run %s seq %lld: the destination holds another event there", r[0].p,
                        (long long)r[1].i);
  return found;
}

static int write_batch(ledger_txn *t, void *p, ledger_err *err)
{
  copy_batch *b = p;
  int ev = !strcmp(b->t->name, "events"), runs = !strcmp(b->t->name, "runs");
  /* the statement text lives in b (one per table): uncached, prepared once per batch */
  db_stmt *st = NULL;
  if (db_prepare(t->c, b->sql, &st) != SQLITE_OK)
    return ledger__sqlerr(err, t->c, db_errcode(t->c), "copy: prepare");
  int rc = LEDGER_OK;
  for (int r = 0; r < b->nrows && !rc; r++) {
    cval *row = b->v + (size_t)r * (size_t)b->t->ncols;
    if (ev && (rc = verify_event(row, err)))
      break;
    if (ev) {
      int has = dst_has_event(t->c, row, err);
      if (has < 0) {
        rc = has;
        break;
      }
      if (has) {
        b->skipped++;
        continue;
      }
    }
    db_reset(st);
    db_clear_bindings(st);
    for (int k = 0; k < b->t->ncols; k++) {
      if (runs && k == 2)
        db_bind_text(st, k + 1, "open", -1, SQLITE_STATIC);
      else if (runs && (k == 4 || k == 5))
        db_bind_null(st, k + 1);
      else
        bind_val(st, k + 1, &row[k]);
    }
    int s = db_step(st);
    if (s != SQLITE_DONE) {
      rc = ledger__sqlerr(err, t->c, s, b->t->name);
      break;
    }
    if (db_changes(t->c))
      b->written++;
    else
      b->skipped++;
  }
  db_finalize(st);
  return rc;
}

static const char SQL_CLOSE[] = "UPDATE runs SET status = 'closed', closed_at = ?2,"
                                " outcome_status = ?3 WHERE run_id = ?1 AND status = 'open'";

static int close_runs(ledger_txn *t, void *p, ledger_err *err)
{
  copy_batch *b = p;
  for (int r = 0; r < b->nrows; r++) {
    cval *row = b->v + (size_t)r * (size_t)b->t->ncols;
    if (row[2].type != SQLITE_TEXT || strcmp(row[2].p, "closed") != 0)
      continue;
    db_stmt *st = ledger__stmt(t->c, SQL_CLOSE, err);
    if (!st)
      return LEDGER_ERROR;
    bind_val(st, 1, &row[0]);
    bind_val(st, 2, &row[4]);
    bind_val(st, 3, &row[5]);
    int rc = ledger__step_done(t->c, st, err, "copy: close run");
    if (rc)
      return rc;
  }
  return LEDGER_OK;
}

struct copy_rd {
  ledger *dst;
  ledger_copy_stats *stats;
  int closing; /* pass 2: close the copied runs */
};

static int flush(struct copy_rd *r, copy_batch *b, ledger_err *err)
{
  if (!b->nrows)
    return LEDGER_OK;
  int rc = ledger_tx(r->dst, r->closing ? close_runs : write_batch, b, err);
  batch_clear(b);
  return rc;
}

static int copy_table_rows(lconn *c, struct copy_rd *r, const copy_table *t, ledger_err *err)
{
  char sel[600];
  copy_batch b = {t, NULL, 0, 0, 0, ""};
  snprintf(sel, sizeof sel, "SELECT %s FROM %s ORDER BY %s", t->cols, t->name, t->order);
  char ph[200] = "";
  for (int k = 0; k < t->ncols; k++)
    snprintf(ph + strlen(ph), sizeof ph - strlen(ph), "%s?%d", k ? ", " : "", k + 1);
  snprintf(b.sql, sizeof b.sql, "INSERT INTO %s(%s) VALUES (%s) ON CONFLICT DO NOTHING", t->name,
           t->cols, ph);
  if (!(b.v = calloc((size_t)COPY_BATCH * (size_t)t->ncols, sizeof *b.v)))
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  db_stmt *st = NULL;
  int rc = LEDGER_OK, s;
  if (db_prepare(c, sel, &st) != SQLITE_OK) {
    free(b.v);
    return ledger__sqlerr(err, c, db_errcode(c), t->name);
  }
  while (!rc && (s = db_step(st)) == SQLITE_ROW) {
    cval *row = b.v + (size_t)b.nrows * (size_t)t->ncols;
    for (int k = 0; k < t->ncols; k++) {
      row[k].type = db_column_type(st, k);
      if (row[k].type == SQLITE_INTEGER) {
        row[k].i = db_column_int64(st, k);
      } else if (row[k].type != SQLITE_NULL) {
        const void *p = row[k].type == SQLITE_BLOB ? db_column_blob(st, k)
                                                   : (const void *)db_column_text(st, k);
        row[k].n = db_column_bytes(st, k);
        if (row[k].type == SQLITE_FLOAT)
          row[k].type = SQLITE_TEXT;
        if (!(row[k].p = malloc((size_t)row[k].n + 1)))
          rc = ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
        else {
          memcpy(row[k].p, p, (size_t)row[k].n);
          row[k].p[row[k].n] = 0;
        }
      }
    }
    b.nrows++;
    if (!rc && b.nrows == COPY_BATCH)
      rc = flush(r, &b, err);
  }
  if (!rc && s != SQLITE_DONE && s != SQLITE_ROW)
    rc = ledger__sqlerr(err, c, s, t->name);
  if (!rc)
    rc = flush(r, &b, err);
  batch_clear(&b);
  db_finalize(st);
  free(b.v);
  if (!r->closing) {
    r->stats->rows[t - tables] += b.written + b.skipped;
    r->stats->written += b.written;
    r->stats->skipped += b.skipped;
  }
  return rc;
}

static int rd_copy(lconn *c, void *p, ledger_err *err)
{
  struct copy_rd *r = p;
  int rc = LEDGER_OK;
  for (size_t i = 0; i < NTABLES && !rc; i++) {
    rc = copy_table_rows(c, r, &tables[i], err);
    if (!rc && i == 2) { /* after the events: close the runs that are closed */
      r->closing = 1;
      rc = copy_table_rows(c, r, &tables[1], err);
      r->closing = 0;
    }
  }
  return rc;
}

const char *ledger_copy_table_name(size_t i)
{
  return i < NTABLES ? tables[i].name : NULL;
}

int ledger_store_copy(ledger *src, ledger *dst, ledger_copy_stats *stats, ledger_err *err)
{
  ledger_copy_stats local;
  if (!stats)
    stats = &local;
  memset(stats, 0, sizeof *stats);
  struct copy_rd r = {dst, stats, 0};
  return ledger__read(src, rd_copy, &r, err);
}
