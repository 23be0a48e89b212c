/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/crypto/test_seal.c — crypto/seal.h basics: canonical JSON in both flavours
 * (spec/canonical-json.md R-CANON-*), ES number formatting, strict parsing, encodings, did:key,
 * sovereign ids, Ed25519 vectors and key files (spec/signing.md R-SIGN-*). */
#include "crypto/seal.h"
#include "tests/unit/crypto/crypto_tests.h"

#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static json_t *parse(const char *text)
{
  seal_err err = {0};
  json_t *v = seal_json_parse_strict(text, strlen(text), &err);
  ck_assert_msg(v != NULL, "parse failed: %s", err.msg);
  return v;
}

static void expect_canon(const char *in, int flavor, const char *want)
{
  json_t *v = parse(in);
  char *got = tc_canon(v, flavor);
  ck_assert_str_eq(got, want);
  free(got);
  json_decref(v);
}

/* R-CANON-001/002/003: no whitespace, sorted keys, raw UTF-8, lowercase control escapes, no `/` escape */
/* Secret strings: exact copies (dupn stops at n, NUL-terminated), NULL in, NULL out. */
START_TEST(secret_strings)
{
  char *a = seal_secret_dup("s3cret-token"), *b = seal_secret_dupn("abcdef", 3), *c;
  ck_assert_ptr_nonnull(a);
  ck_assert_str_eq(a, "s3cret-token");
  ck_assert_ptr_nonnull(b);
  ck_assert_str_eq(b, "abc");
  ck_assert_ptr_null(seal_secret_dup(NULL));
  ck_assert_ptr_null(seal_secret_dupn(NULL, 3));
  c = seal_secret_alloc(8);
  ck_assert_ptr_nonnull(c);
  for (int i = 0; i < 9; i++)
    ck_assert_int_eq(c[i], 0);
  seal_secret_free(a);
  seal_secret_free(b);
  seal_secret_free(c);
  seal_secret_free(NULL);
  {
    char buf[4] = {'x', 'y', 'z', 'w'};
    seal_wipe(buf, sizeof buf);
    for (int i = 0; i < 4; i++)
      ck_assert_int_eq(buf[i], 0);
  }
}
END_TEST

START_TEST(canon_strings)
{
  expect_canon("{ \"b\" : 1, \"a\" : [ true, false, null ] }", SEAL_CANON_JCS,
               "{\"a\":[true,false,null],\"b\":1}");
  expect_canon("\"a\\u001Fb\\u000bc\\u007f\"", SEAL_CANON_JCS, "\"a\\u001fb\\u000bc\x7f\"");
  expect_canon("\"\\b\\f\\n\\r\\t\\\"\\\\\"", SEAL_CANON_MOTUS, "\"\\b\\f\\n\\r\\t\\\"\\\\\"");
  expect_canon("\"a\\/b\"", SEAL_CANON_JCS, "\"a/b\"");
  expect_canon("\"caf\\u00e9 \\u2014 \\u2028\"", SEAL_CANON_JCS,
               "\"caf\xc3\xa9 \xe2\x80\x94 \xe2\x80\xa8\"");
  /* astral code point from a surrogate pair: raw 4-byte UTF-8, never \ud83d\ude00 */
  expect_canon("\"\\ud83d\\ude00\"", SEAL_CANON_MOTUS, "\"\xf0\x9f\x98\x80\"");
  expect_canon("{\"k\\u0001\":\"v\"}", SEAL_CANON_JCS, "{\"k\\u0001\":\"v\"}");
  expect_canon("[]", SEAL_CANON_JCS, "[]");
  expect_canon("{}", SEAL_CANON_MOTUS, "{}");
  expect_canon("-9007199254740993", SEAL_CANON_MOTUS, "-9007199254740993");
}
END_TEST

/* R-CANON-004/005: JCS sorts keys by UTF-16 code units, Motus by code point. U+FF61 (one unit,
 * 0xFF61) vs U+1F600 (units 0xD83D 0xDE00): code point order puts U+FF61 first, UTF-16 order
 * puts the emoji first. Shorter prefix first in both. */
