/* SPDX-License-Identifier: Apache-2.0
 * mcp/tasks.c — the task table of mcp/mcp.h (SEP-2663): creation (durable first: a Store run
 * whose id is the taskId, work.started with the owner and tool), the task threads (tracked and
 * joined when the server is freed), input_required parking and tasks/update, cancellation, the
 * end of a task (work.closed with the result text or the error), tasks/get / tasks/update /
 * tasks/cancel for the 2026-07-28 era (gated on the extension: -32021 otherwise; a task answers
 * only its owner; unknown ids are -32602), reading a task back from the Store when it is not in
 * memory, and the recovery at start: a task run still open was cut short by a crash and is
 * closed as failed with a signed ToolInvocationReceipt (kind workledger.task-receipt). */
#include "crypto/artifacts.h"
#include "ledger/ledger.h"
#include "mcp/mcp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TASK_RECEIPT_KIND "workledger.task-receipt"
#define MAX_TASKS 4096

typedef struct mcp_task {
  char id[MCP_TASK_ID_MAX];
  char owner[160];
  char tool[128];
  char status[16]; /* working | input_required | completed | failed | cancelled */
  int64_t created, updated;
  json_t *result, *error; /* new, set when terminal */
  json_t *pending;        /* new: {key: request} still unanswered */
  json_t *answers;        /* new: {key: response} */
  int cancel;
  int durable;
  pthread_t th;
  int has_thread;
  int done; /* the thread returned (it may be joined without waiting on anything) */
  mcp_task_fn fn;
  void *arg;
  void (*arg_free)(void *);
  mcp_server *srv;
  struct mcp_task *next;
} mcp_task;

struct mcp_tasks {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  mcp_task *head;
  int n;
  int stopping;
};

static int terminal(const char *st)
{
  return !strcmp(st, "completed") || !strcmp(st, "failed") || !strcmp(st, "cancelled");
}

int mcp_task_client_supports(const json_t *params)
{
  const json_t *caps = json_object_get(json_object_get(params, "_meta"),
                                       "io.modelcontextprotocol/clientCapabilities");
  return json_object_get(json_object_get(caps, "extensions"), MCP_TASKS_EXTENSION) != NULL;
}

static mcp_task *find_locked(struct mcp_tasks *t, const char *id)
{
  for (mcp_task *k = t->head; k; k = k->next)
    if (!strcmp(k->id, id))
      return k;
  return NULL;
}

/* ---- the Store -------------------------------------------------------------------------------- */

typedef struct store_job {
  mcp_server *srv;
  const mcp_task *k;
  const char *outcome;
  json_t *close_payload; /* borrowed */
  const json_t *receipt; /* borrowed, or NULL */
} store_job;

static int open_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  store_job *j = payload;
  ledger_run_in in;
  ledger_event_in ev;
  char run[LEDGER_ID_MAX];
  json_t *p;
  int rc;
  memset(&in, 0, sizeof in);
  in.run_id = j->k->id;
  in.work_id = "mcp-task";
  in.producer_id = "workledger.mcp";
  if ((rc = ledger_txn_run_open(t, &in, run, NULL, err)))
    return rc;
  p = json_pack("{s:s,s:{s:s,s:s},s:{s:s},s:{s:s},s:{s:s,s:s}}", "work_id", "mcp-task", "actor",
                "id", j->srv->motebit_id, "type", "service", "trigger", "kind", "mcp_task",
                "instruction", "summary", "MCP task (SEP-2663)", "mcp_task", "owner", j->k->owner,
                "tool", j->k->tool);
  memset(&ev, 0, sizeof ev);
  ev.run_id = j->k->id;
  ev.event_kind = LEDGER_KIND_WORK_STARTED;
  ev.idempotency_key = "task-start";
  ev.payload = p;
  rc = p ? ledger_txn_event_append(t, &ev, NULL, err) : LEDGER_ERROR;
  json_decref(p);
  return rc;
}

