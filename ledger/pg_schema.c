/* SPDX-License-Identifier: Apache-2.0
 * ledger/pg_schema.c — the schema of a PostgreSQL Store: schema.c's tables, columns, checks and
 * append-only rules in PostgreSQL's dialect (TEXT COLLATE "C" so that text orders and compares
 * bytewise as in SQLite, BIGINT for SQLite's INTEGER, BYTEA for BLOB, the RAISE(ABORT) triggers
 * as PL/pgSQL functions raising the same messages), the version row in wl_meta (what
 * application_id and user_version are in a SQLite file), the check of a database before it is
 * used, and the migration, serialised across nodes by an advisory lock. Memories have no FTS5
 * table here: recall searches them with the same tokenizer in ledger/recall.c. */
#include "ledger/pg_int.h"

#include <stdio.h>
#include <string.h>

#define T "TEXT COLLATE \"C\""

static const char pg_tables[] =
    "CREATE TABLE wl_meta(key " T " PRIMARY KEY, value " T " NOT NULL);"
    "CREATE TABLE runs("
    " run_id " T " PRIMARY KEY NOT NULL CHECK(length(run_id) BETWEEN 1 AND 127),"
    " work_id " T ","
    " status " T " NOT NULL DEFAULT 'open' CHECK(status IN ('open','closed')),"
    " started_at " T " NOT NULL,"
    " closed_at " T ","
    " outcome_status " T " CHECK(outcome_status IS NULL OR outcome_status IN"
    "  ('success','failure','partial','aborted','superseded','unknown')),"
    " producer_id " T ","
    " lease_id " T " UNIQUE,"
    " lease_status " T " CHECK(lease_status IS NULL OR lease_status IN"
    "  ('active','released','expired','aborted')),"
    " lease_actor " T ","
    " lease_expires_at " T ","
    " lease_token BIGINT,"
    " CHECK((status='open' AND closed_at IS NULL AND outcome_status IS NULL) OR"
    "       (status='closed' AND closed_at IS NOT NULL AND outcome_status IS NOT NULL)));"
    "CREATE TABLE kind_versions("
    " event_kind " T " PRIMARY KEY NOT NULL CHECK(length(event_kind) >= 1),"
    " schema_version " T " NOT NULL,"
    " required_payload " T " NOT NULL,"
    " schema_hash " T " NOT NULL,"
    " registered_at " T " NOT NULL);"
    "CREATE TABLE events("
    " run_id " T " NOT NULL REFERENCES runs(run_id),"
    " seq BIGINT NOT NULL CHECK(seq >= 1),"
    " event_id " T " NOT NULL,"
    " event_kind " T " NOT NULL REFERENCES kind_versions(event_kind),"
    " occurred_at " T " NOT NULL,"
    " idempotency_key " T " NOT NULL CHECK(length(idempotency_key) >= 1),"
    " producer_id " T ","
    " payload " T " NOT NULL,"
    " payload_hash " T " NOT NULL,"
    " schema_hash " T " NOT NULL,"
    " PRIMARY KEY(run_id, seq),"
    " UNIQUE(run_id, idempotency_key));"
    "CREATE TABLE locks("
    " resource " T " PRIMARY KEY NOT NULL,"
    " holder " T ","
    " fencing_token BIGINT NOT NULL CHECK(fencing_token >= 1),"
    " status " T " NOT NULL CHECK(status IN ('held','free')),"
    " acquired_at " T " NOT NULL,"
    " expires_at " T ","
    " released_at " T ");"
    "CREATE TABLE receipts("
    " receipt_id " T " PRIMARY KEY NOT NULL,"
    " kind " T " NOT NULL,"
    " run_id " T " REFERENCES runs(run_id),"
    " task_id " T ","
    " json " T " NOT NULL,"
    " created_at " T " NOT NULL);"
    "CREATE TABLE approvals("
    " approval_id " T " PRIMARY KEY NOT NULL,"
    " tool " T " NOT NULL,"
    " args_hash " T " NOT NULL,"
    " risk BIGINT NOT NULL CHECK(risk BETWEEN 0 AND 4),"
    " caller " T " NOT NULL,"
    " status " T " NOT NULL DEFAULT 'pending' CHECK(status IN ('pending','approved','denied')),"
    " reason " T ","
    " request " T ","
    " decision " T ","
    " created_at " T " NOT NULL,"
    " resolved_at " T ");"
    "CREATE TABLE memories("
    " memory_id " T " PRIMARY KEY NOT NULL,"
    " content " T " NOT NULL,"
    " sensitivity " T " NOT NULL DEFAULT 'none',"
    " confidence BIGINT NOT NULL DEFAULT 50 CHECK(confidence BETWEEN 0 AND 100),"
    " created_at " T " NOT NULL);"
    "CREATE TABLE call_replays("
    " caller " T " NOT NULL,"
    " idempotency_key " T " NOT NULL,"
    " args_hash " T " NOT NULL,"
    " invocation_id " T " NOT NULL,"
    " result " T " NOT NULL,"
    " created_at " T " NOT NULL,"
    " PRIMARY KEY(caller, idempotency_key));"
    "CREATE TABLE memory_vectors("
    " memory_id " T " PRIMARY KEY NOT NULL REFERENCES memories(memory_id) ON DELETE CASCADE,"
    " model " T " NOT NULL CHECK(length(model) BETWEEN 1 AND 200),"
    " dims BIGINT NOT NULL CHECK(dims BETWEEN 1 AND 16384),"
    " vector BYTEA NOT NULL CHECK(length(vector) = 4 * dims),"
    " created_at " T " NOT NULL);";

