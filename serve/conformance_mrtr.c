/* SPDX-License-Identifier: Apache-2.0
 * serve/conformance_mrtr.c — the multi-round-trip fixtures of the conformance suite (SEP-2322,
 * 2026-07-28 only): tools test_input_required_result_* and test_streaming_elicitation, and the
 * prompt test_input_required_result_prompt. Round 1 answers an InputRequiredResult; the retry
 * carries inputResponses (and the requestState, sealed and checked by the core's
 * mcp_state_seal / mcp_state_open, bound to the caller). A state that fails its check is a
 * -32602 error; missing answers are asked again. Test scaffolding behind --conformance only. */
#include "serve/conformance_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURPOSE "conformance"

static json_t *string_schema(const char *prop)
{
  return json_pack("{s:s,s:{s:{s:s}},s:[s]}", "type", "object", "properties", prop, "type",
                   "string", "required", prop);
}

static json_t *sampling_req(const char *text, int max_tokens)
{
  return json_pack("{s:s,s:{s:[{s:s,s:{s:s,s:s}}],s:i}}", "method", "sampling/createMessage",
                   "params", "messages", "role", "user", "content", "type", "text", "text", text,
                   "maxTokens", max_tokens);
}

static json_t *roots_req(void)
{
  return json_pack("{s:s,s:{}}", "method", "roots/list", "params");
}

/* An answer: only an object counts (anything else is asked again). */
static const json_t *answer(const conf_call *c, const char *key)
{
  const json_t *a = json_object_get(json_object_get(c->params, "inputResponses"), key);
  return json_is_object(a) ? a : NULL;
}

/* inputResponses present but not an object: a protocol error (answered, returns 1). */
static int bad_responses(const conf_call *c)
{
  const json_t *ir = json_object_get(c->params, "inputResponses");
  if (!ir || json_is_object(ir))
    return 0;
  conf_error(c->emit, c->payload, c->id, MCP_JSONRPC_INVALID_PARAMS,
             "Invalid params: inputResponses must be an object of responses", NULL);
  return 1;
}

static const char *answer_field(const conf_call *c, const char *key, const char *field)
{
  return json_string_value(json_object_get(json_object_get(answer(c, key), "content"), field));
}

/* Sends an InputRequiredResult (requests stolen) with a sealed state (borrowed, NULL = none). */
static void ask(const conf_call *c, json_t *requests, const json_t *state)
{
  char *sealed = state ? mcp_state_seal(c->srv, c->caller, PURPOSE, state) : NULL;
  json_t *res = mcp_input_required(requests, sealed);
  free(sealed);
  conf_result(c->emit, c->payload, c->id, res, 1, 0);
}

/* The state of a retry: new object, or NULL after answering -32602. */
static json_t *state_or_fail(const conf_call *c, const char *tool)
{
  const char *tok = json_string_value(json_object_get(c->params, "requestState"));
  json_t *st = tok ? mcp_state_open(c->srv, c->caller, PURPOSE, tok) : NULL;
  const char *t = json_string_value(json_object_get(st, "tool"));
  if (!st || !t || strcmp(t, tool) != 0) {
    json_decref(st);
    conf_error(c->emit, c->payload, c->id, MCP_JSONRPC_INVALID_PARAMS,
               "Invalid params: requestState failed its integrity check", NULL);
    return NULL;
  }
  return st;
}

static json_t *tool_state(const char *tool, int round)
{
  return json_pack("{s:s,s:i}", "tool", tool, "round", round);
}

static int one_elicit(const conf_call *c, const char *tool, const char *key, const char *msg,
                      const char *prop, int with_state)
{
  char t[400];
  if (!answer(c, key)) {
    json_t *st = with_state ? tool_state(tool, 1) : NULL;
    ask(c, json_pack("{s:o}", key, mcp_elicit_request(msg, string_schema(prop))), st);
    json_decref(st);
    return 1;
  }
  if (with_state) {
    json_t *st = state_or_fail(c, tool);
    if (!st)
      return 1;
    json_decref(st);
  }
  if (!strcmp(key, "user_name"))
    snprintf(t, sizeof t, "Hello, %.200s!",
             answer_field(c, key, prop) ? answer_field(c, key, prop) : "?");
  else
    snprintf(t, sizeof t, "state-ok: %s received", key);
  conf_text_result(c, t);
  return 1;
}

