/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/client/main.c — entry point of check_client: the SSE parser (transports/sse.h) and
 * the MCP client (client/client.h) against the real MCP-over-HTTP server in-process, its
 * conformance fixtures (SSE progress), and a scripted fake peer for every failure mode. */
#include "tests/support/test_support.h"

#include <check.h>

Suite *client_sse_suite(void);
Suite *client_suite(void);

int main(void) {
  Suite *suites[] = {client_sse_suite(), client_suite()};
  return ts_run(suites, sizeof suites / sizeof suites[0]);
}
