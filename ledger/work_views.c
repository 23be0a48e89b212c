/* SPDX-License-Identifier: Apache-2.0
 * ledger/work_views.c — the read side of the Motus work loop (ledger/work.h): the Work Receipt
 * of a closed run (the stored one, else built and signed now), the export with the store export
 * and projection manifest, the status and packet projections of a run's events, and the list of
 * leases. Each runs on a reader connection inside one read transaction; nothing is written. */
#include "ledger/work_int.h"

#include <stdio.h>
#include <string.h>

/* ---- read side ------------------------------------------------------------------------------ */

struct view {
  const ledger_work_ctx *ctx;
  const json_t *args;
  json_t *out;
};

static int closed_run(lconn *c, const json_t *args, char run_id[LEDGER_ID_MAX], ledger_err *err)
{
  const char *id = ledger__arg_str(args, "id");
  if (!id)
    id = ledger__arg_str(args, "lease_id");
  if (!id)
    id = ledger__arg_str(args, "run_id");
  int rc = ledger__resolve_id(c, id, run_id, err);
  if (rc)
    return rc;
  json_t *run = NULL;
  if ((rc = ledger__run_json(c, run_id, &run, err)))
    return rc;
  int closed = strcmp(json_string_value(json_object_get(run, "status")), "closed") == 0;
  json_decref(run);
  if (!closed)
    return ledger__errf(err, LEDGER_EINVAL, 0, "run %s is still open (release it first)", run_id);
  return LEDGER_OK;
}

static int receipt_for(lconn *c, const ledger_work_ctx *ctx, const char *run_id, const json_t *exp,
                       json_t **out, ledger_err *err)
{
  int rc = ledger__receipt_of_run(c, run_id, out, err);
  if (rc != LEDGER_ENOTFOUND)
    return rc;
  ledger_receipt_params p = {NULL, NULL, NULL, ctx ? ctx->key : NULL, ctx ? ctx->signer : NULL};
  return ledger__receipt_build(exp, &p, out, err);
}

static int receipt_view(lconn *c, void *p, ledger_err *err)
{
  struct view *v = p;
  char run_id[LEDGER_ID_MAX];
  json_t *exp = NULL;
  int rc = closed_run(c, v->args, run_id, err);
  if (rc || (rc = ledger__export_json(c, run_id, NULL, &exp, err)))
    return rc;
  rc = receipt_for(c, v->ctx, run_id, exp, &v->out, err);
  json_decref(exp);
  return rc;
}

int ledger_work_receipt(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                        ledger_err *err)
{
  struct view v = {ctx, args, NULL};
  int rc = ledger__read(l, receipt_view, &v, err);
  *out = rc ? NULL : v.out;
  return rc;
}

static int export_view(lconn *c, void *p, ledger_err *err)
{
  struct view *v = p;
  char run_id[LEDGER_ID_MAX], pid[LEDGER_ID_MAX + 16];
  json_t *exp = NULL, *receipt = NULL, *manifest = NULL;
  int rc = closed_run(c, v->args, run_id, err);
  if (rc || (rc = ledger__export_json(c, run_id, NULL, &exp, err)))
    return rc;
  if ((rc = receipt_for(c, v->ctx, run_id, exp, &receipt, err))) {
    json_decref(exp);
    return rc;
  }
  snprintf(pid, sizeof pid, "projection_%s", run_id);
  if ((rc = ledger__manifest_build(exp, receipt, pid, &manifest, err))) {
    json_decref(exp);
    json_decref(receipt);
    return rc;
  }
  v->out = json_pack("{s:o,s:o,s:o}", "receipt", receipt, "store_export", exp,
                     "projection_manifest", manifest);
  return LEDGER_OK;
}

int ledger_work_export(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                       ledger_err *err)
{
  struct view v = {ctx, args, NULL};
  int rc = ledger__read(l, export_view, &v, err);
  *out = rc ? NULL : v.out;
  return rc;
}

