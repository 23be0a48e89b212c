/* SPDX-License-Identifier: Apache-2.0
 * config/config.c — reads .motus/config.json, refuses unknown keys and bad values with a one-line
 * message naming the key, and builds a normalized copy with every default filled in (policy
 * bands from the preset of the profile, budget, HTTP listener, peers, service listing, memory;
 * the executors section is config/executors.c). The checkers shared with it are declared in
 * config/config_int.h. It does not act on the configuration: the policy gate, the HTTP transport, executors and
 * delegation read the normalized object through the getters of config/config.h, which live in
 * config/getters.c. */
#include "config/config.h"
#include "config/config_int.h"

#include "crypto/artifacts.h"
#include "crypto/seal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cfg__fail(cfg_vctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cfg__fail(cfg_vctx *c, const char *path, const char *fmt, ...)
{
  if (c->err && c->errlen) {
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s", path, msg);
    /* one line whatever the file holds: a key or value quoted in the message may carry control
     * characters (found by tests/fuzz/fuzz_config.c) */
    for (char *q = c->err; *q; q++)
      if ((unsigned char)*q < 0x20 || *q == 0x7f)
        *q = '?';
  }
  return -1;
}

/* Key paths only name things in error messages: an overlong one ends in "..." */
static void path_cut(char *out, int n)
{
  if (n >= CFG_PATH_CAP)
    memcpy(out + CFG_PATH_CAP - 4, "...", 4);
}

void cfg__join(char *out, const char *base, const char *key)
{
  if (base && *base)
    path_cut(out, snprintf(out, CFG_PATH_CAP, "%s.%s", base, key));
  else
    path_cut(out, snprintf(out, CFG_PATH_CAP, "%s", key));
}

static void join_idx(char *out, const char *base, size_t i)
{
  path_cut(out, snprintf(out, CFG_PATH_CAP, "%s[%zu]", base, i));
}

/* Refuses keys of `obj` not in the NULL-terminated `allowed` list. */
int cfg__check_keys(cfg_vctx *c, const json_t *obj, const char *path, const char *const *allowed)
{
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)obj, k, v) {
    int ok = 0;
    for (size_t i = 0; allowed[i]; i++)
      if (strcmp(allowed[i], k) == 0) {
        ok = 1;
        break;
      }
    if (!ok) {
      char p[CFG_PATH_CAP], list[160];
      size_t n = 0;
      list[0] = 0;
      for (size_t i = 0; allowed[i] && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", allowed[i]);
      cfg__join(p, path, k);
      return cfg__fail(c, p, "unknown key (allowed: %s)", list);
    }
  }
  return 0;
}

static int has_ctrl(const char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return 1;
  return 0;
}

/* A non-empty string without control characters, at most `max` bytes. */
int cfg__want_str(cfg_vctx *c, const json_t *v, const char *path, size_t max)
{
  if (!json_is_string(v))
    return cfg__fail(c, path, "must be a string");
  const char *s = json_string_value(v);
  size_t n = json_string_length(v);
  if (n == 0)
    return cfg__fail(c, path, "must not be empty");
  if (n > max)
    return cfg__fail(c, path, "longer than %zu bytes", max);
  if (strlen(s) != n || has_ctrl(s))
    return cfg__fail(c, path, "must not contain control characters");
  return 0;
}

int cfg__want_bool(cfg_vctx *c, const json_t *v, const char *path)
{
  if (!json_is_boolean(v))
    return cfg__fail(c, path, "must be true or false");
  return 0;
}

int cfg__want_int(cfg_vctx *c, const json_t *v, const char *path, json_int_t lo, json_int_t hi)
{
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
    return cfg__fail(c, path, "must be an integer in %lld..%lld", (long long)lo, (long long)hi);
  return 0;
}

static int cfg__want_num(cfg_vctx *c, const json_t *v, const char *path, double lo, double hi,
                         int lo_open)
{
  if (!json_is_number(v))
    return cfg__fail(c, path, "must be a number");
  double d = json_number_value(v);
  if (d < lo || d > hi || (lo_open && d == lo))
    return cfg__fail(c, path, "must be a number %s %g and <= %g", lo_open ? ">" : ">=", lo, hi);
  return 0;
}

