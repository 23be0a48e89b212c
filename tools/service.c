/* SPDX-License-Identifier: Apache-2.0
 * tools/service.c — the motebit service surface beside motebit_task (spec/mcp.md "Service
 * tools"): motebit_service_listing (the AgentServiceListing of config.json, or
 * {"error":"No service listing configured"} as a plain result, like the reference),
 * motebit_credentials (a VerifiablePresentation, eddsa-jcs-2022, holding a reputation credential
 * computed from the ExecutionReceipts in the Store). The memory tools beside them,
 * motebit_remember and motebit_recall, are tools/memory.c. The handlers only read config and
 * the Store through ledger/ledger.h; the core signs the call's ToolInvocationReceipt and
 * records it. */
#include "crypto/artifacts.h"
#include "ledger/ledger.h"
#include "config/config.h"
#include "mcp/tool.h"
#include "tools/tools.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VC_CONTEXT "https://www.w3.org/ns/credentials/v2"

/* ---- motebit_service_listing ---------------------------------------------------------------- */

/* The listing's updated_at: the first time this process served it. config.json is read once per
 * process, so the listing cannot change before a restart, which gives a new value. */
static _Atomic int64_t listing_loaded_ms;

static void listing_id_derive(char out[SEAL_SOVEREIGN_ID], const char *motebit_id)
{
  /* Stable per motebit: a UUIDv8 over sha256("workledger/service-listing:" || motebit_id). */
  static const char label[] = "workledger/service-listing:";
  uint8_t h[SEAL_SHA256_BYTES];
  size_t n = strlen(motebit_id);
  char *buf = malloc(sizeof label + n);
  if (!buf) {
    seal_uuid4(out);
    return;
  }
  memcpy(buf, label, sizeof label - 1);
  memcpy(buf + sizeof label - 1, motebit_id, n);
  seal_sha256(h, buf, sizeof label - 1 + n);
  free(buf);
  seal_sovereign_id(out, h);
}

static int listing_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  const json_t *sl = mcp_config_service_listing(mcp_ctx_config(ctx));
  const char *id;
  char derived[SEAL_SOVEREIGN_ID];
  int64_t expect = 0, now = mcp_now_ms();
  (void)args;
  if (!json_is_object(sl)) {
    out->payload = json_pack("{s:s}", "error", "No service listing configured");
    return out->payload ? 0 : -1;
  }
  atomic_compare_exchange_strong(&listing_loaded_ms, &expect, now);
  id = json_string_value(json_object_get(sl, "listing_id"));
  if (!id || !*id) {
    listing_id_derive(derived, mcp_ctx_motebit_id(ctx));
    id = derived;
  }
  out->payload = json_pack("{s:s,s:s,s:O,s:O,s:O,s:O,s:I}", "listing_id", id, "motebit_id",
                           mcp_ctx_motebit_id(ctx), "capabilities",
                           json_object_get(sl, "capabilities"), "pricing",
                           json_object_get(sl, "pricing"), "sla", json_object_get(sl, "sla"),
                           "description", json_object_get(sl, "description"), "updated_at",
                           (json_int_t)atomic_load(&listing_loaded_ms));
  if (!out->payload) {
    snprintf(out->error, sizeof out->error, "Error: the configured service listing is incomplete");
    return -1;
  }
  return 0;
}

/* ---- motebit_credentials -------------------------------------------------------------------- */

/* The credential bodies before their proofs (new references). Reals appear only here, in
 * eddsa-jcs-2022 bodies, which canonicalize them in ECMAScript form (spec/signing.md). */
static json_t *reputation_subject(const char *did, const ledger_task_stats *s, int64_t now)
{
  int64_t ran = s->completed + s->failed, total = ran + s->denied;
  double success = ran ? (double)s->completed / (double)ran : 0.0;
  double trust = (double)(s->completed + 1) / (double)(ran + 2);
  double avail = total ? (double)ran / (double)total : 0.0;
  int64_t latency = s->latency_n ? s->latency_sum_ms / s->latency_n : 0;
  return json_pack("{s:s,s:f,s:I,s:I,s:f,s:f,s:I,s:I}", "id", did, "success_rate", success,
                   "avg_latency_ms", (json_int_t)latency, "task_count", (json_int_t)total,
                   "trust_score", trust, "availability", avail, "sample_size", (json_int_t)total,
                   "measured_at", (json_int_t)now);
}

