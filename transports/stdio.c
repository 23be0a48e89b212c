/* SPDX-License-Identifier: Apache-2.0
 * transports/stdio.c — newline-delimited framing over two file descriptors (transports/tp.h):
 * a buffered line reader with a size limit that discards oversize lines up to their newline, a
 * mutex-serialised writer that never interleaves two messages, and the stdout guard. It knows
 * nothing about what the lines contain. */
#include "transports/tp.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define TP_DEFAULT_MAX_LINE (4u * 1024u * 1024u)
#define TP_CHUNK 65536

struct tp_stdio {
  int in_fd, out_fd;
  size_t max_line;
  char *buf; /* holds buffered input; capacity max_line + TP_CHUNK + 1 */
  size_t cap;
  size_t start; /* first unconsumed byte */
  size_t end;   /* one past the last buffered byte */
  int eof;
  int discarding; /* inside an oversize line: drop bytes until '\n' */
  size_t discarded;
  pthread_mutex_t wmu;
};

int tp_stdio_open(tp_stdio **out, int in_fd, int out_fd, size_t max_line)
{
  tp_stdio *t = calloc(1, sizeof *t);
  if (!t)
    return TP_ERROR;
  t->in_fd = in_fd;
  t->out_fd = out_fd;
  t->max_line = max_line ? max_line : TP_DEFAULT_MAX_LINE;
  t->cap = t->max_line + TP_CHUNK + 1;
  t->buf = malloc(t->cap);
  if (!t->buf) {
    free(t);
    return TP_ERROR;
  }
  pthread_mutex_init(&t->wmu, NULL);
  *out = t;
  return TP_OK;
}

void tp_stdio_close(tp_stdio *t)
{
  if (!t)
    return;
  pthread_mutex_destroy(&t->wmu);
  free(t->buf);
  free(t);
}

/* Reads more input into the buffer; returns bytes read, 0 on EOF, -1 on error. */
static ssize_t fill(tp_stdio *t)
{
  ssize_t n;
  if (t->start > 0 && t->start == t->end) {
    t->start = t->end = 0;
  } else if (t->start > 0 && t->cap - t->end < TP_CHUNK) {
    memmove(t->buf, t->buf + t->start, t->end - t->start);
    t->end -= t->start;
    t->start = 0;
  }
  do {
    n = read(t->in_fd, t->buf + t->end, t->cap - 1 - t->end);
  } while (n < 0 && errno == EINTR);
  if (n > 0)
    t->end += (size_t)n;
  return n;
}

int tp_stdio_read(tp_stdio *t, const char **line, size_t *len)
{
  for (;;) {
    char *nl = t->end > t->start ? memchr(t->buf + t->start, '\n', t->end - t->start) : NULL;
    if (t->discarding) {
      if (nl) {
        size_t dropped = t->discarded + (size_t)(nl - (t->buf + t->start));
        t->start = (size_t)(nl - t->buf) + 1;
        t->discarding = 0;
        t->discarded = 0;
        *line = NULL;
        *len = dropped;
        return TP_ETOOBIG;
      }
      t->discarded += t->end - t->start;
      t->start = t->end = 0;
    } else if (nl) {
      size_t l = (size_t)(nl - (t->buf + t->start));
      char *s = t->buf + t->start;
      t->start += l + 1;
      if (l > t->max_line) {
        *line = NULL;
        *len = l;
        return TP_ETOOBIG;
      }
      if (l > 0 && s[l - 1] == '\r')
        l--;
      if (l == 0)
        continue; /* blank line */
      s[l] = '\0';
      *line = s;
      *len = l;
      return TP_OK;
    } else if (t->end - t->start > t->max_line) {
      /* no newline within the limit: start discarding this line */
      t->discarding = 1;
      t->discarded = t->end - t->start;
      t->start = t->end = 0;
    } else if (t->eof) {
      if (t->end > t->start) {
        size_t l = t->end - t->start;
        char *s = t->buf + t->start;
        t->start = t->end;
        if (l > 0 && s[l - 1] == '\r')
          l--;
        if (l == 0)
          return TP_EOF;
        s[l] = '\0';
        *line = s;
        *len = l;
        return TP_OK;
      }
      if (t->discarding) {
        t->discarding = 0;
        *line = NULL;
        *len = t->discarded;
        return TP_ETOOBIG;
      }
      return TP_EOF;
    }
    if (!t->eof) {
      ssize_t n = fill(t);
      if (n < 0)
        return TP_ERROR;
      if (n == 0)
        t->eof = 1;
    } else if (t->discarding) {
      t->discarding = 0;
      *line = NULL;
      *len = t->discarded;
      return TP_ETOOBIG;
    }
  }
}

int tp_stdio_write(tp_stdio *t, const char *msg, size_t len)
{
  struct iovec iov[2];
  int rc = TP_OK;
  iov[0].iov_base = (void *)msg;
  iov[0].iov_len = len;
  iov[1].iov_base = (void *)"\n";
  iov[1].iov_len = 1;
  pthread_mutex_lock(&t->wmu);
  {
    int i = 0;
    while (i < 2) {
      ssize_t n = writev(t->out_fd, iov + i, 2 - i);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        rc = errno == EPIPE ? TP_ECLOSED : TP_ERROR;
        break;
      }
      while (i < 2 && (size_t)n >= iov[i].iov_len) {
        n -= (ssize_t)iov[i].iov_len;
        i++;
      }
      if (i < 2) {
        iov[i].iov_base = (char *)iov[i].iov_base + n;
        iov[i].iov_len -= (size_t)n;
      }
    }
  }
  pthread_mutex_unlock(&t->wmu);
  return rc;
}

int tp_stdout_guard(int *proto_fd)
{
  int fd = fcntl(1, F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    return TP_ERROR;
  if (dup2(2, 1) < 0) {
    close(fd);
    return TP_ERROR;
  }
  signal(SIGPIPE, SIG_IGN);
  *proto_fd = fd;
  return TP_OK;
}
