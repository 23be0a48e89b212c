/* SPDX-License-Identifier: Apache-2.0
 * mcp/policy.c — the policy gate of spec/policy.md (motebit.md §6.2): presets and bands,
 * deny/allow lists, delegated scope, a call budget per fixed window, the path and domain
 * allow-lists, the approval band and caller trust, evaluated in that order so the first failing
 * rule is the one reported. The configuration is validated by config/config.c and copied into plain
 * C arrays here; the only mutable state is the budget window, guarded by a mutex that is held
 * across the whole decision so that check-and-count is atomic. It records nothing and talks to
 * no client: the dispatcher turns the decision into events, results and pending approvals. */
#include "mcp/policy.h"

#include "config/config.h"
#include "crypto/artifacts.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct strlist {
  char **v;
  size_t n;
  int set; /* the key was present in the configuration */
} strlist;

typedef struct caller_rule {
  char *id;
  mcp_trust trust;
} caller_rule;

struct mcp_policy {
  const char *preset; /* static */
  int approval_above, deny_above;
  strlist deny, allow, paths, domains, argv;
  caller_rule *callers;
  size_t ncallers;
  int64_t budget_calls; /* -1 = unlimited */
  int64_t window_ms;
  pthread_mutex_t mu;
  int window_open;
  int64_t window_start;
  int64_t used;
};

static void strlist_free(strlist *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

/* Copies an array of strings; `lower` lowercases, `domain` also strips a leading "*." and a
 * trailing '.', `path` normalises slashes. Returns 0 or -1 on OOM. */
static char *path_normalize(const char *in, int *dotdot);

static int strlist_from(strlist *l, const json_t *arr, int kind)
{
  size_t i;
  json_t *e;
  l->set = arr != NULL;
  if (!arr)
    return 0;
  l->v = calloc(json_array_size(arr) + 1, sizeof *l->v);
  if (!l->v)
    return -1;
  json_array_foreach((json_t *)arr, i, e) {
    const char *s = json_string_value(e);
    char *c;
    if (kind == 2) {
      int dd = 0;
      c = path_normalize(s, &dd);
    } else {
      c = strdup(kind == 1 && strncmp(s, "*.", 2) == 0 ? s + 2 : s);
    }
    if (!c)
      return -1;
    if (kind == 1) {
      for (char *p = c; *p; p++)
        *p = (char)tolower((unsigned char)*p);
      size_t n = strlen(c);
      if (n > 1 && c[n - 1] == '.')
        c[n - 1] = 0;
    }
    l->v[l->n++] = c;
  }
  return 0;
}

static int strlist_has(const strlist *l, const char *s)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], s) == 0)
      return 1;
  return 0;
}

