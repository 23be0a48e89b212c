/* SPDX-License-Identifier: Apache-2.0
 * crypto/seal_int.h — private helpers shared by the crypto/ sources (error filling, a growable
 * byte buffer). Never included from outside crypto/. */
#ifndef WL_CRYPTO_SEAL_INT_H
#define WL_CRYPTO_SEAL_INT_H

#include "crypto/seal.h"

#include <stdarg.h>

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

void seal_buf_put(seal_buf *b, const void *data, size_t len);
void seal_buf_putc(seal_buf *b, char c);
void seal_buf_puts(seal_buf *b, const char *s);
void seal_buf_free(seal_buf *b);
/* Appends `s` as a JSON string with the canonical escapes (spec/canonical-json.md R-CANON-002). */
void seal_buf_json_string(seal_buf *b, const char *s, size_t len);
/* Current time in epoch milliseconds. */
int64_t seal_now_ms(void);

#endif
