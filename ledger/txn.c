/* SPDX-License-Identifier: Apache-2.0
 * ledger/txn.c — the write operations available inside a ledger_tx() job: open a run, append an
 * event (content event_id, payload_hash, schema_hash, contiguous seq, idempotency replay), close a
 * run, register event kinds, fenced locks, receipts, approvals, memories and lease expiry. Every
 * function works on the writer connection inside the caller's SAVEPOINT; none commits. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BIND_TEXT(st, i, s) sqlite3_bind_text((st), (i), (s), -1, SQLITE_TRANSIENT)
#define BIND_OPT(st, i, s) ((s) ? BIND_TEXT(st, i, s) : sqlite3_bind_null((st), (i)))

static int step_done(lconn *c, sqlite3_stmt *st, ledger_err *err, const char *what)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, what);
  return LEDGER_OK;
}

static int copy_id(char *dst, const char *src, ledger_err *err)
{
  size_t n = strlen(src);
  if (n == 0 || n >= LEDGER_ID_MAX)
    return ledger__errf(err, LEDGER_EINVAL, 0, "id must be 1..%d characters", LEDGER_ID_MAX - 1);
  memcpy(dst, src, n + 1);
  return LEDGER_OK;
}

static int valid_id_text(const char *s)
{
  if (!s || !*s || strlen(s) >= LEDGER_ID_MAX)
    return 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return 0;
  return 1;
}

/* ---- runs ----------------------------------------------------------------------------------- */

static const char SQL_RUN_GET[] = "SELECT work_id, status, producer_id FROM runs WHERE run_id = ?1";
static const char SQL_RUN_INS[] =
    "INSERT INTO runs(run_id, work_id, status, started_at, producer_id) VALUES (?1, ?2, 'open', ?3, ?4)";

int ledger_txn_run_open(ledger_txn *t, const ledger_run_in *in, char run_id_out[LEDGER_ID_MAX],
                        int *replayed_out, ledger_err *err)
{
  lconn *c = t->c;
  char id[LEDGER_ID_MAX], now[LEDGER_TS_MAX];
  int rc;
  if (replayed_out)
    *replayed_out = 0;
  if (in->run_id) {
    if (!valid_id_text(in->run_id))
      return ledger__errf(err, LEDGER_EINVAL, 0, "invalid run id");
    if ((rc = copy_id(id, in->run_id, err)))
      return rc;
  } else {
    struct timespec ts;
    char hex[13];
    clock_gettime(CLOCK_REALTIME, &ts);
    ledger__rand_hex(hex, 6);
    snprintf(id, sizeof id, "run_%020lld_%s",
             (long long)ts.tv_sec * 1000000000LL + (long long)ts.tv_nsec, hex);
  }
  if (in->work_id && !valid_id_text(in->work_id))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid work id");
  if (in->started_at && !ledger__valid_ts(in->started_at))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid started_at '%s'", in->started_at);
  sqlite3_stmt *st = ledger__stmt(c, SQL_RUN_GET, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, id);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *w = (const char *)sqlite3_column_text(st, 0);
    int same = (!w && !in->work_id) || (w && in->work_id && strcmp(w, in->work_id) == 0);
    sqlite3_reset(st);
    if (!same)
      return ledger__errf(err, LEDGER_ECONFLICT, 0, "run %s exists with another work id", id);
    memcpy(run_id_out, id, strlen(id) + 1);
    if (replayed_out)
      *replayed_out = 1;
    return LEDGER_OK;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, "read run");
  ledger_now(now);
  if (!(st = ledger__stmt(c, SQL_RUN_INS, err)))
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, id);
  BIND_OPT(st, 2, in->work_id);
  BIND_TEXT(st, 3, in->started_at ? in->started_at : now);
  BIND_OPT(st, 4, in->producer_id);
  if ((rc = step_done(c, st, err, "insert run")))
    return rc;
  memcpy(run_id_out, id, strlen(id) + 1);
  return LEDGER_OK;
}

/* ---- kinds ---------------------------------------------------------------------------------- */

static const char SQL_KIND_GET[] =
    "SELECT required_payload, schema_hash FROM kind_versions WHERE event_kind = ?1";
