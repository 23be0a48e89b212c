/* SPDX-License-Identifier: Apache-2.0
 * cli/cmd_work.c — `workledger work claim|evidence|decision|release|renew|receipt|status|list`: the
 * Motus work loop in its CLI shape. Each subcommand builds the JSON arguments of the matching
 * ledger_work_* function (ledger/work.h), checks them against the inputSchema of the MCP tool it
 * mirrors (schemas/tools/motus_work_*.json: same check, same message as tools/call), prints its
 * result (indented JSON with --json, one human line otherwise) and maps errors to one stderr
 * line and exit 1 (2 for bad input, which never touches the Store). */
#include "cli/cli.h"
#include "cli/node.h"
#include "crypto/artifacts.h"
#include "ledger/ledger.h"
#include "ledger/work.h"
#include "schemas/schemas.h"

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
                     const char *usage, int *json_out, const char **key_out)
{
  json_t *a = json_object();
  int pos = 0;
  for (int i = 2; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "--json") == 0) {
      *json_out = 1;
      continue;
    }
    if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
      printf("usage: workledger %s\n", usage);
      json_decref(a);
      *json_out = -1; /* answered: exit 0 */
      return NULL;
    }
    if (key_out && strcmp(s, "--idempotency-key") == 0) { /* not a tool argument */
      if (i + 1 >= argc || !argv[i + 1][0] || strlen(argv[i + 1]) > 200) {
        cli_errorf("work %s: --idempotency-key needs a key of 1..200 bytes", argv[1]);
        json_decref(a);
        return NULL;
      }
      *key_out = argv[++i];
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

/* Members the CLI adds to the arguments that are not tool arguments (never sent to a tool). */
static const char *const cli_only[] = {"export", "all", NULL};

/* `a` (borrowed) must match the inputSchema of schemas/tools/<tool>.json, as over MCP. Returns
 * 0, or CLI_EXIT_USAGE after printing the tools/call refusal as one stderr line. */
static int check_args(const char *tool, const json_t *a)
{
  char msg[600];
  json_t *t = json_copy((json_t *)a);
  int rc;
  for (int i = 0; t && cli_only[i]; i++)
    json_object_del(t, cli_only[i]);
  rc = t ? schema_tool_args_check(tool, t, msg, sizeof msg) : SCHEMA_ARGS_NOTOOL;
  json_decref(t);
  if (rc == SCHEMA_ARGS_OK)
    return 0;
  cli_errorf("%s", t ? msg : "out of memory");
  return rc == SCHEMA_ARGS_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

typedef int (*work_fn)(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                       ledger_err *err);

/* Replay (spec/store.md "Replay"): the CLI is the local operator, in a namespace of its own. */
#define CLI_REPLAY_CALLER "cli:local-operator"

typedef struct replay_put {
  const char *key, *hash, *id;
  char *text;
} replay_put;

static int replay_put_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  replay_put *r = payload;
  return ledger_txn_replay_put(t, CLI_REPLAY_CALLER, r->key, r->hash, r->id, r->text, err);
}

/* The answer of an earlier command with this key: 0 (*out new) when there is one for the same
 * arguments, 1 when the key is new, else the exit code after a message. */
static int replay_get(ledger *l, const char *what, const char *key, const char *hash, json_t **out)
{
  char got[LEDGER_HASH_MAX], id[LEDGER_ID_MAX], *text = NULL;
  ledger_err e = {0};
  int lrc = ledger_replay_get(l, CLI_REPLAY_CALLER, key, got, id, &text, &e);
  if (lrc == LEDGER_ENOTFOUND)
    return 1;
  if (lrc)
    return cli_ledger_fail(what, lrc, &e);
  if (strcmp(got, hash) != 0) {
    free(text);
    cli_errorf("%s: idempotency key already used with other arguments; use a new key", what);
    return CLI_EXIT_USAGE;
  }
  *out = json_loads(text, 0, NULL);
  free(text);
  return *out ? 0 : CLI_EXIT_FAIL;
}

/* fn with an idempotency key: its writes and the kept answer commit in one transaction, or the
 * earlier answer is returned and nothing is written. */
static int call_keyed(ledger *l, const char *what, work_fn fn, const ledger_work_ctx *ctx,
                      const json_t *a, const char *key, json_t **out)
{
  char hash[SEAL_SHA256_HEX], id[SEAL_SOVEREIGN_ID];
  ledger_scope *scope = NULL;
  ledger_err e = {0};
  replay_put r;
  int rc, lrc;
  if (seal_canon_sha256_hex(hash, a, SEAL_CANON_JCS_REALS, NULL) != SEAL_OK)
    return CLI_EXIT_FAIL;
  if ((rc = replay_get(l, what, key, hash, out)) != 1)
    return rc;
  if ((lrc = ledger_scope_begin(l, &scope, &e)))
    return cli_ledger_fail(what, lrc, &e);
  if ((lrc = fn(l, ctx, a, out, &e))) {
    /* its failed steps undid themselves; what it recorded on purpose (an expiry) is kept */
    ledger_err e2 = {0};
    (void)ledger_scope_commit(scope, NULL, NULL, &e2);
    return cli_ledger_fail(what, lrc, &e);
  }
  seal_uuid7(id);
  r.key = key;
  r.hash = hash;
  r.id = id;
  r.text = seal_json_dumps(*out, JSON_COMPACT);
  lrc = r.text ? ledger_scope_commit(scope, replay_put_fn, &r, &e) : LEDGER_ERROR;
  if (!r.text)
    ledger_scope_abort(scope);
  free(r.text);
  if (lrc == LEDGER_ECONFLICT) { /* the same key committed meanwhile: its answer */
    json_decref(*out);
    *out = NULL;
    return replay_get(l, what, key, hash, out) == 0 ? 0 : CLI_EXIT_FAIL;
  }
  if (lrc) {
    json_decref(*out);
    *out = NULL;
    return cli_ledger_fail(what, lrc, &e);
  }
  return 0;
}

/* Before an export is written: its bytes (the three files, serialised as they will be) must fit
 * beyond the Store's free-space margin on the Store's disk and on the export directory's
 * (spec/store.md "Full disks"), like the Store's own writes. Returns the exit code. */
static int export_space(const char *what, ledger *l, const char *dir, const json_t *out)
{
  static const char *const keys[] = {"receipt", "store_export", "projection_manifest"};
  ledger_err e = {0};
  int64_t need = 0;
  for (size_t i = 0; i < 3; i++) {
    char *s = seal_json_dumps(json_object_get(out, keys[i]),
                              JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    need += s ? (int64_t)strlen(s) + 1 : 0;
    free(s);
  }
  if (ledger_space_check(l, need, &e) != LEDGER_OK ||
      ledger_space_check_dir(l, dir, need, &e) != LEDGER_OK) {
    cli_errorf("%s: %s", what, e.msg);
    return CLI_EXIT_FAIL;
  }
  return CLI_EXIT_OK;
}

/* Opens the Store (creating it with `create`), calls fn with `a` (borrowed) and returns the exit
 * code; *out receives fn's result (new) on success. `need_key` loads the node's signing key.
 * With an idempotency key (may be NULL) a repeated command answers as the first did. */
static int call_ledger(const char *what, work_fn fn, const json_t *a, int create, int need_key,
                       const char *key, json_t **out)
{
  ledger *l = NULL;
  ledger_err e = {0};
  ledger_work_ctx ctx;
  cli_node node;
  int rc, lrc;

  *out = NULL;
  memset(&node, 0, sizeof node);
  if ((rc = cli_store_open(&l, create)))
    return rc;
  if (load_ctx(&ctx, &node, need_key)) {
    rc = CLI_EXIT_FAIL;
    goto out;
  }
  if (key)
    rc = call_keyed(l, what, fn, &ctx, a, key, out);
  else if ((lrc = fn(l, &ctx, a, out, &e)))
    rc = cli_ledger_fail(what, lrc, &e);
  if (!rc && json_string_value(json_object_get(a, "export")))
    rc = export_space(what, l, json_string_value(json_object_get(a, "export")), *out);
out:
  cli_node_free(&node);
  ledger_close(l);
  return rc;
}

static const char *str(const json_t *o, const char *k)
{
  return json_string_value(json_object_get(o, k));
}

static void print_claim(const json_t *out)
{
  printf("%s claimed %s (run %s, expires %s)\n", str(out, "lease_id"), str(out, "work_id"),
         str(out, "run_id"), str(out, "expires_at"));
}

static void print_recorded(const json_t *out, const char *id_key)
{
  printf("%s recorded on %s (seq %lld)\n", str(out, id_key), str(out, "lease_id"),
         (long long)json_integer_value(json_object_get(out, "seq")));
}

static void print_evidence(const json_t *out)
{
  print_recorded(out, "evidence_id");
}

static void print_decision(const json_t *out)
{
  print_recorded(out, "decision_id");
}

static void print_release(const json_t *out)
{
  json_t *rcv = json_object_get(json_object_get(out, "handoff"), "receiver");
  printf("%s released (%s%s); receipt %s\n", str(out, "lease_id"), str(out, "outcome"),
         json_is_true(json_object_get(out, "replayed")) ? ", already released" : "",
         str(out, "receipt_id"));
  if (rcv)
    printf("handed off to %s:%s (acceptance pending)\n", str(rcv, "type"), str(rcv, "id"));
}

static void print_renew(const json_t *out)
{
  printf("%s renewed until %s (was %s; fencing token %lld)\n", str(out, "lease_id"),
         str(out, "expires_at"), str(out, "previous_expires_at"),
         (long long)json_integer_value(json_object_get(out, "fencing_token")));
}

static void print_status(const json_t *out)
{
  json_t *lease = json_object_get(out, "lease");
  json_t *oc = json_object_get(out, "outcome");
  printf("run %s (%s) work %s: %s", str(out, "run_id"), str(out, "status"),
         or_dash(str(out, "work_id")), lease ? str(lease, "status") : "no lease");
  if (oc)
    printf(", outcome %s", str(oc, "status"));
  printf("; %lld events, %zu evidence, %zu decisions",
         (long long)json_integer_value(json_object_get(out, "events")),
         json_array_size(json_object_get(out, "evidence")),
         json_array_size(json_object_get(out, "decisions")));
  if (json_object_get(out, "receipt_id"))
    printf("; receipt %s", str(out, "receipt_id"));
  printf("\n");
}

static void print_list(const json_t *out)
{
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(out, "items"), i, it) {
    printf("%-24s %-8s %-28s %s\n", str(it, "lease_id"), or_dash(str(it, "status")),
           or_dash(str(it, "work_id")), or_dash(str(it, "expires_at")));
  }
  if (!json_array_size(json_object_get(out, "items")))
    printf("no leases\n");
}

static void print_json(const json_t *out)
{
  cli_print_json(out);
}

/* An unreadable --file is bad input: say so before touching the Store. */
static int pre_evidence(const json_t *a)
{
  const char *file = str(a, "file");
  ledger_err lerr;
  if (!file)
    return 0;
  memset(&lerr, 0, sizeof lerr);
  if (ledger_evidence_file_check(file, &lerr) != LEDGER_OK) {
    cli_errorf("work evidence: %s", lerr.msg);
    return CLI_EXIT_USAGE;
  }
  return 0;
}

/* --export DIR must be (or become) a directory before the Store is read. */
static int pre_receipt(const json_t *a)
{
  const char *dir = str(a, "export");
  struct stat st;
  if (!dir)
    return 0;
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    cli_errorf("work receipt: cannot create %s: %s", dir, strerror(errno));
    return CLI_EXIT_USAGE;
  }
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    cli_errorf("work receipt: %s is not a directory", dir);
    return CLI_EXIT_USAGE;
  }
  return 0;
}

