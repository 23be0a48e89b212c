/* SPDX-License-Identifier: Apache-2.0
 * tools/exec_delegate.c — the `delegate` executor of motebit_task (spec/mcp.md §3.1.1): a task whose
 * required capabilities no local command serves goes to the first `peers[]` entry whose
 * capabilities cover all of them. run() calls the peer as an MCP client (client/client.h) with its
 * credentials (static token, or a motebit signed token with aud task:submit from our key):
 * first `motebit_identity`, whose key must equal the configured pin or, without one, the key
 * pinned on first use in the Store (event `peer.pinned`, one per peer, in the dedicated run
 * "peer-pins": a replay with another key is an idempotency conflict, i.e. a key change); then it
 * refuses loops and over-deep chains, mints a narrowed DelegationToken for the peer and sends it
 * (alone, or appended to the chain we received) with `motebit_task` {prompt, delegation_token,
 * required_capabilities, relay_task_id: our task_id}, relaying progress and honouring
 * cancellation, within peers[].timeout_s overall. The peer's receipt is verified as a whole
 * (each node under its own key, the top under the peer's key, depth, strict result_hash),
 * must be bound to our task (relay_task_id) and signed by the peer's motebit_id, and is nested
 * untouched in our receipt; its status becomes ours. Every other outcome (unreachable, timeout,
 * HTTP or auth error, malformed or unverifiable receipt, key mismatch) is a `failed` task whose
 * result names the cause, without a nested receipt. Events: task.delegated (before the call) and
 * task.delegation_result (always) in the task's run. Not here: the receipt itself (tools/task.c). */
#include "crypto/artifacts.h"
#include "ledger/ledger.h"
#include "client/client.h"
#include "config/config.h"
#include "tools/executor.h"
#include "mcp/tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND_RESULT "task.delegation_result"
#define KIND_PINNED "peer.pinned"
#define PINS_RUN "peer-pins"  /* run_id (and work_id) of the run holding peer.pinned events */
#define PEER_TEXT_MAX 1000    /* bytes of a peer's result quoted in our failed/denied result */
#define CONNECT_MS_MAX 10000L /* connect timeout, at most the remaining time */

/* ---- routing --------------------------------------------------------------------------------- */

static int has_cap(const json_t *caps, const char *c)
{
  size_t i;
  const json_t *v;
  json_array_foreach(caps, i, v) {
    if (json_is_string(v) && strcmp(json_string_value(v), c) == 0)
      return 1;
  }
  return 0;
}

static int delegate_route(const json_t *config, const json_t *required, mcp_route *out)
{
  const json_t *peers = mcp_config_peers(config), *pe, *c;
  size_t i, k;
  if (json_array_size(required) == 0)
    return 0; /* a task without capabilities is never sent away */
  json_array_foreach(peers, i, pe) {
    const json_t *caps = json_object_get(pe, "capabilities");
    int all = 1;
    json_array_foreach(required, k, c) {
      if (!json_is_string(c) || !has_cap(caps, json_string_value(c))) {
        all = 0;
        break;
      }
    }
    if (all && json_is_string(json_object_get(pe, "name"))) {
      out->spec = pe;
      snprintf(out->name, sizeof out->name, "%s", json_string_value(json_object_get(pe, "name")));
      return 1;
    }
  }
  return 0;
}

/* ---- the TOFU pin (Store) -------------------------------------------------------------------- */

typedef struct pin_job {
  const char *peer, *motebit_id, *public_key;
  int replayed;
} pin_job;

