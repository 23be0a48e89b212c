/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/http/test_auth.c — serve/auth: static tokens (config and WORKLEDGER_TOKEN), motebit
 * signed tokens (known caller, expiry with the 60 s skew, audience, tampering, unknown caller,
 * trust-on-first-use pinning through Motebit-Public-Key), blocked callers (403), and the
 * no-credentials mode (anonymous, unknown trust). */
#include "crypto/artifacts.h"
#include "crypto/seal.h"
#include "serve/auth.h"
#include "config/config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

Suite *http_auth_suite(void);

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *config(const char *text)
{
  json_error_t je;
  json_t *in = json_loads(text, 0, &je);
  ck_assert_msg(in != NULL, "%s", je.text);
  json_t *out = NULL;
  char err[300] = "";
  ck_assert_msg(mcp_config_normalize(&out, in, err, sizeof err) == 0, "%s", err);
  json_decref(in);
  return out;
}

static seal_key *key_n(int n)
{
  uint8_t seed[SEAL_SEED_BYTES];
  memset(seed, n, sizeof seed);
  seal_key *k = NULL;
  ck_assert_int_eq(seal_key_from_seed(&k, seed), SEAL_OK);
  return k;
}

static char *bearer(seal_key *k, const char *mid, int64_t exp_off_ms, const char *aud)
{
  char *tok = NULL;
  int64_t now = now_ms();
  /* an already expired token was issued a minute before it expired */
  int64_t iat = exp_off_ms < 0 ? now + exp_off_ms - 60000 : now;
  ck_assert_int_eq(seal_token_mint(&tok, k, mid, "dev1", iat, now + exp_off_ms, NULL, aud, NULL),
                   SEAL_OK);
  size_t n = strlen(tok) + 32;
  char *h = malloc(n);
  snprintf(h, n, "Bearer motebit:%s", tok);
  free(tok);
  return h;
}

START_TEST(test_http_auth__no_credentials)
{
  mcp_auth *a = NULL;
  ck_assert_int_eq(mcp_auth_new(&a, NULL, NULL), 0);
  ck_assert_int_eq(mcp_auth_required(a), 0);
  mcp_auth_result r;
  ck_assert_int_eq(mcp_auth_check(a, NULL, NULL, 0, &r), MCP_AUTH_OK);
  ck_assert_str_eq(r.caller_id, "anonymous");
  ck_assert_int_eq(r.trust, MCP_TRUST_UNKNOWN);
  /* a presented but bad header is still refused */
  ck_assert_int_eq(mcp_auth_check(a, "Bearer nope", NULL, 0, &r), MCP_AUTH_EINVALID);
  mcp_auth_free(a);
}
END_TEST

START_TEST(test_http_auth__static)
{
  json_t *cfg = config("{\"http\":{\"tokens\":[{\"name\":\"relay\",\"token\":\"s3cret-token\"}]}}");
  mcp_auth *a = NULL;
  ck_assert_int_eq(mcp_auth_new(&a, cfg, "env-token-value"), 0);
  ck_assert_int_eq(mcp_auth_required(a), 1);
  mcp_auth_result r;
  ck_assert_int_eq(mcp_auth_check(a, "Bearer s3cret-token", NULL, 0, &r), MCP_AUTH_OK);
  ck_assert_str_eq(r.caller_id, "relay");
  ck_assert_int_eq(r.trust, MCP_TRUST_VERIFIED);
  ck_assert_str_eq(r.method, "static");
  ck_assert_int_eq(mcp_auth_check(a, "bearer env-token-value ", NULL, 0, &r), MCP_AUTH_OK);
  ck_assert_str_eq(r.caller_id, "env");
  ck_assert_int_eq(mcp_auth_check(a, "Bearer s3cret-tokeN", NULL, 0, &r), MCP_AUTH_EINVALID);
  ck_assert_ptr_null(strstr(r.reason, "s3cret"));
  ck_assert_int_eq(mcp_auth_check(a, "Bearer s3cret-token-longer", NULL, 0, &r), MCP_AUTH_EINVALID);
  ck_assert_int_eq(mcp_auth_check(a, "Basic czNjcmV0", NULL, 0, &r), MCP_AUTH_EINVALID);
  ck_assert_int_eq(mcp_auth_check(a, NULL, NULL, 0, &r), MCP_AUTH_EMISSING);
  ck_assert_int_eq(mcp_auth_check(a, "", NULL, 0, &r), MCP_AUTH_EMISSING);
  mcp_auth_free(a);
  json_decref(cfg);
}
END_TEST

