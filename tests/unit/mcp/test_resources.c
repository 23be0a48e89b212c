/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/test_resources.c — the core's resources over a table of fake resources
 * (mcp/resources.c, mcp/subscribe.c; spec/mcp.md §5.1): resources/list pages 50 at a time over
 * the fixed resources and what templates list, with an opaque cursor (a bad one is -32602);
 * templates/list; a read goes to the fixed URI, else the template with the longest prefix; the
 * not-found and not-for-this-caller codes per era; over a session with a channel,
 * resources/subscribe sends notifications/resources/updated when the version changes and ends
 * with the update that reports it closed; list_changed after resources/list when the listing
 * changes; a session without a channel is refused. Test code only. */
#include "mcp/tool.h"
#include "tests/unit/mcp/harness.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *resources_suite(void);

static atomic_int items = 120, version = 1, closed;

static int fixed_read(mcp_ctx *ctx, char **text_out, char *err, size_t errlen)
{
  *text_out = strdup("fixed");
  return 0;
}

static int secret_read(mcp_ctx *ctx, char **text_out, char *err, size_t errlen)
{
  snprintf(err, errlen, "operators only");
  return 2;
}

static int thing_read(mcp_ctx *ctx, const char *uri, char **text_out, char *err, size_t errlen)
{
  if (strcmp(uri, "test://things/missing") == 0) {
    snprintf(err, errlen, "no such thing");
    return 1;
  }
  *text_out = strdup(uri);
  return 0;
}

static int thing_deep_read(mcp_ctx *ctx, const char *uri, char **text_out, char *err, size_t errlen)
{
  *text_out = strdup("deep");
  return 0;
}

static int thing_list(mcp_ctx *ctx, json_t *list, char *err, size_t errlen)
{
  for (int i = 0; i < atomic_load(&items); i++) {
    char uri[64];
    snprintf(uri, sizeof uri, "test://things/%03d", i);
    json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "uri", uri, "name", uri + 14, "mimeType",
                                          "text/plain"));
  }
  return 0;
}

static int thing_version(mcp_ctx *ctx, const char *uri, char *out, size_t cap)
{
  snprintf(out, cap, "v%d", atomic_load(&version));
  return atomic_load(&closed) || strcmp(uri, "test://things/open") != 0;
}

static const mcp_resource_impl table[] = {
    {"test://fixed", "fixed", "Fixed", "a fixed one", "text/plain", fixed_read, NULL, NULL, NULL,
     NULL},
    {"test://secret", "secret", "Secret", "not for you", "text/plain", secret_read, NULL, NULL,
     NULL, NULL},
    {"test://things/", "thing", "Thing", "a thing", "text/plain", NULL, "test://things/{id}",
     thing_read, thing_list, thing_version},
    {"test://things/deep/", "deep", "Deep", "a deeper prefix", "text/plain", NULL,
     "test://things/deep/{id}", thing_deep_read, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
static const mcp_resource_impl *const groups[] = {table, NULL};

static json_t *call(harness *h, const char *method, const char *params_json)
{
  char line[2048];
  static int id = 100;
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":%s}",
           id++, method, params_json);
  return h_call(h, line);
}

static const char *text_of(const json_t *r)
{
  return json_string_value(json_object_get(
      json_array_get(json_object_get(json_object_get(r, "result"), "contents"), 0), "text"));
}

START_TEST(list_pages_and_templates)
{
  harness h;
  h_resources = groups;
  h_start(&h, NULL, 0, 0);
  h_init(&h, "{}");
  json_t *seen = json_object();
  char params[128] = "{}";
  int pages = 0;
  for (;;) {
    json_t *r = call(&h, "resources/list", params), *res = json_object_get(r, "result"), *it;
    size_t i;
    ck_assert_int_eq(h_code(r), 0);
    ck_assert_int_le(json_array_size(json_object_get(res, "resources")), 50);
    json_array_foreach(json_object_get(res, "resources"), i, it) {
      ck_assert_ptr_null(json_object_get(seen, json_string_value(json_object_get(it, "uri"))));
      json_object_set_new(seen, json_string_value(json_object_get(it, "uri")), json_true());
    }
    pages++;
    const char *next = json_string_value(json_object_get(res, "nextCursor"));
    if (!next) {
      json_decref(r);
      break;
    }
    snprintf(params, sizeof params, "{\"cursor\":\"%s\"}", next);
    json_decref(r);
  }
  ck_assert_int_eq(pages, 3);                    /* 2 fixed + 120 listed = 122 */
  ck_assert_int_eq(json_object_size(seen), 122); /* every one once */
  ck_assert_ptr_nonnull(json_object_get(seen, "test://fixed"));
  ck_assert_ptr_nonnull(json_object_get(seen, "test://things/119"));
  json_decref(seen);
  json_t *r = call(&h, "resources/list", "{\"cursor\":\"x1\"}");
  ck_assert_int_eq(h_code(r), -32602);
  json_decref(r);
  r = call(&h, "resources/list", "{\"cursor\":\"-5\"}");
  ck_assert_int_eq(h_code(r), -32602);
  json_decref(r);
  r = call(&h, "resources/templates/list", "{}");
  json_t *t = json_object_get(json_object_get(r, "result"), "resourceTemplates");
  ck_assert_int_eq(json_array_size(t), 2);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(t, 0), "uriTemplate")),
                   "test://things/{id}");
  json_decref(r);
  h_stop(&h);
  h_resources = NULL;
}
END_TEST

