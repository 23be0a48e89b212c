/* SPDX-License-Identifier: Apache-2.0
 * ledger/work.h — the Motus work loop (claim → evidence → decision → release → receipt) and the
 * read-side projections (Work Receipt Envelope v0.1 with a Level 3 signature, store export,
 * projection manifest, work packet) as a library over the Store. Used by the CLI (`workledger
 * work ...`, `run ...`) and by the MCP tools motus_work_* / motus_run_export. Every function
 * takes its arguments as a JSON object (the MCP tool's `arguments`, the CLI builds the same) and
 * returns a new JSON object shaped like the CLI's --json output; the member names are listed per
 * function and are normative in spec/store.md. Nothing here prints.
 *
 * Only the four Motus reference kinds are written by the work loop (work.started,
 * evidence.referenced — also for decisions —, tool.used, work.closed), so every work run passes
 * the Motus Level 1 checks. Errors: ledger_rc codes (ledger/ledger.h) with `err` filled. */
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
 * → {lease_id, run_id, work_id, expires_at, fencing_token}. Opens a run (work.started) and a
 * fenced lock on "work:<work_id>".
 * @return LEDGER_OK; LEDGER_EBUSY (the work id has an active lease); LEDGER_EINVAL. */
int ledger_work_claim(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                      ledger_err *err) LEDGER_WUR;

/* Largest file `motus_work_evidence` / `work evidence --file` hashes (bytes). */
#define LEDGER_EVIDENCE_FILE_MAX (1LL << 30)
/* The checks `file` evidence passes before it is hashed, without hashing: a regular file (not a
 * FIFO, device or directory), not a symbolic link in its last component, at most
 * LEDGER_EVIDENCE_FILE_MAX bytes, readable. Returns LEDGER_OK or LEDGER_EINVAL with the reason. */
int ledger_evidence_file_check(const char *path, ledger_err *err) LEDGER_WUR;

/* evidence: args {lease_id, kind, passed?, failed?, skipped? (integers >= 0), uri?, file? (path:
 * read and recorded by sha256 digest only), digest? (64 hex, instead of file), summary?}
 * → {evidence_id, run_id, lease_id, seq, digest}.
 * @return LEDGER_OK; LEDGER_ENOTFOUND (unknown lease); LEDGER_ECLOSED; LEDGER_EEXPIRED;
 *         LEDGER_ESTALE; LEDGER_EINVAL (bad kind/count, unreadable file). */
int ledger_work_evidence(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                         ledger_err *err) LEDGER_WUR;

/* decision: args {lease_id, text, rationale?} → {decision_id, run_id, lease_id, seq}. Recorded
 * as an evidence.referenced event with an evidence ref of kind "decision". Errors as evidence. */
int ledger_work_decision(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                         ledger_err *err) LEDGER_WUR;

/* release: args {lease_id, outcome: success|failure|partial|aborted, summary?} → {receipt_id,
 * run_id, lease_id, outcome, replayed}. Closes the run (work.closed with outcome, acceptance,
 * route_summary, handoff, redaction), releases the lock, stores the (signed) receipt. A repeated
 * release returns the same receipt (replayed: true). Release of an expired lease still closes
 * its run. @return LEDGER_OK, LEDGER_ENOTFOUND, LEDGER_EINVAL. */
int ledger_work_release(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
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

/* status: args {id: lease or run id} → {run_id, work_id, status, lease?, outcome?, events,
 * evidence:[evidence refs], decisions:[{decision_id,text,rationale?}], receipt_id?}. */
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
