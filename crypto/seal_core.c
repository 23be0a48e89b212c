/* SPDX-License-Identifier: Apache-2.0
 * crypto/seal_core.c — libsodium start-up, error strings, SHA-256 hex, lowercase hex, base64url,
 * base58btc, did:key, sovereign motebit ids, UUIDs, constant-time compare and the small
 * buffer/error helpers of seal_int.h. Canonical JSON is in canon.c, keys in keys.c; nothing
 * here allocates secret material or does I/O. */
#include "crypto/seal_int.h"

#include <sodium.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int seal_init(void)
{
  json_set_alloc_funcs(malloc, seal_free_soon); /* graveyard.c: plain free() unless collecting */
  return sodium_init() < 0 ? SEAL_ERROR : SEAL_OK;
}

const char *seal_strerror(int rc)
{
  switch (rc) {
  case SEAL_OK: return "ok";
  case SEAL_ERROR: return "internal error";
  case SEAL_EINVAL: return "malformed input";
  case SEAL_EREAL: return "real number in a signed body";
  case SEAL_EDEPTH: return "nesting too deep";
  case SEAL_EVERIFY: return "signature or digest did not verify";
  case SEAL_EEXPIRED: return "outside validity window";
  case SEAL_ESCOPE: return "capability outside delegated scope";
  case SEAL_EIO: return "key file I/O error";
  default: return "unknown error";
  }
}

int seal_errf(seal_err *err, int code, int cause, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  wl_err_vset(err, code, cause, fmt, ap);
  va_end(ap);
  return code;
}

/* ---- buffer --------------------------------------------------------------------------------- */

void seal_buf_put_grow(seal_buf *b, const void *data, size_t len)
{
  if (b->oom)
    return;
  if (b->len + len + 1 > b->cap) {
    size_t ncap = b->cap ? b->cap : 4096; /* one allocation for most texts: a receipt is ~1.5 KB */
    char *n;
    while (ncap < b->len + len + 1)
      ncap *= 2;
    n = realloc(b->buf, ncap);
    if (!n) {
      b->oom = 1;
      return;
    }
    b->buf = n;
    b->cap = ncap;
  }
  if (len)
    memcpy(b->buf + b->len, data, len);
  b->len += len;
  b->buf[b->len] = '\0';
}

void seal_buf_puts(seal_buf *b, const char *s)
{
  seal_buf_put(b, s, strlen(s));
}

void seal_buf_free(seal_buf *b)
{
  free(b->buf);
  b->buf = NULL;
  b->len = b->cap = 0;
}

/* ---- digests -------------------------------------------------------------------------------- */

/* SHA-256 itself (seal_sha256, seal_sha256_init/update/final_hex) is in crypto/sha256.c. */

void seal_sha256_hex(char out[SEAL_SHA256_HEX], const void *data, size_t len)
{
  uint8_t h[SEAL_SHA256_BYTES];
  seal_sha256(h, data, len);
  seal_hex_encode(out, h, sizeof h);
}

/* ---- hex ------------------------------------------------------------------------------------ */

void seal_hex_encode(char *out, const uint8_t *in, size_t len)
{
  static const char digits[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < len; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * len] = '\0';
}

