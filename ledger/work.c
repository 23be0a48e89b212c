/* SPDX-License-Identifier: Apache-2.0
 * ledger/work.c — the write side of the Motus work loop over the Store: claim (a run + a fenced
 * lock on the work id, recorded as work.started), evidence and decision (evidence.referenced),
 * release (work.closed, lock released, signed Work Receipt stored). The read-side views are in
 * work_views.c. Arguments and results are JSON objects shaped like the CLI's --json output
 * (ledger/work.h). It writes only the four Motus reference kinds. */
#include "crypto/artifacts.h"
#include "ledger/work_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef WL_VERSION
#define WL_VERSION "0.0.0"
#endif

/* Length in Unicode code points, as JSON Schema's maxLength counts (the limits are shared with
 * schemas/tools/motus_*.json through the SEAL_MOTUS_* constants of crypto/artifacts.h). */
static size_t cp_len(const char *s)
{
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    n += (*p & 0xc0) != 0x80;
  return n;
}

/* ---- argument helpers ----------------------------------------------------------------------- */

const char *ledger__arg_str(const json_t *args, const char *k)
{
  const char *s = json_string_value(json_object_get(args, k));
  return s && *s ? s : NULL;
}

static int arg_count(const json_t *args, const char *k, json_int_t *out, ledger_err *err)
{
  json_t *v = json_object_get(args, k);
  *out = -1;
  if (!v || json_is_null(v))
    return LEDGER_OK;
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return ledger__errf(err, LEDGER_EINVAL, 0, "%s must be a non-negative integer", k);
  *out = json_integer_value(v);
  return LEDGER_OK;
}

static int plain_text(const char *s, size_t max)
{
  if (!s || !*s || cp_len(s) > max)
    return 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return 0;
  return 1;
}

static int word_ok(const char *s)
{
  if (!s || !*s || strlen(s) > SEAL_MOTUS_KIND_MAX)
    return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '_' || *p == '-' || *p == '.'))
      return 0;
  return 1;
}

static const char *ctx_kind(const ledger_work_ctx *ctx)
{
  return ctx && ctx->runtime_kind ? ctx->runtime_kind : "cli";
}

static json_t *ctx_runtime(const ledger_work_ctx *ctx)
{
  return json_pack("{s:s,s:s,s:s}", "name", "workledger", "kind", ctx_kind(ctx), "version",
                   ctx && ctx->runtime_version ? ctx->runtime_version : WL_VERSION);
}

static json_t *ctx_actor(const ledger_work_ctx *ctx, const char *actor_id)
{
  const char *type = ctx && ctx->actor_type              ? ctx->actor_type
                     : strcmp(ctx_kind(ctx), "mcp") == 0 ? "agent"
                                                         : "human";
  const char *id = actor_id                    ? actor_id
                   : ctx && ctx->default_actor ? ctx->default_actor
                                               : "local-operator";
  if (actor_id) { /* [TYPE:]ID, as --receiver and --accepted-by */
    ledger_err ignored;
    json_t *a = ledger__actor_parse(actor_id, type, "actor", &ignored);
    if (a)
      return a;
  }
  return json_pack("{s:s,s:s}", "type", type, "id", id);
}

static json_t *ctx_trigger(const ledger_work_ctx *ctx)
{
  const char *k = ctx && ctx->trigger_kind            ? ctx->trigger_kind
                  : strcmp(ctx_kind(ctx), "mcp") == 0 ? "tool_call"
                                                      : "manual";
  return json_pack("{s:s}", "kind", k);
}

static void rand_id(char *out, size_t cap, const char *prefix)
{
  char hex[13];
  ledger__rand_hex(hex, 6);
  snprintf(out, cap, "%s-%s", prefix, hex);
}

/* ---- lease checks inside a transaction ------------------------------------------------------ */

typedef ledger__lease_row lease_row;

static int set_lease_status(lconn *c, const char *run_id, const char *status, ledger_err *err)
{
  static const char SQL[] = "UPDATE runs SET lease_status = ?2 WHERE run_id = ?1";
  db_stmt *st = ledger__stmt(c, SQL, err);
  if (!st)
    return LEDGER_ERROR;
  db_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  db_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
  int rc = db_step(st);
  db_reset(st);
  return rc == SQLITE_DONE ? LEDGER_OK : ledger__sqlerr(err, c, rc, "update lease");
}

/* An active, unexpired lease whose fencing token is still current (and equal to `want_token`
 * when the caller named one, i.e. want_token >= 0). */
