/* SPDX-License-Identifier: Apache-2.0
 * crypto/jschema.c — the JSON Schema subset validator declared in crypto/jschema.h. A recursive
 * walk over (schema, instance) with a depth bound, a JSON Pointer built as it descends, and a
 * process-wide cache of compiled POSIX regular expressions. It reports the first failure only and
 * never allocates per call beyond regex compilation. No I/O, no logging. */
#include "crypto/jschema.h"
#include "crypto/seal.h"

#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vctx {
  const json_t *root;
  seal_jschema_err *err;
  char path[256];
  size_t plen;
  int check_only;
} vctx;

/* ---- regex cache ---------------------------------------------------------------------------- */

typedef struct re_entry {
  struct re_entry *next;
  char *pattern;
  int ok;
  regex_t re;
} re_entry;

static pthread_mutex_t re_lock = PTHREAD_MUTEX_INITIALIZER;
static re_entry *re_head;
static size_t re_count;

/* What a pattern would cost regcomp, or 0 when it must not be compiled. glibc builds its
 * automaton by copying the subexpression a repetition applies to: "a{n}" costs n copies, "a{m,n}"
 * grows with (n - m) squared (nested optionals: ".{0,1000}" takes 17 MB, ".{0,4096}" 270 MB), and
 * stacked quantifiers ("a++++") or nested bounds ("(a{1,127}){1,127}", 54 MB) multiply. A schema
 * from an upstream server or a config file must not be able to exhaust us, so the estimate walks
 * the pattern as ERE atoms, groups and quantifiers, multiplies an atom's cost by its repetition's,
 * and refuses a quantifier that follows another one (ECMAScript rejects those too, except the lazy
 * '?', which POSIX does not have), unbalanced groups and brackets, and any estimate above
 * RE_MAX_COST (about 4 MB of automaton at worst). */
#define RE_MAX_PATTERN 1024
#define RE_MAX_COST 32768.0
#define RE_MAX_DEPTH 32
#define RE_MAX_BOUND 10000 /* the largest m or n of a {m,n} */

static int re_bound(const char **pp, double *mul)
{
  const char *p = *pp + 1; /* past '{' */
  long lo = 0, hi;
  if (*p < '0' || *p > '9')
    return 0;
  while (*p >= '0' && *p <= '9' && lo <= RE_MAX_BOUND)
    lo = lo * 10 + (*p++ - '0');
  hi = lo;
  if (*p == ',') {
    p++;
    if (*p >= '0' && *p <= '9') {
      hi = 0;
      while (*p >= '0' && *p <= '9' && hi <= RE_MAX_BOUND)
        hi = hi * 10 + (*p++ - '0');
    } else {
      hi = lo + 1; /* {m,}: m copies and a star */
    }
  }
  if (*p != '}' || lo > RE_MAX_BOUND || hi > RE_MAX_BOUND || hi < lo)
    return 0;
  *mul = (double)lo + (double)(hi - lo) * (double)(hi - lo) / 7.0 + 1.0;
  *pp = p;
  return 1;
}

static double re_cost(const char *pat)
{
  double cost[RE_MAX_DEPTH + 1] = {0}, last[RE_MAX_DEPTH + 1] = {0};
  int depth = 0, quantified = 1; /* at the start, a quantifier has nothing to repeat */
  if (strlen(pat) > RE_MAX_PATTERN)
    return 0;
  for (const char *p = pat; *p; p++) {
    double mul = 0, atom = 1;
    switch (*p) {
    case '*':
    case '+':
    case '?': mul = 2; break;
    case '{':
      if (!re_bound(&p, &mul))
        return 0;
      break;
    case '(':
      if (++depth > RE_MAX_DEPTH)
        return 0;
      cost[depth] = last[depth] = 0;
      quantified = 1;
      continue;
    case ')':
      if (depth == 0)
        return 0;
      atom = cost[depth--] + 1;
      break;
    case '|':
    case '^':
    case '$':
      quantified = 1;
      last[depth] = 0;
      cost[depth] += 1;
      continue;
    case '\\':
      if (!*++p)
        return 0;
      break;
    case '[':
      p++;
      if (*p == '^')
        p++;
      if (*p == ']')
        p++;
      while (*p && *p != ']') {
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
          const char *end = strchr(p + 2, p[1]);
          if (!end || end[1] != ']')
            return 0;
          p = end + 1;
        }
        p++;
      }
      if (!*p)
        return 0;
      break;
    default: break;
    }
    if (mul > 0) { /* a quantifier repeats the atom before it */
      if (quantified)
        return 0;
      cost[depth] += last[depth] * (mul - 1);
      quantified = 1;
    } else {
      last[depth] = atom;
      cost[depth] += atom;
      quantified = 0;
    }
    if (cost[depth] > RE_MAX_COST)
      return 0;
  }
  return depth == 0 ? cost[0] + 1 : 0;
}

