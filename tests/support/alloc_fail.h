/* SPDX-License-Identifier: Apache-2.0
 * tests/support/alloc_fail.h — allocation-failure injection for the OOM sweeps
 * (tests/unit/<folder>/test_oom.c): a counting allocator that can fail the i-th allocation of a code path, and
 * af_sweep, which runs a path once to count its allocations (N) and then N more times with
 * allocation 1, 2, ... N failing in turn (as jansson's chaos test does).
 *
 * What is covered: every unit executable is linked with -Wl,--wrap=malloc,calloc,realloc,
 * strdup,strndup (tests/CMakeLists.txt), so calls to those from our static libraries and from
 * the static archives linked into the test (jansson, sqlite3, Check) come here; jansson's
 * allocator is also installed with json_set_alloc_funcs, so a shared libjansson is covered too.
 * Except: inside jansson's json_load* and json_dumps only the first allocation is swept, because
 * jansson 2.14 mishandles some of the others (alloc_fail.c explains; AF_FAIL_IN_JANSSON=1 sweeps
 * them all).
 * Not covered: allocations inside the C library itself (fopen, regcomp, printf, pthread),
 * libsodium's sodium_malloc (mmap), and asprintf/getline-style functions (none in the swept
 * paths). Counting is process-wide while armed, so a swept path may run on worker threads, but
 * it must be deterministic: af_sweep fails the test when two counting runs disagree.
 * Test code only; no assertion may run while armed (Check itself allocates). */
#ifndef WL_TEST_ALLOC_FAIL_H
#define WL_TEST_ALLOC_FAIL_H
#include <stddef.h>

/* Arms the allocator: from now on allocations are counted from 1, and allocation number
 * `fail_at` (1-based) returns NULL; 0 = count only. */
void af_arm(long fail_at);
/* Disarms; returns the number of allocations seen while armed. */
long af_disarm(void);
/* 1 when the armed allocation failure has happened since af_arm. */
int af_fired(void);

/* One run of a swept path. `fail_at` is 0 for a counting run (which must succeed) and i for the
 * run with the i-th allocation failing. The function arms with af_arm(fail_at) itself, around
 * exactly the code under test, disarms, then checks its outcome (assertions allowed after
 * af_disarm) and releases everything. */
typedef void (*af_path_fn)(long fail_at, void *ctx);

/* Counts the allocations of `path` (two counting runs that must agree; at least one allocation),
 * then runs it with each allocation failing in turn. When N exceeds `max_runs` (0 = no cap),
 * only max_runs failure points spread evenly over 1..N are tried (always including 1 and N).
 * Returns N. Under AddressSanitizer it ends with a leak check and fails the test, naming
 * `name`, when anything leaked. */
long af_sweep(const char *name, af_path_fn path, void *ctx, long max_runs);

#endif
