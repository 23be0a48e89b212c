/* SPDX-License-Identifier: Apache-2.0
 * ledger/wrap.c — ledger_wrap_run(): records work.started (committed before the command runs),
 * spawns argv with posix_spawnp (no shell), forwards stdout/stderr chunks to the caller's sinks
 * while counting bytes and newlines, enforces the timeout, then records tool.used,
 * evidence.referenced (output metadata; with keep_output the raw digest plus a redacted copy)
 * and work.closed with the receipt in one transaction. Argument values, environment and raw
 * output are not stored (except the redacted copy when asked). In "existing run" mode
 * (opts->run_id) only tool.used and evidence.referenced are appended, to a run the caller opened
 * and will close. The child's stdin may be fed from a buffer: the write end of its pipe is
 * non-blocking and served by the same poll loop, with SIGPIPE blocked in this thread (a child
 * that stops reading early gives EPIPE, never kills the server). ledger_wrap_run runs its steps
 * in order: wrap_begin (the run), wrap_spawn, wrap_supervise (the poll loop), wrap_reap,
 * wrap_outcome and wrap_record, with one cleanup path. A new run records the git facts of the
 * working directory (ledger/wrap_git.c) in its work.started. */
#include "ledger/wrap.h"
#include "ledger/ledger_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define KEEP_MAX (64 * 1024)         /* redacted copy kept per stream */
#define DIGEST_MAX (8 * 1024 * 1024) /* raw bytes digested per stream (keep_output) */

typedef struct stream {
  int fd;
  uint64_t bytes, lines;
  char *buf; /* keep_output: first DIGEST_MAX bytes */
  size_t len, cap;
  int truncated;
} stream;

static void stream_keep(stream *s, const char *d, size_t n)
{
  if (s->len + n > DIGEST_MAX) {
    s->truncated = 1;
    n = DIGEST_MAX - s->len;
  }
  if (!n)
    return;
  if (s->len + n > s->cap) {
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < s->len + n)
      cap *= 2;
    char *nb = realloc(s->buf, cap);
    if (!nb) {
      s->truncated = 1;
      return;
    }
    s->buf = nb;
    s->cap = cap;
  }
  memcpy(s->buf + s->len, d, n);
  s->len += n;
}

static const char *basename_of(const char *p)
{
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

int ledger_wrap_secret_env(const char *entry)
{
  static const char *const names[] = {"WORKLEDGER_TOKEN=", "WORKLEDGER_PASSPHRASE=",
                                      "WORKLEDGER_CALL_TOKEN=", NULL};
  for (int i = 0; names[i]; i++)
    if (strncmp(entry, names[i], strlen(names[i])) == 0)
      return 1;
  return 0;
}

static int64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Redacted text copy: invalid UTF-8 and control bytes (except \n \t) become '?', and the value
 * after a secret-looking key (password, secret, token, api_key, apikey, authorization, bearer)
 * followed by '=' or ':' or a space is replaced with [REDACTED] up to the next whitespace. */
static char *redact(const char *in, size_t n, size_t max)
{
  static const char *const keys[] = {"password", "passwd",  "secret",        "token",  "api_key",
                                     "apikey",   "api-key", "authorization", "bearer", NULL};
  if (n > max)
    n = max;
  char *out = malloc(n * 6 + 16); /* '[REDACTED]' is at most 10 bytes per 2 input bytes */
  if (!out)
    return NULL;
  size_t o = 0, i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)in[i];
    int matched = 0;
    for (int k = 0; keys[k]; k++) {
      size_t kl = strlen(keys[k]);
      if (i + kl < n && strncasecmp(in + i, keys[k], kl) == 0 &&
          (in[i + kl] == '=' || in[i + kl] == ':' || in[i + kl] == ' ')) {
        memcpy(out + o, in + i, kl + 1);
        o += kl + 1;
        i += kl + 1;
        while (i < n && in[i] == ' ')
          out[o++] = in[i++];
        size_t st = i;
        while (i < n && in[i] != ' ' && in[i] != '\n' && in[i] != '\t' && in[i] != '\r')
          i++;
        if (i > st) {
          memcpy(out + o, "[REDACTED]", 10);
          o += 10;
        }
        matched = 1;
        break;
      }
    }
    if (matched)
      continue;
    if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
      out[o++] = (char)c;
      i++;
      continue;
    }
    int len = ledger__utf8_seq((const unsigned char *)in + i, n - i);
    if (len > 1) {
      memcpy(out + o, in + i, (size_t)len);
      o += (size_t)len;
      i += (size_t)len;
    } else {
      out[o++] = '?';
      i++;
    }
  }
  out[o] = 0;
  return out;
}