/* The compiled form of a pattern: from the cache when it is there; else compiled and, while the
 * cache has room (RE_CACHE entries), kept. Returns the entry to match with, or NULL when the
 * pattern is refused or does not compile. The cache holds at most RE_CACHE entries and
 * RE_CACHE_COST of estimated automaton. A pattern compiled past the cache's room is returned in
 * *tmp, which the caller frees with re_drop after matching; cached entries live for the process. */
#define RE_CACHE 256
#define RE_CACHE_COST (16 * RE_MAX_COST)
static double re_cached_cost;

static const re_entry *re_get(const char *pattern, re_entry **tmp)
{
  re_entry *e;
  *tmp = NULL;
  pthread_mutex_lock(&re_lock);
  for (e = re_head; e; e = e->next)
    if (strcmp(e->pattern, pattern) == 0)
      break;
  if (!e && (e = calloc(1, sizeof *e)) != NULL) {
    double cost = re_cost(pattern);
    e->ok = cost > 0 && regcomp(&e->re, pattern, REG_EXTENDED | REG_NOSUB) == 0;
    if (re_count < RE_CACHE && re_cached_cost + cost <= RE_CACHE_COST &&
        (e->pattern = strdup(pattern)) != NULL) {
      e->next = re_head;
      re_head = e;
      re_count++;
      re_cached_cost += cost;
    } else {
      *tmp = e;
    }
  }
  pthread_mutex_unlock(&re_lock);
  return e && e->ok ? e : NULL;
}

static void re_drop(re_entry *tmp)
{
  if (tmp) {
    if (tmp->ok)
      regfree(&tmp->re);
    free(tmp);
  }
}

/* ---- helpers -------------------------------------------------------------------------------- */

static int fail(vctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(vctx *c, int rc, const char *fmt, ...)
{
  if (c->err) {
    va_list ap;
    snprintf(c->err->path, sizeof c->err->path, "%s", c->path);
    va_start(ap, fmt);
    vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
    va_end(ap);
  }
  return rc;
}

static size_t path_push_key(vctx *c, const char *key)
{
  size_t old = c->plen;
  size_t room = sizeof c->path - c->plen;
  char *p = c->path + c->plen;
  if (room < 2)
    return old;
  *p++ = '/';
  room--;
  for (const char *k = key; *k && room > 3; k++) {
    if (*k == '~') {
      *p++ = '~';
      *p++ = '0';
      room -= 2;
    } else if (*k == '/') {
      *p++ = '~';
      *p++ = '1';
      room -= 2;
    } else {
      *p++ = *k;
      room--;
    }
  }
  *p = '\0';
  c->plen = (size_t)(p - c->path);
  return old;
}

static size_t path_push_index(vctx *c, size_t i)
{
  size_t old = c->plen;
  int n = snprintf(c->path + c->plen, sizeof c->path - c->plen, "/%zu", i);
  if (n > 0 && (size_t)n < sizeof c->path - c->plen)
    c->plen += (size_t)n;
  else
    c->path[c->plen] = '\0';
  return old;
}

static void path_pop(vctx *c, size_t old)
{
  c->plen = old;
  c->path[old] = '\0';
}

static const char *type_name(const json_t *v)
{
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "object";
  case JSON_ARRAY: return "array";
  case JSON_STRING: return "string";
  case JSON_INTEGER: return "integer";
  case JSON_REAL: return "number";
  case JSON_TRUE:
  case JSON_FALSE: return "boolean";
  case JSON_NULL: return "null";
  }
  return "unknown";
}