static const char SQL_KIND_INS[] =
    "INSERT INTO kind_versions(event_kind, schema_version, required_payload, schema_hash, registered_at)"
    " VALUES (?1, 'motus.event-kind-schema.v0.1', ?2, ?3, ?4)";

int ledger_txn_kind_register(ledger_txn *t, const char *event_kind, const json_t *required_payload,
                             ledger_err *err)
{
  lconn *c = t->c;
  char hash[LEDGER_HASH_MAX], now[LEDGER_TS_MAX];
  size_t i;
  json_t *v;
  int rc;
  if (!valid_id_text(event_kind) || !json_is_array(required_payload))
    return ledger__errf(err, LEDGER_EINVAL, 0, "kind needs a name and a required_payload array");
  json_array_foreach(required_payload, i, v) if (!json_is_string(v)) return ledger__errf(
      err, LEDGER_EINVAL, 0, "required_payload must hold strings");
  if ((rc = ledger__kind_schema_hash(hash, event_kind, required_payload, err)))
    return rc;
  sqlite3_stmt *st = ledger__stmt(c, SQL_KIND_GET, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, event_kind);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    int same = strcmp((const char *)sqlite3_column_text(st, 1), hash) == 0;
    sqlite3_reset(st);
    return same ? LEDGER_OK
                : ledger__errf(err, LEDGER_ECONFLICT, 0,
                               "event kind %s is registered with another schema", event_kind);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, "read kind");
  char *req = json_dumps(required_payload, JSON_COMPACT);
  if (!req)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  ledger_now(now);
  if (!(st = ledger__stmt(c, SQL_KIND_INS, err))) {
    free(req);
    return LEDGER_ERROR;
  }
  BIND_TEXT(st, 1, event_kind);
  BIND_TEXT(st, 2, req);
  BIND_TEXT(st, 3, hash);
  BIND_TEXT(st, 4, now);
  free(req);
  return step_done(c, st, err, "register kind");
}

/* ---- events --------------------------------------------------------------------------------- */

static const char SQL_EV_BY_KEY[] =
    "SELECT seq, event_id, payload_hash FROM events WHERE run_id = ?1 AND idempotency_key = ?2";
static const char SQL_EV_NEXT[] = "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = ?1";
static const char SQL_EV_INS[] =
    "INSERT INTO events(run_id, seq, event_id, event_kind, occurred_at, idempotency_key, producer_id,"
    " payload, payload_hash, schema_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/* Looks up an idempotency key: 1 = found (out filled), 0 = not found, <0 error. */
static int find_replay(lconn *c, const ledger_event_in *in, const char *payload_hash,
                       ledger_event_ref *out, ledger_err *err)
{
  sqlite3_stmt *st = ledger__stmt(c, SQL_EV_BY_KEY, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, in->run_id);
  BIND_TEXT(st, 2, in->idempotency_key);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    int same = strcmp((const char *)sqlite3_column_text(st, 2), payload_hash) == 0;
    if (out) {
      out->seq = sqlite3_column_int64(st, 0);
      snprintf(out->event_id, sizeof out->event_id, "%s", (const char *)sqlite3_column_text(st, 1));
      out->replayed = 1;
    }
    sqlite3_reset(st);
    if (!same)
      return ledger__errf(err, LEDGER_ECONFLICT, 0,
                          "idempotency key '%s' was used with a different payload",
                          in->idempotency_key);
    return 1;
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ledger__sqlerr(err, c, rc, "read event");
}

