/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_verify.c — `workledger verify FILE|- [--strict-hash] [--public-key HEX] [--now MS]
 * [--succession FILE] [--local] [--json]`: reads one artifact (JSON receipt/decision/token/Work Receipt, optionally followed
 * by the MCP tag "\n[motebit:… key:…]"; a motebit.md identity file; or a bearer token), detects
 * its kind, verifies it with crypto/artifacts.h and prints ONE line of JSON
 * {"valid","kind","signer","depth","reasons"} on stdout. Exit 0 valid, 1 invalid (including a
 * well-formed JSON value that is no known artifact), 2 unreadable input (missing file, not
 * JSON, usage). It holds no verification logic of its own.
 *
 * Key rotation (spec/signing.md "Key rotation"): --public-key pins the signer's CURRENT key and
 * --succession FILE supplies its succession chain (JSON Lines or an array); an artifact signed by
 * a retired key of that chain is then valid when the whole chain verifies and links the key to
 * the pinned one, and the verdict says so in "key":{"status":"retired", ...}. --local pins the
 * key of this node's own motebit.md (after verifying that file) and uses its chain
 * <motus>/identity/succession.jsonl. */
#include "cli/cli.h"
#include "cli/succession.h"
#include "crypto/artifacts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERIFY_MAX_INPUT (16u * 1024 * 1024)

static char *read_all(FILE *f, size_t *len)
{
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0)
      break;
    if (n == cap) {
      char *nb;
      if (cap >= VERIFY_MAX_INPUT) {
        free(buf);
        errno = EFBIG;
        return NULL;
      }
      nb = realloc(buf, cap * 2 + 1);
      if (!nb) {
        free(buf);
        return NULL;
      }
      buf = nb;
      cap *= 2;
    }
  }
  if (!buf || ferror(f)) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void usage(void)
{
  fputs("usage: workledger verify FILE|- [--strict-hash] [--public-key HEX] [--now MS]\n"
        "                         [--succession FILE] [--local] [--json]\n",
        stderr);
}

static void print_verdict_link(const seal_verdict *v, const seal_key_link *link)
{
  json_t *j = seal_verdict_json(v);
  if (j && link && link->current_pk[0] && v->valid) {
    json_t *k = link->retired
                    ? json_pack("{s:s,s:s,s:s,s:I,s:i}", "status", "retired", "signer_key",
                                v->signer_pk, "current_key", link->current_pk, "retired_at",
                                (json_int_t)link->retired_at_ms, "succession_record", link->record)
                    : json_pack("{s:s,s:s}", "status", "current", "current_key", link->current_pk);
    if (k)
      json_object_set_new(j, "key", k);
  }
  char *s = j ? seal_json_dumps(j, JSON_COMPACT) : NULL;
  if (s) {
    fputs(s, stdout);
    fputc('\n', stdout);
  }
  free(s);
  json_decref(j);
}

static void print_verdict(const seal_verdict *v)
{
  print_verdict_link(v, NULL);
}

/* --local: the verified identity.public_key of <motus>/identity/motebit.md into pin, and the
 * chain path. 0, or -1 after printing why. */
static int local_identity(uint8_t pin[SEAL_PK_BYTES], char *chain_path, size_t cap)
{
  char motus[4096], md_path[4200];
  FILE *f;
  char *text;
  size_t len = 0;
  seal_verdict v;
  int ok;
  cli_motus_dir(motus, sizeof motus, cli_store_path(cli_opt_store));
  snprintf(md_path, sizeof md_path, "%s/identity/motebit.md", motus);
  if (!(f = fopen(md_path, "rb"))) {
    cli_errorf("verify: --local: cannot open %s: %s (run `workledger init`)", md_path,
               strerror(errno));
    return -1;
  }
  text = read_all(f, &len);
  fclose(f);
  if (!text) {
    cli_errorf("verify: --local: cannot read %s", md_path);
    return -1;
  }
  ok = seal_identity_verify(text, len, NULL, &v) == SEAL_OK &&
       seal_hex_decode(pin, SEAL_PK_BYTES, v.signer_pk, 1) == SEAL_OK;
  if (!ok) {
    json_t *r = json_array_get(v.reasons, 0);
    cli_errorf("verify: --local: %s does not verify: %s", md_path,
               json_string_value(r) ? json_string_value(r) : "unknown reason");
  }
  seal_verdict_clear(&v);
  free(text);
  if (ok)
    cli_succession_path(chain_path, cap, motus);
  return ok ? 0 : -1;
}

typedef struct verify_opts {
  const char *path;       /* FILE or "-" */
  const char *succession; /* --succession FILE, or the local chain with --local */
  int local;
  uint8_t pin[SEAL_PK_BYTES];
  seal_verify_opts opts; /* opts.pinned_pk points at pin when a key is pinned */
  char local_chain[4200];
} verify_opts;