/* ---- recording ------------------------------------------------------------------------------ */

struct start_job {
  const ledger_work_ctx *ctx;
  const char *work_id;
  json_t *payload;
  char run_id[LEDGER_ID_MAX];
  char now[LEDGER_TS_MAX];
};

static int start_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct start_job *j = p;
  char producer[32];
  snprintf(producer, sizeof producer, "workledger.%s",
           j->ctx && j->ctx->runtime_kind ? j->ctx->runtime_kind : "cli");
  ledger_now(j->now);
  ledger_run_in in = {NULL, j->work_id, producer, j->now};
  int rc = ledger_txn_run_open(t, &in, j->run_id, NULL, err);
  if (rc)
    return rc;
  ledger_event_in ev = {j->run_id, LEDGER_KIND_WORK_STARTED, "wrap:start", j->now, NULL,
                        j->payload};
  return ledger_txn_event_append(t, &ev, NULL, err);
}

struct end_job {
  const ledger_work_ctx *ctx;
  const char *run_id;
  json_t *tool, *evidence, *closed; /* closed NULL: existing-run mode (append only) */
  char receipt_id[LEDGER_HASH_MAX];
};

static int end_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct end_job *j = p;
  char now[LEDGER_TS_MAX];
  int rc;
  ledger_now(now);
  ledger_event_in a = {j->run_id, LEDGER_KIND_TOOL_USED, "wrap:tool", now, NULL, j->tool};
  ledger_event_in b = {j->run_id,  LEDGER_KIND_EVIDENCE_REFERENCED, "wrap:output", now, NULL,
                       j->evidence};
  if ((rc = ledger_txn_event_append(t, &a, NULL, err)) ||
      (rc = ledger_txn_event_append(t, &b, NULL, err)))
    return rc;
  if (!j->closed)
    return LEDGER_OK;
  json_object_set_new(json_object_get(j->closed, "outcome"), "closed_at", json_string(now));
  json_t *acc = json_object_get(j->closed, "acceptance");
  if (json_object_get(acc, "actor"))
    json_object_set_new(acc, "accepted_at", json_string(now));
  ledger_event_in c = {j->run_id, LEDGER_KIND_WORK_CLOSED, "wrap:close", now, NULL, j->closed};
  if ((rc = ledger_txn_run_close(t, &c, NULL, err)))
    return rc;
  json_t *exp = NULL, *receipt = NULL;
  if ((rc = ledger__export_json(t->c, j->run_id, NULL, &exp, err)))
    return rc;
  ledger_receipt_params rp = {NULL, NULL, NULL, j->ctx ? j->ctx->key : NULL,
                              j->ctx ? j->ctx->signer : NULL};
  rc = ledger__receipt_build(exp, &rp, &receipt, err);
  json_decref(exp);
  if (rc)
    return rc;
  const char *rid = json_string_value(json_object_get(receipt, "receipt_id"));
  rc = ledger_txn_receipt_put(t, rid, LEDGER_RECEIPT_KIND, j->run_id, NULL, receipt, err);
  if (!rc)
    snprintf(j->receipt_id, sizeof j->receipt_id, "%s", rid);
  json_decref(receipt);
  return rc;
}

/* ---- running -------------------------------------------------------------------------------- */

static int spawn_child(pid_t *pid, char *const *argv, char *const *envp, int own_group,
                       int stdin_fd, int out_w, int err_w, int *errnum)
{
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t none, dfl;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGPIPE);
  sigaddset(&dfl, SIGINT);
  sigaddset(&dfl, SIGTERM);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &dfl);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                    (own_group ? POSIX_SPAWN_SETPGROUP : 0));
  if (own_group)
    posix_spawnattr_setpgroup(&at, 0);
  if (stdin_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, stdin_fd, 0);
  else
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w, 1);
  posix_spawn_file_actions_adddup2(&fa, err_w, 2);
  char **own = NULL;
  if (!envp) {
    /* the parent's environment minus workledger's own secrets */
    size_t n = 0, k = 0;
    while (environ[n])
      n++;
    if ((own = calloc(n + 1, sizeof *own)))
      for (size_t i = 0; i < n; i++)
        if (!ledger_wrap_secret_env(environ[i]))
          own[k++] = environ[i];
  }
  int rc = own || envp ? posix_spawnp(pid, argv[0], &fa, &at, argv, envp ? envp : own) : ENOMEM;
  free(own);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  *errnum = rc;
  return rc == 0 ? 0 : -1;
}

