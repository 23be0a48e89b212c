/* SPDX-License-Identifier: Apache-2.0
 * config/upstreams.c — the "upstreams" section of .motus/config.json (spec/config.md,
 * spec/upstreams.md): other MCP servers served through our gate. Each entry is a stdio server
 * ({name, command, env, cwd}) or an HTTP one ({name, url, token_env}), with its limits
 * (timeout_s, max_result_bytes, max_concurrency) and per-tool overrides (tools.<tool>: risk,
 * deny, approval). Names are [A-Za-z0-9_-]{1,32} without "__" (the separator of the served
 * name <upstream>__<tool>) and unique. Also the executor type "mcp" ({type, upstream, tool,
 * timeout_s}) whose upstream must be configured. */
#include "config/config.h"
#include "config/config_int.h"

#include <stdio.h>
#include <string.h>

#define UPSTREAM_NAME_MAX 32

static int name_ok(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > UPSTREAM_NAME_MAX || strstr(s, "__"))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
      return 0;
  return 1;
}

static int int_default(cfg_vctx *c, json_t *o, const char *p, const char *key, json_int_t lo,
                       json_int_t hi, json_int_t def)
{
  char q[CFG_PATH_CAP];
  json_t *v = json_object_get(o, key);
  cfg__join(q, p, key);
  if (!v)
    return json_object_set_new(o, key, json_integer(def)) == 0 ? 0 : cfg__fail(c, q, "no memory");
  return cfg__want_int(c, v, q, lo, hi);
}

static int norm_tool_overrides(cfg_vctx *c, json_t *tools, const char *p)
{
  static const char *const keys[] = {"risk", "deny", "approval", NULL};
  const char *name;
  json_t *t;
  if (cfg__want_object(c, tools, p) != 0)
    return -1;
  json_object_foreach(tools, name, t) {
    char q[CFG_PATH_CAP], r[CFG_PATH_CAP];
    json_t *v;
    cfg__join(q, p, name);
    if (!*name)
      return cfg__fail(c, p, "tool names must not be empty");
    if (cfg__want_object(c, t, q) != 0 || cfg__check_keys(c, t, q, keys) != 0)
      return -1;
    cfg__join(r, q, "risk");
    if ((v = json_object_get(t, "risk"))) {
      const char *s = json_string_value(v);
      int risk = -1;
      if (s && strlen(s) == 2 && s[0] == 'R' && s[1] >= '0' && s[1] <= '4')
        risk = s[1] - '0';
      else if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 4)
        risk = (int)json_integer_value(v);
      if (risk < 0)
        return cfg__fail(c, r, "must be \"R0\"..\"R4\" or 0..4");
      json_object_set_new(t, "risk", json_integer(risk));
    }
    cfg__join(r, q, "deny");
    if ((v = json_object_get(t, "deny")) && cfg__want_bool(c, v, r) != 0)
      return -1;
    cfg__join(r, q, "approval");
    if ((v = json_object_get(t, "approval")) && cfg__want_bool(c, v, r) != 0)
      return -1;
  }
  return 0;
}

/* stdio: command (non-empty array of strings), env (object of strings), cwd. */
static int norm_stdio(cfg_vctx *c, json_t *u, const char *p)
{
  char q[CFG_PATH_CAP];
  json_t *v;
  const char *k;
  cfg__join(q, p, "command");
  if (cfg__want_str_array(c, json_object_get(u, "command"), q, NULL) != 0)
    return -1;
  if (json_array_size(json_object_get(u, "command")) == 0)
    return cfg__fail(c, q, "must name a program");
  cfg__join(q, p, "env");
  if ((v = json_object_get(u, "env"))) {
    json_t *val;
    if (cfg__want_object(c, v, q) != 0)
      return -1;
    json_object_foreach(v, k, val) {
      char r[CFG_PATH_CAP];
      cfg__join(r, q, k);
      if (!cfg__env_name_ok(k))
        return cfg__fail(c, r, "must be an environment variable name");
      if (!json_is_string(val) || strchr(json_string_value(val), '\n'))
        return cfg__fail(c, r, "must be a string (without newlines)");
    }
  } else {
    json_object_set_new(u, "env", json_object());
  }
  cfg__join(q, p, "cwd");
  if ((v = json_object_get(u, "cwd")) && cfg__want_str(c, v, q, 4096) != 0)
    return -1;
  if (json_object_get(u, "token_env"))
    return cfg__fail(c, p, "token_env is for HTTP upstreams (url), not command ones");
  return 0;
}