/* Collects a run's facts for status/packet. */
static int run_facts(lconn *c, const json_t *args, json_t **run, json_t **events, ledger_err *err)
{
  char run_id[LEDGER_ID_MAX];
  const char *id = ledger__arg_str(args, "id");
  if (!id)
    id = ledger__arg_str(args, "lease_id");
  if (!id)
    id = ledger__arg_str(args, "run_id");
  int rc = ledger__resolve_id(c, id, run_id, err);
  if (rc || (rc = ledger__run_json(c, run_id, run, err)))
    return rc;
  if ((rc = ledger__events_json(c, run_id, events, err))) {
    json_decref(*run);
    *run = NULL;
  }
  return rc;
}

static void split_evidence(const json_t *events, json_t *evidence, json_t *decisions, json_t *tools)
{
  size_t i;
  json_t *e;
  json_array_foreach(events, i, e) {
    const char *k = json_string_value(json_object_get(e, "event_kind"));
    json_t *p = json_object_get(e, "payload");
    if (strcmp(k, "tool.used") == 0 && tools) {
      json_array_extend(tools, json_object_get(p, "tool_refs"));
      continue;
    }
    if (strcmp(k, "evidence.referenced") != 0)
      continue;
    json_t *d = json_object_get(p, "decision");
    if (d) {
      json_array_append(decisions, d);
      continue;
    }
    json_array_extend(evidence, json_object_get(p, "evidence_refs"));
  }
}

static json_t *closed_of(const json_t *events)
{
  size_t n = json_array_size(events);
  json_t *last = n ? json_array_get(events, n - 1) : NULL;
  const char *k = json_string_value(json_object_get(last, "event_kind"));
  return k && strcmp(k, "work.closed") == 0 ? json_object_get(last, "payload") : NULL;
}

static int status_view(lconn *c, void *p, ledger_err *err)
{
  struct view *v = p;
  json_t *run = NULL, *events = NULL;
  int rc = run_facts(c, v->args, &run, &events, err);
  if (rc)
    return rc;
  json_t *evidence = json_array(), *decisions = json_array();
  split_evidence(events, evidence, decisions, NULL);
  json_t *o = json_pack("{s:O,s:O,s:I,s:o,s:o}", "run_id", json_object_get(run, "run_id"), "status",
                        json_object_get(run, "status"), "events",
                        (json_int_t)json_array_size(events), "evidence", evidence, "decisions",
                        decisions);
  if (json_object_get(run, "work_id"))
    json_object_set(o, "work_id", json_object_get(run, "work_id"));
  json_t *lease = json_object_get(run, "lease");
  if (lease) {
    char ls[16] = "";
    const char *now = ledger__lease_status_now(json_string_value(json_object_get(lease, "status")),
                                               json_string_value(
                                                   json_object_get(lease, "expires_at")));
    snprintf(ls, sizeof ls, "%s", now ? now : ""); /* copied: the member is replaced below */
    if (ls[0]) {
      json_object_set_new(lease, "status", json_string(ls));
      json_object_set_new(o, "lease_status", json_string(ls));
    }
    json_object_set(o, "lease", lease);
  }
  json_t *closed = closed_of(events);
  if (closed)
    json_object_set(o, "outcome", json_object_get(closed, "outcome"));
  json_t *receipt = NULL;
  if (ledger__receipt_of_run(c, json_string_value(json_object_get(run, "run_id")), &receipt,
                             NULL) == LEDGER_OK) {
    json_object_set(o, "receipt_id", json_object_get(receipt, "receipt_id"));
    json_decref(receipt);
  }
  json_decref(run);
  json_decref(events);
  v->out = o;
  return LEDGER_OK;
}

int ledger_work_status(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                       ledger_err *err)
{
  struct view v = {ctx, args, NULL};
  int rc = ledger__read(l, status_view, &v, err);
  *out = rc ? NULL : v.out;
  return rc;
}

static const char SQL_LEASES[] =
    "SELECT lease_id, run_id, work_id, actor_id, claimed_at, expires_at, status FROM leases"
    " WHERE (?1 = 0 OR status = 'active') ORDER BY claimed_at DESC, lease_id LIMIT 1000";

