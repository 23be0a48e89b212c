/* SPDX-License-Identifier: Apache-2.0
 * transports/http_head.c — the strict HTTP/1.x request-head and chunked-body checker of the front
 * door (transports/http_gate.c). It reads raw bytes peeked from a socket (never consumed), says
 * whether a request is complete, and otherwise what is wrong with it as an HTTP status and a
 * one-line reason: bad request line, method, target or version (400/501/505), a target over the
 * URI limit (414), a head over the header limit (431), obsolete line folding, NUL, bare CR or LF,
 * control characters, missing or repeated Host, bad or conflicting Content-Length,
 * Transfer-Encoding other than a single "chunked" or together with Content-Length, and chunk
 * framing (sizes, extensions, trailers, the decoded size against the body limit). It is stricter
 * than libmicrohttpd on every point, so that a request it passes is never refused by the library
 * (whose refusals carry HTML). Pure functions: no allocation, no I/O, no global state. */
#include "transports/http_server_int.h"

#include <string.h>
#include <strings.h>

#define MAX_FIELDS 100
#define MAX_CHUNK_EXT 256

static int refuse(tp_head *h, unsigned status, const char *msg)
{
  h->status = status;
  h->msg = msg;
  return TP_HEAD_REFUSED;
}

static int is_tchar(unsigned char c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return 1;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Index of the first CRLF at or after from (n when none yet); -1 on a bare CR or LF or a NUL. */
static long line_end(const char *b, size_t n, size_t from)
{
  for (size_t i = from; i < n; i++) {
    unsigned char c = (unsigned char)b[i];
    if (c == '\r') {
      if (i + 1 == n)
        return (long)n;
      if (b[i + 1] != '\n')
        return -1;
      return (long)i;
    }
    if (c == '\n' || c == 0)
      return -1;
  }
  return (long)n;
}

static const char *const KNOWN_METHODS[] = {"GET",    "HEAD",  "POST",    "PUT",
                                            "DELETE", "PATCH", "OPTIONS", NULL};

/* The request line b[0..len). */
static int check_request_line(tp_head *h, const char *b, size_t len, const tp_head_limits *lim)
{
  const char *sp1 = memchr(b, ' ', len);
  if (!sp1 || sp1 == b)
    return refuse(h, 400, "Bad Request: malformed request line");
  size_t mlen = (size_t)(sp1 - b);
  for (size_t i = 0; i < mlen; i++)
    if (!is_tchar((unsigned char)b[i]))
      return refuse(h, 400, "Bad Request: malformed method");
  if (mlen >= sizeof h->method)
    return refuse(h, 501, "Not Implemented: unknown method");
  memcpy(h->method, b, mlen);
  h->method[mlen] = 0;
  int known = 0;
  for (const char *const *m = KNOWN_METHODS; *m; m++)
    known |= strcmp(*m, h->method) == 0;
  const char *t = sp1 + 1, *end = b + len;
  const char *sp2 = memchr(t, ' ', (size_t)(end - t));
  if (!sp2) {
    if ((size_t)(end - t) > lim->max_uri)
      return refuse(h, 414, "URI Too Long");
    return refuse(h, 400, "Bad Request: no HTTP version (HTTP/0.9 is not served)");
  }
  size_t tlen = (size_t)(sp2 - t);
  if (tlen > lim->max_uri)
    return refuse(h, 414, "URI Too Long");
  if (tlen == 0 || t[0] != '/')
    return refuse(h, 400, "Bad Request: the request target must be an absolute path");
  for (size_t i = 0; i < tlen; i++) {
    unsigned char c = (unsigned char)t[i];
    if (c <= 0x20 || c >= 0x7f)
      return refuse(h, 400, "Bad Request: invalid character in the request target");
  }
  const char *v = sp2 + 1;
  size_t vlen = (size_t)(end - v);
  if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
      v[7] < '0' || v[7] > '9')
    return refuse(h, 400, "Bad Request: malformed HTTP version");
  if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
    return refuse(h, 505, "HTTP Version Not Supported: HTTP/1.0 and HTTP/1.1 only");
  h->http10 = v[7] == '0';
  h->path = t;
  h->path_len = tlen;
  for (size_t i = 0; i + 2 < tlen; i++)
    if (t[i] == '%' && t[i + 1] == '0' && t[i + 2] == '0')
      return refuse(h, 400, "Bad Request: an encoded NUL in the request target");
  const char *q = memchr(t, '?', tlen);
  if (q)
    h->path_len = (size_t)(q - t);
  if (!known)
    return refuse(h, 501, "Not Implemented: unknown method");
  return 0;
}

