/* SPDX-License-Identifier: Apache-2.0
 * ledger/schema.c — the Store's schema: the tables, the re-runnable indexes, views and
 * append-only triggers (ledger__schema_fix, used by doctor --fix), the built-in event kinds,
 * the application_id / user_version check of a Store file and the user_version migrations. */
#include "ledger/ledger_int.h"

#include <stdio.h>

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

/* Version 2: answers kept for replay of calls made with an idempotency key (ledger/replay.c,
 * spec/store.md "Replay"). */
static const char schema_v2[] = "CREATE TABLE call_replays("
                                " caller TEXT NOT NULL,"
                                " idempotency_key TEXT NOT NULL,"
                                " args_hash TEXT NOT NULL,"
                                " invocation_id TEXT NOT NULL,"
                                " result TEXT NOT NULL,"
                                " created_at TEXT NOT NULL,"
                                " PRIMARY KEY(caller, idempotency_key)) WITHOUT ROWID;"
                                "PRAGMA user_version=2;";

/* Version 3: the embedding of a memory, when an embeddings endpoint is configured
 * (ledger/recall.c, spec/store.md "Service queries"): IEEE-754 binary32 little-endian
 * components, and the model that made them (vectors of different models are never compared). */
static const char schema_v3[] =
    "CREATE TABLE memory_vectors("
    " memory_id TEXT PRIMARY KEY NOT NULL REFERENCES memories(memory_id) ON DELETE CASCADE,"
    " model TEXT NOT NULL CHECK(length(model) BETWEEN 1 AND 200),"
    " dims INTEGER NOT NULL CHECK(dims BETWEEN 1 AND 16384),"
    " vector BLOB NOT NULL CHECK(length(vector) = 4 * dims),"
    " created_at TEXT NOT NULL);"
    "PRAGMA user_version=3;";

/* Version 4: events in an ordinary rowid table, without the UNIQUE index on event_id
 * (spec/store.md "Schema version 4"). A WITHOUT ROWID table keeps at most about 1000 bytes of a
 * row on its b-tree page and spills the rest to an overflow page of its own, so every event of
 * 1-2 KB took a leaf share plus one 4 KiB overflow page; a rowid table keeps such rows whole, two
 * or three to a page. event_id is a hash over the run and seq among the rest, so (run_id, seq)
 * already makes it unique, and nothing looks an event up by it: its index was a random-order
 * b-tree written on every append and never read. The rows are copied as they are (same bytes,
 * same hashes); the trigger on runs that names events is dropped first and recreated with the
 * table's own triggers by schema_objects. */
static const char schema_v4[] =
    "DROP TRIGGER IF EXISTS runs_close_needs_event;"
    "CREATE TABLE events_v4("
    " run_id TEXT NOT NULL REFERENCES runs(run_id),"
    " seq INTEGER NOT NULL CHECK(seq >= 1),"
    " event_id TEXT NOT NULL,"
    " event_kind TEXT NOT NULL REFERENCES kind_versions(event_kind),"
    " occurred_at TEXT NOT NULL,"
    " idempotency_key TEXT NOT NULL CHECK(length(idempotency_key) >= 1),"
    " producer_id TEXT,"
    " payload TEXT NOT NULL,"
    " payload_hash TEXT NOT NULL,"
    " schema_hash TEXT NOT NULL,"
    " PRIMARY KEY(run_id, seq),"
    " UNIQUE(run_id, idempotency_key));"
    "INSERT INTO events_v4(run_id, seq, event_id, event_kind, occurred_at, idempotency_key,"
    " producer_id, payload, payload_hash, schema_hash)"
    " SELECT run_id, seq, event_id, event_kind, occurred_at, idempotency_key, producer_id, payload,"
    " payload_hash, schema_hash FROM events ORDER BY run_id, seq;"
    "DROP TABLE events;"
    "ALTER TABLE events_v4 RENAME TO events;"
    "PRAGMA user_version=4;";

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
    {LEDGER_KIND_CHAT_EXCHANGED, "invocation_id", "executor", "message", "response", NULL},
};

int ledger__schema_fix(lconn *c, ledger_err *err)
{
  return ledger__exec(c, schema_objects, err);
}

int ledger__register_builtins(lconn *c, ledger_err *err)
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
  db_stmt *st = NULL;
  int rc = db_prepare(c, sql, &st);
  if (rc != SQLITE_OK)
    return ledger__sqlerr(err, c, rc, "read Store header");
  rc = db_step(st);
  if (rc == SQLITE_ROW) {
    *out = db_column_int(st, 0);
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    *out = 0;
    rc = SQLITE_OK;
  }
  db_finalize(st);
  if (rc != SQLITE_OK)
    return ledger__sqlerr(err, c, rc, "read Store header");
  return LEDGER_OK;
}

int ledger__check_store(lconn *c, int *version_out, ledger_err *err)
{
  int appid = 0, ver = 0, ntables = 0;
  int rc = pragma_int(c, "PRAGMA application_id", &appid, err);
  if (rc) {
    /* a file SQLite cannot read as a database is not a Store; an I/O error or a full disk
     * (the wal-index cannot be mapped) stays LEDGER_ERROR, with its message */
    int cause = err ? err->cause & 0xff : 0;
    if (rc != LEDGER_ERROR || cause == SQLITE_IOERR || cause == SQLITE_FULL ||
        cause == SQLITE_NOMEM || cause == SQLITE_BUSY || cause == SQLITE_CANTOPEN)
      return rc;
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
    return ledger__errf(err, LEDGER_ENOTSTORE, err ? err->cause : 0, "%s", msg);
  }
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
        (rc = ledger__register_builtins(c, err)))
      goto fail;
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=1",
             LEDGER_APPLICATION_ID);
    if ((rc = ledger__exec(c, sql, err)))
      goto fail;
  }
  if (ver < 2 && (rc = ledger__exec(c, schema_v2, err)))
    goto fail;
  if (ver < 3 && (rc = ledger__exec(c, schema_v3, err)))
    goto fail;
  if (ver < 4 &&
      ((rc = ledger__exec(c, schema_v4, err)) || (rc = ledger__exec(c, schema_objects, err))))
    goto fail;
  /* kinds a later build added (chat.exchanged) are registered in a Store this open migrated:
   * re-registering an identical kind writes nothing */
  if (ver >= 1 && ver < LEDGER_SCHEMA_VERSION && (rc = ledger__register_builtins(c, err)))
    goto fail;
  return ledger__exec(c, "COMMIT", err);
fail:
  ledger__exec(c, "ROLLBACK", NULL);
  return rc;
}
