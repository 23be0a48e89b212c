/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/config/test_config.c — .motus/config.json loading (spec/config.md): defaults for a
 * missing file, every documented key accepted, every validation error naming its key, unknown
 * keys refused, the embeddings endpoint (executors.embeddings) with its defaults and not counted
 * as a task executor, invalid JSON reported with its line, and the getters. Test code only. */
#include "config/config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/support/test_support.h"
#include "tests/unit/mcp/policy_tests.h"

static char *dir;

static void setup(void)
{
  dir = ts_tmpdir();
}

static void teardown(void)
{
  ts_rmrf(dir);
  free(dir);
}

static void write_cfg(const char *text)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

/* R-CONFIG-001: a missing file yields every default. */
START_TEST(test_config_load__missing_file_defaults)
{
  json_t *cfg = NULL;
  char err[256] = "";
  ck_assert_int_eq(mcp_config_load(&cfg, dir, err, sizeof err), 0);
  ck_assert_str_eq(mcp_config_profile(cfg), "personal");
  ck_assert_str_eq(mcp_config_str(cfg, "policy.preset", NULL), "balanced");
  ck_assert_int_eq(mcp_config_int(cfg, "policy.require_approval_above", 99), 1);
  ck_assert_int_eq(mcp_config_int(cfg, "policy.deny_above", 99), 3);
  ck_assert_int_eq(mcp_config_int(cfg, "policy.budget.calls", 99), -1);
  ck_assert_int_eq(mcp_config_int(cfg, "policy.budget.window_s", 0), 3600);
  ck_assert_ptr_null(mcp_config_get(cfg, "policy.allowlist"));
  ck_assert_ptr_null(mcp_config_motebit_id(cfg));
  ck_assert_ptr_null(mcp_config_device_id(cfg));
  ck_assert_str_eq(mcp_config_str(cfg, "http.bind", NULL), "127.0.0.1:3100");
  ck_assert_int_eq(mcp_config_int(cfg, "http.max_body_bytes", 0), 4 * 1024 * 1024);
  ck_assert_int_eq(mcp_config_bool(cfg, "http.trust_on_first_use", 1), 0);
  ck_assert_int_eq(mcp_config_bool(cfg, "http.console", 0), 1);
  ck_assert_int_eq(mcp_config_int(cfg, "policy.approval_wait_s", 99), 0);
  ck_assert_str_eq(json_string_value(json_array_get(mcp_config_get(cfg, "http.audiences"), 0)),
                   "task:submit");
  ck_assert(json_is_object(mcp_config_executors(cfg)));
  ck_assert_int_eq(json_array_size(mcp_config_peers(cfg)), 0);
  ck_assert_ptr_null(mcp_config_service_listing(cfg));
  ck_assert(mcp_config_memory_half_life_days(cfg) == 7.0);
  json_decref(cfg);
  /* getters on NULL */
  ck_assert_str_eq(mcp_config_profile(NULL), "personal");
  ck_assert_ptr_null(mcp_config_policy(NULL));
  ck_assert_int_eq(mcp_config_int(NULL, "x", 5), 5);
}
END_TEST

