/* SPDX-License-Identifier: Apache-2.0
 * client/upstream_io.c — the child process of a stdio upstream (spec/upstreams.md): posix_spawn
 * of its argv (no shell; the program looked up in the PATH its own environment names, else
 * ours) in its own process group with exactly the configured environment and working
 * directory, close-on-exec pipes on its stdin and stdout (stderr shared with ours), the reader
 * thread that splits its stdout into lines and dispatches each JSON-RPC message (responses to
 * their waiter by id, progress/log notifications and server->client requests to the call they
 * belong to, tools/list_changed to the supervisor), and the framed writer. A line over the
 * size cap kills the child (its calls fail, the supervisor restarts it); a line that is not a
 * JSON-RPC object is logged to stderr and skipped. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "client/upstream_int.h"
#include "crypto/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void ups__fail(mcp_client_err *err, int code, const mcp_upstream *u, const char *fmt, ...)
{
  char m[280];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m, sizeof m, fmt, ap);
  va_end(ap);
  if (!err)
    return;
  memset(err, 0, sizeof *err);
  err->code = code;
  snprintf(err->msg, sizeof err->msg, "upstream %s: %.250s", u->name, m);
}

static void ups_vlog(const mcp_upstream *u, const char *level, const char *fmt, va_list ap)
{
  char m[400], ts[40];
  struct timespec t;
  struct tm tm;
  vsnprintf(m, sizeof m, fmt, ap);
  clock_gettime(CLOCK_REALTIME, &t);
  gmtime_r(&t.tv_sec, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(stderr, "%s.%03ldZ %s upstream %s: %s\n", ts, t.tv_nsec / 1000000L, level, u->name, m);
}

static void ups_log(const mcp_upstream *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void ups_log(const mcp_upstream *u, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  ups_vlog(u, "warning", fmt, ap);
  va_end(ap);
}

void ups__info(const mcp_upstream *u, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  ups_vlog(u, "info", fmt, ap);
  va_end(ap);
}

/* The program to run: argv[0] as is when it names a path, else the first executable of that
 * name in the PATH of the child's environment (or ours). `out` cap bytes. 0 or -1. */
static int resolve(const mcp_upstream *u, char *out, size_t cap)
{
  const char *prog = u->argv[0], *path = NULL;
  if (strchr(prog, '/'))
    return snprintf(out, cap, "%s", prog) < (int)cap ? 0 : -1;
  for (char **e = u->envp; e && *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0)
      path = *e + 5;
  if (!path)
    path = getenv("PATH");
  while (path && *path) {
    const char *colon = strchr(path, ':');
    size_t n = colon ? (size_t)(colon - path) : strlen(path);
    if (n > 0 && snprintf(out, cap, "%.*s/%s", (int)n, path, prog) < (int)cap &&
        access(out, X_OK) == 0)
      return 0;
    path = colon ? colon + 1 : NULL;
  }
  return -1;
}

static void *reader_main(void *arg);

