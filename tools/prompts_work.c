/* SPDX-License-Identifier: Apache-2.0
 * tools/prompts_work.c — the prompts an agent uses with the ledger (spec/mcp.md §5.2):
 * start_work (claim and run a piece of Motus work, with the open runs as context), summarise_run
 * (a run and its events, to be summarised) and review_approvals (the pending approvals, to be
 * reviewed with the operator). They read the Store through the ledger API and hand back one
 * user message each; arguments complete through completion/complete (run ids, work ids, lease
 * ids, tool names; mcp/complete.c). Reads only: nothing is recorded. */
#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "tools/tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_EVENTS_MAX 50
#define LIST_MAX 20

static json_t *user_message(const char *text)
{
  return json_pack("[{s:s,s:{s:s,s:s}}]", "role", "user", "content", "type", "text", "text", text);
}

/* Appends to a growing text (*buf of *cap bytes); 0 or -1 out of memory. */
static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
  size_t n = strlen(s);
  if (*len + n + 1 > *cap) {
    size_t nc = (*len + n + 1) * 2;
    char *nb = realloc(*buf, nc);
    if (!nb)
      return -1;
    *buf = nb;
    *cap = nc;
  }
  memcpy(*buf + *len, s, n + 1);
  *len += n;
  return 0;
}

static int finish(char *text, json_t **messages_out, char *err, size_t errlen)
{
  *messages_out = text ? user_message(text) : NULL;
  free(text);
  if (*messages_out)
    return 0;
  snprintf(err, errlen, "out of memory");
  return -1;
}

static int start_get(mcp_ctx *ctx, const json_t *args, json_t **messages_out, char *err,
                     size_t errlen)
{
  const char *goal = json_string_value(json_object_get(args, "goal"));
  const char *work = json_string_value(json_object_get(args, "work_id"));
  json_t *runs = NULL, *v;
  char line[700], *buf = NULL;
  size_t len = 0, cap = 0, i;
  if (mcp_ctx_store(ctx) &&
      ledger_run_list(mcp_ctx_store(ctx), 1, LIST_MAX, &runs, NULL) != LEDGER_OK)
    runs = NULL;
  snprintf(line, sizeof line, "Start a piece of work on the ledger of motebit %s.\nGoal: %.400s\n",
           mcp_ctx_motebit_id(ctx), goal ? goal : "");
  append(&buf, &len, &cap, line);
  snprintf(line, sizeof line,
           "Claim it with motus_work_claim (work_id \"%.200s\"), record evidence with "
           "motus_work_evidence as you go, renew the lease with motus_work_renew on long work, "
           "and end with motus_work_release and motus_work_decision.\nOpen runs now:\n",
           work ? work : "<choose a work id>");
  append(&buf, &len, &cap, line);
  json_array_foreach(runs, i, v) {
    snprintf(line, sizeof line, "- %s (work %s, since %s)\n",
             json_string_value(json_object_get(v, "run_id")),
             json_string_value(json_object_get(v, "work_id"))
                 ? json_string_value(json_object_get(v, "work_id"))
                 : "-",
             json_string_value(json_object_get(v, "started_at")));
    append(&buf, &len, &cap, line);
  }
  if (!json_array_size(runs))
    append(&buf, &len, &cap, "(none)\n");
  json_decref(runs);
  return finish(buf, messages_out, err, errlen);
}

static int summarise_get(mcp_ctx *ctx, const json_t *args, json_t **messages_out, char *err,
                         size_t errlen)
{
  const char *id = json_string_value(json_object_get(args, "run_id"));
  json_t *run = NULL, *events = NULL, *v;
  char line[900], *buf = NULL, *rt;
  size_t len = 0, cap = 0, i;
  if (!mcp_ctx_store(ctx) || ledger_run_get(mcp_ctx_store(ctx), id, &run, NULL) != LEDGER_OK ||
      ledger_run_events(mcp_ctx_store(ctx), id, &events, NULL) != LEDGER_OK) {
    json_decref(run);
    snprintf(err, errlen, "no run %.200s in this Store", id);
    return -1;
  }
  rt = seal_json_dumps(run, JSON_COMPACT);
  snprintf(line, sizeof line,
           "Summarise this run of the Motus Work Ledger: what was done, by "
           "whom, with what evidence and outcome.\nRun: %.700s\nEvents:\n",
           rt ? rt : "{}");
  free(rt);
  append(&buf, &len, &cap, line);
  json_array_foreach(events, i, v) {
    char *pt;
    if (i >= RUN_EVENTS_MAX) {
      append(&buf, &len, &cap, "(more events not shown)\n");
      break;
    }
    pt = seal_json_dumps(json_object_get(v, "payload"), JSON_COMPACT);
    snprintf(line, sizeof line, "%lld %s %s %.600s\n",
             (long long)json_integer_value(json_object_get(v, "seq")),
             json_string_value(json_object_get(v, "occurred_at")),
             json_string_value(json_object_get(v, "event_kind")), pt ? pt : "{}");
    free(pt);
    append(&buf, &len, &cap, line);
  }
  json_decref(run);
  json_decref(events);
  return finish(buf, messages_out, err, errlen);
}

static int review_get(mcp_ctx *ctx, const json_t *args, json_t **messages_out, char *err,
                      size_t errlen)
{
  const char *tool = json_string_value(json_object_get(args, "tool_name"));
  json_t *list = NULL, *v;
  char line[800], *buf = NULL;
  size_t len = 0, cap = 0, i;
  int n = 0;
  if (mcp_ctx_store(ctx) &&
      ledger_approval_list(mcp_ctx_store(ctx), "pending", &list, NULL) != LEDGER_OK)
    list = NULL;
  append(&buf, &len, &cap,
         "Review these pending approvals with the operator: for each, say what the call would "
         "do and its risk; the operator decides with `workledger approve ID` or `workledger deny "
         "ID --reason R`.\n");
  json_array_foreach(list, i, v) {
    const char *t = json_string_value(json_object_get(v, "tool"));
    char *at;
    if (tool && (!t || strcmp(t, tool) != 0))
      continue;
    if (++n > LIST_MAX)
      break;
    at = seal_json_dumps(v, JSON_COMPACT);
    snprintf(line, sizeof line, "- %.700s\n", at ? at : "{}");
    free(at);
    append(&buf, &len, &cap, line);
  }
  if (!n)
    append(&buf, &len, &cap, "(no pending approval)\n");
  json_decref(list);
  return finish(buf, messages_out, err, errlen);
}

static const mcp_prompt_arg start_args[] = {{"goal", "What the work should achieve", 1},
                                            {"work_id", "The Motus work id to claim", 0},
                                            {NULL, NULL, 0}};
static const mcp_prompt_arg summarise_args[] = {{"run_id", "The run to summarise", 1},
                                                {NULL, NULL, 0}};
static const mcp_prompt_arg review_args[] = {{"tool_name", "Only approvals for this tool", 0},
                                             {NULL, NULL, 0}};

const mcp_prompt_impl tools_work_prompts[] = {
    {"start_work", "Start a piece of work", "Claim and run a piece of Motus work on this ledger",
     start_args, start_get},
    {"summarise_run", "Summarise a run", "A run and its events, to be summarised", summarise_args,
     summarise_get},
    {"review_approvals", "Review pending approvals", "The pending approvals, to be reviewed",
     review_args, review_get},
    {NULL, NULL, NULL, NULL, NULL},
};
