/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/ledger/check_ledger.c — Check suites for ledger/: schema and migrations (refusing
 * non-Stores and newer schemas), append with idempotency replay, the append-only triggers,
 * seq contiguity, hash recomputation by doctor, the golden Motus event-backed vectors (store
 * export digest and receipt_id), the work loop (BUSY, evidence, decision, release replay, signed
 * receipt, lineage, deterministic export, Level 1 checks), bad input leaving the Store
 * unchanged, receipt bodies with reals (stored before and after the shortest-real printer), group
 * commit from threads, two processes appending, and SIGKILL crash trials. */
#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "ledger/ledger_int.h"
#include "ledger/work.h"
#include "tests/support/test_support.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *tmp;
static char store[4096];
/* The engine: SQLite files, or with $WL_TEST_PG_HOST (the socket directory of the throwaway
 * cluster tests/support/pg-unit.sh starts) a fresh PostgreSQL database per test. */
static const char *pg_host;

static void setup(void)
{
  static int ndb;
  ck_assert_int_eq(seal_init(), 0);
  tmp = ts_tmpdir();
  snprintf(store, sizeof store, "%s/kernel-store.db", tmp);
  pg_host = getenv("WL_TEST_PG_HOST");
  if (pg_host && *pg_host) {
    char db[64], cmd[8192];
    snprintf(db, sizeof db, "t%ld_%d", (long)getpid(), ++ndb);
    snprintf(cmd, sizeof cmd, "createdb -h '%s' -U wl %s", pg_host, db);
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
    snprintf(store, sizeof store, "postgresql://wl@/%s?host=%s", db, pg_host);
  } else {
    pg_host = NULL;
  }
}

/* A test of the SQLite file itself (its bytes, PRAGMAs, WAL, VFS): not run on PostgreSQL. */
#define SQLITE_ONLY()                                                                              \
  do {                                                                                             \
    if (pg_host) {                                                                                 \
      fprintf(stderr, "%s: a SQLite-file test, not run on PostgreSQL\n", __func__);                \
      return;                                                                                      \
    }                                                                                              \
  } while (0)

/* psql on the test's database: runs sql, the first line of its output (or of its error) in out;
 * returns psql's exit status (0 = success). */
static int psql(const char *sql, char *out, size_t cap)
{
  char cmd[16384], file[4200], in[4200];
  snprintf(file, sizeof file, "%s/psql.out", tmp);
  snprintf(in, sizeof in, "%s/psql.sql", tmp);
  FILE *f = fopen(in, "w");
  ck_assert_ptr_nonnull(f);
  fputs(sql, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "psql -X -q -At -v ON_ERROR_STOP=1 '%s' -f '%s' >'%s' 2>&1", store, in,
           file);
  int rc = system(cmd);
  size_t n = 0;
  char *txt = ts_read_file(file, &n);
  if (out && cap) {
    snprintf(out, cap, "%s", txt ? txt : "");
    out[strcspn(out, "\n")] = 0;
  }
  free(txt);
  return rc;
}

static void teardown(void)
{
  ts_rmrf(tmp);
  free(tmp);
  tmp = NULL;
}

static ledger *open_new(void)
{
  ledger_opts o = LEDGER_OPTS_INIT;
  o.create = 1;
  ledger *l = NULL;
  ledger_err e = {0};
  int rc = ledger_open(&l, store, &o, &e);
  ck_assert_msg(rc == 0, "open: %s", e.msg);
  return l;
}

/* ---- small transaction jobs ----------------------------------------------------------------- */

struct job {
  const char *run_id, *kind, *key, *at;
  json_t *payload;
  ledger_event_ref ref;
  char out_run[LEDGER_ID_MAX];
  const char *work_id, *producer, *started_at;
  int close;
};

static int job_open(ledger_txn *t, void *p, ledger_err *err)
{
  struct job *j = p;
  ledger_run_in in = {j->run_id, j->work_id, j->producer, j->started_at};
  return ledger_txn_run_open(t, &in, j->out_run, NULL, err);
}

static int job_append(ledger_txn *t, void *p, ledger_err *err)
{
  struct job *j = p;
  ledger_event_in in = {j->run_id, j->kind, j->key, j->at, NULL, j->payload};
  return j->close ? ledger_txn_run_close(t, &in, &j->ref, err)
                  : ledger_txn_event_append(t, &in, &j->ref, err);
}

static void open_run(ledger *l, const char *run_id, char out[LEDGER_ID_MAX])
{
  struct job j = {0};
  j.run_id = run_id;
  j.work_id = "W-1";
  j.producer = "test";
  ledger_err e = {0};
  ck_assert_msg(ledger_tx(l, job_open, &j, &e) == 0, "%s", e.msg);
  memcpy(out, j.out_run, LEDGER_ID_MAX);
}

static int append(ledger *l, const char *run_id, const char *kind, const char *key, json_t *payload,
                  ledger_event_ref *ref, ledger_err *e)
{
  struct job j = {0};
  j.run_id = run_id;
  j.kind = kind;
  j.key = key;
  j.payload = payload;
  int rc = ledger_tx(l, job_append, &j, e);
  if (ref)
    *ref = j.ref;
  return rc;
}

static int job_kind_empty(ledger_txn *t, void *p, ledger_err *err)
{
  json_t *req = json_pack("[s,s]", "", "x");
  int rc = ledger_txn_kind_register(t, "k.empty", req, err);
  (void)p;
  json_decref(req);
  return rc;
}

static json_t *tool_payload(int n)
{
  char name[32];
  snprintf(name, sizeof name, "tool-%d", n);
  return json_pack("{s:[{s:s}]}", "tool_refs", "name", name);
}

