#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/action.sh — the body of the GitHub Action (action.yml at the repository root), runnable
# anywhere: runs COMMAND under `workledger wrap` as one Store run and writes three files, the
# deterministic Store export of that run, its signed Work Receipt and the projection manifest
# that links them. The command's output streams through unchanged; the script exits with the
# command's exit status after the files are written (so a failing test still leaves its receipt).
#
# Inputs (environment; the Action maps its inputs onto them):
#   WL_ACTION_COMMAND        required: the command line, run by `sh -c` (as a CI step would)
#   WL_ACTION_EXPORT_PATH    default motus-run-export.json
#   WL_ACTION_RECEIPT_PATH   default motus-receipt.json
#   WL_ACTION_MANIFEST_PATH  default motus-projection-manifest.json
#   WL_ACTION_WORK_ID        default ci-$GITHUB_RUN_ID (ci-local outside GitHub)
#   WORKLEDGER_BIN           default: workledger on PATH
#   MOTUS_KERNEL_STORE_PATH  the Store (default .motus/kernel-store.db in the working directory)
# Outputs: run-id, receipt-id, outcome and exit-status, appended to $GITHUB_OUTPUT when set and
# printed on stderr. Exit: the command's status; 2 for bad inputs; 125 when nothing could be
# recorded.
set -u
W=${WORKLEDGER_BIN:-$(command -v workledger || true)}
[ -n "$W" ] && [ -x "$W" ] || { echo "action: no workledger binary (set WORKLEDGER_BIN or put it on PATH)" >&2; exit 125; }
CMD=${WL_ACTION_COMMAND:-}
[ -n "$CMD" ] || { echo "action: the input 'command' is empty: name the command to run" >&2; exit 2; }
EXPORT=${WL_ACTION_EXPORT_PATH:-motus-run-export.json}
RECEIPT=${WL_ACTION_RECEIPT_PATH:-motus-receipt.json}
MANIFEST=${WL_ACTION_MANIFEST_PATH:-motus-projection-manifest.json}
WORK_ID=${WL_ACTION_WORK_ID:-ci-${GITHUB_RUN_ID:-local}}
for p in "$EXPORT" "$RECEIPT" "$MANIFEST"; do
  d=$(dirname -- "$p")
  mkdir -p -- "$d" || { echo "action: cannot create the directory of $p" >&2; exit 2; }
done

"$W" init --quiet || { echo "action: workledger init failed" >&2; exit 125; }
TMP=$(mktemp -d) || exit 125
trap 'rm -rf "$TMP"' EXIT
ACTOR="ci:${GITHUB_WORKFLOW:-local}"

# The command, recorded: stdout passes straight through, stderr through tee (live), and wrap's
# one-line JSON summary is the last stderr line.
{ "$W" wrap --json --work-id "$WORK_ID" --actor "$ACTOR" --trigger ci -- sh -c "$CMD" 2>&1 1>&3 3>&- |
  tee "$TMP/wrap.err" >&2; } 3>&1
status=${PIPESTATUS[0]}
summary=$(tail -n 1 "$TMP/wrap.err")
read -r RUN_ID OUTCOME RECEIPT_ID < <(printf '%s' "$summary" | python3 -c '
import json, sys
try:
    r = json.loads(sys.stdin.read())
    print(r["run_id"], r["outcome"], r.get("receipt_id") or "-")
except Exception:
    print("- - -")')
if [ "${RUN_ID:--}" = - ]; then
  echo "action: the run was not recorded: $summary" >&2
  exit 125
fi

"$W" work receipt "$RUN_ID" --export "$TMP/export" > /dev/null || { echo "action: cannot export run $RUN_ID" >&2; exit 125; }
cp "$TMP/export/store-export.json" "$EXPORT" &&
  cp "$TMP/export/receipt.json" "$RECEIPT" &&
  cp "$TMP/export/projection-manifest.json" "$MANIFEST" || { echo "action: cannot write the files" >&2; exit 125; }
RECEIPT_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["receipt_id"])' "$RECEIPT")

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "run-id=$RUN_ID"; echo "receipt-id=$RECEIPT_ID"; echo "outcome=$OUTCOME"; echo "exit-status=$status"; } >> "$GITHUB_OUTPUT"
fi
echo "workledger: run $RUN_ID ($OUTCOME, exit $status); receipt $RECEIPT_ID" >&2
echo "workledger: wrote $EXPORT, $RECEIPT, $MANIFEST (check: workledger verify $RECEIPT)" >&2
exit "$status"
