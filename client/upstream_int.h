/* SPDX-License-Identifier: Apache-2.0
 * client/upstream_int.h — internals of the upstream connection (client/upstream.c: lifecycle,
 * supervisor and calls; client/upstream_io.c: the child process, its reader thread and the
 * framing of its stdin/stdout). Not a public API: only these two files include it. */
#ifndef WL_CLIENT_UPSTREAM_INT_H
#define WL_CLIENT_UPSTREAM_INT_H

#include "client/upstream.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

enum { UPS_STARTING = 0, UPS_READY, UPS_DOWN };

/* One request waiting for its response (stdio). */
typedef struct ups_pend {
  struct ups_pend *next;
  json_int_t id;
  unsigned gen;     /* the child generation it was written to */
  json_t *response; /* new when done == 1 */
  json_t *inbox;    /* new array: notifications and requests for this call, handled by its
                        waiter on its own thread */
  int done;         /* 1 response, -1 the child died (why says how) */
  char token[48];   /* the progressToken sent, "" = none */
  char why[200];
} ups_pend;

struct mcp_upstream {
  char name[MCP_UPSTREAM_NAME_MAX + 1];
  char **argv, **envp, *cwd, *url, *bearer;
  long timeout_ms;
  size_t max_message;
  int max_concurrency;
  void (*on_tools_changed)(void *payload);
  void *payload;

  pthread_mutex_t mu;
  pthread_cond_t cv; /* any state change: ready, death, response, inbox, stop */
  int state;         /* UPS_* */
  int first_done;    /* the first listing succeeded or failed */
  int stop;
  int relist; /* notifications/tools/list_changed arrived */
  unsigned gen;
  pid_t pid;
  int to_fd, from_fd;
  pthread_mutex_t wmu; /* serialises writes to the child's stdin */
  pthread_t sup, reader;
  int reader_running;
  ups_pend *pending;
  json_int_t next_id;
  int inflight;
  json_t *tools;      /* the current listing */
  char last_err[200]; /* the last failure (start, handshake, death), "" when ready */
  mcp_client *http;
};

/* upstream_io.c */
/* Spawns the child with pipes on its stdin/stdout in its own process group and starts the
 * reader. Called with mu NOT held. 0, or -1 with u->last_err set. */
int ups__spawn(mcp_upstream *u);
/* Kills the child's process group (SIGKILL), joins the reader (which reaps it). */
void ups__kill(mcp_upstream *u);
/* Writes one message (compact JSON + "\n") to the child, waiting at most timeout_ms while its
 * stdin pipe is full. 0 or -1 (no child, write failed or timed out). */
int ups__send(mcp_upstream *u, const json_t *msg);
/* One "info" line on stderr about the upstream. */
void ups__info(const mcp_upstream *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fills err for rc with "upstream NAME: " + message. */
void ups__fail(mcp_client_err *err, int code, const mcp_upstream *u, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