static long count_events(const char *path, const char *run_id)
{
  if (pg_host) {
    char sql[400], out[64];
    if (run_id)
      snprintf(sql, sizeof sql, "SELECT count(*) FROM events WHERE run_id='%s'", run_id);
    else
      snprintf(sql, sizeof sql, "SELECT count(*) FROM events");
    ck_assert_int_eq(psql(sql, out, sizeof out), 0);
    return atol(out);
  }
  sqlite3 *db;
  sqlite3_stmt *st;
  long n = -1;
  ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_prepare_v2(db,
                     run_id ? "SELECT count(*) FROM events WHERE run_id=?1"
                            : "SELECT count(*) FROM events",
                     -1, &st, NULL);
  if (run_id)
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static int raw_exec(const char *path, const char *sql, char *msg, size_t cap)
{
  if (pg_host && strcmp(path, store) == 0)
    return psql(sql, msg, cap) == 0 ? SQLITE_OK : SQLITE_ERROR;
  sqlite3 *db;
  char *m = NULL;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  int rc = sqlite3_exec(db, sql, NULL, NULL, &m);
  if (msg)
    snprintf(msg, cap, "%s", m ? m : "");
  sqlite3_free(m);
  sqlite3_close(db);
  return rc;
}

static const char *doctor_status(ledger *l, json_t **out)
{
  json_t *d = NULL;
  ledger_err e = {0};
  ck_assert_int_eq(ledger_doctor(l, 0, &d, &e), 0);
  if (out)
    *out = d;
  static char s[16];
  snprintf(s, sizeof s, "%s", json_string_value(json_object_get(d, "status")));
  if (strcmp(s, "pass") != 0) {
    char *txt = json_dumps(d, JSON_INDENT(1));
    fprintf(stderr, "doctor: %s\n", txt);
    free(txt);
  }
  if (!out)
    json_decref(d);
  return s;
}

/* ---- schema --------------------------------------------------------------------------------- */

START_TEST(test_open_and_reopen)
{
  ledger *l = open_new();
  json_t *d = NULL;
  ck_assert_str_eq(doctor_status(l, &d), "pass");
  json_decref(d);
  /* evidence defers its append to the call's commit on SQLite only (spec/mcp.md §6.1 item 7) */
  ck_assert_int_eq(ledger_defers_writes(l), pg_host ? 0 : 1);
  ledger_close(l);
  /* reopen without create: the migration is a no-op */
  ledger_err e = {0};
  ck_assert_int_eq(ledger_open(&l, store, NULL, &e), 0);
  ledger_close(l);
  char msg[200];
  ck_assert_int_eq(raw_exec(store,
                            pg_host ? "SELECT value FROM wl_meta WHERE key = 'application_id'"
                                    : "PRAGMA application_id",
                            msg, sizeof msg),
                   SQLITE_OK);
}
END_TEST

/* ledger_ts_format: the Motus timestamp form, milliseconds before 1970 included */
START_TEST(test_ts_format)
{
  char ts[LEDGER_TS_MAX];
  ledger_ts_format(ts, 0);
  ck_assert_str_eq(ts, "1970-01-01T00:00:00.000Z");
  ledger_ts_format(ts, 1700000000123LL);
  ck_assert_str_eq(ts, "2023-11-14T22:13:20.123Z");
  ledger_ts_format(ts, -1);
  ck_assert_str_eq(ts, "1969-12-31T23:59:59.999Z");
  ledger_ts_format(ts, 951782400007LL); /* a leap day */
  ck_assert_str_eq(ts, "2000-02-29T00:00:00.007Z");
  ledger_ts_format(ts, 253402300799999LL);
  ck_assert_str_eq(ts, "9999-12-31T23:59:59.999Z");
}
END_TEST

START_TEST(test_missing_store)
{
  ledger *l = NULL;
  ledger_err e = {0};
  ck_assert_int_eq(ledger_open(&l, store, NULL, &e), LEDGER_ENOTFOUND);
  ck_assert_ptr_null(l);
  struct stat st;
  ck_assert_int_ne(stat(store, &st), 0);
}
END_TEST

START_TEST(test_not_a_store)
{
  if (pg_host) { /* a database with another application's tables */
    ledger_opts o = LEDGER_OPTS_INIT;
    o.create = 1;
    ledger *l = NULL;
    ledger_err e = {0};
    ck_assert_int_eq(raw_exec(store, "CREATE TABLE t(x int); INSERT INTO t VALUES (1);", NULL, 0),
                     0);
    ck_assert_int_eq(ledger_open(&l, store, &o, &e), LEDGER_ENOTSTORE);
    ck_assert_ptr_nonnull(strstr(e.msg, "not a workledger Store"));
    return;
  }
  FILE *f = fopen(store, "w");
  for (int i = 0; i < 100; i++)
    fputs("this is not a database, just text\n", f);
  fclose(f);
  size_t before_len, after_len;
  char *before = ts_read_file(store, &before_len);
  ledger_opts o = LEDGER_OPTS_INIT;
  o.create = 1;
  ledger *l = NULL;
  ledger_err e = {0};
  ck_assert_int_eq(ledger_open(&l, store, &o, &e), LEDGER_ENOTSTORE);
  char *after = ts_read_file(store, &after_len);
  ck_assert_uint_eq(before_len, after_len);
  ck_assert_int_eq(memcmp(before, after, before_len), 0);
  free(before);
  free(after);
  /* another application's SQLite database */
  char other[4096];
  snprintf(other, sizeof other, "%s/other.db", tmp);
  ck_assert_int_eq(raw_exec(other, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL, 0), 0);
  ck_assert_int_eq(ledger_open(&l, other, &o, &e), LEDGER_ENOTSTORE);
  ck_assert_ptr_nonnull(strstr(e.msg, "not a workledger Store"));
}
END_TEST

START_TEST(test_newer_schema)
{
  ledger *l = open_new();
  ledger_close(l);
  ck_assert_int_eq(raw_exec(store,
                            pg_host ? "UPDATE wl_meta SET value = '99' WHERE key = 'schema_version'"
                                    : "PRAGMA user_version=99",
                            NULL, 0),
                   0);
  ledger_err e = {0};
  ck_assert_int_eq(ledger_open(&l, store, NULL, &e), LEDGER_ENEWER);
  ck_assert_ptr_nonnull(strstr(e.msg, "newer"));
}
END_TEST

/* ---- append --------------------------------------------------------------------------------- */

START_TEST(test_append_and_replay)
{
  ledger *l = open_new();
  char run[LEDGER_ID_MAX];
  open_run(l, NULL, run);
  ck_assert(strncmp(run, "run_", 4) == 0);
  ledger_event_ref a, b, c;
  ledger_err e = {0};
  json_t *p = tool_payload(1);
  ck_assert_int_eq(append(l, run, "tool.used", "k1", p, &a, &e), 0);
  ck_assert_int_eq(a.seq, 1);
  ck_assert_int_eq(a.replayed, 0);
  ck_assert(strncmp(a.event_id, "sha256:", 7) == 0 && strlen(a.event_id) == 71);
  /* replay: same key, same payload -> original event, no new row */
  ck_assert_int_eq(append(l, run, "tool.used", "k1", p, &b, &e), 0);
  ck_assert_int_eq(b.replayed, 1);
  ck_assert_int_eq(b.seq, 1);
  ck_assert_str_eq(b.event_id, a.event_id);
  ck_assert_int_eq(count_events(store, run), 1);
  /* same key, other payload -> conflict */
  json_t *q = tool_payload(2);
  ck_assert_int_eq(append(l, run, "tool.used", "k1", q, &c, &e), LEDGER_ECONFLICT);
  ck_assert_int_eq(append(l, run, "tool.used", "k2", q, &c, &e), 0);
  ck_assert_int_eq(c.seq, 2);
  /* ids must be UTF-8 text (they are hashed as bytes and re-projected through JSON) */
  static const char *const bad_keys[] = {"k\xff\xfe",         "\xc0\xaf",  "k\xed\xa0\x80",
                                         "k\xf4\x90\x80\x80", "k\xe2\x82", "tab\tkey"};
  for (size_t i = 0; i < sizeof bad_keys / sizeof *bad_keys; i++)
    ck_assert_msg(append(l, run, "tool.used", bad_keys[i], q, &c, &e) == LEDGER_EINVAL, "key %zu",
                  i);
  ck_assert_int_eq(append(l, run, "tool.used", "cl\xc3\xa9-\xe2\x9c\x93", q, &c, &e), 0);
  ck_assert_int_eq(c.seq, 3);
  /* a kind cannot require an empty member name */
  ck_assert_int_eq(ledger_tx(l, job_kind_empty, NULL, &e), LEDGER_EINVAL);
  /* unknown kind, missing required member, reals */
  ck_assert_int_eq(append(l, run, "no.such.kind", "k3", q, &c, &e), LEDGER_EINVAL);
  json_t *bad = json_pack("{s:i}", "x", 1);
  ck_assert_int_eq(append(l, run, "tool.used", "k4", bad, &c, &e), LEDGER_EINVAL);
  ck_assert_ptr_nonnull(strstr(e.msg, "tool_refs"));
  json_t *real = json_pack("{s:[],s:f}", "tool_refs", "x", 0.5);
  ck_assert_int_eq(append(l, run, "tool.used", "k5", real, &c, &e), LEDGER_EINVAL);
  ck_assert_int_eq(append(l, "run_nope", "tool.used", "k6", q, &c, &e), LEDGER_ENOTFOUND);
  ck_assert_int_eq(count_events(store, run), 3);
  json_decref(p);
  json_decref(q);
  json_decref(bad);
  json_decref(real);
  /* events read back as Motus work-event objects whose hashes recompute */
  json_t *evs = NULL;
  ck_assert_int_eq(ledger_run_events(l, run, &evs, &e), 0);
  ck_assert_int_eq(json_array_size(evs),
                   3); /* doctor below recomputes every event_id, the non-ASCII key included */
  json_t *ev0 = json_deep_copy(json_array_get(evs, 0));
  const char *id = json_string_value(json_object_get(ev0, "event_id"));
  char want[80];
  snprintf(want, sizeof want, "%s", id);
  json_object_del(ev0, "event_id");
  char hex[SEAL_SHA256_HEX], got[80];
  ck_assert_int_eq(seal_canon_sha256_hex(hex, ev0, SEAL_CANON_MOTUS, NULL), 0);
  snprintf(got, sizeof got, "sha256:%s", hex);
  ck_assert_str_eq(got, want);
  ck_assert_int_eq(
      seal_canon_sha256_hex(hex, json_object_get(ev0, "payload"), SEAL_CANON_MOTUS, NULL), 0);
  snprintf(got, sizeof got, "sha256:%s", hex);
  ck_assert_str_eq(got, json_string_value(json_object_get(ev0, "payload_hash")));
  ck_assert_str_eq(json_string_value(json_object_get(ev0, "schema_hash")),
                   "sha256:6027fbfb36e5e348059f8d465a60feb26c22b80c9a9516833f50c6134aad95b5");
  json_decref(ev0);
  json_decref(evs);
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  ledger_close(l);
}
END_TEST

START_TEST(test_triggers)
{
  ledger *l = open_new();
  char run[LEDGER_ID_MAX];
  open_run(l, "run_trig", run);
  ledger_err e = {0};
  json_t *p = tool_payload(1);
  ck_assert_int_eq(append(l, run, "tool.used", "k1", p, NULL, &e), 0);
  char msg[200];
  ck_assert_int_ne(raw_exec(store, "UPDATE events SET occurred_at='x'", msg, sizeof msg),
                   SQLITE_OK);
  ck_assert_ptr_nonnull(strstr(msg, "append-only"));
  ck_assert_int_ne(raw_exec(store, "DELETE FROM events", msg, sizeof msg), SQLITE_OK);
  ck_assert_int_ne(raw_exec(store, "DELETE FROM runs", msg, sizeof msg), SQLITE_OK);
  /* a gap in seq is refused */
  ck_assert_int_ne(raw_exec(store,
                            "INSERT INTO events VALUES ('run_trig', 5, 'sha256:x', 'tool.used',"
                            " 't', 'gap', NULL, '{}', 'h', 's')",
                            msg, sizeof msg),
                   SQLITE_OK);
  ck_assert_ptr_nonnull(strstr(msg, "contiguous"));
  /* close the run; then appends are refused, by the API and by the trigger */
  json_t *closed = json_pack("{s:{s:s},s:{s:s,s:s},s:{s:s},s:{s:s},s:{s:s}}", "outcome", "status",
                             "success", "acceptance", "status", "accepted", "method", "manual",
                             "route_summary", "status", "complete", "handoff", "status", "none",
                             "redaction", "status", "none");
  struct job j = {0};
  j.run_id = run;
  j.kind = "work.closed";
  j.key = "close";
  j.payload = closed;
  j.close = 1;
  ck_assert_msg(ledger_tx(l, job_append, &j, &e) == 0, "%s", e.msg);
  json_t *q = tool_payload(2);
  ck_assert_int_eq(append(l, run, "tool.used", "k2", q, NULL, &e), LEDGER_ECLOSED);
  ck_assert_int_ne(raw_exec(store,
                            "INSERT INTO events VALUES ('run_trig', 3, 'sha256:y', 'tool.used',"
                            " 't', 'late', NULL, '{}', 'h', 's')",
                            msg, sizeof msg),
                   SQLITE_OK);
  ck_assert_ptr_nonnull(strstr(msg, "closed"));
  ck_assert_int_ne(raw_exec(store,
                            "UPDATE runs SET status='open', closed_at=NULL, outcome_status=NULL",
                            msg, sizeof msg),
                   SQLITE_OK);
  /* closing again with the same key is a replay */
  ck_assert_int_eq(ledger_tx(l, job_append, &j, &e), 0);
  ck_assert_int_eq(j.ref.replayed, 1);
  ck_assert_int_eq(count_events(store, run), 2);
  json_decref(p);
  json_decref(q);
  json_decref(closed);
  ledger_close(l);
}
END_TEST

#define TAMPER "UPDATE events SET payload='{\"tool_refs\":[{\"name\":\"evil\"}]}' WHERE seq=3"

START_TEST(test_doctor_detects_tampering)
{
  ledger *l = open_new();
  char run[LEDGER_ID_MAX];
  open_run(l, "run_tamper", run);
  ledger_err e = {0};
  for (int i = 0; i < 5; i++) {
    char k[16];
    snprintf(k, sizeof k, "k%d", i);
    json_t *p = tool_payload(i);
    ck_assert_int_eq(append(l, run, "tool.used", k, p, NULL, &e), 0);
    json_decref(p);
  }
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  /* an attacker with file access drops the trigger and rewrites a payload */
  ck_assert_int_eq(raw_exec(store,
                            pg_host ? "DROP TRIGGER events_no_update ON events;" TAMPER
                                    : "DROP TRIGGER events_no_update;" TAMPER,
                            NULL, 0),
                   0);
  json_t *d = NULL;
  ck_assert_str_eq(doctor_status(l, &d), "fail");
  char *txt = json_dumps(d, 0);
  ck_assert_ptr_nonnull(strstr(txt, "payload_hash does not recompute"));
  ck_assert_ptr_nonnull(strstr(txt, "events_no_update"));
  free(txt);
  json_decref(d);
  /* --fix re-creates the trigger but never rewrites facts: hashes still fail */
  ck_assert_int_eq(ledger_doctor(l, 1, &d, &e), 0);
  txt = json_dumps(d, 0);
  ck_assert_ptr_nonnull(strstr(txt, "\"append-only triggers present\""));
  ck_assert_ptr_nonnull(strstr(txt, "payload_hash does not recompute"));
  free(txt);
  json_decref(d);
  ledger_close(l);
}
END_TEST

/* ---- golden: the Motus event-backed reference vectors --------------------------------------- */

static void golden(const char *rel, const char *want_export, const char *want_receipt)
{
  const char *path = ts_shared_path(rel);
  if (!path)
    return;
  json_t *src = ts_load_json(path);
  ledger *l = open_new();
  ledger_err e = {0};
  struct job j = {0};
  j.run_id = json_string_value(json_object_get(src, "run_id"));
  j.work_id = json_string_value(json_object_get(src, "work_id"));
  j.producer = json_string_value(json_object_get(src, "producer_id"));
  j.started_at = json_string_value(json_object_get(src, "started_at"));
  ck_assert_msg(ledger_tx(l, job_open, &j, &e) == 0, "%s", e.msg);
  size_t i;
  json_t *ev;
  json_array_foreach(json_object_get(src, "events"), i, ev) {
    struct job a = {0};
    a.run_id = j.run_id;
    a.kind = json_string_value(json_object_get(ev, "event_kind"));
    a.key = json_string_value(json_object_get(ev, "idempotency_key"));
    a.at = json_string_value(json_object_get(ev, "occurred_at"));
    a.payload = json_object_get(ev, "payload");
    a.close = strcmp(a.kind, "work.closed") == 0;
    ck_assert_msg(ledger_tx(l, job_append, &a, &e) == 0, "%s", e.msg);
  }
  lconn *c = ledger__reader_get(l, &e);
  ck_assert_ptr_nonnull(c);
  json_t *exp = NULL;
  ck_assert_int_eq(ledger__export_json(c, j.run_id,
                                       json_string_value(json_object_get(src, "exported_at")), &exp,
                                       &e),
                   0);
  ledger__reader_put(l, c);
  char hex[SEAL_SHA256_HEX];
  ck_assert_int_eq(seal_canon_sha256_hex(hex, exp, SEAL_CANON_MOTUS, NULL), 0);
  ck_assert_str_eq(hex, want_export);
  json_t *rt = json_pack("{s:s,s:s,s:s}", "name", "motus-event-backed-python", "kind", "sdk",
                         "version", "0.1.0");
  ledger_receipt_params p = {rt, json_string_value(json_object_get(src, "receipt_created_at")),
                             json_string_value(json_object_get(src, "events_ref_uri")), NULL, NULL};
  json_t *r = NULL;
  ck_assert_msg(ledger__receipt_build(exp, &p, &r, &e) == 0, "%s", e.msg);
  ck_assert_str_eq(json_string_value(json_object_get(r, "receipt_id")), want_receipt);
  ck_assert_int_eq(ledger_receipt_verify(r, NULL, &e), 0);
  json_decref(rt);
  json_decref(r);
  json_decref(exp);
  json_decref(src);
  ledger_close(l);
}

START_TEST(test_golden_event_backed)
{
  golden("fixtures/motus/event-inputs/event-backed-python--input.example.json",
         "ab2422f349a932b94c5bf440b48c67bfd163ec93177bbdee8211cb6a4ea1275c",
         "sha256:f096780905209ca91560faed41dfda04c6830aabe95fdfda4684e8fa7540e502");
}
END_TEST

START_TEST(test_golden_governed_handoff)
{
  golden("fixtures/motus/event-inputs/event-backed-python--input.governed-handoff.json",
         "0b33c61c5537bba41b7106e213cc46b875d1ec8d8b10762d1b567777630e9882",
         "sha256:e9583613e4a786d2aa60c57dce6257a18e7a18e2e36a89986a0732834d3a4bef");
}
END_TEST

/* ---- the work loop -------------------------------------------------------------------------- */

static json_t *args(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  json_error_t je;
  json_t *v = json_vpack_ex(&je, 0, fmt, ap);
  va_end(ap);
  ck_assert_msg(v != NULL, "pack: %s", je.text);
  return v;
}

/* Level 1 checks of motus.md §4.3 on an export + receipt. */
static void level1(const json_t *exp, const json_t *receipt)
{
  static const char *kinds[][2] = {
      {"work.started", "sha256:069eba0b9766a44a1ede3a0bd8713971bf0a2f14a81b5dfa783dc44be11cd438"},
      {"tool.used", "sha256:6027fbfb36e5e348059f8d465a60feb26c22b80c9a9516833f50c6134aad95b5"},
      {"evidence.referenced",
       "sha256:7a3920cb0b91eecb3520bb88c25cb97f124dca55aec7a57488788028de48bf6b"},
      {"work.closed", "sha256:8c0c9045fa311e4ed98eec8978d1158217c3a618d356b566de1a86334d8354c1"}};
  json_t *events = json_object_get(exp, "events");
  json_t *run = json_array_get(json_object_get(exp, "runs"), 0);
  size_t n = json_array_size(events), i;
  json_t *ev;
  int started = 0, closedn = 0;
  char hex[SEAL_SHA256_HEX], buf[80];
  json_array_foreach(events, i, ev) {
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "seq")), (json_int_t)i + 1);
    ck_assert(json_equal(json_object_get(ev, "run_id"), json_object_get(run, "run_id")));
    const char *k = json_string_value(json_object_get(ev, "event_kind"));
    int known = 0;
    for (int q = 0; q < 4; q++)
      if (strcmp(k, kinds[q][0]) == 0) {
        known = 1;
        ck_assert_str_eq(json_string_value(json_object_get(ev, "schema_hash")), kinds[q][1]);
      }
    ck_assert_msg(known, "non-reference kind %s in a Level 1 export", k);
    started += strcmp(k, "work.started") == 0;
    closedn += strcmp(k, "work.closed") == 0;
    json_t *c = json_deep_copy(ev);
    json_object_del(c, "event_id");
    ck_assert_int_eq(seal_canon_sha256_hex(hex, c, SEAL_CANON_MOTUS, NULL), 0);
    snprintf(buf, sizeof buf, "sha256:%s", hex);
    ck_assert_str_eq(buf, json_string_value(json_object_get(ev, "event_id")));
    json_decref(c);
  }
  ck_assert_int_eq(started, 1);
  ck_assert_int_eq(closedn, 1);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(events, 0), "event_kind")),
                   "work.started");
  json_t *closed = json_object_get(json_array_get(events, n - 1), "payload");
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(events, n - 1), "event_kind")),
                   "work.closed");
  ck_assert_ptr_nonnull(json_object_get(closed, "redaction"));
  ck_assert_ptr_nonnull(json_object_get(receipt, "handoff"));
  static const char *same[] = {"outcome", "acceptance", "route_summary", "handoff", "redaction"};
  for (int q = 0; q < 5; q++)
    ck_assert_msg(json_equal(json_object_get(receipt, same[q]), json_object_get(closed, same[q])),
                  "receipt.%s differs from work.closed", same[q]);
  json_t *sp = json_object_get(json_array_get(events, 0), "payload");
  ck_assert(json_equal(json_object_get(receipt, "actor"), json_object_get(sp, "actor")));
  ck_assert(json_equal(json_object_get(receipt, "trigger"), json_object_get(sp, "trigger")));
  ck_assert(json_equal(json_object_get(receipt, "work_id"), json_object_get(run, "work_id")));
  ck_assert(json_equal(json_object_get(receipt, "run_id"), json_object_get(run, "run_id")));
  ck_assert_str_eq(json_string_value(json_object_get(run, "status")), "closed");
  ck_assert(json_equal(json_object_get(run, "outcome_status"),
                       json_object_get(json_object_get(closed, "outcome"), "status")));
  ck_assert(json_equal(json_object_get(run, "closed_at"),
                       json_object_get(json_object_get(closed, "outcome"), "closed_at")));
}

