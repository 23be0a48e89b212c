/* SPDX-License-Identifier: Apache-2.0
 * config/config.h — loading and validating .motus/config.json (spec/config.md): the node's profile,
 * the policy gate, the HTTP listener, command executors, the embeddings endpoint of memory
 * recall, delegation peers, upstream MCP servers, the service listing and memory settings. Loading yields ONE json_t object with every default filled in, so the
 * other modules read plain values through the small getters below instead of re-validating.
 * Unknown keys anywhere are refused (a typo must not silently weaken the policy).
 *
 * Errors: mcp_config_load / mcp_config_normalize return 0 or -1 with a one-line message naming
 * the offending key ("policy.budget.calls: must be an integer >= -1") in err (size errlen;
 * err may be NULL). Getters never fail: they return the default or NULL.
 * Ownership: every getter returning json_t* or const char* returns a pointer borrowed from the
 * config object, valid while it lives. The loaded config is immutable by convention, so it may
 * be read from several threads at once. */
#ifndef WL_MCP_CONFIG_H
#define WL_MCP_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define MCP_CONFIG_FILE "config.json"
#define MCP_CONFIG_MAX_BYTES (1024 * 1024) /* a larger config.json is refused */
/* The reserved key of "executors" that configures the embeddings endpoint (type "openai")
 * instead of a task executor. */
#define MCP_CONFIG_EMBEDDINGS "embeddings"

/* Loads <motus_dir>/config.json. A missing file gives the defaults (0). Invalid JSON, an
 * unknown key or a bad value gives -1 and a one-line message that already starts with the file
 * path and names the key ("<dir>/config.json: policy.deny_above: must be ..."; for a JSON
 * syntax error, the line), so callers print it as is. `*out`: new on success (every default
 * filled in), NULL on failure. `motus_dir` borrowed; NULL means ".motus". */
int mcp_config_load(json_t **out, const char *motus_dir, char *err, size_t errlen);
/* As mcp_config_load, with `profile` (borrowed; NULL = the file's) replacing the file's
 * `profile` BEFORE the defaults are filled in, so `serve --profile service` also selects the
 * service policy preset unless the file names a preset. A bad profile name fails like a bad key
 * ("profile: must be ..."). */
int mcp_config_load_ex(json_t **out, const char *motus_dir, const char *profile, char *err,
                       size_t errlen);

/* Validates `in` (borrowed; a parsed config.json object, or NULL for an empty one) and returns
 * through `*out` a new object with defaults filled in and band names ("R2") turned into integers.
 * Returns 0, or -1 with the message in err (then *out = NULL). */
int mcp_config_normalize(json_t **out, const json_t *in, char *err, size_t errlen);

/* ---- getters (cfg borrowed; may be NULL, then defaults are returned) ------------------------ */

/* "personal" (default), "service" or "collaborative". Borrowed / static. */
const char *mcp_config_profile(const json_t *cfg);
/* The "policy" object (borrowed) to hand to mcp_policy_new(), or NULL when cfg is NULL. */
const json_t *mcp_config_policy(const json_t *cfg);
/* The configured motebit_id / device_id override, or NULL when not configured. Borrowed. */
const char *mcp_config_motebit_id(const json_t *cfg);
const char *mcp_config_device_id(const json_t *cfg);

/* The whole "http" object (bind, tokens, known_callers, trust_on_first_use, audiences,
 * allowed_hosts, allowed_origins, max_body_bytes), borrowed; NULL when cfg is NULL. */
const json_t *mcp_config_http(const json_t *cfg);
/* The name of the static bearer token equal to `token` (constant-time compare over every
 * entry), or NULL when none matches. Borrowed. */
const char *mcp_config_http_token_name(const json_t *cfg, const char *token);
/* 1 when the static token named `name` (borrowed) is marked {"operator": true} in http.tokens:
 * its caller may read pending approvals and approve or deny them (the console), else 0. */
int mcp_config_http_token_is_operator(const json_t *cfg, const char *name);
/* The pinned hex public key of a known caller (http.known_callers), or NULL. Borrowed. */
const char *mcp_config_known_caller(const json_t *cfg, const char *motebit_id);

/* The executor of a capability ({type, argv, stdin, env_var?, timeout_s, max_output_bytes}),
 * or NULL when none is configured. Borrowed. */
const json_t *mcp_config_executor(const json_t *cfg, const char *capability);
/* The "executors" object ({capability: executor}, plus the embeddings endpoint under
 * MCP_CONFIG_EMBEDDINGS); never NULL when cfg is non-NULL. Borrowed. */
const json_t *mcp_config_executors(const json_t *cfg);
/* 1 when `name` is a task capability of `executors`, 0 for the reserved entries that serve
 * other tools ("chat": motebit_query, "embeddings": recall) and never run tasks. */
int mcp_config_executor_is_task(const char *name);
/* The number of task capabilities in `executors` (the reserved entries not counted). */
size_t mcp_config_task_executor_count(const json_t *cfg);
/* executors.chat ({type: "openai"|"sampling"|"command", ...}, spec/config.md), or NULL when
 * motebit_query has no backend. Borrowed. */
const json_t *mcp_config_chat(const json_t *cfg);
/* executors.embeddings ({type:"openai", url, model, api_key_env?, timeout_s,
 * max_response_bytes}), or NULL when no embeddings endpoint is configured. Borrowed. */
const json_t *mcp_config_embeddings(const json_t *cfg);
/* The "peers" array ([{name, url, public_key?, capabilities, token?, motebit_token, timeout_s}]).
 * Borrowed. */
const json_t *mcp_config_peers(const json_t *cfg);
/* The "upstreams" array ([{name, command, env, cwd | url, token_env, timeout_s,
 * max_result_bytes, max_concurrency, tools}], spec/upstreams.md; [] when none). Borrowed. */
const json_t *mcp_config_upstreams(const json_t *cfg);
/* The upstreams entry named `name`, or NULL. Borrowed. */
const json_t *mcp_config_upstream(const json_t *cfg, const char *name);
/* The "service_listing" object, or NULL when none is configured. Borrowed. */
const json_t *mcp_config_service_listing(const json_t *cfg);
/* memory.half_life_days (default 7). */
double mcp_config_memory_half_life_days(const json_t *cfg);

/* Generic access by dotted path ("http.max_body_bytes"): the value (borrowed) or NULL. */
const json_t *mcp_config_get(const json_t *cfg, const char *dotted_path);
/* Typed conveniences over mcp_config_get: the value, or `def` when absent or of another type. */
int64_t mcp_config_int(const json_t *cfg, const char *dotted_path, int64_t def);
const char *mcp_config_str(const json_t *cfg, const char *dotted_path, const char *def);
int mcp_config_bool(const json_t *cfg, const char *dotted_path, int def);

#endif