static int close_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  store_job *j = payload;
  ledger_event_in ev;
  int rc;
  memset(&ev, 0, sizeof ev);
  ev.run_id = j->k->id;
  ev.event_kind = LEDGER_KIND_WORK_CLOSED;
  ev.idempotency_key = "task-close";
  ev.payload = j->close_payload;
  if ((rc = ledger_txn_run_close(t, &ev, NULL, err)))
    return rc;
  if (j->receipt)
    rc = ledger_txn_receipt_put(t, j->k->id, TASK_RECEIPT_KIND, j->k->id, j->k->id, j->receipt,
                                err);
  return rc;
}

/* The work.closed payload of a task that ended (status, result or error as text). */
static json_t *close_payload(const mcp_task *k)
{
  const char *outcome = !strcmp(k->status, "completed")   ? "success"
                        : !strcmp(k->status, "cancelled") ? "aborted"
                                                          : "failure";
  char *rt = k->result ? seal_json_dumps(k->result, JSON_COMPACT) : NULL;
  char *et = k->error ? seal_json_dumps(k->error, JSON_COMPACT) : NULL;
  json_t *p = json_pack("{s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s}}", "outcome", "status", outcome,
                        "acceptance", "status", "not_evaluated", "route_summary", "route",
                        "mcp_task", "handoff", "next", "none", "mcp_task", "status", k->status);
  json_t *mt = json_object_get(p, "mcp_task");
  if (rt)
    json_object_set_new(mt, "result_text", json_string(rt));
  if (et)
    json_object_set_new(mt, "error_text", json_string(et));
  free(rt);
  free(et);
  return p;
}

static void store_close(mcp_server *srv, const mcp_task *k, const json_t *receipt)
{
  store_job j = {.srv = srv, .k = k, .receipt = receipt};
  ledger_err lerr;
  if (!srv->store || !k->durable)
    return;
  j.close_payload = close_payload(k);
  memset(&lerr, 0, sizeof lerr);
  if (!j.close_payload || ledger_tx(srv->store, close_fn, &j, &lerr) != LEDGER_OK)
    mcp_log(MCP_LOG_WARNING, "task %s: cannot record its end: %s", k->id,
            lerr.msg[0] ? lerr.msg : "out of memory");
  json_decref(j.close_payload);
}

/* A signed ToolInvocationReceipt for a task the server could not finish (new or NULL). */
static json_t *crash_receipt(mcp_server *srv, const mcp_task *k, const char *text)
{
  char h[SEAL_SHA256_HEX], args_h[SEAL_SHA256_HEX];
  json_t *body, *signed_rc = NULL;
  seal_err serr;
  seal_sha256_hex(h, text, strlen(text));
  seal_sha256_hex(args_h, "", 0);
  body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "invocation_id", k->id,
                   "task_id", k->id, "motebit_id", srv->motebit_id, "public_key",
                   seal_key_pk_hex(srv->key), "device_id", srv->device_id, "tool_name", k->tool,
                   "started_at", (json_int_t)k->created, "completed_at", (json_int_t)mcp_now_ms(),
                   "status", "failed", "args_hash", args_h, "result_hash", h, "invocation_origin",
                   "agent-to-agent", "suite", SEAL_SUITE_B64);
  memset(&serr, 0, sizeof serr);
  if (body && seal_sign_tool_invocation_receipt(&signed_rc, body, srv->key, &serr) != SEAL_OK)
    signed_rc = NULL;
  json_decref(body);
  return signed_rc;
}