/* An array of strings, each checked by want_str (and `each`, when given). */
int cfg__want_str_array(cfg_vctx *c, const json_t *v, const char *path,
                        int (*each)(cfg_vctx *, const char *, const char *))
{
  if (!json_is_array(v))
    return cfg__fail(c, path, "must be an array of strings");
  size_t i;
  json_t *e;
  json_array_foreach((json_t *)v, i, e) {
    char p[CFG_PATH_CAP];
    join_idx(p, path, i);
    if (cfg__want_str(c, e, p, 1024) != 0)
      return -1;
    if (each && each(c, p, json_string_value(e)) != 0)
      return -1;
  }
  return 0;
}

int cfg__want_object(cfg_vctx *c, const json_t *v, const char *path)
{
  if (!json_is_object(v))
    return cfg__fail(c, path, "must be an object");
  return 0;
}

static int lower_hex64(const char *s)
{
  if (strlen(s) != 64)
    return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return 0;
  return 1;
}

/* ---- policy --------------------------------------------------------------------------------- */

static const struct {
  const char *name;
  int approval_above, deny_above;
} presets[] = {
    {"cautious", 0, 3},
    {"balanced", 1, 3},
    {"autonomous", 3, 4},
    {"service", 3, 3},
};

static int preset_find(const char *name)
{
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
    if (strcmp(presets[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* -1..4 from an integer or "R0".."R4" / "R0_READ".."R4_MONEY". */
static int band_value(cfg_vctx *c, const json_t *v, const char *path, int *out)
{
  static const char *const long_names[] = {"R0_READ", "R1_DRAFT", "R2_WRITE", "R3_EXECUTE",
                                           "R4_MONEY"};
  if (json_is_integer(v) && json_integer_value(v) >= -1 && json_integer_value(v) <= 4) {
    *out = (int)json_integer_value(v);
    return 0;
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    for (int i = 0; i < 5; i++) {
      char shortn[3] = {'R', (char)('0' + i), 0};
      if (strcmp(s, shortn) == 0 || strcmp(s, long_names[i]) == 0) {
        *out = i;
        return 0;
      }
    }
  }
  return cfg__fail(c, path, "must be a risk level: an integer -1..4 or \"R0\"..\"R4\"");
}

static int check_path_entry(cfg_vctx *c, const char *path, const char *s)
{
  /* A ".." segment would let the prefix match escape its directory. */
  const char *p = s;
  while (*p) {
    const char *seg = p;
    while (*p && *p != '/')
      p++;
    if (p - seg == 2 && seg[0] == '.' && seg[1] == '.')
      return cfg__fail(c, path, "must not contain a \"..\" segment");
    if (*p == '/')
      p++;
  }
  return 0;
}

static int check_domain_entry(cfg_vctx *c, const char *path, const char *s)
{
  if (strncmp(s, "*.", 2) == 0)
    s += 2;
  if (!*s)
    return cfg__fail(c, path, "must be a host name");
  for (const char *p = s; *p; p++)
    if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_' || *p == ':' ||
          *p == '[' || *p == ']'))
      return cfg__fail(c, path, "must be a host name (letters, digits, '-', '.')");
  return 0;
}

static int norm_policy(cfg_vctx *c, json_t *pol, const char *profile)
{
  static const char *const keys[] = {"preset",          "require_approval_above",
                                     "deny_above",      "denylist",
                                     "allowlist",       "budget",
                                     "path_allowlist",  "domain_allowlist",
                                     "callers",         "argv_allowlist",
                                     "approval_wait_s", NULL};
  if (cfg__check_keys(c, pol, "policy", keys) != 0)
    return -1;
  json_t *w = json_object_get(pol, "approval_wait_s");
  if (w && cfg__want_int(c, w, "policy.approval_wait_s", 0, 3600) != 0)
    return -1;
  if (!w)
    json_object_set_new(pol, "approval_wait_s", json_integer(0));
  const char *preset = strcmp(profile, SEAL_PROFILE_SERVICE) == 0 ? "service" : "balanced";
  json_t *v = json_object_get(pol, "preset");
  if (v) {
    if (!json_is_string(v) || preset_find(json_string_value(v)) < 0)
      return cfg__fail(c, "policy.preset",
                       "must be one of cautious, balanced, autonomous, service");
    preset = json_string_value(v);
  }
  int pi = preset_find(preset);
  int approval = presets[pi].approval_above, deny = presets[pi].deny_above;
  json_object_set_new(pol, "preset", json_string(presets[pi].name));
  if ((v = json_object_get(pol, "require_approval_above")) &&
      band_value(c, v, "policy.require_approval_above", &approval) != 0)
    return -1;
  if ((v = json_object_get(pol, "deny_above")) && band_value(c, v, "policy.deny_above", &deny) != 0)
    return -1;
  json_object_set_new(pol, "require_approval_above", json_integer(approval));
  json_object_set_new(pol, "deny_above", json_integer(deny));

  if ((v = json_object_get(pol, "denylist"))) {
    if (cfg__want_str_array(c, v, "policy.denylist", NULL) != 0)
      return -1;
  } else {
    json_object_set_new(pol, "denylist", json_array());
  }
  if ((v = json_object_get(pol, "allowlist")) &&
      cfg__want_str_array(c, v, "policy.allowlist", NULL) != 0)
    return -1;
  if ((v = json_object_get(pol, "argv_allowlist")) &&
      cfg__want_str_array(c, v, "policy.argv_allowlist", NULL) != 0)
    return -1;
  if ((v = json_object_get(pol, "path_allowlist")) &&
      cfg__want_str_array(c, v, "policy.path_allowlist", check_path_entry) != 0)
    return -1;
  if ((v = json_object_get(pol, "domain_allowlist")) &&
      cfg__want_str_array(c, v, "policy.domain_allowlist", check_domain_entry) != 0)
    return -1;

  json_t *budget = json_object_get(pol, "budget");
  if (budget) {
    static const char *const bkeys[] = {"calls", "window_s", NULL};
    if (cfg__want_object(c, budget, "policy.budget") != 0 ||
        cfg__check_keys(c, budget, "policy.budget", bkeys) != 0)
      return -1;
  } else {
    budget = json_object();
    json_object_set_new(pol, "budget", budget);
  }
  if ((v = json_object_get(budget, "calls"))) {
    if (cfg__want_int(c, v, "policy.budget.calls", -1, INT64_MAX / 2) != 0)
      return -1;
  } else {
    json_object_set_new(budget, "calls", json_integer(-1));
  }
  if ((v = json_object_get(budget, "window_s"))) {
    if (cfg__want_int(c, v, "policy.budget.window_s", 1, 366LL * 24 * 3600) != 0)
      return -1;
  } else {
    json_object_set_new(budget, "window_s", json_integer(3600));
  }

  json_t *callers = json_object_get(pol, "callers");
  if (callers) {
    if (cfg__want_object(c, callers, "policy.callers") != 0)
      return -1;
    const char *k;
    json_object_foreach(callers, k, v) {
      char p[CFG_PATH_CAP];
      cfg__join(p, "policy.callers", k);
      const char *s = json_string_value(v);
      if (!*k)
        return cfg__fail(c, "policy.callers", "caller ids must not be empty");
      if (!s ||
          (strcmp(s, "trusted") != 0 && strcmp(s, "verified") != 0 && strcmp(s, "blocked") != 0))
        return cfg__fail(c, p, "must be \"trusted\", \"verified\" or \"blocked\"");
    }
  } else {
    json_object_set_new(pol, "callers", json_object());
  }
  return 0;
}

/* ---- http ----------------------------------------------------------------------------------- */

static int check_bind(cfg_vctx *c, const char *path, const char *s)
{
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s)
    return cfg__fail(c, path, "must be HOST:PORT");
  if (s[0] == '[' && colon[-1] != ']')
    return cfg__fail(c, path, "must be HOST:PORT ([v6]:PORT for IPv6)");
  char *end = NULL;
  long port = strtol(colon + 1, &end, 10); /* an overflow gives LONG_MAX: out of range anyway */
  if (!end || *end || end == colon + 1 || port < 0 || port > 65535)
    return cfg__fail(c, path, "port must be 0..65535");
  return 0;
}

/* The front door's limits (spec/http.md "Limits"): integers in range, defaults filled in. */
static int norm_http_limits(cfg_vctx *c, json_t *h)
{
  json_t *v;
  static const struct {
    const char *key;
    long long lo, hi, def;
  } lims[] = {{"header_timeout_s", 1, 600, 10},
              {"body_timeout_s", 1, 3600, 30},
              {"max_connections_per_address", 1, 100000, 64},
              {"reserved_connections", 1, 100000, 32}};
  for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++) {
    char p[CFG_PATH_CAP];
    cfg__join(p, "http", lims[i].key);
    if ((v = json_object_get(h, lims[i].key))) {
      if (cfg__want_int(c, v, p, lims[i].lo, lims[i].hi) != 0)
        return -1;
    } else {
      json_object_set_new(h, lims[i].key, json_integer(lims[i].def));
    }
  }
  return 0;
}