static int hexval(char c, int lower_only)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (!lower_only && c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int seal_hex_decode(uint8_t *out, size_t len, const char *hex, int lower_only)
{
  size_t i;
  if (!hex || strlen(hex) != 2 * len)
    return SEAL_EINVAL;
  for (i = 0; i < len; i++) {
    int hi = hexval(hex[2 * i], lower_only), lo = hexval(hex[2 * i + 1], lower_only);
    if (hi < 0 || lo < 0)
      return SEAL_EINVAL;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return SEAL_OK;
}

/* ---- base64url ------------------------------------------------------------------------------ */

char *seal_b64url_encode(const uint8_t *in, size_t len)
{
  size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *out = malloc(cap);
  if (!out)
    return NULL;
  sodium_bin2base64(out, cap, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

int seal_b64url_decode(uint8_t **out, size_t *out_len, const char *in, size_t in_len)
{
  uint8_t *buf;
  size_t n = 0, i;
  const char *end = NULL;
  while (in_len > 0 && in[in_len - 1] == '=')
    in_len--;
  for (i = 0; i < in_len; i++) {
    char c = in[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return SEAL_EINVAL;
  }
  buf = malloc(in_len * 3 / 4 + 1);
  if (!buf)
    return SEAL_ERROR;
  if (sodium_base642bin(buf, in_len * 3 / 4 + 1, in, in_len, NULL, &n, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != in + in_len) {
    free(buf);
    return SEAL_EINVAL;
  }
  *out = buf;
  *out_len = n;
  return SEAL_OK;
}

/* ---- base58btc ------------------------------------------------------------------------------ */

static const char b58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

char *seal_b58_encode(const uint8_t *in, size_t len)
{
  size_t zeros = 0, size, i, j, k;
  uint8_t *b;
  char *out;
  while (zeros < len && in[zeros] == 0)
    zeros++;
  size = (len - zeros) * 138 / 100 + 1;
  b = calloc(size ? size : 1, 1);
  if (!b)
    return NULL;
  for (i = zeros; i < len; i++) {
    unsigned carry = in[i];
    for (j = size; j > 0; j--) {
      carry += 256u * b[j - 1];
      b[j - 1] = (uint8_t)(carry % 58);
      carry /= 58;
    }
  }
  for (j = 0; j < size && b[j] == 0; j++)
    ;
  out = malloc(zeros + (size - j) + 1);
  if (!out) {
    free(b);
    return NULL;
  }
  for (k = 0; k < zeros; k++)
    out[k] = '1';
  for (; j < size; j++)
    out[k++] = b58_alphabet[b[j]];
  out[k] = '\0';
  free(b);
  return out;
}

int seal_b58_decode(uint8_t **out, size_t *out_len, const char *in)
{
  size_t len = strlen(in), zeros = 0, size, i, j, k;
  uint8_t *b, *res;
  while (zeros < len && in[zeros] == '1')
    zeros++;
  size = len * 733 / 1000 + 1;
  b = calloc(size, 1);
  if (!b)
    return SEAL_ERROR;
  for (i = zeros; i < len; i++) {
    const char *p = strchr(b58_alphabet, in[i]);
    unsigned carry;
    if (!p || !*p) {
      free(b);
      return SEAL_EINVAL;
    }
    carry = (unsigned)(p - b58_alphabet);
    for (j = size; j > 0; j--) {
      carry += 58u * b[j - 1];
      b[j - 1] = (uint8_t)(carry & 0xff);
      carry >>= 8;
    }
  }
  for (j = 0; j < size && b[j] == 0; j++)
    ;
  res = malloc(zeros + (size - j) + 1);
  if (!res) {
    free(b);
    return SEAL_ERROR;
  }
  memset(res, 0, zeros);
  k = zeros;
  for (; j < size; j++)
    res[k++] = b[j];
  free(b);
  *out = res;
  *out_len = k;
  return SEAL_OK;
}

/* ---- did:key, sovereign id, uuid ------------------------------------------------------------ */

int seal_did_key_from_pk(char out[SEAL_DID_KEY_MAX], const uint8_t pk[SEAL_PK_BYTES])
{
  uint8_t mc[2 + SEAL_PK_BYTES] = {0xed, 0x01};
  char *b58;
  memcpy(mc + 2, pk, SEAL_PK_BYTES);
  b58 = seal_b58_encode(mc, sizeof mc);
  if (!b58)
    return SEAL_ERROR;
  if (strlen(b58) + 10 > SEAL_DID_KEY_MAX) {
    free(b58);
    return SEAL_ERROR;
  }
  snprintf(out, SEAL_DID_KEY_MAX, "did:key:z%s", b58);
  free(b58);
  return SEAL_OK;
}

int seal_pk_from_did_key(uint8_t pk[SEAL_PK_BYTES], const char *did)
{
  uint8_t *raw = NULL;
  size_t n = 0;
  const char *hash;
  char tmp[SEAL_DID_KEY_MAX];
  if (!did || strncmp(did, "did:key:z", 9) != 0)
    return SEAL_EINVAL;
  /* tolerate a "#fragment" (verificationMethod form) */
  hash = strchr(did, '#');
  if (hash) {
    size_t l = (size_t)(hash - did);
    if (l >= sizeof tmp)
      return SEAL_EINVAL;
    memcpy(tmp, did, l);
    tmp[l] = '\0';
    did = tmp;
  }
  if (seal_b58_decode(&raw, &n, did + 9) != SEAL_OK)
    return SEAL_EINVAL;
  if (n != 2 + SEAL_PK_BYTES || raw[0] != 0xed || raw[1] != 0x01) {
    free(raw);
    return SEAL_EINVAL;
  }
  memcpy(pk, raw + 2, SEAL_PK_BYTES);
  free(raw);
  return SEAL_OK;
}

static void uuid_format(char out[SEAL_SOVEREIGN_ID], const uint8_t h[16])
{
  char hex[33];
  seal_hex_encode(hex, h, 16);
  snprintf(out, SEAL_SOVEREIGN_ID, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
           hex + 20);
}

void seal_sovereign_id(char out[SEAL_SOVEREIGN_ID], const uint8_t pk[SEAL_PK_BYTES])
{
  uint8_t h[SEAL_SHA256_BYTES];
  seal_sha256(h, pk, SEAL_PK_BYTES);
  h[6] = (uint8_t)(0x80 | (h[6] & 0x0f));
  h[8] = (uint8_t)(0x80 | (h[8] & 0x3f));
  uuid_format(out, h);
}

int64_t seal_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *seal_secret_alloc(size_t n)
{
  char *c;
  /* sodium_malloc needs sodium_init (page size, canary); it is idempotent and thread-safe, so
   * callers need not have run seal_init first */
  if (n == SIZE_MAX || sodium_init() < 0 || !(c = sodium_malloc(n + 1)))
    return NULL;
  sodium_memzero(c, n + 1);
  return c;
}

char *seal_secret_dupn(const char *s, size_t n)
{
  char *c;
  if (!s || !(c = seal_secret_alloc(n)))
    return NULL;
  memcpy(c, s, n);
  c[n] = '\0';
  return c;
}

char *seal_secret_dup(const char *s)
{
  return s ? seal_secret_dupn(s, strlen(s)) : NULL;
}

void seal_secret_free(char *s)
{
  if (s)
    sodium_free(s); /* sodium_free wipes the region before releasing it */
}

void seal_wipe(void *p, size_t len)
{
  if (p && len)
    sodium_memzero(p, len);
}

int seal_memcmp(const void *a, const void *b, size_t len)
{
  return sodium_memcmp(a, b, len) == 0 ? 0 : 1;
}

void seal_random(void *buf, size_t len)
{
  randombytes_buf(buf, len);
}

void seal_hmac_sha256(uint8_t out[SEAL_HMAC_BYTES], const uint8_t key[SEAL_HMAC_KEY_BYTES],
                      const void *msg, size_t len)
{
  crypto_auth_hmacsha256(out, msg, (unsigned long long)len, key);
}

static void id_random(uint8_t *out, size_t n);

void seal_uuid4(char out[SEAL_SOVEREIGN_ID])
{
  uint8_t h[16];
  id_random(h, sizeof h);
  h[6] = (uint8_t)(0x40 | (h[6] & 0x0f));
  h[8] = (uint8_t)(0x80 | (h[8] & 0x3f));
  uuid_format(out, h);
}

size_t seal_utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
  unsigned c = s[0], v;
  size_t len, i;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf)
    len = 2, v = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    len = 3, v = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4, v = c & 0x07;
  else
    return 0;
  if (len > n)
    return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    v = v << 6 | (s[i] & 0x3f);
  }
  if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10ffff ||
      (v >= 0xd800 && v <= 0xdfff))
    return 0;
  *cp = v;
  return len;
}

size_t seal_int_text(char *out, long long v)
{
  char tmp[SEAL_INT_TEXT_MAX];
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  size_t n = 0, o = 0;
  do {
    tmp[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  if (v < 0)
    out[o++] = '-';
  while (n)
    out[o++] = tmp[--n];
  out[o] = '\0';
  return o;
}

size_t seal_strcopy(char *dst, size_t cap, const char *src)
{
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
  return n;
}

/* The random bits of identifiers (UUIDs, run and evidence ids: public, not secrets) come from
 * libsodium's CSPRNG in blocks, one getrandom(2) per 250 bytes instead of one per id. A forked
 * child starts with an empty block (pthread_atfork), so that it never hands out its parent's
 * bits. */
static _Thread_local uint8_t id_pool[250];
static _Thread_local size_t id_left;
static pthread_once_t id_once = PTHREAD_ONCE_INIT;

static void id_pool_forget(void)
{
  id_left = 0;
}

static void id_pool_init(void)
{
  (void)pthread_atfork(NULL, NULL, id_pool_forget);
}

static void id_random(uint8_t *out, size_t n)
{
  if (n > sizeof id_pool) {
    randombytes_buf(out, n);
    return;
  }
  if (id_left < n) {
    pthread_once(&id_once, id_pool_init);
    randombytes_buf(id_pool, sizeof id_pool);
    id_left = sizeof id_pool;
  }
  memcpy(out, id_pool + sizeof id_pool - id_left, n);
  sodium_memzero(id_pool + sizeof id_pool - id_left, n);
  id_left -= n;
}

void seal_random_id(void *buf, size_t len)
{
  id_random(buf, len);
}

void seal_uuid7(char out[SEAL_SOVEREIGN_ID])
{
  uint8_t h[16];
  uint64_t ms = (uint64_t)seal_now_ms();
  id_random(h + 6, sizeof h - 6);
  for (int i = 0; i < 6; i++)
    h[i] = (uint8_t)(ms >> (8 * (5 - i)));
  h[6] = (uint8_t)(0x70 | (h[6] & 0x0f));
  h[8] = (uint8_t)(0x80 | (h[8] & 0x3f));
  uuid_format(out, h);
}
