/* SPDX-License-Identifier: Apache-2.0
 * ledger/work_runs.c — ledger_work_runs(): the Store's runs, newest first, filtered by state,
 * outcome, work id and start time, with limit and offset (`workledger run list`). One read
 * transaction on a reader connection; nothing is written. */
#include "ledger/work_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char SQL_RUNS[] =
    "SELECT run_id FROM runs WHERE (?1 = 0 OR status = 'open')"
    " AND (?2 IS NULL OR outcome_status = ?2) AND (?3 IS NULL OR work_id = ?3)"
    " AND (?4 IS NULL OR started_at >= ?4)"
    " ORDER BY started_at DESC, run_id ASC LIMIT ?5 OFFSET ?6";

struct runs_q {
  int open_only;
  const char *outcome, *work_id;
  char since[LEDGER_TS_MAX];
  json_int_t limit, offset;
  json_t *out;
};

static int runs_view(lconn *c, void *p, ledger_err *err)
{
  struct runs_q *q = p;
  db_stmt *st = ledger__stmt(c, SQL_RUNS, err);
  json_t *ids = json_array(), *items = json_array(), *v;
  size_t i;
  int rc;
  if (!st) {
    json_decref(ids);
    json_decref(items);
    return LEDGER_ERROR;
  }
  db_bind_int(st, 1, q->open_only);
  BIND_OPT(st, 2, q->outcome);
  BIND_OPT(st, 3, q->work_id);
  BIND_OPT(st, 4, q->since[0] ? q->since : NULL);
  db_bind_int64(st, 5, q->limit);
  db_bind_int64(st, 6, q->offset);
  while ((rc = db_step(st)) == SQLITE_ROW)
    json_array_append_new(ids, json_string(COLTXT(st, 0)));
  db_reset(st);
  rc = rc == SQLITE_DONE ? LEDGER_OK : ledger__sqlerr(err, c, rc, "list runs");
  json_array_foreach(ids, i, v) {
    json_t *run = NULL;
    if (rc || (rc = ledger__run_json(c, json_string_value(v), &run, err)))
      break;
    json_t *lease = json_object_get(run, "lease");
    const char *ls = ledger__lease_status_now(json_string_value(json_object_get(lease, "status")),
                                              json_string_value(
                                                  json_object_get(lease, "expires_at")));
    if (lease && ls && strcmp(ls, "expired") == 0) /* a literal: safe to set over the member */
      json_object_set_new(lease, "status", json_string(ls));
    json_array_append_new(items, run);
  }
  json_decref(ids);
  if (rc) {
    json_decref(items);
    return rc;
  }
  q->out = json_pack("{s:I,s:I,s:I,s:o}", "count", (json_int_t)json_array_size(items), "offset",
                     q->offset, "limit", q->limit, "items", items);
  return q->out ? LEDGER_OK : ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
}

/* An integer member in [lo, hi], or `dflt` when absent. */
static int int_arg(const json_t *args, const char *k, json_int_t lo, json_int_t hi, json_int_t dflt,
                   json_int_t *out, ledger_err *err)
{
  json_t *v = json_object_get(args, k);
  *out = dflt;
  if (!v || json_is_null(v))
    return LEDGER_OK;
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
    return ledger__errf(err, LEDGER_EINVAL, 0, "%s must be an integer in %lld..%lld", k,
                        (long long)lo, (long long)hi);
  *out = json_integer_value(v);
  return LEDGER_OK;
}

int ledger_work_runs(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                     ledger_err *err)
{
  static const char *const outcomes[] = {"success",    "failure", "partial", "aborted",
                                         "superseded", "unknown", NULL};
  struct runs_q q;
  const char *since = ledger__arg_str(args, "since");
  int rc, ok = 0;
  (void)ctx;
  *out = NULL;
  memset(&q, 0, sizeof q);
  q.open_only = json_is_true(json_object_get(args, "open"));
  q.outcome = ledger__arg_str(args, "outcome");
  q.work_id = ledger__arg_str(args, "work_id");
  for (int i = 0; q.outcome && outcomes[i]; i++)
    ok |= strcmp(q.outcome, outcomes[i]) == 0;
  if (q.outcome && !ok)
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "outcome must be success, failure, partial, aborted, superseded or "
                        "unknown (got '%s')",
                        q.outcome);
  if (since) {
    char buf[LEDGER_TS_MAX + 16];
    int64_t ms;
    /* a date alone means its midnight (UTC) */
    snprintf(buf, sizeof buf, strlen(since) == 10 ? "%sT00:00:00Z" : "%s", since);
    if (strlen(since) > LEDGER_TS_MAX + 4 || ledger_ts_parse(&ms, buf) != LEDGER_OK)
      return ledger__errf(err, LEDGER_EINVAL, 0,
                          "since must be a UTC timestamp such as 2026-01-31T12:00:00Z or a date "
                          "such as 2026-01-31 (got '%s')",
                          since);
    ledger_ts_format(q.since, ms); /* the stored form, so that text order is time order */
  }
  if ((rc = int_arg(args, "limit", 1, 1000, 100, &q.limit, err)) ||
      (rc = int_arg(args, "offset", 0, INT32_MAX, 0, &q.offset, err)))
    return rc;
  rc = ledger__read(l, runs_view, &q, err);
  *out = rc ? NULL : q.out;
  return rc;
}