int ups__spawn(mcp_upstream *u)
{
  int in_p[2] = {-1, -1}, out_p[2] = {-1, -1}, rc;
  char prog[4096];
  char *empty[] = {NULL};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t none, dfl;
  pid_t pid = 0;

  if (resolve(u, prog, sizeof prog) != 0) {
    snprintf(u->last_err, sizeof u->last_err, "program %.100s not found", u->argv[0]);
    return -1;
  }
  if (pipe2(in_p, O_CLOEXEC) != 0 || pipe2(out_p, O_CLOEXEC) != 0) {
    snprintf(u->last_err, sizeof u->last_err, "pipe: %s", strerror(errno));
    goto fail;
  }
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGPIPE);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &dfl);
  posix_spawnattr_setpgroup(&at, 0);
  posix_spawnattr_setflags(&at,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  posix_spawn_file_actions_adddup2(&fa, in_p[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_p[1], 1);
  if (u->cwd)
    posix_spawn_file_actions_addchdir_np(&fa, u->cwd);
  rc = posix_spawn(&pid, prog, &fa, &at, u->argv, u->envp ? u->envp : empty);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (rc != 0) {
    snprintf(u->last_err, sizeof u->last_err, "cannot start %.100s: %s", prog, strerror(rc));
    goto fail;
  }
  close(in_p[0]);
  close(out_p[1]);
  /* our end of its stdin never blocks: a child that stops reading costs a write timeout */
  (void)fcntl(in_p[1], F_SETFL, fcntl(in_p[1], F_GETFL) | O_NONBLOCK);
  pthread_mutex_lock(&u->mu);
  u->pid = pid;
  u->to_fd = in_p[1];
  u->from_fd = out_p[0];
  u->gen++;
  pthread_mutex_unlock(&u->mu);
  if (pthread_create(&u->reader, NULL, reader_main, u) != 0) {
    snprintf(u->last_err, sizeof u->last_err, "cannot start the reader thread");
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(in_p[1]);
    close(out_p[0]);
    u->pid = 0;
    u->to_fd = u->from_fd = -1;
    return -1;
  }
  u->reader_running = 1;
  ups__info(u, "started (pid %ld): %.200s", (long)pid, prog);
  return 0;
fail:
  for (int i = 0; i < 2; i++) {
    if (in_p[i] >= 0)
      close(in_p[i]);
    if (out_p[i] >= 0)
      close(out_p[i]);
  }
  return -1;
}

void ups__kill(mcp_upstream *u)
{
  pthread_mutex_lock(&u->mu);
  if (u->pid > 0)
    kill(-u->pid, SIGKILL);
  pthread_mutex_unlock(&u->mu);
  if (u->reader_running) {
    pthread_join(u->reader, NULL);
    u->reader_running = 0;
  }
}

int ups__send(mcp_upstream *u, const json_t *msg)
{
  char *text = seal_json_dumps(msg, JSON_COMPACT);
  size_t len, off = 0;
  sigset_t block, old;
  int fd, rc = 0;
  if (!text)
    return -1;
  len = strlen(text);
  text[len] = '\0';
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_mutex_lock(&u->wmu);
  pthread_mutex_lock(&u->mu);
  fd = u->to_fd;
  pthread_mutex_unlock(&u->mu);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  long waited = 0;
  while (fd >= 0 && off <= len) {
    const char *p = off < len ? text + off : "\n";
    size_t n = off < len ? len - off : 1;
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && errno == EAGAIN && waited < u->timeout_ms) { /* the pipe is full: wait */
      struct pollfd pf = {fd, POLLOUT, 0};
      (void)poll(&pf, 1, 100);
      waited += 100;
      continue;
    }
    if (w <= 0) {
      rc = -1;
      break;
    }
    off += (size_t)w;
  }
  if (fd < 0)
    rc = -1;
  if (rc != 0) { /* consume the SIGPIPE this thread may have raised */
    struct timespec zero = {0, 0};
    sigtimedwait(&block, NULL, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_mutex_unlock(&u->wmu);
  free(text);
  return rc;
}

/* ---- the reader ---------------------------------------------------------------------------- */

static ups_pend *pend_by_id(mcp_upstream *u, json_int_t id)
{
  for (ups_pend *p = u->pending; p; p = p->next)
    if (p->id == id && p->gen == u->gen)
      return p;
  return NULL;
}

static ups_pend *pend_by_token(mcp_upstream *u, const char *token)
{
  for (ups_pend *p = u->pending; p; p = p->next)
    if (p->token[0] && token && strcmp(p->token, token) == 0)
      return p;
  return NULL;
}

/* The oldest call in flight that can take a message not tied to a request (a log line, a
 * server->client request): the list is newest first, so the last one with a token. */
static ups_pend *pend_oldest_call(mcp_upstream *u)
{
  ups_pend *best = NULL;
  for (ups_pend *p = u->pending; p; p = p->next)
    if (p->token[0] && p->gen == u->gen)
      best = p;
  return best;
}

static void answer_request(mcp_upstream *u, const json_t *id, int code, const char *msg)
{
  json_t *m = code ? json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", id, "error", "code",
                               code, "message", msg)
                   : json_pack("{s:s,s:O,s:{}}", "jsonrpc", "2.0", "id", id, "result");
  if (m)
    (void)ups__send(u, m);
  json_decref(m);
}

/* One message of the child (msg borrowed). Called with mu NOT held. */
static void dispatch(mcp_upstream *u, json_t *msg)
{
  const char *method = json_string_value(json_object_get(msg, "method"));
  json_t *id = json_object_get(msg, "id"), *params = json_object_get(msg, "params");
  ups_pend *p;
  if (!method) { /* a response */
    pthread_mutex_lock(&u->mu);
    p = json_is_integer(id) ? pend_by_id(u, json_integer_value(id)) : NULL;
    if (p && !p->done) {
      p->response = json_incref(msg);
      p->done = 1;
      pthread_cond_broadcast(&u->cv);
    }
    pthread_mutex_unlock(&u->mu);
    return;
  }
  if (id && !strcmp(method, "ping")) {
    answer_request(u, id, 0, NULL);
    return;
  }
  if (!id && !strcmp(method, "notifications/tools/list_changed")) {
    pthread_mutex_lock(&u->mu);
    u->relist = 1;
    pthread_cond_broadcast(&u->cv);
    pthread_mutex_unlock(&u->mu);
    return;
  }
  pthread_mutex_lock(&u->mu);
  if (!id && !strcmp(method, "notifications/progress")) {
    json_t *tok = json_object_get(params, "progressToken");
    p = pend_by_token(u, json_string_value(tok));
  } else if (!id && !strcmp(method, "notifications/cancelled")) {
    p = NULL; /* the upstream gave up a request of ours: its response (if any) still comes */
  } else {
    p = pend_oldest_call(u);
  }
  if (p)
    json_array_append(p->inbox, msg);
  pthread_cond_broadcast(&u->cv);
  pthread_mutex_unlock(&u->mu);
  if (!p && id)
    answer_request(u, id, -32601, "no call in flight can take this request");
  else if (!p && !strcmp(method, "notifications/message"))
    ups_log(u, "log: %.300s",
            json_is_string(json_object_get(params, "data"))
                ? json_string_value(json_object_get(params, "data"))
                : "(structured data)");
}

static void handle_line(mcp_upstream *u, const char *line, size_t n)
{
  json_error_t jerr;
  json_t *msg;
  if (n == 0 || (n == 1 && line[0] == '\r'))
    return;
  msg = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
  if (!json_is_object(msg) || !json_is_string(json_object_get(msg, "jsonrpc"))) {
    ups_log(u, "skipped a line on stdout that is not a JSON-RPC message: %.80s", line);
    json_decref(msg);
    return;
  }
  dispatch(u, msg);
  json_decref(msg);
}

/* After EOF: every call written to this child fails; the state goes down. */
static void child_gone(mcp_upstream *u, const char *why)
{
  pthread_mutex_lock(&u->mu);
  for (ups_pend *p = u->pending; p; p = p->next)
    if (p->gen == u->gen && !p->done) {
      p->done = -1;
      snprintf(p->why, sizeof p->why, "%s", why);
    }
  u->state = UPS_DOWN;
  snprintf(u->last_err, sizeof u->last_err, "%s", why);
  pthread_cond_broadcast(&u->cv);
  pthread_mutex_unlock(&u->mu);
}

static void *reader_main(void *arg)
{
  mcp_upstream *u = arg;
  size_t cap = u->max_message + 64, len = 0;
  char *buf = malloc(cap + 1), why[200];
  int overlong = 0, status = 0, fd = u->from_fd;
  pid_t pid = u->pid;
  while (buf) {
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t)n;
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', len - (size_t)(start - buf)))) {
      *nl = '\0';
      if (!overlong)
        handle_line(u, start, (size_t)(nl - start));
      overlong = 0;
      start = nl + 1;
    }
    len -= (size_t)(start - buf);
    memmove(buf, start, len);
    if (len == cap) { /* a message over the cap: the child is killed, its calls fail */
      if (!overlong) {
        ups_log(u, "sent a message over %zu bytes; killing it", u->max_message);
        kill(-pid, SIGKILL);
      }
      overlong = 1;
      len = 0;
    }
  }
  free(buf);
  kill(-pid, SIGKILL); /* a stdio server that closed its stdout is gone for us */
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (overlong)
    snprintf(why, sizeof why, "its reply exceeded the size cap of %zu bytes", u->max_message);
  else if (WIFSIGNALED(status))
    snprintf(why, sizeof why, "the server process died (signal %d)", WTERMSIG(status));
  else
    snprintf(why, sizeof why, "the server process exited (status %d)", WEXITSTATUS(status));
  pthread_mutex_lock(&u->wmu); /* no write is using to_fd */
  pthread_mutex_lock(&u->mu);
  close(u->from_fd);
  close(u->to_fd);
  u->from_fd = u->to_fd = -1;
  u->pid = 0;
  pthread_mutex_unlock(&u->mu);
  pthread_mutex_unlock(&u->wmu);
  pthread_mutex_lock(&u->mu);
  int stopping = u->stop;
  pthread_mutex_unlock(&u->mu);
  if (stopping)
    ups__info(u, "stopped");
  else
    ups_log(u, "%s", why);
  child_gone(u, why);
  return NULL;
}
