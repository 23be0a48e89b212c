/* SPDX-License-Identifier: Apache-2.0
 * ledger/ledger.h — the public interface of the Store: a SQLite file (WAL, synchronous=FULL by
 * default), or a PostgreSQL database named by a postgresql:// URI (spec/store.md §1a), holding Motus runs and append-only events, event-kind versions, fenced locks, and our
 * own tables (receipts, approvals, memories with FTS5 and optional embedding vectors, leases as a
 * view of runs). Writes go
 * through ledger_tx(): one writer thread holds the write connection and commits the jobs of all
 * in-flight callers in one transaction (group commit; each job in its own SAVEPOINT, so a failing
 * job rolls back alone). ledger_tx() returns only after the COMMIT is durable. Reads use their
 * own connections (a small pool) and see only committed data. Several processes may share one
 * Store file (BEGIN IMMEDIATE + busy timeout). The schema and projection rules are in
 * spec/store.md. Nothing here prints; errors come back as codes plus an optional ledger_err.
 *
 * Thread-safety: a `ledger *` may be used from any number of threads at once (ledger_tx and the
 * read functions); ledger_close() must not race with other calls. A `ledger_txn *` is valid only
 * inside the callback it was passed to, on the writer thread.
 *
 * Timestamps: every stored timestamp is RFC 3339 UTC text with millisecond precision,
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" (LEDGER_TS_LEN chars). Caller-supplied timestamps must use exactly
 * this form or the second-precision form "YYYY-MM-DDTHH:MM:SSZ" (stored as given). */
#ifndef WL_LEDGER_LEDGER_H
#define WL_LEDGER_LEDGER_H

#include "crypto/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define LEDGER_WUR __attribute__((warn_unused_result))
#else
#define LEDGER_WUR
#endif

#define LEDGER_SCHEMA_VERSION 4
#define LEDGER_APPLICATION_ID 0x574c4447 /* "WLDG" */
#define LEDGER_ID_MAX 128                /* max length of any id we store, incl. NUL */
#define LEDGER_TS_LEN 24                 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
#define LEDGER_TS_MAX 32                 /* buffer size for a timestamp */
#define LEDGER_HASH_MAX 72               /* "sha256:" + 64 hex + NUL */

#include "ledger/kinds.h" /* LEDGER_KIND_*: the built-in event kind names */

/* The codes the Store returns: aliases into the one code space of crypto/err.h. */
typedef enum ledger_rc {
  LEDGER_OK = WL_OK,
  LEDGER_ERROR = WL_ERROR, /* unexpected: SQLite I/O, out of memory (cause = SQLite extended rc) */
  LEDGER_ENOTFOUND = WL_ENOTFOUND, /* run, lease, event, receipt or approval does not exist */
  LEDGER_EINVAL = WL_EINVAL,   /* bad input: unknown kind, missing payload member, bad word, real */
  LEDGER_ECLOSED = WL_ECLOSED, /* the run is closed and accepts no more events */
  LEDGER_EBUSY = WL_EBUSY,     /* the resource is held (active lease / lock) */
  LEDGER_ECONFLICT = WL_ECONFLICT, /* an idempotency key or id replayed with different content */
  LEDGER_ENOTSTORE = WL_ENOTSTORE, /* the file is not a workledger Store (application_id, tables) */
  LEDGER_ENEWER = WL_ENEWER,       /* the Store has a newer schema than this build understands */
  LEDGER_ECORRUPT = WL_ECORRUPT,   /* stored facts fail a check (hash, seq, integrity) */
  LEDGER_EEXPIRED = WL_EEXPIRED,   /* the lease expired */
  LEDGER_ESTALE = WL_ESTALE,       /* fencing token no longer current (lock taken over) */
} ledger_rc;

/* The error struct of crypto/err.h: code (a ledger_rc), cause (SQLite extended rc, errno, or
 * 0), msg (one line, no trailing newline). */
typedef wl_err ledger_err;

/* Static one-line description of a ledger_rc. */
const char *ledger_strerror(int rc);

typedef struct ledger ledger;
typedef struct ledger_txn ledger_txn;

typedef enum ledger_durability {
  LEDGER_DURABLE_FULL = 0,   /* synchronous=FULL: a returned ledger_tx survives power loss */
  LEDGER_DURABLE_NORMAL = 1, /* synchronous=NORMAL: survives a process crash, not power loss */
} ledger_durability;

