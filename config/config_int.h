/* SPDX-License-Identifier: Apache-2.0
 * config/config_int.h — internals shared by the files of config/: the validation context and
 * the checkers every section uses (each fails with a one-line message naming the key path), and
 * the section normalizers that live outside config/config.c. Not a public API: only config/
 * includes it. */
#ifndef WL_CONFIG_INT_H
#define WL_CONFIG_INT_H

#include <jansson.h>
#include <stddef.h>

#define CFG_PATH_CAP 256

typedef struct cfg_vctx {
  char *err;
  size_t errlen;
} cfg_vctx;

/* Writes "<path>: <message>" into c->err; returns -1. */
int cfg__fail(cfg_vctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* out = base + "." + key (or key alone), cut with "..." at CFG_PATH_CAP. */
void cfg__join(char *out, const char *base, const char *key);
/* Refuses keys of `obj` not in the NULL-terminated `allowed` list. 0 or -1. */
int cfg__check_keys(cfg_vctx *c, const json_t *obj, const char *path, const char *const *allowed);
/* A non-empty string without control characters, at most `max` bytes. 0 or -1. */
int cfg__want_str(cfg_vctx *c, const json_t *v, const char *path, size_t max);
int cfg__want_bool(cfg_vctx *c, const json_t *v, const char *path);
int cfg__want_int(cfg_vctx *c, const json_t *v, const char *path, json_int_t lo, json_int_t hi);
int cfg__want_object(cfg_vctx *c, const json_t *v, const char *path);
/* An array of strings, each checked by cfg__want_str (and `each`, when given). */
int cfg__want_str_array(cfg_vctx *c, const json_t *v, const char *path,
                        int (*each)(cfg_vctx *, const char *, const char *));
/* 1 for an environment variable name ([A-Za-z_][A-Za-z0-9_]*), 0 otherwise. */
int cfg__env_name_ok(const char *s);
/* 1 for http(s)://host[...] without spaces, 0 otherwise. */
int cfg__url_ok(const char *s);

/* config/executors.c: the "executors" section (command executors, executors.chat,
 * executors.embeddings). 0 or -1. */
int cfg__norm_executors(cfg_vctx *c, json_t *ex);

/* config/upstreams.c: the "upstreams" section; an executor of type "mcp" (its keys; `p` its
 * path); the check, once both sections are normalised, that every mcp executor names a
 * configured upstream. 0 or -1. */
int cfg__norm_upstreams(cfg_vctx *c, json_t *ups);
int cfg__norm_mcp_executor(cfg_vctx *c, json_t *e, const char *p);
int cfg__check_mcp_executors(cfg_vctx *c, const json_t *cfg);

#endif
