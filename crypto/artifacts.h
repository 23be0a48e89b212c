/* SPDX-License-Identifier: Apache-2.0
 * crypto/artifacts.h — signing and verification of every artifact workledger emits or accepts
 * (spec/signing.md): motebit ExecutionReceipts (recursive over delegation_receipts),
 * ToolInvocationReceipts, ApprovalDecisions, DelegationTokens (window, scope, chains), signed
 * bearer tokens (motebit-jwt-ed25519-v1), the motebit.md identity file, key succession records,
 * eddsa-jcs-2022 credential/presentation proofs, and Motus Work Receipt Envelopes (digest,
 * finalize, Level 3 signature, Level 0 structural checks). Plus an artifact detector that
 * produces one verdict {valid, kind, signer, depth, reasons[]}.
 *
 * Ownership (spec/layout.md): json_t arguments are borrowed unless stated; `json_t **out`
 * receives a new value (json_decref); `char **out` receives new text (free()). Errors: SEAL_OK
 * or a negative seal_rc (crypto/seal.h), with an optional `seal_err *err` (may be NULL).
 * Nothing here logs or does I/O; verification never mutates its input. */
#ifndef WL_CRYPTO_ARTIFACTS_H
#define WL_CRYPTO_ARTIFACTS_H

#include "crypto/seal.h"

#define SEAL_SUITE_B64 "motebit-jcs-ed25519-b64-v1"    /* receipts, decisions, delegation tokens */
#define SEAL_SUITE_HEX "motebit-jcs-ed25519-hex-v1"    /* identity file, key succession */
#define SEAL_SUITE_JWT "motebit-jwt-ed25519-v1"        /* signed bearer tokens */
#define SEAL_SUITE_VC "eddsa-jcs-2022"                 /* W3C credential/presentation proofs */
#define SEAL_SUITE_MOTUS "motus-sorted-ed25519-b64-v1" /* Work Receipt Level 3 signature (ours) */
#define SEAL_MAX_CHAIN_DEPTH 10 /* deepest delegation_receipts node (root = 0) */

/* The receipt kind under which an operator's signed ApprovalDecision is stored. */
#define SEAL_RECEIPT_KIND_APPROVAL_DECISION "motebit.approval-decision"

/* The three motebit profiles (reference/motebit.md §1): identity files, config and the server. */
#define SEAL_PROFILE_PERSONAL "personal" /* the default */
#define SEAL_PROFILE_SERVICE "service"
#define SEAL_PROFILE_COLLABORATIVE "collaborative"

/* 1 when `name` (borrowed, may be NULL) is one of the three SEAL_PROFILE_* names, else 0. */
int seal_profile_valid(const char *name);

/* Limits of the Motus work-loop arguments (ledger/work.h, the `work` and `wrap` CLI commands).
 * schemas/tools/motus_*.json state the same numbers (maxLength in Unicode code points, maximum);
 * the unit suite tests/unit/schemas checks that every schema agrees with these, so the ledger,
 * the CLI and MCP refuse the same inputs (spec/store.md, "Argument limits"). */
#define SEAL_MOTUS_ID_MAX 120    /* work_id, actor, lease and run ids (code points) */
#define SEAL_MOTUS_TEXT_MAX 4000 /* intent, evidence and release summary, decision text/rationale */
#define SEAL_MOTUS_URI_MAX 2048  /* evidence uri */
#define SEAL_MOTUS_KIND_MAX 64   /* evidence kind */
#define SEAL_MOTUS_TTL_MAX 2592000         /* lease ttl, seconds (30 days) */
#define SEAL_MOTUS_WRAP_TIMEOUT_MAX 604800 /* wrap timeout, seconds (7 days) */

