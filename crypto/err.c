/* SPDX-License-Identifier: Apache-2.0
 * crypto/err.c — the error convention of crypto/err.h: filling a wl_err (bounded, one line,
 * cut on a UTF-8 boundary), the names of the codes, and the one table that maps a code to a
 * JSON-RPC error code and to a CLI exit status. */
#include "crypto/err.h"

#include <stddef.h>
#include <stdio.h>

/* Length of the longest prefix of s[0..len) that does not end inside a UTF-8 sequence: a lead
 * byte whose continuation bytes were cut off is dropped with them. */
static size_t utf8_cut(const char *s, size_t len)
{
  size_t i = len, k = 0, need;
  unsigned char c;
  while (i > 0 && k < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
    i--; /* step back over continuation bytes (at most 3 in a valid sequence) */
    k++;
  }
  if (i == 0)
    return len;
  c = (unsigned char)s[i - 1];
  if (c < 0xC0)
    return len; /* ASCII or a stray continuation byte: no sequence is open */
  need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  return k >= need ? len : i - 1;
}

int wl_err_vset(wl_err *e, int code, int cause, const char *fmt, va_list ap)
{
  size_t n;
  int w;
  if (!e)
    return code;
  e->code = code;
  e->cause = cause;
  w = vsnprintf(e->msg, sizeof e->msg, fmt ? fmt : "", ap);
  if (w < 0) {
    e->msg[0] = 0;
    return code;
  }
  n = (size_t)w < sizeof e->msg ? (size_t)w : sizeof e->msg - 1;
  if ((size_t)w >= sizeof e->msg)
    n = utf8_cut(e->msg, n);
  e->msg[n] = 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)e->msg[i] < 0x20 || e->msg[i] == 0x7F)
      e->msg[i] = ' ';
  return code;
}

int wl_err_set(wl_err *e, int code, int cause, const char *fmt, ...)
{
  va_list ap;
  if (!e)
    return code;
  va_start(ap, fmt);
  wl_err_vset(e, code, cause, fmt, ap);
  va_end(ap);
  return code;
}

const char *wl_code_name(int code)
{
  switch (code) {
  case WL_OK: return "ok";
  case WL_ERROR: return "internal error";
  case WL_EINVAL: return "invalid input";
  case WL_ENOTFOUND: return "not found";
  case WL_ECONFLICT: return "conflict";
  case WL_EBUSY: return "busy";
  case WL_ECLOSED: return "closed";
  case WL_EDENIED: return "denied";
  case WL_EVERIFY: return "verification failed";
  case WL_EEXPIRED: return "expired";
  case WL_ESCOPE: return "outside scope";
  case WL_EIO: return "I/O error";
  case WL_EREAL: return "real number";
  case WL_EDEPTH: return "nesting too deep";
  case WL_ENOTSTORE: return "not a Store";
  case WL_ENEWER: return "newer schema";
  case WL_ECORRUPT: return "corrupt";
  case WL_ESTALE: return "stale";
  case WL_ETIMEOUT: return "timeout";
  case WL_EUNAVAILABLE: return "unavailable";
  case WL_EPROTOCOL: return "protocol error";
  case WL_ETOOBIG: return "too large";
  case WL_ECANCELLED: return "cancelled";
  case WL_EAUTH: return "unauthorized";
  case WL_ENOAUTH: return "no credentials";
  case WL_ENOENDPOINT: return "no endpoint";
  case WL_EHTTP: return "HTTP error";
  case WL_ERPC: return "JSON-RPC error";
  case WL_ETOOL: return "tool error";
  case WL_EBADSCHEMA: return "unusable schema";
  }
  return "unknown error";
}

int wl_code_jsonrpc(int code)
{
  switch (code) {
  case WL_OK: return 0;
  case WL_EINVAL:
  case WL_EREAL:
  case WL_EDEPTH:
  case WL_ENOTFOUND:
  case WL_ECONFLICT:
  case WL_EVERIFY:
  case WL_EEXPIRED:
  case WL_ESCOPE:
  case WL_ESTALE: return WL_JSONRPC_INVALID_PARAMS;
  case WL_EPROTOCOL:
  case WL_ETOOBIG: return WL_JSONRPC_INVALID_REQUEST;
  case WL_ENOAUTH:
  case WL_EAUTH:
  case WL_EDENIED: return WL_JSONRPC_UNAUTHORIZED;
  default: return WL_JSONRPC_INTERNAL_ERROR;
  }
}

int wl_code_exit(int code)
{
  switch (code) {
  case WL_OK: return WL_EXIT_OK;
  case WL_EINVAL:
  case WL_EREAL:
  case WL_EDEPTH:
  case WL_EUNAVAILABLE:
  case WL_ETIMEOUT:
  case WL_ETOOBIG:
  case WL_ECANCELLED:
  case WL_EAUTH:
  case WL_ENOAUTH:
  case WL_EDENIED:
  case WL_ENOENDPOINT:
  case WL_EHTTP:
  case WL_EPROTOCOL:
  case WL_ERPC: return WL_EXIT_USAGE;
  default: return WL_EXIT_FAIL;
  }
}
