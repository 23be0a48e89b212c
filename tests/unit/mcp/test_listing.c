/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/test_listing.c — tools/list never lists a tool the policy denies to everyone
 * (spec/policy.md R-POLICY-051): with a denylist and a deny band, walked 3 per page, the
 * denied tools are absent, every other tool appears once, the cursors count listed tools (the
 * last page has no nextCursor, a cursor past the list is refused), and a denied tool called by
 * name still gets its signed denial. */
#include "harness.h"
#include "schemas/schemas.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *listing_suite(void);

/* All names tools/list gives, page by page (page size 3); *pages receives the page count. */
static json_t *walk(harness *h, int *pages)
{
  json_t *names = json_array();
  char *cursor = NULL;
  char line[300];
  *pages = 0;
  do {
    json_t *r, *res, *t;
    size_t i;
    if (cursor)
      snprintf(
          line, sizeof line,
          "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}",
          10 + *pages, cursor);
    else
      snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/list\"}",
               10 + *pages);
    r = h_call(h, line);
    res = json_object_get(r, "result");
    ck_assert_ptr_nonnull(res);
    ck_assert_int_le(json_array_size(json_object_get(res, "tools")), 3);
    json_array_foreach(json_object_get(res, "tools"), i, t)
      json_array_append(names, json_object_get(t, "name"));
    free(cursor);
    cursor = json_string_value(json_object_get(res, "nextCursor"))
                 ? strdup(json_string_value(json_object_get(res, "nextCursor")))
                 : NULL;
    json_decref(r);
    (*pages)++;
  } while (cursor && *pages < 20);
  free(cursor);
  return names;
}

static int has(const json_t *names, const char *name)
{
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n)
    if (strcmp(json_string_value(n), name) == 0)
      return 1;
  return 0;
}

START_TEST(denied_tools_not_listed)
{
  harness h;
  json_t *all, *some, *r, *res;
  int pages_all, pages;
  h_start(&h, NULL, 3, 0);
  h_init(&h, NULL);
  all = walk(&h, &pages_all);
  h_stop(&h);
  ck_assert(has(all, "motus_wrap") && has(all, "motebit_identity") && has(all, "motus_work_list"));

  /* motus_wrap is R3: deny_above R2 denies it to everyone, as the denylist does the other two */
  json_t *cfg = json_loads("{\"policy\":{\"preset\":\"balanced\",\"deny_above\":2,"
                           "\"require_approval_above\":1,"
                           "\"denylist\":[\"motebit_identity\",\"motus_work_list\"]}}",
                           0, NULL);
  h_start(&h, cfg, 3, 0);
  h_init(&h, NULL);
  some = walk(&h, &pages);
  ck_assert(!has(some, "motebit_identity") && !has(some, "motus_work_list"));
  ck_assert(!has(some, "motus_wrap"));
  ck_assert_int_eq(json_array_size(some), json_array_size(all) - 3);
  ck_assert_int_eq(pages, (int)((json_array_size(some) + 2) / 3));
  for (size_t i = 0; i < json_array_size(some); i++)
    for (size_t k = i + 1; k < json_array_size(some); k++)
      ck_assert_str_ne(json_string_value(json_array_get(some, i)),
                       json_string_value(json_array_get(some, k)));
  /* a cursor at the end of the listed tools is not a cursor */
  {
    char line[200];
    snprintf(line, sizeof line,
             "{\"jsonrpc\":\"2.0\",\"id\":90,\"method\":\"tools/list\",\"params\":{\"cursor\":"
             "\"wl1:%zu\"}}",
             json_array_size(some));
    r = h_call(&h, line);
    ck_assert_int_eq(h_code(r), -32602);
    json_decref(r);
  }
  /* called by name, a denied tool still gets its signed denial */
  r = h_call(&h, "{\"jsonrpc\":\"2.0\",\"id\":91,\"method\":\"tools/call\",\"params\":{\"name\":"
                 "\"motebit_identity\",\"arguments\":{}}}");
  res = json_object_get(r, "result");
  ck_assert(json_is_true(json_object_get(res, "isError")));
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(res, "_meta"),
                                                                     "io.motebit/receipt"),
                                                     "status")),
                   "denied");
  json_decref(r);
  h_stop(&h);
  json_decref(cfg);
  json_decref(all);
  json_decref(some);
}
END_TEST

Suite *listing_suite(void)
{
  Suite *s = suite_create("listing");
  TCase *tc = tcase_create("listing");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, denied_tools_not_listed);
  suite_add_tcase(s, tc);
  return s;
}
