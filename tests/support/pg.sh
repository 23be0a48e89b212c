# SPDX-License-Identifier: Apache-2.0
# tests/support/pg.sh — sourced by the PostgreSQL tests: starts a throwaway PostgreSQL cluster
# (Debian's postgresql package) in a temporary directory, listening only on a Unix socket in that
# directory, as a non-root user (root: the dedicated user `wlpgtest`, created when missing, via
# setpriv), and stops it when the sourcing shell exits. After `pg_start`, WL_PG_URI is a libpq
# URI for the database `wl` (trust authentication on the socket; no password exists to leak).
# pg_start returns 77 with a one-line reason on stderr only when PostgreSQL truly cannot run
# here (no server binaries); any other failure is a test failure (exit 1).
pg_bindir() {
  local d
  for d in "${WL_PG_BINDIR:-}" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
  return 1
}

# Runs "$@" as the cluster's owner (from /: the caller's directory may be closed to that user).
pg_as() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && setpriv --reuid="$WL_PG_USER" --regid="$WL_PG_USER" --init-groups env HOME=/ "$@")
  else
    "$@"
  fi
}

pg_stop() {
  [ -n "${WL_PG_DATA:-}" ] || return 0
  [ -f "$WL_PG_DATA/postmaster.pid" ] && pg_as "$WL_PG_BIN/pg_ctl" -D "$WL_PG_DATA" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$WL_PG_DIR"
  WL_PG_DATA=""
}

pg_start() {
  WL_PG_BIN=$(pg_bindir) || { echo "SKIP: PostgreSQL server binaries (initdb, pg_ctl) not found; run scripts/install-deps.sh" >&2; return 77; }
  WL_PG_DIR=$(mktemp -d /tmp/wlpg.XXXXXX)
  chmod 755 "$WL_PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    WL_PG_USER=wlpgtest
    id -u "$WL_PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$WL_PG_USER" 2>/dev/null || id -u "$WL_PG_USER" >/dev/null 2>&1 || { echo "pg.sh: cannot create the user $WL_PG_USER" >&2; return 1; }
    chown "$WL_PG_USER" "$WL_PG_DIR"
  else
    WL_PG_USER=$(id -un)
  fi
  WL_PG_DATA="$WL_PG_DIR/data"
  pg_as "$WL_PG_BIN/initdb" -D "$WL_PG_DATA" -U wl -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$WL_PG_DIR/initdb.log" 2>&1 ||
    pg_as "$WL_PG_BIN/initdb" -D "$WL_PG_DATA" -U wl -A trust -E UTF8 --locale=C --no-sync >"$WL_PG_DIR/initdb.log" 2>&1 ||
    { echo "pg.sh: initdb failed:" >&2; cat "$WL_PG_DIR/initdb.log" >&2; return 1; }
  trap pg_stop EXIT
  # Unix socket only (listen_addresses ''), in the temporary directory; enough connections for
  # two nodes with their pools; fsync stays on (synchronous_commit is what the Store relies on).
  pg_as "$WL_PG_BIN/pg_ctl" -D "$WL_PG_DATA" -l "$WL_PG_DIR/server.log" -w -t 120 \
    -o "-c listen_addresses='' -c unix_socket_directories='$WL_PG_DIR' -c max_connections=200 -c shared_buffers=32MB" \
    start >/dev/null 2>&1 || { echo "pg.sh: the server did not start:" >&2; cat "$WL_PG_DIR/server.log" >&2; return 1; }
  (cd / && "$WL_PG_BIN/createdb" -h "$WL_PG_DIR" -U wl wl) || { echo "pg.sh: createdb failed" >&2; return 1; }
  WL_PG_URI="postgresql://wl@/wl?host=$WL_PG_DIR"
  export WL_PG_URI
}

# A fresh database in the running cluster: prints its URI.
pg_newdb() {
  (cd / && "$WL_PG_BIN/createdb" -h "$WL_PG_DIR" -U wl "$1") >&2 || return 1
  echo "postgresql://wl@/$1?host=$WL_PG_DIR"
}