/* R-CONFIG-002: a full example (the one in spec/config.md) loads and normalizes. */
START_TEST(test_config_load__full_example)
{
  write_cfg(
      "{\n"
      "  \"profile\": \"service\",\n"
      "  \"motebit_id\": \"0f6a3c1e-1111-8222-9333-444455556666\",\n"
      "  \"device_id\": \"laptop-1\",\n"
      "  \"policy\": {\n"
      "    \"preset\": \"balanced\", \"deny_above\": \"R3_EXECUTE\",\n"
      "    \"denylist\": [\"motus_wrap\"], \"allowlist\": [\"motebit_identity\", \"motebit_task\"],\n"
      "    \"budget\": {\"calls\": 100, \"window_s\": 60},\n"
      "    \"path_allowlist\": [\"/srv/work\"], \"domain_allowlist\": [\"example.com\"],\n"
      "    \"callers\": {\"peer-1\": \"trusted\", \"spammer\": \"blocked\"}\n"
      "  },\n"
      "  \"http\": {\n"
      "    \"bind\": \"[::1]:8080\", \"tokens\": [{\"name\": \"relay\", \"token\": \"s3cret-relay-token\"}],\n"
      "    \"known_callers\": {\"peer-1\": \"e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f0\"},\n"
      "    \"trust_on_first_use\": true, \"audiences\": [\"task:submit\", \"custom:x\"],\n"
      "    \"allowed_hosts\": [\"localhost\"], \"allowed_origins\": [\"https://app.example.com\"],\n"
      "    \"max_body_bytes\": 65536\n"
      "  },\n"
      "  \"executors\": {\"echo\": {\"type\": \"command\", \"argv\": [\"/bin/cat\"], \"env_var\": \"PROMPT\"}},\n"
      "  \"peers\": [{\"name\": \"b\", \"url\": \"http://127.0.0.1:3101\", \"capabilities\": [\"summarize\"],\n"
      "             \"public_key\": \"e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f0\",\n"
      "             \"motebit_token\": true}],\n"
      "  \"service_listing\": {\"capabilities\": [\"echo\"], \"description\": \"echo service\",\n"
      "    \"pricing\": [{\"capability\": \"echo\", \"unit_cost\": 0.01, \"currency\": \"USD\", \"per\": \"task\"}],\n"
      "    \"sla\": {\"max_latency_ms\": 5000, \"availability_guarantee\": 0.99}},\n"
      "  \"memory\": {\"half_life_days\": 14.5}\n"
      "}\n");
  json_t *cfg = NULL;
  char err[256] = "";
  ck_assert_msg(mcp_config_load(&cfg, dir, err, sizeof err) == 0, "%s", err);
  ck_assert_str_eq(mcp_config_profile(cfg), "service");
  ck_assert_str_eq(mcp_config_motebit_id(cfg), "0f6a3c1e-1111-8222-9333-444455556666");
  ck_assert_str_eq(mcp_config_device_id(cfg), "laptop-1");
  ck_assert_int_eq(mcp_config_int(cfg, "policy.deny_above", 0), 3);
  ck_assert_int_eq(mcp_config_int(cfg, "policy.require_approval_above", 0), 1);
  ck_assert_str_eq(mcp_config_http_token_name(cfg, "s3cret-relay-token"), "relay");
  ck_assert_ptr_null(mcp_config_http_token_name(cfg, "s3cret-relay-toke"));
  ck_assert_ptr_null(mcp_config_http_token_name(cfg, NULL));
  ck_assert_str_eq(mcp_config_known_caller(cfg, "peer-1"),
                   "e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f0");
  ck_assert_ptr_null(mcp_config_known_caller(cfg, "peer-2"));
  const json_t *ex = mcp_config_executor(cfg, "echo");
  ck_assert_ptr_nonnull(ex);
  ck_assert(json_is_true(json_object_get(ex, "stdin")));
  ck_assert_int_eq(json_integer_value(json_object_get(ex, "timeout_s")), 300);
  ck_assert_int_eq(json_integer_value(json_object_get(ex, "max_output_bytes")), 1024 * 1024);
  ck_assert_ptr_null(mcp_config_executor(cfg, "nope"));
  ck_assert_int_eq(json_array_size(mcp_config_peers(cfg)), 1);
  ck_assert(
      json_is_true(mcp_config_get(json_array_get(mcp_config_peers(cfg), 0), "motebit_token")));
  ck_assert_int_eq(mcp_config_int(json_array_get(mcp_config_peers(cfg), 0), "timeout_s", 0), 300);
  ck_assert_str_eq(mcp_config_str(mcp_config_service_listing(cfg), "description", NULL),
                   "echo service");
  ck_assert(mcp_config_memory_half_life_days(cfg) == 14.5);
  json_decref(cfg);
}
END_TEST

/* R-CONFIG-002: the example in spec/config.md is valid. */
START_TEST(test_config_load__spec_example)
{
  char *md = ts_read_file(ts_source_path("spec/config.md"), NULL);
  ck_assert_ptr_nonnull(md);
  char *start = strstr(md, "```json\n");
  ck_assert_ptr_nonnull(start);
  start += 8;
  char *end = strstr(start, "```");
  ck_assert_ptr_nonnull(end);
  *end = 0;
  write_cfg(start);
  free(md);
  json_t *cfg = NULL;
  char err[256] = "";
  ck_assert_msg(mcp_config_load(&cfg, dir, err, sizeof err) == 0, "%s", err);
  ck_assert_str_eq(mcp_config_profile(cfg), "service");
  ck_assert_int_eq(mcp_config_int(cfg, "policy.budget.calls", 0), 100);
  json_decref(cfg);
}
END_TEST