static int norm_http(cfg_vctx *c, json_t *h)
{
  static const char *const keys[] = {"bind",
                                     "tokens",
                                     "known_callers",
                                     "trust_on_first_use",
                                     "audiences",
                                     "allowed_hosts",
                                     "allowed_origins",
                                     "max_body_bytes",
                                     "max_token_lifetime_s",
                                     "header_timeout_s",
                                     "body_timeout_s",
                                     "max_connections_per_address",
                                     "reserved_connections",
                                     "console",
                                     NULL};
  json_t *v;
  if (cfg__check_keys(c, h, "http", keys) != 0)
    return -1;
  if ((v = json_object_get(h, "console"))) {
    if (!json_is_boolean(v))
      return cfg__fail(c, "http.console", "must be true or false");
  } else {
    json_object_set_new(h, "console", json_true());
  }
  if ((v = json_object_get(h, "bind"))) {
    if (cfg__want_str(c, v, "http.bind", 300) != 0 ||
        check_bind(c, "http.bind", json_string_value(v)) != 0)
      return -1;
  } else {
    json_object_set_new(h, "bind", json_string("127.0.0.1:3100"));
  }
  json_t *tokens = json_object_get(h, "tokens");
  if (tokens) {
    if (!json_is_array(tokens))
      return cfg__fail(c, "http.tokens", "must be an array of {name, token}");
    size_t i;
    json_t *t;
    json_array_foreach(tokens, i, t) {
      static const char *const tkeys[] = {"name", "token", "operator", NULL};
      char p[CFG_PATH_CAP], q[CFG_PATH_CAP];
      join_idx(p, "http.tokens", i);
      if (cfg__want_object(c, t, p) != 0 || cfg__check_keys(c, t, p, tkeys) != 0)
        return -1;
      cfg__join(q, p, "name");
      if (cfg__want_str(c, json_object_get(t, "name"), q, 200) != 0)
        return -1;
      cfg__join(q, p, "token");
      if (cfg__want_str(c, json_object_get(t, "token"), q, 4096) != 0)
        return -1;
      cfg__join(q, p, "operator");
      if (json_object_get(t, "operator") && !json_is_boolean(json_object_get(t, "operator")))
        return cfg__fail(c, q, "must be true or false");
      for (size_t j = 0; j < i; j++) {
        json_t *o = json_array_get(tokens, j);
        if (strcmp(json_string_value(json_object_get(o, "name")),
                   json_string_value(json_object_get(t, "name"))) == 0) {
          cfg__join(q, p, "name");
          return cfg__fail(c, q, "duplicate token name");
        }
        if (strcmp(json_string_value(json_object_get(o, "token")),
                   json_string_value(json_object_get(t, "token"))) == 0) {
          cfg__join(q, p, "token");
          return cfg__fail(c, q, "duplicate token");
        }
      }
    }
  } else {
    json_object_set_new(h, "tokens", json_array());
  }
  json_t *kc = json_object_get(h, "known_callers");
  if (kc) {
    const char *k;
    if (cfg__want_object(c, kc, "http.known_callers") != 0)
      return -1;
    json_object_foreach(kc, k, v) {
      char p[CFG_PATH_CAP];
      cfg__join(p, "http.known_callers", k);
      if (!*k)
        return cfg__fail(c, "http.known_callers", "motebit ids must not be empty");
      if (!json_is_string(v) || !lower_hex64(json_string_value(v)))
        return cfg__fail(c, p, "must be a 64-character lowercase hex Ed25519 public key");
    }
  } else {
    json_object_set_new(h, "known_callers", json_object());
  }
  if ((v = json_object_get(h, "max_token_lifetime_s"))) {
    if (cfg__want_int(c, v, "http.max_token_lifetime_s", 60, 31536000) != 0)
      return -1;
  } else {
    json_object_set_new(h, "max_token_lifetime_s", json_integer(86400));
  }
  if ((v = json_object_get(h, "trust_on_first_use"))) {
    if (cfg__want_bool(c, v, "http.trust_on_first_use") != 0)
      return -1;
  } else {
    json_object_set_new(h, "trust_on_first_use", json_false());
  }
  static const char *const lists[] = {"audiences", "allowed_hosts", "allowed_origins"};
  for (size_t i = 0; i < 3; i++) {
    char p[CFG_PATH_CAP];
    cfg__join(p, "http", lists[i]);
    if ((v = json_object_get(h, lists[i]))) {
      if (cfg__want_str_array(c, v, p, NULL) != 0)
        return -1;
    } else {
      json_object_set_new(h, lists[i], i == 0 ? json_pack("[s]", "task:submit") : json_array());
    }
  }
  if (norm_http_limits(c, h) != 0)
    return -1;
  if ((v = json_object_get(h, "max_body_bytes"))) {
    if (cfg__want_int(c, v, "http.max_body_bytes", 1024, 1LL << 30) != 0)
      return -1;
  } else {
    json_object_set_new(h, "max_body_bytes", json_integer(4 * 1024 * 1024));
  }
  return 0;
}

