/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_serve_http.c — `workledger serve --http HOST:PORT`: the MCP server over Streamable
 * HTTP (serve/http.h). Composition as for stdio (config, node key, Store, MCP core: the shared
 * steps are in cli/serve_common.c), then the HTTP listener; runs until SIGINT/SIGTERM, then stops
 * gracefully: calls in flight see themselves cancelled and answer with a clean failure (waited
 * for SHUTDOWN_GRACE_S - 1 s), then the listener stops and the runs and the Store are closed; a
 * process that has not stopped after SHUTDOWN_GRACE_S exits anyway. Options: --store
 * PATH, --profile P, --durability full|normal, --workers N, --window N, --no-store, --tls-cert
 * FILE --tls-key FILE, --insecure-no-auth, --conformance (fixture surface; loopback only),
 * --max-body BYTES, --max-connections N, --threads N, --public-url URL, --port-file FILE (writes
 * the bound port, for tests), --json. Credentials: config http.tokens / known_callers /
 * trust_on_first_use and WORKLEDGER_TOKEN. */
#include "cli/cli.h"
#include "cli/serve_int.h"
#include "config/config.h"
#include "mcp/mcp.h"
#include "serve/auth.h"
#include "serve/http.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct http_cli_opts {
  serve_common_opts c;
  const char *bind; /* NULL: the config's http.bind */
  const char *cert_file, *key_file, *public_url, *port_file;
  long max_body, max_conn, threads;
  int insecure, conformance;
} http_cli_opts;

static int usage(void)
{
  fprintf(
      stderr,
      "usage: workledger serve --http HOST:PORT [--store PATH] [--profile P] [--durability full|normal]\n"
      "         [--workers N] [--window N] [--no-store] [--tls-cert FILE --tls-key FILE]\n"
      "         [--insecure-no-auth] [--conformance] [--max-body BYTES] [--max-connections N]\n"
      "         [--threads N] [--public-url URL] [--port-file FILE]\n");
  return CLI_EXIT_OK;
}

static const char **str_opt(http_cli_opts *o, const char *a)
{
  if (!strcmp(a, "--tls-cert"))
    return &o->cert_file;
  if (!strcmp(a, "--tls-key"))
    return &o->key_file;
  if (!strcmp(a, "--public-url"))
    return &o->public_url;
  if (!strcmp(a, "--port-file"))
    return &o->port_file;
  return NULL;
}

/* One HTTP-only option taking a value; `v` may be NULL. A SERVE_OPT_* answer. */
static int http_value_opt(http_cli_opts *o, const char *a, const char *v)
{
  const struct {
    const char *name;
    long lo, hi;
    long *out;
    const char *msg;
  } nums[] = {
      {"--max-body", 1024, 1L << 30, &o->max_body, "--max-body must be 1024..1073741824"},
      {"--max-connections", 1, 65536, &o->max_conn, "--max-connections must be 1..65536"},
      {"--threads", 1, 64, &o->threads, "--threads must be 1..64"},
  };
  const char **s = str_opt(o, a);
  if (s) {
    if (!v)
      return SERVE_OPT_NO_VALUE;
    *s = v;
    return SERVE_OPT_VALUE;
  }
  for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
    if (!strcmp(a, nums[k].name)) {
      if (!v)
        return SERVE_OPT_NO_VALUE;
      if (cli_parse_long(v, nums[k].lo, nums[k].hi, nums[k].out)) {
        cli_errorf("serve: %s", nums[k].msg);
        return SERVE_OPT_BAD;
      }
      return SERVE_OPT_VALUE;
    }
  return SERVE_OPT_OTHER;
}

