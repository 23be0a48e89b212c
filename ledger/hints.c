/* SPDX-License-Identifier: Apache-2.0
 * ledger/hints.c — the prepare hints kept in struct ledger (under hmu): the event kinds (schema
 * hash and required members) and run producers the writer has read, so that
 * ledger_event_prepare (txn.c) can hash an event on the caller's thread. Filled by the writer
 * in append_core (txn.c). */
#include "ledger/ledger_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ---- hint caches (struct ledger): kinds and run producers ------------------------------------ *
 * Filled from rows the writer read. They are hints for ledger_event_prepare only: the writer
 * re-reads the run and the kind of every event and falls back to computing everything itself
 * when a hint turns out wrong (for example a kind registered by a job that was rolled back). */

void ledger__kind_hint_put(ledger *l, const char *kind, const char *schema_hash,
                           const char *required)
{
  char names[LEDGER_KIND_NAMES];
  size_t off = 0, i;
  json_t *req, *m;
  if (!l || strlen(kind) >= sizeof l->kinds[0].kind || strlen(schema_hash) >= LEDGER_HASH_MAX)
    return;
  /* the required members as "a\0b\0\0", parsed once here rather than per prepared event */
  if (!(req = json_loads(required, 0, NULL)) || !json_is_array(req)) {
    json_decref(req);
    return;
  }
  json_array_foreach(req, i, m) {
    const char *nm = json_string_value(m);
    size_t n = nm ? strlen(nm) : 0;
    if (!nm || off + n + 2 > sizeof names) {
      json_decref(req);
      return;
    }
    memcpy(names + off, nm, n + 1);
    off += n + 1;
  }
  names[off] = '\0';
  json_decref(req);
  pthread_mutex_lock(&l->hmu);
  int slot = -1;
  for (int k = 0; k < l->nkinds; k++)
    if (strcmp(l->kinds[k].kind, kind) == 0) {
      slot = k;
      break;
    }
  if (slot < 0)
    slot = l->nkinds < LEDGER_KIND_HINTS ? l->nkinds++ : LEDGER_KIND_HINTS - 1;
  seal_strcopy(l->kinds[slot].kind, sizeof l->kinds[slot].kind, kind);
  seal_strcopy(l->kinds[slot].schema_hash, LEDGER_HASH_MAX, schema_hash);
  memcpy(l->kinds[slot].names, names, off + 1);
  pthread_mutex_unlock(&l->hmu);
}

/* 1 when the canonical object text `t` (n bytes) has every top-level member of `names`
 * ("a\0b\0\0", at most 64 of them), found in one pass over the text. A key written with an
 * escape is not recognised: the writer then checks the parsed payload itself. */
static int text_has_members(const char *t, size_t n, const char *names)
{
  const char *nm[64];
  size_t nl[64], want = 0, i = 1;
  uint64_t seen = 0;
  int depth = 0;
  for (const char *p = names; *p; p += strlen(p) + 1) {
    if (want == 64)
      return 0;
    nm[want] = p;
    nl[want++] = strlen(p);
  }
  if (!want)
    return 1;
  if (n < 2 || t[0] != '{')
    return 0;
  while (i < n) {
    char c = t[i];
    if (c == '"') { /* a string: a key when depth is 0 and a ':' follows */
      size_t j = i + 1;
      int esc = 0;
      while (j < n) {
        j += seal_json_plain_prefix(t + j, n - j);
        if (j >= n || t[j] == '"')
          break;
        if (t[j] == '\\') {
          esc = 1;
          j++;
        }
        j++; /* the escaped byte, or a control byte */
      }
      if (j >= n)
        return 0;
      if (depth == 0 && !esc && j + 1 < n && t[j + 1] == ':')
        for (size_t k = 0; k < want; k++)
          if (j - i - 1 == nl[k] && memcmp(t + i + 1, nm[k], nl[k]) == 0)
            seen |= 1ULL << k;
      i = j + 1;
      continue;
    }
    if (c == '{' || c == '[')
      depth++;
    else if (c == '}' || c == ']')
      depth--;
    i++;
  }
  return seen == (want == 64 ? ~0ULL : (1ULL << want) - 1);
}

/* Copies the hinted schema hash and checks the hinted required members against payload (or,
 * when payload is NULL, against the canonical text). 1 when the hint exists and the payload has
 * every member, else 0. */
int ledger__kind_hint_get(ledger *l, const char *kind, const json_t *payload, const char *text,
                          size_t text_len, char schema_hash[LEDGER_HASH_MAX])
{
  char names[LEDGER_KIND_NAMES];
  int found = 0;
  pthread_mutex_lock(&l->hmu);
  for (int i = 0; i < l->nkinds; i++)
    if (strcmp(l->kinds[i].kind, kind) == 0) {
      seal_strcopy(schema_hash, LEDGER_HASH_MAX, l->kinds[i].schema_hash);
      memcpy(names, l->kinds[i].names, sizeof names);
      found = 1;
      break;
    }
  pthread_mutex_unlock(&l->hmu);
  if (!found)
    return 0;
  if (!payload)
    return text_has_members(text, text_len, names);
  for (const char *nm = names; *nm; nm += strlen(nm) + 1)
    if (!json_object_get(payload, nm))
      return 0;
  return 1;
}

