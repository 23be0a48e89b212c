/* SPDX-License-Identifier: Apache-2.0
 * ledger/read.c — the read side of the Store: runs, events (rebuilt as Motus work-event objects),
 * the canonical store export of a run, receipts (by run, task or kind), approvals and the memory
 * list of the motebit://memories resource (memory recall is ledger/recall.c). Reads run on pooled
 * read connections inside one read transaction, so each call sees one committed snapshot.
 * Nothing here writes; the consistency checks are in ledger/doctor.c. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_opt(json_t *o, const char *k, db_stmt *st, int i)
{
  if (db_column_type(st, i) != SQLITE_NULL)
    json_object_set_new(o, k, json_string(COLTXT(st, i)));
}

/* ---- runs ----------------------------------------------------------------------------------- */

static const char SQL_RUN_ROW[] =
    "SELECT run_id, work_id, status, started_at, closed_at, outcome_status, producer_id, lease_id,"
    " lease_status, lease_expires_at, lease_actor, lease_token,"
    " (SELECT COUNT(*) FROM events e WHERE e.run_id = runs.run_id) FROM runs WHERE run_id = ?1";
static const char SQL_RUN_LIST[] =
    "SELECT run_id, work_id, status, started_at, closed_at, outcome_status, producer_id, lease_id,"
    " lease_status, lease_expires_at, lease_actor, lease_token,"
    " (SELECT COUNT(*) FROM events e WHERE e.run_id = runs.run_id) FROM runs"
    " WHERE (?1 = 0 OR status = 'open') ORDER BY started_at DESC, run_id ASC LIMIT ?2";

static json_t *run_row(db_stmt *st)
{
  json_t *o = json_object();
  json_object_set_new(o, "run_id", json_string(COLTXT(st, 0)));
  set_opt(o, "work_id", st, 1);
  json_object_set_new(o, "status", json_string(COLTXT(st, 2)));
  json_object_set_new(o, "started_at", json_string(COLTXT(st, 3)));
  set_opt(o, "closed_at", st, 4);
  set_opt(o, "outcome_status", st, 5);
  set_opt(o, "producer_id", st, 6);
  json_object_set_new(o, "event_count", json_integer(db_column_int64(st, 12)));
  if (db_column_type(st, 7) != SQLITE_NULL) {
    json_t *l = json_object();
    json_object_set_new(l, "lease_id", json_string(COLTXT(st, 7)));
    set_opt(l, "status", st, 8);
    set_opt(l, "expires_at", st, 9);
    set_opt(l, "actor_id", st, 10);
    json_object_set_new(l, "fencing_token", json_integer(db_column_int64(st, 11)));
    json_object_set_new(o, "lease", l);
  }
  return o;
}

int ledger__run_json(lconn *c, const char *run_id, json_t **out, ledger_err *err)
{
  db_stmt *st = ledger__stmt(c, SQL_RUN_ROW, err);
  if (!st)
    return LEDGER_ERROR;
  db_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  int rc = db_step(st);
  if (rc == SQLITE_ROW) {
    *out = run_row(st);
    db_reset(st);
    return LEDGER_OK;
  }
  db_reset(st);
  if (rc == SQLITE_DONE)
    return ledger__errf(err, LEDGER_ENOTFOUND, 0, "run %s not found", run_id);
  return ledger__sqlerr(err, c, rc, "read run");
}

static const char SQL_RESOLVE[] =
    "SELECT run_id FROM runs WHERE run_id = ?1 UNION ALL SELECT run_id FROM runs WHERE lease_id = ?1"
    " LIMIT 1";

int ledger__resolve_id(lconn *c, const char *id, char run_id[LEDGER_ID_MAX], ledger_err *err)
{
  if (!id || !*id)
    return ledger__errf(err, LEDGER_EINVAL, 0, "a lease or run id is required");
  db_stmt *st = ledger__stmt(c, SQL_RESOLVE, err);
  if (!st)
    return LEDGER_ERROR;
  db_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int rc = db_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(run_id, LEDGER_ID_MAX, "%s", COLTXT(st, 0));
    db_reset(st);
    return LEDGER_OK;
  }
  db_reset(st);
  if (rc == SQLITE_DONE)
    return ledger__errf(err, LEDGER_ENOTFOUND, 0, "no lease or run '%s'", id);
  return ledger__sqlerr(err, c, rc, "resolve id");
}

