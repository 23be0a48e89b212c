/* SPDX-License-Identifier: Apache-2.0
 * crypto/canon.c — our canonical JSON serializer over json_t (spec/canonical-json.md): motebit
 * "JCS as implemented" (keys by UTF-16 code units), Motus json.sorted.compact.v0 (keys by code
 * point), and JCS with ECMAScript number formatting for eddsa-jcs-2022 credentials. Also the
 * strict parser used before verifying anything. It never calls json_dumps (jansson escapes
 * control characters in uppercase and prints reals differently) and does no I/O. */
#include "crypto/seal_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct member {
  const char *key;
  size_t len;
  json_t *value;
} member;

/* Next UTF-16 code unit of a valid UTF-8 string; -1 at the end. `*low` holds a pending low
 * surrogate between calls. R-CANON-004. */
static long next_u16(const unsigned char **p, const unsigned char *end, unsigned *low)
{
  unsigned cp;
  const unsigned char *s = *p;
  if (*low) {
    unsigned u = *low;
    *low = 0;
    return (long)u;
  }
  if (s >= end)
    return -1;
  if (s[0] < 0x80) {
    cp = s[0];
    s += 1;
  } else if ((s[0] & 0xe0) == 0xc0 && s + 1 < end) {
    cp = (unsigned)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
    s += 2;
  } else if ((s[0] & 0xf0) == 0xe0 && s + 2 < end) {
    cp = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
    s += 3;
  } else if (s + 3 < end) {
    cp = (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3f) << 12 |
         (unsigned)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
    s += 4;
  } else {
    cp = s[0]; /* truncated sequence: compare the byte (jansson never produces this) */
    s += 1;
  }
  *p = s;
  if (cp >= 0x10000) {
    cp -= 0x10000;
    *low = 0xdc00 + (cp & 0x3ff);
    return (long)(0xd800 + (cp >> 10));
  }
  return (long)cp;
}

static int cmp_utf16(const void *a, const void *b)
{
  const member *x = a, *y = b;
  const unsigned char *p = (const unsigned char *)x->key, *q = (const unsigned char *)y->key;
  const unsigned char *pe = p + x->len, *qe = q + y->len;
  unsigned lp = 0, lq = 0;
  for (;;) {
    long u = next_u16(&p, pe, &lp), v = next_u16(&q, qe, &lq);
    if (u != v)
      return u < v ? -1 : 1; /* -1 (end) sorts first: shorter prefix first */
    if (u < 0)
      return 0;
  }
}

/* R-CANON-005: bytewise UTF-8 == code point order; shorter prefix first. */
static int cmp_bytes(const void *a, const void *b)
{
  const member *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->key, y->key, n);
  if (c)
    return c;
  return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

/* R-CANON-002/003 */
/* The canonical string escapes (spec/canonical-json.md R-CANON-002), written through `put` so
 * that a buffer and a SHA-256 context get exactly the same bytes. */
static void json_string_to(void (*put)(void *, const char *, size_t), void *sink, const char *s,
                           size_t len)
{
  static const char hex[] = "0123456789abcdef";
  size_t i, start = 0;
  put(sink, "\"", 1);
  for (i = 0; i < len; i++) {
    unsigned char c;
    const char *esc = NULL;
    char u[7];
    i += seal_json_plain_run(s + i, len - i, 0, 0);
    if (i >= len)
      break;
    c = (unsigned char)s[i];
    put(sink, s + start, i - start);
    switch (c) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    default:
      u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0', u[4] = hex[c >> 4], u[5] = hex[c & 15];
      u[6] = '\0';
      esc = u;
    }
    put(sink, esc, strlen(esc));
    start = i + 1;
  }
  put(sink, s + start, len - start);
  put(sink, "\"", 1);
}

size_t seal_json_plain_prefix(const char *s, size_t len)
{
  return seal_json_plain_run(s, len, 0, 0);
}

static void put_buf(void *sink, const char *d, size_t n)
{
  seal_buf_put(sink, d, n);
}

static void put_sha(void *sink, const char *d, size_t n)
{
  seal_sha256_update(sink, d, n);
}

void seal_buf_json_string(seal_buf *b, const char *s, size_t len)
{
  json_string_to(put_buf, b, s, len);
}

void seal_sha256_update_json_string(seal_sha256_ctx *c, const char *s, size_t len)
{
  json_string_to(put_sha, c, s, len);
}