static int type_matches(const char *t, const json_t *v)
{
  if (strcmp(t, "object") == 0)
    return json_is_object(v);
  if (strcmp(t, "array") == 0)
    return json_is_array(v);
  if (strcmp(t, "string") == 0)
    return json_is_string(v);
  if (strcmp(t, "boolean") == 0)
    return json_is_boolean(v);
  if (strcmp(t, "null") == 0)
    return json_is_null(v);
  if (strcmp(t, "number") == 0)
    return json_is_number(v);
  if (strcmp(t, "integer") == 0) {
    if (json_is_integer(v))
      return 1;
    if (json_is_real(v)) {
      double d = json_real_value(v);
      /* finite and whole, without libm: NaN and inf fail d - d == 0 */
      return d - d == 0 && d > -9.2e18 && d < 9.2e18 && (double)(long long)d == d;
    }
    return 0;
  }
  return -1;
}

static size_t utf8_count(const char *s, size_t len)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      n++;
  return n;
}

static double num(const json_t *v)
{
  return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

/* JSON equality where 1 == 1.0 (jansson's json_equal says integer != real). */
static int jeq(const json_t *a, const json_t *b)
{
  if (json_is_number(a) && json_is_number(b)) {
    if (json_is_integer(a) && json_is_integer(b))
      return json_integer_value(a) == json_integer_value(b);
    return num(a) == num(b);
  }
  if (json_typeof(a) != json_typeof(b))
    return 0;
  if (json_is_array(a)) {
    if (json_array_size(a) != json_array_size(b))
      return 0;
    for (size_t i = 0; i < json_array_size(a); i++)
      if (!jeq(json_array_get(a, i), json_array_get(b, i)))
        return 0;
    return 1;
  }
  if (json_is_object(a)) {
    const char *k;
    json_t *av;
    if (json_object_size(a) != json_object_size(b))
      return 0;
    json_object_foreach((json_t *)a, k, av) {
      json_t *bv = json_object_get(b, k);
      if (!bv || !jeq(av, bv))
        return 0;
    }
    return 1;
  }
  return json_equal(a, b);
}

static const json_t *resolve_ref(vctx *c, const char *ref)
{
  const char *name;
  const json_t *defs;
  if (strncmp(ref, "#/$defs/", 8) == 0) {
    name = ref + 8;
    defs = json_object_get(c->root, "$defs");
  } else if (strncmp(ref, "#/definitions/", 14) == 0) {
    name = ref + 14;
    defs = json_object_get(c->root, "definitions");
  } else if (strcmp(ref, "#") == 0) {
    return c->root;
  } else {
    return NULL;
  }
  if (!json_is_object(defs) || strchr(name, '/') || strchr(name, '~'))
    return NULL;
  return json_object_get(defs, name);
}

static int validate(vctx *c, const json_t *s, const json_t *v, int depth);

/* Runs a subschema with errors captured into a scratch err (so anyOf/oneOf can try branches). */
static int validate_quiet(vctx *c, const json_t *s, const json_t *v, int depth,
                          seal_jschema_err *scratch)
{
  seal_jschema_err *saved = c->err;
  char savedpath[256];
  size_t savedlen = c->plen;
  int rc;
  memcpy(savedpath, c->path, sizeof savedpath);
  c->err = scratch;
  rc = validate(c, s, v, depth);
  c->err = saved;
  memcpy(c->path, savedpath, sizeof savedpath);
  c->plen = savedlen;
  return rc;
}

static int validate_object(vctx *c, const json_t *s, const json_t *v, int depth)
{
  const json_t *props = json_object_get(s, "properties");
  const json_t *req = json_object_get(s, "required");
  const json_t *addl = json_object_get(s, "additionalProperties");
  const char *k;
  json_t *val;
  int rc;

  if (req) {
    if (!json_is_array(req))
      return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: required must be an array");
    for (size_t i = 0; i < json_array_size(req); i++) {
      const char *name = json_string_value(json_array_get(req, i));
      if (!name)
        return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: required entries must be strings");
      if (!json_object_get(v, name))
        return fail(c, SEAL_JSCHEMA_INVALID, "missing required property \"%.100s\"", name);
    }
  }
  if (props && !json_is_object(props))
    return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: properties must be an object");
  json_object_foreach((json_t *)v, k, val) {
    const json_t *ps = props ? json_object_get(props, k) : NULL;
    size_t old = path_push_key(c, k);
    if (ps) {
      rc = validate(c, ps, val, depth + 1);
    } else if (json_is_false(addl)) {
      rc = fail(c, SEAL_JSCHEMA_INVALID, "unexpected property \"%.100s\"", k);
    } else if (json_is_object(addl)) {
      rc = validate(c, addl, val, depth + 1);
    } else {
      rc = SEAL_JSCHEMA_OK;
    }
    if (rc != SEAL_JSCHEMA_OK)
      return rc;
    path_pop(c, old);
  }
  return SEAL_JSCHEMA_OK;
}

static int validate_array(vctx *c, const json_t *s, const json_t *v, int depth)
{
  const json_t *items = json_object_get(s, "items");
  const json_t *mn = json_object_get(s, "minItems");
  const json_t *mx = json_object_get(s, "maxItems");
  size_t n = json_array_size(v);
  char nb[32];
  if (json_is_integer(mn) && (json_int_t)n < json_integer_value(mn)) {
    snprintf(nb, sizeof nb, "%lld", (long long)json_integer_value(mn));
    return fail(c, SEAL_JSCHEMA_INVALID, "array has fewer than %s items", nb);
  }
  if (json_is_integer(mx) && (json_int_t)n > json_integer_value(mx)) {
    snprintf(nb, sizeof nb, "%lld", (long long)json_integer_value(mx));
    return fail(c, SEAL_JSCHEMA_INVALID, "array has more than %s items", nb);
  }
  if (json_is_true(json_object_get(s, "uniqueItems"))) {
    if (n > 4096)
      return fail(c, SEAL_JSCHEMA_INVALID, "array too long for uniqueItems check");
    for (size_t i = 0; i < n; i++)
      for (size_t j = i + 1; j < n; j++)
        if (jeq(json_array_get(v, i), json_array_get(v, j))) {
          size_t old = path_push_index(c, j);
          int rc = fail(c, SEAL_JSCHEMA_INVALID, "duplicate array item");
          (void)old;
          return rc;
        }
  }
  if (items && (json_is_object(items) || json_is_boolean(items))) {
    for (size_t i = 0; i < n; i++) {
      size_t old = path_push_index(c, i);
      int rc = validate(c, items, json_array_get(v, i), depth + 1);
      if (rc != SEAL_JSCHEMA_OK)
        return rc;
      path_pop(c, old);
    }
  }
  return SEAL_JSCHEMA_OK;
}

static int validate_string(vctx *c, const json_t *s, const json_t *v)
{
  const json_t *mn = json_object_get(s, "minLength");
  const json_t *mx = json_object_get(s, "maxLength");
  const json_t *pat = json_object_get(s, "pattern");
  const char *str = json_string_value(v);
  size_t blen = json_string_length(v);
  size_t cp = utf8_count(str, blen);
  char nb[32];
  if (json_is_integer(mn) && (json_int_t)cp < json_integer_value(mn)) {
    snprintf(nb, sizeof nb, "%lld", (long long)json_integer_value(mn));
    return fail(c, SEAL_JSCHEMA_INVALID, "string shorter than %s characters", nb);
  }
  if (json_is_integer(mx) && (json_int_t)cp > json_integer_value(mx)) {
    snprintf(nb, sizeof nb, "%lld", (long long)json_integer_value(mx));
    return fail(c, SEAL_JSCHEMA_INVALID, "string longer than %s characters", nb);
  }
  if (pat) {
    const re_entry *re;
    re_entry *tmp;
    int matched;
    if (!json_is_string(pat))
      return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: pattern must be a string");
    if (strlen(str) != blen)
      return fail(c, SEAL_JSCHEMA_INVALID, "string contains NUL");
    re = re_get(json_string_value(pat), &tmp);
    if (!re) {
      re_drop(tmp);
      return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: pattern \"%.100s\" does not compile",
                  json_string_value(pat));
    }
    matched = regexec(&re->re, str, 0, NULL, 0) == 0;
    re_drop(tmp);
    if (!matched)
      return fail(c, SEAL_JSCHEMA_INVALID, "string does not match pattern \"%.100s\"",
                  json_string_value(pat));
  }
  return SEAL_JSCHEMA_OK;
}

