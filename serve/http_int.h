/* SPDX-License-Identifier: Apache-2.0
 * serve/http_int.h — shared by the files of the HTTP binding (never included from another
 * folder): the recorder of failed authentications (serve/http_authlog.c), the header rules
 * (serve/http_headers.c) and the error reply of serve/http.c they use. */
#ifndef WL_SERVE_HTTP_INT_H
#define WL_SERVE_HTTP_INT_H

#include "ledger/ledger.h"
#include "mcp/mcp.h"
#include "serve/auth.h"
#include "transports/http_server.h"

#include <jansson.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* Failed authentications: counted, rate-limited, recorded in a Store run of their own. */
typedef struct http_authlog {
  struct ledger *store;   /* borrowed; NULL = count and log only */
  const char *motebit_id; /* borrowed (the actor of the run), may be NULL */
  pthread_mutex_t mu;     /* the run and the rate limit (held across opening the run, one Store
                             write) */
  int64_t win_ms;         /* start of the current one-second window */
  int win_n;              /* failures recorded as events in it */
  uint64_t suppressed;    /* failures counted but not recorded since the last event */
  char run[LEDGER_ID_MAX];
  int run_open;
  atomic_uint_fast64_t failures;
} http_authlog;

/* store and motebit_id are borrowed and must outlive the recorder. */
void http_authlog_init(http_authlog *a, struct ledger *store, const char *motebit_id);
/* Counts one rejected request (peer, path and ar borrowed) and records it when the rate allows. */
void http_authlog_record(http_authlog *a, const char *peer, const char *path,
                         const mcp_auth_result *ar, unsigned status);
uint64_t http_authlog_count(http_authlog *a);
/* Closes the run (when one was opened) and releases the recorder. */
void http_authlog_close(http_authlog *a);

/* serve/http.c: replies with a JSON-RPC error body (id borrowed, may be NULL) and the extra
 * headers (a NULL-terminated name/value list, borrowed, may be NULL). */
void http_reply_error(tp_http_req *r, unsigned status, const json_t *id, int code, const char *msg,
                      const char *const *headers);

/* serve/http_headers.c */
/* 1 when the comma-separated media-range list (borrowed, may be NULL) names tok
 * (case-insensitive, parameters ignored). */
int http_has_token(const char *list, const char *tok);
/* Modern/legacy header checks of a POST whose body is root (borrowed). Sets *modern_out. Returns
 * 0 to continue, or the HTTP status after replying. */
int http_check_headers(tp_http_req *r, const json_t *root, int *modern_out);
/* SEP-2243 custom headers of a tools/call (root borrowed) whose tool's inputSchema (borrowed,
 * may be NULL) declares `x-mcp-header` parameters: each such argument present in the body must
 * come with an equal Mcp-Param-<Name> header (plain, or `=?base64?...?=` with valid padding), and
 * no such header without its argument. Returns 0 to continue, or 400 after replying -32020. */
int http_check_param_headers(tp_http_req *r, const json_t *root, const json_t *schema);

#endif
