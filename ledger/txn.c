/* SPDX-License-Identifier: Apache-2.0
 * ledger/txn.c — runs and events inside a ledger_tx() job: open a run, register event kinds,
 * append an event (content event_id, payload_hash, schema_hash, contiguous seq, idempotency
 * replay), close a run, and events prepared on the caller's thread (hashed there with the hints
 * of hints.c and event_hash.c, finished here); also the id text checks shared by the other
 * ledger_txn_* writers (txn_locks.c, txn_records.c). Every function works on the writer
 * connection inside the writer's transaction (in a per-job SAVEPOINT unless the batch is
 * rerunnable); none commits. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int copy_id(char *dst, const char *src, ledger_err *err)
{
  size_t n = strlen(src);
  if (n == 0 || n >= LEDGER_ID_MAX)
    return ledger__errf(err, LEDGER_EINVAL, 0, "id must be 1..%d characters", LEDGER_ID_MAX - 1);
  memcpy(dst, src, n + 1);
  return LEDGER_OK;
}

int ledger__utf8_seq(const unsigned char *p, size_t avail)
{
  unsigned c;
  int len;
  if (!avail)
    return 0;
  c = p[0];
  len = c < 0x80                 ? 1
        : c >= 0xc2 && c <= 0xdf ? 2
        : c >= 0xe0 && c <= 0xef ? 3
        : c >= 0xf0 && c <= 0xf4 ? 4
                                 : 0;
  if (len == 0 || (size_t)len > avail)
    return 0;
  for (int k = 1; k < len; k++)
    if ((p[k] & 0xc0) != 0x80)
      return 0;
  if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) || (c == 0xf0 && p[1] < 0x90) ||
      (c == 0xf4 && p[1] >= 0x90))
    return 0;
  return len;
}

/* Ids are hashed into event ids as raw bytes and re-projected through JSON, so they must be
 * well-formed UTF-8 without control characters, and shorter than LEDGER_ID_MAX. */
int ledger__valid_id_text(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if (!n || n >= LEDGER_ID_MAX)
    return 0;
  for (size_t i = 0; i < n;) {
    int len = ledger__utf8_seq((const unsigned char *)s + i, n - i);
    if (len == 0 || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return 0;
    i += (size_t)len;
  }
  return 1;
}

/* ---- runs ----------------------------------------------------------------------------------- */

static const char SQL_RUN_GET[] = "SELECT work_id, status, producer_id FROM runs WHERE run_id = ?1";
static const char SQL_RUN_INS[] =
    "INSERT INTO runs(run_id, work_id, status, started_at, producer_id) VALUES (?1, ?2, 'open', ?3, ?4)";

int ledger_txn_run_open(ledger_txn *t, const ledger_run_in *in, char run_id_out[LEDGER_ID_MAX],
                        int *replayed_out, ledger_err *err)
{
  lconn *c = t->c;
  char id[LEDGER_ID_MAX], now[LEDGER_TS_MAX];
  int rc;
  if (replayed_out)
    *replayed_out = 0;
  if (in->run_id) {
    if (!ledger__valid_id_text(in->run_id))
      return ledger__errf(err, LEDGER_EINVAL, 0, "invalid run id");
    if ((rc = copy_id(id, in->run_id, err)))
      return rc;
  } else {
    struct timespec ts;
    char hex[13];
    clock_gettime(CLOCK_REALTIME, &ts);
    ledger__rand_hex(hex, 6);
    snprintf(id, sizeof id, "run_%020lld_%s",
             (long long)ts.tv_sec * 1000000000LL + (long long)ts.tv_nsec, hex);
  }
  if (in->work_id && !ledger__valid_id_text(in->work_id))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid work id");
  if (in->started_at && !ledger__valid_ts(in->started_at))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid started_at '%s'", in->started_at);
  db_stmt *st = ledger__stmt(c, SQL_RUN_GET, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, id);
  rc = db_step(st);
  if (rc == SQLITE_ROW) {
    const char *w = (const char *)db_column_text(st, 0);
    int same = (!w && !in->work_id) || (w && in->work_id && strcmp(w, in->work_id) == 0);
    db_reset(st);
    if (!same)
      return ledger__errf(err, LEDGER_ECONFLICT, 0, "run %s exists with another work id", id);
    memcpy(run_id_out, id, strlen(id) + 1);
    if (replayed_out)
      *replayed_out = 1;
    return LEDGER_OK;
  }
  db_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, "read run");
  ledger_now(now);
  if (!(st = ledger__stmt(c, SQL_RUN_INS, err)))
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, id);
  BIND_OPT(st, 2, in->work_id);
  BIND_TEXT(st, 3, in->started_at ? in->started_at : now);
  BIND_OPT(st, 4, in->producer_id);
  if ((rc = ledger__step_done(c, st, err, "insert run")))
    return rc;
  memcpy(run_id_out, id, strlen(id) + 1);
  return LEDGER_OK;
}

