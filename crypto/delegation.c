/* SPDX-License-Identifier: Apache-2.0
 * crypto/delegation.c — delegation scopes and chains (spec/signing.md, spec/mcp.md §3.1.1):
 * reading a comma-separated scope, whether it allows a capability, covers a task's required
 * capabilities or narrows a parent scope, and verifying a chain of DelegationTokens (each token
 * under its delegator's key, linked delegate to delegator, scopes narrowing). Signing and
 * verifying one DelegationToken is artifacts.c. No I/O, no logging. */
#include "crypto/artifacts.h"
#include "crypto/seal_int.h"

#include <ctype.h>
#include <string.h>

/* Next scope entry (trimmed) of `*p` into buf; 0 when exhausted. */
static int scope_next(const char **p, char *buf, size_t cap)
{
  while (**p) {
    const char *s = *p, *e = strchr(s, ',');
    size_t len;
    if (!e)
      e = s + strlen(s);
    *p = *e ? e + 1 : e;
    while (s < e && isspace((unsigned char)*s))
      s++;
    while (e > s && isspace((unsigned char)e[-1]))
      e--;
    len = (size_t)(e - s);
    if (len == 0)
      continue;
    if (len >= cap)
      len = cap - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 1;
  }
  return 0;
}

int seal_scope_allows(const char *scope, const char *capability)
{
  char item[256];
  const char *p = scope ? scope : "";
  while (scope_next(&p, item, sizeof item))
    if (!strcmp(item, "*") || !strcmp(item, capability))
      return 1;
  return 0;
}

int seal_scope_covers(const char *scope, const json_t *required, const char **denied)
{
  size_t i;
  for (i = 0; i < json_array_size(required); i++) {
    const char *c = json_string_value(json_array_get(required, i));
    if (!c || !seal_scope_allows(scope, c)) {
      if (denied)
        *denied = c ? c : "";
      return 0;
    }
  }
  return 1;
}

int seal_scope_narrowed(const char *parent, const char *child)
{
  char item[256];
  const char *p = child ? child : "";
  while (scope_next(&p, item, sizeof item)) {
    if (!strcmp(item, "*")) {
      if (!seal_scope_allows(parent, "*"))
        return 0;
      /* parent must literally contain "*" */
      char it2[256];
      const char *q = parent ? parent : "";
      int star = 0;
      while (scope_next(&q, it2, sizeof it2))
        star |= !strcmp(it2, "*");
      if (!star)
        return 0;
    } else if (!seal_scope_allows(parent, item)) {
      return 0;
    }
  }
  return 1;
}

int seal_verify_delegation_chain(const json_t *chain, seal_err *err)
{
  size_t i, n = json_array_size(chain);
  seal_verify_opts o = SEAL_VERIFY_OPTS_INIT;
  if (!json_is_array(chain) || n == 0)
    return seal_errf(err, SEAL_EINVAL, 0, "delegation chain must be a non-empty array");
  o.ignore_time = 1;
  for (i = 0; i < n; i++) {
    const json_t *t = json_array_get(chain, i);
    seal_verdict v;
    int rc = seal_verify_delegation_token(t, &o, &v);
    if (rc != SEAL_OK) {
      seal_errf(err, SEAL_EVERIFY, 0, "chain[%zu]: %s", i,
                json_string_value(json_array_get(v.reasons, 0)));
      seal_verdict_clear(&v);
      return SEAL_EVERIFY;
    }
    seal_verdict_clear(&v);
    if (i > 0) {
      const json_t *prev = json_array_get(chain, i - 1);
      const char *pd = json_string_value(json_object_get(prev, "delegate_id"));
      const char *pk = json_string_value(json_object_get(prev, "delegate_public_key"));
      const char *cd = json_string_value(json_object_get(t, "delegator_id"));
      const char *ck = json_string_value(json_object_get(t, "delegator_public_key"));
      if (!pd || !cd || strcmp(pd, cd) || !pk || !ck || strcmp(pk, ck))
        return seal_errf(err, SEAL_EVERIFY, 0,
                         "chain[%zu]: delegator does not match chain[%zu]'s delegate", i, i - 1);
      if (!seal_scope_narrowed(json_string_value(json_object_get(prev, "scope")),
                               json_string_value(json_object_get(t, "scope"))))
        return seal_errf(err, SEAL_ESCOPE, 0, "chain[%zu]: scope widens chain[%zu]'s scope", i,
                         i - 1);
    }
  }
  return SEAL_OK;
}
