/* SPDX-License-Identifier: Apache-2.0
 * crypto/json_text.c — the one printer of JSON text that leaves the process (spec/canonical-json.md
 * "Output JSON"): JSON-RPC messages, tool results and their receipts' result_hash, HTTP bodies,
 * CLI output and the JSON texts the Store keeps beside its canonical payloads. It writes what
 * jansson's json_dumps writes for the same flags (key order, spacing, indentation, string
 * escapes) except for reals, which it prints in ECMAScript shortest round-trip form through
 * seal_es_number (0.99, not 0.98999999999999999). Signed and hashed bodies never come through
 * here: they use the canonical serializer of canon.c. No I/O. */
#include "crypto/seal_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDENT_OF(flags) ((int)((flags)&0x1F)) /* JSON_INDENT(n), jansson's FLAGS_TO_INDENT */

typedef struct writer {
  seal_buf b;
  size_t flags;
  int bad;          /* a value json_dumps would refuse: non-finite real, invalid UTF-8, too deep */
  const json_t *at; /* seal_json_dumps_splice: the value written as `raw` instead */
  const char *raw;
  size_t raw_len;
} writer;

typedef struct key_ref {
  const char *key;
  size_t len;
  json_t *value;
} key_ref;

/* jansson's dump_indent: a newline and depth*n spaces under JSON_INDENT(n); otherwise one
 * space where `space` asks for it, unless JSON_COMPACT. */
static void put_indent(writer *w, int depth, int space)
{
  int n = INDENT_OF(w->flags);
  if (n > 0) {
    seal_buf_putc(&w->b, '\n');
    for (int i = 0; i < depth * n; i++)
      seal_buf_putc(&w->b, ' ');
  } else if (space && !(w->flags & JSON_COMPACT)) {
    seal_buf_putc(&w->b, ' ');
  }
}

/* jansson's dump_string: `"` and `\` escaped, \b \f \n \r \t short, other control characters
 * \u00XX (uppercase hex, as jansson writes them); `/` only under JSON_ESCAPE_SLASH; non-ASCII
 * raw, or \uXXXX (surrogate pairs above the BMP) under JSON_ENSURE_ASCII. */
static void put_string(writer *w, const char *str, size_t len)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, start = 0;
  seal_buf_putc(&w->b, '"');
  while (i < len) {
    unsigned cp;
    size_t n;
    const char *esc = NULL;
    char seq[16];
    /* printable ASCII that needs no escape (the common case): no UTF-8 decoding */
    i += seal_json_plain_run(str + i, len - i, 1, (w->flags & JSON_ESCAPE_SLASH) != 0);
    if (i >= len)
      break;
    n = seal_utf8_next(s + i, len - i, &cp);
    if (n == 0) {
      w->bad = 1;
      return;
    }
    if (cp >= 0x20 && cp != '"' && cp != '\\' && !(cp == '/' && (w->flags & JSON_ESCAPE_SLASH)) &&
        !(cp > 0x7f && (w->flags & JSON_ENSURE_ASCII))) {
      i += n;
      continue;
    }
    seal_buf_put(&w->b, s + start, i - start);
    switch (cp) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '/': esc = "\\/"; break;
    default:
      if (cp < 0x10000) {
        snprintf(seq, sizeof seq, "\\u%04X", cp);
      } else {
        unsigned v = cp - 0x10000;
        snprintf(seq, sizeof seq, "\\u%04X\\u%04X", 0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
      }
      esc = seq;
    }
    seal_buf_puts(&w->b, esc);
    i += n;
    start = i;
  }
  seal_buf_put(&w->b, s + start, len - start);
  seal_buf_putc(&w->b, '"');
}

/* JSON_SORT_KEYS order of jansson 2.14 (compare_keys): bytes, the shorter prefix first. */
static int cmp_keys(const void *a, const void *b)
{
  const key_ref *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->key, y->key, n);
  if (c)
    return c;
  return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

static void put_value(writer *w, const json_t *v, int depth);

