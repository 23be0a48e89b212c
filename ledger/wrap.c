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
 * that stops reading early gives EPIPE, never kills the server). */
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

int ledger_wrap_run(ledger *l, const ledger_work_ctx *ctx, const ledger_wrap_opts *o,
                    ledger_wrap_result *res, ledger_err *err)
{
  memset(res, 0, sizeof *res);
  res->exit_status = 125;
  res->exit_code = -1;
  if (!o->argv || !o->argv[0] || !o->argv[0][0])
    return ledger__errf(err, LEDGER_EINVAL, 0, "wrap needs a command");
  int argc = 0;
  while (o->argv[argc])
    argc++;
  const char *base = basename_of(o->argv[0]);
  char work_id[LEDGER_ID_MAX], text[LEDGER_ID_MAX + 64];
  if (o->work_id)
    snprintf(work_id, sizeof work_id, "%s", o->work_id);
  else
    snprintf(work_id, sizeof work_id, "wrap-%.100s", base);
  snprintf(text, sizeof text, "%.100s with %d argument%s", base, argc - 1, argc == 2 ? "" : "s");
  const char *kind = ctx && ctx->runtime_kind ? ctx->runtime_kind : "cli";
  int is_mcp = strcmp(kind, "mcp") == 0;
  json_t *actor = json_pack("{s:s,s:s}", "type",
                            ctx && ctx->actor_type ? ctx->actor_type
                            : is_mcp               ? "agent"
                                                   : "human",
                            "id",
                            ctx && ctx->default_actor ? ctx->default_actor : "local-operator");
  json_t *start = json_pack("{s:s,s:O,s:{s:s},s:{s:s,s:s,s:s},s:{s:s,s:s,s:s},s:{s:s,s:i,s:i,s:b}}",
                            "work_id", work_id, "actor", actor, "trigger", "kind",
                            ctx && ctx->trigger_kind ? ctx->trigger_kind
                            : is_mcp                 ? "tool_call"
                                                     : "manual",
                            "instruction", "kind", "command", "summary", text, "canonical_text",
                            text, "runtime", "name", "workledger", "kind", kind, "version",
                            ctx && ctx->runtime_version ? ctx->runtime_version : WL_VERSION, "wrap",
                            "executable", base, "argument_count", argc - 1, "timeout_s",
                            o->timeout_s, "keep_output", o->keep_output);
  int rc;
  if (o->run_id) {
    json_t *run = NULL;
    json_decref(start);
    if ((rc = ledger_run_get(l, o->run_id, &run, err))) {
      json_decref(actor);
      return rc;
    }
    int open = strcmp(json_string_value(json_object_get(run, "status")), "open") == 0;
    json_decref(run);
    if (!open) {
      json_decref(actor);
      return ledger__errf(err, LEDGER_ECLOSED, 0, "run %s is closed", o->run_id);
    }
    snprintf(res->run_id, sizeof res->run_id, "%s", o->run_id);
  } else {
    struct start_job sj = {ctx, work_id, start, "", ""};
    rc = ledger_tx(l, start_fn, &sj, err);
    json_decref(start);
    if (rc) {
      json_decref(actor);
      return rc;
    }
    snprintf(res->run_id, sizeof res->run_id, "%s", sj.run_id);
  }

  /* run the command */
  stream s[2] = {{-1, 0, 0, NULL, 0, 0, 0}, {-1, 0, 0, NULL, 0, 0, 0}};
  int po[2] = {-1, -1}, pe[2] = {-1, -1}, pi[2] = {-1, -1}, spawn_errno = 0, internal = 0,
      status = 0;
  pid_t pid = -1;
  if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) || (o->stdin_data && pipe2(pi, O_CLOEXEC))) {
    internal = 1;
  } else if (spawn_child(&pid, o->argv, o->envp, o->own_group, o->stdin_data ? pi[0] : o->stdin_fd,
                         po[1], pe[1], &spawn_errno)) {
    pid = -1;
  }
  if (po[1] >= 0)
    close(po[1]);
  if (pe[1] >= 0)
    close(pe[1]);
  if (pi[0] >= 0)
    close(pi[0]);
  s[0].fd = po[0];
  s[1].fd = pe[0];
  int in_fd = pi[1];
  size_t in_off = 0;
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  if (in_fd >= 0) {
    /* EPIPE instead of SIGPIPE when the child stops reading: block it in this thread only */
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    if (fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK) != 0 || o->stdin_len == 0) {
      close(in_fd);
      in_fd = -1;
    }
  }
  if (pid > 0) {
    pid_t kill_target = o->own_group ? -pid : pid;
    int64_t deadline = o->timeout_s > 0 ? mono_ms() + (int64_t)o->timeout_s * 1000 : -1;
    int64_t drain_deadline = -1;
    int tick_ms = o->tick_ms > 0 ? o->tick_ms : 250;
    int64_t next_tick = o->tick ? mono_ms() + tick_ms : -1;
    char buf[65536];
    while (s[0].fd >= 0 || s[1].fd >= 0) {
      struct pollfd pf[3];
      int n = 0, idx[3];
      for (int k = 0; k < 2; k++)
        if (s[k].fd >= 0) {
          pf[n].fd = s[k].fd;
          pf[n].events = POLLIN;
          idx[n++] = k;
        }
      if (in_fd >= 0 && drain_deadline < 0) {
        pf[n].fd = in_fd;
        pf[n].events = POLLOUT;
        idx[n++] = 2;
      }
      int wait_ms = -1;
      int64_t now = mono_ms();
      if (deadline >= 0 && !res->timed_out)
        wait_ms = deadline > now ? (int)(deadline - now) : 0;
      if (next_tick >= 0 && drain_deadline < 0) {
        int t = next_tick > now ? (int)(next_tick - now) : 0;
        if (wait_ms < 0 || t < wait_ms)
          wait_ms = t;
      }
      if (drain_deadline >= 0)
        wait_ms = drain_deadline > now ? (int)(drain_deadline - now) : 0;
      int pr = poll(pf, (nfds_t)n, wait_ms);
      if (pr < 0 && errno == EINTR)
        continue;
      now = mono_ms();
      if (next_tick >= 0 && drain_deadline < 0 && now >= next_tick) {
        next_tick = now + tick_ms;
        if (o->tick(o->tick_payload) != 0) {
          res->cancelled = 1;
          kill(kill_target, SIGKILL);
          drain_deadline = mono_ms() + 1000;
          continue;
        }
      }
      if (drain_deadline >= 0 && now >= drain_deadline)
        break; /* descendants keep the pipes open: stop reading */
      if (deadline >= 0 && !res->timed_out && drain_deadline < 0 && now >= deadline) {
        res->timed_out = 1; /* checked on every turn: a chatty command times out too */
        kill(kill_target, SIGKILL);
        drain_deadline = now + 1000;
        continue;
      }
      if (pr == 0)
        continue;
      for (int q = 0; q < n; q++) {
        if (idx[q] == 2) {
          if (pf[q].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            close(in_fd);
            in_fd = -1;
          } else if (pf[q].revents & POLLOUT) {
            ssize_t w = write(in_fd, o->stdin_data + in_off, o->stdin_len - in_off);
            if (w > 0)
              in_off += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == o->stdin_len) {
              close(in_fd); /* all written (EOF for the child), or the child stopped reading */
              in_fd = -1;
            }
          }
          continue;
        }
        if (!(pf[q].revents & (POLLIN | POLLHUP | POLLERR)))
          continue;
        stream *st = &s[idx[q]];
        ssize_t r = read(st->fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
          continue;
        if (r <= 0) {
          close(st->fd);
          st->fd = -1;
          continue;
        }
        if (idx[q] == 0 && o->max_stdout_bytes && st->bytes + (uint64_t)r > o->max_stdout_bytes) {
          /* over the cap: forward only up to it, then stop the command */
          r = (ssize_t)(o->max_stdout_bytes - st->bytes);
          if (!res->output_capped) {
            res->output_capped = 1;
            kill(kill_target, SIGKILL);
            drain_deadline = mono_ms() + 1000;
          }
          if (r == 0)
            continue;
        }
        st->bytes += (uint64_t)r;
        for (ssize_t b = 0; b < r; b++)
          st->lines += buf[b] == '\n';
        if (o->keep_output)
          stream_keep(st, buf, (size_t)r);
        ledger_wrap_sink sink = idx[q] == 0 ? o->out_sink : o->err_sink;
        void *pl = idx[q] == 0 ? o->out_payload : o->err_payload;
        if (sink && sink(pl, buf, (size_t)r) != 0 && !internal) {
          internal = 1; /* cannot forward: stop the command */
          kill(kill_target, SIGKILL);
          drain_deadline = mono_ms() + 1000;
        }
      }
    }
    for (int k = 0; k < 2; k++)
      if (s[k].fd >= 0) {
        close(s[k].fd);
        s[k].fd = -1;
      }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
  } else {
    for (int k = 0; k < 2; k++)
      if (s[k].fd >= 0)
        close(s[k].fd);
  }
  if (in_fd >= 0)
    close(in_fd);
  if (pi[1] >= 0) {
    /* consume a SIGPIPE raised by a write to a closed pipe, then restore the mask */
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
      ;
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
  }

  /* outcome */
  const char *outcome = "failure";
  char summary[160];
  if (pid <= 0) {
    res->exit_status = internal ? 125 : 127;
    snprintf(summary, sizeof summary, "%s could not be started: %s", base,
             internal ? "internal error" : strerror(spawn_errno));
  } else if (internal) {
    res->exit_status = 125;
    snprintf(summary, sizeof summary, "output could not be forwarded; command stopped");
  } else if (res->output_capped) {
    res->exit_status = 125;
    snprintf(summary, sizeof summary, "stdout exceeded %llu bytes; command stopped",
             (unsigned long long)o->max_stdout_bytes);
    if (WIFSIGNALED(status))
      res->signal = WTERMSIG(status);
  } else if (res->cancelled) {
    res->exit_status = 125;
    outcome = "aborted";
    snprintf(summary, sizeof summary, "cancelled by the caller; command stopped");
    if (WIFSIGNALED(status))
      res->signal = WTERMSIG(status);
  } else if (res->timed_out) {
    res->exit_status = 124;
    outcome = "aborted";
    snprintf(summary, sizeof summary, "timed out after %d s", o->timeout_s);
    if (WIFSIGNALED(status))
      res->signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    res->exit_code = WEXITSTATUS(status);
    res->exit_status = res->exit_code;
    if (res->exit_code == 0)
      outcome = "success";
    snprintf(summary, sizeof summary, "exit status %d", res->exit_code);
  } else if (WIFSIGNALED(status)) {
    res->signal = WTERMSIG(status);
    res->exit_status = 128 + res->signal;
    snprintf(summary, sizeof summary, "killed by signal %d", res->signal);
  }
  snprintf(res->outcome, sizeof res->outcome, "%s", outcome);
  res->stdout_bytes = s[0].bytes;
  res->stdout_lines = s[0].lines;
  res->stderr_bytes = s[1].bytes;
  res->stderr_lines = s[1].lines;

  /* record */
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
    json_decref(actor);
    free(s[0].buf);
    free(s[1].buf);
    return rc;
  }
  json_t *refs = json_pack("[{s:s,s:s,s:o,s:s,s:{s:s,s:s}}]", "evidence_id",
                           "command-output-summary", "kind", "output_metadata", "digest", mdig,
                           "summary", "stdout/stderr byte and line counts and exit status only",
                           "redaction", "status", "redacted", "reason",
                           "raw stdout/stderr is not persisted by default");
  json_t *evp = json_pack("{s:o,s:O}", "evidence_refs", refs, "output", metrics);
  json_t *tool = json_pack("{s:[{s:s,s:s}]}", "tool_refs", "name", base, "kind", "shell");
  if (o->keep_output) {
    json_t *kept = json_object();
    static const char *const names[2] = {"stdout", "stderr"};
    for (int k = 0; k < 2; k++) {
      char hex[SEAL_SHA256_HEX];
      seal_sha256_hex(hex, s[k].buf ? s[k].buf : "", s[k].len);
      char *red = redact(s[k].buf ? s[k].buf : "", s[k].len, KEEP_MAX);
      json_array_append_new(
          refs, json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:s,s:{s:s,s:s}}", "evidence_id", names[k],
                          "kind", "log", "digest", "algorithm", "sha256", "value", hex,
                          "canonicalization", "bytes.raw.v0", "summary",
                          s[k].truncated ? "raw output digest (first 8 MiB)" : "raw output digest",
                          "redaction", "status", "redacted", "reason",
                          "stored copy has secret-looking values masked"));
      json_object_set_new(kept, names[k],
                          json_pack("{s:s,s:b}", "redacted_text", red ? red : "", "truncated",
                                    s[k].len > KEEP_MAX || s[k].truncated));
      free(red);
    }
    json_object_set_new(evp, "kept_output", kept);
  }
  free(s[0].buf);
  free(s[1].buf);
  json_decref(metrics);
  int success = strcmp(outcome, "success") == 0;
  json_t *closed = json_pack(
      "{s:{s:s,s:s},s:{s:s,s:s,s:{s:O,s:O}},s:{s:s},s:{s:s},s:{s:s,s:s}}", "outcome", "status",
      outcome, "summary", summary, "acceptance", "status", success ? "accepted" : "rejected",
      "method", "terminal_outcome", "actor", "type", json_object_get(actor, "type"), "id",
      json_object_get(actor, "id"), "route_summary", "status", success ? "complete" : "blocked",
      "handoff", "status", "none", "redaction", "status", "redacted", "summary",
      o->keep_output ? "raw output stored only as digests and a redacted copy"
                     : "raw output summarized as metadata, not stored");
  json_decref(actor);
  if (o->run_id) {
    json_decref(closed);
    closed = NULL;
  }
  struct end_job ej = {ctx, res->run_id, tool, evp, closed, ""};
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