START_TEST(test_work_loop)
{
  ledger *l = open_new();
  seal_key *key = NULL;
  uint8_t seed[32];
  memset(seed, 7, sizeof seed);
  ck_assert_int_eq(seal_key_from_seed(&key, seed), 0);
  ledger_work_ctx ctx = {"cli", "0.1.0", "tester", NULL, NULL, key, NULL};
  ledger_err e = {0};
  json_t *a = args("{s:s,s:s}", "work_id", "ADHOC-QUICKSTART-001", "intent",
                   "First local work item");
  json_t *claim = NULL, *again = NULL;
  ck_assert_msg(ledger_work_claim(l, &ctx, a, &claim, &e) == 0, "%s", e.msg);
  const char *lease = json_string_value(json_object_get(claim, "lease_id"));
  ck_assert(strncmp(lease, "lease-", 6) == 0);
  ck_assert_int_eq(ledger_work_claim(l, &ctx, a, &again, &e), LEDGER_EBUSY);
  ck_assert_ptr_nonnull(strstr(e.msg, "busy"));
  /* a busy claim names the holder */
  ck_assert_str_eq(json_string_value(json_object_get(again, "lease_id")), lease);
  json_decref(again);
  again = NULL;
  json_t *ev = args("{s:s,s:s,s:i,s:i}", "lease_id", lease, "kind", "test_result", "passed", 1,
                    "failed", 0);
  json_t *out = NULL;
  ck_assert_msg(ledger_work_evidence(l, &ctx, ev, &out, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(json_integer_value(json_object_get(out, "seq")), 2);
  json_decref(out);
  json_t *dec = args("{s:s,s:s,s:s}", "lease_id", lease, "text", "ship it", "rationale",
                     "tests pass");
  ck_assert_msg(ledger_work_decision(l, &ctx, dec, &out, &e) == 0, "%s", e.msg);
  json_decref(out);
  json_t *st = NULL;
  json_t *sa = args("{s:s}", "id", lease);
  ck_assert_int_eq(ledger_work_status(l, &ctx, sa, &st, &e), 0);
  ck_assert_int_eq(json_array_size(json_object_get(st, "evidence")), 1);
  ck_assert_int_eq(json_array_size(json_object_get(st, "decisions")), 1);
  json_decref(st);
  /* receipt of an open run is refused */
  ck_assert_int_eq(ledger_work_receipt(l, &ctx, sa, &out, &e), LEDGER_EINVAL);
  json_t *rel = args("{s:s,s:s}", "lease_id", lease, "outcome", "success");
  json_t *r1 = NULL, *r2 = NULL;
  ck_assert_msg(ledger_work_release(l, &ctx, rel, &r1, &e) == 0, "%s", e.msg);
  ck_assert(json_is_false(json_object_get(r1, "replayed")));
  ck_assert_int_eq(ledger_work_release(l, &ctx, rel, &r2, &e), 0);
  ck_assert(json_is_true(json_object_get(r2, "replayed")));
  ck_assert(json_equal(json_object_get(r1, "receipt_id"), json_object_get(r2, "receipt_id")));
  /* the work id is free again */
  ck_assert_int_eq(ledger_work_claim(l, &ctx, a, &again, &e), 0);
  json_decref(again);
  /* export: lineage, signature, Level 1, determinism */
  json_t *x1 = NULL, *x2 = NULL;
  ck_assert_int_eq(ledger_work_export(l, &ctx, sa, &x1, &e), 0);
  ck_assert_int_eq(ledger_work_export(l, &ctx, sa, &x2, &e), 0);
  char *b1 = NULL, *b2 = NULL;
  size_t n1, n2;
  ck_assert_int_eq(seal_canon(&b1, &n1, x1, SEAL_CANON_MOTUS, NULL), 0);
  ck_assert_int_eq(seal_canon(&b2, &n2, x2, SEAL_CANON_MOTUS, NULL), 0);
  ck_assert_uint_eq(n1, n2);
  ck_assert_int_eq(memcmp(b1, b2, n1), 0);
  free(b1);
  free(b2);
  json_t *receipt = json_object_get(x1, "receipt");
  json_t *exp = json_object_get(x1, "store_export");
  json_t *man = json_object_get(x1, "projection_manifest");
  ck_assert(json_equal(json_object_get(receipt, "receipt_id"), json_object_get(r1, "receipt_id")));
  int signed_ok = 0;
  ck_assert_msg(ledger_receipt_verify(receipt, &signed_ok, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(signed_ok, 1);
  char hex[SEAL_SHA256_HEX], buf[80];
  ck_assert_int_eq(seal_canon_sha256_hex(hex, exp, SEAL_CANON_MOTUS, NULL), 0);
  json_t *d1 = json_object_get(json_object_get(receipt, "events_ref"), "digest");
  json_t *d2 = json_object_get(json_object_get(receipt, "hashes"), "source_export");
  ck_assert(json_equal(d1, d2));
  ck_assert_str_eq(json_string_value(json_object_get(d1, "value")), hex);
  snprintf(buf, sizeof buf, "sha256:%s", hex);
  ck_assert_str_eq(json_string_value(json_object_get(man, "source_export_hash")), buf);
  ck_assert(json_equal(json_object_get(json_object_get(json_object_get(man, "projections"),
                                                       "work_receipt"),
                                       "digest"),
                       json_object_get(receipt, "receipt_id")));
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(receipt, "runtime"), "name")),
                   "workledger");
  level1(exp, receipt);
  /* a tampered receipt fails: digest, then signature after re-digesting */
  json_t *bad = json_deep_copy(receipt);
  json_object_set_new(json_object_get(bad, "outcome"), "status", json_string("failure"));
  ck_assert_int_eq(ledger_receipt_verify(bad, NULL, &e), LEDGER_ECORRUPT);
  json_decref(bad);
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  json_decref(x1);
  json_decref(x2);
  json_decref(r1);
  json_decref(r2);
  json_decref(rel);
  json_decref(sa);
  json_decref(dec);
  json_decref(ev);
  json_decref(claim);
  json_decref(a);
  seal_key_free(key);
  ledger_close(l);
}
END_TEST

START_TEST(test_bad_input_leaves_store_unchanged)
{
  ledger *l = open_new();
  ledger_work_ctx ctx = {"cli", NULL, NULL, NULL, NULL, NULL, NULL};
  ledger_err e = {0};
  json_t *a = args("{s:s}", "work_id", "W-BAD");
  json_t *claim = NULL, *out = NULL;
  ck_assert_int_eq(ledger_work_claim(l, &ctx, a, &claim, &e), 0);
  const char *lease = json_string_value(json_object_get(claim, "lease_id"));
  long before = count_events(store, NULL);
  json_t *x;
  x = args("{s:s,s:s}", "lease_id", "lease-nope", "kind", "test_result");
  ck_assert_int_eq(ledger_work_evidence(l, &ctx, x, &out, &e), LEDGER_ENOTFOUND);
  json_decref(x);
  x = args("{s:s,s:s}", "lease_id", lease, "outcome", "done");
  ck_assert_int_eq(ledger_work_release(l, &ctx, x, &out, &e), LEDGER_EINVAL);
  json_decref(x);
  x = args("{s:s,s:s,s:s}", "lease_id", lease, "kind", "log", "file", "/nonexistent/file.txt");
  ck_assert_int_eq(ledger_work_evidence(l, &ctx, x, &out, &e), LEDGER_EINVAL);
  ck_assert_ptr_nonnull(strstr(e.msg, "cannot read"));
  json_decref(x);
  x = args("{s:s,s:s,s:i}", "lease_id", lease, "kind", "test_result", "passed", -1);
  ck_assert_int_eq(ledger_work_evidence(l, &ctx, x, &out, &e), LEDGER_EINVAL);
  json_decref(x);
  x = args("{s:s,s:s}", "lease_id", lease, "kind", "bad kind!");
  ck_assert_int_eq(ledger_work_evidence(l, &ctx, x, &out, &e), LEDGER_EINVAL);
  json_decref(x);
  ck_assert_int_eq(count_events(store, NULL), before);
  /* closed run */
  x = args("{s:s,s:s}", "lease_id", lease, "outcome", "aborted");
  ck_assert_int_eq(ledger_work_release(l, &ctx, x, &out, &e), 0);
  json_decref(out);
  json_decref(x);
  before = count_events(store, NULL);
  x = args("{s:s,s:s}", "lease_id", lease, "kind", "test_result");
  ck_assert_int_eq(ledger_work_evidence(l, &ctx, x, &out, &e), LEDGER_ECLOSED);
  json_decref(x);
  x = args("{s:s,s:s}", "lease_id", lease, "text", "too late");
  ck_assert_int_eq(ledger_work_decision(l, &ctx, x, &out, &e), LEDGER_ECLOSED);
  json_decref(x);
  ck_assert_int_eq(count_events(store, NULL), before);
  json_decref(claim);
  json_decref(a);
  ledger_close(l);
}
END_TEST

START_TEST(test_lease_expiry)
{
  ledger *l = open_new();
  ledger_work_ctx ctx = {"mcp", NULL, NULL, NULL, NULL, NULL, NULL};
  ledger_err e = {0};
  json_t *a = args("{s:s,s:i}", "work_id", "W-EXP", "ttl", 1);
  json_t *c1 = NULL, *c2 = NULL, *out = NULL;
  ck_assert_int_eq(ledger_work_claim(l, &ctx, a, &c1, &e), 0);
  ck_assert_int_eq(ledger_work_claim(l, &ctx, a, &c2, &e), LEDGER_EBUSY);
  ck_assert(json_equal(json_object_get(c2, "lease_id"), json_object_get(c1, "lease_id")));
  json_decref(c2);
  c2 = NULL;
  /* move the lease and its lock into the past instead of sleeping */
  ck_assert_int_eq(raw_exec(store,
                            "UPDATE runs SET lease_expires_at='2000-01-01T00:00:00.000Z'"
                            " WHERE work_id='W-EXP';"
                            "UPDATE locks SET expires_at='2000-01-01T00:00:00.000Z'",
                            NULL, 0),
                   0);
  json_t *x = args("{s:s,s:s}", "lease_id", json_string_value(json_object_get(c1, "lease_id")),
                   "kind", "test_result");
  ck_assert_int_eq(ledger_work_evidence(l, &ctx, x, &out, &e), LEDGER_EEXPIRED);
  json_t *d = NULL;
  ck_assert_int_eq(ledger_doctor(l, 0, &d, &e), 0);
  char *txt = json_dumps(d, 0);
  ck_assert_ptr_nonnull(strstr(txt, "past expires_at"));
  free(txt);
  json_decref(d);
  /* a new claim takes the lock over with a higher fencing token */
  ck_assert_int_eq(ledger_work_claim(l, &ctx, a, &c2, &e), 0);
  ck_assert_int_gt(json_integer_value(json_object_get(c2, "fencing_token")),
                   json_integer_value(json_object_get(c1, "fencing_token")));
  json_t *list = NULL, *la = args("{s:b}", "open", 0);
  ck_assert_int_eq(ledger_work_list(l, &ctx, la, &list, &e), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(list, "count")), 2);
  json_decref(list);
  json_decref(la);
  json_decref(x);
  json_decref(a);
  json_decref(c1);
  json_decref(c2);
  ledger_close(l);
}
END_TEST