typedef struct ledger_opts {
  int version;                  /* LEDGER_OPTS_VERSION */
  ledger_durability durability; /* default FULL */
  int create;                   /* 1: create the file (and parent dir must exist) if missing */
  int read_only;                /* 1: never write (no migration, no writer thread) */
  int busy_timeout_ms;          /* 0 = default 5000 */
  int readers;                  /* read-connection pool; 0 = 16 (SQLite), 4 (PostgreSQL) */
} ledger_opts;
#define LEDGER_OPTS_VERSION 1
/* clang-format off */
#define LEDGER_OPTS_INIT {LEDGER_OPTS_VERSION, LEDGER_DURABLE_FULL, 0, 0, 0, 0}
/* clang-format on */

/* Open (and with opts->create, create) the Store at `path`; migrate it to LEDGER_SCHEMA_VERSION
 * unless read_only. `opts` may be NULL (= LEDGER_OPTS_INIT: open existing, durable).
 * @param[out] out new: free with ledger_close(); NULL on failure.
 * @return LEDGER_OK; LEDGER_ENOTFOUND (missing file and !create); LEDGER_ENOTSTORE (not a
 *         workledger Store: other application_id, or not SQLite); LEDGER_ENEWER (user_version
 *         above LEDGER_SCHEMA_VERSION); LEDGER_ERROR. */
int ledger_open(ledger **out, const char *path, const ledger_opts *opts,
                ledger_err *err) LEDGER_WUR;
/* 1 when path is a PostgreSQL connection URI (starts with postgresql:// or postgres://): then
 * ledger_open uses the PostgreSQL engine (spec/store.md "Engines"); anything else is a SQLite
 * file path. */
int ledger_store_is_uri(const char *path);
/* 1 when l is a SQLite Store: inside a call scope, evidence (ledger_work_evidence) then checks
 * its lease on a reader connection and defers its append to the call's commit, so it never
 * waits for the writer; 0 on PostgreSQL (the lease check takes row locks in a step) or l NULL. */
int ledger_defers_writes(const ledger *l);
/* path as it may be shown or logged: a URI's password (user:PASSWORD@, password=...) replaced
 * by ***; a file path unchanged. Writes at most cap bytes (NUL-terminated) to out. */
void ledger_store_display(char *out, size_t cap, const char *path);
/* Copies every stored fact of src into dst (any engines; spec/store.md "Moving a Store"): kinds,
 * runs, events, locks, receipts, approvals, memories and their vectors, call replays, in key
 * order, in batches of one transaction each on dst. Rows dst has already are skipped (resumable,
 * idempotent); every event is verified first (canonical payload, payload_hash, event_id) and one
 * that fails stops the copy (LEDGER_ECORRUPT); another event at the same place in dst is
 * LEDGER_ECONFLICT. stats may be NULL; rows[i] counts the rows of table ledger_copy_table_name(i)
 * (NULL past the last). src and dst borrowed; they must be different Stores. */
#define LEDGER_COPY_TABLES 9
typedef struct ledger_copy_stats {
  int64_t rows[LEDGER_COPY_TABLES];
  int64_t written, skipped;
} ledger_copy_stats;
int ledger_store_copy(ledger *src, ledger *dst, ledger_copy_stats *stats, ledger_err *err);
const char *ledger_copy_table_name(size_t i);
/* Stop the writer (after finishing queued jobs) and close every connection. NULL is a no-op. */
void ledger_close(ledger *l);
/* The path given to ledger_open (a URI without its password); borrowed from l. */
const char *ledger_path(const ledger *l);

/* Counters of this handle's writer since ledger_open (for logs and benchmarks). */
typedef struct ledger_stats {
  uint64_t commits;     /* write transactions (group commits) */
  uint64_t jobs;        /* ledger_tx jobs in them */
  uint64_t wal_frames;  /* WAL frames (pages) those commits wrote */
  uint64_t ckpt_passes; /* background checkpoint passes */
  uint64_t ckpt_inline; /* checkpoints finished on the writer thread */
  uint64_t reruns;      /* batches of rerunnable jobs run again with savepoints */
} ledger_stats;
void ledger_stats_get(ledger *l, ledger_stats *out);

/* Whether the Store can record anything now (spec/store.md "Full disks"): the free space on its
 * filesystem against the margin ($WORKLEDGER_MIN_FREE_BYTES, default 4 MiB; below it the writer
 * refuses every transaction with a disk-full error before touching SQLite), and the outcome of
 * the writer's last transaction. ok is 0 while the free space is below the margin (reason
 * "disk_full"), or while the last transaction failed to commit for another cause (reason
 * "commit_failed", until a transaction commits again); a commit refused for a full disk stops
 * counting once the space is back. Every field is filled; strings are static or in *out. */
