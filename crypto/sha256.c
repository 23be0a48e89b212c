/* SPDX-License-Identifier: Apache-2.0
 * crypto/sha256.c — SHA-256 for every digest workledger computes (payload and event hashes,
 * args and result hashes, Work Receipt digests), through OpenSSL's libcrypto. The project hashes
 * several kilobytes per tool call; libsodium's SHA-256 is portable C (about 20 instructions a
 * byte), while libcrypto picks the SHA extensions or AVX2 of the CPU at run time, several times
 * faster, with identical output (FIPS 180-4). Ed25519 stays with libsodium (keys.c). The
 * incremental state is OpenSSL's plain SHA256_CTX, held in seal_sha256_ctx's opaque bytes, so a
 * begun hash can be copied by struct assignment (ledger/event_hash.c relies on it). Home of
 * <openssl/sha.h>; the 1.1.1 API level keeps the low-level calls free of 3.0 deprecation
 * warnings (EVP contexts would need a heap allocation and cannot be copied). */
#define OPENSSL_API_COMPAT 10101
#include "crypto/seal_int.h"

#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((seal_sha256_ctx *)0)->opaque),
               "seal_sha256_ctx too small for SHA256_CTX");
_Static_assert(SEAL_SHA256_BYTES == SHA256_DIGEST_LENGTH, "SHA-256 digest length");

/* Not OpenSSL's one-shot SHA256(): in OpenSSL 3 it goes through EVP_Q_digest, which fetches
 * the algorithm from a provider on every call (loading the configuration and the default
 * provider on the first), milliseconds at start-up and a lock per hash. The low-level calls
 * below compute the same digest with none of that. */
void seal_sha256(uint8_t out[SEAL_SHA256_BYTES], const void *data, size_t len)
{
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, data, len);
  SHA256_Final(out, &c);
}

void seal_sha256_init(seal_sha256_ctx *c)
{
  SHA256_Init((SHA256_CTX *)(void *)c->opaque);
}

void seal_sha256_update(seal_sha256_ctx *c, const void *data, size_t len)
{
  SHA256_Update((SHA256_CTX *)(void *)c->opaque, data, len);
}

void seal_sha256_final_hex(seal_sha256_ctx *c, char out[SEAL_SHA256_HEX])
{
  uint8_t h[SEAL_SHA256_BYTES];
  SHA256_Final(h, (SHA256_CTX *)(void *)c->opaque);
  seal_hex_encode(out, h, sizeof h);
}
