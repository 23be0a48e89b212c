#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/pg_store_copy.sh — moving a Store between engines (issue #18), on a throwaway
# PostgreSQL cluster (tests/support/pg.sh): a SQLite Store with closed and open runs, evidence,
# receipts, a memory and a lock is copied to PostgreSQL with `store copy`; the same events
# exported from either engine (`work receipt RUN --export`: receipt, Store export, projection
# manifest) are byte-identical and the receipts verify; copying again writes nothing; a copy of a
# grown source writes only what is new (resumable); copying back to a new SQLite file gives the
# same rows, byte for byte, in every table (kind registrations: the same kinds and schema hashes);
# a source whose event was tampered with is refused with the event named; a database left at
# schema version 3 is migrated to 4.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
W=$(cd "$(dirname "$W")" && pwd)/$(basename "$W")
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
# shellcheck source=tests/support/pg.sh
. "$SRC/tests/support/pg.sh"
pg_start
rc=$?
[ $rc -eq 0 ] || exit $rc
T=$(mktemp -d)
trap 'rm -rf "$T"; pg_stop' EXIT
cd "$T" || exit 1
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
jget() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$@"; }
S=$T/.motus/kernel-store.db
P=$(pg_newdb moved) || exit 1
"$W" init --quiet || { bad init; exit 1; }
work_cycle() { # work id -> a closed run with evidence and a receipt
  "$W" --json work claim "$1" --intent "move me" > claim.json || return 1
  local L
  L=$(jget claim.json lease_id)
  "$W" work evidence "$L" test_result --passed 3 > /dev/null || return 1
  "$W" work release "$L" success --summary "done $1" > /dev/null
}
"$W" wrap -- echo hello > /dev/null 2>&1 || bad "wrap"
work_cycle W-ONE || bad "work cycle W-ONE"
"$W" --json work claim W-OPEN > open.json || bad "open claim"

# ---- copy to PostgreSQL ---------------------------------------------------------------------------
"$W" store copy --from "$S" --to "$P" --json > c1.json; rc=$?
[ $rc = 0 ] && ok "store copy SQLite -> PostgreSQL" || bad "copy to PostgreSQL: exit $rc"
"$W" store copy --from "$S" --to "$P" --json > c2.json
[ "$(jget c2.json written)" = 0 ] && ok "copying again writes nothing" || bad "second copy wrote $(jget c2.json written)"
# ---- the same events exported from either engine: identical bytes ------------------------------
exports_equal() { # sqlite-store pg-store -> 0 when every closed run exports identically
  local r n=0
  for r in $(python3 -c 'import sqlite3,sys; [print(x[0]) for x in sqlite3.connect(sys.argv[1]).execute("select run_id from runs where status=\"closed\" order by run_id")]' "$1"); do
    rm -rf "xs" "xp"
    "$W" --store "$1" work receipt "$r" --export xs > /dev/null || return 1
    "$W" --store "$2" work receipt "$r" --export xp > /dev/null || return 1
    for f in receipt.json store-export.json projection-manifest.json; do
      cmp -s "xs/$f" "xp/$f" || { echo "     $r: $f differs"; return 1; }
    done
    "$W" verify xp/receipt.json > /dev/null 2>&1 || { echo "     $r: the receipt from PostgreSQL does not verify"; return 1; }
    n=$((n + 1))
  done
  echo "     $n closed runs compared"
  [ $n -ge 2 ]
}
exports_equal "$S" "$P" && ok "receipt, Store export and manifest byte-identical from SQLite and PostgreSQL; receipts verify" || bad "exports differ"
"$W" --store "$P" doctor > doctor.txt 2>&1 && ok "doctor passes on the copy" || { bad "doctor on the copy"; grep -v PASS doctor.txt; }

# ---- resumable: the source grows, the next copy writes only what is new ------------------------
work_cycle W-TWO || bad "work cycle W-TWO"
"$W" store copy --from "$S" --to "$P" --json > c3.json
w3=$(jget c3.json written)
[ "$w3" -gt 0 ] && [ "$(jget c3.json skipped)" -ge "$(jget c1.json written)" ] && ok "a later copy writes only the new rows ($w3)" || bad "resume: written $w3, skipped $(jget c3.json skipped)"
exports_equal "$S" "$P" > /dev/null && ok "and the new run exports identically" || bad "exports differ after resume"

