/* SPDX-License-Identifier: Apache-2.0
 * transports/http_client.c — libcurl easy-handle requests for transports/http_client.h: bounded
 * response buffering, header capture (Content-Type, WWW-Authenticate, one caller-named header),
 * SSE bodies fed to transports/sse.c as they arrive, and the abort hook polled from libcurl's
 * transfer-progress callback. It does not retry, follow redirects, or keep connections between
 * calls. */
#include "transports/http_client.h"
#include "transports/sse.h"

#include "transports/tp_dl.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEF_TIMEOUT_MS 30000L
#define DEF_CONNECT_MS 10000L
#define DEF_MAX_RESPONSE (8u * 1024u * 1024u)

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_init_rc;
static const tp_curl_api *C; /* libcurl, loaded on first request (tp_dl.h) */
static const char *g_why = "libcurl initialisation failed";
static void global_init(void)
{
  C = tp_curl(&g_why);
  g_init_rc = C && C->global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

typedef struct buf {
  char *p;
  size_t len, cap;
} buf;

static int buf_add(buf *b, const char *d, size_t n)
{
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np)
      return -1;
    b->p = np;
    b->cap = cap;
  }
  if (n)
    memcpy(b->p + b->len, d, n);
  b->len += n;
  b->p[b->len] = 0;
  return 0;
}

typedef struct xfer {
  buf body;
  size_t max;
  int too_big, aborted, oom, is_sse, cancelled;
  const tp_httpc_opts *o;
  tp_httpc_response *resp;
  tp_sse sse;
} xfer;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
  if (!err || !errlen)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static int on_sse(const char *event, const char *data, size_t len, void *payload)
{
  xfer *x = payload;
  return x->o->on_event ? (x->o->on_event(event, data, len, x->o->payload) ? 1 : 0) : 0;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
  xfer *x = ud;
  (void)dt, (void)dn, (void)ut, (void)un;
  if (x->o->should_abort && x->o->should_abort(x->o->payload)) {
    x->cancelled = 1;
    return 1;
  }
  return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
  xfer *x = ud;
  size_t n = size * nmemb;
  if (x->body.len + n > x->max) {
    x->too_big = 1;
    return 0;
  }
  if (buf_add(&x->body, ptr, n)) {
    x->oom = 1;
    return 0;
  }
  if (x->is_sse) {
    int rc = tp_sse_feed(&x->sse, ptr, n);
    if (rc == TP_SSE_ENOMEM)
      x->oom = 1;
    else if (rc == TP_SSE_ETOOBIG)
      x->too_big = 1;
    else if (rc > 0)
      x->aborted = 1;
    if (rc)
      return 0;
  }
  return n;
}

static char *dup_trim(const char *v, size_t n)
{
  while (n && (*v == ' ' || *v == '\t'))
    v++, n--;
  while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
    n--;
  char *s = malloc(n + 1);
  if (!s)
    return NULL;
  memcpy(s, v, n);
  s[n] = 0;
  return s;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
  xfer *x = ud;
  size_t n = size * nmemb;
  static const char ct[] = "content-type:", wa[] = "www-authenticate:";
  if (n >= sizeof ct - 1 && strncasecmp(ptr, ct, sizeof ct - 1) == 0) {
    free(x->resp->content_type);
    x->resp->content_type = dup_trim(ptr + sizeof ct - 1, n - (sizeof ct - 1));
    x->is_sse = x->resp->content_type &&
                strncasecmp(x->resp->content_type, "text/event-stream", 17) == 0;
  } else if (n >= sizeof wa - 1 && strncasecmp(ptr, wa, sizeof wa - 1) == 0) {
    free(x->resp->www_authenticate);
    x->resp->www_authenticate = dup_trim(ptr + sizeof wa - 1, n - (sizeof wa - 1));
  } else if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) { /* a new response (e.g. after 100) */
    x->is_sse = 0;
  } else if (x->o->capture_header) {
    size_t hl = strlen(x->o->capture_header);
    if (hl && n > hl && ptr[hl] == ':' && strncasecmp(ptr, x->o->capture_header, hl) == 0) {
      free(x->resp->captured);
      x->resp->captured = dup_trim(ptr + hl + 1, n - hl - 1);
    }
  }
  return n;
}

