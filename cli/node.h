/* SPDX-License-Identifier: Apache-2.0
 * cli/node.h — loading this node's identity from <motus_dir>/identity/: the Ed25519 key
 * (`key`, a seal_key_save file, encrypted when WORKLEDGER_PASSPHRASE is set) and the motebit_id
 * (the content of `motebit_id` in that folder when present, else the sovereign id derived from
 * the public key). Used by init, identity, work, wrap, serve, token, call and approvals. */
#ifndef WL_CLI_NODE_H
#define WL_CLI_NODE_H

#include "crypto/seal.h"

#include <stddef.h>

typedef struct cli_node {
  seal_key *key;       /* new: free with cli_node_free (or seal_key_free) */
  char motebit_id[64]; /* configured or sovereign id */
  char did[SEAL_DID_KEY_MAX];
} cli_node;

/* Load the identity of the node whose .motus directory is `motus_dir`.
 * @return 0, or -1 with a one-line message in err (no key file: "run `workledger init`";
 *         wrong passphrase; unreadable file), or CLI_NODE_EMODES (cli_node_modes_check failed:
 *         never worked around with an ephemeral key). */
#define CLI_NODE_EMODES (-2)
int cli_node_load(cli_node *out, const char *motus_dir, char *err, size_t errcap);

/* The modes the node's secrets need (spec/layout.md "Files and modes"): the .motus directory
 * and its identity/ directory not writable by group or others, the key neither readable nor
 * writable by them, none of them a symbolic link. Absent paths pass. @return 0, or -1 with a
 * one-line message in err naming the path, its mode and the chmod that fixes it. */
int cli_node_modes_check(const char *motus_dir, char *err, size_t errcap);

/* Create the identity if missing (key mode 0600, motebit.md signed identity file); *created_out
 * (may be NULL) is 1 when a new key was generated. @return 0 or -1 with err. */
int cli_node_init(cli_node *out, const char *motus_dir, int *created_out, char *err, size_t errcap);

/* Frees the key; the struct may be reused. */
void cli_node_free(cli_node *n);

/* ---- helpers shared by the Store commands (init, wrap, work, run, doctor) ---------------- */
#include "ledger/ledger.h"
#include "ledger/work.h"

/* Open the Store at cli_store_path(cli_opt_store). With `create`, the parent directory and the
 * Store are created when missing. Prints one line on stderr and returns the exit code (1) on
 * failure, 0 on success. */
int cli_store_open(ledger **out, int create);
/* Print `v` (borrowed) as indented, key-sorted JSON plus a newline on stdout. */
void cli_print_json(const json_t *v);
/* Report a ledger error on stderr ("workledger: <what>: <msg>") and return its exit status
 * from the table (wl_code_exit, crypto/err.h): 2 for LEDGER_EINVAL (bad input), 1 otherwise. */
int cli_ledger_fail(const char *what, int rc, const ledger_err *err);
/* Write `v` to DIR/NAME as indented sorted ASCII JSON + newline, mode 0644: into a new temporary
 * file of DIR (O_EXCL), fsync'ed, then renamed over NAME. A NAME that exists as a symbolic link
 * or anything but a regular file is refused (errno ELOOP) and left untouched. 0 or -1 (errno). */
int cli_write_json_file(const char *dir, const char *name, const json_t *v);

#endif