static int append(ledger_txn *t, const ledger_event_in *in, const char *occurred_at,
                  ledger_event_ref *out, ledger_err *err)
{
  lconn *c = t->c;
  char payload_hash[LEDGER_HASH_MAX], schema_hash[LEDGER_HASH_MAX], event_id[LEDGER_HASH_MAX];
  char *payload_txt = NULL;
  size_t payload_len = 0;
  json_t *ev = NULL, *req = NULL;
  int rc;

  if (!in->run_id || !in->event_kind || !valid_id_text(in->idempotency_key))
    return ledger__errf(err, LEDGER_EINVAL, 0, "event needs run_id, event_kind and idempotency_key");
  if (!json_is_object(in->payload))
    return ledger__errf(err, LEDGER_EINVAL, 0, "event payload must be a JSON object");
  if ((rc = ledger__canon(&payload_txt, &payload_len, in->payload, err)))
    return rc;
  {
    char hex[SEAL_SHA256_HEX];
    seal_sha256_hex(hex, payload_txt, payload_len);
    snprintf(payload_hash, sizeof payload_hash, "sha256:%s", hex);
  }
  if ((rc = find_replay(c, in, payload_hash, out, err)) != 0) {
    free(payload_txt);
    return rc > 0 ? LEDGER_OK : rc;
  }
  /* the run */
  sqlite3_stmt *st = ledger__stmt(c, SQL_RUN_GET, err);
  if (!st)
    goto sqlfail;
  BIND_TEXT(st, 1, in->run_id);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    free(payload_txt);
    if (rc == SQLITE_DONE)
      return ledger__errf(err, LEDGER_ENOTFOUND, 0, "run %s not found", in->run_id);
    return ledger__sqlerr(err, c, rc, "read run");
  }
  int closed = strcmp((const char *)sqlite3_column_text(st, 1), "closed") == 0;
  char producer[LEDGER_ID_MAX] = "";
  if (sqlite3_column_type(st, 2) != SQLITE_NULL)
    snprintf(producer, sizeof producer, "%s", (const char *)sqlite3_column_text(st, 2));
  sqlite3_reset(st);
  if (closed) {
    free(payload_txt);
    return ledger__errf(err, LEDGER_ECLOSED, 0, "run %s is closed", in->run_id);
  }
  /* the kind */
  if (!(st = ledger__stmt(c, SQL_KIND_GET, err)))
    goto sqlfail;
  BIND_TEXT(st, 1, in->event_kind);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    free(payload_txt);
    if (rc == SQLITE_DONE)
      return ledger__errf(err, LEDGER_EINVAL, 0, "unknown event kind '%s'", in->event_kind);
    return ledger__sqlerr(err, c, rc, "read kind");
  }
  req = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
  snprintf(schema_hash, sizeof schema_hash, "%s", (const char *)sqlite3_column_text(st, 1));
  sqlite3_reset(st);
  {
    size_t i;
    json_t *m;
    json_array_foreach(req, i, m)
    {
      if (!json_object_get(in->payload, json_string_value(m))) {
        rc = ledger__errf(err, LEDGER_EINVAL, 0, "%s payload lacks required member '%s'",
                          in->event_kind, json_string_value(m));
        json_decref(req);
        free(payload_txt);
        return rc;
      }
    }
  }
  json_decref(req);
  /* seq */
  if (!(st = ledger__stmt(c, SQL_EV_NEXT, err)))
    goto sqlfail;
  BIND_TEXT(st, 1, in->run_id);
  if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
    sqlite3_reset(st);
    free(payload_txt);
    return ledger__sqlerr(err, c, rc, "next seq");
  }
  int64_t seq = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  const char *producer_id = in->producer_id ? in->producer_id : (producer[0] ? producer : NULL);

  /* the content event id: sha256 of the canonical event minus event_id */
  ev = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:O}", "schema_version", "motus.work-event.v0.1",
                 "run_id", in->run_id, "seq", (json_int_t)seq, "event_kind", in->event_kind,
                 "occurred_at", occurred_at, "idempotency_key", in->idempotency_key,
                 "payload_hash", payload_hash, "schema_hash", schema_hash, "payload",
                 (json_t *)in->payload);
  if (!ev) {
    free(payload_txt);
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  }
  if (producer_id)
    json_object_set_new(ev, "producer_id", json_string(producer_id));
  rc = ledger__hash_prefixed(event_id, ev, err);
  json_decref(ev);
  if (rc) {
    free(payload_txt);
    return rc;
  }
  if (!(st = ledger__stmt(c, SQL_EV_INS, err)))
    goto sqlfail;
  BIND_TEXT(st, 1, in->run_id);
  sqlite3_bind_int64(st, 2, seq);
  BIND_TEXT(st, 3, event_id);
  BIND_TEXT(st, 4, in->event_kind);
  BIND_TEXT(st, 5, occurred_at);
  BIND_TEXT(st, 6, in->idempotency_key);
  BIND_OPT(st, 7, producer_id);
  sqlite3_bind_text(st, 8, payload_txt, (int)payload_len, SQLITE_TRANSIENT);
  BIND_TEXT(st, 9, payload_hash);
  BIND_TEXT(st, 10, schema_hash);
  free(payload_txt);
  payload_txt = NULL;
  if ((rc = step_done(c, st, err, "append event")))
    return rc;
  if (out) {
    out->seq = seq;
    snprintf(out->event_id, sizeof out->event_id, "%s", event_id);
    out->replayed = 0;
  }
  return LEDGER_OK;