void ledger__run_hint_put(ledger *l, const char *run_id, const char *producer)
{
  if (!l || strlen(run_id) >= LEDGER_ID_MAX || (producer && strlen(producer) >= LEDGER_ID_MAX))
    return;
  pthread_mutex_lock(&l->hmu);
  int slot = -1;
  for (int i = 0; i < LEDGER_RUN_HINTS; i++)
    if (strcmp(l->runs[i].run_id, run_id) == 0)
      slot = i;
  if (slot < 0) {
    slot = l->next_run_hint;
    l->next_run_hint = (l->next_run_hint + 1) % LEDGER_RUN_HINTS;
  }
  seal_strcopy(l->runs[slot].run_id, LEDGER_ID_MAX, run_id);
  seal_strcopy(l->runs[slot].producer, LEDGER_ID_MAX, producer ? producer : "");
  l->runs[slot].has_producer = producer != NULL;
  pthread_mutex_unlock(&l->hmu);
}

/* 1 found (producer filled, "" + *has = 0 when the run has none), 0 unknown. */
int ledger__run_hint_get(ledger *l, const char *run_id, char producer[LEDGER_ID_MAX], int *has)
{
  int found = 0;
  pthread_mutex_lock(&l->hmu);
  for (int i = 0; i < LEDGER_RUN_HINTS; i++)
    if (l->runs[i].run_id[0] && strcmp(l->runs[i].run_id, run_id) == 0) {
      seal_strcopy(producer, LEDGER_ID_MAX, l->runs[i].producer);
      *has = l->runs[i].has_producer;
      found = 1;
      break;
    }
  pthread_mutex_unlock(&l->hmu);
  return found;
}

void ledger__hints_free(ledger *l)
{
  l->nkinds = 0;
  ledger__ac_clear(l);
}

/* ---- the writer's append cache (struct ledger ac) --------------------------------------------- */

static const char SQL_DATA_VERSION[] = "PRAGMA data_version";

void ledger__ac_clear(ledger *l)
{
  for (int i = 0; i < l->ac.nkinds; i++)
    free(l->ac.kinds[i].required);
  l->ac.nkinds = 0;
  for (int i = 0; i < LEDGER_AC_RUNS; i++)
    l->ac.runs[i].run_id[0] = '\0';
}

struct ledger_ac_run *ledger__ac_run(ledger *l, const char *run_id)
{
  for (int i = 0; i < LEDGER_AC_RUNS; i++)
    if (l->ac.runs[i].run_id[0] && strcmp(l->ac.runs[i].run_id, run_id) == 0)
      return &l->ac.runs[i];
  return NULL;
}

int ledger__ac_begin(ledger *l, lconn *c)
{
  if (!l->ac_on || c != l->wconn || !c->db)
    return 0;
  if (l->ac.gen != l->txn_gen) {
    db_stmt *st = ledger__stmt(c, SQL_DATA_VERSION, NULL);
    long long dv;
    if (!st || db_step(st) != SQLITE_ROW) {
      if (st)
        db_reset(st);
      ledger__ac_clear(l);
      return 0;
    }
    dv = (long long)db_column_int64(st, 0);
    db_reset(st);
    if (dv != l->ac.data_version) /* another connection committed since: nothing cached holds */
      ledger__ac_clear(l);
    l->ac.data_version = dv;
    l->ac.gen = l->txn_gen;
  }
  return 1;
}

int ledger__ac_kind(ledger *l, const char *kind, const char **schema_hash, const char **required)
{
  for (int i = 0; i < l->ac.nkinds; i++)
    if (strcmp(l->ac.kinds[i].kind, kind) == 0) {
      *schema_hash = l->ac.kinds[i].schema_hash;
      *required = l->ac.kinds[i].required;
      return 1;
    }
  return 0;
}

void ledger__ac_put_run(ledger *l, const char *run_id, const char *producer, int64_t next_seq)
{
  if (!l->ac_on || strlen(run_id) >= sizeof l->ac.runs[0].run_id ||
      (producer && strlen(producer) >= sizeof l->ac.runs[0].producer))
    return;
  struct ledger_ac_run *r = ledger__ac_run(l, run_id);
  if (!r) { /* a free entry, else the oldest filled */
    r = &l->ac.runs[l->ac.next_run];
    l->ac.next_run = (l->ac.next_run + 1) % LEDGER_AC_RUNS;
  }
  memcpy(r->run_id, run_id, strlen(run_id) + 1);
  r->has_producer = producer != NULL;
  if (producer)
    memcpy(r->producer, producer, strlen(producer) + 1);
  r->next_seq = next_seq;
}

void ledger__ac_put_kind(ledger *l, const char *kind, const char *schema_hash, const char *required)
{
  const char *sh, *rq;
  char *copy;
  if (!l->ac_on || l->ac.nkinds >= LEDGER_AC_KINDS || ledger__ac_kind(l, kind, &sh, &rq) ||
      strlen(kind) >= sizeof l->ac.kinds[0].kind ||
      strlen(schema_hash) >= sizeof l->ac.kinds[0].schema_hash || !(copy = strdup(required)))
    return;
  memcpy(l->ac.kinds[l->ac.nkinds].kind, kind, strlen(kind) + 1);
  memcpy(l->ac.kinds[l->ac.nkinds].schema_hash, schema_hash, strlen(schema_hash) + 1);
  l->ac.kinds[l->ac.nkinds].required = copy;
  l->ac.nkinds++;
}
