/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_identity.c — `workledger identity [show] [--json]` and `workledger identity rotate
 * [--reason TEXT] [--json]` (spec/signing.md "Key rotation"). show prints the motebit_id, the
 * current key, its did:key and the retired keys of the succession chain. rotate generates a new
 * Ed25519 key, signs a succession record with BOTH keys (motebit §5.2), appends it to
 * <motus>/identity/succession.jsonl (the append-only chain and registry of retired public keys),
 * pins the motebit_id in <motus>/identity/motebit_id so it never changes, re-signs motebit.md
 * with the new key (identity.public_key = new key, a `succession` list with every record), and
 * replaces the key file; the retired secret is not kept. The record is also stored in the Store
 * (receipts, kind "motebit.key-succession") when one exists. Order of writes: new key and new
 * motebit.md to temporary files, then the chain append (the commit point), then the renames; a
 * crash in between leaves a chain whose last key is not the key file's, which `identity rotate`
 * detects and refuses to build on. */
#include "cli/cli.h"
#include "cli/node.h"
#include "cli/succession.h"
#include "crypto/artifacts.h"
#include "ledger/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUCCESSION_RECEIPT_KIND "motebit.key-succession"

static void usage(void)
{
  fputs("usage: workledger identity [show] [--json]\n"
        "       workledger identity rotate [--reason TEXT] [--json]\n",
        stderr);
}

/* The quoted value of a top-level `name: "value"` line of the identity YAML, or "" . */
static void yaml_top(const char *md, const char *name, char *out, size_t cap)
{
  size_t n = strlen(name);
  const char *p = md;
  out[0] = '\0';
  while (p && *p) {
    if (!strncmp(p, name, n) && p[n] == ':' && p[n + 1] == ' ' && p[n + 2] == '"') {
      const char *v = p + n + 3, *e = strchr(v, '"');
      if (e && (size_t)(e - v) < cap && !memchr(v, '\n', (size_t)(e - v))) {
        memcpy(out, v, (size_t)(e - v));
        out[e - v] = '\0';
      }
      return;
    }
    p = strchr(p, '\n');
    if (p)
      p++;
  }
}

static int write_file_atomic_tmp(const char *path, const char *data, size_t n, mode_t mode,
                                 char *err, size_t cap)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  int ok;
  if (fd < 0) {
    snprintf(err, cap, "cannot create %s: %s", path, strerror(errno));
    return -1;
  }
  ok = write(fd, data, n) == (ssize_t)n && fsync(fd) == 0;
  if (close(fd) != 0)
    ok = 0;
  if (!ok)
    snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
  return ok ? 0 : -1;
}

/* The identity YAML with every succession record as a list. malloc'd or NULL. */
static char *yaml_with_succession(const char *base, const json_t *chain)
{
  size_t cap = strlen(base) + 64 + json_array_size(chain) * 700, k;
  char *y = malloc(cap);
  size_t i;
  json_t *r;
  if (!y)
    return NULL;
  k = (size_t)snprintf(y, cap, "%s\nsuccession:", base);
  json_array_foreach(chain, i, r) {
    const char *reason = json_string_value(json_object_get(r, "reason"));
    char reason_line[300] = "";
    if (reason)
      snprintf(reason_line, sizeof reason_line, "\n    reason: \"%s\"", reason);
    k += (size_t)snprintf(
        y + k, cap - k,
        "\n  - old_public_key: \"%s\"\n    new_public_key: \"%s\"\n    timestamp: %lld%s\n"
        "    suite: \"%s\"\n    old_key_signature: \"%s\"\n    new_key_signature: \"%s\"",
        json_string_value(json_object_get(r, "old_public_key")),
        json_string_value(json_object_get(r, "new_public_key")),
        (long long)json_integer_value(json_object_get(r, "timestamp")), reason_line,
        json_string_value(json_object_get(r, "suite")),
        json_string_value(json_object_get(r, "old_key_signature")),
        json_string_value(json_object_get(r, "new_key_signature")));
    if (k >= cap) {
      free(y);
      return NULL;
    }
  }
  return y;
}

/* The whole (small) text file, malloc'd, or NULL. */
static char *read_text(const char *path)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t n;
  if (!f)
    return NULL;
  buf = malloc(65537);
  if (buf) {
    n = fread(buf, 1, 65536, f);
    buf[n] = '\0';
  }
  fclose(f);
  return buf;
}