/* One PL/pgSQL trigger function per rule; `D` is IS DISTINCT FROM (SQLite's IS NOT). */
#define D " IS DISTINCT FROM "
#define RULE(name, body)                                                                           \
  "CREATE OR REPLACE FUNCTION wl_" name "() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN " body   \
  " END $f$;"
#define RAISE(msg) "RAISE EXCEPTION '" msg "';"

static const char pg_objects[] =
    "CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at DESC, run_id);"
    "CREATE INDEX IF NOT EXISTS runs_work ON runs(work_id, status);"
    "CREATE INDEX IF NOT EXISTS receipts_run ON receipts(run_id);"
    "CREATE INDEX IF NOT EXISTS receipts_task ON receipts(task_id);"
    "CREATE INDEX IF NOT EXISTS approvals_status ON approvals(status, created_at);"
    "CREATE OR REPLACE VIEW leases AS SELECT lease_id, run_id, work_id, lease_actor AS actor_id,"
    " started_at AS claimed_at, lease_expires_at AS expires_at, lease_status AS status,"
    " lease_token AS fencing_token FROM runs WHERE lease_id IS NOT NULL;";

static const char *const pg_rules[] = {
    RULE("refuse", "RAISE EXCEPTION '%', TG_ARGV[0];"),
    RULE("events_open_run", "IF (SELECT status FROM runs WHERE run_id = NEW.run_id)" D "'open'"
                            " THEN " RAISE("run is closed or unknown") " END IF; RETURN NEW;"),
    RULE("events_contiguous",
         "IF NEW.seq <> (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = NEW.run_id)"
         " THEN " RAISE("event seq must be contiguous") " END IF; RETURN NEW;"),
    RULE(
        "runs_immutable",
        "IF NEW.run_id" D "OLD.run_id OR NEW.work_id" D "OLD.work_id"
        " OR NEW.started_at" D "OLD.started_at OR NEW.producer_id" D "OLD.producer_id"
        " OR (OLD.lease_id IS NOT NULL AND NEW.lease_id" D "OLD.lease_id)"
        " OR (OLD.lease_token IS NOT NULL AND NEW.lease_token" D "OLD.lease_token)"
        " OR (OLD.status = 'closed' AND (NEW.status" D "OLD.status"
        " OR NEW.closed_at" D "OLD.closed_at OR NEW.outcome_status" D "OLD.outcome_status))"
        " THEN " RAISE(
            "run identity and closed state are immutable") " END IF;"
                                                           " IF OLD.status = 'open' AND NEW.status = 'closed'"
                                                           " AND NOT EXISTS (SELECT 1 FROM events WHERE run_id = NEW.run_id)"
                                                           " THEN " RAISE(
                                                               "a run closes with an event") " END IF; RETURN NEW;"),
    RULE("locks_fenced", "IF NEW.fencing_token < OLD.fencing_token OR NEW.resource" D "OLD.resource"
                         " THEN " RAISE("fencing tokens never decrease") " END IF; RETURN NEW;"),
    RULE("approvals_resolve_once",
         "IF OLD.status <> 'pending' OR NEW.approval_id" D "OLD.approval_id"
         " OR NEW.args_hash" D "OLD.args_hash OR NEW.tool" D "OLD.tool"
         " THEN " RAISE("approval already resolved") " END IF; RETURN NEW;"),
};

/* The triggers (name, timing/table, function and argument): CREATE OR REPLACE TRIGGER keeps
 * this re-runnable (doctor --fix). */
static const char *const pg_triggers[][3] = {
    {"events_no_update", "BEFORE UPDATE ON events", "refuse('events are append-only')"},
    {"events_no_delete", "BEFORE DELETE ON events", "refuse('events are append-only')"},
    {"events_no_truncate", "BEFORE TRUNCATE ON events FOR EACH STATEMENT",
     "refuse('events are append-only')"},
    {"events_open_run", "BEFORE INSERT ON events", "events_open_run()"},
    {"events_contiguous", "BEFORE INSERT ON events", "events_contiguous()"},
    {"runs_no_delete", "BEFORE DELETE ON runs", "refuse('runs are never deleted')"},
    {"runs_immutable", "BEFORE UPDATE ON runs", "runs_immutable()"},
    {"kind_versions_no_update", "BEFORE UPDATE ON kind_versions",
     "refuse('kind versions are immutable')"},
    {"kind_versions_no_delete", "BEFORE DELETE ON kind_versions",
     "refuse('kind versions are immutable')"},
    {"locks_no_delete", "BEFORE DELETE ON locks", "refuse('locks are never deleted')"},
    {"locks_fenced", "BEFORE UPDATE ON locks", "locks_fenced()"},
    {"receipts_no_update", "BEFORE UPDATE ON receipts", "refuse('receipts are immutable')"},
    {"receipts_no_delete", "BEFORE DELETE ON receipts", "refuse('receipts are immutable')"},
    {"approvals_resolve_once", "BEFORE UPDATE ON approvals", "approvals_resolve_once()"},
    {"approvals_no_delete", "BEFORE DELETE ON approvals", "refuse('approvals are never deleted')"},
};

