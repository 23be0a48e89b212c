/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_serve_http.c — `workledger serve --http HOST:PORT`: the MCP server over Streamable
 * HTTP (serve/http.h). Composition as for stdio (config, Store, node key, MCP core), then the HTTP
 * listener; runs until SIGINT/SIGTERM, then stops the listener (in-flight calls are cancelled),
 * closes the runs and the Store. Options: --store PATH, --profile P, --durability full|normal,
 * --workers N, --window N, --no-store, --tls-cert FILE --tls-key FILE, --insecure-no-auth,
 * --conformance (fixture surface; loopback only), --max-body BYTES, --max-connections N,
 * --threads N, --public-url URL, --port-file FILE (writes the bound port, for tests), --json.
 * Credentials: config http.tokens / known_callers / trust_on_first_use and WORKLEDGER_TOKEN. */
#include "tools/tools.h"
#include "cli/cli.h"
#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "serve/auth.h"
#include "config/config.h"
#include "serve/http.h"
#include "mcp/mcp.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include("cli/node.h")
#include "cli/node.h"
#define WL_HAVE_NODE_H 1
#endif
#endif

static int mkdir_p(const char *dir)
{
  char tmp[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof tmp)
    return -1;
  memcpy(tmp, dir, n + 1);
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
      *p = '/';
    }
  if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
    return -1;
  return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || *end || end == s || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
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
  if (parse_long(colon + 1, 0, 65535, port))
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

static seal_key *load_key(const char *motus_dir)
{
  seal_key *key = NULL;
  seal_err serr;
  char path[4096];
  snprintf(path, sizeof path, "%s/identity/key", motus_dir);
  memset(&serr, 0, sizeof serr);
  if (access(path, F_OK) == 0) {
    if (seal_key_load(&key, path, getenv("WORKLEDGER_PASSPHRASE"), &serr) != SEAL_OK) {
      cli_errorf("cannot load the node key %s: %s", path, serr.msg);
      return NULL;
    }
    return key;
  }
  fprintf(
      stderr,
      "workledger: warning: no node key at %s (run `workledger init`); using an ephemeral key\n",
      path);
  return seal_key_generate(&key) == SEAL_OK ? key : NULL;
}