/* ---- executors, peers, service listing, memory ---------------------------------------------- */

int cfg__env_name_ok(const char *s)
{
  if (!(isalpha((unsigned char)*s) || *s == '_'))
    return 0;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_'))
      return 0;
  return 1;
}

int cfg__url_ok(const char *s)
{
  const char *rest;
  if (strncmp(s, "http://", 7) == 0)
    rest = s + 7;
  else if (strncmp(s, "https://", 8) == 0)
    rest = s + 8;
  else
    return 0;
  return *rest && *rest != '/' && !strchr(s, ' ');
}

/* An integer member with a default: checked when present, filled in when absent. */
static int norm_peers(cfg_vctx *c, json_t *peers)
{
  if (!json_is_array(peers))
    return cfg__fail(c, "peers", "must be an array of {name, url, ...}");
  size_t i;
  json_t *pe;
  json_array_foreach(peers, i, pe) {
    static const char *const keys[] = {"name",  "url",           "public_key", "capabilities",
                                       "token", "motebit_token", "timeout_s",  NULL};
    char p[CFG_PATH_CAP], q[CFG_PATH_CAP];
    json_t *v;
    join_idx(p, "peers", i);
    if (cfg__want_object(c, pe, p) != 0 || cfg__check_keys(c, pe, p, keys) != 0)
      return -1;
    cfg__join(q, p, "name");
    if (cfg__want_str(c, json_object_get(pe, "name"), q, 200) != 0)
      return -1;
    for (size_t j = 0; j < i; j++)
      if (strcmp(json_string_value(json_object_get(json_array_get(peers, j), "name")),
                 json_string_value(json_object_get(pe, "name"))) == 0)
        return cfg__fail(c, q, "duplicate peer name");
    cfg__join(q, p, "url");
    v = json_object_get(pe, "url");
    if (cfg__want_str(c, v, q, 2048) != 0)
      return -1;
    if (!cfg__url_ok(json_string_value(v)))
      return cfg__fail(c, q, "must be an http:// or https:// URL");
    cfg__join(q, p, "public_key");
    if ((v = json_object_get(pe, "public_key")) &&
        (!json_is_string(v) || !lower_hex64(json_string_value(v))))
      return cfg__fail(c, q, "must be a 64-character lowercase hex Ed25519 public key");
    cfg__join(q, p, "capabilities");
    if ((v = json_object_get(pe, "capabilities"))) {
      if (cfg__want_str_array(c, v, q, NULL) != 0)
        return -1;
    } else {
      json_object_set_new(pe, "capabilities", json_array());
    }
    cfg__join(q, p, "token");
    if ((v = json_object_get(pe, "token")) && cfg__want_str(c, v, q, 4096) != 0)
      return -1;
    cfg__join(q, p, "motebit_token");
    if ((v = json_object_get(pe, "motebit_token"))) {
      if (cfg__want_bool(c, v, q) != 0)
        return -1;
    } else {
      json_object_set_new(pe, "motebit_token", json_false());
    }
    if (json_is_string(json_object_get(pe, "token")) &&
        json_is_true(json_object_get(pe, "motebit_token")))
      return cfg__fail(c, q,
                       "cannot be combined with a static token (set one of token, motebit_token)");
    cfg__join(q, p, "timeout_s");
    if ((v = json_object_get(pe, "timeout_s"))) {
      if (cfg__want_int(c, v, q, 1, 86400) != 0)
        return -1;
    } else {
      json_object_set_new(pe, "timeout_s", json_integer(300));
    }
  }
  return 0;
}

