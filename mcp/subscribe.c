/* SPDX-License-Identifier: Apache-2.0
 * mcp/subscribe.c — resources/subscribe and resources/unsubscribe, and the change notifications
 * (spec/mcp.md §5.1): a legacy-era session with a channel back to its client (stdio) may
 * subscribe to a resource whose entry has a version() (the ledger's open runs); one watcher
 * thread per session polls the versions every WATCH_POLL_MS and sends
 * notifications/resources/updated {uri} when one changes (a subscription ends with the update
 * that reports its run closed), and — once the client has listed the resources —
 * notifications/resources/list_changed when the listing changes. Polling, not hooks: a change
 * made by another process (the CLI, another node on the same Store) is seen the same way. */
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WATCH_SUBS_MAX 64
#define WATCH_POLL_MS 500
#define VERSION_MAX 128

struct mcp_watch {
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;
  int nsubs;
  char *uri[WATCH_SUBS_MAX];
  char ver[WATCH_SUBS_MAX][VERSION_MAX];
  int list_watch;
  uint64_t list_fp; /* fingerprint of the last listing (0 = none yet) */
};

int mcp__is_subscribe_method(const char *m)
{
  return !strcmp(m, "resources/subscribe") || !strcmp(m, "resources/unsubscribe");
}

int mcp__can_subscribe(const mcp_session *s)
{
  return s && s->send && !s->stateless;
}

static const mcp_resource_impl *entry_for(const mcp_server *srv, const char *uri)
{
  const mcp_resource_impl *best = NULL;
  for (int g = 0; srv->resource_groups && srv->resource_groups[g]; g++)
    for (const mcp_resource_impl *e = srv->resource_groups[g]; e->uri; e++) {
      size_t n = strlen(e->uri);
      if (e->version && e->uri_template && !strncmp(e->uri, uri, n) && uri[n] &&
          (!best || n > strlen(best->uri)))
        best = e;
    }
  return best;
}

/* The version of uri as the session's caller sees it: 0 and out filled, or non-zero (gone,
 * closed, not for this caller). */
static int version_of(mcp_session *s, const char *uri, char *out, size_t cap)
{
  const mcp_resource_impl *e = entry_for(s->srv, uri);
  mcp_req fake;
  mcp_ctx ctx;
  if (!e)
    return 1;
  memset(&fake, 0, sizeof fake);
  fake.s = s;
  memset(&ctx, 0, sizeof ctx);
  ctx.req = &fake;
  return e->version(&ctx, uri, out, cap);
}

