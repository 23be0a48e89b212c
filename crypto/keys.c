/* SPDX-License-Identifier: Apache-2.0
 * crypto/keys.c — Ed25519 keys (libsodium): the 64-byte secret key lives in sodium_malloc
 * memory that is made read-only after creation and wiped on free; detached sign/verify; key
 * files (raw 32-byte seed, or argon2id + XSalsa20-Poly1305 secretbox under a passphrase, format
 * in spec/signing.md "Key files"). It knows nothing of JSON artifacts (see artifacts.c). */
#include "crypto/seal_int.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct seal_key {
  uint8_t pk[SEAL_PK_BYTES];
  char pk_hex[SEAL_PK_HEX];
  unsigned char *sk; /* crypto_sign_SECRETKEYBYTES in sodium_malloc memory, read-only */
};

int seal_key_from_seed(seal_key **out, const uint8_t seed[SEAL_SEED_BYTES])
{
  seal_key *k = calloc(1, sizeof *k);
  if (!k)
    return SEAL_ERROR;
  k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
  if (!k->sk) {
    free(k);
    return SEAL_ERROR;
  }
  if (crypto_sign_seed_keypair(k->pk, k->sk, seed) != 0) {
    sodium_free(k->sk);
    free(k);
    return SEAL_ERROR;
  }
  sodium_mprotect_readonly(k->sk);
  seal_hex_encode(k->pk_hex, k->pk, SEAL_PK_BYTES);
  *out = k;
  return SEAL_OK;
}

int seal_key_generate(seal_key **out)
{
  uint8_t seed[SEAL_SEED_BYTES];
  int rc;
  randombytes_buf(seed, sizeof seed);
  rc = seal_key_from_seed(out, seed);
  sodium_memzero(seed, sizeof seed);
  return rc;
}

void seal_key_free(seal_key *key)
{
  if (!key)
    return;
  sodium_free(key->sk); /* makes the region writable, zeroes it, unmaps it */
  sodium_memzero(key, sizeof *key);
  free(key);
}

const uint8_t *seal_key_pk(const seal_key *key)
{
  return key->pk;
}

const char *seal_key_pk_hex(const seal_key *key)
{
  return key->pk_hex;
}

void seal_key_seed(const seal_key *key, uint8_t out[SEAL_SEED_BYTES])
{
  crypto_sign_ed25519_sk_to_seed(out, key->sk);
}

int seal_sign(uint8_t sig[SEAL_SIG_BYTES], const seal_key *key, const void *msg, size_t len)
{
  if (!key)
    return SEAL_EINVAL;
  return crypto_sign_detached(sig, NULL, (const unsigned char *)msg, len, key->sk) == 0
             ? SEAL_OK
             : SEAL_ERROR;
}

int seal_verify(const uint8_t sig[SEAL_SIG_BYTES], const uint8_t pk[SEAL_PK_BYTES], const void *msg,
                size_t len)
{
  return crypto_sign_verify_detached(sig, (const unsigned char *)msg, len, pk) == 0 ? SEAL_OK
                                                                                    : SEAL_EVERIFY;
}

/* ---- key files ------------------------------------------------------------------------------ */

#define KF_MAGIC "WLSEED1\n" /* 8 bytes */
#define KF_SALT crypto_pwhash_SALTBYTES
#define KF_NONCE crypto_secretbox_NONCEBYTES
#define KF_LEN (8 + 8 + 8 + KF_SALT + KF_NONCE + crypto_secretbox_MACBYTES + SEAL_SEED_BYTES)

