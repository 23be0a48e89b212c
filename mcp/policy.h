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

typedef enum mcp_risk { MCP_R0_READ = 0, MCP_R1_DRAFT, MCP_R2_WRITE, MCP_R3_EXECUTE, MCP_R4_MONEY } mcp_risk;

typedef enum mcp_trust {
  MCP_TRUST_TRUSTED = 0, /* the local operator (stdio) or a caller configured as trusted */
  MCP_TRUST_VERIFIED,    /* authenticated (static token or verified motebit token) */
  MCP_TRUST_FIRST_CONTACT,
  MCP_TRUST_UNKNOWN,     /* unauthenticated: every call needs approval */
  MCP_TRUST_BLOCKED,     /* always denied */
} mcp_trust;

typedef struct mcp_caller {
  const char *id;        /* motebit_id, token name, or "local-operator"; borrowed */
  mcp_trust trust;
  const char *scope;     /* delegated scope ("a,b" or "*"), or NULL when none; borrowed */
} mcp_caller;

typedef enum mcp_verdict {
  MCP_ALLOW = 0,
  MCP_DENY = 1,
  MCP_NEEDS_APPROVAL = 2,
} mcp_verdict;

typedef struct mcp_decision {
  mcp_verdict verdict;
  char reason[200];      /* one line, e.g. "risk R4 above deny band R3" */
  const char *rule;      /* static: "denylist", "scope", "risk_band", "budget", "path_allowlist",
                            "domain_allowlist", "approval_band", "caller_trust", "allow" */
  int64_t budget_remaining; /* calls left in the window, -1 when unlimited */
} mcp_decision;

typedef struct mcp_policy mcp_policy;

/* Builds a policy from the "policy" object of .motus/config.json (borrowed; may be NULL for
 * defaults) and the profile ("personal", "service", "collaborative"). Returns 0, or -1 with a
 * one-line message in err (size errlen) when the configuration is invalid. */
int mcp_policy_new(mcp_policy **out, const json_t *config, const char *profile, char *err, size_t errlen);
void mcp_policy_free(mcp_policy *p);

/* Decides one call. `args` borrowed (for path/domain allow-lists). Counts the call against the
 * budget when it is allowed. now_ms: the caller's clock (tests inject it). */
void mcp_policy_decide(mcp_policy *p, const char *tool, mcp_risk risk, const json_t *args,
                       const mcp_caller *caller, int64_t now_ms, mcp_decision *out);

/* Static name of a risk class, "R0".."R4". */
const char *mcp_risk_name(mcp_risk r);
/* MCP tool annotations derived from risk (motebit.md §6.1). New reference. */
json_t *mcp_risk_annotations(mcp_risk r);

#endif
