/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/crypto/helpers.c — helpers shared by the crypto/ suites (crypto_tests.h). */
#include "crypto/seal.h"
#include "tests/unit/crypto/crypto_tests.h"

#include <stdlib.h>
#include <string.h>

void tc_seed_seq(uint8_t seed[32], uint8_t start)
{
  for (int i = 0; i < 32; i++)
    seed[i] = (uint8_t)(start + i);
}

char *tc_canon(const json_t *v, int flavor)
{
  char *out = NULL;
  size_t n = 0;
  seal_err err = {0};
  int rc = seal_canon(&out, &n, v, (seal_canon_flavor)flavor, &err);
  ck_assert_msg(rc == SEAL_OK, "canon failed: %s", err.msg);
  ck_assert_uint_eq(strlen(out), n);
  return out;
}
