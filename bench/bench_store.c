/* SPDX-License-Identifier: Apache-2.0
 * bench/bench_store.c — Store throughput and wrap overhead. Prints a table of events appended
 * per second (a) with group commit from N threads and (b) with one commit per event (a single
 * caller, so every ledger_tx is its own transaction), for synchronous=FULL and NORMAL; then the
 * time ledger_wrap_run adds to `true` compared with a bare posix_spawn + wait. Not a test: it
 * asserts nothing. Besides the table it prints one `RESULT k=v ...` line per figure (for
 * bench/run.sh). Usage: bench_store [DIR] [EVENTS] (defaults: $TMPDIR, 2000). */
#include "bench_util.h"
#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "ledger/wrap.h"

#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct job {
  const char *run_id;
  const char *key;
  json_t *payload;
  char out[LEDGER_ID_MAX];
};

static int open_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct job *j = p;
  ledger_run_in in = {j->run_id, "BENCH", "bench", NULL};
  return ledger_txn_run_open(t, &in, j->out, NULL, err);
}

static int append_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct job *j = p;
  ledger_event_in in = {j->run_id, LEDGER_KIND_TOOL_USED, j->key, NULL, NULL, j->payload};
  return ledger_txn_event_append(t, &in, NULL, err);
}

struct worker {
  ledger *l;
  char run[LEDGER_ID_MAX];
  int n, fails;
};

static void *worker_main(void *p)
{
  struct worker *w = p;
  json_t *payload = json_pack("{s:[{s:s,s:s}]}", "tool_refs", "name", "bench", "kind", "shell");
  for (int i = 0; i < w->n; i++) {
    char key[32];
    snprintf(key, sizeof key, "k%d", i);
    struct job j = {w->run, key, payload, ""};
    if (ledger_tx(w->l, append_fn, &j, NULL))
      w->fails++;
  }
  json_decref(payload);
  return NULL;
}

static double run_case(const char *dir, int threads, int total, ledger_durability dur, int *fails)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/bench-%d-%d.db", dir, threads, (int)dur);
  unlink(path);
  ledger_opts o = LEDGER_OPTS_INIT;
  o.create = 1;
  o.durability = dur;
  ledger *l = NULL;
  ledger_err e = {0};
  if (ledger_open(&l, path, &o, &e)) {
    fprintf(stderr, "open %s: %s\n", path, e.msg);
    exit(1);
  }
  struct worker *w = calloc((size_t)threads, sizeof *w);
  pthread_t *th = calloc((size_t)threads, sizeof *th);
  for (int i = 0; i < threads; i++) {
    char id[64];
    snprintf(id, sizeof id, "run_bench_%d", i);
    struct job j = {id, NULL, NULL, ""};
    if (ledger_tx(l, open_fn, &j, &e)) {
      fprintf(stderr, "open run: %s\n", e.msg);
      exit(1);
    }
    w[i].l = l;
    snprintf(w[i].run, sizeof w[i].run, "%s", id);
    w[i].n = total / threads;
  }
  double t0 = now_s();
  for (int i = 0; i < threads; i++)
    pthread_create(&th[i], NULL, worker_main, &w[i]);
  *fails = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    *fails += w[i].fails;
  }
  double dt = now_s() - t0;
  ledger_close(l);
  unlink(path);
  char aux[4200];
  snprintf(aux, sizeof aux, "%s-wal", path);
  unlink(aux);
  snprintf(aux, sizeof aux, "%s-shm", path);
  unlink(aux);
  free(w);
  free(th);
  return (double)(total / threads * threads) / dt;
}

static double bare_spawn(int n)
{
  char *argv[] = {"true", NULL};
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    pid_t pid;
    int st;
    if (posix_spawnp(&pid, "true", NULL, NULL, argv, environ) == 0)
      waitpid(pid, &st, 0);
  }
  return (now_s() - t0) / n;
}

static double wrapped(const char *dir, int n, ledger_durability dur)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/bench-wrap.db", dir);
  unlink(path);
  ledger_opts o = LEDGER_OPTS_INIT;
  o.create = 1;
  o.durability = dur;
  ledger *l = NULL;
  if (ledger_open(&l, path, &o, NULL))
    exit(1);
  seal_key *key = NULL;
  if (seal_key_generate(&key))
    exit(1);
  ledger_work_ctx ctx = {"cli", NULL, NULL, NULL, NULL, key, NULL};
  char *argv[] = {"true", NULL};
  ledger_wrap_opts wo = {.argv = argv, .stdin_fd = -1};
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    ledger_wrap_result r;
    if (ledger_wrap_run(l, &ctx, &wo, &r, NULL))
      exit(1);
  }
  double dt = (now_s() - t0) / n;
  seal_key_free(key);
  ledger_close(l);
  unlink(path);
  return dt;
}

int main(int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : getenv("TMPDIR");
  int total = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 2000;
  if (!dir || !*dir)
    dir = "/tmp";
  if (total < 64)
    total = 64;
  if (seal_init())
    return 1;
  printf("Store append throughput (%d events, tool.used, one event per ledger_tx)\n", total);
  printf("%-10s %-34s %12s %6s\n", "sync", "mode", "events/s", "fails");
  static const int threads[] = {1, 4, 16, 64};
  for (int d = 0; d < 2; d++) {
    ledger_durability dur = d == 0 ? LEDGER_DURABLE_FULL : LEDGER_DURABLE_NORMAL;
    for (size_t k = 0; k < sizeof threads / sizeof threads[0]; k++) {
      int fails = 0;
      double eps = run_case(dir, threads[k], total, dur, &fails);
      char mode[64];
      if (threads[k] == 1)
        snprintf(mode, sizeof mode, "one commit per event (1 caller)");
      else
        snprintf(mode, sizeof mode, "group commit, %d threads", threads[k]);
      printf("%-10s %-34s %12.0f %6d\n", d == 0 ? "FULL" : "NORMAL", mode, eps, fails);
      bu_result("label=store_%s_%dthreads transport=store events=%d eps=%.0f errors=%d",
                d == 0 ? "full" : "normal", threads[k], total / threads[k] * threads[k], eps,
                fails);
    }
  }
  int n = 50;
  double bare = bare_spawn(n);
  double wf = wrapped(dir, n, LEDGER_DURABLE_FULL);
  double wn = wrapped(dir, n, LEDGER_DURABLE_NORMAL);
  printf("\nwrap overhead (`true`, %d runs, library level; 2 commits + signed receipt per run)\n",
         n);
  printf("%-34s %10.3f ms\n", "bare posix_spawn + wait", bare * 1e3);
  printf("%-34s %10.3f ms  (+%.3f ms)\n", "ledger_wrap_run, sync FULL", wf * 1e3,
         (wf - bare) * 1e3);
  printf("%-34s %10.3f ms  (+%.3f ms)\n", "ledger_wrap_run, sync NORMAL", wn * 1e3,
         (wn - bare) * 1e3);
  bu_result(
      "label=wrap_lib_full transport=store runs=%d mean_ms=%.3f bare_ms=%.3f overhead_ms=%.3f", n,
      wf * 1e3, bare * 1e3, (wf - bare) * 1e3);
  bu_result(
      "label=wrap_lib_normal transport=store runs=%d mean_ms=%.3f bare_ms=%.3f overhead_ms=%.3f", n,
      wn * 1e3, bare * 1e3, (wn - bare) * 1e3);
  return 0;
}
