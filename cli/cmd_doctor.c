/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_doctor.c — `workledger doctor [--fix] [--json]`: Store path, schema version,
 * integrity_check, foreign keys, append-only triggers present, every event hash recomputed, seq
 * contiguity, closed runs, expired leases (reported; --fix marks them, never deletes). --fix
 * only creates what is missing (the Store itself, triggers, indexes). Exit 1 when a check fails. */
#include "cli/cli.h"
#include "cli/node.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_doctor(int argc, char **argv)
{
  int json = cli_opt_json, fix = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      json = 1;
    else if (strcmp(argv[i], "--fix") == 0)
      fix = 1;
    else {
      cli_errorf("doctor: unexpected argument '%s' (usage: doctor [--fix] [--json])", argv[i]);
      return CLI_EXIT_USAGE;
    }
  }
  const char *path = cli_store_path(cli_opt_store);
  if (!fix && !ledger_store_is_uri(path) && access(path, F_OK) != 0) {
    if (json) {
      json_t *o = json_pack("{s:s,s:[{s:s,s:s,s:s}]}", "status", "fail", "checks", "name",
                            "store_path", "status", "fail", "message",
                            "no Store (run `workledger init` or `doctor --fix`)");
      cli_print_json(o);
      json_decref(o);
    } else {
      printf(
          "FAIL  store_path: no Store at %s (run `workledger init` or `workledger doctor --fix`)\n",
          path);
    }
    return CLI_EXIT_FAIL;
  }
  ledger *l = NULL;
  if (cli_store_open(&l, fix))
    return CLI_EXIT_FAIL;
  json_t *out = NULL;
  ledger_err e = {0};
  int lrc = ledger_doctor(l, fix, &out, &e);
  ledger_close(l);
  if (lrc)
    return cli_ledger_fail("doctor", lrc, &e);
  {
    /* the node's files: modes a secret key needs (cli_node_modes_check) */
    char motus[4096], why[600];
    int bad;
    cli_motus_dir(motus, sizeof motus, path);
    bad = cli_node_modes_check(motus, why, sizeof why) != 0;
    json_array_append_new(json_object_get(out, "checks"),
                          json_pack("{s:s,s:s,s:s}", "name", "file_modes", "status",
                                    bad ? "fail" : "pass", "message",
                                    bad ? why
                                        : "the .motus and identity directories and the key "
                                          "are private to their owner"));
    if (bad)
      json_object_set_new(out, "status", json_string("fail"));
  }
  const char *status = json_string_value(json_object_get(out, "status"));
  if (json) {
    cli_print_json(out);
  } else {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(out, "checks"), i, c) {
      const char *s = json_string_value(json_object_get(c, "status"));
      printf("%-5s %s: %s\n",
             strcmp(s, "pass") == 0   ? "PASS"
             : strcmp(s, "warn") == 0 ? "WARN"
                                      : "FAIL",
             json_string_value(json_object_get(c, "name")),
             json_string_value(json_object_get(c, "message")));
    }
  }
  int rc = strcmp(status, "pass") == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
  json_decref(out);
  return rc;
}