typedef struct put_job {
  const json_t *rec;
  char id[80];
} put_job;

static int put_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  put_job *j = payload;
  return ledger_txn_receipt_put(t, j->id, SUCCESSION_RECEIPT_KIND, NULL, NULL, j->rec, err);
}

/* Best effort: the chain file is authoritative; the Store keeps an audit copy. */
static void store_copy(const json_t *rec)
{
  const char *path = cli_store_path(cli_opt_store);
  ledger *l = NULL;
  ledger_opts o = LEDGER_OPTS_INIT;
  ledger_err e = {0};
  put_job j;
  char h[SEAL_SHA256_HEX];
  if ((!ledger_store_is_uri(path) && access(path, F_OK) != 0) ||
      seal_canon_sha256_hex(h, rec, SEAL_CANON_JCS, NULL) != SEAL_OK)
    return;
  if (ledger_open(&l, path, &o, &e) != LEDGER_OK) {
    cli_errorf("identity rotate: warning: the Store copy of the record was not written: %s", e.msg);
    return;
  }
  j.rec = rec;
  snprintf(j.id, sizeof j.id, "succ_%.32s", h);
  if (ledger_tx(l, put_fn, &j, &e) != LEDGER_OK)
    cli_errorf("identity rotate: warning: the Store copy of the record was not written: %s", e.msg);
  ledger_close(l);
}

static int pin_motebit_id(const char *motus_dir, const char *id, char *err, size_t cap)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/identity/motebit_id", motus_dir);
  if (access(path, F_OK) == 0)
    return 0;
  {
    char line[80];
    int n = snprintf(line, sizeof line, "%s\n", id);
    return write_file_atomic_tmp(path, line, (size_t)n, 0644, err, cap);
  }
}

/* One rotation in progress: the current node, the new key and record, the files it writes. */
typedef struct rotation {
  cli_node node;
  seal_key *nk;                  /* the new key */
  json_t *chain, *rec;           /* the succession chain (the new record appended once built) */
  char *yaml, *full, *signed_md; /* the new identity file: base, with succession, signed */
  int64_t ts;                    /* the record's timestamp (ms) */
  char chain_path[4200], key_path[4200], key_tmp[4300], md_path[4200], md_tmp[4300];
} rotation;

/* --reason: one line of at most 200 characters without quotes or backslashes.
 * @return CLI_CONTINUE, or CLI_EXIT_USAGE with the error printed. */
static int check_reason(const char *reason)
{
  if (reason && (strpbrk(reason, "\"\\") || strlen(reason) > 200)) {
    cli_errorf(
        "identity rotate: --reason must be at most 200 characters without quotes or backslashes");
    return CLI_EXIT_USAGE;
  }
  for (const char *p = reason; p && *p; p++)
    if ((unsigned char)*p < 0x20) {
      cli_errorf("identity rotate: --reason must be one line of text");
      return CLI_EXIT_USAGE;
    }
  return CLI_CONTINUE;
}

/* The paths, the chain (it must verify up to the current key) and the record's timestamp (after
 * the chain's last). 0, or -1 with the error printed. */
static int rotation_prepare(rotation *r, const char *motus_dir)
{
  char err[600], now[LEDGER_TS_MAX];
  seal_err se = {0};
  cli_succession_path(r->chain_path, sizeof r->chain_path, motus_dir);
  snprintf(r->key_path, sizeof r->key_path, "%s/identity/key", motus_dir);
  snprintf(r->key_tmp, sizeof r->key_tmp, "%s.rotate", r->key_path);
  snprintf(r->md_path, sizeof r->md_path, "%s/identity/motebit.md", motus_dir);
  snprintf(r->md_tmp, sizeof r->md_tmp, "%s.rotate", r->md_path);
  if (cli_succession_read(&r->chain, r->chain_path, 1, err, sizeof err)) {
    cli_errorf("identity rotate: %s", err);
    return -1;
  }
  r->ts = 0;
  ledger_now(now);
  if (ledger_ts_parse(&r->ts, now) != LEDGER_OK) {
    cli_errorf("identity rotate: cannot read the clock");
    return -1;
  }
  if (json_array_size(r->chain) > 0) {
    const json_t *last = json_array_get(r->chain, json_array_size(r->chain) - 1);
    if (seal_succession_verify_chain(r->chain, seal_key_pk_hex(r->node.key), &se) != SEAL_OK) {
      cli_errorf("identity rotate: %s does not verify up to the current key (%s); refusing to "
                 "extend it",
                 r->chain_path, se.msg);
      return -1;
    }
    if (r->ts <= json_integer_value(json_object_get(last, "timestamp")))
      r->ts = json_integer_value(json_object_get(last, "timestamp")) + 1;
  }
  return 0;
}

