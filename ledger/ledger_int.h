/* SPDX-License-Identifier: Apache-2.0
 * ledger/ledger_int.h — private declarations shared by the ledger/ sources: the Store handle,
 * a SQLite connection with its prepared-statement cache, error and binding helpers, the writer
 * thread and schema entry points, the prepare hints and event hash, and the internal run/event
 * loaders and projection builders used by work.c, work_views.c, wrap.c and the tests. Never
 * included from outside ledger/ (tests/unit/ledger may use it to test internals). */
#ifndef WL_LEDGER_LEDGER_INT_H
#define WL_LEDGER_LEDGER_INT_H

#include "crypto/seal.h"
#include "ledger/ledger.h"

#include <pthread.h>
#include "ledger/db.h"
#include <sqlite3.h>
#include <stdarg.h>

#define LCONN_CACHE 64
#define LEDGER_KIND_HINTS 32
#define LEDGER_RUN_HINTS 8
#define LEDGER_AC_KINDS 16
#define LEDGER_AC_RUNS 4
#define LEDGER_KIND_NAMES 256

/* One engine connection (SQLite, or PostgreSQL through pg.c) plus cached prepared statements keyed by the SQL text's address
 * (statements are always string literals / static const strings). */
typedef struct lconn {
  sqlite3 *db;        /* SQLite engine; NULL on PostgreSQL */
  struct pg_conn *pg; /* PostgreSQL engine (pg.c); NULL on SQLite */
  struct {
    const char *sql;
    db_stmt *st;
  } cache[LCONN_CACHE];
  int ncache;
  int busy; /* reader pool: in use */
} lconn;

typedef struct ledger_job {
  ledger_tx_fn fn;
  void *payload;
  ledger_err *err;
  int rc;
  int done;
  int rerunnable;    /* ledger_tx_rerunnable */
  pthread_cond_t cv; /* signalled once when done is set: only this job's caller wakes */
  struct ledger_job *next;
  /* called by the writer (instead of fn) for a job it cannot run: its batch could not begin
   * (a full disk, a busy Store) or was lost before the job's turn; rc and err are the job's
   * outcome. NULL for plain jobs; a call scope's job wakes its caller with it (scope.c). */
  void (*unrun)(struct ledger_job *j, int rc, const ledger_err *err);
  int ran; /* writer: fn was called */
  /* asynchronous jobs (ledger_scope_commit_async): called by the writer after the batch's
   * outcome is known, instead of waking a waiter; it owns the job's memory from then on */
  void (*complete)(struct ledger_job *j, int last); /* last: no later one in this batch */
} ledger_job;

/* The writer's queue (store.c): enqueue a job (the caller keeps it alive until done) and wait
 * until the writer has finished it (its COMMIT durable or failed); returns the job's rc. */
void ledger__job_enqueue(ledger *l, ledger_job *j);
int ledger__job_wait(ledger *l, ledger_job *j);
/* Call scopes (scope.c): 1 when the calling thread has an open scope on `l`; then ledger_tx
 * runs `fn` as one step of the scope's job. ledger__scope_noop is an empty last step. */
int ledger__scope_owns(const ledger *l);
int ledger__scope_step(ledger *l, ledger_tx_fn fn, void *payload, ledger_err *err);
int ledger__scope_noop(ledger_txn *t, void *payload, ledger_err *err);
/* Defers a write of the calling thread's open scope on `l` to the scope's commit, where it runs
 * in the same writer job just before the commit's last step (and is rerun with it): for a
 * handler whose write needs nothing back from the Store but its success. Only before the
 * scope's first step (the writer is not waiting for this thread yet); a later step first runs
 * the deferred writes as steps of their own, in order. `free_fn(payload)` (may be NULL) runs
 * once the scope ends, on whichever thread ends it. Returns 0, or -1 when it cannot defer (no
 * such scope, a step already ran, out of memory): then the caller writes now (ledger_tx) and
 * keeps `payload`. A deferred write that fails fails the whole call's commit. */
int ledger__scope_defer(ledger *l, ledger_tx_fn fn, void *payload, void (*free_fn)(void *));

