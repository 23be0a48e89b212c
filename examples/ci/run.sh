#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/ci/run.sh — workledger in a CI job: the job claims its work item, runs the test command
# under `wrap` (output streamed through unchanged, the run recorded), attaches the outcome as
# evidence, releases the lease, and exports the signed Work Receipt with its store export and
# projection manifest as build artifacts, which anyone can check later with `workledger verify`.
# Usage: examples/ci/run.sh [ARTIFACT_DIR] [-- TEST_CMD ...]
#   default TEST_CMD: a tiny stand-in test; WORKLEDGER_BIN names the binary.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=${WORKLEDGER_BIN:-$HERE/../../build/release/workledger}
case $W in /*) ;; *) W=$PWD/$W ;; esac
[ -x "$W" ] || { echo "run.sh: no workledger binary at $W (make build, or set WORKLEDGER_BIN)" >&2; exit 2; }
OUT=${1:-ci-receipt}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || set -- sh -c 'echo "running 3 tests"; echo "3 passed"'
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)

# The job's Store: a temporary one here; a real job would keep .motus/ in its workspace cache.
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S="$T/.motus/kernel-store.db"
"$W" init --path "$T" --quiet
WORK_ID=${CI_JOB_ID:-ci-local-$(date +%s)}

# 1. Claim the work item (a second job claiming it now would get BUSY).
LEASE=$("$W" --store "$S" work claim "$WORK_ID" --intent "CI: run the test suite" --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["lease_id"])')

# 2. The tests, under wrap: their output passes through, their exit status is kept.
set +e
"$W" --store "$S" wrap --work-id "$WORK_ID" -- "$@"
rc=$?
set -e

# 3. Evidence and release with the outcome.
if [ $rc -eq 0 ]; then
  "$W" --store "$S" work evidence "$LEASE" test_result --passed 1 --failed 0 --summary "$* exited 0"
  outcome=success
else
  "$W" --store "$S" work evidence "$LEASE" test_result --passed 0 --failed 1 --summary "$* exited $rc"
  outcome=failure
fi
"$W" --store "$S" work release "$LEASE" "$outcome" >/dev/null

# 4. The signed receipt and its sources as artifacts, checked before they are published.
"$W" --store "$S" work receipt "$LEASE" --export "$OUT" >/dev/null
"$W" verify "$OUT/receipt.json" >&2
echo "receipt: $OUT/receipt.json (outcome $outcome)" >&2
exit $rc