START_TEST(canon_key_order)
{
  const char *in = "{\"\\uff61\":1,\"\\ud83d\\ude00\":2,\"ab\":3,\"a\":4,\"B\":5}";
  expect_canon(in, SEAL_CANON_MOTUS,
               "{\"B\":5,\"a\":4,\"ab\":3,\"\xef\xbd\xa1\":1,\"\xf0\x9f\x98\x80\":2}");
  expect_canon(in, SEAL_CANON_JCS,
               "{\"B\":5,\"a\":4,\"ab\":3,\"\xf0\x9f\x98\x80\":2,\"\xef\xbd\xa1\":1}");
}
END_TEST

/* R-CANON-007: reals refused in signed bodies, both flavours */
START_TEST(canon_reals_refused)
{
  const char *cases[] = {"1.0", "{\"a\":[0.5]}", "1e3", "-0.0"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *v = parse(cases[i]);
    char *out = NULL;
    seal_err err = {0};
    ck_assert_int_eq(seal_canon(&out, NULL, v, SEAL_CANON_JCS, &err), SEAL_EREAL);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(err.msg, "real"));
    ck_assert_int_eq(seal_canon(&out, NULL, v, SEAL_CANON_MOTUS, NULL), SEAL_EREAL);
    json_decref(v);
  }
}
END_TEST

/* R-CANON-008: ES Number::toString for the credentials flavour */
START_TEST(canon_es_numbers)
{
  struct {
    double v;
    const char *s;
  } t[] = {{0.1, "0.1"},
           {1.0, "1"},
           {-0.0, "0"},
           {1e21, "1e+21"},
           {1e20, "100000000000000000000"},
           {5e-7, "5e-7"},
           {1e-6, "0.000001"},
           {123.456, "123.456"},
           {-2.5, "-2.5"},
           {0.3333333333333333, "0.3333333333333333"},
           {1.5e300, "1.5e+300"},
           {2.2250738585072014e-308, "2.2250738585072014e-308"},
           {0.87, "0.87"}};
  char buf[SEAL_ES_NUMBER_MAX];
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    ck_assert_int_eq(seal_es_number(buf, t[i].v), SEAL_OK);
    ck_assert_str_eq(buf, t[i].s);
  }
  json_t *v = json_pack("{s:f,s:i,s:[f]}", "rate", 0.75, "n", 3, "xs", 1e21);
  char *c = tc_canon(v, SEAL_CANON_JCS_REALS);
  ck_assert_str_eq(c, "{\"n\":3,\"rate\":0.75,\"xs\":[1e+21]}");
  free(c);
  json_decref(v);
}
END_TEST

/* R-CANON-011: nesting limit in the serializer and the strict parser */
START_TEST(canon_depth_limit)
{
  char deep[2 * (SEAL_CANON_MAX_DEPTH + 1) + 1];
  json_t *v;
  seal_err err = {0};
  memset(deep, '[', SEAL_CANON_MAX_DEPTH);
  memset(deep + SEAL_CANON_MAX_DEPTH, ']', SEAL_CANON_MAX_DEPTH);
  deep[2 * SEAL_CANON_MAX_DEPTH] = '\0';
  v = parse(deep); /* exactly at the limit: fine */
  char *c = tc_canon(v, SEAL_CANON_JCS);
  ck_assert_str_eq(c, deep);
  free(c);
  /* one more level: refused by serializer and parser */
  json_t *outer = json_array();
  json_array_append_new(outer, v);
  char *out = NULL;
  ck_assert_int_eq(seal_canon(&out, NULL, outer, SEAL_CANON_MOTUS, &err), SEAL_EDEPTH);
  json_decref(outer);
  memset(deep, '[', SEAL_CANON_MAX_DEPTH + 1);
  memset(deep + SEAL_CANON_MAX_DEPTH + 1, ']', SEAL_CANON_MAX_DEPTH + 1);
  deep[2 * (SEAL_CANON_MAX_DEPTH + 1)] = '\0';
  ck_assert_ptr_null(seal_json_parse_strict(deep, strlen(deep), &err));
  ck_assert_int_eq(err.code, SEAL_EDEPTH);
}
END_TEST

