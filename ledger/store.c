/* SPDX-License-Identifier: Apache-2.0
 * ledger/store.c — opening and closing a Store: errors, timestamps, connections and their
 * statement caches, PRAGMAs (WAL, synchronous, foreign keys, temp_store), the reader pool,
 * starting the writer thread (writer.c) after the migrations (schema.c), and closing (a small WAL
 * is left for the next process). It does not know what runs or events mean (txn.c, read.c). */
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
  const char *m = c && (c->db || c->pg) ? db_errmsg(c) : sqlite3_errstr(rc);
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
  /* "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", without printf: one per event */
  const int part[7] = {y, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac};
  static const char width[7] = {4, 2, 2, 2, 2, 2, 3},
                    after[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
  size_t o = 0;
  for (int i = 0; i < 7; i++) {
    int v = part[i];
    for (int d = width[i] - 1; d >= 0; d--, v /= 10)
      out[o + (size_t)d] = (char)('0' + v % 10);
    o += (size_t)width[i];
    out[o++] = after[i];
  }
  out[o] = '\0';
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

int ledger_defers_writes(const ledger *l)
{
  return l && !l->uri;
}

void ledger__rand_hex(char *out, size_t nbytes)
{
  uint8_t buf[64];
  if (nbytes > sizeof buf)
    nbytes = sizeof buf;
  seal_random_id(buf, nbytes);
  seal_hex_encode(out, buf, nbytes);
}

/* ---- connections ---------------------------------------------------------------------------- */

db_stmt *ledger__stmt(lconn *c, const char *sql, ledger_err *err)
{
  for (int i = 0; i < c->ncache; i++)
    if (c->cache[i].sql == sql) {
      db_reset(c->cache[i].st);
      db_clear_bindings(c->cache[i].st);
      return c->cache[i].st;
    }
  db_stmt *st = NULL;
  int rc = ledger__db_prepare(c, sql, SQLITE_PREPARE_PERSISTENT, &st);
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
    db_finalize(c->cache[LCONN_CACHE - 1].st);
    c->cache[LCONN_CACHE - 1].sql = sql;
    c->cache[LCONN_CACHE - 1].st = st;
  }
  return st;
}

int ledger__exec_cached(lconn *c, const char *sql, ledger_err *err)
{
  db_stmt *st = ledger__stmt(c, sql, err);
  int rc;
  if (!st)
    return LEDGER_ERROR;
  rc = db_step(st);
  db_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, sql);
  return LEDGER_OK;
}

int ledger__exec(lconn *c, const char *sql, ledger_err *err)
{
  if (c->pg)
    return ledger__pg_exec(c, sql, err);
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

int ledger__step_done(lconn *c, db_stmt *st, ledger_err *err, const char *what)
{
  int rc = db_step(st);
  db_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, what);
  return LEDGER_OK;
}

