/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/ledger/test_walbuf.c — the "wl-walbuf" VFS of the writer connection (ledger/vfs.c):
 * a synchronous=FULL Store's writer goes through it and a NORMAL one does not; transactions far
 * larger than its 128 KiB buffer (and frames that cross it) commit whole, are read back by an
 * independent connection on the default VFS while the Store is still open, survive a reopen
 * and pass doctor; and a rolled-back large transaction leaves nothing behind. The SIGKILL crash
 * trials of test_ledger.c run through the same VFS (every FULL Store uses it). */
#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "ledger/ledger_int.h"
#include "tests/support/test_support.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static ledger *open_store(int durability)
{
  ledger_opts o = LEDGER_OPTS_INIT;
  o.create = 1;
  o.durability = durability;
  ledger *l = NULL;
  ledger_err e = {0};
  ck_assert_msg(ledger_open(&l, store, &o, &e) == 0, "open: %s", e.msg);
  return l;
}

struct big {
  char run[LEDGER_ID_MAX];
  int n, size, fail_at_end;
  char tag;
};

static int job_open(ledger_txn *t, void *p, ledger_err *err)
{
  struct big *b = p;
  ledger_run_in in = {NULL, "W-WALBUF", "test", NULL};
  return ledger_txn_run_open(t, &in, b->run, NULL, err);
}

/* n events of `size` bytes each in ONE transaction; with fail_at_end the job fails after
 * appending them all, so the whole transaction must roll back. */
static int job_big(ledger_txn *t, void *p, ledger_err *err)
{
  struct big *b = p;
  char *blob = malloc((size_t)b->size + 1);
  int rc = LEDGER_OK;
  ck_assert_ptr_nonnull(blob);
  for (int i = 0; i < b->n && rc == LEDGER_OK; i++) {
    char key[64];
    memset(blob, 'a' + (i + b->tag) % 26, (size_t)b->size);
    blob[b->size] = 0;
    snprintf(key, sizeof key, "big-%c-%d", b->tag, i);
    json_t *pl = json_pack("{s:s,s:s,s:s,s:s}", "tool", "t", "caller", "c", "status", "completed",
                           "blob", blob);
    ledger_event_in in = {b->run, "mcp.call", key, NULL, NULL, pl};
    rc = ledger_txn_event_append(t, &in, NULL, err);
    json_decref(pl);
  }
  free(blob);
  if (rc == LEDGER_OK && b->fail_at_end)
    rc = ledger__errf(err, LEDGER_EINVAL, 0, "fail after the appends (test)");
  return rc;
}

/* Read with a connection of our own, on SQLite's default VFS: events and payload bytes. */
static void count_outside(const char *run, long *events, long *bytes)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  ck_assert_int_eq(sqlite3_open_v2(store, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  ck_assert_int_eq(sqlite3_prepare_v2(db,
                                      "SELECT count(*), coalesce(sum(length(json_extract(payload,"
                                      " '$.blob'))), 0) FROM events WHERE run_id = ?1",
                                      -1, &st, NULL),
                   SQLITE_OK);
  sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
  ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
  *events = sqlite3_column_int64(st, 0);
  *bytes = sqlite3_column_int64(st, 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static int vfs_is_walbuf(ledger *l)
{
  char *name = NULL;
  ck_assert_int_eq(sqlite3_file_control(l->wconn->db, "main", SQLITE_FCNTL_VFSNAME, &name),
                   SQLITE_OK);
  int yes = name && strstr(name, LEDGER_WALBUF_VFS) != NULL;
  sqlite3_free(name);
  return yes;
}

static const char *doctor(ledger *l)
{
  static char s[16];
  json_t *d = NULL;
  ck_assert_int_eq(ledger_doctor(l, 0, &d, NULL), 0);
  snprintf(s, sizeof s, "%s", json_string_value(json_object_get(d, "status")));
  json_decref(d);
  return s;
}

START_TEST(test_full_store_uses_walbuf)
{
  ledger *l = open_store(LEDGER_DURABLE_FULL);
  ck_assert_msg(vfs_is_walbuf(l), "a synchronous=FULL writer must use %s", LEDGER_WALBUF_VFS);
  ledger_close(l);
  l = open_store(LEDGER_DURABLE_NORMAL);
  ck_assert_msg(!vfs_is_walbuf(l), "a synchronous=NORMAL writer must not buffer WAL writes");
  ledger_close(l);
}
END_TEST

START_TEST(test_large_transactions)
{
  ledger *l = open_store(LEDGER_DURABLE_FULL);
  struct big b = {0};
  ledger_err e = {0};
  ck_assert_msg(ledger_tx(l, job_open, &b, &e) == 0, "%s", e.msg);
  /* 1.5 MB in one transaction: a dozen buffer loads, rows on overflow pages */
  b.n = 48;
  b.size = 32000;
  b.tag = 'x';
  ck_assert_msg(ledger_tx(l, job_big, &b, &e) == 0, "%s", e.msg);
  long n = 0, bytes = 0;
  count_outside(b.run, &n, &bytes);
  ck_assert_int_eq(n, 48);
  ck_assert_int_eq(bytes, 48L * 32000);
  /* many small transactions after it, each a few frames */
  for (int i = 0; i < 40; i++) {
    struct big s = b;
    s.n = 1;
    s.size = 100 + 97 * i;
    s.tag = (char)('A' + i); /* unique keys: tags 'A'..'h' */
    ck_assert_msg(ledger_tx(l, job_big, &s, &e) == 0, "%s", e.msg);
  }
  count_outside(b.run, &n, &bytes);
  ck_assert_int_eq(n, 88);
  /* a large transaction that fails at its end leaves nothing */
  struct big f = b;
  f.tag = 'z';
  f.n = 20;
  f.fail_at_end = 1;
  ck_assert_int_eq(ledger_tx(l, job_big, &f, &e), LEDGER_EINVAL);
  count_outside(b.run, &n, &bytes);
  ck_assert_int_eq(n, 88);
  ck_assert_str_eq(doctor(l), "pass");
  ledger_close(l);

  /* reopened: everything there */
  l = open_store(LEDGER_DURABLE_FULL);
  count_outside(b.run, &n, &bytes);
  ck_assert_int_eq(n, 88);
  ck_assert_str_eq(doctor(l), "pass");
  ledger_close(l);
}
END_TEST

Suite *walbuf_suite(void);
Suite *walbuf_suite(void)
{
  Suite *s = suite_create("walbuf");
  TCase *tc = tcase_create("vfs");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_full_store_uses_walbuf);
  tcase_add_test(tc, test_large_transactions);
  suite_add_tcase(s, tc);
  return s;
}
