/* SPDX-License-Identifier: Apache-2.0
 * crypto/jschema.h — a small JSON Schema (2020-12 subset) validator for the schemas this project
 * ships: type, properties, required, additionalProperties (bool or schema), items, enum, const,
 * minLength/maxLength (in code points), minimum/maximum, pattern (POSIX ERE via <regex.h>),
 * minItems/maxItems, uniqueItems, $ref to "#/$defs/<name>" (or "#/definitions/<name>") in the
 * same root document, anyOf, oneOf, allOf. Unknown keywords ($schema, title, description,
 * default, examples, format, x-*) are ignored. It lives in crypto/ (the lowest layer) so every
 * module can validate; it does not touch libsodium and does no I/O.
 *
 * Limits: schema recursion depth SEAL_JSCHEMA_MAX_DEPTH (a deeper instance or a $ref loop is a
 * validation failure, not a crash); instance strings are measured as UTF-8 code points. */
#ifndef WL_CRYPTO_JSCHEMA_H
#define WL_CRYPTO_JSCHEMA_H

#include "crypto/err.h"

#include <jansson.h>
#include <stddef.h>

#define SEAL_JSCHEMA_MAX_DEPTH 48

/* Aliases into the one code space of crypto/err.h. */
typedef enum seal_jschema_rc {
  SEAL_JSCHEMA_OK = WL_OK,
  SEAL_JSCHEMA_INVALID = WL_EINVAL,       /* the instance does not match; path and message filled */
  SEAL_JSCHEMA_BADSCHEMA = WL_EBADSCHEMA, /* the schema itself is unusable (bad $ref, bad regex,
                                             bad type) */
} seal_jschema_rc;

typedef struct seal_jschema_err {
  char path[256]; /* JSON Pointer of the offending instance location, "" for the root */
  char msg[200];  /* one line, e.g. "expected string, got integer" */
} seal_jschema_err;

/* Validates `instance` against `schema` (both borrowed; `schema` is also the root for $ref).
 * Returns SEAL_JSCHEMA_OK, SEAL_JSCHEMA_INVALID or SEAL_JSCHEMA_BADSCHEMA; err (may be NULL)
 * receives the first problem found. Thread-safe (compiled patterns are cached under a lock). */
int seal_jschema_validate(const json_t *schema, const json_t *instance, seal_jschema_err *err);

/* Checks that `schema` only uses $refs that resolve and patterns that compile, recursively.
 * Returns SEAL_JSCHEMA_OK or SEAL_JSCHEMA_BADSCHEMA (err->path = schema location). */
int seal_jschema_check(const json_t *schema, seal_jschema_err *err);

#endif