/* One ledger_wrap_run: the command, its pipes and child, and what the run records. */
typedef struct wrap_run {
  const ledger_wrap_opts *o;
  ledger_wrap_result *res;
  const char *base; /* basename of argv[0] */
  int argc;
  char work_id[LEDGER_ID_MAX];
  json_t *actor; /* {type,id} */
  stream s[2];   /* stdout, stderr */
  int stdin_w;   /* write end of the stdin pipe as created (-1: none): restores the mask */
  int in_fd;     /* that write end while it is open */
  size_t in_off;
  sigset_t pipe_set, old_set;
  pid_t pid, kill_target;
  int spawn_errno, internal, status;
  int64_t drain_deadline; /* -1, or the time to stop reading after the command was killed */
  const char *outcome;
  char summary[160];
} wrap_run;

static void wrap_init(wrap_run *w, const ledger_work_ctx *ctx, const ledger_wrap_opts *o,
                      ledger_wrap_result *res)
{
  memset(w, 0, sizeof *w);
  w->o = o;
  w->res = res;
  while (o->argv[w->argc])
    w->argc++;
  w->base = basename_of(o->argv[0]);
  if (o->work_id)
    snprintf(w->work_id, sizeof w->work_id, "%s", o->work_id);
  else
    snprintf(w->work_id, sizeof w->work_id, "wrap-%.100s", w->base);
  int is_mcp = ctx && ctx->runtime_kind && strcmp(ctx->runtime_kind, "mcp") == 0;
  w->actor = json_pack("{s:s,s:s}", "type",
                       ctx && ctx->actor_type ? ctx->actor_type
                       : is_mcp               ? "agent"
                                              : "human",
                       "id", ctx && ctx->default_actor ? ctx->default_actor : "local-operator");
  w->s[0].fd = w->s[1].fd = -1;
  w->stdin_w = w->in_fd = -1;
  w->pid = -1;
  w->drain_deadline = -1;
  w->outcome = "failure";
}

/* The work.started payload (new). */
static json_t *start_payload(const ledger_work_ctx *ctx, const wrap_run *w)
{
  const ledger_wrap_opts *o = w->o;
  char text[LEDGER_ID_MAX + 64];
  snprintf(text, sizeof text, "%.100s with %d argument%s", w->base, w->argc - 1,
           w->argc == 2 ? "" : "s");
  const char *kind = ctx && ctx->runtime_kind ? ctx->runtime_kind : "cli";
  int is_mcp = strcmp(kind, "mcp") == 0;
  return json_pack("{s:s,s:O,s:{s:s},s:{s:s,s:s,s:s},s:{s:s,s:s,s:s},s:{s:s,s:i,s:i,s:b}}",
                   "work_id", w->work_id, "actor", w->actor, "trigger", "kind",
                   ctx && ctx->trigger_kind ? ctx->trigger_kind
                   : is_mcp                 ? "tool_call"
                                            : "manual",
                   "instruction", "kind", "command", "summary", text, "canonical_text", text,
                   "runtime", "name", "workledger", "kind", kind, "version",
                   ctx && ctx->runtime_version ? ctx->runtime_version : WL_VERSION, "wrap",
                   "executable", w->base, "argument_count", w->argc - 1, "timeout_s", o->timeout_s,
                   "keep_output", o->keep_output);
}

/* Step 1: the run to record into: the caller's open run (opts->run_id), else a new one whose
 * work.started is committed before the command runs. Fills res->run_id. */
