/* SPDX-License-Identifier: Apache-2.0
 * tools/resources.c — the motebit resources and prompts as motebit's reference server offers them
 * (reference/motebit.md §6.4, spec/mcp.md §5): motebit://identity (the node's signed motebit.md,
 * which `workledger verify` accepts), motebit://state (who this agent is and what its ledger says
 * of its work) and motebit://memories (newest first, privacy-filtered: only sensitivity `none`,
 * never personal, medical, financial or secret, as the reference filters it); prompts `chat`
 * {message}, `recall` {query, limit?} and `reflect`, built from the same memories and the same
 * floor as motebit_recall. Reads record nothing; the core serves them (mcp/resources.c). */
#include "config/config.h"
#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "mcp/tool.h"
#include "tools/tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMORIES_SHOWN 100 /* motebit://memories: newest first, at most this many */
#define REFLECT_MEMORIES 20

static const char *const public_only[] = {"none", NULL};

static int dump_to(json_t *v, char **text_out, char *err, size_t errlen)
{
  *text_out = v ? seal_json_dumps(v, JSON_COMPACT) : NULL;
  json_decref(v);
  if (!*text_out) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

static int identity_read(mcp_ctx *ctx, char **text_out, char *err, size_t errlen)
{
  const char *md = mcp_ctx_identity_file(ctx);
  if (!md) {
    snprintf(err, errlen, "motebit://identity: this server was started without an identity file");
    return 1;
  }
  if (!(*text_out = strdup(md))) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

static int state_read(mcp_ctx *ctx, char **text_out, char *err, size_t errlen)
{
  const json_t *chat = mcp_config_chat(mcp_ctx_config(ctx));
  ledger *store = mcp_ctx_store(ctx);
  ledger_task_stats ts;
  ledger_err lerr;
  json_t *st = json_pack("{s:s,s:s,s:s,s:s,s:s}", "motebit_id", mcp_ctx_motebit_id(ctx),
                         "device_id", mcp_ctx_device_id(ctx), "did", mcp_ctx_did(ctx), "public_key",
                         seal_key_pk_hex(mcp_ctx_key(ctx)), "motebit_type", mcp_ctx_profile(ctx));
  if (!st)
    return dump_to(NULL, text_out, err, errlen);
  json_object_set_new(st, "chat_backend",
                      chat ? json_string(mcp_config_str(chat, "type", "")) : json_null());
  json_object_set_new(st, "store", json_boolean(store != NULL));
  memset(&lerr, 0, sizeof lerr);
  if (store && ledger_task_stats_get(store, mcp_ctx_motebit_id(ctx), &ts, &lerr) == LEDGER_OK)
    json_object_set_new(st, "tasks",
                        json_pack("{s:I,s:I,s:I}", "completed", (json_int_t)ts.completed, "failed",
                                  (json_int_t)ts.failed, "denied", (json_int_t)ts.denied));
  return dump_to(st, text_out, err, errlen);
}

/* The memories anyone may see: sensitivity none, newest first, {content, confidence, created_at}
 * (confidence 0..1). *out new. */
static int public_memories(mcp_ctx *ctx, int limit, json_t **out, char *err, size_t errlen)
{
  ledger *store = mcp_ctx_store(ctx);
  json_t *rows = NULL, *row;
  ledger_err lerr;
  size_t i;
  *out = json_array();
  if (!*out || !store)
    return *out ? 0 : -1;
  memset(&lerr, 0, sizeof lerr);
  if (ledger_memory_list(store, public_only, limit, &rows, &lerr) != LEDGER_OK) {
    snprintf(err, errlen, "memories unreadable: %s", lerr.msg);
    return -1;
  }
  json_array_foreach(rows, i, row)
    json_array_append_new(
        *out, json_pack("{s:O,s:f,s:O}", "content", json_object_get(row, "content"), "confidence",
                        json_integer_value(json_object_get(row, "confidence")) / 100.0,
                        "created_at", json_object_get(row, "created_at")));
  json_decref(rows);
  return 0;
}

static int memories_read(mcp_ctx *ctx, char **text_out, char *err, size_t errlen)
{
  json_t *list;
  if (public_memories(ctx, MEMORIES_SHOWN, &list, err, errlen) != 0)
    return -1;
  return dump_to(list, text_out, err, errlen);
}

const mcp_resource_impl tools_resources[] = {
    {"motebit://identity", "identity", "Identity file",
     "This agent's signed motebit.md identity file (verify it with `workledger verify`)",
     "text/markdown", identity_read, NULL, NULL, NULL, NULL},
    {"motebit://state", "state", "Agent state",
     "Who this agent is (motebit_id, did, public key, type) and what its ledger says of its tasks",
     "application/json", state_read, NULL, NULL, NULL, NULL},
    {"motebit://memories", "memories", "Memories",
     "This agent's memories of sensitivity none, newest first: [{content, confidence, created_at}]",
     "application/json", memories_read, NULL, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

/* ---- prompts ---------------------------------------------------------------------------------- */

/* [{role: user, content: {type: text, text}}] (new), NULL on out of memory. */
static json_t *user_message(const char *text)
{
  return json_pack("[{s:s,s:{s:s,s:s}}]", "role", "user", "content", "type", "text", "text", text);
}

/* "- content (confidence 0.87)\n" lines of a memory list into a new string. */
static char *memory_lines(const json_t *list)
{
  size_t i, cap = 64, n = 0;
  json_t *m;
  char *s;
  json_array_foreach(list, i, m)
    cap += json_string_length(json_object_get(m, "content")) + 40;
  if (!(s = malloc(cap)))
    return NULL;
  s[0] = '\0';
  json_array_foreach(list, i, m)
    n += (size_t)snprintf(s + n, cap - n, "- %s (confidence %.2f)\n",
                          json_string_value(json_object_get(m, "content")),
                          json_number_value(json_object_get(m, "confidence")));
  return s;
}

/* The user's text framed with what this agent remembers of it. */
static int framed(mcp_ctx *ctx, const char *intro, const json_t *mem, const char *tail,
                  json_t **messages_out, char *err, size_t errlen)
{
  char *lines = memory_lines(mem), *text;
  size_t n;
  if (!lines)
    goto oom;
  n = strlen(intro) + strlen(lines) + strlen(tail) + 256;
  if (!(text = malloc(n))) {
    free(lines);
    goto oom;
  }
  snprintf(text, n, "%s (motebit agent %s)\n%s%s%s", intro, mcp_ctx_motebit_id(ctx),
           lines[0] ? lines : "(nothing remembered)\n", tail[0] ? "\n" : "", tail);
  *messages_out = user_message(text);
  free(text);
  free(lines);
  if (*messages_out)
    return 0;
oom:
  snprintf(err, errlen, "out of memory");
  return -1;
}

static int chat_get(mcp_ctx *ctx, const json_t *args, json_t **messages_out, char *err,
                    size_t errlen)
{
  const char *message = json_string_value(json_object_get(args, "message"));
  json_t *mem = NULL;
  int rc;
  if (tools_memory_recall(ctx, message, 5, &mem, err, errlen) != 0)
    return -1;
  rc = framed(ctx, "What you remember that may be relevant", mem, message, messages_out, err,
              errlen);
  json_decref(mem);
  return rc;
}

static int recall_get(mcp_ctx *ctx, const json_t *args, json_t **messages_out, char *err,
                      size_t errlen)
{
  const char *query = json_string_value(json_object_get(args, "query"));
  const char *ls = json_string_value(json_object_get(args, "limit"));
  char intro[600], *end = NULL;
  long limit = ls ? strtol(ls, &end, 10) : 10;
  json_t *mem = NULL;
  int rc;
  if (ls && (end == ls || *end || limit < 1 || limit > 100)) {
    snprintf(err, errlen, "limit must be an integer 1..100");
    return -1;
  }
  if (tools_memory_recall(ctx, query, (int)limit, &mem, err, errlen) != 0)
    return -1;
  snprintf(intro, sizeof intro, "Memories recalled for \"%.400s\"", query);
  rc = framed(ctx, intro, mem, "", messages_out, err, errlen);
  json_decref(mem);
  return rc;
}

static int reflect_get(mcp_ctx *ctx, const json_t *args, json_t **messages_out, char *err,
                       size_t errlen)
{
  json_t *mem = NULL;
  int rc;
  (void)args;
  if (public_memories(ctx, REFLECT_MEMORIES, &mem, err, errlen) != 0)
    return -1;
  rc = framed(ctx, "Your most recent memories", mem,
              "Reflect on them: what patterns do you see, what is stale or contradictory, and "
              "what should be remembered differently?",
              messages_out, err, errlen);
  json_decref(mem);
  return rc;
}

static const mcp_prompt_arg chat_args[] = {{"message", "What to say to the agent", 1},
                                           {NULL, NULL, 0}};
static const mcp_prompt_arg recall_args[] = {{"query", "Words to search the memories for", 1},
                                             {"limit", "How many memories at most (1..100)", 0},
                                             {NULL, NULL, 0}};

const mcp_prompt_impl tools_prompts[] = {
    {"chat", "Chat with the agent", "The message, with the memories relevant to it", chat_args,
     chat_get},
    {"recall", "Recall memories", "The agent's memories that match a query", recall_args,
     recall_get},
    {"reflect", "Reflect", "Reflect on the agent's recent memories", NULL, reflect_get},
    {NULL, NULL, NULL, NULL, NULL},
};

const mcp_resource_impl *const tools_resource_groups[] = {tools_resources, tools_ledger_resources,
                                                          NULL};
const mcp_prompt_impl *const tools_prompt_groups[] = {tools_prompts, tools_work_prompts, NULL};
