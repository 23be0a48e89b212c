/* SPDX-License-Identifier: Apache-2.0
 * tools/chat.c — motebit_query {message} → {response, memories_formed} (spec/mcp.md §3.6), served
 * by executors.chat when it is configured: `openai` (an OpenAI-compatible chat-completions
 * endpoint through client/llm.h, its answer streamed back as progress), `sampling` (the calling
 * client's own model through sampling/createMessage) or `command` (the command executor of
 * motebit_task, the prompt on stdin). The memories relevant to the message (motebit_recall's
 * ranking and sensitivity floor, at most recall_limit) go into the system prompt; the answer may
 * carry motebit memory tags (<memory confidence="0.9" sensitivity="none">fact</memory>), which
 * are taken out of the response, stored as memories (at the operator's memory_sensitivity, never
 * medical, financial or secret) and counted in memories_formed. The exchange is one
 * chat.exchanged event in the session run, and it, the memories and the call record commit in one
 * transaction after the backend answered. The API key is read from the environment variable the
 * config names, per call, and is never logged or recorded. */
#include "client/llm.h"
#include "config/config.h"
#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "mcp/tool.h"
#include "tools/chat_tags.h"
#include "tools/executor.h"
#include "tools/tools.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAT_MAX_MEMORIES 16                /* memory tags stored from one answer at most */
#define CHAT_MEMORY_MAX_BYTES 4096          /* a longer memory tag is cut at a character boundary */
#define CHAT_STREAM_PENDING_MAX (64 * 1024) /* undecided streamed bytes relayed at most */

/* ---- the prompt ------------------------------------------------------------------------------- */

/* The system prompt: who the agent is, the operator's text, the memories recalled, and how to
 * form new ones. New string (free()), NULL on out of memory. */
static char *system_prompt(mcp_ctx *ctx, const json_t *chat, const json_t *memories)
{
  const char *extra = mcp_config_str(chat, "system", NULL);
  size_t i, cap = 2048 + (extra ? strlen(extra) : 0), len = 0;
  json_t *m;
  char *s;
  json_array_foreach(memories, i, m)
    cap += json_string_length(json_object_get(m, "content")) + 64;
  if (!(s = malloc(cap)))
    return NULL;
  len += (size_t)snprintf(s + len, cap - len,
                          "You are the motebit agent %s (%s). %s%s\n\n"
                          "To remember a durable fact from this exchange, write it as "
                          "<memory confidence=\"0.0-1.0\" sensitivity=\"none\">the fact</memory>; "
                          "such tags are stored and hidden from the reply. Never put medical, "
                          "financial or secret information in a memory.\n",
                          mcp_ctx_motebit_id(ctx), mcp_ctx_did(ctx), extra ? extra : "",
                          extra ? "" : "Answer the user's message helpfully and concisely.");
  if (json_array_size(memories) > 0) {
    len += (size_t)snprintf(s + len, cap - len, "\nWhat you remember that may be relevant:\n");
    json_array_foreach(memories, i, m)
      len += (size_t)snprintf(s + len, cap - len, "- %s (confidence %.2f)\n",
                              json_string_value(json_object_get(m, "content")),
                              json_number_value(json_object_get(m, "confidence")));
  }
  return s;
}

/* ---- the three backends ----------------------------------------------------------------------- */

typedef struct chat_run {
  mcp_ctx *ctx;
  const json_t *chat;
  const char *message;
  char *system;
  char *reply;     /* the backend's raw answer (new) */
  char model[200]; /* the model that answered, "" when unknown */
  char error[480]; /* "Error: ..." when the backend failed */
  char *pend;      /* streamed text not yet decided (a tag may be open) */
  size_t plen, pcap;
  int pend_off, shown; /* relaying stopped; visible text relayed already */
} chat_run;

/* Relays the visible part of the answer as it streams: text inside tags (a memory's body
 * included) never reaches a progress message. */
static void on_delta(const char *text, size_t len, size_t total, void *payload)
{
  chat_run *cr = payload;
  size_t used, vlen, off = 0;
  char *vis, *np;
  (void)total;
  if (cr->pend_off || cr->plen + len > CHAT_STREAM_PENDING_MAX) {
    cr->pend_off = 1; /* a tag open for too long: stop relaying */
    return;
  }
  if (cr->plen + len + 1 > cr->pcap) {
    size_t cap = (cr->plen + len + 1) * 2;
    if (!(np = realloc(cr->pend, cap)))
      return;
    cr->pend = np;
    cr->pcap = cap;
  }
  memcpy(cr->pend + cr->plen, text, len);
  cr->plen += len;
  if (!(vis = malloc(cr->plen + 1)))
    return;
  used = chat_visible_step(cr->pend, cr->plen, vis, &vlen);
  memmove(cr->pend, cr->pend + used, cr->plen - used);
  cr->plen -= used;
  if (!cr->shown)
    while (off < vlen && isspace((unsigned char)vis[off]))
      off++;
  while (off < vlen) { /* one progress message per 511 bytes at most */
    size_t n = vlen - off < 511 ? vlen - off : 511;
    char piece[512];
    while (n > 1 && off + n < vlen && ((unsigned char)vis[off + n] & 0xC0) == 0x80)
      n--; /* keep UTF-8 sequences whole */
    memcpy(piece, vis + off, n);
    piece[n] = '\0';
    mcp_ctx_progress_step(cr->ctx, piece);
    cr->shown = 1;
    off += n;
  }
  free(vis);
}

