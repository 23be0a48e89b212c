/* SPDX-License-Identifier: Apache-2.0
 * serve/stdio.h — the stdio binding of the MCP core: one JSON-RPC message per line on a
 * file descriptor in, one per line on another out (transports/stdio.c frames the bytes). The
 * caller (cli/cmd_serve.c, the composition root) guards stdout, builds the mcp_server and hands
 * both here; this loop opens the one local-operator session and runs until end of input.
 * Nothing here writes to stdout except through the transport. */
#ifndef WL_SERVE_STDIO_H
#define WL_SERVE_STDIO_H

#include "mcp/mcp.h"

#include <stddef.h>

/* Serves `srv` on in_fd/out_fd until in_fd reaches end of input, then waits for the calls in
 * flight to finish. `srv` is borrowed (it must outlive the call); the descriptors are borrowed
 * (not closed). max_line 0 = the transport's default. Returns 0 at end of input, -1 when the
 * session could not be set up or when stdout was closed before every answer was written (a read
 * error ends the loop as end of input does); the message is in err (NUL-terminated, errlen
 * bytes; err may be NULL). */
int serve_stdio_run(mcp_server *srv, int in_fd, int out_fd, size_t max_line, char *err,
                    size_t errlen);

#endif
