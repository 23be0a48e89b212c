/* SPDX-License-Identifier: Apache-2.0
 * ledger/wrap.h — run a command (argv, no shell) as one recorded Store run: work.started,
 * tool.used, evidence.referenced (output metadata: bytes and newline counts per stream, and with
 * keep_output the digest of the raw output plus a redacted copy), work.closed. stdout/stderr are
 * forwarded unchanged to caller-supplied sinks as they arrive; stdin is passed through from a
 * caller fd (or /dev/null) or fed from a caller buffer. With opts->run_id the command is recorded
 * into an existing open run instead (tool.used + evidence.referenced only: the caller records the
 * run's start and close — motebit_task uses this). Exit status contract: the child's code; 124 timeout; 125 internal
 * error; 127 not found / not executable; 128+n killed by signal n. Nothing here prints. */
#ifndef WL_LEDGER_WRAP_H
#define WL_LEDGER_WRAP_H

#include "ledger/ledger.h"
#include "ledger/work.h"

#include <stddef.h>
#include <stdint.h>

/* A sink receives every chunk of one output stream, unchanged and in order. Return 0 to go on,
 * non-zero if the chunk could not be delivered (the child is then killed; outcome failure, 125). */
typedef int (*ledger_wrap_sink)(void *payload, const char *data, size_t len);

/* 1 when the environment entry "NAME=value" is one of workledger's own secrets
 * (WORKLEDGER_TOKEN, WORKLEDGER_PASSPHRASE, WORKLEDGER_CALL_TOKEN): commands never inherit them.
 * When opts.envp is NULL the child gets the parent's environment without these. */
int ledger_wrap_secret_env(const char *entry);

/* Called periodically while the command runs (progress, cancellation). Return 0 to go on,
 * non-zero to stop the command (outcome aborted, result->cancelled = 1). */
typedef int (*ledger_wrap_tick)(void *payload);

typedef struct ledger_wrap_opts {
  char *const *argv;         /* borrowed; argv[0] looked up in PATH; NULL-terminated */
  const char *work_id;       /* NULL: "wrap-<basename>" */
  int timeout_s;             /* 0: none */
  int keep_output;           /* store digest + redacted copy of each stream (max 64 KiB each) */
  int stdin_fd;              /* fd given to the child as stdin; -1: /dev/null */
  ledger_wrap_sink out_sink; /* NULL: discard */
  void *out_payload;
  ledger_wrap_sink err_sink; /* NULL: discard */
  void *err_payload;
  /* Extensions (zero = off). */
  const char *run_id;     /* borrowed; non-NULL: record into this open run (no work.started,
                                 no work.closed, no Work Receipt); work_id is then unused */
  const char *stdin_data; /* borrowed; non-NULL: the child's stdin is a pipe fed with these
                                 stdin_len bytes, then closed (stdin_fd is ignored) */
  size_t stdin_len;
  char *const *envp;         /* borrowed, NULL-terminated; NULL: the parent's environment */
  uint64_t max_stdout_bytes; /* 0: unlimited; more stdout stops the command (output_capped) */
  ledger_wrap_tick tick;     /* NULL: none; called about every tick_ms while the command runs */
  void *tick_payload;
  int tick_ms;   /* 0: 250 */
  int own_group; /* 1: the child leads a new process group, and timeout, cap and
                                 cancellation kill the whole group (no terminal job control) */
  /* NULL: none. Called once on the calling thread after the command ended and just before its
   * end is recorded, e.g. to join an enclosing call scope (ledger/scope.c) so that the end
   * commits together with the call that ran the command. */
  void (*before_end)(void *payload);
  void *before_end_payload;
} ledger_wrap_opts;

typedef struct ledger_wrap_result {
  char run_id[LEDGER_ID_MAX];
  char receipt_id[LEDGER_HASH_MAX]; /* empty when no receipt was stored */
  int exit_status;                  /* per the contract above */
  int exit_code;                    /* child's exit code, -1 if it did not exit normally */
  int signal;                       /* terminating signal, 0 if none */
  int timed_out;
  uint64_t stdout_bytes, stdout_lines, stderr_bytes, stderr_lines;
  char outcome[16];  /* success | failure | aborted */
  int output_capped; /* stdout went over max_stdout_bytes: the command was stopped */
  int cancelled;     /* the tick callback stopped the command */
} ledger_wrap_result;

/* Run the command and record it. With opts->run_id, LEDGER_ENOTFOUND / LEDGER_ECLOSED when that
 * run does not exist or is closed (the command does not start). Returns LEDGER_OK when the run was recorded (whatever the
 * command's exit status — see result->exit_status), LEDGER_EINVAL for an empty argv, or
 * LEDGER_ERROR when the Store could not be written (the command may already have run; then
 * result->exit_status is 125). `ctx` as in work.h (runtime kind, key for the receipt). */
int ledger_wrap_run(ledger *l, const ledger_work_ctx *ctx, const ledger_wrap_opts *opts,
                    ledger_wrap_result *result, ledger_err *err) LEDGER_WUR;

/* The git facts of directory `dir` (NULL: the current one) as Motus records them on a wrap run:
 * {repository (directory name of the top level), commit? (HEAD sha; absent before the first
 * commit), branch? (absent on a detached HEAD), dirty (tracked files differ from HEAD)}, new;
 * NULL outside a git repository, when git is not installed, or when it takes over 2 s. Runs
 * `git` as a child process. A new run (not opts->run_id) records them in work.started as
 * `git`, and the run's store export carries git_sha = commit. */
json_t *ledger_wrap_git_facts(const char *dir);

/* result as JSON {run_id, receipt_id?, exit_status, exit_code, signal, timed_out, outcome,
 * stdout:{bytes,lines}, stderr:{bytes,lines}}. new. */
json_t *ledger_wrap_result_json(const ledger_wrap_result *r);

#endif
