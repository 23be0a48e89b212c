/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_identity.c — libFuzzer target for motebit.md identity files from peers
 * (crypto/artifacts.h; motebit.md §5): what `motebit_task` delegation reads from a peer's
 * /.well-known/motebit.md (seal_identity_read) and `workledger verify` checks. The first byte
 * picks the mode: even, the rest is the file as received; odd, the rest is YAML that this target
 * signs with a fixed key (seal_identity_sign), so the YAML reader behind the signature check is
 * reached with arbitrary documents. A file that reads must also verify, name a non-empty
 * NUL-terminated motebit_id and a 64-hex signer; a refusal always gives a reason. */
#include "crypto/artifacts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static seal_key *fixed_key(void)
{
  static seal_key *key;
  if (!key) {
    uint8_t seed[SEAL_SEED_BYTES];
    memset(seed, 0x17, sizeof seed);
    if (seal_init() != SEAL_OK || seal_key_from_seed(&key, seed) != SEAL_OK)
      abort();
  }
  return key;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = NULL, mid[128];
  size_t len;
  seal_verdict v;
  seal_err err;
  if (size < 1 || size > 65536)
    return 0;
  (void)fixed_key();
  if (data[0] & 1) {
    char *yaml = malloc(size);
    if (!yaml)
      abort();
    memcpy(yaml, data + 1, size - 1);
    yaml[size - 1] = 0;
    memset(&err, 0, sizeof err);
    int rc = seal_identity_sign(&text, yaml, fixed_key(), &err);
    free(yaml);
    if (rc != SEAL_OK)
      return 0;
    len = strlen(text);
  } else {
    if (!(text = malloc(size)))
      abort();
    memcpy(text, data + 1, size - 1);
    len = size - 1;
  }
  memset(&v, 0, sizeof v); /* the verifiers initialise the verdict */
  int vrc = seal_identity_verify(text, len, NULL, &v);
  if (!v.reasons || (vrc != SEAL_OK && json_array_size(v.reasons) == 0))
    abort();
  seal_verdict_clear(&v);
  memset(&v, 0, sizeof v);
  memset(mid, 0x7f, sizeof mid);
  int rrc = seal_identity_read(text, len, mid, sizeof mid, &v);
  if (rrc == SEAL_OK) {
    if (vrc != SEAL_OK || !memchr(mid, 0, sizeof mid) || !mid[0] || strlen(v.signer_pk) != 64)
      abort();
  } else if (!v.reasons || json_array_size(v.reasons) == 0) {
    abort();
  }
  seal_verdict_clear(&v);
  free(text);
  return 0;
}
