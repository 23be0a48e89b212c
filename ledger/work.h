/* SPDX-License-Identifier: Apache-2.0
 * ledger/work.h — the Motus work loop (claim → evidence → decision → release → receipt) and the
 * read-side projections (Work Receipt Envelope v0.1 with a Level 3 signature, store export,
 * projection manifest, work packet) as a library over the Store. Used by the CLI (`workledger
 * work ...`, `run ...`) and by the MCP tools motus_work_* / motus_run_export. Every function
 * takes its arguments as a JSON object (the MCP tool's `arguments`, the CLI builds the same) and
 * returns a new JSON object shaped like the CLI's --json output; the member names are listed per
 * function and are normative in spec/store.md. Nothing here prints.
 *
 * Only the four Motus reference kinds are written into work runs (work.started,
 * evidence.referenced — also for decisions —, tool.used, work.closed), so every work run passes
 * the Motus Level 1 checks; lease renewals are lease.renewed events of the custody run
 * "lease-custody". Errors: ledger_rc codes (ledger/ledger.h) with `err` filled.
 *
 * Leases: a lease past its expires_at is expired. It takes no evidence, decision or renewal
 * (LEDGER_EEXPIRED, nothing written) and no release: the release attempt closes its run as
 * expired (work.closed with outcome "unknown", acceptance "rejected", method "lease_expired";
 * lease status "expired", distinct from "aborted") and then fails with LEDGER_EEXPIRED. The
 * next claim of the same work id and `doctor --fix` end it the same way. Every write that names
 * a `fencing_token` (optional integer) must name the lease's current one (LEDGER_ESTALE). */
#ifndef WL_LEDGER_WORK_H
#define WL_LEDGER_WORK_H

#include "crypto/seal.h"
#include "ledger/ledger.h"

#include <jansson.h>

/* Who is calling and how to sign. All pointers borrowed for the duration of the call. */
typedef struct ledger_work_ctx {
  const char
      *runtime_kind; /* "cli" or "mcp" (receipt runtime.kind; producer "workledger.<kind>") */
  const char *runtime_version; /* NULL: WL_VERSION of the build */
  const char *
      default_actor; /* actor id when args carry none (e.g. the motebit_id); NULL: "local-operator" */
  const char *
      actor_type; /* "human", "agent", "service", "ci", "tool"; NULL: "agent" for mcp, "human" for cli */
  const char *trigger_kind; /* NULL: "manual" for cli, "tool_call" for mcp */
  const seal_key *key;      /* node key for the Level 3 signature; NULL: receipts unsigned */
  const char *signer;       /* signer id in the signature entry (motebit_id); NULL: did:key */
} ledger_work_ctx;

/* claim: args {work_id (required), intent?, actor?, ttl? (seconds, integer > 0, default 3600)}
 * → {lease_id, run_id, work_id, expires_at, fencing_token, claimed_at}. Opens a run
 * (work.started) and a fenced lock on "work:<work_id>"; expired leases of the work id end first.
 * @return LEDGER_OK; LEDGER_EBUSY (the work id has an active lease: err names it and its
 * expires_at, and *out receives {busy:true, work_id, lease_id, run_id, actor_id, expires_at,
 * fencing_token} of the holder — new, the caller frees it); LEDGER_EINVAL. */
int ledger_work_claim(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                      ledger_err *err) LEDGER_WUR;

/* Largest file `motus_work_evidence` / `work evidence --file` hashes (bytes). */
#define LEDGER_EVIDENCE_FILE_MAX (1LL << 30)
/* The checks `file` evidence passes before it is hashed, without hashing: a regular file (not a
 * FIFO, device or directory), not a symbolic link in its last component, at most
 * LEDGER_EVIDENCE_FILE_MAX bytes, readable. Returns LEDGER_OK or LEDGER_EINVAL with the reason. */
int ledger_evidence_file_check(const char *path, ledger_err *err) LEDGER_WUR;

/* evidence: args {lease_id, kind, fencing_token?, passed?, failed?, skipped? (integers >= 0), uri?, file? (path:
 * read and recorded by sha256 digest only), digest? (64 hex, instead of file), summary?}
 * → {evidence_id, run_id, lease_id, seq, digest}.
 * @return LEDGER_OK; LEDGER_ENOTFOUND (unknown lease); LEDGER_ECLOSED; LEDGER_EEXPIRED;
 *         LEDGER_ESTALE; LEDGER_EINVAL (bad kind/count, unreadable file). */
int ledger_work_evidence(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                         ledger_err *err) LEDGER_WUR;

/* decision: args {lease_id, text, rationale?, accepted_by? ("[TYPE:]ID", TYPE default
 * "human"), fencing_token?} → {decision_id, run_id, lease_id, seq, accepted_by?}. Recorded as an
 * evidence.referenced event with an evidence ref of kind "decision". With accepted_by it is an
 * acceptance decision: a later success or partial release (without a handoff) records
 * acceptance {status:"accepted", method:"decision", actor, accepted_at, rationale_ref: the
 * decision id}. Errors as evidence. */
int ledger_work_decision(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                         ledger_err *err) LEDGER_WUR;