typedef struct ledger_health {
  int ok;
  const char *reason;       /* static: "ok", "disk_full", "commit_failed" */
  char message[256];        /* one line, for people */
  int64_t free_bytes;       /* available to unprivileged writers; -1 when unknown */
  int64_t min_free_bytes;   /* the margin */
  int last_commit_failed;   /* 1 while the writer's last transaction did not commit */
  uint64_t commit_failures; /* transactions that did not commit since ledger_open */
} ledger_health;
void ledger_health_get(ledger *l, ledger_health *out);

/* The free-space check before a large write outside the Store (an export of `need` bytes):
 * LEDGER_OK when `need` bytes beyond the margin are free on the Store's filesystem (or the
 * free space cannot be known), else LEDGER_ERROR with the one-line disk-full message in err
 * (may be NULL). */
int ledger_space_check(ledger *l, int64_t need, ledger_err *err) LEDGER_WUR;
/* The same check on the filesystem holding `dir` (borrowed; an export directory that may live
 * on another disk than the Store), against the Store's margin. LEDGER_OK or LEDGER_ERROR with
 * the one-line disk-full message naming `dir` in err (may be NULL). */
int ledger_space_check_dir(ledger *l, const char *dir, int64_t need, ledger_err *err) LEDGER_WUR;

/* ---- writing: group commit ------------------------------------------------------------------ */

/* A job: runs on the writer thread inside a SAVEPOINT of the shared transaction. Return
 * LEDGER_OK to keep its writes, a negative ledger_rc to roll them back (that value is returned
 * by ledger_tx). Fill `err` (the caller's, may be NULL) through ledger_txn functions' err args.
 * Must not block on anything but the Store and must not call ledger_tx (deadlock). */
typedef int (*ledger_tx_fn)(ledger_txn *t, void *payload, ledger_err *err);

/* Run `fn` on the writer thread; returns after the COMMIT containing its writes is durable, with
 * fn's return code (or LEDGER_ERROR if the COMMIT failed, in which case nothing was kept).
 * `err` may be NULL. */
int ledger_tx(ledger *l, ledger_tx_fn fn, void *payload, ledger_err *err) LEDGER_WUR;
/* ledger_tx for a job that may run more than once: fn acts only through `t` and on its own
 * payload's outputs, which a later run overwrites (no other side effects, nothing consumed). A
 * batch made only of such jobs runs without a SAVEPOINT per job; if one fails, the batch is
 * rolled back and run again with savepoints, so the outcome is that of ledger_tx. */
int ledger_tx_rerunnable(ledger *l, ledger_tx_fn fn, void *payload, ledger_err *err) LEDGER_WUR;

/* Fault injection for tests: the next `n` COMMITs of the writer fail as a failed COMMIT does
 * (the batch is rolled back; its jobs get LEDGER_ERROR). */
void ledger_fault_commits(ledger *l, int n);

/* Call scopes: one atomic transaction for everything one tool call writes (ledger/scope.c,
 * spec/store.md "One call, one transaction"). ledger_scope_begin opens a scope on the calling
 * thread; until it ends, every ledger_tx / ledger_tx_rerunnable that thread makes on `l` runs as
 * a step of ONE writer job (a failed step rolls back only its own writes and returns its code as
 * ledger_tx would; its later steps still run), and nothing is durable yet. ledger_scope_commit
 * runs `fn` (may be NULL) as the last step and returns after the COMMIT holding every step is
 * durable, with fn's code (LEDGER_ERROR if the COMMIT failed: then nothing of the scope was
 * kept); ledger_scope_abort rolls every step back. Either frees the scope (stolen). Between
 * steps the writer waits for this thread: keep a scope short (no user interaction, no child
 * process in it). One scope per thread at a time.
 * @return ledger_scope_begin: LEDGER_OK (*out new), LEDGER_EINVAL (read-only Store, or a scope
 * already open on this thread), LEDGER_ERROR (out of memory). */
