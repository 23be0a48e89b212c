/* SPDX-License-Identifier: Apache-2.0
 * schemas/schemas.h — the embedded JSON Schemas. Every file under schemas/ (tool input/output
 * schemas and artifact schemas) is compiled into the binary as a NUL-terminated string, so the
 * running server and the files in the repository can never drift. The table is generated at build
 * time; this header exposes lookup, and the one argument check shared by the MCP call path and
 * the CLI commands that mirror tools (same schema, same message). */
#ifndef WL_SCHEMAS_H
#define WL_SCHEMAS_H
#include <jansson.h>
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

/* Returns the embedded schemas/tools/<tool>.json, or NULL when there is none. Static. */
const struct schema_file *schema_tool_find(const char *tool);

/* Writes the one-line refusal of invalid tool arguments into buf (cap bytes, always
 * NUL-terminated): "Invalid arguments for tool <tool>: <path>: <msg>", without "<path>: " when
 * `path` is empty. All strings borrowed. The MCP call path and the CLI both print this text. */
void schema_args_message(char *buf, size_t cap, const char *tool, const char *path,
                         const char *msg);

#define SCHEMA_ARGS_OK 0
#define SCHEMA_ARGS_INVALID (-1) /* `args` do not match: msg = schema_args_message() text */
#define SCHEMA_ARGS_NOTOOL (-2)  /* no schemas/tools/<tool>.json, or it is unusable: msg says so */

/* Validates `args` (borrowed JSON object) against the inputSchema of schemas/tools/<tool>.json
 * (crypto/jschema.h). Returns SCHEMA_ARGS_OK, SCHEMA_ARGS_INVALID or SCHEMA_ARGS_NOTOOL; msg
 * (cap bytes) receives the one-line reason on failure. Parses the embedded file on every call:
 * meant for one-shot callers such as the CLI (the server keeps its parsed schemas). */
int schema_tool_args_check(const char *tool, const json_t *args, char *msg, size_t cap);

#endif
