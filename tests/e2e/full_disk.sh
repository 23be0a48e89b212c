#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/full_disk.sh — a full disk (spec/store.md "Full disks"): inside a user + mount
# namespace, a 3 MiB tmpfs holds the Store; `serve --http` records calls, a filler file takes the
# rest of the disk, then: calls fail with the disk-full message (no SIGBUS: the server keeps
# running), /health is 503 naming disk_full, `doctor` exits 1 with the one-line message (not 135);
# after the filler is deleted the next calls succeed, /health is 200, and every acknowledged call
# is in the Store (doctor passes); `work receipt --export` into a directory on a second, full
# tmpfs is refused with the disk-full message and writes nothing, and succeeds once it is freed.
# Skips (77) when neither root mounts nor `unshare -Urm` work.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
W=$(cd "$(dirname "$W")" && pwd)/$(basename "$W")
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
unshare -Urm true 2>/dev/null || { echo "SKIP: unshare -Urm (user + mount namespace) not permitted here"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat > "$T/drive.py" <<'PY'
import json, sys, urllib.request
port, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
H = {"Authorization": "Bearer full-disk-token-0123456789", "Content-Type": "application/json",
     "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
ok = err = 0
for i in range(n):
    body = {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "motebit_remember",
            "arguments": {"content": "%s memory %d %s" % (tag, i, "x" * 2000)}}}
    try:
        r = urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%s/mcp" % port,
                                   json.dumps(body).encode(), H), timeout=60)
        m = json.loads(r.read())
    except urllib.error.HTTPError as e:
        m = json.loads(e.read() or b"{}")
    if "error" in m or (m.get("result") or {}).get("isError"):
        err += 1
        if "disk holding the Store" not in json.dumps(m):
            print("UNCLEAR", json.dumps(m)[:300])
    else:
        ok += 1
print("ok", ok, "err", err)
PY
cat > "$T/inner.sh" <<'EOF2'
W=$1; T=$2; D=$T/mnt; mkdir -p $D
mount -t tmpfs -o size=3m tmpfs $D || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
cd $D
"$W" init --quiet || { echo "FAIL: init"; exit 1; }
echo '{"policy": {"preset": "autonomous"}, "http": {"tokens": [{"name": "t", "token": "full-disk-token-0123456789"}]}}' > .motus/config.json
"$W" serve --http 127.0.0.1:0 --port-file port 2>$T/server.err & PID=$!
for _ in $(seq 1 300); do [ -s port ] && break; kill -0 $PID 2>/dev/null || break; sleep 0.1; done
[ -s port ] || { echo "FAIL: server did not start"; cat $T/server.err; exit 1; }
P=$(cat port); fail=0
bad() { echo "FAIL: $*"; fail=1; }
[ "$(python3 $T/drive.py $P 10 a)" = "ok 10 err 0" ] || bad "calls before the disk filled"
dd if=/dev/zero of=fill bs=4k 2>/dev/null
out=$(python3 $T/drive.py $P 5 b); [ "$out" = "ok 0 err 5" ] || bad "full disk calls: $out"
kill -0 $PID 2>/dev/null || bad "server died on the full disk"
hc=$(curl -s -m 30 -o $T/h.json -w '%{http_code}' http://127.0.0.1:$P/health)
[ "$hc" = 503 ] && grep -q '"reason":"disk_full"' $T/h.json || bad "/health on a full disk: $hc $(cat $T/h.json)"
"$W" doctor >/dev/null 2>$T/doctor.err; drc=$?
[ $drc = 1 ] && grep -q "is full" $T/doctor.err || bad "doctor on a full disk: exit $drc $(cat $T/doctor.err)"
rm -f fill
out=$(python3 $T/drive.py $P 5 c); [ "$out" = "ok 5 err 0" ] || bad "calls after freeing: $out"
hc=$(curl -s -m 30 -o /dev/null -w '%{http_code}' http://127.0.0.1:$P/health)
[ "$hc" = 200 ] || bad "/health after freeing: $hc"
kill $PID; wait $PID; src=$?
[ $src -lt 128 ] || bad "server exit $src"
"$W" doctor >/dev/null || bad "doctor after freeing"
n=$(python3 -c 'import sqlite3;print(sqlite3.connect(".motus/kernel-store.db").execute("select count(*) from memories").fetchone()[0])')
[ "$n" = 15 ] || bad "memories in the Store: $n, want 15 (10 + 5 acknowledged)"
# an export into a directory on another, full disk is refused before a byte is written
L=$("$W" work claim FULL-EXPORT --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lease_id"])')
"$W" work release "$L" success --summary "export check" >/dev/null || bad "release for the export"
E=$T/mnt2; mkdir -p $E
mount -t tmpfs -o size=1m tmpfs $E || { echo "FAIL: cannot mount the second tmpfs"; exit 1; }
mkdir $E/exp; dd if=/dev/zero of=$E/fill bs=4k 2>/dev/null
"$W" work receipt "$L" --export $E/exp >/dev/null 2>$T/export.err; erc=$?
[ $erc = 1 ] && [ "$(wc -l <$T/export.err)" = 1 ] && grep -q "disk holding $E/exp is full" $T/export.err &&
  [ -z "$(ls -A $E/exp)" ] || bad "export onto a full disk: exit $erc $(cat $T/export.err) files: $(ls -A $E/exp)"
rm -f $E/fill
"$W" work receipt "$L" --export $E/exp >/dev/null 2>$T/export.err && [ "$(ls -A $E/exp | wc -l)" = 3 ] ||
  bad "export after freeing: $(cat $T/export.err) $(ls -A $E/exp)"
exit $fail
EOF2
WORKLEDGER_MIN_FREE_BYTES=65536 unshare -Urm bash "$T/inner.sh" "$W" "$T"
rc=$?
[ $rc = 0 ] && echo "full_disk: all checks passed"
exit $rc
