#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/cli_help.sh — the command line answers --help everywhere (issue #16): every command
# that `workledger help` lists, and every subcommand its usage names ("workledger CMD SUB ..."),
# answers `--help` and `-h` with its usage on stdout, nothing on stderr and exit 0, touching no
# Store; `help CMD` prints the same; a wrapped command's own --help (after `--`) is not taken.
# The man page man/workledger.1 has a section for every command and renders without warnings;
# `cmake --install BUILD --prefix P` (what `make install PREFIX=P` runs) installs
# P/bin/workledger and P/share/man/man1/workledger.1, and the installed binary runs.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
SRC=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${WL_BUILD_DIR:-}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
unset MOTUS_KERNEL_STORE_PATH MOTUS_STORE_PATH
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

"$W" help > help.txt; rc=$?
check "workledger help: exit 0, commands on stdout" '[ $rc = 0 ] && grep -q "^commands:" help.txt'
mapfile -t cmds < <(sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' help.txt)
check "help lists the commands (install, init, serve, work, wrap, call ...)" '[ ${#cmds[@]} -ge 18 ] && printf "%s\n" "${cmds[@]}" | grep -qx install && printf "%s\n" "${cmds[@]}" | grep -qx call'

walked=0 failed_cmds=""
one() { # args... : --help must answer on stdout, exit 0, no stderr
  local flag
  for flag in --help -h; do
    "$W" "$@" "$flag" > o.txt 2> e.txt < /dev/null; local rc=$?
    if [ $rc != 0 ] || [ -s e.txt ] || ! grep -qi "usage" o.txt; then
      failed_cmds="$failed_cmds [$* $flag: rc=$rc $(head -c 120 e.txt)]"
      return 1
    fi
  done
  walked=$((walked + 1))
}
for c in "${cmds[@]}"; do
  one "$c"
  # the subcommands its usage names: lines "workledger CMD SUB ..." with SUB a plain word
  for s in $("$W" "$c" --help 2>/dev/null | sed -n "s/^\(usage: \)\{0,1\} *workledger $c \([a-z][a-z]*\)\b.*/\2/p" | sort -u); do
    one "$c" "$s"
  done
done
check "every command and subcommand answers --help and -h ($walked walked)" '[ -z "$failed_cmds" ] && [ $walked -ge 30 ]'
[ -z "$failed_cmds" ] || echo "     $failed_cmds"
check "the walk touched no Store" '[ ! -e .motus ]'
"$W" help wrap > hw.txt; rc=$?
check "help wrap prints wrap's usage" '[ $rc = 0 ] && grep -q "workledger wrap" hw.txt'
"$W" help nosuch 2> hn.err; rc=$?
check "help of an unknown command: exit 2, one line" '[ $rc = 2 ] && [ "$(wc -l < hn.err)" = 1 ]'
"$W" nosuch --help 2> hn2.err; rc=$?
check "an unknown command with --help is still unknown (exit 2)" '[ $rc = 2 ] && grep -q "unknown command" hn2.err'
"$W" wrap -- sh -c 'echo "child saw $1"' sh --help > wh.txt 2>/dev/null; rc=$?
check "wrap -- CMD --help: the flag belongs to CMD" '[ $rc = 0 ] && grep -qx "child saw --help" wh.txt'
rm -rf .motus

# ---- the man page ---------------------------------------------------------------------------------
MAN=$SRC/man/workledger.1
check "man/workledger.1 exists" '[ -f "$MAN" ]'
missing=""
for c in "${cmds[@]}"; do grep -q "^\.SS $c\$" "$MAN" || missing="$missing $c"; done
check "the man page has a section for every command" '[ -z "$missing" ]'
[ -z "$missing" ] || echo "     missing:$missing"
if command -v groff >/dev/null; then
  groff -man -Tutf8 -ww -z "$MAN" 2> groff.err
  check "the man page renders without warnings" '[ ! -s groff.err ]'
else
  echo "skip groff (not installed): rendering not checked"
fi

# ---- make install PREFIX=... ---------------------------------------------------------------------
if [ -n "$BUILD" ] && [ -f "$BUILD/cmake_install.cmake" ]; then
  cmake --install "$BUILD" --prefix "$T/prefix" > inst.txt 2>&1; rc=$?
  check "cmake --install into a temp prefix" '[ $rc = 0 ]'
  check "installed bin/workledger and share/man/man1/workledger.1" '[ -x "$T/prefix/bin/workledger" ] && [ -f "$T/prefix/share/man/man1/workledger.1" ] && cmp -s "$MAN" "$T/prefix/share/man/man1/workledger.1"'
  "$T/prefix/bin/workledger" version > v.txt; rc=$?
  check "the installed binary runs" '[ $rc = 0 ] && grep -q "^workledger " v.txt'
  make -n -C "$SRC" install PREFIX="$T/p2" BUILD="$BUILD" > mk.txt 2>&1
  check "make install PREFIX=P runs cmake --install with that prefix" 'grep -q "cmake --install $BUILD --prefix $T/p2" mk.txt'
else
  echo "skip install: WL_BUILD_DIR not set (run through ctest)"
fi

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "cli_help: all checks passed"