static int name_is(const char *name, size_t nlen, const char *want)
{
  return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

/* One field line: name ":" OWS value OWS. */
static int check_field(tp_head *h, const char *b, size_t len, int *n_cl, int *n_te, int *n_host)
{
  if (b[0] == ' ' || b[0] == '\t')
    return refuse(h, 400, "Bad Request: obsolete header line folding");
  const char *colon = memchr(b, ':', len);
  if (!colon || colon == b)
    return refuse(h, 400, "Bad Request: malformed header line");
  size_t nlen = (size_t)(colon - b);
  for (size_t i = 0; i < nlen; i++)
    if (!is_tchar((unsigned char)b[i]))
      return refuse(h, 400, "Bad Request: malformed header name");
  const char *v = colon + 1, *e = b + len;
  for (const char *p = v; p < e; p++) {
    unsigned char c = (unsigned char)*p;
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return refuse(h, 400, "Bad Request: control character in a header value");
  }
  while (v < e && (*v == ' ' || *v == '\t'))
    v++;
  while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  size_t vl = (size_t)(e - v);
  if (name_is(b, nlen, "Content-Length")) {
    if (vl == 0 || vl > 18)
      return refuse(h, 400, "Bad Request: invalid Content-Length");
    unsigned long long x = 0;
    for (size_t i = 0; i < vl; i++) {
      if (v[i] < '0' || v[i] > '9')
        return refuse(h, 400, "Bad Request: invalid Content-Length");
      x = x * 10 + (unsigned)(v[i] - '0');
    }
    if (*n_cl && x != h->content_length)
      return refuse(h, 400, "Bad Request: conflicting Content-Length headers");
    h->content_length = x;
    h->has_length = 1;
    ++*n_cl;
  } else if (name_is(b, nlen, "Transfer-Encoding")) {
    if (++*n_te > 1)
      return refuse(h, 400, "Bad Request: repeated Transfer-Encoding");
    if (vl != 7 || strncasecmp(v, "chunked", 7) != 0)
      return refuse(h, vl && !memchr(v, ',', vl) ? 501 : 400,
                    "Transfer-Encoding other than a single \"chunked\" is not served");
    h->chunked = 1;
  } else if (name_is(b, nlen, "Host")) {
    if (++*n_host > 1)
      return refuse(h, 400, "Bad Request: more than one Host header");
  } else if (name_is(b, nlen, "Authorization")) {
    h->has_auth = vl > 0;
  } else if (name_is(b, nlen, "Expect")) {
    if (vl != 12 || strncasecmp(v, "100-continue", 12) != 0)
      return refuse(h, 417, "Expectation Failed: only 100-continue is understood");
    h->expect_continue = 1;
  }
  return 0;
}

int tp__head_parse(const char *b, size_t n, const tp_head_limits *lim, tp_head *h)
{
  memset(h, 0, sizeof *h);
  size_t pos = 0;
  int line = 0, n_cl = 0, n_te = 0, n_host = 0;
  for (;;) {
    long e = line_end(b, n, pos);
    if (e < 0)
      return refuse(h, 400, "Bad Request: NUL, bare CR or bare LF in the request head");
    if ((size_t)e >= n) { /* the line is not complete yet */
      if (line == 0 && n - pos > lim->max_uri + 32) {
        const char *sp1 = memchr(b, ' ', n);
        if (sp1 && !memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - b)))
          return refuse(h, 414, "URI Too Long");
      }
      if (n > lim->max_header)
        return refuse(h, 431, "Request Header Fields Too Large");
      return TP_HEAD_MORE;
    }
    size_t len = (size_t)e - pos;
    if ((size_t)e + 2 > lim->max_header)
      return line == 0 && len > lim->max_uri ? refuse(h, 414, "URI Too Long")
                                             : refuse(h, 431, "Request Header Fields Too Large");
    if (line == 0) {
      if (len == 0)
        return refuse(h, 400, "Bad Request: empty request line");
      if (check_request_line(h, b, len, lim) != 0)
        return TP_HEAD_REFUSED;
    } else if (len == 0) {
      h->head_len = (size_t)e + 2;
      break;
    } else {
      if (line > MAX_FIELDS)
        return refuse(h, 431, "Request Header Fields Too Large: too many header lines");
      if (check_field(h, b + pos, len, &n_cl, &n_te, &n_host) != 0)
        return TP_HEAD_REFUSED;
    }
    line++;
    pos = (size_t)e + 2;
  }
  if (!h->http10 && n_host == 0)
    return refuse(h, 400, "Bad Request: HTTP/1.1 request without Host");
  if (h->chunked && h->has_length)
    return refuse(h, 400, "Bad Request: both Transfer-Encoding and Content-Length");
  if (h->chunked && h->http10)
    return refuse(h, 400, "Bad Request: Transfer-Encoding in an HTTP/1.0 request");
  if (h->has_length && h->content_length > lim->max_body)
    return refuse(h, 413, lim->too_big_msg ? lim->too_big_msg : "Content Too Large");
  return TP_HEAD_OK;
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* One chunk-size line b[0..len): 1*8HEXDIG [ ";" ext ]. */
static int chunk_size(tp_head *h, const char *b, size_t len, unsigned long *out)
{
  size_t i = 0;
  unsigned long v = 0;
  while (i < len && hexval(b[i]) >= 0) {
    if (i >= 8)
      return refuse(h, 413, "Content Too Large: chunk size");
    v = v * 16 + (unsigned long)hexval(b[i]);
    i++;
  }
  if (i == 0)
    return refuse(h, 400, "Bad Request: malformed chunk size");
  if (i < len) {
    if (b[i] != ';' && b[i] != ' ' && b[i] != '\t')
      return refuse(h, 400, "Bad Request: malformed chunk size");
    if (len - i > MAX_CHUNK_EXT)
      return refuse(h, 400, "Bad Request: chunk extension too long");
    for (; i < len; i++) {
      unsigned char c = (unsigned char)b[i];
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return refuse(h, 400, "Bad Request: control character in a chunk extension");
    }
  }
  *out = v;
  return 0;
}

