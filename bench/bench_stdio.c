/* SPDX-License-Identifier: Apache-2.0
 * bench/bench_stdio.c — a pipelining MCP load generator over stdio for ANY server command (our
 * `workledger serve` or the reference TypeScript server-everything): it execs SERVER ARGV..., sends
 * `initialize` at once (exec → initialize response is the start-up time), `notifications/
 * initialized` and `tools/list` (a scenario whose tool is not listed is skipped with a message),
 * optionally claims a lease (motus_work_claim; "$LEASE" in --args is replaced), records the idle
 * RSS, then keeps --window tools/call requests in flight (a warm-up share first) and measures each
 * call from request written to response read, matched by id. Reports calls/s, p50/p90/p99, errors,
 * the server's CPU time (user+sys over the measured calls, and per call), RSS idle / under load
 * (max of samples) / peak (VmHWM). Every loop is bounded by --calls and --max-seconds; a silent
 * server is killed. Output: a human line on stderr and one `RESULT k=v ...` line on stdout.
 * Usage: bench_stdio [--label L] [--tool NAME] [--args JSON] [--calls N] [--window N]
 *        [--warmup N] [--max-seconds S] [--cwd DIR] [--claim WORK_ID] [--server-log FILE] -- SERVER [ARG...] */
#include "bench_util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_BYTES (8u << 20)

typedef struct conn {
  pid_t pid;
  int in, out; /* server stdin (we write), server stdout (we read) */
  char *buf;   /* unread bytes of stdout: [off, len) */
  size_t off, len, cap;
  int64_t deadline_ns;
} conn;

static int write_all(int fd, const char *s, size_t n)
{
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The next line of server stdout (NUL-terminated, valid until the next call), NULL on EOF, error
 * or the deadline. */
static char *read_line(conn *c, size_t *n_out)
{
  for (;;) {
    char *nl = c->len > c->off ? memchr(c->buf + c->off, '\n', c->len - c->off) : NULL;
    if (nl) {
      char *line = c->buf + c->off;
      *nl = '\0';
      *n_out = (size_t)(nl - line);
      c->off = (size_t)(nl - c->buf) + 1;
      return line;
    }
    if (c->off > 0) { /* compact */
      memmove(c->buf, c->buf + c->off, c->len - c->off);
      c->len -= c->off;
      c->off = 0;
    }
    if (c->cap - c->len < 65536) {
      char *nb;
      if (c->cap >= LINE_MAX_BYTES)
        return NULL;
      nb = realloc(c->buf, c->cap * 2);
      if (!nb)
        return NULL;
      c->buf = nb;
      c->cap *= 2;
    }
    {
      int64_t left = (c->deadline_ns - bu_now_ns()) / 1000000;
      struct pollfd p = {c->out, POLLIN, 0};
      int r;
      ssize_t k;
      if (left <= 0)
        return NULL;
      r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
      if (r < 0 && errno != EINTR)
        return NULL;
      if (r <= 0)
        continue;
      k = read(c->out, c->buf + c->len, c->cap - c->len - 1);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0)
        return NULL;
      c->len += (size_t)k;
    }
  }
}

/* A minimal scanner of one JSON-RPC response: the integer value of the top-level "id" (-1 when
 * absent or not an integer) and whether it is a failure (top-level "error", or a result with
 * "isError":true). Skips strings, so ids nested in the payload are never taken. */
static long scan_response(const char *s, int *failed)
{
  int depth = 0;
  long id = -1;
  *failed = strstr(s, "\"isError\":true") != NULL;
  for (const char *p = s; *p; p++) {
    if (*p == '{' || *p == '[') {
      depth++;
    } else if (*p == '}' || *p == ']') {
      depth--;
    } else if (*p == '"') {
      const char *k = ++p;
      while (*p && *p != '"')
        p += (*p == '\\' && p[1]) ? 2 : 1;
      if (!*p)
        break;
      if (depth == 1) {
        size_t kl = (size_t)(p - k);
        const char *v = p + 1;
        while (*v == ' ' || *v == ':')
          v++;
        if (kl == 2 && memcmp(k, "id", 2) == 0 && (*v == '-' || (*v >= '0' && *v <= '9')))
          id = strtol(v, NULL, 10);
        else if (kl == 5 && memcmp(k, "error", 5) == 0 && v[-1] == ':')
          *failed = 1;
      }
    }
  }
  return id;
}