/* A schema bound as the message shows it: ECMAScript shortest form (0.99, not 0.98999999999999999). */
static void bound_text(char nb[SEAL_ES_NUMBER_MAX], double d)
{
  if (seal_es_number(nb, d) != SEAL_OK)
    snprintf(nb, SEAL_ES_NUMBER_MAX, "%g", d);
}

static int validate_number(vctx *c, const json_t *s, const json_t *v)
{
  const json_t *mn = json_object_get(s, "minimum");
  const json_t *mx = json_object_get(s, "maximum");
  const json_t *emn = json_object_get(s, "exclusiveMinimum");
  const json_t *emx = json_object_get(s, "exclusiveMaximum");
  double d = num(v);
  char nb[SEAL_ES_NUMBER_MAX];
  if (json_is_number(mn) && d < num(mn)) {
    bound_text(nb, num(mn));
    return fail(c, SEAL_JSCHEMA_INVALID, "number below minimum %s", nb);
  }
  if (json_is_number(mx) && d > num(mx)) {
    bound_text(nb, num(mx));
    return fail(c, SEAL_JSCHEMA_INVALID, "number above maximum %s", nb);
  }
  if (json_is_number(emn) && d <= num(emn)) {
    bound_text(nb, num(emn));
    return fail(c, SEAL_JSCHEMA_INVALID, "number not above %s", nb);
  }
  if (json_is_number(emx) && d >= num(emx)) {
    bound_text(nb, num(emx));
    return fail(c, SEAL_JSCHEMA_INVALID, "number not below %s", nb);
  }
  return SEAL_JSCHEMA_OK;
}

