/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/policy_tests.h — the suites of check_policy (policy gate, config loader,
 * approvals helpers). Test code only. */
#ifndef WL_TESTS_POLICY_TESTS_H
#define WL_TESTS_POLICY_TESTS_H
#include <check.h>

Suite *policy_suite(void);
Suite *config_suite(void);

#endif