START_TEST(read_routes_and_errors)
{
  harness h;
  h_resources = groups;
  h_start(&h, NULL, 0, 0);
  h_init(&h, "{}");
  json_t *r = call(&h, "resources/read", "{\"uri\":\"test://fixed\"}");
  ck_assert_str_eq(text_of(r), "fixed");
  json_decref(r);
  r = call(&h, "resources/read", "{\"uri\":\"test://things/007\"}");
  ck_assert_str_eq(text_of(r), "test://things/007"); /* the template, the URI as asked */
  ck_assert_str_eq(json_string_value(json_object_get(
                       json_array_get(json_object_get(json_object_get(r, "result"), "contents"), 0),
                       "uri")),
                   "test://things/007");
  json_decref(r);
  r = call(&h, "resources/read", "{\"uri\":\"test://things/deep/x\"}");
  ck_assert_str_eq(text_of(r), "deep"); /* the longest prefix wins */
  json_decref(r);
  r = call(&h, "resources/read", "{\"uri\":\"test://things/missing\"}");
  ck_assert_int_eq(h_code(r), -32002);
  json_decref(r);
  r = call(&h, "resources/read", "{\"uri\":\"test://things/\"}"); /* the bare prefix is nothing */
  ck_assert_int_eq(h_code(r), -32002);
  json_decref(r);
  r = call(&h, "resources/read", "{\"uri\":\"test://secret\"}");
  ck_assert_int_eq(h_code(r), -32002);
  ck_assert_ptr_nonnull(
      strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
             "not readable by this caller"));
  json_decref(r);
  char big[1400] = "{\"uri\":\"test://things/";
  memset(big + strlen(big), 'a', 1100);
  strcpy(big + strlen(big), "\"}");
  r = call(&h, "resources/read", big);
  ck_assert_int_eq(h_code(r), -32602);
  json_decref(r);
  h_stop(&h);
  h_resources = NULL;
}
END_TEST

/* The index of the first channel message from `from` on that contains `needle`, or -1. */
static int out_find(harness *h, int from, const char *needle)
{
  int found = -1;
  pthread_mutex_lock(&h->mu);
  for (int i = from; i < h->nout && found < 0; i++)
    if (strstr(h->out[i].text, needle))
      found = i;
  pthread_mutex_unlock(&h->mu);
  return found;
}

START_TEST(subscribe_updates_and_list_changed)
{
  harness h;
  h_resources = groups;
  atomic_store(&version, 1);
  atomic_store(&closed, 0);
  atomic_store(&items, 120);
  h_start(&h, NULL, 0, 1);
  h_init(&h, "{}");
  json_t *r = call(&h, "resources/subscribe", "{\"uri\":\"test://things/other\"}");
  ck_assert_int_eq(h_code(r), -32602); /* not subscribable */
  json_decref(r);
  r = call(&h, "resources/subscribe", "{\"uri\":\"test://things/open\"}");
  ck_assert_int_eq(h_code(r), 0);
  json_decref(r);
  atomic_store(&version, 2);
  h_wait_out(&h, 1);
  ck_assert_int_eq(out_find(&h, 0, "\"notifications/resources/updated\""), 0);
  ck_assert_int_ge(out_find(&h, 0, "test://things/open"), 0);
  atomic_store(&closed, 1); /* the final update, then the subscription is gone */
  h_wait_out(&h, 2);
  ck_assert_int_eq(out_find(&h, 1, "\"notifications/resources/updated\""), 1);
  r = call(&h, "resources/list", "{}"); /* from now on the listing is watched */
  json_decref(r);
  atomic_store(&items, 121);
  h_wait_out(&h, 3);
  ck_assert_int_eq(out_find(&h, 2, "notifications/resources/list_changed"), 2);
  r = call(&h, "resources/unsubscribe", "{\"uri\":\"test://things/open\"}");
  ck_assert_int_eq(h_code(r), 0);
  json_decref(r);
  h_stop(&h);
  h_resources = NULL;
}
END_TEST

START_TEST(subscribe_needs_a_channel)
{
  harness h;
  h_resources = groups;
  atomic_store(&closed, 0);
  h_start(&h, NULL, 0, 0);
  json_t *r = call(&h, "initialize",
                   "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{"
                   "\"name\":\"t\",\"version\":\"1\"}}");
  json_t *caps = json_object_get(json_object_get(json_object_get(r, "result"), "capabilities"),
                                 "resources");
  ck_assert(json_is_false(json_object_get(caps, "subscribe")));
  json_decref(r);
  r = call(&h, "resources/subscribe", "{\"uri\":\"test://things/open\"}");
  ck_assert_int_eq(h_code(r), -32602);
  json_decref(r);
  h_stop(&h);
  h_resources = NULL;
}
END_TEST

Suite *resources_suite(void)
{
  Suite *s = suite_create("mcp_resources");
  TCase *tc = tcase_create("resources");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, list_pages_and_templates);
  tcase_add_test(tc, read_routes_and_errors);
  tcase_add_test(tc, subscribe_updates_and_list_changed);
  tcase_add_test(tc, subscribe_needs_a_channel);
  suite_add_tcase(s, tc);
  return s;
}
