#!/usr/bin/env bash
# Repository check: modules depend only downward and through public headers (shared/DESIGN.md
# "Layout", spec/layout.md):
#   cli -> {serve, tools} -> mcp -> {config, client, ledger, transports} -> crypto
# tools/ and serve/ reach the core only through its public headers (mcp/tool.h for tools,
# mcp/mcp.h and mcp/policy.h for the bindings), never mcp/mcp_int.h; the core includes no
# handler, binding, client or CLI header; each third-party header is included only in its home
# folder; server code never writes to stdout; a few unsafe libc functions are banned; JSON is
# printed with seal_json_dumps, never jansson's json_dump*.
set -u
root=${1:-.}
cd "$root" || exit 2
fail=0
mods="crypto ledger transports config client mcp tools serve cli schemas"
bad() { echo "layering: $*" >&2; fail=1; }
home() { # header-regex, home-folder
  local hits
  # shellcheck disable=SC2086
  hits=$(grep -rnE "#include\s*<($1)" --include='*.[ch]' $mods 2>/dev/null | grep -vE "^$2/")
  [ -z "$hits" ] || { bad "<$1> outside $2/:"; echo "$hits" >&2; }
}
home 'sodium|openssl/' crypto
home 'sqlite3|libpq-fe' ledger
home 'microhttpd|curl/' transports
# Module includes: `m` may not include anything of the modules listed after it.
check_up() { # module, forbidden modules...
  local m=$1; shift
  [ -d "$m" ] || return 0
  for f in "$@"; do
    if grep -rnE "#include\s*\"$f/" --include='*.[ch]' "$m" >/dev/null 2>&1; then
      bad "$m/ includes $f/ (upward or sideways)"; grep -rnE "#include\s*\"$f/" --include='*.[ch]' "$m" >&2
    fi
  done
}
check_up crypto ledger transports config client mcp tools serve cli
check_up ledger transports config client mcp tools serve cli
check_up transports crypto ledger config client mcp tools serve cli
check_up config ledger transports client mcp tools serve cli
check_up client ledger config mcp tools serve cli
check_up mcp client transports tools serve cli
check_up tools serve cli
check_up serve tools cli client
# Only these headers of another module may be named (its public face); *_int.h never leaves home.
only_headers() { # module, allowed-regex (headers of other modules it may include)
  local hits
  hits=$(grep -rnoE '#include\s*"[a-z]+/[a-z_]+\.h"' --include='*.[ch]' "$1" 2>/dev/null |
    grep -vE "\"$1/" | grep -vE "\"($2)\"")
  [ -z "$hits" ] || { bad "$1/ includes a header outside its allowed set:"; echo "$hits" >&2; }
}
only_headers tools 'mcp/tool\.h|tools/[a-z_]+\.h|ledger/(ledger|work|wrap|approval|kinds)\.h|client/(client|llm|upstream)\.h|config/config\.h|crypto/(err|seal|artifacts|jschema)\.h|schemas/schemas\.h'
only_headers serve 'mcp/mcp\.h|mcp/policy\.h|transports/[a-z_]+\.h|config/config\.h|ledger/ledger\.h|crypto/(err|seal|artifacts)\.h'
if grep -rnE '#include\s*"[a-z]+/[a-z_]+_int\.h"' --include='*.[ch]' $mods 2>/dev/null |
    awk -F: '{ split($1, p, "/"); if (index($0, "\"" p[1] "/") == 0) print }' | grep -q .; then
  bad "an internal header (*_int.h) is included from another folder:"
  grep -rnE '#include\s*"[a-z]+/[a-z_]+_int\.h"' --include='*.[ch]' $mods |
    awk -F: '{ split($1, p, "/"); if (index($0, "\"" p[1] "/") == 0) print }' >&2
fi
# stdout belongs to the stdio transport: no printf/puts in server modules.
srv="crypto ledger transports config client mcp tools serve"
# shellcheck disable=SC2086
if grep -rnE '\b(printf|puts|putchar)\s*\(|fprintf\s*\(\s*stdout' --include='*.c' $srv >/dev/null; then
  bad "writes to stdout in server code:"; grep -rnE '\b(printf|puts|putchar)\s*\(|fprintf\s*\(\s*stdout' --include='*.c' $srv >&2
fi
# Banned unsafe functions everywhere.
# shellcheck disable=SC2086
if grep -rnE '\b(sprintf|strcpy|strcat|strtok|atoi|gets)\s*\(' --include='*.[ch]' $mods >/dev/null; then
  bad "banned function used:"; grep -rnE '\b(sprintf|strcpy|strcat|strtok|atoi|gets)\s*\(' --include='*.[ch]' $mods >&2
fi
# JSON text leaves the process through seal_json_dumps (crypto/json_text.c, spec/canonical-json.md
# "Output JSON"), never jansson's json_dump* printers, which write reals with %.17g noise.
# shellcheck disable=SC2086
dumps=$(grep -rnE '(^|[^_[:alnum:]])json_dump(s|b|f|fd|_file|_callback)\s*\(' --include='*.[ch]' $mods |
  grep -vE '^[^:]+:[0-9]+:\s*(/\*|\*|//)')
[ -z "$dumps" ] || { bad "jansson's json_dump* used (use seal_json_dumps):"; echo "$dumps" >&2; }
[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