int ledger__lease_usable(ledger_txn *t, const lease_row *r, json_int_t want_token, ledger_err *err)
{
  char res[LEDGER_ID_MAX + 8];
  if (strcmp(r->status, "closed") == 0 && strcmp(r->lease_status, "expired") != 0)
    return ledger__errf(err, LEDGER_ECLOSED, 0, "lease %s is released; its run %s is closed",
                        r->lease_id, r->run_id);
  if (ledger__lease_past(r))
    return ledger__errf(err, LEDGER_EEXPIRED, 0, "lease %s expired at %s (past expires_at)",
                        r->lease_id, r->expires_at);
  if (strcmp(r->lease_status, "active") != 0)
    return ledger__errf(err, LEDGER_EEXPIRED, 0, "lease %s is %s", r->lease_id, r->lease_status);
  if (want_token >= 0 && want_token != r->token)
    return ledger__errf(err, LEDGER_ESTALE, 0,
                        "fencing token %lld is not the current token of lease %s (%lld)",
                        (long long)want_token, r->lease_id, (long long)r->token);
  snprintf(res, sizeof res, "work:%s", r->work_id);
  return ledger_txn_lock_check(t, res, r->token, err);
}

/* The optional fencing_token argument: -1 when absent. */
static int arg_token(const json_t *args, json_int_t *out, ledger_err *err)
{
  json_t *v = json_object_get(args, "fencing_token");
  *out = -1;
  if (!v || json_is_null(v))
    return LEDGER_OK;
  if (!json_is_integer(v) || json_integer_value(v) < 1)
    return ledger__errf(err, LEDGER_EINVAL, 0, "fencing_token must be a positive integer");
  *out = json_integer_value(v);
  return LEDGER_OK;
}

/* ---- claim ---------------------------------------------------------------------------------- */

struct claim_job {
  const ledger_work_ctx *ctx;
  const char *work_id, *intent, *actor;
  json_int_t ttl;
  json_t *out;
};

static const char SQL_SET_LEASE[] =
    "UPDATE runs SET lease_id = ?2, lease_status = 'active', lease_actor = ?3,"
    " lease_expires_at = ?4, lease_token = ?5 WHERE run_id = ?1";

/* A busy work id: the message names the lease that holds it and until when; j->out receives
 * {busy:true, work_id, lease_id, run_id, actor_id, expires_at, fencing_token}. */
static void claim_busy(ledger_txn *t, struct claim_job *j, ledger_err *err)
{
  json_t *h = ledger__lease_holder(t->c, j->work_id);
  if (!h) {
    ledger__errf(err, LEDGER_EBUSY, 0, "work %s is busy: an active lease holds it", j->work_id);
    return;
  }
  ledger__errf(err, LEDGER_EBUSY, 0,
               "work %s is busy: lease %s (actor %s) holds it until %s; wait for its release "
               "or expiry",
               j->work_id, json_string_value(json_object_get(h, "lease_id")),
               json_string_value(json_object_get(h, "actor_id"))
                   ? json_string_value(json_object_get(h, "actor_id"))
                   : "-",
               json_string_value(json_object_get(h, "expires_at"))
                   ? json_string_value(json_object_get(h, "expires_at"))
                   : "-");
  json_object_set_new(h, "busy", json_true());
  json_decref(j->out);
  j->out = h;
}

static int claim_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct claim_job *j = p;
  char lease_id[LEDGER_ID_MAX], run_id[LEDGER_ID_MAX], res[LEDGER_ID_MAX + 8];
  char now[LEDGER_TS_MAX], exp[LEDGER_TS_MAX], producer[32];
  int64_t now_ms, token;
  int rc;
  ledger_now(now);
  if (ledger_ts_parse(&now_ms, now))
    return ledger__errf(err, LEDGER_ERROR, 0, "clock error");
  ledger_ts_format(exp, now_ms + (int64_t)j->ttl * 1000);
  {
    char hex[9];
    ledger__rand_hex(hex, 4);
    snprintf(lease_id, sizeof lease_id, "lease-%.4s%.2s%.2s-%s", now, now + 5, now + 8, hex);
  }
  snprintf(res, sizeof res, "work:%s", j->work_id);
  if ((rc = ledger_txn_lock_acquire(t, res, lease_id, exp, &token, err))) {
    if (rc == LEDGER_EBUSY)
      claim_busy(t, j, err);
    return rc;
  }
  /* we hold the lock now: any lease of this work id whose run is still open has expired; it
   * ends expired (its run closes) before the new run opens */
  if ((rc = ledger__leases_expire_due(t, j->work_id, "claim", NULL, err)))
    return rc;
  db_stmt *st;
  snprintf(producer, sizeof producer, "workledger.%s", ctx_kind(j->ctx));
  ledger_run_in rin = {NULL, j->work_id, producer, now};
  if ((rc = ledger_txn_run_open(t, &rin, run_id, NULL, err)))
    return rc;
  json_t *actor = ctx_actor(j->ctx, j->actor);
  if (!(st = ledger__stmt(t->c, SQL_SET_LEASE, err))) {
    json_decref(actor);
    return LEDGER_ERROR;
  }
  db_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  db_bind_text(st, 2, lease_id, -1, SQLITE_TRANSIENT);
  db_bind_text(st, 3, json_string_value(json_object_get(actor, "id")), -1, SQLITE_TRANSIENT);
  db_bind_text(st, 4, exp, -1, SQLITE_TRANSIENT);
  db_bind_int64(st, 5, token);
  rc = db_step(st);
  db_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(actor);
    return ledger__sqlerr(err, t->c, rc, "record lease");
  }
  json_t *payload = json_pack("{s:s,s:o,s:o,s:{s:s,s:s,s:s},s:{s:s,s:I,s:s,s:I},s:o}", "work_id",
                              j->work_id, "actor", actor, "trigger", ctx_trigger(j->ctx),
                              "instruction", "kind", "ticket", "summary",
                              j->intent ? j->intent : "", "canonical_text",
                              j->intent ? j->intent : j->work_id, "lease", "lease_id", lease_id,
                              "ttl_s", j->ttl, "expires_at", exp, "fencing_token",
                              (json_int_t)token, "runtime", ctx_runtime(j->ctx));
  char key[LEDGER_ID_MAX + 8];
  snprintf(key, sizeof key, "claim:%s", lease_id);
  ledger_event_in ev = {run_id, "work.started", key, now, NULL, payload};
  rc = ledger_txn_event_append(t, &ev, NULL, err);
  json_decref(payload);
  if (rc)
    return rc;
  j->out = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "lease_id", lease_id, "run_id", run_id, "work_id",
                     j->work_id, "expires_at", exp, "fencing_token", (json_int_t)token,
                     "claimed_at", now);
  return LEDGER_OK;
}