static int pin_fn(ledger_txn *t, void *p, ledger_err *err)
{
  pin_job *j = p;
  json_t *req = json_pack("[s,s,s]", "peer", "motebit_id", "public_key");
  json_t *payload = json_pack("{s:s,s:s,s:s}", "peer", j->peer, "motebit_id", j->motebit_id,
                              "public_key", j->public_key);
  char run_id[LEDGER_ID_MAX], key[300];
  ledger_run_in in;
  ledger_event_in ev;
  ledger_event_ref ref;
  int rc = LEDGER_ERROR;
  if (!req || !payload)
    goto out;
  if ((rc = ledger_txn_kind_register(t, KIND_PINNED, req, err)))
    goto out;
  memset(&in, 0, sizeof in);
  in.run_id = PINS_RUN;
  in.work_id = PINS_RUN;
  in.producer_id = "workledger.mcp";
  if ((rc = ledger_txn_run_open(t, &in, run_id, NULL, err)))
    goto out;
  snprintf(key, sizeof key, "peer:%s", j->peer);
  memset(&ev, 0, sizeof ev);
  memset(&ref, 0, sizeof ref);
  ev.run_id = run_id;
  ev.event_kind = KIND_PINNED;
  ev.idempotency_key = key;
  ev.payload = payload;
  rc = ledger_txn_event_append(t, &ev, &ref, err);
  j->replayed = ref.replayed;
out:
  json_decref(req);
  json_decref(payload);
  return rc;
}

/* ---- helpers ----------------------------------------------------------------------------------- */

typedef struct dstate {
  mcp_ctx *ctx;
  const char *peer;
  int64_t started;
} dstate;

static void relay_progress(double progress, double total, const char *message, void *payload)
{
  dstate *d = payload;
  char m[300];
  (void)progress;
  (void)total;
  snprintf(m, sizeof m, "peer \"%.60s\": %.200s", d->peer, message ? message : "working");
  /* elapsed ms: strictly increasing and ahead of the router's first progress */
  mcp_ctx_progress(d->ctx, (double)(mcp_now_ms() - d->started + 2), 0, m);
}

static int poll_cancelled(void *payload)
{
  return mcp_ctx_cancelled(((dstate *)payload)->ctx);
}

/* The identity as a signed motebit.md in the text content (tag stripped): 1 with motebit_id and
 * the signing key when the file verifies, else 0. */
static int identity_from_md(const json_t *res, char *mid, size_t cap, char pk[SEAL_PK_HEX])
{
  const json_t *b;
  size_t i;
  json_array_foreach(json_object_get(res, "content"), i, b) {
    const char *text = json_string_value(json_object_get(b, "text")), *tag;
    size_t len;
    seal_verdict v;
    int ok;
    if (!text)
      continue;
    len = json_string_length(json_object_get(b, "text"));
    for (tag = text + len; tag > text; tag--)
      if (tag[-1] == '\n' && strncmp(tag, "[motebit:", 9) == 0)
        break;
    if (tag > text)
      len = (size_t)(tag - 1 - text);
    ok = seal_identity_read(text, len, mid, cap, &v) == SEAL_OK;
    if (ok)
      memcpy(pk, v.signer_pk, SEAL_PK_HEX);
    seal_verdict_clear(&v);
    return ok;
  }
  return 0;
}

/* The JSON object of a CallToolResult: structuredContent when it is an object, else the first
 * text block without its trailing "\n[motebit:…]" tag. New reference or NULL. */
static json_t *result_object(const json_t *res)
{
  const json_t *sc = json_object_get(res, "structuredContent"), *b;
  const char *text, *tag;
  size_t len, i;
  json_error_t jerr;
  json_t *v;
  if (json_is_object(sc))
    return json_incref((json_t *)sc);
  json_array_foreach(json_object_get(res, "content"), i, b) {
    if (!json_is_string(json_object_get(b, "text")))
      continue;
    text = json_string_value(json_object_get(b, "text"));
    len = json_string_length(json_object_get(b, "text"));
    for (tag = text + len; tag > text; tag--) {
      if (tag[-1] == '\n' && strncmp(tag, "[motebit:", 9) == 0)
        break;
    }
    if (tag > text)
      len = (size_t)(tag - 1 - text);
    v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (json_is_object(v))
      return v;
    json_decref(v);
    return NULL;
  }
  return NULL;
}

static int lower_hex64(const char *s)
{
  size_t n = 0;
  if (!s)
    return 0;
  for (; s[n]; n++)
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
      return 0;
  return n == 64;
}

