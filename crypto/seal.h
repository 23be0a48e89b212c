/* SPDX-License-Identifier: Apache-2.0
 * crypto/seal.h — the public interface of crypto/: canonical JSON (motebit JCS and Motus
 * json.sorted.compact.v0), the output JSON printer (json_dumps with shortest reals), SHA-256, lowercase hex, base64url, base58btc, did:key, sovereign
 * motebit ids, Ed25519 keys held in sodium_malloc memory, and raw sign/verify. Artifact-level
 * signing and verification (receipts, tokens, identity files, Work Receipts) is declared in
 * crypto/artifacts.h. Nothing here does I/O beyond reading a key file, and nothing logs.
 *
 * Errors (crypto/err.h): functions return SEAL_OK (0) or a negative seal_rc (an alias of a
 * wl_code); a few take an optional `seal_err *err` (= wl_err, may be NULL) that receives a
 * one-line message. Thread-safe after seal_init(); keys are immutable once loaded and may be
 * shared between threads. */
#ifndef WL_CRYPTO_SEAL_H
#define WL_CRYPTO_SEAL_H

#include "crypto/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define SEAL_WUR __attribute__((warn_unused_result))
#else
#define SEAL_WUR
#endif

#define SEAL_PK_BYTES 32
#define SEAL_SEED_BYTES 32
#define SEAL_SIG_BYTES 64
#define SEAL_SHA256_BYTES 32
#define SEAL_SHA256_HEX 65      /* 64 hex chars + NUL */
#define SEAL_PK_HEX 65          /* 64 hex chars + NUL */
#define SEAL_SIG_B64 87         /* 86 base64url chars (no padding) + NUL */
#define SEAL_SIG_HEX 129        /* 128 hex chars + NUL */
#define SEAL_DID_KEY_MAX 64     /* "did:key:z" + base58 of 34 bytes + NUL */
#define SEAL_SOVEREIGN_ID 37    /* UUID text + NUL */
#define SEAL_CANON_MAX_DEPTH 64 /* nesting limit of the canonical serializer */

/* The codes crypto/ returns: aliases into the one code space of crypto/err.h. */
typedef enum seal_rc {
  SEAL_OK = WL_OK,
  SEAL_ERROR = WL_ERROR,       /* unexpected: out of memory, libsodium failure */
  SEAL_EINVAL = WL_EINVAL,     /* malformed input: bad hex/base64/JSON shape, wrong length */
  SEAL_EREAL = WL_EREAL,       /* a real number in a body that must hold integers only */
  SEAL_EDEPTH = WL_EDEPTH,     /* nesting deeper than the limit */
  SEAL_EVERIFY = WL_EVERIFY,   /* signature or digest does not verify */
  SEAL_EEXPIRED = WL_EEXPIRED, /* a token or delegation outside its validity window */
  SEAL_ESCOPE = WL_ESCOPE,     /* capability not within a delegated scope */
  SEAL_EIO = WL_EIO,           /* reading or writing a key file failed (errno in err->cause) */
} seal_rc;

/* The error struct of crypto/err.h: code (a seal_rc), cause (errno or 0), msg (one line, no
 * trailing newline; never holds secret material). */
typedef wl_err seal_err;

/* Initialise libsodium, and make seal_free_soon jansson's free function. Call once before
 * anything else (idempotent). Returns SEAL_OK or SEAL_ERROR. */
int seal_init(void) SEAL_WUR;

/* Frees handed back (crypto/graveyard.c). A thread between seal_graveyard_begin() and
 * seal_graveyard_end() does not free what it passes to seal_free_soon() (nor, after seal_init,
 * the jansson trees it releases): end() hands it to the graveyard, and the next
 * seal_graveyard_drain(), on whichever thread calls it, frees it. Outside that window
 * seal_free_soon(p) is free(p). The Store's writer collects while it ends calls that another
 * thread allocated, so that those frees do not contend for that thread's malloc arena. Drain
 * returns how many blocks it freed. seal_graveyard_thread_end() frees what a collecting thread
 * still holds (at its exit). Thread-safe; p may be NULL. */
void seal_graveyard_begin(void);
void seal_graveyard_end(void);
void seal_free_soon(void *p);
size_t seal_graveyard_drain(void);
void seal_graveyard_thread_end(void);

/* How many bytes from s a JSON string holds as they are (none is a control character, '"' or
 * '\\'), scanned eight at a time: for finding the end of a string in JSON text quickly. */
size_t seal_json_plain_prefix(const char *s, size_t len);

/* Static one-line description of a seal_rc. */
const char *seal_strerror(int rc);

/* ---- canonical JSON ------------------------------------------------------------------------- */