sqlfail:
  free(payload_txt);
  return LEDGER_ERROR;
}

int ledger_txn_event_append(ledger_txn *t, const ledger_event_in *in, ledger_event_ref *out,
                            ledger_err *err)
{
  char now[LEDGER_TS_MAX];
  if (in->occurred_at && !ledger__valid_ts(in->occurred_at))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid occurred_at '%s'", in->occurred_at);
  ledger_now(now);
  return append(t, in, in->occurred_at ? in->occurred_at : now, out, err);
}

static const char *const outcome_words[] = {"success", "failure", "partial", "aborted",
                                            "superseded", "unknown", NULL};

static const char SQL_RUN_CLOSE[] =
    "UPDATE runs SET status = 'closed', closed_at = ?2, outcome_status = ?3 WHERE run_id = ?1";

int ledger_txn_run_close(ledger_txn *t, const ledger_event_in *closing, ledger_event_ref *out,
                         ledger_err *err)
{
  ledger_event_in in = *closing;
  char now[LEDGER_TS_MAX];
  int rc, ok = 0;
  if (!in.event_kind)
    in.event_kind = "work.closed";
  const char *status =
      json_string_value(json_object_get(json_object_get(in.payload, "outcome"), "status"));
  for (int i = 0; status && outcome_words[i]; i++)
    ok |= strcmp(status, outcome_words[i]) == 0;
  if (!ok)
    return ledger__errf(err, LEDGER_EINVAL, 0, "closing payload needs a valid outcome.status");
  const char *closed_at =
      json_string_value(json_object_get(json_object_get(in.payload, "outcome"), "closed_at"));
  if (in.occurred_at && !ledger__valid_ts(in.occurred_at))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid occurred_at '%s'", in.occurred_at);
  if (closed_at && !ledger__valid_ts(closed_at))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid outcome.closed_at '%s'", closed_at);
  ledger_now(now);
  const char *occurred = in.occurred_at ? in.occurred_at : now;
  ledger_event_ref ref;
  if ((rc = append(t, &in, occurred, &ref, err)))
    return rc;
  if (out)
    *out = ref;
  if (ref.replayed)
    return LEDGER_OK;
  sqlite3_stmt *st = ledger__stmt(t->c, SQL_RUN_CLOSE, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, in.run_id);
  BIND_TEXT(st, 2, closed_at ? closed_at : occurred);
  BIND_TEXT(st, 3, status);
  return step_done(t->c, st, err, "close run");
}

/* ---- locks ---------------------------------------------------------------------------------- */

static const char SQL_LOCK_GET[] =
    "SELECT holder, fencing_token, status, expires_at FROM locks WHERE resource = ?1";
static const char SQL_LOCK_INS[] =
    "INSERT INTO locks(resource, holder, fencing_token, status, acquired_at, expires_at)"
    " VALUES (?1, ?2, 1, 'held', ?3, ?4)";
static const char SQL_LOCK_TAKE[] =
    "UPDATE locks SET holder = ?2, fencing_token = fencing_token + 1, status = 'held',"
    " acquired_at = ?3, expires_at = ?4, released_at = NULL WHERE resource = ?1";
static const char SQL_LOCK_FREE[] =
    "UPDATE locks SET status = 'free', released_at = ?2 WHERE resource = ?1";

