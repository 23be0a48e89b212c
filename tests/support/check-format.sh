#!/usr/bin/env bash
# Repository check: every tracked C file in the production folders, tests/ and bench/ is formatted
# as .clang-format says (clang-format --dry-run --Werror; the style is tuned for clang-format 14,
# the Debian 12 package, and other versions may disagree on a few constructs). A missing
# clang-format fails the check rather than skipping it: run scripts/install-deps.sh. To fix a
# failure, run `clang-format -i` on the files listed (CLANG_FORMAT overrides the binary).
set -u
root=${1:-.}
cd "$root" || exit 2
dirs=(crypto ledger transports mcp tools serve client config cli schemas tests bench)
cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
  for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null 2>&1; then cf=$c; break; fi
  done
fi
if [ -z "$cf" ] || ! command -v "$cf" >/dev/null 2>&1; then
  echo "format: clang-format not found; run scripts/install-deps.sh (Debian package clang-format)" >&2
  exit 1
fi
[ -f .clang-format ] || { echo "format: no .clang-format in $(pwd)" >&2; exit 1; }
files=()
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
  pats=()
  for d in "${dirs[@]}"; do pats+=("$d/*.c" "$d/*.h"); done
  while IFS= read -r f; do
    [ -f "$f" ] && files+=("$f") # tracked but deleted in the work tree: nothing to check
  done < <(git ls-files -- "${pats[@]}")
else
  while IFS= read -r f; do files+=("$f"); done < <(
    for d in "${dirs[@]}"; do [ -d "$d" ] && find "$d" -type f \( -name '*.c' -o -name '*.h' \); done | sort)
fi
[ ${#files[@]} -gt 0 ] || { echo "format: no C files found under $(pwd)" >&2; exit 1; }
out=$(printf '%s\0' "${files[@]}" |
  xargs -0 "$cf" --style=file --dry-run --Werror --ferror-limit=1 2>&1)
rc=$?
bad=$(printf '%s\n' "$out" | sed -n 's/^\(.*\.[ch]\):[0-9]*:[0-9]*: error: .*clang-format-violations.*/\1/p' | sort -u)
if [ $rc -ne 0 ] || [ -n "$bad" ]; then
  if [ -n "$bad" ]; then
    echo "format: not formatted as .clang-format says ($("$cf" --version 2>/dev/null | sed 's/.*version //')):" >&2
    printf '%s\n' "$bad" | sed 's/^/  /' >&2
    echo "format: fix with: $cf -i <file>..." >&2
  else
    echo "format: $cf failed:" >&2
    printf '%s\n' "$out" | head -20 >&2
  fi
  exit 1
fi
echo "format: ok"
exit 0
