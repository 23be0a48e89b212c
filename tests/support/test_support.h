/* SPDX-License-Identifier: Apache-2.0
 * tests/support/test_support.h — small helpers shared by the Check suites: where the upstream
 * fixtures are (../shared beside the repo, skipped with a message when absent), reading whole
 * files, and fresh temporary directories. Test code only. */
#ifndef WL_TEST_SUPPORT_H
#define WL_TEST_SUPPORT_H
#include <check.h>
#include <jansson.h>
#include <stddef.h>

/* Absolute path of ../shared/<rel> into a static buffer, or NULL when ../shared is absent
 * (then prints "SKIP: ../shared absent: <what>" to stderr once). */
const char *ts_shared_path(const char *rel);
/* Absolute path of <repo>/<rel> (static buffer). */
const char *ts_source_path(const char *rel);
/* Reads a whole file; malloc'd NUL-terminated, *len set when non-NULL. NULL on error. */
char *ts_read_file(const char *path, size_t *len);
/* Loads a JSON file (new reference) or fails the test. */
json_t *ts_load_json(const char *path);
/* mkdtemp under $TMPDIR; returns a malloc'd path. Removed by ts_rmrf. */
char *ts_tmpdir(void);
void ts_rmrf(const char *path);
/* Runs the suites and returns the process exit status (0 when all passed). */
int ts_run(Suite **suites, size_t n);

#endif
