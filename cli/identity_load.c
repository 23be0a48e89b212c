/* SPDX-License-Identifier: Apache-2.0
 * cli/identity_load.c — this node's identity on disk (cli/node.h): <motus>/identity/key (the
 * Ed25519 seed, mode 0600, encrypted with WORKLEDGER_PASSPHRASE when set), the signed identity
 * file <motus>/identity/motebit.md, and the motebit_id (configured in <motus>/config.json or
 * <motus>/identity/motebit_id, else the sovereign id of the public key). It creates files only in
 * cli_node_init(); it never overwrites an existing key. */
#include "cli/node.h"
#include "cli/cli.h"
#include "crypto/artifacts.h"
#include "ledger/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void configured_id(const char *motus_dir, char out[64])
{
  char path[4096];
  out[0] = 0;
  snprintf(path, sizeof path, "%s/identity/motebit_id", motus_dir);
  FILE *f = fopen(path, "r");
  if (f) {
    char buf[80] = "";
    if (fgets(buf, sizeof buf, f)) {
      buf[strcspn(buf, "\r\n")] = 0;
      size_t n = strlen(buf);
      if (n && n < 64)
        memcpy(out, buf, n + 1);
    }
    fclose(f);
    if (out[0])
      return;
  }
  snprintf(path, sizeof path, "%s/config.json", motus_dir);
  json_t *cfg = json_load_file(path, 0, NULL);
  const char *id = json_string_value(json_object_get(cfg, "motebit_id"));
  if (id && *id && strlen(id) < 64)
    snprintf(out, 64, "%s", id);
  json_decref(cfg);
}

static void fill_ids(cli_node *n, const char *motus_dir)
{
  configured_id(motus_dir, n->motebit_id);
  if (!n->motebit_id[0]) {
    char sid[SEAL_SOVEREIGN_ID];
    seal_sovereign_id(sid, seal_key_pk(n->key));
    snprintf(n->motebit_id, sizeof n->motebit_id, "%s", sid);
  }
  if (seal_did_key_from_pk(n->did, seal_key_pk(n->key)) != SEAL_OK)
    n->did[0] = 0;
}

/* One path of the modes check: `bad` are the mode bits it must not have. 0 ok, 1 bad (err). */
static int mode_bad(const char *path, mode_t bad, const char *what, char *err, size_t errcap)
{
  struct stat st;
  if (lstat(path, &st) != 0)
    return 0; /* absent: the caller says what is missing */
  if (S_ISLNK(st.st_mode)) {
    snprintf(err, errcap, "%s %s is a symbolic link: keep the node's files in a real directory",
             what, path);
    return 1;
  }
  if ((st.st_mode & bad) == 0)
    return 0;
  snprintf(err, errcap, "%s %s has mode %04o, %s by group or others: run `chmod %s %s`", what, path,
           (unsigned)(st.st_mode & 07777), (bad & 044) ? "readable or writable" : "writable",
           (bad & 044) ? "600" : "go-w", path);
  return 1;
}

int cli_node_modes_check(const char *motus_dir, char *err, size_t errcap)
{
  char path[4200];
  if (mode_bad(motus_dir, 022, "the .motus directory", err, errcap))
    return -1;
  snprintf(path, sizeof path, "%s/identity", motus_dir);
  if (mode_bad(path, 022, "the identity directory", err, errcap))
    return -1;
  snprintf(path, sizeof path, "%s/identity/key", motus_dir);
  if (mode_bad(path, 077, "the node key", err, errcap))
    return -1;
  return 0;
}

int cli_node_load(cli_node *out, const char *motus_dir, char *err, size_t errcap)
{
  char path[4096];
  seal_err se = {0};
  memset(out, 0, sizeof *out);
  snprintf(path, sizeof path, "%s/identity/key", motus_dir);
  if (access(path, F_OK) != 0) {
    snprintf(err, errcap, "no node key at %s (run `workledger init`)", path);
    return -1;
  }
  if (cli_node_modes_check(motus_dir, err, errcap) != 0)
    return CLI_NODE_EMODES;
  const char *pass = getenv("WORKLEDGER_PASSPHRASE");
  if (seal_key_load(&out->key, path, pass && *pass ? pass : NULL, &se) != SEAL_OK) {
    snprintf(err, errcap, "cannot load the node key %s: %s", path, se.msg);
    return -1;
  }
  fill_ids(out, motus_dir);
  return 0;
}

