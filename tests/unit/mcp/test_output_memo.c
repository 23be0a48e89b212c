/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/test_output_memo.c — mcp__output_valid, the outputSchema check of a tool's
 * structuredContent: a value equal to the first valid one is not checked again, and every other
 * value still is (an invalid one after a valid one is refused, with its path), a schema-less
 * memo (an upstream tool) checks every time, and the memo keeps a copy, not the caller's value. */
#include "crypto/jschema.h"
#include "mcp/mcp_int.h"

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

Suite *output_memo_suite(void);

static json_t *obj(const char *text)
{
  json_t *v = json_loads(text, 0, NULL);
  ck_assert_ptr_nonnull(v);
  return v;
}

START_TEST(memo_skips_only_equal_values)
{
  mcp_valid_memo memo;
  mcp_tool_entry t;
  seal_jschema_err verr;
  json_t *schema = obj("{\"type\":\"object\",\"required\":[\"id\"],\"properties\":"
                       "{\"id\":{\"type\":\"string\",\"pattern\":\"^x[0-9]+$\"}}}");
  json_t *good = obj("{\"id\":\"x1\"}"), *same = obj("{\"id\":\"x1\"}");
  json_t *other = obj("{\"id\":\"x2\"}"), *bad = obj("{\"id\":\"y1\"}");
  json_t *missing = obj("{}");
  memset(&memo, 0, sizeof memo);
  pthread_mutex_init(&memo.mu, NULL);
  memset(&t, 0, sizeof t);
  t.name = "memo_tool";
  t.output_schema = schema;
  t.memo = &memo;

  ck_assert_int_eq(mcp__output_valid(&t, bad, &verr), 0); /* an invalid first value: no memo */
  ck_assert_ptr_null(memo.value);
  ck_assert_int_eq(mcp__output_valid(&t, good, &verr), 1);
  ck_assert_ptr_nonnull(memo.value);
  ck_assert_ptr_ne(memo.value, good); /* a copy: the caller may change or free its value */
  ck_assert_int_eq(mcp__output_valid(&t, same, &verr), 1);
  ck_assert_int_eq(mcp__output_valid(&t, other, &verr), 1); /* checked, and valid */
  memset(&verr, 0, sizeof verr);
  ck_assert_int_eq(mcp__output_valid(&t, bad, &verr), 0); /* after valid ones: still refused */
  ck_assert_str_eq(verr.path, "/id");
  ck_assert_int_eq(mcp__output_valid(&t, missing, &verr), 0);
  /* the caller's value changed after it was found valid: the memo did not change with it */
  json_object_set_new(good, "id", json_string("nope"));
  ck_assert_int_eq(mcp__output_valid(&t, good, &verr), 0);
  ck_assert_int_eq(mcp__output_valid(&t, same, &verr), 1);

  /* an upstream tool: no memo is used even when one is set */
  t.upstream = 1;
  json_t *y9 = obj("{\"id\":\"y9\"}");
  json_object_set_new(memo.value, "id", json_string("y9")); /* would pass if it were used */
  ck_assert_int_eq(mcp__output_valid(&t, y9, &verr), 0);
  json_decref(y9);

  json_decref(memo.value);
  pthread_mutex_destroy(&memo.mu);
  json_decref(schema);
  json_decref(good);
  json_decref(same);
  json_decref(other);
  json_decref(bad);
  json_decref(missing);
}
END_TEST

Suite *output_memo_suite(void)
{
  Suite *s = suite_create("output_memo");
  TCase *tc = tcase_create("output_memo");
  tcase_add_test(tc, memo_skips_only_equal_values);
  suite_add_tcase(s, tc);
  return s;
}
