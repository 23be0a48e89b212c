/* SPDX-License-Identifier: Apache-2.0
 * ledger/scope.c — call scopes: one atomic Store transaction for everything one tool call writes
 * (spec/store.md "One call, one transaction"). A scope belongs to the thread that opened it.
 * While it is open, every ledger_tx() that thread makes on the same Store becomes a *step* of one
 * writer job instead of a job of its own: the first step enqueues the scope's job; the writer,
 * when it reaches that job inside a group-commit batch, runs each step as it arrives (each in a
 * nested savepoint, so a failed step rolls back only its own writes and the caller sees its code
 * exactly as from ledger_tx), and waits for the next one. ledger_scope_commit() runs the last
 * step (the call record) and ends the job: its writes commit with the batch, durably, before
 * commit returns; ledger_scope_abort() rolls every step back. A scope without steps commits its
 * last step as an ordinary job. Between steps the writer waits for the calling thread, so a
 * scope must only span short work (no user interaction, no child process): the MCP core opens
 * one around each handler that is not long-running, and long handlers join it only for their
 * final writes. ledger_scope_commit_async() ends a scope without waiting: the writer calls the
 * caller's callback after the batch's COMMIT (scope_async_complete). */
#include "ledger/ledger_int.h"

#include <stdlib.h>
#include <string.h>

enum { CMD_NONE, CMD_STEP, CMD_COMMIT, CMD_ABORT };

typedef struct defer_step {
  ledger_tx_fn fn;
  void *payload;
  void (*free_fn)(void *);
  struct defer_step *next;
} defer_step;

struct ledger_scope {
  ledger *l;
  pthread_mutex_t mu;
  pthread_cond_t cv_writer; /* a command was posted */
  pthread_cond_t cv_caller; /* the writer finished a step */
  int cmd;
  ledger_tx_fn fn; /* the command's job */
  void *payload;
  ledger_err *err;
  int step_rc;
  int step_done;
  int submitted; /* the scope's job is queued or running */
  int finished;  /* the writer left scope_job (the caller may not post more) */
  int unrun;     /* the writer could not run the job: why holds its error */
  ledger_err why;
  ledger_job job;
  ledger_done_fn done; /* ledger_scope_commit_async: the caller's callback and its argument */
  void *done_arg;
  defer_step *deferred, **defer_end; /* ledger__scope_defer: writes that run at the commit */
  ledger_tx_fn last_fn;              /* the commit's own last step, after the deferred ones */
  void *last_payload;
  ledger_err done_err; /* the outcome's error text for done */
};

static _Thread_local ledger_scope *tls_scope;

static const char SQL_STEP[] = "SAVEPOINT step";
static const char SQL_STEP_UNDO[] = "ROLLBACK TO step";
static const char SQL_STEP_END[] = "RELEASE step";

/* One step inside its own savepoint (writer thread). */
static int run_step(ledger_txn *t, ledger_tx_fn fn, void *payload, ledger_err *err)
{
  int rc = ledger__exec_cached(t->c, SQL_STEP, err);
  if (rc)
    return rc;
  rc = fn(t, payload, err);
  if (rc != LEDGER_OK) {
    (void)ledger__exec_cached(t->c, SQL_STEP_UNDO, NULL);
    ledger__ac_clear(t->l); /* the append cache may hold what was undone */
  }
  (void)ledger__exec_cached(t->c, SQL_STEP_END, NULL);
  return rc;
}

/* The scope's writer job: serves the caller's commands until commit or abort. */
static int scope_job(ledger_txn *t, void *payload, ledger_err *job_err)
{
  ledger_scope *s = payload;
  (void)job_err;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (s->cmd == CMD_NONE)
      pthread_cond_wait(&s->cv_writer, &s->mu);
    int cmd = s->cmd;
    s->cmd = CMD_NONE;
    pthread_mutex_unlock(&s->mu);
    if (cmd == CMD_ABORT) {
      pthread_mutex_lock(&s->mu);
      s->finished = 1;
      pthread_mutex_unlock(&s->mu);
      return ledger__errf(s->err, LEDGER_ERROR, 0, "the call was abandoned; nothing was kept");
    }
    int rc = cmd == CMD_COMMIT ? s->fn(t, s->payload, s->err)
                               : run_step(t, s->fn, s->payload, s->err);
    if (db_autocommit(t->c) && rc == LEDGER_OK)
      rc = ledger__errf(s->err, LEDGER_ERROR, 0, "the Store transaction was rolled back by SQLite");
    pthread_mutex_lock(&s->mu);
    if (cmd == CMD_COMMIT || db_autocommit(t->c)) {
      /* done: the writer releases (or rolls back) the job's savepoint and commits the batch;
       * after a lost transaction every later command is refused */
      s->finished = 1;
      s->step_rc = rc;
      s->step_done = 1;
      pthread_cond_signal(&s->cv_caller);
      pthread_mutex_unlock(&s->mu);
      return rc;
    }
    s->step_rc = rc;
    s->step_done = 1;
    pthread_cond_signal(&s->cv_caller);
  }
}

