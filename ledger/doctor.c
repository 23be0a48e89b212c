/* SPDX-License-Identifier: Apache-2.0
 * ledger/doctor.c — ledger_doctor(): consistency checks over a Store (schema version, SQLite
 * integrity and foreign keys, append-only triggers present, every event's payload_hash,
 * schema_hash and event_id recomputed, seq contiguity, closed-run consistency, expired leases).
 * With fix it re-creates missing triggers/indexes/views and marks expired leases; it never
 * deletes or rewrites facts. */
#include "ledger/ledger_int.h"
#include "ledger/work_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add(json_t *checks, const char *name, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(json_t *checks, const char *name, const char *status, const char *fmt, ...)
{
  char msg[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_array_append_new(checks,
                        json_pack("{s:s,s:s,s:s}", "name", name, "status", status, "message", msg));
}

static int scalar_text(lconn *c, const char *sql, char *out, size_t cap)
{
  db_stmt *st = NULL;
  out[0] = 0;
  if (db_prepare(c, sql, &st) != SQLITE_OK)
    return -1;
  int rc = db_step(st);
  if (rc == SQLITE_ROW && db_column_text(st, 0))
    snprintf(out, cap, "%s", COLTXT(st, 0));
  db_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static void check_events(lconn *c, json_t *checks)
{
  db_stmt *st = NULL;
  long n = 0, bad = 0;
  char first[300] = "";
  json_t *kinds = json_object();
  /* kind_versions: recompute each schema hash from its required_payload */
  if (db_prepare(c, "SELECT event_kind, required_payload, schema_hash FROM kind_versions", &st) ==
      SQLITE_OK) {
    while (db_step(st) == SQLITE_ROW) {
      char h[LEDGER_HASH_MAX];
      json_t *req = json_loads(COLTXT(st, 1), 0, NULL);
      if (!req || ledger__kind_schema_hash(h, COLTXT(st, 0), req, NULL) ||
          strcmp(h, COLTXT(st, 2)) != 0) {
        bad++;
        if (!first[0])
          snprintf(first, sizeof first, "kind %s: schema_hash does not recompute", COLTXT(st, 0));
      }
      json_decref(req);
      json_object_set_new(kinds, COLTXT(st, 0), json_string(COLTXT(st, 2)));
    }
  }
  db_finalize(st);
  st = NULL;
  if (db_prepare(c,
                 "SELECT run_id, seq, event_id, event_kind, occurred_at, idempotency_key,"
                 " producer_id, payload, payload_hash, schema_hash FROM events",
                 &st) != SQLITE_OK) {
    add(checks, "event_hashes", "fail", "cannot read events: %s", db_errmsg(c));
    json_decref(kinds);
    return;
  }
  while (db_step(st) == SQLITE_ROW) {
    n++;
    const char *why = NULL;
    json_t *payload = json_loads(COLTXT(st, 7), 0, NULL);
    char ph[LEDGER_HASH_MAX], eid[LEDGER_HASH_MAX];
    char *canon = NULL;
    size_t clen = 0;
    if (!payload || !json_is_object(payload)) {
      why = "payload is not a JSON object";
    } else if (ledger__canon(&canon, &clen, payload, NULL)) {
      why = "payload cannot be canonicalized";
    } else if (strlen(COLTXT(st, 7)) != clen || memcmp(canon, COLTXT(st, 7), clen) != 0) {
      why = "stored payload is not canonical";
    } else if (ledger__hash_prefixed(ph, payload, NULL) || strcmp(ph, COLTXT(st, 8)) != 0) {
      why = "payload_hash does not recompute";
    } else if (!json_object_get(kinds, COLTXT(st, 3)) ||
               strcmp(json_string_value(json_object_get(kinds, COLTXT(st, 3))), COLTXT(st, 9)) !=
                   0) {
      why = "schema_hash differs from the kind's";
    } else {
      json_t *ev = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:O}", "schema_version",
                             "motus.work-event.v0.1", "run_id", COLTXT(st, 0), "seq",
                             (json_int_t)db_column_int64(st, 1), "event_kind", COLTXT(st, 3),
                             "occurred_at", COLTXT(st, 4), "idempotency_key", COLTXT(st, 5),
                             "payload_hash", COLTXT(st, 8), "schema_hash", COLTXT(st, 9), "payload",
                             payload);
      if (db_column_type(st, 6) != SQLITE_NULL)
        json_object_set_new(ev, "producer_id", json_string(COLTXT(st, 6)));
      if (!ev || ledger__hash_prefixed(eid, ev, NULL) || strcmp(eid, COLTXT(st, 2)) != 0)
        why = "event_id does not recompute";
      json_decref(ev);
    }
    free(canon);
    json_decref(payload);
    if (why) {
      bad++;
      if (!first[0])
        snprintf(first, sizeof first, "run %s seq %lld: %s", COLTXT(st, 0),
                 (long long)db_column_int64(st, 1), why);
    }
  }
  db_finalize(st);
  json_decref(kinds);
  if (bad)
    add(checks, "event_hashes", "fail", "%ld of %ld events fail; first: %s", bad, n, first);
  else
    add(checks, "event_hashes", "pass",
        "%ld events: payload_hash, schema_hash, event_id recomputed", n);
}