typedef enum seal_canon_flavor {
  SEAL_CANON_JCS = 0, /* motebit "JCS as implemented": keys by UTF-16 code units; integers only */
  SEAL_CANON_MOTUS =
      1, /* Motus json.sorted.compact.v0: keys by code point (UTF-8 bytes); integers only */
  SEAL_CANON_JCS_REALS = 2, /* JCS key order, reals allowed and printed in ECMAScript shortest
                               round-trip form (eddsa-jcs-2022 credential subjects only) */
} seal_canon_flavor;

#define SEAL_ES_NUMBER_MAX 32 /* longest ECMAScript number text + NUL */

/* ECMAScript Number::toString of a finite double (shortest round-trip digits; "1e+21", "5e-7",
 * "-0" -> "0", "1.0" -> "1"). SEAL_OK, or SEAL_EINVAL for NaN/Infinity. */
int seal_es_number(char out[SEAL_ES_NUMBER_MAX], double v) SEAL_WUR;

/* Decimal text of `v` into `out` (at least SEAL_INT_TEXT_MAX bytes), NUL-terminated, as
 * printf's "%lld" writes it; returns its length. Without printf's machinery: the hot paths
 * (canonical JSON, dumps, timestamps) write several numbers per call. */
#define SEAL_INT_TEXT_MAX 21
size_t seal_int_text(char *out, long long v);

/* Copies `src` into `dst` of `cap` bytes (cap >= 1), truncated and always NUL-terminated, as
 * snprintf(dst, cap, "%s", src) does; returns the length copied. */
size_t seal_strcopy(char *dst, size_t cap, const char *src);

/* Serialise `v` (borrowed) canonically: no whitespace, sorted keys, raw UTF-8, only `"` `\`
 * and control characters escaped (\b \f \n \r \t short forms, others \u00xx lowercase), `/`
 * never escaped. Reals are refused (SEAL_EREAL) except in SEAL_CANON_JCS_REALS; more than
 * SEAL_CANON_MAX_DEPTH nested arrays/objects gives SEAL_EDEPTH. Rules: spec/canonical-json.md.
 * `*out` receives a new NUL-terminated buffer (free()) and `*out_len` its length without the
 * NUL; both are untouched on failure. */
int seal_canon(char **out, size_t *out_len, const json_t *v, seal_canon_flavor flavor,
               seal_err *err) SEAL_WUR;

/* Same, but `omit_key` (may be NULL) is left out of the TOP-LEVEL object only: used for
 * "everything except signature". */
int seal_canon_without(char **out, size_t *out_len, const json_t *v, const char *omit_key,
                       seal_canon_flavor flavor, seal_err *err) SEAL_WUR;

/* One member of an object written by seal_canon_members: a string (`str`, NUL-terminated
 * UTF-8), an integer (`num`) or a value already in canonical text (`str`, `raw_len` bytes,
 * emitted as they are: the caller vouches for them, e.g. the output of seal_canon). */
typedef enum seal_cm_type { SEAL_CM_STR, SEAL_CM_INT, SEAL_CM_RAW } seal_cm_type;
typedef struct seal_cmember {
  const char *key; /* borrowed, NUL-terminated UTF-8; keys must be distinct */
  seal_cm_type type;
  const char *str; /* borrowed */
  size_t raw_len;
  long long num;
} seal_cmember;

/* The canonical text of the object made of `ms[0..n)`, byte for byte what seal_canon writes for
 * the same object, without building a json_t: `ms` is sorted in place by the flavor's key order.
 * `*out` is new (free()), `*out_len` its length. SEAL_EINVAL when a key or a string is not
 * valid UTF-8 (or holds a NUL), or two keys are equal; SEAL_ERROR out of memory. */
int seal_canon_members(char **out, size_t *out_len, seal_cmember *ms, size_t n,
                       seal_canon_flavor flavor, seal_err *err) SEAL_WUR;

/* sha256 of the canonical bytes of `v`, as 64 lowercase hex chars into out[SEAL_SHA256_HEX]. */
int seal_canon_sha256_hex(char out[SEAL_SHA256_HEX], const json_t *v, seal_canon_flavor flavor,
                          seal_err *err) SEAL_WUR;

/* Parse JSON text strictly for verification: duplicate keys refused, NUL bytes and \u0000
 * refused, trailing data refused, more than SEAL_CANON_MAX_DEPTH nested containers refused.
 * Any JSON value is accepted at the top. Returns the value (new) or NULL (err filled). */
json_t *seal_json_parse_strict(const char *text, size_t len, seal_err *err);

/* ---- JSON text for output (spec/canonical-json.md "Output JSON") ------------------------------ */

#define SEAL_JSON_MAX_DEPTH                                                                        \
  2048 /* deepest nesting seal_json_dumps prints (jansson's parser limit) */