typedef enum seal_kind {
  SEAL_KIND_UNKNOWN = 0,
  SEAL_KIND_EXECUTION_RECEIPT,
  SEAL_KIND_TOOL_INVOCATION_RECEIPT,
  SEAL_KIND_APPROVAL_DECISION,
  SEAL_KIND_DELEGATION_TOKEN,
  SEAL_KIND_WORK_RECEIPT,
  SEAL_KIND_IDENTITY_FILE,
  SEAL_KIND_BEARER_TOKEN,
  SEAL_KIND_KEY_SUCCESSION,
  SEAL_KIND_CREDENTIAL, /* VerifiableCredential or VerifiablePresentation with a proof */
} seal_kind;

/* "execution_receipt", "tool_invocation_receipt", "approval_decision", "delegation_token",
 * "work_receipt", "identity_file", "bearer_token", "key_succession", "credential", "unknown". */
const char *seal_kind_name(seal_kind kind);

/* Options of every verifier. Zero-initialise (SEAL_VERIFY_OPTS_INIT) for the defaults. */
typedef struct seal_verify_opts {
  int strict_hash;          /* receipts: also require result_hash == sha256hex(result) */
  const uint8_t *pinned_pk; /* NULL, or the key the TOP-level signer must have (32 bytes) */
  int64_t now_ms;           /* tokens: the clock (epoch ms); 0 = current time */
  int ignore_time;          /* tokens: do not check expiry/not_before (chain verification) */
  int64_t skew_ms;          /* tokens: tolerated clock skew, added to exp */
} seal_verify_opts;
/* clang-format off */
#define SEAL_VERIFY_OPTS_INIT {0, NULL, 0, 0, 0}
/* clang-format on */

/* The verdict of a verification. `reasons` is a JSON array of one-line strings (never NULL
 * after a verifier ran; new, held by the verdict); each reason names the node it is about, e.g.
 * "delegation_receipts[0]: signature did not verify". Release with seal_verdict_clear(). */
typedef struct seal_verdict {
  int valid;
  seal_kind kind;
  char signer[SEAL_DID_KEY_MAX]; /* did:key of the top-level signer, "" when unknown */
  char signer_pk[SEAL_PK_HEX];   /* its lowercase hex key, "" when unknown */
  int depth;                     /* deepest nesting of delegation_receipts (0 = none) */
  json_t *reasons;
} seal_verdict;

