/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/harness.c — the in-memory transport of harness.h. */
#include "tools/tools.h"
#include "tests/unit/mcp/harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void collect(const char *msg, size_t len, unsigned flags, void *payload)
{
  harness *h = payload;
  pthread_mutex_lock(&h->mu);
  if (h->nmsgs < (int)(sizeof h->msgs / sizeof *h->msgs)) {
    h->msgs[h->nmsgs].text = msg ? strndup(msg, len) : NULL;
    h->msgs[h->nmsgs].flags = flags;
    h->nmsgs++;
  }
  if (flags & MCP_EMIT_FINAL)
    h->finals++;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

static void channel(const char *msg, size_t len, unsigned flags, void *payload)
{
  harness *h = payload;
  pthread_mutex_lock(&h->mu);
  if (h->nout < (int)(sizeof h->out / sizeof *h->out)) {
    h->out[h->nout].text = strndup(msg, len);
    h->out[h->nout].flags = flags;
    h->nout++;
  }
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

int h_window, h_no_wait;
const struct mcp_resource_impl *const *h_resources;

void h_start(harness *h, const json_t *config, int page_size, int with_channel)
{
  mcp_server_opts o;
  mcp_session_opts so;
  char err[256] = "";
  memset(h, 0, sizeof *h);
  ck_assert_int_eq(seal_init(), 0);
  ck_assert_int_eq(seal_key_generate(&h->key), 0);
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->cv, NULL);
  memset(&o, 0, sizeof o);
  o.key = h->key;
  o.config = config;
  o.page_size = page_size;
  o.workers = 3;
  o.window = h_window > 0 ? h_window : 8;
  o.tool_groups = tools_groups;
  o.resource_groups = h_resources;
  ck_assert_msg(mcp_server_new(&h->srv, &o, err, sizeof err) == MCP_OK, "server: %s", err);
  memset(&so, 0, sizeof so);
  so.caller.id = "local-operator";
  so.caller.trust = MCP_TRUST_LOCAL;
  so.no_wait = h_no_wait;
  if (with_channel) {
    so.send = channel;
    so.send_payload = h;
  }
  ck_assert_int_eq(mcp_session_new(&h->sess, h->srv, &so), MCP_OK);
}

void h_stop(harness *h)
{
  mcp_session_free(h->sess);
  mcp_server_free(h->srv);
  seal_key_free(h->key);
  for (int i = 0; i < h->nmsgs; i++)
    free(h->msgs[i].text);
  for (int i = 0; i < h->nout; i++)
    free(h->out[i].text);
  pthread_mutex_destroy(&h->mu);
  pthread_cond_destroy(&h->cv);
}

uint64_t h_send(harness *h, const char *line)
{
  uint64_t t = 0;
  ck_assert_int_eq(mcp_submit(h->sess, line, strlen(line), collect, h, &t), MCP_OK);
  return t;
}

static void wait_until(harness *h, const int *counter, int n)
{
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 10;
  pthread_mutex_lock(&h->mu);
  while (*counter < n) {
    if (pthread_cond_timedwait(&h->cv, &h->mu, &dl) == ETIMEDOUT)
      break;
  }
  {
    int got = *counter;
    pthread_mutex_unlock(&h->mu);
    ck_assert_msg(got >= n, "timed out waiting: %d of %d", got, n);
  }
}

void h_wait_finals(harness *h, int n)
{
  wait_until(h, &h->finals, n);
}
void h_wait_out(harness *h, int n)
{
  wait_until(h, &h->nout, n);
}

json_t *h_final(harness *h, int i)
{
  int seen = 0;
  json_t *r = NULL;
  pthread_mutex_lock(&h->mu);
  for (int k = 0; k < h->nmsgs; k++)
    if (h->msgs[k].flags & MCP_EMIT_FINAL) {
      if (seen == i) {
        if (h->msgs[k].text)
          r = json_loads(h->msgs[k].text, 0, NULL);
        break;
      }
      seen++;
    }
  pthread_mutex_unlock(&h->mu);
  return r;
}

json_t *h_call(harness *h, const char *line)
{
  int before;
  json_t *r;
  pthread_mutex_lock(&h->mu);
  before = h->finals;
  pthread_mutex_unlock(&h->mu);
  h_send(h, line);
  h_wait_finals(h, before + 1);
  r = h_final(h, before);
  ck_assert_msg(r != NULL, "no response to %s", line);
  return r;
}

int h_code(const json_t *resp)
{
  json_t *e = json_object_get(resp, "error");
  return e ? (int)json_integer_value(json_object_get(e, "code")) : 0;
}

void h_init(harness *h, const char *caps_json)
{
  char line[600];
  json_t *r;
  snprintf(
      line, sizeof line,
      "{\"jsonrpc\":\"2.0\",\"id\":\"init\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
      "\"2025-11-25\",\"capabilities\":%s,\"clientInfo\":{\"name\":\"t\",\"version\":\"0\"}}}",
      caps_json ? caps_json : "{}");
  r = h_call(h, line);
  ck_assert_int_eq(h_code(r), 0);
  json_decref(r);
  h_send(h, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
}