static int multi_round(const conf_call *c, const char *tool)
{
  json_t *st;
  int round;
  char t[400];
  if (!json_object_get(c->params, "requestState")) {
    st = tool_state(tool, 1);
    ask(c,
        json_pack("{s:o}", "step1",
                  mcp_elicit_request("Step 1: What is your name?", string_schema("name"))),
        st);
    json_decref(st);
    return 1;
  }
  if (!(st = state_or_fail(c, tool)))
    return 1;
  round = (int)json_integer_value(json_object_get(st, "round"));
  if (round == 1 && answer(c, "step1")) {
    json_t *n = json_pack("{s:s,s:i,s:s}", "tool", tool, "round", 2, "name",
                          answer_field(c, "step1", "name") ? answer_field(c, "step1", "name")
                                                           : "?");
    ask(c,
        json_pack("{s:o}", "step2",
                  mcp_elicit_request("Step 2: What is your favorite color?",
                                     string_schema("color"))),
        n);
    json_decref(n);
  } else if (round == 2 && answer(c, "step2")) {
    const char *color = answer_field(c, "step2", "color");
    snprintf(t, sizeof t, "%.100s likes %.100s", json_string_value(json_object_get(st, "name")),
             color ? color : "?");
    conf_text_result(c, t);
  } else {
    ask(c,
        json_pack("{s:o}", round == 1 ? "step1" : "step2",
                  mcp_elicit_request("Please answer", string_schema("name"))),
        st);
  }
  json_decref(st);
  return 1;
}

static int multiple(const conf_call *c, const char *tool)
{
  json_t *st;
  if (!answer(c, "user_name") || !answer(c, "greeting") || !answer(c, "client_roots")) {
    st = tool_state(tool, 1);
    ask(c,
        json_pack("{s:o,s:o,s:o}", "user_name",
                  mcp_elicit_request("What is your name?", string_schema("name")), "greeting",
                  sampling_req("Generate a greeting", 50), "client_roots", roots_req()),
        st);
    json_decref(st);
    return 1;
  }
  if (!(st = state_or_fail(c, tool)))
    return 1;
  json_decref(st);
  conf_text_result(c, "All three inputs received");
  return 1;
}

static int capabilities(const conf_call *c)
{
  const json_t *caps = json_object_get(json_object_get(c->params, "_meta"),
                                       "io.modelcontextprotocol/clientCapabilities");
  json_t *req = json_object();
  if (json_object_size(json_object_get(c->params, "inputResponses"))) {
    json_decref(req);
    conf_text_result(c, "inputs received");
    return 1;
  }
  if (mcp_caps_has(caps, "elicitation"))
    json_object_set_new(req, "user_name",
                        mcp_elicit_request("What is your name?", string_schema("name")));
  if (mcp_caps_has(caps, "sampling"))
    json_object_set_new(req, "capital_question",
                        sampling_req("What is the capital of France?", 100));
  if (mcp_caps_has(caps, "roots"))
    json_object_set_new(req, "client_roots", roots_req());
  if (!json_object_size(req)) {
    json_decref(req);
    conf_text_result(c, "the client declared no capability to ask through");
    return 1;
  }
  ask(c, req, NULL);
  return 1;
}