int ledger_work_claim(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                      ledger_err *err)
{
  struct claim_job j = {ctx,
                        ledger__arg_str(args, "work_id"),
                        ledger__arg_str(args, "intent"),
                        ledger__arg_str(args, "actor"),
                        3600,
                        NULL};
  *out = NULL;
  /* the work id is also copied into LEDGER_ID_MAX buffers: long non-ASCII ids do not fit */
  if (!plain_text(j.work_id, SEAL_MOTUS_ID_MAX) || strlen(j.work_id) >= LEDGER_ID_MAX)
    return ledger__errf(err, LEDGER_EINVAL, 0, "work id must be 1..%d printable characters",
                        SEAL_MOTUS_ID_MAX);
  if (j.intent && cp_len(j.intent) > SEAL_MOTUS_TEXT_MAX)
    return ledger__errf(err, LEDGER_EINVAL, 0, "intent is longer than %d characters",
                        SEAL_MOTUS_TEXT_MAX);
  if (j.actor && !plain_text(j.actor, SEAL_MOTUS_ID_MAX))
    return ledger__errf(err, LEDGER_EINVAL, 0, "actor must be 1..%d printable characters",
                        SEAL_MOTUS_ID_MAX);
  json_t *ttl = json_object_get(args, "ttl");
  if (ttl && !json_is_null(ttl)) {
    if (!json_is_integer(ttl) || json_integer_value(ttl) <= 0 ||
        json_integer_value(ttl) > SEAL_MOTUS_TTL_MAX)
      return ledger__errf(err, LEDGER_EINVAL, 0, "ttl must be an integer number of seconds (1..%d)",
                          SEAL_MOTUS_TTL_MAX);
    j.ttl = json_integer_value(ttl);
  }
  int rc = ledger_tx(l, claim_fn, &j, err);
  if (rc) {
    if (rc == LEDGER_EBUSY && j.out) {
      *out = j.out; /* who holds the work */
      return rc;
    }
    json_decref(j.out);
    return rc;
  }
  *out = j.out;
  return LEDGER_OK;
}

/* ---- evidence and decision ------------------------------------------------------------------ */

struct ev_job {
  const char *lease_id;
  json_t *payload; /* evidence_refs etc. (owned by caller) */
  const char *id;  /* evidence/decision id */
  const char *key_prefix;
  json_int_t want_token; /* -1: not given */
  json_t *out;
  char key[LEDGER_ID_MAX * 2]; /* the event's idempotency key (ev_key) */
};

/* The idempotency key of an evidence or decision event, "<prefix>:<ms>:<id>" (spec/store.md
 * "Idempotency keys"): the time it was made, in milliseconds since the epoch (13 digits), comes
 * first, so that the keys of a run sort in time order and each new one lands at the end of the
 * (run_id, idempotency_key) index instead of on a random page of it (the id itself is random,
 * as Motus makes it). Stores written before keep their "<prefix>:<id>" keys. */
static void ev_key(struct ev_job *j)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(j->key, sizeof j->key, "%s:%013lld:%s", j->key_prefix,
           (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, j->id);
}

static int evidence_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct ev_job *j = p;
  lease_row r;
  int rc;
  if ((rc = ledger__lease_get(t->c, j->lease_id, &r, err)) ||
      (rc = ledger__lease_usable(t, &r, j->want_token, err)))
    return rc;
  json_object_set_new(j->payload, "lease_id", json_string(r.lease_id));
  ledger_event_in ev = {r.run_id, "evidence.referenced", j->key, NULL, NULL, j->payload};
  ledger_event_ref ref;
  if ((rc = ledger_txn_event_append(t, &ev, &ref, err)))
    return rc;
  j->out = json_pack("{s:s,s:s,s:s,s:I}",
                     strcmp(j->key_prefix, "decision") == 0 ? "decision_id" : "evidence_id", j->id,
                     "run_id", r.run_id, "lease_id", r.lease_id, "seq", (json_int_t)ref.seq);
  return LEDGER_OK;
}