void seal_verdict_init(seal_verdict *v);
void seal_verdict_clear(seal_verdict *v);
/* Appends a reason (printf-style) and marks the verdict invalid. */
void seal_verdict_fail(seal_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* {"valid":…,"kind":…,"signer":…|null,"depth":…,"reasons":[…]} — new. */
json_t *seal_verdict_json(const seal_verdict *v);

/* ---- generic b64-suite signing (motebit §2.2) -------------------------------------------------
 * Copies `body` (borrowed object), drops any `signature`, sets `public_key` (hex) and `suite`
 * ("motebit-jcs-ed25519-b64-v1"), signs the JCS bytes and sets `signature` (base64url, no
 * padding). `*out` is new. SEAL_EREAL when the body holds a real number. The typed
 * signers below first check the artifact's required fields (SEAL_EINVAL naming the field). */
int seal_sign_b64(json_t **out, const json_t *body, const seal_key *key, seal_err *err) SEAL_WUR;
int seal_sign_execution_receipt(json_t **out, const json_t *body, const seal_key *key,
                                seal_err *err) SEAL_WUR;
int seal_sign_tool_invocation_receipt(json_t **out, const json_t *body, const seal_key *key,
                                      seal_err *err) SEAL_WUR;
/* The fields of a ToolInvocationReceipt but public_key, suite and signature, which the signer
 * sets (crypto/tir_text.c). Every pointer is borrowed; invocation_origin may be NULL (left out). */
typedef struct seal_tir_fields {
  const char *invocation_id, *task_id, *motebit_id, *device_id, *tool_name, *status;
  const char *args_hash, *result_hash, *invocation_origin;
  long long started_at, completed_at;
} seal_tir_fields;
/* Signs the receipt made of `f`, the key's public_key and the b64 suite, and writes its
 * canonical text, signature included, into `*out` (new, free(); `*out_len` its length): the
 * same bytes as seal_canon of what seal_sign_tool_invocation_receipt returns for that body, in
 * the JCS and in the Motus key order alike (all its keys are ASCII). Returns SEAL_OK;
 * SEAL_EINVAL naming the field that is missing or malformed (a hash that is not 64 lowercase
 * hex, an unknown invocation_origin, a string that is not UTF-8); SEAL_ERROR when signing or
 * memory fails. Nothing is written on failure. */
int seal_sign_tool_invocation_receipt_text(char **out, size_t *out_len, const seal_tir_fields *f,
                                           const seal_key *key, seal_err *err) SEAL_WUR;
int seal_sign_approval_decision(json_t **out, const json_t *body, const seal_key *key,
                                seal_err *err) SEAL_WUR;
int seal_sign_delegation_token(json_t **out, const json_t *body, const seal_key *key,
                               seal_err *err) SEAL_WUR;

/* ---- verification ------------------------------------------------------------------------------
 * Each fills `*out` (initialised by the callee; clear it afterwards) and returns SEAL_OK when
 * valid, SEAL_EVERIFY (or SEAL_EEXPIRED for a token outside its window) otherwise. `opts` may
 * be NULL. */
int seal_verify_execution_receipt(const json_t *r, const seal_verify_opts *opts, seal_verdict *out);
int seal_verify_tool_invocation_receipt(const json_t *r, const seal_verify_opts *opts,
                                        seal_verdict *out);
int seal_verify_approval_decision(const json_t *r, const seal_verify_opts *opts, seal_verdict *out);
int seal_verify_delegation_token(const json_t *t, const seal_verify_opts *opts, seal_verdict *out);

/* Only the b64-suite signature of object `o` under `pk`: suite must be
 * motebit-jcs-ed25519-b64-v1 and `signature` 64 bytes of base64url over JCS(o minus signature).
 * No field checks (use it for grants, revocations and other records of the same suite). */
int seal_verify_b64(const json_t *o, const uint8_t pk[SEAL_PK_BYTES], seal_err *err) SEAL_WUR;

/* 1 when `motebit_id` commits to `pk` ("sovereign"): it equals seal_sovereign_id(pk) or the
 * did:key of pk; otherwise 0 (an embedded key then proves integrity only). */
int seal_identity_binding(const char *motebit_id, const uint8_t pk[SEAL_PK_BYTES]);

/* Which artifact `v` is (a top-level {"receipt": {...}} wrapper is looked through). */
seal_kind seal_detect(const json_t *v);
/* Detect and verify any JSON artifact above (not identity files or bearer tokens, which are
 * text: see seal_verify_text). Unknown shapes give kind UNKNOWN, valid 0, one reason. */
int seal_verify_artifact(const json_t *v, const seal_verify_opts *opts, seal_verdict *out);
/* Verify raw input text: an identity file (leading "---"), a bearer token (one base64url.base64url
 * word, optionally "motebit:"-prefixed), or JSON, optionally followed by the MCP text tag
 * "\n[motebit:… key:…]". SEAL_EINVAL (verdict filled, kind UNKNOWN) when the text is none of
 * these or is not parseable JSON — the caller decides how to report unreadable input. */
int seal_verify_text(const char *text, size_t len, const seal_verify_opts *opts, seal_verdict *out);

/* ---- delegation scope ---------------------------------------------------------------------------
 * Scopes are comma-separated capability names (trimmed, empties dropped); "*" grants anything. */
int seal_scope_allows(const char *scope, const char *capability);
/* 1 when every capability in `required` (a JSON array of strings, borrowed) is allowed by
 * `scope`; otherwise 0 and, when `denied` is non-NULL, *denied points at the first refused name
 * (borrowed from `required`). */
int seal_scope_covers(const char *scope, const json_t *required, const char **denied);
/* 1 when `child` grants nothing that `parent` does not (child "*" needs parent "*"). */
int seal_scope_narrowed(const char *parent, const char *child);
/* Verify a chain of DelegationTokens (JSON array, root first): every signature verifies
 * (expiry ignored), each link's delegate_id/delegate_public_key equal the next delegator's, and
 * scope narrows. SEAL_OK or SEAL_EVERIFY/SEAL_ESCOPE with err naming the link. */
int seal_verify_delegation_chain(const json_t *chain, seal_err *err) SEAL_WUR;

/* ---- signed bearer tokens (motebit-jwt-ed25519-v1) ----------------------------------------------
 * Token = base64url(payload bytes) "." base64url(sig). The payload is written in the fixed order
 * mid, did, iat, exp, jti, aud, suite (times in epoch ms). `jti` NULL = random UUID v4. */
int seal_token_mint(char **out, const seal_key *key, const char *mid, const char *device_id,
                    int64_t iat_ms, int64_t exp_ms, const char *jti, const char *aud,
                    seal_err *err) SEAL_WUR;
/* Decode the claims WITHOUT verifying (to find the key by `mid`). `token` may carry the
 * "motebit:" prefix. `*claims` new. */
int seal_token_peek(json_t **claims, const char *token, seal_err *err) SEAL_WUR;
/* Verify over the received payload bytes: suite must be motebit-jwt-ed25519-v1, signature
 * valid under `pk`, exp > now - skew_ms (now_ms 0 = current time), iat <= now + skew_ms (a
 * token from the future is refused), iat <= exp, jti and aud non-empty.
 * On success `*claims` (may be NULL) receives the payload (new) — the caller checks
 * `aud`. SEAL_EVERIFY, SEAL_EEXPIRED or SEAL_EINVAL otherwise. */
int seal_token_verify(json_t **claims, const char *token, const uint8_t pk[SEAL_PK_BYTES],
                      int64_t now_ms, int64_t skew_ms, seal_err *err) SEAL_WUR;

/* ---- identity file (motebit.md) -----------------------------------------------------------------
 * The YAML of a new identity with the default governance, privacy and memory sections
 * (motebit.md §5.2). `type` may be NULL (no type line); `owner_id` defaults to motebit_id. */
int seal_identity_yaml(char **out, const char *motebit_id, const char *pk_hex,
                       const char *created_at, const char *type, seal_err *err) SEAL_WUR;
/* "---\n" yaml "\n---\n<!-- motebit:sig:motebit-jcs-ed25519-hex-v1:<hex> -->\n"; the signature
 * covers the raw yaml bytes (CRLF normalised to LF; a trailing newline is trimmed). */
int seal_identity_sign(char **out, const char *yaml, const seal_key *key, seal_err *err) SEAL_WUR;
/* Verify an identity file: the signature comment, suite-id hex form only, under
 * identity.public_key (or opts->pinned_pk must equal it). The verdict's signer is that key. */
int seal_identity_verify(const char *text, size_t len, const seal_verify_opts *opts,
                         seal_verdict *out);
/* Verifies an identity file as seal_identity_verify (no pin) and reads who it names: on
 * SEAL_OK the top-level motebit_id is in motebit_id (cap bytes, NUL-terminated) and the signing
 * key in out->signer_pk (hex). SEAL_EVERIFY (reasons in out) for a bad or incomplete file,
 * SEAL_EINVAL without room for the id. The caller clears out. */
int seal_identity_read(const char *text, size_t len, char *motebit_id, size_t cap,
                       seal_verdict *out);

/* ---- key succession ------------------------------------------------------------------------------
 * A record {old_public_key, new_public_key, timestamp, reason?, suite, old_key_signature,
 * new_key_signature}; both keys sign JCS({new_public_key, old_public_key, reason?, suite,
 * timestamp}) and the signatures are hex. `reason` may be NULL. */
int seal_succession_sign(json_t **out, const seal_key *old_key, const seal_key *new_key,
                         int64_t timestamp_ms, const char *reason, seal_err *err) SEAL_WUR;
int seal_succession_verify(const json_t *rec, seal_err *err) SEAL_WUR;
/* Chain rules: every link verifies, new[i] == old[i+1], timestamps strictly increase, and when
 * `current_pk_hex` is non-NULL the last new key equals it. */
int seal_succession_verify_chain(const json_t *chain, const char *current_pk_hex,
                                 seal_err *err) SEAL_WUR;

/* Verification against the CURRENT key of a node that rotated (spec/signing.md "Key rotation"):
 * like seal_verify_text with opts->pinned_pk = the current key, except that an artifact signed
 * by a RETIRED key is accepted when `chain` (borrowed, a succession array root first, may be
 * NULL) verifies as a whole (seal_succession_verify_chain ending at the current key), one of its
 * records has that key as old_public_key, and the artifact states no signing time
 * (completed_at, resolved_at, issued_at, iat) later than that record's timestamp. A forged or
 * broken chain makes a retired-key artifact invalid (the reason names the chain). `link` (may be
 * NULL) receives how the key was accepted. Returns as seal_verify_text. */
typedef struct seal_key_link {
  int retired;                  /* 1: the signer is a retired key linked by the chain */
  char current_pk[SEAL_PK_HEX]; /* the current (pinned) key, hex; "" when not consulted */
  int64_t retired_at_ms;        /* timestamp of the record that retired the signer */
  int record;                   /* index of that record in the chain, -1 when not retired */
} seal_key_link;
int seal_verify_text_succession(const char *text, size_t len, const seal_verify_opts *opts,
                                const json_t *chain, seal_verdict *out, seal_key_link *link);

/* ---- eddsa-jcs-2022 proofs -------------------------------------------------------------------------
 * Adds `proof` {type DataIntegrityProof, cryptosuite eddsa-jcs-2022, created, verificationMethod
 * "did:key:z…#z…", proofPurpose, proofValue "z"+base58btc(sig)} to a copy of `doc`; the signed
 * message is sha256(JCS(proof options)) || sha256(JCS(doc minus proof)), reals in ES form. */
int seal_vc_prove(json_t **out, const json_t *doc, const seal_key *key, const char *created,
                  const char *proof_purpose, seal_err *err) SEAL_WUR;
/* Verifies `doc`'s proof (key from verificationMethod) and, for a presentation, the proof of
 * every embedded verifiableCredential. */
int seal_vc_verify(const json_t *doc, seal_verdict *out);

/* ---- Motus Work Receipt Envelope -------------------------------------------------------------------
 * Digest: drop top-level receipt_id and hashes.receipt, json.sorted.compact.v0, sha256 hex. */
int seal_work_receipt_digest(char out[SEAL_SHA256_HEX], const json_t *r, seal_err *err) SEAL_WUR;
/* Sets receipt_id = "sha256:"+D and hashes.receipt = {algorithm, value D, canonicalization}
 * on `r` in place (borrowed, modified). */
int seal_work_receipt_finalize(json_t *r, seal_err *err) SEAL_WUR;
/* Level 3: signs the canonical receipt minus receipt_id, hashes.receipt and
 * signatures_optional; appends {suite, public_key, signature, signer} to signatures_optional of
 * a copy, then finalizes the copy. `signer` may be NULL (then the did:key). `*out` new. */
int seal_work_receipt_sign(json_t **out, const json_t *r, const seal_key *key, const char *signer,
                           seal_err *err) SEAL_WUR;
/* Level 0 structural checks (required fields, enums, no additional properties at any level,
 * date-times, receipt_id/hashes.receipt self-hash) and every signatures_optional entry of our
 * suite; reasons are appended to `out`. */
int seal_verify_work_receipt(const json_t *r, const seal_verify_opts *opts, seal_verdict *out);

#endif
