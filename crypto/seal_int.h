/* SPDX-License-Identifier: Apache-2.0
 * crypto/seal_int.h — private helpers shared by the crypto/ sources (error filling, a growable
 * byte buffer). Never included from outside crypto/. */
#ifndef WL_CRYPTO_SEAL_INT_H
#define WL_CRYPTO_SEAL_INT_H

#include "crypto/seal.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

/* Fills `err` (may be NULL) and returns `code`. */
int seal_errf(seal_err *err, int code, int cause, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A growable byte buffer; `buf` is new (freed by seal_buf_free) and always NUL-terminated once
 * non-NULL. */
typedef struct seal_buf {
  char *buf;
  size_t len;
  size_t cap;
  int oom;
} seal_buf;

/* How many bytes from s a JSON string carries as they are: none of them a control character,
 * '"' or '\\'; with `ascii` none of them a byte >= 0x80 either (the caller decodes UTF-8 there)
 * and, with `slash`, no '/'. Eight bytes at a time (SWAR: a borrow only ever flags a byte at or
 * after the first real match, and the tail is then checked byte by byte). */
static inline size_t seal_json_plain_run(const char *str, size_t len, int ascii, int slash)
{
  const unsigned char *s = (const unsigned char *)str;
  const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t x, q, b, m;
    memcpy(&x, s + i, 8);
    q = x ^ (ones * '"');
    b = x ^ (ones * '\\');
    m = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b);
    if (ascii)
      m |= x;
    if (slash) {
      uint64_t f = x ^ (ones * '/');
      m |= (f - ones) & ~f;
    }
    if (m & high)
      break;
  }
  for (; i < len; i++) {
    unsigned char c = s[i];
    if (c < 0x20 || c == '"' || c == '\\' || (ascii && c >= 0x80) || (slash && c == '/'))
      break;
  }
  return i;
}

/* The slow path of the two below: grows the buffer (or marks it oom), then appends. */
void seal_buf_put_grow(seal_buf *b, const void *data, size_t len);

/* Appends `len` bytes; on out of memory the buffer keeps what it had and `oom` is set. The
 * common case (room left) is inline: the serialisers append hundreds of pieces per call. */
static inline void seal_buf_put(seal_buf *b, const void *data, size_t len)
{
  if (b->len + len + 1 > b->cap || b->oom) {
    seal_buf_put_grow(b, data, len);
    return;
  }
  if (len)
    memcpy(b->buf + b->len, data, len);
  b->len += len;
  b->buf[b->len] = '\0';
}

static inline void seal_buf_putc(seal_buf *b, char c)
{
  if (b->len + 2 > b->cap || b->oom) {
    seal_buf_put_grow(b, &c, 1);
    return;
  }
  b->buf[b->len++] = c;
  b->buf[b->len] = '\0';
}

void seal_buf_puts(seal_buf *b, const char *s);
void seal_buf_free(seal_buf *b);
/* Appends `s` as a JSON string with the canonical escapes (spec/canonical-json.md R-CANON-002). */
void seal_buf_json_string(seal_buf *b, const char *s, size_t len);
/* One UTF-8 sequence at s[0..n) (n >= 1): its length, the code point in *cp; 0 when it is not
 * valid UTF-8 (overlong forms, surrogates and code points above U+10FFFF included), as jansson's
 * utf8_iterate. */
size_t seal_utf8_next(const unsigned char *s, size_t n, unsigned *cp);
/* Current time in epoch milliseconds. */
int64_t seal_now_ms(void);

#endif