/* The failed result for a client error at `step` ("motebit_identity", "motebit_task"). */
static char *client_failure(const char *peer, const char *step, int rc, const mcp_client_err *e,
                            long timeout_s)
{
  switch (rc) {
  case MCP_CLIENT_EUNREACHABLE:
    return mcp_task_strf("Error: peer \"%s\" is unreachable: %s", peer, e->msg);
  case MCP_CLIENT_ETIMEOUT:
    return mcp_task_strf(
        "Error: peer \"%s\" timed out (no answer to %s within the %ld s delegation "
        "timeout)",
        peer, step, timeout_s);
  case MCP_CLIENT_ECANCELLED: return mcp_task_strf("Error: task cancelled by the caller");
  case MCP_CLIENT_EAUTH:
    return mcp_task_strf("Error: peer \"%s\" refused our authentication (HTTP 401) on %s", peer,
                         step);
  case MCP_CLIENT_EFORBIDDEN:
    return mcp_task_strf("Error: peer \"%s\" refused %s (HTTP 403)", peer, step);
  case MCP_CLIENT_ETOOBIG:
    return mcp_task_strf("Error: the reply of peer \"%s\" to %s is too large: %s", peer, step,
                         e->msg);
  case MCP_CLIENT_ETOOL:
    return mcp_task_strf("Error: peer \"%s\" answered %s with a tool error: %s", peer, step,
                         e->msg);
  case MCP_CLIENT_EHTTP:
  case MCP_CLIENT_ENOTFOUND:
    return mcp_task_strf("Error: peer \"%s\" answered %s with HTTP %ld: %s", peer, step,
                         e->http_status, e->msg);
  default:
    return mcp_task_strf("Error: delegation to peer \"%s\" failed on %s (%s): %s", peer, step,
                         mcp_client_strerror(rc), e->msg);
  }
}

/* 1 when `mid` or `pk` names a delegator or delegate of any token of `chain`. */
static int chain_names(const json_t *chain, const char *mid, const char *pk)
{
  static const char *const fields[] = {"delegator_id", "delegator_public_key", "delegate_id",
                                       "delegate_public_key"};
  size_t i;
  const json_t *t;
  json_array_foreach(chain, i, t) {
    for (size_t f = 0; f < 4; f++) {
      const char *v = json_string_value(json_object_get(t, fields[f]));
      const char *want = (f % 2) ? pk : mid;
      if (v && want && strcmp(v, want) == 0)
        return 1;
    }
  }
  return 0;
}

static char *caps_joined(const json_t *caps)
{
  size_t i, len = 1, o = 0;
  const json_t *c;
  char *s;
  json_array_foreach(caps, i, c)
    len += json_string_length(c) + 1;
  if (!(s = malloc(len)))
    return NULL;
  s[0] = '\0';
  json_array_foreach(caps, i, c)
    o += (size_t)snprintf(s + o, len - o, "%s%s", i ? "," : "", json_string_value(c));
  return s;
}

/* A copy of at most PEER_TEXT_MAX bytes of `s`, cut on a UTF-8 boundary ("…" appended). */
static char *excerpt(const char *s)
{
  size_t n = strlen(s);
  if (n <= PEER_TEXT_MAX)
    return mcp_task_strf("%s", s);
  n = PEER_TEXT_MAX;
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
    n--;
  return mcp_task_strf("%.*s…", (int)n, s);
}

/* ---- run ----------------------------------------------------------------------------------------- */

/* One delegation in flight. Steps return STEP_OK to go on, STEP_REFUSE when the task ends
 * without a nested receipt (out->status set, `why` names the cause; NULL = out of memory), or
 * STEP_FAIL on an internal error (out->result may name it). */
enum { STEP_OK = 0, STEP_REFUSE = 1, STEP_FAIL = -1 };