void ledger__conn_close(lconn *c)
{
  if (!c)
    return;
  for (int i = 0; i < c->ncache; i++)
    db_finalize(c->cache[i].st);
  if (c->pg)
    ledger__pg_conn_free(c);
  else
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
  /* every connection goes through one of vfs.c's VFSes: the -shm guard (no SIGBUS on a full
   * disk), and for the writer of a FULL Store the WAL buffer too */
  const char *vfs = (flags & LEDGER__OPEN_WALBUF) ? ledger__walbuf_vfs() : ledger__shm_vfs();
  if (!vfs)
    vfs = ledger__shm_vfs();
  int rc = sqlite3_open_v2(path, &c->db, (flags & ~LEDGER__OPEN_WALBUF) | SQLITE_OPEN_NOMUTEX, vfs);
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
  if (l->uri) {
    if (ledger__pg_conn_open(&c, l->uri, 1, &l->opts, err))
      return NULL;
  } else if (ledger__conn_open(&c, l->path, SQLITE_OPEN_READWRITE, &l->opts, err)) {
    return NULL;
  } else if (ledger__exec(c, "PRAGMA query_only=1", err)) {
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

/* ---- open / close --------------------------------------------------------------------------- */

/* The PostgreSQL half of ledger_open: l is set up, l->uri holds the URI. A database without a
 * Store is "no Store" unless o->create (then the migration creates it). */
static int open_pg(ledger *l, const ledger_opts *o, ledger_err *err)
{
  int rc, ver = 0;
  lconn *c = NULL;
  if ((rc = ledger__pg_conn_open(&c, l->uri, o->read_only, o, err)))
    return rc;
  if ((rc = ledger__pg_check_store(c, &ver, err))) {
    ledger__conn_close(c);
    return rc;
  }
  if (ver < 1 && (!o->create || o->read_only)) {
    ledger__conn_close(c);
    return ledger__errf(err, LEDGER_ENOTFOUND, 0, "no Store at %s", l->path);
  }
  if (o->read_only) {
    ledger__conn_close(c);
    return LEDGER_OK;
  }
  l->wconn = c;
  if ((rc = ledger__pg_migrate(c, err)))
    return rc;
  if (pthread_create(&l->writer, NULL, ledger__writer_main, l) != 0)
    return ledger__errf(err, LEDGER_ERROR, errno, "cannot start the writer thread");
  l->writer_started = 1;
  return LEDGER_OK;
}

int ledger_open(ledger **out, const char *path, const ledger_opts *opts, ledger_err *err)
{
  ledger_opts o = LEDGER_OPTS_INIT;
  int rc;
  *out = NULL;
  if (opts)
    o = *opts;
  /* SQLite: one per MCP worker (MCP_DEFAULT_WORKERS), each opened on first use; PostgreSQL:
   * each is a server backend, and its tool calls read through the writer's transaction */
  if (o.readers <= 0)
    o.readers = ledger_store_is_uri(path) ? 4 : 16;
  struct stat st;
  if (ledger_store_is_uri(path)) {
    /* PostgreSQL: see open_pg */
  } else if (stat(path, &st) != 0) {
    if (!o.create || o.read_only)
      return ledger__errf(err, LEDGER_ENOTFOUND, errno, "no Store at %s", path);
  } else if (!S_ISREG(st.st_mode)) {
    return ledger__errf(err, LEDGER_ENOTSTORE, 0, "%s is not a Store file", path);
  } else if (st.st_size > 0 && st.st_size < 512) {
    return ledger__errf(err, LEDGER_ENOTSTORE, 0, "%s is not a workledger Store", path);
  }
  ledger *l = calloc(1, sizeof *l);
  char shown[1024];
  ledger_store_display(shown, sizeof shown, path);
  if (!l || !(l->path = strdup(shown)) || (ledger_store_is_uri(path) && !(l->uri = strdup(path)))) {
    if (l)
      free(l->path);
    free(l);
    return ledger__errf(err, LEDGER_ERROR, ENOMEM, "out of memory");
  }
  l->opts = o;
  l->min_free = ledger__min_free();
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
  if (l->uri) {
    if ((rc = open_pg(l, &o, err))) {
      ledger_close(l);
      return rc;
    }
    *out = l;
    return LEDGER_OK;
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
  /* below the free-space margin a writable Store is not opened: every commit would be refused */
  if ((rc = ledger__space_err(l, 0, err)))
    goto fail;
  if ((rc = ledger__conn_open(&l->wconn, path,
                              SQLITE_OPEN_READWRITE | (o.create ? SQLITE_OPEN_CREATE : 0) |
                                  (o.durability == LEDGER_DURABLE_NORMAL ? 0 : LEDGER__OPEN_WALBUF),
                              &o, err)))
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
  sqlite3_wal_hook(l->wconn->db, ledger__wal_hook, l);
  if ((rc = ledger__migrate(l->wconn, err)))
    goto fail;
  l->ac_on = 1; /* the writer's append cache (hints.c): SQLite only */
  if (pthread_create(&l->writer, NULL, ledger__writer_main, l) != 0) {
    rc = ledger__errf(err, LEDGER_ERROR, errno, "cannot start the writer thread");
    goto fail;
  }
  l->writer_started = 1;
  *out = l;
  return LEDGER_OK;
fail:
  rc = ledger__disk_full_rewrite(path, l->min_free, rc, err, "the Store cannot be opened");
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
  (void)seal_graveyard_drain(); /* what the writer released last */
  ledger__ckpt_stop(l);
  /* The last connection to close would checkpoint the WAL into the database, sync it, and delete
   * the WAL, so that the next process creates (and directory-syncs) it again: most of the cost of
   * a short command like `wrap`. A small WAL is left for the next process instead; under FULL
   * it is committed and fsynced already, and reopening only re-reads it. Not under NORMAL (the
   * WAL may not be synced: the checkpoint on close is what makes a finished command durable),
   * and not while the database file has never been checkpointed into (a Store whose file alone,
   * without its -wal, would look empty). */
  struct stat dbst;
  if (!l->uri && l->wal_last < CKPT_CLOSE_FRAMES && l->opts.durability != LEDGER_DURABLE_NORMAL &&
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
  if (l->uri) {
    memset(l->uri, 0, strlen(l->uri));
    free(l->uri);
  }
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