static int norm_listing(cfg_vctx *c, json_t *sl)
{
  static const char *const keys[] = {"capabilities", "pricing",    "sla",
                                     "description",  "listing_id", NULL};
  json_t *v;
  if (cfg__check_keys(c, sl, "service_listing", keys) != 0)
    return -1;
  if ((v = json_object_get(sl, "capabilities"))) {
    if (cfg__want_str_array(c, v, "service_listing.capabilities", NULL) != 0)
      return -1;
  } else {
    json_object_set_new(sl, "capabilities", json_array());
  }
  if ((v = json_object_get(sl, "pricing"))) {
    if (!json_is_array(v))
      return cfg__fail(c, "service_listing.pricing",
                       "must be an array of {capability, unit_cost, currency, per}");
    size_t i;
    json_t *pr;
    json_array_foreach(v, i, pr) {
      static const char *const pkeys[] = {"capability", "unit_cost", "currency", "per", NULL};
      char p[CFG_PATH_CAP], q[CFG_PATH_CAP];
      join_idx(p, "service_listing.pricing", i);
      if (cfg__want_object(c, pr, p) != 0 || cfg__check_keys(c, pr, p, pkeys) != 0)
        return -1;
      cfg__join(q, p, "capability");
      if (cfg__want_str(c, json_object_get(pr, "capability"), q, 200) != 0)
        return -1;
      cfg__join(q, p, "unit_cost");
      if (cfg__want_num(c, json_object_get(pr, "unit_cost"), q, 0, 1e15, 0) != 0)
        return -1;
      cfg__join(q, p, "currency");
      if (cfg__want_str(c, json_object_get(pr, "currency"), q, 32) != 0)
        return -1;
      cfg__join(q, p, "per");
      if (cfg__want_str(c, json_object_get(pr, "per"), q, 64) != 0)
        return -1;
      {
        /* agent-service-listing-v1 pins the pricing unit */
        const char *per = json_string_value(json_object_get(pr, "per"));
        if (strcmp(per, "task") && strcmp(per, "tool_call") && strcmp(per, "token"))
          return cfg__fail(c, q, "must be \"task\", \"tool_call\" or \"token\"");
      }
    }
  } else {
    json_object_set_new(sl, "pricing", json_array());
  }
  if ((v = json_object_get(sl, "sla"))) {
    static const char *const skeys[] = {"max_latency_ms", "availability_guarantee", NULL};
    json_t *w;
    if (cfg__want_object(c, v, "service_listing.sla") != 0 ||
        cfg__check_keys(c, v, "service_listing.sla", skeys) != 0)
      return -1;
    if ((w = json_object_get(v, "max_latency_ms"))) {
      if (cfg__want_int(c, w, "service_listing.sla.max_latency_ms", 1, 86400000) != 0)
        return -1;
    } else {
      json_object_set_new(v, "max_latency_ms", json_integer(300000));
    }
    if ((w = json_object_get(v, "availability_guarantee"))) {
      if (cfg__want_num(c, w, "service_listing.sla.availability_guarantee", 0, 1, 0) != 0)
        return -1;
    } else {
      json_object_set_new(v, "availability_guarantee", json_real(0.99));
    }
  } else {
    json_object_set_new(sl, "sla",
                        json_pack("{s:i,s:f}", "max_latency_ms", 300000, "availability_guarantee",
                                  0.99));
  }
  if ((v = json_object_get(sl, "description"))) {
    if (!json_is_string(v) || json_string_length(v) > 4096)
      return cfg__fail(c, "service_listing.description", "must be a string of at most 4096 bytes");
  } else {
    json_object_set_new(sl, "description", json_string(""));
  }
  if ((v = json_object_get(sl, "listing_id")) &&
      cfg__want_str(c, v, "service_listing.listing_id", 200) != 0)
    return -1;
  return 0;
}