static int wrap_begin(ledger *l, const ledger_work_ctx *ctx, wrap_run *w, ledger_err *err)
{
  int rc;
  if (w->o->run_id) {
    json_t *run = NULL;
    if ((rc = ledger_run_get(l, w->o->run_id, &run, err)))
      return rc;
    int open = strcmp(json_string_value(json_object_get(run, "status")), "open") == 0;
    json_decref(run);
    if (!open)
      return ledger__errf(err, LEDGER_ECLOSED, 0, "run %s is closed", w->o->run_id);
    snprintf(w->res->run_id, sizeof w->res->run_id, "%s", w->o->run_id);
    return LEDGER_OK;
  }
  struct start_job sj = {ctx, w->work_id, start_payload(ctx, w), "", ""};
  json_t *git = ledger_wrap_git_facts(NULL); /* inside a git repository only */
  if (git)
    json_object_set_new(sj.payload, "git", git);
  rc = ledger_tx(l, start_fn, &sj, err);
  json_decref(sj.payload);
  if (rc)
    return rc;
  snprintf(w->res->run_id, sizeof w->res->run_id, "%s", sj.run_id);
  return LEDGER_OK;
}

/* Step 2: pipes and the child (w->pid -1 when it could not be started, w->internal when the
 * pipes failed); the stdin pipe's write end is non-blocking with SIGPIPE blocked. */
static void wrap_spawn(wrap_run *w)
{
  const ledger_wrap_opts *o = w->o;
  int po[2] = {-1, -1}, pe[2] = {-1, -1}, pi[2] = {-1, -1};
  if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) || (o->stdin_data && pipe2(pi, O_CLOEXEC))) {
    w->internal = 1;
  } else if (spawn_child(&w->pid, o->argv, o->envp, o->own_group,
                         o->stdin_data ? pi[0] : o->stdin_fd, po[1], pe[1], &w->spawn_errno)) {
    w->pid = -1;
  }
  if (po[1] >= 0)
    close(po[1]);
  if (pe[1] >= 0)
    close(pe[1]);
  if (pi[0] >= 0)
    close(pi[0]);
  w->s[0].fd = po[0];
  w->s[1].fd = pe[0];
  w->stdin_w = w->in_fd = pi[1];
  sigemptyset(&w->pipe_set);
  sigaddset(&w->pipe_set, SIGPIPE);
  if (w->in_fd >= 0) {
    /* EPIPE instead of SIGPIPE when the child stops reading: block it in this thread only */
    pthread_sigmask(SIG_BLOCK, &w->pipe_set, &w->old_set);
    if (fcntl(w->in_fd, F_SETFL, fcntl(w->in_fd, F_GETFL) | O_NONBLOCK) != 0 || o->stdin_len == 0) {
      close(w->in_fd);
      w->in_fd = -1;
    }
  }
}

/* Kills the command (its group with own_group) and reads on for at most one more second. */
static void stop_child(wrap_run *w)
{
  kill(w->kill_target, SIGKILL);
  w->drain_deadline = mono_ms() + 1000;
}

static int poll_wait_ms(const wrap_run *w, int64_t deadline, int64_t next_tick, int64_t now)
{
  int wait_ms = -1;
  if (deadline >= 0 && !w->res->timed_out)
    wait_ms = deadline > now ? (int)(deadline - now) : 0;
  if (next_tick >= 0 && w->drain_deadline < 0) {
    int t = next_tick > now ? (int)(next_tick - now) : 0;
    if (wait_ms < 0 || t < wait_ms)
      wait_ms = t;
  }
  if (w->drain_deadline >= 0)
    wait_ms = w->drain_deadline > now ? (int)(w->drain_deadline - now) : 0;
  return wait_ms;
}

/* Writes more of stdin_data to the child; closes the pipe when done or when the child left. */
static void feed_stdin(wrap_run *w, short revents)
{
  const ledger_wrap_opts *o = w->o;
  if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
    close(w->in_fd);
    w->in_fd = -1;
  } else if (revents & POLLOUT) {
    ssize_t n = write(w->in_fd, o->stdin_data + w->in_off, o->stdin_len - w->in_off);
    if (n > 0)
      w->in_off += (size_t)n;
    if ((n < 0 && errno != EAGAIN && errno != EINTR) || w->in_off == o->stdin_len) {
      close(w->in_fd); /* all written (EOF for the child), or the child stopped reading */
      w->in_fd = -1;
    }
  }
}

/* Reads one chunk of stream k (0 stdout, 1 stderr): counts it, keeps it (keep_output) and
 * forwards it to the caller's sink; enforces max_stdout_bytes. */
