/* SPDX-License-Identifier: Apache-2.0
 * ledger/store.c — opening a Store: connections and their statement caches, PRAGMAs (WAL,
 * synchronous, foreign keys, application_id, temp_store), the schema and its user_version
 * migrations, the reader pool, the writer thread that group-commits ledger_tx() jobs (each in a
 * SAVEPOINT of one BEGIN IMMEDIATE transaction, or without savepoints for a batch of
 * rerunnable jobs, rerun with them if one fails), the WAL hook and background checkpointer that
 * keep checkpoints off the commit path, and closing (a small WAL is left for the next process).
 * It does not know what runs or events mean (txn.c, read.c). */
#include "ledger/ledger_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- errors --------------------------------------------------------------------------------- */

const char *ledger_strerror(int rc)
{
  switch (rc) {
  case LEDGER_OK: return "ok";
  case LEDGER_ERROR: return "store error";
  case LEDGER_ENOTFOUND: return "not found";
  case LEDGER_EINVAL: return "invalid input";
  case LEDGER_ECLOSED: return "run is closed";
  case LEDGER_EBUSY: return "resource busy";
  case LEDGER_ECONFLICT: return "conflict with existing record";
  case LEDGER_ENOTSTORE: return "not a workledger Store";
  case LEDGER_ENEWER: return "Store schema is newer than this build";
  case LEDGER_ECORRUPT: return "stored facts fail verification";
  case LEDGER_EEXPIRED: return "lease expired";
  case LEDGER_ESTALE: return "fencing token is stale";
  default: return "unknown error";
  }
}

int ledger__errf(ledger_err *err, int code, int cause, const char *fmt, ...)
{
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    err->cause = cause;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

int ledger__sqlerr(ledger_err *err, lconn *c, int rc, const char *what)
{
  int code = LEDGER_ERROR;
  const char *m = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    if (strstr(m, "closed"))
      code = LEDGER_ECLOSED;
    else
      code = LEDGER_ECONFLICT;
  } else if ((rc & 0xff) == SQLITE_NOTADB) {
    code = LEDGER_ENOTSTORE;
  }
  return ledger__errf(err, code, rc, "%s: %s", what, m);
}

/* ---- time ----------------------------------------------------------------------------------- */

void ledger_ts_format(char out[LEDGER_TS_MAX], int64_t ms)
{
  time_t s = (time_t)(ms / 1000);
  int frac = (int)(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    s -= 1;
  }
  struct tm tm;
  gmtime_r(&s, &tm);
  int y = tm.tm_year + 1900;
  if (y < 0 || y > 9999)
    y = y < 0 ? 0 : 9999;
  snprintf(out, LEDGER_TS_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, (tm.tm_mon + 1) % 100,
           tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, frac % 1000);
}

void ledger_now(char out[LEDGER_TS_MAX])
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ledger_ts_format(out, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int digits(const char *s, int n, int *v)
{
  int r = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    r = r * 10 + (s[i] - '0');
  }
  *v = r;
  return 0;
}

int ledger_ts_parse(int64_t *ms_out, const char *ts)
{
  int Y, M, D, h, m, s, f = 0;
  if (!ts)
    return LEDGER_EINVAL;
  size_t n = strlen(ts);
  if (n != 20 && n != 24)
    return LEDGER_EINVAL;
  if (digits(ts, 4, &Y) || ts[4] != '-' || digits(ts + 5, 2, &M) || ts[7] != '-' ||
      digits(ts + 8, 2, &D) || ts[10] != 'T' || digits(ts + 11, 2, &h) || ts[13] != ':' ||
      digits(ts + 14, 2, &m) || ts[16] != ':' || digits(ts + 17, 2, &s))
    return LEDGER_EINVAL;
  if (n == 24) {
    if (ts[19] != '.' || digits(ts + 20, 3, &f) || ts[23] != 'Z')
      return LEDGER_EINVAL;
  } else if (ts[19] != 'Z') {
    return LEDGER_EINVAL;
  }
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || s > 60)
    return LEDGER_EINVAL;
  /* days from civil (Howard Hinnant's algorithm) */
  int y = Y - (M <= 2);
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (unsigned)((153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1);
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
  if (ms_out)
    *ms_out = ((days * 86400 + h * 3600 + m * 60 + s) * 1000) + f;
  return LEDGER_OK;
}

int ledger__valid_ts(const char *ts)
{
  return ledger_ts_parse(NULL, ts) == LEDGER_OK;
}

void ledger__rand_hex(char *out, size_t nbytes)
{
  uint8_t buf[64];
  if (nbytes > sizeof buf)
    nbytes = sizeof buf;
  seal_random(buf, nbytes);
  seal_hex_encode(out, buf, nbytes);
}

/* ---- connections ---------------------------------------------------------------------------- */