/* "type": a name or a list of names. */
static int validate_type(vctx *c, const json_t *t, const json_t *v)
{
  int ok = 0;
  char want[64];
  if (json_is_string(t)) {
    ok = type_matches(json_string_value(t), v);
    if (ok < 0)
      return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: unknown type \"%.50s\"",
                  json_string_value(t));
  } else if (json_is_array(t)) {
    for (size_t i = 0; i < json_array_size(t) && ok <= 0; i++) {
      const char *tn = json_string_value(json_array_get(t, i));
      if (!tn || (ok = type_matches(tn, v)) < 0)
        return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: bad type list");
    }
  } else {
    return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: type must be a string or array");
  }
  if (ok)
    return SEAL_JSCHEMA_OK;
  if (json_is_string(t))
    snprintf(want, sizeof want, "%s", json_string_value(t));
  else
    snprintf(want, sizeof want, "one of the listed types");
  return fail(c, SEAL_JSCHEMA_INVALID, "expected %s, got %s", want, type_name(v));
}

/* "enum": the value equals one entry; the message lists them. */
static int validate_enum(vctx *c, const json_t *x, const json_t *v)
{
  char list[160];
  size_t off = 0;
  if (!json_is_array(x))
    return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: enum must be an array");
  for (size_t i = 0; i < json_array_size(x); i++)
    if (jeq(json_array_get(x, i), v))
      return SEAL_JSCHEMA_OK;
  list[0] = '\0';
  for (size_t i = 0; i < json_array_size(x) && off < sizeof list - 8; i++) {
    const char *e = json_string_value(json_array_get(x, i));
    int n = snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "", e ? e : "?");
    if (n < 0)
      break;
    off += (size_t)n;
  }
  return fail(c, SEAL_JSCHEMA_INVALID, "value must be one of: %s", list);
}