/* ---- events --------------------------------------------------------------------------------- */

static const char SQL_EVENTS[] =
    "SELECT seq, event_id, event_kind, occurred_at, idempotency_key, producer_id, payload,"
    " payload_hash, schema_hash FROM events WHERE run_id = ?1 ORDER BY seq";

int ledger__events_json(lconn *c, const char *run_id, json_t **out, ledger_err *err)
{
  db_stmt *st = ledger__stmt(c, SQL_EVENTS, err);
  if (!st)
    return LEDGER_ERROR;
  db_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  json_t *arr = json_array();
  int rc;
  while ((rc = db_step(st)) == SQLITE_ROW) {
    json_error_t je;
    json_t *payload = json_loads(COLTXT(st, 6), JSON_DECODE_ANY, &je);
    if (!payload) {
      db_reset(st);
      json_decref(arr);
      return ledger__errf(err, LEDGER_ECORRUPT, 0, "event %s of run %s has an unreadable payload",
                          COLTXT(st, 1), run_id);
    }
    json_t *e = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:o}", "schema_version",
                          "motus.work-event.v0.1", "event_id", COLTXT(st, 1), "run_id", run_id,
                          "seq", (json_int_t)db_column_int64(st, 0), "event_kind", COLTXT(st, 2),
                          "occurred_at", COLTXT(st, 3), "idempotency_key", COLTXT(st, 4),
                          "payload_hash", COLTXT(st, 7), "schema_hash", COLTXT(st, 8), "payload",
                          payload);
    set_opt(e, "producer_id", st, 5);
    json_array_append_new(arr, e);
  }
  db_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(arr);
    return ledger__sqlerr(err, c, rc, "read events");
  }
  *out = arr;
  return LEDGER_OK;
}

int ledger__export_json(lconn *c, const char *run_id, const char *exported_at, json_t **out,
                        ledger_err *err)
{
  json_t *run = NULL, *events = NULL;
  int rc;
  if ((rc = ledger__run_json(c, run_id, &run, err)))
    return rc;
  if ((rc = ledger__events_json(c, run_id, &events, err))) {
    json_decref(run);
    return rc;
  }
  json_t *r = json_pack("{s:s,s:O,s:O,s:O}", "schema_version", "motus.work-run.v0.1", "run_id",
                        json_object_get(run, "run_id"), "status", json_object_get(run, "status"),
                        "started_at", json_object_get(run, "started_at"));
  static const char *const opt[] = {"work_id", "closed_at", "producer_id", "outcome_status", NULL};
  for (int i = 0; opt[i]; i++)
    if (json_object_get(run, opt[i]))
      json_object_set(r, opt[i], json_object_get(run, opt[i]));
  /* the commit a wrap run was started on (work.started git.commit), as Motus' work-run git_sha */
  json_t *first = json_array_get(events, 0);
  json_t *sha = json_object_get(json_object_get(json_object_get(first, "payload"), "git"),
                                "commit");
  if (json_is_string(sha) && strcmp(json_string_value(json_object_get(first, "event_kind")),
                                    LEDGER_KIND_WORK_STARTED) == 0)
    json_object_set(r, "git_sha", sha);
  const char *ts = exported_at;
  if (!ts)
    ts = json_string_value(json_object_get(run, "closed_at"));
  if (!ts && json_array_size(events))
    ts = json_string_value(
        json_object_get(json_array_get(events, json_array_size(events) - 1), "occurred_at"));
  if (!ts)
    ts = json_string_value(json_object_get(run, "started_at"));
  *out = json_pack("{s:s,s:s,s:s,s:[o],s:o}", "schema_version", "motus.store-export.v0.1",
                   "exported_at", ts, "canonicalization", "json.sorted.compact.v0", "runs", r,
                   "events", events);
  json_decref(run);
  return *out ? LEDGER_OK : ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
}

/* ---- public reads --------------------------------------------------------------------------- */

