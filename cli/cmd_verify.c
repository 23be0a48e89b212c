/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_verify.c — `workledger verify FILE|- [--strict-hash] [--public-key HEX] [--now MS]
 * [--json]`: reads one artifact (JSON receipt/decision/token/Work Receipt, optionally followed
 * by the MCP tag "\n[motebit:… key:…]"; a motebit.md identity file; or a bearer token), detects
 * its kind, verifies it with crypto/artifacts.h and prints ONE line of JSON
 * {"valid","kind","signer","depth","reasons"} on stdout. Exit 0 valid, 1 invalid (including a
 * well-formed JSON value that is no known artifact), 2 unreadable input (missing file, not
 * JSON, usage). It holds no verification logic of its own. */
#include "cli/cli.h"
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
  fputs("usage: workledger verify FILE|- [--strict-hash] [--public-key HEX] [--now MS] [--json]\n",
        stderr);
}

static void print_verdict(const seal_verdict *v)
{
  json_t *j = seal_verdict_json(v);
  char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  if (s) {
    fputs(s, stdout);
    fputc('\n', stdout);
  }
  free(s);
  json_decref(j);
}

int cmd_verify(int argc, char **argv)
{
  const char *path = NULL;
  uint8_t pin[SEAL_PK_BYTES];
  seal_verify_opts opts = SEAL_VERIFY_OPTS_INIT;
  seal_verdict v;
  char *text;
  size_t len = 0;
  int i, rc;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--strict-hash")) {
      opts.strict_hash = 1;
    } else if (!strcmp(argv[i], "--json")) {
      /* the verdict is always JSON */
    } else if (!strcmp(argv[i], "--public-key") && i + 1 < argc) {
      if (seal_hex_decode(pin, sizeof pin, argv[++i], 0) != SEAL_OK) {
        cli_errorf("verify: --public-key needs 64 hex characters");
        return CLI_EXIT_USAGE;
      }
      opts.pinned_pk = pin;
    } else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
      char *end;
      long long ms = strtoll(argv[++i], &end, 10);
      if (*end || ms <= 0) {
        cli_errorf("verify: --now needs epoch milliseconds");
        return CLI_EXIT_USAGE;
      }
      opts.now_ms = ms;
    } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage();
      return CLI_EXIT_OK;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      cli_errorf("verify: unknown option %s", argv[i]);
      usage();
      return CLI_EXIT_USAGE;
    } else if (!path) {
      path = argv[i];
    } else {
      usage();
      return CLI_EXIT_USAGE;
    }
  }
  if (!path) {
    usage();
    return CLI_EXIT_USAGE;
  }
  if (seal_init() != SEAL_OK) {
    cli_errorf("verify: libsodium initialisation failed");
    return CLI_EXIT_USAGE;
  }
  if (!strcmp(path, "-")) {
    text = read_all(stdin, &len);
  } else {
    FILE *f = fopen(path, "rb");
    if (!f) {
      int e = errno;
      seal_verdict_init(&v);
      seal_verdict_fail(&v, "unreadable input: cannot open %s: %s", path, strerror(e));
      print_verdict(&v);
      seal_verdict_clear(&v);
      cli_errorf("verify: cannot open %s: %s", path, strerror(e));
      return CLI_EXIT_USAGE;
    }
    text = read_all(f, &len);
    fclose(f);
  }
  if (!text) {
    cli_errorf("verify: cannot read %s: %s", path, strerror(errno));
    return CLI_EXIT_USAGE;
  }
  rc = seal_verify_text(text, len, &opts, &v);
  free(text);
  print_verdict(&v);
  seal_verdict_clear(&v);
  if (rc == SEAL_OK)
    return CLI_EXIT_OK;
  if (rc == SEAL_EINVAL || rc == SEAL_EDEPTH || rc == SEAL_ERROR)
    return CLI_EXIT_USAGE; /* unreadable: not JSON, not an identity file, not a token */
  return CLI_EXIT_FAIL;
}
