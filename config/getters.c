/* SPDX-License-Identifier: Apache-2.0
 * config/getters.c — the getters of config/config.h over a normalized config (config/config.c
 * builds it): generic access by dotted path with typed conveniences, and one small accessor per
 * section (profile, policy, identity overrides, HTTP tokens and known callers, executors and
 * the embeddings endpoint, peers, service listing, memory). Getters never fail and never
 * validate: they return the value (borrowed from the config) or the default. */
#include "config/config.h"

#include "crypto/seal.h"

#include <string.h>

const json_t *mcp_config_get(const json_t *cfg, const char *dotted_path)
{
  const json_t *cur = cfg;
  const char *p = dotted_path;
  char key[128];
  if (!cfg || !dotted_path)
    return NULL;
  while (cur && *p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n >= sizeof key)
      return NULL;
    memcpy(key, p, n);
    key[n] = 0;
    cur = json_object_get(cur, key);
    p += n;
    if (*p == '.')
      p++;
  }
  return cur;
}

int64_t mcp_config_int(const json_t *cfg, const char *dotted_path, int64_t def)
{
  const json_t *v = mcp_config_get(cfg, dotted_path);
  return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

const char *mcp_config_str(const json_t *cfg, const char *dotted_path, const char *def)
{
  const json_t *v = mcp_config_get(cfg, dotted_path);
  return json_is_string(v) ? json_string_value(v) : def;
}

int mcp_config_bool(const json_t *cfg, const char *dotted_path, int def)
{
  const json_t *v = mcp_config_get(cfg, dotted_path);
  return json_is_boolean(v) ? json_is_true(v) : def;
}

const char *mcp_config_profile(const json_t *cfg)
{
  return mcp_config_str(cfg, "profile", "personal");
}

const json_t *mcp_config_policy(const json_t *cfg)
{
  return mcp_config_get(cfg, "policy");
}

const char *mcp_config_motebit_id(const json_t *cfg)
{
  return mcp_config_str(cfg, "motebit_id", NULL);
}

const char *mcp_config_device_id(const json_t *cfg)
{
  return mcp_config_str(cfg, "device_id", NULL);
}

const json_t *mcp_config_http(const json_t *cfg)
{
  return mcp_config_get(cfg, "http");
}

const char *mcp_config_http_token_name(const json_t *cfg, const char *token)
{
  const json_t *tokens = mcp_config_get(cfg, "http.tokens");
  const char *found = NULL;
  uint8_t want[SEAL_SHA256_BYTES], have[SEAL_SHA256_BYTES];
  size_t i;
  json_t *t;
  if (!token || !json_is_array(tokens))
    return NULL;
  /* Compare digests in constant time so neither length nor content leaks through timing. */
  seal_sha256(want, token, strlen(token));
  json_array_foreach((json_t *)tokens, i, t) {
    const char *s = json_string_value(json_object_get(t, "token"));
    if (!s)
      continue;
    seal_sha256(have, s, strlen(s));
    if (seal_memcmp(want, have, sizeof want) == 0 && !found)
      found = json_string_value(json_object_get(t, "name"));
  }
  return found;
}

const char *mcp_config_known_caller(const json_t *cfg, const char *motebit_id)
{
  const json_t *kc = mcp_config_get(cfg, "http.known_callers");
  if (!motebit_id || !json_is_object(kc))
    return NULL;
  return json_string_value(json_object_get(kc, motebit_id));
}

const json_t *mcp_config_executors(const json_t *cfg)
{
  return mcp_config_get(cfg, "executors");
}

const json_t *mcp_config_executor(const json_t *cfg, const char *capability)
{
  const json_t *ex = mcp_config_executors(cfg);
  if (!capability || !json_is_object(ex))
    return NULL;
  return json_object_get(ex, capability);
}

int mcp_config_executor_is_task(const char *name)
{
  return name && strcmp(name, "chat") != 0 && strcmp(name, "embeddings") != 0;
}

size_t mcp_config_task_executor_count(const json_t *cfg)
{
  const json_t *ex = mcp_config_executors(cfg);
  const char *name;
  json_t *v;
  size_t n = 0;
  json_object_foreach((json_t *)ex, name, v) {
    (void)v;
    n += (size_t)mcp_config_executor_is_task(name);
  }
  return n;
}

const json_t *mcp_config_chat(const json_t *cfg)
{
  return mcp_config_executor(cfg, "chat");
}

const json_t *mcp_config_embeddings(const json_t *cfg)
{
  const json_t *e = mcp_config_executor(cfg, MCP_CONFIG_EMBEDDINGS);
  return json_is_object(e) && strcmp(mcp_config_str(e, "type", ""), "openai") == 0 ? e : NULL;
}

const json_t *mcp_config_peers(const json_t *cfg)
{
  return mcp_config_get(cfg, "peers");
}

const json_t *mcp_config_service_listing(const json_t *cfg)
{
  return mcp_config_get(cfg, "service_listing");
}

double mcp_config_memory_half_life_days(const json_t *cfg)
{
  const json_t *v = mcp_config_get(cfg, "memory.half_life_days");
  return json_is_number(v) ? json_number_value(v) : 7.0;
}

int mcp_config_http_token_is_operator(const json_t *cfg, const char *name)
{
  const json_t *tokens = mcp_config_get(cfg, "http.tokens");
  size_t i;
  json_t *t;
  if (!name || !json_is_array(tokens))
    return 0;
  json_array_foreach((json_t *)tokens, i, t) {
    if (json_is_true(json_object_get(t, "operator")) &&
        strcmp(json_string_value(json_object_get(t, "name")), name) == 0)
      return 1;
  }
  return 0;
}