/* R-CONFIG-003: every bad value is refused with a one-line message naming the key. */
START_TEST(test_config_load__errors_name_the_key)
{
  static const struct {
    const char *json;
    const char *key;
  } t[] = {
      {"{\"profil\":\"service\"}", "profil"},
      {"{\"profile\":\"robot\"}", "profile"},
      {"{\"motebit_id\":\"\"}", "motebit_id"},
      {"{\"device_id\":7}", "device_id"},
      {"{\"policy\":[]}", "policy"},
      {"{\"policy\":{\"deny_above\":\"R7\"}}", "policy.deny_above"},
      {"{\"policy\":{\"budget\":{\"calls\":1.5}}}", "policy.budget.calls"},
      {"{\"http\":{\"bind\":\"localhost\"}}", "http.bind"},
      {"{\"http\":{\"bind\":\"localhost:70000\"}}", "http.bind"},
      {"{\"http\":{\"tokens\":[{\"name\":\"a\"}]}}", "http.tokens[0].token"},
      {"{\"http\":{\"tokens\":[{\"name\":\"a\",\"token\":\"t1\",\"scope\":1}]}}",
       "http.tokens[0].scope"},
      {"{\"http\":{\"tokens\":[{\"name\":\"a\",\"token\":\"t1\"},{\"name\":\"a\",\"token\":\"t2\"}]}}",
       "http.tokens[1].name"},
      {"{\"http\":{\"known_callers\":{\"m\":\"ABCD\"}}}", "http.known_callers.m"},
      {"{\"http\":{\"trust_on_first_use\":\"yes\"}}", "http.trust_on_first_use"},
      {"{\"http\":{\"allowed_hosts\":[\"\"]}}", "http.allowed_hosts[0]"},
      {"{\"http\":{\"max_body_bytes\":0}}", "http.max_body_bytes"},
      {"{\"http\":{\"port\":3100}}", "http.port"},
      {"{\"http\":{\"console\":\"off\"}}", "http.console"},
      {"{\"http\":{\"tokens\":[{\"name\":\"a\",\"token\":\"t1\",\"operator\":1}]}}",
       "http.tokens[0].operator"},
      {"{\"policy\":{\"approval_wait_s\":3601}}", "policy.approval_wait_s"},
      {"{\"policy\":{\"approval_wait_s\":-1}}", "policy.approval_wait_s"},
      {"{\"executors\":{\"x\":{\"type\":\"shell\",\"argv\":[\"sh\"]}}}", "executors.x.type"},
      {"{\"executors\":{\"x\":{\"type\":\"command\"}}}", "executors.x.argv"},
      {"{\"executors\":{\"x\":{\"type\":\"command\",\"argv\":[]}}}", "executors.x.argv"},
      {"{\"executors\":{\"x\":{\"type\":\"command\",\"argv\":[\"a\"],\"stdin\":1}}}",
       "executors.x.stdin"},
      {"{\"executors\":{\"x\":{\"type\":\"command\",\"argv\":[\"a\"],\"env_var\":\"1X\"}}}",
       "executors.x.env_var"},
      {"{\"executors\":{\"x\":{\"type\":\"command\",\"argv\":[\"a\"],\"timeout_s\":0}}}",
       "executors.x.timeout_s"},
      {"{\"executors\":{\"x\":{\"type\":\"command\",\"argv\":[\"a\"],\"max_output_bytes\":-1}}}",
       "executors.x.max_output_bytes"},
      {"{\"executors\":{\"x\":{\"type\":\"command\",\"argv\":[\"a\"],\"shell\":true}}}",
       "executors.x.shell"},
      {"{\"executors\":{\"embeddings\":{\"type\":\"command\",\"argv\":[\"a\"]}}}",
       "executors.embeddings.type"},
      {"{\"executors\":{\"x\":{\"type\":\"openai\",\"url\":\"http://a/v1\",\"model\":\"m\"}}}",
       "executors.x.type"},
      {"{\"executors\":{\"embeddings\":{\"type\":\"openai\",\"model\":\"m\"}}}",
       "executors.embeddings.url"},
      {"{\"executors\":{\"embeddings\":{\"type\":\"openai\",\"url\":\"file:///x\",\"model\":\"m\"}}}",
       "executors.embeddings.url"},
      {"{\"executors\":{\"embeddings\":{\"type\":\"openai\",\"url\":\"https://u:sk-1@a/v1\",\"model\":\"m\"}}}",
       "executors.embeddings.url"},
      {"{\"executors\":{\"embeddings\":{\"type\":\"openai\",\"url\":\"http://a/v1\"}}}",
       "executors.embeddings.model"},
      {"{\"executors\":{\"embeddings\":{\"type\":\"openai\",\"url\":\"http://a/v1\",\"model\":\"m\",\"api_key_env\":\"A-B\"}}}",
       "executors.embeddings.api_key_env"},
      {"{\"executors\":{\"embeddings\":{\"type\":\"openai\",\"url\":\"http://a/v1\",\"model\":\"m\",\"timeout_s\":301}}}",
       "executors.embeddings.timeout_s"},
      {"{\"executors\":{\"embeddings\":{\"type\":\"openai\",\"url\":\"http://a/v1\",\"model\":\"m\",\"max_response_bytes\":10}}}",
       "executors.embeddings.max_response_bytes"},
      {"{\"executors\":{\"embeddings\":{\"type\":\"openai\",\"url\":\"http://a/v1\",\"model\":\"m\",\"api_key\":\"sk\"}}}",
       "executors.embeddings.api_key"},
      {"{\"peers\":{}}", "peers"},
      {"{\"peers\":[{\"url\":\"http://a\"}]}", "peers[0].name"},
      {"{\"peers\":[{\"name\":\"a\",\"url\":\"ftp://a\"}]}", "peers[0].url"},
      {"{\"peers\":[{\"name\":\"a\",\"url\":\"http://a\",\"public_key\":\"xyz\"}]}",
       "peers[0].public_key"},
      {"{\"peers\":[{\"name\":\"a\",\"url\":\"http://a\",\"motebit_token\":\"no\"}]}",
       "peers[0].motebit_token"},
      {"{\"peers\":[{\"name\":\"a\",\"url\":\"http://a\",\"timeout_s\":0}]}", "peers[0].timeout_s"},
      {"{\"peers\":[{\"name\":\"a\",\"url\":\"http://a\",\"token\":\"t\",\"motebit_token\":true}]}",
       "peers[0].motebit_token"},
      {"{\"peers\":[{\"name\":\"a\",\"url\":\"http://a\"},{\"name\":\"a\",\"url\":\"http://b\"}]}",
       "peers[1].name"},
      {"{\"service_listing\":{\"pricing\":[{\"capability\":\"x\",\"unit_cost\":-1,\"currency\":\"USD\",\"per\":\"task\"}]}}",
       "service_listing.pricing[0].unit_cost"},
      {"{\"service_listing\":{\"sla\":{\"availability_guarantee\":2}}}",
       "service_listing.sla.availability_guarantee"},
      {"{\"service_listing\":{\"price\":1}}", "service_listing.price"},
      {"{\"memory\":{\"half_life_days\":0}}", "memory.half_life_days"},
      {"{\"memory\":{\"halflife\":3}}", "memory.halflife"},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    json_t *cfg = (json_t *)0x1;
    char err[512] = "";
    write_cfg(t[i].json);
    ck_assert_int_eq(mcp_config_load(&cfg, dir, err, sizeof err), -1);
    ck_assert_ptr_null(cfg);
    char want[300];
    snprintf(want, sizeof want, "config.json: %s: ", t[i].key);
    ck_assert_msg(strstr(err, want) != NULL, "%s: message \"%s\" does not name %s", t[i].json, err,
                  t[i].key);
    ck_assert_ptr_null(strchr(err, '\n'));
  }
}
END_TEST