/* Opens a file named as evidence: a regular file only (never a FIFO, device or directory, so
 * nothing blocks or streams forever), never through a symbolic link in its last component, at
 * most LEDGER_EVIDENCE_FILE_MAX bytes. Returns the descriptor in *fd_out. */
static int evidence_open(const char *path, int *fd_out, ledger_err *err)
{
  struct stat st;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC), e;
  *fd_out = -1;
  if (fd < 0) {
    e = errno;
    return ledger__errf(err, LEDGER_EINVAL, e, "cannot read %s: %s", path,
                        e == ELOOP ? "it is a symbolic link (name the file itself)" : strerror(e));
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    e = errno;
    close(fd);
    return ledger__errf(err, LEDGER_EINVAL, 0, "cannot read %s: %s", path,
                        S_ISDIR(st.st_mode) ? "it is a directory" : "it is not a regular file");
  }
  if (st.st_size > LEDGER_EVIDENCE_FILE_MAX) {
    close(fd);
    return ledger__errf(err, LEDGER_EINVAL, 0, "%s is larger than %lld bytes", path,
                        (long long)LEDGER_EVIDENCE_FILE_MAX);
  }
  (void)e;
  *fd_out = fd;
  return LEDGER_OK;
}

int ledger_evidence_file_check(const char *path, ledger_err *err)
{
  int fd, rc = evidence_open(path, &fd, err);
  if (rc == LEDGER_OK)
    close(fd);
  return rc;
}

/* sha256 of the file's bytes, streamed (64 KiB at a time, bounded by the cap even if it grows). */
static int file_digest(const char *path, char hex[SEAL_SHA256_HEX], ledger_err *err)
{
  seal_sha256_ctx c;
  char *buf;
  long long total = 0;
  ssize_t r;
  int fd, rc = evidence_open(path, &fd, err);
  if (rc)
    return rc;
  if (!(buf = malloc(1 << 16))) {
    close(fd);
    return ledger__errf(err, LEDGER_ERROR, ENOMEM, "out of memory reading %s", path);
  }
  seal_sha256_init(&c);
  while ((r = read(fd, buf, 1 << 16)) != 0) {
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 || (total += r) > LEDGER_EVIDENCE_FILE_MAX) {
      int e = r < 0 ? errno : 0;
      free(buf);
      close(fd);
      return e ? ledger__errf(err, LEDGER_EINVAL, e, "cannot read %s: %s", path, strerror(e))
               : ledger__errf(err, LEDGER_EINVAL, 0, "%s grew past %lld bytes while read", path,
                              (long long)LEDGER_EVIDENCE_FILE_MAX);
    }
    seal_sha256_update(&c, buf, (size_t)r);
  }
  free(buf);
  close(fd);
  seal_sha256_final_hex(&c, hex);
  return LEDGER_OK;
}

static int hex64(const char *s)
{
  if (!s || strlen(s) != 64)
    return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return 0;
  return 1;
}

