/* SPDX-License-Identifier: Apache-2.0
 * bench/bench_util.h — small helpers shared by the load generators of bench/ (header only, every
 * function static, so each bench_*.c stays one self-contained executable): a monotonic clock,
 * percentiles of a latency sample, the server process's resident set (VmRSS/VmHWM from
 * /proc/PID/status) and CPU time (utime+stime of /proc/PID/stat, all threads), starting a server
 * with its argv (a "{PORT}" element is replaced, PORT exported), and the one machine-readable
 * output line every generator prints: `RESULT key=value ...` (values never contain spaces), which
 * bench/run.sh turns into the results table. Nothing here is used by the product. */
#ifndef WL_BENCH_UTIL_H
#define WL_BENCH_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline int64_t bu_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int bu_cmp64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of a SORTED sample of n values, nearest rank; 0 when empty. */
static inline int64_t bu_pct(const int64_t *sorted, size_t n, double q)
{
  size_t i;
  if (n == 0)
    return 0;
  i = (size_t)(q * (double)n);
  return sorted[i < n ? i : n - 1];
}

/* A "Vm...:" field of /proc/PID/status in kB, -1 when unreadable (process gone). */
static inline long bu_proc_kb(long pid, const char *field)
{
  char path[64], line[256];
  size_t fl = strlen(field);
  long v = -1;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  f = fopen(path, "r");
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, fl) == 0)
      v = strtol(line + fl, NULL, 10);
  fclose(f);
  return v;
}

/* utime+stime of the process (every thread) in ms, -1 when unreadable. */
static inline double bu_proc_cpu_ms(long pid)
{
  char path[64], buf[1024], *p;
  unsigned long long ut = 0, st = 0;
  size_t n;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  f = fopen(path, "r");
  if (!f)
    return -1;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  p = strrchr(buf, ')'); /* comm may hold spaces; fields 3.. follow the last ')' */
  if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* Prints "RESULT k=v k=v ...\n" from a printf format; flushes so run.sh sees it at once. */
static inline void bu_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void bu_result(const char *fmt, ...)
{
  va_list ap;
  fputs("RESULT ", stdout);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  fflush(stdout);
}

/* In the child after fork(): chdir (when dir), replace every "{PORT}" element of argv by `port`
 * (when > 0, also exported as PORT), quiet workledger's log, exec. Never returns. */
static inline void bu_exec_server(char **argv, const char *dir, unsigned port)
{
  char ps[16];
  if (dir && chdir(dir) != 0)
    _exit(127);
  if (port) {
    snprintf(ps, sizeof ps, "%u", port);
    setenv("PORT", ps, 1);
    for (int i = 0; argv[i]; i++)
      if (strcmp(argv[i], "{PORT}") == 0)
        argv[i] = ps;
      else if (strstr(argv[i], "{PORT}")) { /* e.g. 127.0.0.1:{PORT} */
        size_t n = strlen(argv[i]) + sizeof ps;
        char *s = malloc(n), *at = strstr(argv[i], "{PORT}");
        if (!s)
          _exit(127);
        snprintf(s, n, "%.*s%s%s", (int)(at - argv[i]), argv[i], ps, at + 6);
        argv[i] = s;
      }
  }
  if (!getenv("WORKLEDGER_LOG"))
    setenv("WORKLEDGER_LOG", "warning", 1);
  execvp(argv[0], argv);
  _exit(127);
}

#endif
