/* SPDX-License-Identifier: Apache-2.0
 * serve/http_authlog.c — the record of failed authentications of the HTTP binding: every
 * rejected request is counted; up to AUTH_EVENTS_PER_SEC a second become `http.auth_failed`
 * events (without the token) in a Store run of their own, opened at the first failure and closed
 * with the listener; the rest are counted into the next event or the run's close. */
#include "serve/http_int.h"

#include "crypto/seal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define AUTH_KIND "http.auth_failed"
/* At most this many rejected requests a second become events of their own; the rest are counted
 * and the count goes into the next recorded event (suppressed_before) or the run's close, so a
 * flood of bad tokens cannot turn the listener into an fsync loop nor grow the Store without
 * bound, and no failure goes uncounted. */
#define AUTH_EVENTS_PER_SEC 20

void http_authlog_init(http_authlog *a, struct ledger *store, const char *motebit_id)
{
  memset(a, 0, sizeof *a);
  a->store = store;
  a->motebit_id = motebit_id;
  pthread_mutex_init(&a->mu, NULL);
}

typedef struct auth_job {
  http_authlog *a;
  const char *work_id;
  json_t *payload;
  char key[SEAL_SOVEREIGN_ID];
} auth_job;

static int auth_open_fn(ledger_txn *t, void *p, ledger_err *err)
{
  auth_job *j = p;
  json_t *req = json_pack("[s,s,s]", "reason", "peer", "auth");
  int rc = ledger_txn_kind_register(t, AUTH_KIND, req, err);
  json_decref(req);
  if (rc != LEDGER_OK && rc != LEDGER_ECONFLICT)
    return rc;
  ledger_run_in in = {.work_id = j->work_id, .producer_id = "workledger.http"};
  if ((rc = ledger_txn_run_open(t, &in, j->a->run, NULL, err)))
    return rc;
  json_t *pl = json_pack("{s:s,s:{s:s,s:s},s:{s:s},s:{s:s}}", "work_id", j->work_id, "actor", "id",
                         j->a->motebit_id ? j->a->motebit_id : "workledger", "type", "service",
                         "trigger", "kind", "http_listener", "instruction", "summary",
                         "HTTP listener: one http.auth_failed event per rejected request");
  ledger_event_in ev = {.run_id = j->a->run,
                        .event_kind = LEDGER_KIND_WORK_STARTED,
                        .idempotency_key = "listener-start",
                        .payload = pl};
  rc = ledger_txn_event_append(t, &ev, NULL, err);
  json_decref(pl);
  return rc;
}

static int auth_event_fn(ledger_txn *t, void *p, ledger_err *err)
{
  auth_job *j = p;
  ledger_event_in ev = {.run_id = j->a->run,
                        .event_kind = AUTH_KIND,
                        .idempotency_key = j->key,
                        .payload = j->payload};
  return ledger_txn_event_append(t, &ev, NULL, err);
}

static int auth_close_fn(ledger_txn *t, void *p, ledger_err *err)
{
  http_authlog *a = p;
  json_t *pl = json_pack("{s:{s:s},s:{s:s},s:{s:s},s:{s:s}}", "outcome", "status", "success",
                         "acceptance", "status", "not_evaluated", "route_summary", "route",
                         "http_listener", "handoff", "next", "none");
  if (pl && a->suppressed)
    json_object_set_new(pl, "suppressed_auth_failures", json_integer((json_int_t)a->suppressed));
  ledger_event_in ev = {.run_id = a->run,
                        .event_kind = LEDGER_KIND_WORK_CLOSED,
                        .idempotency_key = "listener-stop",
                        .payload = pl};
  int rc = ledger_txn_run_close(t, &ev, NULL, err);
  json_decref(pl);
  return rc;
}

static int64_t mono_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void http_authlog_record(http_authlog *a, const char *peer, const char *path,
                         const mcp_auth_result *ar, unsigned status)
{
  uint64_t suppressed;
  atomic_fetch_add(&a->failures, 1);
  pthread_mutex_lock(&a->mu);
  int64_t now = mono_now_ms();
  if (now - a->win_ms >= 1000) {
    if (a->suppressed)
      mcp_log(MCP_LOG_WARNING,
              "http auth: %llu more rejected requests counted, not logged one by one",
              (unsigned long long)a->suppressed);
    a->win_ms = now;
    a->win_n = 0;
  }
  if (a->win_n >= AUTH_EVENTS_PER_SEC) {
    a->suppressed++;
    pthread_mutex_unlock(&a->mu);
    return;
  }
  a->win_n++;
  suppressed = a->suppressed;
  a->suppressed = 0;
  pthread_mutex_unlock(&a->mu);
  mcp_log(MCP_LOG_WARNING, "http auth: %u for %s (%s auth, caller %s): %s", status, peer,
          ar->method, ar->caller_id, ar->reason);
  if (!a->store)
    return;
  ledger_err lerr;
  memset(&lerr, 0, sizeof lerr);
  pthread_mutex_lock(&a->mu);
  if (!a->run_open) {
    char uuid[SEAL_SOVEREIGN_ID], work[80];
    seal_uuid4(uuid);
    snprintf(work, sizeof work, "http-auth-%s", uuid);
    auth_job j = {.a = a, .work_id = work};
    if (ledger_tx(a->store, auth_open_fn, &j, &lerr) == LEDGER_OK)
      a->run_open = 1;
    else
      mcp_log(MCP_LOG_WARNING, "http auth: cannot open the auth run: %s", lerr.msg);
  }
  int open = a->run_open;
  pthread_mutex_unlock(&a->mu);
  if (!open)
    return;
  auth_job j = {.a = a};
  seal_uuid4(j.key);
  j.payload = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}", "reason", ar->reason, "peer", peer, "auth",
                        ar->method, "claimed_caller", ar->caller_id, "path", path, "status",
                        (int)status);
  if (j.payload && suppressed)
    json_object_set_new(j.payload, "suppressed_before", json_integer((json_int_t)suppressed));
  if (j.payload && ledger_tx(a->store, auth_event_fn, &j, &lerr) != LEDGER_OK)
    mcp_log(MCP_LOG_WARNING, "http auth: cannot record the failure: %s", lerr.msg);
  json_decref(j.payload);
}

uint64_t http_authlog_count(http_authlog *a)
{
  return atomic_load(&a->failures);
}

void http_authlog_close(http_authlog *a)
{
  if (a->run_open && a->store) {
    ledger_err lerr;
    memset(&lerr, 0, sizeof lerr);
    if (ledger_tx(a->store, auth_close_fn, a, &lerr) != LEDGER_OK)
      mcp_log(MCP_LOG_WARNING, "http auth: cannot close the auth run: %s", lerr.msg);
  }
  pthread_mutex_destroy(&a->mu);
}