static void check_seq(lconn *c, json_t *checks)
{
  db_stmt *st = NULL;
  long runs = 0, bad = 0;
  char first[200] = "";
  if (db_prepare(c,
                 "SELECT r.run_id, r.status, r.closed_at, r.outcome_status,"
                 " COUNT(e.seq), COALESCE(MIN(e.seq),0), COALESCE(MAX(e.seq),0)"
                 " FROM runs r LEFT JOIN events e ON e.run_id = r.run_id GROUP BY r.run_id",
                 &st) != SQLITE_OK) {
    add(checks, "seq_contiguity", "fail", "cannot read runs: %s", db_errmsg(c));
    return;
  }
  long closed_bad = 0;
  while (db_step(st) == SQLITE_ROW) {
    runs++;
    long cnt = db_column_int64(st, 4), mn = db_column_int64(st, 5), mx = db_column_int64(st, 6);
    if (cnt > 0 && (mn != 1 || mx != cnt)) {
      bad++;
      if (!first[0])
        snprintf(first, sizeof first, "run %s has %ld events with seq %ld..%ld", COLTXT(st, 0), cnt,
                 mn, mx);
    }
    if (strcmp(COLTXT(st, 1), "closed") == 0 && cnt == 0)
      closed_bad++;
  }
  db_finalize(st);
  if (bad)
    add(checks, "seq_contiguity", "fail", "%ld of %ld runs have gaps; first: %s", bad, runs, first);
  else
    add(checks, "seq_contiguity", "pass", "%ld runs: seq 1..N without gaps", runs);
  if (closed_bad)
    add(checks, "closed_runs", "fail", "%ld closed runs have no events", closed_bad);
  else
    add(checks, "closed_runs", "pass", "every closed run has its closing event");
}

/* free space against the margin, and whether the last commit failed (ledger_health_get) */
static void check_space(ledger *l, json_t *checks)
{
  ledger_health h;
  ledger_health_get(l, &h);
  if (!h.ok)
    add(checks, "disk_space", "fail", "%s", h.message);
  else if (h.free_bytes < 0)
    add(checks, "disk_space", "warn", "free space on the Store's filesystem is unknown");
  else
    add(checks, "disk_space", "pass", "%lld KiB free (margin %lld KiB)",
        (long long)(h.free_bytes / 1024), (long long)(h.min_free_bytes / 1024));
}

/* The SQLite file's own checks: schema version, journal mode, integrity, foreign keys and the
 * append-only triggers. */
static void check_sqlite(lconn *c, json_t *checks)
{
  char buf[256];
  scalar_text(c, "PRAGMA user_version", buf, sizeof buf);
  add(checks, "schema_version", atol(buf) == LEDGER_SCHEMA_VERSION ? "pass" : "fail",
      "schema version %s (this build: %d)", buf, LEDGER_SCHEMA_VERSION);
  scalar_text(c, "PRAGMA journal_mode", buf, sizeof buf);
  add(checks, "journal_mode", strcmp(buf, "wal") == 0 ? "pass" : "warn", "journal_mode %s", buf);
  if (scalar_text(c, "PRAGMA integrity_check", buf, sizeof buf) == 0 && strcmp(buf, "ok") == 0)
    add(checks, "integrity_check", "pass", "ok");
  else
    add(checks, "integrity_check", "fail", "%s", buf[0] ? buf : db_errmsg(c));
  if (scalar_text(c, "PRAGMA foreign_key_check", buf, sizeof buf) == 0 && !buf[0])
    add(checks, "foreign_keys", "pass", "no dangling references");
  else
    add(checks, "foreign_keys", "fail", "dangling reference in table %s", buf);
  {
    char missing[200] = "";
    int nmiss = 0;
    for (int i = 0; ledger__triggers[i]; i++) {
      db_stmt *st = NULL;
      db_prepare(c, "SELECT 1 FROM sqlite_master WHERE type='trigger' AND name=?1", &st);
      db_bind_text(st, 1, ledger__triggers[i], -1, SQLITE_STATIC);
      if (db_step(st) != SQLITE_ROW) {
        if (!nmiss)
          snprintf(missing, sizeof missing, "%s", ledger__triggers[i]);
        nmiss++;
      }
      db_finalize(st);
    }
    if (nmiss)
      add(checks, "triggers", "fail",
          "%d append-only triggers missing (first: %s); run doctor --fix", nmiss, missing);
    else
      add(checks, "triggers", "pass", "append-only triggers present");
  }
}

/* A PostgreSQL Store's own checks: schema version (wl_meta), synchronous_commit, and the
 * append-only triggers (foreign keys and page integrity are the server's). */
