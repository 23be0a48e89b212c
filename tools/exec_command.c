/* SPDX-License-Identifier: Apache-2.0
 * tools/exec_command.c — the `command` executor of motebit_task: a capability the operator bound
 * to an argv template in config (executors.<capability>, spec/config.md). The argv is spawned
 * directly (posix_spawnp through ledger/wrap.h — never a shell); the prompt reaches the command
 * on stdin (executors.<c>.stdin, default true) and/or in one environment variable (env_var);
 * stdout is the task's result, capped at max_output_bytes (more stops the command: failed);
 * timeout_s kills it (failed). The wrap machinery records tool.used and evidence.referenced
 * (output metadata only) into the task's run. Routing: a task needing exactly one capability
 * goes to executors.<that capability>; a task needing none goes to executors.default, else to
 * the only configured command executor; several capabilities never route here (one command
 * serves one capability). Not here: receipts, the Store run's start and close, delegation
 * (tools/task.c). */
#include "ledger/wrap.h"
#include "config/config.h"
#include "tools/executor.h"
#include "mcp/tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

#define STDERR_KEEP 2048 /* bytes of stderr kept for the failure message */
#define STDERR_SHOW 300  /* bytes of it shown */

int mcp_executor_route_typed(const json_t *config, const json_t *required, const char *type,
                             mcp_route *out)
{
  const json_t *ex = mcp_config_executors(config);
  const json_t *spec = NULL;
  const char *name = NULL;
  if (!json_is_object(ex) || mcp_config_task_executor_count(config) == 0)
    return 0;
  if (json_array_size(required) == 0) {
    if ((spec = json_object_get(ex, "default"))) {
      name = "default";
    } else if (mcp_config_task_executor_count(config) == 1) {
      const char *k;
      json_t *v;
      json_object_foreach((json_t *)ex, k, v) {
        if (mcp_config_executor_is_task(k)) {
          name = k;
          spec = v;
        }
      }
    }
  } else if (json_array_size(required) == 1) {
    name = json_string_value(json_array_get(required, 0));
    spec = name ? json_object_get(ex, name) : NULL;
  }
  if (!spec || !mcp_config_executor_is_task(name) ||
      strcmp(mcp_config_str(spec, "type", ""), type) != 0)
    return 0;
  out->spec = spec;
  snprintf(out->name, sizeof out->name, "%s", name);
  return 1;
}

static int command_route(const json_t *config, const json_t *required, mcp_route *out)
{
  return mcp_executor_route_typed(config, required, "command", out);
}

typedef struct buf {
  char *data;
  size_t len, cap, max;
} buf;