static uint64_t fnv(uint64_t h, const char *p)
{
  for (; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  return (h ^ 0xff) * 1099511628211ULL;
}

/* What resources/list would list now, as a fingerprint (never 0). */
static uint64_t listing_fp(mcp_session *s)
{
  mcp_req fake;
  mcp_ctx ctx;
  char err[300];
  json_t *items = json_array(), *it;
  uint64_t h = 1469598103934665603ULL;
  size_t i;
  memset(&fake, 0, sizeof fake);
  fake.s = s;
  memset(&ctx, 0, sizeof ctx);
  ctx.req = &fake;
  for (int g = 0; s->srv->resource_groups && s->srv->resource_groups[g]; g++)
    for (const mcp_resource_impl *e = s->srv->resource_groups[g]; e->uri; e++)
      if (e->list)
        (void)e->list(&ctx, items, err, sizeof err);
  json_array_foreach(items, i, it)
    h = fnv(h, json_string_value(json_object_get(it, "uri")));
  json_decref(items);
  return h ? h : 1;
}

static void notify(mcp_session *s, const char *method, const char *uri)
{
  json_t *m = uri ? json_pack("{s:s,s:s,s:{s:s}}", "jsonrpc", "2.0", "method", method, "params",
                              "uri", uri)
                  : json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method", method);
  char *text = m ? seal_json_dumps(m, JSON_COMPACT) : NULL;
  json_decref(m);
  if (text)
    s->send(text, strlen(text), MCP_EMIT_NOTIFICATION, s->send_payload);
  free(text);
}

/* One pass: sends what changed. Called with w->mu held; drops it around the reads. */
static void watch_pass(mcp_session *s, mcp_watch *w)
{
  for (int i = 0; i < w->nsubs; i++) {
    char v[VERSION_MAX] = "", *uri = strdup(w->uri[i]);
    int rc;
    if (!uri)
      continue;
    pthread_mutex_unlock(&w->mu);
    rc = version_of(s, uri, v, sizeof v);
    pthread_mutex_lock(&w->mu);
    if (i < w->nsubs && strcmp(w->uri[i], uri) == 0 && (rc != 0 || strcmp(v, w->ver[i]) != 0)) {
      notify(s, "notifications/resources/updated", uri);
      snprintf(w->ver[i], VERSION_MAX, "%s", v);
      if (rc != 0) { /* closed or gone: the subscription ends with this update */
        free(w->uri[i]);
        w->uri[i] = w->uri[--w->nsubs];
        memcpy(w->ver[i], w->ver[w->nsubs], VERSION_MAX);
        i--;
      }
    }
    free(uri);
  }
  if (w->list_watch) {
    pthread_mutex_unlock(&w->mu);
    uint64_t fp = listing_fp(s);
    pthread_mutex_lock(&w->mu);
    if (w->list_fp && fp != w->list_fp)
      notify(s, "notifications/resources/list_changed", NULL);
    w->list_fp = fp;
  }
}

static void *watch_main(void *arg)
{
  mcp_session *s = arg;
  mcp_watch *w = s->watch;
  pthread_mutex_lock(&w->mu);
  while (!w->stop) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += WATCH_POLL_MS * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
      t.tv_sec++;
      t.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&w->cv, &w->mu, &t);
    if (!w->stop)
      watch_pass(s, w);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* The session's watcher, started on first use (NULL when it cannot be). */
static mcp_watch *watch_get(mcp_session *s)
{
  mcp_watch *w;
  pthread_mutex_lock(&s->mu);
  w = s->watch;
  if (!w && (w = calloc(1, sizeof *w))) {
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    s->watch = w;
    if (pthread_create(&w->th, NULL, watch_main, s) != 0) {
      pthread_mutex_destroy(&w->mu);
      pthread_cond_destroy(&w->cv);
      free(w);
      s->watch = w = NULL;
    }
  }
  pthread_mutex_unlock(&s->mu);
  return w;
}

void mcp__watch_list(mcp_session *s)
{
  mcp_watch *w;
  uint64_t fp;
  if (!mcp__can_subscribe(s) || !(w = watch_get(s)))
    return;
  pthread_mutex_lock(&w->mu);
  fp = w->list_watch ? 0 : 1;
  pthread_mutex_unlock(&w->mu);
  if (!fp)
    return;
  fp = listing_fp(s); /* the baseline: the listing this client is about to get */
  pthread_mutex_lock(&w->mu);
  if (!w->list_watch) {
    w->list_watch = 1;
    w->list_fp = fp;
  }
  pthread_mutex_unlock(&w->mu);
}

void mcp__watch_stop(mcp_session *s)
{
  mcp_watch *w = s->watch;
  if (!w)
    return;
  pthread_mutex_lock(&w->mu);
  w->stop = 1;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->th, NULL);
  for (int i = 0; i < w->nsubs; i++)
    free(w->uri[i]);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
  free(w);
  s->watch = NULL;
}

json_t *mcp__subscribe_request(mcp_req *r, int *code, char *msg, size_t cap)
{
  const char *uri = json_string_value(json_object_get(r->params, "uri"));
  int sub = strcmp(r->method, "resources/subscribe") == 0, found = -1;
  char v[VERSION_MAX] = "";
  mcp_watch *w;
  if (r->modern || !mcp__has_resources(r->s->srv)) {
    *code = MCP_JSONRPC_METHOD_NOT_FOUND;
    snprintf(msg, cap, "Method not found: %s", r->method);
    return NULL;
  }
  if (!uri || strlen(uri) > 1024) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "%s: params.uri (string, at most 1024 bytes) is required", r->method);
    return NULL;
  }
  if (!mcp__can_subscribe(r->s)) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap,
             "%s: this session has no channel for notifications (stateless HTTP); "
             "poll resources/read instead",
             r->method);
    return NULL;
  }
  if (sub && version_of(r->s, uri, v, sizeof v) != 0) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap,
             "resources/subscribe: %.300s is not an open run this caller may read "
             "(only runs still open can be subscribed)",
             uri);
    return NULL;
  }
  if (!(w = watch_get(r->s))) {
    *code = MCP_JSONRPC_INTERNAL_ERROR;
    snprintf(msg, cap, "%s: cannot start the watcher", r->method);
    return NULL;
  }
  pthread_mutex_lock(&w->mu);
  for (int i = 0; i < w->nsubs; i++)
    if (strcmp(w->uri[i], uri) == 0)
      found = i;
  if (sub && found < 0 && w->nsubs < WATCH_SUBS_MAX && (w->uri[w->nsubs] = strdup(uri))) {
    snprintf(w->ver[w->nsubs], VERSION_MAX, "%s", v);
    w->nsubs++;
  } else if (sub && found < 0) {
    pthread_mutex_unlock(&w->mu);
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "resources/subscribe: at most %d subscriptions per session", WATCH_SUBS_MAX);
    return NULL;
  } else if (!sub && found >= 0) {
    free(w->uri[found]);
    w->uri[found] = w->uri[--w->nsubs];
    memcpy(w->ver[found], w->ver[w->nsubs], VERSION_MAX);
  }
  pthread_mutex_unlock(&w->mu);
  return json_object();
}
