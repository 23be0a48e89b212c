/* SPDX-License-Identifier: Apache-2.0
 * cli/cli.h — the subcommands of the workledger binary and the few helpers they share (store and
 * .motus paths, one-line errors, integer options). Each subcommand lives in cli/cmd_<name>.c and has the signature
 * int cmd_<name>(int argc, char **argv), where argv[0] is the subcommand's own name; it returns
 * the process exit status. Exit codes: 0 ok, 1 failure/invalid (command-specific), 2 usage or
 * unreadable input. Errors are one line on stderr, prefixed "workledger: ". */
#ifndef WL_CLI_H
#define WL_CLI_H

#include "crypto/err.h"

#include <stdarg.h>
#include <stddef.h>

/* The exit statuses; a wl_code maps to one through wl_code_exit() (crypto/err.h). */
#define CLI_EXIT_OK WL_EXIT_OK
#define CLI_EXIT_FAIL WL_EXIT_FAIL
#define CLI_EXIT_USAGE WL_EXIT_USAGE
/* A parse step's answer when the command goes on (any other answer is the exit status). */
#define CLI_CONTINUE (-1)

int cmd_version(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_identity(int argc, char **argv);
int cmd_wrap(int argc, char **argv);
int cmd_work(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_approvals(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_deny(int argc, char **argv);
int cmd_tasks(int argc, char **argv);
int cmd_receipts(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_install(int argc, char **argv);

/* Prints the usage of command `cmd` (borrowed) on stdout (cli/help.c). @return 1, or 0 when
 * there is no such command (nothing printed). */
int cli_help(const char *cmd);
/* 1 when argv (argv[0] = the command, borrowed) asks for --help or -h before a "--" and, for
 * wrap, before the wrapped command; else 0. */
int cli_wants_help(const char *cmd, int argc, char **argv);
/* `serve --http HOST:PORT ...`: cmd_serve() hands the whole argv here when --http is present. */
int cmd_serve_http(int argc, char **argv);

/* Prints "workledger: <msg>\n" to stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The Store path: `opt` (from --store) if non-NULL, else $MOTUS_KERNEL_STORE_PATH, else
 * $MOTUS_STORE_PATH, else the key "store" of ./.motus/config.json, else ".motus/kernel-store.db".
 * A value starting with postgresql:// or postgres:// is a PostgreSQL Store. Borrowed (static or
 * from the environment). */
const char *cli_store_path(const char *opt);

/* The .motus directory that holds the Store: the directory part of cli_store_path(opt) when
 * it ends in "/kernel-store.db"-style file, written into `out` (size `cap`). */
void cli_motus_dir(char *out, size_t cap, const char *store_path);

/* Parses a whole decimal integer in lo..hi into *out. @return 0, or -1 (out untouched) when `s`
 * (borrowed) is empty, has trailing characters or is out of range. */
int cli_parse_long(const char *s, long lo, long hi, long *out);

/* Global options parsed by main() before the subcommand: --store PATH, --json. */
extern const char *cli_opt_store;
extern int cli_opt_json;

#endif