static void put_array(writer *w, const json_t *v, int depth)
{
  size_t n = json_array_size(v);
  seal_buf_putc(&w->b, '[');
  if (n == 0) {
    seal_buf_putc(&w->b, ']');
    return;
  }
  put_indent(w, depth + 1, 0);
  for (size_t i = 0; i < n && !w->bad; i++) {
    put_value(w, json_array_get(v, i), depth + 1);
    if (i < n - 1) {
      seal_buf_putc(&w->b, ',');
      put_indent(w, depth + 1, 1);
    } else {
      put_indent(w, depth, 0);
    }
  }
  seal_buf_putc(&w->b, ']');
}

static void put_object(writer *w, const json_t *v, int depth)
{
  size_t n = json_object_size(v), m = 0;
  const char *sep = (w->flags & JSON_COMPACT) ? ":" : ": ";
  key_ref small[16], *ks = small; /* most objects: no allocation */
  void *it;
  seal_buf_putc(&w->b, '{');
  if (n == 0) {
    seal_buf_putc(&w->b, '}');
    return;
  }
  if (n > sizeof small / sizeof *small && !(ks = malloc(n * sizeof *ks))) {
    w->b.oom = 1;
    return;
  }
  for (it = json_object_iter((json_t *)v); it && m < n;
       it = json_object_iter_next((json_t *)v, it), m++) {
    ks[m].key = json_object_iter_key(it);
    ks[m].len = json_object_iter_key_len(it);
    ks[m].value = json_object_iter_value(it);
  }
  if (w->flags & JSON_SORT_KEYS)
    qsort(ks, m, sizeof *ks, cmp_keys);
  put_indent(w, depth + 1, 0);
  for (size_t i = 0; i < m && !w->bad; i++) {
    put_string(w, ks[i].key, ks[i].len);
    seal_buf_puts(&w->b, sep);
    put_value(w, ks[i].value, depth + 1);
    if (i < m - 1) {
      seal_buf_putc(&w->b, ',');
      put_indent(w, depth + 1, 1);
    } else {
      put_indent(w, depth, 0);
    }
  }
  if (ks != small)
    free(ks);
  seal_buf_putc(&w->b, '}');
}

static void put_value(writer *w, const json_t *v, int depth)
{
  char num[SEAL_ES_NUMBER_MAX];
  if (w->bad || w->b.oom)
    return;
  if (v == w->at) {
    seal_buf_put(&w->b, w->raw, w->raw_len);
    return;
  }
  if (depth >= SEAL_JSON_MAX_DEPTH && (json_is_array(v) || json_is_object(v))) {
    w->bad = 1; /* also what stops a value that contains itself */
    return;
  }
  switch (json_typeof(v)) {
  case JSON_NULL: seal_buf_puts(&w->b, "null"); return;
  case JSON_TRUE: seal_buf_puts(&w->b, "true"); return;
  case JSON_FALSE: seal_buf_puts(&w->b, "false"); return;
  case JSON_INTEGER:
    seal_buf_put(&w->b, num, seal_int_text(num, (long long)json_integer_value(v)));
    return;
  case JSON_REAL:
    if (seal_es_number(num, json_real_value(v)) != SEAL_OK) {
      w->bad = 1; /* NaN or an infinity: not JSON */
      return;
    }
    seal_buf_puts(&w->b, num);
    return;
  case JSON_STRING: put_string(w, json_string_value(v), json_string_length(v)); return;
  case JSON_ARRAY: put_array(w, v, depth); return;
  case JSON_OBJECT: put_object(w, v, depth); return;
  }
  w->bad = 1;
}

char *seal_json_dumps_splice(const json_t *v, size_t flags, const json_t *at, const char *raw,
                             size_t raw_len, size_t *out_len)
{
  writer w;
  if (!v)
    return NULL;
  if (!(flags & JSON_ENCODE_ANY) && !json_is_array(v) && !json_is_object(v))
    return NULL;
  memset(&w, 0, sizeof w);
  w.flags = flags;
  w.at = at;
  w.raw = raw;
  w.raw_len = raw_len;
  put_value(&w, v, 0);
  if (out_len && !w.bad && !w.b.oom && w.b.buf)
    *out_len = w.b.len;
  if (w.bad || w.b.oom || !w.b.buf) {
    seal_buf_free(&w.b);
    return NULL;
  }
  return w.b.buf;
}

char *seal_json_dumps(const json_t *v, size_t flags)
{
  return seal_json_dumps_splice(v, flags, NULL, NULL, 0, NULL);
}
