/* SPDX-License-Identifier: Apache-2.0
 * serve/stdio.c — the stdio loop: reads one JSON-RPC message per line from the transport and
 * submits it to the MCP core, which answers out of order on its worker pool through stdio_emit
 * (transports/stdio.c serialises concurrent writers, one whole line at a time). An oversize line
 * is discarded by the transport and answered with a JSON-RPC error (id null). End of input: the
 * session drains (every call in flight finishes and is answered) before this returns. When a
 * write to stdout fails (the client closed its end: EPIPE), no further request is taken, the
 * calls in flight finish (and are recorded), and the loop reports an error (exit status 1). */
#include "serve/stdio.h"

#include "transports/tp.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* The output side: the transport, and whether the client stopped reading (EPIPE or any other
 * write error on stdout). Written by the workers, read by the loop. */
typedef struct stdio_out {
  tp_stdio *tp;
  atomic_int closed;
} stdio_out;

static void stdio_emit(const char *msg, size_t len, unsigned flags, void *payload)
{
  stdio_out *o = payload;
  (void)flags;
  if (msg && len && !atomic_load(&o->closed) && tp_stdio_write(o->tp, msg, len) != TP_OK)
    atomic_store(&o->closed, 1);
}

static void set_err(char *err, size_t errlen, const char *msg)
{
  if (err && errlen)
    snprintf(err, errlen, "%s", msg);
}

int serve_stdio_run(mcp_server *srv, int in_fd, int out_fd, size_t max_line, char *err,
                    size_t errlen)
{
  tp_stdio *tp = NULL;
  mcp_session *sess = NULL;
  mcp_session_opts sopts;
  stdio_out o;
  int rc = -1, gone = 0;

  if (tp_stdio_open(&tp, in_fd, out_fd, max_line) != TP_OK) {
    set_err(err, errlen, "out of memory");
    return -1;
  }
  o.tp = tp;
  atomic_init(&o.closed, 0);
  memset(&sopts, 0, sizeof sopts);
  sopts.caller.id = "local-operator";
  sopts.caller.trust = MCP_TRUST_LOCAL;
  sopts.send = stdio_emit;
  sopts.send_payload = &o;
  sopts.run_short = 1;     /* one reader: short read-only calls need no worker hand-off */
  sopts.joined_finals = 1; /* the answers of one group commit go out in one write */
  if (mcp_session_new(&sess, srv, &sopts) != MCP_OK) {
    set_err(err, errlen, "cannot open the stdio session");
    goto out;
  }
  for (;;) {
    const char *line = NULL;
    size_t len = 0;
    int r = tp_stdio_read(tp, &line, &len);
    if (atomic_load(&o.closed)) { /* the client went away: take no more work */
      gone = 1;
      break;
    }
    if (r == TP_OK) {
      (void)mcp_submit(sess, line, len, stdio_emit, &o, NULL);
    } else if (r == TP_ETOOBIG) {
      char m[160];
      snprintf(m, sizeof m, "Invalid Request: message of %zu+ bytes exceeds the line limit", len);
      mcp_log(MCP_LOG_WARNING, "discarded an oversize line (%zu+ bytes)", len);
      (void)mcp_reject(sess, MCP_JSONRPC_INVALID_REQUEST, m, stdio_emit, &o);
    } else {
      if (r == TP_ERROR) /* as at end of input: finish what is in flight */
        mcp_log(MCP_LOG_ERROR, "stdin read failed: %s", strerror(errno));
      break;
    }
  }
  if (gone)
    mcp_log(MCP_LOG_ERROR,
            "stdout closed (the client stopped reading): no more requests taken; "
            "finishing %d call(s) in flight",
            mcp_session_inflight(sess));
  else
    mcp_log(MCP_LOG_INFO, "stdin closed; finishing %d call(s) in flight",
            mcp_session_inflight(sess));
  rc = 0;
out:
  mcp_session_free(sess); /* drains: every call in flight is answered before the transport closes */
  tp_stdio_close(tp);
  if (rc == 0 && (gone || atomic_load(&o.closed))) {
    set_err(err, errlen,
            "stdout was closed before every answer was written: exiting with an error");
    rc = -1;
  }
  return rc;
}
