/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_wrap.c — `workledger wrap [--work-id ID] [--timeout S] [--keep-output] [--json]
 * [--actor [TYPE:]ID] [--trigger KIND] -- CMD [ARG...]`: runs CMD (no shell) as one recorded Store run through ledger_wrap_run(),
 * passing stdin through and streaming stdout/stderr unchanged; exits with the command's status
 * (124 timeout, 125 internal error, 127 not found, 128+n signal). The run id and how to get the
 * receipt are printed on stderr (as one JSON line with --json). The arguments are checked against
 * the inputSchema of the motus_wrap tool (schemas/tools/motus_wrap.json) with the same message as
 * tools/call, before the Store is opened. */
#include "cli/cli.h"
#include "cli/node.h"
#include "ledger/wrap.h"
#include "schemas/schemas.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int sink_fd(void *payload, const char *data, size_t len)
{
  int fd = *(int *)payload;
  while (len) {
    ssize_t w = write(fd, data, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    data += w;
    len -= (size_t)w;
  }
  return 0;
}

/* The motus_wrap arguments of this command line must match the tool's inputSchema, as over MCP.
 * Returns 0, or CLI_EXIT_USAGE after printing the tools/call refusal as one stderr line. */
static int check_args(char **cmd, const char *work_id, const long *timeout, int keep)
{
  char msg[600];
  json_t *a = json_pack("{s:[],s:b}", "argv", "keep_output", keep);
  int rc;
  for (int i = 0; a && cmd[i]; i++)
    json_array_append_new(json_object_get(a, "argv"), json_string(cmd[i]));
  if (a && work_id)
    json_object_set_new(a, "work_id", json_string(work_id));
  if (a && timeout)
    json_object_set_new(a, "timeout_s", json_integer(*timeout));
  rc = a ? schema_tool_args_check("motus_wrap", a, msg, sizeof msg) : SCHEMA_ARGS_NOTOOL;
  json_decref(a);
  if (rc == SCHEMA_ARGS_OK)
    return 0;
  cli_errorf("%s", a ? msg : "out of memory");
  return rc == SCHEMA_ARGS_INVALID ? CLI_EXIT_USAGE : 125;
}

typedef struct wrap_cli {
  const char *work_id, *actor, *trigger;
  long timeout;
  int timeout_set, keep, json;
} wrap_cli;

/* The wrap options before the command. @return the index of the command in argv, or -1 after
 * a usage message. */
static int parse_wrap(int argc, char **argv, wrap_cli *o)
{
  static const char *const triggers[] = {"manual", "ci", "schedule", "webhook", "agent", NULL};
  int i;
  for (i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "--") == 0)
      return i + 1;
    if (strcmp(s, "--work-id") == 0 && i + 1 < argc) {
      o->work_id = argv[++i];
    } else if (strncmp(s, "--work-id=", 10) == 0) {
      o->work_id = s + 10;
    } else if (strcmp(s, "--actor") == 0 && i + 1 < argc) {
      o->actor = argv[++i];
    } else if (strcmp(s, "--trigger") == 0 && i + 1 < argc) {
      int k = 0;
      o->trigger = argv[++i];
      while (triggers[k] && strcmp(triggers[k], o->trigger) != 0)
        k++;
      if (!triggers[k]) {
        cli_errorf("wrap: --trigger must be manual, ci, schedule, webhook or agent, got '%.40s'",
                   o->trigger);
        return -1;
      }
    } else if ((strcmp(s, "--timeout") == 0 && i + 1 < argc) || strncmp(s, "--timeout=", 10) == 0) {
      const char *v = s[9] == '=' ? s + 10 : argv[++i];
      char *end = NULL;
      errno = 0;
      o->timeout = strtol(v, &end, 10);
      if (errno || !end || *end || !*v) {
        cli_errorf("wrap: --timeout must be a number of seconds, got '%s'", v);
        return -1;
      }
      o->timeout_set = 1;
    } else if (strcmp(s, "--keep-output") == 0) {
      o->keep = 1;
    } else if (strcmp(s, "--json") == 0) {
      o->json = 1;
    } else if (s[0] == '-') {
      cli_errorf("wrap: unknown option '%s' (usage: wrap [--work-id ID] [--timeout S] "
                 "[--keep-output] [--actor [TYPE:]ID] [--trigger KIND] -- CMD [ARG...])",
                 s);
      return -1;
    } else {
      return i; /* the command starts here (no "--") */
    }
  }
  return i;
}