typedef struct drun {
  mcp_ctx *ctx;
  const mcp_task *task;
  const json_t *spec; /* the peers[] entry, borrowed */
  const char *peer;
  const char *pinned; /* peers[].public_key or NULL */
  long timeout_s;
  int64_t deadline;
  json_t *result_ev; /* the task.delegation_result payload being built */
  json_t *prior;     /* the chain this node received, root first */
  char *scope;       /* the required capabilities, comma-joined */
  mcp_client *cl;
  mcp_client_call_opts cc;
  mcp_client_err ce;
  dstate ds;
  json_t *ident;                        /* the peer's identity object (mid, pk may point into it) */
  const char *mid, *pk, *key_source;    /* who answered, and how its key is known */
  uint8_t pkb[SEAL_PK_BYTES];           /* pk decoded */
  char md_mid[128], md_pk[SEAL_PK_HEX]; /* an identity given as a signed motebit.md */
  json_t *tok;                          /* the token we minted for the peer */
  char *tok_text;                       /* the token (or chain) as sent */
  char *why;                            /* the cause of a refusal or failure */
} drun;

/* Records task.delegation_result (status, and the error when there is one). 0 or -1. */
static int record_result(drun *d, const char *status, const char *error)
{
  char err[200], key[300];
  json_object_set_new(d->result_ev, "status", json_string(status));
  if (error)
    json_object_set_new(d->result_ev, "error", json_string(error));
  snprintf(key, sizeof key, "delegate:%s:result", d->peer);
  if (mcp_task_event(d->ctx, d->task, KIND_RESULT, key, d->result_ev, err, sizeof err) != 0) {
    mcp_ctx_log(d->ctx, MCP_LOG_ERROR, "task %s: the delegation result could not be recorded: %s",
                d->task->task_id, err);
    return -1;
  }
  return 0;
}

/* Ends a step with `status` and the cause `why` (stolen; NULL = out of memory). */
static int refuse(drun *d, mcp_task_result *out, mcp_task_status status, char *why)
{
  out->status = status;
  d->why = why;
  return STEP_REFUSE;
}

/* tools_used, the result event, and the chain this node received (a single token is a chain
 * of one). */
static int start_run(drun *d, mcp_task_result *out)
{
  const mcp_task *task = d->task;
  char *tu = mcp_task_strf("delegate:%s", d->peer);
  out->tools_used = tu ? json_pack("[s]", tu) : NULL;
  free(tu);
  d->result_ev = json_pack("{s:s,s:s}", "task_id", task->task_id, "peer", d->peer);
  if (!out->tools_used || !d->result_ev)
    return STEP_FAIL;
  d->prior = task->delegation_chain ? json_deep_copy(task->delegation_chain) : json_array();
  if (!d->prior)
    return STEP_FAIL;
  if (!task->delegation_chain && task->delegation_token &&
      json_array_append_new(d->prior, json_deep_copy(task->delegation_token)) != 0)
    return STEP_FAIL;
  return STEP_OK;
}

/* Depth, loops and scope, before any traffic (the pinned key is known already). */
static int check_chain(drun *d, mcp_task_result *out)
{
  const mcp_task *task = d->task;
  size_t chain_len = task->delegation_chain   ? json_array_size(task->delegation_chain)
                     : task->delegation_token ? 1
                                              : 0;
  if (chain_len + 1 > MCP_DELEGATION_MAX_CHAIN)
    return refuse(d, out, MCP_TASK_DENIED,
                  mcp_task_strf("Denied: delegation depth limit: the delegation chain already "
                                "holds %zu tokens; delegating to peer \"%s\" would exceed %d",
                                chain_len, d->peer, MCP_DELEGATION_MAX_CHAIN));
  if (d->pinned && chain_names(d->prior, NULL, d->pinned))
    return refuse(d, out, MCP_TASK_DENIED,
                  mcp_task_strf("Denied: delegation loop: peer \"%s\" (key %.16s…) already "
                                "appears in the delegation chain",
                                d->peer, d->pinned));
  if (!(d->scope = caps_joined(task->required_capabilities)))
    return STEP_FAIL;
  if (task->delegated_scope && !seal_scope_narrowed(task->delegated_scope, d->scope))
    return refuse(d, out, MCP_TASK_DENIED,
                  mcp_task_strf("Denied: the scope \"%s\" for peer \"%s\" is not narrowed from "
                                "the delegated scope \"%s\"",
                                d->scope, d->peer, task->delegated_scope));
  return STEP_OK;
}

