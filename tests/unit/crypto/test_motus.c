/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/crypto/test_motus.c — Motus Work Receipt Envelopes (spec/signing.md R-MOTUS-*):
 * golden digests of both valid fixtures, every invalid case of cases.json (patches applied as
 * motus.md §4.1 describes) rejected with the expected message fragment, the missing-acceptance
 * file, finalize, and our Level 3 signature (sign, verify, tamper, pin). */
#include "crypto/artifacts.h"
#include "tests/unit/crypto/crypto_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *motus_json(const char *rel)
{
  const char *p = ts_shared_path(rel);
  if (!p)
    return NULL;
  return ts_load_json(p);
}

static int reasons_contain(const seal_verdict *v, const char *frag)
{
  for (size_t i = 0; i < json_array_size(v->reasons); i++)
    if (strstr(json_string_value(json_array_get(v->reasons, i)), frag))
      return 1;
  return 0;
}

/* R-MOTUS-001: digests equal the golden files and the embedded receipt_id/hashes.receipt */
START_TEST(golden_digests)
{
  const char *names[] = {"work-receipt-minimal", "work-receipt-github-action"};
  for (int i = 0; i < 2; i++) {
    char rel[200];
    snprintf(rel, sizeof rel, "fixtures/motus/fixtures/valid/%s.json", names[i]);
    json_t *r = motus_json(rel);
    if (!r)
      return;
    snprintf(rel, sizeof rel, "fixtures/motus/golden/%s.sha256", names[i]);
    char *golden = ts_read_file(ts_shared_path(rel), NULL);
    ck_assert_ptr_nonnull(golden);
    golden[64] = '\0';
    char d[SEAL_SHA256_HEX];
    ck_assert_int_eq(seal_work_receipt_digest(d, r, NULL), SEAL_OK);
    ck_assert_str_eq(d, golden);
    seal_verdict v;
    ck_assert_int_eq(seal_verify_work_receipt(r, NULL, &v), SEAL_OK);
    ck_assert_int_eq(v.kind, SEAL_KIND_WORK_RECEIPT);
    seal_verdict_clear(&v);
    /* finalize from zeroed placeholders restores the same values */
    json_t *z = json_deep_copy(r);
    json_object_set_new(
        z, "receipt_id",
        json_string("sha256:0000000000000000000000000000000000000000000000000000000000000000"));
    json_object_del(json_object_get(z, "hashes"), "receipt");
    ck_assert_int_eq(seal_work_receipt_finalize(z, NULL), SEAL_OK);
    ck_assert(json_equal(z, r));
    json_decref(z);
    free(golden);
    json_decref(r);
  }
}
END_TEST

/* Walks a dotted path (numeric segments index arrays); returns the parent and last segment. */
static json_t *walk(json_t *root, const char *path, char *last, size_t cap)
{
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  json_t *cur = root;
  char *seg = buf, *dot;
  while ((dot = strchr(seg, '.'))) {
    *dot = '\0';
    cur = json_is_array(cur) ? json_array_get(cur, strtoul(seg, NULL, 10))
                             : json_object_get(cur, seg);
    ck_assert_ptr_nonnull(cur);
    seg = dot + 1;
  }
  ck_assert_int_lt(snprintf(last, cap, "%s", seg), (int)cap);
  return cur;
}

/* R-MOTUS-002/003: every invalid case is rejected with its expected fragment */
START_TEST(invalid_cases)
{
  json_t *base = motus_json("fixtures/motus/fixtures/valid/work-receipt-minimal.json");
  if (!base)
    return;
  json_t *cases = motus_json("fixtures/motus/fixtures/invalid/cases.json");
  ck_assert_uint_ge(json_array_size(cases), 16);
  for (size_t i = 0; i < json_array_size(cases); i++) {
    json_t *c = json_array_get(cases, i), *r = json_deep_copy(base), *ops, *val;
    const char *k;
    char last[128];
    if ((ops = json_object_get(c, "remove")))
      for (size_t j = 0; j < json_array_size(ops); j++) {
        json_t *parent = walk(r, json_string_value(json_array_get(ops, j)), last, sizeof last);
        ck_assert_int_eq(json_object_del(parent, last), 0);
      }
    if ((ops = json_object_get(c, "set")))
      json_object_foreach(ops, k, val) {
        json_t *parent = walk(r, k, last, sizeof last);
        json_object_set(parent, last, val);
      }
    if ((ops = json_object_get(c, "literal_set")))
      json_object_foreach(ops, k, val)
        json_object_set(r, k, val);
    seal_verdict v;
    ck_assert_int_eq(seal_verify_work_receipt(r, NULL, &v), SEAL_EVERIFY);
    const char *frag = json_string_value(json_object_get(c, "expect"));
    ck_assert_msg(reasons_contain(&v, frag), "case %s: no reason mentions '%s'",
                  json_string_value(json_object_get(c, "name")), frag);
    seal_verdict_clear(&v);
    json_decref(r);
  }
  json_decref(cases);
  json_decref(base);
  json_t *ma = motus_json("fixtures/motus/fixtures/invalid/work-receipt-missing-acceptance.json");
  seal_verdict v;
  ck_assert_int_eq(seal_verify_work_receipt(ma, NULL, &v), SEAL_EVERIFY);
  ck_assert(reasons_contain(&v, "acceptance"));
  seal_verdict_clear(&v);
  json_decref(ma);
}
END_TEST