/* ---- kinds ---------------------------------------------------------------------------------- */

static const char SQL_KIND_GET[] =
    "SELECT required_payload, schema_hash FROM kind_versions WHERE event_kind = ?1";
static const char SQL_KIND_INS[] =
    "INSERT INTO kind_versions(event_kind, schema_version, required_payload, schema_hash, registered_at)"
    " VALUES (?1, 'motus.event-kind-schema.v0.1', ?2, ?3, ?4)";

int ledger_txn_kind_register(ledger_txn *t, const char *event_kind, const json_t *required_payload,
                             ledger_err *err)
{
  lconn *c = t->c;
  char hash[LEDGER_HASH_MAX], now[LEDGER_TS_MAX];
  size_t i;
  json_t *v;
  int rc;
  if (!ledger__valid_id_text(event_kind) || !json_is_array(required_payload))
    return ledger__errf(err, LEDGER_EINVAL, 0, "kind needs a name and a required_payload array");
  json_array_foreach(required_payload, i, v)
    if (!json_is_string(v) || !*json_string_value(v))
      return ledger__errf(err, LEDGER_EINVAL, 0, "required_payload must hold non-empty strings");
  if ((rc = ledger__kind_schema_hash(hash, event_kind, required_payload, err)))
    return rc;
  db_stmt *st = ledger__stmt(c, SQL_KIND_GET, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, event_kind);
  rc = db_step(st);
  if (rc == SQLITE_ROW) {
    int same = strcmp((const char *)db_column_text(st, 1), hash) == 0;
    db_reset(st);
    return same ? LEDGER_OK
                : ledger__errf(err, LEDGER_ECONFLICT, 0,
                               "event kind %s is registered with another schema", event_kind);
  }
  db_reset(st);
  if (rc != SQLITE_DONE)
    return ledger__sqlerr(err, c, rc, "read kind");
  char *req = seal_json_dumps(required_payload, JSON_COMPACT);
  if (!req)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  ledger_now(now);
  if (!(st = ledger__stmt(c, SQL_KIND_INS, err))) {
    free(req);
    return LEDGER_ERROR;
  }
  BIND_TEXT(st, 1, event_kind);
  BIND_TEXT(st, 2, req);
  BIND_TEXT(st, 3, hash);
  BIND_TEXT(st, 4, now);
  free(req);
  return ledger__step_done(c, st, err, "register kind");
}

/* ---- events --------------------------------------------------------------------------------- */

static const char SQL_EV_BY_KEY[] =
    "SELECT seq, event_id, payload_hash FROM events WHERE run_id = ?1 AND idempotency_key = ?2";
static const char SQL_EV_NEXT[] = "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = ?1";
static const char SQL_EV_INS[] =
    "INSERT INTO events(run_id, seq, event_id, event_kind, occurred_at, idempotency_key, producer_id,"
    " payload, payload_hash, schema_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/* Looks up an idempotency key: 1 = found (out filled), 0 = not found, <0 error. */