sqlite3_stmt *ledger__stmt(lconn *c, const char *sql, ledger_err *err)
{
  for (int i = 0; i < c->ncache; i++)
    if (c->cache[i].sql == sql) {
      sqlite3_reset(c->cache[i].st);
      sqlite3_clear_bindings(c->cache[i].st);
      return c->cache[i].st;
    }
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (rc != SQLITE_OK) {
    ledger__sqlerr(err, c, rc, "prepare");
    return NULL;
  }
  if (c->ncache < LCONN_CACHE) {
    c->cache[c->ncache].sql = sql;
    c->cache[c->ncache].st = st;
    c->ncache++;
  } else {
    /* cache full: evict the last slot */
    sqlite3_finalize(c->cache[LCONN_CACHE - 1].st);
    c->cache[LCONN_CACHE - 1].sql = sql;
    c->cache[LCONN_CACHE - 1].st = st;
  }
  return st;
}

/* Transaction control on the writer runs once or more per job: prepared once, stepped after. The
 * statement cache is keyed by the address of the SQL text, hence these named arrays. */
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_SAVEPOINT[] = "SAVEPOINT job";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO job";
static const char SQL_RELEASE[] = "RELEASE job";
static const char SQL_ROLLBACK[] = "ROLLBACK";

static int exec_cached(lconn *c, const char *sql, ledger_err *err)
{
  sqlite3_stmt *st = ledger__stmt(c, sql, err);
  int rc;
  if (!st)
    return LEDGER_ERROR;
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, sql);
  return LEDGER_OK;
}

int ledger__exec(lconn *c, const char *sql, ledger_err *err)
{
  char *msg = NULL;
  int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    int code = (rc & 0xff) == SQLITE_NOTADB ? LEDGER_ENOTSTORE : LEDGER_ERROR;
    ledger__errf(err, code, rc, "%s", msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return code;
  }
  return LEDGER_OK;
}

void ledger__conn_close(lconn *c)
{
  if (!c)
    return;
  for (int i = 0; i < c->ncache; i++)
    sqlite3_finalize(c->cache[i].st);
  sqlite3_close_v2(c->db);
  free(c);
}

/* Process-wide SQLite settings, before the library initialises: no memory-usage statistics
 * (they take a global mutex around every allocation, which all our threads share). */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;
static void sqlite_setup(void)
{
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int ledger__conn_open(lconn **out, const char *path, int flags, const ledger_opts *o,
                      ledger_err *err)
{
  pthread_once(&sqlite_once, sqlite_setup);
  lconn *c = calloc(1, sizeof *c);
  if (!c)
    return ledger__errf(err, LEDGER_ERROR, ENOMEM, "out of memory");
  int rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    int code = ledger__sqlerr(err, c, rc, path);
    ledger__conn_close(c);
    return code;
  }
  sqlite3_extended_result_codes(c->db, 1);
  sqlite3_busy_timeout(c->db, o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 5000);
  *out = c;
  return LEDGER_OK;
}

/* ---- schema --------------------------------------------------------------------------------- */

static const char schema_tables[] =
    "CREATE TABLE runs("
    " run_id TEXT PRIMARY KEY NOT NULL CHECK(length(run_id) BETWEEN 1 AND 127),"
    " work_id TEXT,"
    " status TEXT NOT NULL DEFAULT 'open' CHECK(status IN ('open','closed')),"
    " started_at TEXT NOT NULL,"
    " closed_at TEXT,"
    " outcome_status TEXT CHECK(outcome_status IS NULL OR outcome_status IN"
    "  ('success','failure','partial','aborted','superseded','unknown')),"
    " producer_id TEXT,"
    " lease_id TEXT UNIQUE,"
    " lease_status TEXT CHECK(lease_status IS NULL OR lease_status IN"
    "  ('active','released','expired','aborted')),"
    " lease_actor TEXT,"
    " lease_expires_at TEXT,"
    " lease_token INTEGER,"
    " CHECK((status='open' AND closed_at IS NULL AND outcome_status IS NULL) OR"
    "       (status='closed' AND closed_at IS NOT NULL AND outcome_status IS NOT NULL)));"
    "CREATE TABLE kind_versions("
    " event_kind TEXT PRIMARY KEY NOT NULL CHECK(length(event_kind) >= 1),"
    " schema_version TEXT NOT NULL,"
    " required_payload TEXT NOT NULL,"
    " schema_hash TEXT NOT NULL,"
    " registered_at TEXT NOT NULL);"
    "CREATE TABLE events("
    " run_id TEXT NOT NULL REFERENCES runs(run_id),"
    " seq INTEGER NOT NULL CHECK(seq >= 1),"
    " event_id TEXT NOT NULL UNIQUE,"
    " event_kind TEXT NOT NULL REFERENCES kind_versions(event_kind),"
    " occurred_at TEXT NOT NULL,"
    " idempotency_key TEXT NOT NULL CHECK(length(idempotency_key) >= 1),"
    " producer_id TEXT,"
    " payload TEXT NOT NULL,"
    " payload_hash TEXT NOT NULL,"
    " schema_hash TEXT NOT NULL,"
    " PRIMARY KEY(run_id, seq),"
    " UNIQUE(run_id, idempotency_key)) WITHOUT ROWID;"
    "CREATE TABLE locks("
    " resource TEXT PRIMARY KEY NOT NULL,"
    " holder TEXT,"
    " fencing_token INTEGER NOT NULL CHECK(fencing_token >= 1),"
    " status TEXT NOT NULL CHECK(status IN ('held','free')),"
    " acquired_at TEXT NOT NULL,"
    " expires_at TEXT,"
    " released_at TEXT);"
    "CREATE TABLE receipts("
    " receipt_id TEXT PRIMARY KEY NOT NULL,"
    " kind TEXT NOT NULL,"
    " run_id TEXT REFERENCES runs(run_id),"
    " task_id TEXT,"
    " json TEXT NOT NULL,"
    " created_at TEXT NOT NULL);"
    "CREATE TABLE approvals("
    " approval_id TEXT PRIMARY KEY NOT NULL,"
    " tool TEXT NOT NULL,"
    " args_hash TEXT NOT NULL,"
    " risk INTEGER NOT NULL CHECK(risk BETWEEN 0 AND 4),"
    " caller TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending' CHECK(status IN ('pending','approved','denied')),"
    " reason TEXT,"
    " request TEXT,"
    " decision TEXT,"
    " created_at TEXT NOT NULL,"
    " resolved_at TEXT);"
    "CREATE TABLE memories("
    " memory_id TEXT PRIMARY KEY NOT NULL,"
    " content TEXT NOT NULL,"
    " sensitivity TEXT NOT NULL DEFAULT 'none',"
    " confidence INTEGER NOT NULL DEFAULT 50 CHECK(confidence BETWEEN 0 AND 100),"
    " created_at TEXT NOT NULL);"
    "CREATE VIRTUAL TABLE memories_fts USING fts5(content, content='memories', content_rowid='rowid');";

