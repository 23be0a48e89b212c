#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/soak/soak.sh — the soak and fault campaign (`make soak`; tests/soak/README.md): runs
# soak.py for SECONDS (default 600) against BIN (an optimised build) in a fresh directory. When
# a user + mount namespace is permitted (`unshare -Urm`, as tests/e2e/full_disk.sh), the Store
# lives on a 1.5 GiB tmpfs inside it, so the campaign can fill the disk and free it again;
# otherwise the disk cycles are skipped (said so) and the rest runs. The JSON report is kept at
# $SOAK_REPORT (default build/soak-report.json). Not part of `make test`: it takes ten minutes
# and both cores.
set -u
BIN=${1:?usage: soak.sh BIN [SECONDS]}
SECONDS_=${2:-600}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "$0")" && pwd)
REPORT=${SOAK_REPORT:-$(pwd)/build/soak-report.json}
mkdir -p "$(dirname "$REPORT")"
command -v python3 >/dev/null || { echo "soak: python3 missing" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "soak: $BIN for $SECONDS_ s in $T (report $REPORT)"
if unshare -Urm true 2>/dev/null; then
  cat > "$T/inner.sh" <<'IN'
set -u
mkdir -p "$T/mnt" && mount -t tmpfs -o size=1536m tmpfs "$T/mnt" || exit 2
cd "$T/mnt" && exec python3 "$HERE/soak.py" "$BIN" "$SECONDS_" "$REPORT" disk
IN
  T=$T HERE=$HERE BIN=$BIN SECONDS_=$SECONDS_ REPORT=$REPORT unshare -Urm bash "$T/inner.sh"
else
  echo "soak: no user + mount namespace here: the disk-full cycles are skipped"
  mkdir -p "$T/store" && cd "$T/store" && python3 "$HERE/soak.py" "$BIN" "$SECONDS_" "$REPORT"
fi
