/* SPDX-License-Identifier: Apache-2.0
 * bench/bench_http.c — MCP load generator over Streamable HTTP for ANY server: libcurl multi
 * with --conns keep-alive connections to 127.0.0.1. It execs SERVER ARGV... itself (a "{PORT}"
 * argument, or one containing it, becomes a free loopback port, also exported as PORT; the time
 * until the port accepts is the start-up time) or measures a running one (--url, --pid). Every
 * connection first runs the lifecycle (initialize, keeping an Mcp-Session-Id when the server hands
 * one out — server-everything is sessionful, workledger stateless — then notifications/
 * initialized) and then sends tools/call back to back: a warm-up, then --seconds measured. A call
 * is good when the answer (JSON or SSE) is 200 with a "result" that is not isError. Reports calls/s,
 * p50/p90/p99/max, errors, the server's CPU (user+sys over the measured window, and per call) and
 * RSS (after the handshakes, max of 100 ms samples under load, VmHWM). A scenario whose tool is
 * not in tools/list is skipped with a message. Bounded by time and by a global deadline. Output:
 * a human line on stderr, one `RESULT k=v ...` line on stdout.
 * Usage: bench_http [--label L] [--tool NAME] [--args JSON] [--conns 32] [--seconds 5]
 *        [--warmup-seconds 1] [--token T] [--cwd DIR] [--server-log FILE] (--url URL [--pid PID] | -- SERVER [ARG...]) */
#include "bench_util.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { ST_INIT, ST_INITIALIZED, ST_CALL };

typedef struct conn {
  CURL *h;
  int state;
  int64_t t0;
  struct curl_slist *hdrs;
  char session[256];
  char buf[16384];
  size_t len;
} conn;

static const char *g_token, *g_body_call;
static const char BODY_INIT[] =
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
    "\"capabilities\":{},\"clientInfo\":{\"name\":\"workledger-bench\",\"version\":\"0\"}}}";
static const char BODY_INITIALIZED[] =
    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
static const char BODY_LIST[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}";

static size_t on_write(char *p, size_t sz, size_t n, void *ud)
{
  conn *c = ud;
  size_t k = sz * n, room = sizeof c->buf - 1 - c->len;
  memcpy(c->buf + c->len, p, k < room ? k : room);
  c->len += k < room ? k : room;
  c->buf[c->len] = 0;
  return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
  conn *c = ud;
  size_t k = sz * n;
  if (k > 15 && strncasecmp(p, "mcp-session-id:", 15) == 0) {
    const char *v = p + 15;
    size_t vl;
    while (*v == ' ')
      v++;
    vl = (size_t)(p + k - v);
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
      vl--;
    if (vl < sizeof c->session) {
      memcpy(c->session, v, vl);
      c->session[vl] = 0;
    }
  }
  return k;
}

/* (Re)build the request headers of a connection: JSON + SSE accepted, bearer token, and after the
 * handshake the protocol version and the session id when there is one. */
static void set_headers(conn *c)
{
  char line[400];
  curl_slist_free_all(c->hdrs);
  c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
  c->hdrs = curl_slist_append(c->hdrs, "Accept: application/json, text/event-stream");
  c->hdrs = curl_slist_append(c->hdrs, "Expect:");
  if (g_token) {
    snprintf(line, sizeof line, "Authorization: Bearer %s", g_token);
    c->hdrs = curl_slist_append(c->hdrs, line);
  }
  if (c->state != ST_INIT) {
    c->hdrs = curl_slist_append(c->hdrs, "MCP-Protocol-Version: 2025-11-25");
    if (c->session[0]) {
      snprintf(line, sizeof line, "Mcp-Session-Id: %s", c->session);
      c->hdrs = curl_slist_append(c->hdrs, line);
    }
  }
  curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
}

