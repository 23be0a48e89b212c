/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/schemas/test_schemas.c — schemas/ as the single source of truth: every Motus
 * argument limit in schemas/tools/motus_*.json equals its shared constant (SEAL_MOTUS_*,
 * crypto/artifacts.h) that the ledger checks with; the tool argument check shared by the MCP
 * call path and the CLI (schema_tool_args_check) accepts, refuses with the tools/call message,
 * and reports unknown tools; profile names. Test code only. */
#include "crypto/artifacts.h"
#include "schemas/schemas.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

Suite *schemas_suite(void);

/* The integer value of inputSchema.properties.<prop>.<kw> (or of .items.<kw> when `items`). */
static json_int_t schema_limit(const char *tool, const char *prop, const char *kw)
{
  const struct schema_file *f = schema_tool_find(tool);
  json_error_t jerr;
  json_t *doc, *v;
  json_int_t n;
  ck_assert_msg(f != NULL, "no schema for %s", tool);
  doc = json_loadb(f->text, f->len, 0, &jerr);
  ck_assert_msg(doc != NULL, "%s: %s", tool, jerr.text);
  v = json_object_get(
      json_object_get(json_object_get(json_object_get(doc, "inputSchema"), "properties"), prop),
      kw);
  ck_assert_msg(json_is_integer(v), "%s: %s has no integer %s", tool, prop, kw);
  n = json_integer_value(v);
  json_decref(doc);
  return n;
}

START_TEST(test_limits__schemas_agree_with_the_shared_constants)
{
  static const struct {
    const char *tool, *prop, *kw;
    json_int_t want;
  } lim[] = {
      {"motus_work_claim", "work_id", "maxLength", SEAL_MOTUS_ID_MAX},
      {"motus_work_claim", "actor", "maxLength", SEAL_MOTUS_ID_MAX},
      {"motus_work_claim", "intent", "maxLength", SEAL_MOTUS_TEXT_MAX},
      {"motus_work_claim", "ttl", "maximum", SEAL_MOTUS_TTL_MAX},
      {"motus_work_evidence", "lease_id", "maxLength", SEAL_MOTUS_ID_MAX},
      {"motus_work_evidence", "kind", "maxLength", SEAL_MOTUS_KIND_MAX},
      {"motus_work_evidence", "uri", "maxLength", SEAL_MOTUS_URI_MAX},
      {"motus_work_evidence", "summary", "maxLength", SEAL_MOTUS_TEXT_MAX},
      {"motus_work_decision", "lease_id", "maxLength", SEAL_MOTUS_ID_MAX},
      {"motus_work_decision", "text", "maxLength", SEAL_MOTUS_TEXT_MAX},
      {"motus_work_decision", "rationale", "maxLength", SEAL_MOTUS_TEXT_MAX},
      {"motus_work_release", "lease_id", "maxLength", SEAL_MOTUS_ID_MAX},
      {"motus_work_release", "summary", "maxLength", SEAL_MOTUS_TEXT_MAX},
      {"motus_work_receipt", "id", "maxLength", SEAL_MOTUS_ID_MAX},
      {"motus_work_status", "id", "maxLength", SEAL_MOTUS_ID_MAX},
      {"motus_run_export", "id", "maxLength", SEAL_MOTUS_ID_MAX},
      {"motus_wrap", "work_id", "maxLength", SEAL_MOTUS_ID_MAX},
      {"motus_wrap", "timeout_s", "maximum", SEAL_MOTUS_WRAP_TIMEOUT_MAX},
  };
  for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++)
    ck_assert_msg(schema_limit(lim[i].tool, lim[i].prop, lim[i].kw) == lim[i].want,
                  "schemas/tools/%s.json: %s.%s is %lld, the shared constant says %lld",
                  lim[i].tool, lim[i].prop, lim[i].kw,
                  (long long)schema_limit(lim[i].tool, lim[i].prop, lim[i].kw),
                  (long long)lim[i].want);
}
END_TEST

static json_t *evidence_args(size_t summary_len)
{
  char *s = malloc(summary_len + 1);
  json_t *a;
  ck_assert_ptr_nonnull(s);
  memset(s, 'a', summary_len);
  s[summary_len] = 0;
  a = json_pack("{s:s,s:s,s:s}", "lease_id", "lease-x", "kind", "log", "summary", s);
  free(s);
  return a;
}

START_TEST(test_args__accepts_and_refuses_with_the_call_message)
{
  char msg[600];
  json_t *ok = evidence_args(3000), *big = evidence_args(SEAL_MOTUS_TEXT_MAX + 1);
  ck_assert_int_eq(schema_tool_args_check("motus_work_evidence", ok, msg, sizeof msg),
                   SCHEMA_ARGS_OK);
  ck_assert_int_eq(schema_tool_args_check("motus_work_evidence", big, msg, sizeof msg),
                   SCHEMA_ARGS_INVALID);
  ck_assert_str_eq(msg, "Invalid arguments for tool motus_work_evidence: /summary: string longer "
                        "than 4000 characters");
  json_decref(ok);
  json_decref(big);
}
END_TEST

START_TEST(test_args__root_problem_has_no_path_and_unknown_tool)
{
  char msg[600];
  json_t *a = json_object();
  ck_assert_int_eq(schema_tool_args_check("motus_work_status", a, msg, sizeof msg),
                   SCHEMA_ARGS_INVALID);
  ck_assert_msg(strncmp(msg, "Invalid arguments for tool motus_work_status: ", 46) == 0 &&
                    msg[46] != '/' && msg[46] != ':',
                "%s", msg);
  ck_assert_int_eq(schema_tool_args_check("no_such_tool", a, msg, sizeof msg), SCHEMA_ARGS_NOTOOL);
  ck_assert_ptr_null(schema_tool_find("no_such_tool"));
  ck_assert_ptr_null(schema_tool_find(NULL));
  json_decref(a);
  schema_args_message(msg, sizeof msg, "t", "", "m");
  ck_assert_str_eq(msg, "Invalid arguments for tool t: m");
  schema_args_message(msg, sizeof msg, "t", "/p", "m");
  ck_assert_str_eq(msg, "Invalid arguments for tool t: /p: m");
}
END_TEST

START_TEST(test_profiles__the_three_names)
{
  ck_assert(seal_profile_valid(SEAL_PROFILE_PERSONAL));
  ck_assert(seal_profile_valid(SEAL_PROFILE_SERVICE));
  ck_assert(seal_profile_valid(SEAL_PROFILE_COLLABORATIVE));
  ck_assert(!seal_profile_valid("Personal"));
  ck_assert(!seal_profile_valid(""));
  ck_assert(!seal_profile_valid(NULL));
}
END_TEST

Suite *schemas_suite(void)
{
  Suite *s = suite_create("schemas");
  TCase *tc = tcase_create("schemas");
  tcase_add_test(tc, test_limits__schemas_agree_with_the_shared_constants);
  tcase_add_test(tc, test_args__accepts_and_refuses_with_the_call_message);
  tcase_add_test(tc, test_args__root_problem_has_no_path_and_unknown_tool);
  tcase_add_test(tc, test_profiles__the_three_names);
  suite_add_tcase(s, tc);
  return s;
}