static int list_view(lconn *c, void *p, ledger_err *err)
{
  struct view *v = p;
  json_t *open = json_object_get(v->args, "open");
  db_stmt *st = ledger__stmt(c, SQL_LEASES, err);
  if (!st)
    return LEDGER_ERROR;
  db_bind_int(st, 1, json_is_true(open) ? 1 : 0);
  json_t *items = json_array();
  int rc;
  while ((rc = db_step(st)) == SQLITE_ROW) {
    const char *ls = ledger__lease_status_now(COLTXT(st, 6), COLTXT(st, 5));
    if (json_is_true(open) && (!ls || strcmp(ls, "active") != 0))
      continue; /* past expires_at: no longer open */
    json_array_append_new(
        items, json_pack("{s:s,s:s,s:s?,s:s?,s:s,s:s?,s:s?}", "lease_id", COLTXT(st, 0), "run_id",
                         COLTXT(st, 1), "work_id", COLTXT(st, 2), "actor_id", COLTXT(st, 3),
                         "claimed_at", COLTXT(st, 4), "expires_at", COLTXT(st, 5), "status", ls));
  }
  db_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(items);
    return ledger__sqlerr(err, c, rc, "list leases");
  }
  v->out = json_pack("{s:I,s:o}", "count", (json_int_t)json_array_size(items), "items", items);
  return LEDGER_OK;
}

int ledger_work_list(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                     ledger_err *err)
{
  struct view v = {ctx, args, NULL};
  int rc = ledger__read(l, list_view, &v, err);
  *out = rc ? NULL : v.out;
  return rc;
}

static int packet_view(lconn *c, void *p, ledger_err *err)
{
  struct view *v = p;
  json_t *run = NULL, *events = NULL;
  int rc = run_facts(c, v->args, &run, &events, err);
  if (rc)
    return rc;
  json_t *evidence = json_array(), *decisions = json_array(), *tools = json_array();
  split_evidence(events, evidence, decisions, tools);
  json_t *first = json_object_get(json_array_get(events, 0), "payload");
  json_t *o = json_pack("{s:O,s:O,s:O,s:o,s:o,s:o}", "run_id", json_object_get(run, "run_id"),
                        "status", json_object_get(run, "status"), "started_at",
                        json_object_get(run, "started_at"), "evidence", evidence, "decisions",
                        decisions, "tools", tools);
  if (json_object_get(run, "work_id"))
    json_object_set(o, "work_id", json_object_get(run, "work_id"));
  if (json_object_get(first, "actor"))
    json_object_set(o, "owner", json_object_get(first, "actor"));
  json_t *ins = json_object_get(first, "instruction");
  if (ins)
    json_object_set_new(o, "intent",
                        json_string(json_string_value(json_object_get(ins, "summary"))
                                        ? json_string_value(json_object_get(ins, "summary"))
                                        : ""));
  if (json_object_get(run, "lease"))
    json_object_set(o, "lease", json_object_get(run, "lease"));
  json_t *closed = closed_of(events);
  if (closed) {
    json_object_set(o, "closed_at", json_object_get(run, "closed_at"));
    json_object_set(o, "outcome", json_object_get(closed, "outcome"));
    json_object_set(o, "acceptance", json_object_get(closed, "acceptance"));
    json_object_set(o, "next_route", json_object_get(closed, "route_summary"));
    json_object_set(o, "handoff", json_object_get(closed, "handoff"));
    json_t *receipt = NULL;
    if (ledger__receipt_of_run(c, json_string_value(json_object_get(run, "run_id")), &receipt,
                               NULL) == LEDGER_OK) {
      json_object_set(o, "receipt_id", json_object_get(receipt, "receipt_id"));
      json_decref(receipt);
    }
  }
  json_object_set_new(o, "events", json_integer((json_int_t)json_array_size(events)));
  json_decref(run);
  json_decref(events);
  v->out = o;
  return LEDGER_OK;
}

int ledger_work_packet(ledger *l, const ledger_work_ctx *ctx, const json_t *args, json_t **out,
                       ledger_err *err)
{
  struct view v = {ctx, args, NULL};
  int rc = ledger__read(l, packet_view, &v, err);
  *out = rc ? NULL : v.out;
  return rc;
}
