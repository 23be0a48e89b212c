/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/http/test_main.c — entry point of check_http: the HTTP transport suite (server and
 * client against each other) and the MCP-over-HTTP auth/glue suites. */
#include "tests/support/test_support.h"

#include <check.h>

Suite *http_transport_suite(void);
Suite *http_auth_suite(void);

int main(void) {
  Suite *suites[] = {http_transport_suite(), http_auth_suite()};
  return ts_run(suites, sizeof suites / sizeof suites[0]);
}