/* The writer could not run the scope's job (its batch did not begin, or was lost first): the
 * caller, maybe waiting for a step, gets the writer's error and may post nothing more. */
static void scope_unrun(ledger_job *j, int rc, const ledger_err *err)
{
  ledger_scope *s = j->payload;
  pthread_mutex_lock(&s->mu);
  s->finished = 1;
  s->unrun = 1;
  s->step_rc = rc;
  if (err)
    s->why = *err;
  if (s->err && err)
    *s->err = *err;
  s->step_done = 1;
  pthread_cond_signal(&s->cv_caller);
  pthread_mutex_unlock(&s->mu);
}

int ledger_scope_begin(ledger *l, ledger_scope **out, ledger_err *err)
{
  ledger_scope *s;
  *out = NULL;
  if (!l->writer_started)
    return ledger__errf(err, LEDGER_EINVAL, 0, "Store opened read-only");
  if (tls_scope)
    return ledger__errf(err, LEDGER_EINVAL, 0, "a call scope is already open on this thread");
  s = calloc(1, sizeof *s);
  if (!s)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  s->l = l;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv_writer, NULL);
  pthread_cond_init(&s->cv_caller, NULL);
  tls_scope = s;
  *out = s;
  return LEDGER_OK;
}

int ledger__scope_owns(const ledger *l)
{
  return tls_scope && tls_scope->l == l && !tls_scope->finished;
}

/* Posts one command and, for a step, waits for its outcome (calling thread). */
static int post(ledger_scope *s, int cmd, ledger_tx_fn fn, void *payload, ledger_err *err)
{
  int rc;
  pthread_mutex_lock(&s->mu);
  if (s->finished) {
    pthread_mutex_unlock(&s->mu);
    return ledger__errf(err, LEDGER_ERROR, 0, "the call's Store transaction has already ended");
  }
  s->cmd = cmd;
  s->fn = fn;
  s->payload = payload;
  s->err = err;
  s->step_done = 0;
  pthread_cond_signal(&s->cv_writer);
  pthread_mutex_unlock(&s->mu);
  if (!s->submitted) {
    s->submitted = 1;
    memset(&s->job, 0, sizeof s->job);
    s->job.fn = scope_job;
    s->job.payload = s;
    s->job.unrun = scope_unrun;
    pthread_cond_init(&s->job.cv, NULL);
    ledger__job_enqueue(s->l, &s->job);
  }
  if (cmd != CMD_STEP)
    return LEDGER_OK;
  pthread_mutex_lock(&s->mu);
  while (!s->step_done)
    pthread_cond_wait(&s->cv_caller, &s->mu);
  rc = s->step_rc;
  pthread_mutex_unlock(&s->mu);
  return rc;
}

static defer_step *defer_pop(ledger_scope *s)
{
  defer_step *d = s->deferred;
  if (d && !(s->deferred = d->next))
    s->defer_end = &s->deferred;
  return d;
}

static void defer_drop(defer_step *d)
{
  if (d->free_fn)
    d->free_fn(d->payload);
  seal_free_soon(d);
}

int ledger__scope_step(ledger *l, ledger_tx_fn fn, void *payload, ledger_err *err)
{
  ledger_scope *s = tls_scope;
  defer_step *d;
  (void)l;
  /* a write after deferred ones: those run first, as steps, so that the order stays the
   * handler's */
  while ((d = defer_pop(s))) {
    int rc = post(s, CMD_STEP, d->fn, d->payload, err);
    defer_drop(d);
    if (rc != LEDGER_OK)
      return rc;
  }
  return post(s, CMD_STEP, fn, payload, err);
}

int ledger__scope_defer(ledger *l, ledger_tx_fn fn, void *payload, void (*free_fn)(void *))
{
  ledger_scope *s = tls_scope;
  defer_step *d;
  if (!s || s->l != l || s->finished || s->submitted || !(d = calloc(1, sizeof *d)))
    return -1;
  d->fn = fn;
  d->payload = payload;
  d->free_fn = free_fn;
  if (!s->defer_end)
    s->defer_end = &s->deferred;
  *s->defer_end = d;
  s->defer_end = &d->next;
  return 0;
}

/* The deferred writes, then the commit's last step: one writer job (rerun as a whole when its
 * batch is; every deferred write is a function of the Store's state). */
static int deferred_then_last(ledger_txn *t, void *payload, ledger_err *err)
{
  ledger_scope *s = payload;
  for (defer_step *d = s->deferred; d; d = d->next) {
    int rc = d->fn(t, d->payload, err);
    if (rc != LEDGER_OK)
      return rc;
  }
  return s->last_fn(t, s->last_payload, err);
}