typedef struct ledger_scope ledger_scope;
int ledger_scope_begin(ledger *l, ledger_scope **out, ledger_err *err) LEDGER_WUR;
int ledger_scope_commit(ledger_scope *s, ledger_tx_fn fn, void *payload, ledger_err *err);
void ledger_scope_abort(ledger_scope *s);
/* ledger_scope_commit without the wait: queues `fn` (may be NULL) as the last step and returns at
 * once. done(rc, err, arg) is then called exactly once, with the outcome ledger_scope_commit
 * would have returned (err borrowed, valid during the call): on the writer thread after the
 * COMMIT is durable or failed, or on this thread before this returns when the scope had
 * already ended. `payload` and `arg` are borrowed until done runs; done must be short and must
 * not call into this Store's write path (it runs on the writer thread). `rerunnable` says that
 * fn only appends, as for ledger_tx_rerunnable (used when the scope had no earlier step). The
 * scope is stolen. A group commit thus needs no thread waiting per call (spec/store.md). `last`
 * is 1 when no other done of the same batch follows (the writer is about to go on to the next
 * batch, or done runs on the calling thread): callers may gather work over a batch (answers
 * written in one system call) and finish it then. */
typedef void (*ledger_done_fn)(int rc, const ledger_err *err, int last, void *arg);
void ledger_scope_commit_async(ledger_scope *s, ledger_tx_fn fn, void *payload, int rerunnable,
                               ledger_done_fn done, void *arg);

/* Replay of calls made with an idempotency key (ledger/replay.c): the answer of the first call
 * of (caller, key), kept so that a retry gets it again without doing the work twice.
 * ledger_txn_replay_put: all strings borrowed; LEDGER_ECONFLICT when (caller, key) is taken.
 * ledger_replay_get: LEDGER_OK with args_hash (LEDGER_HASH_MAX), invocation_id
 * (LEDGER_ID_MAX) and *result_out (new, malloc'd text, free()) filled; LEDGER_ENOTFOUND. */
int ledger_txn_replay_put(ledger_txn *t, const char *caller, const char *key, const char *args_hash,
                          const char *invocation_id, const char *result,
                          ledger_err *err) LEDGER_WUR;
int ledger_replay_get(ledger *l, const char *caller, const char *key, char *args_hash,
                      char *invocation_id, char **result_out, ledger_err *err) LEDGER_WUR;

/* Current time as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out[LEDGER_TS_MAX]. */
void ledger_now(char out[LEDGER_TS_MAX]);
/* Parse a stored/accepted timestamp to milliseconds since the epoch; LEDGER_EINVAL if bad. */
int ledger_ts_parse(int64_t *ms_out, const char *ts) LEDGER_WUR;
/* Format ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void ledger_ts_format(char out[LEDGER_TS_MAX], int64_t ms);

/* -- runs -- */
typedef struct ledger_run_in {
  const char *run_id;      /* NULL: generate "run_<20-digit ns>_<12 hex>" */
  const char *work_id;     /* may be NULL */
  const char *producer_id; /* e.g. "workledger.cli", "workledger.mcp"; may be NULL */
  const char *started_at;  /* NULL: now */
} ledger_run_in;

/* Open a run (status "open"). Replaying an existing run_id with the same work_id is OK
 * (*replayed_out = 1); different work_id → LEDGER_ECONFLICT.
 * @param run_id_out receives the run id (LEDGER_ID_MAX bytes). replayed_out may be NULL.
 * @return LEDGER_OK, LEDGER_EINVAL, LEDGER_ECONFLICT, LEDGER_ERROR. */
int ledger_txn_run_open(ledger_txn *t, const ledger_run_in *in, char run_id_out[LEDGER_ID_MAX],
                        int *replayed_out, ledger_err *err) LEDGER_WUR;

/* -- events -- */
typedef struct ledger_event_in {
  const char *run_id;
  const char *event_kind;      /* must be registered in kind_versions */
  const char *idempotency_key; /* non-empty; unique per run */
  const char *occurred_at;     /* NULL: now */
  const char *producer_id;     /* NULL: the run's producer_id (may stay NULL) */
  const json_t *payload; /* borrowed; an object; no reals; must hold the kind's required members */
} ledger_event_in;

typedef struct ledger_event_ref {
  int64_t seq;
  char event_id[LEDGER_HASH_MAX]; /* "sha256:<hex>" */
  int replayed;                   /* 1 when the idempotency key already existed */
} ledger_event_ref;