/* Re-runnable parts (doctor --fix recreates what is missing). */
static const char schema_objects[] =
    "CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at DESC, run_id);"
    "CREATE INDEX IF NOT EXISTS runs_work ON runs(work_id, status);"
    "CREATE INDEX IF NOT EXISTS receipts_run ON receipts(run_id);"
    "CREATE INDEX IF NOT EXISTS receipts_task ON receipts(task_id);"
    "CREATE INDEX IF NOT EXISTS approvals_status ON approvals(status, created_at);"
    "CREATE VIEW IF NOT EXISTS leases AS SELECT lease_id, run_id, work_id, lease_actor AS actor_id,"
    " started_at AS claimed_at, lease_expires_at AS expires_at, lease_status AS status,"
    " lease_token AS fencing_token FROM runs WHERE lease_id IS NOT NULL;"
    "CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS events_open_run BEFORE INSERT ON events"
    " WHEN (SELECT status FROM runs WHERE run_id = NEW.run_id) IS NOT 'open'"
    " BEGIN SELECT RAISE(ABORT, 'run is closed or unknown'); END;"
    "CREATE TRIGGER IF NOT EXISTS events_contiguous BEFORE INSERT ON events"
    " WHEN NEW.seq <> (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = NEW.run_id)"
    " BEGIN SELECT RAISE(ABORT, 'event seq must be contiguous'); END;"
    "CREATE TRIGGER IF NOT EXISTS runs_no_delete BEFORE DELETE ON runs"
    " BEGIN SELECT RAISE(ABORT, 'runs are never deleted'); END;"
    "CREATE TRIGGER IF NOT EXISTS runs_immutable BEFORE UPDATE ON runs"
    " WHEN NEW.run_id IS NOT OLD.run_id OR NEW.work_id IS NOT OLD.work_id"
    "  OR NEW.started_at IS NOT OLD.started_at OR NEW.producer_id IS NOT OLD.producer_id"
    "  OR (OLD.lease_id IS NOT NULL AND NEW.lease_id IS NOT OLD.lease_id)"
    "  OR (OLD.lease_token IS NOT NULL AND NEW.lease_token IS NOT OLD.lease_token)"
    "  OR (OLD.status = 'closed' AND (NEW.status IS NOT OLD.status"
    "      OR NEW.closed_at IS NOT OLD.closed_at OR NEW.outcome_status IS NOT OLD.outcome_status))"
    " BEGIN SELECT RAISE(ABORT, 'run identity and closed state are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS runs_close_needs_event BEFORE UPDATE OF status ON runs"
    " WHEN OLD.status = 'open' AND NEW.status = 'closed'"
    "  AND NOT EXISTS (SELECT 1 FROM events WHERE run_id = NEW.run_id)"
    " BEGIN SELECT RAISE(ABORT, 'a run closes with an event'); END;"
    "CREATE TRIGGER IF NOT EXISTS kind_versions_no_update BEFORE UPDATE ON kind_versions"
    " BEGIN SELECT RAISE(ABORT, 'kind versions are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS kind_versions_no_delete BEFORE DELETE ON kind_versions"
    " BEGIN SELECT RAISE(ABORT, 'kind versions are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS locks_no_delete BEFORE DELETE ON locks"
    " BEGIN SELECT RAISE(ABORT, 'locks are never deleted'); END;"
    "CREATE TRIGGER IF NOT EXISTS locks_fenced BEFORE UPDATE ON locks"
    " WHEN NEW.fencing_token < OLD.fencing_token OR NEW.resource IS NOT OLD.resource"
    " BEGIN SELECT RAISE(ABORT, 'fencing tokens never decrease'); END;"
    "CREATE TRIGGER IF NOT EXISTS receipts_no_update BEFORE UPDATE ON receipts"
    " BEGIN SELECT RAISE(ABORT, 'receipts are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS receipts_no_delete BEFORE DELETE ON receipts"
    " BEGIN SELECT RAISE(ABORT, 'receipts are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS approvals_resolve_once BEFORE UPDATE ON approvals"
    " WHEN OLD.status <> 'pending' OR NEW.approval_id IS NOT OLD.approval_id"
    "  OR NEW.args_hash IS NOT OLD.args_hash OR NEW.tool IS NOT OLD.tool"
    " BEGIN SELECT RAISE(ABORT, 'approval already resolved'); END;"
    "CREATE TRIGGER IF NOT EXISTS approvals_no_delete BEFORE DELETE ON approvals"
    " BEGIN SELECT RAISE(ABORT, 'approvals are never deleted'); END;"
    "CREATE TRIGGER IF NOT EXISTS memories_ai AFTER INSERT ON memories BEGIN"
    " INSERT INTO memories_fts(rowid, content) VALUES (NEW.rowid, NEW.content); END;"
    "CREATE TRIGGER IF NOT EXISTS memories_ad AFTER DELETE ON memories BEGIN"
    " INSERT INTO memories_fts(memories_fts, rowid, content) VALUES ('delete', OLD.rowid, OLD.content);"
    " END;";

