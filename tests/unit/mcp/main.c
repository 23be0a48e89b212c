/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/main.c — runs the Check suites of mcp/ (core over the in-memory transport) and
 * of the JSON Schema validator, and the routing between executors. */
#include "tests/support/test_support.h"

Suite *core_suite(void);
Suite *jschema_suite(void);
Suite *store_suite(void);
Suite *delegate_suite(void);

int main(void)
{
  Suite *s[] = {jschema_suite(), core_suite(), store_suite(), delegate_suite()};
  return ts_run(s, sizeof s / sizeof *s);
}
