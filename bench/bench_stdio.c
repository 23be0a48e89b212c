/* SPDX-License-Identifier: Apache-2.0
 * bench/bench_stdio.c — a pipelining MCP client for `workledger serve` over stdio. It starts the
 * server on a fresh Store (durability full unless told otherwise), initializes, then keeps
 * `window` tools/call requests in flight and measures each call's latency (request written →
 * response read, matched by id). Reports calls/s and p50/p99 for motebit_identity and
 * motus_work_evidence (against one claimed lease). Not a test: it prints numbers.
 * Usage: bench_stdio WORKLEDGER_BIN [calls=2000] [window=32] [durability=full] [workers=16] */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct conn {
  pid_t pid;
  FILE *in;  /* server stdin */
  FILE *out; /* server stdout */
} conn;

static const char *workers = "16";

static int start(conn *c, const char *bin, const char *dir, const char *durability)
{
  int to[2], from[2];
  if (pipe(to) || pipe(from))
    return -1;
  c->pid = fork();
  if (c->pid < 0)
    return -1;
  if (c->pid == 0) {
    char store[4096];
    snprintf(store, sizeof store, "%s/.motus/kernel-store.db", dir);
    dup2(to[0], 0);
    dup2(from[1], 1);
    close(to[1]);
    close(from[0]);
    if (chdir(dir) != 0)
      _exit(127);
    setenv("WORKLEDGER_LOG", "warning", 1);
    execl(bin, bin, "serve", "--store", store, "--durability", durability, "--ephemeral-key",
          "--workers", workers, "--window", "64", (char *)NULL);
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  c->in = fdopen(to[1], "w");
  c->out = fdopen(from[0], "r");
  return c->in && c->out ? 0 : -1;
}

static json_t *read_msg(conn *c)
{
  static char *line;
  static size_t cap;
  ssize_t n = getline(&line, &cap, c->out);
  if (n <= 0)
    return NULL;
  return json_loadb(line, (size_t)n, 0, NULL);
}

static void send_line(conn *c, const char *s)
{
  fputs(s, c->in);
  fputc('\n', c->in);
}

static int cmp64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static void run(conn *c, const char *label, const char *tool, const char *args, int calls, int window)
{
  int64_t *sent = calloc((size_t)calls, sizeof *sent);
  int64_t *lat = calloc((size_t)calls, sizeof *lat);
  int next = 0, done = 0, errors = 0;
  int64_t t0 = now_ns(), t1;
  char buf[1024];
  while (done < calls) {
    while (next < calls && next - done < window) {
      snprintf(buf, sizeof buf,
               "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
               "\"arguments\":%s}}",
               next, tool, args);
      sent[next] = now_ns();
      send_line(c, buf);
      next++;
    }
    fflush(c->in);
    {
      json_t *m = read_msg(c);
      json_t *id;
      if (!m) {
        fprintf(stderr, "bench: server closed the stream\n");
        exit(1);
      }
      id = json_object_get(m, "id");
      if (json_is_integer(id)) {
        int i = (int)json_integer_value(id);
        if (i >= 0 && i < calls) {
          lat[done++] = now_ns() - sent[i];
          if (json_object_get(m, "error") ||
              json_is_true(json_object_get(json_object_get(m, "result"), "isError")))
            errors++;
        }
      }
      json_decref(m);
    }
  }
  t1 = now_ns();
  qsort(lat, (size_t)calls, sizeof *lat, cmp64);
  printf("%-22s calls=%d window=%d  %.0f calls/s  p50=%.2f ms  p99=%.2f ms  errors=%d\n", label,
         calls, window, calls / ((t1 - t0) / 1e9), lat[calls / 2] / 1e6,
         lat[(int)(calls * 0.99)] / 1e6, errors);
  free(sent);
  free(lat);
}

int main(int argc, char **argv)
{
  char binbuf[4096];
  const char *bin = realpath(argc > 1 ? argv[1] : "./workledger", binbuf);
  int calls = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 2000;
  int window = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 32;
  const char *durability = argc > 4 ? argv[4] : "full";
  if (argc > 5)
    workers = argv[5];
  char dir[] = "/tmp/wl-bench-XXXXXX";
  char args[512], cmd[600];
  const char *lease;
  conn c;
  json_t *m;
  int status;

  if (!bin || calls < 1 || window < 1 || !mkdtemp(dir)) {
    fprintf(stderr, "usage: bench_stdio WORKLEDGER_BIN [calls] [window] [full|normal]\n");
    return 2;
  }
  snprintf(cmd, sizeof cmd, "%s/.motus", dir);
  mkdir(cmd, 0700);
  if (start(&c, bin, dir, durability) != 0)
    return 1;
  send_line(&c, "{\"jsonrpc\":\"2.0\",\"id\":\"init\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"0\"}}}");
  send_line(&c, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
  send_line(&c, "{\"jsonrpc\":\"2.0\",\"id\":\"claim\",\"method\":\"tools/call\",\"params\":{\"name\":"
                "\"motus_work_claim\",\"arguments\":{\"work_id\":\"ADHOC-BENCH\",\"ttl\":86400}}}");
  fflush(c.in);
  m = read_msg(&c); /* initialize */
  json_decref(m);
  m = read_msg(&c); /* claim */
  lease = json_string_value(json_object_get(
      json_object_get(json_object_get(m, "result"), "structuredContent"), "lease_id"));
  if (!lease) {
    fprintf(stderr, "bench: claim failed: %s\n", m ? json_dumps(m, 0) : "(no answer)");
    return 1;
  }
  printf("workledger serve over stdio, durability=%s, workers=%s, %ld CPUs\n", durability, workers,
         sysconf(_SC_NPROCESSORS_ONLN));
  run(&c, "motebit_identity", "motebit_identity", "{}", calls, window);
  snprintf(args, sizeof args, "{\"lease_id\":\"%s\",\"kind\":\"test_result\",\"passed\":1,\"failed\":0}",
           lease);
  run(&c, "motus_work_evidence", "motus_work_evidence", args, calls, window);
  run(&c, "motebit_identity (w=1)", "motebit_identity", "{}", calls / 4 > 0 ? calls / 4 : 1, 1);
  json_decref(m);
  fclose(c.in);
  while (read_msg(&c))
    ;
  waitpid(c.pid, &status, 0);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "bench: could not remove %s\n", dir);
  return 0;
}