/* R-CANON-009/010: strict parse refuses duplicates, NUL, trailing data, bad UTF-8 */
START_TEST(strict_parse)
{
  const char *bad[] = {"{\"a\":1,\"a\":2}",   "{\"a\":\"\\u0000\"}", "{\"a\":1} x",
                       "{\"a\":\"\\ud800\"}", "{\"a\":\"\xff\"}",    "",
                       "{\"a\":1,}"};
  seal_err err;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&err, 0, sizeof err);
    json_t *v = seal_json_parse_strict(bad[i], strlen(bad[i]), &err);
    ck_assert_msg(v == NULL, "accepted %s", bad[i]);
    ck_assert_int_ne(err.code, 0);
  }
  const char with_nul[] = "{\"a\":1}\0";
  ck_assert_ptr_null(seal_json_parse_strict(with_nul, sizeof with_nul - 1, &err));
  json_t *v = seal_json_parse_strict("{\"a\":{\"a\":1}}", 13, NULL);
  ck_assert_ptr_nonnull(v);
  json_decref(v);
}
END_TEST

/* R-CANON-006: seal_canon_without drops one top-level key only */
START_TEST(canon_without)
{
  json_t *v = parse("{\"signature\":\"x\",\"a\":{\"signature\":\"y\"}}");
  char *out = NULL;
  size_t n;
  ck_assert_int_eq(seal_canon_without(&out, &n, v, "signature", SEAL_CANON_JCS, NULL), SEAL_OK);
  ck_assert_str_eq(out, "{\"a\":{\"signature\":\"y\"}}");
  free(out);
  json_decref(v);
}
END_TEST

/* motus.md §6 canonicalization vectors (from the Motus Python CLI's conformance vectors) */
START_TEST(canon_motus_vectors)
{
  char hex[SEAL_SHA256_HEX];
  json_t *v = parse("{\"zebra\":1,\"alpha\":2,\"middle\":3}");
  ck_assert_int_eq(seal_canon_sha256_hex(hex, v, SEAL_CANON_MOTUS, NULL), SEAL_OK);
  ck_assert_str_eq(hex, "8279885d9e6f748807a4a8838376aad819aee964979d576d496aa9a67ea2bd6a");
  json_decref(v);
  v = parse(
      "{\"outer\":{\"z_inner\":true,\"a_inner\":false},\"array\":[3,1,2],\"alpha\":\"first\"}");
  ck_assert_int_eq(seal_canon_sha256_hex(hex, v, SEAL_CANON_MOTUS, NULL), SEAL_OK);
  ck_assert_str_eq(hex, "ecae809edb8267b1eebe3b86d3c1cc24829787375060013f4e3f9c1ae310fb8b");
  json_decref(v);
}
END_TEST