static int find_replay(lconn *c, const ledger_event_in *in, const char *payload_hash,
                       ledger_event_ref *out, ledger_err *err)
{
  db_stmt *st = ledger__stmt(c, SQL_EV_BY_KEY, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, in->run_id);
  BIND_TEXT(st, 2, in->idempotency_key);
  int rc = db_step(st);
  if (rc == SQLITE_ROW) {
    int same = strcmp((const char *)db_column_text(st, 2), payload_hash) == 0;
    if (out) {
      out->seq = db_column_int64(st, 0);
      seal_strcopy(out->event_id, sizeof out->event_id, (const char *)db_column_text(st, 1));
      out->replayed = 1;
    }
    db_reset(st);
    if (!same)
      return ledger__errf(err, LEDGER_ECONFLICT, 0,
                          "idempotency key '%s' was used with a different payload",
                          in->idempotency_key);
    return 1;
  }
  db_reset(st);
  return rc == SQLITE_DONE ? 0 : ledger__sqlerr(err, c, rc, "read event");
}

/* ---- the append itself ---------------------------------------------------------------------- */

/* What append needs; `hashed` (may be NULL) is the event hash begun with hashed_producer /
 * hashed_schema, usable when those match what the writer finds. */
typedef struct ev_core {
  const char *run_id, *kind, *key, *occurred_at, *producer_in;
  const json_t *payload;
  const char *payload_txt;
  size_t payload_len;
  const char *payload_hash;
  const seal_sha256_ctx *hashed;
  const char *hashed_producer; /* NULL: hashed without producer_id */
  const char *hashed_schema;
} ev_core;

/* The kind's required members (`reqtxt`, a JSON array) against the event's payload: its json_t,
 * or its text parsed here (a prepared event keeps only the text). Also refreshes the kind hint. */
static int check_required(ledger_txn *t, const ev_core *e, const char *schema_hash,
                          const char *reqtxt, ledger_err *err)
{
  json_t *req = json_loads(reqtxt, 0, NULL);
  json_t *parsed = e->payload ? NULL : json_loadb(e->payload_txt, e->payload_len, 0, NULL);
  const json_t *payload = e->payload ? e->payload : parsed;
  size_t i;
  json_t *m;
  int rc = LEDGER_OK;
  ledger__kind_hint_put(t->l, e->kind, schema_hash, reqtxt);
  if (!json_is_object(payload)) /* a text that does not parse (or out of memory) */
    rc = ledger__errf(err, LEDGER_EINVAL, 0, "%s payload cannot be read as a JSON object", e->kind);
  json_array_foreach(req, i, m) {
    if (rc == LEDGER_OK && !json_object_get(payload, json_string_value(m)))
      rc = ledger__errf(err, LEDGER_EINVAL, 0, "%s payload lacks required member '%s'", e->kind,
                        json_string_value(m));
  }
  json_decref(req);
  json_decref(parsed);
  return rc;
}

/* The event hash (from the prepared start when it holds), then the INSERT. Returns LEDGER_OK
 * or the error; with `constraint` (the cached path) a failed trigger or constraint only sets
 * *constraint and leaves err alone, for the full path to decide. */
static int insert_event(ledger_txn *t, const ev_core *e, int64_t seq, const char *producer_id,
                        const char *schema_hash, int use_hashed, ledger_event_ref *out,
                        int *constraint, ledger_err *err)
{
  lconn *c = t->c;
  char event_id[LEDGER_HASH_MAX];
  db_stmt *st;
  int rc;
  if (use_hashed) {
    ledger__event_hash_finish(e->hashed, seq, event_id);
  } else {
    seal_sha256_ctx h;
    ledger__event_hash_begin(&h, e->run_id, e->kind, e->key, e->occurred_at, e->payload_txt,
                             e->payload_len, e->payload_hash, producer_id, schema_hash);
    ledger__event_hash_finish(&h, seq, event_id);
  }
  if (!(st = ledger__stmt(c, SQL_EV_INS, err)))
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, e->run_id);
  db_bind_int64(st, 2, seq);
  BIND_TEXT(st, 3, event_id);
  BIND_TEXT(st, 4, e->kind);
  BIND_TEXT(st, 5, e->occurred_at);
  BIND_TEXT(st, 6, e->key);
  BIND_OPT(st, 7, producer_id);
  db_bind_text(st, 8, e->payload_txt, (int)e->payload_len, SQLITE_STATIC);
  BIND_TEXT(st, 9, e->payload_hash);
  BIND_TEXT(st, 10, schema_hash);
  rc = db_step(st);
  db_reset(st);
  db_clear_bindings(st); /* payload was bound without a copy */
  if (rc != SQLITE_DONE) {
    if (constraint && (rc & 0xff) == SQLITE_CONSTRAINT) {
      *constraint = 1;
      return LEDGER_ERROR;
    }
    return ledger__sqlerr(err, c, rc, "append event");
  }
  if (out) {
    out->seq = seq;
    seal_strcopy(out->event_id, sizeof out->event_id, event_id);
    out->replayed = 0;
  }
  return LEDGER_OK;
}