/* The new key, the succession record signed by both keys, and the pinned motebit_id (it survives
 * the rotation). 0, or -1 with the error printed. */
static int rotation_sign(rotation *r, const char *motus_dir, const char *reason)
{
  char err[600];
  seal_err se = {0};
  if (seal_key_generate(&r->nk) != SEAL_OK ||
      seal_succession_sign(&r->rec, r->node.key, r->nk, r->ts, reason, &se) != SEAL_OK) {
    cli_errorf("identity rotate: cannot sign the succession record: %s", se.msg);
    return -1;
  }
  if (pin_motebit_id(motus_dir, r->node.motebit_id, err, sizeof err)) {
    cli_errorf("identity rotate: %s", err);
    return -1;
  }
  return 0;
}

/* The new identity file, signed by the new key, keeping created_at and type of the old one; the
 * record is appended to r->chain. 0, or -1 with the error printed. */
static int rotation_build_md(rotation *r)
{
  char created[64] = "", type[32] = "", *md = read_text(r->md_path);
  seal_err se = {0};
  if (md) {
    yaml_top(md, "created_at", created, sizeof created);
    yaml_top(md, "type", type, sizeof type);
    free(md);
  }
  if (!created[0])
    ledger_now(created);
  json_array_append(r->chain, r->rec);
  if (seal_identity_yaml(&r->yaml, r->node.motebit_id, seal_key_pk_hex(r->nk), created,
                         type[0] ? type : NULL, &se) != SEAL_OK ||
      !(r->full = yaml_with_succession(r->yaml, r->chain)) ||
      seal_identity_sign(&r->signed_md, r->full, r->nk, &se) != SEAL_OK) {
    cli_errorf("identity rotate: cannot build the new identity file: %s", se.msg);
    return -1;
  }
  return 0;
}

/* Temporaries first, then the commit point (the chain append), then the renames. 0, or -1 with
 * the error printed. */
static int rotation_install(rotation *r)
{
  const char *pass = getenv("WORKLEDGER_PASSPHRASE");
  char err[600];
  seal_err se = {0};
  if (seal_key_save(r->nk, r->key_tmp, pass && *pass ? pass : NULL, &se) != SEAL_OK) {
    cli_errorf("identity rotate: cannot write %s: %s", r->key_tmp, se.msg);
    return -1;
  }
  chmod(r->key_tmp, 0600);
  if (write_file_atomic_tmp(r->md_tmp, r->signed_md, strlen(r->signed_md), 0644, err, sizeof err) ||
      cli_succession_append(r->chain_path, r->rec, err, sizeof err)) {
    cli_errorf("identity rotate: %s", err);
    unlink(r->key_tmp);
    unlink(r->md_tmp);
    return -1;
  }
  if (rename(r->key_tmp, r->key_path) != 0 || rename(r->md_tmp, r->md_path) != 0) {
    cli_errorf("identity rotate: the record was appended to %s but installing the new key "
               "failed: %s (the new key is in %s)",
               r->chain_path, strerror(errno), r->key_tmp);
    return -1;
  }
  return 0;
}

static void rotation_report(const rotation *r, int json)
{
  char did[SEAL_DID_KEY_MAX] = "";
  if (seal_did_key_from_pk(did, seal_key_pk(r->nk)) != SEAL_OK)
    did[0] = 0;
  json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "motebit_id", r->node.motebit_id,
                        "old_public_key", seal_key_pk_hex(r->node.key), "new_public_key",
                        seal_key_pk_hex(r->nk), "did", did, "timestamp", (json_int_t)r->ts,
                        "chain_length", (json_int_t)json_array_size(r->chain), "succession",
                        r->chain_path);
  if (json)
    cli_print_json(o);
  else
    printf("rotated %s: key %.16s… retired, new key %.16s… (succession record %zu in %s)\n",
           r->node.motebit_id, seal_key_pk_hex(r->node.key), seal_key_pk_hex(r->nk),
           json_array_size(r->chain), r->chain_path);
  json_decref(o);
}