/* Closes the task runs a crash left open (status failed, a signed receipt). */
static void recover(mcp_server *srv)
{
  json_t *runs = NULL, *v;
  size_t i;
  int n = 0;
  if (!srv->store || ledger_run_list(srv->store, 1, 1000, &runs, NULL) != LEDGER_OK)
    return;
  json_array_foreach(runs, i, v) {
    const char *id = json_string_value(json_object_get(v, "run_id"));
    const char *work = json_string_value(json_object_get(v, "work_id"));
    mcp_task k;
    json_t *events = NULL, *receipt;
    static const char msg[] = "the server stopped while this task ran (crash or kill); it did not "
                              "finish";
    if (!id || !work || strcmp(work, "mcp-task") != 0 || strlen(id) >= sizeof k.id)
      continue;
    memset(&k, 0, sizeof k);
    snprintf(k.id, sizeof k.id, "%s", id);
    snprintf(k.status, sizeof k.status, "failed");
    snprintf(k.tool, sizeof k.tool, "unknown");
    if (ledger_run_events(srv->store, id, &events, NULL) == LEDGER_OK) {
      json_t *mt = json_object_get(json_object_get(json_array_get(events, 0), "payload"),
                                   "mcp_task");
      if (json_string_value(json_object_get(mt, "tool")))
        snprintf(k.tool, sizeof k.tool, "%s", json_string_value(json_object_get(mt, "tool")));
    }
    json_decref(events);
    k.created = mcp_now_ms();
    k.durable = 1;
    k.error = json_pack("{s:i,s:s}", "code", MCP_JSONRPC_INTERNAL_ERROR, "message", msg);
    receipt = crash_receipt(srv, &k, msg);
    if (receipt && k.error)
      json_object_set_new(k.error, "data", json_pack("{s:O}", "receipt", receipt));
    store_close(srv, &k, receipt);
    json_decref(receipt);
    json_decref(k.error);
    n++;
  }
  json_decref(runs);
  if (n)
    mcp_log(MCP_LOG_WARNING, "tasks: %d task(s) cut short by the last stop closed as failed", n);
}

/* Reads a task that is not in memory back from its Store run: new detailed object or NULL. */
static json_t *from_store(mcp_server *srv, const char *id, const char *caller)
{
  json_t *run = NULL, *events = NULL, *out = NULL;
  const json_t *first, *last, *mt0, *mt1;
  const char *owner, *rt, *et, *st;
  if (!srv->store || strncmp(id, "mcptask-", 8) != 0 ||
      ledger_run_get(srv->store, id, &run, NULL) != LEDGER_OK)
    return NULL;
  if (ledger_run_events(srv->store, id, &events, NULL) != LEDGER_OK || !json_array_size(events))
    goto done;
  first = json_array_get(events, 0);
  last = json_array_get(events, json_array_size(events) - 1);
  mt0 = json_object_get(json_object_get(first, "payload"), "mcp_task");
  owner = json_string_value(json_object_get(mt0, "owner"));
  if (!owner || strcmp(owner, caller) != 0)
    goto done;
  mt1 = json_object_get(json_object_get(last, "payload"), "mcp_task");
  st = json_string_value(json_object_get(mt1, "status"));
  out = json_pack("{s:s,s:s,s:O,s:O,s:i,s:i}", "taskId", id, "status", st ? st : "working",
                  "createdAt", json_object_get(run, "started_at"), "lastUpdatedAt",
                  json_object_get(last, "occurred_at"), "ttlMs", MCP_TASK_TTL_MS, "pollIntervalMs",
                  MCP_TASK_POLL_MS);
  rt = json_string_value(json_object_get(mt1, "result_text"));
  et = json_string_value(json_object_get(mt1, "error_text"));
  if (out && rt)
    json_object_set_new(out, "result", json_loads(rt, 0, NULL));
  if (out && et)
    json_object_set_new(out, "error", json_loads(et, 0, NULL));
done:
  json_decref(run);
  json_decref(events);
  return out;
}

/* ---- the table -------------------------------------------------------------------------------- */

int mcp__tasks_init(mcp_server *srv)
{
  struct mcp_tasks *t = calloc(1, sizeof *t);
  if (!t)
    return -1;
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  srv->tasks = t;
  recover(srv);
  return 0;
}

void mcp__tasks_free(mcp_server *srv)
{
  struct mcp_tasks *t = srv->tasks;
  mcp_task *k, *n;
  if (!t)
    return;
  pthread_mutex_lock(&t->mu);
  t->stopping = 1;
  for (k = t->head; k; k = k->next)
    k->cancel = 1;
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
  for (k = t->head; k; k = k->next)
    if (k->has_thread)
      pthread_join(k->th, NULL);
  for (k = t->head; k; k = n) {
    n = k->next;
    json_decref(k->result);
    json_decref(k->error);
    json_decref(k->pending);
    json_decref(k->answers);
    free(k);
  }
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cv);
  free(t);
  srv->tasks = NULL;
}