/* R-SIGN-040..043: our Level 3 signature entry */
START_TEST(level3_signature)
{
  json_t *base = motus_json("fixtures/motus/fixtures/valid/work-receipt-github-action.json");
  if (!base)
    return;
  uint8_t seed[32];
  seal_key *k = NULL;
  tc_seed_seq(seed, 0x01);
  ck_assert_int_eq(seal_key_from_seed(&k, seed), SEAL_OK);
  json_t *s = NULL;
  ck_assert_int_eq(seal_work_receipt_sign(&s, base, k, "agent:demo", NULL), SEAL_OK);
  json_t *e = json_array_get(json_object_get(s, "signatures_optional"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(e, "suite")), SEAL_SUITE_MOTUS);
  ck_assert_str_eq(json_string_value(json_object_get(e, "signer")), "agent:demo");
  ck_assert_str_eq(json_string_value(json_object_get(e, "public_key")), seal_key_pk_hex(k));
  ck_assert_uint_eq(json_object_size(e), 4);
  seal_verdict v;
  ck_assert_int_eq(seal_verify_work_receipt(s, NULL, &v), SEAL_OK); /* L0 still holds */
  ck_assert_str_eq(v.signer, "did:key:z6MkneMkZqwqRiU5mJzSG3kDwzt9P8C59N4NGTfBLfSGE7c7");
  seal_verdict_clear(&v);
  /* the digest covers the entry: receipt_id changed vs the unsigned receipt */
  ck_assert_str_ne(json_string_value(json_object_get(s, "receipt_id")),
                   json_string_value(json_object_get(base, "receipt_id")));
  /* pinning */
  seal_verify_opts o = SEAL_VERIFY_OPTS_INIT;
  o.pinned_pk = seal_key_pk(k);
  ck_assert_int_eq(seal_verify_work_receipt(s, &o, &v), SEAL_OK);
  seal_verdict_clear(&v);
  ck_assert_int_eq(seal_verify_work_receipt(base, &o, &v), SEAL_EVERIFY); /* unsigned */
  seal_verdict_clear(&v);
  /* tamper a field and re-finalize (so the self-hash passes): the signature must fail */
  json_t *t = json_deep_copy(s);
  json_object_set_new(t, "work_id", json_string("OTHER"));
  ck_assert_int_eq(seal_work_receipt_finalize(t, NULL), SEAL_OK);
  ck_assert_int_eq(seal_verify_work_receipt(t, NULL, &v), SEAL_EVERIFY);
  ck_assert(reasons_contain(&v, "signatures_optional[0]: signature did not verify"));
  seal_verdict_clear(&v);
  json_decref(t);
  /* a second signer appends; both verify */
  seal_key *k2 = NULL;
  tc_seed_seq(seed, 0x21);
  ck_assert_int_eq(seal_key_from_seed(&k2, seed), SEAL_OK);
  json_t *s2 = NULL;
  ck_assert_int_eq(seal_work_receipt_sign(&s2, s, k2, NULL, NULL), SEAL_OK);
  ck_assert_uint_eq(json_array_size(json_object_get(s2, "signatures_optional")), 2);
  ck_assert_int_eq(seal_verify_work_receipt(s2, NULL, &v), SEAL_OK);
  seal_verdict_clear(&v);
  /* the text front door detects it */
  char *txt = json_dumps(s2, JSON_INDENT(2));
  ck_assert_int_eq(seal_verify_text(txt, strlen(txt), NULL, &v), SEAL_OK);
  ck_assert_int_eq(v.kind, SEAL_KIND_WORK_RECEIPT);
  seal_verdict_clear(&v);
  free(txt);
  json_decref(s2);
  json_decref(s);
  seal_key_free(k2);
  seal_key_free(k);
  json_decref(base);
}
END_TEST

Suite *suite_motus(void)
{
  Suite *s = suite_create("motus");
  TCase *tc = tcase_create("work_receipt");
  tcase_add_test(tc, golden_digests);
  tcase_add_test(tc, invalid_cases);
  tcase_add_test(tc, level3_signature);
  suite_add_tcase(s, tc);
  return s;
}
