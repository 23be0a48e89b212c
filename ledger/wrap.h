/* SPDX-License-Identifier: Apache-2.0
 * ledger/wrap.h — run a command (argv, no shell) as one recorded Store run: work.started,
 * tool.used, evidence.referenced (output metadata: bytes and newline counts per stream, and with
 * keep_output the digest of the raw output plus a redacted copy), work.closed. stdout/stderr are
 * forwarded unchanged to caller-supplied sinks as they arrive; stdin is passed through from a
 * caller fd (or /dev/null). Exit status contract: the child's code; 124 timeout; 125 internal
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

typedef struct ledger_wrap_opts {
  char *const *argv;          /* borrowed; argv[0] looked up in PATH; NULL-terminated */
  const char *work_id;        /* NULL: "wrap-<basename>" */
  int timeout_s;              /* 0: none */
  int keep_output;            /* store digest + redacted copy of each stream (max 64 KiB each) */
  int stdin_fd;               /* fd given to the child as stdin; -1: /dev/null */
  ledger_wrap_sink out_sink;  /* NULL: discard */
  void *out_payload;
  ledger_wrap_sink err_sink;  /* NULL: discard */
  void *err_payload;
} ledger_wrap_opts;

typedef struct ledger_wrap_result {
  char run_id[LEDGER_ID_MAX];
  char receipt_id[LEDGER_HASH_MAX]; /* empty when no receipt was stored */
  int exit_status;           /* per the contract above */
  int exit_code;             /* child's exit code, -1 if it did not exit normally */
  int signal;                /* terminating signal, 0 if none */
  int timed_out;
  uint64_t stdout_bytes, stdout_lines, stderr_bytes, stderr_lines;
  char outcome[16];          /* success | failure | aborted */
} ledger_wrap_result;

/* Run the command and record it. Returns LEDGER_OK when the run was recorded (whatever the
 * command's exit status — see result->exit_status), LEDGER_EINVAL for an empty argv, or
 * LEDGER_ERROR when the Store could not be written (the command may already have run; then
 * result->exit_status is 125). `ctx` as in work.h (runtime kind, key for the receipt). */
int ledger_wrap_run(ledger *l, const ledger_work_ctx *ctx, const ledger_wrap_opts *opts,
                    ledger_wrap_result *result, ledger_err *err) LEDGER_WUR;

/* result as JSON {run_id, receipt_id?, exit_status, exit_code, signal, timed_out, outcome,
 * stdout:{bytes,lines}, stderr:{bytes,lines}}. new reference. */
json_t *ledger_wrap_result_json(const ledger_wrap_result *r);

#endif
