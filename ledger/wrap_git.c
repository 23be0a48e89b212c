/* SPDX-License-Identifier: Apache-2.0
 * ledger/wrap_git.c — the git facts of a wrap run (spec/store.md "Payloads written by wrap"):
 * when the working directory is inside a git repository, the HEAD commit, the branch, whether
 * tracked files differ from HEAD (dirty) and the repository's directory name, read by running
 * `git` as a child process (no shell, no libgit2): `git rev-parse --show-toplevel` and `git
 * status --porcelain=v2 --branch --untracked-files=no`, each stopped after 2 s; git is not run
 * at all when no `.git` is found upward and $GIT_DIR is unset. Nothing is recorded outside a
 * repository or when git is missing. Nothing here prints. */
#include "ledger/wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define GIT_OUT_MAX 4096 /* bytes of output kept: the header lines come first */
#define GIT_TIMEOUT_MS 2000

static int64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs git with `args` (NULL-terminated, without "git") in `dir` (NULL: the current one); the
 * first GIT_OUT_MAX bytes of stdout into out (NUL-terminated), *more = 1 when there was more.
 * Returns the exit status, or -1 when git could not run or took too long. */
static int git_run(const char *dir, const char *const *args, char *out, int *more)
{
  const char *argv[16];
  int n = 0, p[2], st = 0, rc;
  size_t len = 0;
  pid_t pid;
  argv[n++] = "git";
  if (dir) {
    argv[n++] = "-C";
    argv[n++] = dir;
  }
  for (int i = 0; args[i] && n < 15; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  *more = 0;
  out[0] = 0;
  if (pipe2(p, O_CLOEXEC))
    return -1;
  /* environment: ours plus GIT_OPTIONAL_LOCKS=0 (never take the index lock) */
  size_t ne = 0;
  while (environ[ne])
    ne++;
  char **env = calloc(ne + 2, sizeof *env);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  if (!env) {
    close(p[0]);
    close(p[1]);
    return -1;
  }
  size_t k = 0;
  for (size_t i = 0; i < ne; i++)
    if (strncmp(environ[i], "GIT_OPTIONAL_LOCKS=", 19) != 0)
      env[k++] = environ[i];
  env[k++] = "GIT_OPTIONAL_LOCKS=0";
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_init(&at);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&at, 0);
  rc = posix_spawnp(&pid, "git", &fa, &at, (char *const *)argv, env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  free(env);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    return -1;
  }
  int64_t deadline = mono_ms() + GIT_TIMEOUT_MS;
  int timed_out = 0;
  for (;;) {
    struct pollfd pf = {p[0], POLLIN, 0};
    int64_t left = deadline - mono_ms();
    if (left <= 0) {
      timed_out = 1;
      break;
    }
    int pr = poll(&pf, 1, (int)left);
    if (pr < 0 && errno == EINTR)
      continue;
    if (pr <= 0)
      continue;
    char buf[4096];
    ssize_t r = read(p[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    size_t take = (size_t)r;
    if (len + take > GIT_OUT_MAX - 1) {
      take = GIT_OUT_MAX - 1 - len;
      *more = 1;
    }
    memcpy(out + len, buf, take);
    len += take;
  }
  out[len] = 0;
  close(p[0]);
  if (timed_out)
    kill(-pid, SIGKILL);
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (timed_out || !WIFEXITED(st))
    return -1;
  return WEXITSTATUS(st);
}

/* Whether git could find a repository from `dir` (NULL: the current directory): $GIT_DIR is set,
 * or `dir` or one of its parents holds a `.git` entry (a directory, or the file of a worktree or
 * submodule). A cheap test before spawning git: outside a repository a wrap then costs no child
 * process at all (two spawns measured at several ms on the 2-core machine). */
static int maybe_in_repo(const char *dir)
{
  char path[4096];
  struct stat st;
  const char *g = getenv("GIT_DIR");
  if (g && *g)
    return 1;
  if (dir) {
    if (dir[0] != '/' || strlen(dir) >= sizeof path - 8)
      return 1; /* relative or very long: let git decide */
    snprintf(path, sizeof path, "%s", dir);
  } else if (!getcwd(path, sizeof path - 8)) {
    return 1;
  }
  for (;;) {
    size_t n = strlen(path);
    snprintf(path + n, sizeof path - n, "%s.git", n && path[n - 1] == '/' ? "" : "/");
    if (lstat(path, &st) == 0)
      return 1;
    path[n] = 0;
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
      break;
    *slash = 0;
  }
  return lstat("/.git", &st) == 0;
}

json_t *ledger_wrap_git_facts(const char *dir)
{
  static const char *const top_args[] = {"rev-parse", "--show-toplevel", NULL};
  static const char *const st_args[] = {"status", "--porcelain=v2", "--branch",
                                        "--untracked-files=no", NULL};
  char *out;
  int more = 0;
  json_t *g = NULL;
  if (!maybe_in_repo(dir) || !(out = malloc(GIT_OUT_MAX)))
    return NULL;
  if (git_run(dir, top_args, out, &more) != 0 || !out[0])
    goto done;
  out[strcspn(out, "\n")] = 0;
  const char *base = strrchr(out, '/');
  g = json_pack("{s:s}", "repository", base && base[1] ? base + 1 : out);
  if (!g || git_run(dir, st_args, out, &more) != 0) {
    json_decref(g);
    g = NULL;
    goto done;
  }
  int dirty = more;
  for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
    nl = strchr(line, '\n');
    if (nl)
      *nl = 0;
    if (strncmp(line, "# branch.oid ", 13) == 0 && strcmp(line + 13, "(initial)") != 0)
      json_object_set_new(g, "commit", json_string(line + 13));
    else if (strncmp(line, "# branch.head ", 14) == 0 && strcmp(line + 14, "(detached)") != 0)
      json_object_set_new(g, "branch", json_string(line + 14));
    else if (line[0] && line[0] != '#')
      dirty = 1;
  }
  json_object_set_new(g, "dirty", json_boolean(dirty));
done:
  free(out);
  return g;
}
