/* SPDX-License-Identifier: Apache-2.0
 * ledger/writer.c — the write path of an open Store: ledger_tx() / ledger_tx_rerunnable() queue
 * a job and wait; the writer thread group-commits the queued jobs (each in a SAVEPOINT of one
 * BEGIN IMMEDIATE transaction, or without savepoints for a batch of rerunnable jobs, rerun with
 * them if one fails); and the WAL hook and background checkpointer keep checkpoints off the
 * commit path. store.c starts the writer (ledger_open) and stops both threads (ledger_close). */
#include "ledger/ledger_int.h"

#include <pthread.h>
#include <stdatomic.h>

/* Transaction control on the writer runs once or more per job: prepared once, stepped after. The
 * statement cache is keyed by the address of the SQL text, hence these named arrays. */
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_SAVEPOINT[] = "SAVEPOINT job";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO job";
static const char SQL_RELEASE[] = "RELEASE job";
static const char SQL_ROLLBACK[] = "ROLLBACK";

/* ---- writer --------------------------------------------------------------------------------- */

#define MAX_BATCH 512

/* Takes up to MAX_BATCH jobs off the queue, waiting for one; NULL once stopped and drained. */
static ledger_job *take_batch(ledger *l, int *n_out)
{
  pthread_mutex_lock(&l->mu);
  while (!l->head && !l->stop)
    pthread_cond_wait(&l->work_cv, &l->mu);
  if (!l->head && l->stop) {
    pthread_mutex_unlock(&l->mu);
    return NULL;
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
  *n_out = n;
  return batch;
}

/* Runs the n jobs of batch in one transaction and commits it; sets every job's rc (and err). */
static void run_batch(ledger *l, lconn *c, ledger_job *batch, int n)
{
  /* A batch of rerunnable jobs first runs without a SAVEPOINT per job (each one journals every
   * page it touches first); if a job fails, it is rolled back and run again with savepoints. */
  int fast = 1;
  for (ledger_job *j = batch; j; j = j->next)
    fast &= j->rerunnable;
again:;
  ledger_err berr = {0};
  /* below the free-space margin nothing is begun: the jobs fail with the disk-full message
   * before SQLite can run out of room halfway through the WAL */
  int brc = ledger__space_err(l, 0, &berr);
  if (!brc && (brc = ledger__exec_cached(c, SQL_BEGIN, &berr)))
    brc = ledger__disk_full_rewrite(l->path, l->min_free, brc, &berr, "nothing was written");
  l->txn_gen++; /* the append cache checks data_version again (hints.c) */
  int failed = 0, lost = 0;
  for (ledger_job *j = batch; j; j = j->next)
    j->ran = 0;
  for (ledger_job *j = batch; j; j = j->next) {
    if (brc) {
      j->rc = brc;
      if (j->err)
        *j->err = berr;
      if (j->unrun)
        j->unrun(j, brc, &berr);
      continue;
    }
    ledger_txn t = {l, c};
    j->ran = 1;
    if (fast) {
      j->rc = j->fn(&t, j->payload, j->err);
      if (j->rc != LEDGER_OK) {
        failed = 1;
        break;
      }
      continue;
    }
    if (ledger__exec_cached(c, SQL_SAVEPOINT, j->err)) {
      j->rc = LEDGER_ERROR;
      continue;
    }
    j->rc = j->fn(&t, j->payload, j->err);
    if (j->rc != LEDGER_OK) {
      ledger__exec_cached(c, SQL_ROLLBACK_TO, NULL);
      ledger__ac_clear(l); /* what it cached of its own writes is undone */
    }
    ledger__exec_cached(c, SQL_RELEASE, NULL);
    if (db_autocommit(c)) {
      /* SQLite itself rolled the whole transaction back (disk full, I/O error, ...): nothing
         * of this batch is kept, and no later job may run outside it (its SAVEPOINT would open
         * a transaction of its own and RELEASE would commit it alone) */
      lost = 1;
      break;
    }
  }
  if (brc) {
    ledger__commit_outcome(l, 0, &berr);
  } else if (lost) {
    ledger_err lerr = {0};
    ledger__ac_clear(l);
    ledger__errf(&lerr, LEDGER_ERROR, db_errcode(c),
                 "the Store transaction was rolled back by SQLite: %s", db_errmsg(c));
    ledger__disk_full_rewrite(l->path, l->min_free, LEDGER_ERROR, &lerr, "nothing was kept");
    ledger__commit_outcome(l, 0, &lerr);
    for (ledger_job *j = batch; j; j = j->next) {
      if (j->rc == LEDGER_OK || !j->ran) {
        j->rc = LEDGER_ERROR;
        if (j->err)
          *j->err = lerr;
      }
      if (!j->ran && j->unrun)
        j->unrun(j, LEDGER_ERROR, &lerr);
    }
  } else if (!brc && failed) {
    ledger__exec_cached(c, SQL_ROLLBACK, NULL);
    ledger__ac_clear(l);
    if (n > 1) {
      fast = 0;
      l->reruns++; /* writer thread only; read under mu by ledger_stats_get after a commit */
      goto again;
    }
    /* a batch of one: the job's own failure is the outcome (a full disk also counts against
     * the Store's health) */
    if (batch->err && ((batch->err->cause & 0xff) == SQLITE_FULL ||
                       ((batch->err->cause & 0xff) == SQLITE_IOERR &&
                        ledger__space_err(l, 0, NULL) != LEDGER_OK))) {
      ledger__disk_full_rewrite(l->path, l->min_free, batch->rc, batch->err, "nothing was kept");
      ledger__commit_outcome(l, 0, batch->err);
    }
  } else if (!brc) {
    ledger_err cerr = {0};
    int crc = atomic_load(&l->fail_commits) > 0 && atomic_fetch_sub(&l->fail_commits, 1) > 0
                  ? ledger__errf(&cerr, LEDGER_ERROR, 0, "injected COMMIT failure")
                  : ledger__exec_cached(c, SQL_COMMIT, &cerr);
    if (crc)
      ledger__disk_full_rewrite(l->path, l->min_free, crc, &cerr, "nothing of it was kept");
    ledger__commit_outcome(l, crc == LEDGER_OK, &cerr);
    if (crc) {
      ledger__exec(c, "ROLLBACK", NULL);
      ledger__ac_clear(l);
      for (ledger_job *j = batch; j; j = j->next)
        if (j->rc == LEDGER_OK) {
          j->rc = LEDGER_ERROR;
          if (j->err)
            *j->err = cerr;
        }
    }
  }
}

/* Counts the batch, wakes each waiting job's caller, then completes the asynchronous jobs
 * (outside the queue mutex: their callbacks answer clients). */
static void batch_done(ledger *l, ledger_job *batch, int n)
{
  ledger_job *async = NULL, **at = &async;
  pthread_mutex_lock(&l->mu);
  l->commits++;
  l->jobs += (uint64_t)n;
  for (ledger_job *j = batch, *nx; j; j = nx) {
    nx = j->next; /* read before the caller may return and free j */
    if (j->complete) {
      j->next = NULL;
      *at = j;
      at = &j->next;
      continue;
    }
    j->done = 1;
    pthread_cond_signal(&j->cv);
  }
  pthread_mutex_unlock(&l->mu);
  /* what the callbacks release was allocated by the threads that made the calls: it goes back
   * to the graveyard, which the next submitter drains (crypto/graveyard.c) */
  seal_graveyard_begin();
  for (ledger_job *j = async, *nx; j; j = nx) {
    nx = j->next; /* complete() frees j */
    j->complete(j, nx == NULL);
  }
  seal_graveyard_end();
}

void *ledger__writer_main(void *arg)
{
  ledger *l = arg;
  lconn *c = l->wconn;
  ledger_job *batch;
  int n;
  while ((batch = take_batch(l, &n))) {
    run_batch(l, c, batch, n);
    batch_done(l, batch, n);
  }
  seal_graveyard_thread_end();
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

#define CKPT_FINISH_FRAMES 256 /* the most frames the writer copies itself */

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
    /* Frames backfilled by this pass. Even a complete pass leaves the frames committed while it
     * ran (a busy writer always commits some), and the WAL restarts only when a write begins
     * with every frame backfilled: the writer finishes those few inline after its next commit.
     * Setting 0 here made every later commit start another background pass (two fsyncs each)
     * until a commit happened to land between passes. */
    l->ckpt_done_upto = nckpt > 0 ? nckpt : 0;
    l->ckpt_bg++;
  }
  pthread_mutex_unlock(&l->cmu);
  return NULL;
}

