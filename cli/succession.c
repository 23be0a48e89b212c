/* SPDX-License-Identifier: Apache-2.0
 * cli/succession.c — reading and appending the key-succession chain file (cli/succession.h).
 * Records are written in canonical JSON (crypto/seal.h) so the file's bytes are the signed
 * content's canonical form plus the two signatures; reading accepts JSON Lines or one array. */
#include "cli/succession.h"
#include "crypto/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_succession_path(char *out, size_t cap, const char *motus_dir)
{
  snprintf(out, cap, "%s/identity/%s", motus_dir, CLI_SUCCESSION_FILE);
}

static char *slurp(const char *path, size_t *len, int *missing)
{
  FILE *f = fopen(path, "rb");
  char *buf;
  size_t n = 0;
  *missing = 0;
  if (!f) {
    *missing = errno == ENOENT;
    return NULL;
  }
  buf = malloc(CLI_SUCCESSION_MAX_BYTES + 1);
  if (buf) {
    n = fread(buf, 1, CLI_SUCCESSION_MAX_BYTES + 1, f);
    if (ferror(f) || n > CLI_SUCCESSION_MAX_BYTES) {
      free(buf);
      buf = NULL;
      errno = EFBIG;
    } else {
      buf[n] = '\0';
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

int cli_succession_read(json_t **chain, const char *path, int missing_ok, char *err, size_t errcap)
{
  size_t len = 0, i = 0, lineno = 0;
  int missing = 0;
  char *text = slurp(path, &len, &missing);
  json_t *arr;
  *chain = NULL;
  if (!text) {
    if (missing && missing_ok) {
      *chain = json_array();
      return 0;
    }
    snprintf(err, errcap, "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
    i++;
  if (i < len && text[i] == '[') {
    seal_err se = {0};
    arr = seal_json_parse_strict(text + i, len - i, &se);
    free(text);
    if (!json_is_array(arr)) {
      snprintf(err, errcap, "%s: not a JSON array of succession records%s%s", path,
               se.msg[0] ? ": " : "", se.msg);
      json_decref(arr);
      return -1;
    }
    *chain = arr;
    return 0;
  }
  arr = json_array();
  for (i = 0; i < len;) {
    size_t e = i;
    while (e < len && text[e] != '\n')
      e++;
    lineno++;
    size_t s = i, t = e;
    while (s < t && (text[s] == ' ' || text[s] == '\t' || text[s] == '\r'))
      s++;
    while (t > s && (text[t - 1] == ' ' || text[t - 1] == '\t' || text[t - 1] == '\r'))
      t--;
    if (t > s) {
      seal_err se = {0};
      json_t *rec = seal_json_parse_strict(text + s, t - s, &se);
      if (!json_is_object(rec)) {
        snprintf(err, errcap, "%s:%zu: not a succession record%s%s", path, lineno,
                 se.msg[0] ? ": " : "", se.msg);
        json_decref(rec);
        json_decref(arr);
        free(text);
        return -1;
      }
      json_array_append_new(arr, rec);
    }
    i = e + 1;
  }
  free(text);
  *chain = arr;
  return 0;
}

int cli_succession_append(const char *path, const json_t *record, char *err, size_t errcap)
{
  char *c = NULL;
  size_t n = 0;
  seal_err se = {0};
  int fd, ok;
  if (seal_canon(&c, &n, record, SEAL_CANON_JCS, &se) != SEAL_OK) {
    snprintf(err, errcap, "cannot canonicalize the succession record: %s", se.msg);
    return -1;
  }
  fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) {
    snprintf(err, errcap, "cannot open %s: %s", path, strerror(errno));
    free(c);
    return -1;
  }
  c[n] = '\n'; /* overwrite the NUL: n+1 bytes are allocated */
  ok = write(fd, c, n + 1) == (ssize_t)(n + 1) && fsync(fd) == 0;
  if (!ok)
    snprintf(err, errcap, "cannot append to %s: %s", path, strerror(errno));
  free(c);
  if (close(fd) != 0 && ok) {
    snprintf(err, errcap, "cannot close %s: %s", path, strerror(errno));
    ok = 0;
  }
  return ok ? 0 : -1;
}