/* Append one event at seq = last+1 of its run. The event_id, payload_hash and schema_hash are
 * computed per the Motus work-event schema (spec/store.md). A replayed (run_id, idempotency_key)
 * with an identical payload returns the original event (out->replayed = 1, no new row), even on
 * a closed run; with a different payload → LEDGER_ECONFLICT.
 * @return LEDGER_OK, LEDGER_ENOTFOUND (run), LEDGER_ECLOSED, LEDGER_EINVAL, LEDGER_ECONFLICT,
 *         LEDGER_ERROR. `out` may be NULL. */
int ledger_txn_event_append(ledger_txn *t, const ledger_event_in *in, ledger_event_ref *out,
                            ledger_err *err) LEDGER_WUR;

/* Close a run: appends `closing` (its event_kind defaults to "work.closed" when NULL; payload
 * must contain outcome.status, and closed_at is taken from outcome.closed_at or else the event's
 * occurred_at) and marks the run closed with outcome_status/closed_at. Closing an already closed
 * run with the same idempotency key is a replay (OK, out->replayed = 1); otherwise
 * LEDGER_ECLOSED. @return as ledger_txn_event_append. */
int ledger_txn_run_close(ledger_txn *t, const ledger_event_in *closing, ledger_event_ref *out,
                         ledger_err *err) LEDGER_WUR;

/* An event serialised and hashed before the write transaction, on the caller's thread, so that
 * the writer thread only looks up the run, the kind and seq, finishes the event id and inserts:
 * the payload is canonicalised and hashed here, occurred_at (NULL: now) is fixed here, and the
 * canonical event is hashed up to its last member (seq) when the kind and the run's producer
 * are already known to this process. The appended event is byte-identical to
 * ledger_txn_event_append's; anything the writer finds different from what was assumed here
 * (kind, producer) is recomputed there. Validation errors (EINVAL) come from prepare.
 * `in` is borrowed (the prep keeps the payload's canonical text, and a reference to the
 * payload only when the writer may need it). Free with
 * ledger_event_prep_free; a prep may be appended in any ledger_tx of the same Store. */
typedef struct ledger_event_prep ledger_event_prep;
int ledger_event_prepare(ledger *l, const ledger_event_in *in, ledger_event_prep **out,
                         ledger_err *err) LEDGER_WUR;
/* As ledger_event_prepare, for a caller that already has the payload as canonical text (Motus
 * flavour: seal_canon_members, or seal_canon with SEAL_CANON_MOTUS): `in->payload` must be NULL,
 * and `text` (new, NUL-terminated, `len` bytes) is stolen, on failure too. The caller vouches
 * that it is canonical (doctor recomputes every stored payload). The kind's required members
 * are looked up among its top-level keys; the writer parses the text when a hint was wrong. */
int ledger_event_prepare_text(ledger *l, const ledger_event_in *in, char *text, size_t len,
                              ledger_event_prep **out, ledger_err *err) LEDGER_WUR;
int ledger_txn_event_append_prepared(ledger_txn *t, const ledger_event_prep *p,
                                     ledger_event_ref *out, ledger_err *err) LEDGER_WUR;
void ledger_event_prep_free(ledger_event_prep *p);

/* Register an event kind: schema_hash = sha256 of canonical {schema_version:
 * "motus.event-kind-schema.v0.1", event_kind, required_payload}. `required_payload` borrowed,
 * array of strings (order matters). Re-registering identically is OK; differently →
 * LEDGER_ECONFLICT. The four Motus reference kinds and our own kinds (spec/store.md) are
 * registered by the migration. */
int ledger_txn_kind_register(ledger_txn *t, const char *event_kind, const json_t *required_payload,
                             ledger_err *err) LEDGER_WUR;

/* -- fenced locks -- */
/* Acquire `resource` for `holder` until expires_at (NULL = no expiry). A lock that is free or
 * whose expires_at <= now is taken over; the fencing token increases by one on every
 * acquisition and never decreases. @param token_out the new fencing token.
 * @return LEDGER_OK, LEDGER_EBUSY (held and not expired; err names the holder), LEDGER_ERROR. */
int ledger_txn_lock_acquire(ledger_txn *t, const char *resource, const char *holder,
                            const char *expires_at, int64_t *token_out, ledger_err *err) LEDGER_WUR;
/* Release if `token` is still current; LEDGER_ESTALE otherwise (someone took it over),
 * LEDGER_ENOTFOUND for an unknown resource. */
int ledger_txn_lock_release(ledger_txn *t, const char *resource, int64_t token,
                            ledger_err *err) LEDGER_WUR;