static void check_pg(lconn *c, json_t *checks)
{
  char buf[256], missing[200] = "";
  int nmiss = 0;
  scalar_text(c, "SELECT value FROM wl_meta WHERE key = 'schema_version'", buf, sizeof buf);
  add(checks, "schema_version", atol(buf) == LEDGER_SCHEMA_VERSION ? "pass" : "fail",
      "schema version %s (this build: %d)", buf, LEDGER_SCHEMA_VERSION);
  scalar_text(c, "SELECT current_setting('synchronous_commit')", buf, sizeof buf);
  add(checks, "synchronous_commit", strcmp(buf, "on") == 0 ? "pass" : "warn",
      "synchronous_commit %s", buf);
  scalar_text(c, "SELECT version()", buf, sizeof buf);
  add(checks, "engine", buf[0] ? "pass" : "fail", "%.120s", buf[0] ? buf : db_errmsg(c));
  for (size_t i = 0; ledger__pg_trigger_name(i); i++) {
    db_stmt *st = NULL;
    db_prepare(c, "SELECT 1 FROM pg_trigger WHERE tgname = ?1 AND NOT tgisinternal", &st);
    if (st)
      db_bind_text(st, 1, ledger__pg_trigger_name(i), -1, SQLITE_STATIC);
    if (!st || db_step(st) != SQLITE_ROW) {
      if (!nmiss)
        snprintf(missing, sizeof missing, "%s", ledger__pg_trigger_name(i));
      nmiss++;
    }
    db_finalize(st);
  }
  if (nmiss)
    add(checks, "triggers", "fail", "%d append-only triggers missing (first: %s); run doctor --fix",
        nmiss, missing);
  else
    add(checks, "triggers", "pass", "append-only triggers present");
}

struct fixjob {
  int expired;
};

static int fix_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct fixjob *f = p;
  int rc = t->c->pg ? ledger__pg_schema_fix(t->c, err) : ledger__schema_fix(t->c, err);
  if (rc)
    return rc;
  /* expired leases end expired: marked, their open runs closed (ledger/work_int.h) */
  return ledger__leases_expire_due(t, NULL, "doctor", &f->expired, err);
}

int ledger_doctor(ledger *l, int fix, json_t **out, ledger_err *err)
{
  json_t *checks = json_array();
  int rc;
  *out = NULL;
  struct fixjob fj = {0};
  if (fix) {
    ledger_err fe = {0};
    if ((rc = ledger_tx(l, fix_fn, &fj, &fe)))
      add(checks, "fix", "fail", "%s", fe.msg);
    else
      add(checks, "fix", "pass", "schema objects ensured; %d expired leases marked", fj.expired);
  }
  lconn *c = ledger__reader_get(l, err);
  if (!c) {
    json_decref(checks);
    return ledger__disk_full_rewrite(l->path, l->min_free, err ? err->code : LEDGER_ERROR, err,
                                     "the Store cannot be read");
  }
  {
    ledger_err be = {0};
    if ((rc = ledger__exec(
             c, c->pg ? "BEGIN; SELECT 1" : "BEGIN; SELECT count(*) FROM sqlite_master", &be))) {
      /* the wal-index cannot be mapped (a full disk) or the file cannot be read */
      ledger__exec(c, "ROLLBACK", NULL);
      ledger__reader_put(l, c);
      json_decref(checks);
      rc = ledger__disk_full_rewrite(l->path, l->min_free, rc, &be, "the Store cannot be read");
      if (err)
        *err = be;
      return rc;
    }
  }
  add(checks, "store_path", "pass", "%s", l->path);
  if (c->pg)
    check_pg(c, checks);
  else
    check_sqlite(c, checks);
  check_events(c, checks);
  check_seq(c, checks);
  {
    /* expired leases still marked active */
    db_stmt *st = NULL;
    long expired = 0, marked = 0;
    char now[LEDGER_TS_MAX];
    int64_t nms = 0;
    ledger_now(now);
    if (ledger_ts_parse(&nms, now))
      nms = 0;
    db_prepare(c, "SELECT lease_status, lease_expires_at FROM runs WHERE lease_id IS NOT NULL",
               &st);
    while (st && db_step(st) == SQLITE_ROW) {
      int64_t ms;
      const char *s = COLTXT(st, 0);
      if (s && strcmp(s, "expired") == 0)
        marked++;
      else if (s && strcmp(s, "active") == 0 && db_column_text(st, 1) &&
               ledger_ts_parse(&ms, COLTXT(st, 1)) == 0 && ms <= nms)
        expired++;
    }
    db_finalize(st);
    if (expired)
      add(checks, "leases", "warn",
          "%ld active leases are past expires_at (doctor --fix marks them)", expired);
    else
      add(checks, "leases", "pass", "no unmarked expired leases (%ld marked expired)", marked);
  }
  ledger__exec(c, "COMMIT", NULL);
  ledger__reader_put(l, c);
  check_space(l, checks);
  size_t i;
  json_t *v;
  const char *status = "pass";
  json_array_foreach(checks, i, v) {
    const char *s = json_string_value(json_object_get(v, "status"));
    if (strcmp(s, "fail") == 0)
      status = "fail";
  }
  *out = json_pack("{s:s,s:o}", "status", status, "checks", checks);
  return LEDGER_OK;
}
