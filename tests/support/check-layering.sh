#!/usr/bin/env bash
# Repository check: modules depend only downward (cli -> mcp -> ledger/transports -> crypto) and
# each third-party header is included only in its home folder (shared/DESIGN.md "Layout").
set -u
root=${1:-.}
cd "$root" || exit 2
fail=0
bad() { echo "layering: $*" >&2; fail=1; }
home() { # header-regex, home-folder
  local hits
  hits=$(grep -rnE "#include\s*<($1)" --include='*.[ch]' crypto ledger transports mcp cli schemas 2>/dev/null | grep -vE "^$2/")
  [ -z "$hits" ] || { bad "<$1> outside $2/:"; echo "$hits" >&2; }
}
home 'sodium' crypto
home 'sqlite3' ledger
home 'microhttpd|curl/' transports
# Downward-only module includes.
check_up() { # module, forbidden modules...
  local m=$1; shift
  for f in "$@"; do
    if grep -rnE "#include\s*\"$f/" --include='*.[ch]' "$m" >/dev/null 2>&1; then
      bad "$m/ includes $f/ (upward or sideways)"; grep -rnE "#include\s*\"$f/" --include='*.[ch]' "$m" >&2
    fi
  done
}
check_up crypto ledger transports mcp cli
check_up ledger transports mcp cli
check_up transports crypto ledger mcp cli
check_up mcp cli
# stdout belongs to the stdio transport: no printf/puts in server modules.
if grep -rnE '\b(printf|puts|putchar)\s*\(|fprintf\s*\(\s*stdout' --include='*.c' crypto ledger transports mcp >/dev/null; then
  bad "writes to stdout in server code:"; grep -rnE '\b(printf|puts|putchar)\s*\(|fprintf\s*\(\s*stdout' --include='*.c' crypto ledger transports mcp >&2
fi
# Banned unsafe functions everywhere.
if grep -rnE '\b(sprintf|strcpy|strcat|strtok|atoi|gets)\s*\(' --include='*.[ch]' crypto ledger transports mcp cli >/dev/null; then
  bad "banned function used:"; grep -rnE '\b(sprintf|strcpy|strcat|strtok|atoi|gets)\s*\(' --include='*.[ch]' crypto ledger transports mcp cli >&2
fi
[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
