/* SPDX-License-Identifier: Apache-2.0
 * tests/support/alloc_fail.c — the counting, failing allocator of alloc_fail.h. The unit
 * executables are linked with --wrap for malloc, calloc, realloc, strdup and strndup, so every
 * reference to those in the linked objects and static archives resolves to the __wrap_ functions
 * below, which call the real (under ASan: the sanitizer's) allocator unless the armed failure
 * point is reached. Unarmed, they only pass through. Our calls of jansson's json_load* and
 * json_dumps are wrapped as well, to mark where jansson's own OOM bugs lie (see below).
 * Test code only. */
#include "tests/support/alloc_fail.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define AF_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AF_LSAN 1
#endif
#endif
#ifdef AF_LSAN
#include <sanitizer/lsan_interface.h>
#endif

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
json_t *__real_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error);
json_t *__real_json_loads(const char *text, size_t flags, json_error_t *error);
json_t *__real_json_loadf(FILE *f, size_t flags, json_error_t *error);
json_t *__real_json_load_file(const char *path, size_t flags, json_error_t *error);
char *__real_json_dumps(const json_t *json, size_t flags);
json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error);
json_t *__wrap_json_loads(const char *text, size_t flags, json_error_t *error);
json_t *__wrap_json_loadf(FILE *f, size_t flags, json_error_t *error);
json_t *__wrap_json_load_file(const char *path, size_t flags, json_error_t *error);
char *__wrap_json_dumps(const json_t *json, size_t flags);

static atomic_int armed;
static atomic_long counted;
static atomic_long fail_at_n;
static atomic_int fired;
/* > 0 while this thread is inside jansson's parser or json_dumps; shield_first: the first
 * allocation of that call has not been seen yet. */
static _Thread_local int shielded, shield_first;
static int jansson_unshielded = -1; /* AF_FAIL_IN_JANSSON=1 */

/* 1 when this allocation is the one to fail. */
static int af_fail_now(void)
{
  long n;
  if (!atomic_load(&armed))
    return 0;
  if (shielded) {
    if (!shield_first)
      return 0;
    shield_first = 0;
  }
  n = atomic_fetch_add(&counted, 1) + 1;
  if (n != atomic_load(&fail_at_n))
    return 0;
  atomic_store(&fired, 1);
  errno = ENOMEM;
  return 1;
}

void *__wrap_malloc(size_t n)
{
  return af_fail_now() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t size)
{
  return af_fail_now() ? NULL : __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t n)
{
  return af_fail_now() ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s)
{
  return af_fail_now() ? NULL : __real_strdup(s);
}
char *__wrap_strndup(const char *s, size_t n)
{
  return af_fail_now() ? NULL : __real_strndup(s, n);
}

/* jansson 2.14 does not survive every allocation failure inside its parser and serializer:
 * - the parser's lex_save() drops the error of growing the token buffer, and a string token
 *   missing its closing quote is then scanned past its end (a crash; akheron/jansson#362);
 * - json_dumps ignores the error of writing an object key (do_dump does not check dump_string,
 *   akheron/jansson#655) and returns invalid JSON such as {"id":1,"result:{...}} as a success.
 * Both are upstream and open, so inside json_load* and json_dumps only the FIRST allocation is
 * swept (the buffer the call starts with: failing it fails the whole call cleanly, which
 * exercises our handling of a NULL return); the others are neither counted nor failed.
 * AF_FAIL_IN_JANSSON=1 in the environment sweeps them all (and shows the bugs). */
static void shield_enter(void)
{
  if (jansson_unshielded < 0) {
    const char *e = getenv("AF_FAIL_IN_JANSSON");
    jansson_unshielded = e && strcmp(e, "1") == 0;
  }
  if (!jansson_unshielded && shielded++ == 0)
    shield_first = 1;
}
static void shield_leave(void)
{
  if (!jansson_unshielded)
    shielded--;
}

json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error)
{
  json_t *v;
  shield_enter();
  v = __real_json_loadb(buf, len, flags, error);
  shield_leave();
  return v;
}
json_t *__wrap_json_loads(const char *text, size_t flags, json_error_t *error)
{
  json_t *v;
  shield_enter();
  v = __real_json_loads(text, flags, error);
  shield_leave();
  return v;
}
json_t *__wrap_json_loadf(FILE *f, size_t flags, json_error_t *error)
{
  json_t *v;
  shield_enter();
  v = __real_json_loadf(f, flags, error);
  shield_leave();
  return v;
}
json_t *__wrap_json_load_file(const char *path, size_t flags, json_error_t *error)
{
  json_t *v;
  shield_enter();
  v = __real_json_load_file(path, flags, error);
  shield_leave();
  return v;
}
char *__wrap_json_dumps(const json_t *json, size_t flags)
{
  char *t;
  shield_enter();
  t = __real_json_dumps(json, flags);
  shield_leave();
  return t;
}

/* jansson's allocator: with a static libjansson its own malloc references are wrapped already;
 * installing these as well covers a shared one. */
static void *af_json_malloc(size_t n)
{
  return __wrap_malloc(n);
}
static void af_json_free(void *p)
{
  free(p);
}

void af_arm(long fail_at)
{
  static int installed;
  if (!installed) {
    json_set_alloc_funcs(af_json_malloc, af_json_free);
    installed = 1;
  }
  atomic_store(&counted, 0);
  atomic_store(&fired, 0);
  atomic_store(&fail_at_n, fail_at);
  atomic_store(&armed, 1);
}

long af_disarm(void)
{
  atomic_store(&armed, 0);
  return atomic_load(&counted);
}

int af_fired(void)
{
  return atomic_load(&fired);
}

/* The run of a path that counts, and the count. */
static long af_count(af_path_fn path, void *ctx)
{
  path(0, ctx);
  return atomic_load(&counted);
}

long af_sweep(const char *name, af_path_fn path, void *ctx, long max_runs)
{
  long n = af_count(path, ctx), again = af_count(path, ctx), runs;
  ck_assert_msg(n == again, "%s: allocation count not deterministic (%ld, then %ld)", name, n,
                again);
  ck_assert_msg(n > 0, "%s: no allocation seen (is the --wrap link option missing?)", name);
  runs = max_runs > 1 && n > max_runs ? max_runs : n;
  for (long k = 0; k < runs; k++) {
    long i = runs == n ? k + 1 : 1 + k * (n - 1) / (runs - 1);
    path(i, ctx);
    ck_assert_msg(af_fired(), "%s: allocation %ld of %ld was never reached", name, i, n);
  }
#ifdef AF_LSAN
  ck_assert_msg(__lsan_do_recoverable_leak_check() == 0,
                "%s: memory leaked on an allocation-failure path (LeakSanitizer report above)",
                name);
#endif
  fprintf(stderr, "oom sweep %s: %ld allocations, %ld failure runs\n", name, n, runs);
  return n;
}