static void prepare(conn *c, const char *url)
{
  c->h = curl_easy_init();
  curl_easy_setopt(c->h, CURLOPT_URL, url);
  curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c->h, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
  curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
  set_headers(c);
}

static void set_body(conn *c, const char *body)
{
  c->len = 0;
  c->buf[0] = 0;
  curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
}

/* A free loopback port (bound then released; the server binds it right after). */
static unsigned free_port(void)
{
  struct sockaddr_in a = {0};
  socklen_t al = sizeof a;
  unsigned port = 0;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(s, (struct sockaddr *)&a, &al) == 0)
    port = ntohs(a.sin_port);
  if (s >= 0)
    close(s);
  return port;
}

static int port_open(unsigned port)
{
  struct sockaddr_in a = {0};
  int s = socket(AF_INET, SOCK_STREAM, 0), ok;
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
  if (s >= 0)
    close(s);
  return ok;
}

static void usage(void)
{
  fputs(
      "usage: bench_http [--label L] [--tool NAME] [--args JSON] [--conns 32] [--seconds 5]\n"
      "                  [--warmup-seconds 1] [--token T] [--cwd DIR] [--server-log FILE] (--url URL [--pid PID] | -- SERVER [ARG...])\n",
      stderr);
}

int main(int argc, char **argv)
{
  const char *label = "http", *tool = "motebit_identity", *args = "{}", *dir = NULL, *url = NULL,
             *server_log = NULL;
  long pid = 0, nconn = 32;
  double secs = 5.0, warm_s = 1.0;
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
      args = argv[++i];
    else if (strcmp(a, "--conns") == 0)
      nconn = strtol(argv[++i], NULL, 10);
    else if (strcmp(a, "--seconds") == 0)
      secs = strtod(argv[++i], NULL);
    else if (strcmp(a, "--warmup-seconds") == 0)
      warm_s = strtod(argv[++i], NULL);
    else if (strcmp(a, "--token") == 0)
      g_token = argv[++i];
    else if (strcmp(a, "--cwd") == 0)
      dir = argv[++i];
    else if (strcmp(a, "--url") == 0)
      url = argv[++i];
    else if (strcmp(a, "--pid") == 0)
      pid = strtol(argv[++i], NULL, 10);
    else if (strcmp(a, "--server-log") == 0)
      server_log = argv[++i];
    else {
      usage();
      return 2;
    }
  }
  if ((!url && i >= argc) || nconn < 1 || nconn > 1024 || secs <= 0 || secs > 600 || warm_s < 0 ||
      warm_s > 60 || strlen(args) > 4096) {
    usage();
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);

  char urlbuf[128], body_call[4400];
  pid_t child = 0;
  double ready_ms = -1;
  if (!url) {
    unsigned port = free_port();
    int64_t t_exec = bu_now_ns(), stop = t_exec + 15000000000LL;
    if (!port)
      return 1;
    child = fork();
    if (child < 0)
      return 1;
    if (child == 0) {
      if (!freopen("/dev/null", "w", stdout) ||
          !freopen(server_log ? server_log : "/dev/null", "a", stderr))
        _exit(127);
      bu_exec_server(argv + i, dir, port);
    }
    while (!port_open(port) && bu_now_ns() < stop && waitpid(child, NULL, WNOHANG) == 0)
      usleep(1000);
    if (!port_open(port)) {
      fprintf(stderr, "bench_http: %s: server did not listen on 127.0.0.1:%u\n", label, port);
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
      return 1;
    }
    ready_ms = (double)(bu_now_ns() - t_exec) / 1e6;
    snprintf(urlbuf, sizeof urlbuf, "http://127.0.0.1:%u/mcp", port);
    url = urlbuf;
    pid = child;
  }
  snprintf(
      body_call, sizeof body_call,
      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\",\"arguments\":%s}}",
      tool, args);
  g_body_call = body_call;
  curl_global_init(CURL_GLOBAL_DEFAULT);

  int rc = 1;
  conn *cs = calloc((size_t)nconn, sizeof *cs);
  size_t cap = 4u << 20, nlat = 0;
  int64_t *lat = malloc(cap * sizeof *lat);
  CURLM *m = curl_multi_init();
  if (!cs || !lat || !m)
    return 1;

  /* tools/list once (its own connection): skip cleanly when the tool is missing. */
  {
    conn probe = {0};
    prepare(&probe, url);
    set_body(&probe, BODY_INIT);
    CURLcode r = curl_easy_perform(probe.h);
    probe.state = ST_INITIALIZED;
    set_headers(&probe);
    set_body(&probe, BODY_INITIALIZED);
    if (r == CURLE_OK)
      r = curl_easy_perform(probe.h);
    set_body(&probe, BODY_LIST);
    if (r == CURLE_OK)
      r = curl_easy_perform(probe.h);
    char pat[200];
    snprintf(pat, sizeof pat, "\"name\":\"%s\"", tool);
    int listed = r == CURLE_OK && strstr(probe.buf, pat) != NULL;
    if (r != CURLE_OK)
      fprintf(stderr, "bench_http: %s: tools/list failed: %s\n", label, curl_easy_strerror(r));
    else if (!listed)
      printf("SKIP %s: the server's tools/list has no %s\n", label, tool);
    curl_easy_cleanup(probe.h);
    curl_slist_free_all(probe.hdrs);
    if (!listed) {
      rc = r == CURLE_OK ? 0 : 1;
      goto out;
    }
  }

  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, nconn);
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, nconn);
  for (long k = 0; k < nconn; k++) {
    prepare(&cs[k], url);
    set_body(&cs[k], BODY_INIT);
    cs[k].t0 = bu_now_ns();
    curl_multi_add_handle(m, cs[k].h);
  }
  long rss_idle = -1, rss_load = -1, handshakes = 0, errors = 0, warm_calls = 0;
  int64_t start = bu_now_ns(), hard_stop = start + (int64_t)((secs + warm_s + 30) * 1e9);
  int64_t t_meas0 = 0, t_meas1 = 0, last_sample = 0;
  double cpu0 = 0, cpu1 = 0;
  int running = 1, phase = 0; /* 0 handshakes, 1 warm-up, 2 measured, 3 draining */
  while ((running || phase < 3) && bu_now_ns() < hard_stop) {
    int q;
    CURLMsg *msg;
    curl_multi_perform(m, &running);
    while ((msg = curl_multi_info_read(m, &q))) {
      conn *c;
      long st = 0;
      int64_t t = bu_now_ns();
      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &st);
      CURLcode res = msg->data.result;
      curl_multi_remove_handle(m, c->h);
      if (c->state == ST_INIT || c->state == ST_INITIALIZED) {
        if (res != CURLE_OK || st < 200 || st >= 300) {
          fprintf(stderr, "bench_http: %s: handshake failed (%s, HTTP %ld): %.200s\n", label,
                  curl_easy_strerror(res), st, c->buf);
          goto out;
        }
        c->state++;
        set_headers(c);
        if (c->state == ST_CALL)
          handshakes++;
      } else {
        int good = res == CURLE_OK && st == 200 && strstr(c->buf, "\"result\"") &&
                   !strstr(c->buf, "\"isError\":true");
        if (phase == 2 && c->t0 >= t_meas0 && t <= t_meas1) {
          if (!good)
            errors++;
          else if (nlat < cap)
            lat[nlat++] = t - c->t0;
        } else if (phase == 1) {
          warm_calls++;
          if (!good && errors++ < 3)
            fprintf(stderr, "bench_http: %s: warm-up call failed (HTTP %ld): %.300s\n", label, st,
                    c->buf);
        }
      }
      if (phase < 3) {
        set_body(c, c->state == ST_INITIALIZED ? BODY_INITIALIZED : g_body_call);
        c->t0 = bu_now_ns();
        curl_multi_add_handle(m, c->h);
      }
    }
    {
      int64_t t = bu_now_ns();
      if (phase == 0 && handshakes == nconn) {
        phase = 1;
        rss_idle = bu_proc_kb(pid, "VmRSS:");
        start = t;
      } else if (phase == 1 && t >= start + (int64_t)(warm_s * 1e9)) {
        phase = 2;
        errors = 0;
        t_meas0 = t;
        t_meas1 = t + (int64_t)(secs * 1e9);
        cpu0 = pid ? bu_proc_cpu_ms(pid) : -1;
      } else if (phase == 2 && t >= t_meas1) {
        phase = 3;
        cpu1 = pid ? bu_proc_cpu_ms(pid) : -1;
      }
      if (phase == 2 && pid && t - last_sample > 100000000) {
        long r = bu_proc_kb(pid, "VmRSS:");
        if (r > rss_load)
          rss_load = r;
        last_sample = t;
      }
    }
    curl_multi_poll(m, NULL, 0, 50, NULL);
  }
  if (phase < 3) {
    fprintf(stderr, "bench_http: %s: did not finish (phase %d, %ld/%ld handshakes)\n", label, phase,
            handshakes, nconn);
    goto out;
  }
  {
    long rss_peak = pid ? bu_proc_kb(pid, "VmHWM:") : -1;
    if (rss_peak < rss_load) /* VmHWM lags: RSS counters are synced lazily */
      rss_peak = rss_load;
    double cps = (double)nlat / secs, cpu = cpu1 - cpu0;
    qsort(lat, nlat, sizeof *lat, bu_cmp64);
    fprintf(
        stderr,
        "%-28s %7zu calls c=%-3ld %8.0f calls/s  p50 %.3f  p90 %.3f  p99 %.3f ms  cpu %.0f us/call  "
        "rss idle/load/peak %ld/%ld/%ld kB  listen %.1f ms  errors %ld\n",
        label, nlat, nconn, cps, bu_pct(lat, nlat, .5) / 1e6, bu_pct(lat, nlat, .9) / 1e6,
        bu_pct(lat, nlat, .99) / 1e6, nlat ? cpu * 1000.0 / (double)nlat : 0, rss_idle, rss_load,
        rss_peak, ready_ms, errors);
    bu_result("label=%s transport=http tool=%s calls=%zu conns=%ld secs=%.3f cps=%.0f p50_ms=%.3f "
              "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%ld cpu_ms=%.0f cpu_us_per_call=%.1f "
              "rss_idle_kb=%ld rss_load_kb=%ld rss_peak_kb=%ld listen_ms=%.1f sessions=%s",
              label, tool, nlat, nconn, secs, cps, bu_pct(lat, nlat, .5) / 1e6,
              bu_pct(lat, nlat, .9) / 1e6, bu_pct(lat, nlat, .99) / 1e6,
              nlat ? lat[nlat - 1] / 1e6 : 0, errors, cpu, nlat ? cpu * 1000.0 / (double)nlat : 0,
              rss_idle, rss_load, rss_peak, ready_ms, cs[0].session[0] ? "yes" : "no");
    rc = errors || nlat == 0 ? 1 : 0;
  }
out:
  for (long k = 0; k < nconn; k++)
    if (cs[k].h) {
      curl_multi_remove_handle(m, cs[k].h);
      curl_easy_cleanup(cs[k].h);
      curl_slist_free_all(cs[k].hdrs);
    }
  curl_multi_cleanup(m);
  curl_global_cleanup();
  free(cs);
  free(lat);
  if (child) {
    int64_t stop = bu_now_ns() + 5000000000LL;
    kill(child, SIGTERM);
    while (waitpid(child, NULL, WNOHANG) == 0 && bu_now_ns() < stop)
      usleep(10000);
    if (waitpid(child, NULL, WNOHANG) == 0) {
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
    }
  }
  return rc;
}