/* One option taking a value (`v` non-NULL). 1 taken, 0 not ours, -1 bad value (printed). */
static int value_opt(verify_opts *o, const char *a, const char *v)
{
  if (!strcmp(a, "--public-key")) {
    if (seal_hex_decode(o->pin, sizeof o->pin, v, 0) != SEAL_OK) {
      cli_errorf("verify: --public-key needs 64 hex characters");
      return -1;
    }
    o->opts.pinned_pk = o->pin;
  } else if (!strcmp(a, "--succession")) {
    o->succession = v;
  } else if (!strcmp(a, "--now")) {
    char *end;
    long long ms = strtoll(v, &end, 10);
    if (*end || ms <= 0) {
      cli_errorf("verify: --now needs epoch milliseconds");
      return -1;
    }
    o->opts.now_ms = ms;
  } else
    return 0;
  return 1;
}

/* @return CLI_CONTINUE, or the exit status (--help, usage error). */
static int parse_opts(int argc, char **argv, verify_opts *o)
{
  seal_verify_opts defaults = SEAL_VERIFY_OPTS_INIT;
  memset(o, 0, sizeof *o);
  o->opts = defaults;
  for (int i = 1; i < argc; i++) {
    int r = 0;
    if (!strcmp(argv[i], "--strict-hash")) {
      o->opts.strict_hash = 1;
    } else if (!strcmp(argv[i], "--json")) {
      /* the verdict is always JSON */
    } else if (i + 1 < argc && (r = value_opt(o, argv[i], argv[i + 1])) != 0) {
      if (r < 0)
        return CLI_EXIT_USAGE;
      i++;
    } else if (!strcmp(argv[i], "--local")) {
      o->local = 1;
    } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage();
      return CLI_EXIT_OK;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      cli_errorf("verify: unknown option %s", argv[i]);
      usage();
      return CLI_EXIT_USAGE;
    } else if (!o->path) {
      o->path = argv[i];
    } else {
      usage();
      return CLI_EXIT_USAGE;
    }
  }
  if (!o->path) {
    usage();
    return CLI_EXIT_USAGE;
  }
  return CLI_CONTINUE;
}

/* --local pins this node's key; --succession (or --local's chain) is read into *chain (new).
 * @return CLI_CONTINUE, or CLI_EXIT_USAGE with the error printed. */
static int load_keys(verify_opts *o, json_t **chain)
{
  char err[600];
  if (o->local) {
    if (o->opts.pinned_pk) {
      cli_errorf("verify: --local and --public-key exclude each other");
      return CLI_EXIT_USAGE;
    }
    if (local_identity(o->pin, o->local_chain, sizeof o->local_chain))
      return CLI_EXIT_USAGE;
    o->opts.pinned_pk = o->pin;
    if (!o->succession)
      o->succession = o->local_chain;
  }
  if (!o->succession)
    return CLI_CONTINUE;
  if (!o->opts.pinned_pk) {
    cli_errorf("verify: --succession needs the current key (--public-key HEX or --local)");
    return CLI_EXIT_USAGE;
  }
  if (cli_succession_read(chain, o->succession, o->local && o->succession == o->local_chain, err,
                          sizeof err)) {
    cli_errorf("verify: %s", err);
    return CLI_EXIT_USAGE;
  }
  return CLI_CONTINUE;
}

/* The artifact's text (new) from `path` or stdin ("-"), or NULL with the error printed (and, when
 * the file cannot be opened, an invalid verdict on stdout). */
static char *read_input(const char *path, size_t *len)
{
  char *text;
  if (!strcmp(path, "-")) {
    text = read_all(stdin, len);
  } else {
    FILE *f = fopen(path, "rb");
    if (!f) {
      int e = errno;
      seal_verdict v;
      seal_verdict_init(&v);
      seal_verdict_fail(&v, "unreadable input: cannot open %s: %s", path, strerror(e));
      print_verdict(&v);
      seal_verdict_clear(&v);
      cli_errorf("verify: cannot open %s: %s", path, strerror(e));
      return NULL;
    }
    text = read_all(f, len);
    fclose(f);
  }
  if (!text)
    cli_errorf("verify: cannot read %s: %s", path, strerror(errno));
  return text;
}

int cmd_verify(int argc, char **argv)
{
  verify_opts o;
  seal_verdict v;
  seal_key_link link;
  json_t *chain = NULL;
  char *text;
  size_t len = 0;
  int rc;

  if ((rc = parse_opts(argc, argv, &o)) != CLI_CONTINUE)
    return rc;
  if ((rc = load_keys(&o, &chain)) != CLI_CONTINUE)
    return rc;
  if (!(text = read_input(o.path, &len))) {
    json_decref(chain);
    return CLI_EXIT_USAGE;
  }
  rc = seal_verify_text_succession(text, len, &o.opts, json_array_size(chain) ? chain : NULL, &v,
                                   &link);
  free(text);
  json_decref(chain);
  print_verdict_link(&v, o.succession ? &link : NULL); /* "key" only when a chain was asked for */
  seal_verdict_clear(&v);
  /* R-SIGN-083 through the table (crypto/err.h): EINVAL and EDEPTH (unreadable: not JSON, not
   * an identity file, not a token) exit 2, a failed verification 1; so does SEAL_ERROR here. */
  return rc == SEAL_ERROR ? CLI_EXIT_USAGE : wl_code_exit(rc);
}