/* The JSON printer for everything that leaves the process and is not a signed or hashed body:
 * JSON-RPC messages, tool result text, HTTP bodies, CLI output, the JSON texts the Store keeps.
 * `flags` are jansson's: JSON_COMPACT, JSON_INDENT(n), JSON_SORT_KEYS (keys by bytes),
 * JSON_ENSURE_ASCII, JSON_ESCAPE_SLASH, JSON_ENCODE_ANY (a scalar at the top); the others
 * (JSON_PRESERVE_ORDER: insertion order is always kept; JSON_REAL_PRECISION) change nothing.
 * The text is what json_dumps(v, flags) writes, byte for byte, except that every real is
 * written in ECMAScript shortest round-trip form (seal_es_number: 0.99, 1e+21, 5e-7, 1.0 as 1,
 * -0 as 0), never with %.17g noise. Returns new text (free()), or NULL when json_dumps would
 * fail too: out of memory, NaN or an infinity, a string that is not UTF-8, a scalar at the top
 * without JSON_ENCODE_ANY, or more than SEAL_JSON_MAX_DEPTH nested arrays/objects (which also
 * stops a value that contains itself). `v` is borrowed. */
char *seal_json_dumps(const json_t *v, size_t flags);
/* As seal_json_dumps, but the value `at` (compared by address, wherever it occurs in `v`; NULL:
 * none) is written as the `raw_len` bytes of `raw` instead, as they are: the caller vouches that
 * they are one JSON value (e.g. a signed receipt's canonical text, which is not printed again).
 * `*out_len` (may be NULL) receives the text's length on success. */
char *seal_json_dumps_splice(const json_t *v, size_t flags, const json_t *at, const char *raw,
                             size_t raw_len, size_t *out_len);

/* ---- digests and encodings ------------------------------------------------------------------ */

void seal_sha256(uint8_t out[SEAL_SHA256_BYTES], const void *data, size_t len);
/* out receives 64 lowercase hex chars and a NUL. */
void seal_sha256_hex(char out[SEAL_SHA256_HEX], const void *data, size_t len);

/* Incremental SHA-256. The state is plain bytes: a copy of a context (struct assignment) goes on
 * from the same point, so a common prefix can be hashed once and finished several ways. */
typedef struct seal_sha256_ctx {
  _Alignas(16) unsigned char opaque[128];
} seal_sha256_ctx;
void seal_sha256_init(seal_sha256_ctx *c);
void seal_sha256_update(seal_sha256_ctx *c, const void *data, size_t len);
/* Feeds the canonical JSON string literal of s[0..len) (quotes and canonical escapes, exactly
 * the bytes seal_canon writes for a string). */
void seal_sha256_update_json_string(seal_sha256_ctx *c, const char *s, size_t len);
/* Finishes: 64 lowercase hex chars and a NUL. The context must be re-initialised to reuse it. */
void seal_sha256_final_hex(seal_sha256_ctx *c, char out[SEAL_SHA256_HEX]);

/* Lowercase hex of `len` bytes into `out` (2*len+1 bytes). */
void seal_hex_encode(char *out, const uint8_t *in, size_t len);
/* Decode exactly `len` bytes from a 2*len char hex string. `lower_only` refuses uppercase.
 * Returns SEAL_OK or SEAL_EINVAL. */
int seal_hex_decode(uint8_t *out, size_t len, const char *hex, int lower_only) SEAL_WUR;

/* base64url without padding. Returns a new NUL-terminated string (free()) or NULL on OOM. */
char *seal_b64url_encode(const uint8_t *in, size_t len);
/* Decode base64url; trailing '=' padding tolerated. `*out` new (free()), `*out_len` set.
 * Returns SEAL_OK or SEAL_EINVAL/SEAL_ERROR. */
int seal_b64url_decode(uint8_t **out, size_t *out_len, const char *in, size_t in_len) SEAL_WUR;

/* base58btc (Bitcoin alphabet). encode: new string (free()) or NULL. decode: SEAL_OK or
 * SEAL_EINVAL, `*out` new (free()). */
char *seal_b58_encode(const uint8_t *in, size_t len);
int seal_b58_decode(uint8_t **out, size_t *out_len, const char *in) SEAL_WUR;

/* did:key for an Ed25519 public key: "did:key:z" + base58btc(0xed 0x01 || pk). */
int seal_did_key_from_pk(char out[SEAL_DID_KEY_MAX], const uint8_t pk[SEAL_PK_BYTES]) SEAL_WUR;
int seal_pk_from_did_key(uint8_t pk[SEAL_PK_BYTES], const char *did) SEAL_WUR;