static int cancelled(void *payload)
{
  return mcp_ctx_cancelled(((chat_run *)payload)->ctx);
}

static int run_openai(chat_run *cr)
{
  const json_t *chat = cr->chat;
  const char *key_env = mcp_config_str(chat, "api_key_env", NULL);
  const char *key = key_env ? getenv(key_env) : NULL;
  char *model = NULL, *secret = NULL;
  json_t *messages;
  mcp_client_err err;
  llm_opts o;
  int rc;
  if (key_env && (!key || !*key)) {
    snprintf(cr->error, sizeof cr->error,
             "Error: the chat endpoint's key is missing: set the environment variable %s "
             "(executors.chat.api_key_env) for the server",
             key_env);
    return -1;
  }
  if (key && !(secret = seal_secret_dup(key)))
    return -1;
  messages = json_pack("[{s:s,s:s},{s:s,s:s}]", "role", "system", "content", cr->system, "role",
                       "user", "content", cr->message);
  memset(&o, 0, sizeof o);
  o.base_url = mcp_config_str(chat, "url", "");
  o.model = mcp_config_str(chat, "model", "");
  o.api_key = secret;
  o.timeout_ms = (long)mcp_config_int(chat, "timeout_s", 120) * 1000;
  o.max_output = (size_t)mcp_config_int(chat, "max_output_bytes", 1024 * 1024);
  o.max_tokens = (int)mcp_config_int(chat, "max_tokens", 1024);
  o.on_delta = on_delta;
  o.cancelled = cancelled;
  o.payload = cr;
  memset(&err, 0, sizeof err);
  rc = messages ? llm_chat(&o, messages, &cr->reply, &model, &err) : MCP_CLIENT_ERROR;
  json_decref(messages);
  seal_secret_free(secret);
  if (rc != MCP_CLIENT_OK) {
    snprintf(cr->error, sizeof cr->error, "Error: %s",
             rc == MCP_CLIENT_ECANCELLED ? "query cancelled by the caller"
             : err.msg[0]                ? err.msg
                                         : "the chat endpoint failed");
    return -1;
  }
  snprintf(cr->model, sizeof cr->model, "%s", model ? model : o.model);
  free(model);
  return 0;
}

/* The text of a sampling result's content (a block, or an array of blocks in newer revisions). */
static const char *sampled_text(const json_t *result)
{
  const json_t *c = json_object_get(result, "content");
  if (json_is_array(c)) {
    size_t i;
    json_t *b;
    json_array_foreach(c, i, b)
      if (json_is_string(json_object_get(b, "text")) &&
          strcmp(mcp_config_str(b, "type", ""), "text") == 0)
        return json_string_value(json_object_get(b, "text"));
    return NULL;
  }
  if (strcmp(mcp_config_str(c, "type", ""), "text") != 0)
    return NULL;
  return json_string_value(json_object_get(c, "text"));
}

static int run_sampling(chat_run *cr)
{
  char why[300];
  const char *text, *model;
  json_t *params = json_pack("{s:[{s:s,s:{s:s,s:s}}],s:s,s:I,s:s}", "messages", "role", "user",
                             "content", "type", "text", "text", cr->message, "systemPrompt",
                             cr->system, "maxTokens",
                             (json_int_t)mcp_config_int(cr->chat, "max_tokens", 1024),
                             "includeContext", "none");
  json_t *res;
  if (!params)
    return -1;
  res = mcp_ctx_client_request(cr->ctx, "sampling", "sampling/createMessage", params,
                               (int)mcp_config_int(cr->chat, "timeout_s", 120) * 1000, why,
                               sizeof why);
  if (!res) {
    snprintf(cr->error, sizeof cr->error, "Error: executors.chat is \"sampling\", but %s", why);
    return -1;
  }
  text = sampled_text(res);
  if (!text || !*text) {
    snprintf(cr->error, sizeof cr->error,
             "Error: the client's sampling answer holds no text content");
    json_decref(res);
    return -1;
  }
  model = json_string_value(json_object_get(res, "model"));
  snprintf(cr->model, sizeof cr->model, "%s", model ? model : "");
  cr->reply = strdup(text);
  json_decref(res);
  return cr->reply ? 0 : -1;
}

