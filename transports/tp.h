/* SPDX-License-Identifier: Apache-2.0
 * transports/tp.h — the stdio transport: newline-delimited messages on a pair of file
 * descriptors. It moves bytes only (no JSON, no JSON-RPC): the reader hands out one line at a
 * time (without the '\n' and an optional trailing '\r'), discarding a line longer than the limit
 * up to its newline and reporting that; the writer writes one message plus '\n' atomically with
 * respect to other writers of the same transport (a mutex), retrying on EINTR and short writes.
 * tp_stdout_guard() protects the protocol stream from stray prints by the rest of the process.
 * Errors: TP_OK (0) or a negative tp_rc. Nothing here logs. */
#ifndef WL_TRANSPORTS_TP_H
#define WL_TRANSPORTS_TP_H

#include <stddef.h>

typedef enum tp_rc {
  TP_OK = 0,
  TP_ERROR = -1,   /* read/write failed (errno preserved), out of memory */
  TP_EOF = -2,     /* end of input: no more lines */
  TP_ETOOBIG = -3, /* a line exceeded the limit; it was discarded up to its newline */
  TP_ECLOSED = -4, /* the peer closed the output (EPIPE) */
} tp_rc;

typedef struct tp_stdio tp_stdio;

/* Opens a transport over in_fd/out_fd (not closed by tp_stdio_close). max_line: the largest
 * accepted line in bytes (0 = 4 MiB). Returns TP_OK or TP_ERROR. */
int tp_stdio_open(tp_stdio **out, int in_fd, int out_fd, size_t max_line);
/* Frees; NULL is a no-op. */
void tp_stdio_close(tp_stdio *t);

/* Reads the next line. On TP_OK, *line (borrowed, valid until the next tp_stdio_read) and *len
 * hold it (not NUL-terminated for the reader's purposes, though a NUL follows it); empty lines
 * are skipped. Returns TP_OK, TP_EOF, TP_ETOOBIG (line discarded; *len = its size so far) or
 * TP_ERROR. An unterminated last line before EOF is returned as a line. Call from one thread. */
int tp_stdio_read(tp_stdio *t, const char **line, size_t *len);

/* Writes msg (len bytes, must not contain '\n') followed by '\n'. Thread-safe. Returns TP_OK,
 * TP_ECLOSED (peer gone) or TP_ERROR. */
int tp_stdio_write(tp_stdio *t, const char *msg, size_t len);

/* Duplicates the process's stdout to a new descriptor for the protocol (returned in *proto_fd,
 * close-on-exec) and points fd 1 at fd 2, so any later printf/puts lands on stderr. Returns TP_OK
 * or TP_ERROR. */
int tp_stdout_guard(int *proto_fd);

#endif
