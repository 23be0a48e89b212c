/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/client/test_embed.c — mcp_client_embed (client/embed.c) against a scripted local
 * HTTP server (transports/http_server.h): the request shape (POST {url}/embeddings without a
 * doubled slash, JSON {"model","input"}, Content-Type, the bearer key only when one is given),
 * the vector of data[0].embedding, and every failure class: 401 (its message never repeats the
 * key, even when the server echoes it), 404, 500 with the server's error message, not JSON, no
 * embedding, a non-numeric component, too many components, an answer over the size cap, a
 * closed port, a listener that never answers (timeout), and bad arguments. Test code only. */
#include "client/client.h"
#include "transports/http_server.h"

#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

Suite *embed_suite(void);

static struct {
  pthread_mutex_t mu;
  unsigned status;
  char *body; /* the answer */
  char method[16], path[128], ctype[64], auth[128], req[512];
  int requests;
} E;

static void copy(char *out, size_t cap, const char *v)
{
  snprintf(out, cap, "%s", v ? v : "");
}

static void handler(tp_http_req *r, void *payload)
{
  size_t len;
  const char *b = tp_http_req_body(r, &len);
  unsigned st;
  char *ans;
  (void)payload;
  pthread_mutex_lock(&E.mu);
  E.requests++;
  copy(E.method, sizeof E.method, tp_http_req_method(r));
  copy(E.path, sizeof E.path, tp_http_req_path(r));
  copy(E.ctype, sizeof E.ctype, tp_http_req_header(r, "Content-Type"));
  copy(E.auth, sizeof E.auth, tp_http_req_header(r, "Authorization"));
  copy(E.req, sizeof E.req, b);
  st = E.status;
  ans = strdup(E.body ? E.body : "");
  pthread_mutex_unlock(&E.mu);
  tp_http_reply(r, st, "application/json", NULL, ans, strlen(ans));
  free(ans);
}

static tp_http_server *start(char *url, size_t cap)
{
  tp_http_server *s = NULL;
  tp_http_opts o = {.handler = handler, .watch_ms = 50};
  char err[200];
  memset(&E, 0, sizeof E);
  pthread_mutex_init(&E.mu, NULL);
  ck_assert_msg(tp_http_server_start(&s, &o, err, sizeof err) == TP_HTTP_OK, "%s", err);
  snprintf(url, cap, "http://127.0.0.1:%u/v1/", (unsigned)tp_http_server_port(s));
  return s;
}

static void answer(unsigned status, const char *body)
{
  pthread_mutex_lock(&E.mu);
  E.status = status;
  free(E.body);
  E.body = strdup(body);
  pthread_mutex_unlock(&E.mu);
}

static void stop(tp_http_server *s)
{
  tp_http_server_stop(s);
  free(E.body);
  E.body = NULL;
  pthread_mutex_destroy(&E.mu);
}

/* One embedding call expected to fail with `code`; returns its message (static buffer). */
static const char *fails(const mcp_client_embed_opts *o, const char *text, int code)
{
  static mcp_client_err e;
  float *v = (float *)&e;
  size_t n = 99;
  memset(&e, 0, sizeof e);
  int rc = mcp_client_embed(&v, &n, o, text, &e);
  ck_assert_msg(rc == code, "rc %d, want %d: %s", rc, code, e.msg);
  ck_assert_int_eq(e.code, code);
  ck_assert_ptr_null(v);
  ck_assert_int_eq(n, 0);
  ck_assert_ptr_null(strchr(e.msg, '\n'));
  return e.msg;
}

START_TEST(test_embed__request_shape_and_vector)
{
  char url[100];
  tp_http_server *s = start(url, sizeof url);
  mcp_client_embed_opts o = {.url = url, .model = "text-embedding-3-small", .api_key = "sk-test"};
  mcp_client_err e = {0};
  float *v = NULL;
  size_t n = 0;
  json_t *req;
  answer(200, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
              "\"embedding\":[0.5,-1,0.002]}],\"model\":\"text-embedding-3-small\"}");
  ck_assert_msg(mcp_client_embed(&v, &n, &o, "the okapi \"quoted\"", &e) == MCP_CLIENT_OK, "%s",
                e.msg);
  ck_assert_int_eq(n, 3);
  ck_assert(v[0] == 0.5f && v[1] == -1.0f && v[2] == 0.002f);
  free(v);
  ck_assert_str_eq(E.method, "POST");
  ck_assert_str_eq(E.path, "/v1/embeddings");
  ck_assert_ptr_nonnull(strstr(E.ctype, "application/json"));
  ck_assert_str_eq(E.auth, "Bearer sk-test");
  req = json_loads(E.req, 0, NULL);
  ck_assert_ptr_nonnull(req);
  ck_assert_int_eq(json_object_size(req), 2);
  ck_assert_str_eq(json_string_value(json_object_get(req, "model")), "text-embedding-3-small");
  ck_assert_str_eq(json_string_value(json_object_get(req, "input")), "the okapi \"quoted\"");
  json_decref(req);
  /* no key: no Authorization header at all */
  o.api_key = NULL;
  ck_assert_int_eq(mcp_client_embed(&v, &n, &o, "x", &e), MCP_CLIENT_OK);
  free(v);
  ck_assert_str_eq(E.auth, "");
  ck_assert_int_eq(E.requests, 2);
  stop(s);
}
END_TEST