int seal_es_number(char out[SEAL_ES_NUMBER_MAX], double v)
{
  char tmp[40], digits[20];
  int p, e10 = 0, k = 0, n, i;
  const char *ep;
  size_t o = 0;
  if (!isfinite(v))
    return SEAL_EINVAL;
  if (v == 0) { /* R-CANON-008: -0 prints as 0 */
    snprintf(out, SEAL_ES_NUMBER_MAX, "0");
    return SEAL_OK;
  }
  for (p = 1; p <= 17; p++) {
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
    if (strtod(tmp, NULL) == v)
      break;
  }
  /* tmp = [-]d[.ddd]e[+-]xx */
  for (i = 0; tmp[i] && tmp[i] != 'e'; i++)
    if (tmp[i] >= '0' && tmp[i] <= '9')
      digits[k++] = tmp[i];
  ep = strchr(tmp, 'e');
  if (!ep)
    return SEAL_ERROR;
  e10 = (int)strtol(ep + 1, NULL, 10);
  while (k > 1 && digits[k - 1] == '0')
    k--;
  digits[k] = '\0';
  n = e10 + 1;
  if (v < 0)
    out[o++] = '-';
  if (k <= n && n <= 21) {
    memcpy(out + o, digits, (size_t)k), o += (size_t)k;
    for (i = 0; i < n - k; i++)
      out[o++] = '0';
  } else if (0 < n && n <= 21) {
    memcpy(out + o, digits, (size_t)n), o += (size_t)n;
    out[o++] = '.';
    memcpy(out + o, digits + n, (size_t)(k - n)), o += (size_t)(k - n);
  } else if (-6 < n && n <= 0) {
    out[o++] = '0', out[o++] = '.';
    for (i = 0; i < -n; i++)
      out[o++] = '0';
    memcpy(out + o, digits, (size_t)k), o += (size_t)k;
  } else {
    out[o++] = digits[0];
    if (k > 1) {
      out[o++] = '.';
      memcpy(out + o, digits + 1, (size_t)(k - 1)), o += (size_t)(k - 1);
    }
    o += (size_t)snprintf(out + o, SEAL_ES_NUMBER_MAX - o, "e%c%d", n - 1 >= 0 ? '+' : '-',
                          abs(n - 1));
    return SEAL_OK;
  }
  out[o] = '\0';
  return SEAL_OK;
}

static int emit(seal_buf *b, const json_t *v, seal_canon_flavor fl, int depth, const char *omit,
                seal_err *err)
{
  char num[SEAL_ES_NUMBER_MAX];
  if ((json_is_array(v) || json_is_object(v)) && depth > SEAL_CANON_MAX_DEPTH) /* R-CANON-011 */
    return seal_errf(err, SEAL_EDEPTH, 0, "canonical JSON: nesting deeper than %d",
                     SEAL_CANON_MAX_DEPTH);
  switch (json_typeof(v)) {
  case JSON_NULL: seal_buf_puts(b, "null"); return SEAL_OK;
  case JSON_TRUE: seal_buf_puts(b, "true"); return SEAL_OK;
  case JSON_FALSE: seal_buf_puts(b, "false"); return SEAL_OK;
  case JSON_INTEGER:
    seal_buf_put(b, num, seal_int_text(num, (long long)json_integer_value(v)));
    return SEAL_OK;
  case JSON_REAL:
    if (fl != SEAL_CANON_JCS_REALS) /* R-CANON-007 */
      return seal_errf(err, SEAL_EREAL, 0,
                       "canonical JSON: real number %.17g refused in a signed or hashed body",
                       json_real_value(v));
    if (seal_es_number(num, json_real_value(v)) != SEAL_OK)
      return seal_errf(err, SEAL_EINVAL, 0, "canonical JSON: non-finite number");
    seal_buf_puts(b, num);
    return SEAL_OK;
  case JSON_STRING:
    seal_buf_json_string(b, json_string_value(v), json_string_length(v));
    return SEAL_OK;
  case JSON_ARRAY: {
    size_t i, n = json_array_size(v);
    seal_buf_putc(b, '[');
    for (i = 0; i < n; i++) {
      int rc;
      if (i)
        seal_buf_putc(b, ',');
      if ((rc = emit(b, json_array_get(v, i), fl, depth + 1, NULL, err)) != SEAL_OK)
        return rc;
    }
    seal_buf_putc(b, ']');
    return SEAL_OK;
  }
  case JSON_OBJECT: {
    size_t n = json_object_size(v), m = 0, i;
    member *ms = calloc(n ? n : 1, sizeof *ms);
    void *it;
    int rc = SEAL_OK;
    if (!ms)
      return seal_errf(err, SEAL_ERROR, 0, "out of memory");
    for (it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
      const char *k = json_object_iter_key(it);
      if (omit && strcmp(k, omit) == 0)
        continue;
      ms[m].key = k;
      ms[m].len = json_object_iter_key_len(it);
      ms[m].value = json_object_iter_value(it);
      m++;
    }
    qsort(ms, m, sizeof *ms, fl == SEAL_CANON_MOTUS ? cmp_bytes : cmp_utf16);
    seal_buf_putc(b, '{');
    for (i = 0; i < m && rc == SEAL_OK; i++) {
      if (i)
        seal_buf_putc(b, ',');
      seal_buf_json_string(b, ms[i].key, ms[i].len);
      seal_buf_putc(b, ':');
      rc = emit(b, ms[i].value, fl, depth + 1, NULL, err);
    }
    free(ms);
    if (rc == SEAL_OK)
      seal_buf_putc(b, '}');
    return rc;
  }
  }
  return seal_errf(err, SEAL_EINVAL, 0, "canonical JSON: unknown value type");
}