/* Creates the client with the peer's credentials and asks motebit_identity who answers:
 * fills ident, mid, pk and pkb. */
static int connect_peer(drun *d, mcp_task_result *out)
{
  const char *bearer = mcp_config_str(d->spec, "token", NULL);
  mcp_client_opts co;
  json_t *res = NULL;
  int crc;
  memset(&co, 0, sizeof co);
  co.url = mcp_config_str(d->spec, "url", "");
  if (bearer) {
    co.bearer = bearer;
  } else if (mcp_config_bool(d->spec, "motebit_token", 0)) {
    co.motebit_key = mcp_ctx_key(d->ctx);
    co.motebit_id = mcp_ctx_motebit_id(d->ctx);
    co.device_id = mcp_ctx_device_id(d->ctx);
    co.audience = "task:submit";
  }
  co.timeout_ms = d->timeout_s * 1000;
  co.connect_timeout_ms = co.timeout_ms < CONNECT_MS_MAX ? co.timeout_ms : CONNECT_MS_MAX;
  memset(&d->ce, 0, sizeof d->ce);
  if (mcp_client_new(&d->cl, &co, &d->ce) != MCP_CLIENT_OK)
    return refuse(d, out, MCP_TASK_FAILED,
                  mcp_task_strf("Error: peer \"%s\" cannot be called: %s", d->peer, d->ce.msg));
  memset(&d->cc, 0, sizeof d->cc);
  d->cc.cancelled = poll_cancelled;
  d->cc.payload = &d->ds;
  d->cc.timeout_ms = (long)(d->deadline - mcp_now_ms());
  crc = d->cc.timeout_ms > 0
            ? mcp_client_call_tool(d->cl, "motebit_identity", NULL, &d->cc, &res, &d->ce)
            : MCP_CLIENT_ETIMEOUT;
  if (crc != MCP_CLIENT_OK) {
    json_decref(res);
    return refuse(d, out, MCP_TASK_FAILED,
                  client_failure(d->peer, "motebit_identity", crc, &d->ce, d->timeout_s));
  }
  d->ident = result_object(res);
  d->mid = json_string_value(json_object_get(d->ident, "motebit_id"));
  d->pk = json_string_value(json_object_get(d->ident, "public_key"));
  if (!d->mid && !d->pk && identity_from_md(res, d->md_mid, sizeof d->md_mid, d->md_pk)) {
    /* a peer that answers with its signed motebit.md (reference motebit.md §1): the file's own
     * signature binds motebit_id to identity.public_key */
    d->mid = d->md_mid;
    d->pk = d->md_pk;
  }
  json_decref(res);
  if (!d->mid || !*d->mid || !lower_hex64(d->pk) ||
      seal_hex_decode(d->pkb, sizeof d->pkb, d->pk, 1) != SEAL_OK)
    return refuse(d, out, MCP_TASK_FAILED,
                  mcp_task_strf("Error: peer \"%s\" sent a malformed identity (motebit_identity "
                                "must give motebit_id and a 64-hex public_key, as JSON or as a "
                                "signed motebit.md)",
                                d->peer));
  json_object_set_new(d->result_ev, "peer_motebit_id", json_string(d->mid));
  json_object_set_new(d->result_ev, "peer_public_key", json_string(d->pk));
  return STEP_OK;
}

/* The peer's key against the configured pin or, without one, the pin on first use in the
 * Store; then the loop check with the peer's motebit_id. */