struct rd {
  const char *a, *b;
  int i, j;
  json_t *out;
};

static int rd_run_get(lconn *c, void *p, ledger_err *err)
{
  struct rd *r = p;
  return ledger__run_json(c, r->a, &r->out, err);
}

int ledger_run_get(ledger *l, const char *run_id, json_t **out, ledger_err *err)
{
  struct rd r = {run_id, NULL, 0, 0, NULL};
  int rc = ledger__read(l, rd_run_get, &r, err);
  *out = rc ? NULL : r.out;
  return rc;
}

static int rd_run_list(lconn *c, void *p, ledger_err *err)
{
  struct rd *r = p;
  db_stmt *st = ledger__stmt(c, SQL_RUN_LIST, err);
  if (!st)
    return LEDGER_ERROR;
  db_bind_int(st, 1, r->i);
  db_bind_int(st, 2, r->j);
  r->out = json_array();
  int rc;
  while ((rc = db_step(st)) == SQLITE_ROW)
    json_array_append_new(r->out, run_row(st));
  db_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(r->out);
    r->out = NULL;
    return ledger__sqlerr(err, c, rc, "list runs");
  }
  return LEDGER_OK;
}

int ledger_run_list(ledger *l, int open_only, int limit, json_t **out, ledger_err *err)
{
  struct rd r = {NULL, NULL, open_only ? 1 : 0, limit > 0 ? limit : 100, NULL};
  int rc = ledger__read(l, rd_run_list, &r, err);
  *out = rc ? NULL : r.out;
  return rc;
}

static int rd_events(lconn *c, void *p, ledger_err *err)
{
  struct rd *r = p;
  json_t *run = NULL;
  int rc = ledger__run_json(c, r->a, &run, err);
  json_decref(run);
  if (rc)
    return rc;
  return ledger__events_json(c, r->a, &r->out, err);
}

int ledger_run_events(ledger *l, const char *run_id, json_t **out, ledger_err *err)
{
  struct rd r = {run_id, NULL, 0, 0, NULL};
  int rc = ledger__read(l, rd_events, &r, err);
  *out = rc ? NULL : r.out;
  return rc;
}

static int rd_export(lconn *c, void *p, ledger_err *err)
{
  struct rd *r = p;
  return ledger__export_json(c, r->a, NULL, &r->out, err);
}

int ledger_export_run(ledger *l, const char *run_id, json_t **out, ledger_err *err)
{
  struct rd r = {run_id, NULL, 0, 0, NULL};
  int rc = ledger__read(l, rd_export, &r, err);
  *out = rc ? NULL : r.out;
  return rc;
}

static const char SQL_RCPT_ONE[] = "SELECT json FROM receipts WHERE receipt_id = ?1";
static const char SQL_RCPT_OF_RUN[] =
    "SELECT json FROM receipts WHERE run_id = ?1 AND kind = 'motus.work-receipt'"
    " ORDER BY created_at DESC, receipt_id LIMIT 1";
static const char SQL_RCPT_LIST[] =
    "SELECT receipt_id, kind, run_id, task_id, created_at, json FROM receipts"
    " WHERE (?1 IS NOT NULL AND run_id = ?1) OR (?2 IS NOT NULL AND task_id = ?2)"
    " ORDER BY created_at, receipt_id";

static int one_json(lconn *c, const char *sql, const char *key, json_t **out, ledger_err *err,
                    const char *what)
{
  db_stmt *st = ledger__stmt(c, sql, err);
  if (!st)
    return LEDGER_ERROR;
  db_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  int rc = db_step(st);
  if (rc == SQLITE_ROW) {
    *out = json_loads(COLTXT(st, 0), 0, NULL);
    db_reset(st);
    return *out ? LEDGER_OK : ledger__errf(err, LEDGER_ECORRUPT, 0, "stored %s is not JSON", what);
  }
  db_reset(st);
  if (rc == SQLITE_DONE)
    return ledger__errf(err, LEDGER_ENOTFOUND, 0, "%s %s not found", what, key);
  return ledger__sqlerr(err, c, rc, what);
}

int ledger__receipt_of_run(lconn *c, const char *run_id, json_t **out, ledger_err *err)
{
  return one_json(c, SQL_RCPT_OF_RUN, run_id, out, err, "receipt of run");
}