/* Writes the three export files into DIR and reports them. Returns the exit code. */
static int write_export(const char *dir, const json_t *out, int json)
{
  static const char *const files[][2] = {{"receipt.json", "receipt"},
                                         {"store-export.json", "store_export"},
                                         {"projection-manifest.json", "projection_manifest"}};
  const char *rid = str(json_object_get(out, "receipt"), "receipt_id");
  for (size_t i = 0; i < 3; i++)
    if (cli_write_json_file(dir, files[i][0], json_object_get(out, files[i][1]))) {
      if (errno == ELOOP)
        cli_errorf("work receipt: %s/%s is a symbolic link or not a regular file; refusing to "
                   "write through it (remove it, or export into another directory)",
                   dir, files[i][0]);
      else
        cli_errorf("work receipt: cannot write %s/%s: %s", dir, files[i][0], strerror(errno));
      return CLI_EXIT_FAIL;
    }
  if (json) {
    json_t *r = json_pack("{s:s?,s:s,s:[sss]}", "receipt_id", rid, "export_dir", dir, "files",
                          "receipt.json", "store-export.json", "projection-manifest.json");
    cli_print_json(r);
    json_decref(r);
  } else {
    printf("%s\nwrote %s/receipt.json, %s/store-export.json, %s/projection-manifest.json\n", rid,
           dir, dir, dir);
  }
  return CLI_EXIT_OK;
}

