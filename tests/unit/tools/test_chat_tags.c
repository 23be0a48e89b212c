/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/tools/test_chat_tags.c — the reader of motebit's tags in a model's answer
 * (tools/chat_tags.h): memory tags become memories with their confidence and sensitivity and are
 * taken out of the text; thinking and state tags are hidden; medical, financial and secret memories
 * are dropped and counted; the operator's personal floor raises what is kept; unclosed tags,
 * attributes without quotes, oversized and too many memories stay within their bounds. Test code
 * only. */
#include "tools/chat_tags.h"
#include "tests/support/test_support.h"

#include <stdlib.h>
#include <string.h>

START_TEST(memories_taken_out)
{
  chat_answer a;
  ck_assert_int_eq(chat_answer_parse(&a,
                                     "  Hello <memory confidence=\"0.9\" sensitivity=\"none\">  "
                                     "likes tea </memory>world<thinking>plan</thinking>!"
                                     "<state field='curiosity' value='0.8'/>  ",
                                     "none"),
                   0);
  ck_assert_str_eq(a.text, "Hello world!");
  ck_assert_int_eq(a.nmem, 1);
  ck_assert_str_eq(a.mem[0].content, "likes tea");
  ck_assert_int_eq(a.mem[0].confidence, 90);
  ck_assert_str_eq(a.mem[0].sensitivity, "none");
  ck_assert_int_eq(a.dropped, 0);
  chat_answer_free(&a);
}
END_TEST

START_TEST(floor_and_defaults)
{
  chat_answer a;
  ck_assert_int_eq(chat_answer_parse(&a,
                                     "A<memory sensitivity=\"secret\">pin 1234</memory>"
                                     "<memory sensitivity=\"medical\">x</memory>"
                                     "<memory>no attributes</memory>"
                                     "<memory confidence=\"7\" sensitivity=\"personal\">p</memory>"
                                     "<memory confidence=0.2>unquoted</memory>B",
                                     "personal"),
                   0);
  ck_assert_str_eq(a.text, "AB");
  ck_assert_int_eq(a.dropped, 2);
  ck_assert_int_eq(a.nmem, 3);
  ck_assert_str_eq(a.mem[0].content, "no attributes");
  ck_assert_int_eq(a.mem[0].confidence, 70);          /* default 0.7 */
  ck_assert_str_eq(a.mem[0].sensitivity, "personal"); /* raised to the operator's floor */
  ck_assert_int_eq(a.mem[1].confidence, 70);          /* 7 is out of 0..1: the default */
  ck_assert_int_eq(a.mem[2].confidence, 70);          /* unquoted: not an attribute */
  for (int i = 0; i < a.nmem; i++)
    ck_assert_ptr_null(strstr(a.mem[i].content, "1234"));
  chat_answer_free(&a);
}
END_TEST

START_TEST(unclosed_and_bounds)
{
  chat_answer a;
  size_t big = CHAT_MEMORY_MAX_BYTES * 2, n = 0;
  char *s = malloc(big + 200);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(chat_answer_parse(&a, "shown <thinking>never closed", "none"), 0);
  ck_assert_str_eq(a.text, "shown");
  chat_answer_free(&a);
  ck_assert_int_eq(chat_answer_parse(&a, "x <memory confidence=\"0.5\"", "none"), 0);
  ck_assert_str_eq(a.text, "x");
  ck_assert_int_eq(a.nmem, 0);
  chat_answer_free(&a);
  ck_assert_int_eq(chat_answer_parse(&a, "<memories>not a tag</memories> <mem>", "none"), 0);
  ck_assert_str_eq(a.text, "<memories>not a tag</memories> <mem>");
  chat_answer_free(&a);
  /* a memory of 8 KiB of "é" is cut to at most 4 KiB on a character boundary */
  n += (size_t)snprintf(s, 20, "<memory>");
  while (n + 2 < big) {
    s[n++] = (char)0xc3;
    s[n++] = (char)0xa9;
  }
  memcpy(s + n, "</memory>ok", 12);
  ck_assert_int_eq(chat_answer_parse(&a, s, "none"), 0);
  ck_assert_str_eq(a.text, "ok");
  ck_assert_int_eq(a.nmem, 1);
  ck_assert_uint_le(strlen(a.mem[0].content), CHAT_MEMORY_MAX_BYTES);
  ck_assert_int_eq(strlen(a.mem[0].content) % 2, 0);
  chat_answer_free(&a);
  /* more memories than the limit: the rest are dropped and counted */
  n = 0;
  for (int i = 0; i < CHAT_MAX_MEMORIES + 3; i++)
    n += (size_t)snprintf(s + n, 40, "<memory>m%d</memory>", i);
  ck_assert_int_eq(chat_answer_parse(&a, s, "none"), 0);
  ck_assert_int_eq(a.nmem, CHAT_MAX_MEMORIES);
  ck_assert_int_eq(a.dropped, 3);
  ck_assert_str_eq(a.text, "");
  chat_answer_free(&a);
  free(s);
}
END_TEST

/* Streams `text` in pieces split at every point (and byte by byte): the relayed visible text
 * never holds a tag or a memory's body, and once the stream is over it equals the parsed
 * answer's text (before trimming). */
static void stream_matches(const char *text)
{
  size_t n = strlen(text);
  chat_answer a;
  ck_assert_int_eq(chat_answer_parse(&a, text, "none"), 0);
  for (size_t split = 0; split <= n + 1; split++) {
    char *pend = malloc(n + 1), *vis = malloc(n + 1), *shown = calloc(1, n + 2);
    size_t plen = 0, slen = 0, vlen, used;
    ck_assert_ptr_nonnull(pend);
    ck_assert_ptr_nonnull(vis);
    ck_assert_ptr_nonnull(shown);
    for (size_t i = 0; i < n;) {
      size_t step = split == n + 1 ? 1 : (i == 0 && split > 0 && split < n ? split : n - i);
      memcpy(pend + plen, text + i, step);
      plen += step;
      i += step;
      used = chat_visible_step(pend, plen, vis, &vlen);
      memmove(pend, pend + used, plen - used);
      plen -= used;
      memcpy(shown + slen, vis, vlen);
      slen += vlen;
    }
    shown[slen] = '\0';
    ck_assert_ptr_null(strstr(shown, "secret fact"));
    ck_assert_ptr_null(strstr(shown, "hidden plan"));
    ck_assert_ptr_nonnull(strstr(shown, a.text));
    free(pend);
    free(vis);
    free(shown);
  }
  chat_answer_free(&a);
}

START_TEST(streamed_visible_text)
{
  stream_matches("Hi <memory sensitivity=\"secret\">secret fact</memory>there "
                 "<thinking>hidden plan</thinking>a < b <state x=\"1\"/>end");
  stream_matches("<memory>secret fact</memory>");
  stream_matches("x<thinking>hidden plan");
}
END_TEST

Suite *chat_tags_suite(void);
Suite *chat_tags_suite(void)
{
  Suite *s = suite_create("chat_tags");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, memories_taken_out);
  tcase_add_test(tc, floor_and_defaults);
  tcase_add_test(tc, unclosed_and_bounds);
  tcase_add_test(tc, streamed_visible_text);
  suite_add_tcase(s, tc);
  return s;
}