# ---- back to SQLite: every row the same ---------------------------------------------------------
"$W" store copy --from "$P" --to "$T/back.db" > /dev/null; rc=$?
[ $rc = 0 ] && ok "store copy PostgreSQL -> SQLite" || bad "copy back: exit $rc"
python3 - "$S" "$T/back.db" > same.txt <<'PY'
import sqlite3, sys
a, b = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
bad = []
for t in ["runs", "events", "locks", "receipts", "approvals", "memories", "memory_vectors", "call_replays"]:
    q = "select * from %s order by 1, 2" % t
    if a.execute(q).fetchall() != b.execute(q).fetchall():
        bad.append(t)
q = "select event_kind, schema_version, required_payload, schema_hash from kind_versions order by 1"
if a.execute(q).fetchall() != b.execute(q).fetchall():
    bad.append("kind_versions")
print(" ".join(bad) if bad else "same")
PY
[ "$(cat same.txt)" = same ] && ok "SQLite -> PostgreSQL -> SQLite: every table byte for byte" || bad "round trip differs in: $(cat same.txt)"
exports_equal "$S" "$T/back.db" > /dev/null && ok "and exports identically" || bad "round-trip exports differ"

# ---- a tampered source is refused -----------------------------------------------------------------
cp "$S" bad.db
python3 - bad.db <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("drop trigger events_no_update")
c.execute("update events set payload = '{\"tool_refs\":[{\"name\":\"evil\"}]}' where event_kind = 'tool.used'")
c.commit()
PY
P2=$(pg_newdb tampered) || exit 1
"$W" store copy --from bad.db --to "$P2" > /dev/null 2> bad.err; rc=$?
[ $rc = 1 ] && grep -q "does not verify" bad.err && ok "a tampered source event is refused: $(head -c 140 bad.err)" || bad "tampered copy: exit $rc, $(cat bad.err)"

# ---- a password in the URI is never shown -------------------------------------------------------
for u in "postgresql://wl:S3cretPw@/nosuchdb?host=$WL_PG_DIR" "postgres://wl@/nosuchdb?host=$WL_PG_DIR&password=S3cretPw"; do
  "$W" --store "$u" doctor > pw.out 2> pw.err; rc=$?
  "$W" store copy --from "$u" --to "$T/pw.db" >> pw.out 2>> pw.err
  if [ $rc != 0 ] && ! grep -q S3cretPw pw.out pw.err && grep -q '\*\*\*' pw.err; then
    ok "a failing Store URI is reported without its password: $(head -c 120 pw.err)"
  else
    bad "password shown or no error: $(cat pw.out pw.err)"
  fi
done

# Schema version 4 on PostgreSQL: a database as version 3 left it (the event_id UNIQUE
# constraint, schema_version 3) is migrated on open: the constraint goes, the version is 4, the
# events stay and doctor is clean.
PSQL="$(pg_bindir)/psql"
"$PSQL" "$P" -qAtc "ALTER TABLE events ADD CONSTRAINT events_event_id_key UNIQUE (event_id);
  UPDATE wl_meta SET value = '3' WHERE key = 'schema_version'" > /dev/null 2>&1 || bad "v3 setup"
n_before=$("$PSQL" "$P" -Atc "SELECT count(*) FROM events")
MOTUS_KERNEL_STORE_PATH=$P "$W" doctor > doctor-v3.txt 2>&1
if grep -q 'schema version 4 (this build: 4)' doctor-v3.txt && grep -q '^PASS  event_hashes' doctor-v3.txt &&
  [ "$("$PSQL" "$P" -Atc "SELECT count(*) FROM pg_constraint WHERE conname = 'events_event_id_key'")" = 0 ] &&
  [ "$("$PSQL" "$P" -Atc "SELECT count(*) FROM events")" = "$n_before" ]; then
  ok "a version 3 PostgreSQL Store is migrated to 4 (event_id constraint dropped, events kept)"
else
  bad "version 3 → 4 on PostgreSQL"; cat doctor-v3.txt
fi

echo "pg_store_copy: $fails failures"
[ $fails = 0 ]