static void read_stream(wrap_run *w, int k, char *buf, size_t cap)
{
  const ledger_wrap_opts *o = w->o;
  stream *st = &w->s[k];
  ssize_t r = read(st->fd, buf, cap);
  if (r < 0 && errno == EINTR)
    return;
  if (r <= 0) {
    close(st->fd);
    st->fd = -1;
    return;
  }
  if (k == 0 && o->max_stdout_bytes && st->bytes + (uint64_t)r > o->max_stdout_bytes) {
    /* over the cap: forward only up to it, then stop the command */
    r = (ssize_t)(o->max_stdout_bytes - st->bytes);
    if (!w->res->output_capped) {
      w->res->output_capped = 1;
      stop_child(w);
    }
    if (r == 0)
      return;
  }
  st->bytes += (uint64_t)r;
  for (ssize_t b = 0; b < r; b++)
    st->lines += buf[b] == '\n';
  if (o->keep_output)
    stream_keep(st, buf, (size_t)r);
  ledger_wrap_sink sink = k == 0 ? o->out_sink : o->err_sink;
  void *pl = k == 0 ? o->out_payload : o->err_payload;
  if (sink && sink(pl, buf, (size_t)r) != 0 && !w->internal) {
    w->internal = 1; /* cannot forward: stop the command */
    stop_child(w);
  }
}

/* Step 3: the poll loop over the child's output (and stdin), with the timeout, the caller's
 * tick (cancellation) and the drain after a kill, until both output pipes are closed. */
static void wrap_supervise(wrap_run *w)
{
  const ledger_wrap_opts *o = w->o;
  w->kill_target = o->own_group ? -w->pid : w->pid;
  int64_t deadline = o->timeout_s > 0 ? mono_ms() + (int64_t)o->timeout_s * 1000 : -1;
  int tick_ms = o->tick_ms > 0 ? o->tick_ms : 250;
  int64_t next_tick = o->tick ? mono_ms() + tick_ms : -1;
  char buf[65536];
  while (w->s[0].fd >= 0 || w->s[1].fd >= 0) {
    struct pollfd pf[3];
    int n = 0, idx[3];
    for (int k = 0; k < 2; k++)
      if (w->s[k].fd >= 0) {
        pf[n].fd = w->s[k].fd;
        pf[n].events = POLLIN;
        idx[n++] = k;
      }
    if (w->in_fd >= 0 && w->drain_deadline < 0) {
      pf[n].fd = w->in_fd;
      pf[n].events = POLLOUT;
      idx[n++] = 2;
    }
    int pr = poll(pf, (nfds_t)n, poll_wait_ms(w, deadline, next_tick, mono_ms()));
    if (pr < 0 && errno == EINTR)
      continue;
    int64_t now = mono_ms();
    if (next_tick >= 0 && w->drain_deadline < 0 && now >= next_tick) {
      next_tick = now + tick_ms;
      if (o->tick(o->tick_payload) != 0) {
        w->res->cancelled = 1;
        stop_child(w);
        continue;
      }
    }
    if (w->drain_deadline >= 0 && now >= w->drain_deadline)
      break; /* descendants keep the pipes open: stop reading */
    if (deadline >= 0 && !w->res->timed_out && w->drain_deadline < 0 && now >= deadline) {
      w->res->timed_out = 1; /* checked on every turn: a chatty command times out too */
      kill(w->kill_target, SIGKILL);
      w->drain_deadline = now + 1000;
      continue;
    }
    if (pr == 0)
      continue;
    for (int q = 0; q < n; q++) {
      if (idx[q] == 2)
        feed_stdin(w, pf[q].revents);
      else if (pf[q].revents & (POLLIN | POLLHUP | POLLERR))
        read_stream(w, idx[q], buf, sizeof buf);
    }
  }
}

/* Step 4: closes what is left open, reaps the child, restores the signal mask. */
static void wrap_reap(wrap_run *w)
{
  for (int k = 0; k < 2; k++)
    if (w->s[k].fd >= 0) {
      close(w->s[k].fd);
      w->s[k].fd = -1;
    }
  if (w->pid > 0)
    while (waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR)
      ;
  if (w->in_fd >= 0)
    close(w->in_fd);
  w->in_fd = -1;
  if (w->stdin_w >= 0) {
    /* consume a SIGPIPE raised by a write to a closed pipe, then restore the mask */
    struct timespec zero = {0, 0};
    while (sigtimedwait(&w->pipe_set, NULL, &zero) > 0)
      ;
    pthread_sigmask(SIG_SETMASK, &w->old_set, NULL);
  }
}