static int norm_http_upstream(cfg_vctx *c, json_t *u, const char *p)
{
  char q[CFG_PATH_CAP];
  json_t *v = json_object_get(u, "url");
  cfg__join(q, p, "url");
  if (cfg__want_str(c, v, q, 2048) != 0)
    return -1;
  if (!cfg__url_ok(json_string_value(v)))
    return cfg__fail(c, q, "must be an http:// or https:// URL");
  cfg__join(q, p, "token_env");
  if ((v = json_object_get(u, "token_env")) &&
      (cfg__want_str(c, v, q, 128) != 0 ||
       (!cfg__env_name_ok(json_string_value(v)) &&
        cfg__fail(c, q, "must be an environment variable name") != 0)))
    return -1;
  if (json_object_get(u, "env") || json_object_get(u, "cwd"))
    return cfg__fail(c, p, "env and cwd are for command upstreams, not url ones");
  return 0;
}

int cfg__norm_upstreams(cfg_vctx *c, json_t *ups)
{
  static const char *const keys[] = {"name",
                                     "command",
                                     "env",
                                     "cwd",
                                     "url",
                                     "token_env",
                                     "timeout_s",
                                     "max_result_bytes",
                                     "max_concurrency",
                                     "tools",
                                     NULL};
  size_t i;
  json_t *u;
  if (!json_is_array(ups))
    return cfg__fail(c, "upstreams", "must be an array of {name, command | url, ...}");
  if (json_array_size(ups) > 64)
    return cfg__fail(c, "upstreams", "at most 64 upstream servers");
  json_array_foreach(ups, i, u) {
    char p[CFG_PATH_CAP], q[CFG_PATH_CAP];
    const char *name;
    snprintf(p, sizeof p, "upstreams[%zu]", i);
    if (cfg__want_object(c, u, p) != 0 || cfg__check_keys(c, u, p, keys) != 0)
      return -1;
    cfg__join(q, p, "name");
    name = json_string_value(json_object_get(u, "name"));
    if (!name_ok(name))
      return cfg__fail(c, q, "must be 1 to 32 of [A-Za-z0-9_-], without \"__\"");
    for (size_t j = 0; j < i; j++)
      if (!strcmp(json_string_value(json_object_get(json_array_get(ups, j), "name")), name))
        return cfg__fail(c, q, "duplicate upstream name");
    if (!json_object_get(u, "command") == !json_object_get(u, "url"))
      return cfg__fail(c, p, "needs exactly one of command (stdio) and url (HTTP)");
    if ((json_object_get(u, "command") ? norm_stdio(c, u, p) : norm_http_upstream(c, u, p)) != 0)
      return -1;
    if (int_default(c, u, p, "timeout_s", 1, 86400, 60) != 0 ||
        int_default(c, u, p, "max_result_bytes", 1024, 256LL << 20, 4LL << 20) != 0 ||
        int_default(c, u, p, "max_concurrency", 1, 1024, 16) != 0)
      return -1;
    cfg__join(q, p, "tools");
    if (json_object_get(u, "tools")) {
      if (norm_tool_overrides(c, json_object_get(u, "tools"), q) != 0)
        return -1;
    } else {
      json_object_set_new(u, "tools", json_object());
    }
  }
  return 0;
}

int cfg__norm_mcp_executor(cfg_vctx *c, json_t *e, const char *p)
{
  static const char *const keys[] = {"type", "upstream", "tool", "timeout_s", NULL};
  char q[CFG_PATH_CAP];
  if (cfg__check_keys(c, e, p, keys) != 0)
    return -1;
  cfg__join(q, p, "upstream");
  if (!name_ok(json_string_value(json_object_get(e, "upstream"))))
    return cfg__fail(c, q, "must name an entry of upstreams");
  cfg__join(q, p, "tool");
  if (cfg__want_str(c, json_object_get(e, "tool"), q, 128) != 0)
    return -1;
  return int_default(c, e, p, "timeout_s", 1, 86400, 300);
}

int cfg__check_mcp_executors(cfg_vctx *c, const json_t *cfg)
{
  const char *cap;
  json_t *e;
  json_object_foreach(json_object_get(cfg, "executors"), cap, e) {
    const char *up = json_string_value(json_object_get(e, "upstream"));
    const char *type = json_string_value(json_object_get(e, "type"));
    char p[CFG_PATH_CAP], q[CFG_PATH_CAP];
    if (!type || strcmp(type, "mcp") != 0)
      continue;
    if (!mcp_config_upstream(cfg, up)) {
      cfg__join(p, "executors", cap);
      cfg__join(q, p, "upstream");
      return cfg__fail(c, q, "names no entry of upstreams");
    }
  }
  return 0;
}

const json_t *mcp_config_upstreams(const json_t *cfg)
{
  return json_object_get(cfg, "upstreams");
}

const json_t *mcp_config_upstream(const json_t *cfg, const char *name)
{
  size_t i;
  json_t *u;
  json_array_foreach(json_object_get(cfg, "upstreams"), i, u) {
    const char *n = json_string_value(json_object_get(u, "name"));
    if (n && name && !strcmp(n, name))
      return u;
  }
  return NULL;
}
