/* SPDX-License-Identifier: Apache-2.0
 * bench/bench_http.c — load generator for `workledger serve --http`: libcurl multi with N
 * keep-alive connections (default 32) on loopback, each sending tools/call motebit_identity
 * (static bearer token) back to back for a fixed time. Reports calls/s, p50/p99/max latency,
 * errors and the server's RSS (VmRSS and peak VmHWM from /proc). With --bin it starts its own
 * server in a fresh temp directory (workledger init + a config with the token); with --url and
 * --pid it measures a running one. Not a test: timings depend on the machine. */
#include <curl/curl.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BODY "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_identity\",\"arguments\":{}}}"

typedef struct conn {
  CURL *h;
  double t0;
  char buf[8192];
  size_t len;
} conn;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_write(char *p, size_t sz, size_t n, void *ud) {
  conn *c = ud;
  size_t k = sz * n, room = sizeof c->buf - 1 - c->len;
  memcpy(c->buf + c->len, p, k < room ? k : room);
  c->len += k < room ? k : room;
  c->buf[c->len] = 0;
  return k;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static long proc_kb(long pid, const char *field) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen(path, "r");
  long v = -1;
  if (!f) return -1;
  size_t fl = strlen(field);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, field, fl)) v = strtol(line + fl + 1, NULL, 10);
  fclose(f);
  return v;
}

static int run(const char *cmd) {
  int rc = system(cmd);
  return rc == -1 ? -1 : WEXITSTATUS(rc);
}

int main(int argc, char **argv) {
  const char *bin = NULL, *url = NULL, *token = "bench-token-0123456789", *durability = "full";
  long pid = 0, nconn = 32;
  double secs = 5.0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--bin") && i + 1 < argc) bin = argv[++i];
    else if (!strcmp(argv[i], "--url") && i + 1 < argc) url = argv[++i];
    else if (!strcmp(argv[i], "--pid") && i + 1 < argc) pid = strtol(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--token") && i + 1 < argc) token = argv[++i];
    else if (!strcmp(argv[i], "--conns") && i + 1 < argc) nconn = strtol(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) secs = strtod(argv[++i], NULL);
    else if (!strcmp(argv[i], "--durability") && i + 1 < argc) durability = argv[++i];
    else {
      fprintf(stderr, "usage: bench_http (--bin WORKLEDGER | --url URL [--pid PID]) [--token T] [--conns 32]\n"
                      "                  [--seconds 5] [--durability full|normal]\n");
      return 2;
    }
  }
  if ((!bin && !url) || nconn < 1 || nconn > 1024 || secs <= 0) {
    fprintf(stderr, "bench_http: need --bin or --url (see --help)\n");
    return 2;
  }
  char dir[] = "/tmp/wl-bench-XXXXXX", urlbuf[128], cmd[4096];
  pid_t child = 0;
  if (bin) {
    if (!mkdtemp(dir)) return 1;
    snprintf(cmd, sizeof cmd, "cd %s && '%s' init >/dev/null 2>&1 && printf '%%s' "
             "'{\"http\":{\"tokens\":[{\"name\":\"bench\",\"token\":\"%s\"}]}}' > .motus/config.json",
             dir, bin, token);
    if (run(cmd) != 0) {
      fprintf(stderr, "bench_http: init failed in %s\n", dir);
      return 1;
    }
    child = fork();
    if (child == 0) {
      if (chdir(dir) != 0) _exit(127);
      char pf[128];
      snprintf(pf, sizeof pf, "%s/port", dir);
      FILE *devnull = freopen("/dev/null", "w", stderr);
      (void)devnull;
      execl(bin, bin, "serve", "--http", "127.0.0.1:0", "--port-file", pf, "--durability", durability, (char *)NULL);
      _exit(127);
    }
    char pf[128];
    snprintf(pf, sizeof pf, "%s/port", dir);
    unsigned port = 0;
    for (int i = 0; i < 200 && !port; i++) {
      FILE *f = fopen(pf, "r");
      if (f) {
        if (fscanf(f, "%u", &port) != 1) port = 0;
        fclose(f);
      }
      if (!port) usleep(50000);
    }
    if (!port) {
      fprintf(stderr, "bench_http: server did not start\n");
      kill(child, SIGTERM);
      return 1;
    }
    snprintf(urlbuf, sizeof urlbuf, "http://127.0.0.1:%u/mcp", port);
    url = urlbuf;
    pid = child;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM *m = curl_multi_init();
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, nconn);
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, nconn);
  char auth[512];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  struct curl_slist *hl = NULL;
  hl = curl_slist_append(hl, "Content-Type: application/json");
  hl = curl_slist_append(hl, "Accept: application/json, text/event-stream");
  hl = curl_slist_append(hl, auth);
  hl = curl_slist_append(hl, "Expect:");
  conn *cs = calloc((size_t)nconn, sizeof *cs);
  size_t cap = 1 << 20, nlat = 0;
  double *lat = malloc(cap * sizeof *lat);
  long errors = 0;
  if (!cs || !lat) return 1;
  for (long i = 0; i < nconn; i++) {
    CURL *h = curl_easy_init();
    cs[i].h = h;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, BODY);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &cs[i]);
    curl_easy_setopt(h, CURLOPT_PRIVATE, &cs[i]);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    cs[i].t0 = now_s();
    curl_multi_add_handle(m, h);
  }
  double start = now_s(), warm = start + 0.5, end = warm + secs;
  long warm_calls = 0;
  int running = 1;
  while (running || now_s() < end) {
    curl_multi_perform(m, &running);
    int q;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &q))) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL *h = msg->easy_handle;
      conn *c;
      curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&c);
      long st = 0;
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
      double t = now_s();
      int good = msg->data.result == CURLE_OK && st == 200 && strstr(c->buf, "\"result\"") &&
                 !strstr(c->buf, "\"isError\":true");
      if (c->t0 >= warm && t <= end) {
        if (!good) errors++;
        else if (nlat < cap) lat[nlat++] = (t - c->t0) * 1000.0;
      } else if (c->t0 < warm) {
        warm_calls++;
      }
      curl_multi_remove_handle(m, h);
      c->len = 0;
      if (t < end) {
        c->t0 = now_s();
        curl_multi_add_handle(m, h);
      }
    }
    if (now_s() >= end && !running) break;
    curl_multi_poll(m, NULL, 0, 100, NULL);
  }
  long rss = pid ? proc_kb(pid, "VmRSS:") : -1, hwm = pid ? proc_kb(pid, "VmHWM:") : -1;
  qsort(lat, nlat, sizeof *lat, cmp_d);
  double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(size_t)((double)nlat * 0.99)] : 0,
         mx = nlat ? lat[nlat - 1] : 0;
  printf("{\"url\":\"%s\",\"connections\":%ld,\"seconds\":%.1f,\"durability\":\"%s\",\"calls\":%zu,\"errors\":%ld,"
         "\"calls_per_s\":%.0f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,\"server_rss_kb\":%ld,"
         "\"server_peak_rss_kb\":%ld}\n",
         url, nconn, secs, bin ? durability : "?", nlat, errors, (double)nlat / secs, p50, p99, mx, rss, hwm);
  for (long i = 0; i < nconn; i++) {
    curl_multi_remove_handle(m, cs[i].h);
    curl_easy_cleanup(cs[i].h);
  }
  curl_multi_cleanup(m);
  curl_slist_free_all(hl);
  free(cs);
  free(lat);
  if (child) {
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)run(cmd);
  }
  return errors ? 1 : 0;
}
