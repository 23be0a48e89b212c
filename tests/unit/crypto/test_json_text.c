/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/crypto/test_json_text.c — seal_json_dumps, the output JSON printer
 * (spec/canonical-json.md "Output JSON", R-JSON-001..004): reals in ECMAScript shortest
 * round-trip form (a table of known forms, then a sweep of random doubles where every printed
 * real must read back to the identical double and no shorter digit string may do so), integers
 * and nested values, and byte-for-byte equality with jansson's json_dumps for values without
 * reals under every flag combination the code base uses (unicode, control characters, `/`,
 * NUL, empty containers, indentation, sorted keys, ENSURE_ASCII, ENCODE_ANY); refusals. */
#include "crypto/seal.h"
#include "crypto/seal_int.h"
#include "tests/unit/crypto/crypto_tests.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *suite_json_text(void);

static char *dump_any(const json_t *v)
{
  char *s = seal_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  ck_assert_ptr_nonnull(s);
  return s;
}

/* Significant digits of a number token ("-1.25e-7" -> 3). */
static int sig_digits(const char *t)
{
  int n = 0, lead = 1, trailing = 0;
  for (const char *p = t; *p && *p != 'e'; p++) {
    if (*p < '0' || *p > '9')
      continue;
    if (lead && *p == '0')
      continue;
    lead = 0;
    n++;
    trailing = *p == '0' ? trailing + 1 : 0;
  }
  /* trailing zeros of an integer form ("100000000000000000000") are not significant */
  if (!strchr(t, '.'))
    n -= trailing;
  return n > 0 ? n : 1;
}

/* R-JSON-002: the token reads back to the same double, and no shorter digit string does. */
static void check_shortest(double d, const char *tok)
{
  char alt[64];
  double back = strtod(tok, NULL);
  int k = sig_digits(tok);
  ck_assert_msg(back == d || (d == 0 && back == 0), "%s does not read back to %.17g", tok, d);
  if (d != 0 && k > 1) {
    snprintf(alt, sizeof alt, "%.*e", k - 2, d);
    ck_assert_msg(strtod(alt, NULL) != d, "%s is not shortest: %s reads back too", tok, alt);
  }
}

static void expect_real(double d, const char *want)
{
  json_t *v = json_real(d);
  char *s = dump_any(v);
  ck_assert_msg(!strcmp(s, want), "%.17g printed %s, want %s", d, s, want);
  check_shortest(d, s);
  free(s);
  json_decref(v);
}

/* R-JSON-002: the forms of ECMAScript Number::toString. */
/* The plain-run scanner under canon and the printer (seal_int.h): every byte that needs an
 * escape (or, in ASCII mode, UTF-8 decoding; with slash, '/'), at every position of a 20-byte
 * string (each lane of both 8-byte words and the tail), ends the run exactly there; bytes
 * around a match never flag early (0x21, 0x5b, 0x5d, 0x7f, 0x30 neighbours of the specials). */
START_TEST(plain_run_lanes)
{
  const unsigned char special[] = {0x00, 0x01, 0x1f, '"', '\\', '/', 0x80, 0xc3, 0xff};
  const unsigned char fill[] = {'a', 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x2e, 0x30, 0x23};
  char buf[20];
  for (size_t f = 0; f < sizeof fill; f++) {
    memset(buf, fill[f], sizeof buf);
    for (int mode = 0; mode < 4; mode++)
      ck_assert_uint_eq(seal_json_plain_run(buf, sizeof buf, mode & 1, mode >> 1), sizeof buf);
    for (size_t k = 0; k < sizeof special; k++)
      for (size_t pos = 0; pos < sizeof buf; pos++) {
        unsigned char c = special[k];
        memset(buf, fill[f], sizeof buf);
        buf[pos] = (char)c;
        if (pos + 1 < sizeof buf)
          buf[pos + 1] = 0x01; /* a second match after the first changes nothing */
        for (int mode = 0; mode < 4; mode++) {
          int ascii = mode & 1, slash = mode >> 1;
          int stops = c < 0x20 || c == '"' || c == '\\' || (ascii && c >= 0x80) ||
                      (slash && c == '/');
          size_t want = stops ? pos : pos + 1;
          ck_assert_msg(seal_json_plain_run(buf, sizeof buf, ascii, slash) == want,
                        "byte 0x%02x at %zu fill 0x%02x mode %d", c, pos, fill[f], mode);
        }
      }
  }
}
END_TEST

