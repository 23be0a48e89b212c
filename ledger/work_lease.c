/* SPDX-License-Identifier: Apache-2.0
 * ledger/work_lease.c — leases of the Motus work loop (spec/store.md §5): reading a lease in a
 * transaction, the expiry rule, ending an expired lease (its run closes with outcome "unknown"
 * and the lease is marked "expired" — distinct from "aborted"), the holder of a busy work id,
 * and renewal (ledger_work_renew: a new expires_at for the lease and its fenced lock, recorded
 * as a lease.renewed event in the custody run "lease-custody", so that work runs keep only the
 * four Motus reference kinds). History only grows: nothing here updates an event. */
#include "crypto/artifacts.h"
#include "ledger/work_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_LEASE[] =
    "SELECT run_id, lease_id, work_id, status, lease_status, lease_expires_at, lease_token"
    " FROM runs WHERE lease_id = ?1 OR (run_id = ?1 AND lease_id IS NOT NULL) LIMIT 1";

static void lease_fill(db_stmt *st, ledger__lease_row *r)
{
  memset(r, 0, sizeof *r);
  snprintf(r->run_id, sizeof r->run_id, "%s", COLTXT(st, 0));
  snprintf(r->lease_id, sizeof r->lease_id, "%s", COLTXT(st, 1));
  snprintf(r->work_id, sizeof r->work_id, "%s", COLTXT(st, 2) ? COLTXT(st, 2) : "");
  snprintf(r->status, sizeof r->status, "%s", COLTXT(st, 3));
  snprintf(r->lease_status, sizeof r->lease_status, "%s", COLTXT(st, 4) ? COLTXT(st, 4) : "");
  snprintf(r->expires_at, sizeof r->expires_at, "%s", COLTXT(st, 5) ? COLTXT(st, 5) : "");
  r->token = db_column_int64(st, 6);
}

int ledger__lease_get(lconn *c, const char *id, ledger__lease_row *r, ledger_err *err)
{
  if (!id)
    return ledger__errf(err, LEDGER_EINVAL, 0, "a lease id is required");
  db_stmt *st = ledger__stmt(c, SQL_LEASE, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, id);
  int rc = db_step(st);
  if (rc != SQLITE_ROW) {
    db_reset(st);
    return rc == SQLITE_DONE ? ledger__errf(err, LEDGER_ENOTFOUND, 0, "unknown lease '%s'", id)
                             : ledger__sqlerr(err, c, rc, "read lease");
  }
  lease_fill(st, r);
  db_reset(st);
  return LEDGER_OK;
}

static int past_ts(const char *expires_at)
{
  char now[LEDGER_TS_MAX];
  int64_t now_ms, exp_ms;
  ledger_now(now);
  return expires_at && ledger_ts_parse(&now_ms, now) == 0 &&
         ledger_ts_parse(&exp_ms, expires_at) == 0 && exp_ms <= now_ms;
}

int ledger__lease_past(const ledger__lease_row *r)
{
  return strcmp(r->lease_status, "expired") == 0 ||
         (strcmp(r->lease_status, "active") == 0 && past_ts(r->expires_at));
}

const char *ledger__lease_status_now(const char *stored, const char *expires_at)
{
  if (stored && strcmp(stored, "active") == 0 && past_ts(expires_at))
    return "expired";
  return stored;
}

/* ---- ending an expired lease ---------------------------------------------------------------- */

static json_t *expired_payload(const ledger__lease_row *r, const char *by, const char *now)
{
  char summary[LEDGER_ID_MAX + LEDGER_TS_MAX + 96];
  snprintf(summary, sizeof summary, "lease %s expired at %s without a release", r->lease_id,
           r->expires_at[0] ? r->expires_at : "?");
  return json_pack("{s:{s:s,s:s,s:s},s:{s:s,s:s},s:{s:s,s:s},s:{s:s},s:{s:s},"
                   "s:{s:s,s:s,s:s}}",
                   "outcome", "status", "unknown", "summary", summary, "closed_at", now,
                   "acceptance", "status", "rejected", "method", "lease_expired", "route_summary",
                   "status", "blocked", "reason", "lease expired", "handoff", "status", "none",
                   "redaction", "status", "none", "lease_expiry", "lease_id", r->lease_id,
                   "expires_at", r->expires_at, "noticed_by", by);
}

