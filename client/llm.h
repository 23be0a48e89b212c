/* SPDX-License-Identifier: Apache-2.0
 * client/llm.h — a client of OpenAI-compatible chat-completions endpoints (llama.cpp server,
 * Ollama, vLLM, hosted APIs), used by motebit_query's `openai` chat executor. One call POSTs
 * {model, messages, max_tokens, stream: true} to <base>/chat/completions and reads the
 * server-sent chunks (choices[0].delta.content) as they arrive, handing each piece of text to a
 * callback (progress), until `data: [DONE]` or the end of the stream; a server that answers with
 * one JSON completion instead is accepted too (choices[0].message.content). Every call has a
 * connect and a total timeout, a bound on the text and on the raw response, and an optional
 * cancellation hook. The API key is borrowed, placed only in the Authorization header of the
 * request (built in sodium_malloc memory) and never in a message. It moves no bytes itself
 * (transports/http_client.h does) and never writes stdout. Thread-safe: each call is separate.
 *
 * Errors: 0 (MCP_CLIENT_OK) or a negative mcp_client_rc (client/client.h) with err filled:
 * EINVAL (bad options, messages not an array), EUNREACHABLE, ETIMEOUT, ETOOBIG (the answer over
 * max_output), ECANCELLED, EAUTH (401), EFORBIDDEN (403), EHTTP (any other non-2xx, with the
 * start of the endpoint's error message), EPROTOCOL (a reply that is not a chat completion, or an
 * empty answer), ERROR (out of memory). */
#ifndef WL_CLIENT_LLM_H
#define WL_CLIENT_LLM_H

#include "client/client.h"

#include <jansson.h>
#include <stddef.h>

/* One piece of the answer as it streams: `text` (len bytes, borrowed for the call) and the
 * length of the answer so far, this piece included. */
typedef void (*llm_delta_fn)(const char *text, size_t len, size_t total, void *payload);

typedef struct llm_opts {
  const char *base_url;    /* required: http(s)://host[:port]/v1 (no trailing /chat/...) */
  const char *model;       /* required */
  const char *api_key;     /* borrowed; NULL or "" = no Authorization header */
  long timeout_ms;         /* whole call; 0 = 120000 */
  long connect_timeout_ms; /* 0 = 10000 */
  size_t max_output;       /* bytes of answer text; 0 = 1 MiB (the raw stream may be 8x that) */
  int max_tokens;          /* sent as max_tokens; 0 = not sent */
  llm_delta_fn on_delta;   /* optional */
  mcp_client_cancel_fn cancelled; /* optional, polled at least about once per second */
  void *payload;                  /* for both callbacks */
} llm_opts;

/* Runs one chat completion over `messages` ([{role, content}], borrowed). On MCP_CLIENT_OK
 * `*text_out` is the whole answer (new, NUL-terminated, valid UTF-8; free()) and, when
 * `model_out` is not NULL, `*model_out` the model the endpoint named (new, free(); NULL when it
 * named none). Both NULL on failure. */
int llm_chat(const llm_opts *o, const json_t *messages, char **text_out, char **model_out,
             mcp_client_err *err) MCP_CLIENT_WUR;

#endif