/* One `work` subcommand: how to parse it, the tool it mirrors, the ledger call and the output. */
typedef struct work_sub {
  const char *name; /* "claim" */
  const char *tool; /* its arguments must match schemas/tools/<tool>.json */
  work_fn fn;       /* the ledger call */
  const char *const *pos;
  int npos;
  const opt *opts;
  const char *usage;
  int create, need_key;             /* cli_store_open(create); load the signing key */
  int (*pre)(const json_t *a);      /* CLI checks before the Store is opened, or NULL */
  void (*print)(const json_t *out); /* the human output (--json prints the result) */
  int writes;                       /* takes --idempotency-key */
} work_sub;

static const char *const pk_claim[] = {"work_id"};
static const char *const pk_lease_kind[] = {"lease_id", "kind"};
static const char *const pk_lease_text[] = {"lease_id", "text"};
static const char *const pk_lease_outcome[] = {"lease_id", "outcome"};
static const char *const pk_id[] = {"id"};
static const opt o_claim[] = {
    {"--intent", 0, "intent"}, {"--actor", 0, "actor"}, {"--ttl", 1, "ttl"}, {NULL, 0, NULL}};
static const opt o_evidence[] = {{"--passed", 1, "passed"},
                                 {"--failed", 1, "failed"},
                                 {"--skipped", 1, "skipped"},
                                 {"--uri", 0, "uri"},
                                 {"--file", 0, "file"},
                                 {"--summary", 0, "summary"},
                                 {"--digest", 0, "digest"},
                                 {"--fencing-token", 1, "fencing_token"},
                                 {NULL, 0, NULL}};