static int norm_memory(cfg_vctx *c, json_t *m)
{
  static const char *const keys[] = {"half_life_days", NULL};
  json_t *v;
  if (cfg__check_keys(c, m, "memory", keys) != 0)
    return -1;
  if ((v = json_object_get(m, "half_life_days"))) {
    if (cfg__want_num(c, v, "memory.half_life_days", 0, 36500, 1) != 0)
      return -1;
  } else {
    json_object_set_new(m, "half_life_days", json_integer(7));
  }
  return 0;
}

/* Ensures cfg[key] is an object (creating it when absent); NULL + error when it is not one. */
static json_t *section(cfg_vctx *c, json_t *cfg, const char *key)
{
  json_t *v = json_object_get(cfg, key);
  if (!v) {
    v = json_object();
    json_object_set_new(cfg, key, v);
    return v;
  }
  if (!json_is_object(v)) {
    cfg__fail(c, key, "must be an object");
    return NULL;
  }
  return v;
}

int mcp_config_normalize(json_t **out, const json_t *in, char *err, size_t errlen)
{
  static const char *const keys[] = {
      "$schema", "profile",         "motebit_id", "device_id", "policy", "http", "executors",
      "peers",   "service_listing", "memory",     "upstreams", "store",  NULL};
  cfg_vctx c = {err, errlen};
  json_t *cfg = NULL, *v, *sec;
  *out = NULL;
  /* The defaults below are filled in with unchecked json_object_set_new calls; one that fails
   * for want of memory drops its key and leaves errno ENOMEM, checked at the end. */
  errno = 0;
  if (in && !json_is_object(in)) {
    cfg__fail(&c, "config", "must be a JSON object");
    return -1;
  }
  cfg = in ? json_deep_copy(in) : json_object();
  if (!cfg) {
    cfg__fail(&c, "config", "out of memory");
    return -1;
  }
  if (cfg__check_keys(&c, cfg, "", keys) != 0)
    goto bad;
  const char *profile = SEAL_PROFILE_PERSONAL;
  /* the Store (read by the CLI before the config, see cli_store_path): a SQLite path or a
   * postgresql:// URI */
  if ((v = json_object_get(cfg, "store")) &&
      (!json_is_string(v) || json_string_length(v) < 1 || json_string_length(v) > 4000)) {
    cfg__fail(&c, "store", "must be a SQLite path or a postgresql:// URI (1..4000 characters)");
    goto bad;
  }
  if ((v = json_object_get(cfg, "profile"))) {
    const char *s = json_string_value(v);
    if (!seal_profile_valid(s)) {
      cfg__fail(&c, "profile", "must be \"personal\", \"service\" or \"collaborative\"");
      goto bad;
    }
    profile = s;
  } else {
    json_object_set_new(cfg, "profile", json_string(profile));
    profile = json_string_value(json_object_get(cfg, "profile"));
  }
  if ((v = json_object_get(cfg, "motebit_id")) && cfg__want_str(&c, v, "motebit_id", 200) != 0)
    goto bad;
  if ((v = json_object_get(cfg, "device_id")) && cfg__want_str(&c, v, "device_id", 200) != 0)
    goto bad;
  if (!(sec = section(&c, cfg, "policy")) || norm_policy(&c, sec, profile) != 0)
    goto bad;
  if (!(sec = section(&c, cfg, "http")) || norm_http(&c, sec) != 0)
    goto bad;
  if (!(sec = section(&c, cfg, "executors")) || cfg__norm_executors(&c, sec) != 0)
    goto bad;
  if ((v = json_object_get(cfg, "peers"))) {
    if (norm_peers(&c, v) != 0)
      goto bad;
  } else {
    json_object_set_new(cfg, "peers", json_array());
  }
  if ((v = json_object_get(cfg, "upstreams"))) {
    if (cfg__norm_upstreams(&c, v) != 0)
      goto bad;
  } else {
    json_object_set_new(cfg, "upstreams", json_array());
  }
  if (cfg__check_mcp_executors(&c, cfg) != 0)
    goto bad;
  if ((v = json_object_get(cfg, "service_listing"))) {
    if (cfg__want_object(&c, v, "service_listing") != 0 || norm_listing(&c, v) != 0)
      goto bad;
  }
  if (!(sec = section(&c, cfg, "memory")) || norm_memory(&c, sec) != 0)
    goto bad;
  if (errno == ENOMEM) {
    cfg__fail(&c, "config", "out of memory");
    goto bad;
  }
  *out = cfg;
  return 0;
bad:
  json_decref(cfg);
  return -1;
}