/* A ToolInvocationReceipt lives in its call's mcp.call event (spec/store.md "One call, one
 * event"), keyed "<invocation_id>:call" in a session run: one probe of the (run_id,
 * idempotency_key) index per session run. */
static const char SQL_CALL_RCPT[] =
    "SELECT json_extract(e.payload, '$.receipt') FROM runs r"
    " JOIN events e ON e.run_id = r.run_id AND e.idempotency_key = ?1 || ':call'"
    " WHERE r.work_id >= 'mcp-session-' AND r.work_id < 'mcp-session.'"
    " AND e.event_kind = 'mcp.call' AND json_type(e.payload, '$.receipt') = 'object' LIMIT 1";

/* PostgreSQL: the member read with json operators (the stored payload is canonical JSON). */
static const char SQL_CALL_RCPT_PG[] =
    "SELECT CAST(e.payload AS json)->'receipt' FROM runs r"
    " JOIN events e ON e.run_id = r.run_id AND e.idempotency_key = CAST(?1 AS text) || ':call'"
    " WHERE r.work_id >= 'mcp-session-' AND r.work_id < 'mcp-session.'"
    " AND e.event_kind = 'mcp.call' AND json_typeof(CAST(e.payload AS json)->'receipt') = 'object'"
    " LIMIT 1";

static int rd_receipt(lconn *c, void *p, ledger_err *err)
{
  struct rd *r = p;
  int rc = one_json(c, SQL_RCPT_ONE, r->a, &r->out, err, "receipt");
  if (rc == LEDGER_ENOTFOUND) /* not a receipts row: a tool call's receipt, in its event */
    rc = one_json(c, c->pg ? SQL_CALL_RCPT_PG : SQL_CALL_RCPT, r->a, &r->out, err, "receipt");
  return rc;
}

int ledger_receipt_get(ledger *l, const char *receipt_id, json_t **out, ledger_err *err)
{
  struct rd r = {receipt_id ? receipt_id : "", NULL, 0, 0, NULL};
  int rc = ledger__read(l, rd_receipt, &r, err);
  *out = rc ? NULL : r.out;
  return rc;
}

/* Steps `st` (SELECT receipt_id, kind, run_id, task_id, created_at, json) into a new array of
 * {receipt_id, kind, run_id?, task_id?, created_at, json} at *out. */
static int receipt_rows(lconn *c, db_stmt *st, json_t **out, ledger_err *err)
{
  int rc;
  *out = json_array();
  while ((rc = db_step(st)) == SQLITE_ROW) {
    json_t *o = json_pack("{s:s,s:s,s:s}", "receipt_id", COLTXT(st, 0), "kind", COLTXT(st, 1),
                          "created_at", COLTXT(st, 4));
    set_opt(o, "run_id", st, 2);
    set_opt(o, "task_id", st, 3);
    json_t *j = json_loads(COLTXT(st, 5), 0, NULL);
    json_object_set_new(o, "json", j ? j : json_null());
    json_array_append_new(*out, o);
  }
  db_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(*out);
    *out = NULL;
    return ledger__sqlerr(err, c, rc, "list receipts");
  }
  return LEDGER_OK;
}

static int rd_receipt_list(lconn *c, void *p, ledger_err *err)
{
  struct rd *r = p;
  db_stmt *st = ledger__stmt(c, SQL_RCPT_LIST, err);
  if (!st)
    return LEDGER_ERROR;
  if (r->a)
    db_bind_text(st, 1, r->a, -1, SQLITE_TRANSIENT);
  if (r->b)
    db_bind_text(st, 2, r->b, -1, SQLITE_TRANSIENT);
  return receipt_rows(c, st, &r->out, err);
}

int ledger_receipt_list(ledger *l, const char *run_id, const char *task_id, json_t **out,
                        ledger_err *err)
{
  *out = NULL;
  if (!run_id && !task_id)
    return ledger__errf(err, LEDGER_EINVAL, 0, "a run id or task id is required");
  struct rd r = {run_id, task_id, 0, 0, NULL};
  int rc = ledger__read(l, rd_receipt_list, &r, err);
  *out = rc ? NULL : r.out;
  return rc;
}

