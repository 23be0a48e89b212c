/* SPDX-License-Identifier: Apache-2.0
 * ledger/space.c — full disks (spec/store.md "Full disks"): the free-space margin of a Store
 * (statvfs on the filesystem that holds it), the one-line disk-full message that replaces
 * SQLite's when an open or a transaction fails for lack of space, the writer's record of its
 * last transaction's outcome, and ledger_health_get() / ledger_space_check() /
 * ledger_space_check_dir() built on them. The
 * wal-index guard that turns a SIGBUS into SQLITE_FULL lives in vfs.c. */
#include "ledger/ledger_int.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

int64_t ledger__min_free(void)
{
  const char *e = getenv("WORKLEDGER_MIN_FREE_BYTES");
  if (e && *e) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(e, &end, 10);
    if (errno == 0 && end && *end == 0 && v >= 0)
      return (int64_t)v;
  }
  return LEDGER_MIN_FREE_DEFAULT;
}

int64_t ledger__free_bytes(const char *path)
{
  char buf[4096];
  struct statvfs sv;
  snprintf(buf, sizeof buf, "%s", path);
  if (statvfs(buf, &sv) != 0) {
    /* not there yet (a Store about to be created): its directory */
    if (statvfs(dirname(buf), &sv) != 0)
      return -1;
  }
  return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
}

static void full_msg(char *out, size_t cap, const char *path, int64_t free_b, int64_t need,
                     const char *what)
{
  snprintf(out, cap,
           "the disk holding the Store %s is full (%" PRId64 " KiB free, %" PRId64
           " KiB required): %s; free some space and retry",
           path, free_b / 1024, need / 1024, what);
}

int ledger__space_err(ledger *l, int64_t need, ledger_err *err)
{
  int64_t f = ledger__free_bytes(l->path);
  if (f < 0 || f >= l->min_free + need)
    return LEDGER_OK;
  if (err) {
    err->code = LEDGER_ERROR;
    err->cause = ENOSPC;
    full_msg(err->msg, sizeof err->msg, l->path, f, l->min_free + need, "nothing was written");
  }
  return LEDGER_ERROR;
}

int ledger_space_check(ledger *l, int64_t need, ledger_err *err)
{
  return ledger__space_err(l, need > 0 ? need : 0, err);
}

int ledger_space_check_dir(ledger *l, const char *dir, int64_t need, ledger_err *err)
{
  int64_t f = ledger__free_bytes(dir);
  need = need > 0 ? need : 0;
  if (f < 0 || f >= l->min_free + need)
    return LEDGER_OK;
  if (err) {
    err->code = LEDGER_ERROR;
    err->cause = ENOSPC;
    snprintf(err->msg, sizeof err->msg,
             "the disk holding %s is full (%" PRId64 " KiB free, %" PRId64
             " KiB required): nothing was written; free some space and retry",
             dir, f / 1024, (l->min_free + need) / 1024);
  }
  return LEDGER_ERROR;
}

int ledger__disk_full_rewrite(const char *path, int64_t min_free, int code, ledger_err *err,
                              const char *what)
{
  if (!err || code == LEDGER_OK)
    return code;
  int cause = err->cause & 0xff;
  int64_t f = ledger__free_bytes(path);
  int low = f >= 0 && f < min_free;
  if (cause == SQLITE_FULL || err->cause == ENOSPC || (low && cause == SQLITE_IOERR) ||
      (low && !err->msg[0])) {
    char msg[sizeof err->msg];
    full_msg(msg, sizeof msg, path, f < 0 ? 0 : f, min_free, what);
    memcpy(err->msg, msg, sizeof msg);
    err->code = code = LEDGER_ERROR;
  }
  return code;
}

void ledger__commit_outcome(ledger *l, int ok, const ledger_err *err)
{
  pthread_mutex_lock(&l->mu);
  if (ok) {
    l->commit_failed = 0;
    l->commit_full = 0;
  } else {
    int cause = err ? err->cause : 0;
    l->commit_failed = 1;
    l->commit_failures++;
    l->commit_full = (cause & 0xff) == SQLITE_FULL || cause == ENOSPC;
    snprintf(l->commit_msg, sizeof l->commit_msg, "%s",
             err && err->msg[0] ? err->msg : "the Store transaction did not commit");
  }
  pthread_mutex_unlock(&l->mu);
}

void ledger_health_get(ledger *l, ledger_health *out)
{
  memset(out, 0, sizeof *out);
  out->min_free_bytes = l->min_free;
  out->free_bytes = ledger__free_bytes(l->path);
  char last[sizeof l->commit_msg];
  int full;
  pthread_mutex_lock(&l->mu);
  out->last_commit_failed = l->commit_failed;
  out->commit_failures = l->commit_failures;
  full = l->commit_full;
  memcpy(last, l->commit_msg, sizeof last);
  pthread_mutex_unlock(&l->mu);
  if (out->free_bytes >= 0 && out->free_bytes < l->min_free) {
    out->reason = "disk_full";
    full_msg(out->message, sizeof out->message, l->path, out->free_bytes, l->min_free,
             "no call can be recorded");
  } else if (out->last_commit_failed && !full) {
    out->reason = "commit_failed";
    snprintf(out->message, sizeof out->message, "the last Store transaction did not commit: %s",
             last);
  } else {
    out->ok = 1;
    out->reason = "ok";
    snprintf(out->message, sizeof out->message, "the Store accepts commits");
  }
}