/* @return CLI_CONTINUE, or the exit code (--help, usage error). */
static int parse_opts(int argc, char **argv, http_cli_opts *o)
{
  memset(o, 0, sizeof *o);
  serve_common_opts_init(&o->c);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int r;
    /* `--http` without an address (last, or followed by another option) listens on http.bind */
    if (!strncmp(a, "--http=", 7)) {
      o->bind = a[7] ? a + 7 : NULL;
      continue;
    }
    if (!strcmp(a, "--http")) {
      if (v && strncmp(v, "--", 2) != 0) {
        o->bind = v;
        i++;
      }
      continue;
    }
    if ((r = serve_common_opt(&o->c, a, v)) == SERVE_OPT_OTHER)
      r = http_value_opt(o, a, v);
    if (r == SERVE_OPT_BAD)
      return CLI_EXIT_USAGE;
    if (r == SERVE_OPT_NO_VALUE) {
      cli_errorf("serve: %s needs a value", a);
      return CLI_EXIT_USAGE;
    }
    if (r == SERVE_OPT_VALUE)
      i++;
    else if (r == SERVE_OPT_FLAG)
      continue;
    else if (!strcmp(a, "--insecure-no-auth"))
      o->insecure = 1;
    else if (!strcmp(a, "--conformance"))
      o->conformance = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
      return usage();
    else {
      cli_errorf("serve: unknown option %s (see workledger serve --http x --help)", a);
      return CLI_EXIT_USAGE;
    }
  }
  if (!!o->cert_file != !!o->key_file) {
    cli_errorf("serve: --tls-cert and --tls-key go together");
    return CLI_EXIT_USAGE;
  }
  return CLI_CONTINUE;
}

static char *read_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len + 4096 + 1 > cap) {
      cap = cap ? cap * 2 : 8192;
      if (cap > (1u << 22))
        break;
      char *nb = realloc(buf, cap);
      if (!nb)
        break;
      buf = nb;
    }
    size_t n = fread(buf + len, 1, 4096, f);
    len += n;
    if (n < 4096)
      break;
  }
  fclose(f);
  if (buf)
    buf[len] = 0;
  return buf;
}

/* "HOST:PORT", "[v6]:PORT" → host (brackets stripped) and port. */
static int split_bind(const char *s, char *host, size_t cap, long *port)
{
  const char *colon = strrchr(s, ':');
  if (!colon)
    return -1;
  if (cli_parse_long(colon + 1, 0, 65535, port))
    return -1;
  const char *h = s;
  size_t n = (size_t)(colon - s);
  if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
    h++;
    n -= 2;
  }
  if (n == 0) {
    snprintf(host, cap, "127.0.0.1");
    return 0;
  }
  if (n >= cap)
    return -1;
  memcpy(host, h, n);
  host[n] = 0;
  return 0;
}

/* Refuses an unauthenticated public bind (and --conformance off loopback) before touching the
 * Store or the key. @return 0, or -1 with the error printed. */
static int check_bind(const http_cli_opts *o, const json_t *cfg, const char *host)
{
  int loop = !strcmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "::1");
  mcp_auth *probe = NULL;
  int need = 0;
  if (mcp_auth_new(&probe, cfg, getenv("WORKLEDGER_TOKEN")) == MCP_OK)
    need = mcp_auth_required(probe);
  mcp_auth_free(probe);
  if (!loop && o->conformance) {
    cli_errorf("serve: --conformance serves loopback addresses only");
    return -1;
  }
  if (!loop && !need && !o->insecure) {
    cli_errorf(
        "serve: refusing to serve %s without authentication: configure http.tokens, WORKLEDGER_TOKEN "
        "or http.known_callers, or pass --insecure-no-auth",
        host);
    return -1;
  }
  return 0;
}

/* Starts the listener over `srv`; writes the bound port to --port-file. @return the exit code. */
static int start_http(mcp_http **out, const http_cli_opts *o, const serve_env *env, mcp_server *srv,
                      const char *host, long port, const char *cert, const char *tkey)
{
  mcp_http_opts ho;
  char err[512];
  memset(&ho, 0, sizeof ho);
  ho.server = srv;
  ho.config = env->cfg;
  ho.store = env->store;
  ho.motebit_id = env->motebit_id;
  ho.host = host;
  ho.port = (uint16_t)port;
  ho.tls_cert_pem = cert;
  ho.tls_key_pem = tkey;
  ho.env_token = getenv("WORKLEDGER_TOKEN");
  ho.insecure_no_auth = o->insecure;
  ho.conformance = o->conformance;
  ho.max_body = (size_t)o->max_body;
  ho.max_connections = (unsigned)o->max_conn;
  ho.threads = (unsigned)o->threads;
  ho.public_url = o->public_url;
  int hrc = mcp_http_start(out, &ho, err, sizeof err);
  if (hrc != MCP_OK) {
    cli_errorf("serve: %s", err);
    return wl_code_exit(hrc); /* the table (crypto/err.h): bad options 2, others 1 */
  }
  if (o->port_file) {
    FILE *f = fopen(o->port_file, "w");
    if (f) {
      fprintf(f, "%u\n", (unsigned)mcp_http_port(*out));
      fclose(f);
    }
  }
  return CLI_EXIT_OK;
}

