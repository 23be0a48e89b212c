/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/test_delegate.c — routing of motebit_task between the command and the
 * delegate executors (spec/mcp.md §3.1.1): a local command for the capability comes first in the
 * table; a peer is chosen only when its capabilities cover ALL required ones (the first such
 * peer in config order); a task without required capabilities never leaves the node. The
 * network side of the delegate executor is covered end to end by tests/e2e/delegation.sh. */
#include "config/config.h"
#include "tools/executor.h"

#include <check.h>
#include <string.h>

static json_t *cfg_of(const char *text)
{
  json_error_t jerr;
  json_t *in = json_loads(text, 0, &jerr), *out = NULL;
  char err[256] = "";
  ck_assert_ptr_nonnull(in);
  ck_assert_msg(mcp_config_normalize(&out, in, err, sizeof err) == 0, "%s", err);
  json_decref(in);
  return out;
}

/* The name of the route the table order would pick ("command:<n>", "delegate:<n>", "-"). */
static const char *pick(const json_t *cfg, const char *required_json, char *buf, size_t cap)
{
  const mcp_executor *table[] = {&mcp_executor_command, &mcp_executor_delegate};
  json_t *req = json_loads(required_json, 0, NULL);
  snprintf(buf, cap, "-");
  for (size_t i = 0; i < 2; i++) {
    mcp_route r;
    memset(&r, 0, sizeof r);
    if (table[i]->route(cfg, req, &r)) {
      snprintf(buf, cap, "%s:%s", table[i]->type, r.name);
      ck_assert_ptr_nonnull(r.spec);
      break;
    }
  }
  json_decref(req);
  return buf;
}

START_TEST(routing_order)
{
  char b[200];
  json_t *cfg = cfg_of(
      "{\"executors\":{\"x\":{\"type\":\"command\",\"argv\":[\"cat\"]}},"
      "\"peers\":[{\"name\":\"p1\",\"url\":\"http://127.0.0.1:1/mcp\",\"capabilities\":[\"x\",\"y\"]},"
      "{\"name\":\"p2\",\"url\":\"http://127.0.0.1:2/mcp\",\"capabilities\":[\"y\",\"z\"]}]}");
  ck_assert_str_eq(pick(cfg, "[\"x\"]", b, sizeof b), "command:x");   /* local first */
  ck_assert_str_eq(pick(cfg, "[\"y\"]", b, sizeof b), "delegate:p1"); /* first covering peer */
  ck_assert_str_eq(pick(cfg, "[\"x\",\"y\"]", b, sizeof b), "delegate:p1");
  ck_assert_str_eq(pick(cfg, "[\"z\",\"y\"]", b, sizeof b), "delegate:p2");
  ck_assert_str_eq(pick(cfg, "[\"x\",\"z\"]", b, sizeof b), "-"); /* no peer covers both */
  ck_assert_str_eq(pick(cfg, "[\"w\"]", b, sizeof b), "-");
  ck_assert_str_eq(pick(cfg, "[]", b, sizeof b), "command:x"); /* the only executor */
  json_decref(cfg);
  cfg = cfg_of(
      "{\"peers\":[{\"name\":\"p1\",\"url\":\"http://127.0.0.1:1/mcp\",\"capabilities\":[\"x\"]}]}");
  ck_assert_str_eq(pick(cfg, "[]", b, sizeof b), "-"); /* never delegated without capabilities */
  ck_assert_str_eq(pick(cfg, "[\"x\"]", b, sizeof b), "delegate:p1");
  ck_assert_int_eq(mcp_config_int(json_array_get(mcp_config_peers(cfg), 0), "timeout_s", 0), 300);
  json_decref(cfg);
}
END_TEST

Suite *delegate_suite(void);
Suite *delegate_suite(void)
{
  Suite *s = suite_create("delegate");
  TCase *t = tcase_create("routing");
  tcase_add_test(t, routing_order);
  suite_add_tcase(s, t);
  return s;
}
