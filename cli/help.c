/* SPDX-License-Identifier: Apache-2.0
 * cli/help.c — the usage text of every command of the workledger binary, printed on stdout by
 * `workledger CMD --help`, `workledger CMD SUB --help` and `workledger help CMD` (exit 0).
 * main() answers --help here before the command runs, so no command parses it itself and no
 * command can forget it; `work` and `run` keep their per-subcommand lines. The same text is
 * the source of the SYNOPSIS of the man page (workledger.1); tests/e2e/cli_help.sh walks every
 * command and subcommand listed here. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

typedef struct help_entry {
  const char *cmd;
  const char *text; /* lines "workledger CMD [SUB] ...", then indented notes */
} help_entry;

static const help_entry helps[] = {
    {"install",
     "workledger install [--path DIR] [--json]\n"
     "  apply the local defaults workledger expects in DIR (default .): .motus/ (0700),\n"
     "  the Store, the node identity and a .motus/config.json with the defaults;\n"
     "  idempotent: a second run changes nothing and says so, line by line\n"},
    {"init", "workledger init [--path DIR] [--empty] [--quiet] [--json]\n"
             "  create DIR/.motus/ (default .) with the Store and the identity key; --empty is\n"
             "  accepted for Motus compatibility (the layout is always the minimum); idempotent\n"},
    {"serve", "workledger serve [--store PATH] [--profile personal|service|collaborative]\n"
              "      [--durability full|normal] [--workers N] [--window N] [--max-line BYTES]\n"
              "      [--heartbeat-ms MS] [--no-store] [--ephemeral-key]\n"
              "workledger serve --http HOST:PORT [--tls-cert FILE --tls-key FILE]\n"
              "      [--insecure-no-auth] [--conformance] [--max-body BYTES]\n"
              "      [--max-connections N] [--threads N] [--public-url URL] [--port-file FILE]\n"
              "  MCP over stdio (default) or Streamable HTTP at /mcp; exits 2 when\n"
              "  .motus/config.json names an unknown tool in policy.denylist or allowlist\n"},
    {"identity", "workledger identity [show] [--json]\n"
                 "workledger identity rotate [--reason TEXT] [--json]\n"},
    {"verify", "workledger verify FILE|- [--strict-hash] [--public-key HEX] [--now MS]\n"
               "      [--succession FILE] [--local] [--json]\n"},
    {"wrap",
     "workledger wrap [--work-id ID] [--timeout S] [--keep-output] [--json]\n"
     "      [--actor [TYPE:]ID] [--trigger manual|ci|schedule|webhook|agent] -- CMD [ARG...]\n"
     "  run CMD (no shell) as a recorded Store run; exits with CMD's status (124\n"
     "  timeout, 127 not found); raw output is not stored unless --keep-output\n"},
    {"work",
     "workledger work claim WORK_ID [--intent T] [--actor [TYPE:]ID] [--ttl S]\n"
     "workledger work evidence LEASE KIND [--passed N] [--failed N] [--skipped N] [--uri U]\n"
     "      [--file PATH] [--summary S]\n"
     "workledger work decision LEASE TEXT [--rationale R] [--accepted-by [TYPE:]ID]\n"
     "workledger work release LEASE success|failure|partial|aborted [--summary S]\n"
     "      [--next-actor [TYPE:]ID] [--receiver [TYPE:]ID] [--expected-action T] [--reason T]\n"
     "workledger work renew LEASE [--ttl S]\n"
     "workledger work receipt LEASE|RUN [--export DIR]\n"
     "workledger work status LEASE|RUN\n"
     "workledger work list [--open]\n"},
    {"run", "workledger run list [--open] [--outcome O] [--work-id ID] [--since TS] [--limit N]\n"
            "      [--offset N]\n"
            "workledger run packet RUN\n"},
    {"doctor", "workledger doctor [--fix] [--json]\n"
               "  check the Store; --fix creates what is missing and ends expired leases; exit 1\n"
               "  when a check fails\n"},
    {"approvals", "workledger approvals [--json]\n"},
    {"approve", "workledger approve ID [--json]\n"},
    {"deny", "workledger deny ID --reason R [--json]\n"},
    {"tasks", "workledger tasks [--limit N] [--json]\n"},
    {"receipts", "workledger receipts show TASK_ID [--json]\n"},
    {"token", "workledger token mint --aud AUD [--ttl SECONDS] [--now EPOCH_MS] [--json]\n"
              "workledger token pubkey [--json]\n"},
    {"call", "workledger call URL TOOL [JSON-ARGS] [options]\n"
             "workledger call URL --list [options]\n"
             "  options: --token T | --motebit-token [--aud AUD] [--send-public-key]\n"
             "    --timeout S (60) --connect-timeout S (10) --max-response BYTES (8 MiB)\n"
             "    --era auto|legacy|modern --progress --cacert FILE --insecure --json\n"
             "  exit: 0 ok, 1 tool error (isError), 2 usage/transport/protocol error\n"},
    {"version", "workledger version [--json]\n"},
    {"help", "workledger help [COMMAND]\n"},
};

int cli_help(const char *cmd)
{
  for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
    if (strcmp(helps[i].cmd, cmd) == 0) {
      fputs("usage: ", stdout);
      fputs(helps[i].text, stdout);
      fputs("global options before COMMAND: --store PATH, --json; `man workledger` has more\n",
            stdout);
      return 1;
    }
  return 0;
}

int cli_wants_help(const char *cmd, int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0)
      return 0; /* what follows belongs to the wrapped command */
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
      return 1;
    if (strcmp(cmd, "wrap") == 0 && (!strcmp(a, "--work-id") || !strcmp(a, "--timeout") ||
                                     !strcmp(a, "--actor") || !strcmp(a, "--trigger")))
      i++; /* its value */
    else if (strcmp(cmd, "wrap") == 0 && a[0] != '-')
      return 0; /* wrap's command starts here */
    if (strcmp(cmd, "call") == 0 && a[0] == '{')
      return 0; /* the tool's JSON arguments */
  }
  return 0;
}
