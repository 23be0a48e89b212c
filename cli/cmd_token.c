/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_token.c — `workledger token mint --aud AUD [--ttl S]`: prints a motebit signed bearer
 * token (motebit-jwt-ed25519-v1, crypto/artifacts.h) made with this node's key, for calling a
 * peer as `Authorization: Bearer motebit:<token>` (--now overrides the clock). With --json prints
 * {token, header, mid, aud, exp}. Also `token pubkey`: the hex public key a peer pins in
 * http.known_callers (or sends as Motebit-Public-Key on first contact). */
#include "cli/cli.h"
#include "cli/node.h"
#include "crypto/artifacts.h"
#include "crypto/seal.h"
#include "config/config.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct token_opts {
  const char *sub; /* "mint" or "pubkey" */
  const char *aud;
  long ttl; /* seconds */
  long now; /* clock override (ms): tests, offline minting; 0 = the clock */
  int json;
} token_opts;

static int usage(void)
{
  fprintf(stderr,
          "usage: workledger token mint --aud AUD [--ttl SECONDS] [--now EPOCH_MS] [--json]\n"
          "       workledger token pubkey [--json]\n");
  return CLI_EXIT_USAGE;
}

/* @return CLI_CONTINUE, or the exit status of a usage error. */
static int parse_opts(int argc, char **argv, token_opts *o)
{
  memset(o, 0, sizeof *o);
  o->ttl = 300;
  o->json = cli_opt_json;
  if (argc < 2)
    return usage();
  o->sub = argv[1];
  if (strcmp(o->sub, "mint") && strcmp(o->sub, "pubkey"))
    return usage();
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--aud") && i + 1 < argc)
      o->aud = argv[++i];
    else if (!strcmp(argv[i], "--ttl") && i + 1 < argc) {
      if (cli_parse_long(argv[++i], 1, 86400 * 30, &o->ttl)) {
        cli_errorf("token: --ttl must be 1..2592000 seconds");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
      if (cli_parse_long(argv[++i], 1, LONG_MAX, &o->now)) {
        cli_errorf("token: --now must be epoch milliseconds");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(argv[i], "--json"))
      o->json = 1;
    else
      return usage();
  }
  if (!strcmp(o->sub, "mint") && (!o->aud || !*o->aud)) {
    cli_errorf("token mint: --aud is required (e.g. task:submit)");
    return CLI_EXIT_USAGE;
  }
  return CLI_CONTINUE;
}

static void print_mint_json(const char *tok, const token_opts *o, const cli_node *n, int64_t exp)
{
  json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "token", tok, "header", "", "mid",
                        n->motebit_id, "aud", o->aud, "exp", (json_int_t)exp, "public_key",
                        seal_key_pk_hex(n->key));
  size_t hl = strlen(tok) + 32;
  char *h = malloc(hl);
  if (h) {
    snprintf(h, hl, "Bearer motebit:%s", tok);
    json_object_set_new(j, "header", json_string(h));
    free(h);
  }
  char *s = seal_json_dumps(j, JSON_COMPACT);
  printf("%s\n", s ? s : "{}");
  free(s);
  json_decref(j);
}

static int mint(const token_opts *o, const cli_node *n, const char *dev)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = o->now ? (int64_t)o->now : (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  int64_t exp = now + o->ttl * 1000;
  char *tok = NULL;
  seal_err se;
  memset(&se, 0, sizeof se);
  if (seal_token_mint(&tok, n->key, n->motebit_id, dev, now, exp, NULL, o->aud, &se) != SEAL_OK) {
    cli_errorf("token: cannot mint: %s", se.msg);
    return CLI_EXIT_FAIL;
  }
  if (o->json)
    print_mint_json(tok, o, n, exp);
  else
    printf("%s\n", tok);
  free(tok);
  return CLI_EXIT_OK;
}

int cmd_token(int argc, char **argv)
{
  token_opts o;
  cli_node node;
  json_t *cfg = NULL;
  char motus_dir[4096], err[512], dev[80] = "workledger";
  int rc;

  if ((rc = parse_opts(argc, argv, &o)) != CLI_CONTINUE)
    return rc;
  memset(&node, 0, sizeof node);
  cli_motus_dir(motus_dir, sizeof motus_dir, cli_store_path(cli_opt_store));
  if (mcp_config_load(&cfg, motus_dir, err, sizeof err) != 0) {
    cli_errorf("token: %s", err);
    return CLI_EXIT_FAIL;
  }
  if (cli_node_load(&node, motus_dir, err, sizeof err) != 0) {
    cli_errorf("token: %s", err);
    rc = CLI_EXIT_FAIL;
    goto out;
  }
  if (mcp_config_device_id(cfg))
    snprintf(dev, sizeof dev, "%s", mcp_config_device_id(cfg));
  if (!strcmp(o.sub, "pubkey")) {
    if (o.json)
      printf("{\"motebit_id\":\"%s\",\"public_key\":\"%s\"}\n", node.motebit_id,
             seal_key_pk_hex(node.key));
    else
      printf("%s\n", seal_key_pk_hex(node.key));
    rc = CLI_EXIT_OK;
  } else {
    rc = mint(&o, &node, dev);
  }
out:
  cli_node_free(&node);
  json_decref(cfg);
  return rc;
}