const char *const ledger__triggers[] = {"events_no_update",
                                        "events_no_delete",
                                        "events_open_run",
                                        "events_contiguous",
                                        "runs_no_delete",
                                        "runs_immutable",
                                        "runs_close_needs_event",
                                        "kind_versions_no_update",
                                        "kind_versions_no_delete",
                                        "locks_no_delete",
                                        "locks_fenced",
                                        "receipts_no_update",
                                        "receipts_no_delete",
                                        "approvals_resolve_once",
                                        "approvals_no_delete",
                                        "memories_ai",
                                        "memories_ad",
                                        NULL};

/* Kinds registered by the migration: the four Motus reference kinds (motus.md §4.3, pinned)
 * and our own (spec/store.md). Each entry: kind, then required payload members, NULL. */
static const char *const builtin_kinds[][8] = {
    {LEDGER_KIND_WORK_STARTED, "work_id", "actor", "trigger", "instruction", NULL},
    {LEDGER_KIND_TOOL_USED, "tool_refs", NULL},
    {LEDGER_KIND_EVIDENCE_REFERENCED, "evidence_refs", NULL},
    {LEDGER_KIND_WORK_CLOSED, "outcome", "acceptance", "route_summary", "handoff", NULL},
    {LEDGER_KIND_MCP_CALL, "tool", "caller", "status", NULL},
    {LEDGER_KIND_POLICY_DECIDED, "tool", "risk", "decision", NULL},
    {LEDGER_KIND_APPROVAL_REQUESTED, "approval_id", "tool", "risk", NULL},
    {LEDGER_KIND_APPROVAL_RESOLVED, "approval_id", "status", NULL},
    {LEDGER_KIND_TASK_DELEGATED, "task_id", "peer", NULL},
    {LEDGER_KIND_MEMORY_WRITTEN, "memory_id", NULL},
};

int ledger__schema_fix(lconn *c, ledger_err *err)
{
  return ledger__exec(c, schema_objects, err);
}

static int register_builtins(lconn *c, ledger_err *err)
{
  ledger_txn t = {NULL, c};
  for (size_t i = 0; i < sizeof builtin_kinds / sizeof builtin_kinds[0]; i++) {
    json_t *req = json_array();
    for (int k = 1; builtin_kinds[i][k]; k++)
      json_array_append_new(req, json_string(builtin_kinds[i][k]));
    int rc = ledger_txn_kind_register(&t, builtin_kinds[i][0], req, err);
    json_decref(req);
    if (rc)
      return rc;
  }
  return LEDGER_OK;
}

static int pragma_int(lconn *c, const char *sql, int *out, ledger_err *err)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return ledger__sqlerr(err, c, rc, "read Store header");
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int(st, 0);
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    *out = 0;
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_OK)
    return ledger__sqlerr(err, c, rc, "read Store header");
  return LEDGER_OK;
}

