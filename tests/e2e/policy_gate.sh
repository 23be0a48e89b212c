#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/policy_gate.sh — the policy gate and config.json through the real binary over stdio
# (spec/policy.md R-POLICY-010/011/020, spec/config.md R-CONFIG-003): an invalid config.json stops
# `serve` with a message naming the key; a denylisted tool is refused with "Policy denied";
# a call budget of 1 refuses the second call; default (balanced) R0 calls run. Exit 77 = skipped.
set -u
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fail() { echo "FAIL: $*" >&2; tail -n 20 "$T/serve.err" >&2 2>/dev/null; exit 1; }

if ! "$BIN" init --quiet >/dev/null 2>"$T/init.err"; then
  echo "SKIP: workledger init is not available in this build: $(head -n1 "$T/init.err")"
  exit 77
fi

# session TOOL... : one stdio session calling each tool in turn (ids 10, 11, ...); prints the
# tools/call responses in id order.
session() {
  local i=10 lines=()
  lines+=('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"policy-e2e","version":"1"}}}')
  lines+=('{"jsonrpc":"2.0","method":"notifications/initialized"}')
  for t in "$@"; do
    lines+=("{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"tools/call\",\"params\":{\"name\":\"$t\",\"arguments\":{}}}")
    i=$((i + 1))
  done
  printf '%s\n' "${lines[@]}" | timeout 30 "$BIN" serve 2>>"$T/serve.err" | jq -c 'select(.id >= 10)' | jq -s -c 'sort_by(.id) | .[]'
}

# 1. invalid configuration: serve refuses to start and names the key (R-CONFIG-003)
printf '{"policy":{"budget":{"calls":"many"}}}\n' > .motus/config.json
out=$(printf '' | timeout 30 "$BIN" serve 2>&1 >/dev/null); rc=$?
[ "$rc" != 0 ] || fail "serve started with an invalid config.json"
grep -q 'policy.budget.calls' <<<"$out" || fail "message does not name the key: $out"
printf '{"policy":{"denyList":["x"]}}\n' > .motus/config.json
out=$(printf '' | timeout 30 "$BIN" serve 2>&1 >/dev/null); rc=$?
[ "$rc" != 0 ] || fail "serve accepted an unknown key"
grep -q 'policy.denyList: unknown key' <<<"$out" || fail "unknown key not named: $out"

# 2. defaults (balanced): R0 runs
rm -f .motus/config.json
r=$(session motebit_identity)
[ "$(jq -r '.result.isError // false' <<<"$r")" = false ] || fail "R0 call refused under defaults: $r"

# 3. denylist (R-POLICY-011)
printf '{"policy":{"denylist":["motebit_identity"]}}\n' > .motus/config.json
r=$(session motebit_identity)
[ "$(jq -r '.result.isError' <<<"$r")" = true ] || fail "denylisted call ran: $r"
jq -r '.result.content[0].text' <<<"$r" | grep -q '^Policy denied: .*denylist' || fail "denylist message: $r"

# 4. budget of one call per window (R-POLICY-020)
printf '{"policy":{"budget":{"calls":1,"window_s":3600}}}\n' > .motus/config.json
mapfile -t rs < <(session motebit_identity motebit_identity)
[ "${#rs[@]}" = 2 ] || fail "expected two responses, got ${#rs[@]}"
n_err=$(printf '%s\n' "${rs[@]}" | jq -s '[.[] | select(.result.isError == true)] | length')
[ "$n_err" = 1 ] || fail "budget 1: expected exactly one refused call: ${rs[*]}"
printf '%s\n' "${rs[@]}" | jq -r '.result.content[0].text' | grep -q 'budget' || fail "budget message: ${rs[*]}"

echo "ok: policy gate"