static void put_u64le(uint8_t *p, uint64_t v)
{
  int i;
  for (i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64le(const uint8_t *p)
{
  uint64_t v = 0;
  int i;
  for (i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int seal_key_save(const seal_key *key, const char *path, const char *passphrase, seal_err *err)
{
  uint8_t seed[SEAL_SEED_BYTES];
  uint8_t *file = sodium_malloc(KF_LEN);
  size_t len;
  int fd, rc = SEAL_OK;
  char tmp[4096];
  if (!file)
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  seal_key_seed(key, seed);
  if (passphrase && *passphrase) {
    unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    uint8_t k[crypto_secretbox_KEYBYTES];
    uint8_t *salt = file + 24, *nonce = file + 24 + KF_SALT, *box = file + 24 + KF_SALT + KF_NONCE;
    memcpy(file, KF_MAGIC, 8);
    put_u64le(file + 8, ops);
    put_u64le(file + 16, mem);
    randombytes_buf(salt, KF_SALT);
    randombytes_buf(nonce, KF_NONCE);
    if (crypto_pwhash(k, sizeof k, passphrase, strlen(passphrase), salt, ops, mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
      sodium_memzero(seed, sizeof seed);
      sodium_free(file);
      return seal_errf(err, SEAL_ERROR, 0, "argon2id key derivation failed (out of memory?)");
    }
    crypto_secretbox_easy(box, seed, sizeof seed, nonce, k);
    sodium_memzero(k, sizeof k);
    len = KF_LEN;
  } else {
    memcpy(file, seed, sizeof seed);
    len = sizeof seed;
  }
  sodium_memzero(seed, sizeof seed);
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
    sodium_free(file);
    return seal_errf(err, SEAL_EINVAL, 0, "key file path too long");
  }
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    int e = errno;
    sodium_free(file);
    return seal_errf(err, SEAL_EIO, e, "cannot create %s: %s", tmp, strerror(e));
  }
  if (fchmod(fd, 0600) != 0 || write_all(fd, file, len) != 0 || fsync(fd) != 0) {
    int e = errno;
    rc = seal_errf(err, SEAL_EIO, e, "cannot write %s: %s", tmp, strerror(e));
  }
  if (close(fd) != 0 && rc == SEAL_OK) {
    int e = errno;
    rc = seal_errf(err, SEAL_EIO, e, "cannot write %s: %s", tmp, strerror(e));
  }
  sodium_free(file);
  if (rc == SEAL_OK && rename(tmp, path) != 0) {
    int e = errno;
    rc = seal_errf(err, SEAL_EIO, e, "cannot rename %s to %s: %s", tmp, path, strerror(e));
  }
  if (rc != SEAL_OK)
    unlink(tmp);
  return rc;
}

int seal_key_load(seal_key **out, const char *path, const char *passphrase, seal_err *err)
{
  uint8_t *file = sodium_malloc(KF_LEN + 1);
  uint8_t seed[SEAL_SEED_BYTES];
  size_t len = 0;
  int fd, rc;
  if (!file)
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    sodium_free(file);
    return seal_errf(err, SEAL_EIO, e, "cannot open key file %s: %s", path, strerror(e));
  }
  while (len < KF_LEN + 1) {
    ssize_t r = read(fd, file + len, KF_LEN + 1 - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      sodium_free(file);
      return seal_errf(err, SEAL_EIO, e, "cannot read key file %s: %s", path, strerror(e));
    }
    if (r == 0)
      break;
    len += (size_t)r;
  }
  close(fd);
  if (len == SEAL_SEED_BYTES) {
    memcpy(seed, file, SEAL_SEED_BYTES);
  } else if (len == KF_LEN && memcmp(file, KF_MAGIC, 8) == 0) {
    uint8_t k[crypto_secretbox_KEYBYTES];
    uint64_t ops = get_u64le(file + 8), mem = get_u64le(file + 16);
    if (!passphrase || !*passphrase) {
      sodium_free(file);
      return seal_errf(err, SEAL_EINVAL, 0, "key file %s is encrypted: a passphrase is needed",
                       path);
    }
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
        mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE) {
      sodium_free(file);
      return seal_errf(err, SEAL_EINVAL, 0, "key file %s: argon2id parameters out of range", path);
    }
    if (crypto_pwhash(k, sizeof k, passphrase, strlen(passphrase), file + 24, ops, (size_t)mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
      sodium_free(file);
      return seal_errf(err, SEAL_ERROR, 0, "argon2id key derivation failed (out of memory?)");
    }
    rc = crypto_secretbox_open_easy(seed, file + 24 + KF_SALT + KF_NONCE,
                                    crypto_secretbox_MACBYTES + SEAL_SEED_BYTES,
                                    file + 24 + KF_SALT, k);
    sodium_memzero(k, sizeof k);
    if (rc != 0) {
      sodium_free(file);
      return seal_errf(err, SEAL_EVERIFY, 0, "key file %s: wrong passphrase or corrupted file",
                       path);
    }
  } else {
    sodium_free(file);
    return seal_errf(err, SEAL_EINVAL, 0, "key file %s: not a workledger key (%zu bytes)", path,
                     len);
  }
  sodium_free(file);
  rc = seal_key_from_seed(out, seed);
  sodium_memzero(seed, sizeof seed);
  if (rc != SEAL_OK)
    return seal_errf(err, rc, 0, "cannot create key");
  return SEAL_OK;
}