static int trust_peer(drun *d, mcp_task_result *out)
{
  if (d->pinned && strcmp(d->pinned, d->pk) != 0)
    return refuse(d, out, MCP_TASK_FAILED,
                  mcp_task_strf("Error: peer key mismatch: peer \"%s\" presented public key %s, "
                                "but peers[].public_key pins %s",
                                d->peer, d->pk, d->pinned));
  if (!d->pinned) {
    pin_job pj = {d->peer, d->mid, d->pk, 0};
    struct ledger *store = mcp_ctx_store(d->ctx);
    ledger_err lerr;
    int lrc;
    memset(&lerr, 0, sizeof lerr);
    lrc = store ? ledger_tx(store, pin_fn, &pj, &lerr) : LEDGER_ERROR;
    if (lrc == LEDGER_ECONFLICT)
      return refuse(d, out, MCP_TASK_FAILED,
                    mcp_task_strf("Error: peer key mismatch: peer \"%s\" now presents public key "
                                  "%s (motebit_id %s), which differs from the identity pinned "
                                  "on first use (Store event %s in run %s)",
                                  d->peer, d->pk, d->mid, KIND_PINNED, PINS_RUN));
    if (lrc != LEDGER_OK) {
      out->result = mcp_task_strf(
          "Error: the key of peer \"%s\" could not be pinned in the Store: %s", d->peer,
          lerr.msg[0] ? lerr.msg : "Store error");
      return STEP_FAIL;
    }
    d->key_source = pj.replayed ? "tofu_pin" : "first_use";
  }
  if (chain_names(d->prior, d->mid, d->pk))
    return refuse(d, out, MCP_TASK_DENIED,
                  mcp_task_strf("Denied: delegation loop: peer \"%s\" (%s) already appears in "
                                "the delegation chain",
                                d->peer, d->mid));
  return STEP_OK;
}

/* Mints the token for the peer, narrowed to what this task needs, appends it to the chain we
 * received (tok_text) and records task.delegated. */
static int mint_token(drun *d, mcp_task_result *out)
{
  const mcp_task *task = d->task;
  int64_t now = mcp_now_ms();
  json_t *body, *sent = NULL, *ev = NULL;
  char evkey[300], lerrbuf[200];
  seal_err serr;
  int crc, rc = STEP_FAIL;
  body = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "delegator_id", mcp_ctx_motebit_id(d->ctx),
                   "delegate_id", d->mid, "delegate_public_key", d->pk, "scope", d->scope,
                   "issued_at", (json_int_t)now, "expires_at", (json_int_t)d->deadline);
  memset(&serr, 0, sizeof serr);
  crc = body ? seal_sign_delegation_token(&d->tok, body, mcp_ctx_key(d->ctx), &serr) : SEAL_ERROR;
  json_decref(body);
  if (crc != SEAL_OK) {
    out->result = mcp_task_strf("Error: the delegation token could not be signed: %s", serr.msg);
    goto out;
  }
  if (json_array_size(d->prior) > 0) {
    sent = json_copy(d->prior); /* shallow: the received tokens, then ours */
    if (!sent || json_array_append(sent, d->tok) != 0)
      goto out;
  } else {
    sent = json_incref(d->tok);
  }
  if (!(d->tok_text = seal_json_dumps(sent, JSON_COMPACT)))
    goto out;
  ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s}", "task_id", task->task_id, "peer", d->peer,
                 "peer_motebit_id", d->mid, "peer_public_key", d->pk, "scope", d->scope,
                 "chain_length", (json_int_t)(json_is_array(sent) ? json_array_size(sent) : 1),
                 "expires_at", (json_int_t)d->deadline, "key_source", d->key_source,
                 "token_signature", json_string_value(json_object_get(d->tok, "signature")));
  snprintf(evkey, sizeof evkey, "delegate:%s", d->peer);
  if (!ev || mcp_task_event(d->ctx, task, LEDGER_KIND_TASK_DELEGATED, evkey, ev, lerrbuf,
                            sizeof lerrbuf) != 0) {
    out->result = mcp_task_strf("Error: the delegation could not be recorded in the Store: %s",
                                ev ? lerrbuf : "out of memory");
    goto out;
  }
  rc = STEP_OK;
out:
  json_decref(sent);
  json_decref(ev);
  return rc;
}

/* Sends motebit_task (relaying progress) and reads the receipt from its result (*receipt: new
 * reference, on STEP_OK only). */
