/* SPDX-License-Identifier: Apache-2.0
 * cli/succession.h — the node's key-succession chain on disk (spec/signing.md "Key rotation"):
 * <motus_dir>/identity/succession.jsonl, one canonical succession record per line, root first,
 * only ever appended to (`workledger identity rotate`). It is the registry of retired public
 * keys: every old_public_key in it was once this node's key. Used by `identity` and `verify`.
 *
 * Ownership (spec/layout.md): `json_t **` outputs are new; paths and text are borrowed.
 * Errors: 0 or -1 with a one-line message in err (size errcap). */
#ifndef WL_CLI_SUCCESSION_H
#define WL_CLI_SUCCESSION_H

#include <jansson.h>
#include <stddef.h>

#define CLI_SUCCESSION_FILE "succession.jsonl"
#define CLI_SUCCESSION_MAX_BYTES (4 * 1024 * 1024)

/* Reads a chain from `path`: JSON Lines (one record per line, blank lines skipped) or a single
 * JSON array. A missing file gives an empty array when `missing_ok`, else -1. Records are parsed
 * strictly (duplicate keys refused) but NOT verified. */
int cli_succession_read(json_t **chain, const char *path, int missing_ok, char *err, size_t errcap);

/* <motus_dir>/identity/succession.jsonl into out (size cap). */
void cli_succession_path(char *out, size_t cap, const char *motus_dir);

/* Appends one record as a canonical JSON line (O_APPEND, fsync; mode 0644). */
int cli_succession_append(const char *path, const json_t *record, char *err, size_t errcap);

#endif