int ledger_work_evidence(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                         ledger_err *err)
{
  (void)ctx;
  const char *kind = ledger__arg_str(args, "kind"), *uri = ledger__arg_str(args, "uri"),
             *file = ledger__arg_str(args, "file"), *digest = ledger__arg_str(args, "digest"),
             *summary = ledger__arg_str(args, "summary");
  json_int_t passed, failed, skipped, token;
  char id[48], hex[SEAL_SHA256_HEX], sumbuf[160];
  int rc;
  *out = NULL;
  if (!ledger__arg_str(args, "lease_id"))
    return ledger__errf(err, LEDGER_EINVAL, 0, "a lease id is required");
  if ((rc = arg_token(args, &token, err)))
    return rc;
  if (!word_ok(kind))
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "evidence kind must be a word of letters, digits, '_', '-', '.'");
  if ((rc = arg_count(args, "passed", &passed, err)) ||
      (rc = arg_count(args, "failed", &failed, err)) ||
      (rc = arg_count(args, "skipped", &skipped, err)))
    return rc;
  if (uri && !plain_text(uri, SEAL_MOTUS_URI_MAX))
    return ledger__errf(err, LEDGER_EINVAL, 0, "uri must be printable and at most %d characters",
                        SEAL_MOTUS_URI_MAX);
  if (summary && cp_len(summary) > SEAL_MOTUS_TEXT_MAX)
    return ledger__errf(err, LEDGER_EINVAL, 0, "summary is longer than %d characters",
                        SEAL_MOTUS_TEXT_MAX);
  if (digest && !hex64(digest))
    return ledger__errf(err, LEDGER_EINVAL, 0, "digest must be 64 lowercase hex characters");
  rand_id(id, sizeof id, "evidence");
  json_t *counts = json_object();
  if (passed >= 0)
    json_object_set_new(counts, "passed", json_integer(passed));
  if (failed >= 0)
    json_object_set_new(counts, "failed", json_integer(failed));
  if (skipped >= 0)
    json_object_set_new(counts, "skipped", json_integer(skipped));
  json_t *dig = NULL;
  if (file) {
    if ((rc = file_digest(file, hex, err))) {
      json_decref(counts);
      return rc;
    }
    dig = json_pack("{s:s,s:s,s:s}", "algorithm", "sha256", "value", hex, "canonicalization",
                    "bytes.raw.v0");
  } else if (digest) {
    dig = json_pack("{s:s,s:s,s:s}", "algorithm", "sha256", "value", digest, "canonicalization",
                    "external");
  } else {
    json_t *basis = json_pack("{s:s,s:O}", "kind", kind, "counts", counts);
    if (uri)
      json_object_set_new(basis, "uri", json_string(uri));
    if (summary)
      json_object_set_new(basis, "summary", json_string(summary));
    rc = ledger__digest_obj(&dig, basis, err);
    json_decref(basis);
    if (rc) {
      json_decref(counts);
      return rc;
    }
  }
  if (!summary && json_object_size(counts)) {
    size_t k = 0;
    sumbuf[0] = 0;
    static const char *const names[3] = {"passed", "failed", "skipped"};
    json_int_t vals[3] = {passed, failed, skipped};
    for (int q = 0; q < 3; q++)
      if (vals[q] >= 0 && k < sizeof sumbuf)
        k += (size_t)snprintf(sumbuf + k, sizeof sumbuf - k, "%s%s %lld", k ? ", " : "", names[q],
                              (long long)vals[q]);
    summary = sumbuf;
  }
  json_t *ref = json_pack("{s:s,s:s,s:O,s:{s:s}}", "evidence_id", id, "kind", kind, "digest", dig,
                          "redaction", "status", "none");
  if (uri)
    json_object_set_new(ref, "uri", json_string(uri));
  if (summary)
    json_object_set_new(ref, "summary", json_string(summary));
  json_t *payload = json_pack("{s:[o]}", "evidence_refs", ref);
  if (json_object_size(counts))
    json_object_set(payload, "counts", counts);
  json_decref(counts);
  struct ev_job j = {ledger__arg_str(args, "lease_id"), payload, id, "evidence", token, NULL, ""};
  ev_key(&j);
  /* inside a tool call: checked now, written at the call's commit (work_evidence.c) */
  rc = ledger__evidence_defer(l, j.lease_id, token, payload, j.key, "evidence_id", id, &j.out, err);
  if (rc == LEDGER__NOT_DEFERRED)
    rc = ledger_tx(l, evidence_fn, &j, err);
  json_decref(payload);
  if (rc) {
    json_decref(dig);
    json_decref(j.out);
    return rc;
  }
  json_object_set_new(j.out, "digest", dig);
  *out = j.out;
  return LEDGER_OK;
}

int ledger_work_decision(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                         ledger_err *err)
{
  (void)ctx;
  const char *text = ledger__arg_str(args, "text"), *rationale = ledger__arg_str(args, "rationale"),
             *accepted_by = ledger__arg_str(args, "accepted_by");
  char id[48];
  json_int_t token;
  json_t *acceptor = NULL;
  int rc;
  *out = NULL;
  if (!ledger__arg_str(args, "lease_id"))
    return ledger__errf(err, LEDGER_EINVAL, 0, "a lease id is required");
  if ((rc = arg_token(args, &token, err)))
    return rc;
  if (accepted_by && !(acceptor = ledger__actor_parse(accepted_by, "human", "accepted_by", err)))
    return LEDGER_EINVAL;
  if (!text || cp_len(text) > SEAL_MOTUS_TEXT_MAX) {
    json_decref(acceptor);
    return ledger__errf(err, LEDGER_EINVAL, 0, "decision text must be 1..%d characters",
                        SEAL_MOTUS_TEXT_MAX);
  }
  if (rationale && cp_len(rationale) > SEAL_MOTUS_TEXT_MAX) {
    json_decref(acceptor);
    return ledger__errf(err, LEDGER_EINVAL, 0, "rationale is longer than %d characters",
                        SEAL_MOTUS_TEXT_MAX);
  }
  rand_id(id, sizeof id, "decision");
  json_t *decision = json_pack("{s:s,s:s}", "decision_id", id, "text", text);
  if (rationale)
    json_object_set_new(decision, "rationale", json_string(rationale));
  if (acceptor) /* an acceptance decision: release turns it into the receipt's acceptance */
    json_object_set_new(decision, "accepted_by", acceptor);
  json_t *dig = NULL;
  if ((rc = ledger__digest_obj(&dig, decision, err))) {
    json_decref(decision);
    return rc;
  }
  json_t *payload = json_pack("{s:[{s:s,s:s,s:o,s:s,s:{s:s}}],s:o}", "evidence_refs", "evidence_id",
                              id, "kind", "decision", "digest", dig, "summary", text, "redaction",
                              "status", "none", "decision", decision);
  struct ev_job j = {ledger__arg_str(args, "lease_id"), payload, id, "decision", token, NULL, ""};
  ev_key(&j);
  rc = ledger_tx(l, evidence_fn, &j, err);
  if (!rc && (acceptor = json_object_get(decision, "accepted_by")))
    json_object_set(j.out, "accepted_by", acceptor);
  json_decref(payload);
  if (rc) {
    json_decref(j.out);
    return rc;
  }
  *out = j.out;
  return LEDGER_OK;
}