static const opt o_decision[] = {{"--rationale", 0, "rationale"},
                                 {"-r", 0, "rationale"},
                                 {"--accepted-by", 0, "accepted_by"},
                                 {"--fencing-token", 1, "fencing_token"},
                                 {NULL, 0, NULL}};
static const opt o_release[] = {{"--summary", 0, "summary"},
                                {"--next-actor", 0, "next_actor"},
                                {"--receiver", 0, "receiver"},
                                {"--expected-action", 0, "expected_action"},
                                {"--reason", 0, "reason"},
                                {"--fencing-token", 1, "fencing_token"},
                                {NULL, 0, NULL}};
static const opt o_renew[] = {{"--ttl", 1, "ttl"},
                              {"--fencing-token", 1, "fencing_token"},
                              {NULL, 0, NULL}};
static const char *const pk_lease[] = {"lease_id"};
static const opt o_receipt[] = {{"--export", 0, "export"}, {NULL, 0, NULL}};
static const opt o_list[] = {{"--open", 2, "open"}, {"--all", 2, "all"}, {NULL, 0, NULL}};

static const work_sub subs[] = {
    {"claim", "motus_work_claim", ledger_work_claim, pk_claim, 1, o_claim,
     "work claim WORK_ID [--intent T] [--actor [TYPE:]ID] [--ttl S]", 1, 0, NULL, print_claim, 1},
    {"evidence", "motus_work_evidence", ledger_work_evidence, pk_lease_kind, 2, o_evidence,
     "work evidence LEASE KIND [--passed N] [--failed N] [--skipped N] [--uri U] "
     "[--file PATH] [--summary S]",
     0, 0, pre_evidence, print_evidence, 1},
    {"decision", "motus_work_decision", ledger_work_decision, pk_lease_text, 2, o_decision,
     "work decision LEASE TEXT [--rationale R] [--accepted-by [TYPE:]ID] [--fencing-token N]", 0, 0,
     NULL, print_decision, 1},
    {"release", "motus_work_release", ledger_work_release, pk_lease_outcome, 2, o_release,
     "work release LEASE success|failure|partial|aborted [--summary S] [--next-actor [TYPE:]ID]"
     " [--receiver [TYPE:]ID] [--expected-action T] [--reason T] [--fencing-token N]",
     0, 1, NULL, print_release, 1},
    {"renew", "motus_work_renew", ledger_work_renew, pk_lease, 1, o_renew,
     "work renew LEASE [--ttl S] [--fencing-token N]", 0, 0, NULL, print_renew, 1},
    {"receipt", "motus_work_receipt", ledger_work_receipt, pk_id, 1, o_receipt,
     "work receipt LEASE|RUN [--export DIR]", 0, 0, pre_receipt, print_json, 0},
    {"status", "motus_work_status", ledger_work_status, pk_id, 1, NULL, "work status LEASE|RUN", 0,
     0, NULL, print_status, 0},
    {"list", "motus_work_list", ledger_work_list, NULL, 0, o_list, "work list [--open]", 0, 0, NULL,
     print_list, 0},
};

/* MOTUS_WORK_STORE_BRIDGE (spec/store.md "The Store bridge"): unset, "" or "auto" = 0 (the work
 * loop records Store runs and events; `work receipt` is the Store receipt projection);
 * "disabled" = 1 (compatibility recovery: nothing is recorded, reads show the durable close
 * record); anything else = -1 after a message. */