static const char SQL_RCPT_KIND[] =
    "SELECT receipt_id, kind, run_id, task_id, created_at, json FROM receipts WHERE kind = ?1"
    " ORDER BY created_at DESC, receipt_id LIMIT ?2";

static int rd_receipt_kind(lconn *c, void *p, ledger_err *err)
{
  struct rd *r = p;
  db_stmt *st = ledger__stmt(c, SQL_RCPT_KIND, err);
  if (!st)
    return LEDGER_ERROR;
  db_bind_text(st, 1, r->a, -1, SQLITE_TRANSIENT);
  db_bind_int(st, 2, r->i);
  return receipt_rows(c, st, &r->out, err);
}

int ledger_receipt_list_kind(ledger *l, const char *kind, int limit, json_t **out, ledger_err *err)
{
  *out = NULL;
  if (!kind)
    return ledger__errf(err, LEDGER_EINVAL, 0, "a receipt kind is required");
  struct rd r = {kind, NULL, limit > 0 ? limit : 100, 0, NULL};
  int rc = ledger__read(l, rd_receipt_kind, &r, err);
  *out = rc ? NULL : r.out;
  return rc;
}

static const char SQL_APPR_ONE[] =
    "SELECT approval_id, tool, args_hash, risk, caller, status, reason, request, decision,"
    " created_at, resolved_at FROM approvals WHERE approval_id = ?1";
static const char SQL_APPR_LIST[] =
    "SELECT approval_id, tool, args_hash, risk, caller, status, reason, request, decision,"
    " created_at, resolved_at FROM approvals WHERE ?1 IS NULL OR status = ?1"
    " ORDER BY created_at, approval_id";

static json_t *appr_row(db_stmt *st)
{
  json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s}", "approval_id", COLTXT(st, 0), "tool",
                        COLTXT(st, 1), "args_hash", COLTXT(st, 2), "risk", db_column_int(st, 3),
                        "caller", COLTXT(st, 4), "status", COLTXT(st, 5), "created_at",
                        COLTXT(st, 9));
  set_opt(o, "reason", st, 6);
  for (int i = 7; i <= 8; i++)
    if (db_column_type(st, i) != SQLITE_NULL) {
      json_t *j = json_loads(COLTXT(st, i), 0, NULL);
      if (j)
        json_object_set_new(o, i == 7 ? "request" : "decision", j);
    }
  set_opt(o, "resolved_at", st, 10);
  return o;
}

static int rd_appr(lconn *c, void *p, ledger_err *err)
{
  struct rd *r = p;
  db_stmt *st = ledger__stmt(c, r->i ? SQL_APPR_LIST : SQL_APPR_ONE, err);
  if (!st)
    return LEDGER_ERROR;
  if (r->a)
    db_bind_text(st, 1, r->a, -1, SQLITE_TRANSIENT);
  int rc;
  if (!r->i) {
    rc = db_step(st);
    if (rc == SQLITE_ROW)
      r->out = appr_row(st);
    db_reset(st);
    if (rc == SQLITE_DONE)
      return ledger__errf(err, LEDGER_ENOTFOUND, 0, "approval %s not found", r->a);
    return rc == SQLITE_ROW ? LEDGER_OK : ledger__sqlerr(err, c, rc, "read approval");
  }
  r->out = json_array();
  while ((rc = db_step(st)) == SQLITE_ROW)
    json_array_append_new(r->out, appr_row(st));
  db_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(r->out);
    r->out = NULL;
    return ledger__sqlerr(err, c, rc, "list approvals");
  }
  return LEDGER_OK;
}

int ledger_approval_get(ledger *l, const char *approval_id, json_t **out, ledger_err *err)
{
  struct rd r = {approval_id ? approval_id : "", NULL, 0, 0, NULL};
  int rc = ledger__read(l, rd_appr, &r, err);
  *out = rc ? NULL : r.out;
  return rc;
}

int ledger_approval_list(ledger *l, const char *status, json_t **out, ledger_err *err)
{
  struct rd r = {status, NULL, 1, 0, NULL};
  int rc = ledger__read(l, rd_appr, &r, err);
  *out = rc ? NULL : r.out;
  return rc;
}