/* The DetailedTask of k (lock held): new. */
static json_t *detailed(const mcp_task *k, int with_outcome)
{
  char c[32], u[32];
  json_t *o;
  mcp_iso_utc(c, k->created);
  mcp_iso_utc(u, k->updated);
  o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:i}", "taskId", k->id, "status", k->status, "createdAt", c,
                "lastUpdatedAt", u, "ttlMs", MCP_TASK_TTL_MS, "pollIntervalMs", MCP_TASK_POLL_MS);
  if (o && with_outcome) {
    if (!strcmp(k->status, "completed") && k->result)
      json_object_set(o, "result", k->result);
    if (!strcmp(k->status, "failed") && k->error)
      json_object_set(o, "error", k->error);
    if (!strcmp(k->status, "input_required") && k->pending)
      json_object_set(o, "inputRequests", k->pending);
  }
  return o;
}

static void *task_main(void *arg)
{
  mcp_task *k = arg;
  mcp_server *srv = k->srv;
  k->fn(srv, k->id, k->arg);
  if (k->arg_free)
    k->arg_free(k->arg);
  pthread_mutex_lock(&srv->tasks->mu);
  int open = !terminal(k->status);
  pthread_mutex_unlock(&srv->tasks->mu);
  if (open)
    mcp_task_fail(srv, k->id, MCP_JSONRPC_INTERNAL_ERROR, "the task ended without a result");
  pthread_mutex_lock(&srv->tasks->mu);
  k->done = 1;
  pthread_mutex_unlock(&srv->tasks->mu);
  return NULL;
}

/* Frees the ended tasks whose thread returned and that the Store keeps (tasks/get reads them
 * back) or whose ttl passed, so that the table never fills (lock held). */
static void prune_locked(struct mcp_tasks *t, int64_t now)
{
  mcp_task **pp = &t->head;
  while (*pp) {
    mcp_task *k = *pp;
    if (k->done && terminal(k->status) && (k->durable || now - k->created > MCP_TASK_TTL_MS)) {
      *pp = k->next;
      if (k->has_thread)
        pthread_join(k->th, NULL); /* returned already: its last act was to set done */
      json_decref(k->result);
      json_decref(k->error);
      json_decref(k->pending);
      json_decref(k->answers);
      free(k);
      t->n--;
    } else {
      pp = &k->next;
    }
  }
}

int mcp_task_start(mcp_server *srv, const char *owner, const char *tool, mcp_task_fn fn, void *arg,
                   void (*arg_free)(void *), json_t **created)
{
  struct mcp_tasks *t = srv ? srv->tasks : NULL;
  char uuid[SEAL_SOVEREIGN_ID];
  mcp_task *k;
  if (created)
    *created = NULL;
  if (!t || !fn || !created || !(k = calloc(1, sizeof *k))) {
    if (arg_free)
      arg_free(arg);
    return MCP_ERROR;
  }
  seal_uuid7(uuid);
  snprintf(k->id, sizeof k->id, "mcptask-%s", uuid);
  snprintf(k->owner, sizeof k->owner, "%s", owner ? owner : "");
  snprintf(k->tool, sizeof k->tool, "%s", tool ? tool : "");
  snprintf(k->status, sizeof k->status, "working");
  k->created = k->updated = mcp_now_ms();
  k->srv = srv;
  k->fn = fn;
  k->arg = arg;
  k->arg_free = arg_free;
  if (srv->store) { /* durable before CreateTaskResult: tasks/get answers from now on */
    store_job j = {.srv = srv, .k = k};
    ledger_err lerr;
    memset(&lerr, 0, sizeof lerr);
    if (ledger_tx(srv->store, open_fn, &j, &lerr) != LEDGER_OK) {
      mcp_log(MCP_LOG_ERROR, "task: cannot record it in the Store: %s", lerr.msg);
      free(k);
      if (arg_free)
        arg_free(arg);
      return MCP_ERROR;
    }
    k->durable = 1;
  }
  pthread_mutex_lock(&t->mu);
  if (t->n >= MAX_TASKS)
    prune_locked(t, k->created);
  if (t->stopping || t->n >= MAX_TASKS || atomic_load(&srv->shutting_down)) {
    pthread_mutex_unlock(&t->mu);
    snprintf(k->status, sizeof k->status, "failed");
    k->error = json_pack("{s:i,s:s}", "code", MCP_JSONRPC_INTERNAL_ERROR, "message",
                         "the server is shutting down or holds too many tasks");
    store_close(srv, k, NULL);
    json_decref(k->error);
    free(k);
    if (arg_free)
      arg_free(arg);
    return MCP_ECLOSED;
  }
  *created = detailed(k, 0);
  json_object_set_new(*created, "resultType", json_string("task"));
  k->next = t->head;
  t->head = k;
  t->n++;
  k->has_thread = pthread_create(&k->th, NULL, task_main, k) == 0;
  pthread_mutex_unlock(&t->mu);
  if (!k->has_thread)
    mcp_task_fail(srv, k->id, MCP_JSONRPC_INTERNAL_ERROR, "cannot start the task's thread");
  return MCP_OK;
}

