/* SPDX-License-Identifier: Apache-2.0
 * serve/console.c — serves the embedded operator console (serve/console.h): "/" is index.html,
 * the other paths are the files themselves; GET and HEAD only; every response, errors included,
 * carries the console headers (CSP, nosniff, no referrer, no framing, no caching). The files hold
 * no ledger data and need no token; the page signs in by keeping the operator token in memory
 * (sessionStorage), never in a cookie, and sends it in the Authorization header of its /mcp
 * requests, which a cross-origin page cannot do (the Origin allow-list refuses them). */
#include "serve/console.h"
#include "serve/http_int.h"

#include <string.h>

static const char *const console_headers[] = {"Content-Security-Policy",
                                              CONSOLE_CSP,
                                              "X-Content-Type-Options",
                                              "nosniff",
                                              "Referrer-Policy",
                                              "no-referrer",
                                              "X-Frame-Options",
                                              "DENY",
                                              "Cross-Origin-Resource-Policy",
                                              "same-origin",
                                              "Cross-Origin-Opener-Policy",
                                              "same-origin",
                                              "Cache-Control",
                                              "no-store",
                                              NULL};

static const struct console_file *find(const char *path)
{
  if (strcmp(path, "/") == 0)
    path = "/index.html";
  for (const struct console_file *f = console_files; f->path; f++)
    if (strcmp(f->path, path) == 0)
      return f;
  return NULL;
}

int console_is_path(const char *path)
{
  return path && find(path) != NULL;
}

void console_serve(tp_http_req *r, const char *path, const char *method)
{
  const struct console_file *f = find(path);
  if (!f || (strcmp(method, "GET") && strcmp(method, "HEAD"))) {
    const char *hdrs[sizeof console_headers / sizeof console_headers[0] + 2];
    size_t n = 0;
    for (; console_headers[n]; n++)
      hdrs[n] = console_headers[n];
    hdrs[n++] = "Allow";
    hdrs[n++] = "GET, HEAD";
    hdrs[n] = NULL;
    http_reply_error(r, 405, NULL, MCP_JSONRPC_INVALID_REQUEST, "Method Not Allowed", hdrs);
    return;
  }
  tp_http_reply(r, 200, f->content_type, console_headers, f->data, f->len);
}
