/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_work.c — `workledger work claim|evidence|decision|release|receipt|status|list`: the
 * Motus work loop in its CLI shape. Each subcommand builds the JSON arguments of the matching
 * ledger_work_* function (ledger/work.h), prints its result (indented JSON with --json, one
 * human line otherwise) and maps errors to one stderr line and exit 1 (2 for bad input). */
#include "cli/cli.h"
#include "cli/node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *or_dash(const char *s)
{
  return s ? s : "-";
}

typedef struct opt {
  const char *name; /* "--intent" */
  int is_int;
  const char *key; /* JSON member */
} opt;

/* Parse positional args (npos of them, named by pos_keys) and options into a JSON object.
 * Returns NULL after printing a usage line. `flags` may hold boolean flags ("--open"). */
static json_t *parse(int argc, char **argv, const char *const *pos_keys, int npos, const opt *opts,
                     const char *usage, int *json_out)
{
  json_t *a = json_object();
  int pos = 0;
  for (int i = 2; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "--json") == 0) {
      *json_out = 1;
      continue;
    }
    if (strncmp(s, "--", 2) == 0 && s[2]) {
      const opt *o = NULL;
      const char *val = NULL;
      size_t nl = strcspn(s, "=");
      for (int k = 0; opts && opts[k].name; k++)
        if (strlen(opts[k].name) == nl && strncmp(opts[k].name, s, nl) == 0)
          o = &opts[k];
      if (!o) {
        cli_errorf("work %s: unknown option '%s' (usage: %s)", argv[1], s, usage);
        json_decref(a);
        return NULL;
      }
      if (o->is_int == 2) { /* boolean flag */
        json_object_set_new(a, o->key, json_true());
        continue;
      }
      if (s[nl] == '=')
        val = s + nl + 1;
      else if (i + 1 < argc)
        val = argv[++i];
      if (!val) {
        cli_errorf("work %s: %s needs a value", argv[1], o->name);
        json_decref(a);
        return NULL;
      }
      if (o->is_int) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(val, &end, 10);
        if (errno || !end || *end || !*val) {
          cli_errorf("work %s: %s must be an integer, got '%s'", argv[1], o->name, val);
          json_decref(a);
          return NULL;
        }
        json_object_set_new(a, o->key, json_integer(v));
      } else {
        json_object_set_new(a, o->key, json_string(val));
      }
      continue;
    }
    if (pos >= npos) {
      cli_errorf("work %s: unexpected argument '%s' (usage: %s)", argv[1], s, usage);
      json_decref(a);
      return NULL;
    }
    json_object_set_new(a, pos_keys[pos++], json_string(s));
  }
  if (pos < npos) {
    cli_errorf("work %s: missing %s (usage: %s)", argv[1], pos_keys[pos], usage);
    json_decref(a);
    return NULL;
  }
  return a;
}

static int load_ctx(ledger_work_ctx *ctx, cli_node *node, int need_key)
{
  char motus_dir[4096], err[512];
  memset(ctx, 0, sizeof *ctx);
  memset(node, 0, sizeof *node);
  ctx->runtime_kind = "cli";
  if (!need_key)
    return 0;
  cli_motus_dir(motus_dir, sizeof motus_dir, cli_store_path(cli_opt_store));
  if (cli_node_init(node, motus_dir, NULL, err, sizeof err)) {
    cli_errorf("%s", err);
    return -1;
  }
  ctx->key = node->key;
  ctx->signer = node->motebit_id;
  return 0;
}