/* Ends k with status st (lock taken here); result / error stolen. */
static void finish(mcp_server *srv, const char *id, const char *st, json_t *result, json_t *error)
{
  struct mcp_tasks *t = srv->tasks;
  mcp_task *k;
  pthread_mutex_lock(&t->mu);
  k = find_locked(t, id);
  if (!k || terminal(k->status)) {
    pthread_mutex_unlock(&t->mu);
    json_decref(result);
    json_decref(error);
    return;
  }
  snprintf(k->status, sizeof k->status, "%s", st);
  k->result = result;
  k->error = error;
  json_decref(k->pending);
  k->pending = NULL;
  k->updated = mcp_now_ms();
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
  store_close(srv, k, NULL); /* k stays in the table until the server is freed */
}

void mcp_task_complete(mcp_server *srv, const char *task_id, json_t *result)
{
  json_t *meta;
  if (!srv || !task_id) {
    json_decref(result);
    return;
  }
  if (json_is_object(result) && !json_object_get(result, "resultType"))
    json_object_set_new(result, "resultType", json_string("complete"));
  if ((meta = json_object_get(result, "_meta")))
    json_object_del(meta, "io.modelcontextprotocol/related-task");
  finish(srv, task_id, "completed", result, NULL);
}

void mcp_task_fail(mcp_server *srv, const char *task_id, int code, const char *message)
{
  if (srv && task_id)
    finish(srv, task_id, "failed", NULL,
           json_pack("{s:i,s:s}", "code", code, "message", message ? message : "failed"));
}

int mcp_task_cancelled(mcp_server *srv, const char *task_id)
{
  mcp_task *k;
  int c;
  if (!srv || !srv->tasks)
    return 1;
  pthread_mutex_lock(&srv->tasks->mu);
  k = find_locked(srv->tasks, task_id);
  c = !k || k->cancel || srv->tasks->stopping || atomic_load(&srv->shutting_down);
  pthread_mutex_unlock(&srv->tasks->mu);
  return c;
}

