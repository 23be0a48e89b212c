/* SPDX-License-Identifier: Apache-2.0
 * serve/auth.c — bearer-token authentication of HTTP callers (see serve/auth.h): parses the
 * Authorization header, matches static tokens through the config's constant-time lookup, and
 * verifies motebit signed tokens with crypto/artifacts.h against a pinned, configured or
 * first-contact key. First-contact keys live in an in-memory table guarded by a mutex. It does
 * not record events or answer HTTP (serve/http.c does both with the result). */
#include "serve/auth.h"

#include "crypto/artifacts.h"
#include "config/config.h"
#include "mcp/mcp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOFU_MAX 4096
#define TOKEN_MAX 8192

typedef struct tofu_entry {
  char *mid;
  uint8_t pk[SEAL_PK_BYTES];
} tofu_entry;

struct mcp_auth {
  const json_t *config;
  char *env_token;
  int tofu_enabled;
  int64_t max_lifetime_ms; /* exp - iat of a motebit token at most (http.max_token_lifetime_s) */
  pthread_mutex_t mu;
  tofu_entry *tofu;
  int ntofu;
};

int mcp_auth_new(mcp_auth **out, const json_t *config, const char *env_token)
{
  mcp_auth *a = calloc(1, sizeof *a);
  if (!a)
    return MCP_ERROR;
  a->config = config;
  if (env_token && *env_token && !(a->env_token = seal_secret_dup(env_token))) {
    free(a);
    return MCP_ERROR;
  }
  a->tofu_enabled = mcp_config_bool(config, "http.trust_on_first_use", 0);
  a->max_lifetime_ms = mcp_config_int(config, "http.max_token_lifetime_s",
                                      MCP_AUTH_MAX_LIFETIME_S) *
                       1000;
  pthread_mutex_init(&a->mu, NULL);
  *out = a;
  return MCP_OK;
}

void mcp_auth_free(mcp_auth *a)
{
  if (!a)
    return;
  for (int i = 0; i < a->ntofu; i++)
    free(a->tofu[i].mid);
  free(a->tofu);
  seal_secret_free(a->env_token);
  pthread_mutex_destroy(&a->mu);
  free(a);
}

int mcp_auth_required(const mcp_auth *a)
{
  const json_t *tokens = mcp_config_get(a->config, "http.tokens");
  const json_t *kc = mcp_config_get(a->config, "http.known_callers");
  return a->env_token || json_array_size(tokens) > 0 || json_object_size(kc) > 0 || a->tofu_enabled;
}

int mcp_auth_tofu_count(mcp_auth *a)
{
  pthread_mutex_lock(&a->mu);
  int n = a->ntofu;
  pthread_mutex_unlock(&a->mu);
  return n;
}

static int fail(mcp_auth_result *out, int rc, const char *why)
{
  snprintf(out->reason, sizeof out->reason, "%s", why);
  return rc;
}

/* Trust of an authenticated caller from policy.callers (trusted / verified / blocked). */
static mcp_trust configured_trust(const mcp_auth *a, const char *id, mcp_trust def)
{
  const char *t = json_string_value(
      json_object_get(mcp_config_get(a->config, "policy.callers"), id));
  if (!t)
    return def;
  if (strcmp(t, "trusted") == 0)
    return MCP_TRUST_TRUSTED;
  if (strcmp(t, "blocked") == 0)
    return MCP_TRUST_BLOCKED;
  return MCP_TRUST_VERIFIED;
}

static int aud_allowed(const mcp_auth *a, const char *aud)
{
  if (strcmp(aud, MCP_AUTH_DEFAULT_AUD) == 0)
    return 1;
  const json_t *auds = mcp_config_get(a->config, "http.audiences");
  size_t i;
  json_t *v;
  json_array_foreach((json_t *)auds, i, v) {
    if (json_is_string(v) && strcmp(json_string_value(v), aud) == 0)
      return 1;
  }
  return 0;
}

/* Caller ids that a motebit token may not claim: the stdio operator's, the anonymous one, and
 * the names of the static tokens (their policy.callers entries must not be borrowed). */
