/* SPDX-License-Identifier: Apache-2.0
 * schemas/schemas.h — the embedded JSON Schemas. Every file under schemas/ (tool input/output
 * schemas and artifact schemas) is compiled into the binary as a NUL-terminated string, so the
 * running server and the files in the repository can never drift. The table is generated at build
 * time; this header only exposes lookup. It does not parse JSON. */
#ifndef WL_SCHEMAS_H
#define WL_SCHEMAS_H
#include <stddef.h>

struct schema_file {
  const char *path; /* relative to schemas/, e.g. "tools/motebit_identity.json" */
  const char *text; /* NUL-terminated file contents, static */
  size_t len;       /* bytes, without the NUL */
};

/* Generated table, terminated by an entry whose path is NULL. Static storage. */
extern const struct schema_file schema_files[];
extern const size_t schema_files_count;

/* Returns the embedded file at `path` (relative to schemas/), or NULL when there is none.
 * The result is static; never free it. */
const struct schema_file *schema_find(const char *path);

#endif
