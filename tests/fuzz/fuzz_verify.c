/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_verify.c — libFuzzer target for the `workledger verify` path: arbitrary bytes
 * go through seal_verify_text (tag strip → strict parse → detect → verify, or identity file /
 * bearer token). When the bytes parse as JSON, canonical output in every flavour must parse back
 * to an equal value and be a fixed point. Crashes, leaks and sanitizer reports are the findings. */
#include "crypto/artifacts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void canon_roundtrip(const json_t *v, seal_canon_flavor fl)
{
  char *c = NULL, *c2 = NULL;
  size_t n = 0, n2 = 0;
  json_t *back;
  if (seal_canon(&c, &n, v, fl, NULL) != SEAL_OK)
    return;
  back = seal_json_parse_strict(c, n, NULL);
  if (!back || !json_equal(back, (json_t *)v))
    abort();
  if (seal_canon(&c2, &n2, back, fl, NULL) != SEAL_OK || n2 != n || memcmp(c, c2, n))
    abort();
  json_decref(back);
  free(c);
  free(c2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int ready;
  seal_verdict v;
  json_t *j;
  if (!ready) {
    if (seal_init() != SEAL_OK)
      abort();
    ready = 1;
  }
  (void)seal_verify_text((const char *)data, size, NULL, &v);
  if (!v.reasons || (!v.valid && json_array_size(v.reasons) == 0))
    abort(); /* an invalid verdict always says why */
  seal_verdict_clear(&v);
  j = seal_json_parse_strict((const char *)data, size, NULL);
  if (j) {
    canon_roundtrip(j, SEAL_CANON_JCS);
    canon_roundtrip(j, SEAL_CANON_MOTUS);
    json_decref(j);
  }
  return 0;
}