/* ---- release -------------------------------------------------------------------------------- */

struct rel_job {
  const ledger_work_ctx *ctx;
  const char *lease_id, *outcome, *summary;
  json_t *receiver;                      /* governed handoff: {type,id} or NULL (owned) */
  const char *expected_action, *reason;  /* handoff details, may be NULL */
  json_int_t want_token;                 /* -1: not given */
  char expired[LEDGER_ID_MAX * 2 + 160]; /* set when the release found the lease expired */
  json_t *out;
};

/* Build, store and return (borrowed in *receipt_out as a new ref) the receipt of a closed run. */
static int store_receipt(ledger_txn *t, const ledger_work_ctx *ctx, const char *run_id,
                         json_t **receipt_out, ledger_err *err)
{
  json_t *exp = NULL, *rc_json = NULL;
  int rc = ledger__export_json(t->c, run_id, NULL, &exp, err);
  if (rc)
    return rc;
  ledger_receipt_params p = {NULL, NULL, NULL, ctx ? ctx->key : NULL, ctx ? ctx->signer : NULL};
  rc = ledger__receipt_build(exp, &p, &rc_json, err);
  json_decref(exp);
  if (rc)
    return rc;
  rc = ledger_txn_receipt_put(t, json_string_value(json_object_get(rc_json, "receipt_id")),
                              LEDGER_RECEIPT_KIND, run_id, NULL, rc_json, err);
  if (rc) {
    json_decref(rc_json);
    return rc;
  }
  *receipt_out = rc_json;
  return LEDGER_OK;
}

/* What the run's events say at release: the claim's actor, every evidence id (in seq order) and
 * the last acceptance decision's {decision_id, accepted_by}. */
typedef struct run_facts {
  json_t *actor;    /* borrowed from events */
  json_t *evidence; /* new array of evidence ids */
  json_t *acceptor; /* borrowed: {type,id} of the last decision with accepted_by, or NULL */
  const char *acceptance_decision;
  json_t *events; /* owned */
} run_facts;

static int read_facts(lconn *c, const char *run_id, run_facts *f, ledger_err *err)
{
  size_t i, k;
  json_t *e, *ref;
  memset(f, 0, sizeof *f);
  int rc = ledger__events_json(c, run_id, &f->events, err);
  if (rc)
    return rc;
  f->actor = json_object_get(json_object_get(json_array_get(f->events, 0), "payload"), "actor");
  f->evidence = json_array();
  json_array_foreach(f->events, i, e) {
    json_t *p = json_object_get(e, "payload");
    if (strcmp(json_string_value(json_object_get(e, "event_kind")),
               LEDGER_KIND_EVIDENCE_REFERENCED) != 0)
      continue;
    json_array_foreach(json_object_get(p, "evidence_refs"), k, ref)
      json_array_append(f->evidence, json_object_get(ref, "evidence_id"));
    json_t *d = json_object_get(p, "decision");
    if (json_object_get(d, "accepted_by")) {
      f->acceptor = json_object_get(d, "accepted_by");
      f->acceptance_decision = json_string_value(json_object_get(d, "decision_id"));
    }
  }
  return LEDGER_OK;
}

static void facts_free(run_facts *f)
{
  json_decref(f->evidence);
  json_decref(f->events);
}

static json_t *actor_copy(const json_t *a)
{
  return json_pack("{s:O,s:O}", "type", json_object_get(a, "type"), "id", json_object_get(a, "id"));
}

/* The acceptance of a release without a handoff: an acceptance decision (success or partial)
 * names who accepted; otherwise the terminal outcome decides, by the claim's actor. */
static json_t *plain_acceptance(const char *outcome, const char *now, const run_facts *f)
{
  int ok = strcmp(outcome, "success") == 0, part = strcmp(outcome, "partial") == 0;
  if (f->acceptor && (ok || part)) {
    json_t *a = json_pack("{s:s,s:s,s:o,s:s}", "status", "accepted", "method", "decision", "actor",
                          actor_copy(f->acceptor), "accepted_at", now);
    if (f->acceptance_decision)
      json_object_set_new(a, "rationale_ref", json_string(f->acceptance_decision));
    return a;
  }
  const char *acc = ok ? "accepted" : part ? "pending" : "rejected";
  json_t *acceptance = json_pack("{s:s,s:s}", "status", acc, "method", "terminal_outcome");
  if (f->actor) {
    json_object_set_new(acceptance, "actor", actor_copy(f->actor));
    if (!part)
      json_object_set_new(acceptance, "accepted_at", json_string(now));
  }
  return acceptance;
}

