/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/crypto/crypto_tests.h — the suites of check_crypto (one per file) and helpers
 * they share. Test code only. */
#ifndef WL_TESTS_CRYPTO_H
#define WL_TESTS_CRYPTO_H
#include "tests/support/test_support.h"
#include <stdint.h>

Suite *suite_seal(void);
Suite *suite_artifacts(void);
Suite *suite_fixtures(void);
Suite *suite_motus(void);

/* Fills `seed` with bytes start, start+1, ... (the published seeds: 0x01.. and 0x21..). */
void tc_seed_seq(uint8_t seed[32], uint8_t start);
/* Canonical text of `v` (JCS flavour) as a malloc'd string; fails the test on error. */
char *tc_canon(const json_t *v, int flavor);
#endif