static int expired_at(const char *expires_at, int64_t now_ms)
{
  int64_t ms;
  if (!expires_at)
    return 0;
  if (ledger_ts_parse(&ms, expires_at))
    return 1;
  return ms <= now_ms;
}

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ledger_txn_lock_acquire(ledger_txn *t, const char *resource, const char *holder,
                            const char *expires_at, int64_t *token_out, ledger_err *err)
{
  lconn *c = t->c;
  char now[LEDGER_TS_MAX];
  int rc;
  if (!valid_id_text(resource))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid lock resource");
  if (expires_at && !ledger__valid_ts(expires_at))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid expires_at");
  ledger_now(now);
  sqlite3_stmt *st = ledger__stmt(c, SQL_LOCK_GET, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, resource);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    int held = strcmp((const char *)sqlite3_column_text(st, 2), "held") == 0;
    int64_t tok = sqlite3_column_int64(st, 1);
    const char *exp = (const char *)sqlite3_column_text(st, 3);
    if (held && !expired_at(exp, now_ms())) {
      rc = ledger__errf(err, LEDGER_EBUSY, 0, "%s is held by %s", resource,
                        sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "?");
      sqlite3_reset(st);
      return rc;
    }
    sqlite3_reset(st);
    if (!(st = ledger__stmt(c, SQL_LOCK_TAKE, err)))
      return LEDGER_ERROR;
    BIND_TEXT(st, 1, resource);
    BIND_OPT(st, 2, holder);
    BIND_TEXT(st, 3, now);
    BIND_OPT(st, 4, expires_at);
    if ((rc = step_done(c, st, err, "take lock")))
      return rc;
    if (token_out)
      *token_out = tok + 1;
    return LEDGER_OK;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, "read lock");
  if (!(st = ledger__stmt(c, SQL_LOCK_INS, err)))
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, resource);
  BIND_OPT(st, 2, holder);
  BIND_TEXT(st, 3, now);
  BIND_OPT(st, 4, expires_at);
  if ((rc = step_done(c, st, err, "insert lock")))
    return rc;
  if (token_out)
    *token_out = 1;
  return LEDGER_OK;
}

int ledger_txn_lock_check(ledger_txn *t, const char *resource, int64_t token, ledger_err *err)
{
  sqlite3_stmt *st = ledger__stmt(t->c, SQL_LOCK_GET, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, resource);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? ledger__errf(err, LEDGER_ENOTFOUND, 0, "no lock on %s", resource)
                             : ledger__sqlerr(err, t->c, rc, "read lock");
  }
  int ok = sqlite3_column_int64(st, 1) == token &&
           strcmp((const char *)sqlite3_column_text(st, 2), "held") == 0;
  sqlite3_reset(st);
  return ok ? LEDGER_OK
            : ledger__errf(err, LEDGER_ESTALE, 0, "fencing token %lld on %s is no longer current",
                           (long long)token, resource);
}

int ledger_txn_lock_release(ledger_txn *t, const char *resource, int64_t token, ledger_err *err)
{
  char now[LEDGER_TS_MAX];
  int rc = ledger_txn_lock_check(t, resource, token, err);
  if (rc)
    return rc;
  ledger_now(now);
  sqlite3_stmt *st = ledger__stmt(t->c, SQL_LOCK_FREE, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, resource);
  BIND_TEXT(st, 2, now);
  return step_done(t->c, st, err, "release lock");
}

/* ---- receipts ------------------------------------------------------------------------------- */

static const char SQL_RCPT_GET[] = "SELECT json FROM receipts WHERE receipt_id = ?1";
static const char SQL_RCPT_INS[] =
    "INSERT INTO receipts(receipt_id, kind, run_id, task_id, json, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