/* Step 5: the outcome, summary, exit status and counts in res. */
static void wrap_outcome(wrap_run *w)
{
  ledger_wrap_result *res = w->res;
  int status = w->status;
  if (w->pid <= 0) {
    res->exit_status = w->internal ? 125 : 127;
    snprintf(w->summary, sizeof w->summary, "%s could not be started: %s", w->base,
             w->internal ? "internal error" : strerror(w->spawn_errno));
  } else if (w->internal) {
    res->exit_status = 125;
    snprintf(w->summary, sizeof w->summary, "output could not be forwarded; command stopped");
  } else if (res->output_capped) {
    res->exit_status = 125;
    snprintf(w->summary, sizeof w->summary, "stdout exceeded %llu bytes; command stopped",
             (unsigned long long)w->o->max_stdout_bytes);
    if (WIFSIGNALED(status))
      res->signal = WTERMSIG(status);
  } else if (res->cancelled) {
    res->exit_status = 125;
    w->outcome = "aborted";
    snprintf(w->summary, sizeof w->summary, "cancelled by the caller; command stopped");
    if (WIFSIGNALED(status))
      res->signal = WTERMSIG(status);
  } else if (res->timed_out) {
    res->exit_status = 124;
    w->outcome = "aborted";
    snprintf(w->summary, sizeof w->summary, "timed out after %d s", w->o->timeout_s);
    if (WIFSIGNALED(status))
      res->signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    res->exit_code = WEXITSTATUS(status);
    res->exit_status = res->exit_code;
    if (res->exit_code == 0)
      w->outcome = "success";
    snprintf(w->summary, sizeof w->summary, "exit status %d", res->exit_code);
  } else if (WIFSIGNALED(status)) {
    res->signal = WTERMSIG(status);
    res->exit_status = 128 + res->signal;
    snprintf(w->summary, sizeof w->summary, "killed by signal %d", res->signal);
  }
  snprintf(res->outcome, sizeof res->outcome, "%s", w->outcome);
  res->stdout_bytes = w->s[0].bytes;
  res->stdout_lines = w->s[0].lines;
  res->stderr_bytes = w->s[1].bytes;
  res->stderr_lines = w->s[1].lines;
}

/* keep_output: each stream's raw digest as an evidence ref, its redacted copy in evp. */
static void add_kept_output(const wrap_run *w, json_t *refs, json_t *evp)
{
  static const char *const names[2] = {"stdout", "stderr"};
  json_t *kept = json_object();
  for (int k = 0; k < 2; k++) {
    const stream *s = &w->s[k];
    char hex[SEAL_SHA256_HEX];
    seal_sha256_hex(hex, s->buf ? s->buf : "", s->len);
    char *red = redact(s->buf ? s->buf : "", s->len, KEEP_MAX);
    json_array_append_new(
        refs, json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:s,s:{s:s,s:s}}", "evidence_id", names[k],
                        "kind", "log", "digest", "algorithm", "sha256", "value", hex,
                        "canonicalization", "bytes.raw.v0", "summary",
                        s->truncated ? "raw output digest (first 8 MiB)" : "raw output digest",
                        "redaction", "status", "redacted", "reason",
                        "stored copy has secret-looking values masked"));
    json_object_set_new(kept, names[k],
                        json_pack("{s:s,s:b}", "redacted_text", red ? red : "", "truncated",
                                  s->len > KEEP_MAX || s->truncated));
    free(red);
  }
  json_object_set_new(evp, "kept_output", kept);
}

/* The work.closed payload (new). */
static json_t *closed_payload(const wrap_run *w)
{
  int success = strcmp(w->outcome, "success") == 0;
  return json_pack("{s:{s:s,s:s},s:{s:s,s:s,s:{s:O,s:O}},s:{s:s},s:{s:s},s:{s:s,s:s}}", "outcome",
                   "status", w->outcome, "summary", w->summary, "acceptance", "status",
                   success ? "accepted" : "rejected", "method", "terminal_outcome", "actor", "type",
                   json_object_get(w->actor, "type"), "id", json_object_get(w->actor, "id"),
                   "route_summary", "status", success ? "complete" : "blocked", "handoff", "status",
                   "none", "redaction", "status", "redacted", "summary",
                   w->o->keep_output ? "raw output stored only as digests and a redacted copy"
                                     : "raw output summarized as metadata, not stored");
}