struct misc_job {
  int step;
  char id[LEDGER_ID_MAX];
};

static int misc_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct misc_job *j = p;
  if (j->step == 0) {
    ledger_approval_in in = {NULL, "motus_wrap", "sha256:00", 3, "caller-1", NULL};
    return ledger_txn_approval_create(t, &in, j->id, err);
  }
  if (j->step == 1)
    return ledger_txn_approval_resolve(t, j->id, "approved", "looks fine", NULL, err);
  if (j->step == 2) {
    char mid[LEDGER_ID_MAX];
    return ledger_txn_memory_put(t, "the deploy key rotates every friday", "personal", 80, mid,
                                 err);
  }
  if (j->step == 3) {
    json_t *r = json_pack("{s:s,s:i}", "kind", "test", "n", 1);
    int rc = ledger_txn_receipt_put(t, "rcpt-1", "test.receipt", NULL, "task-1", r, err);
    json_decref(r);
    return rc;
  }
  return LEDGER_EINVAL;
}

struct real_job {
  const char *text; /* put as stored text when set, else `body` through ledger_txn_receipt_put */
  json_t *body;
};

static int real_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct real_job *j = p;
  if (j->text)
    return ledger_txn_receipt_put_text(t, "rcpt-real", "test.credential", NULL, NULL, j->text,
                                       strlen(j->text), err);
  return ledger_txn_receipt_put(t, "rcpt-real", "test.credential", NULL, NULL, j->body, err);
}