START_TEST(test_embed__failures_are_classified)
{
  char url[100], big[5000];
  tp_http_server *s = start(url, sizeof url);
  mcp_client_embed_opts o = {.url = url, .model = "m", .api_key = "sk-secret-123"};
  const char *m;
  answer(401, "{\"error\":{\"message\":\"Incorrect API key provided: sk-secret-123\"}}");
  m = fails(&o, "x", MCP_CLIENT_EAUTH);
  ck_assert_ptr_nonnull(strstr(m, "HTTP 401"));
  ck_assert_ptr_nonnull(strstr(m, "/v1/embeddings"));
  ck_assert_ptr_null(strstr(m, "sk-secret"));
  answer(500, "{\"error\":{\"message\":\"the model is overloaded\"}}");
  m = fails(&o, "x", MCP_CLIENT_EHTTP);
  ck_assert_ptr_nonnull(strstr(m, "HTTP 500: the model is overloaded"));
  answer(404, "{}");
  fails(&o, "x", MCP_CLIENT_ENOTFOUND);
  answer(200, "<html>no</html>");
  ck_assert_ptr_nonnull(strstr(fails(&o, "x", MCP_CLIENT_EPROTOCOL), "not JSON"));
  answer(200, "{\"data\":[]}");
  ck_assert_ptr_nonnull(strstr(fails(&o, "x", MCP_CLIENT_EPROTOCOL), "data[0].embedding"));
  answer(200, "{\"data\":[{\"embedding\":[]}]}");
  fails(&o, "x", MCP_CLIENT_EPROTOCOL);
  answer(200, "{\"data\":[{\"embedding\":[1,\"2\",3]}]}");
  ck_assert_ptr_nonnull(strstr(fails(&o, "x", MCP_CLIENT_EPROTOCOL), "component 1"));
  answer(200, "{\"data\":[{\"embedding\":[1,1e300,3]}]}"); /* not a binary32 */
  fails(&o, "x", MCP_CLIENT_EPROTOCOL);
  o.max_dims = 4;
  answer(200, "{\"data\":[{\"embedding\":[1,2,3,4,5]}]}");
  ck_assert_ptr_nonnull(strstr(fails(&o, "x", MCP_CLIENT_EPROTOCOL), "5 components"));
  o.max_dims = 0;
  o.max_response = 1024;
  memset(big, '1', sizeof big);
  memcpy(big, "{\"data\":[{\"embedding\":[", 23);
  memcpy(big + sizeof big - 6, "]}]}", 5);
  answer(200, big);
  fails(&o, "x", MCP_CLIENT_ETOOBIG);
  stop(s);
}
END_TEST

static int socket_on(uint16_t *port, int do_listen)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof a;
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
  *port = ntohs(a.sin_port);
  if (do_listen)
    ck_assert_int_eq(listen(fd, 8), 0);
  return fd;
}

START_TEST(test_embed__unreachable_timeout_and_arguments)
{
  char url[100];
  uint16_t port;
  int fd = socket_on(&port, 0); /* bound, not listening: connection refused */
  mcp_client_embed_opts o = {.url = url, .model = "m"};
  snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", (unsigned)port);
  ck_assert_ptr_nonnull(strstr(fails(&o, "x", MCP_CLIENT_EUNREACHABLE), url));
  close(fd);
  fd = socket_on(&port, 1); /* the kernel accepts; nobody ever answers */
  snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", (unsigned)port);
  o.timeout_ms = 300;
  ck_assert_ptr_nonnull(strstr(fails(&o, "x", MCP_CLIENT_ETIMEOUT), "300 ms"));
  close(fd);
  o.model = NULL;
  fails(&o, "x", MCP_CLIENT_EINVAL);
  o.model = "m";
  fails(&o, NULL, MCP_CLIENT_EINVAL);
  o.url = "ftp://127.0.0.1/v1";
  fails(&o, "x", MCP_CLIENT_EINVAL);
  o.url = url;
  o.api_key = "sk-1\r\nX-Injected: 1";
  ck_assert_ptr_null(strstr(fails(&o, "x", MCP_CLIENT_EINVAL), "sk-1"));
}
END_TEST

Suite *embed_suite(void)
{
  Suite *s = suite_create("embed");
  TCase *t = tcase_create("embed");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_embed__request_shape_and_vector);
  tcase_add_test(t, test_embed__failures_are_classified);
  tcase_add_test(t, test_embed__unreachable_timeout_and_arguments);
  suite_add_tcase(s, t);
  return s;
}