int tp_httpc_request(tp_httpc_response *out, const char *method, const char *url,
                     const char *const *headers, const char *body, size_t len,
                     const tp_httpc_opts *opts, char *err, size_t errlen)
{
  static const tp_httpc_opts defaults;
  if (!out || !method || !url) {
    set_err(err, errlen, "missing method or URL");
    return TP_HTTPC_EINVAL;
  }
  memset(out, 0, sizeof *out);
  pthread_once(&g_once, global_init);
  if (g_init_rc) {
    set_err(err, errlen, "%s", g_why);
    return TP_HTTPC_ERROR;
  }
  const tp_httpc_opts *o = opts ? opts : &defaults;
  xfer x = {.max = o->max_response ? o->max_response : DEF_MAX_RESPONSE, .o = o, .resp = out};
  tp_sse_init(&x.sse, o->max_event ? o->max_event : x.max, on_sse, &x);
  CURL *h = C->easy_init();
  struct curl_slist *hl = NULL;
  int rc = TP_HTTPC_ERROR;
  if (!h)
    goto done;
  for (size_t i = 0; headers && headers[i]; i++) {
    struct curl_slist *nl = C->slist_append(hl, headers[i]);
    if (!nl)
      goto done;
    hl = nl;
  }
  if (body) { /* no "Expect: 100-continue" round trip */
    struct curl_slist *nl = C->slist_append(hl, "Expect:");
    if (!nl)
      goto done;
    hl = nl;
  }
  char ebuf[CURL_ERROR_SIZE] = "";
  C->easy_setopt(h, CURLOPT_URL, url);
  C->easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  if (strcmp(method, "GET") == 0)
    C->easy_setopt(h, CURLOPT_HTTPGET, 1L);
  if (body) {
    C->easy_setopt(h, CURLOPT_POSTFIELDS, body);
    C->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  }
  C->easy_setopt(h, CURLOPT_HTTPHEADER, hl);
  C->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  C->easy_setopt(h, CURLOPT_WRITEDATA, &x);
  C->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  C->easy_setopt(h, CURLOPT_HEADERDATA, &x);
  C->easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms : DEF_TIMEOUT_MS);
  C->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                 o->connect_timeout_ms > 0 ? o->connect_timeout_ms : DEF_CONNECT_MS);
  C->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  C->easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
  C->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  C->easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL);
  if (o->should_abort) {
    C->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    C->easy_setopt(h, CURLOPT_XFERINFODATA, &x);
    C->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (o->should_abort(o->payload)) {
      set_err(err, errlen, "cancelled");
      rc = TP_HTTPC_ECANCELLED;
      goto done;
    }
  }
  if (o->ca_file)
    C->easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
  if (o->insecure_tls) {
    C->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    C->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLcode cc = C->easy_perform(h);
  C->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
  if (!x.body.p && buf_add(&x.body, "", 0)) {
    rc = TP_HTTPC_ERROR;
    goto done;
  }
  if (cc == CURLE_OK) {
    rc = TP_HTTPC_OK;
  } else if (x.oom) {
    set_err(err, errlen, "out of memory reading the response");
    rc = TP_HTTPC_ERROR;
  } else if (x.too_big) {
    set_err(err, errlen, "response larger than %zu bytes", x.max);
    rc = TP_HTTPC_ETOOBIG;
  } else if (x.aborted) {
    set_err(err, errlen, "stopped by the event callback");
    rc = TP_HTTPC_EABORTED;
  } else if (x.cancelled) {
    set_err(err, errlen, "cancelled");
    rc = TP_HTTPC_ECANCELLED;
  } else if (cc == CURLE_OPERATION_TIMEDOUT) {
    set_err(err, errlen, "%s: timed out", url);
    rc = TP_HTTPC_ETIMEOUT;
  } else if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL) {
    set_err(err, errlen, "%s: %s", url, ebuf[0] ? ebuf : C->easy_strerror(cc));
    rc = TP_HTTPC_EINVAL;
  } else {
    set_err(err, errlen, "%s: %s", url, ebuf[0] ? ebuf : C->easy_strerror(cc));
    rc = TP_HTTPC_ECONNECT;
  }
  out->body = x.body.p;
  out->len = x.body.len;
  x.body.p = NULL;
done:
  C->slist_free_all(hl);
  if (h)
    C->easy_cleanup(h);
  free(x.body.p);
  tp_sse_free(&x.sse);
  if (rc != TP_HTTPC_OK && rc != TP_HTTPC_ETOOBIG && rc != TP_HTTPC_EABORTED &&
      rc != TP_HTTPC_ECANCELLED) {
    tp_httpc_response_free(out);
  }
  return rc;
}

void tp_httpc_response_free(tp_httpc_response *r)
{
  if (!r)
    return;
  free(r->content_type);
  free(r->www_authenticate);
  free(r->captured);
  free(r->body);
  memset(r, 0, sizeof *r);
}
