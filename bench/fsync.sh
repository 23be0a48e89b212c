#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/fsync.sh BUILD_DIR — durable writes per tool call (spec/store.md "One call, one
# transaction"): for each tool, `workledger serve` over stdio with ONE call in flight runs under
# `strace -f -c -e trace=fdatasync,fsync` twice on fresh Stores (synchronous=FULL), once with N
# and once with 2N calls; fdatasync+fsync per call = (count(2N) − count(N)) / N, so start-up,
# warm-up and shutdown cancel out. Prints one `RESULT label=fsync_<tool> transport=fsync ...`
# line per tool on stdout; skips (SKIP line) when strace is missing. Called by run.sh; alone:
#   bench/fsync.sh build/release
set -u
BUILD=$(cd "${1:-build/release}" && pwd) || exit 1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WL=$BUILD/workledger
B=$BUILD/bench
N=${BENCH_FSYNC_CALLS:-200}
LOG=${BENCH_LOG:-/dev/null}
command -v strace >/dev/null || { echo "SKIP fsync: strace not installed"; exit 0; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wl-fsync-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
AUTONOMOUS='{"policy":{"preset":"autonomous"},"executors":{"bench":{"type":"command","argv":["'$(command -v cat)'"],"stdin":true,"timeout_s":10}}}'

# count LABEL CALLS CONFIG BENCH_ARGS... → number of fdatasync+fsync of the whole server run
count() {
  local label=$1 calls=$2 cfg=$3
  shift 3
  local d=$TMP/$label.$calls
  mkdir -p "$d"
  (cd "$d" && "$WL" init >/dev/null 2>>"$LOG") || return 1
  [ -n "$cfg" ] && printf '%s' "$cfg" >"$d/.motus/config.json"
  timeout --kill-after=5 120 "$B/bench_stdio" --label "$label" --window 1 --calls "$calls" \
    --warmup 20 --max-seconds 100 --cwd "$d" --server-log "$LOG" "$@" -- \
    strace -f -qq -c -o "$d/strace.txt" -e trace=fdatasync,fsync "$WL" serve >/dev/null || return 1
  awk '$NF == "fdatasync" || $NF == "fsync" { n += $4 } END { print n + 0 }' "$d/strace.txt"
}

one() {
  local tool=$1 cfg=$2
  shift 2
  local a b
  a=$(count "$tool" "$N" "$cfg" --tool "$tool" "$@") || { echo "SKIP fsync_$tool: run failed"; return; }
  b=$(count "$tool" "$((2 * N))" "$cfg" --tool "$tool" "$@") || { echo "SKIP fsync_$tool: run failed"; return; }
  awk -v t="$tool" -v a="$a" -v b="$b" -v n="$N" 'BEGIN {
    printf "RESULT label=fsync_%s transport=fsync calls=%d syncs_n=%d syncs_2n=%d per_call=%.2f\n", t, n, a, b, (b - a) / n }'
}

one motebit_identity "" --args '{}'
one motebit_recall "" --args '{"query":"bench"}'
one motebit_remember "$AUTONOMOUS" --args '{"content":"a fact worth keeping"}'
one motus_work_evidence "" --claim ADHOC-FSYNC --args '{"lease_id":"$LEASE","kind":"test_result","passed":1,"failed":0}'
one motus_work_status "" --claim ADHOC-FSYNC --args '{"id":"$LEASE"}'
one motus_wrap "$AUTONOMOUS" --args '{"argv":["true"]}'
one motebit_task "$AUTONOMOUS" --args '{"prompt":"bench","required_capabilities":["bench"]}'