int seal_canon_without(char **out, size_t *out_len, const json_t *v, const char *omit_key,
                       seal_canon_flavor flavor, seal_err *err)
{
  seal_buf b = {0};
  int rc;
  if (!v)
    return seal_errf(err, SEAL_EINVAL, 0, "canonical JSON: no value");
  rc = emit(&b, v, flavor, 1, json_is_object(v) ? omit_key : NULL, err);
  if (rc == SEAL_OK && (b.oom || !b.buf))
    rc = seal_errf(err, SEAL_ERROR, 0, "out of memory");
  if (rc != SEAL_OK) {
    seal_buf_free(&b);
    return rc;
  }
  *out = b.buf;
  if (out_len)
    *out_len = b.len;
  return SEAL_OK;
}

int seal_canon(char **out, size_t *out_len, const json_t *v, seal_canon_flavor flavor,
               seal_err *err)
{
  return seal_canon_without(out, out_len, v, NULL, flavor, err);
}

/* Valid UTF-8 without NUL (what jansson accepts in a string): 1, else 0. */
static int utf8_ok(const unsigned char *s, size_t n)
{
  unsigned cp;
  for (size_t i = 0, k; i < n; i += k) {
    i += seal_json_plain_run((const char *)s + i, n - i, 1, 0); /* plain ASCII: most of a text */
    if (i >= n)
      break;
    if (s[i] >= 0x20 && s[i] < 0x80) { /* '"' and '\\' */
      k = 1;
      continue;
    }
    if (s[i] == 0 || !(k = seal_utf8_next(s + i, n - i, &cp)))
      return 0;
  }
  return 1;
}

/* The key order of `fl` for two distinct keys, without decoding the common ASCII case: up to
 * the first byte that differs both orders are the byte order, and there two ASCII bytes (or a
 * key that ends) decide it alike. */
static int key_before(const member *x, const member *y, seal_canon_flavor fl)
{
  size_t n = x->len < y->len ? x->len : y->len, i = 0;
  const unsigned char *p = (const unsigned char *)x->key, *q = (const unsigned char *)y->key;
  while (i < n && p[i] == q[i])
    i++;
  if (i == n)
    return x->len < y->len;
  if (fl == SEAL_CANON_MOTUS || (p[i] < 0x80 && q[i] < 0x80))
    return p[i] < q[i];
  return cmp_utf16(x, y) < 0;
}

