/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/crypto/test_oom.c — allocation-failure sweeps (tests/support/alloc_fail.h) over the
 * signing path of a ToolInvocationReceipt: canonical JSON, signing, strict parsing and
 * verification. With every allocation failing in turn, each call must either succeed with the
 * same result as without failures or return its error (SEAL_ERROR / a non-OK verdict) with its
 * output untouched; a tampered receipt must never verify; nothing may crash or leak (ASan).
 * The JSON Schema validator allocates only when it compiles a pattern it has not seen (its
 * cache is process-wide), so its sweep gives every run a fresh pattern: an instance must then
 * validate or get SEAL_JSCHEMA_BADSCHEMA, and an invalid one must never validate. */
#include "crypto/artifacts.h"
#include "crypto/jschema.h"
#include "tests/support/alloc_fail.h"
#include "tests/unit/crypto/crypto_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *suite_oom_crypto(void);

typedef struct oom_fix {
  seal_key *key;
  json_t *body;    /* the unsigned receipt body */
  json_t *receipt; /* signed */
  char *canon;     /* JCS of body */
  char *text;      /* compact text of receipt */
  char *tampered;  /* text with one field changed */
} oom_fix;

static void fix_init(oom_fix *f)
{
  uint8_t seed[32];
  memset(f, 0, sizeof *f);
  tc_seed_seq(seed, 0x01);
  ck_assert_int_eq(seal_key_from_seed(&f->key, seed), SEAL_OK);
  /* strings that need escapes and a multi-byte character, for the canonical serializer */
  f->body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "invocation_id", "inv-1",
                      "task_id", "task-\x01\"1\"", "motebit_id", "m", "device_id", "d\xc3\xa9\n",
                      "tool_name", "motus_wrap", "started_at", (json_int_t)1, "completed_at",
                      (json_int_t)2, "status", "ok", "args_hash",
                      "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                      "result_hash",
                      "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  ck_assert_ptr_nonnull(f->body);
  f->canon = tc_canon(f->body, SEAL_CANON_JCS);
  ck_assert_int_eq(seal_sign_tool_invocation_receipt(&f->receipt, f->body, f->key, NULL), SEAL_OK);
  f->text = json_dumps(f->receipt, JSON_COMPACT);
  ck_assert_ptr_nonnull(f->text);
  f->tampered = strdup(f->text);
  char *st = strstr(f->tampered, "\"status\":\"ok\"");
  ck_assert_ptr_nonnull(st);
  memcpy(st + 10, "OK", 2);
}

static void fix_free(oom_fix *f)
{
  free(f->tampered);
  free(f->text);
  free(f->canon);
  json_decref(f->receipt);
  json_decref(f->body);
  seal_key_free(f->key);
}

static void path_canon(long fail_at, void *ctx)
{
  oom_fix *f = ctx;
  char *out = NULL;
  size_t len = 0;
  seal_err err = {0};
  af_arm(fail_at);
  int rc = seal_canon(&out, &len, f->body, SEAL_CANON_JCS, &err);
  af_disarm();
  if (rc == SEAL_OK) {
    ck_assert_uint_eq(len, strlen(f->canon));
    ck_assert_str_eq(out, f->canon);
  } else {
    ck_assert_int_eq(rc, SEAL_ERROR);
    ck_assert_ptr_null(out);
  }
  ck_assert(fail_at > 0 || rc == SEAL_OK);
  free(out);
}

static void path_sign(long fail_at, void *ctx)
{
  oom_fix *f = ctx;
  json_t *out = NULL;
  seal_err err = {0};
  af_arm(fail_at);
  int rc = seal_sign_tool_invocation_receipt(&out, f->body, f->key, &err);
  af_disarm();
  if (rc == SEAL_OK) {
    ck_assert_msg(json_equal(out, f->receipt), "signed receipt differs after allocation %ld failed",
                  fail_at);
  } else {
    ck_assert_msg(rc == SEAL_ERROR, "rc %d (%s)", rc, err.msg);
    ck_assert_ptr_null(out);
  }
  ck_assert(fail_at > 0 || rc == SEAL_OK);
  json_decref(out);
}