/* A prepared event hashed with this very schema hash and producer (the hash covers the required
 * list, so its required members were checked against it). */
static int hashed_matches(const ev_core *e, const char *schema_hash, const char *producer_id)
{
  return e->hashed && strcmp(e->hashed_schema, schema_hash) == 0 &&
         ((!producer_id && !e->hashed_producer) ||
          (producer_id && e->hashed_producer && strcmp(producer_id, e->hashed_producer) == 0));
}

#define AC_MISS 1 /* append_cached: not from the cache; the full path decides */

/* The append from the writer's cache (struct ledger ac): no read of the run, the kind, the next
 * seq or the key. The events table still checks each of them (the open-run and contiguous-seq
 * triggers, the primary key, UNIQUE(run_id, idempotency_key), the kind's foreign key): an
 * insert that fails one of them changes nothing (only its statement is undone), and the full
 * path runs instead, which tells a replay from a conflict and a closed run from a stale seq. */
static int append_cached(ledger_txn *t, const ev_core *e, ledger_event_ref *out, ledger_err *err)
{
  ledger *l = t->l;
  const char *schema_hash, *required, *producer_id;
  struct ledger_ac_run *run = ledger__ac_run(l, e->run_id);
  int use_hashed, rc, constraint = 0;
  if (!run || !ledger__ac_kind(l, e->kind, &schema_hash, &required))
    return AC_MISS;
  producer_id = e->producer_in ? e->producer_in : (run->has_producer ? run->producer : NULL);
  use_hashed = hashed_matches(e, schema_hash, producer_id);
  if (!use_hashed && (rc = check_required(t, e, schema_hash, required, err)))
    return rc;
  rc = insert_event(t, e, run->next_seq, producer_id, schema_hash, use_hashed, out, &constraint,
                    err);
  if (rc == LEDGER_OK) {
    run->next_seq++;
    return LEDGER_OK;
  }
  run->run_id[0] = '\0';
  return constraint ? AC_MISS : rc;
}