int conf_mrtr_call(const conf_call *c, const char *name)
{
  char t[600];
  if (!c->modern || strncmp(name, "test_", 5) != 0)
    return 0;
  if ((!strncmp(name, "test_input_required_result_", 27) ||
       !strcmp(name, "test_streaming_elicitation")) &&
      bad_responses(c))
    return 1;
  if (!strcmp(name, "test_input_required_result_elicitation"))
    return one_elicit(c, name, "user_name", "What is your name?", "name", 0);
  if (!strcmp(name, "test_streaming_elicitation"))
    return one_elicit(c, name, "user_name", "What is your name?", "name", 0);
  if (!strcmp(name, "test_input_required_result_request_state") ||
      !strcmp(name, "test_input_required_result_tampered_state")) {
    if (!answer(c, "confirm")) {
      json_t *st = tool_state(name, 1);
      ask(c,
          json_pack("{s:o}", "confirm",
                    mcp_elicit_request("Please confirm",
                                       json_pack("{s:s,s:{s:{s:s}},s:[s]}", "type", "object",
                                                 "properties", "ok", "type", "boolean", "required",
                                                 "ok"))),
          st);
      json_decref(st);
      return 1;
    }
    return one_elicit(c, name, "confirm", "", "ok", 1);
  }
  if (!strcmp(name, "test_input_required_result_sampling")) {
    const json_t *a = answer(c, "capital_question");
    if (!a) {
      ask(c,
          json_pack("{s:o}", "capital_question",
                    sampling_req("What is the capital of France?", 100)),
          NULL);
      return 1;
    }
    snprintf(t, sizeof t, "Sampling answer: %.400s",
             json_string_value(json_object_get(json_object_get(a, "content"), "text"))
                 ? json_string_value(json_object_get(json_object_get(a, "content"), "text"))
                 : "(no text)");
    conf_text_result(c, t);
    return 1;
  }
  if (!strcmp(name, "test_input_required_result_list_roots")) {
    const json_t *roots = json_object_get(answer(c, "client_roots"), "roots");
    if (!json_is_array(roots)) {
      ask(c, json_pack("{s:o}", "client_roots", roots_req()), NULL);
      return 1;
    }
    snprintf(t, sizeof t, "Roots: %zu, first %.400s", json_array_size(roots),
             json_string_value(json_object_get(json_array_get(roots, 0), "uri"))
                 ? json_string_value(json_object_get(json_array_get(roots, 0), "uri"))
                 : "(none)");
    conf_text_result(c, t);
    return 1;
  }
  if (!strcmp(name, "test_input_required_result_multiple_inputs"))
    return multiple(c, name);
  if (!strcmp(name, "test_input_required_result_multi_round"))
    return multi_round(c, name);
  if (!strcmp(name, "test_input_required_result_capabilities"))
    return capabilities(c);
  return 0;
}

int conf_mrtr_prompt(const conf_call *c, const char *name)
{
  char t[400];
  const char *ctx;
  if (!c->modern || strcmp(name, "test_input_required_result_prompt") != 0)
    return 0;
  if (bad_responses(c))
    return 1;
  if (!answer(c, "user_context")) {
    ask(c,
        json_pack("{s:o}", "user_context",
                  mcp_elicit_request("What context should the prompt use?",
                                     string_schema("context"))),
        NULL);
    return 1;
  }
  ctx = answer_field(c, "user_context", "context");
  snprintf(t, sizeof t, "Prompt with context: %.300s", ctx ? ctx : "(none)");
  conf_result(c->emit, c->payload, c->id,
              json_pack("{s:[{s:s,s:o}]}", "messages", "role", "user", "content",
                        conf_text_block(t)),
              1, 0);
  return 1;
}

static json_t *listing(const char *name, const char *desc)
{
  return json_pack("{s:s,s:s,s:{s:s,s:{}}}", "name", name, "description", desc, "inputSchema",
                   "type", "object", "properties");
}

void conf_mrtr_tools(json_t *list)
{
  static const char *const names[][2] = {
      {"test_input_required_result_elicitation", "MRTR: asks the user's name"},
      {"test_input_required_result_sampling", "MRTR: asks the client's model"},
      {"test_input_required_result_list_roots", "MRTR: asks the client's roots"},
      {"test_input_required_result_request_state", "MRTR: round-trips a sealed requestState"},
      {"test_input_required_result_multiple_inputs", "MRTR: three input requests at once"},
      {"test_input_required_result_multi_round", "MRTR: two rounds, evolving requestState"},
      {"test_input_required_result_tampered_state", "MRTR: refuses an altered requestState"},
      {"test_input_required_result_capabilities", "MRTR: asks only what the client declared"},
      {"test_streaming_elicitation", "MRTR: elicitation as an InputRequiredResult, no request"},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    json_array_append_new(list, listing(names[i][0], names[i][1]));
}

void conf_mrtr_prompts(json_t *list)
{
  json_array_append_new(list,
                        json_pack("{s:s,s:s,s:s}", "name", "test_input_required_result_prompt",
                                  "title", "MRTR prompt", "description",
                                  "A prompt that asks the user for context first"));
}