/* release: args {lease_id, outcome: success|failure|partial|aborted, summary?, fencing_token?,
 * next_actor?, receiver? ("[TYPE:]ID", the same actor when both are given), expected_action?,
 * reason?} → {receipt_id, run_id, lease_id, outcome, replayed, handoff?}. Closes the run
 * (work.closed with outcome, acceptance, route_summary, handoff, redaction), releases the lock,
 * stores the (signed) receipt. A repeated release returns the same receipt (replayed: true).
 * With a receiver it is a governed handoff (Motus Level 2): route_summary{status:"handoff",
 * next_actor, reason}, handoff{status:"ready", receiver, evidence_refs: every evidence id of the
 * run, expected_action?, reason}, acceptance{status:"pending", method:"receiver_review", actor:
 * the receiver}; the run must hold evidence (else LEDGER_EINVAL) and the outcome must not be
 * aborted. @return LEDGER_OK, LEDGER_ENOTFOUND, LEDGER_EINVAL, LEDGER_ESTALE, LEDGER_EEXPIRED
 * (the lease had expired: its expiry was recorded and committed, see above). */
int ledger_work_release(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                        ledger_err *err) LEDGER_WUR;

/* renew: args {lease_id, ttl? (seconds, 1..SEAL_MOTUS_TTL_MAX; default the claim's ttl),
 * fencing_token?} → {lease_id, run_id, work_id, expires_at, previous_expires_at, fencing_token,
 * renewed_at}. Extends an active, unexpired lease and its fenced lock to now + ttl (the fencing
 * token stays) and appends lease.renewed {lease_id, run_id, work_id, previous_expires_at,
 * expires_at, ttl_s, fencing_token} to the custody run "lease-custody".
 * @return LEDGER_OK, LEDGER_ENOTFOUND, LEDGER_EINVAL, LEDGER_ECLOSED (released),
 * LEDGER_EEXPIRED (expired: nothing written), LEDGER_ESTALE. */
int ledger_work_renew(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                      ledger_err *err) LEDGER_WUR;

/* The event kind of a lease renewal (registered on first use) and the run that holds them. */
#define LEDGER_KIND_LEASE_RENEWED "lease.renewed"
#define LEDGER_CUSTODY_RUN "lease-custody"

/* runs: args {open?: bool, outcome?: outcome word, work_id?, since?: RFC 3339 timestamp (runs
 * started at or after it), limit?: 1..1000 (default 100), offset?: >= 0} → {items:[run objects
 * as ledger_run_get, newest first (started_at DESC, run_id ASC)], count, offset, limit}.
 * @return LEDGER_OK, LEDGER_EINVAL (bad filter). */
int ledger_work_runs(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                     ledger_err *err) LEDGER_WUR;

/* receipt: args {id: lease id or run id} → the Work Receipt Envelope v0.1 (closed runs only).
 * @return LEDGER_OK, LEDGER_ENOTFOUND, LEDGER_EINVAL (run still open). */
int ledger_work_receipt(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                        ledger_err *err) LEDGER_WUR;

/* export: args {id: lease or run id} → {receipt, store_export, projection_manifest} (closed runs
 * only). The lineage of motus.md §2 holds: receipt.events_ref.digest ==
 * receipt.hashes.source_export == digest of the canonical store_export; manifest
 * source_export_hash == "sha256:"+that hex; manifest projections.work_receipt.digest ==
 * receipt_id. Two exports of the same run give identical bytes. */
int ledger_work_export(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                       ledger_err *err) LEDGER_WUR;

/* status: args {id: lease or run id} → {run_id, work_id, status, lease_status?, lease?,
 * outcome?, events, evidence:[evidence refs], decisions:[{decision_id,text,rationale?}],
 * receipt_id?}. lease.status (and lease_status) is "expired" as soon as expires_at has passed,
 * whether or not the expiry was recorded yet. */
int ledger_work_status(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                       ledger_err *err) LEDGER_WUR;

/* list: args {open?: bool} → {items:[{lease_id, run_id, work_id, actor_id, claimed_at,
 * expires_at, status}], count}. Leases only (runs made by claim). */
int ledger_work_list(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                     ledger_err *err) LEDGER_WUR;

/* packet: args {id: run or lease id} → the work packet (operator summary): {run_id, work_id,
 * status, owner, intent, started_at, closed_at?, evidence:[...], decisions:[...], tools:[...],
 * outcome?, acceptance?, next_route?, handoff?, receipt_id?}. */
int ledger_work_packet(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                       ledger_err *err) LEDGER_WUR;

/* ---- projection building blocks (pure; exposed for tests and for runs made elsewhere) ------- */

/* Verify a Work Receipt: recomputes the receipt digest (receipt_id and hashes.receipt.value) and,
 * when signatures_optional holds our Level 3 entry, the Ed25519 signature over the canonical
 * receipt minus receipt_id, hashes.receipt and signatures_optional. `receipt` borrowed.
 * @param signed_out may be NULL: set to 1 when a valid signature was checked.
 * @return LEDGER_OK, LEDGER_ECORRUPT (digest or signature mismatch; err says which). */
int ledger_receipt_verify(const json_t *receipt, int *signed_out, ledger_err *err) LEDGER_WUR;

#define LEDGER_RECEIPT_KIND "motus.work-receipt"

#endif