START_TEST(reals_es_form)
{
  expect_real(0.99, "0.99");
  expect_real(0.1, "0.1");
  expect_real(0.1 + 0.2, "0.30000000000000004");
  expect_real(1e21, "1e+21");
  expect_real(5e-7, "5e-7");
  expect_real(1e-7, "1e-7");
  expect_real(0.000001, "0.000001");
  expect_real(-0.0, "0");
  expect_real(0.0, "0");
  expect_real(123456789012345680000.0, "123456789012345680000");
  expect_real(1e20, "100000000000000000000");
  expect_real(1.0, "1");
  expect_real(-1.0, "-1");
  expect_real(100.0, "100");
  expect_real(1.5, "1.5");
  expect_real(-2.5e-10, "-2.5e-10");
  expect_real(123.456, "123.456");
  expect_real(9007199254740993.0, "9007199254740992");
  expect_real(1.7976931348623157e308, "1.7976931348623157e+308");
  expect_real(5e-324, "5e-324");
  expect_real(2.2250738585072014e-308, "2.2250738585072014e-308");
  expect_real(1.23e100, "1.23e+100");
  expect_real(0.98, "0.98");
  expect_real(3600000.5, "3600000.5");
}
END_TEST

/* The decimal text of k / 10^p ("12345", 3 -> "12.345"; trailing zeros dropped). */
static void decimal_text(char *out, size_t cap, long k, int p)
{
  char d[40];
  int n = snprintf(d, sizeof d, "%0*ld", p + 1, k), ip = n - p;
  snprintf(out, cap, "%.*s%s%s", ip, d, p ? "." : "", d + ip);
  if (p) {
    size_t l = strlen(out);
    while (out[l - 1] == '0')
      out[--l] = '\0';
    if (out[l - 1] == '.')
      out[--l] = '\0';
  }
}

/* R-JSON-002 on random bit patterns (every printed real reads back identically and is shortest)
 * and on short decimals k/10^p, which must print as exactly that decimal. */
START_TEST(reals_sweep)
{
  uint64_t x = 0x9e3779b97f4a7c15u;
  int n = 0;
  for (int i = 0; i < 200000; i++) {
    double d;
    char *s, want[64] = "";
    json_t *v;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    if (i % 2) {
      memcpy(&d, &x, sizeof d);
    } else {
      long k = (long)(x % 1000000) + 1;
      int p = (int)((x >> 32) % 7);
      d = (double)k / pow(10, p);
      decimal_text(want, sizeof want, k, p);
    }
    if (!isfinite(d))
      continue;
    v = json_real(d);
    s = dump_any(v);
    check_shortest(d, s);
    if (want[0])
      ck_assert_msg(!strcmp(s, want), "%.17g printed %s, want %s", d, s, want);
    free(s);
    json_decref(v);
    n++;
  }
  ck_assert_int_gt(n, 190000);
}
END_TEST

/* R-JSON-002: reals anywhere in a value; integers as they are. */
START_TEST(reals_nested_and_integers)
{
  json_t *v = json_pack("{s:f,s:[f,{s:f,s:I,s:I}],s:I,s:f}", "availability_guarantee", 0.99, "a",
                        0.1, "b", 1.0, "max", (json_int_t)INT64_MAX, "min", (json_int_t)INT64_MIN,
                        "ms", (json_int_t)1700000000000, "sim", 5e-7);
  char *s = seal_json_dumps(v, JSON_COMPACT);
  ck_assert_str_eq(s, "{\"availability_guarantee\":0.99,\"a\":[0.1,{\"b\":1,\"max\":"
                      "9223372036854775807,\"min\":-9223372036854775808}],\"ms\":1700000000000,"
                      "\"sim\":5e-7}");
  free(s);
  s = seal_json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_str_eq(s, "{\"a\":[0.1,{\"b\":1,\"max\":9223372036854775807,\"min\":"
                      "-9223372036854775808}],\"availability_guarantee\":0.99,\"ms\":1700000000000,"
                      "\"sim\":5e-7}");
  free(s);
  s = seal_json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
  ck_assert_ptr_nonnull(strstr(s, "\"availability_guarantee\": 0.99,\n"));
  free(s);
  json_decref(v);
}
END_TEST

/* A value with every string case and no reals. */
static json_t *tricky(void)
{
  json_t *v = json_object(), *a = json_array();
  json_object_set_new(v, "zeta",
                      json_string("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80 "
                                  "\xe2\x80\xa8 / \\ \" \x01\x1f\x7f\b\f\n\r\t end"));
  json_object_set_new(v, "alpha", json_stringn("a\0b", 3));
  json_object_set_new(v, "\xc3\xa9t\xc3\xa9", json_integer(-42));
  json_object_set_new(v, "al", json_true());
  json_object_set_new(v, "empty_o", json_object());
  json_object_set_new(v, "empty_a", json_array());
  json_array_append_new(a, json_null());
  json_array_append_new(a, json_false());
  json_array_append_new(a, json_pack("{s:[i,i,{s:s}]}", "k", 1, 2, "x\x02y", "</script>"));
  json_array_append_new(a, json_array());
  json_object_set_new(v, "list", a);
  json_object_set_new(v, "Z", json_integer(0));
  return v;
}

