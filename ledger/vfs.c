/* SPDX-License-Identifier: Apache-2.0
 * ledger/vfs.c — the "wl-walbuf" SQLite VFS: the platform's default VFS with one change, for the
 * writer connection of a Store opened with synchronous=FULL: the WAL frames of a transaction
 * are gathered in memory and reach the file in one pwrite, at the fsync that commits them,
 * instead of two pwrite calls per frame (a 24-byte frame header and the 4 KiB page). Every
 * other method, and every other file (database, shm, journals), is passed through unchanged.
 *
 * Why it is safe: under synchronous=FULL SQLite syncs the WAL before a commit becomes visible
 * (the wal-index header is written after xSync returns), so no reader, in this process or
 * another, can look for a frame that is still in the buffer. Frames written without a commit
 * (a cache spill) are not visible either. The buffer is written out, in order, before anything
 * that could observe the file: xRead, xFileSize, xTruncate, xSync, xFileControl and xClose; a
 * write that does not continue the buffer flushes it first. A failed write-out is reported by
 * the call that caused it (for the commit's xSync: the commit fails and SQLite rolls it back,
 * as for a failed fsync). Under synchronous=NORMAL a commit does not sync, so ledger/store.c
 * never opens such a connection through this VFS.
 *
 * Both VFSes of this file ("wl-walbuf" and "wl-shm", the latter without the WAL buffer, for
 * every other connection of a Store) also guard the wal-index (-shm) file against SIGBUS on a
 * full disk: SQLite extends that file by writing one byte per 4 KiB page and then maps it, so on
 * a filesystem with blocks smaller than a page (a small ext4) or where the extension lost a race
 * for the last blocks, a page of the mapping can still be a hole, and the first store into it
 * faults with SIGBUS. After SQLite maps a region, xShmMap allocates every block of the mapped
 * range with fallocate(2) (size unchanged); when that fails the call reports SQLITE_FULL and
 * hands SQLite no pointer, so the statement fails with "database or disk is full" and nothing
 * touches the unallocated memory. The -shm descriptor used for this is opened once per Store
 * path and process, and closed only when the last database file of that path opened through
 * these VFSes closes (closing a descriptor drops the process's POSIX locks on the file, which
 * SQLite's own connections still hold while any of them is open). */
#include "ledger/ledger_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The unix VFS writes at most 0x1ffff bytes per pwrite (a length with those bits clear, such
 * as 1 MiB, it would write as 0 bytes and report SQLITE_FULL), so a buffer holds just under
 * 128 KiB: 31 WAL frames of 4 KiB pages. A larger transaction is written out in pieces. */
#define WALBUF_CAP 0x1ffff

typedef struct wfile {
  sqlite3_file base; /* our methods */
  unsigned char *buf;
  sqlite3_int64 off; /* file offset of buf[0] */
  int len;
  int is_wal;
  int buffered;        /* opened through wl-walbuf (else wl-shm) */
  struct shm_ref *shm; /* main database files: the -shm guard of this path (NULL otherwise) */
  sqlite3_file *real;  /* the default VFS's file, right after this struct */
} wfile;

/* ---- the -shm guard ------------------------------------------------------------------------- */

typedef struct shm_ref {
  char *path;              /* "<database>-shm" */
  int fd;                  /* -1 until the first mapping */
  int refs;                /* open main database files of this path */
  sqlite3_int64 allocated; /* bytes from 0 known to be allocated */
  struct shm_ref *next;
} shm_ref;

static pthread_mutex_t shm_mu = PTHREAD_MUTEX_INITIALIZER;
static shm_ref *shm_refs;

static shm_ref *shm_ref_get(const char *db)
{
  size_t n = strlen(db);
  char *path = malloc(n + 5);
  if (!path)
    return NULL;
  memcpy(path, db, n);
  memcpy(path + n, "-shm", 5);
  pthread_mutex_lock(&shm_mu);
  shm_ref *r = shm_refs;
  while (r && strcmp(r->path, path) != 0)
    r = r->next;
  if (r) {
    free(path);
  } else if ((r = calloc(1, sizeof *r))) {
    r->path = path;
    r->fd = -1;
    r->next = shm_refs;
    shm_refs = r;
  } else {
    free(path);
  }
  if (r)
    r->refs++;
  pthread_mutex_unlock(&shm_mu);
  return r;
}

static void shm_ref_put(shm_ref *r)
{
  if (!r)
    return;
  pthread_mutex_lock(&shm_mu);
  if (--r->refs == 0) {
    shm_ref **pp = &shm_refs;
    while (*pp != r)
      pp = &(*pp)->next;
    *pp = r->next;
    if (r->fd >= 0)
      close(r->fd);
    free(r->path);
    free(r);
  }
  pthread_mutex_unlock(&shm_mu);
}

/* Allocates the first `end` bytes of the -shm file: SQLITE_OK, or SQLITE_FULL when the disk
 * has no room for them (a filesystem without fallocate is left as SQLite made it). */
