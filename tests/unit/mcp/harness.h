/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/harness.h — an in-memory transport for the MCP core tests: a server on a fresh
 * key (optionally without a Store), one session whose emitted messages are collected in order,
 * and helpers to submit a line and wait for a given number of FINAL callbacks. Test code only. */
#ifndef WL_TEST_MCP_HARNESS_H
#define WL_TEST_MCP_HARNESS_H

#include "mcp/mcp.h"

#include <check.h>
#include <jansson.h>
#include <pthread.h>

typedef struct hmsg {
  char *text;
  unsigned flags;
} hmsg;

typedef struct harness {
  seal_key *key;
  mcp_server *srv;
  mcp_session *sess;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  hmsg msgs[512];
  int nmsgs;
  int finals;
  hmsg out[64]; /* messages on the session's server->client channel */
  int nout;
} harness;

/* config: borrowed, may be NULL; page_size 0 = default; with_channel: give the session a
 * server->client channel (for elicitation). */
void h_start(harness *h, const json_t *config, int page_size, int with_channel);
/* The in-flight window (default 8) and the session's no_wait flag of the next h_start. */
extern int h_window, h_no_wait;
/* The resource tables of the next h_start (mcp_server_opts.resource_groups; default NULL). */
extern const struct mcp_resource_impl *const *h_resources;
void h_stop(harness *h);
/* Submits `line`; returns the ticket. */
uint64_t h_send(harness *h, const char *line);
/* Waits until `n` FINAL callbacks were seen (5 s timeout fails the test). */
void h_wait_finals(harness *h, int n);
/* Waits until the channel received `n` messages. */
void h_wait_out(harness *h, int n);
/* The i-th FINAL message parsed (new reference), NULL when it had no message. */
json_t *h_final(harness *h, int i);
/* Submits one request and returns its (parsed) response; fails if there is none. */
json_t *h_call(harness *h, const char *line);
/* The error code of a response, 0 when it is a result. */
int h_code(const json_t *resp);
/* Legacy initialize + initialized. */
void h_init(harness *h, const char *caps_json);

#endif