struct ledger {
  char *path; /* the SQLite file, or the PostgreSQL URI shown without its password */
  char *uri;  /* PostgreSQL: the connection URI (may hold a password: never logged); else NULL */
  ledger_opts opts;
  lconn *wconn; /* used only by the writer thread once started */
  pthread_t writer;
  int writer_started;
  pthread_mutex_t mu;
  pthread_cond_t work_cv;
  pthread_cond_t done_cv;
  ledger_job *head, *tail;
  int stop;
  /* reader pool */
  pthread_mutex_t rmu;
  lconn **readers;
  int nreaders;
  /* stats (bench) */
  uint64_t commits, jobs;
  _Atomic uint64_t reruns;  /* stats: written by the writer, read by ledger_stats_get */
  _Atomic int fail_commits; /* ledger_fault_commits: COMMITs still to fail (tests) */
  /* WAL checkpoints off the commit path (writer.c): the writer's WAL hook wakes the checkpointer
   * thread (own connection, PASSIVE) when the WAL holds ckpt_frames frames, and finishes a
   * checkpoint inline only for the few frames committed while a background pass ran (or at
   * 4 x ckpt_frames when the background cannot keep up) so that the WAL restarts. */
  int ckpt_frames;
  pthread_mutex_t cmu;
  pthread_cond_t ccv;
  pthread_t ckpt;
  int ckpt_started, ckpt_want, ckpt_stop, ckpt_running;
  int ckpt_done_upto; /* WAL frames backfilled by the last finished background pass */
  lconn *cconn;       /* the checkpointer's connection */
  _Atomic uint64_t ckpt_bg, ckpt_inline; /* stats: background passes, inline finishes */
  _Atomic uint64_t wal_frames;           /* stats: frames written (by the writer's WAL hook) */
  int wal_last;                          /* WAL size at the previous hook call */
  /* hints for ledger_event_prepare (hints.c): kinds and run producers the writer has read */
  pthread_mutex_t hmu;
  struct {
    char kind[64];
    char schema_hash[LEDGER_HASH_MAX];
    char names[LEDGER_KIND_NAMES]; /* required members, "a\0b\0\0" */
  } kinds[LEDGER_KIND_HINTS];
  int nkinds;
  struct {
    char run_id[LEDGER_ID_MAX];
    char producer[LEDGER_ID_MAX];
    int has_producer;
  } runs[LEDGER_RUN_HINTS];
  int next_run_hint;
  /* the writer's append cache (hints.c, used by txn.c append_core; SQLite only): the last runs
   * appended to with their producer and next seq, and the kinds read. Validated once per write
   * transaction against PRAGMA data_version (another process committed: dropped), dropped on
   * every rollback, and guarded by the events table itself: a stale seq, a closed run or a
   * replayed key makes the insert fail a trigger or constraint, and the append reruns the full
   * path, which reads everything again. Writer thread only. */
  int ac_on;        /* set before the writer starts (SQLite) */
  uint64_t txn_gen; /* write transactions begun by the writer */
  struct {
    uint64_t gen; /* txn_gen when data_version was last read */
    long long data_version;
    struct ledger_ac_run {
      char run_id[LEDGER_ID_MAX]; /* "" = free */
      char producer[LEDGER_ID_MAX];
      int has_producer;
      int64_t next_seq;
    } runs[LEDGER_AC_RUNS];
    int next_run;
    struct {
      char kind[64];
      char schema_hash[LEDGER_HASH_MAX];
      char *required; /* the kind's required_payload text */
    } kinds[LEDGER_AC_KINDS];
    int nkinds;
  } ac;
  /* free space and commit health (space.c): the margin, and the writer's last outcome (under
   * mu): commit_failed while the last write transaction did not commit, commit_full when that
   * failure was the disk being full */
  int64_t min_free;
  int commit_failed, commit_full;
  uint64_t commit_failures;
  char commit_msg[200];
};

struct ledger_txn {
  ledger *l;
  lconn *c;
};

