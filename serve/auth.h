/* SPDX-License-Identifier: Apache-2.0
 * serve/auth.h — caller authentication for the HTTP transport (spec/http.md "Authentication"):
 * static bearer tokens (config http.tokens, plus WORKLEDGER_TOKEN as the token named "env"),
 * compared in constant time; and motebit signed tokens `Bearer motebit:<token>`
 * (motebit-jwt-ed25519-v1, shared/reference/motebit.md §4) verified over the received payload
 * bytes, `suite` required, `exp` with a 60 s skew, `aud` = "task:submit" or one of
 * http.audiences, the caller's key from http.known_callers or — when http.trust_on_first_use
 * is true — pinned on first contact. The Store has no caller-key table, so first-contact keys
 * are remembered in memory only (for the life of the process). Reuse of a token within its
 * lifetime is allowed (the reference client sends one token per session).
 * It decides who the caller is; the policy gate decides what the caller may do. It never logs
 * or returns the token itself. Thread-safe. */
#ifndef WL_MCP_AUTH_H
#define WL_MCP_AUTH_H

#include "crypto/err.h"
#include "mcp/policy.h"

#include <jansson.h>
#include <stdint.h>

#define MCP_AUTH_SKEW_MS 60000
/* Longest lifetime (exp - iat) of a motebit token accepted by default, seconds. */
#define MCP_AUTH_MAX_LIFETIME_S 86400
#define MCP_AUTH_DEFAULT_AUD "task:submit"

/* Aliases into the one code space of crypto/err.h. */
typedef enum mcp_auth_rc {
  MCP_AUTH_OK = WL_OK,
  MCP_AUTH_EMISSING = WL_ENOAUTH,   /* no Authorization header while auth is required → 401 */
  MCP_AUTH_EINVALID = WL_EAUTH,     /* bad/unknown/expired/wrong-audience credentials → 401 */
  MCP_AUTH_EFORBIDDEN = WL_EDENIED, /* authenticated but not allowed (blocked caller) → 403 */
} mcp_auth_rc;

typedef struct mcp_auth mcp_auth;

typedef struct mcp_auth_result {
  char caller_id[160]; /* motebit_id, "token:<name>", or "anonymous" */
  mcp_trust trust;
  char method[16];  /* "static", "motebit", "none" */
  char reason[200]; /* on failure: one line for logs and events (never the token) */
} mcp_auth_result;

/* `config` borrowed (normalized config or NULL) and must outlive the object; `env_token`
 * borrowed (copied; NULL or "" = none). `*out` new: free with mcp_auth_free. Returns MCP_OK
 * or MCP_ERROR (out of memory). */
int mcp_auth_new(mcp_auth **out, const json_t *config, const char *env_token);
void mcp_auth_free(mcp_auth *a);

/* 1 when any credential is configured (a static token, a known caller, or trust-on-first-use):
 * then every request must authenticate. 0: no auth (callers are anonymous/unknown). */
int mcp_auth_required(const mcp_auth *a);

/* Checks one Authorization header value (borrowed, may be NULL). `presented_pk`: the value of
 * the Motebit-Public-Key request header (hex Ed25519 key, may be NULL), used only to pin an
 * unknown motebit caller when trust-on-first-use is on. now_ms 0 = current time.
 * Fills *out in every case. Returns MCP_AUTH_OK, MCP_AUTH_EMISSING, MCP_AUTH_EINVALID or
 * MCP_AUTH_EFORBIDDEN. When auth is not required, a missing header gives MCP_AUTH_OK with an
 * anonymous caller of trust MCP_TRUST_UNKNOWN; a present header is still checked. */
int mcp_auth_check(mcp_auth *a, const char *authorization, const char *presented_pk, int64_t now_ms,
                   mcp_auth_result *out);

/* Number of callers pinned by trust-on-first-use so far. */
int mcp_auth_tofu_count(mcp_auth *a);

#endif