START_TEST(test_http_auth__motebit_known)
{
  seal_key *k = key_n(7), *other = key_n(8);
  char cfgtext[600];
  snprintf(
      cfgtext, sizeof cfgtext,
      "{\"http\":{\"known_callers\":{\"caller-1\":\"%s\"},\"audiences\":[\"task:submit\",\"custom:ledger\"]}}",
      seal_key_pk_hex(k));
  json_t *cfg = config(cfgtext);
  mcp_auth *a = NULL;
  ck_assert_int_eq(mcp_auth_new(&a, cfg, NULL), 0);
  mcp_auth_result r;
  char *h = bearer(k, "caller-1", 300000, "task:submit");
  ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_OK);
  ck_assert_str_eq(r.caller_id, "caller-1");
  ck_assert_int_eq(r.trust, MCP_TRUST_VERIFIED);
  ck_assert_str_eq(r.method, "motebit");
  /* reuse within exp is allowed */
  ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_OK);
  /* tampered: flip one character of the signature part */
  size_t n = strlen(h);
  h[n - 3] = h[n - 3] == 'A' ? 'B' : 'A';
  ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_EINVALID);
  free(h);
  h = bearer(k, "caller-1", 300000, "custom:ledger");
  ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_OK);
  free(h);
  h = bearer(k, "caller-1", 300000, "sync");
  ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_EINVALID);
  ck_assert_ptr_nonnull(strstr(r.reason, "audience"));
  free(h);
  h = bearer(k, "caller-1", -30000, "task:submit"); /* expired 30 s ago: inside the skew */
  ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_OK);
  free(h);
  {
    /* issued 2 min in the future (beyond the skew), or living 2 days: refused */
    char *tok = NULL;
    int64_t now = now_ms();
    ck_assert_int_eq(seal_token_mint(&tok, k, "caller-1", "dev1", now + 120000, now + 420000, NULL,
                                     "task:submit", NULL),
                     SEAL_OK);
    h = malloc(strlen(tok) + 32);
    snprintf(h, strlen(tok) + 32, "Bearer motebit:%s", tok);
    free(tok);
    ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_EINVALID);
    ck_assert_ptr_nonnull(strstr(r.reason, "future"));
    free(h);
    h = bearer(k, "caller-1", 2 * 86400000LL, "task:submit");
    ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_EINVALID);
    ck_assert_ptr_nonnull(strstr(r.reason, "max_token_lifetime_s"));
  }
  free(h);
  h = bearer(k, "caller-1", -120000, "task:submit"); /* expired 2 min ago */
  ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_EINVALID);
  ck_assert_ptr_nonnull(strstr(r.reason, "expired"));
  free(h);
  h = bearer(other, "caller-1", 300000, "task:submit"); /* right id, wrong key */
  ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_EINVALID);
  free(h);
  h = bearer(other, "stranger", 300000, "task:submit"); /* unknown, no TOFU */
  ck_assert_int_eq(mcp_auth_check(a, h, seal_key_pk_hex(other), 0, &r), MCP_AUTH_EINVALID);
  ck_assert_int_eq(mcp_auth_tofu_count(a), 0);
  free(h);
  ck_assert_int_eq(mcp_auth_check(a, "Bearer motebit:not-a-token", NULL, 0, &r), MCP_AUTH_EINVALID);
  mcp_auth_free(a);
  json_decref(cfg);
  seal_key_free(k);
  seal_key_free(other);
}
END_TEST