int seal_canon_members(char **out, size_t *out_len, seal_cmember *ms, size_t n,
                       seal_canon_flavor flavor, seal_err *err)
{
  /* a member first, so that the key comparator reads a pointer to one as a member */
  struct cm_ref {
    member k;
    const seal_cmember *m;
    size_t str_len;
  } keys[32], t;
  seal_buf b = {0};
  char num[SEAL_INT_TEXT_MAX];
  size_t i, j, need = 2;
  if (n > sizeof keys / sizeof keys[0])
    return seal_errf(err, SEAL_EINVAL, 0, "canonical JSON: more than %zu members",
                     sizeof keys / sizeof keys[0]);
  for (i = 0; i < n; i++) {
    keys[i].k.key = ms[i].key;
    keys[i].k.len = strlen(ms[i].key);
    keys[i].k.value = NULL;
    keys[i].m = &ms[i];
    keys[i].str_len = ms[i].type == SEAL_CM_STR   ? strlen(ms[i].str)
                      : ms[i].type == SEAL_CM_RAW ? ms[i].raw_len
                                                  : SEAL_INT_TEXT_MAX;
    need += keys[i].k.len + keys[i].str_len + 8;
    if (!utf8_ok((const unsigned char *)ms[i].key, keys[i].k.len) ||
        (ms[i].type == SEAL_CM_STR && !utf8_ok((const unsigned char *)ms[i].str, keys[i].str_len)))
      return seal_errf(err, SEAL_EINVAL, 0, "canonical JSON: member %s is not UTF-8 text",
                       ms[i].key);
  }
  /* insertion sort: a few members, usually given nearly in order */
  for (i = 1; i < n; i++) {
    t = keys[i];
    for (j = i; j > 0 && key_before(&t.k, &keys[j - 1].k, flavor); j--)
      keys[j] = keys[j - 1];
    keys[j] = t;
  }
  if (!(b.buf = malloc(need + need / 8))) /* room for the text but a few escapes */
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  b.cap = need + need / 8;
  seal_buf_putc(&b, '{');
  for (i = 0; i < n; i++) {
    const seal_cmember *m = keys[i].m;
    if (i && keys[i].k.len == keys[i - 1].k.len &&
        !memcmp(keys[i].k.key, keys[i - 1].k.key, keys[i].k.len)) {
      seal_buf_free(&b);
      return seal_errf(err, SEAL_EINVAL, 0, "canonical JSON: member %s twice", m->key);
    }
    if (i)
      seal_buf_putc(&b, ',');
    seal_buf_json_string(&b, keys[i].k.key, keys[i].k.len);
    seal_buf_putc(&b, ':');
    if (m->type == SEAL_CM_STR)
      seal_buf_json_string(&b, m->str, keys[i].str_len);
    else if (m->type == SEAL_CM_INT)
      seal_buf_put(&b, num, seal_int_text(num, m->num));
    else
      seal_buf_put(&b, m->str, m->raw_len);
  }
  seal_buf_putc(&b, '}');
  if (b.oom) {
    seal_buf_free(&b);
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  }
  *out = b.buf; /* NUL-terminated, as seal_buf keeps it */
  if (out_len)
    *out_len = b.len;
  return SEAL_OK;
}

int seal_canon_sha256_hex(char out[SEAL_SHA256_HEX], const json_t *v, seal_canon_flavor flavor,
                          seal_err *err)
{
  char *c = NULL;
  size_t n = 0;
  int rc = seal_canon(&c, &n, v, flavor, err);
  if (rc != SEAL_OK)
    return rc;
  seal_sha256_hex(out, c, n);
  free(c);
  return SEAL_OK;
}

/* Number of nested containers (a scalar is 0); stops counting past the limit. */
static int depth_of(const json_t *v, int limit)
{
  int best = 0, d;
  if (limit < 0)
    return 1;
  if (json_is_array(v)) {
    size_t i;
    for (i = 0; i < json_array_size(v) && best <= limit; i++)
      if ((d = depth_of(json_array_get(v, i), limit - 1)) > best)
        best = d;
    return best + 1;
  }
  if (json_is_object(v)) {
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
      if ((d = depth_of(x, limit - 1)) > best)
        best = d;
      if (best > limit)
        break;
    }
    return best + 1;
  }
  return 0;
}

json_t *seal_json_parse_strict(const char *text, size_t len, seal_err *err)
{
  json_error_t je;
  json_t *v;
  if (!text) {
    seal_errf(err, SEAL_EINVAL, 0, "no input");
    return NULL;
  }
  if (memchr(text, '\0', len)) { /* R-CANON-010 */
    seal_errf(err, SEAL_EINVAL, 0, "JSON text contains a NUL byte");
    return NULL;
  }
  /* R-CANON-009: duplicate keys refused; jansson also refuses \u0000 and lone surrogates. */
  v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
  if (!v) {
    seal_errf(err, SEAL_EINVAL, 0, "invalid JSON at line %d column %d: %s", je.line, je.column,
              je.text);
    return NULL;
  }
  if (depth_of(v, SEAL_CANON_MAX_DEPTH) > SEAL_CANON_MAX_DEPTH) {
    json_decref(v);
    seal_errf(err, SEAL_EDEPTH, 0, "JSON nesting deeper than %d", SEAL_CANON_MAX_DEPTH);
    return NULL;
  }
  return v;
}