static int start(conn *c, char **argv, const char *dir, const char *log)
{
  int to[2], from[2];
  if (pipe(to) || pipe(from))
    return -1;
  c->pid = fork();
  if (c->pid < 0)
    return -1;
  if (c->pid == 0) {
    dup2(to[0], 0);
    dup2(from[1], 1);
    close(to[0]);
    close(to[1]);
    close(from[0]);
    close(from[1]);
    if (log && !freopen(log, "a", stderr))
      _exit(127);
    bu_exec_server(argv, dir, 0);
  }
  close(to[0]);
  close(from[1]);
  c->in = to[1];
  c->out = from[0];
  c->cap = 1 << 20;
  c->buf = malloc(c->cap);
  return c->buf ? 0 : -1;
}

/* Reads lines until the response with string id `want` (notifications and others are skipped). */
static char *await_id(conn *c, const char *want)
{
  char pat[64];
  size_t n;
  char *line;
  snprintf(pat, sizeof pat, "\"id\":\"%s\"", want);
  while ((line = read_line(c, &n)))
    if (strstr(line, pat))
      return line;
  return NULL;
}

static void usage(void)
{
  fputs(
      "usage: bench_stdio [--label L] [--tool NAME] [--args JSON] [--calls N] [--window N]\n"
      "                   [--warmup N] [--max-seconds S] [--cwd DIR] [--claim WORK_ID] [--server-log FILE] -- SERVER [ARG...]\n",
      stderr);
}