int ledger__lease_expire(ledger_txn *t, const ledger__lease_row *r, const char *by, ledger_err *err)
{
  static const char SQL_MARK[] =
      "UPDATE runs SET lease_status = 'expired' WHERE run_id = ?1 AND lease_status = 'active'";
  char now[LEDGER_TS_MAX], key[LEDGER_ID_MAX + 16], res[LEDGER_ID_MAX + 8];
  int rc;
  if (strcmp(r->status, "open") == 0) {
    ledger_now(now);
    json_t *payload = expired_payload(r, by, now);
    snprintf(key, sizeof key, "expire:%s", r->lease_id);
    ledger_event_in ev = {r->run_id, LEDGER_KIND_WORK_CLOSED, key, now, NULL, payload};
    rc = payload ? ledger_txn_run_close(t, &ev, NULL, err)
                 : ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
    json_decref(payload);
    if (rc)
      return rc;
  }
  db_stmt *st = ledger__stmt(t->c, SQL_MARK, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, r->run_id);
  if ((rc = ledger__step_done(t->c, st, err, "mark lease expired")))
    return rc;
  snprintf(res, sizeof res, "work:%s", r->work_id);
  rc = ledger_txn_lock_release(t, res, r->token, NULL); /* taken over already: nothing to free */
  (void)rc;
  return LEDGER_OK;
}

static const char SQL_DUE[] =
    "SELECT run_id, lease_id, work_id, status, lease_status, lease_expires_at, lease_token"
    " FROM runs WHERE lease_id IS NOT NULL AND status = 'open'"
    " AND lease_status IN ('active', 'expired') AND (?1 IS NULL OR work_id = ?1)";

int ledger__leases_expire_due(ledger_txn *t, const char *work_id, const char *by, int *count_out,
                              ledger_err *err)
{
  ledger__lease_row *rows = NULL;
  size_t n = 0, cap = 0;
  int rc, count = 0;
  db_stmt *st = ledger__stmt(t->c, SQL_DUE, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_OPT(st, 1, work_id);
  while ((rc = db_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 8;
      ledger__lease_row *nr = realloc(rows, nc * sizeof *nr);
      if (!nr) {
        db_reset(st);
        free(rows);
        return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
      }
      rows = nr;
      cap = nc;
    }
    lease_fill(st, &rows[n]);
    if (ledger__lease_past(&rows[n]))
      n++;
  }
  db_reset(st);
  if (rc != SQLITE_DONE) {
    free(rows);
    return ledger__sqlerr(err, t->c, rc, "list leases");
  }
  rc = LEDGER_OK;
  for (size_t i = 0; i < n && rc == LEDGER_OK; i++)
    if ((rc = ledger__lease_expire(t, &rows[i], by, err)) == LEDGER_OK)
      count++;
  free(rows);
  if (count_out)
    *count_out = count;
  return rc;
}

json_t *ledger__lease_holder(lconn *c, const char *work_id)
{
  static const char SQL[] =
      "SELECT lease_id, run_id, lease_actor, lease_expires_at, lease_token FROM runs"
      " WHERE work_id = ?1 AND lease_status = 'active' AND status = 'open'"
      " ORDER BY started_at DESC LIMIT 1";
  db_stmt *st = ledger__stmt(c, SQL, NULL);
  json_t *o = NULL;
  if (!st)
    return NULL;
  BIND_TEXT(st, 1, work_id);
  if (db_step(st) == SQLITE_ROW)
    o = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:I}", "work_id", work_id, "lease_id", COLTXT(st, 0),
                  "run_id", COLTXT(st, 1), "actor_id", COLTXT(st, 2), "expires_at", COLTXT(st, 3),
                  "fencing_token", (json_int_t)db_column_int64(st, 4));
  db_reset(st);
  return o;
}

