/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/config/test_upstreams.c — the "upstreams" section and the `mcp` executor type of
 * .motus/config.json (spec/config.md, spec/upstreams.md): defaults filled in (env, limits,
 * tools), risk names turned into integers, every bad value refused with a message naming its
 * key, and an mcp executor that names no configured upstream refused. Test code only. */
#include "config/config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static json_t *norm(const char *text, char *err, size_t errlen)
{
  json_t *in = json_loads(text, 0, NULL), *out = NULL;
  ck_assert_ptr_nonnull(in);
  if (mcp_config_normalize(&out, in, err, errlen) != 0)
    out = NULL;
  json_decref(in);
  return out;
}

START_TEST(test_upstreams__defaults_and_overrides)
{
  char err[512] = "";
  json_t *cfg = norm("{\"upstreams\":[{\"name\":\"fs\",\"command\":[\"npx\",\"srv\"],"
                     "\"tools\":{\"write_file\":{\"risk\":\"R4\",\"deny\":true}}},"
                     "{\"name\":\"remote\",\"url\":\"https://h/mcp\",\"token_env\":\"TOK\","
                     "\"timeout_s\":5}],"
                     "\"executors\":{\"echo\":{\"type\":\"mcp\",\"upstream\":\"fs\","
                     "\"tool\":\"echo\"}}}",
                     err, sizeof err);
  ck_assert_msg(cfg != NULL, "%s", err);
  const json_t *fs = mcp_config_upstream(cfg, "fs"), *remote = mcp_config_upstream(cfg, "remote");
  ck_assert_ptr_nonnull(fs);
  ck_assert_ptr_nonnull(remote);
  ck_assert_ptr_null(mcp_config_upstream(cfg, "nope"));
  ck_assert_int_eq(json_array_size(mcp_config_upstreams(cfg)), 2);
  ck_assert_int_eq(mcp_config_int(fs, "timeout_s", 0), 60);
  ck_assert_int_eq(mcp_config_int(fs, "max_result_bytes", 0), 4 << 20);
  ck_assert_int_eq(mcp_config_int(fs, "max_concurrency", 0), 16);
  ck_assert_int_eq(json_object_size(json_object_get(fs, "env")), 0);
  ck_assert_int_eq(mcp_config_int(fs, "tools.write_file.risk", -1), 4);
  ck_assert_int_eq(mcp_config_bool(fs, "tools.write_file.deny", 0), 1);
  ck_assert_int_eq(mcp_config_int(remote, "timeout_s", 0), 5);
  ck_assert_int_eq(json_object_size(json_object_get(remote, "tools")), 0);
  const json_t *ex = mcp_config_executor(cfg, "echo");
  ck_assert_str_eq(mcp_config_str(ex, "type", ""), "mcp");
  ck_assert_int_eq(mcp_config_int(ex, "timeout_s", 0), 300);
  ck_assert_int_eq(mcp_config_task_executor_count(cfg), 1);
  json_t *again = NULL;
  ck_assert_int_eq(mcp_config_normalize(&again, cfg, err, sizeof err), 0);
  ck_assert(json_equal(again, cfg));
  json_decref(again);
  json_decref(cfg);
  cfg = norm("{}", err, sizeof err);
  ck_assert_int_eq(json_array_size(mcp_config_upstreams(cfg)), 0);
  json_decref(cfg);
}
END_TEST

START_TEST(test_upstreams__errors_name_the_key)
{
  static const struct {
    const char *json;
    const char *key;
  } t[] = {
      {"{\"upstreams\":{}}", "upstreams"},
      {"{\"upstreams\":[{\"command\":[\"a\"]}]}", "upstreams[0].name"},
      {"{\"upstreams\":[{\"name\":\"a__b\",\"command\":[\"a\"]}]}", "upstreams[0].name"},
      {"{\"upstreams\":[{\"name\":\"a b\",\"command\":[\"a\"]}]}", "upstreams[0].name"},
      {"{\"upstreams\":[{\"name\":\"a\"}]}", "upstreams[0]"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"url\":\"http://h\"}]}",
       "upstreams[0]"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[]}]}", "upstreams[0].command"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":\"npx\"}]}", "upstreams[0].command"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"env\":{\"1X\":\"v\"}}]}",
       "upstreams[0].env.1X"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"env\":{\"X\":1}}]}",
       "upstreams[0].env.X"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"token_env\":\"T\"}]}",
       "upstreams[0]"},
      {"{\"upstreams\":[{\"name\":\"a\",\"url\":\"ftp://h\"}]}", "upstreams[0].url"},
      {"{\"upstreams\":[{\"name\":\"a\",\"url\":\"http://h\",\"token_env\":\"A-B\"}]}",
       "upstreams[0].token_env"},
      {"{\"upstreams\":[{\"name\":\"a\",\"url\":\"http://h\",\"cwd\":\"/\"}]}", "upstreams[0]"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"timeout_s\":0}]}",
       "upstreams[0].timeout_s"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"max_result_bytes\":10}]}",
       "upstreams[0].max_result_bytes"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"max_concurrency\":0}]}",
       "upstreams[0].max_concurrency"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"tools\":{\"t\":{\"risk\":\"R9\"}}}]}",
       "upstreams[0].tools.t.risk"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"tools\":{\"t\":{\"deny\":1}}}]}",
       "upstreams[0].tools.t.deny"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"tools\":{\"t\":{\"allow\":true}}}]}",
       "upstreams[0].tools.t.allow"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"],\"shell\":true}]}",
       "upstreams[0].shell"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"]},{\"name\":\"a\",\"url\":\"http://h\"}]}",
       "upstreams[1].name"},
      {"{\"executors\":{\"x\":{\"type\":\"mcp\",\"upstream\":\"nope\",\"tool\":\"t\"}}}",
       "executors.x.upstream"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"]}],\"executors\":{\"x\":{\"type\":"
       "\"mcp\",\"upstream\":\"a\"}}}",
       "executors.x.tool"},
      {"{\"upstreams\":[{\"name\":\"a\",\"command\":[\"a\"]}],\"executors\":{\"x\":{\"type\":"
       "\"mcp\",\"upstream\":\"a\",\"tool\":\"t\",\"argv\":[\"a\"]}}}",
       "executors.x.argv"},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    char err[512] = "", want[300];
    json_t *cfg = norm(t[i].json, err, sizeof err);
    ck_assert_msg(cfg == NULL, "%s: accepted", t[i].json);
    snprintf(want, sizeof want, "%s: ", t[i].key);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s: message \"%s\" does not name %s",
                  t[i].json, err, t[i].key);
  }
}
END_TEST

Suite *config_upstreams_suite(void); /* found by tests/CMakeLists.txt */
Suite *config_upstreams_suite(void)
{
  Suite *s = suite_create("config_upstreams");
  TCase *tc = tcase_create("upstreams");
  tcase_add_test(tc, test_upstreams__defaults_and_overrides);
  tcase_add_test(tc, test_upstreams__errors_name_the_key);
  suite_add_tcase(s, tc);
  return s;
}