/* spec/canonical-json.md R-JSON-004: a body with reals is stored as sorted compact JSON with
 * shortest reals; one stored before that (json_dumps, %.17g) and put again with the same value is
 * the same receipt, a different value is still a conflict. */
START_TEST(test_receipt_reals_old_text)
{
  ledger *l = open_new();
  ledger_err e = {0};
  char *txt = NULL;
  size_t len = 0;
  struct real_job j = {"{\"n\":1.0,\"rate\":0.98999999999999999,\"s\":\"x\"}", NULL};
  j.body = json_pack("{s:f,s:f,s:s}", "rate", 0.99, "n", 1.0, "s", "x");
  ck_assert_int_eq(ledger_receipt_text(j.body, &txt, &len, &e), 0);
  ck_assert_str_eq(txt, "{\"n\":1,\"rate\":0.99,\"s\":\"x\"}");
  free(txt);
  ck_assert_msg(ledger_tx(l, real_fn, &j, &e) == 0, "%s", e.msg); /* the old text */
  j.text = NULL;
  ck_assert_msg(ledger_tx(l, real_fn, &j, &e) == 0, "%s", e.msg); /* same value: no-op */
  json_object_set_new(j.body, "rate", json_real(0.98));
  ck_assert_int_eq(ledger_tx(l, real_fn, &j, &e), LEDGER_ECONFLICT);
  json_object_set_new(j.body, "rate", json_real(0.99));
  json_object_set_new(j.body, "s", json_string("y"));
  ck_assert_int_eq(ledger_tx(l, real_fn, &j, &e), LEDGER_ECONFLICT);
  json_decref(j.body);
  ledger_close(l);
}
END_TEST