json_t *ledger__actor_parse(const char *s, const char *dflt_type, const char *what, ledger_err *err)
{
  static const char *const types[] = {"human", "agent", "service", "ci", "tool", NULL};
  const char *colon = s ? strchr(s, ':') : NULL, *id = s;
  char type[16];
  snprintf(type, sizeof type, "%s", dflt_type);
  if (colon) {
    size_t tl = (size_t)(colon - s);
    for (int i = 0; types[i]; i++)
      if (strlen(types[i]) == tl && strncmp(types[i], s, tl) == 0) {
        snprintf(type, sizeof type, "%s", types[i]);
        id = colon + 1;
      }
  }
  int ok = id && *id && strlen(id) <= SEAL_MOTUS_ID_MAX * 4;
  for (const unsigned char *p = (const unsigned char *)id; ok && *p; p++)
    ok = *p >= 0x20 && *p != 0x7f;
  if (!ok) {
    ledger__errf(err, LEDGER_EINVAL, 0,
                 "%s must be [TYPE:]ID with TYPE human, agent, service, ci or tool and a "
                 "printable ID",
                 what);
    return NULL;
  }
  return json_pack("{s:s,s:s}", "type", type, "id", id);
}

/* ---- renew ---------------------------------------------------------------------------------- */

#define CUSTODY_RUN LEDGER_CUSTODY_RUN

struct renew_job {
  const ledger_work_ctx *ctx;
  const char *lease_id;
  json_int_t ttl;        /* 0: the claim's ttl */
  json_int_t want_token; /* -1: not given */
  json_t *out;
};

/* The claim's ttl_s from the run's work.started payload (0 when absent). */
static json_int_t claim_ttl(lconn *c, const char *run_id)
{
  json_t *events = NULL;
  json_int_t ttl = 0;
  if (ledger__events_json(c, run_id, &events, NULL) == LEDGER_OK) {
    json_t *p = json_object_get(json_array_get(events, 0), "payload");
    ttl = json_integer_value(json_object_get(json_object_get(p, "lease"), "ttl_s"));
  }
  json_decref(events);
  return ttl;
}

static int renew_rows(ledger_txn *t, const ledger__lease_row *r, const char *exp, ledger_err *err)
{
  static const char SQL_LOCK[] = "UPDATE locks SET expires_at = ?3 WHERE resource = ?1"
                                 " AND fencing_token = ?2 AND status = 'held'";
  static const char SQL_RUN[] = "UPDATE runs SET lease_expires_at = ?2 WHERE run_id = ?1"
                                " AND lease_status = 'active'";
  char res[LEDGER_ID_MAX + 8];
  int rc;
  snprintf(res, sizeof res, "work:%s", r->work_id);
  db_stmt *st = ledger__stmt(t->c, SQL_LOCK, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, res);
  db_bind_int64(st, 2, r->token);
  BIND_TEXT(st, 3, exp);
  if ((rc = ledger__step_done(t->c, st, err, "renew lock")))
    return rc;
  if (db_changes(t->c) != 1)
    return ledger__errf(err, LEDGER_ESTALE, 0, "fencing token %lld on %s is no longer current",
                        (long long)r->token, res);
  if (!(st = ledger__stmt(t->c, SQL_RUN, err)))
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, r->run_id);
  BIND_TEXT(st, 2, exp);
  return ledger__step_done(t->c, st, err, "renew lease");
}

static int custody_append(ledger_txn *t, const ledger_work_ctx *ctx, json_t *payload,
                          const char *lease_id, const char *now, ledger_err *err)
{
  char run_id[LEDGER_ID_MAX], producer[32], key[LEDGER_ID_MAX + 32], hex[9];
  json_t *req = json_pack("[sss]", "lease_id", "expires_at", "fencing_token");
  int rc = req ? ledger_txn_kind_register(t, LEDGER_KIND_LEASE_RENEWED, req, err) : LEDGER_ERROR;
  json_decref(req);
  if (rc)
    return rc;
  snprintf(producer, sizeof producer, "workledger.%s",
           ctx && ctx->runtime_kind ? ctx->runtime_kind : "cli");
  ledger_run_in rin = {CUSTODY_RUN, CUSTODY_RUN, producer, NULL};
  if ((rc = ledger_txn_run_open(t, &rin, run_id, NULL, err)))
    return rc;
  ledger__rand_hex(hex, 4);
  snprintf(key, sizeof key, "renew:%s:%s", lease_id, hex);
  ledger_event_in ev = {CUSTODY_RUN, LEDGER_KIND_LEASE_RENEWED, key, now, NULL, payload};
  return ledger_txn_event_append(t, &ev, NULL, err);
}

