/* SPDX-License-Identifier: Apache-2.0
 * ledger/pg_dl.c — loads libpq on first use (see ledger/pg_int.h): dlopen of the library by its
 * ABI soname (then the unversioned name) and dlsym of every function of LEDGER_PQ_FUNCS into the
 * table, once per process under pthread_once. A library that is missing, or lacks a function,
 * leaves the table NULL and a one-line reason; nothing is retried and nothing is unloaded. */
#include "ledger/pg_int.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

/* The names, read before pg_int.h's macros would turn them into table slots. */
#undef LEDGER_PQ_NAME
#define LEDGER_PQ_NAME(f) #f,
static const char *const pq_names[] = {LEDGER_PQ_FUNCS(LEDGER_PQ_NAME)};

const ledger_pq_api *ledger__pq;
static ledger_pq_api pq_table;
static const char *pq_why = "libpq not loaded";
static pthread_once_t pq_once = PTHREAD_ONCE_INIT;

static void pq_open(void)
{
  static const char *const libs[] = {"libpq.so.5", "libpq.so"};
  void *slots[sizeof pq_names / sizeof pq_names[0]];
  void *h = NULL;
  _Static_assert(sizeof pq_table == sizeof slots, "one slot per name");
  for (size_t i = 0; !h && i < sizeof libs / sizeof libs[0]; i++)
    h = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    pq_why = "cannot load libpq (libpq.so.5; Debian package libpq5)";
    return;
  }
  for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
    slots[i] = dlsym(h, pq_names[i]);
    if (!slots[i]) {
      pq_why = "libpq lacks a function workledger needs";
      return;
    }
  }
  memcpy(&pq_table, slots, sizeof pq_table);
  ledger__pq = &pq_table;
}

int ledger__pq_load(const char **why)
{
  pthread_once(&pq_once, pq_open);
  if (why)
    *why = ledger__pq ? NULL : pq_why;
  return ledger__pq ? 0 : -1;
}
