/* SPDX-License-Identifier: Apache-2.0
 * config/executors.c — the "executors" section of .motus/config.json (spec/config.md): command
 * executors of motebit_task (argv, stdin, env_var, timeout, output cap), the reserved
 * executors.chat (the chat backend of motebit_query: openai, sampling or command) and
 * executors.embeddings (the embeddings endpoint of recall), each validated with a one-line
 * message naming the key and filled in with its defaults. */
#include "config/config.h"
#include "config/config_int.h"

#include <stdio.h>
#include <string.h>

static int int_or(cfg_vctx *c, json_t *o, const char *base, const char *key, json_int_t lo,
                  json_int_t hi, json_int_t def)
{
  char q[CFG_PATH_CAP];
  json_t *v = json_object_get(o, key);
  cfg__join(q, base, key);
  if (!v)
    return json_object_set_new(o, key, json_integer(def)) == 0 ? 0
                                                               : cfg__fail(c, q, "out of memory");
  return cfg__want_int(c, v, q, lo, hi);
}

/* What every executors.chat has (spec/config.md): the system text, how many memories go into
 * the prompt, the sensitivity of the memories an exchange forms. */
static int norm_chat_common(cfg_vctx *c, json_t *e, const char *p)
{
  char q[CFG_PATH_CAP];
  json_t *v;
  const char *ms;
  cfg__join(q, p, "system");
  if ((v = json_object_get(e, "system")) && (!json_is_string(v) || json_string_length(v) > 16384))
    return cfg__fail(c, q, "must be a string of at most 16384 bytes");
  cfg__join(q, p, "memory_sensitivity");
  ms = json_string_value((v = json_object_get(e, "memory_sensitivity")));
  if (v && (!ms || (strcmp(ms, "none") != 0 && strcmp(ms, "personal") != 0)))
    return cfg__fail(c, q, "must be \"none\" or \"personal\"");
  if (!v && json_object_set_new(e, "memory_sensitivity", json_string("none")) != 0)
    return cfg__fail(c, q, "out of memory");
  return int_or(c, e, p, "recall_limit", 0, 50, 5);
}

/* executors.chat of type openai or sampling: the model motebit_query talks to. */
static int norm_chat_model(cfg_vctx *c, json_t *e, const char *p, int openai)
{
  static const char *const okeys[] = {
      "type",       "url",    "model",        "api_key_env",      "timeout_s",
      "max_tokens", "system", "recall_limit", "max_output_bytes", "memory_sensitivity",
      NULL};
  static const char *const skeys[] = {"type",         "timeout_s",          "max_tokens", "system",
                                      "recall_limit", "memory_sensitivity", NULL};
  char q[CFG_PATH_CAP];
  json_t *v;
  if (cfg__check_keys(c, e, p, openai ? okeys : skeys) != 0)
    return -1;
  if (openai) {
    cfg__join(q, p, "url");
    if (cfg__want_str(c, (v = json_object_get(e, "url")), q, 2048) != 0)
      return -1;
    if (!cfg__url_ok(json_string_value(v)))
      return cfg__fail(c, q,
                       "must be an http:// or https:// URL (the API base, as http://HOST:PORT/v1)");
    cfg__join(q, p, "model");
    if (cfg__want_str(c, json_object_get(e, "model"), q, 200) != 0)
      return -1;
    cfg__join(q, p, "api_key_env");
    if ((v = json_object_get(e, "api_key_env")) &&
        (cfg__want_str(c, v, q, 128) != 0 ||
         (!cfg__env_name_ok(json_string_value(v)) &&
          cfg__fail(c, q, "must be an environment variable name") != 0)))
      return -1;
    if (int_or(c, e, p, "max_output_bytes", 1024, 1LL << 30, 1024 * 1024) != 0)
      return -1;
  }
  return norm_chat_common(c, e, p) || int_or(c, e, p, "timeout_s", 1, 86400, 120) ||
         int_or(c, e, p, "max_tokens", 1, 1000000, 1024);
}

/* executors.embeddings: the OpenAI-compatible embeddings endpoint of motebit_remember and
 * motebit_recall (not a task executor). The key is never in the file: api_key_env names the
 * environment variable that holds it. */