static int renew_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct renew_job *j = p;
  ledger__lease_row r;
  char now[LEDGER_TS_MAX], exp[LEDGER_TS_MAX], res[LEDGER_ID_MAX + 8];
  int64_t now_ms;
  int rc;
  if ((rc = ledger__lease_get(t->c, j->lease_id, &r, err)))
    return rc;
  if (strcmp(r.status, "closed") == 0 && !ledger__lease_past(&r))
    return ledger__errf(err, LEDGER_ECLOSED, 0, "lease %s is %s; its run %s is closed", r.lease_id,
                        r.lease_status, r.run_id);
  if (ledger__lease_past(&r))
    return ledger__errf(err, LEDGER_EEXPIRED, 0,
                        "lease %s expired at %s and cannot be renewed; claim the work again",
                        r.lease_id, r.expires_at);
  if (strcmp(r.lease_status, "active") != 0)
    return ledger__errf(err, LEDGER_EEXPIRED, 0, "lease %s is %s", r.lease_id, r.lease_status);
  if (j->want_token >= 0 && j->want_token != r.token)
    return ledger__errf(err, LEDGER_ESTALE, 0,
                        "fencing token %lld is not the current token of lease %s",
                        (long long)j->want_token, r.lease_id);
  snprintf(res, sizeof res, "work:%s", r.work_id);
  if ((rc = ledger_txn_lock_check(t, res, r.token, err)))
    return rc;
  json_int_t ttl = j->ttl > 0 ? j->ttl : claim_ttl(t->c, r.run_id);
  if (ttl <= 0)
    ttl = 3600;
  ledger_now(now);
  if (ledger_ts_parse(&now_ms, now))
    return ledger__errf(err, LEDGER_ERROR, 0, "clock error");
  ledger_ts_format(exp, now_ms + (int64_t)ttl * 1000);
  if ((rc = renew_rows(t, &r, exp, err)))
    return rc;
  json_t *payload = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "lease_id", r.lease_id, "run_id",
                              r.run_id, "work_id", r.work_id, "previous_expires_at", r.expires_at,
                              "expires_at", exp, "ttl_s", ttl, "fencing_token",
                              (json_int_t)r.token);
  if (!payload)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  rc = custody_append(t, j->ctx, payload, r.lease_id, now, err);
  json_decref(payload);
  if (rc)
    return rc;
  j->out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "lease_id", r.lease_id, "run_id", r.run_id,
                     "work_id", r.work_id, "expires_at", exp, "previous_expires_at", r.expires_at,
                     "fencing_token", (json_int_t)r.token, "renewed_at", now);
  return j->out ? LEDGER_OK : ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
}

int ledger_work_renew(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                      ledger_err *err)
{
  struct renew_job j = {ctx, ledger__arg_str(args, "lease_id"), 0, -1, NULL};
  json_t *ttl = json_object_get(args, "ttl"), *tok = json_object_get(args, "fencing_token");
  *out = NULL;
  if (!j.lease_id)
    return ledger__errf(err, LEDGER_EINVAL, 0, "a lease id is required");
  if (ttl && !json_is_null(ttl)) {
    if (!json_is_integer(ttl) || json_integer_value(ttl) <= 0 ||
        json_integer_value(ttl) > SEAL_MOTUS_TTL_MAX)
      return ledger__errf(err, LEDGER_EINVAL, 0, "ttl must be an integer number of seconds (1..%d)",
                          SEAL_MOTUS_TTL_MAX);
    j.ttl = json_integer_value(ttl);
  }
  if (tok && !json_is_null(tok)) {
    if (!json_is_integer(tok) || json_integer_value(tok) < 1)
      return ledger__errf(err, LEDGER_EINVAL, 0, "fencing_token must be a positive integer");
    j.want_token = json_integer_value(tok);
  }
  int rc = ledger_tx(l, renew_fn, &j, err);
  if (rc) {
    json_decref(j.out);
    return rc;
  }
  *out = j.out;
  return LEDGER_OK;
}