static int call_task(drun *d, mcp_task_result *out, json_t **receipt)
{
  const mcp_task *task = d->task;
  json_t *args, *res = NULL;
  int crc;
  args = json_pack("{s:s%,s:s,s:O,s:s}", "prompt", task->prompt, task->prompt_len,
                   "delegation_token", d->tok_text, "required_capabilities",
                   task->required_capabilities, "relay_task_id", task->task_id);
  if (!args)
    return STEP_FAIL;
  d->cc.on_progress = relay_progress;
  d->cc.timeout_ms = (long)(d->deadline - mcp_now_ms());
  crc = d->cc.timeout_ms > 0
            ? mcp_client_call_tool(d->cl, "motebit_task", args, &d->cc, &res, &d->ce)
            : MCP_CLIENT_ETIMEOUT;
  json_decref(args);
  if (crc != MCP_CLIENT_OK) {
    json_decref(res);
    return refuse(d, out, MCP_TASK_FAILED,
                  client_failure(d->peer, "motebit_task", crc, &d->ce, d->timeout_s));
  }
  *receipt = result_object(res);
  json_decref(res);
  if (!*receipt || !json_is_string(json_object_get(*receipt, "signature"))) {
    json_decref(*receipt);
    *receipt = NULL;
    return refuse(d, out, MCP_TASK_FAILED,
                  mcp_task_strf("Error: peer \"%s\" returned no readable ExecutionReceipt "
                                "(malformed motebit_task result)",
                                d->peer));
  }
  return STEP_OK;
}

/* Verifies the whole chain the receipt carries (each node under its own key, the top under the
 * peer's, depth, strict result_hash), then its binding to this task. */
static int verify_receipt(drun *d, mcp_task_result *out, const json_t *receipt)
{
  const mcp_task *task = d->task;
  seal_verify_opts vo = SEAL_VERIFY_OPTS_INIT;
  const char *r_relay = json_string_value(json_object_get(receipt, "relay_task_id"));
  const char *r_mid = json_string_value(json_object_get(receipt, "motebit_id"));
  const char *r_ph = json_string_value(json_object_get(receipt, "prompt_hash"));
  const char *r_scope = json_string_value(json_object_get(receipt, "delegated_scope"));
  const char *peer = d->peer;
  char prompt_hash[SEAL_SHA256_HEX];
  seal_verdict v;
  int depth;
  vo.strict_hash = 1;
  vo.pinned_pk = d->pkb;
  if (seal_verify_execution_receipt(receipt, &vo, &v) != SEAL_OK) {
    const char *r0 = json_string_value(json_array_get(v.reasons, 0));
    char *why = mcp_task_strf("Error: the receipt of peer \"%s\" does not verify: %s", peer,
                              r0 ? r0 : "?");
    seal_verdict_clear(&v);
    return refuse(d, out, MCP_TASK_FAILED, why);
  }
  depth = v.depth;
  seal_verdict_clear(&v);
  if (depth + 1 > SEAL_MAX_CHAIN_DEPTH)
    return refuse(d, out, MCP_TASK_FAILED,
                  mcp_task_strf("Error: the receipt of peer \"%s\" nests %d levels; with ours it "
                                "would exceed the depth limit %d",
                                peer, depth, SEAL_MAX_CHAIN_DEPTH));
  json_object_set_new(d->result_ev, "depth", json_integer(depth + 1));
  seal_sha256_hex(prompt_hash, task->prompt, task->prompt_len);
  out->status = MCP_TASK_FAILED;
  if (!r_relay || strcmp(r_relay, task->task_id) != 0)
    d->why = mcp_task_strf("Error: the receipt of peer \"%s\" is bound to another task "
                           "(relay_task_id \"%.80s\", expected this task's id \"%s\")",
                           peer, r_relay ? r_relay : "", task->task_id);
  else if (!r_mid || strcmp(r_mid, d->mid) != 0)
    d->why = mcp_task_strf("Error: the receipt of peer \"%s\" is signed for motebit_id "
                           "\"%.80s\", not the peer's \"%s\"",
                           peer, r_mid ? r_mid : "", d->mid);
  else if (!r_ph || strcmp(r_ph, prompt_hash) != 0)
    d->why = mcp_task_strf("Error: the receipt of peer \"%s\" covers another prompt (prompt_hash "
                           "mismatch)",
                           peer);
  else if (r_scope && strcmp(r_scope, d->scope) != 0)
    d->why = mcp_task_strf("Error: the receipt of peer \"%s\" states delegated_scope "
                           "\"%.200s\", not the \"%s\" we granted",
                           peer, r_scope, d->scope);
  return d->why ? STEP_REFUSE : STEP_OK;
}