static int append_core(ledger_txn *t, const ev_core *e, ledger_event_ref *out, ledger_err *err)
{
  lconn *c = t->c;
  char schema_hash[LEDGER_HASH_MAX];
  ledger_event_in probe;
  int rc, cached = ledger__ac_begin(t->l, c);

  if (cached && (rc = append_cached(t, e, out, err)) != AC_MISS)
    return rc;
  /* several nodes (PostgreSQL): the run's row lock first, so that the replay check and the
   * next seq below see every committed event of the run */
  if ((rc = ledger__lock_run(c, e->run_id, err)))
    return rc;
  memset(&probe, 0, sizeof probe);
  probe.run_id = e->run_id;
  probe.idempotency_key = e->key;
  if ((rc = find_replay(c, &probe, e->payload_hash, out, err)) != 0)
    return rc > 0 ? LEDGER_OK : rc;
  /* the run */
  db_stmt *st = ledger__stmt(c, SQL_RUN_GET, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, e->run_id);
  rc = db_step(st);
  if (rc != SQLITE_ROW) {
    db_reset(st);
    if (rc == SQLITE_DONE)
      return ledger__errf(err, LEDGER_ENOTFOUND, 0, "run %s not found", e->run_id);
    return ledger__sqlerr(err, c, rc, "read run");
  }
  int closed = strcmp((const char *)db_column_text(st, 1), "closed") == 0;
  char producer[LEDGER_ID_MAX] = "";
  int has_producer = db_column_type(st, 2) != SQLITE_NULL;
  if (has_producer)
    seal_strcopy(producer, sizeof producer, (const char *)db_column_text(st, 2));
  db_reset(st);
  if (closed)
    return ledger__errf(err, LEDGER_ECLOSED, 0, "run %s is closed", e->run_id);
  ledger__run_hint_put(t->l, e->run_id, has_producer ? producer : NULL);
  const char *producer_id = e->producer_in ? e->producer_in : (has_producer ? producer : NULL);
  /* the kind */
  if (!(st = ledger__stmt(c, SQL_KIND_GET, err)))
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, e->kind);
  rc = db_step(st);
  if (rc != SQLITE_ROW) {
    db_reset(st);
    if (rc == SQLITE_DONE)
      return ledger__errf(err, LEDGER_EINVAL, 0, "unknown event kind '%s'", e->kind);
    return ledger__sqlerr(err, c, rc, "read kind");
  }
  seal_strcopy(schema_hash, sizeof schema_hash, (const char *)db_column_text(st, 1));
  if (cached)
    ledger__ac_put_kind(t->l, e->kind, schema_hash, (const char *)db_column_text(st, 0));
  int use_hashed = hashed_matches(e, schema_hash, producer_id);
  if (!use_hashed &&
      (rc = check_required(t, e, schema_hash, (const char *)db_column_text(st, 0), err))) {
    db_reset(st);
    return rc;
  }
  db_reset(st);
  /* seq */
  if (!(st = ledger__stmt(c, SQL_EV_NEXT, err)))
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, e->run_id);
  if ((rc = db_step(st)) != SQLITE_ROW) {
    db_reset(st);
    return ledger__sqlerr(err, c, rc, "next seq");
  }
  int64_t seq = db_column_int64(st, 0);
  db_reset(st);
  if ((rc = insert_event(t, e, seq, producer_id, schema_hash, use_hashed, out, NULL, err)))
    return rc;
  if (cached)
    ledger__ac_put_run(t->l, e->run_id, has_producer ? producer : NULL, seq + 1);
  return LEDGER_OK;
}

/* The event's ids, and its payload object unless the payload comes as text (`text`). */
static int check_event_in(const ledger_event_in *in, int text, ledger_err *err)
{
  if (!in->run_id || !in->event_kind || !ledger__valid_id_text(in->idempotency_key))
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "event needs run_id, event_kind and an idempotency_key of UTF-8 text");
  if (in->producer_id && !ledger__valid_id_text(in->producer_id))
    return ledger__errf(err, LEDGER_EINVAL, 0, "producer_id must be UTF-8 text");
  if (text ? in->payload != NULL : !json_is_object(in->payload))
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        text ? "an event payload is given as text or as an object, not both"
                             : "event payload must be a JSON object");
  return LEDGER_OK;
}

static void payload_hash_of(char out[LEDGER_HASH_MAX], const char *txt, size_t len)
{
  char hex[SEAL_SHA256_HEX];
  seal_sha256_hex(hex, txt, len);
  snprintf(out, LEDGER_HASH_MAX, "sha256:%s", hex);
}

static int append(ledger_txn *t, const ledger_event_in *in, const char *occurred_at,
                  ledger_event_ref *out, ledger_err *err)
{
  char payload_hash[LEDGER_HASH_MAX];
  char *payload_txt = NULL;
  size_t payload_len = 0;
  ev_core e;
  int rc;

  if ((rc = check_event_in(in, 0, err)))
    return rc;
  if ((rc = ledger__canon(&payload_txt, &payload_len, in->payload, err)))
    return rc;
  payload_hash_of(payload_hash, payload_txt, payload_len);
  memset(&e, 0, sizeof e);
  e.run_id = in->run_id;
  e.kind = in->event_kind;
  e.key = in->idempotency_key;
  e.occurred_at = occurred_at;
  e.producer_in = in->producer_id;
  e.payload = in->payload;
  e.payload_txt = payload_txt;
  e.payload_len = payload_len;
  e.payload_hash = payload_hash;
  rc = append_core(t, &e, out, err);
  free(payload_txt);
  return rc;
}

/* ---- prepared events ------------------------------------------------------------------------ */