/* "anyOf": at least one form matches (the message quotes the first form's failure). */
static int validate_any_of(vctx *c, const json_t *x, const json_t *v, int depth)
{
  seal_jschema_err scratch, first;
  int rc;
  if (!json_is_array(x) || json_array_size(x) == 0)
    return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: anyOf must be a non-empty array");
  memset(&first, 0, sizeof first);
  for (size_t i = 0; i < json_array_size(x); i++) {
    rc = validate_quiet(c, json_array_get(x, i), v, depth + 1, &scratch);
    if (rc == SEAL_JSCHEMA_BADSCHEMA) {
      if (c->err)
        *c->err = scratch;
      return rc;
    }
    if (rc == SEAL_JSCHEMA_OK)
      return SEAL_JSCHEMA_OK;
    if (i == 0)
      first = scratch;
  }
  return fail(c, SEAL_JSCHEMA_INVALID, "value matches none of the allowed forms (first: %.150s)",
              first.msg);
}

/* "oneOf": exactly one form matches. */
static int validate_one_of(vctx *c, const json_t *x, const json_t *v, int depth)
{
  seal_jschema_err scratch;
  int rc, matches = 0;
  if (!json_is_array(x) || json_array_size(x) == 0)
    return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: oneOf must be a non-empty array");
  for (size_t i = 0; i < json_array_size(x); i++) {
    rc = validate_quiet(c, json_array_get(x, i), v, depth + 1, &scratch);
    if (rc == SEAL_JSCHEMA_BADSCHEMA) {
      if (c->err)
        *c->err = scratch;
      return rc;
    }
    if (rc == SEAL_JSCHEMA_OK)
      matches++;
  }
  if (matches != 1)
    return fail(c, SEAL_JSCHEMA_INVALID, "value must match exactly one allowed form (matched %s)",
                matches ? "several" : "none");
  return SEAL_JSCHEMA_OK;
}

/* The combinators allOf, anyOf, oneOf and not, in that order. */
static int validate_combinators(vctx *c, const json_t *s, const json_t *v, int depth)
{
  const json_t *x;
  seal_jschema_err scratch;
  int rc;
  if ((x = json_object_get(s, "allOf"))) {
    if (!json_is_array(x))
      return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: allOf must be an array");
    for (size_t i = 0; i < json_array_size(x); i++)
      if ((rc = validate(c, json_array_get(x, i), v, depth + 1)) != SEAL_JSCHEMA_OK)
        return rc;
  }
  if ((x = json_object_get(s, "anyOf")) &&
      (rc = validate_any_of(c, x, v, depth)) != SEAL_JSCHEMA_OK)
    return rc;
  if ((x = json_object_get(s, "oneOf")) &&
      (rc = validate_one_of(c, x, v, depth)) != SEAL_JSCHEMA_OK)
    return rc;
  if ((x = json_object_get(s, "not")) &&
      validate_quiet(c, x, v, depth + 1, &scratch) == SEAL_JSCHEMA_OK)
    return fail(c, SEAL_JSCHEMA_INVALID, "value matches a forbidden form");
  return SEAL_JSCHEMA_OK;
}