static int bridge_mode(const char *sub)
{
  const char *v = getenv("MOTUS_WORK_STORE_BRIDGE");
  if (!v || !*v || strcmp(v, "auto") == 0)
    return 0;
  if (strcmp(v, "disabled") == 0)
    return 1;
  cli_errorf("work %s: MOTUS_WORK_STORE_BRIDGE must be auto or disabled, got '%.40s'", sub, v);
  return -1;
}

/* Runs one subcommand: parse, check against the tool's schema, CLI checks, the ledger, output. */
static int run_sub(const work_sub *w, int argc, char **argv)
{
  int json = cli_opt_json, rc;
  json_t *a = NULL, *out = NULL;
  const char *dir;
  const char *tool = w->tool, *key = NULL;
  work_fn fn = w->fn;
  char what[32];

  if (!(a = parse(argc, argv, w->pos, w->npos, w->opts, w->usage, &json, w->writes ? &key : NULL)))
    return json < 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE; /* --help answered, or bad usage */
  if ((rc = bridge_mode(w->name)) < 0) {
    rc = CLI_EXIT_USAGE;
    goto out;
  }
  if (rc == 1 && w->writes) {
    cli_errorf("work %s: the Store bridge is disabled (MOTUS_WORK_STORE_BRIDGE=disabled, for "
               "compatibility recovery): nothing was recorded; unset it or set it to auto to "
               "record work",
               w->name);
    rc = CLI_EXIT_FAIL;
    goto out;
  }
  if (rc == 1 && !strcmp(w->name, "receipt")) { /* the durable close record, not the projection */
    if (str(a, "export")) {
      cli_errorf("work receipt: --export needs the Store bridge (MOTUS_WORK_STORE_BRIDGE=auto)");
      rc = CLI_EXIT_FAIL;
      goto out;
    }
    tool = "motus_work_status";
    fn = ledger_work_status;
  }
  dir = str(a, "export");
  if (dir) { /* `work receipt --export DIR` is motus_run_export */
    tool = "motus_run_export";
    fn = ledger_work_export;
  }
  if ((rc = check_args(tool, a)) || (w->pre && (rc = w->pre(a))))
    goto out;
  snprintf(what, sizeof what, "work %s", w->name);
  if ((rc = call_ledger(what, fn, a, w->create, w->need_key, key, &out))) {
    if (json && out) /* a busy claim: who holds the work, and until when */
      cli_print_json(out);
    goto out;
  }
  if (dir)
    rc = write_export(dir, out, json);
  else if (json)
    cli_print_json(out);
  else
    w->print(out);
out:
  json_decref(a);
  json_decref(out);
  return rc;
}

int cmd_work(int argc, char **argv)
{
  static const char *usage_all =
      "work claim|evidence|decision|release|renew|receipt|status|list ... (see `workledger work "
      "help`)";
  if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    FILE *f = argc < 2 ? stderr : stdout;
    fprintf(f,
            "usage:\n"
            "  workledger work claim WORK_ID [--intent T] [--actor [TYPE:]ID] [--ttl S]\n"
            "  workledger work evidence LEASE KIND [--passed N] [--failed N] [--skipped N]"
            " [--uri U] [--file PATH] [--summary S]\n"
            "  workledger work decision LEASE TEXT [--rationale R] [--accepted-by [TYPE:]ID]\n"
            "  workledger work release LEASE success|failure|partial|aborted [--summary S]\n"
            "      [--next-actor [TYPE:]ID] [--receiver [TYPE:]ID] [--expected-action T]"
            " [--reason T]\n"
            "  workledger work renew LEASE [--ttl S]\n"
            "  workledger work receipt LEASE|RUN [--export DIR]\n"
            "  workledger work status LEASE|RUN\n"
            "  workledger work list [--open]\n"
            "TYPE is human (default), agent, service, ci or tool; a lease past its expiry takes\n"
            "no evidence, renewal or release (the release attempt records it as expired);\n"
            "evidence, decision, release and renew accept --fencing-token N (must be current)\n"
            "every command accepts --json; claim, evidence, decision, release and renew accept\n"
            "--idempotency-key K (a repeat with the same key and arguments answers as the first\n"
            "did and writes nothing); arguments are checked against the inputSchema of\n"
            "the matching MCP tool (schemas/tools/motus_work_*.json)\n");
    return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
    if (strcmp(argv[1], subs[i].name) == 0)
      return run_sub(&subs[i], argc, argv);
  cli_errorf("work: unknown subcommand '%s' (usage: %s)", argv[1], usage_all);
  return CLI_EXIT_USAGE;
}