static void scope_free(ledger_scope *s)
{
  defer_step *d;
  while ((d = defer_pop(s)))
    defer_drop(d);
  if (tls_scope == s)
    tls_scope = NULL;
  pthread_cond_destroy(&s->cv_writer);
  pthread_cond_destroy(&s->cv_caller);
  pthread_mutex_destroy(&s->mu);
  seal_free_soon(s); /* on the writer, for an asynchronous commit: back to the caller's thread */
}

int ledger_scope_commit(ledger_scope *s, ledger_tx_fn fn, void *payload, ledger_err *err)
{
  int rc;
  if (!s)
    return ledger__errf(err, LEDGER_EINVAL, 0, "no call scope");
  tls_scope = NULL; /* from here on this thread's ledger_tx calls are ordinary jobs again */
  if (!s->submitted) {
    s->last_fn = fn ? fn : ledger__scope_noop;
    s->last_payload = payload;
    rc = fn || s->deferred ? ledger_tx(s->l, deferred_then_last, s, err) : LEDGER_OK;
    scope_free(s);
    return rc;
  }
  if (s->finished) { /* the transaction was lost under an earlier step, or never began */
    rc = ledger__errf(err, LEDGER_ERROR, 0, "the Store transaction was rolled back by SQLite");
    (void)ledger__job_wait(s->l, &s->job);
    if (s->unrun && err)
      *err = s->why;
    scope_free(s);
    return rc;
  }
  if (!fn)
    fn = ledger__scope_noop;
  (void)post(s, CMD_COMMIT, fn, payload, err);
  rc = ledger__job_wait(s->l, &s->job);
  scope_free(s);
  return rc;
}

/* Writer thread, after the batch holding the scope's job: the outcome to the caller's callback. */
static void scope_async_complete(ledger_job *j, int last)
{
  ledger_scope *s = j->payload;
  ledger_done_fn done = s->done;
  void *arg = s->done_arg;
  int rc = j->rc;
  ledger_err e = s->done_err;
  pthread_cond_destroy(&j->cv);
  scope_free(s);
  done(rc, &e, last, arg);
}

static int scope_async_job(ledger_txn *t, void *payload, ledger_err *err)
{
  ledger_scope *s = payload;
  s->last_fn = s->fn;
  s->last_payload = s->payload;
  return deferred_then_last(t, s, err);
}

void ledger_scope_commit_async(ledger_scope *s, ledger_tx_fn fn, void *payload, int rerunnable,
                               ledger_done_fn done, void *arg)
{
  ledger_err e;
  int rc;
  memset(&e, 0, sizeof e);
  if (!s) {
    ledger__errf(&e, LEDGER_EINVAL, 0, "no call scope");
    done(LEDGER_EINVAL, &e, 1, arg);
    return;
  }
  tls_scope = NULL;
  if (!fn)
    fn = ledger__scope_noop;
  s->done = done;
  s->done_arg = arg;
  if (!s->submitted) { /* no earlier step: the last step is an ordinary job of its own */
    s->submitted = 1;
    s->fn = fn;
    s->payload = payload;
    memset(&s->job, 0, sizeof s->job);
    s->job.fn = scope_async_job;
    s->job.payload = s;
    s->job.err = &s->done_err;
    s->job.rerunnable = rerunnable;
    s->job.complete = scope_async_complete;
    pthread_cond_init(&s->job.cv, NULL);
    ledger__job_enqueue(s->l, &s->job);
    return;
  }
  pthread_mutex_lock(&s->mu);
  if (!s->finished) {
    /* the writer waits in scope_job for this command: it runs fn, ends the job and the batch's
     * COMMIT hands the outcome to scope_async_complete */
    s->job.err = &s->done_err;
    s->job.complete = scope_async_complete;
    s->cmd = CMD_COMMIT;
    s->fn = fn;
    s->payload = payload;
    s->err = &s->done_err;
    s->step_done = 0;
    pthread_cond_signal(&s->cv_writer);
    pthread_mutex_unlock(&s->mu);
    return;
  }
  pthread_mutex_unlock(&s->mu);
  /* the transaction was lost under an earlier step, or never began */
  rc = ledger__errf(&e, LEDGER_ERROR, 0, "the Store transaction was rolled back by SQLite");
  (void)ledger__job_wait(s->l, &s->job);
  if (s->unrun)
    e = s->why;
  scope_free(s);
  done(rc, &e, 1, arg);
}

void ledger_scope_abort(ledger_scope *s)
{
  if (!s)
    return;
  tls_scope = NULL;
  if (s->submitted) {
    if (!s->finished)
      (void)post(s, CMD_ABORT, NULL, NULL, NULL);
    (void)ledger__job_wait(s->l, &s->job);
  }
  scope_free(s);
}

int ledger__scope_noop(ledger_txn *t, void *payload, ledger_err *err)
{
  (void)t;
  (void)payload;
  (void)err;
  return LEDGER_OK;
}