static int norm_embeddings(cfg_vctx *c, json_t *e)
{
  static const char *const keys[] = {"type",        "url",       "model",
                                     "api_key_env", "timeout_s", "max_response_bytes",
                                     NULL};
  const char *p = "executors." MCP_CONFIG_EMBEDDINGS;
  char q[CFG_PATH_CAP];
  json_t *v;
  if (cfg__want_object(c, e, p) != 0)
    return -1;
  cfg__join(q, p, "type");
  v = json_object_get(e, "type");
  if (!json_is_string(v) || strcmp(json_string_value(v), "openai") != 0)
    return cfg__fail(c, q,
                     "must be \"openai\" (executors." MCP_CONFIG_EMBEDDINGS
                     " is the embeddings endpoint of memory recall, not a task executor)");
  if (cfg__check_keys(c, e, p, keys) != 0)
    return -1;
  cfg__join(q, p, "url");
  if (!(v = json_object_get(e, "url")))
    return cfg__fail(c, q, "is required");
  if (cfg__want_str(c, v, q, 2048) != 0)
    return -1;
  if (!cfg__url_ok(json_string_value(v)))
    return cfg__fail(c, q,
                     "must be an http:// or https:// URL (the API base, e.g. http://host/v1)");
  {
    /* credentials belong in the environment (api_key_env), never in a URL that gets logged */
    const char *u = strstr(json_string_value(v), "//") + 2;
    const char *at = strchr(u, '@');
    if (at && at < u + strcspn(u, "/?#"))
      return cfg__fail(c, q, "must not carry credentials (name the key's variable in api_key_env)");
  }
  cfg__join(q, p, "model");
  if (!(v = json_object_get(e, "model")))
    return cfg__fail(c, q, "is required");
  if (cfg__want_str(c, v, q, 200) != 0)
    return -1;
  cfg__join(q, p, "api_key_env");
  if ((v = json_object_get(e, "api_key_env")) &&
      (cfg__want_str(c, v, q, 128) != 0 ||
       (!cfg__env_name_ok(json_string_value(v)) &&
        cfg__fail(c, q, "must be an environment variable name") != 0)))
    return -1;
  cfg__join(q, p, "timeout_s");
  if ((v = json_object_get(e, "timeout_s"))) {
    if (cfg__want_int(c, v, q, 1, 300) != 0)
      return -1;
  } else {
    json_object_set_new(e, "timeout_s", json_integer(10));
  }
  cfg__join(q, p, "max_response_bytes");
  if ((v = json_object_get(e, "max_response_bytes"))) {
    if (cfg__want_int(c, v, q, 1024, 1LL << 30) != 0)
      return -1;
  } else {
    json_object_set_new(e, "max_response_bytes", json_integer(4 * 1024 * 1024));
  }
  return 0;
}

int cfg__norm_executors(cfg_vctx *c, json_t *ex)
{
  const char *cap;
  json_t *e;
  json_object_foreach(ex, cap, e) {
    if (strcmp(cap, MCP_CONFIG_EMBEDDINGS) == 0) {
      if (norm_embeddings(c, e) != 0)
        return -1;
      continue;
    }
    static const char *const keys[] = {"type",    "argv",      "stdin",
                                       "env_var", "timeout_s", "max_output_bytes",
                                       NULL};
    static const char *const chat_keys[] = {"type",    "argv",         "stdin",
                                            "env_var", "timeout_s",    "max_output_bytes",
                                            "system",  "recall_limit", "memory_sensitivity",
                                            NULL};
    char p[CFG_PATH_CAP], q[CFG_PATH_CAP];
    int chat = strcmp(cap, "chat") == 0;
    const char *type;
    json_t *v;
    cfg__join(p, "executors", cap);
    if (!*cap)
      return cfg__fail(c, "executors", "capability names must not be empty");
    if (cfg__want_object(c, e, p) != 0)
      return -1;
    cfg__join(q, p, "type");
    type = json_string_value(json_object_get(e, "type"));
    if (chat && type && (strcmp(type, "openai") == 0 || strcmp(type, "sampling") == 0)) {
      /* the chat executor of motebit_query, never a task capability */
      if (norm_chat_model(c, e, p, strcmp(type, "openai") == 0) != 0)
        return -1;
      continue;
    }
    if (!chat && type && strcmp(type, "mcp") == 0) { /* a call on a live upstream */
      if (cfg__norm_mcp_executor(c, e, p) != 0)
        return -1;
      continue;
    }
    if (!type || strcmp(type, "command") != 0)
      return cfg__fail(c, q,
                       chat ? "must be \"openai\", \"sampling\" or \"command\""
                            : "must be \"command\" or \"mcp\"");
    if (cfg__check_keys(c, e, p, chat ? chat_keys : keys) != 0 ||
        (chat && norm_chat_common(c, e, p)))
      return -1;
    cfg__join(q, p, "argv");
    v = json_object_get(e, "argv");
    if (!v)
      return cfg__fail(c, q, "is required");
    if (cfg__want_str_array(c, v, q, NULL) != 0)
      return -1;
    if (json_array_size(v) == 0)
      return cfg__fail(c, q, "must name a program");
    cfg__join(q, p, "stdin");
    if ((v = json_object_get(e, "stdin"))) {
      if (cfg__want_bool(c, v, q) != 0)
        return -1;
    } else {
      json_object_set_new(e, "stdin", json_true());
    }
    cfg__join(q, p, "env_var");
    if ((v = json_object_get(e, "env_var")) &&
        (cfg__want_str(c, v, q, 128) != 0 ||
         (!cfg__env_name_ok(json_string_value(v)) &&
          cfg__fail(c, q, "must be an environment variable name") != 0)))
      return -1;
    cfg__join(q, p, "timeout_s");
    if ((v = json_object_get(e, "timeout_s"))) {
      if (cfg__want_int(c, v, q, 1, 86400) != 0)
        return -1;
    } else {
      json_object_set_new(e, "timeout_s", json_integer(300));
    }
    cfg__join(q, p, "max_output_bytes");
    if ((v = json_object_get(e, "max_output_bytes"))) {
      if (cfg__want_int(c, v, q, 1, 1LL << 30) != 0)
        return -1;
    } else {
      json_object_set_new(e, "max_output_bytes", json_integer(1024 * 1024));
    }
  }
  return 0;
}