int mcp_config_load(json_t **out, const char *motus_dir, char *err, size_t errlen)
{
  return mcp_config_load_ex(out, motus_dir, NULL, err, errlen);
}

int mcp_config_load_ex(json_t **out, const char *motus_dir, const char *profile, char *err,
                       size_t errlen)
{
  char path[4096];
  json_error_t jerr;
  json_t *raw = NULL;
  int rc;
  *out = NULL;
  snprintf(path, sizeof path, "%s/%s", motus_dir ? motus_dir : ".motus", MCP_CONFIG_FILE);
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errno == ENOENT) {
      json_t *empty = profile ? json_pack("{s:s}", "profile", profile) : NULL;
      rc = mcp_config_normalize(out, empty, err, errlen);
      json_decref(empty);
      return rc;
    }
    if (err && errlen)
      snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  char *buf = malloc(MCP_CONFIG_MAX_BYTES + 1);
  size_t n = buf ? fread(buf, 1, MCP_CONFIG_MAX_BYTES + 1, f) : 0;
  int rerr = ferror(f);
  fclose(f);
  if (!buf || rerr || n > MCP_CONFIG_MAX_BYTES) {
    if (err && errlen)
      snprintf(err, errlen, "%s: %s", path,
               !buf   ? "out of memory"
               : rerr ? "read error"
                      : "larger than 1 MiB");
    free(buf);
    return -1;
  }
  raw = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &jerr);
  free(buf);
  if (!raw) {
    if (err && errlen)
      snprintf(err, errlen, "%s: invalid JSON at line %d: %s", path, jerr.line, jerr.text);
    return -1;
  }
  if (profile && json_is_object(raw) &&
      json_object_set_new(raw, "profile", json_string(profile)) != 0) { /* before the defaults */
    json_decref(raw);
    if (err && errlen)
      snprintf(err, errlen, "%s: out of memory", path);
    return -1;
  }
  char inner[300];
  inner[0] = 0;
  rc = mcp_config_normalize(out, raw, inner, sizeof inner);
  json_decref(raw);
  if (rc != 0 && err && errlen)
    snprintf(err, errlen, "%s: %s", path, inner);
  return rc;
}