static int mkdir_0700(const char *p)
{
  return mkdir(p, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int cli_node_init(cli_node *out, const char *motus_dir, int *created_out, char *err, size_t errcap)
{
  char dir[4096], path[4200];
  seal_err se = {0};
  memset(out, 0, sizeof *out);
  if (created_out)
    *created_out = 0;
  snprintf(dir, sizeof dir, "%s/identity", motus_dir);
  if (mkdir_0700(motus_dir) || mkdir_0700(dir)) {
    snprintf(err, errcap, "cannot create %s: %s", dir, strerror(errno));
    return -1;
  }
  snprintf(path, sizeof path, "%s/key", dir);
  if (access(path, F_OK) != 0) {
    const char *pass = getenv("WORKLEDGER_PASSPHRASE");
    if (seal_key_generate(&out->key) != SEAL_OK) {
      snprintf(err, errcap, "cannot generate a key");
      return -1;
    }
    if (seal_key_save(out->key, path, pass && *pass ? pass : NULL, &se) != SEAL_OK) {
      snprintf(err, errcap, "cannot write %s: %s", path, se.msg);
      cli_node_free(out);
      return -1;
    }
    chmod(path, 0600);
    if (created_out)
      *created_out = 1;
    fill_ids(out, motus_dir);
  } else if (cli_node_load(out, motus_dir, err, errcap)) {
    return -1;
  }
  /* the signed identity file, written once */
  snprintf(path, sizeof path, "%s/motebit.md", dir);
  if (access(path, F_OK) != 0) {
    char now[LEDGER_TS_MAX], *yaml = NULL, *signed_md = NULL;
    ledger_now(now);
    if (seal_identity_yaml(&yaml, out->motebit_id, seal_key_pk_hex(out->key), now, NULL, &se) !=
            SEAL_OK ||
        seal_identity_sign(&signed_md, yaml, out->key, &se) != SEAL_OK) {
      snprintf(err, errcap, "cannot build the identity file: %s", se.msg);
      free(yaml);
      cli_node_free(out);
      return -1;
    }
    free(yaml);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    size_t n = strlen(signed_md);
    if (fd < 0 || write(fd, signed_md, n) != (ssize_t)n) {
      snprintf(err, errcap, "cannot write %s: %s", path, strerror(errno));
      if (fd >= 0)
        close(fd);
      free(signed_md);
      cli_node_free(out);
      return -1;
    }
    close(fd);
    free(signed_md);
  }
  return 0;
}

void cli_node_free(cli_node *n)
{
  if (n && n->key) {
    seal_key_free(n->key);
    n->key = NULL;
  }
}

/* ---- helpers shared by the Store commands ------------------------------------------------- */

int cli_store_open(ledger **out, int create)
{
  const char *path = cli_store_path(cli_opt_store);
  ledger_opts o = LEDGER_OPTS_INIT;
  ledger_err e = {0};
  *out = NULL;
  const char *d = getenv("WORKLEDGER_DURABILITY");
  if (d && strcmp(d, "normal") == 0)
    o.durability = LEDGER_DURABLE_NORMAL;
  if (create) {
    char dir[4096];
    cli_motus_dir(dir, sizeof dir, path);
    /* create the parent (one level, like .motus) */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
      cli_errorf("cannot create %s: %s", dir, strerror(errno));
      return CLI_EXIT_FAIL;
    }
    o.create = 1;
  }
  int rc = ledger_open(out, path, &o, &e);
  char shown[1024]; /* a URI without its password */
  ledger_store_display(shown, sizeof shown, path);
  if (rc == LEDGER_ENOTFOUND) {
    cli_errorf("no Store at %s (run `workledger init`)", shown);
    return CLI_EXIT_FAIL;
  }
  if (rc) {
    cli_errorf("%s: %s", shown, e.msg);
    return CLI_EXIT_FAIL;
  }
  return 0;
}

void cli_print_json(const json_t *v)
{
  char *s = seal_json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
  if (s) {
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
  }
}

int cli_ledger_fail(const char *what, int rc, const ledger_err *err)
{
  cli_errorf("%s: %s", what, err && err->msg[0] ? err->msg : ledger_strerror(rc));
  return rc == LEDGER_OK ? CLI_EXIT_FAIL : wl_code_exit(rc); /* the table (crypto/err.h) */
}

static int write_all(int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int cli_write_json_file(const char *dir, const char *name, const json_t *v)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  char *s = seal_json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
  if (!s) {
    errno = ENOMEM;
    return -1;
  }
  /* never through a link planted at the name: refused, and its target left alone; the bytes go
   * to a new file of our own (O_EXCL) that is renamed over the name once complete */
  struct stat st;
  char tmp[4300];
  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    free(s);
    errno = ELOOP; /* the caller says "a symbolic link or not a regular file" */
    return -1;
  }
  snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    free(s);
    return -1;
  }
  size_t n = strlen(s);
  s[n] = '\n'; /* json_dumps leaves room for its own NUL, which becomes the newline */
  int ok = fchmod(fd, 0644) == 0 && write_all(fd, s, n + 1) == 0 && fsync(fd) == 0;
  free(s);
  if (close(fd) != 0 || !ok || rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    errno = e;
    return -1;
  }
  return 0;
}
