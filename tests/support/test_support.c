/* SPDX-License-Identifier: Apache-2.0
 * tests/support/test_support.c — implementation of the shared test helpers (test_support.h). */
#include "tests/support/test_support.h"
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ts_shared_path(const char *rel)
{
  static char buf[4096];
  static int warned;
  const char *root = getenv("WL_SHARED_DIR");
  if (!root || !*root)
    root = WL_SHARED_DIR;
  struct stat st;
  if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (!warned++)
      fprintf(stderr, "SKIP: ../shared absent (%s): fixture tests skipped\n", root);
    return NULL;
  }
  snprintf(buf, sizeof buf, "%s/%s", root, rel);
  return buf;
}

const char *ts_source_path(const char *rel)
{
  static char buf[4096];
  snprintf(buf, sizeof buf, "%s/%s", WL_SOURCE_DIR, rel);
  return buf;
}

char *ts_read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (cap - n - 1 == 0) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf)
    return NULL;
  buf[n] = 0;
  if (len)
    *len = n;
  return buf;
}

json_t *ts_load_json(const char *path)
{
  json_error_t e;
  json_t *v = json_load_file(path, 0, &e);
  ck_assert_msg(v != NULL, "cannot load %s: %s (line %d)", path, e.text, e.line);
  return v;
}

char *ts_tmpdir(void)
{
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/wltest.XXXXXX", base && *base ? base : "/tmp");
  char *d = mkdtemp(tmpl);
  ck_assert_msg(d != NULL, "mkdtemp failed");
  return strdup(d);
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

void ts_rmrf(const char *path)
{
  if (path)
    nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int ts_run(Suite **suites, size_t n)
{
  SRunner *sr = srunner_create(suites[0]);
  for (size_t i = 1; i < n; i++)
    srunner_add_suite(sr, suites[i]);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