START_TEST(encodings)
{
  uint8_t raw[] = {0x00, 0x00, 0xfb, 0xff, 0x10};
  char hex[11];
  seal_hex_encode(hex, raw, sizeof raw);
  ck_assert_str_eq(hex, "0000fbff10");
  uint8_t back[5];
  ck_assert_int_eq(seal_hex_decode(back, 5, "0000FBFF10", 0), SEAL_OK);
  ck_assert_mem_eq(back, raw, 5);
  ck_assert_int_eq(seal_hex_decode(back, 5, "0000FBFF10", 1), SEAL_EINVAL);
  ck_assert_int_eq(seal_hex_decode(back, 5, "0000fbff1", 1), SEAL_EINVAL);
  char *b64 = seal_b64url_encode(raw, sizeof raw);
  ck_assert_str_eq(b64, "AAD7_xA");
  uint8_t *dec = NULL;
  size_t n = 0;
  ck_assert_int_eq(seal_b64url_decode(&dec, &n, "AAD7_xA=", 8), SEAL_OK); /* padding tolerated */
  ck_assert_uint_eq(n, 5);
  ck_assert_mem_eq(dec, raw, 5);
  free(dec);
  ck_assert_int_eq(seal_b64url_decode(&dec, &n, "AAD7/xA", 7), SEAL_EINVAL); /* not url alphabet */
  free(b64);
  char *b58 = seal_b58_encode(raw, sizeof raw);
  ck_assert_str_eq(b58, "112TeHV");
  ck_assert_int_eq(seal_b58_decode(&dec, &n, b58), SEAL_OK);
  ck_assert_uint_eq(n, 5);
  ck_assert_mem_eq(dec, raw, 5);
  free(dec);
  free(b58);
  ck_assert_int_eq(seal_b58_decode(&dec, &n, "0OIl"), SEAL_EINVAL);
  char h[SEAL_SHA256_HEX];
  seal_sha256_hex(h, "Task completed successfully", 27); /* motebit.md §3.5 V4 */
  ck_assert(strncmp(h, "2a92bbd4", 8) == 0 && strcmp(h + 58, "f970f8") == 0);
  char u[SEAL_SOVEREIGN_ID];
  seal_uuid4(u);
  ck_assert_uint_eq(strlen(u), 36);
  ck_assert_int_eq(u[14], '4');
  ck_assert(strchr("89ab", u[19]) != NULL);
  {
    /* v7: version 7, variant 10, the time prefix sorts: a later id compares greater */
    char a[SEAL_SOVEREIGN_ID], b[SEAL_SOVEREIGN_ID];
    seal_uuid7(a);
    struct timespec d = {0, 3000000};
    nanosleep(&d, NULL);
    seal_uuid7(b);
    ck_assert_uint_eq(strlen(a), 36);
    ck_assert_int_eq(a[14], '7');
    ck_assert(strchr("89ab", a[19]) != NULL);
    ck_assert_int_lt(strcmp(a, b), 0);
    uint64_t ms = 0;
    for (int i = 0; i < 13; i++)
      if (a[i] != '-')
        ms = ms * 16 + (uint64_t)(a[i] <= '9' ? a[i] - '0' : a[i] - 'a' + 10);
    ck_assert_uint_gt(ms, 1700000000000ULL); /* 2023-11 */
  }
  ck_assert_int_eq(seal_memcmp("abc", "abc", 3), 0);
  ck_assert_int_ne(seal_memcmp("abc", "abd", 3), 0);
}
END_TEST

/* The random bits of v7 ids come from a per-thread block: 1000 ids are distinct, and a forked
 * child does not hand out the bits its parent holds next (pthread_atfork empties its block). */
START_TEST(uuid7_random_block)
{
  static char ids[1000][SEAL_SOVEREIGN_ID];
  char mine[SEAL_SOVEREIGN_ID], theirs[SEAL_SOVEREIGN_ID] = "";
  int fds[2], st = 0;
  for (int i = 0; i < 1000; i++)
    seal_uuid7(ids[i]);
  for (int i = 0; i < 1000; i++)
    for (int j = i + 1; j < 1000; j++)
      ck_assert_str_ne(ids[i] + 19, ids[j] + 19); /* the random tail alone */
  seal_uuid7(mine); /* 1001 ids: the block is not empty at the fork (250 bytes = 25 ids) */
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    char c[SEAL_SOVEREIGN_ID];
    seal_uuid7(c);
    _exit(write(fds[1], c, sizeof c) == (ssize_t)sizeof c ? 0 : 1);
  }
  seal_uuid7(mine);
  ck_assert_int_eq(read(fds[0], theirs, sizeof theirs), (ssize_t)sizeof theirs);
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  ck_assert_str_ne(mine + 19, theirs + 19);
  close(fds[0]);
  close(fds[1]);
}
END_TEST

/* Frees handed back (crypto/graveyard.c): a collecting thread frees nothing it passes to
 * seal_free_soon (nor the jansson trees it releases), another thread's drain frees exactly
 * that, once; outside the window seal_free_soon frees at once; the graveyard is bounded. */
static void *collect_n(void *arg)
{
  size_t n = *(size_t *)arg;
  seal_graveyard_begin();
  for (size_t i = 0; i < n; i++)
    seal_free_soon(malloc(32));
  seal_free_soon(NULL);
  seal_graveyard_end();
  seal_graveyard_thread_end();
  return NULL;
}

