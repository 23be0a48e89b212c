#!/usr/bin/env bash
# tests/support/pg-unit.sh BINARY [SUITE] — runs a unit-test binary against a throwaway
# PostgreSQL cluster (tests/support/pg.sh): WL_TEST_PG_HOST names its socket directory, where the
# tests create a database each; CK_RUN_SUITE selects the suite. Exit 77 (skipped) only when
# PostgreSQL cannot run here.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/support/pg.sh
. "$here/pg.sh"
pg_start
rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
export WL_TEST_PG_HOST="$WL_PG_DIR"
export PATH="$WL_PG_BIN:$PATH" # createdb, psql of the same version
[ $# -ge 2 ] && export CK_RUN_SUITE="$2"
"$1"
rc=$?
pg_stop
exit "$rc"