static int shm_allocate(shm_ref *r, sqlite3_int64 end)
{
  int rc = SQLITE_OK;
  pthread_mutex_lock(&shm_mu);
  if (end > r->allocated) {
    if (r->fd < 0)
      r->fd = open(r->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (r->fd >= 0) {
      int e = 0;
      while (fallocate(r->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)end) != 0 && (e = errno) == EINTR)
        e = 0;
      if (e == 0)
        r->allocated = end;
      else if (e == ENOSPC || e == EDQUOT)
        rc = SQLITE_FULL;
    }
  }
  pthread_mutex_unlock(&shm_mu);
  return rc;
}

static sqlite3_vfs walbuf_vfs, shm_vfs;
static sqlite3_vfs *base_vfs;
static sqlite3_io_methods walbuf_io;

static int wb_flush(wfile *f)
{
  if (f->len == 0)
    return SQLITE_OK;
  int rc = f->real->pMethods->xWrite(f->real, f->buf, f->len, f->off);
  f->len = 0;
  return rc;
}

static int wb_close(sqlite3_file *p)
{
  wfile *f = (wfile *)p;
  int rc = wb_flush(f);
  int rc2 = f->real->pMethods->xClose(f->real);
  free(f->buf);
  f->buf = NULL;
  shm_ref_put(f->shm);
  f->shm = NULL;
  return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *p, void *out, int n, sqlite3_int64 off)
{
  wfile *f = (wfile *)p;
  int rc = wb_flush(f);
  return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, n, off);
}

static int wb_write(sqlite3_file *p, const void *in, int n, sqlite3_int64 off)
{
  wfile *f = (wfile *)p;
  if (!f->is_wal)
    return f->real->pMethods->xWrite(f->real, in, n, off);
  if (f->len > 0 && (off != f->off + f->len || f->len + n > WALBUF_CAP)) {
    int rc = wb_flush(f);
    if (rc != SQLITE_OK)
      return rc;
  }
  if (n > WALBUF_CAP)
    return f->real->pMethods->xWrite(f->real, in, n, off);
  if (!f->buf && !(f->buf = malloc(WALBUF_CAP)))
    return f->real->pMethods->xWrite(f->real, in, n, off); /* no memory: write through */
  if (f->len == 0)
    f->off = off;
  memcpy(f->buf + f->len, in, (size_t)n);
  f->len += n;
  return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *p, sqlite3_int64 size)
{
  wfile *f = (wfile *)p;
  int rc = wb_flush(f);
  return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *p, int flags)
{
  wfile *f = (wfile *)p;
  int rc = wb_flush(f);
  return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_size(sqlite3_file *p, sqlite3_int64 *size)
{
  wfile *f = (wfile *)p;
  int rc = wb_flush(f);
  return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *p, int l)
{
  wfile *f = (wfile *)p;
  return f->real->pMethods->xLock(f->real, l);
}

static int wb_unlock(sqlite3_file *p, int l)
{
  wfile *f = (wfile *)p;
  return f->real->pMethods->xUnlock(f->real, l);
}

static int wb_check_lock(sqlite3_file *p, int *out)
{
  wfile *f = (wfile *)p;
  return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_fcntl(sqlite3_file *p, int op, void *arg)
{
  wfile *f = (wfile *)p;
  int rc = wb_flush(f);
  if (rc != SQLITE_OK)
    return rc;
  rc = f->real->pMethods->xFileControl(f->real, op, arg);
  if (op == SQLITE_FCNTL_VFSNAME && rc == SQLITE_OK) /* name the shim, as SQLite's shims do */
    *(char **)arg = sqlite3_mprintf("%s/%z", f->buffered ? LEDGER_WALBUF_VFS : LEDGER_SHM_VFS,
                                    *(char **)arg);
  return rc;
}

static int wb_sector(sqlite3_file *p)
{
  wfile *f = (wfile *)p;
  return f->real->pMethods->xSectorSize(f->real);
}

static int wb_devchar(sqlite3_file *p)
{
  wfile *f = (wfile *)p;
  return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int wb_shm_map(sqlite3_file *p, int pg, int sz, int extend, void volatile **out)
{
  wfile *f = (wfile *)p;
  int rc = f->real->pMethods->xShmMap(f->real, pg, sz, extend, out);
  if (rc == SQLITE_OK && *out && f->shm &&
      shm_allocate(f->shm, ((sqlite3_int64)pg + 1) * sz) != SQLITE_OK) {
    *out = NULL; /* SQLite stores this pointer: it must not use the region */
    rc = SQLITE_FULL;
  }
  return rc;
}

static int wb_shm_lock(sqlite3_file *p, int off, int n, int flags)
{
  wfile *f = (wfile *)p;
  return f->real->pMethods->xShmLock(f->real, off, n, flags);
}

static void wb_shm_barrier(sqlite3_file *p)
{
  wfile *f = (wfile *)p;
  f->real->pMethods->xShmBarrier(f->real);
}

static int wb_shm_unmap(sqlite3_file *p, int del)
{
  wfile *f = (wfile *)p;
  return f->real->pMethods->xShmUnmap(f->real, del);
}

static int wb_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **out)
{
  wfile *f = (wfile *)p;
  int rc = wb_flush(f);
  if (f->real->pMethods->iVersion < 3) {
    *out = NULL;
    return rc;
  }
  return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, n, out);
}

static int wb_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
  wfile *f = (wfile *)p;
  if (f->real->pMethods->iVersion < 3)
    return SQLITE_OK;
  return f->real->pMethods->xUnfetch(f->real, off, ptr);
}