/* The verified receipt's status becomes ours; it is nested untouched in our receipt. */
static int adopt_receipt(drun *d, mcp_task_result *out, const json_t *receipt)
{
  const char *r_status = json_string_value(json_object_get(receipt, "status"));
  const char *r_result = json_string_value(json_object_get(receipt, "result"));
  json_object_set_new(d->result_ev, "peer_task_id",
                      json_string(json_string_value(json_object_get(receipt, "task_id"))));
  json_object_set_new(d->result_ev, "peer_result_hash",
                      json_incref(json_object_get(receipt, "result_hash")));
  json_object_set_new(d->result_ev, "peer_signature",
                      json_incref(json_object_get(receipt, "signature")));
  if (r_status && strcmp(r_status, "completed") == 0) {
    out->status = MCP_TASK_COMPLETED;
    out->result = mcp_task_strf("%s", r_result ? r_result : "");
  } else {
    char *ex = excerpt(r_result ? r_result : "");
    int denied = r_status && strcmp(r_status, "denied") == 0;
    out->status = denied ? MCP_TASK_DENIED : MCP_TASK_FAILED;
    out->result = ex ? mcp_task_strf("%s: peer \"%s\" %s the task: %s", denied ? "Denied" : "Error",
                                     d->peer, denied ? "denied" : "failed", ex)
                     : NULL;
    free(ex);
  }
  if (!out->result)
    return STEP_FAIL;
  out->delegation_receipts = json_pack("[O]", receipt);
  return out->delegation_receipts ? STEP_OK : STEP_FAIL;
}

static int delegate_run(mcp_ctx *ctx, const mcp_task *task, const mcp_route *route,
                        mcp_task_result *out)
{
  drun d;
  json_t *receipt = NULL;
  int step, rc = -1;

  memset(&d, 0, sizeof d);
  d.ctx = ctx;
  d.task = task;
  d.spec = route->spec;
  d.peer = route->name;
  d.pinned = mcp_config_str(d.spec, "public_key", NULL);
  d.timeout_s = (long)mcp_config_int(d.spec, "timeout_s", 300);
  d.ds.ctx = ctx;
  d.ds.peer = d.peer;
  d.ds.started = mcp_now_ms();
  d.deadline = d.ds.started + d.timeout_s * 1000;
  d.key_source = "config";

  if ((step = start_run(&d, out)) == STEP_OK && (step = check_chain(&d, out)) == STEP_OK &&
      (step = connect_peer(&d, out)) == STEP_OK && (step = trust_peer(&d, out)) == STEP_OK &&
      (step = mint_token(&d, out)) == STEP_OK && (step = call_task(&d, out, &receipt)) == STEP_OK &&
      (step = verify_receipt(&d, out, receipt)) == STEP_OK &&
      (step = adopt_receipt(&d, out, receipt)) == STEP_OK)
    rc = record_result(&d, mcp_task_status_name(out->status), NULL);
  else if (step == STEP_REFUSE && d.why) {
    /* a refusal or failure without a nested receipt: our result names the cause */
    out->result = d.why;
    d.why = NULL;
    rc = record_result(&d, out->status == MCP_TASK_DENIED ? "denied" : "error", out->result);
  }
  if (rc != 0 && out->status == MCP_TASK_COMPLETED)
    out->status = MCP_TASK_FAILED;
  mcp_client_free(d.cl);
  json_decref(d.prior);
  json_decref(d.ident);
  json_decref(d.tok);
  json_decref(receipt);
  json_decref(d.result_ev);
  free(d.scope);
  free(d.tok_text);
  free(d.why);
  return rc;
}

const mcp_executor mcp_executor_delegate = {"delegate", delegate_route, delegate_run};