/* The shutdown grace period: started at SIGTERM, it ends the process if the listener, the calls
 * in flight and the Store have not all stopped within SHUTDOWN_GRACE_S (a worker blocked in a
 * system call that never returns must not keep the server alive). */
#define SHUTDOWN_GRACE_S 5

typedef struct watchdog {
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int running, done;
} watchdog;

static void *watchdog_main(void *arg)
{
  watchdog *w = arg;
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += SHUTDOWN_GRACE_S;
  pthread_mutex_lock(&w->mu);
  while (!w->done)
    if (pthread_cond_timedwait(&w->cv, &w->mu, &dl) == ETIMEDOUT && !w->done) {
      mcp_log(MCP_LOG_ERROR,
              "shutdown: calls still running %d s after the signal; exiting without them (every "
              "acknowledged call is durable)",
              SHUTDOWN_GRACE_S);
      _exit(CLI_EXIT_FAIL);
    }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

static void watchdog_start(watchdog *w)
{
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  w->done = 0;
  w->running = pthread_create(&w->th, NULL, watchdog_main, w) == 0;
}

static void watchdog_stop(watchdog *w)
{
  if (!w->running)
    return;
  pthread_mutex_lock(&w->mu);
  w->done = 1;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->th, NULL);
  w->running = 0;
}

int cmd_serve_http(int argc, char **argv)
{
  http_cli_opts o;
  watchdog wd = {.running = 0};
  serve_env env;
  mcp_server *srv = NULL;
  mcp_http *http = NULL;
  char *cert = NULL, *tkey = NULL, host[256];
  long port = 0;
  sigset_t set;
  int rc, sig = 0;

  if ((rc = parse_opts(argc, argv, &o)) != CLI_CONTINUE)
    return rc;
  if ((rc = serve_env_config(&env, &o.c)) != 0)
    return rc == -2 ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
  rc = CLI_EXIT_USAGE;
  if (!o.bind)
    o.bind = mcp_config_str(env.cfg, "http.bind", "127.0.0.1:3100");
  if (split_bind(o.bind, host, sizeof host, &port) != 0) {
    cli_errorf("serve: --http must be HOST:PORT, got %s", o.bind);
    goto out;
  }
  if (check_bind(&o, env.cfg, host) != 0)
    goto out;
  rc = CLI_EXIT_FAIL;
  if (o.cert_file) {
    cert = read_file(o.cert_file);
    tkey = read_file(o.key_file);
    if (!cert || !tkey) {
      cli_errorf("serve: cannot read %s", !cert ? o.cert_file : o.key_file);
      goto out;
    }
  }
  /* the node identity before the Store: without one nothing is created */
  if (serve_env_identity(&env, 0) != 0 || serve_env_store(&env, &o.c) != 0 ||
      serve_server_new(&srv, &env, &o.c, o.max_body, 0) != 0)
    goto out;
  /* Block the stop signals before the listener threads exist so only sigwait sees them. */
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  if ((rc = start_http(&http, &o, &env, srv, host, port, cert, tkey)) != CLI_EXIT_OK)
    goto out;
  sigwait(&set, &sig);
  mcp_log(MCP_LOG_INFO, "http: signal %d, stopping", sig);
  /* calls in flight are cancelled (they answer with a clean failure); one that does not stop
   * within the grace period is abandoned by exiting: every call acknowledged so far is durable */
  mcp_server_shutdown(srv);
  watchdog_start(&wd);
  if (mcp_http_quiesce(http, (SHUTDOWN_GRACE_S - 1) * 1000L) > 0)
    mcp_log(MCP_LOG_WARNING, "shutdown: some calls did not finish in time; closing them");
  rc = CLI_EXIT_OK;
out:
  mcp_http_stop(http);
  serve_env_detach(&env); /* no list_changed relay into a freed server */
  mcp_server_free(srv);
  watchdog_stop(&wd);
  serve_env_free(&env);
  free(cert);
  free(tkey);
  return rc;
}
