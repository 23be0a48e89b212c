/* SPDX-License-Identifier: Apache-2.0
 * crypto/graveyard.c — frees handed back to the threads that allocate. The Store's writer thread
 * ends the calls that a reader thread began: it used to free their requests, trees and texts
 * itself, and every such free() took the lock of the reader's malloc arena while the reader was
 * allocating from it (the futex wake/wait pairs of glibc's arena lock were most of the server's
 * futex calls). A thread between seal_graveyard_begin() and seal_graveyard_end() collects what it
 * frees through seal_free_soon() (and every jansson tree it releases: seal_init makes
 * seal_free_soon jansson's free function) into a vector of its own; end() moves the vector into
 * the graveyard under one mutex, and the next seal_graveyard_drain(), made by the thread that
 * submits the next request, frees it all. The graveyard is bounded: past GY_MAX pointers the
 * collector frees directly again. */
#include "crypto/seal_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define GY_MAX 65536 /* pointers waiting in the graveyard at most */

typedef struct gy_vec {
  void **v;
  size_t n, cap;
} gy_vec;

static _Thread_local gy_vec tl_vec; /* this thread's collection; its storage is reused */
static _Thread_local int tl_on;
static pthread_mutex_t gy_mu = PTHREAD_MUTEX_INITIALIZER;
static gy_vec gy;             /* under gy_mu */
static atomic_size_t gy_wait; /* gy.n, read without the mutex by drain */

void seal_graveyard_begin(void)
{
  tl_on = 1;
}

static void free_all(void **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
}

void seal_free_soon(void *p)
{
  if (!p)
    return;
  if (!tl_on) {
    free(p);
    return;
  }
  if (tl_vec.n == tl_vec.cap) {
    size_t cap = tl_vec.cap ? 2 * tl_vec.cap : 256;
    void **v = cap <= GY_MAX ? realloc(tl_vec.v, cap * sizeof *v) : NULL;
    if (!v) {
      free(p);
      return;
    }
    tl_vec.v = v;
    tl_vec.cap = cap;
  }
  tl_vec.v[tl_vec.n++] = p;
}

void seal_graveyard_end(void)
{
  size_t n = tl_vec.n;
  tl_on = 0;
  if (!n)
    return;
  pthread_mutex_lock(&gy_mu);
  if (gy.n + n <= GY_MAX && gy.n + n > gy.cap) {
    size_t cap = gy.cap ? gy.cap : 1024;
    while (cap < gy.n + n)
      cap *= 2;
    void **v = realloc(gy.v, cap * sizeof *v);
    if (v) {
      gy.v = v;
      gy.cap = cap;
    }
  }
  if (gy.n + n <= gy.cap) {
    memcpy(gy.v + gy.n, tl_vec.v, n * sizeof *tl_vec.v);
    gy.n += n;
    atomic_store_explicit(&gy_wait, gy.n, memory_order_release);
    n = 0;
  }
  pthread_mutex_unlock(&gy_mu);
  if (n) /* the graveyard is full (nobody drains) or out of memory: free here after all */
    free_all(tl_vec.v, n);
  tl_vec.n = 0;
}

size_t seal_graveyard_drain(void)
{
  gy_vec take;
  if (atomic_load_explicit(&gy_wait, memory_order_acquire) == 0)
    return 0;
  pthread_mutex_lock(&gy_mu);
  take = gy;
  memset(&gy, 0, sizeof gy);
  atomic_store_explicit(&gy_wait, 0, memory_order_relaxed);
  pthread_mutex_unlock(&gy_mu);
  free_all(take.v, take.n);
  free(take.v);
  return take.n;
}

void seal_graveyard_thread_end(void)
{
  tl_on = 0;
  free_all(tl_vec.v, tl_vec.n);
  free(tl_vec.v);
  memset(&tl_vec, 0, sizeof tl_vec);
}