static int run_command(chat_run *cr, const char *run_id)
{
  mcp_task task;
  mcp_route route;
  mcp_task_result res;
  size_t n = strlen(cr->system) + strlen(cr->message) + 16;
  char *prompt = malloc(n);
  int rc;
  if (!prompt)
    return -1;
  snprintf(prompt, n, "%s\nUser: %s\n", cr->system, cr->message);
  memset(&task, 0, sizeof task);
  memset(&route, 0, sizeof route);
  memset(&res, 0, sizeof res);
  task.task_id = mcp_ctx_invocation_id(cr->ctx);
  task.run_id = run_id;
  task.prompt = prompt;
  task.prompt_len = strlen(prompt);
  task.required_capabilities = json_array();
  task.submitted_at = mcp_now_ms();
  route.executor = &mcp_executor_command;
  route.spec = cr->chat;
  snprintf(route.name, sizeof route.name, "chat");
  rc = task.required_capabilities ? mcp_executor_command.run(cr->ctx, &task, &route, &res) : -1;
  json_decref((json_t *)task.required_capabilities);
  json_decref(res.tools_used);
  json_decref(res.delegation_receipts);
  free(prompt);
  if (rc == 0 && res.status == MCP_TASK_COMPLETED) {
    cr->reply = res.result;
    snprintf(cr->model, sizeof cr->model, "command");
    return 0;
  }
  snprintf(cr->error, sizeof cr->error, "%s",
           res.result ? res.result : "Error: the chat command failed");
  free(res.result);
  return -1;
}

/* ---- recording -------------------------------------------------------------------------------- */

typedef struct chat_job {
  const chat_answer *a;
  const char *session_run, *invocation_id, *executor, *model, *message;
  int recalled;
  char ids[CHAT_MAX_MEMORIES][LEDGER_ID_MAX];
  int stored;
} chat_job;

/* The memories the answer formed and the exchange's event, in the call's transaction. */
static int chat_tx(ledger_txn *t, void *payload, ledger_err *err)
{
  chat_job *j = payload;
  json_t *p, *ids = json_array();
  ledger_event_in ev;
  char key[96];
  int rc = LEDGER_OK;
  j->stored = 0;
  for (int i = 0; i < j->a->nmem && rc == LEDGER_OK; i++)
    if ((rc = ledger_txn_memory_put(t, j->a->mem[i].content, j->a->mem[i].sensitivity,
                                    j->a->mem[i].confidence, j->ids[i], err)) == LEDGER_OK) {
      j->stored++;
      json_array_append_new(ids, json_string(j->ids[i]));
    }
  if (rc || !j->session_run) {
    json_decref(ids);
    return rc;
  }
  p = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:o}", "invocation_id", j->invocation_id, "executor",
                j->executor, "model", j->model, "message", j->message, "response", j->a->text,
                "memories_recalled", j->recalled, "memories_formed", ids);
  if (!p)
    return LEDGER_ERROR;
  memset(&ev, 0, sizeof ev);
  ev.run_id = j->session_run;
  ev.event_kind = LEDGER_KIND_CHAT_EXCHANGED;
  snprintf(key, sizeof key, "%s:chat", j->invocation_id);
  ev.idempotency_key = key;
  ev.payload = p;
  rc = ledger_txn_event_append(t, &ev, NULL, err);
  json_decref(p);
  return rc;
}

/* ---- one exchange: recall, ask, take the tags, record ------------------------------------------ */

/* Runs `message` through executors.chat and records it into `run_id` (NULL: no event). On 0,
 * *response (new, free()) is the answer without its tags and *formed the memories stored; on -1
 * err holds the "Error: ..." text a model can act on. */