int main(int argc, char **argv)
{
  const char *label = "stdio", *tool = "motebit_identity", *args_in = "{}", *dir = NULL,
             *claim = NULL, *server_log = NULL;
  long calls = 5000, window = 16, warmup = -1;
  double max_s = 20;
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    if (strcmp(a, "--label") == 0)
      label = argv[++i];
    else if (strcmp(a, "--tool") == 0)
      tool = argv[++i];
    else if (strcmp(a, "--args") == 0)
      args_in = argv[++i];
    else if (strcmp(a, "--calls") == 0)
      calls = strtol(argv[++i], NULL, 10);
    else if (strcmp(a, "--window") == 0)
      window = strtol(argv[++i], NULL, 10);
    else if (strcmp(a, "--warmup") == 0)
      warmup = strtol(argv[++i], NULL, 10);
    else if (strcmp(a, "--max-seconds") == 0)
      max_s = strtod(argv[++i], NULL);
    else if (strcmp(a, "--cwd") == 0)
      dir = argv[++i];
    else if (strcmp(a, "--claim") == 0)
      claim = argv[++i];
    else if (strcmp(a, "--server-log") == 0)
      server_log = argv[++i];
    else {
      usage();
      return 2;
    }
  }
  if (i >= argc || calls < 1 || calls > 10000000 || window < 1 || window > 256 || max_s <= 0 ||
      strlen(args_in) > 4096) {
    usage();
    return 2;
  }
  if (warmup < 0)
    warmup = calls / 10 < 2000 ? calls / 10 : 2000;
  signal(SIGPIPE, SIG_IGN);

  conn c = {0};
  char req[8192], args[8192];
  size_t n;
  char *line;
  int64_t t_exec = bu_now_ns(), t_init;
  c.deadline_ns = t_exec + (int64_t)(max_s * 1e9);
  if (start(&c, argv + i, dir, server_log) != 0) {
    fprintf(stderr, "bench_stdio: cannot start %s\n", argv[i]);
    return 1;
  }
  static const char init[] =
      "{\"jsonrpc\":\"2.0\",\"id\":\"init\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
      "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"workledger-bench\",\"version\":\"0\"}}}\n";
  if (write_all(c.in, init, sizeof init - 1) || !(line = await_id(&c, "init"))) {
    fprintf(stderr, "bench_stdio: %s: no initialize response\n", label);
    kill(c.pid, SIGKILL);
    waitpid(c.pid, NULL, 0);
    return 1;
  }
  t_init = bu_now_ns();
  static const char after[] =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
      "{\"jsonrpc\":\"2.0\",\"id\":\"list\",\"method\":\"tools/list\",\"params\":{}}\n";
  if (write_all(c.in, after, sizeof after - 1) || !(line = await_id(&c, "list"))) {
    fprintf(stderr, "bench_stdio: %s: no tools/list response\n", label);
    kill(c.pid, SIGKILL);
    waitpid(c.pid, NULL, 0);
    return 1;
  }
  {
    char pat[200];
    snprintf(pat, sizeof pat, "\"name\":\"%s\"", tool);
    if (!strstr(line, pat)) {
      printf("SKIP %s: the server's tools/list has no %s\n", label, tool);
      fflush(stdout);
      close(c.in);
      kill(c.pid, SIGTERM);
      waitpid(c.pid, NULL, 0);
      return 0;
    }
  }
  snprintf(args, sizeof args, "%s", args_in);
  if (claim) {
    char *lease, *at, *end;
    snprintf(req, sizeof req,
             "{\"jsonrpc\":\"2.0\",\"id\":\"claim\",\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"motus_work_claim\",\"arguments\":{\"work_id\":\"%s\",\"ttl\":86400}}}\n",
             claim);
    if (write_all(c.in, req, strlen(req)) || !(line = await_id(&c, "claim")) ||
        !(lease = strstr(line, "\"lease_id\":\"")) || !(end = strchr(lease + 12, '"'))) {
      fprintf(stderr, "bench_stdio: %s: claim failed: %.300s\n", label,
              line ? line : "(no answer)");
      kill(c.pid, SIGKILL);
      waitpid(c.pid, NULL, 0);
      return 1;
    }
    lease += 12;
    if ((at = strstr(args, "$LEASE"))) { /* a tool that reads by work id needs no lease */
      snprintf(req, sizeof req, "%.*s%.*s%s", (int)(at - args), args, (int)(end - lease), lease,
               at + 6);
      snprintf(args, sizeof args, "%s", req);
    }
  }
  usleep(100000); /* let start-up allocations settle before the idle sample */
  long rss_idle = bu_proc_kb(c.pid, "VmRSS:");

  long total = warmup + calls, next = 0, done = 0, errors = 0, measured = 0;
  int64_t *sent = calloc((size_t)total, sizeof *sent), *lat = calloc((size_t)calls, sizeof *lat);
  int64_t t0 = 0, t1 = 0, last_sample = 0;
  double cpu0 = 0, cpu1;
  long rss_load = rss_idle;
  if (!sent || !lat)
    return 1;
  if ((strlen(args) + 200) * (size_t)window > 60000) { /* keep the window within one pipe buffer */
    fprintf(stderr, "bench_stdio: --args too long for a window of %ld\n", window);
    return 2;
  }
  if (warmup == 0) {
    t0 = bu_now_ns();
    cpu0 = bu_proc_cpu_ms(c.pid);
  }
  while (done < total) {
    /* Fill the window. Requests are small; window * request < pipe buffer, so this never blocks
     * on a server that is itself blocked writing responses. */
    size_t blen = 0, alen = strlen(args);
    char batch[256 * 600];
    while (next < total && next - done < window && blen + alen + 300 < sizeof batch) {
      int k = snprintf(
          batch + blen, sizeof batch - blen,
          "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"tools/call\",\"params\":{\"name\":"
          "\"%s\",\"arguments\":%s}}\n",
          next, tool, args);
      sent[next++] = bu_now_ns();
      blen += (size_t)k;
    }
    if (blen && write_all(c.in, batch, blen)) {
      fprintf(stderr, "bench_stdio: %s: server closed its stdin\n", label);
      break;
    }
    if (!(line = read_line(&c, &n))) {
      fprintf(stderr, "bench_stdio: %s: server closed the stream or went silent (deadline)\n",
              label);
      break;
    }
    {
      int failed;
      long id = scan_response(line, &failed);
      int64_t t = bu_now_ns();
      if (id < 0 || id >= next)
        continue; /* a notification or a stray message */
      done++;
      if (id >= warmup) {
        lat[measured++] = t - sent[id];
        errors += failed;
      }
      if (done == warmup) { /* the measured phase starts with the next request */
        t0 = bu_now_ns();
        cpu0 = bu_proc_cpu_ms(c.pid);
      }
      if (t - last_sample > 50000000) { /* RSS under load: a sample every 50 ms */
        long r = bu_proc_kb(c.pid, "VmRSS:");
        if (r > rss_load)
          rss_load = r;
        last_sample = t;
      }
    }
  }
  t1 = bu_now_ns();
  cpu1 = bu_proc_cpu_ms(c.pid);
  {
    long r = bu_proc_kb(c.pid, "VmRSS:");
    if (r > rss_load)
      rss_load = r;
  }
  long rss_peak = bu_proc_kb(c.pid, "VmHWM:");
  if (rss_peak < rss_load) /* VmHWM lags: RSS counters are synced lazily */
    rss_peak = rss_load;
  close(c.in); /* EOF: the server finishes and exits */
  {
    struct rusage ru;
    int st = 0;
    int64_t stop = bu_now_ns() + 5000000000LL;
    pid_t w = 0;
    while ((w = wait4(c.pid, &st, WNOHANG, &ru)) == 0 && bu_now_ns() < stop) {
      c.deadline_ns = bu_now_ns() + 100000000;
      if (!read_line(&c, &n))
        usleep(10000);
    }
    if (w == 0) {
      kill(c.pid, SIGKILL);
      waitpid(c.pid, NULL, 0);
    }
  }
  if (measured == 0) {
    fprintf(stderr, "bench_stdio: %s: no measured calls\n", label);
    return 1;
  }
  qsort(lat, (size_t)measured, sizeof *lat, bu_cmp64);
  double secs = (double)(t1 - t0) / 1e9, cpu = cpu1 - cpu0;
  double cps = (double)measured / secs;
  double init_ms = (double)(t_init - t_exec) / 1e6;
  fprintf(
      stderr,
      "%-28s %7ld calls w=%-3ld %8.0f calls/s  p50 %.3f  p90 %.3f  p99 %.3f ms  cpu %.0f us/call  "
      "rss idle/load/peak %ld/%ld/%ld kB  init %.2f ms  errors %ld\n",
      label, measured, window, cps, bu_pct(lat, (size_t)measured, .5) / 1e6,
      bu_pct(lat, (size_t)measured, .9) / 1e6, bu_pct(lat, (size_t)measured, .99) / 1e6,
      cpu * 1000.0 / (double)measured, rss_idle, rss_load, rss_peak, init_ms, errors);
  bu_result("label=%s transport=stdio tool=%s calls=%ld window=%ld secs=%.3f cps=%.0f p50_ms=%.3f "
            "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%ld cpu_ms=%.0f cpu_us_per_call=%.1f "
            "rss_idle_kb=%ld rss_load_kb=%ld rss_peak_kb=%ld init_ms=%.2f complete=%d",
            label, tool, measured, window, secs, cps, bu_pct(lat, (size_t)measured, .5) / 1e6,
            bu_pct(lat, (size_t)measured, .9) / 1e6, bu_pct(lat, (size_t)measured, .99) / 1e6,
            lat[measured - 1] / 1e6, errors, cpu, cpu * 1000.0 / (double)measured, rss_idle,
            rss_load, rss_peak, init_ms, done == total);
  free(sent);
  free(lat);
  free(c.buf);
  return errors || done != total ? 1 : 0;
}
