/* SPDX-License-Identifier: Apache-2.0
 * bench/bench_exec.c — wall time of running one command to completion, N times in a row: a
 * posix_spawn of ARGV (stdin, stdout and stderr on /dev/null),
 * then wait. Used for the CLI-level figures: `workledger verify FILE` as a whole exec, `workledger
 * wrap -- true` against a bare `true` (the wrap overhead), start-up costs. Two warm-up runs are
 * not counted; a run with an unexpected exit status counts as an error. Bounded by --runs and
 * --max-seconds. Output: a human line on stderr, one `RESULT k=v ...` line on stdout.
 * Usage: bench_exec [--label L] [--runs 200] [--max-seconds 20] [--cwd DIR] [--expect STATUS]
 *        -- CMD [ARG...] */
#include "bench_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
  const char *label = "exec", *dir = NULL;
  long runs = 200, expect = 0;
  double max_s = 20;
  int i;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (i + 1 >= argc)
      break;
    if (strcmp(argv[i], "--label") == 0)
      label = argv[++i];
    else if (strcmp(argv[i], "--runs") == 0)
      runs = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--max-seconds") == 0)
      max_s = strtod(argv[++i], NULL);
    else if (strcmp(argv[i], "--cwd") == 0)
      dir = argv[++i];
    else if (strcmp(argv[i], "--expect") == 0)
      expect = strtol(argv[++i], NULL, 10);
    else
      break;
  }
  if (i >= argc || runs < 1 || runs > 100000 || max_s <= 0) {
    fputs(
        "usage: bench_exec [--label L] [--runs N] [--max-seconds S] [--cwd DIR] [--expect STATUS] -- CMD [ARG...]\n",
        stderr);
    return 2;
  }
  if (dir && chdir(dir) != 0) {
    perror(dir);
    return 2;
  }
  setenv("WORKLEDGER_LOG", "warning", 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  int64_t *lat = calloc((size_t)runs, sizeof *lat);
  long n = 0, errors = 0;
  int64_t stop = bu_now_ns() + (int64_t)(max_s * 1e9);
  if (!lat)
    return 1;
  for (long k = -2; k < runs && bu_now_ns() < stop; k++) {
    pid_t pid;
    int st = 0;
    int64_t t0 = bu_now_ns();
    if (posix_spawnp(&pid, argv[i], &fa, NULL, argv + i, environ) != 0 ||
        waitpid(pid, &st, 0) != pid) {
      errors++;
      continue;
    }
    if (k < 0)
      continue;
    lat[n++] = bu_now_ns() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != expect)
      errors++;
  }
  posix_spawn_file_actions_destroy(&fa);
  if (n == 0) {
    fprintf(stderr, "bench_exec: %s: no run completed\n", label);
    return 1;
  }
  double mean = 0;
  for (long k = 0; k < n; k++)
    mean += (double)lat[k];
  mean /= (double)n;
  qsort(lat, (size_t)n, sizeof *lat, bu_cmp64);
  fprintf(stderr, "%-28s %5ld runs  mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f ms  errors %ld\n",
          label, n, mean / 1e6, bu_pct(lat, (size_t)n, .5) / 1e6, bu_pct(lat, (size_t)n, .9) / 1e6,
          bu_pct(lat, (size_t)n, .99) / 1e6, errors);
  bu_result(
      "label=%s transport=exec runs=%ld mean_ms=%.3f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f errors=%ld",
      label, n, mean / 1e6, bu_pct(lat, (size_t)n, .5) / 1e6, bu_pct(lat, (size_t)n, .9) / 1e6,
      bu_pct(lat, (size_t)n, .99) / 1e6, errors);
  free(lat);
  return errors ? 1 : 0;
}