/* LEDGER_OK if `token` is the current token of a held lock on `resource`, else LEDGER_ESTALE. */
int ledger_txn_lock_check(ledger_txn *t, const char *resource, int64_t token,
                          ledger_err *err) LEDGER_WUR;

/* -- receipts we issued -- */
/* Store a signed artifact. `json` borrowed (stored as canonical text). Same id + same text is a
 * no-op; same id + different text → LEDGER_ECONFLICT. run_id/task_id may be NULL. */
int ledger_txn_receipt_put(ledger_txn *t, const char *receipt_id, const char *kind,
                           const char *run_id, const char *task_id, const json_t *json,
                           ledger_err *err) LEDGER_WUR;
/* The stored text of a receipt body (canonical; compact sorted JSON when it holds reals), for
 * callers that serialise on their own thread: *out new (free()), *len its length. */
int ledger_receipt_text(const json_t *json, char **out, size_t *len, ledger_err *err) LEDGER_WUR;
/* ledger_txn_receipt_put with the text from ledger_receipt_text (borrowed). */
int ledger_txn_receipt_put_text(ledger_txn *t, const char *receipt_id, const char *kind,
                                const char *run_id, const char *task_id, const char *txt,
                                size_t len, ledger_err *err) LEDGER_WUR;

/* -- approvals -- */
typedef struct ledger_approval_in {
  const char *approval_id; /* NULL: generate "appr_<uuid4>" */
  const char *tool;
  const char *args_hash; /* "sha256:<hex>" of the canonical arguments */
  int risk;              /* 0..4 */
  const char *caller;    /* caller identity text */
  const json_t *request; /* borrowed, may be NULL: extra context stored with the row */
} ledger_approval_in;
/* Create a pending approval. @param id_out receives the id (LEDGER_ID_MAX). Existing id →
 * LEDGER_ECONFLICT. */
int ledger_txn_approval_create(ledger_txn *t, const ledger_approval_in *in,
                               char id_out[LEDGER_ID_MAX], ledger_err *err) LEDGER_WUR;
/* Resolve a pending approval: status "approved" or "denied"; reason may be NULL; decision
 * (borrowed, may be NULL) is the signed ApprovalDecision. LEDGER_ENOTFOUND; LEDGER_ECONFLICT if
 * already resolved (differently or not); LEDGER_EINVAL for another status word. */
int ledger_txn_approval_resolve(ledger_txn *t, const char *approval_id, const char *status,
                                const char *reason, const json_t *decision,
                                ledger_err *err) LEDGER_WUR;

/* -- memories -- */
/* Store a memory (content indexed by FTS5). sensitivity: free word ("none", "personal", ...);
 * confidence 0..100. @param id_out receives "mem_<uuid4>" (LEDGER_ID_MAX). */
int ledger_txn_memory_put(ledger_txn *t, const char *content, const char *sensitivity,
                          int confidence, char id_out[LEDGER_ID_MAX], ledger_err *err) LEDGER_WUR;

#define LEDGER_VECTOR_MAX_DIMS 16384 /* most components of a stored embedding */
#define LEDGER_MODEL_MAX 200         /* most bytes of an embedding model name */
/* Store the embedding of memory `memory_id` (borrowed; a memory of this transaction or an
 * earlier one): `dims` finite floats (borrowed, copied as IEEE-754 binary32 little-endian) made
 * by `model` (borrowed, 1..LEDGER_MODEL_MAX bytes). One vector per memory.
 * @return LEDGER_OK; LEDGER_EINVAL (no such memory, dims 0 or above LEDGER_VECTOR_MAX_DIMS, a
 * non-finite component, a bad model name); LEDGER_ECONFLICT (the memory has a vector already);
 * LEDGER_ERROR. */
int ledger_txn_memory_vector_put(ledger_txn *t, const char *memory_id, const char *model,
                                 const float *vector, size_t dims, ledger_err *err) LEDGER_WUR;

/* -- lease housekeeping -- */
/* Mark every active lease whose expires_at <= now as "expired" (never deleted; its run stays
 * open). @param count_out may be NULL. */
int ledger_txn_leases_expire(ledger_txn *t, int *count_out, ledger_err *err) LEDGER_WUR;

/* ---- reading -------------------------------------------------------------------------------- */

/* A run as JSON: {run_id, work_id?, status, started_at, closed_at?, outcome_status?, producer_id?,
 * event_count, lease?:{lease_id, status, expires_at, actor_id, fencing_token}}.
 * @param[out] out new on success. @return LEDGER_OK, LEDGER_ENOTFOUND, LEDGER_ERROR. */