int ledger_txn_receipt_put(ledger_txn *t, const char *receipt_id, const char *kind,
                           const char *run_id, const char *task_id, const json_t *json,
                           ledger_err *err)
{
  lconn *c = t->c;
  char *txt = NULL, now[LEDGER_TS_MAX];
  size_t len;
  int rc;
  if (!valid_id_text(receipt_id) || !kind || !*kind || !json)
    return ledger__errf(err, LEDGER_EINVAL, 0, "receipt needs an id, a kind and a body");
  if ((rc = ledger__canon(&txt, &len, json, err))) {
    /* bodies with reals (motebit credentials) are stored as compact sorted JSON instead */
    if (rc != LEDGER_EINVAL || !(txt = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS)))
      return rc;
    len = strlen(txt);
  }
  sqlite3_stmt *st = ledger__stmt(c, SQL_RCPT_GET, err);
  if (!st) {
    free(txt);
    return LEDGER_ERROR;
  }
  BIND_TEXT(st, 1, receipt_id);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    int same = strcmp((const char *)sqlite3_column_text(st, 0), txt) == 0;
    sqlite3_reset(st);
    free(txt);
    return same ? LEDGER_OK
                : ledger__errf(err, LEDGER_ECONFLICT, 0, "receipt %s exists with other content",
                               receipt_id);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    free(txt);
    return ledger__sqlerr(err, c, rc, "read receipt");
  }
  ledger_now(now);
  if (!(st = ledger__stmt(c, SQL_RCPT_INS, err))) {
    free(txt);
    return LEDGER_ERROR;
  }
  BIND_TEXT(st, 1, receipt_id);
  BIND_TEXT(st, 2, kind);
  BIND_OPT(st, 3, run_id);
  BIND_OPT(st, 4, task_id);
  sqlite3_bind_text(st, 5, txt, (int)len, SQLITE_TRANSIENT);
  BIND_TEXT(st, 6, now);
  free(txt);
  return step_done(c, st, err, "store receipt");
}

/* ---- approvals ------------------------------------------------------------------------------ */

static const char SQL_APPR_INS[] =
    "INSERT INTO approvals(approval_id, tool, args_hash, risk, caller, status, request, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)";
static const char SQL_APPR_STATUS[] = "SELECT status FROM approvals WHERE approval_id = ?1";
static const char SQL_APPR_RESOLVE[] =
    "UPDATE approvals SET status = ?2, reason = ?3, decision = ?4, resolved_at = ?5"
    " WHERE approval_id = ?1 AND status = 'pending'";

int ledger_txn_approval_create(ledger_txn *t, const ledger_approval_in *in,
                               char id_out[LEDGER_ID_MAX], ledger_err *err)
{
  lconn *c = t->c;
  char id[LEDGER_ID_MAX], now[LEDGER_TS_MAX];
  char *req = NULL;
  int rc;
  if (!in->tool || !*in->tool || !in->args_hash || !in->caller || in->risk < 0 || in->risk > 4)
    return ledger__errf(err, LEDGER_EINVAL, 0, "approval needs tool, args_hash, caller, risk 0..4");
  if (in->approval_id) {
    if (!valid_id_text(in->approval_id))
      return ledger__errf(err, LEDGER_EINVAL, 0, "invalid approval id");
    snprintf(id, sizeof id, "%s", in->approval_id);
  } else {
    char u[SEAL_SOVEREIGN_ID];
    seal_uuid4(u);
    snprintf(id, sizeof id, "appr_%s", u);
  }
  if (in->request && !(req = json_dumps(in->request, JSON_COMPACT | JSON_SORT_KEYS)))
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  ledger_now(now);
  sqlite3_stmt *st = ledger__stmt(c, SQL_APPR_INS, err);
  if (!st) {
    free(req);
    return LEDGER_ERROR;
  }
  BIND_TEXT(st, 1, id);
  BIND_TEXT(st, 2, in->tool);
  BIND_TEXT(st, 3, in->args_hash);
  sqlite3_bind_int(st, 4, in->risk);
  BIND_TEXT(st, 5, in->caller);
  BIND_OPT(st, 6, req);
  BIND_TEXT(st, 7, now);
  free(req);
  if ((rc = step_done(c, st, err, "create approval")))
    return rc;
  memcpy(id_out, id, strlen(id) + 1);
  return LEDGER_OK;
}

