#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/examples.sh — the runnable examples stay runnable: examples/http/run.sh (token call,
# receipt verified, unauthenticated call refused) and examples/ci/run.sh (the exit status of the
# wrapped test command is kept, the exported Work Receipt verifies and carries the outcome).
# examples/delegation/run.sh has its own test (delegation.sh). Exit 77 = skipped.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null || { echo "SKIP: python3 needed"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# http: stdout is the identity JSON, then the verdict of its receipt
WORKLEDGER_BIN=$W bash "$SRC/examples/http/run.sh" > "$T/http.out" 2> "$T/http.err" || bad "http example exited $?: $(cat "$T/http.err")"
python3 - "$T/http.out" "$T/http.err" <<'PY' || bad "http example output: $(cat "$T/http.out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
ident, verdict = json.loads(lines[0]), json.loads(lines[1])
assert set(ident) >= {"motebit_id", "public_key", "did"}, ident
assert verdict["valid"] is True and verdict["kind"] == "tool_invocation_receipt", verdict
assert verdict["signer"] == ident["did"], (verdict, ident)
assert "401" in open(sys.argv[2]).read()
PY

# ci: a passing and a failing test command
check_ci() { # DIR WANT_RC OUTCOME CMD...
  local dir=$1 want=$2 outcome=$3; shift 3
  WORKLEDGER_BIN=$W bash "$SRC/examples/ci/run.sh" "$dir" -- "$@" > "$T/ci.out" 2> "$T/ci.err"
  local rc=$?
  [ "$rc" = "$want" ] || { bad "ci example with '$*': exit $rc, want $want: $(cat "$T/ci.err")"; return; }
  "$W" verify "$dir/receipt.json" > /dev/null || bad "ci receipt does not verify"
  python3 - "$dir" "$outcome" <<'PY' || bad "ci receipt content ($outcome)"
import json, sys, os
d, outcome = sys.argv[1], sys.argv[2]
r = json.load(open(os.path.join(d, "receipt.json")))
assert r["outcome"]["status"] == outcome, r["outcome"]
for f in ("store-export.json", "projection-manifest.json"):
    json.load(open(os.path.join(d, f)))
PY
}
check_ci "$T/ok" 0 success sh -c 'echo 3 passed'
check_ci "$T/ko" 3 failure sh -c 'echo 1 failed; exit 3'
[ $fail = 0 ] && echo "examples: all checks passed"
exit $fail