int ledger_run_get(ledger *l, const char *run_id, json_t **out, ledger_err *err) LEDGER_WUR;

/* Runs, newest first (started_at DESC, run_id ASC). open_only: only status "open". limit 0 =
 * 100. @param[out] out new: array of run objects as ledger_run_get. */
int ledger_run_list(ledger *l, int open_only, int limit, json_t **out, ledger_err *err) LEDGER_WUR;

/* The events of a run in seq order, each exactly the Motus work-event object (schema_version,
 * event_id, run_id, seq, event_kind, occurred_at, idempotency_key, payload_hash, schema_hash,
 * payload, producer_id?). @param[out] out new: array. */
int ledger_run_events(ledger *l, const char *run_id, json_t **out, ledger_err *err) LEDGER_WUR;

/* A stored receipt (parsed, new) by id: a receipts row (Work Receipts, ExecutionReceipts,
 * approval records), else the ToolInvocationReceipt embedded in the mcp.call event of that
 * invocation id (spec/store.md "One call, one event"). LEDGER_ENOTFOUND. */
int ledger_receipt_get(ledger *l, const char *receipt_id, json_t **out, ledger_err *err) LEDGER_WUR;
/* Receipts of a run or a task (either may be NULL, not both), oldest first: array of
 * {receipt_id, kind, run_id?, task_id?, created_at, json}. new. */
int ledger_receipt_list(ledger *l, const char *run_id, const char *task_id, json_t **out,
                        ledger_err *err) LEDGER_WUR;

/* Receipts of one `kind` (e.g. "motebit.execution-receipt"), newest first (created_at DESC,
 * receipt_id), at most `limit` (0 = 100): array of {receipt_id, kind, run_id?, task_id?,
 * created_at, json}. @param[out] out new. @return LEDGER_OK, LEDGER_EINVAL (kind
 * NULL), LEDGER_ERROR. */
int ledger_receipt_list_kind(ledger *l, const char *kind, int limit, json_t **out,
                             ledger_err *err) LEDGER_WUR;

/* One approval: {approval_id, tool, args_hash, risk, caller, status, reason?, request?,
 * decision?, created_at, resolved_at?}. new. LEDGER_ENOTFOUND. */
int ledger_approval_get(ledger *l, const char *approval_id, json_t **out,
                        ledger_err *err) LEDGER_WUR;
/* Approvals with `status` ("pending", "approved", "denied", or NULL for all), oldest first.
 * new: array. */
int ledger_approval_list(ledger *l, const char *status, json_t **out, ledger_err *err) LEDGER_WUR;

/* How many events of `kind` (borrowed) occurred at or after `since` (borrowed, a Store timestamp
 * as ledger_now writes it): the console's calls per minute and recent auth failures.
 * @return LEDGER_OK, LEDGER_EINVAL (kind or since NULL), LEDGER_ERROR. */
int ledger_event_count_since(ledger *l, const char *kind, const char *since, int64_t *n_out,
                             ledger_err *err) LEDGER_WUR;

/* ---- projections (pure functions of stored facts; spec/store.md) ----------------------------- */

/* The canonical Motus store export of one run: {schema_version:"motus.store-export.v0.1",
 * exported_at, canonicalization, runs:[run], events:[...]}. exported_at is the run's closed_at
 * (or its last event's occurred_at while open). @param[out] out new. */
int ledger_export_run(ledger *l, const char *run_id, json_t **out, ledger_err *err) LEDGER_WUR;

/* ---- checks (doctor) ------------------------------------------------------------------------ */

/* Run every consistency check and return {status:"pass"|"fail", checks:[{name, status
 * "pass"|"warn"|"fail", message}]}: schema version, integrity_check, foreign keys, triggers
 * present, event hashes recomputed, seq contiguity, closed-run consistency, expired leases.
 * With `fix`, creates missing triggers/indexes and marks expired leases (never deletes).
 * @param[out] out new. @return LEDGER_OK (even when checks fail), LEDGER_ERROR. */
int ledger_doctor(ledger *l, int fix, json_t **out, ledger_err *err) LEDGER_WUR;

/* ---- the motebit service surface (ledger/service.c, ledger/recall.c) ----------------------- */