/* R-JSON-001: without reals the text is json_dumps's, byte for byte, for every flag set used. */
START_TEST(same_as_json_dumps_without_reals)
{
  static const size_t flags[] = {0,
                                 JSON_COMPACT,
                                 JSON_COMPACT | JSON_SORT_KEYS,
                                 JSON_COMPACT | JSON_ENCODE_ANY,
                                 JSON_COMPACT | JSON_PRESERVE_ORDER,
                                 JSON_COMPACT | JSON_ESCAPE_SLASH,
                                 JSON_COMPACT | JSON_ENSURE_ASCII,
                                 JSON_INDENT(1),
                                 JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII,
                                 JSON_INDENT(4) | JSON_COMPACT,
                                 JSON_SORT_KEYS};
  json_t *v = tricky(), *arr = json_pack("[O,[],{},s]", v, "x");
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    const json_t *vs[] = {v, arr};
    for (size_t j = 0; j < 2; j++) {
      char *want = json_dumps(vs[j], flags[i]), *got = seal_json_dumps(vs[j], flags[i]);
      ck_assert_ptr_nonnull(want);
      ck_assert_msg(got && !strcmp(got, want), "flags %#zx:\n got %s\nwant %s", flags[i],
                    got ? got : "(null)", want);
      free(want);
      free(got);
    }
  }
  /* scalars at the top: only with JSON_ENCODE_ANY, as json_dumps */
  json_t *sc[] = {json_string("\xe2\x80\xa8x\x1f"), json_integer(7), json_null(), json_true()};
  for (size_t i = 0; i < 4; i++) {
    char *want = json_dumps(sc[i], JSON_ENCODE_ANY), *got = seal_json_dumps(sc[i], JSON_ENCODE_ANY);
    ck_assert_str_eq(got, want);
    free(want);
    free(got);
    ck_assert_ptr_null(json_dumps(sc[i], JSON_COMPACT));
    ck_assert_ptr_null(seal_json_dumps(sc[i], JSON_COMPACT));
    json_decref(sc[i]);
  }
  json_decref(arr);
  json_decref(v);
}
END_TEST

/* R-JSON-003: what is refused; the text always parses back to the same value. */
/* seal_int_text and seal_strcopy write what printf's "%lld" and "%s" write, at the edges too */
START_TEST(int_text_and_strcopy)
{
  const long long vs[] = {0,         1,          -1,
                          9,         10,         -10,
                          123456789, -987654321, 1700000000123LL,
                          LLONG_MAX, LLONG_MIN,  LLONG_MIN + 1};
  char got[SEAL_INT_TEXT_MAX], want[32], small[4];
  for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
    size_t n = seal_int_text(got, vs[i]);
    snprintf(want, sizeof want, "%lld", vs[i]);
    ck_assert_str_eq(got, want);
    ck_assert_uint_eq(n, strlen(want));
  }
  /* every integer a sweep of random 64-bit patterns gives */
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 10000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    long long v = (long long)(x >> (i % 64));
    seal_int_text(got, v);
    snprintf(want, sizeof want, "%lld", v);
    ck_assert_str_eq(got, want);
  }
  ck_assert_uint_eq(seal_strcopy(small, sizeof small, "abcdef"), 3);
  ck_assert_str_eq(small, "abc");
  ck_assert_uint_eq(seal_strcopy(small, sizeof small, ""), 0);
  ck_assert_str_eq(small, "");
  ck_assert_uint_eq(seal_strcopy(small, 1, "x"), 0);
  ck_assert_str_eq(small, "");
}
END_TEST

