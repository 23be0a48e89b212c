/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/tools/test_runs_short.c — which tool calls a run_short session (stdio) runs on its
 * reader thread instead of a worker (mcp_tool_impl.runs_short, spec/mcp.md): motus_work_evidence
 * only on a SQLite Store (ledger_defers_writes: its lease check reads a reader connection and its
 * append waits for the call's commit), only with a lease id, and never when it must hash a file
 * first; no Store, no lease id or a file means a worker. Tools without the hook keep it NULL.
 * Test code only. */
#include "tools/tools.h"
#include "ledger/ledger.h"
#include "mcp/mcp.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mcp_tool_impl *find(const mcp_tool_impl *t, const char *name)
{
  for (; t->name; t++)
    if (strcmp(t->name, name) == 0)
      return t;
  return NULL;
}

START_TEST(evidence_short_only_when_deferred)
{
  char *dir = ts_tmpdir(), path[600];
  ledger_opts lo = LEDGER_OPTS_INIT;
  ledger *l = NULL;
  const mcp_tool_impl *ev = find(tools_motus, "motus_work_evidence");
  snprintf(path, sizeof path, "%s/kernel-store.db", dir);
  lo.create = 1;
  ck_assert_int_eq(ledger_open(&l, path, &lo, NULL), LEDGER_OK);
  ck_assert_int_eq(ledger_defers_writes(l), 1);
  ck_assert_int_eq(ledger_defers_writes(NULL), 0);
  ck_assert_ptr_nonnull(ev);
  ck_assert_ptr_nonnull(ev->runs_short);

  json_t *plain = json_pack("{s:s,s:s}", "lease_id", "lease_1", "kind", "test_result");
  json_t *file = json_pack("{s:s,s:s,s:s}", "lease_id", "lease_1", "kind", "log", "file", "x.log");
  json_t *nolease = json_pack("{s:s}", "kind", "test_result");
  json_t *badlease = json_pack("{s:i,s:s}", "lease_id", 7, "kind", "test_result");
  ck_assert_int_eq(ev->runs_short(l, plain), 1);
  ck_assert_int_eq(ev->runs_short(l, file), 0);
  ck_assert_int_eq(ev->runs_short(l, nolease), 0);
  ck_assert_int_eq(ev->runs_short(l, badlease), 0);
  ck_assert_int_eq(ev->runs_short(l, NULL), 0);
  ck_assert_int_eq(ev->runs_short(NULL, plain), 0);

  /* the claim writes as steps (it opens a run): always a worker */
  ck_assert_ptr_null(find(tools_motus, "motus_work_claim")->runs_short);
  json_decref(plain);
  json_decref(file);
  json_decref(nolease);
  json_decref(badlease);
  ledger_close(l);
  ts_rmrf(dir);
  free(dir);
}
END_TEST

Suite *runs_short_suite(void);
Suite *runs_short_suite(void)
{
  Suite *s = suite_create("runs_short");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, evidence_short_only_when_deferred);
  suite_add_tcase(s, tc);
  return s;
}
