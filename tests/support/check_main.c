/* SPDX-License-Identifier: Apache-2.0
 * tests/support/check_main.c — the one Check runner of every unit suite. tests/CMakeLists.txt
 * builds one executable per folder of tests/unit/ (check_<folder>) from this file and the
 * folder's sources; it finds the suites (every definition `Suite *name(void)` in those sources)
 * and generates check_suites.h, which declares them and lists them as TS_SUITES in file order.
 * The library is initialised first (libsodium), then ts_run runs all suites in one SRunner. */
#include "check_suites.h"
#include "crypto/seal.h"
#include "tests/support/test_support.h"

#include <stdio.h>

int main(void)
{
  if (seal_init() != SEAL_OK) {
    fprintf(stderr, "check: libsodium failed to initialise\n");
    return 1;
  }
  Suite *suites[] = {TS_SUITES};
  return ts_run(suites, sizeof suites / sizeof suites[0]);
}