START_TEST(test_http_auth__tofu_and_blocked)
{
  seal_key *k = key_n(9), *evil = key_n(10);
  json_t *cfg = config(
      "{\"http\":{\"trust_on_first_use\":true,\"tokens\":[{\"name\":\"relay\",\"token\":\"tok-relay-0123\"}]},\"policy\":{\"callers\":{\"bad-actor\":\"blocked\"}}}");
  mcp_auth *a = NULL;
  ck_assert_int_eq(mcp_auth_new(&a, cfg, NULL), 0);
  ck_assert_int_eq(mcp_auth_required(a), 1);
  mcp_auth_result r;
  char *h = bearer(k, "newcomer", 300000, "task:submit");
  /* no key presented: cannot pin */
  ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_EINVALID);
  /* a key that does not verify the token is not pinned */
  ck_assert_int_eq(mcp_auth_check(a, h, seal_key_pk_hex(evil), 0, &r), MCP_AUTH_EINVALID);
  ck_assert_int_eq(mcp_auth_tofu_count(a), 0);
  ck_assert_int_eq(mcp_auth_check(a, h, seal_key_pk_hex(k), 0, &r), MCP_AUTH_OK);
  ck_assert_int_eq(r.trust, MCP_TRUST_FIRST_CONTACT);
  ck_assert_int_eq(mcp_auth_tofu_count(a), 1);
  ck_assert_int_eq(mcp_auth_check(a, h, NULL, 0, &r), MCP_AUTH_OK);
  ck_assert_int_eq(r.trust, MCP_TRUST_VERIFIED);
  free(h);
  /* once pinned, another key for the same id is refused */
  h = bearer(evil, "newcomer", 300000, "task:submit");
  ck_assert_int_eq(mcp_auth_check(a, h, seal_key_pk_hex(evil), 0, &r), MCP_AUTH_EINVALID);
  free(h);
  h = bearer(evil, "bad-actor", 300000, "task:submit");
  ck_assert_int_eq(mcp_auth_check(a, h, seal_key_pk_hex(evil), 0, &r), MCP_AUTH_EFORBIDDEN);
  ck_assert_int_eq(mcp_auth_tofu_count(a), 1); /* a blocked caller's key is not pinned */
  free(h);
  /* reserved ids cannot be claimed on first contact: the stdio operator's, "anonymous", "env",
   * and a static token's name (its policy.callers entry would be borrowed) */
  static const char *const reserved[] = {MCP_CALLER_LOCAL, "anonymous", "env", "relay"};
  for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
    h = bearer(evil, reserved[i], 300000, "task:submit");
    ck_assert_int_eq(mcp_auth_check(a, h, seal_key_pk_hex(evil), 0, &r), MCP_AUTH_EINVALID);
    ck_assert_msg(strstr(r.reason, "reserved") != NULL, "%s", r.reason);
    free(h);
  }
  ck_assert_int_eq(mcp_auth_tofu_count(a), 1);
  mcp_auth_free(a);
  json_decref(cfg);
  seal_key_free(k);
  seal_key_free(evil);
}
END_TEST

static void init(void)
{
  ck_assert_int_eq(seal_init(), SEAL_OK);
}

Suite *http_auth_suite(void)
{
  Suite *s = suite_create("http_auth");
  TCase *tc = tcase_create("auth");
  tcase_add_unchecked_fixture(tc, init, NULL);
  tcase_add_checked_fixture(tc, init, NULL);
  tcase_add_test(tc, test_http_auth__no_credentials);
  tcase_add_test(tc, test_http_auth__static);
  tcase_add_test(tc, test_http_auth__motebit_known);
  tcase_add_test(tc, test_http_auth__tofu_and_blocked);
  suite_add_tcase(s, tc);
  return s;
}