struct ledger_event_prep {
  char run_id[LEDGER_ID_MAX], kind[LEDGER_ID_MAX], key[LEDGER_ID_MAX];
  char occurred_at[LEDGER_TS_MAX];
  char producer_in[LEDGER_ID_MAX];
  int has_producer_in;
  char payload_hash[LEDGER_HASH_MAX];
  char *payload_txt;
  size_t payload_len;
  json_t *payload;
  int hashed_ok;
  seal_sha256_ctx hashed;
  char hashed_producer[LEDGER_ID_MAX];
  int hashed_has_producer;
  char hashed_schema[LEDGER_HASH_MAX];
};

void ledger_event_prep_free(ledger_event_prep *p)
{
  if (!p)
    return;
  seal_free_soon(p->payload_txt); /* freed on the writer: back to the preparing thread */
  json_decref(p->payload);
  seal_free_soon(p);
}

/* Both prepares: `text` (new, stolen, freed on failure) is the payload's canonical text, or
 * NULL to canonicalise in->payload here. */
static int prepare(ledger *l, const ledger_event_in *in, char *text, size_t text_len,
                   ledger_event_prep **out, ledger_err *err)
{
  ledger_event_prep *p;
  int rc;
  *out = NULL;
  rc = check_event_in(in, text != NULL, err);
  if (!rc && text && (text_len < 2 || text[0] != '{' || text[text_len - 1] != '}'))
    rc = ledger__errf(err, LEDGER_EINVAL, 0, "event payload must be a JSON object");
  if (!rc && in->occurred_at && !ledger__valid_ts(in->occurred_at))
    rc = ledger__errf(err, LEDGER_EINVAL, 0, "invalid occurred_at '%s'", in->occurred_at);
  if (!rc && (strlen(in->run_id) >= LEDGER_ID_MAX || strlen(in->event_kind) >= LEDGER_ID_MAX ||
              (in->producer_id && strlen(in->producer_id) >= LEDGER_ID_MAX)))
    rc = ledger__errf(err, LEDGER_EINVAL, 0, "id must be 1..%d characters", LEDGER_ID_MAX - 1);
  if (!rc && !(p = calloc(1, sizeof *p)))
    rc = ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  if (rc) {
    free(text);
    return rc;
  }
  if (text) {
    p->payload_txt = text;
    p->payload_len = text_len;
  } else if ((rc = ledger__canon(&p->payload_txt, &p->payload_len, in->payload, err))) {
    free(p);
    return rc;
  }
  payload_hash_of(p->payload_hash, p->payload_txt, p->payload_len);
  seal_strcopy(p->run_id, sizeof p->run_id, in->run_id);
  seal_strcopy(p->kind, sizeof p->kind, in->event_kind);
  seal_strcopy(p->key, sizeof p->key, in->idempotency_key);
  if (in->occurred_at)
    seal_strcopy(p->occurred_at, sizeof p->occurred_at, in->occurred_at);
  else
    ledger_now(p->occurred_at);
  if (in->producer_id) {
    seal_strcopy(p->producer_in, sizeof p->producer_in, in->producer_id);
    p->has_producer_in = 1;
  }
  p->payload = json_incref((json_t *)in->payload); /* NULL for a payload given as text */
  /* the event hash up to seq, when the kind and the producer are known here */
  if (ledger__kind_hint_get(l, p->kind, p->payload, p->payload_txt, p->payload_len,
                            p->hashed_schema)) {
    int known = 1;
    if (p->has_producer_in) {
      seal_strcopy(p->hashed_producer, sizeof p->hashed_producer, p->producer_in);
      p->hashed_has_producer = 1;
    } else {
      known = ledger__run_hint_get(l, p->run_id, p->hashed_producer, &p->hashed_has_producer);
    }
    if (known) {
      ledger__event_hash_begin(&p->hashed, p->run_id, p->kind, p->key, p->occurred_at,
                               p->payload_txt, p->payload_len, p->payload_hash,
                               p->hashed_has_producer ? p->hashed_producer : NULL,
                               p->hashed_schema);
      p->hashed_ok = 1;
      /* the writer needs the text only: the tree is released here, on the caller's thread,
       * not on the writer's (spec/store.md "One call, one transaction") */
      json_decref(p->payload);
      p->payload = NULL;
    }
  }
  *out = p;
  return LEDGER_OK;
}