static int rotate(const char *motus_dir, const char *reason, int json)
{
  rotation r;
  char err[600];
  int rc;

  if ((rc = check_reason(reason)) != CLI_CONTINUE)
    return rc;
  memset(&r, 0, sizeof r);
  if (cli_node_load(&r.node, motus_dir, err, sizeof err)) {
    cli_errorf("identity rotate: %s", err);
    return CLI_EXIT_FAIL;
  }
  rc = CLI_EXIT_FAIL;
  if (rotation_prepare(&r, motus_dir) != 0 || rotation_sign(&r, motus_dir, reason) != 0 ||
      rotation_build_md(&r) != 0 || rotation_install(&r) != 0)
    goto out;
  store_copy(r.rec);
  rotation_report(&r, json);
  rc = CLI_EXIT_OK;
out:
  free(r.yaml);
  free(r.full);
  free(r.signed_md);
  json_decref(r.rec);
  json_decref(r.chain);
  seal_key_free(r.nk);
  cli_node_free(&r.node);
  return rc;
}

static int show(const char *motus_dir, int json)
{
  cli_node node;
  json_t *chain = NULL, *retired, *r;
  char err[600], chain_path[4200];
  seal_err se = {0};
  size_t i;
  const char *status = "none";
  if (cli_node_load(&node, motus_dir, err, sizeof err)) {
    cli_errorf("identity: %s", err);
    return CLI_EXIT_FAIL;
  }
  cli_succession_path(chain_path, sizeof chain_path, motus_dir);
  if (cli_succession_read(&chain, chain_path, 1, err, sizeof err)) {
    cli_errorf("identity: %s", err);
    cli_node_free(&node);
    return CLI_EXIT_FAIL;
  }
  retired = json_array();
  json_array_foreach(chain, i, r)
    json_array_append(retired, json_object_get(r, "old_public_key"));
  if (json_array_size(chain))
    status = seal_succession_verify_chain(chain, seal_key_pk_hex(node.key), &se) == SEAL_OK
                 ? "valid"
                 : "invalid";
  if (json) {
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:s}", "motebit_id", node.motebit_id, "public_key",
                          seal_key_pk_hex(node.key), "did", node.did, "retired_keys", retired,
                          "succession", status);
    if (se.msg[0])
      json_object_set_new(o, "succession_error", json_string(se.msg));
    cli_print_json(o);
    json_decref(o);
  } else {
    printf("motebit_id %s\npublic_key %s\ndid        %s\nsuccession %s (%zu retired key%s)%s%s\n",
           node.motebit_id, seal_key_pk_hex(node.key), node.did, status, json_array_size(retired),
           json_array_size(retired) == 1 ? "" : "s", se.msg[0] ? ": " : "", se.msg);
    json_decref(retired);
  }
  json_decref(chain);
  cli_node_free(&node);
  return strcmp(status, "invalid") ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_identity(int argc, char **argv)
{
  const char *sub = "show", *reason = NULL;
  int json = cli_opt_json, i = 1;
  char motus_dir[4096];
  if (i < argc && argv[i][0] != '-')
    sub = argv[i++];
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--json"))
      json = 1;
    else if (!strcmp(argv[i], "--reason") && i + 1 < argc)
      reason = argv[++i];
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage();
      return CLI_EXIT_OK;
    } else {
      cli_errorf("identity: unexpected argument '%s'", argv[i]);
      usage();
      return CLI_EXIT_USAGE;
    }
  }
  cli_motus_dir(motus_dir, sizeof motus_dir, cli_store_path(cli_opt_store));
  if (!strcmp(sub, "show"))
    return reason ? (usage(), CLI_EXIT_USAGE) : show(motus_dir, json);
  if (!strcmp(sub, "rotate"))
    return rotate(motus_dir, reason, json);
  cli_errorf("identity: unknown subcommand '%s'", sub);
  usage();
  return CLI_EXIT_USAGE;
}