/* --actor [TYPE:]ID: TYPE one of the Motus actor types (default human); the ID is split off into
 * id (cap bytes). @return the type (static), or NULL after a message. */
static const char *actor_type_of(const char *actor, char *id, size_t cap)
{
  static const char *const types[] = {"human", "agent", "service", "ci", "tool", NULL};
  const char *colon = strchr(actor, ':'), *type = "human";
  snprintf(id, cap, "%s", actor);
  for (int k = 0; colon && types[k]; k++)
    if (strlen(types[k]) == (size_t)(colon - actor) &&
        !strncmp(types[k], actor, strlen(types[k]))) {
      type = types[k];
      snprintf(id, cap, "%s", colon + 1);
    }
  if (!*id || strlen(actor) > 130) {
    cli_errorf("wrap: --actor must be [TYPE:]ID (TYPE human, agent, service, ci or tool), 1..130 "
               "bytes");
    return NULL;
  }
  return type;
}

int cmd_wrap(int argc, char **argv)
{
  wrap_cli w = {0};
  char actor_id[136];
  const char *actor_type = NULL;
  const char *work_id;
  long timeout;
  int timeout_set, keep, json, i = parse_wrap(argc, argv, &w);
  if (i < 0)
    return CLI_EXIT_USAGE;
  if (w.actor && !(actor_type = actor_type_of(w.actor, actor_id, sizeof actor_id)))
    return CLI_EXIT_USAGE;
  work_id = w.work_id;
  timeout = w.timeout;
  timeout_set = w.timeout_set;
  keep = w.keep;
  json = w.json || cli_opt_json;
  if (i >= argc) {
    cli_errorf("wrap: missing command (usage: wrap [--work-id ID] [--timeout S] [--keep-output] "
               "-- CMD [ARG...])");
    return CLI_EXIT_USAGE;
  }
  int bad = check_args(argv + i, work_id, timeout_set ? &timeout : NULL, keep);
  if (bad)
    return bad;
  signal(SIGPIPE, SIG_IGN);
  ledger *l = NULL;
  if (cli_store_open(&l, 1))
    return 125;
  cli_node node;
  char motus_dir[4096], err[512];
  cli_motus_dir(motus_dir, sizeof motus_dir, cli_store_path(cli_opt_store));
  if (cli_node_init(&node, motus_dir, NULL, err, sizeof err)) {
    cli_errorf("wrap: %s", err);
    ledger_close(l);
    return 125;
  }
  ledger_work_ctx ctx = {"cli", NULL, NULL, NULL, NULL, node.key, node.motebit_id};
  if (actor_type) {
    ctx.actor_type = actor_type;
    ctx.default_actor = actor_id;
  }
  ctx.trigger_kind = w.trigger;
  int out_fd = STDOUT_FILENO, err_fd = STDERR_FILENO;
  fflush(stdout);
  ledger_wrap_opts o = {.argv = argv + i,
                        .work_id = work_id,
                        .timeout_s = (int)timeout,
                        .keep_output = keep,
                        .stdin_fd = STDIN_FILENO,
                        .out_sink = sink_fd,
                        .out_payload = &out_fd,
                        .err_sink = sink_fd,
                        .err_payload = &err_fd};
  ledger_wrap_result r;
  ledger_err e = {0};
  int rc = ledger_wrap_run(l, &ctx, &o, &r, &e);
  int status = r.exit_status;
  if (rc) {
    cli_errorf("wrap: the run could not be recorded: %s", e.msg);
    status = 125;
  } else if (json) {
    json_t *j = ledger_wrap_result_json(&r);
    char *s = seal_json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    if (s)
      fprintf(stderr, "%s\n", s);
    free(s);
    json_decref(j);
  } else {
    if (r.exit_status == 127)
      fprintf(stderr, "workledger: %s: command not found or not executable\n", argv[i]);
    fprintf(stderr, "workledger: recorded %s (%s, exit %d)\nNext: workledger work receipt %s\n",
            r.run_id, r.outcome, r.exit_status, r.run_id);
  }
  cli_node_free(&node);
  ledger_close(l);
  return status;
}