/* The sovereign motebit_id of a public key (UUIDv8 from sha256(pk)[0:16], motebit.md §5.2). */
void seal_sovereign_id(char out[SEAL_SOVEREIGN_ID], const uint8_t pk[SEAL_PK_BYTES]);

/* Constant-time comparison; 0 when equal. */
int seal_memcmp(const void *a, const void *b, size_t len);

/* Secret strings (bearer tokens, passphrases): a NUL-terminated copy in sodium_malloc memory
 * (guard pages, never swapped where mlock is allowed), wiped by seal_secret_free. Returns NULL
 * for a NULL argument or when out of memory. The copy is new: free it with seal_secret_free. */
char *seal_secret_dup(const char *s);
/* The same for the first n bytes of s (need not be NUL-terminated). */
char *seal_secret_dupn(const char *s, size_t n);
/* n + 1 zeroed bytes of sodium_malloc memory (new: free with seal_secret_free), for building a
 * secret string of up to n bytes. */
char *seal_secret_alloc(size_t n);
/* Wipes and frees a copy from seal_secret_dup; NULL is a no-op. */
void seal_secret_free(char *s);
/* Wipes len bytes in a way the compiler cannot elide (sodium_memzero). */
void seal_wipe(void *p, size_t len);

/* Fill with random bytes (one getrandom(2) per call: keys, salts, nonces). */
void seal_random(void *buf, size_t len);
/* Random bytes for public identifiers (ids of runs, evidence, records; never a secret): from the
 * same CSPRNG, drawn in blocks per thread, so most calls make no system call. */
void seal_random_id(void *buf, size_t len);
/* HMAC-SHA-256 of msg under a 32-byte key (borrowed; keep it in seal_secret_alloc memory). */
#define SEAL_HMAC_BYTES 32
#define SEAL_HMAC_KEY_BYTES 32
void seal_hmac_sha256(uint8_t out[SEAL_HMAC_BYTES], const uint8_t key[SEAL_HMAC_KEY_BYTES],
                      const void *msg, size_t len);
/* A random UUID v4 into out[37] (its bits from seal_random_id: an identifier, not a secret). */
void seal_uuid4(char out[SEAL_SOVEREIGN_ID]);
/* A UUID v7 (RFC 9562: 48-bit Unix milliseconds, then 74 random bits) into out[37]. Ids made
 * later sort after earlier ones (to the millisecond), so an index of them grows at its right edge
 * instead of touching a random page per insert. */
void seal_uuid7(char out[SEAL_SOVEREIGN_ID]);

/* ---- keys ----------------------------------------------------------------------------------- */

/* An Ed25519 key pair; the secret half lives in sodium_malloc memory (guarded, read-only after
 * creation, wiped on free). Opaque. */
typedef struct seal_key seal_key;

/* Create from a 32-byte seed (borrowed, not kept; wipe your copy). `*out` is new: free with
 * seal_key_free (the same for seal_key_generate and seal_key_load). */
int seal_key_from_seed(seal_key **out, const uint8_t seed[SEAL_SEED_BYTES]) SEAL_WUR;
/* Create a fresh random key. */
int seal_key_generate(seal_key **out) SEAL_WUR;
/* Wipes and frees; NULL is a no-op. */
void seal_key_free(seal_key *key);
/* Borrowed from key, valid while key lives. */
const uint8_t *seal_key_pk(const seal_key *key);
/* Lowercase hex of the public key; borrowed from key. */
const char *seal_key_pk_hex(const seal_key *key);
/* Copies the 32-byte seed out (for writing a key file). Caller wipes `out`. */
void seal_key_seed(const seal_key *key, uint8_t out[SEAL_SEED_BYTES]);

/* Detached Ed25519 signature over `msg`. */
int seal_sign(uint8_t sig[SEAL_SIG_BYTES], const seal_key *key, const void *msg,
              size_t len) SEAL_WUR;
/* SEAL_OK when `sig` is valid for `msg` under `pk`, SEAL_EVERIFY otherwise. */
int seal_verify(const uint8_t sig[SEAL_SIG_BYTES], const uint8_t pk[SEAL_PK_BYTES], const void *msg,
                size_t len) SEAL_WUR;

/* Key files: the 32-byte seed, raw (mode 0600), or encrypted with argon2id + secretbox when
 * `passphrase` is non-NULL and non-empty. The file format is spec/signing.md ("Key files").
 * Load detects the format; SEAL_EVERIFY for a wrong passphrase, SEAL_EINVAL for a bad file. */
int seal_key_save(const seal_key *key, const char *path, const char *passphrase,
                  seal_err *err) SEAL_WUR;
int seal_key_load(seal_key **out, const char *path, const char *passphrase, seal_err *err) SEAL_WUR;

#endif