int mcp_policy_new(mcp_policy **out, const json_t *config, const char *profile, char *err,
                   size_t errlen)
{
  const json_t *pol = config;
  json_t *wrap = NULL, *norm = NULL;
  mcp_policy *p = NULL;
  char inner[256];
  inner[0] = 0;
  /* The whole config.json object was handed in: use its policy member. */
  if (json_is_object(config) &&
      (json_object_get(config, "policy") || json_object_get(config, "profile"))) {
    pol = json_object_get(config, "policy");
    if (!profile)
      profile = json_string_value(json_object_get(config, "profile"));
  }
  if (!profile)
    profile = SEAL_PROFILE_PERSONAL;
  wrap = json_pack("{s:s}", "profile", profile);
  if (!wrap)
    goto oom;
  if (pol)
    json_object_set(wrap, "policy", (json_t *)pol);
  if (mcp_config_normalize(&norm, wrap, inner, sizeof inner) != 0) {
    if (err && errlen)
      snprintf(err, errlen, "%s", inner);
    json_decref(wrap);
    return -1;
  }
  json_decref(wrap);
  wrap = NULL;
  const json_t *np = json_object_get(norm, "policy");
  p = calloc(1, sizeof *p);
  if (!p)
    goto oom;
  pthread_mutex_init(&p->mu, NULL);
  const char *preset = json_string_value(json_object_get(np, "preset"));
  static const char *const names[] = {"cautious", "balanced", "autonomous", "service"};
  p->preset = names[1];
  for (size_t i = 0; i < 4; i++)
    if (preset && strcmp(preset, names[i]) == 0)
      p->preset = names[i];
  p->approval_above = (int)json_integer_value(json_object_get(np, "require_approval_above"));
  p->deny_above = (int)json_integer_value(json_object_get(np, "deny_above"));
  if (strlist_from(&p->deny, json_object_get(np, "denylist"), 0) != 0 ||
      strlist_from(&p->allow, json_object_get(np, "allowlist"), 0) != 0 ||
      strlist_from(&p->paths, json_object_get(np, "path_allowlist"), 2) != 0 ||
      strlist_from(&p->domains, json_object_get(np, "domain_allowlist"), 1) != 0 ||
      strlist_from(&p->argv, json_object_get(np, "argv_allowlist"), 0) != 0)
    goto oom;
  const json_t *budget = json_object_get(np, "budget");
  p->budget_calls = json_integer_value(json_object_get(budget, "calls"));
  p->window_ms = json_integer_value(json_object_get(budget, "window_s")) * 1000;
  const json_t *callers = json_object_get(np, "callers");
  if (json_object_size(callers)) {
    const char *k;
    json_t *v;
    p->callers = calloc(json_object_size(callers), sizeof *p->callers);
    if (!p->callers)
      goto oom;
    json_object_foreach((json_t *)callers, k, v) {
      const char *s = json_string_value(v);
      caller_rule *r = &p->callers[p->ncallers];
      if (!(r->id = strdup(k)))
        goto oom;
      p->ncallers++;
      r->trust = strcmp(s, "trusted") == 0   ? MCP_TRUST_TRUSTED
                 : strcmp(s, "blocked") == 0 ? MCP_TRUST_BLOCKED
                                             : MCP_TRUST_VERIFIED;
    }
  }
  json_decref(norm);
  *out = p;
  return 0;
oom:
  json_decref(wrap);
  json_decref(norm);
  mcp_policy_free(p);
  if (err && errlen)
    snprintf(err, errlen, "policy: out of memory");
  return -1;
}