json_t *mcp_task_ask(mcp_server *srv, const char *task_id, json_t *requests, int timeout_ms)
{
  struct mcp_tasks *t = srv ? srv->tasks : NULL;
  struct timespec dl;
  json_t *out = NULL;
  mcp_task *k;
  if (!t || !json_object_size(requests)) {
    json_decref(requests);
    return NULL;
  }
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += timeout_ms / 1000;
  pthread_mutex_lock(&t->mu);
  k = find_locked(t, task_id);
  if (!k || terminal(k->status)) {
    pthread_mutex_unlock(&t->mu);
    json_decref(requests);
    return NULL;
  }
  json_decref(k->pending);
  json_decref(k->answers);
  k->pending = requests;
  k->answers = json_object();
  snprintf(k->status, sizeof k->status, "input_required");
  k->updated = mcp_now_ms();
  while (json_object_size(k->pending) && !k->cancel && !t->stopping &&
         !atomic_load(&srv->shutting_down)) {
    struct timespec slice; /* wakes every 250 ms to see a shutdown (SIGTERM drains sessions) */
    clock_gettime(CLOCK_REALTIME, &slice);
    slice.tv_nsec += 250000000L;
    if (slice.tv_nsec >= 1000000000L) {
      slice.tv_sec++;
      slice.tv_nsec -= 1000000000L;
    }
    if (slice.tv_sec > dl.tv_sec || (slice.tv_sec == dl.tv_sec && slice.tv_nsec > dl.tv_nsec))
      slice = dl;
    if (pthread_cond_timedwait(&t->cv, &t->mu, &slice) == ETIMEDOUT &&
        (slice.tv_sec == dl.tv_sec && slice.tv_nsec == dl.tv_nsec))
      break;
  }
  if (!json_object_size(k->pending) && !k->cancel && !terminal(k->status)) {
    out = k->answers;
    k->answers = NULL;
    snprintf(k->status, sizeof k->status, "working");
    k->updated = mcp_now_ms();
  }
  pthread_mutex_unlock(&t->mu);
  return out;
}

/* ---- tasks/get, tasks/update, tasks/cancel ------------------------------------------------- */

json_t *mcp__tasks_request(mcp_req *r, int *code, char *msg, size_t cap, json_t **data)
{
  mcp_server *srv = r->s->srv;
  struct mcp_tasks *t = srv->tasks;
  const char *id = json_string_value(json_object_get(r->params, "taskId"));
  json_t *res = NULL;
  mcp_task *k, snap;
  int close_now = 0, found;
  if (!r->modern || !mcp_task_client_supports(r->params)) {
    *code = MCP_ERR_MISSING_CAPABILITY;
    snprintf(msg, cap,
             "Missing required client capability: extensions[\"%s\"] (declare it in "
             "_meta clientCapabilities to use %s)",
             MCP_TASKS_EXTENSION, r->method);
    *data = json_pack("{s:{s:{s:{}}}}", "requiredCapabilities", "extensions", MCP_TASKS_EXTENSION);
    return NULL;
  }
  if (!id) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "Invalid params: %s needs params.taskId (string)", r->method);
    return NULL;
  }
  pthread_mutex_lock(&t->mu);
  k = find_locked(t, id);
  if (k && strcmp(k->owner, r->s->caller.id) != 0)
    k = NULL; /* another caller's task does not exist for this one */
  if (k && !strcmp(r->method, "tasks/get")) {
    res = detailed(k, 1);
  } else if (k && !strcmp(r->method, "tasks/update")) {
    const json_t *ans = json_object_get(r->params, "inputResponses");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)ans, key, v) {
      if (k->pending && json_object_get(k->pending, key)) {
        json_object_set(k->answers, key, v);
        json_object_del(k->pending, key);
      }
    }
    k->updated = mcp_now_ms();
    pthread_cond_broadcast(&t->cv);
    res = json_object();
  } else if (k) { /* tasks/cancel: an ack; idempotent on a terminal task */
    k->cancel = 1;
    if (!terminal(k->status)) {
      snprintf(k->status, sizeof k->status, "cancelled");
      k->updated = mcp_now_ms();
      json_decref(k->pending);
      k->pending = NULL;
      snap = *k; /* closed in the Store below, outside the lock */
      snap.result = snap.error = snap.pending = snap.answers = NULL;
      close_now = 1;
    }
    pthread_cond_broadcast(&t->cv);
    res = json_object();
  }
  found = k != NULL;
  pthread_mutex_unlock(&t->mu);
  if (close_now)
    store_close(srv, &snap, NULL);
  if (!found && !strcmp(r->method, "tasks/get"))
    res = from_store(srv, id, r->s->caller.id);
  if (!res && !found) {
    *code = MCP_JSONRPC_INVALID_PARAMS;
    snprintf(msg, cap, "Invalid params: unknown taskId %.100s", id);
  }
  return res;
}