int ledger__check_store(lconn *c, int *version_out, ledger_err *err)
{
  int appid = 0, ver = 0, ntables = 0;
  int rc = pragma_int(c, "PRAGMA application_id", &appid, err);
  if (rc)
    return rc == LEDGER_ERROR ? ledger__errf(err, LEDGER_ENOTSTORE, 0, "%s", err ? err->msg : "")
                              : rc;
  if ((rc = pragma_int(c, "PRAGMA user_version", &ver, err)))
    return rc;
  if ((rc = pragma_int(c, "SELECT count(*) FROM sqlite_master", &ntables, err)))
    return rc;
  if (appid == 0 && ver == 0 && ntables == 0) {
    *version_out = 0; /* empty database: a fresh Store */
    return LEDGER_OK;
  }
  if (appid != LEDGER_APPLICATION_ID)
    return ledger__errf(err, LEDGER_ENOTSTORE, 0, "not a workledger Store (application_id 0x%08x)",
                        (unsigned)appid);
  if (ver > LEDGER_SCHEMA_VERSION)
    return ledger__errf(err, LEDGER_ENEWER, 0,
                        "Store schema version %d is newer than this build supports (%d)", ver,
                        LEDGER_SCHEMA_VERSION);
  *version_out = ver;
  return LEDGER_OK;
}

int ledger__migrate(lconn *c, ledger_err *err)
{
  int ver = 0, rc;
  if ((rc = ledger__exec(c, "BEGIN IMMEDIATE", err)))
    return rc;
  if ((rc = ledger__check_store(c, &ver, err)))
    goto fail;
  if (ver < 1) {
    char sql[96];
    if ((rc = ledger__exec(c, schema_tables, err)) || (rc = ledger__exec(c, schema_objects, err)) ||
        (rc = register_builtins(c, err)))
      goto fail;
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=1",
             LEDGER_APPLICATION_ID);
    if ((rc = ledger__exec(c, sql, err)))
      goto fail;
  }
  /* future: if (ver < 2) { ... PRAGMA user_version=2 } */
  return ledger__exec(c, "COMMIT", err);
fail:
  ledger__exec(c, "ROLLBACK", NULL);
  return rc;
}

/* ---- reader pool ---------------------------------------------------------------------------- */

lconn *ledger__reader_get(ledger *l, ledger_err *err)
{
  lconn *c = NULL;
  pthread_mutex_lock(&l->rmu);
  for (int i = 0; i < l->nreaders; i++)
    if (l->readers[i] && !l->readers[i]->busy) {
      c = l->readers[i];
      c->busy = 1;
      break;
    }
  pthread_mutex_unlock(&l->rmu);
  if (c)
    return c;
  if (ledger__conn_open(&c, l->path, SQLITE_OPEN_READWRITE, &l->opts, err))
    return NULL;
  if (ledger__exec(c, "PRAGMA query_only=1", err)) {
    ledger__conn_close(c);
    return NULL;
  }
  c->busy = 1;
  pthread_mutex_lock(&l->rmu);
  for (int i = 0; i < l->nreaders; i++)
    if (!l->readers[i]) {
      l->readers[i] = c;
      break;
    }
  pthread_mutex_unlock(&l->rmu);
  return c;
}

void ledger__reader_put(ledger *l, lconn *c)
{
  int pooled = 0;
  pthread_mutex_lock(&l->rmu);
  for (int i = 0; i < l->nreaders; i++)
    if (l->readers[i] == c) {
      c->busy = 0;
      pooled = 1;
    }
  pthread_mutex_unlock(&l->rmu);
  if (!pooled)
    ledger__conn_close(c);
}

int ledger__read(ledger *l, ledger_read_fn fn, void *payload, ledger_err *err)
{
  lconn *c = ledger__reader_get(l, err);
  if (!c)
    return err ? err->code : LEDGER_ERROR;
  int rc = ledger__exec(c, "BEGIN", err);
  if (!rc) {
    rc = fn(c, payload, err);
    ledger__exec(c, rc ? "ROLLBACK" : "COMMIT", NULL);
  }
  ledger__reader_put(l, c);
  return rc;
}

/* ---- writer --------------------------------------------------------------------------------- */

#define MAX_BATCH 512