/* Step 6: tool.used, evidence.referenced and (unless opts->run_id) work.closed with the Work
 * Receipt, in one transaction. */
static int wrap_record(ledger *l, const ledger_work_ctx *ctx, wrap_run *w, ledger_err *err)
{
  ledger_wrap_result *res = w->res;
  const stream *s = w->s;
  int rc;
  json_t *metrics = json_pack("{s:I,s:I,s:I,s:I,s:i,s:b}", "stdout_bytes", (json_int_t)s[0].bytes,
                              "stdout_lines", (json_int_t)s[0].lines, "stderr_bytes",
                              (json_int_t)s[1].bytes, "stderr_lines", (json_int_t)s[1].lines,
                              "exit_status", res->exit_status, "timed_out", res->timed_out);
  json_object_set_new(metrics, "exit_code",
                      res->exit_code >= 0 ? json_integer(res->exit_code) : json_null());
  json_object_set_new(metrics, "signal", res->signal ? json_integer(res->signal) : json_null());
  json_t *mdig = NULL;
  if ((rc = ledger__digest_obj(&mdig, metrics, err))) {
    json_decref(metrics);
    return rc;
  }
  json_t *refs = json_pack("[{s:s,s:s,s:o,s:s,s:{s:s,s:s}}]", "evidence_id",
                           "command-output-summary", "kind", "output_metadata", "digest", mdig,
                           "summary", "stdout/stderr byte and line counts and exit status only",
                           "redaction", "status", "redacted", "reason",
                           "raw stdout/stderr is not persisted by default");
  json_t *evp = json_pack("{s:o,s:O}", "evidence_refs", refs, "output", metrics);
  json_t *tool = json_pack("{s:[{s:s,s:s}]}", "tool_refs", "name", w->base, "kind", "shell");
  if (w->o->keep_output)
    add_kept_output(w, refs, evp);
  json_decref(metrics);
  json_t *closed = w->o->run_id ? NULL : closed_payload(w);
  struct end_job ej = {ctx, res->run_id, tool, evp, closed, ""};
  if (w->o->before_end)
    w->o->before_end(w->o->before_end_payload);
  rc = ledger_tx(l, end_fn, &ej, err);
  json_decref(tool);
  json_decref(evp);
  json_decref(closed);
  if (rc) {
    res->exit_status = 125;
    return rc;
  }
  snprintf(res->receipt_id, sizeof res->receipt_id, "%s", ej.receipt_id);
  return LEDGER_OK;
}

int ledger_wrap_run(ledger *l, const ledger_work_ctx *ctx, const ledger_wrap_opts *o,
                    ledger_wrap_result *res, ledger_err *err)
{
  wrap_run w;
  int rc;
  memset(res, 0, sizeof *res);
  res->exit_status = 125;
  res->exit_code = -1;
  if (!o->argv || !o->argv[0] || !o->argv[0][0])
    return ledger__errf(err, LEDGER_EINVAL, 0, "wrap needs a command");
  wrap_init(&w, ctx, o, res);
  if ((rc = wrap_begin(l, ctx, &w, err)))
    goto out;
  wrap_spawn(&w);
  if (w.pid > 0)
    wrap_supervise(&w);
  wrap_reap(&w);
  wrap_outcome(&w);
  rc = wrap_record(l, ctx, &w, err);
out:
  json_decref(w.actor);
  free(w.s[0].buf);
  free(w.s[1].buf);
  return rc;
}

json_t *ledger_wrap_result_json(const ledger_wrap_result *r)
{
  json_t *o = json_pack("{s:s,s:i,s:b,s:s,s:{s:I,s:I},s:{s:I,s:I}}", "run_id", r->run_id,
                        "exit_status", r->exit_status, "timed_out", r->timed_out, "outcome",
                        r->outcome, "stdout", "bytes", (json_int_t)r->stdout_bytes, "lines",
                        (json_int_t)r->stdout_lines, "stderr", "bytes", (json_int_t)r->stderr_bytes,
                        "lines", (json_int_t)r->stderr_lines);
  json_object_set_new(o, "exit_code", r->exit_code >= 0 ? json_integer(r->exit_code) : json_null());
  json_object_set_new(o, "signal", r->signal ? json_integer(r->signal) : json_null());
  if (r->receipt_id[0])
    json_object_set_new(o, "receipt_id", json_string(r->receipt_id));
  return o;
}