int cmd_work(int argc, char **argv)
{
  static const char *usage_all =
      "work claim|evidence|decision|release|receipt|status|list ... (see `workledger work help`)";
  if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
    FILE *f = argc < 2 ? stderr : stdout;
    fprintf(f, "usage:\n"
               "  workledger work claim WORK_ID [--intent T] [--actor ID] [--ttl S]\n"
               "  workledger work evidence LEASE KIND [--passed N] [--failed N] [--skipped N]"
               " [--uri U] [--file PATH] [--summary S]\n"
               "  workledger work decision LEASE TEXT [--rationale R]\n"
               "  workledger work release LEASE success|failure|partial|aborted [--summary S]\n"
               "  workledger work receipt LEASE|RUN [--export DIR]\n"
               "  workledger work status LEASE|RUN\n"
               "  workledger work list [--open]\n"
               "every command accepts --json\n");
    return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
  }
  const char *sub = argv[1];
  int json = cli_opt_json, rc = CLI_EXIT_OK, lrc;
  json_t *a = NULL, *out = NULL;
  ledger *l = NULL;
  ledger_err e = {0};
  ledger_work_ctx ctx;
  cli_node node;
  memset(&node, 0, sizeof node);

  if (strcmp(sub, "claim") == 0) {
    static const char *const pk[] = {"work_id"};
    static const opt o[] = {
        {"--intent", 0, "intent"}, {"--actor", 0, "actor"}, {"--ttl", 1, "ttl"}, {NULL, 0, NULL}};
    if (!(a = parse(argc, argv, pk, 1, o, "work claim WORK_ID [--intent T] [--actor ID] [--ttl S]",
                    &json)))
      return CLI_EXIT_USAGE;
    if ((rc = cli_store_open(&l, 1)))
      goto out;
    load_ctx(&ctx, &node, 0);
    if ((lrc = ledger_work_claim(l, &ctx, a, &out, &e))) {
      rc = cli_ledger_fail("work claim", lrc, &e);
      goto out;
    }
    if (json)
      cli_print_json(out);
    else
      printf("%s claimed %s (run %s, expires %s)\n",
             json_string_value(json_object_get(out, "lease_id")),
             json_string_value(json_object_get(out, "work_id")),
             json_string_value(json_object_get(out, "run_id")),
             json_string_value(json_object_get(out, "expires_at")));
  } else if (strcmp(sub, "evidence") == 0) {
    static const char *const pk[] = {"lease_id", "kind"};
    static const opt o[] = {{"--passed", 1, "passed"},   {"--failed", 1, "failed"},
                            {"--skipped", 1, "skipped"}, {"--uri", 0, "uri"},
                            {"--file", 0, "file"},       {"--summary", 0, "summary"},
                            {"--digest", 0, "digest"},   {NULL, 0, NULL}};
    if (!(a = parse(argc, argv, pk, 2, o,
                    "work evidence LEASE KIND [--passed N] [--failed N] [--skipped N] [--uri U] "
                    "[--file PATH] [--summary S]",
                    &json)))
      return CLI_EXIT_USAGE;
    /* an unreadable --file is bad input: say so before touching the Store */
    const char *file = json_string_value(json_object_get(a, "file"));
    if (file) {
      FILE *f = fopen(file, "rb");
      if (!f) {
        cli_errorf("work evidence: cannot read %s: %s", file, strerror(errno));
        rc = CLI_EXIT_USAGE;
        goto out;
      }
      fclose(f);
    }
    if ((rc = cli_store_open(&l, 0)))
      goto out;
    load_ctx(&ctx, &node, 0);
    if ((lrc = ledger_work_evidence(l, &ctx, a, &out, &e))) {
      rc = cli_ledger_fail("work evidence", lrc, &e);
      goto out;
    }
    if (json)
      cli_print_json(out);
    else
      printf("%s recorded on %s (seq %lld)\n",
             json_string_value(json_object_get(out, "evidence_id")),
             json_string_value(json_object_get(out, "lease_id")),
             (long long)json_integer_value(json_object_get(out, "seq")));
  } else if (strcmp(sub, "decision") == 0) {
    static const char *const pk[] = {"lease_id", "text"};
    static const opt o[] = {{"--rationale", 0, "rationale"},
                            {"-r", 0, "rationale"},
                            {NULL, 0, NULL}};
    if (!(a = parse(argc, argv, pk, 2, o, "work decision LEASE TEXT [--rationale R]", &json)))
      return CLI_EXIT_USAGE;
    if ((rc = cli_store_open(&l, 0)))
      goto out;
    load_ctx(&ctx, &node, 0);
    if ((lrc = ledger_work_decision(l, &ctx, a, &out, &e))) {
      rc = cli_ledger_fail("work decision", lrc, &e);
      goto out;
    }
    if (json)
      cli_print_json(out);
    else
      printf("%s recorded on %s (seq %lld)\n",
             json_string_value(json_object_get(out, "decision_id")),
             json_string_value(json_object_get(out, "lease_id")),
             (long long)json_integer_value(json_object_get(out, "seq")));
  } else if (strcmp(sub, "release") == 0) {
    static const char *const pk[] = {"lease_id", "outcome"};
    static const opt o[] = {{"--summary", 0, "summary"}, {NULL, 0, NULL}};
    if (!(a = parse(argc, argv, pk, 2, o,
                    "work release LEASE success|failure|partial|aborted [--summary S]", &json)))
      return CLI_EXIT_USAGE;
    const char *oc = json_string_value(json_object_get(a, "outcome"));
    if (strcmp(oc, "success") && strcmp(oc, "failure") && strcmp(oc, "partial") &&
        strcmp(oc, "aborted")) {
      cli_errorf("work release: outcome must be success, failure, partial or aborted (got '%s')",
                 oc);
      rc = CLI_EXIT_USAGE;
      goto out;
    }
    if ((rc = cli_store_open(&l, 0)))
      goto out;
    if (load_ctx(&ctx, &node, 1)) {
      rc = CLI_EXIT_FAIL;
      goto out;
    }
    if ((lrc = ledger_work_release(l, &ctx, a, &out, &e))) {
      rc = cli_ledger_fail("work release", lrc, &e);
      goto out;
    }
    if (json)
      cli_print_json(out);
    else
      printf("%s released (%s%s); receipt %s\n",
             json_string_value(json_object_get(out, "lease_id")),
             json_string_value(json_object_get(out, "outcome")),
             json_is_true(json_object_get(out, "replayed")) ? ", already released" : "",
             json_string_value(json_object_get(out, "receipt_id")));
  } else if (strcmp(sub, "receipt") == 0) {
    static const char *const pk[] = {"id"};
    static const opt o[] = {{"--export", 0, "export"}, {NULL, 0, NULL}};
    if (!(a = parse(argc, argv, pk, 1, o, "work receipt LEASE|RUN [--export DIR]", &json)))
      return CLI_EXIT_USAGE;
    const char *dir = json_string_value(json_object_get(a, "export"));
    if (dir) {
      struct stat st;
      if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        cli_errorf("work receipt: cannot create %s: %s", dir, strerror(errno));
        rc = CLI_EXIT_USAGE;
        goto out;
      }
      if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cli_errorf("work receipt: %s is not a directory", dir);
        rc = CLI_EXIT_USAGE;
        goto out;
      }
    }
    if ((rc = cli_store_open(&l, 0)))
      goto out;
    load_ctx(&ctx, &node, 0);
    if (dir) {
      if ((lrc = ledger_work_export(l, &ctx, a, &out, &e))) {
        rc = cli_ledger_fail("work receipt", lrc, &e);
        goto out;
      }
      if (cli_write_json_file(dir, "receipt.json", json_object_get(out, "receipt")) ||
          cli_write_json_file(dir, "store-export.json", json_object_get(out, "store_export")) ||
          cli_write_json_file(dir, "projection-manifest.json",
                              json_object_get(out, "projection_manifest"))) {
        cli_errorf("work receipt: cannot write into %s: %s", dir, strerror(errno));
        rc = CLI_EXIT_FAIL;
        goto out;
      }
      if (json) {
        json_t *r = json_pack("{s:O,s:s,s:[sss]}", "receipt_id",
                              json_object_get(json_object_get(out, "receipt"), "receipt_id"),
                              "export_dir", dir, "files", "receipt.json", "store-export.json",
                              "projection-manifest.json");
        cli_print_json(r);
        json_decref(r);
      } else {
        printf("%s\nwrote %s/receipt.json, %s/store-export.json, %s/projection-manifest.json\n",
               json_string_value(json_object_get(json_object_get(out, "receipt"), "receipt_id")),
               dir, dir, dir);
      }
    } else {
      if ((lrc = ledger_work_receipt(l, &ctx, a, &out, &e))) {
        rc = cli_ledger_fail("work receipt", lrc, &e);
        goto out;
      }
      cli_print_json(out);
    }
  } else if (strcmp(sub, "status") == 0) {
    static const char *const pk[] = {"id"};
    if (!(a = parse(argc, argv, pk, 1, NULL, "work status LEASE|RUN", &json)))
      return CLI_EXIT_USAGE;
    if ((rc = cli_store_open(&l, 0)))
      goto out;
    load_ctx(&ctx, &node, 0);
    if ((lrc = ledger_work_status(l, &ctx, a, &out, &e))) {
      rc = cli_ledger_fail("work status", lrc, &e);
      goto out;
    }
    if (json) {
      cli_print_json(out);
    } else {
      json_t *lease = json_object_get(out, "lease");
      printf("run %s (%s) work %s: %s", json_string_value(json_object_get(out, "run_id")),
             json_string_value(json_object_get(out, "status")),
             or_dash(json_string_value(json_object_get(out, "work_id"))),
             lease ? json_string_value(json_object_get(lease, "status")) : "no lease");
      json_t *oc = json_object_get(out, "outcome");
      if (oc)
        printf(", outcome %s", json_string_value(json_object_get(oc, "status")));
      printf("; %lld events, %zu evidence, %zu decisions",
             (long long)json_integer_value(json_object_get(out, "events")),
             json_array_size(json_object_get(out, "evidence")),
             json_array_size(json_object_get(out, "decisions")));
      if (json_object_get(out, "receipt_id"))
        printf("; receipt %s", json_string_value(json_object_get(out, "receipt_id")));
      printf("\n");
    }
  } else if (strcmp(sub, "list") == 0) {
    static const opt o[] = {{"--open", 2, "open"}, {"--all", 2, "all"}, {NULL, 0, NULL}};
    if (!(a = parse(argc, argv, NULL, 0, o, "work list [--open]", &json)))
      return CLI_EXIT_USAGE;
    if ((rc = cli_store_open(&l, 0)))
      goto out;
    load_ctx(&ctx, &node, 0);
    if ((lrc = ledger_work_list(l, &ctx, a, &out, &e))) {
      rc = cli_ledger_fail("work list", lrc, &e);
      goto out;
    }
    if (json) {
      cli_print_json(out);
    } else {
      size_t i;
      json_t *it;
      json_array_foreach(json_object_get(out, "items"), i, it) {
        printf("%-24s %-8s %-28s %s\n", json_string_value(json_object_get(it, "lease_id")),
               or_dash(json_string_value(json_object_get(it, "status"))),
               or_dash(json_string_value(json_object_get(it, "work_id"))),
               or_dash(json_string_value(json_object_get(it, "expires_at"))));
      }
      if (!json_array_size(json_object_get(out, "items")))
        printf("no leases\n");
    }
  } else {
    cli_errorf("work: unknown subcommand '%s' (usage: %s)", sub, usage_all);
    return CLI_EXIT_USAGE;
  }
out:
  json_decref(a);
  json_decref(out);
  cli_node_free(&node);
  ledger_close(l);
  return rc;
}