static int reserved_id(mcp_auth *a, const char *mid)
{
  const json_t *tokens = mcp_config_get(a->config, "http.tokens");
  size_t i;
  const json_t *t;
  if (!strcmp(mid, MCP_CALLER_LOCAL) || !strcmp(mid, "anonymous") || !strcmp(mid, "env"))
    return 1;
  json_array_foreach(tokens, i, t) {
    const char *name = json_string_value(json_object_get(t, "name"));
    if (name && !strcmp(name, mid))
      return 1;
  }
  return 0;
}

static int check_motebit(mcp_auth *a, const char *tok, const char *presented_pk, int64_t now_ms,
                         mcp_auth_result *out)
{
  json_t *peek = NULL, *claims = NULL;
  seal_err se;
  int rc = MCP_AUTH_EINVALID, pinned_now = 0;
  uint8_t pk[SEAL_PK_BYTES];
  if (seal_token_peek(&peek, tok, &se) != SEAL_OK)
    return fail(out, MCP_AUTH_EINVALID, "malformed motebit token");
  const char *mid = json_string_value(json_object_get(peek, "mid"));
  if (!mid || !*mid || strlen(mid) >= sizeof out->caller_id) {
    fail(out, MCP_AUTH_EINVALID, "motebit token without mid");
    goto done;
  }
  if (reserved_id(a, mid)) {
    fail(out, MCP_AUTH_EINVALID, "motebit token mid is a reserved caller id");
    goto done;
  }
  snprintf(out->caller_id, sizeof out->caller_id, "%s", mid);
  const char *hex = mcp_config_known_caller(a->config, mid);
  int known = 0, tofu_hit = 0;
  if (hex && seal_hex_decode(pk, sizeof pk, hex, 1) == SEAL_OK) {
    known = 1;
  } else {
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < a->ntofu; i++)
      if (strcmp(a->tofu[i].mid, mid) == 0) {
        memcpy(pk, a->tofu[i].pk, sizeof pk);
        tofu_hit = 1;
        break;
      }
    pthread_mutex_unlock(&a->mu);
  }
  if (!known && !tofu_hit) {
    /* First contact: a motebit token carries no key. With trust-on-first-use the caller
     * presents its hex public key in the Motebit-Public-Key header (or as a did:key in `did`);
     * that key is pinned only if the token verifies under it. */
    const char *did = json_string_value(json_object_get(peek, "did"));
    int have = 0;
    if (a->tofu_enabled && presented_pk &&
        seal_hex_decode(pk, sizeof pk, presented_pk, 0) == SEAL_OK)
      have = 1;
    else if (a->tofu_enabled && did && strncmp(did, "did:key:", 8) == 0 &&
             seal_pk_from_did_key(pk, did) == SEAL_OK)
      have = 1;
    if (!have) {
      fail(out, MCP_AUTH_EINVALID,
           a->tofu_enabled ? "unknown caller: no Motebit-Public-Key to pin"
                           : "unknown caller (not in http.known_callers)");
      goto done;
    }
    pinned_now = 1;
  }
  int v = seal_token_verify(&claims, tok, pk, now_ms, MCP_AUTH_SKEW_MS, &se);
  if (v == SEAL_EEXPIRED) {
    fail(out, MCP_AUTH_EINVALID, "motebit token expired");
    goto done;
  }
  if (v == SEAL_EINVAL) { /* claims the signature covers: the reason is safe to log */
    snprintf(out->reason, sizeof out->reason, "motebit token: %.150s", se.msg);
    goto done;
  }
  if (v != SEAL_OK) {
    fail(out, MCP_AUTH_EINVALID, "motebit token signature or claims invalid");
    goto done;
  }
  /* exp >= iat (seal_token_verify): the unsigned difference cannot overflow, the signed could */
  if ((uint64_t)json_integer_value(json_object_get(claims, "exp")) -
          (uint64_t)json_integer_value(json_object_get(claims, "iat")) >
      (uint64_t)a->max_lifetime_ms) {
    snprintf(out->reason, sizeof out->reason,
             "motebit token lives longer than http.max_token_lifetime_s (%lld s)",
             (long long)(a->max_lifetime_ms / 1000));
    goto done;
  }
  const char *aud = json_string_value(json_object_get(claims, "aud"));
  if (!aud || !aud_allowed(a, aud)) {
    snprintf(out->reason, sizeof out->reason, "motebit token audience \"%.60s\" not accepted",
             aud ? aud : "");
    goto done;
  }
  out->trust = known ? MCP_TRUST_VERIFIED
                     : (pinned_now ? MCP_TRUST_FIRST_CONTACT : MCP_TRUST_VERIFIED);
  if (pinned_now && configured_trust(a, mid, MCP_TRUST_VERIFIED) != MCP_TRUST_BLOCKED) {
    pthread_mutex_lock(&a->mu);
    int dup = 0;
    for (int i = 0; i < a->ntofu; i++)
      dup |= strcmp(a->tofu[i].mid, mid) == 0;
    if (!dup && a->ntofu < TOFU_MAX) {
      tofu_entry *nt = realloc(a->tofu, (size_t)(a->ntofu + 1) * sizeof *nt);
      if (nt) {
        a->tofu = nt;
        nt[a->ntofu].mid = strdup(mid);
        memcpy(nt[a->ntofu].pk, pk, sizeof pk);
        if (nt[a->ntofu].mid)
          a->ntofu++;
      }
    }
    pthread_mutex_unlock(&a->mu);
    mcp_log(MCP_LOG_INFO, "http auth: pinned the key of %s on first contact (in memory only)", mid);
  }
  rc = MCP_AUTH_OK;