static int validate(vctx *c, const json_t *s, const json_t *v, int depth)
{
  const json_t *t, *x;
  int rc;

  if (depth > SEAL_JSCHEMA_MAX_DEPTH)
    return fail(c, SEAL_JSCHEMA_INVALID, "nesting deeper than the schema validator allows");
  if (json_is_true(s))
    return SEAL_JSCHEMA_OK;
  if (json_is_false(s))
    return fail(c, SEAL_JSCHEMA_INVALID, "value not allowed here");
  if (!json_is_object(s))
    return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: subschema must be an object or boolean");

  if ((x = json_object_get(s, "$ref"))) {
    const json_t *target = json_is_string(x) ? resolve_ref(c, json_string_value(x)) : NULL;
    if (!target)
      return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema: unresolvable $ref \"%.100s\"",
                  json_string_value(x));
    if ((rc = validate(c, target, v, depth + 1)) != SEAL_JSCHEMA_OK)
      return rc;
  }
  if ((t = json_object_get(s, "type")) && (rc = validate_type(c, t, v)) != SEAL_JSCHEMA_OK)
    return rc;
  if ((x = json_object_get(s, "const")) && !jeq(x, v))
    return fail(c, SEAL_JSCHEMA_INVALID, "value does not equal the required constant");
  if ((x = json_object_get(s, "enum")) && (rc = validate_enum(c, x, v)) != SEAL_JSCHEMA_OK)
    return rc;

  if (json_is_object(v) && (rc = validate_object(c, s, v, depth)) != SEAL_JSCHEMA_OK)
    return rc;
  if (json_is_array(v) && (rc = validate_array(c, s, v, depth)) != SEAL_JSCHEMA_OK)
    return rc;
  if (json_is_string(v) && (rc = validate_string(c, s, v)) != SEAL_JSCHEMA_OK)
    return rc;
  if (json_is_number(v) && (rc = validate_number(c, s, v)) != SEAL_JSCHEMA_OK)
    return rc;
  return validate_combinators(c, s, v, depth);
}

int seal_jschema_validate(const json_t *schema, const json_t *instance, seal_jschema_err *err)
{
  vctx c;
  memset(&c, 0, sizeof c);
  c.root = schema;
  c.err = err;
  if (err)
    memset(err, 0, sizeof *err);
  if (!schema || !instance)
    return fail(&c, SEAL_JSCHEMA_BADSCHEMA, "schema or instance missing");
  return validate(&c, schema, instance, 0);
}

/* ---- static schema check -------------------------------------------------------------------- */

static int check_walk(vctx *c, const json_t *s, int depth)
{
  const char *k;
  json_t *val;
  if (depth > SEAL_JSCHEMA_MAX_DEPTH)
    return fail(c, SEAL_JSCHEMA_BADSCHEMA, "schema nested too deeply");
  if (json_is_array(s)) {
    for (size_t i = 0; i < json_array_size(s); i++) {
      size_t old = path_push_index(c, i);
      int rc = check_walk(c, json_array_get(s, i), depth + 1);
      if (rc)
        return rc;
      path_pop(c, old);
    }
    return SEAL_JSCHEMA_OK;
  }
  if (!json_is_object(s))
    return SEAL_JSCHEMA_OK;
  json_object_foreach((json_t *)s, k, val) {
    size_t old = path_push_key(c, k);
    int rc = SEAL_JSCHEMA_OK;
    if (strcmp(k, "$ref") == 0) {
      if (!json_is_string(val) || !resolve_ref(c, json_string_value(val)))
        rc = fail(c, SEAL_JSCHEMA_BADSCHEMA, "unresolvable $ref \"%.100s\"",
                  json_string_value(val));
    } else if (strcmp(k, "pattern") == 0 && json_is_string(val)) {
      re_entry *tmp;
      const re_entry *re = re_get(json_string_value(val), &tmp);
      re_drop(tmp);
      if (!re)
        rc = fail(c, SEAL_JSCHEMA_BADSCHEMA, "pattern \"%.100s\" does not compile",
                  json_string_value(val));
    } else if (strcmp(k, "enum") == 0 || strcmp(k, "const") == 0 || strcmp(k, "default") == 0 ||
               strcmp(k, "examples") == 0) {
      rc = SEAL_JSCHEMA_OK; /* data, not schema */
    } else {
      rc = check_walk(c, val, depth + 1);
    }
    if (rc)
      return rc;
    path_pop(c, old);
  }
  return SEAL_JSCHEMA_OK;
}

int seal_jschema_check(const json_t *schema, seal_jschema_err *err)
{
  vctx c;
  memset(&c, 0, sizeof c);
  c.root = schema;
  c.err = err;
  c.check_only = 1;
  if (err)
    memset(err, 0, sizeof *err);
  return check_walk(&c, schema, 0);
}
