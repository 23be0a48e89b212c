/* SPDX-License-Identifier: Apache-2.0
 * ledger/hash.c — the Motus hashing helpers the Store needs on top of crypto/: canonical bytes
 * (json.sorted.compact.v0), "sha256:"-prefixed digests, digest objects {algorithm, value,
 * canonicalization}, and event-kind schema hashes (motus.md §4.3). No I/O, no SQLite. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ledger__canon(char **out, size_t *len, const json_t *v, ledger_err *err)
{
  seal_err se = {0};
  int rc = seal_canon(out, len, v, SEAL_CANON_MOTUS, &se);
  if (rc == SEAL_EREAL)
    return ledger__errf(err, LEDGER_EINVAL, 0, "real numbers are not allowed in hashed JSON");
  if (rc)
    return ledger__errf(err, rc == SEAL_ERROR ? LEDGER_ERROR : LEDGER_EINVAL, 0, "%s",
                        se.msg[0] ? se.msg : "cannot canonicalize JSON");
  return LEDGER_OK;
}

int ledger__hash_prefixed(char out[LEDGER_HASH_MAX], const json_t *v, ledger_err *err)
{
  char *buf = NULL;
  size_t len = 0;
  int rc = ledger__canon(&buf, &len, v, err);
  if (rc)
    return rc;
  char hex[SEAL_SHA256_HEX];
  seal_sha256_hex(hex, buf, len);
  free(buf);
  snprintf(out, LEDGER_HASH_MAX, "sha256:%s", hex);
  return LEDGER_OK;
}

int ledger__digest_obj(json_t **out, const json_t *v, ledger_err *err)
{
  char h[LEDGER_HASH_MAX];
  int rc = ledger__hash_prefixed(h, v, err);
  if (rc)
    return rc;
  *out = json_pack("{s:s,s:s,s:s}", "algorithm", "sha256", "value", h + 7, "canonicalization",
                   "json.sorted.compact.v0");
  return *out ? LEDGER_OK : ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
}

json_t *ledger__digest_text(const char *text, size_t len, const char *canonicalization)
{
  char hex[SEAL_SHA256_HEX];
  seal_sha256_hex(hex, text, len);
  return json_pack("{s:s,s:s,s:s}", "algorithm", "sha256", "value", hex, "canonicalization",
                   canonicalization);
}

int ledger__kind_schema_hash(char out[LEDGER_HASH_MAX], const char *kind, const json_t *required,
                             ledger_err *err)
{
  json_t *o = json_pack("{s:s,s:s,s:O}", "schema_version", "motus.event-kind-schema.v0.1",
                        "event_kind", kind, "required_payload", required);
  if (!o)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  int rc = ledger__hash_prefixed(out, o, err);
  json_decref(o);
  return rc;
}