int ledger__wal_hook(void *arg, sqlite3 *db, const char *name, int nframes)
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

void ledger__ckpt_stop(ledger *l)
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

void ledger__job_enqueue(ledger *l, ledger_job *j)
{
  pthread_mutex_lock(&l->mu);
  if (l->tail)
    l->tail->next = j;
  else
    l->head = j;
  l->tail = j;
  pthread_cond_signal(&l->work_cv);
  pthread_mutex_unlock(&l->mu);
}

int ledger__job_wait(ledger *l, ledger_job *j)
{
  pthread_mutex_lock(&l->mu);
  while (!j->done)
    pthread_cond_wait(&j->cv, &l->mu);
  pthread_mutex_unlock(&l->mu);
  pthread_cond_destroy(&j->cv);
  return j->rc;
}

static int tx_submit(ledger *l, ledger_tx_fn fn, void *payload, ledger_err *err, int rerunnable)
{
  if (!l->writer_started)
    return ledger__errf(err, LEDGER_EINVAL, 0, "Store opened read-only");
  if (ledger__scope_owns(l)) /* inside a call scope: a step of the call's one transaction */
    return ledger__scope_step(l, fn, payload, err);
  ledger_job j = {fn,   payload, err, 0,   0, rerunnable, PTHREAD_COND_INITIALIZER,
                  NULL, NULL,    0,   NULL};
  ledger__job_enqueue(l, &j);
  return ledger__job_wait(l, &j);
}

void ledger_fault_commits(ledger *l, int n)
{
  atomic_store(&l->fail_commits, n);
}

int ledger_tx(ledger *l, ledger_tx_fn fn, void *payload, ledger_err *err)
{
  return tx_submit(l, fn, payload, err, 0);
}

int ledger_tx_rerunnable(ledger *l, ledger_tx_fn fn, void *payload, ledger_err *err)
{
  return tx_submit(l, fn, payload, err, 1);
}