int tp__body_check(const char *b, size_t n, const tp_head *h, const tp_head_limits *lim,
                   size_t *req_len, tp_head *err)
{
  *err = *h;
  if (!h->chunked) {
    size_t need = h->head_len + (size_t)h->content_length;
    if (n >= need || n >= lim->window) {
      *req_len = n >= need ? need : n;
      return TP_HEAD_OK;
    }
    return TP_HEAD_MORE;
  }
  size_t pos = h->head_len;
  unsigned long long total = 0;
  for (;;) {
    long e = line_end(b, n, pos);
    if (e < 0)
      return refuse(err, 400, "Bad Request: malformed chunk framing");
    if ((size_t)e >= n) {
      if (n - pos > MAX_CHUNK_EXT + 16)
        return refuse(err, 400, "Bad Request: chunk extension too long");
      break;
    }
    unsigned long sz;
    if (chunk_size(err, b + pos, (size_t)e - pos, &sz) != 0)
      return TP_HEAD_REFUSED;
    pos = (size_t)e + 2;
    if (sz == 0) { /* trailer section: fields until an empty line */
      int nt = 0;
      for (;;) {
        long t = line_end(b, n, pos);
        if (t < 0)
          return refuse(err, 400, "Bad Request: malformed chunked trailer");
        if ((size_t)t >= n)
          goto more;
        if ((size_t)t == pos) {
          *req_len = (size_t)t + 2;
          return TP_HEAD_OK;
        }
        int a = 0, c = 0, d = 0;
        if (++nt > 16 || check_field(err, b + pos, (size_t)t - pos, &a, &c, &d) != 0 || a || c)
          return err->status ? TP_HEAD_REFUSED
                             : refuse(err, 400, "Bad Request: malformed chunked trailer");
        pos = (size_t)t + 2;
      }
    }
    total += sz;
    if (total > lim->max_body)
      return refuse(err, 413, lim->too_big_msg ? lim->too_big_msg : "Content Too Large");
    if (pos + sz + 2 > n)
      break;
    if (b[pos + sz] != '\r' || b[pos + sz + 1] != '\n')
      return refuse(err, 400, "Bad Request: chunk data longer than its size");
    pos += sz + 2;
  }
more:
  if (n >= lim->window)
    return refuse(err, 413,
                  "Content Too Large: a chunked request body must fit in the front door's window; "
                  "send Content-Length");
  return TP_HEAD_MORE;
}
