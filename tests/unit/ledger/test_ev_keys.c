/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/ledger/test_ev_keys.c — the idempotency keys of evidence and decision events
 * (spec/store.md "Idempotency keys"): "<prefix>:<ms>:<id>", the id the call answered with and
 * the time the key was made (13 digits, between two clock readings around the call), so that
 * the keys of a run sort in the order of its events (each new key lands at the end of the
 * (run_id, idempotency_key) index, not on a random page). */
#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "ledger/work.h"
#include "tests/support/test_support.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

Suite *ev_keys_suite(void);

static char *tmp;
static char store[4096];

static void setup(void)
{
  ck_assert_int_eq(seal_init(), 0);
  tmp = ts_tmpdir();
  snprintf(store, sizeof store, "%s/kernel-store.db", tmp);
}

static void teardown(void)
{
  ts_rmrf(tmp);
  free(tmp);
  tmp = NULL;
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Checks `key` is "<prefix>:<13 digits>:<id>" with the digits within [lo, hi]; returns them. */
static long long check_key(const char *key, const char *prefix, const char *id, long long lo,
                           long long hi)
{
  size_t pl = strlen(prefix);
  char *end = NULL;
  ck_assert_msg(strncmp(key, prefix, pl) == 0 && key[pl] == ':', "key %s", key);
  long long ms = strtoll(key + pl + 1, &end, 10);
  ck_assert_msg(end == key + pl + 14 && *end == ':', "key %s: 13 digits of ms", key);
  ck_assert_msg(ms >= lo && ms <= hi, "key %s: %lld not in [%lld, %lld]", key, ms, lo, hi);
  ck_assert_str_eq(end + 1, id);
  return ms;
}

START_TEST(evidence_keys_sort_in_event_order)
{
  ledger_opts o = LEDGER_OPTS_INIT;
  ledger *l = NULL;
  seal_key *key = NULL;
  uint8_t seed[32];
  ledger_err e = {0};
  char ids[5][64];
  long long lo[5], hi[5];
  o.create = 1;
  ck_assert_msg(ledger_open(&l, store, &o, &e) == 0, "open: %s", e.msg);
  memset(seed, 9, sizeof seed);
  ck_assert_int_eq(seal_key_from_seed(&key, seed), 0);
  ledger_work_ctx ctx = {"cli", "0.1.0", "tester", NULL, NULL, key, NULL};
  json_t *a = json_pack("{s:s,s:s}", "work_id", "ADHOC-KEYS-1", "intent", "keys");
  json_t *claim = NULL, *out = NULL;
  ck_assert_msg(ledger_work_claim(l, &ctx, a, &claim, &e) == 0, "%s", e.msg);
  const char *lease = json_string_value(json_object_get(claim, "lease_id"));
  for (int i = 0; i < 5; i++) {
    json_t *x = i == 3 ? json_pack("{s:s,s:s}", "lease_id", lease, "text", "ship it")
                       : json_pack("{s:s,s:s,s:i}", "lease_id", lease, "kind", "test_result",
                                   "passed", i);
    lo[i] = now_ms();
    int rc = i == 3 ? ledger_work_decision(l, &ctx, x, &out, &e)
                    : ledger_work_evidence(l, &ctx, x, &out, &e);
    hi[i] = now_ms();
    ck_assert_msg(rc == 0, "%s", e.msg);
    snprintf(ids[i], sizeof ids[i], "%s",
             json_string_value(json_object_get(out, i == 3 ? "decision_id" : "evidence_id")));
    json_decref(out);
    json_decref(x);
  }
  /* read back by an independent connection, in seq order */
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  ck_assert_int_eq(sqlite3_open_v2(store, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_prepare_v2(db,
                                      "SELECT idempotency_key FROM events WHERE event_kind = "
                                      "'evidence.referenced' ORDER BY run_id, seq",
                                      -1, &st, NULL),
                   SQLITE_OK);
  long long prev = 0;
  int n = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *k = (const char *)sqlite3_column_text(st, 0);
    ck_assert_int_lt(n, 5);
    long long ms = check_key(k, n == 3 ? "decision" : "evidence", ids[n], lo[n], hi[n]);
    ck_assert_msg(ms >= prev, "%s: made before the event ahead of it (%lld)", k, prev);
    prev = ms;
    n++;
  }
  ck_assert_int_eq(n, 5);
  sqlite3_finalize(st);
  sqlite3_close(db);
  json_decref(claim);
  json_decref(a);
  seal_key_free(key);
  ledger_close(l);
}
END_TEST

Suite *ev_keys_suite(void)
{
  Suite *s = suite_create("ev_keys");
  TCase *tc = tcase_create("ev_keys");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, evidence_keys_sort_in_event_order);
  suite_add_tcase(s, tc);
  return s;
}