int cmd_serve_http(int argc, char **argv)
{
  const char *store_opt = cli_opt_store, *profile = NULL, *bind = NULL, *cert_file = NULL,
             *key_file = NULL;
  const char *public_url = NULL, *port_file = NULL;
  ledger_opts lopts = LEDGER_OPTS_INIT;
  long workers = 0, window = 0, max_body = 0, max_conn = 0, threads = 0, port = 0;
  int no_store = 0, insecure = 0, conformance = 0, rc = CLI_EXIT_FAIL;
  char motus_dir[4096], err[512], host[256], motebit_id[80] = "";
  json_t *cfg = NULL;
  ledger *store = NULL;
  seal_key *key = NULL;
  mcp_server *srv = NULL;
  mcp_http *http = NULL;
  char *cert = NULL, *tkey = NULL;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                                                    \
  do {                                                                                             \
    if (!v) {                                                                                      \
      cli_errorf("serve: %s needs a value", a);                                                    \
      return CLI_EXIT_USAGE;                                                                       \
    }                                                                                              \
    i++;                                                                                           \
  } while (0)
    /* `--http` without an address (last, or followed by another option) listens on http.bind */
    if (!strncmp(a, "--http=", 7))
      bind = a[7] ? a + 7 : NULL;
    else if (!strcmp(a, "--http")) {
      if (v && strncmp(v, "--", 2) != 0) {
        bind = v;
        i++;
      }
    } else if (!strcmp(a, "--store")) {
      NEEDV();
      store_opt = v;
    } else if (!strcmp(a, "--profile")) {
      NEEDV();
      profile = v;
    } else if (!strcmp(a, "--tls-cert")) {
      NEEDV();
      cert_file = v;
    } else if (!strcmp(a, "--tls-key")) {
      NEEDV();
      key_file = v;
    } else if (!strcmp(a, "--public-url")) {
      NEEDV();
      public_url = v;
    } else if (!strcmp(a, "--port-file")) {
      NEEDV();
      port_file = v;
    } else if (!strcmp(a, "--durability")) {
      NEEDV();
      if (!strcmp(v, "full"))
        lopts.durability = LEDGER_DURABLE_FULL;
      else if (!strcmp(v, "normal"))
        lopts.durability = LEDGER_DURABLE_NORMAL;
      else {
        cli_errorf("serve: --durability must be full or normal");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--workers")) {
      NEEDV();
      if (parse_long(v, 1, 256, &workers)) {
        cli_errorf("serve: --workers must be 1..256");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--window")) {
      NEEDV();
      if (parse_long(v, 1, 1024, &window)) {
        cli_errorf("serve: --window must be 1..1024");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--max-body")) {
      NEEDV();
      if (parse_long(v, 1024, 1L << 30, &max_body)) {
        cli_errorf("serve: --max-body must be 1024..1073741824");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--max-connections")) {
      NEEDV();
      if (parse_long(v, 1, 65536, &max_conn)) {
        cli_errorf("serve: --max-connections must be 1..65536");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--threads")) {
      NEEDV();
      if (parse_long(v, 1, 64, &threads)) {
        cli_errorf("serve: --threads must be 1..64");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--no-store"))
      no_store = 1;
    else if (!strcmp(a, "--insecure-no-auth"))
      insecure = 1;
    else if (!strcmp(a, "--conformance"))
      conformance = 1;
    else if (!strcmp(a, "--json") || !strcmp(a, "--stdio")) { /* accepted */
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fprintf(
          stderr,
          "usage: workledger serve --http HOST:PORT [--store PATH] [--profile P] [--durability full|normal]\n"
          "         [--workers N] [--window N] [--no-store] [--tls-cert FILE --tls-key FILE]\n"
          "         [--insecure-no-auth] [--conformance] [--max-body BYTES] [--max-connections N]\n"
          "         [--threads N] [--public-url URL] [--port-file FILE]\n");
      return CLI_EXIT_OK;
    } else {
      cli_errorf("serve: unknown option %s (see workledger serve --http x --help)", a);
      return CLI_EXIT_USAGE;
    }
#undef NEEDV
  }
  if (!!cert_file != !!key_file) {
    cli_errorf("serve: --tls-cert and --tls-key go together");
    return CLI_EXIT_USAGE;
  }

  const char *store_path = cli_store_path(store_opt);
  cli_motus_dir(motus_dir, sizeof motus_dir, store_path);
  if (mcp_config_load_ex(&cfg, motus_dir, profile, err, sizeof err) != 0) {
    cli_errorf("serve: %s", err); /* err names the file and the key path */
    return CLI_EXIT_FAIL;
  }
  if (!bind)
    bind = mcp_config_str(cfg, "http.bind", "127.0.0.1:3100");
  if (split_bind(bind, host, sizeof host, &port) != 0) {
    cli_errorf("serve: --http must be HOST:PORT, got %s", bind);
    json_decref(cfg);
    return CLI_EXIT_USAGE;
  }
  {
    /* Refuse an unauthenticated public bind before touching the Store or the key. */
    int loop = !strcmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "::1");
    mcp_auth *probe = NULL;
    int need = 0;
    if (mcp_auth_new(&probe, cfg, getenv("WORKLEDGER_TOKEN")) == MCP_OK)
      need = mcp_auth_required(probe);
    mcp_auth_free(probe);
    if (!loop && conformance) {
      cli_errorf("serve: --conformance serves loopback addresses only");
      rc = CLI_EXIT_USAGE;
      goto out;
    }
    if (!loop && !need && !insecure) {
      cli_errorf(
          "serve: refusing to serve %s without authentication: configure http.tokens, WORKLEDGER_TOKEN "
          "or http.known_callers, or pass --insecure-no-auth",
          host);
      rc = CLI_EXIT_USAGE;
      goto out;
    }
  }
  if (cert_file) {
    cert = read_file(cert_file);
    tkey = read_file(key_file);
    if (!cert || !tkey) {
      cli_errorf("serve: cannot read %s", !cert ? cert_file : key_file);
      goto out;
    }
  }
  if (!profile)
    profile = mcp_config_profile(cfg);
    /* the node identity first: without one nothing is created (not even the Store) */
#ifdef WL_HAVE_NODE_H
  {
    cli_node node;
    if (cli_node_load(&node, motus_dir, err, sizeof err) != 0) {
      cli_errorf("serve: %s", err);
      goto out;
    }
    key = node.key;
    snprintf(motebit_id, sizeof motebit_id, "%s", node.motebit_id);
  }
#else
  key = load_key(motus_dir);
#endif
  if (!key)
    goto out;
  if (!no_store) {
    if (mkdir_p(motus_dir) != 0) {
      cli_errorf("serve: cannot create %s: %s", motus_dir, strerror(errno));
      goto out;
    }
    lopts.create = 1;
    ledger_err lerr;
    memset(&lerr, 0, sizeof lerr);
    if (ledger_open(&store, store_path, &lopts, &lerr) != LEDGER_OK) {
      cli_errorf("serve: cannot open the Store %s: %s", store_path, lerr.msg);
      goto out;
    }
  }
  if (!motebit_id[0]) {
    const char *cid = mcp_config_motebit_id(cfg);
    if (cid)
      snprintf(motebit_id, sizeof motebit_id, "%s", cid);
    else {
      char sid[SEAL_SOVEREIGN_ID];
      seal_sovereign_id(sid, seal_key_pk(key));
      snprintf(motebit_id, sizeof motebit_id, "%s", sid);
    }
  }
  mcp_server_opts so;
  memset(&so, 0, sizeof so);
  so.store = store;
  so.key = key;
  so.motebit_id = motebit_id;
  so.device_id = mcp_config_device_id(cfg);
  so.config = cfg;
  so.profile = profile;
  so.workers = (int)workers;
  so.window = (int)window;
  if (max_body > 0)
    so.max_message = (size_t)max_body;
  so.tool_groups = tools_groups;
  if (mcp_server_new(&srv, &so, err, sizeof err) != MCP_OK) {
    cli_errorf("serve: %s", err);
    goto out;
  }
  /* Block the stop signals before the listener threads exist so only sigwait sees them. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  mcp_http_opts ho;
  memset(&ho, 0, sizeof ho);
  ho.server = srv;
  ho.config = cfg;
  ho.store = store;
  ho.motebit_id = motebit_id;
  ho.host = host;
  ho.port = (uint16_t)port;
  ho.tls_cert_pem = cert;
  ho.tls_key_pem = tkey;
  ho.env_token = getenv("WORKLEDGER_TOKEN");
  ho.insecure_no_auth = insecure;
  ho.conformance = conformance;
  ho.max_body = (size_t)max_body;
  ho.max_connections = (unsigned)max_conn;
  ho.threads = (unsigned)threads;
  ho.public_url = public_url;
  int hrc = mcp_http_start(&http, &ho, err, sizeof err);
  if (hrc != MCP_OK) {
    cli_errorf("serve: %s", err);
    rc = wl_code_exit(hrc); /* MCP_EINVAL (bad options) 2, others 1 */
    goto out;
  }
  if (port_file) {
    FILE *f = fopen(port_file, "w");
    if (f) {
      fprintf(f, "%u\n", (unsigned)mcp_http_port(http));
      fclose(f);
    }
  }
  int sig = 0;
  sigwait(&set, &sig);
  mcp_log(MCP_LOG_INFO, "http: signal %d, stopping", sig);
  rc = CLI_EXIT_OK;
out:
  mcp_http_stop(http);
  mcp_server_free(srv);
  seal_key_free(key);
  ledger_close(store);
  json_decref(cfg);
  free(cert);
  free(tkey);
  return rc;
}
