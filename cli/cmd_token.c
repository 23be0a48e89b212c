/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_token.c — `workledger token mint --aud AUD [--ttl S]`: prints a motebit signed bearer
 * token (motebit-jwt-ed25519-v1, crypto/artifacts.h) made with this node's key, for calling a
 * peer as `Authorization: Bearer motebit:<token>` (--now overrides the clock). With --json prints {token, header, mid, aud,
 * exp}. Also `token pubkey`: the hex public key a peer pins in http.known_callers (or sends as
 * Motebit-Public-Key on first contact). */
#include "cli/cli.h"
#include "crypto/artifacts.h"
#include "crypto/seal.h"
#include "config/config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include("cli/node.h")
#include "cli/node.h"
#define WL_HAVE_NODE_H 1
#endif
#endif

static int usage(void)
{
  fprintf(stderr,
          "usage: workledger token mint --aud AUD [--ttl SECONDS] [--now EPOCH_MS] [--json]\n"
          "       workledger token pubkey [--json]\n");
  return CLI_EXIT_USAGE;
}

int cmd_token(int argc, char **argv)
{
  const char *aud = NULL;
  long ttl = 300;
  long long now_opt = 0;
  int json = cli_opt_json, rc = CLI_EXIT_FAIL;
  if (argc < 2)
    return usage();
  const char *sub = argv[1];
  if (strcmp(sub, "mint") && strcmp(sub, "pubkey"))
    return usage();
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--aud") && i + 1 < argc)
      aud = argv[++i];
    else if (!strcmp(argv[i], "--ttl") && i + 1 < argc) {
      char *end = NULL;
      errno = 0;
      ttl = strtol(argv[++i], &end, 10);
      if (errno || !end || *end || ttl < 1 || ttl > 86400 * 30) {
        cli_errorf("token: --ttl must be 1..2592000 seconds");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(argv[i], "--now") &&
               i + 1 < argc) { /* clock override (ms): tests, offline minting */
      char *end = NULL;
      errno = 0;
      now_opt = strtoll(argv[++i], &end, 10);
      if (errno || !end || *end || now_opt <= 0) {
        cli_errorf("token: --now must be epoch milliseconds");
        return CLI_EXIT_USAGE;
      }
    } else if (!strcmp(argv[i], "--json"))
      json = 1;
    else
      return usage();
  }
  if (!strcmp(sub, "mint") && (!aud || !*aud)) {
    cli_errorf("token mint: --aud is required (e.g. task:submit)");
    return CLI_EXIT_USAGE;
  }
  char motus_dir[4096], err[512], mid[80] = "", dev[80] = "workledger";
  cli_motus_dir(motus_dir, sizeof motus_dir, cli_store_path(cli_opt_store));
  json_t *cfg = NULL;
  if (mcp_config_load(&cfg, motus_dir, err, sizeof err) != 0) {
    cli_errorf("token: %s", err);
    return CLI_EXIT_FAIL;
  }
  seal_key *key = NULL;
#ifdef WL_HAVE_NODE_H
  cli_node node;
  if (cli_node_load(&node, motus_dir, err, sizeof err) != 0) {
    cli_errorf("token: %s", err);
    goto out;
  }
  key = node.key;
  snprintf(mid, sizeof mid, "%s", node.motebit_id);
#else
  {
    char path[4200];
    seal_err se;
    memset(&se, 0, sizeof se);
    snprintf(path, sizeof path, "%s/identity/key", motus_dir);
    if (seal_key_load(&key, path, getenv("WORKLEDGER_PASSPHRASE"), &se) != SEAL_OK) {
      cli_errorf("token: cannot load the node key %s: %s (run `workledger init`)", path, se.msg);
      goto out;
    }
  }
#endif
  if (!mid[0]) {
    const char *cid = mcp_config_motebit_id(cfg);
    if (cid)
      snprintf(mid, sizeof mid, "%s", cid);
    else {
      char sid[SEAL_SOVEREIGN_ID];
      seal_sovereign_id(sid, seal_key_pk(key));
      snprintf(mid, sizeof mid, "%s", sid);
    }
  }
  if (mcp_config_device_id(cfg))
    snprintf(dev, sizeof dev, "%s", mcp_config_device_id(cfg));
  if (!strcmp(sub, "pubkey")) {
    if (json)
      printf("{\"motebit_id\":\"%s\",\"public_key\":\"%s\"}\n", mid, seal_key_pk_hex(key));
    else
      printf("%s\n", seal_key_pk_hex(key));
    rc = CLI_EXIT_OK;
    goto out;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = now_opt ? (int64_t)now_opt : (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  char *tok = NULL;
  seal_err se;
  memset(&se, 0, sizeof se);
  if (seal_token_mint(&tok, key, mid, dev, now, now + ttl * 1000, NULL, aud, &se) != SEAL_OK) {
    cli_errorf("token: cannot mint: %s", se.msg);
    goto out;
  }
  if (json) {
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "token", tok, "header", "", "mid", mid,
                          "aud", aud, "exp", (json_int_t)(now + ttl * 1000), "public_key",
                          seal_key_pk_hex(key));
    size_t hl = strlen(tok) + 32;
    char *h = malloc(hl);
    if (h) {
      snprintf(h, hl, "Bearer motebit:%s", tok);
      json_object_set_new(o, "header", json_string(h));
      free(h);
    }
    char *s = json_dumps(o, JSON_COMPACT);
    printf("%s\n", s ? s : "{}");
    free(s);
    json_decref(o);
  } else {
    printf("%s\n", tok);
  }
  free(tok);
  rc = CLI_EXIT_OK;
out:
  seal_key_free(key);
  json_decref(cfg);
  return rc;
}
