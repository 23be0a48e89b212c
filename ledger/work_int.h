/* SPDX-License-Identifier: Apache-2.0
 * ledger/work_int.h — internal to the work loop (ledger/work.c, work_lease.c, work_views.c,
 * doctor.c): the lease row of a run as read inside a transaction, the expiry rule, closing the
 * run of an expired lease, and the holder of a busy work id. Not a public header: callers
 * outside ledger/ use ledger/work.h. */
#ifndef WL_LEDGER_WORK_INT_H
#define WL_LEDGER_WORK_INT_H

#include "ledger/ledger_int.h"
#include "ledger/work.h"

/* A lease as stored in its run's row (spec/store.md §5). */
typedef struct ledger__lease_row {
  char run_id[LEDGER_ID_MAX];
  char lease_id[LEDGER_ID_MAX];
  char work_id[LEDGER_ID_MAX];
  char status[16]; /* run status: open | closed */
  char lease_status[16];
  char expires_at[LEDGER_TS_MAX];
  int64_t token;
} ledger__lease_row;

/* The lease `id` (a lease id, or the run id of a lease) into *r.
 * @return LEDGER_OK, LEDGER_EINVAL (no id), LEDGER_ENOTFOUND, LEDGER_ERROR. */
int ledger__lease_get(lconn *c, const char *id, ledger__lease_row *r, ledger_err *err);

/* May evidence (or a decision) be recorded on lease r now: open, not past expires_at, active,
 * `want_token` (-1: any) its current fencing token, and the work's lock still held with it.
 * @return LEDGER_OK, LEDGER_ECLOSED, LEDGER_EEXPIRED, LEDGER_ESTALE, or the Store error. */
int ledger__lease_usable(ledger_txn *t, const ledger__lease_row *r, json_int_t want_token,
                         ledger_err *err);

/* Inside a tool call's scope (SQLite Stores): checks lease `lease_id` now, on a reader
 * connection, sets payload's "lease_id", prepares the evidence.referenced event (key `key`)
 * and defers its append to the call's commit, which checks the lease again first
 * (ledger__scope_defer). *out (new) is {id_name: id, run_id, lease_id}: no seq, which only the
 * commit assigns. Returns LEDGER_OK; the lease's error (as ledger__lease_usable, or
 * LEDGER_ENOTFOUND) when it cannot take evidence now; LEDGER__NOT_DEFERRED when there is no
 * scope, the Store is PostgreSQL, or the scope already ran a step: then nothing was done and
 * the caller appends now. `payload` borrowed. */
#define LEDGER__NOT_DEFERRED 1000
int ledger__evidence_defer(ledger *l, const char *lease_id, json_int_t want_token, json_t *payload,
                           const char *key, const char *id_name, const char *id, json_t **out,
                           ledger_err *err);

/* 1 when the lease has expired: marked "expired", or still "active" with expires_at <= now. */
int ledger__lease_past(const ledger__lease_row *r);

/* The lease's status as a reader should see it: "expired" for an active lease past expires_at,
 * else the stored status. `stored` and `expires_at` borrowed (may be NULL). */
const char *ledger__lease_status_now(const char *stored, const char *expires_at);

/* Ends an expired lease: when its run is open, appends work.closed {outcome{status:"unknown",
 * summary, closed_at}, acceptance{status:"rejected", method:"lease_expired"},
 * route_summary{status:"blocked"}, handoff{status:"none"}, redaction{status:"none"},
 * lease_expiry{lease_id, expires_at, noticed_by}} (key "expire:<lease_id>"); marks the lease
 * "expired"; frees its lock when its token is still current. `by` names who noticed
 * ("release", "claim", "doctor"). @return LEDGER_OK or the Store error. */
int ledger__lease_expire(ledger_txn *t, const ledger__lease_row *r, const char *by,
                         ledger_err *err);

/* Ends every expired lease whose run is still open (of `work_id`, or all when NULL).
 * @param count_out may be NULL. */
int ledger__leases_expire_due(ledger_txn *t, const char *work_id, const char *by, int *count_out,
                              ledger_err *err);

/* The active lease holding `work_id` as {work_id, lease_id, run_id, actor_id, expires_at,
 * fencing_token} (new), or NULL when there is none. */
json_t *ledger__lease_holder(lconn *c, const char *work_id);

/* Parses "[TYPE:]ID" (TYPE one of human, agent, service, ci, tool; default `dflt_type`) into a
 * new {type, id}; NULL with err (LEDGER_EINVAL, naming `what`) when malformed. */
json_t *ledger__actor_parse(const char *s, const char *dflt_type, const char *what,
                            ledger_err *err);

#endif