START_TEST(graveyard_frees)
{
  pthread_t th;
  size_t n = 100;
  ck_assert_int_eq(seal_init(), SEAL_OK);
  (void)seal_graveyard_drain();
  ck_assert_int_eq(pthread_create(&th, NULL, collect_n, &n), 0);
  ck_assert_int_eq(pthread_join(th, NULL), 0);
  ck_assert_uint_eq(seal_graveyard_drain(), 100);
  ck_assert_uint_eq(seal_graveyard_drain(), 0);
  seal_free_soon(malloc(32)); /* not collecting: freed now */
  ck_assert_uint_eq(seal_graveyard_drain(), 0);
  /* jansson's free goes through it after seal_init */
  seal_graveyard_begin();
  json_decref(json_pack("{s:s, s:[i]}", "a", "text", "b", 1));
  seal_graveyard_end();
  ck_assert_uint_ge(seal_graveyard_drain(), 4);
  /* bounded: past 65536 waiting blocks the collector frees them itself */
  n = 70000;
  ck_assert_int_eq(pthread_create(&th, NULL, collect_n, &n), 0);
  ck_assert_int_eq(pthread_join(th, NULL), 0);
  ck_assert_int_eq(pthread_create(&th, NULL, collect_n, &n), 0);
  ck_assert_int_eq(pthread_join(th, NULL), 0);
  size_t k = seal_graveyard_drain();
  ck_assert_uint_gt(k, 0);
  ck_assert_uint_le(k, 65536);
}
END_TEST

/* R-SIGN-001: Ed25519 V1 vector (motebit signature-byte-compat test) */
START_TEST(ed25519_v1)
{
  uint8_t seed[32], sig[64];
  char sighex[SEAL_SIG_HEX];
  seal_key *k = NULL;
  memset(seed, 0x42, sizeof seed);
  ck_assert_int_eq(seal_key_from_seed(&k, seed), SEAL_OK);
  ck_assert_str_eq(seal_key_pk_hex(k),
                   "2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12");
  ck_assert_int_eq(seal_sign(sig, k, "motebit", 7), SEAL_OK);
  seal_hex_encode(sighex, sig, 64);
  ck_assert_str_eq(sighex, "b14e548fc26ad27b93825cb72b4463efffaf1298e4769312229a66e011d0d2b1"
                           "35dfd3b6317fddcd640c317a736ee4199c37c3e6b5d4b2d4c9ab937f3306f60f");
  ck_assert_int_eq(seal_verify(sig, seal_key_pk(k), "motebit", 7), SEAL_OK);
  ck_assert_int_eq(seal_verify(sig, seal_key_pk(k), "motebiT", 7), SEAL_EVERIFY);
  sig[10] ^= 1;
  ck_assert_int_eq(seal_verify(sig, seal_key_pk(k), "motebit", 7), SEAL_EVERIFY);
  uint8_t back[32];
  seal_key_seed(k, back);
  ck_assert_mem_eq(back, seed, 32);
  seal_key_free(k);
  seal_key_free(NULL);
}
END_TEST

