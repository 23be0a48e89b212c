/* SPDX-License-Identifier: Apache-2.0
 * serve/console.h — the operator console's static files (serve/console/ — HTML, CSS, plain
 * JavaScript; embedded at build time by serve/console/embed.cmake) and the one function of the
 * HTTP binding that serves them at `/` (spec/http.md "The console"). Every console response
 * carries a strict Content-Security-Policy (no inline script or style, nothing from another
 * origin, no framing) and no ledger data: the page reads the ledger through /mcp with the
 * operator's token in the Authorization header. All data here is static: nothing to free. */
#ifndef WL_SERVE_CONSOLE_H
#define WL_SERVE_CONSOLE_H

#include "transports/http_server.h"

#include <stddef.h>

struct console_file {
  const char *path;         /* "/index.html" */
  const char *content_type; /* "text/html; charset=utf-8" */
  const char *data;         /* NUL-terminated; len bytes */
  size_t len;
};
extern const struct console_file console_files[]; /* {NULL}-terminated (generated) */

/* The Content-Security-Policy of every console response. */
#define CONSOLE_CSP                                                                                \
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "                \
  "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

/* 1 when `path` (borrowed) is a console path ("/" or one of console_files), else 0. */
int console_is_path(const char *path);
/* Answers a console request (r ended): GET/HEAD of a console path → 200 with its file, anything
 * else → 405; every answer with the CSP and the other console headers. */
void console_serve(tp_http_req *r, const char *path, const char *method);

#endif