static int buf_add(buf *b, const char *d, size_t n)
{
  if (b->len + n > b->max)
    n = b->max - b->len; /* stderr: keep the head; stdout never exceeds (wrap caps it) */
  if (!n)
    return 0;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *nd = realloc(b->data, cap);
    if (!nd)
      return -1;
    b->data = nd;
    b->cap = cap;
  }
  memcpy(b->data + b->len, d, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

typedef struct run_state {
  mcp_ctx *ctx;
  buf out, err;
  int64_t started;
  uint64_t last_bytes;
  int oom;
} run_state;

static int out_sink(void *payload, const char *data, size_t len)
{
  run_state *s = payload;
  if (buf_add(&s->out, data, len) != 0) {
    s->oom = 1;
    return 1;
  }
  return 0;
}

static int err_sink(void *payload, const char *data, size_t len)
{
  run_state *s = payload;
  (void)buf_add(&s->err, data, len); /* best effort: only for the failure message */
  return 0;
}

static int tick(void *payload)
{
  run_state *s = payload;
  if (mcp_ctx_cancelled(s->ctx))
    return 1;
  if (s->out.len != s->last_bytes) {
    char m[80];
    s->last_bytes = s->out.len;
    snprintf(m, sizeof m, "%zu bytes of output", s->out.len);
    /* elapsed ms as progress: strictly increasing, and ahead of the core's +1 heartbeats */
    mcp_ctx_progress(s->ctx, (double)(mcp_now_ms() - s->started + 2), 0, m);
  }
  return 0;
}

/* 1 when [d, d+n) is UTF-8 text without NUL bytes (jansson validates the UTF-8). */
static int is_text(const char *d, size_t n)
{
  json_t *s;
  if (memchr(d, '\0', n))
    return 0;
  s = json_stringn(d, n);
  json_decref(s);
  return s != NULL;
}

/* A short, printable excerpt of stderr for a failure message ("" when none or not text). */
static void stderr_excerpt(char *out, size_t cap, const buf *b)
{
  size_t n = b->len < STDERR_SHOW ? b->len : STDERR_SHOW, o = 0;
  out[0] = '\0';
  while (n > 0 && !is_text(b->data, n))
    n--; /* cut a split UTF-8 sequence at the end */
  if (!n)
    return;
  o = (size_t)snprintf(out, cap, ": ");
  for (size_t i = 0; i < n && o + 1 < cap; i++) {
    unsigned char c = (unsigned char)b->data[i];
    out[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
  }
  while (o > 2 && out[o - 1] == ' ')
    o--;
  out[o] = '\0';
  if (o == 2)
    out[0] = '\0';
}

/* environ with NAME=value replaced or added. The strings are borrowed except the new entry,
 * which is the last element before NULL (free it and the array). */
static char **env_with(const char *name, const char *value)
{
  size_t n = 0, k = 0, nl = strlen(name);
  char **env;
  while (environ[n])
    n++;
  env = calloc(n + 2, sizeof *env);
  if (!env)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (!(strncmp(environ[i], name, nl) == 0 && environ[i][nl] == '=') &&
        !ledger_wrap_secret_env(environ[i]))
      env[k++] = environ[i];
  env[k] = mcp_task_strf("%s=%s", name, value);
  if (!env[k]) {
    free(env);
    return NULL;
  }
  return env;
}

static void env_free(char **env)
{
  size_t k = 0;
  if (!env)
    return;
  while (env[k + 1])
    k++;
  free(env[k]);
  free(env);
}

static int command_run(mcp_ctx *ctx, const mcp_task *task, const mcp_route *route,
                       mcp_task_result *out)
{
  const json_t *spec = route->spec;
  const json_t *argv_j = json_object_get(spec, "argv");
  const char *env_var = mcp_config_str(spec, "env_var", NULL);
  int use_stdin = mcp_config_bool(spec, "stdin", 1);
  int timeout_s = (int)mcp_config_int(spec, "timeout_s", 300);
  int64_t max_out = mcp_config_int(spec, "max_output_bytes", 1024 * 1024);
  size_t n = json_array_size(argv_j);
  char **argv = NULL, **envp = NULL;
  const char *base;
  ledger_work_ctx w;
  ledger_wrap_opts o;
  ledger_wrap_result res;
  ledger_err lerr;
  run_state st;
  char excerpt[STDERR_SHOW + 8];
  int rc = -1;

  memset(&st, 0, sizeof st);
  st.ctx = ctx;
  st.started = mcp_now_ms();
  st.out.max = (size_t)max_out;
  st.err.max = STDERR_KEEP;
  out->tools_used = json_pack("[s]", route->name);
  if (env_var && strlen(task->prompt) != task->prompt_len) {
    out->status = MCP_TASK_FAILED;
    out->result = mcp_task_strf("Error: the prompt holds a NUL byte and cannot be passed in $%s",
                                env_var);
    return 0;
  }
  argv = calloc(n + 1, sizeof *argv);
  if (!argv)
    goto out;
  for (size_t i = 0; i < n; i++)
    argv[i] = (char *)json_string_value(json_array_get(argv_j, i));
  base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  if (env_var && !(envp = env_with(env_var, task->prompt)))
    goto out;

  memset(&w, 0, sizeof w);
  w.runtime_kind = "mcp";
  w.default_actor = mcp_ctx_caller(ctx)->id;
  w.actor_type = "agent";
  w.trigger_kind = "tool_call";
  w.key = mcp_ctx_key(ctx);
  w.signer = mcp_ctx_motebit_id(ctx);
  memset(&o, 0, sizeof o);
  o.argv = argv;
  o.timeout_s = timeout_s;
  o.stdin_fd = -1;
  o.run_id = task->run_id;
  if (use_stdin) {
    o.stdin_data = task->prompt;
    o.stdin_len = task->prompt_len;
  }
  o.envp = envp;
  o.max_stdout_bytes = (uint64_t)max_out;
  o.out_sink = out_sink;
  o.out_payload = &st;
  o.err_sink = err_sink;
  o.err_payload = &st;
  o.tick = tick;
  o.tick_payload = &st;
  o.before_end = mcp_ctx_join_call_tx_cb; /* the end commits with the call record */
  o.before_end_payload = ctx;
  o.own_group = 1; /* a shell's children die with it on timeout, cap or cancel */
  memset(&res, 0, sizeof res);
  memset(&lerr, 0, sizeof lerr);
  if (ledger_wrap_run(mcp_ctx_store(ctx), &w, &o, &res, &lerr) != LEDGER_OK) {
    out->result = mcp_task_strf("Error: executor \"%s\" could not be recorded in the Store: %s",
                                route->name, lerr.msg[0] ? lerr.msg : "Store error");
    goto out;
  }
  rc = 0;
  out->status = MCP_TASK_FAILED;
  stderr_excerpt(excerpt, sizeof excerpt, &st.err);
  if (st.oom)
    out->result = mcp_task_strf("Error: out of memory while reading the output of executor \"%s\"",
                                route->name);
  else if (res.cancelled)
    out->result = mcp_task_strf(mcp_ctx_shutting_down(ctx)
                                    ? "Error: task stopped: the server is shutting down"
                                    : "Error: task cancelled by the caller");
  else if (res.timed_out)
    out->result = mcp_task_strf("Error: task timed out after %d s (executor \"%s\")", timeout_s,
                                route->name);
  else if (res.output_capped)
    out->result = mcp_task_strf("Error: the output of executor \"%s\" exceeded max_output_bytes "
                                "(%lld bytes); the command was stopped",
                                route->name, (long long)max_out);
  else if (res.exit_status == 127 && res.exit_code < 0)
    out->result = mcp_task_strf("Error: executor \"%s\" could not start %s", route->name, base);
  else if (res.exit_status != 0)
    out->result = mcp_task_strf("Error: executor \"%s\" failed: %s exited with status %d%s",
                                route->name, base, res.exit_status, excerpt);
  else if (st.out.len == 0)
    out->result = mcp_task_strf("Error: executor \"%s\" produced no output", route->name);
  else if (!is_text(st.out.data, st.out.len))
    out->result = mcp_task_strf("Error: the output of executor \"%s\" is not UTF-8 text",
                                route->name);
  else {
    out->status = MCP_TASK_COMPLETED;
    out->result = st.out.data;
    st.out.data = NULL;
  }
  if (!out->result)
    rc = -1;
out:
  free(st.out.data);
  free(st.err.data);
  free(argv);
  env_free(envp);
  return rc;
}

const mcp_executor mcp_executor_command = {"command", command_route, command_run};
