/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/config/test_oom.c — allocation-failure sweeps (tests/support/alloc_fail.h) over
 * mcp_config_load_ex: the full example of spec/config.md (which touches every section), a
 * config with a bad value, and a --profile override. With every allocation failing in turn, loading must either give the
 * same normalized object as without failures or return -1 with *out NULL and a message; a bad
 * config must never load; nothing may crash or leak (ASan). */
#include "config/config.h"
#include "tests/support/alloc_fail.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *oom_config_suite(void);

typedef struct oom_cfg {
  char *dir;
  json_t *want;        /* the config loaded without failures; NULL for a bad file */
  const char *profile; /* the --profile override, or NULL */
} oom_cfg;

static void write_cfg(const char *dir, const char *text)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static void path_load(long fail_at, void *ctx)
{
  oom_cfg *t = ctx;
  json_t *cfg = NULL;
  char err[256] = "";
  af_arm(fail_at);
  int rc = mcp_config_load_ex(&cfg, t->dir, t->profile, err, sizeof err);
  af_disarm();
  if (rc == 0) {
    ck_assert_msg(t->want != NULL, "a bad config loaded after allocation %ld failed", fail_at);
    ck_assert_msg(json_equal(cfg, t->want), "a different config after allocation %ld failed",
                  fail_at);
  } else {
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(cfg);
    ck_assert_msg(err[0] != '\0', "no message (allocation %ld)", fail_at);
    ck_assert_msg(fail_at > 0 || t->want == NULL, "%s", err);
  }
  json_decref(cfg);
}

START_TEST(oom_config_full_example)
{
  oom_cfg t = {ts_tmpdir(), NULL, NULL};
  char err[256] = "";
  char *md = ts_read_file(ts_source_path("spec/config.md"), NULL);
  ck_assert_ptr_nonnull(md);
  char *start = strstr(md, "```json\n");
  ck_assert_ptr_nonnull(start);
  start += 8;
  char *end = strstr(start, "```");
  ck_assert_ptr_nonnull(end);
  *end = 0;
  write_cfg(t.dir, start);
  free(md);
  ck_assert_msg(mcp_config_load_ex(&t.want, t.dir, NULL, err, sizeof err) == 0, "%s", err);
  af_sweep("mcp_config_load_ex(spec example)", path_load, &t, 0);
  json_decref(t.want);
  ts_rmrf(t.dir);
  free(t.dir);
}
END_TEST

START_TEST(oom_config_bad_value)
{
  oom_cfg t = {ts_tmpdir(), NULL, NULL};
  write_cfg(t.dir,
            "{\"profile\":\"service\",\"http\":{\"tokens\":[{\"name\":\"a\",\"token\":\"t1\"},"
            "{\"name\":\"a\",\"token\":\"t2\"}]}}");
  af_sweep("mcp_config_load_ex(bad value)", path_load, &t, 0);
  ts_rmrf(t.dir);
  free(t.dir);
}
END_TEST

/* The --profile override must not be lost (the file's personal policy would then apply). */
START_TEST(oom_config_profile_override)
{
  oom_cfg t = {ts_tmpdir(), NULL, "service"};
  char err[256] = "";
  write_cfg(t.dir, "{\"profile\":\"personal\",\"device_id\":\"d1\"}");
  ck_assert_msg(mcp_config_load_ex(&t.want, t.dir, "service", err, sizeof err) == 0, "%s", err);
  ck_assert_str_eq(mcp_config_str(t.want, "policy.preset", ""), "service");
  af_sweep("mcp_config_load_ex(--profile service)", path_load, &t, 0);
  json_decref(t.want);
  ts_rmrf(t.dir);
  free(t.dir);
}
END_TEST

Suite *oom_config_suite(void)
{
  Suite *s = suite_create("oom_config");
  TCase *tc = tcase_create("sweep");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, oom_config_full_example);
  tcase_add_test(tc, oom_config_bad_value);
  tcase_add_test(tc, oom_config_profile_override);
  suite_add_tcase(s, tc);
  return s;
}