void mcp_policy_free(mcp_policy *p)
{
  if (!p)
    return;
  strlist_free(&p->deny);
  strlist_free(&p->allow);
  strlist_free(&p->paths);
  strlist_free(&p->argv);
  strlist_free(&p->domains);
  for (size_t i = 0; i < p->ncallers; i++)
    free(p->callers[i].id);
  free(p->callers);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

const char *mcp_risk_name(mcp_risk r)
{
  static const char *const n[] = {"R0", "R1", "R2", "R3", "R4"};
  return (unsigned)r <= 4 ? n[r] : "R?";
}

int mcp_risk_parse(const char *s)
{
  static const char *const long_names[] = {"R0_READ", "R1_DRAFT", "R2_WRITE", "R3_EXECUTE",
                                           "R4_MONEY"};
  if (!s)
    return -1;
  for (int i = 0; i < 5; i++) {
    char shortn[3] = {'R', (char)('0' + i), 0}, digit[2] = {(char)('0' + i), 0};
    if (strcmp(s, shortn) == 0 || strcmp(s, long_names[i]) == 0 || strcmp(s, digit) == 0)
      return i;
  }
  return -1;
}

json_t *mcp_risk_annotations(mcp_risk r)
{
  if (r == MCP_R0_READ)
    return json_pack("{s:b,s:b}", "readOnlyHint", 1, "idempotentHint", 1);
  if (r == MCP_R1_DRAFT)
    return json_pack("{s:b}", "idempotentHint", 1);
  return json_pack("{s:b}", "destructiveHint", 1);
}

void mcp_policy_bands(const mcp_policy *p, int *require_approval_above, int *deny_above)
{
  if (require_approval_above)
    *require_approval_above = p->approval_above;
  if (deny_above)
    *deny_above = p->deny_above;
}

const char *mcp_policy_preset(const mcp_policy *p)
{
  return p->preset;
}

/* ---- individual checks ---------------------------------------------------------------------- */

/* Whether `tool` is inside a delegated scope "a, b" or "*" (split on ',', trimmed, empties
 * dropped, exact names). */
static int scope_covers(const char *scope, const char *tool)
{
  size_t tl = strlen(tool);
  const char *p = scope;
  while (*p) {
    while (*p == ' ' || *p == '\t')
      p++;
    const char *start = p;
    while (*p && *p != ',')
      p++;
    const char *end = p;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
      end--;
    size_t n = (size_t)(end - start);
    if ((n == 1 && *start == '*') || (n == tl && n && memcmp(start, tool, n) == 0))
      return 1;
    if (*p == ',')
      p++;
  }
  return 0;
}

/* Lexical normalisation: repeated '/' collapsed, "." segments dropped, a trailing '/' removed
 * (except for "/"). *dotdot is set when a ".." segment occurs (such paths never match). */
static char *path_normalize(const char *in, int *dotdot)
{
  size_t n = strlen(in);
  char *out = malloc(n + 2);
  size_t o = 0;
  const char *p = in;
  if (!out)
    return NULL;
  *dotdot = 0;
  if (*p == '/')
    out[o++] = '/';
  while (*p) {
    while (*p == '/')
      p++;
    const char *seg = p;
    while (*p && *p != '/')
      p++;
    size_t len = (size_t)(p - seg);
    if (len == 0 || (len == 1 && seg[0] == '.'))
      continue;
    if (len == 2 && seg[0] == '.' && seg[1] == '.')
      *dotdot = 1;
    if (o > 0 && out[o - 1] != '/')
      out[o++] = '/';
    memcpy(out + o, seg, len);
    o += len;
  }
  if (o == 0)
    out[o++] = '.';
  out[o] = 0;
  return out;
}

/* Segment-boundary prefix: "/a/b" covers "/a/b" and "/a/b/c", never "/a/bc". */
static int path_under(const char *path, const char *root)
{
  size_t rl = strlen(root);
  if (strcmp(root, "/") == 0)
    return path[0] == '/';
  return strncmp(path, root, rl) == 0 && (path[rl] == 0 || path[rl] == '/');
}

/* Host of an absolute URL (scheme://[userinfo@]host[:port][/...]), lowercased, one trailing
 * dot removed, IPv6 literals with their brackets. Returns 0 or -1 when the URL is invalid. */
static int url_host(const char *url, char *host, size_t cap)
{
  const char *p = url;
  if (!isalpha((unsigned char)*p))
    return -1;
  while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
    p++;
  if (strncmp(p, "://", 3) != 0)
    return -1;
  p += 3;
  const char *end = p;
  while (*end && *end != '/' && *end != '?' && *end != '#')
    end++;
  for (const char *q = p; q < end; q++)
    if (*q == '\\' || *q == '%' || (unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
      return -1;
  const char *at = NULL;
  for (const char *q = p; q < end; q++)
    if (*q == '@')
      at = q;
  if (at)
    p = at + 1;
  const char *hend;
  if (*p == '[') {
    hend = memchr(p, ']', (size_t)(end - p));
    if (!hend)
      return -1;
    for (const char *q = p + 1; q < hend; q++)
      if (!(isxdigit((unsigned char)*q) || *q == ':' || *q == '.'))
        return -1;
    hend++;
  } else {
    hend = p;
    while (hend < end && *hend != ':')
      hend++;
    for (const char *q = p; q < hend; q++)
      if (!(isalnum((unsigned char)*q) || *q == '-' || *q == '.' || *q == '_'))
        return -1;
  }
  if (hend < end) {
    if (*hend != ':')
      return -1;
    for (const char *q = hend + 1; q < end; q++)
      if (!isdigit((unsigned char)*q))
        return -1;
  }
  size_t n = (size_t)(hend - p);
  if (n > 1 && p[n - 1] == '.' && *p != '[')
    n--;
  if (n == 0 || n >= cap || (n == 1 && *p == '.'))
    return -1;
  for (size_t i = 0; i < n; i++)
    host[i] = (char)tolower((unsigned char)p[i]);
  host[n] = 0;
  return 0;
}

static int domain_allowed(const strlist *l, const char *host)
{
  size_t hl = strlen(host);
  for (size_t i = 0; i < l->n; i++) {
    const char *d = l->v[i];
    size_t dl = strlen(d);
    if (strcmp(host, d) == 0)
      return 1;
    if (hl > dl + 1 && host[hl - dl - 1] == '.' && strcmp(host + hl - dl, d) == 0)
      return 1;
  }
  return 0;
}

/* The trust level the gate acts on: the authenticated level, adjusted by policy.callers for an
 * identified caller. An unauthenticated (unknown) caller can only be blocked by configuration,
 * never promoted, since its id is self-asserted; the local operator is not configurable. */
static mcp_trust effective_trust(const mcp_policy *p, const mcp_caller *caller)
{
  if (!caller)
    return MCP_TRUST_LOCAL;
  /* The operator is known by the trust level its transport gave it (stdio: MCP_TRUST_LOCAL),
   * never promoted by its id: ids of remote callers are self-asserted (auth.c refuses the
   * reserved one). The id only ever downgrades: marked trusted, it keeps the operator's bands. */
  if (caller->id && strcmp(caller->id, MCP_CALLER_LOCAL) == 0 && caller->trust == MCP_TRUST_TRUSTED)
    return MCP_TRUST_LOCAL;
  if (caller->trust == MCP_TRUST_LOCAL || caller->trust == MCP_TRUST_BLOCKED || !caller->id)
    return caller->trust;
  for (size_t i = 0; i < p->ncallers; i++)
    if (strcmp(p->callers[i].id, caller->id) == 0) {
      if (caller->trust == MCP_TRUST_UNKNOWN && p->callers[i].trust != MCP_TRUST_BLOCKED)
        return caller->trust;
      return p->callers[i].trust;
    }
  return caller->trust;
}

static const char *const trust_names[] = {"trusted", "verified", "first_contact",
                                          "unknown", "blocked",  "local"};

static void set(mcp_decision *out, mcp_verdict v, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set(mcp_decision *out, mcp_verdict v, const char *rule, const char *fmt, ...)
{
  va_list ap;
  out->verdict = v;
  out->rule = rule;
  va_start(ap, fmt);
  vsnprintf(out->reason, sizeof out->reason, fmt, ap);
  va_end(ap);
}

/* Path and domain allow-lists. Returns 1 and fills `out` when the call is denied. */
static int check_args(const mcp_policy *p, const json_t *args, mcp_trust trust, mcp_decision *out)
{
  static const char *const path_keys[] = {"path", "cwd", "file"};
  /* a file the server reads for a caller (motus_work_evidence.file): the local operator's
   * privilege; a remote caller may only name files under an explicit path_allowlist, and is
   * refused before anything is opened, so the answer says nothing of what exists */
  if (trust != MCP_TRUST_LOCAL && !p->paths.set && json_object_get(args, "file")) {
    set(out, MCP_DENY, "remote_file",
        "args.file names a file on the server: only the local operator may do that unless the "
        "operator sets policy.path_allowlist");
    return 1;
  }
  /* a program the server runs for a caller (motus_wrap's argv): for anyone but the local
   * operator only one the operator listed, even where the risk band allows R3 (service) */
  if (trust != MCP_TRUST_LOCAL && json_object_get(args, "argv")) {
    const char *prog = json_string_value(json_array_get(json_object_get(args, "argv"), 0));
    if (!p->argv.set) {
      set(out, MCP_DENY, "remote_argv",
          "args.argv runs a program on the server: only the local operator may do that unless "
          "the operator lists the program in policy.argv_allowlist");
      return 1;
    }
    if (!prog || !strlist_has(&p->argv, prog)) {
      set(out, MCP_DENY, "argv_allowlist", "program \"%.100s\" is not on policy.argv_allowlist",
          prog ? prog : "");
      return 1;
    }
  }
  if (p->paths.set && json_is_object(args)) {
    for (size_t k = 0; k < 3; k++) {
      const json_t *v = json_object_get(args, path_keys[k]);
      if (!v)
        continue;
      if (!json_is_string(v)) {
        set(out, MCP_DENY, "path_allowlist", "args.%s is not a string path", path_keys[k]);
        return 1;
      }
      int dotdot = 0, ok = 0;
      char *norm = path_normalize(json_string_value(v), &dotdot);
      if (!norm) {
        set(out, MCP_DENY, "path_allowlist", "out of memory checking args.%s", path_keys[k]);
        return 1;
      }
      for (size_t i = 0; !dotdot && i < p->paths.n; i++)
        if (path_under(norm, p->paths.v[i]))
          ok = 1;
      if (!ok) {
        set(out, MCP_DENY, "path_allowlist", "args.%s \"%.100s\" is outside the allowed paths%s",
            path_keys[k], json_string_value(v), dotdot ? " (\"..\" segment)" : "");
        free(norm);
        return 1;
      }
      free(norm);
    }
  }
  if (p->domains.n && json_is_object(args)) {
    const json_t *v = json_object_get(args, "url");
    if (v) {
      char host[256];
      if (!json_is_string(v) || url_host(json_string_value(v), host, sizeof host) != 0) {
        set(out, MCP_DENY, "domain_allowlist",
            "invalid URL in args.url: cannot check the domain allow-list");
        return 1;
      }
      if (!domain_allowed(&p->domains, host)) {
        set(out, MCP_DENY, "domain_allowlist", "domain \"%.100s\" is not in the allowed domains",
            host);
        return 1;
      }
    }
  }
  return 0;
}

/* Opens a fresh window when none is open or the current one has ended. Caller holds p->mu. */
static void budget_roll(mcp_policy *p, int64_t now_ms)
{
  if (!p->window_open || now_ms >= p->window_start + p->window_ms) {
    p->window_open = 1;
    p->window_start = now_ms;
    p->used = 0;
  }
}

void mcp_policy_decide(mcp_policy *p, const char *tool, mcp_risk risk, const json_t *args,
                       const mcp_caller *caller, int64_t now_ms, mcp_decision *out)
{
  memset(out, 0, sizeof *out);
  out->budget_remaining = -1;
  if (!tool)
    tool = "";
  mcp_trust trust = effective_trust(p, caller);
  if ((unsigned)trust > (unsigned)MCP_TRUST_LOCAL)
    trust = MCP_TRUST_UNKNOWN; /* an out-of-range level is treated as unauthenticated */

  /* 1. denylist, allowlist */
  if (strlist_has(&p->deny, tool)) {
    set(out, MCP_DENY, "denylist", "tool \"%.80s\" is on the denylist", tool);
    return;
  }
  if (p->allow.set && !strlist_has(&p->allow, tool)) {
    set(out, MCP_DENY, "allowlist", "tool \"%.80s\" is not on the allowlist", tool);
    return;
  }
  /* 2. delegation scope */
  if (caller && caller->scope && !scope_covers(caller->scope, tool)) {
    set(out, MCP_DENY, "scope", "tool \"%.80s\" is outside the delegated scope \"%.60s\"", tool,
        caller->scope);
    return;
  }
  /* 3. risk band */
  if ((int)risk > p->deny_above) {
    set(out, MCP_DENY, "risk_band", "risk %s above the deny band (denyAbove %s)",
        mcp_risk_name(risk), p->deny_above >= 0 ? mcp_risk_name((mcp_risk)p->deny_above) : "none");
    return;
  }
  pthread_mutex_lock(&p->mu);
  /* 4. budget */
  if (p->budget_calls >= 0) {
    budget_roll(p, now_ms);
    out->budget_remaining = p->budget_calls - p->used;
    if (p->used >= p->budget_calls) {
      out->budget_remaining = 0;
      set(out, MCP_DENY, "budget", "call budget of %lld per %llds exhausted",
          (long long)p->budget_calls, (long long)(p->window_ms / 1000));
      goto out;
    }
  }
  /* 5. path / domain allow-lists */
  if (check_args(p, args, trust, out))
    goto out;
  /* 6. approval band */
  int needs = (int)risk > p->approval_above;
  const char *why = "approval_band";
  /* 7. caller trust */
  switch (trust) {
  case MCP_TRUST_BLOCKED:
    set(out, MCP_DENY, "caller_trust", "caller \"%.80s\" is blocked",
        caller && caller->id ? caller->id : "unknown");
    goto out;
  case MCP_TRUST_TRUSTED: needs = 0; break;
  case MCP_TRUST_UNKNOWN:
  case MCP_TRUST_FIRST_CONTACT:
    if (!needs)
      why = "caller_trust";
    needs = 1;
    break;
  case MCP_TRUST_VERIFIED:
  case MCP_TRUST_LOCAL:
  default: break;
  }
  /* Money is never moved without a human decision (motebit.md §6.2 step 5: no verified grants). */
  if (risk >= MCP_R4_MONEY && !needs) {
    needs = 1;
    why = "approval_band";
  }
  if (needs) {
    if (strcmp(why, "caller_trust") == 0)
      set(out, MCP_NEEDS_APPROVAL, why, "caller trust \"%s\" needs approval for every call",
          trust_names[trust]);
    else
      set(out, MCP_NEEDS_APPROVAL, why, "risk %s is in the approval band (requireApprovalAbove %s)",
          mcp_risk_name(risk),
          p->approval_above >= 0 ? mcp_risk_name((mcp_risk)p->approval_above) : "none");
  } else {
    set(out, MCP_ALLOW, "allow", "risk %s allowed (preset %s)", mcp_risk_name(risk), p->preset);
  }
  if (p->budget_calls >= 0) {
    p->used++;
    out->budget_remaining = p->budget_calls - p->used;
  }
out:
  pthread_mutex_unlock(&p->mu);
}

int mcp_policy_listed(const mcp_policy *p, const char *tool, mcp_risk risk)
{
  if (!tool || strlist_has(&p->deny, tool))
    return 0;
  if (p->allow.set && !strlist_has(&p->allow, tool))
    return 0;
  return (int)risk <= p->deny_above;
}

int mcp_policy_never_asks(const mcp_policy *p, mcp_risk risk, const mcp_caller *caller)
{
  mcp_trust trust = effective_trust(p, caller);
  if (risk >= MCP_R4_MONEY || (unsigned)trust > (unsigned)MCP_TRUST_LOCAL)
    return 0; /* as in mcp_policy_decide: money always asks; out of range = unknown */
  switch (trust) {
  case MCP_TRUST_TRUSTED: return 1;
  case MCP_TRUST_VERIFIED:
  case MCP_TRUST_LOCAL: return (int)risk <= p->approval_above;
  default: return 0; /* blocked (denied), unknown and first contact (always asked) */
  }
}

int mcp_policy_visible(const mcp_policy *p, const char *tool, mcp_risk risk,
                       const mcp_caller *caller)
{
  if (!tool || strlist_has(&p->deny, tool))
    return 0;
  if (p->allow.set && !strlist_has(&p->allow, tool))
    return 0;
  if (caller && caller->scope && !scope_covers(caller->scope, tool))
    return 0;
  if ((int)risk > p->deny_above)
    return 0;
  return effective_trust(p, caller) != MCP_TRUST_BLOCKED;
}