/* executors.embeddings: the embeddings endpoint, with its defaults; not a task executor. */
START_TEST(test_config_load__embeddings)
{
  json_t *cfg = NULL;
  char err[256] = "";
  write_cfg("{\"executors\":{\"embeddings\":{\"type\":\"openai\",\"url\":\"http://127.0.0.1:9/v1\","
            "\"model\":\"text-embedding-3-small\",\"api_key_env\":\"OPENAI_API_KEY\"}}}");
  ck_assert_msg(mcp_config_load(&cfg, dir, err, sizeof err) == 0, "%s", err);
  const json_t *e = mcp_config_embeddings(cfg);
  ck_assert_ptr_nonnull(e);
  ck_assert_str_eq(mcp_config_str(e, "model", ""), "text-embedding-3-small");
  ck_assert_str_eq(mcp_config_str(e, "api_key_env", ""), "OPENAI_API_KEY");
  ck_assert_int_eq(mcp_config_int(e, "timeout_s", 0), 10);
  ck_assert_int_eq(mcp_config_int(e, "max_response_bytes", 0), 4 * 1024 * 1024);
  ck_assert_int_eq(mcp_config_task_executor_count(cfg), 0);
  json_decref(cfg);
  write_cfg("{\"executors\":{\"embeddings\":{\"type\":\"openai\",\"url\":\"https://e/v1/\","
            "\"model\":\"m\",\"timeout_s\":3,\"max_response_bytes\":2048},"
            "\"echo\":{\"type\":\"command\",\"argv\":[\"/bin/cat\"]}}}");
  ck_assert_msg(mcp_config_load(&cfg, dir, err, sizeof err) == 0, "%s", err);
  ck_assert_int_eq(mcp_config_int(mcp_config_embeddings(cfg), "timeout_s", 0), 3);
  ck_assert_ptr_null(mcp_config_get(mcp_config_embeddings(cfg), "api_key_env"));
  ck_assert_int_eq(mcp_config_task_executor_count(cfg), 1);
  json_decref(cfg);
  ck_assert_int_eq(mcp_config_load(&cfg, "/nonexistent-dir-for-test", err, sizeof err), 0);
  ck_assert_ptr_null(mcp_config_embeddings(cfg));
  json_decref(cfg);
  ck_assert_ptr_null(mcp_config_embeddings(NULL));
}
END_TEST