static json_t *closed_payload(const struct rel_job *j, const char *now, const run_facts *f)
{
  const char *outcome = j->outcome, *summary = j->summary;
  json_t *acceptance, *route, *handoff;
  if (j->receiver) { /* governed handoff (Motus Level 2): the receiver inherits the evidence */
    char why[LEDGER_ID_MAX * 4 + 32];
    snprintf(why, sizeof why, "handoff to %s",
             json_string_value(json_object_get(j->receiver, "id")));
    acceptance = json_pack("{s:s,s:s,s:o}", "status", "pending", "method", "receiver_review",
                           "actor", actor_copy(j->receiver));
    route = json_pack("{s:s,s:o,s:s}", "status", "handoff", "next_actor", actor_copy(j->receiver),
                      "reason", j->reason ? j->reason : why);
    handoff = json_pack("{s:s,s:o,s:O,s:s}", "status", "ready", "receiver", actor_copy(j->receiver),
                        "evidence_refs", f->evidence, "reason", j->reason ? j->reason : why);
    if (j->expected_action)
      json_object_set_new(handoff, "expected_action", json_string(j->expected_action));
  } else {
    acceptance = plain_acceptance(outcome, now, f);
    if (strcmp(outcome, "success") == 0) {
      route = json_pack("{s:s}", "status", "complete");
      handoff = json_pack("{s:s}", "status", "none");
    } else if (strcmp(outcome, "partial") == 0) {
      route = json_pack("{s:s,s:s}", "status", "handoff", "reason",
                        "partial outcome: work remains");
      handoff = json_pack("{s:s,s:s}", "status", "ready", "reason",
                          "partial outcome: work remains");
    } else if (strcmp(outcome, "failure") == 0) {
      route = json_pack("{s:s,s:s}", "status", "blocked", "reason", "outcome failure");
      handoff = json_pack("{s:s}", "status", "none");
    } else {
      route = json_pack("{s:s}", "status", "none");
      handoff = json_pack("{s:s}", "status", "none");
    }
  }
  char sbuf[96];
  if (!summary) {
    snprintf(sbuf, sizeof sbuf, "released with outcome %s", outcome);
    summary = sbuf;
  }
  return json_pack("{s:{s:s,s:s,s:s},s:o,s:o,s:o,s:{s:s}}", "outcome", "status", outcome, "summary",
                   summary, "closed_at", now, "acceptance", acceptance, "route_summary", route,
                   "handoff", handoff, "redaction", "status", "none");
}

/* Closes the run of an active lease with the release's outcome and stores its receipt. */
static int release_close(ledger_txn *t, struct rel_job *j, const lease_row *r, json_t **receipt,
                         ledger_err *err)
{
  char now[LEDGER_TS_MAX], key[LEDGER_ID_MAX + 16], res[LEDGER_ID_MAX + 8];
  run_facts f;
  int rc;
  if ((rc = ledger__lease_usable(t, r, j->want_token, err)) ||
      (rc = read_facts(t->c, r->run_id, &f, err)))
    return rc;
  if (j->receiver && !json_array_size(f.evidence)) {
    facts_free(&f);
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "a governed handoff passes evidence on: record evidence on lease %s "
                        "before handing it off",
                        r->lease_id);
  }
  ledger_now(now);
  json_t *payload = closed_payload(j, now, &f);
  facts_free(&f);
  snprintf(key, sizeof key, "release:%s", r->lease_id);
  ledger_event_in ev = {r->run_id, LEDGER_KIND_WORK_CLOSED, key, now, NULL, payload};
  rc = payload ? ledger_txn_run_close(t, &ev, NULL, err)
               : ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  json_decref(payload);
  if (rc ||
      (rc = set_lease_status(t->c, r->run_id,
                             strcmp(j->outcome, "aborted") == 0 ? "aborted" : "released", err)))
    return rc;
  snprintf(res, sizeof res, "work:%s", r->work_id);
  if ((rc = ledger_txn_lock_release(t, res, r->token, err)))
    return rc;
  return store_receipt(t, j->ctx, r->run_id, receipt, err);
}