/* seal_canon_members writes what seal_canon writes for the same object, in both key orders */
START_TEST(canon_members_same_as_canon)
{
  json_t *inner = json_pack("{s:s,s:I}", "z", "last", "a", (json_int_t)-7);
  char *inner_txt = NULL, *a = NULL, *b = NULL;
  size_t inner_len = 0, alen = 0, blen = 0;
  const seal_canon_flavor fls[] = {SEAL_CANON_MOTUS, SEAL_CANON_JCS};
  ck_assert_int_eq(seal_canon(&inner_txt, &inner_len, inner, SEAL_CANON_MOTUS, NULL), SEAL_OK);
  for (size_t f = 0; f < 2; f++) {
    /* keys whose byte order and UTF-16 order differ (U+FF61 vs U+1F600), escapes, controls */
    seal_cmember m[] = {{"tool", SEAL_CM_STR, "q\"uote\\ back\n\x01/", 0, 0},
                        {"\xef\xbd\xa1", SEAL_CM_STR, "halfwidth", 0, 0},
                        {"\xf0\x9f\x98\x80", SEAL_CM_STR, "emoji \xc3\xa9", 0, 0},
                        {"n", SEAL_CM_INT, NULL, 0, LLONG_MIN},
                        {"inner", SEAL_CM_RAW, inner_txt, inner_len, 0},
                        {"", SEAL_CM_STR, "", 0, 0},
                        {"nn", SEAL_CM_INT, NULL, 0, 42}};
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:O,s:s,s:I}", "tool", "q\"uote\\ back\n\x01/",
                          "\xef\xbd\xa1", "halfwidth", "\xf0\x9f\x98\x80", "emoji \xc3\xa9", "n",
                          (json_int_t)LLONG_MIN, "inner", inner, "", "", "nn", (json_int_t)42);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(seal_canon(&a, &alen, o, fls[f], NULL), SEAL_OK);
    ck_assert_int_eq(seal_canon_members(&b, &blen, m, sizeof m / sizeof m[0], fls[f], NULL),
                     SEAL_OK);
    ck_assert_uint_eq(alen, blen);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    json_decref(o);
  }
  /* refusals: a key twice, a string that is not UTF-8 (lone continuation, surrogate, overlong) */
  seal_err err = {0};
  seal_cmember dup[] = {{"k", SEAL_CM_INT, NULL, 0, 1}, {"k", SEAL_CM_INT, NULL, 0, 2}};
  ck_assert_int_eq(seal_canon_members(&b, &blen, dup, 2, SEAL_CANON_MOTUS, &err), SEAL_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.msg, "twice"));
  const char *bad[] = {"\x80", "\xed\xa0\x80", "\xc0\xaf", "\xe2\x82", "ok\xff"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    seal_cmember one[] = {{"k", SEAL_CM_STR, bad[i], 0, 0}};
    ck_assert_int_eq(seal_canon_members(&b, &blen, one, 1, SEAL_CANON_MOTUS, NULL), SEAL_EINVAL);
  }
  free(inner_txt);
  json_decref(inner);
}
END_TEST

START_TEST(refusals_and_parse_back)
{
  json_t *bad = json_pack("{s:o}", "s", json_string_nocheck("\xff\xfe"));
  ck_assert_ptr_null(seal_json_dumps(bad, JSON_COMPACT));
  json_decref(bad);
  ck_assert_ptr_null(seal_json_dumps(NULL, JSON_COMPACT));
  /* nesting: SEAL_JSON_MAX_DEPTH containers print, one more does not */
  json_t *deep = json_array(), *cur = deep;
  for (int i = 1; i < SEAL_JSON_MAX_DEPTH; i++) {
    json_t *n = json_array();
    json_array_append_new(cur, n);
    cur = n;
  }
  char *s = seal_json_dumps(deep, JSON_COMPACT);
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(strlen(s), 2 * SEAL_JSON_MAX_DEPTH);
  free(s);
  json_array_append_new(cur, json_array());
  ck_assert_ptr_null(seal_json_dumps(deep, JSON_COMPACT));
  json_decref(deep);
  /* parse back: strings and structure equal; numbers equal as doubles */
  json_t *v = tricky(), *back;
  json_object_set_new(v, "r", json_real(0.98999999999999999));
  s = seal_json_dumps(v, JSON_COMPACT);
  ck_assert_ptr_nonnull(strstr(s, "\"r\":0.99"));
  back = json_loads(s, JSON_ALLOW_NUL, NULL);
  ck_assert_ptr_nonnull(back);
  ck_assert(json_number_value(json_object_get(back, "r")) == 0.99);
  json_object_del(v, "r");
  json_object_del(back, "r");
  ck_assert(json_equal(v, back));
  json_decref(back);
  json_decref(v);
  free(s);
}
END_TEST

Suite *suite_json_text(void)
{
  Suite *s = suite_create("json_text");
  TCase *tc = tcase_create("json_text");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, plain_run_lanes);
  tcase_add_test(tc, reals_es_form);
  tcase_add_test(tc, reals_sweep);
  tcase_add_test(tc, reals_nested_and_integers);
  tcase_add_test(tc, same_as_json_dumps_without_reals);
  tcase_add_test(tc, refusals_and_parse_back);
  tcase_add_test(tc, int_text_and_strcopy);
  tcase_add_test(tc, canon_members_same_as_canon);
  suite_add_tcase(s, tc);
  return s;
}