done:
  json_decref(peek);
  json_decref(claims);
  return rc;
}

int mcp_auth_check(mcp_auth *a, const char *authz, const char *presented_pk, int64_t now_ms,
                   mcp_auth_result *out)
{
  memset(out, 0, sizeof *out);
  snprintf(out->caller_id, sizeof out->caller_id, "anonymous");
  snprintf(out->method, sizeof out->method, "none");
  out->trust = MCP_TRUST_UNKNOWN;
  if (!authz || !*authz) {
    if (!mcp_auth_required(a))
      return MCP_AUTH_OK;
    return fail(out, MCP_AUTH_EMISSING, "no Authorization header");
  }
  if (strncasecmp(authz, "Bearer ", 7) != 0)
    return fail(out, MCP_AUTH_EINVALID, "Authorization is not a Bearer token");
  const char *tok = authz + 7;
  while (*tok == ' ')
    tok++;
  size_t n = strlen(tok);
  while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
    n--;
  if (!n || n > TOKEN_MAX)
    return fail(out, MCP_AUTH_EINVALID, "empty or oversize bearer token");
  /* a transient copy (one per request, so plain heap: sodium_malloc maps guard pages each
   * time), wiped with seal_wipe before it is freed */
  char *t = malloc(n + 1);
  if (!t)
    return fail(out, MCP_AUTH_EINVALID, "out of memory");
  memcpy(t, tok, n);
  t[n] = 0;
  int rc;
  if (strncmp(t, "motebit:", 8) == 0) {
    snprintf(out->method, sizeof out->method, "motebit");
    rc = check_motebit(a, t + 8, presented_pk, now_ms, out);
  } else {
    snprintf(out->method, sizeof out->method, "static");
    const char *name = mcp_config_http_token_name(a->config, t);
    if (!name && a->env_token) {
      uint8_t h1[SEAL_SHA256_BYTES], h2[SEAL_SHA256_BYTES];
      seal_sha256(h1, t, n);
      seal_sha256(h2, a->env_token, strlen(a->env_token));
      if (seal_memcmp(h1, h2, sizeof h1) == 0)
        name = "env";
    }
    if (name) {
      snprintf(out->caller_id, sizeof out->caller_id, "%s", name);
      out->trust = MCP_TRUST_VERIFIED;
      rc = MCP_AUTH_OK;
    } else {
      rc = fail(out, MCP_AUTH_EINVALID, "unknown bearer token");
    }
  }
  seal_wipe(t, n);
  free(t);
  if (rc == MCP_AUTH_OK) {
    out->trust = configured_trust(a, out->caller_id, out->trust);
    if (out->trust == MCP_TRUST_BLOCKED)
      return fail(out, MCP_AUTH_EFORBIDDEN, "caller is blocked by policy.callers");
  } else {
    out->trust = MCP_TRUST_UNKNOWN;
  }
  return rc;
}