int ledger_event_prepare(ledger *l, const ledger_event_in *in, ledger_event_prep **out,
                         ledger_err *err)
{
  return prepare(l, in, NULL, 0, out, err);
}

int ledger_event_prepare_text(ledger *l, const ledger_event_in *in, char *text, size_t len,
                              ledger_event_prep **out, ledger_err *err)
{
  if (!text) {
    *out = NULL;
    return ledger__errf(err, LEDGER_EINVAL, 0, "event payload must be a JSON object");
  }
  return prepare(l, in, text, len, out, err);
}

int ledger_txn_event_append_prepared(ledger_txn *t, const ledger_event_prep *p,
                                     ledger_event_ref *out, ledger_err *err)
{
  ev_core e;
  memset(&e, 0, sizeof e);
  e.run_id = p->run_id;
  e.kind = p->kind;
  e.key = p->key;
  e.occurred_at = p->occurred_at;
  e.producer_in = p->has_producer_in ? p->producer_in : NULL;
  e.payload = p->payload;
  e.payload_txt = p->payload_txt;
  e.payload_len = p->payload_len;
  e.payload_hash = p->payload_hash;
  if (p->hashed_ok) {
    e.hashed = &p->hashed;
    e.hashed_producer = p->hashed_has_producer ? p->hashed_producer : NULL;
    e.hashed_schema = p->hashed_schema;
  }
  return append_core(t, &e, out, err);
}

int ledger_txn_event_append(ledger_txn *t, const ledger_event_in *in, ledger_event_ref *out,
                            ledger_err *err)
{
  char now[LEDGER_TS_MAX];
  if (in->occurred_at && !ledger__valid_ts(in->occurred_at))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid occurred_at '%s'", in->occurred_at);
  ledger_now(now);
  return append(t, in, in->occurred_at ? in->occurred_at : now, out, err);
}

static const char *const outcome_words[] = {"success",    "failure", "partial", "aborted",
                                            "superseded", "unknown", NULL};

static const char SQL_RUN_CLOSE[] =
    "UPDATE runs SET status = 'closed', closed_at = ?2, outcome_status = ?3 WHERE run_id = ?1";

int ledger_txn_run_close(ledger_txn *t, const ledger_event_in *closing, ledger_event_ref *out,
                         ledger_err *err)
{
  ledger_event_in in = *closing;
  char now[LEDGER_TS_MAX];
  int rc, ok = 0;
  if (!in.event_kind)
    in.event_kind = LEDGER_KIND_WORK_CLOSED;
  const char *status = json_string_value(
      json_object_get(json_object_get(in.payload, "outcome"), "status"));
  for (int i = 0; status && outcome_words[i]; i++)
    ok |= strcmp(status, outcome_words[i]) == 0;
  if (!ok)
    return ledger__errf(err, LEDGER_EINVAL, 0, "closing payload needs a valid outcome.status");
  const char *closed_at = json_string_value(
      json_object_get(json_object_get(in.payload, "outcome"), "closed_at"));
  if (in.occurred_at && !ledger__valid_ts(in.occurred_at))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid occurred_at '%s'", in.occurred_at);
  if (closed_at && !ledger__valid_ts(closed_at))
    return ledger__errf(err, LEDGER_EINVAL, 0, "invalid outcome.closed_at '%s'", closed_at);
  ledger_now(now);
  const char *occurred = in.occurred_at ? in.occurred_at : now;
  ledger_event_ref ref;
  if ((rc = append(t, &in, occurred, &ref, err)))
    return rc;
  if (out)
    *out = ref;
  if (ref.replayed)
    return LEDGER_OK;
  db_stmt *st = ledger__stmt(t->c, SQL_RUN_CLOSE, err);
  if (!st)
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, in.run_id);
  BIND_TEXT(st, 2, closed_at ? closed_at : occurred);
  BIND_TEXT(st, 3, status);
  return ledger__step_done(t->c, st, err, "close run");
}