static void *writer_main(void *arg)
{
  ledger *l = arg;
  lconn *c = l->wconn;
  for (;;) {
    pthread_mutex_lock(&l->mu);
    while (!l->head && !l->stop)
      pthread_cond_wait(&l->work_cv, &l->mu);
    if (!l->head && l->stop) {
      pthread_mutex_unlock(&l->mu);
      break;
    }
    ledger_job *batch = l->head, *last = batch;
    int n = 1;
    while (last->next && n < MAX_BATCH) {
      last = last->next;
      n++;
    }
    l->head = last->next;
    if (!l->head)
      l->tail = NULL;
    last->next = NULL;
    pthread_mutex_unlock(&l->mu);

    /* A batch of rerunnable jobs first runs without a SAVEPOINT per job (each one journals every
     * page it touches first); if a job fails, it is rolled back and run again with savepoints. */
    int fast = 1;
    for (ledger_job *j = batch; j; j = j->next)
      fast &= j->rerunnable;
  again:;
    ledger_err berr = {0};
    int brc = exec_cached(c, SQL_BEGIN, &berr);
    int failed = 0, lost = 0;
    for (ledger_job *j = batch; j; j = j->next) {
      if (brc) {
        j->rc = brc;
        if (j->err)
          *j->err = berr;
        continue;
      }
      ledger_txn t = {l, c};
      if (fast) {
        j->rc = j->fn(&t, j->payload, j->err);
        if (j->rc != LEDGER_OK) {
          failed = 1;
          break;
        }
        continue;
      }
      if (exec_cached(c, SQL_SAVEPOINT, j->err)) {
        j->rc = LEDGER_ERROR;
        continue;
      }
      j->rc = j->fn(&t, j->payload, j->err);
      if (j->rc != LEDGER_OK)
        exec_cached(c, SQL_ROLLBACK_TO, NULL);
      exec_cached(c, SQL_RELEASE, NULL);
      if (sqlite3_get_autocommit(c->db)) {
        /* SQLite itself rolled the whole transaction back (disk full, I/O error, ...): nothing
         * of this batch is kept, and no later job may run outside it (its SAVEPOINT would open
         * a transaction of its own and RELEASE would commit it alone) */
        lost = 1;
        break;
      }
    }
    if (lost) {
      for (ledger_job *j = batch; j; j = j->next)
        if (j->rc == LEDGER_OK) {
          j->rc = LEDGER_ERROR;
          if (j->err)
            ledger__errf(j->err, LEDGER_ERROR, 0,
                         "the Store transaction was rolled back by SQLite");
        }
    } else if (!brc && failed) {
      exec_cached(c, SQL_ROLLBACK, NULL);
      if (n > 1) {
        fast = 0;
        l->reruns++; /* writer thread only; read under mu by ledger_stats_get after a commit */
        goto again;
      }
      /* a batch of one: the job's own failure is the outcome */
    } else if (!brc) {
      ledger_err cerr = {0};
      int crc = exec_cached(c, SQL_COMMIT, &cerr);
      if (crc) {
        ledger__exec(c, "ROLLBACK", NULL);
        for (ledger_job *j = batch; j; j = j->next)
          if (j->rc == LEDGER_OK) {
            j->rc = LEDGER_ERROR;
            if (j->err)
              *j->err = cerr;
          }
      }
    }
    pthread_mutex_lock(&l->mu);
    l->commits++;
    l->jobs += (uint64_t)n;
    for (ledger_job *j = batch, *nx; j; j = nx) {
      nx = j->next; /* read before the caller may return and free j */
      j->done = 1;
      pthread_cond_signal(&j->cv);
    }
    pthread_mutex_unlock(&l->mu);
  }
  return NULL;
}

/* ---- checkpoints ----------------------------------------------------------------------------
 * SQLite's auto-checkpoint would copy the WAL into the database file (and fsync it) inside
 * COMMIT, on the writer thread, every 1000 frames. Instead the writer connection runs with
 * wal_autocheckpoint=0 and this WAL hook. At ckpt_frames frames it wakes the checkpointer thread,
 * which runs a PASSIVE checkpoint on its own connection while the writer goes on committing. A
 * passive pass never catches up with a busy writer, and the WAL only restarts from its start
 * when a write transaction begins with every frame backfilled, so once a background pass has
 * finished the writer completes the job inline right after a commit once the frames committed
 * meanwhile are few (else another background pass copies them first), and its next transaction
 * rewinds the WAL. Durability is unchanged: a
 * transaction is durable when its frames are fsynced in the WAL (COMMIT); a checkpoint only
 * copies committed frames and syncs the database file before the WAL may be reused. */

#define CKPT_FRAMES_DEFAULT 4096 /* 16 MiB of 4 KiB frames */
#define CKPT_FINISH_FRAMES 256   /* the most frames the writer copies itself */
#define CKPT_CLOSE_FRAMES 64     /* a smaller WAL is not checkpointed by ledger_close */