static int release_fn(ledger_txn *t, void *p, ledger_err *err)
{
  struct rel_job *j = p;
  lease_row r;
  json_t *receipt = NULL;
  int rc, replayed = 0;
  if ((rc = ledger__lease_get(t->c, j->lease_id, &r, err)))
    return rc;
  if (ledger__lease_past(&r)) {
    /* an expired lease takes no release: it ends expired, and that is recorded */
    if ((rc = ledger__lease_expire(t, &r, "release", err)))
      return rc;
    snprintf(j->expired, sizeof j->expired,
             "lease %s expired at %s: no release; run %s closed as expired (outcome "
             "unknown); claim the work again",
             r.lease_id, r.expires_at, r.run_id);
    return LEDGER_OK;
  }
  if (strcmp(r.status, "closed") == 0) {
    replayed = 1;
    rc = ledger__receipt_of_run(t->c, r.run_id, &receipt, err);
    if (rc == LEDGER_ENOTFOUND)
      rc = store_receipt(t, j->ctx, r.run_id, &receipt, err);
  } else {
    rc = release_close(t, j, &r, &receipt, err);
  }
  if (rc)
    return rc;
  j->out = json_pack("{s:O,s:s,s:s,s:O,s:b}", "receipt_id", json_object_get(receipt, "receipt_id"),
                     "run_id", r.run_id, "lease_id", r.lease_id, "outcome",
                     json_object_get(json_object_get(receipt, "outcome"), "status"), "replayed",
                     replayed);
  /* a governed handoff names its receiver, also when a repeated release answers */
  if (j->out && json_object_get(json_object_get(receipt, "handoff"), "receiver"))
    json_object_set(j->out, "handoff", json_object_get(receipt, "handoff"));
  json_decref(receipt);
  return j->out ? LEDGER_OK : ledger__errf(err, LEDGER_ERROR, 0, "stored receipt is malformed");
}

/* The handoff arguments of a release: next_actor and receiver name one actor (Motus Level 2
 * requires route_summary.next_actor == handoff.receiver == acceptance.actor). */
static int release_handoff_args(struct rel_job *j, const json_t *args, ledger_err *err)
{
  const char *na = ledger__arg_str(args, "next_actor"), *rv = ledger__arg_str(args, "receiver");
  json_t *a = NULL, *b = NULL;
  j->expected_action = ledger__arg_str(args, "expected_action");
  j->reason = ledger__arg_str(args, "reason");
  if ((j->expected_action && cp_len(j->expected_action) > SEAL_MOTUS_TEXT_MAX) ||
      (j->reason && cp_len(j->reason) > SEAL_MOTUS_TEXT_MAX))
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "expected_action and reason are at most %d "
                        "characters",
                        SEAL_MOTUS_TEXT_MAX);
  if (!na && !rv) {
    if (j->expected_action || j->reason)
      return ledger__errf(err, LEDGER_EINVAL, 0,
                          "expected_action and reason describe a handoff: name its receiver");
    return LEDGER_OK;
  }
  if ((na && !(a = ledger__actor_parse(na, "human", "next_actor", err))) ||
      (rv && !(b = ledger__actor_parse(rv, "human", "receiver", err)))) {
    json_decref(a);
    return LEDGER_EINVAL;
  }
  if (a && b && !json_equal(a, b)) {
    json_decref(a);
    json_decref(b);
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "next_actor and receiver must name the same actor (Motus Level 2 "
                        "governed handoff: the next actor is the receiver)");
  }
  if (strcmp(j->outcome, "aborted") == 0) {
    json_decref(a);
    json_decref(b);
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "an aborted release hands nothing off; release "
                        "with success, partial or failure to hand off");
  }
  j->receiver = a ? a : b;
  json_decref(a ? b : NULL);
  return LEDGER_OK;
}

int ledger_work_release(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                        ledger_err *err)
{
  static const char *const words[] = {"success", "failure", "partial", "aborted", NULL};
  struct rel_job j;
  int ok = 0, rc;
  memset(&j, 0, sizeof j);
  j.ctx = ctx;
  j.lease_id = ledger__arg_str(args, "lease_id");
  j.outcome = ledger__arg_str(args, "outcome");
  j.summary = ledger__arg_str(args, "summary");
  *out = NULL;
  if (!j.lease_id)
    return ledger__errf(err, LEDGER_EINVAL, 0, "a lease id is required");
  for (int i = 0; j.outcome && words[i]; i++)
    ok |= strcmp(j.outcome, words[i]) == 0;
  if (!ok)
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "outcome must be success, failure, partial or aborted (got '%s')",
                        j.outcome ? j.outcome : "");
  if (j.summary && cp_len(j.summary) > SEAL_MOTUS_TEXT_MAX)
    return ledger__errf(err, LEDGER_EINVAL, 0, "summary is longer than %d characters",
                        SEAL_MOTUS_TEXT_MAX);
  if ((rc = arg_token(args, &j.want_token, err)) || (rc = release_handoff_args(&j, args, err)))
    return rc;
  rc = ledger_tx(l, release_fn, &j, err);
  json_decref(j.receiver);
  if (rc == LEDGER_OK && j.expired[0]) /* the expiry is recorded; the release itself fails */
    rc = ledger__errf(err, LEDGER_EEXPIRED, 0, "%s", j.expired);
  if (rc) {
    json_decref(j.out);
    return rc;
  }
  *out = j.out;
  return LEDGER_OK;
}
