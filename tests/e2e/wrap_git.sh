#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/wrap_git.sh — the git facts `wrap` records in its work.started (issue #16, spec/store.md
# "Payloads written by wrap", ledger/wrap_git.c), with the real git: inside a repository the HEAD
# commit, the branch, dirty false, then dirty true once a tracked file changes; from a
# subdirectory (the `.git` is found upward); in a linked worktree (`.git` is a file there); with
# $GIT_DIR naming a repository from outside it; and no `git` key at all outside any repository.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v git >/dev/null || { echo "SKIP: git missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MOTUS_KERNEL_STORE_PATH MOTUS_STORE_PATH GIT_DIR GIT_WORK_TREE
export GIT_CONFIG_NOSYSTEM=1 HOME=$T
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi; }
# the git object of the last work.started in Store $1 as "commit branch dirty repository", or "none"
facts() {
  python3 - "$1" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT payload FROM events WHERE event_kind = 'work.started'"
                 " ORDER BY occurred_at DESC, run_id DESC LIMIT 1").fetchone()
g = json.loads(row[0]).get("git") if row else None
print("none" if g is None else "%s %s %s %s" % (g.get("commit"), g.get("branch"), str(g.get("dirty")).lower(), g.get("repository")))
PY
}
STORE=$T/node/.motus/kernel-store.db
mkdir -p "$T/node" && (cd "$T/node" && "$W" init >/dev/null) || { echo "FAIL init"; exit 1; }
wrap() { (cd "$1" && shift && "$W" --store "$STORE" wrap -- true >/dev/null 2>&1); }

R=$T/repo-one
git init -q -b trunk "$R" && echo a >"$R/f" && git -C "$R" add f &&
  git -C "$R" -c user.email=t@e -c user.name=t commit -q -m one || { echo "FAIL git setup"; exit 1; }
HEAD=$(git -C "$R" rev-parse HEAD)
wrap "$R"
check "clean repository: commit, branch, dirty false, repository name" "$(facts "$STORE")" "$HEAD trunk false repo-one"
echo b >"$R/f"
wrap "$R"
check "a tracked file changed: dirty true" "$(facts "$STORE")" "$HEAD trunk true repo-one"
mkdir -p "$R/sub/deeper"
wrap "$R/sub/deeper"
check "from a subdirectory the repository is found upward" "$(facts "$STORE")" "$HEAD trunk true repo-one"
git -C "$R" checkout -q -- f
git -C "$R" worktree add -q -b side "$T/linked" 2>/dev/null
wrap "$T/linked"
check "a linked worktree (.git is a file)" "$(facts "$STORE")" "$HEAD side false linked"
mkdir -p "$T/outside"
wrap "$T/outside"
check "outside any repository: no git facts" "$(facts "$STORE")" "none"
(cd "$T/outside" && GIT_DIR=$R/.git GIT_WORK_TREE=$R "$W" --store "$STORE" wrap -- true >/dev/null 2>&1)
check "\$GIT_DIR names a repository from outside it" "$(facts "$STORE")" "$HEAD trunk false repo-one"

[ "$fails" = 0 ] && echo "wrap_git: all checks passed" || echo "wrap_git: $fails failed"
[ "$fails" = 0 ]
