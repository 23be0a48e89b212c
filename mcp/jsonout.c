/* SPDX-License-Identifier: Apache-2.0
 * mcp/jsonout.c — compact JSON text of a jansson value, byte for byte what
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) writes (members in insertion order, "," and ":"
 * without spaces, only '"', '\\' and control characters escaped, \b \f \n \r \t short and the
 * rest as \u00XX in upper case, raw UTF-8, integers in decimal, reals through jansson itself),
 * but several times cheaper: one growing buffer, strings copied in runs between escapes. Used for
 * every JSON-RPC message the server writes and for tool result texts. */
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct obuf {
  char *p;
  size_t len, cap;
  int oom;
} obuf;

static int ob_grow(obuf *b, size_t n)
{
  size_t cap = b->cap ? b->cap : 1024;
  char *np;
  while (cap < b->len + n + 1)
    cap *= 2;
  if (!(np = realloc(b->p, cap))) {
    b->oom = 1;
    return -1;
  }
  b->p = np;
  b->cap = cap;
  return 0;
}

static void ob_put(obuf *b, const char *d, size_t n)
{
  if (b->oom || (b->len + n + 1 > b->cap && ob_grow(b, n)))
    return;
  memcpy(b->p + b->len, d, n);
  b->len += n;
}

static void ob_str(obuf *b, const char *s, size_t n)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t start = 0;
  ob_put(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char e[6];
    size_t en = 2;
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    ob_put(b, s + start, i - start);
    e[0] = '\\';
    switch (c) {
    case '"': e[1] = '"'; break;
    case '\\': e[1] = '\\'; break;
    case '\b': e[1] = 'b'; break;
    case '\f': e[1] = 'f'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\t': e[1] = 't'; break;
    default:
      e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
      en = 6;
    }
    ob_put(b, e, en);
    start = i + 1;
  }
  ob_put(b, s + start, n - start);
  ob_put(b, "\"", 1);
}

static void ob_value(obuf *b, const json_t *v)
{
  char num[64];
  switch (json_typeof(v)) {
  case JSON_NULL: ob_put(b, "null", 4); return;
  case JSON_TRUE: ob_put(b, "true", 4); return;
  case JSON_FALSE: ob_put(b, "false", 5); return;
  case JSON_INTEGER: {
    int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    ob_put(b, num, (size_t)n);
    return;
  }
  case JSON_REAL: {
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!t) {
      b->oom = 1;
      return;
    }
    ob_put(b, t, strlen(t));
    free(t);
    return;
  }
  case JSON_STRING: ob_str(b, json_string_value(v), json_string_length(v)); return;
  case JSON_ARRAY: {
    size_t n = json_array_size(v);
    ob_put(b, "[", 1);
    for (size_t i = 0; i < n; i++) {
      if (i)
        ob_put(b, ",", 1);
      ob_value(b, json_array_get(v, i));
    }
    ob_put(b, "]", 1);
    return;
  }
  case JSON_OBJECT: {
    const char *k;
    json_t *m;
    int first = 1;
    ob_put(b, "{", 1);
    json_object_foreach((json_t *)v, k, m)
    {
      if (!first)
        ob_put(b, ",", 1);
      first = 0;
      ob_str(b, k, strlen(k));
      ob_put(b, ":", 1);
      ob_value(b, m);
    }
    ob_put(b, "}", 1);
    return;
  }
  }
}

char *mcp__json_compact(const json_t *v, size_t *len)
{
  obuf b = {NULL, 0, 0, 0};
  if (!v)
    return NULL;
  ob_value(&b, v);
  if (b.oom || !b.p) {
    free(b.p);
    return NULL;
  }
  b.p[b.len] = '\0';
  if (len)
    *len = b.len;
  return b.p;
}