static int chat_exchange(mcp_ctx *ctx, const char *message, const char *run_id, char **response,
                         int *formed, char *err, size_t errlen)
{
  const json_t *chat = mcp_config_chat(mcp_ctx_config(ctx));
  const char *type = mcp_config_str(chat, "type", "");
  ledger *store = mcp_ctx_store(ctx);
  json_t *memories = NULL;
  chat_run cr;
  chat_answer a;
  chat_job j;
  ledger_err lerr;
  int rc = -1;

  *response = NULL;
  *formed = 0;
  memset(&cr, 0, sizeof cr);
  memset(&a, 0, sizeof a);
  cr.ctx = ctx;
  cr.chat = chat;
  cr.message = message;
  if (!chat || !message) {
    snprintf(err, errlen, "Error: this agent has no chat backend (executors.chat)");
    return -1;
  }
  if (tools_memory_recall(ctx, message, (int)mcp_config_int(chat, "recall_limit", 5), &memories,
                          err, errlen) != 0)
    return -1;
  if (!(cr.system = system_prompt(ctx, chat, memories)))
    goto out;
  rc = strcmp(type, "openai") == 0     ? run_openai(&cr)
       : strcmp(type, "sampling") == 0 ? run_sampling(&cr)
                                       : run_command(&cr, run_id);
  if (rc != 0 ||
      chat_answer_parse(&a, cr.reply, mcp_config_str(chat, "memory_sensitivity", "none"))) {
    snprintf(err, errlen, "%s", cr.error[0] ? cr.error : "Error: out of memory");
    rc = -1;
    goto out;
  }
  rc = -1;
  if (!a.text[0]) {
    snprintf(err, errlen,
             "Error: the chat backend's answer is empty once its memory tags are taken out");
    goto out;
  }
  if (a.dropped)
    mcp_ctx_log(ctx, MCP_LOG_WARNING,
                "motebit_query: %d memory tag(s) not stored (above the sensitivity floor or past "
                "%d per answer)",
                a.dropped, CHAT_MAX_MEMORIES);
  memset(&j, 0, sizeof j);
  j.a = &a;
  j.session_run = run_id;
  j.invocation_id = mcp_ctx_invocation_id(ctx);
  j.executor = type;
  j.model = cr.model;
  j.message = message;
  j.recalled = (int)json_array_size(memories);
  if (store) {
    (void)mcp_ctx_join_call_tx(ctx); /* memories, exchange and call record: one transaction */
    memset(&lerr, 0, sizeof lerr);
    if (ledger_tx(store, chat_tx, &j, &lerr) != LEDGER_OK) {
      snprintf(err, errlen, "Error: the exchange could not be recorded: %s",
               lerr.msg[0] ? lerr.msg : "Store error");
      goto out;
    }
    *formed = j.stored;
  }
  *response = a.text;
  a.text = NULL;
  rc = 0;
out:
  chat_answer_free(&a);
  free(cr.reply);
  free(cr.pend);
  free(cr.system);
  json_decref(memories);
  return rc;
}

/* ---- motebit_query ------------------------------------------------------------------------------ */

static int query_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  const char *run = mcp_ctx_session_run(ctx);
  char *response = NULL;
  int formed = 0;
  if (chat_exchange(ctx, json_string_value(json_object_get(args, "message")), run, &response,
                    &formed, out->error, sizeof out->error) != 0)
    return -1;
  if (run)
    snprintf(out->run_id, sizeof out->run_id, "%s", run);
  out->payload = json_pack("{s:s,s:i}", "response", response, "memories_formed", formed);
  free(response);
  return out->payload ? 0 : -1;
}

static int chat_available(const json_t *config)
{
  return mcp_config_chat(config) != NULL;
}

const mcp_tool_impl tools_chat[] = {
    {"motebit_query", query_fn, 0, chat_available, MCP_TOOL_LONG, NULL, NULL},
    {NULL, NULL, 0, NULL, 0, NULL, NULL},
};

/* ---- the `chat` executor of motebit_task --------------------------------------------------------- */

/* A task naming no capability, or only "chat", runs on the chat backend when no command or peer
 * took it (the router asks this executor last). */
static int chat_route(const json_t *config, const json_t *required, mcp_route *out)
{
  const json_t *chat = mcp_config_chat(config);
  size_t n = json_array_size(required);
  const char *only = n == 1 ? json_string_value(json_array_get(required, 0)) : NULL;
  if (!chat || n > 1 || (n == 1 && (!only || strcmp(only, "chat") != 0)))
    return 0;
  out->spec = chat;
  snprintf(out->name, sizeof out->name, "chat");
  return 1;
}

static int chat_task_run(mcp_ctx *ctx, const mcp_task *task, const mcp_route *route,
                         mcp_task_result *out)
{
  char err[512];
  int formed = 0;
  (void)route;
  out->tools_used = json_pack("[s]", "chat");
  if (strlen(task->prompt) != task->prompt_len) {
    out->status = MCP_TASK_FAILED;
    out->result = mcp_task_strf("Error: the prompt holds a NUL byte");
    return 0;
  }
  if (chat_exchange(ctx, task->prompt, task->run_id, &out->result, &formed, err, sizeof err) != 0) {
    out->status = MCP_TASK_FAILED;
    out->result = mcp_task_strf("%s", err);
    return out->result ? 0 : -1;
  }
  out->status = MCP_TASK_COMPLETED;
  out->memories_formed = formed;
  return 0;
}

const mcp_executor mcp_executor_chat = {"chat", chat_route, chat_task_run};
