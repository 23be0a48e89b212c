/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/test_jschema.c — the JSON Schema subset validator (crypto/jschema.h): every
 * keyword it claims, error paths, $ref resolution and loops, bad schemas. */
#include "crypto/jschema.h"
#include "tests/support/test_support.h"

#include <string.h>

Suite *jschema_suite(void);

static int v(const char *schema, const char *inst, seal_jschema_err *e)
{
  json_t *s = json_loads(schema, 0, NULL), *i = json_loads(inst, JSON_DECODE_ANY, NULL);
  int rc;
  ck_assert_ptr_nonnull(s);
  ck_assert_ptr_nonnull(i);
  rc = seal_jschema_validate(s, i, e);
  json_decref(s);
  json_decref(i);
  return rc;
}

START_TEST(keywords)
{
  seal_jschema_err e;
  const char *obj =
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":3},"
      "\"n\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":10},\"e\":{\"enum\":[\"x\",\"y\"]},"
      "\"c\":{\"const\":5},\"p\":{\"type\":\"string\",\"pattern\":\"^[0-9a-f]{4}$\"},"
      "\"l\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"uniqueItems\":true}},"
      "\"required\":[\"a\"],\"additionalProperties\":false}";
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\"}", &e), 0);
  ck_assert_int_eq(v(obj, "{\"a\":\"\xc3\xa9\xc3\xa9\"}", &e), 0); /* 2 code points */
  ck_assert_int_eq(v(obj, "{}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_ptr_nonnull(strstr(e.msg, "missing required property \"a\""));
  ck_assert_int_eq(v(obj, "{\"a\":\"abcd\"}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_str_eq(e.path, "/a");
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"z\":1}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_str_eq(e.path, "/z");
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"n\":11}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"n\":2.5}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"n\":2.0}", &e), 0);
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"e\":\"z\"}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"c\":5.0}", &e), 0);
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"c\":6}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"p\":\"0a9f\"}", &e), 0);
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"p\":\"0A9F\"}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"l\":[]}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"l\":[1,2,1]}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_str_eq(e.path, "/l/2");
  ck_assert_int_eq(v(obj, "{\"a\":\"ab\",\"l\":[1,\"x\"]}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_str_eq(e.path, "/l/1");
  ck_assert_int_eq(v("{\"type\":[\"string\",\"null\"]}", "null", &e), 0);
  ck_assert_int_eq(v("{\"type\":[\"string\",\"null\"]}", "1", &e), SEAL_JSCHEMA_INVALID);
}
END_TEST

START_TEST(combinators_and_refs)
{
  seal_jschema_err e;
  const char *s =
      "{\"$defs\":{\"addr\":{\"type\":\"object\",\"required\":[\"city\"]}},"
      "\"type\":\"object\",\"properties\":{\"home\":{\"$ref\":\"#/$defs/addr\"},"
      "\"id\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]},"
      "\"one\":{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\",\"minimum\":5}]}}}";
  ck_assert_int_eq(v(s, "{\"home\":{\"city\":\"x\"}}", &e), 0);
  ck_assert_int_eq(v(s, "{\"home\":{}}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_str_eq(e.path, "/home");
  ck_assert_int_eq(v(s, "{\"id\":true}", &e), SEAL_JSCHEMA_INVALID);
  ck_assert_int_eq(v(s, "{\"id\":3}", &e), 0);
  ck_assert_int_eq(v(s, "{\"one\":2}", &e), 0);
  ck_assert_int_eq(v(s, "{\"one\":7}", &e), SEAL_JSCHEMA_INVALID); /* matches both */
  ck_assert_int_eq(v(s, "{\"one\":7.5}", &e), 0);
  /* a $ref loop ends in a depth failure, not a crash */
  ck_assert_int_eq(v("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}", "1",
                     &e),
                   SEAL_JSCHEMA_INVALID);
  /* bad schemas */
  ck_assert_int_eq(v("{\"$ref\":\"http://evil/x\"}", "1", &e), SEAL_JSCHEMA_BADSCHEMA);
  ck_assert_int_eq(v("{\"type\":\"strin\"}", "1", &e), SEAL_JSCHEMA_BADSCHEMA);
  ck_assert_int_eq(v("{\"type\":\"string\",\"pattern\":\"(\"}", "\"x\"", &e),
                   SEAL_JSCHEMA_BADSCHEMA);
  {
    json_t *bad = json_loads("{\"properties\":{\"a\":{\"$ref\":\"#/$defs/missing\"}}}", 0, NULL);
    ck_assert_int_eq(seal_jschema_check(bad, &e), SEAL_JSCHEMA_BADSCHEMA);
    ck_assert_ptr_nonnull(strstr(e.path, "/properties/a"));
    json_decref(bad);
  }
}
END_TEST

START_TEST(pattern_cost)
{
  /* patterns whose glibc automaton would grow exponentially are refused before regcomp; the
   * ordinary ones schemas use still compile and match */
  static const char *refused[] = {
      "^[a-z]++++++++++++++++++++++++++++++++++++++++$",
      "(a{1,200}){1,200}",
      "((a{1,30}){1,30}){1,30}",
      "a**",
      "*a",
      "a{2,1}",
      "a{20000}",
      "[a-z",
      "a)",
      "(a",
      "^.{0,4096}$",
      "(a{1,127}){1,127}",
  };
  static const char *kept[] = {
      "^sha256:[a-f0-9]{64}$",
      "^[A-Za-z0-9_-]{1,128}$",
      "^(did:key:z[1-9A-HJ-NP-Za-km-z]+)$",
      "^[[:alpha:]]+( [[:alpha:]]+)*$",
      "^.{1,256}$",
      "^.{1000}$",
      "^[]a]+$",
      "^a\\+b$",
  };
  seal_jschema_err e;
  char schema[256];
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    json_t *s = json_pack("{s:s,s:s}", "type", "string", "pattern", refused[i]);
    ck_assert_msg(seal_jschema_check(s, &e) == SEAL_JSCHEMA_BADSCHEMA, "%s accepted", refused[i]);
    ck_assert_ptr_nonnull(strstr(e.msg, "does not compile"));
    json_decref(s);
  }
  for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
    json_t *s = json_pack("{s:s,s:s}", "type", "string", "pattern", kept[i]);
    ck_assert_msg(seal_jschema_check(s, &e) == SEAL_JSCHEMA_OK, "%s: %s", kept[i], e.msg);
    json_decref(s);
  }
  snprintf(schema, sizeof schema, "{\"type\":\"string\",\"pattern\":\"^[]a]+$\"}");
  ck_assert_int_eq(v(schema, "\"a]a\"", &e), 0);
  ck_assert_int_eq(v(schema, "\"ab\"", &e), SEAL_JSCHEMA_INVALID);
  /* past the cache's 256 entries patterns still compile and match, each one uncached */
  for (int i = 0; i < 300; i++) {
    snprintf(schema, sizeof schema, "{\"type\":\"string\",\"pattern\":\"^x{%d}$\"}", i + 1);
    ck_assert_int_eq(v(schema, "\"xx\"", &e), i == 1 ? 0 : SEAL_JSCHEMA_INVALID);
  }
  /* a refused pattern past the cache is reported, and its entry freed (LeakSanitizer) */
  ck_assert_int_eq(v("{\"type\":\"string\",\"pattern\":\"b**\"}", "\"b\"", &e),
                   SEAL_JSCHEMA_BADSCHEMA);
}
END_TEST

Suite *jschema_suite(void)
{
  Suite *s = suite_create("jschema");
  TCase *tc = tcase_create("validate");
  tcase_add_test(tc, keywords);
  tcase_add_test(tc, combinators_and_refs);
  tcase_add_test(tc, pattern_cost);
  suite_add_tcase(s, tc);
  return s;
}
