/* SPDX-License-Identifier: Apache-2.0
 * ledger/work_evidence.c — evidence recorded by a tool call without holding the Store's writer
 * (spec/store.md "One call, one transaction"). Inside a call's scope, ledger_work_evidence does
 * not run its write as a step (the writer would then wait for this thread to sign the call's
 * receipt before it could commit anything else): the lease is checked on a reader connection,
 * the evidence.referenced event is prepared here (canonical text, hashes), and its append is
 * deferred to the call's commit (ledger__scope_defer), which checks the lease again inside the
 * transaction and then appends it, together with the call's own event, in one group commit.
 * A lease that ended in between fails the whole commit: nothing of the call is kept. SQLite
 * Stores only: on PostgreSQL the lease check takes row locks, so the write stays a step. */
#include "ledger/work_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct ev_defer {
  char lease_id[LEDGER_ID_MAX];
  char run_id[LEDGER_ID_MAX];
  json_int_t want_token;
  ledger_event_prep *prep;
} ev_defer;

/* Writer thread, at the call's commit. */
static int ev_defer_fn(ledger_txn *t, void *payload, ledger_err *err)
{
  ev_defer *d = payload;
  ledger__lease_row r;
  int rc;
  if ((rc = ledger__lease_get(t->c, d->lease_id, &r, err)) ||
      (rc = ledger__lease_usable(t, &r, d->want_token, err)))
    return rc;
  if (strcmp(r.run_id, d->run_id) != 0) /* a lease never changes runs: a Store that lies */
    return ledger__errf(err, LEDGER_ERROR, 0, "lease %s moved from run %s to %s", d->lease_id,
                        d->run_id, r.run_id);
  return ledger_txn_event_append_prepared(t, d->prep, NULL, err);
}

static void ev_defer_free(void *payload)
{
  ev_defer *d = payload;
  ledger_event_prep_free(d->prep);
  free(d);
}

int ledger__evidence_defer(ledger *l, const char *lease_id, json_int_t want_token, json_t *payload,
                           const char *key, const char *id_name, const char *id, json_t **out,
                           ledger_err *err)
{
  ledger__lease_row r;
  ev_defer *d;
  lconn *c;
  int rc;
  *out = NULL;
  /* PostgreSQL (a Store URI): no reader is taken only to be put back */
  if (!ledger_defers_writes(l) || !ledger__scope_owns(l) || !lease_id)
    return LEDGER__NOT_DEFERRED;
  if (!(c = ledger__reader_get(l, NULL)))
    return LEDGER__NOT_DEFERRED;
  ledger_txn t = {l, c};
  rc = ledger__lease_get(c, lease_id, &r, err);
  if (rc == LEDGER_OK)
    rc = ledger__lease_usable(&t, &r, want_token, err);
  ledger__reader_put(l, c);
  if (rc != LEDGER_OK)
    return rc; /* what the write would have said: a tool error, with the call's receipt */
  if (!(d = calloc(1, sizeof *d)))
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  seal_strcopy(d->lease_id, sizeof d->lease_id, r.lease_id);
  seal_strcopy(d->run_id, sizeof d->run_id, r.run_id);
  d->want_token = want_token;
  if (json_object_set_new(payload, "lease_id", json_string(r.lease_id)) != 0) {
    free(d);
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  }
  ledger_event_in ev = {r.run_id, "evidence.referenced", key, NULL, NULL, payload};
  if ((rc = ledger_event_prepare(l, &ev, &d->prep, err)) != LEDGER_OK) {
    free(d);
    return rc;
  }
  *out = json_pack("{s:s,s:s,s:s}", id_name, id, "run_id", r.run_id, "lease_id", r.lease_id);
  if (!*out || ledger__scope_defer(l, ev_defer_fn, d, ev_defer_free) != 0) {
    json_decref(*out);
    *out = NULL;
    ev_defer_free(d);
    json_object_del(payload, "lease_id"); /* as it came: the caller writes it now */
    return LEDGER__NOT_DEFERRED;
  }
  return LEDGER_OK;
}