START_TEST(test_approvals_receipts_memories)
{
  ledger *l = open_new();
  ledger_err e = {0};
  json_t *list = NULL;
  struct misc_job j = {0, ""};
  static const char *const every_sensitivity[] = {"none",      "personal", "medical",
                                                  "financial", "secret",   NULL};
  ck_assert_msg(ledger_tx(l, misc_fn, &j, &e) == 0, "%s", e.msg);
  ck_assert(strncmp(j.id, "appr_", 5) == 0);
  ck_assert_int_eq(ledger_approval_list(l, "pending", &list, &e), 0);
  ck_assert_int_eq(json_array_size(list), 1);
  json_decref(list);
  j.step = 1;
  ck_assert_int_eq(ledger_tx(l, misc_fn, &j, &e), 0);
  ck_assert_int_eq(ledger_tx(l, misc_fn, &j, &e), LEDGER_ECONFLICT); /* resolved once */
  ck_assert_int_eq(ledger_approval_get(l, j.id, &list, &e), 0);
  ck_assert_str_eq(json_string_value(json_object_get(list, "status")), "approved");
  json_decref(list);
  j.step = 2;
  ck_assert_msg(ledger_tx(l, misc_fn, &j, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(ledger_memory_recall(l, "deploy friday", every_sensitivity, 5, &list, &e), 0);
  ck_assert_int_eq(json_array_size(list), 1);
  json_decref(list);
  j.step = 3;
  ck_assert_int_eq(ledger_tx(l, misc_fn, &j, &e), 0);
  ck_assert_int_eq(ledger_tx(l, misc_fn, &j, &e), 0); /* same content: no-op */
  ck_assert_int_eq(ledger_receipt_list(l, NULL, "task-1", &list, &e), 0);
  ck_assert_int_eq(json_array_size(list), 1);
  json_decref(list);
  ck_assert_int_eq(ledger_approval_list(l, "pending", &list, &e), 0);
  ck_assert_int_eq(json_array_size(list), 0);
  json_decref(list);
  ck_assert_int_eq(ledger_memory_recall(l, "anything \"quoted\"", every_sensitivity, 5, &list, &e),
                   0);
  ck_assert_int_eq(json_array_size(list), 0);
  json_decref(list);
  ck_assert_int_eq(ledger_approval_get(l, "appr_nope", &list, &e), LEDGER_ENOTFOUND);
  ck_assert_int_eq(ledger_receipt_get(l, "nope", &list, &e), LEDGER_ENOTFOUND);
  ledger_close(l);
}
END_TEST

/* ---- concurrency ---------------------------------------------------------------------------- */

struct thr {
  ledger *l;
  char run[LEDGER_ID_MAX];
  int n, fails;
};

static void *thr_main(void *p)
{
  struct thr *t = p;
  for (int i = 0; i < t->n; i++) {
    char k[32];
    snprintf(k, sizeof k, "t-%d", i);
    json_t *pl = tool_payload(i);
    ledger_err e = {0};
    if (append(t->l, t->run, "tool.used", k, pl, NULL, &e))
      t->fails++;
    json_decref(pl);
  }
  return NULL;
}

/* Four writer threads, each appending n events to its own run "<prefix>_<i>"; joined by
 * writers_join, which also checks that no append failed. */
static void writers_start(ledger *l, const char *prefix, int n, struct thr t[4], pthread_t th[4])
{
  for (int i = 0; i < 4; i++) {
    char id[32];
    t[i].l = l;
    t[i].n = n;
    t[i].fails = 0;
    snprintf(id, sizeof id, "%s_%d", prefix, i);
    open_run(l, id, t[i].run);
    pthread_create(&th[i], NULL, thr_main, &t[i]);
  }
}

static void writers_join(struct thr t[4], pthread_t th[4])
{
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(t[i].fails, 0);
}

START_TEST(test_group_commit_threads)
{
  ledger_opts o = LEDGER_OPTS_INIT;
  o.create = 1;
  o.durability = LEDGER_DURABLE_NORMAL;
  ledger *l = NULL;
  ck_assert_int_eq(ledger_open(&l, store, &o, NULL), 0);
  struct thr t[4];
  pthread_t th[4];
  writers_start(l, "run_thr", 100, t, th);
  writers_join(t, th);
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(count_events(store, t[i].run), 100);
  }
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  ledger_close(l);
}
END_TEST

/* child: append `n` events to run `run`, reporting each acknowledged seq on fd `ack` */
static int child_ckpt_frames; /* 0: the default threshold */

static void child_append(const char *run, int n, const char *tag, int ack)
{
  ledger *l = NULL;
  if (ledger_open(&l, store, NULL, NULL))
    _exit(3);
  if (child_ckpt_frames)
    l->ckpt_frames = child_ckpt_frames;
  for (int i = 0; i < n; i++) {
    char k[64];
    snprintf(k, sizeof k, "%s-%d", tag, i);
    json_t *pl = tool_payload(i);
    ledger_event_ref ref;
    if (append(l, run, "tool.used", k, pl, &ref, NULL))
      _exit(4);
    json_decref(pl);
    if (ack >= 0) {
      int64_t s = ref.seq;
      if (write(ack, &s, sizeof s) != (ssize_t)sizeof s)
        _exit(5);
    }
  }
  ledger_close(l);
  _exit(0);
}

START_TEST(test_two_processes)
{
  ledger *l = open_new();
  char run[LEDGER_ID_MAX];
  open_run(l, "run_two", run);
  ledger_close(l);
  pid_t a = fork();
  if (a == 0)
    child_append(run, 150, "a", -1);
  pid_t b = fork();
  if (b == 0)
    child_append(run, 150, "b", -1);
  int sa, sb;
  waitpid(a, &sa, 0);
  waitpid(b, &sb, 0);
  ck_assert(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
  ck_assert(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
  ck_assert_int_eq(count_events(store, run), 300);
  ck_assert_int_eq(ledger_open(&l, store, NULL, NULL), 0);
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  ledger_close(l);
}
END_TEST

/* One crash trial: a child appends to `run` (acknowledging each seq on a pipe) until it is
 * SIGKILLed after `want` acknowledgements (and a pause of delay_ns, 0 = none); afterwards every
 * acknowledged event must be in the Store. *acked_max tracks the highest acknowledged seq. */
static void crash_trial(const char *run, const char *tag, int want, long delay_ns,
                        int64_t *acked_max)
{
  int fds[2], got = 0, status;
  int64_t s;
  ck_assert_int_eq(pipe(fds), 0);
  pid_t p = fork();
  if (p == 0) {
    close(fds[0]);
    child_append(run, 1000000, tag, fds[1]);
  }
  close(fds[1]);
  while (got < want && read(fds[0], &s, sizeof s) == (ssize_t)sizeof s) {
    *acked_max = s > *acked_max ? s : *acked_max;
    got++;
  }
  if (delay_ns > 0) {
    struct timespec d = {0, delay_ns};
    nanosleep(&d, NULL);
  }
  kill(p, SIGKILL);
  waitpid(p, &status, 0);
  while (read(fds[0], &s, sizeof s) == (ssize_t)sizeof s)
    *acked_max = s > *acked_max ? s : *acked_max;
  close(fds[0]);
  /* every acknowledged event is there */
  ck_assert_int_ge(count_events(store, run), *acked_max);
}

START_TEST(test_sigkill_crash_trials)
{
  ledger *l = open_new();
  char run[LEDGER_ID_MAX];
  open_run(l, "run_crash", run);
  ledger_close(l);
  srand((unsigned)getpid());
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int trials = 0;
  int64_t acked_max = 0;
  /* on PostgreSQL each trial also connects and counts through psql: fewer fit in the time */
  const int min_trials = pg_host ? 15 : 100;
  for (; trials < 300; trials++) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - t0.tv_sec >= 18 && trials >= min_trials)
      break;
    char tag[32];
    snprintf(tag, sizeof tag, "trial%d", trials);
    /* acknowledgements for a random number of appends (0..7), then a kill mid-flight */
    int want = rand() % 8;
    crash_trial(run, tag, want, (rand() % 3000) * 1000L, &acked_max);
  }
  ck_assert_int_ge(trials, min_trials);
  ck_assert_int_eq(ledger_open(&l, store, NULL, NULL), 0);
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  ledger_close(l);
  fprintf(stderr, "crash trials: %d, events kept: %ld (acknowledged max seq %lld)\n", trials,
          count_events(store, run), (long long)acked_max);
}
END_TEST

/* ledger_event_prepare: the event is byte-identical to a plain append (hint miss and hint hit,
 * with and without a run producer, explicit producer), replays and conflicts as before, and a
 * wrong producer hint is recomputed by the writer. */
struct prep_job {
  ledger_event_prep *p;
  ledger_event_ref ref;
};

static int job_prepared(ledger_txn *t, void *arg, ledger_err *err)
{
  struct prep_job *j = arg;
  return ledger_txn_event_append_prepared(t, j->p, &j->ref, err);
}

/* Appends the prepared event `p` (freed here) in a transaction of its own; `rc` is prepare's. */
static int append_prepared(ledger *l, int rc, ledger_event_prep *p, ledger_event_ref *ref,
                           ledger_err *e)
{
  struct prep_job j = {p, {0}};
  if (rc)
    return rc;
  rc = ledger_tx(l, job_prepared, &j, e);
  ledger_event_prep_free(j.p);
  if (ref)
    *ref = j.ref;
  return rc;
}

static int append_prep(ledger *l, const char *run, const char *kind, const char *key,
                       const char *producer, json_t *payload, ledger_event_ref *ref, ledger_err *e)
{
  ledger_event_in in = {run, kind, key, "2026-01-02T03:04:05.006Z", producer, payload};
  ledger_event_prep *p = NULL;
  int rc = ledger_event_prepare(l, &in, &p, e);
  return append_prepared(l, rc, p, ref, e);
}

static void check_event_ids(ledger *l, const char *run)
{
  json_t *evs = NULL;
  size_t i;
  json_t *ev;
  ck_assert_int_eq(ledger_run_events(l, run, &evs, NULL), 0);
  json_array_foreach(evs, i, ev) {
    json_t *c = json_deep_copy(ev);
    char hex[SEAL_SHA256_HEX], got[80];
    json_object_del(c, "event_id");
    ck_assert_int_eq(seal_canon_sha256_hex(hex, c, SEAL_CANON_MOTUS, NULL), 0);
    snprintf(got, sizeof got, "sha256:%s", hex);
    ck_assert_str_eq(got, json_string_value(json_object_get(ev, "event_id")));
    json_decref(c);
  }
  json_decref(evs);
}

START_TEST(test_prepared_events)
{
  ledger *l = open_new();
  char run[LEDGER_ID_MAX], bare[LEDGER_ID_MAX];
  ledger_event_ref a, b;
  ledger_err e = {0};
  open_run(l, "run_prep", run); /* producer "test" */
  {
    struct job j = {0};
    j.run_id = "run_bare";
    ck_assert_int_eq(ledger_tx(l, job_open, &j, &e), 0); /* no producer */
    memcpy(bare, j.out_run, sizeof bare);
  }
  json_t *p = json_pack("{s:[{s:s}],s:s}", "tool_refs", "name", "x\"y\n\x01z", "note",
                        "caf\xc3\xa9");
  /* cold: no hints yet (the writer computes), then warm (the hash was begun by prepare) */
  for (int i = 0; i < 4; i++) {
    char key[32];
    snprintf(key, sizeof key, "p%d", i);
    ck_assert_msg(append_prep(l, run, "tool.used", key, NULL, p, &a, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(a.seq, i + 1);
    ck_assert_msg(append_prep(l, bare, "tool.used", key, NULL, p, &a, &e) == 0, "%s", e.msg);
    ck_assert_msg(append_prep(l, bare, "tool.used", key, NULL, p, &b, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(b.replayed, 1);
    ck_assert_str_eq(a.event_id, b.event_id);
  }
  ck_assert_int_eq(append_prep(l, run, "tool.used", "explicit", "someone", p, &a, &e), 0);
  /* a plain append after prepared ones goes on at the next seq */
  ck_assert_int_eq(append(l, run, "tool.used", "plain", p, &a, &e), 0);
  ck_assert_int_eq(a.seq, 6);
  /* replay with another payload, unknown kind, missing member, unknown run, reals */
  json_t *q = tool_payload(9);
  ck_assert_int_eq(append_prep(l, run, "tool.used", "p0", NULL, q, &a, &e), LEDGER_ECONFLICT);
  ck_assert_int_eq(append_prep(l, run, "no.such.kind", "k", NULL, q, &a, &e), LEDGER_EINVAL);
  json_t *bad = json_pack("{s:i}", "x", 1);
  ck_assert_int_eq(append_prep(l, run, "tool.used", "k", NULL, bad, &a, &e), LEDGER_EINVAL);
  ck_assert_int_eq(append_prep(l, "run_nope", "tool.used", "k", NULL, q, &a, &e), LEDGER_ENOTFOUND);
  json_t *real = json_pack("{s:[],s:f}", "tool_refs", "x", 0.5);
  ck_assert_int_eq(append_prep(l, run, "tool.used", "k", NULL, real, &a, &e), LEDGER_EINVAL);
  /* a wrong producer hint: the writer finds the real producer and recomputes */
  pthread_mutex_lock(&l->hmu);
  for (int i = 0; i < LEDGER_RUN_HINTS; i++)
    if (strcmp(l->runs[i].run_id, run) == 0)
      snprintf(l->runs[i].producer, LEDGER_ID_MAX, "wrong");
  pthread_mutex_unlock(&l->hmu);
  ck_assert_int_eq(append_prep(l, run, "tool.used", "after-wrong-hint", NULL, q, &a, &e), 0);
  check_event_ids(l, run);
  check_event_ids(l, bare);
  ck_assert_int_eq(count_events(store, run), 7);
  ck_assert_int_eq(count_events(store, bare), 4);
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  json_decref(p);
  json_decref(q);
  json_decref(bad);
  json_decref(real);
  ledger_close(l);
}
END_TEST

static int append_text(ledger *l, const char *run, const char *key, const char *text,
                       ledger_event_ref *ref, ledger_err *e)
{
  ledger_event_in in = {run, "tool.used", key, "2026-01-02T03:04:05.006Z", NULL, NULL};
  ledger_event_prep *p = NULL;
  char *copy = strdup(text);
  ck_assert_ptr_nonnull(copy);
  int rc = ledger_event_prepare_text(l, &in, copy, strlen(copy), &p, e); /* copy stolen */
  return append_prepared(l, rc, p, ref, e);
}

/* A payload given as canonical text (ledger_event_prepare_text) is the same event as the same
 * payload given as JSON: a replay of its key with the JSON payload is recognised as identical.
 * The required members are found in the text at the top level only (one inside a nested object
 * does not count), and the writer's fallback (a wrong producer hint) parses the text itself. */
START_TEST(test_prepared_text_payload)
{
  ledger *l = open_new();
  char run[LEDGER_ID_MAX];
  ledger_event_ref a, b;
  ledger_err e = {0};
  open_run(l, "run_text", run);
  json_t *p = json_pack("{s:[{s:s}],s:s}", "tool_refs", "name", "x\"y\n\x01z", "note",
                        "caf\xc3\xa9");
  char *txt = NULL;
  size_t len = 0;
  ck_assert_int_eq(seal_canon(&txt, &len, p, SEAL_CANON_MOTUS, NULL), 0);
  ck_assert_int_eq(append_prep(l, run, "tool.used", "warm", NULL, p, NULL, &e), 0); /* hints */
  for (int i = 0; i < 3; i++) {
    char key[32];
    snprintf(key, sizeof key, "t%d", i);
    ck_assert_msg(append_text(l, run, key, txt, &a, &e) == 0, "%s", e.msg);
    ck_assert_msg(append_prep(l, run, "tool.used", key, NULL, p, &b, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(b.replayed, 1);
    ck_assert_str_eq(a.event_id, b.event_id);
  }
  /* the member only inside a nested object, or absent: refused, nothing written */
  ck_assert_int_eq(append_text(l, run, "nested", "{\"x\":{\"tool_refs\":[]}}", &a, &e),
                   LEDGER_EINVAL);
  ck_assert_int_eq(append_text(l, run, "none", "{\"note\":\"tool_refs\"}", &a, &e), LEDGER_EINVAL);
  ck_assert_int_eq(append_text(l, run, "array", "[1]", &a, &e), LEDGER_EINVAL);
  /* a wrong producer hint: the writer recomputes from the text */
  pthread_mutex_lock(&l->hmu);
  for (int i = 0; i < LEDGER_RUN_HINTS; i++)
    if (strcmp(l->runs[i].run_id, run) == 0)
      snprintf(l->runs[i].producer, LEDGER_ID_MAX, "wrong");
  pthread_mutex_unlock(&l->hmu);
  ck_assert_msg(append_text(l, run, "after-wrong-hint", txt, &a, &e) == 0, "%s", e.msg);
  check_event_ids(l, run);
  ck_assert_int_eq(count_events(store, run), 5);
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  free(txt);
  json_decref(p);
  ledger_close(l);
}
END_TEST

/* The checkpointer: with a small threshold, background passes plus the writer's small inline
 * finishes keep the WAL well below everything the four appending threads wrote. */
struct walmon {
  const char *path;
  _Atomic int stop; /* set by the test thread, polled by the monitor */
  off_t max;
};

static void *walmon_main(void *arg)
{
  struct walmon *m = arg;
  while (!m->stop) {
    struct stat st;
    if (stat(m->path, &st) == 0 && st.st_size > m->max)
      m->max = st.st_size;
    struct timespec d = {0, 200000};
    nanosleep(&d, NULL);
  }
  return NULL;
}

START_TEST(test_checkpointer_bounds_wal)
{
  SQLITE_ONLY();
  ledger_opts o = LEDGER_OPTS_INIT;
  o.create = 1;
  ledger *l = NULL;
  ck_assert_int_eq(ledger_open(&l, store, &o, NULL), 0);
  l->ckpt_frames = 64;
  char wal[4200];
  snprintf(wal, sizeof wal, "%s-wal", store);
  struct walmon m = {wal, 0, 0};
  pthread_t mon;
  pthread_create(&mon, NULL, walmon_main, &m);
  struct thr t[4];
  pthread_t th[4];
  writers_start(l, "run_ckpt", 400, t, th);
  writers_join(t, th);
  m.stop = 1;
  pthread_join(mon, NULL);
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(count_events(store, t[i].run), 400);
  }
  fprintf(stderr,
          "checkpointer: %llu background passes, %llu inline finishes, WAL max %lld bytes\n",
          (unsigned long long)l->ckpt_bg, (unsigned long long)l->ckpt_inline, (long long)m.max);
  ck_assert_uint_gt(l->ckpt_bg + l->ckpt_inline, 0); /* which of the two: up to the scheduler */
  /* Bounded: the WAL never held more than half of the frames the 1600 appends wrote (without
   * checkpoints it would hold all of them). How far below that it stays depends on how the
   * checkpointer thread is scheduled against the four writers (on an idle machine about one
   * tenth), so the assertion takes no position on timing, only on the mechanism working. */
  ledger_stats st;
  ledger_stats_get(l, &st);
  fprintf(stderr, "checkpointer: %llu WAL frames written in all\n",
          (unsigned long long)st.wal_frames);
  ck_assert_uint_gt(st.wal_frames, 0);
  ck_assert_int_le(m.max, 32 + (off_t)(st.wal_frames / 2) * (4096 + 24));
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  ledger_close(l);
}
END_TEST

/* SIGKILL while checkpoints run (threshold 32 frames): nothing acknowledged is lost. */
START_TEST(test_checkpoint_crash_trials)
{
  SQLITE_ONLY();
  ledger *l = open_new();
  char run[LEDGER_ID_MAX];
  open_run(l, "run_ckpt_crash", run);
  ledger_close(l);
  srand((unsigned)getpid() ^ 0x5a5a);
  child_ckpt_frames = 32;
  int64_t acked_max = 0;
  for (int trial = 0; trial < 40; trial++) {
    char tag[32];
    snprintf(tag, sizeof tag, "ck%d", trial);
    crash_trial(run, tag, 20 + rand() % 200, 0, &acked_max);
  }
  child_ckpt_frames = 0;
  ck_assert_int_ge(acked_max, 40 * 20);
  ck_assert_int_eq(ledger_open(&l, store, NULL, NULL), 0);
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  ledger_close(l);
}
END_TEST

struct qjob_h {
  ledger *l;
  struct job j;
  int rc;
};

static int job_slow_append(ledger_txn *t, void *p, ledger_err *err)
{
  struct timespec d = {0, 150000000};
  nanosleep(&d, NULL);
  return job_append(t, p, err);
}

static void *slow_thread(void *p)
{
  struct qjob_h *q = p;
  q->rc = ledger_tx_rerunnable(q->l, job_slow_append, &q->j, NULL);
  return NULL;
}

static void *quick_thread(void *p)
{
  struct qjob_h *q = p;
  q->rc = ledger_tx_rerunnable(q->l, job_append, &q->j, NULL);
  return NULL;
}

/* ledger_tx_rerunnable: batches of rerunnable jobs, some failing in the writer (unknown kind),
 * give the same outcome as ledger_tx: every success kept once, every failure leaves nothing. */
struct rthr {
  ledger *l;
  const char *run;
  int id, ok, failed;
};

static void *rthr_main(void *p)
{
  struct rthr *t = p;
  for (int i = 0; i < 60; i++) {
    struct job j = {0};
    char key[48];
    snprintf(key, sizeof key, "r%d-%d", t->id, i);
    j.run_id = t->run;
    j.kind = (i % 7 == 3) ? "no.such.kind" : "tool.used";
    j.key = key;
    j.payload = tool_payload(i);
    int rc = ledger_tx_rerunnable(t->l, job_append, &j, NULL);
    json_decref(j.payload);
    if (rc == 0 && j.ref.seq > 0 && !j.ref.replayed)
      t->ok++;
    else if (rc == LEDGER_EINVAL)
      t->failed++;
  }
  return NULL;
}

START_TEST(test_rerunnable_batches)
{
  ledger_opts o = LEDGER_OPTS_INIT;
  o.create = 1;
  o.durability = LEDGER_DURABLE_NORMAL;
  ledger *l = NULL;
  ck_assert_int_eq(ledger_open(&l, store, &o, NULL), 0);
  char run[LEDGER_ID_MAX];
  open_run(l, "run_rerun", run);
  struct rthr t[6];
  pthread_t th[6];
  for (int i = 0; i < 6; i++) {
    t[i] = (struct rthr){l, run, i, 0, 0};
    pthread_create(&th[i], NULL, rthr_main, &t[i]);
  }
  int ok = 0, failed = 0;
  for (int i = 0; i < 6; i++) {
    pthread_join(th[i], NULL);
    ok += t[i].ok;
    failed += t[i].failed;
  }
  ck_assert_int_eq(failed, 6 * 9); /* i % 7 == 3 for i in 0..59: 9 per thread */
  ck_assert_int_eq(ok, 6 * 60 - failed);
  ck_assert_int_eq(count_events(store, run), ok);
  /* deterministic: a slow job holds the writer while five jobs (one failing) queue up behind
   * it, so they form one batch that fails optimistically and is run again with savepoints */
  {
    pthread_t slow, q[5];
    struct qjob_h sj = {l, {0}, 0}, qj[5];
    sj.j.run_id = run;
    sj.j.kind = "tool.used";
    sj.j.key = "slow";
    sj.j.payload = tool_payload(100);
    pthread_create(&slow, NULL, slow_thread, &sj);
    struct timespec d = {0, 30000000};
    nanosleep(&d, NULL);
    for (int i = 0; i < 5; i++) {
      static char keys[5][16];
      snprintf(keys[i], sizeof keys[i], "q%d", i);
      qj[i] = (struct qjob_h){l, {0}, 0};
      qj[i].j.run_id = run;
      qj[i].j.kind = i == 2 ? "no.such.kind" : "tool.used";
      qj[i].j.key = keys[i];
      qj[i].j.payload = tool_payload(200 + i);
      pthread_create(&q[i], NULL, quick_thread, &qj[i]);
    }
    pthread_join(slow, NULL);
    for (int i = 0; i < 5; i++) {
      pthread_join(q[i], NULL);
      ck_assert_int_eq(qj[i].rc, i == 2 ? LEDGER_EINVAL : 0);
      json_decref(qj[i].j.payload);
    }
    json_decref(sj.j.payload);
    ck_assert_int_eq(sj.rc, 0);
    ledger_stats st;
    ledger_stats_get(l, &st);
    ck_assert_uint_ge(st.reruns, 1);
    ck_assert_int_eq(count_events(store, run), ok + 1 + 4);
  }
  check_event_ids(l, run);
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  ledger_close(l);
}
END_TEST

Suite *ledger_suite(void);
/* ---- deferred writes of a call scope (ledger__scope_defer) ---------------------------------- */

static int freed_defers;
static void count_free(void *p)
{
  (void)p;
  freed_defers++;
}

static int job_append_then_fail(ledger_txn *t, void *p, ledger_err *err)
{
  int rc = job_append(t, p, err);
  return rc ? rc : ledger__errf(err, LEDGER_ESTALE, 0, "injected: the lease moved on");
}

static pthread_mutex_t async_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t async_cv = PTHREAD_COND_INITIALIZER;
static int async_rc = -1;
static void async_record(int rc, const ledger_err *err, int last, void *arg)
{
  (void)err, (void)last, (void)arg;
  pthread_mutex_lock(&async_mu);
  async_rc = rc;
  pthread_cond_signal(&async_cv);
  pthread_mutex_unlock(&async_mu);
}

/* The writer's append cache (hints.c, txn.c append_cached) never decides an append alone: after
 * another process appended to the run, after a rolled-back append, for a replayed or conflicting
 * key and for a closed run, the outcome is exactly that of the full path. */
START_TEST(test_append_cache)
{
  ledger *l = open_new();
  char run[LEDGER_ID_MAX];
  ledger_err e = {0};
  ledger_event_ref ref;
  json_t *p1 = tool_payload(1), *p2 = tool_payload(2);
  open_run(l, "run_cache", run);
  ck_assert_int_eq(append(l, run, "tool.used", "k1", p1, &ref, &e), 0);
  ck_assert_int_eq(append(l, run, "tool.used", "k2", p1, &ref, &e), 0);
  ck_assert_int_eq(ref.seq, 2);
  if (!pg_host) { /* the cache holds the run and its next seq */
    struct ledger_ac_run *r = ledger__ac_run(l, run);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->next_seq, 3);
  }
  /* another connection (its own Store handle and writer; forking here would fork the writer
   * thread, which ThreadSanitizer refuses) appends seq 3 */
  ledger *l2 = NULL;
  ck_assert_int_eq(ledger_open(&l2, store, NULL, NULL), 0);
  ck_assert_msg(append(l2, run, "tool.used", "other", p1, &ref, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(ref.seq, 3);
  ck_assert_msg(append(l, run, "tool.used", "k3", p1, &ref, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(ref.seq, 4);
  ck_assert_int_eq(ref.replayed, 0);
  /* the same key again: the same payload is a replay, another one a conflict */
  ck_assert_int_eq(append(l, run, "tool.used", "k1", p1, &ref, &e), 0);
  ck_assert_int_eq(ref.replayed, 1);
  ck_assert_int_eq(ref.seq, 1);
  ck_assert_int_eq(append(l, run, "tool.used", "k3", p2, &ref, &e), LEDGER_ECONFLICT);
  /* an append that is rolled back leaves no gap behind it */
  struct job bad = {.run_id = run, .kind = "tool.used", .key = "gone", .payload = p1};
  ck_assert_int_eq(ledger_tx(l, job_append_then_fail, &bad, &e), LEDGER_ESTALE);
  ck_assert_int_eq(bad.ref.seq, 5);
  ck_assert_msg(append(l, run, "tool.used", "k5", p1, &ref, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(ref.seq, 5);
  /* a run closed through the other connection refuses the append as closed */
  ck_assert_int_eq(append(l, run, "tool.used", "k6", p1, &ref, &e), 0);
  struct job cl = {.run_id = run, .kind = "work.closed", .key = "close", .close = 1};
  cl.payload = json_pack("{s:{s:s},s:{s:s,s:s},s:{s:s},s:{s:s},s:{s:s}}", "outcome", "status",
                         "success", "acceptance", "status", "accepted", "method", "manual",
                         "route_summary", "status", "complete", "handoff", "status", "none",
                         "redaction", "status", "none");
  ck_assert_msg(ledger_tx(l2, job_append, &cl, &e) == 0, "%s", e.msg);
  json_decref(cl.payload);
  ledger_close(l2);
  ck_assert_int_eq(append(l, run, "tool.used", "k7", p1, &ref, &e), LEDGER_ECLOSED);
  ck_assert_int_eq(count_events(store, run), 7);
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  json_decref(p1);
  json_decref(p2);
  ledger_close(l);
}
END_TEST

/* A deferred write runs at the scope's commit, just before its last step and in the same
 * transaction (both land, in that order), and is freed once. When it fails, the commit fails
 * and nothing of the scope is kept. A step after it runs it first; once a step ran nothing more
 * is deferred; an abort drops it unrun; without a scope nothing is deferred. The asynchronous
 * commit runs it too. */
START_TEST(test_scope_deferred_writes)
{
  ledger *l = open_new();
  char run[LEDGER_ID_MAX];
  ledger_err e = {0};
  ledger_scope *s = NULL;
  json_t *p = tool_payload(1);
  open_run(l, "run_defer", run);
  struct job d1 = {.run_id = run, .kind = "tool.used", .key = "d1", .payload = p};
  struct job d2 = d1, d3 = d1, bad = d1, last = d1, last2 = d1, last3 = d1, step = d1;
  d2.key = "d2", d3.key = "d3", bad.key = "bad", last.key = "last", last2.key = "last2";
  last3.key = "last3", step.key = "step";
  freed_defers = 0;
  /* 1: deferred, then the commit's last step */
  ck_assert_int_eq(ledger_scope_begin(l, &s, &e), 0);
  ck_assert_int_eq(ledger__scope_defer(l, job_append, &d1, count_free), 0);
  ck_assert_int_eq(count_events(store, run), 0);
  ck_assert_msg(ledger_scope_commit(s, job_append, &last, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(d1.ref.seq, 1);
  ck_assert_int_eq(last.ref.seq, 2);
  ck_assert_int_eq(freed_defers, 1);
  /* 2: a deferred write that fails: the commit fails, nothing of it is kept */
  ck_assert_int_eq(ledger_scope_begin(l, &s, &e), 0);
  ck_assert_int_eq(ledger__scope_defer(l, job_append_then_fail, &bad, count_free), 0);
  ck_assert_int_eq(ledger_scope_commit(s, job_append, &last2, &e), LEDGER_ESTALE);
  ck_assert_ptr_nonnull(strstr(e.msg, "moved on"));
  ck_assert_int_eq(count_events(store, run), 2);
  ck_assert_int_eq(freed_defers, 2);
  /* 3: a step after a deferred write runs it first; then nothing more is deferred */
  ck_assert_int_eq(ledger_scope_begin(l, &s, &e), 0);
  ck_assert_int_eq(ledger__scope_defer(l, job_append, &d2, count_free), 0);
  ck_assert_msg(ledger_tx(l, job_append, &step, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(d2.ref.seq, 3);
  ck_assert_int_eq(step.ref.seq, 4);
  ck_assert_int_eq(freed_defers, 3);
  ck_assert_int_ne(ledger__scope_defer(l, job_append, &d3, count_free), 0);
  ledger_scope_abort(s); /* both steps roll back */
  ck_assert_int_eq(count_events(store, run), 2);
  /* 4: an abort drops a deferred write unrun */
  ck_assert_int_eq(ledger_scope_begin(l, &s, &e), 0);
  ck_assert_int_eq(ledger__scope_defer(l, job_append, &d3, count_free), 0);
  ledger_scope_abort(s);
  ck_assert_int_eq(freed_defers, 4);
  ck_assert_int_eq(count_events(store, run), 2);
  /* 5: no scope, no deferral */
  ck_assert_int_ne(ledger__scope_defer(l, job_append, &d3, count_free), 0);
  /* 6: the asynchronous commit runs the deferred write before its last step */
  ck_assert_int_eq(ledger_scope_begin(l, &s, &e), 0);
  ck_assert_int_eq(ledger__scope_defer(l, job_append, &d3, count_free), 0);
  ledger_scope_commit_async(s, job_append, &last3, 1, async_record, NULL);
  pthread_mutex_lock(&async_mu);
  while (async_rc < 0)
    pthread_cond_wait(&async_cv, &async_mu);
  pthread_mutex_unlock(&async_mu);
  ck_assert_int_eq(async_rc, 0);
  ck_assert_int_eq(d3.ref.seq, 3);
  ck_assert_int_eq(last3.ref.seq, 4);
  ck_assert_int_eq(freed_defers, 5);
  ck_assert_int_eq(count_events(store, run), 4);
  ck_assert_str_eq(doctor_status(l, NULL), "pass");
  json_decref(p);
  ledger_close(l);
}
END_TEST

Suite *ledger_suite(void)
{
  Suite *s = suite_create("ledger");
  TCase *tc = tcase_create("store");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_open_and_reopen);
  tcase_add_test(tc, test_missing_store);
  tcase_add_test(tc, test_ts_format);
  tcase_add_test(tc, test_prepared_text_payload);
  tcase_add_test(tc, test_not_a_store);
  tcase_add_test(tc, test_newer_schema);
  tcase_add_test(tc, test_append_and_replay);
  tcase_add_test(tc, test_prepared_events);
  tcase_add_test(tc, test_rerunnable_batches);
  tcase_add_test(tc, test_scope_deferred_writes);
  tcase_add_test(tc, test_append_cache);
  tcase_add_test(tc, test_triggers);
  tcase_add_test(tc, test_doctor_detects_tampering);
  tcase_add_test(tc, test_golden_event_backed);
  tcase_add_test(tc, test_golden_governed_handoff);
  tcase_add_test(tc, test_work_loop);
  tcase_add_test(tc, test_bad_input_leaves_store_unchanged);
  tcase_add_test(tc, test_lease_expiry);
  tcase_add_test(tc, test_approvals_receipts_memories);
  tcase_add_test(tc, test_receipt_reals_old_text);
  tcase_add_test(tc, test_group_commit_threads);
  tcase_add_test(tc, test_two_processes);
  tcase_add_test(tc, test_sigkill_crash_trials);
  tcase_add_test(tc, test_checkpointer_bounds_wal);
  tcase_add_test(tc, test_checkpoint_crash_trials);
  suite_add_tcase(s, tc);
  return s;
}
