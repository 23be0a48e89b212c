/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_token.c — libFuzzer target for motebit bearer tokens (crypto/artifacts.h,
 * motebit-jwt-ed25519-v1), the parser every HTTP caller with `Authorization: Bearer motebit:...`
 * reaches before it is authenticated. The first input byte picks the mode: even, the rest is the
 * token text as received (peek, then verify under a fixed key); odd, the rest is a payload that
 * this target signs with the fixed key, so the claim checks behind the signature (suite, iat, exp,
 * skew, jti, aud) are reached with arbitrary values. A token that verifies must peek to the same
 * claims; a verified token's exp is not in the past and its iat not beyond the skew. */
#include "crypto/artifacts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t b64url(char *out, const uint8_t *in, size_t n)
{
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                 (i + 2 < n ? in[i + 2] : 0);
    out[o++] = b64u[v >> 18 & 63];
    out[o++] = b64u[v >> 12 & 63];
    if (i + 1 < n)
      out[o++] = b64u[v >> 6 & 63];
    if (i + 2 < n)
      out[o++] = b64u[v & 63];
  }
  return o;
}

static seal_key *fixed_key(void)
{
  static seal_key *key;
  if (!key) {
    uint8_t seed[SEAL_SEED_BYTES];
    memset(seed, 0x5a, sizeof seed);
    if (seal_init() != SEAL_OK || seal_key_from_seed(&key, seed) != SEAL_OK)
      abort();
  }
  return key;
}

/* "motebit:" b64url(payload) "." b64url(sig) — new. */
static char *sign_payload(const uint8_t *p, size_t n)
{
  uint8_t sig[SEAL_SIG_BYTES];
  char *t = malloc(8 + (n + 2) / 3 * 4 + 1 + 88 + 1);
  size_t o = 0;
  if (!t || seal_sign(sig, fixed_key(), p, n) != SEAL_OK)
    abort();
  memcpy(t, "motebit:", 8);
  o = 8 + b64url(t + 8, p, n);
  t[o++] = '.';
  o += b64url(t + o, sig, sizeof sig);
  t[o] = 0;
  return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const int64_t now = 1767225600000LL, skew = 120000; /* 2026-01-01, two minutes */
  json_t *peeked = NULL, *claims = NULL;
  seal_err err;
  char *tok;
  if (size < 1 || size > 8192)
    return 0;
  if (data[0] & 1) {
    tok = sign_payload(data + 1, size - 1);
  } else {
    if (!(tok = malloc(size)))
      abort();
    memcpy(tok, data + 1, size - 1);
    tok[size - 1] = 0;
  }
  memset(&err, 0, sizeof err);
  int prc = seal_token_peek(&peeked, tok, &err);
  memset(&err, 0, sizeof err);
  int vrc = seal_token_verify(&claims, tok, seal_key_pk(fixed_key()), now, skew, &err);
  if (vrc == SEAL_OK) {
    if (prc != SEAL_OK || !claims || !json_equal(claims, peeked))
      abort(); /* what verifies must peek the same */
    json_int_t exp = json_integer_value(json_object_get(claims, "exp"));
    json_int_t iat = json_integer_value(json_object_get(claims, "iat"));
    if (exp <= now - skew || iat > now + skew || exp < iat)
      abort();
  } else if (!err.msg[0]) {
    abort(); /* a refusal always says why */
  }
  json_decref(claims);
  json_decref(peeked);
  free(tok);
  return 0;
}
