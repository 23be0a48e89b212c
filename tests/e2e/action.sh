#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/action.sh — the GitHub Action (issue #16), run locally: action.yml is a composite
# action with the inputs command, export-path, receipt-path, manifest-path and work-id, each
# handed to scripts/action.sh, and examples/ci/github-workflow.yml uses it. scripts/action.sh
# with a passing and a failing command: the command's output passes through, the exit status
# is the command's, and the three files (Store export, signed receipt, projection manifest)
# are written in both cases and validate (schemas of ../shared/fixtures/motus, digest, lineage,
# Level 1 via tests/e2e/lib/motus_check.py); they equal a fresh export of the run byte for byte
# (deterministic); the receipt names a ci actor and trigger, verifies with `workledger verify`;
# $GITHUB_OUTPUT receives run-id, receipt-id, outcome and exit-status; bad inputs exit 2.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${WL_SHARED_DIR:-}
HERE=$(cd "$(dirname "$0")" && pwd)
SCHEMAS=$SHARED/fixtures/motus/schemas
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "SKIP: python3-jsonschema missing"; exit 77; }
[ -d "$SCHEMAS" ] || { echo "SKIP: no Motus schemas in ${SHARED:-../shared}"; exit 77; }
case $W in /*) ;; *) W=$PWD/$W ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
unset MOTUS_KERNEL_STORE_PATH MOTUS_STORE_PATH MOTUS_WORK_STORE_BRIDGE
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d.get(k) if isinstance(d,dict) else None
print("" if d is None else d)' "$@"; }

# ---- action.yml and the example that uses it ------------------------------------------------------
if python3 -c 'import yaml' 2>/dev/null; then
  python3 - "$SRC" <<'PY' > yml.out 2>&1 && ok "action.yml: composite, the inputs, each handed to scripts/action.sh; examples/ci uses it" || { bad "action.yml"; cat yml.out; }
import os, sys, yaml
src = sys.argv[1]
a = yaml.safe_load(open(os.path.join(src, "action.yml")))
assert a["runs"]["using"] == "composite", a["runs"]
ins = a["inputs"]
for k in ("command", "export-path", "receipt-path", "work-id", "manifest-path"):
    assert k in ins, k
assert ins["command"]["required"] is True
steps = a["runs"]["steps"]
run = [s for s in steps if "scripts/action.sh" in s.get("run", "")]
assert len(run) == 1, steps
env = run[0]["env"]
for k, var in (("command", "WL_ACTION_COMMAND"), ("export-path", "WL_ACTION_EXPORT_PATH"),
               ("receipt-path", "WL_ACTION_RECEIPT_PATH"), ("manifest-path", "WL_ACTION_MANIFEST_PATH"),
               ("work-id", "WL_ACTION_WORK_ID")):
    assert env[var] == "${{ inputs.%s }}" % k, (var, env.get(var))
assert all(s.get("shell") == "bash" for s in steps), steps
assert any("cmake --install" in s.get("run", "") for s in steps), "builds and installs workledger"
for k in ("run-id", "receipt-id", "outcome", "exit-status"):
    assert k in a["outputs"], k
wf = yaml.safe_load(open(os.path.join(src, "examples/ci/github-workflow.yml")))
uses = [s for j in wf["jobs"].values() for s in j["steps"] if s.get("uses") == "./"]
assert uses and {"command", "export-path", "receipt-path"} <= set(uses[0]["with"]), uses
PY
else
  echo "skip action.yml parsing: python3-yaml missing"
fi

# ---- scripts/action.sh, a passing command ------------------------------------------------------------
mkdir job && cd job || exit 1
: > gh_output
WORKLEDGER_BIN=$W GITHUB_OUTPUT=$T/job/gh_output GITHUB_WORKFLOW=tests GITHUB_RUN_ID=4242 \
  WL_ACTION_COMMAND='echo "3 passed"; echo "a warning" >&2' \
  WL_ACTION_EXPORT_PATH=art/export.json WL_ACTION_RECEIPT_PATH=art/receipt.json \
  WL_ACTION_MANIFEST_PATH=art/projection-manifest.json \
  bash "$SRC/scripts/action.sh" > out.txt 2> err.txt; rc=$?
check "passing command: exit 0, its output passes through" '[ $rc = 0 ] && [ "$(cat out.txt)" = "3 passed" ] && grep -q "^a warning$" err.txt'
mkdir -p v1 && cp art/export.json v1/store-export.json && cp art/receipt.json v1/receipt.json && cp art/projection-manifest.json v1/projection-manifest.json
if python3 "$HERE/lib/motus_check.py" "$SCHEMAS" v1 --level 1; then ok "the three files validate (schemas, digest, lineage, Level 1)"; else bad "the three files do not validate"; fi
check "the receipt: ci actor and trigger, success, work id from the run id" '[ "$(jget art/receipt.json actor.type)" = ci ] && [ "$(jget art/receipt.json actor.id)" = tests ] && [ "$(jget art/receipt.json trigger.kind)" = ci ] && [ "$(jget art/receipt.json outcome.status)" = success ] && [ "$(jget art/receipt.json work_id)" = ci-4242 ]'
"$W" verify art/receipt.json > ver.json
check "the receipt verifies (signed)" 'grep -q "\"valid\":true" ver.json'
RUN=$(sed -n 's/^run-id=//p' gh_output)
check "GITHUB_OUTPUT: run-id, receipt-id, outcome, exit-status" '[ -n "$RUN" ] && grep -qx "outcome=success" gh_output && grep -qx "exit-status=0" gh_output && grep -qx "receipt-id=$(jget art/receipt.json receipt_id)" gh_output'
"$W" work receipt "$RUN" --export again > /dev/null
check "deterministic: a fresh export of the run gives the same bytes" 'cmp -s again/store-export.json art/export.json && cmp -s again/receipt.json art/receipt.json && cmp -s again/projection-manifest.json art/projection-manifest.json'
check "the Store run is in the job's .motus" '"$W" run list --json | grep -q "$RUN"'

# ---- a failing command: its status, and the files anyway (defaults) --------------------------------
WORKLEDGER_BIN=$W WL_ACTION_COMMAND='echo "1 failed"; exit 3' WL_ACTION_WORK_ID=job-7 \
  bash "$SRC/scripts/action.sh" > out2.txt 2> err2.txt; rc=$?
check "failing command: exit 3 (the command's)" '[ $rc = 3 ] && [ "$(cat out2.txt)" = "1 failed" ]'
check "failing command: the default files are written" '[ -f motus-run-export.json ] && [ -f motus-receipt.json ] && [ -f motus-projection-manifest.json ]'
mkdir -p v2 && cp motus-run-export.json v2/store-export.json && cp motus-receipt.json v2/receipt.json && cp motus-projection-manifest.json v2/projection-manifest.json
if python3 "$HERE/lib/motus_check.py" "$SCHEMAS" v2 --level 1; then ok "the failing run's files validate"; else bad "the failing run's files"; fi
check "failing command: outcome failure, work id as given" '[ "$(jget motus-receipt.json outcome.status)" = failure ] && [ "$(jget motus-receipt.json work_id)" = job-7 ]'

# ---- bad inputs -----------------------------------------------------------------------------------------
WORKLEDGER_BIN=$W WL_ACTION_COMMAND= bash "$SRC/scripts/action.sh" 2> e3.txt; rc=$?
check "an empty command: exit 2, one line" '[ $rc = 2 ] && [ "$(wc -l < e3.txt)" = 1 ] && grep -q command e3.txt'
WORKLEDGER_BIN=$T/nope WL_ACTION_COMMAND=true bash "$SRC/scripts/action.sh" 2> e4.txt; rc=$?
check "no binary: exit 125 saying so" '[ $rc = 125 ] && grep -q "no workledger binary" e4.txt'

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "action: all checks passed"