/* Fill err (may be NULL) and return code. */
int ledger__errf(ledger_err *err, int code, int cause, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* err from the connection's last SQLite error: code LEDGER_ERROR unless mapped. */
int ledger__sqlerr(ledger_err *err, lconn *c, int rc, const char *what);

/* The PostgreSQL side of db.c (pg.c): prepare (SQLite's ?N parameters translated), the last
 * error message / SQLite-mapped code, rows changed by the last statement, and 1 when idle. */
int ledger__pg_prepare(lconn *c, const char *sql, struct pg_stmt **out);
const char *ledger__pg_errmsg(lconn *c);
int ledger__pg_errcode(lconn *c);
int ledger__pg_changes(lconn *c);
int ledger__pg_idle(lconn *c);
/* PostgreSQL sessions (pg_store.c): open a connection to uri (read_only: a reader, every transaction
 * REPEATABLE READ READ ONLY); free its PostgreSQL half (ledger__conn_close); run SQL text with
 * the simple protocol (several statements allowed). */
int ledger__pg_conn_open(lconn **out, const char *uri, int read_only, const ledger_opts *o,
                         ledger_err *err);
void ledger__pg_conn_free(lconn *c);
int ledger__pg_exec(lconn *c, const char *sql, ledger_err *err);

/* Schema (pg_schema.c): check a database (*version_out 0: empty, a fresh Store), migrate it,
 * re-create the re-runnable objects, and the names of the triggers it requires (NULL past the
 * last). */
int ledger__pg_check_store(lconn *c, int *version_out, ledger_err *err);
int ledger__pg_migrate(lconn *c, ledger_err *err);
int ledger__pg_schema_fix(lconn *c, ledger_err *err);
const char *ledger__pg_trigger_name(size_t i);

/* Several nodes on one PostgreSQL Store (pg_store.c; no-ops on SQLite, where BEGIN IMMEDIATE
 * serialises every writer): lock_run takes the run's row lock until the transaction ends (the
 * next seq and the idempotency check then see every committed event of the run); lock_key an
 * advisory transaction lock on "ns:key" (a work id's claim, a lock resource). */
int ledger__lock_run(lconn *c, const char *run_id, ledger_err *err);
int ledger__lock_key(lconn *c, const char *ns, const char *key, ledger_err *err);
/* The built-in event kinds (schema.c), registered by both engines' migrations. */
int ledger__register_builtins(lconn *c, ledger_err *err);

/* db_prepare with SQLite's prepare flags (SQLITE_PREPARE_PERSISTENT for the cache; db.c). */
int ledger__db_prepare(lconn *c, const char *sql, unsigned flags, db_stmt **out);

/* Prepared statement from the cache (reset, bindings cleared). NULL on error (err filled). */
db_stmt *ledger__stmt(lconn *c, const char *sql, ledger_err *err);
int ledger__exec(lconn *c, const char *sql, ledger_err *err);
/* The same through the connection's statement cache (for statements run on every job: BEGIN,
 * SAVEPOINT, RELEASE, ...): no parse per call. */
int ledger__exec_cached(lconn *c, const char *sql, ledger_err *err);
/* Steps a statement that returns no row and resets it; err from `what` unless SQLITE_DONE. */
int ledger__step_done(lconn *c, db_stmt *st, ledger_err *err, const char *what);
/* Text binding (copied) and optional text binding (NULL binds SQL NULL). */
#define BIND_TEXT(st, i, s) db_bind_text((st), (i), (s), -1, SQLITE_TRANSIENT)
#define BIND_OPT(st, i, s) ((s) ? BIND_TEXT(st, i, s) : db_bind_null((st), (i)))
/* Length (1..4) of the well-formed UTF-8 sequence at p (no overlongs, surrogates or code points
 * above U+10FFFF; at most `avail` bytes read), 0 when there is none (txn.c). */
int ledger__utf8_seq(const unsigned char *p, size_t avail);
/* 1 when s is an id: well-formed UTF-8 without control characters, 1..LEDGER_ID_MAX-1 bytes
 * (txn.c). */
int ledger__valid_id_text(const char *s);
/* Opens a connection; flags are SQLite's open flags, plus LEDGER__OPEN_WALBUF for the writer
 * connection of a synchronous=FULL Store (its WAL writes gathered per commit, vfs.c). */
#define LEDGER__OPEN_WALBUF 0x40000000
int ledger__conn_open(lconn **out, const char *path, int flags, const ledger_opts *o,
                      ledger_err *err);
/* The name of the "wl-walbuf" VFS (vfs.c), registered on first use; NULL when the default VFS
 * cannot be wrapped (then the default is used). Only for connections whose every commit syncs. */
#define LEDGER_WALBUF_VFS "wl-walbuf"
const char *ledger__walbuf_vfs(void);
/* The name of the "wl-shm" VFS (vfs.c): the default VFS with only the -shm guard of vfs.c (the
 * wal-index file's blocks allocated before SQLite uses a mapped region; SQLITE_FULL instead of
 * SIGBUS on a full disk). Every other connection of a Store opens through it; NULL when the
 * default VFS cannot be wrapped. */
#define LEDGER_SHM_VFS "wl-shm"
const char *ledger__shm_vfs(void);
void ledger__conn_close(lconn *c);

/* The write path (writer.c): the writer thread's start routine (arg: the ledger), the WAL hook
 * of the writer connection (arg: the ledger), and stopping the checkpointer thread and closing
 * its connection (ledger_close). */
void *ledger__writer_main(void *arg);
int ledger__wal_hook(void *arg, sqlite3 *db, const char *name, int nframes);
void ledger__ckpt_stop(ledger *l);
#define CKPT_FRAMES_DEFAULT 4096 /* 16 MiB of 4 KiB frames */
#define CKPT_CLOSE_FRAMES 64     /* a smaller WAL is not checkpointed by ledger_close */

/* Reader pool. */
lconn *ledger__reader_get(ledger *l, ledger_err *err);
void ledger__reader_put(ledger *l, lconn *c);

/* Schema. */
int ledger__migrate(lconn *c, ledger_err *err);
int ledger__check_store(lconn *c, int *version_out, ledger_err *err);
/* Names of the triggers the schema requires (NULL-terminated). */
extern const char *const ledger__triggers[];
/* Re-create missing triggers/indexes/views (IF NOT EXISTS). */
int ledger__schema_fix(lconn *c, ledger_err *err);

/* Canonical helpers. */
int ledger__canon(char **out, size_t *len, const json_t *v, ledger_err *err);
int ledger__hash_prefixed(char out[LEDGER_HASH_MAX], const json_t *v, ledger_err *err);
int ledger__digest_obj(json_t **out, const json_t *v,
                       ledger_err *err); /* {algorithm,value,canonicalization} */
json_t *ledger__digest_text(const char *text, size_t len, const char *canonicalization);
int ledger__kind_schema_hash(char out[LEDGER_HASH_MAX], const char *kind, const json_t *required,
                             ledger_err *err);
/* Random lowercase hex of n bytes into out (2n+1). */
void ledger__rand_hex(char *out, size_t nbytes);
int ledger__valid_ts(const char *ts);

/* Work loop (work.c): the string member k of args, NULL when absent or empty. */
const char *ledger__arg_str(const json_t *args, const char *k);
/* Column i of the current row as text (NULL for SQL NULL). */
#define COLTXT(st, i) ((const char *)db_column_text((st), (i)))

/* Loaders over any connection (no transaction handling). */
int ledger__run_json(lconn *c, const char *run_id, json_t **out, ledger_err *err);
int ledger__events_json(lconn *c, const char *run_id, json_t **out, ledger_err *err);
/* Motus work-run object for the export (schema_version, run_id, work_id?, status, started_at,
 * closed_at?, producer_id?, outcome_status?). */
int ledger__export_json(lconn *c, const char *run_id, const char *exported_at, json_t **out,
                        ledger_err *err);
/* Resolve a lease id or run id to a run id (LEDGER_ENOTFOUND). */
int ledger__resolve_id(lconn *c, const char *id, char run_id[LEDGER_ID_MAX], ledger_err *err);

/* Projection: build the Work Receipt from a store export (pure). runtime borrowed (object);
 * created_at; events_uri may be NULL; key may be NULL (unsigned). */
typedef struct ledger_receipt_params {
  const json_t *runtime;
  const char *created_at;
  const char *events_uri;
  const seal_key *key;
  const char *signer;
} ledger_receipt_params;
int ledger__receipt_build(const json_t *store_export, const ledger_receipt_params *p, json_t **out,
                          ledger_err *err);
int ledger__manifest_build(const json_t *store_export, const json_t *receipt,
                           const char *projection_id, json_t **out, ledger_err *err);

/* Store a receipt / fetch the stored one of a run (kind motus.work-receipt). */
int ledger__receipt_of_run(lconn *c, const char *run_id, json_t **out, ledger_err *err);

/* Prepare hints (hints.c): kinds and run producers the writer has read. The put functions copy
 * their arguments (required: the kind's required members as JSON array text); kind_hint_get
 * fills schema_hash and returns 1 when the kind is known and payload has every required member;
 * run_hint_get fills producer ("" and *has = 0 when the run has none) and returns 1 when the run
 * is known. */
void ledger__kind_hint_put(ledger *l, const char *kind, const char *schema_hash,
                           const char *required);
int ledger__kind_hint_get(ledger *l, const char *kind, const json_t *payload, const char *text,
                          size_t text_len, char schema_hash[LEDGER_HASH_MAX]);
void ledger__run_hint_put(ledger *l, const char *run_id, const char *producer);
int ledger__run_hint_get(ledger *l, const char *run_id, char producer[LEDGER_ID_MAX], int *has);
/* The writer's append cache (struct ledger ac). ac_begin: at the first append of a write
 * transaction, reads PRAGMA data_version and drops the cache when another connection committed;
 * returns 1 when the cache may be used on `c`. ac_clear: drops it (every rollback). ac_kind /
 * ac_run: the cached kind (1, its fields set) or run, else 0 / NULL. ac_put_run / ac_put_kind:
 * remember what the full path read (copies). */
int ledger__ac_begin(ledger *l, lconn *c);
void ledger__ac_clear(ledger *l);
int ledger__ac_kind(ledger *l, const char *kind, const char **schema_hash, const char **required);
struct ledger_ac_run *ledger__ac_run(ledger *l, const char *run_id);
void ledger__ac_put_run(ledger *l, const char *run_id, const char *producer, int64_t next_seq);
void ledger__ac_put_kind(ledger *l, const char *kind, const char *schema_hash,
                         const char *required);
/* Frees the prepare hints and the append cache (ledger_close). */
void ledger__hints_free(ledger *l);

/* The content event id (event_hash.c): begin hashes every member up to "seq": (producer_id may
 * be NULL); finish copies the begun state, adds seq and writes "sha256:<hex>". */
void ledger__event_hash_begin(seal_sha256_ctx *h, const char *run_id, const char *kind,
                              const char *key, const char *occurred_at, const char *payload_txt,
                              size_t payload_len, const char *payload_hash, const char *producer_id,
                              const char *schema_hash);
void ledger__event_hash_finish(const seal_sha256_ctx *begun, int64_t seq,
                               char out[LEDGER_HASH_MAX]);

/* Free space (space.c). ledger__min_free: the margin of a Store opened now (bytes;
 * $WORKLEDGER_MIN_FREE_BYTES, default LEDGER_MIN_FREE_DEFAULT). ledger__free_bytes: bytes
 * available to unprivileged writers on the filesystem holding `path`, -1 when unknown.
 * ledger__space_err: LEDGER_OK when at least `need` bytes beyond the margin are free (or the
 * free space is unknown), else LEDGER_ERROR with the one-line disk-full message in err.
 * ledger__disk_full_rewrite: after a failed open or statement whose cause is a full disk (or an
 * I/O error while the disk is below the margin), replaces err's message with the disk-full one
 * (`what`: "cannot be opened", ...); returns err's code. ledger__commit_outcome: the writer
 * records a batch's outcome (ok 1: committed; else the failure's err, may be NULL). */
#define LEDGER_MIN_FREE_DEFAULT (4 * 1024 * 1024)
int64_t ledger__min_free(void);
int64_t ledger__free_bytes(const char *path);
int ledger__space_err(ledger *l, int64_t need, ledger_err *err);
int ledger__disk_full_rewrite(const char *path, int64_t min_free, int code, ledger_err *err,
                              const char *what);
void ledger__commit_outcome(ledger *l, int ok, const ledger_err *err);

/* Readers: run fn with a read connection inside BEGIN/COMMIT. */
typedef int (*ledger_read_fn)(lconn *c, void *payload, ledger_err *err);
int ledger__read(ledger *l, ledger_read_fn fn, void *payload, ledger_err *err);

#endif