static int wb_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *p, int flags,
                   int *out_flags)
{
  wfile *f = (wfile *)p;
  memset(f, 0, sizeof *f);
  f->real = (sqlite3_file *)(f + 1);
  int rc = base_vfs->xOpen(base_vfs, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK || !f->real->pMethods) {
    f->base.pMethods = NULL; /* SQLite calls no xClose on a file that did not open */
    return rc;
  }
  if (f->real->pMethods->iVersion < 2) { /* no shared memory: not a VFS this shim can wrap */
    f->real->pMethods->xClose(f->real);
    f->base.pMethods = NULL;
    return SQLITE_CANTOPEN;
  }
  f->buffered = vfs == &walbuf_vfs;
  f->is_wal = f->buffered && (flags & SQLITE_OPEN_WAL) != 0;
  if ((flags & SQLITE_OPEN_MAIN_DB) && name && !(f->shm = shm_ref_get(name))) {
    f->real->pMethods->xClose(f->real);
    f->base.pMethods = NULL;
    return SQLITE_NOMEM;
  }
  f->base.pMethods = &walbuf_io;
  return SQLITE_OK;
}

/* The rest of the VFS is the default's. */
static int wb_delete(sqlite3_vfs *v, const char *n, int sync)
{
  (void)v;
  return base_vfs->xDelete(base_vfs, n, sync);
}
static int wb_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
  (void)v;
  return base_vfs->xAccess(base_vfs, n, flags, out);
}
static int wb_fullpath(sqlite3_vfs *v, const char *n, int len, char *out)
{
  (void)v;
  return base_vfs->xFullPathname(base_vfs, n, len, out);
}
static int wb_random(sqlite3_vfs *v, int n, char *out)
{
  (void)v;
  return base_vfs->xRandomness(base_vfs, n, out);
}
static int wb_sleep(sqlite3_vfs *v, int us)
{
  (void)v;
  return base_vfs->xSleep(base_vfs, us);
}
static int wb_time(sqlite3_vfs *v, double *out)
{
  (void)v;
  return base_vfs->xCurrentTime(base_vfs, out);
}
static int wb_lasterr(sqlite3_vfs *v, int n, char *out)
{
  (void)v;
  return base_vfs->xGetLastError ? base_vfs->xGetLastError(base_vfs, n, out) : 0;
}
static int wb_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
  (void)v;
  return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

static pthread_once_t walbuf_once = PTHREAD_ONCE_INIT;
static int walbuf_ok, shm_ok;

static void walbuf_register(void)
{
  base_vfs = sqlite3_vfs_find(NULL);
  if (!base_vfs || base_vfs->iVersion < 2 || !base_vfs->xCurrentTimeInt64)
    return;
  walbuf_io = (sqlite3_io_methods){
      3,           wb_close,       wb_read,       wb_write, wb_truncate, wb_sync,    wb_size,
      wb_lock,     wb_unlock,      wb_check_lock, wb_fcntl, wb_sector,   wb_devchar, wb_shm_map,
      wb_shm_lock, wb_shm_barrier, wb_shm_unmap,  wb_fetch, wb_unfetch};
  walbuf_vfs = (sqlite3_vfs){2,
                             (int)sizeof(wfile) + base_vfs->szOsFile,
                             base_vfs->mxPathname,
                             NULL,
                             LEDGER_WALBUF_VFS,
                             NULL,
                             wb_open,
                             wb_delete,
                             wb_access,
                             wb_fullpath,
                             NULL,
                             NULL,
                             NULL,
                             NULL,
                             wb_random,
                             wb_sleep,
                             wb_time,
                             wb_lasterr,
                             wb_time64,
                             NULL,
                             NULL,
                             NULL};
  walbuf_ok = sqlite3_vfs_register(&walbuf_vfs, 0) == SQLITE_OK;
  shm_vfs = walbuf_vfs;
  shm_vfs.zName = LEDGER_SHM_VFS;
  shm_ok = sqlite3_vfs_register(&shm_vfs, 0) == SQLITE_OK;
}

const char *ledger__walbuf_vfs(void)
{
  pthread_once(&walbuf_once, walbuf_register);
  return walbuf_ok ? LEDGER_WALBUF_VFS : NULL;
}

const char *ledger__shm_vfs(void)
{
  pthread_once(&walbuf_once, walbuf_register);
  return shm_ok ? LEDGER_SHM_VFS : NULL;
}
