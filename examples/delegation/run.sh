#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/delegation/run.sh — a three-node delegation chain on loopback, in one command. Node A
# delegates capability "translate" to node B, B delegates it to node C, and C runs it with a
# command executor (tr a-z A-Z). Each node has its own key and Store in a temporary folder and
# serves MCP over HTTP on an ephemeral port; nodes authenticate to each other with motebit signed
# tokens (pinned in the callee's http.known_callers) and pin each other's keys in peers[]. One
# task goes through A with `workledger call` (as a fourth identity, "client"); A's signed
# ExecutionReceipt — C's receipt nested in B's, nested in A's — is the ONLY thing printed on
# stdout. The nodes are stopped on exit.
#   WORKLEDGER_BIN      the binary (default: build/release/workledger in this repository)
#   DELEGATION_PROMPT   the task prompt (default: "hello from node A")
#   DELEGATION_DIR      keep the nodes' folders here instead of a deleted temporary folder
#                       (a/, b/, c/, client/, each with .motus/; logs in *.log)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=${WORKLEDGER_BIN:-$ROOT/build/release/workledger}
case $W in /*) ;; *) W=$PWD/$W ;; esac
[ -x "$W" ] || { echo "run.sh: $W is not an executable (build it with 'make build' or set WORKLEDGER_BIN)" >&2; exit 2; }
PROMPT=${DELEGATION_PROMPT:-hello from node A}
if [ -n "${DELEGATION_DIR:-}" ]; then
  D=$DELEGATION_DIR
  mkdir -p "$D"
  KEEP=1
else
  D=$(mktemp -d)
  KEEP=0
fi
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ "$KEEP" = 1 ] || rm -rf "$D"
}
trap cleanup EXIT

ident() { # dir field
  "$W" token pubkey --json 2>/dev/null | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"
}
for n in a b c client; do
  mkdir -p "$D/$n"
  (cd "$D/$n" && "$W" init --quiet >/dev/null 2>&1)
  eval "MID_$n=\$(cd \"\$D/\$n\" && ident . motebit_id)"
  eval "PK_$n=\$(cd \"\$D/\$n\" && ident . public_key)"
done

start() { # node → URL of its MCP endpoint on stdout
  local n=$1 port
  rm -f "$D/$n.port"
  (cd "$D/$n" && exec "$W" serve --http 127.0.0.1:0 --port-file "$D/$n.port" 2>"$D/$n.log") &
  PIDS+=($!)
  for _ in $(seq 1 300); do
    [ -s "$D/$n.port" ] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "run.sh: node $n did not start: $(tail -3 "$D/$n.log")" >&2; exit 1; }
    sleep 0.05
  done
  [ -s "$D/$n.port" ] || { echo "run.sh: node $n did not report its port" >&2; exit 1; }
  port=$(cat "$D/$n.port")
  URL="http://127.0.0.1:$port/mcp"
}

# C: runs "translate" locally; accepts B
cat >"$D/c/.motus/config.json" <<JSON
{"profile": "service",
 "http": {"known_callers": {"$MID_b": "$PK_b"}},
 "executors": {"translate": {"type": "command", "argv": ["/bin/sh", "-c", "tr a-z A-Z"], "timeout_s": 30}}}
JSON
start c; URL_C=$URL
# B: delegates "translate" to C (pinned); accepts A
cat >"$D/b/.motus/config.json" <<JSON
{"profile": "service",
 "http": {"known_callers": {"$MID_a": "$PK_a"}},
 "peers": [{"name": "node-c", "url": "$URL_C", "public_key": "$PK_c", "capabilities": ["translate"],
            "motebit_token": true, "timeout_s": 60}]}
JSON
start b; URL_B=$URL
# A: delegates "translate" to B (pinned); accepts the client
cat >"$D/a/.motus/config.json" <<JSON
{"profile": "service",
 "http": {"known_callers": {"$MID_client": "$PK_client"}},
 "peers": [{"name": "node-b", "url": "$URL_B", "public_key": "$PK_b", "capabilities": ["translate"],
            "motebit_token": true, "timeout_s": 90}]}
JSON
start a; URL_A=$URL
printf '%s\n' "$URL_A" >"$D/a.url"

ARGS=$(PROMPT=$PROMPT awk 'BEGIN { p = ENVIRON["PROMPT"]; gsub(/\\/, "\\\\", p); gsub(/"/, "\\\"", p);
  printf "{\"prompt\":\"%s\",\"required_capabilities\":[\"translate\"]}", p }')
OUT=$(cd "$D/client" && "$W" call "$URL_A" motebit_task "$ARGS" --motebit-token --timeout 120)
# the text content is the receipt JSON (one line) followed by the motebit tag line
printf '%s\n' "$OUT" | head -n 1