const char *ledger__pg_trigger_name(size_t i)
{
  return i < sizeof pg_triggers / sizeof pg_triggers[0] ? pg_triggers[i][0] : NULL;
}

int ledger__pg_schema_fix(lconn *c, ledger_err *err)
{
  int rc = ledger__pg_exec(c, pg_objects, err);
  for (size_t i = 0; !rc && i < sizeof pg_rules / sizeof pg_rules[0]; i++)
    rc = ledger__pg_exec(c, pg_rules[i], err);
  for (size_t i = 0; !rc && i < sizeof pg_triggers / sizeof pg_triggers[0]; i++) {
    char sql[400];
    const char *each = strstr(pg_triggers[i][1], "FOR EACH") ? "" : " FOR EACH ROW";
    snprintf(sql, sizeof sql, "CREATE OR REPLACE TRIGGER %s %s%s EXECUTE FUNCTION wl_%s",
             pg_triggers[i][0], pg_triggers[i][1], each, pg_triggers[i][2]);
    rc = ledger__pg_exec(c, sql, err);
  }
  return rc;
}

static int scalar_int(lconn *c, const char *sql, long long *out, ledger_err *err)
{
  PGresult *r = PQexec(c->pg->conn, sql);
  int rc = ledger__pg_note(c, r);
  if (rc == SQLITE_OK)
    *out = PQntuples(r) && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
  PQclear(r);
  return rc == SQLITE_OK ? LEDGER_OK : ledger__sqlerr(err, c, rc, "read Store header");
}

int ledger__pg_check_store(lconn *c, int *version_out, ledger_err *err)
{
  long long meta = 0, ntables = 0, appid = -1, ver = -1;
  int rc;
  if ((rc = scalar_int(c,
                       "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
                       " AND tablename = 'wl_meta'",
                       &meta, err)) ||
      (rc = scalar_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                       &ntables, err)))
    return rc;
  if (!meta) {
    if (ntables)
      return ledger__errf(err, LEDGER_ENOTSTORE, 0,
                          "not a workledger Store (the database has tables but no wl_meta)");
    *version_out = 0;
    return LEDGER_OK;
  }
  if ((rc = scalar_int(c, "SELECT value::bigint FROM wl_meta WHERE key = 'application_id'", &appid,
                       err)) ||
      (rc = scalar_int(c, "SELECT value::bigint FROM wl_meta WHERE key = 'schema_version'", &ver,
                       err)))
    return rc;
  if (appid != LEDGER_APPLICATION_ID)
    return ledger__errf(err, LEDGER_ENOTSTORE, 0, "not a workledger Store (application_id %lld)",
                        appid);
  if (ver > LEDGER_SCHEMA_VERSION)
    return ledger__errf(err, LEDGER_ENEWER, 0,
                        "Store schema version %lld is newer than this build supports (%d)", ver,
                        LEDGER_SCHEMA_VERSION);
  *version_out = (int)ver;
  return LEDGER_OK;
}

int ledger__pg_migrate(lconn *c, ledger_err *err)
{
  int ver = 0, rc;
  /* one node migrates at a time; the others wait, then find the schema current */
  if ((rc = ledger__pg_exec(c, "BEGIN; SELECT pg_advisory_xact_lock(1464616007)", err)))
    return rc;
  if ((rc = ledger__pg_check_store(c, &ver, err)))
    goto fail;
  if (ver < 1) {
    char sql[200];
    snprintf(sql, sizeof sql,
             "INSERT INTO wl_meta(key, value) VALUES ('application_id', '%d'),"
             " ('schema_version', '%d')",
             LEDGER_APPLICATION_ID, LEDGER_SCHEMA_VERSION);
    if ((rc = ledger__pg_exec(c, pg_tables, err)) || (rc = ledger__pg_schema_fix(c, err)) ||
        (rc = ledger__register_builtins(c, err)) || (rc = ledger__pg_exec(c, sql, err)))
      goto fail;
  }
  /* version 4 (spec/store.md "Schema version 4"): no UNIQUE index on event_id, which (run_id,
   * seq) already implies and nothing reads; the SQLite step also rebuilds its events table */
  if (ver >= 1 && ver < 4 &&
      (rc = ledger__pg_exec(c,
                            "ALTER TABLE events DROP CONSTRAINT IF EXISTS events_event_id_key;"
                            " UPDATE wl_meta SET value = '4' WHERE key = 'schema_version'",
                            err)))
    goto fail;
  /* later schema versions: their migration steps go here, each raising schema_version */
  return ledger__pg_exec(c, "COMMIT", err);
fail:
  ledger__pg_exec(c, "ROLLBACK", NULL);
  return rc;
}