/* Verifies `text`: the strict parse then the receipt verifier, as seal_verify_text does. */
static void verify_one(long fail_at, const char *text, int want_valid)
{
  seal_verdict v;
  af_arm(fail_at);
  int rc = seal_verify_text(text, strlen(text), NULL, &v);
  af_disarm();
  if (want_valid && fail_at == 0)
    ck_assert_msg(rc == SEAL_OK, "rc %d: %s", rc, json_string_value(json_array_get(v.reasons, 0)));
  if (rc == SEAL_OK) {
    ck_assert_msg(want_valid, "a tampered receipt verified after a failed allocation (%ld)",
                  fail_at);
    ck_assert_int_eq(v.valid, 1);
    ck_assert_int_eq(v.kind, SEAL_KIND_TOOL_INVOCATION_RECEIPT);
  } else {
    ck_assert_int_eq(v.valid, 0);
  }
  seal_verdict_clear(&v);
}

static void path_verify(long fail_at, void *ctx)
{
  verify_one(fail_at, ((oom_fix *)ctx)->text, 1);
}

static void path_verify_tampered(long fail_at, void *ctx)
{
  verify_one(fail_at, ((oom_fix *)ctx)->tampered, 0);
}

typedef struct oom_schema {
  int run;
  const char *instance;
  int valid;
} oom_schema;

static void path_jschema(long fail_at, void *ctx)
{
  oom_schema *t = ctx;
  char pattern[64];
  seal_jschema_err err;
  snprintf(pattern, sizeof pattern, "^[a-z]+$|^run-%d$", ++t->run);
  json_t *schema = json_pack("{s:s,s:{s:{s:s,s:s},s:{s:s}},s:[s],s:b,s:{s:{s:s,s:i}}}", "type",
                             "object", "properties", "name", "type", "string", "pattern", pattern,
                             "n", "$ref", "#/$defs/small", "required", "name",
                             "additionalProperties", 0, "$defs", "small", "type", "integer",
                             "maximum", 9);
  json_t *inst = json_loads(t->instance, 0, NULL);
  ck_assert_ptr_nonnull(schema);
  ck_assert_ptr_nonnull(inst);
  af_arm(fail_at);
  int rc = seal_jschema_validate(schema, inst, &err);
  af_disarm();
  if (rc == SEAL_JSCHEMA_OK)
    ck_assert_msg(t->valid, "an invalid instance validated after allocation %ld failed", fail_at);
  else if (t->valid)
    ck_assert_msg(fail_at > 0 && rc == SEAL_JSCHEMA_BADSCHEMA, "rc %d: %s", rc, err.msg);
  else
    ck_assert_msg(rc != SEAL_JSCHEMA_OK, "rc %d", rc);
  json_decref(inst);
  json_decref(schema);
}

START_TEST(oom_jschema)
{
  oom_schema ok = {0, "{\"name\":\"abc\",\"n\":3}", 1};
  oom_schema bad = {1000, "{\"name\":\"ABC\",\"n\":3}", 0};
  af_sweep("seal_jschema_validate(valid)", path_jschema, &ok, 0);
  af_sweep("seal_jschema_validate(invalid)", path_jschema, &bad, 0);
}
END_TEST

START_TEST(oom_canon)
{
  oom_fix f;
  fix_init(&f);
  af_sweep("seal_canon", path_canon, &f, 0);
  fix_free(&f);
}
END_TEST

START_TEST(oom_sign_receipt)
{
  oom_fix f;
  fix_init(&f);
  af_sweep("seal_sign_tool_invocation_receipt", path_sign, &f, 0);
  fix_free(&f);
}
END_TEST

START_TEST(oom_verify_receipt)
{
  oom_fix f;
  fix_init(&f);
  af_sweep("seal_verify_text(receipt)", path_verify, &f, 0);
  af_sweep("seal_verify_text(tampered receipt)", path_verify_tampered, &f, 0);
  fix_free(&f);
}
END_TEST

Suite *suite_oom_crypto(void)
{
  Suite *s = suite_create("oom_crypto");
  TCase *tc = tcase_create("sweep");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, oom_canon);
  tcase_add_test(tc, oom_sign_receipt);
  tcase_add_test(tc, oom_verify_receipt);
  tcase_add_test(tc, oom_jschema);
  suite_add_tcase(s, tc);
  return s;
}