/* ---- memories, newest first (the motebit://memories resource) -------------------------------- */

static const char SQL_MEM_LIST[] =
    "SELECT memory_id, content, sensitivity, confidence, created_at FROM memories"
    " WHERE sensitivity IN (SELECT value FROM json_each(?1))"
    " ORDER BY created_at DESC, memory_id LIMIT ?2";

struct memlist_rd {
  const char *allowed; /* JSON array text */
  int limit;
  json_t *out;
};

static int rd_memlist(lconn *c, void *p, ledger_err *err)
{
  struct memlist_rd *r = p;
  db_stmt *st = ledger__stmt(c, SQL_MEM_LIST, err);
  int rc;
  if (!st)
    return LEDGER_ERROR;
  db_bind_text(st, 1, r->allowed, -1, SQLITE_TRANSIENT);
  db_bind_int(st, 2, r->limit);
  r->out = json_array();
  while ((rc = db_step(st)) == SQLITE_ROW)
    json_array_append_new(r->out,
                          json_pack("{s:s,s:s,s:s,s:i,s:s}", "memory_id", COLTXT(st, 0), "content",
                                    COLTXT(st, 1), "sensitivity", COLTXT(st, 2), "confidence",
                                    db_column_int(st, 3), "created_at", COLTXT(st, 4)));
  db_reset(st);
  if (rc != SQLITE_DONE || !r->out) {
    json_decref(r->out);
    r->out = NULL;
    return rc != SQLITE_DONE ? ledger__sqlerr(err, c, rc, "list memories")
                             : ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  }
  return LEDGER_OK;
}

int ledger_memory_list(ledger *l, const char *const *sensitivities, int limit, json_t **out,
                       ledger_err *err)
{
  struct memlist_rd r = {NULL,
                         limit > 0 ? (limit > LEDGER_RECALL_MAX ? LEDGER_RECALL_MAX : limit) : 100,
                         NULL};
  json_t *allowed = json_array();
  char *atext;
  int rc;
  *out = NULL;
  if (!sensitivities) {
    json_decref(allowed);
    return ledger__errf(err, LEDGER_EINVAL, 0, "memory list needs sensitivities");
  }
  for (int i = 0; sensitivities[i]; i++)
    json_array_append_new(allowed, json_string(sensitivities[i]));
  atext = seal_json_dumps(allowed, JSON_COMPACT);
  json_decref(allowed);
  if (!atext)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  r.allowed = atext;
  rc = ledger__read(l, rd_memlist, &r, err);
  free(atext);
  *out = rc ? NULL : r.out;
  return rc;
}

/* ---- counts for the console's health page ------------------------------------------------------ */

static const char SQL_KIND_SINCE[] =
    "SELECT COUNT(*) FROM events WHERE event_kind = ?1 AND occurred_at >= ?2";

static int rd_kind_since(lconn *c, void *p, ledger_err *err)
{
  struct rd *r = p;
  db_stmt *st = ledger__stmt(c, SQL_KIND_SINCE, err);
  int rc;
  if (!st)
    return LEDGER_ERROR;
  db_bind_text(st, 1, r->a, -1, SQLITE_TRANSIENT);
  db_bind_text(st, 2, r->b, -1, SQLITE_TRANSIENT);
  rc = db_step(st);
  if (rc == SQLITE_ROW)
    r->i = (int)db_column_int64(st, 0);
  db_reset(st);
  return rc == SQLITE_ROW ? LEDGER_OK : ledger__sqlerr(err, c, rc, "event count");
}

int ledger_event_count_since(ledger *l, const char *kind, const char *since, int64_t *n_out,
                             ledger_err *err)
{
  struct rd r = {kind, since, 0, 0, NULL};
  int rc;
  *n_out = 0;
  if (!kind || !since)
    return ledger__errf(err, LEDGER_EINVAL, 0, "event count: kind and since are required");
  rc = ledger__read(l, rd_kind_since, &r, err);
  if (rc == LEDGER_OK)
    *n_out = r.i;
  return rc;
}