/* `receipts.kind` of the signed ExecutionReceipts motebit_task stores (one row per task). */
#define LEDGER_KIND_EXECUTION_RECEIPT "motebit.execution-receipt"
#define LEDGER_RECALL_MAX 1000 /* most lexical, and most nearest, candidates of one recall */

/* What the stored ExecutionReceipts say, by their `status` member. Times are the receipts' own
 * epoch-millisecond members (never "now"), 0 when no receipt carries them. */
typedef struct ledger_task_stats {
  int64_t completed, failed, denied; /* receipts with that status */
  int64_t other;                     /* receipts with any other (or no) status */
  int64_t first_ms;                  /* smallest integer submitted_at */
  int64_t last_ms;                   /* largest integer completed_at */
  int64_t latency_sum_ms;            /* sum of completed_at - submitted_at over completed and */
  int64_t latency_n;                 /*   failed receipts having both (>= 0), and their count */
} ledger_task_stats;

/* Counts the receipts of kind LEDGER_KIND_EXECUTION_RECEIPT, only those whose motebit_id equals
 * `motebit_id` (borrowed; NULL = all). Nested delegation_receipts are not rows and not counted.
 * `out` borrowed, zeroed first (and on failure). @return LEDGER_OK or LEDGER_ERROR. */
int ledger_task_stats_get(ledger *l, const char *motebit_id, ledger_task_stats *out,
                          ledger_err *err) LEDGER_WUR;

/* Candidates for motebit_recall (ledger/recall.c), restricted to memories whose sensitivity is
 * one of `sensitivities` (memories of any other sensitivity are filtered in SQL and never read).
 * The words of `query` are FTS5's own unicode61 tokens (case and diacritics folded, punctuation
 * dropped; at most LEDGER_RECALL_WORDS distinct ones, the first in the query); a memory is a
 * lexical candidate when ANY of them occurs in it (literal words OR-ed: no FTS5 syntax reaches
 * SQLite). Lexical candidates come best bm25 first (ties newest first), at most `limit`. With
 * `model` and `vector`, the `nearest` stored vectors of that model and dimension closest to
 * `vector` (cosine) are candidates too, appended after the lexical ones (best first) unless
 * already there. Every row: {memory_id, content, sensitivity, confidence 0..100, created_at,
 * lexical (real in [0, 1]: the cosine of the binary word sets of query and content, i.e.
 * shared / sqrt(query words x content words); 1 for the same words), bm25 (real, lower =
 * better; only for lexical candidates), cosine (real in [-1, 1]; only when the memory has a
 * vector of `model` with `dims` components)}. */
#define LEDGER_RECALL_WORDS 64
typedef struct ledger_recall_opts {
  const char *query;                /* borrowed, required */
  const char *const *sensitivities; /* borrowed NULL-terminated array, required */
  int limit;                        /* lexical candidates: 0 = 20, capped at LEDGER_RECALL_MAX */
  const char *model;                /* embedding model, borrowed; NULL = lexical only */
  const float *vector;              /* the query's embedding (dims floats), borrowed, or NULL */
  size_t dims;
  int nearest; /* semantic candidates: 0 = limit, capped at LEDGER_RECALL_MAX */
} ledger_recall_opts;
/* clang-format off */
#define LEDGER_RECALL_OPTS_INIT {NULL, NULL, 0, NULL, NULL, 0, 0}
/* clang-format on */

/* @param[out] out new: the array of candidates described above; a query without words and
 *             without a vector gives [].
 * @return LEDGER_OK, LEDGER_EINVAL (query or sensitivities NULL), LEDGER_ERROR. */
int ledger_memory_recall_ex(ledger *l, const ledger_recall_opts *opts, json_t **out,
                            ledger_err *err) LEDGER_WUR;
/* ledger_memory_recall_ex without vectors. */
int ledger_memory_recall(ledger *l, const char *query, const char *const *sensitivities, int limit,
                         json_t **out, ledger_err *err) LEDGER_WUR;

/* The memories whose sensitivity is one of `sensitivities` (borrowed NULL-terminated array),
 * newest first, at most `limit` (0 = 100, capped at LEDGER_RECALL_MAX). (ledger/read.c)
 * @param[out] out new: array of {memory_id, content, sensitivity, confidence 0..100, created_at}.
 * @return LEDGER_OK, LEDGER_EINVAL (sensitivities NULL), LEDGER_ERROR. */
int ledger_memory_list(ledger *l, const char *const *sensitivities, int limit, json_t **out,
                       ledger_err *err) LEDGER_WUR;

#endif
