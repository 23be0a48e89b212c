/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/policy/check_main.c — entry point of check_policy: runs the policy gate and config
 * suites. Test code only. */
#include "tests/support/test_support.h"
#include "tests/unit/policy/policy_tests.h"

int main(void)
{
  Suite *suites[] = {policy_suite(), config_suite()};
  return ts_run(suites, sizeof suites / sizeof suites[0]);
}
