#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/verify_fixtures.sh — the real `workledger verify` binary against the upstream
# fixtures (read in place) and our own vectors: every artifact verifies (exit 0, one JSON line
# with valid:true); tampered copies (changed field, signature, suite, inner receipt) exit 1 with a
# reason; unreadable input exits 2. spec/signing.md R-SIGN-080..084. Exit 77 = skipped.
set -u
BIN=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SHARED=${WL_SHARED_DIR:-}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "$SHARED" ] || [ ! -d "$SHARED/fixtures" ]; then
  echo "SKIP: ../shared absent: fixture e2e skipped"; exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 needed to build tampered copies"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; n=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# expect FILE EXIT [extra args...]: runs verify, checks exit code and the one-line verdict
expect() {
  local file=$1 want=$2; shift 2
  local out rc lines
  out=$("$BIN" verify "$file" "$@" 2>"$tmp/stderr"); rc=$?
  n=$((n+1))
  [ "$rc" = "$want" ] || { bad "$file: exit $rc, want $want: $out $(cat "$tmp/stderr")"; return; }
  lines=$(printf '%s\n' "$out" | grep -c .)
  [ "$lines" = 1 ] || { bad "$file: $lines stdout lines"; return; }
  printf '%s' "$out" | python3 -c '
import json,sys
v=json.load(sys.stdin); want=int(sys.argv[1])
assert set(v)=={"valid","kind","signer","depth","reasons"}, v
assert v["valid"]==(want==0), v
if want!=0: assert v["reasons"] and all(isinstance(r,str) and r for r in v["reasons"]), v
' "$want" || bad "$file: bad verdict $out"
}

fx=$SHARED/fixtures/motebit/receipts
count=0
for f in "$fx"/*.json "$SHARED"/fixtures/motus/fixtures/valid/*.json; do
  expect "$f" 0; count=$((count+1))
done
[ "$count" -ge 15 ] || bad "only $count fixture files found"
# depth of the nested chain is 1; our generated 3-level chain has depth 2
d=$("$BIN" verify "$fx/derived-nested-chain.json" | python3 -c 'import json,sys;print(json.load(sys.stdin)["depth"])')
[ "$d" = 1 ] || bad "derived-nested-chain depth $d"
expect "$SRC/tests/vectors/nested-chain-depth2.json" 0
expect "$SRC/tests/vectors/nested-chain-depth2.json" 0 --strict-hash
d=$("$BIN" verify "$SRC/tests/vectors/nested-chain-depth2.json" | python3 -c 'import json,sys;print(json.load(sys.stdin)["depth"])')
[ "$d" = 2 ] || bad "generated chain depth $d"

# stdin, MCP text tag, pinned key
"$BIN" verify - <"$fx/sovereign-receipt.json" >/dev/null || bad "stdin"
{ python3 -c 'import json,sys;print(json.dumps(json.load(open(sys.argv[1]))),end="")' "$fx/sovereign-receipt.json"
  printf '\n[motebit:65b60673 key:79b5562e8fe654f9]'; } >"$tmp/tagged.txt"
expect "$tmp/tagged.txt" 0
expect "$fx/sovereign-receipt.json" 0 --public-key 79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664
expect "$fx/sovereign-receipt.json" 1 --public-key e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f0

# tampered copies: field, signature, suite, inner receipt (each must exit 1 with a reason)
mutate() { # src dst python-expression-on-r
  python3 - "$1" "$2" "$3" <<'PY'
import json,sys
r=json.load(open(sys.argv[1])); exec(sys.argv[3])
open(sys.argv[2],"w").write(json.dumps(r,ensure_ascii=False,indent=1))
PY
}
for f in "$fx"/*.json; do
  b=$(basename "$f" .json)
  mutate "$f" "$tmp/$b.field.json" 'r["device_id"]=r["device_id"]+"x"'
  mutate "$f" "$tmp/$b.sig.json" 's=r["signature"]; r["signature"]=("B" if s[0]!="B" else "C")+s[1:]'
  mutate "$f" "$tmp/$b.suite.json" 'r["suite"]="motebit-jcs-ed25519-hex-v1"'
  for k in field sig suite; do expect "$tmp/$b.$k.json" 1; done
done
mutate "$fx/derived-nested-chain.json" "$tmp/inner.json" 'r["delegation_receipts"][0]["result"]="inner resulT"'
expect "$tmp/inner.json" 1
"$BIN" verify "$tmp/inner.json" | grep -q '"delegation_receipts\[0\]: signature did not verify"' || bad "inner node not named"
mutate "$SHARED/fixtures/motus/fixtures/valid/work-receipt-minimal.json" "$tmp/wr.json" 'r["work_id"]="X"'
expect "$tmp/wr.json" 1
"$BIN" verify "$tmp/wr.json" | grep -q 'receipt_id mismatch' || bad "work receipt mismatch not reported"
expect "$SHARED/fixtures/motus/fixtures/invalid/work-receipt-missing-acceptance.json" 1

# unreadable input: exit 2
expect "$tmp/does-not-exist.json" 2
printf 'not json at all {' >"$tmp/garbage.txt"; expect "$tmp/garbage.txt" 2
printf '{"a":1,"a":2}' >"$tmp/dup.json"; expect "$tmp/dup.json" 2
: >"$tmp/empty.json"; expect "$tmp/empty.json" 2
# valid JSON that is no known artifact: invalid (1), not unreadable
printf '{"hello":"world"}' >"$tmp/unknown.json"; expect "$tmp/unknown.json" 1
"$BIN" verify >/dev/null 2>&1; [ $? = 2 ] || bad "no argument should exit 2"

echo "verify e2e: $n checks, fail=$fail"
exit $fail