/* R-SIGN-002: V2/V3/V4 public keys, sovereign ids and did:key */
START_TEST(identity_vectors)
{
  uint8_t seed[32], pk[32];
  char id[SEAL_SOVEREIGN_ID], did[SEAL_DID_KEY_MAX];
  seal_key *k = NULL;
  tc_seed_seq(seed, 0x01);
  ck_assert_int_eq(seal_key_from_seed(&k, seed), SEAL_OK);
  ck_assert_str_eq(seal_key_pk_hex(k),
                   "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664");
  seal_sovereign_id(id, seal_key_pk(k));
  ck_assert_str_eq(id, "65b60673-d6ed-884b-b01c-2c222d82ada0");
  ck_assert_int_eq(seal_did_key_from_pk(did, seal_key_pk(k)), SEAL_OK);
  ck_assert_str_eq(did, "did:key:z6MkneMkZqwqRiU5mJzSG3kDwzt9P8C59N4NGTfBLfSGE7c7");
  ck_assert_int_eq(seal_pk_from_did_key(pk, did), SEAL_OK);
  ck_assert_mem_eq(pk, seal_key_pk(k), 32);
  seal_key_free(k);
  tc_seed_seq(seed, 0x21);
  ck_assert_int_eq(seal_key_from_seed(&k, seed), SEAL_OK);
  ck_assert_str_eq(seal_key_pk_hex(k),
                   "e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f0");
  seal_key_free(k);
  memset(seed, 0x01, 32);
  ck_assert_int_eq(seal_key_from_seed(&k, seed), SEAL_OK);
  ck_assert_str_eq(seal_key_pk_hex(k),
                   "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
  seal_sovereign_id(id, seal_key_pk(k));
  ck_assert_str_eq(id, "34750f98-bd59-8cfc-946d-a45aaabe933b");
  ck_assert_int_eq(seal_did_key_from_pk(did, seal_key_pk(k)), SEAL_OK);
  ck_assert_str_eq(did, "did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX");
  seal_key_free(k);
  ck_assert_int_eq(
      seal_pk_from_did_key(pk, "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"),
      SEAL_EINVAL); /* secp256k1 multicodec, not Ed25519 */
  ck_assert_int_eq(seal_pk_from_did_key(pk, "did:web:example.com"), SEAL_EINVAL);
}
END_TEST

/* R-SIGN-090/091: key files, raw (0600) and passphrase-encrypted */
START_TEST(key_files)
{
  char *dir = ts_tmpdir();
  char raw[4200], enc[4200];
  snprintf(raw, sizeof raw, "%s/seed", dir);
  snprintf(enc, sizeof enc, "%s/seed.enc", dir);
  uint8_t seed[32];
  tc_seed_seq(seed, 1);
  seal_key *k = NULL, *l = NULL;
  seal_err err = {0};
  ck_assert_int_eq(seal_key_from_seed(&k, seed), SEAL_OK);
  ck_assert_int_eq(seal_key_save(k, raw, NULL, &err), SEAL_OK);
  struct stat st;
  ck_assert_int_eq(stat(raw, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0600);
  ck_assert_int_eq(st.st_size, 32);
  ck_assert_int_eq(seal_key_load(&l, raw, NULL, &err), SEAL_OK);
  ck_assert_str_eq(seal_key_pk_hex(l), seal_key_pk_hex(k));
  seal_key_free(l);
  ck_assert_int_eq(seal_key_save(k, enc, "correct horse", &err), SEAL_OK);
  ck_assert_int_eq(stat(enc, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0600);
  size_t n;
  char *bytes = ts_read_file(enc, &n);
  ck_assert_ptr_null(memmem(bytes, n, seed, 32)); /* the seed is not stored in clear */
  free(bytes);
  ck_assert_int_eq(seal_key_load(&l, enc, "wrong", &err), SEAL_EVERIFY);
  ck_assert_int_eq(seal_key_load(&l, enc, NULL, &err), SEAL_EINVAL);
  ck_assert_int_eq(seal_key_load(&l, enc, "correct horse", &err), SEAL_OK);
  ck_assert_str_eq(seal_key_pk_hex(l), seal_key_pk_hex(k));
  seal_key_free(l);
  char missing[4300];
  snprintf(missing, sizeof missing, "%s/nope", dir);
  ck_assert_int_eq(seal_key_load(&l, missing, NULL, &err), SEAL_EIO);
  ck_assert_int_ne(err.cause, 0);
  seal_key_free(k);
  ts_rmrf(dir);
  free(dir);
}
END_TEST

Suite *suite_seal(void)
{
  Suite *s = suite_create("seal");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, uuid7_random_block);
  tcase_add_test(tc, graveyard_frees);
  tcase_add_test(tc, secret_strings);
  tcase_add_test(tc, canon_strings);
  tcase_add_test(tc, canon_key_order);
  tcase_add_test(tc, canon_reals_refused);
  tcase_add_test(tc, canon_es_numbers);
  tcase_add_test(tc, canon_depth_limit);
  tcase_add_test(tc, strict_parse);
  tcase_add_test(tc, canon_without);
  tcase_add_test(tc, canon_motus_vectors);
  tcase_add_test(tc, encodings);
  tcase_add_test(tc, ed25519_v1);
  tcase_add_test(tc, identity_vectors);
  tcase_add_test(tc, key_files);
  suite_add_tcase(s, tc);
  return s;
}
