/* SPDX-License-Identifier: Apache-2.0
 * mcp/policy.h — the policy gate (shared/DESIGN.md "Policy gate", motebit.md §6.2): risk classes,
 * presets and bands, deny/allow lists, delegation scope, a call budget per window, path/domain
 * allow-lists, the approval band and caller trust. Pure decision logic plus the budget counters;
 * it does not record events or talk to the client (the dispatcher does both with the decision).
 * Thread-safe: mcp_policy_decide may be called from several worker threads at once. */
#ifndef WL_MCP_POLICY_H
#define WL_MCP_POLICY_H

#include <jansson.h>
#include <stdint.h>

typedef enum mcp_risk {
  MCP_R0_READ = 0,
  MCP_R1_DRAFT,
  MCP_R2_WRITE,
  MCP_R3_EXECUTE,
  MCP_R4_MONEY
} mcp_risk;

typedef enum mcp_trust {
  MCP_TRUST_TRUSTED = 0, /* a caller configured as trusted: never needs approval (R4 still does) */
  MCP_TRUST_VERIFIED,    /* authenticated (static token or verified motebit token) */
  MCP_TRUST_FIRST_CONTACT,
  MCP_TRUST_UNKNOWN, /* unauthenticated: every call needs approval */
  MCP_TRUST_BLOCKED, /* always denied */
  MCP_TRUST_LOCAL,   /* the local operator on stdio: the bands apply unchanged (no trust step).
                            Use this (or pass caller == NULL) for stdio; MCP_TRUST_TRUSTED would
                            skip the approval band entirely (motebit.md §6.2 step 4). */
} mcp_trust;

/* The caller id of the local operator on stdio. A caller with this id is treated as
 * MCP_TRUST_LOCAL whatever its trust field says (unless BLOCKED), so the bands always apply to it. */
#define MCP_CALLER_LOCAL "local-operator"

typedef struct mcp_caller {
  const char *id; /* motebit_id, token name, or "local-operator"; borrowed */
  mcp_trust trust;
  const char *scope; /* delegated scope ("a,b" or "*"), or NULL when none; borrowed */
} mcp_caller;

typedef enum mcp_verdict {
  MCP_ALLOW = 0,
  MCP_DENY = 1,
  MCP_NEEDS_APPROVAL = 2,
} mcp_verdict;

typedef struct mcp_decision {
  mcp_verdict verdict;
  char reason[200]; /* one line, e.g. "risk R4 above deny band R3" */
  const char
      *rule; /* static: "denylist", "allowlist", "scope", "risk_band", "budget", "path_allowlist",
                            "domain_allowlist", "approval_band", "caller_trust", "allow" */
  int64_t budget_remaining; /* calls left in the window, -1 when unlimited */
} mcp_decision;

typedef struct mcp_policy mcp_policy;

/* Builds a policy from the "policy" object of .motus/config.json (borrowed; may be NULL for
 * defaults) and the profile ("personal", "service", "collaborative"; NULL = "personal").
 * The whole config object is accepted too (recognised by its "policy"/"profile" keys); its
 * "policy" member is then used. Validation is mcp_config_normalize's (spec/config.md).
 * Returns 0, or -1 with a one-line message naming the key in err (size errlen; may be NULL)
 * when the configuration is invalid. `*out` (new: free with mcp_policy_free) is set only on
 * success. */
int mcp_policy_new(mcp_policy **out, const json_t *config, const char *profile, char *err,
                   size_t errlen);
void mcp_policy_free(mcp_policy *p);

/* Decides one call (spec/policy.md R-POLICY-001..): checks run in the order denylist, allowlist,
 * scope, risk_band, budget, path_allowlist, domain_allowlist, approval_band, caller_trust; the
 * first failing rule wins and is named in out->rule. `args` borrowed (may be NULL) for the
 * path/domain allow-lists; `caller` borrowed, NULL = the local operator (MCP_TRUST_LOCAL).
 * Counts the call against the budget when the verdict is not MCP_DENY (ALLOW or
 * NEEDS_APPROVAL: a held call consumed a slot too). now_ms: the caller's clock (tests inject it). */
void mcp_policy_decide(mcp_policy *p, const char *tool, mcp_risk risk, const json_t *args,
                       const mcp_caller *caller, int64_t now_ms, mcp_decision *out);

/* Static name of a risk class, "R0".."R4". */
const char *mcp_risk_name(mcp_risk r);
/* MCP tool annotations derived from risk (motebit.md §6.1): R0 {readOnlyHint, idempotentHint},
 * R1 {idempotentHint}, R2..R4 {destructiveHint}. New. */
json_t *mcp_risk_annotations(mcp_risk r);

/* ---- additions (policy engineer) ------------------------------------------------------------ */

/* "R0".."R4", "R0_READ".."R4_MONEY" or "0".."4" -> 0..4; -1 when unrecognised. */
int mcp_risk_parse(const char *s);

/* Whether a tool should be listed to this caller (tools/list, motebit_tools): 0 when the
 * denylist, the allowlist, the caller's delegated scope, the deny band or a blocked caller
 * would deny it outright, else 1. Does not touch the budget. caller NULL = local operator. */
int mcp_policy_visible(const mcp_policy *p, const char *tool, mcp_risk risk,
                       const mcp_caller *caller);

/* Whether tools/list names this tool (the same answer for every caller, so the list stays
 * cacheable): 0 when the denylist, the allowlist or the deny band denies it outright for
 * everyone, else 1. */
int mcp_policy_listed(const mcp_policy *p, const char *tool, mcp_risk risk);

/* 1 when mcp_policy_decide can never answer MCP_NEEDS_APPROVAL for a tool of this risk and this
 * caller (it may still deny), else 0: the MCP core runs such short calls without a worker.
 * Does not touch the budget. caller NULL = local operator. */
int mcp_policy_never_asks(const mcp_policy *p, mcp_risk risk, const mcp_caller *caller);

/* The effective bands: requireApprovalAbove and denyAbove (-1..4), and the preset name (static). */
void mcp_policy_bands(const mcp_policy *p, int *require_approval_above, int *deny_above);
const char *mcp_policy_preset(const mcp_policy *p);

#endif