static void *ckpt_main(void *arg)
{
  ledger *l = arg;
  pthread_mutex_lock(&l->cmu);
  for (;;) {
    while (!l->ckpt_want && !l->ckpt_stop)
      pthread_cond_wait(&l->ccv, &l->cmu);
    if (l->ckpt_stop)
      break;
    l->ckpt_want = 0;
    l->ckpt_running = 1;
    pthread_mutex_unlock(&l->cmu);
    int nlog = -1, nckpt = -1;
    if (!l->cconn) {
      ledger_err e = {0};
      if (ledger__conn_open(&l->cconn, l->path, SQLITE_OPEN_READWRITE, &l->opts, &e) == LEDGER_OK)
        ledger__exec(l->cconn,
                     l->opts.durability == LEDGER_DURABLE_NORMAL ? "PRAGMA synchronous=NORMAL"
                                                                 : "PRAGMA synchronous=FULL",
                     NULL);
    }
    if (l->cconn)
      sqlite3_wal_checkpoint_v2(l->cconn->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
    pthread_mutex_lock(&l->cmu);
    l->ckpt_running = 0;
    /* everything copied: the WAL restarts at the next write, nothing is left to finish inline */
    l->ckpt_done_upto = nckpt > 0 && nckpt < nlog ? nckpt : 0;
    l->ckpt_bg++;
  }
  pthread_mutex_unlock(&l->cmu);
  return NULL;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int nframes)
{
  ledger *l = arg;
  int finish = 0;
  (void)name;
  int restarted = nframes < l->wal_last;
  l->wal_frames += (uint64_t)(nframes > l->wal_last ? nframes - l->wal_last : nframes);
  l->wal_last = nframes;
  if (restarted) {
    /* the WAL started over (after a full pass, or another process): an old pass's progress
     * no longer describes it */
    pthread_mutex_lock(&l->cmu);
    l->ckpt_done_upto = 0;
    pthread_mutex_unlock(&l->cmu);
  }
  if (nframes < l->ckpt_frames)
    return SQLITE_OK;
  pthread_mutex_lock(&l->cmu);
  if (nframes >= 4 * l->ckpt_frames) {
    /* the background is behind (or not scheduled): checkpoint here, as SQLite would (while a
     * background pass holds the checkpoint lock this returns at once) */
    finish = 1;
  } else if (l->ckpt_running) {
    /* a pass is copying */
  } else if (l->ckpt_done_upto > 0 && nframes - l->ckpt_done_upto <= CKPT_FINISH_FRAMES) {
    /* a pass finished and little was committed meanwhile: copy that here */
    finish = 1;
  } else {
    /* first pass, or another pass over what was committed during the last one */
    if (!l->ckpt_started) {
      if (pthread_create(&l->ckpt, NULL, ckpt_main, l) == 0)
        l->ckpt_started = 1;
    }
    if (l->ckpt_started) {
      l->ckpt_want = 1;
      pthread_cond_signal(&l->ccv);
    } else {
      finish = 1; /* no thread: checkpoint here, as SQLite would */
    }
  }
  if (finish)
    l->ckpt_done_upto = 0;
  pthread_mutex_unlock(&l->cmu);
  if (finish) {
    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    l->ckpt_inline++;
  }
  return SQLITE_OK;
}

static void ckpt_stop(ledger *l)
{
  if (l->ckpt_started) {
    pthread_mutex_lock(&l->cmu);
    l->ckpt_stop = 1;
    pthread_cond_signal(&l->ccv);
    pthread_mutex_unlock(&l->cmu);
    pthread_join(l->ckpt, NULL);
    l->ckpt_started = 0;
  }
  ledger__conn_close(l->cconn);
  l->cconn = NULL;
}

static int tx_submit(ledger *l, ledger_tx_fn fn, void *payload, ledger_err *err, int rerunnable)
{
  if (!l->writer_started)
    return ledger__errf(err, LEDGER_EINVAL, 0, "Store opened read-only");
  ledger_job j = {fn, payload, err, 0, 0, rerunnable, PTHREAD_COND_INITIALIZER, NULL};
  pthread_mutex_lock(&l->mu);
  if (l->tail)
    l->tail->next = &j;
  else
    l->head = &j;
  l->tail = &j;
  pthread_cond_signal(&l->work_cv);
  while (!j.done)
    pthread_cond_wait(&j.cv, &l->mu);
  pthread_mutex_unlock(&l->mu);
  pthread_cond_destroy(&j.cv);
  return j.rc;
}

int ledger_tx(ledger *l, ledger_tx_fn fn, void *payload, ledger_err *err)
{
  return tx_submit(l, fn, payload, err, 0);
}

int ledger_tx_rerunnable(ledger *l, ledger_tx_fn fn, void *payload, ledger_err *err)
{
  return tx_submit(l, fn, payload, err, 1);
}

/* ---- open / close --------------------------------------------------------------------------- */

int ledger_open(ledger **out, const char *path, const ledger_opts *opts, ledger_err *err)
{
  ledger_opts o = LEDGER_OPTS_INIT;
  int rc;
  *out = NULL;
  if (opts)
    o = *opts;
  if (o.readers <= 0)
    o.readers = 4;
  struct stat st;
  if (stat(path, &st) != 0) {
    if (!o.create || o.read_only)
      return ledger__errf(err, LEDGER_ENOTFOUND, errno, "no Store at %s", path);
  } else if (!S_ISREG(st.st_mode)) {
    return ledger__errf(err, LEDGER_ENOTSTORE, 0, "%s is not a Store file", path);
  } else if (st.st_size > 0 && st.st_size < 512) {
    return ledger__errf(err, LEDGER_ENOTSTORE, 0, "%s is not a workledger Store", path);
  }
  ledger *l = calloc(1, sizeof *l);
  if (!l || !(l->path = strdup(path))) {
    free(l);
    return ledger__errf(err, LEDGER_ERROR, ENOMEM, "out of memory");
  }
  l->opts = o;
  pthread_mutex_init(&l->mu, NULL);
  pthread_mutex_init(&l->rmu, NULL);
  pthread_mutex_init(&l->hmu, NULL);
  pthread_mutex_init(&l->cmu, NULL);
  pthread_cond_init(&l->ccv, NULL);
  l->ckpt_frames = CKPT_FRAMES_DEFAULT;
  pthread_cond_init(&l->work_cv, NULL);
  pthread_cond_init(&l->done_cv, NULL);
  l->nreaders = o.readers;
  l->readers = calloc((size_t)o.readers, sizeof *l->readers);
  if (!l->readers) {
    ledger_close(l);
    return ledger__errf(err, LEDGER_ERROR, ENOMEM, "out of memory");
  }
  if (o.read_only) {
    lconn *c = NULL;
    int ver;
    if ((rc = ledger__conn_open(&c, path, SQLITE_OPEN_READONLY, &o, err)))
      goto fail;
    rc = ledger__check_store(c, &ver, err);
    ledger__conn_close(c);
    if (!rc && ver < 1)
      rc = ledger__errf(err, LEDGER_ENOTSTORE, 0, "%s is not a workledger Store", path);
    if (rc)
      goto fail;
    *out = l;
    return LEDGER_OK;
  }
  if ((rc = ledger__conn_open(
           &l->wconn, path, SQLITE_OPEN_READWRITE | (o.create ? SQLITE_OPEN_CREATE : 0), &o, err)))
    goto fail;
  {
    int ver;
    if ((rc = ledger__check_store(l->wconn, &ver, err)))
      goto fail;
  }
  if ((rc = ledger__exec(l->wconn, "PRAGMA journal_mode=WAL", err)))
    goto fail;
  if ((rc = ledger__exec(l->wconn,
                         o.durability == LEDGER_DURABLE_NORMAL ? "PRAGMA synchronous=NORMAL"
                                                               : "PRAGMA synchronous=FULL",
                         err)) ||
      (rc = ledger__exec(l->wconn, "PRAGMA foreign_keys=ON", err)) ||
      /* savepoint (statement) journals in memory: they only serve ROLLBACK TO of one job, and
       * on disk each commit created, wrote and deleted a temp file (bench/README.md) */
      (rc = ledger__exec(l->wconn, "PRAGMA temp_store=MEMORY", err)) ||
      /* checkpoints: see wal_hook; a WAL that grew past 64 MiB is cut back when it restarts */
      (rc = ledger__exec(l->wconn, "PRAGMA journal_size_limit=67108864", err)))
    goto fail;
  sqlite3_wal_autocheckpoint(l->wconn->db, 0);
  sqlite3_wal_hook(l->wconn->db, wal_hook, l);
  if ((rc = ledger__migrate(l->wconn, err)))
    goto fail;
  if (pthread_create(&l->writer, NULL, writer_main, l) != 0) {
    rc = ledger__errf(err, LEDGER_ERROR, errno, "cannot start the writer thread");
    goto fail;
  }
  l->writer_started = 1;
  *out = l;
  return LEDGER_OK;
fail:
  ledger_close(l);
  return rc;
}

void ledger_close(ledger *l)
{
  if (!l)
    return;
  if (l->writer_started) {
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_signal(&l->work_cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->writer, NULL);
  }
  ckpt_stop(l);
  /* The last connection to close would checkpoint the WAL into the database, sync it, and delete
   * the WAL, so that the next process creates (and directory-syncs) it again: most of the cost of
   * a short command like `wrap`. A small WAL is left for the next process instead; under FULL
   * it is committed and fsynced already, and reopening only re-reads it. Not under NORMAL (the
   * WAL may not be synced: the checkpoint on close is what makes a finished command durable),
   * and not while the database file has never been checkpointed into (a Store whose file alone,
   * without its -wal, would look empty). */
  struct stat dbst;
  if (l->wal_last < CKPT_CLOSE_FRAMES && l->opts.durability != LEDGER_DURABLE_NORMAL &&
      stat(l->path, &dbst) == 0 && dbst.st_size > 4096) {
    lconn *all[1] = {l->wconn};
    for (int i = 0; i < 1; i++)
      if (all[i])
        sqlite3_db_config(all[i]->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    for (int i = 0; l->readers && i < l->nreaders; i++)
      if (l->readers[i])
        sqlite3_db_config(l->readers[i]->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  }
  ledger__conn_close(l->wconn);
  for (int i = 0; l->readers && i < l->nreaders; i++)
    ledger__conn_close(l->readers[i]);
  free(l->readers);
  pthread_mutex_destroy(&l->mu);
  pthread_mutex_destroy(&l->rmu);
  ledger__hints_free(l);
  pthread_mutex_destroy(&l->hmu);
  pthread_mutex_destroy(&l->cmu);
  pthread_cond_destroy(&l->ccv);
  pthread_cond_destroy(&l->work_cv);
  pthread_cond_destroy(&l->done_cv);
  free(l->path);
  free(l);
}

void ledger_stats_get(ledger *l, ledger_stats *out)
{
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&l->mu);
  out->commits = l->commits;
  out->jobs = l->jobs;
  out->wal_frames = l->wal_frames;
  out->ckpt_inline = l->ckpt_inline;
  out->reruns = l->reruns;
  pthread_mutex_unlock(&l->mu);
  pthread_mutex_lock(&l->cmu);
  out->ckpt_passes = l->ckpt_bg;
  pthread_mutex_unlock(&l->cmu);
}

const char *ledger_path(const ledger *l)
{
  return l->path;
}