/* R-CONFIG-004: invalid JSON names the file and line; duplicate keys are refused; not an object. */
/* http.tokens[].operator marks the console's operators (spec/config.md). */
START_TEST(test_config_load__operator_tokens)
{
  json_t *cfg = NULL;
  char err[256] = "";
  write_cfg("{\"http\":{\"console\":false,\"tokens\":[{\"name\":\"agent\",\"token\":\"t1\"},"
            "{\"name\":\"op\",\"token\":\"t2\",\"operator\":true}]},"
            "\"policy\":{\"approval_wait_s\":300}}");
  ck_assert_int_eq(mcp_config_load(&cfg, dir, err, sizeof err), 0);
  ck_assert_int_eq(mcp_config_http_token_is_operator(cfg, "op"), 1);
  ck_assert_int_eq(mcp_config_http_token_is_operator(cfg, "agent"), 0);
  ck_assert_int_eq(mcp_config_http_token_is_operator(cfg, "nobody"), 0);
  ck_assert_int_eq(mcp_config_http_token_is_operator(cfg, NULL), 0);
  ck_assert_int_eq(mcp_config_bool(cfg, "http.console", 1), 0);
  ck_assert_int_eq(mcp_config_int(cfg, "policy.approval_wait_s", 0), 300);
  json_decref(cfg);
}
END_TEST

START_TEST(test_config_load__invalid_json)
{
  json_t *cfg = NULL;
  char err[512] = "";
  write_cfg("{\n  \"profile\": \"service\",\n  oops\n}\n");
  ck_assert_int_eq(mcp_config_load(&cfg, dir, err, sizeof err), -1);
  ck_assert_ptr_nonnull(strstr(err, "config.json: invalid JSON at line 3"));
  write_cfg("{\"profile\":\"service\",\"profile\":\"personal\"}");
  ck_assert_int_eq(mcp_config_load(&cfg, dir, err, sizeof err), -1);
  ck_assert_ptr_nonnull(strstr(err, "invalid JSON"));
  write_cfg("[1,2]");
  ck_assert_int_eq(mcp_config_load(&cfg, dir, err, sizeof err), -1);
  ck_assert_ptr_nonnull(strstr(err, "must be a JSON object"));
  ck_assert_ptr_null(cfg);
}
END_TEST

/* Normalizing an already-normalized config is the identity. */
START_TEST(test_config_normalize__idempotent)
{
  json_t *a = NULL, *b = NULL;
  json_t *in = json_loads("{\"profile\":\"collaborative\",\"policy\":{\"preset\":\"cautious\"},"
                          "\"service_listing\":{}}",
                          0, NULL);
  ck_assert_int_eq(mcp_config_normalize(&a, in, NULL, 0), 0);
  ck_assert_int_eq(mcp_config_normalize(&b, a, NULL, 0), 0);
  ck_assert(json_equal(a, b));
  ck_assert_int_eq(mcp_config_int(a, "policy.require_approval_above", 9), 0);
  ck_assert_int_eq(mcp_config_int(a, "service_listing.sla.max_latency_ms", 0), 300000);
  /* the input is not modified */
  ck_assert_ptr_null(json_object_get(in, "http"));
  json_decref(in);
  json_decref(a);
  json_decref(b);
}
END_TEST

Suite *config_suite(void)
{
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_set_timeout(tc, 60); /* not Check's 4 s: a busy 2-core machine under ASan is slower */
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_config_load__missing_file_defaults);
  tcase_add_test(tc, test_config_load__full_example);
  tcase_add_test(tc, test_config_load__spec_example);
  tcase_add_test(tc, test_config_load__errors_name_the_key);
  tcase_add_test(tc, test_config_load__embeddings);
  tcase_add_test(tc, test_config_load__operator_tokens);
  tcase_add_test(tc, test_config_load__invalid_json);
  tcase_add_test(tc, test_config_normalize__idempotent);
  suite_add_tcase(s, tc);
  return s;
}