static json_t *ledger_subject(const char *did, const char *motebit_id, const ledger_task_stats *s,
                              int64_t now)
{
  int64_t ran = s->completed + s->failed;
  json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:f,s:I}", "id", did, "motebit_id", motebit_id,
                        "tasks_completed", (json_int_t)s->completed, "tasks_failed",
                        (json_int_t)s->failed, "tasks_denied", (json_int_t)s->denied, "task_count",
                        (json_int_t)(ran + s->denied), "success_rate",
                        ran ? (double)s->completed / (double)ran : 0.0, "measured_at",
                        (json_int_t)now);
  if (o) {
    json_object_set_new(o, "first_activity_at",
                        s->first_ms ? json_integer(s->first_ms) : json_null());
    json_object_set_new(o, "last_activity_at", s->last_ms ? json_integer(s->last_ms) : json_null());
  }
  return o;
}

static json_t *credential(const char *type, const char *did, const char *valid_from,
                          json_t *subject)
{
  return json_pack("{s:[s],s:[s,s],s:s,s:s,s:o}", "@context", VC_CONTEXT, "type",
                   "VerifiableCredential", type, "issuer", did, "validFrom", valid_from,
                   "credentialSubject", subject);
}

static int credentials_fn(mcp_ctx *ctx, const json_t *args, mcp_tool_out *out)
{
  ledger *store = mcp_ctx_store(ctx);
  const seal_key *key = mcp_ctx_key(ctx);
  ledger_task_stats st;
  ledger_err lerr;
  seal_err serr;
  char did[SEAL_DID_KEY_MAX], iso[32];
  json_t *c1 = NULL, *c2 = NULL, *p1 = NULL, *p2 = NULL, *vp = NULL;
  int64_t now = mcp_now_ms();
  int rc;
  (void)args;
  if (!store) {
    out->payload = json_pack("{s:s}", "error", "No credentials available");
    return out->payload ? 0 : -1;
  }
  memset(&lerr, 0, sizeof lerr);
  if (ledger_task_stats_get(store, mcp_ctx_motebit_id(ctx), &st, &lerr) != LEDGER_OK) {
    snprintf(out->error, sizeof out->error, "Error: cannot read the task receipts: %s", lerr.msg);
    return -1;
  }
  if (seal_did_key_from_pk(did, seal_key_pk(key)) != SEAL_OK) {
    snprintf(out->error, sizeof out->error, "Error: cannot derive did:key");
    return -1;
  }
  mcp_iso_utc(iso, now);
  c1 = credential("AgentReputationCredential", did, iso, reputation_subject(did, &st, now));
  c2 = credential("WorkledgerTaskLedgerCredential", did, iso,
                  ledger_subject(did, mcp_ctx_motebit_id(ctx), &st, now));
  memset(&serr, 0, sizeof serr);
  rc = c1 && c2 ? SEAL_OK : SEAL_ERROR;
  if (rc == SEAL_OK)
    rc = seal_vc_prove(&p1, c1, key, iso, "assertionMethod", &serr);
  if (rc == SEAL_OK)
    rc = seal_vc_prove(&p2, c2, key, iso, "assertionMethod", &serr);
  if (rc == SEAL_OK) {
    json_t *body = json_pack("{s:[s],s:[s],s:s,s:[O,O]}", "@context", VC_CONTEXT, "type",
                             "VerifiablePresentation", "holder", did, "verifiableCredential", p1,
                             p2);
    rc = body ? seal_vc_prove(&vp, body, key, iso, "authentication", &serr) : SEAL_ERROR;
    json_decref(body);
  }
  json_decref(c1);
  json_decref(c2);
  json_decref(p1);
  json_decref(p2);
  if (rc != SEAL_OK) {
    snprintf(out->error, sizeof out->error, "Error: cannot sign the presentation: %s",
             serr.msg[0] ? serr.msg : seal_strerror(rc));
    return -1;
  }
  out->payload = vp;
  return 0;
}

const mcp_tool_impl tools_service[] = {
    {"motebit_service_listing", listing_fn, MCP_PROFILE_SERVICE, NULL, 0, NULL, NULL},
    {"motebit_credentials", credentials_fn, MCP_PROFILE_SERVICE, NULL, 0, NULL, NULL},
    {NULL, NULL, 0, NULL, 0, NULL, NULL},
};
