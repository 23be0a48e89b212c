/* SPDX-License-Identifier: Apache-2.0
 * cli/serve_int.h — what `workledger serve` over stdio (cli/cmd_serve.c) and over HTTP
 * (cli/cmd_serve_http.c) share, implemented in cli/serve_common.c: the options both accept, and
 * the composition steps before the transport (config, node identity, Store, MCP core). Private to
 * cli/. */
#ifndef WL_CLI_SERVE_INT_H
#define WL_CLI_SERVE_INT_H

#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "mcp/mcp.h"

#include <stddef.h>

/* The options both transports accept. */
typedef struct serve_common_opts {
  const char *store_opt; /* borrowed (argv or cli_opt_store) */
  const char *profile;   /* borrowed (argv or the config); NULL until the config is loaded */
  ledger_opts lopts;     /* durability; create is set when the Store is opened */
  long workers, window;  /* 0 = the core's default */
  int no_store;
} serve_common_opts;

/* Answers of serve_common_opt(). */
enum {
  SERVE_OPT_OTHER = 0, /* not a shared option: the caller handles `a` */
  SERVE_OPT_FLAG,      /* taken, without a value */
  SERVE_OPT_VALUE,     /* taken with its value `v`: the caller skips it */
  SERVE_OPT_NO_VALUE,  /* a shared option that needs a value, and `v` is NULL */
  SERVE_OPT_BAD        /* a bad value; the one-line error is printed: exit CLI_EXIT_USAGE */
};

/* Fills `o` with the defaults (store_opt = cli_opt_store). */
void serve_common_opts_init(serve_common_opts *o);

/* Recognises one shared option: `a` is the argument, `v` the next one or NULL (both borrowed).
 * --store, --profile, --durability, --workers, --window, --no-store, --stdio and --json. */
int serve_common_opt(serve_common_opts *o, const char *a, const char *v);

/* What serve builds before its transport; every pointer is owned (serve_env_free). */
typedef struct serve_env {
  const char *store_path; /* borrowed (cli_store_path) */
  char motus_dir[4096];
  json_t *cfg;                 /* new: the loaded .motus/config.json */
  seal_key *key;               /* new: the node key (or an ephemeral one) */
  char motebit_id[64];         /* the node's id; "" with an ephemeral key */
  ledger *store;               /* new; NULL with --no-store */
  struct tools_upstreams *ups; /* new: the running upstream servers (config "upstreams") */
} serve_env;

/* Loads the config of the Store's .motus directory into `e` (zeroed first) and sets o->profile
 * from the config when no --profile was given. @return 0, -1 with "serve: <msg>" printed, or -2
 * (message printed, nothing held) when policy.denylist/allowlist names an unknown tool: the
 * caller exits 2, bad input. */
int serve_env_config(serve_env *e, serve_common_opts *o);

/* Loads the node identity; with `ephemeral`, a missing or unreadable one becomes a throwaway
 * key (logged as a warning). @return 0, or -1 (message printed). */
int serve_env_identity(serve_env *e, int ephemeral);

/* Creates the .motus directory and opens (creating) the Store, unless o->no_store.
 * @return 0, or -1 (message printed). */
int serve_env_store(serve_env *e, serve_common_opts *o);

/* Starts the configured upstream MCP servers into e->ups (waiting up to 30 s for their first
 * tool listing) and builds the MCP core over `e` (borrowed: must outlive *out) with the tool
 * table and the upstreams' tools; `max_message` 0 = the default, `progress_ms` 0 = the default
 * heartbeat.
 * @return 0 with *out new, or -1 (message printed). */
int serve_server_new(mcp_server **out, serve_env *e, const serve_common_opts *o, long max_message,
                     long progress_ms);

/* Stops relaying upstream list_changed into the server: call before mcp_server_free. */
void serve_env_detach(serve_env *e);

/* Stops the upstreams, closes the Store, frees the key and the config (after the server was
 * freed); `e` may be partly filled. */
void serve_env_free(serve_env *e);

#endif