int ledger_txn_approval_resolve(ledger_txn *t, const char *approval_id, const char *status,
                                const char *reason, const json_t *decision, ledger_err *err)
{
  lconn *c = t->c;
  char now[LEDGER_TS_MAX];
  char *dec = NULL;
  int rc;
  if (!status || (strcmp(status, "approved") != 0 && strcmp(status, "denied") != 0))
    return ledger__errf(err, LEDGER_EINVAL, 0, "approval status must be approved or denied");
  sqlite3_stmt *st = ledger__stmt(c, SQL_APPR_STATUS, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, approval_id ? approval_id : "");
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return rc == SQLITE_DONE
               ? ledger__errf(err, LEDGER_ENOTFOUND, 0, "approval %s not found", approval_id)
               : ledger__sqlerr(err, c, rc, "read approval");
  }
  int pending = strcmp((const char *)sqlite3_column_text(st, 0), "pending") == 0;
  sqlite3_reset(st);
  if (!pending)
    return ledger__errf(err, LEDGER_ECONFLICT, 0, "approval %s is already resolved", approval_id);
  if (decision && !(dec = json_dumps(decision, JSON_COMPACT | JSON_SORT_KEYS)))
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  ledger_now(now);
  if (!(st = ledger__stmt(c, SQL_APPR_RESOLVE, err))) {
    free(dec);
    return LEDGER_ERROR;
  }
  BIND_TEXT(st, 1, approval_id);
  BIND_TEXT(st, 2, status);
  BIND_OPT(st, 3, reason);
  BIND_OPT(st, 4, dec);
  BIND_TEXT(st, 5, now);
  free(dec);
  return step_done(c, st, err, "resolve approval");
}

/* ---- memories ------------------------------------------------------------------------------- */

static const char SQL_MEM_INS[] =
    "INSERT INTO memories(memory_id, content, sensitivity, confidence, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";

int ledger_txn_memory_put(ledger_txn *t, const char *content, const char *sensitivity,
                          int confidence, char id_out[LEDGER_ID_MAX], ledger_err *err)
{
  char id[LEDGER_ID_MAX], u[SEAL_SOVEREIGN_ID], now[LEDGER_TS_MAX];
  if (!content || !*content || confidence < 0 || confidence > 100)
    return ledger__errf(err, LEDGER_EINVAL, 0, "memory needs content and confidence 0..100");
  seal_uuid4(u);
  snprintf(id, sizeof id, "mem_%s", u);
  ledger_now(now);
  sqlite3_stmt *st = ledger__stmt(t->c, SQL_MEM_INS, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, id);
  BIND_TEXT(st, 2, content);
  BIND_TEXT(st, 3, sensitivity ? sensitivity : "none");
  sqlite3_bind_int(st, 4, confidence);
  BIND_TEXT(st, 5, now);
  int rc = step_done(t->c, st, err, "store memory");
  if (!rc)
    memcpy(id_out, id, strlen(id) + 1);
  return rc;
}

/* ---- leases --------------------------------------------------------------------------------- */

static const char SQL_LEASE_ACTIVE[] =
    "SELECT run_id, lease_expires_at FROM runs WHERE lease_status = 'active'";
static const char SQL_LEASE_EXPIRE[] =
    "UPDATE runs SET lease_status = 'expired' WHERE run_id = ?1 AND lease_status = 'active'";

int ledger_txn_leases_expire(ledger_txn *t, int *count_out, ledger_err *err)
{
  lconn *c = t->c;
  int64_t now = now_ms();
  int n = 0, rc;
  json_t *ids = json_array();
  sqlite3_stmt *st = ledger__stmt(c, SQL_LEASE_ACTIVE, err);
  if (!st) {
    json_decref(ids);
    return LEDGER_ERROR;
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (expired_at((const char *)sqlite3_column_text(st, 1), now))
      json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(ids);
    return ledger__sqlerr(err, c, rc, "list leases");
  }
  size_t i;
  json_t *v;
  json_array_foreach(ids, i, v)
  {
    if (!(st = ledger__stmt(c, SQL_LEASE_EXPIRE, err))) {
      json_decref(ids);
      return LEDGER_ERROR;
    }
    BIND_TEXT(st, 1, json_string_value(v));
    if ((rc = step_done(c, st, err, "expire lease"))) {
      json_decref(ids);
      return rc;
    }
    n++;
  }
  json_decref(ids);
  if (count_out)
    *count_out = n;
  return LEDGER_OK;
}
