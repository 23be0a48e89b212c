/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/policy/test_policy.c — the policy gate of spec/policy.md: every preset and band,
 * each check in its order (first failing rule wins and is named), the budget window with an
 * injected clock, path segment boundaries, domain/subdomain rules, caller trust levels, scope,
 * annotations, and the thread-safety of the budget counter. Test code only. */
#include "mcp/policy.h"

#include <check.h>
#include <pthread.h>
#include <string.h>

#include "tests/unit/mcp/policy_tests.h"

static mcp_policy *mk(const char *json, const char *profile)
{
  json_error_t je;
  json_t *cfg = json ? json_loads(json, 0, &je) : NULL;
  mcp_policy *p = NULL;
  char err[256] = "";
  if (json)
    ck_assert_msg(cfg != NULL, "bad test JSON: %s", je.text);
  int rc = mcp_policy_new(&p, cfg, profile, err, sizeof err);
  ck_assert_msg(rc == 0, "mcp_policy_new: %s", err);
  json_decref(cfg);
  return p;
}

static mcp_decision decide(mcp_policy *p, const char *tool, mcp_risk r, const char *args_json,
                           const mcp_caller *c, int64_t now)
{
  mcp_decision d;
  json_t *args = args_json ? json_loads(args_json, 0, NULL) : NULL;
  if (args_json)
    ck_assert_ptr_nonnull(args);
  mcp_policy_decide(p, tool, r, args, c, now, &d);
  json_decref(args);
  return d;
}

#define ASSERT_D(d, v, rule_)                                                                      \
  do {                                                                                             \
    ck_assert_int_eq((d).verdict, (v));                                                            \
    ck_assert_str_eq((d).rule, (rule_));                                                           \
    ck_assert_msg((d).reason[0] != 0, "empty reason");                                             \
  } while (0)

/* R-POLICY-002/003: each preset's bands, R0..R4 (local operator). */
START_TEST(test_policy_presets__bands)
{
  static const struct {
    const char *preset;
    mcp_verdict v[5];
  } t[] = {
      {"cautious",
       {MCP_ALLOW, MCP_NEEDS_APPROVAL, MCP_NEEDS_APPROVAL, MCP_NEEDS_APPROVAL, MCP_DENY}},
      {"balanced", {MCP_ALLOW, MCP_ALLOW, MCP_NEEDS_APPROVAL, MCP_NEEDS_APPROVAL, MCP_DENY}},
      {"autonomous", {MCP_ALLOW, MCP_ALLOW, MCP_ALLOW, MCP_ALLOW, MCP_NEEDS_APPROVAL}},
      {"service", {MCP_ALLOW, MCP_ALLOW, MCP_ALLOW, MCP_ALLOW, MCP_DENY}},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    char js[100];
    snprintf(js, sizeof js, "{\"preset\":\"%s\"}", t[i].preset);
    mcp_policy *p = mk(js, "personal");
    ck_assert_str_eq(mcp_policy_preset(p), t[i].preset);
    for (int r = 0; r <= 4; r++) {
      mcp_decision d = decide(p, "tool_x", (mcp_risk)r, NULL, NULL, 0);
      ck_assert_msg(d.verdict == t[i].v[r], "%s R%d: got %d (%s: %s)", t[i].preset, r, d.verdict,
                    d.rule, d.reason);
      const char *want = t[i].v[r] == MCP_ALLOW  ? "allow"
                         : t[i].v[r] == MCP_DENY ? "risk_band"
                                                 : "approval_band";
      ck_assert_str_eq(d.rule, want);
    }
    mcp_policy_free(p);
  }
}
END_TEST

/* R-POLICY-004: default preset per profile. */
START_TEST(test_policy_presets__profile_defaults)
{
  int a, d;
  mcp_policy *p = mk(NULL, "personal");
  mcp_policy_bands(p, &a, &d);
  ck_assert_int_eq(a, 1);
  ck_assert_int_eq(d, 3);
  ck_assert_str_eq(mcp_policy_preset(p), "balanced");
  mcp_policy_free(p);
  p = mk(NULL, "collaborative");
  ck_assert_str_eq(mcp_policy_preset(p), "balanced");
  mcp_policy_free(p);
  p = mk(NULL, "service");
  mcp_policy_bands(p, &a, &d);
  ck_assert_int_eq(a, 3);
  ck_assert_int_eq(d, 3);
  ck_assert_str_eq(mcp_policy_preset(p), "service");
  mcp_policy_free(p);
  /* NULL profile = personal */
  p = mk(NULL, NULL);
  ck_assert_str_eq(mcp_policy_preset(p), "balanced");
  mcp_policy_free(p);
}
END_TEST

/* R-POLICY-003: explicit bands override the preset; "R2" names accepted. */
START_TEST(test_policy_presets__explicit_bands)
{
  mcp_policy *p = mk("{\"preset\":\"cautious\",\"require_approval_above\":\"R2\",\"deny_above\":2}",
                     NULL);
  ASSERT_D(decide(p, "t", MCP_R2_WRITE, NULL, NULL, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "t", MCP_R3_EXECUTE, NULL, NULL, 0), MCP_DENY, "risk_band");
  mcp_policy_free(p);
  /* deny_above -1 denies everything */
  p = mk("{\"deny_above\":-1}", NULL);
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, NULL, 0), MCP_DENY, "risk_band");
  mcp_policy_free(p);
}
END_TEST

/* mcp_policy_new: a whole config object is accepted and its policy member used. */
START_TEST(test_policy_presets__whole_config)
{
  mcp_policy *p = mk("{\"profile\":\"service\",\"policy\":{\"denylist\":[\"x\"]}}", NULL);
  ck_assert_str_eq(mcp_policy_preset(p), "service");
  ASSERT_D(decide(p, "x", MCP_R0_READ, NULL, NULL, 0), MCP_DENY, "denylist");
  mcp_policy_free(p);
}
END_TEST

/* R-POLICY-010: order. One configuration that trips every rule; removing the earliest failing
 * condition each time exposes the next one. */
START_TEST(test_policy_order__first_failing_rule_wins)
{
  mcp_policy *p = mk("{\"denylist\":[\"t\"],\"allowlist\":[\"t\",\"u\"],\"budget\":{\"calls\":0},"
                     "\"path_allowlist\":[\"/ok\"],\"domain_allowlist\":[\"ok.com\"]}",
                     NULL);
  mcp_caller scoped = {"c1", MCP_TRUST_BLOCKED, "other"};
  const char *bad_args = "{\"path\":\"/nope\",\"url\":\"https://evil.com/\"}";
  ASSERT_D(decide(p, "t", MCP_R4_MONEY, bad_args, &scoped, 0), MCP_DENY, "denylist");
  ASSERT_D(decide(p, "v", MCP_R4_MONEY, bad_args, &scoped, 0), MCP_DENY, "allowlist");
  ASSERT_D(decide(p, "u", MCP_R4_MONEY, bad_args, &scoped, 0), MCP_DENY, "scope");
  scoped.scope = "u";
  ASSERT_D(decide(p, "u", MCP_R4_MONEY, bad_args, &scoped, 0), MCP_DENY, "risk_band");
  ASSERT_D(decide(p, "u", MCP_R3_EXECUTE, bad_args, &scoped, 0), MCP_DENY, "budget");
  mcp_policy_free(p);

  p = mk("{\"path_allowlist\":[\"/ok\"],\"domain_allowlist\":[\"ok.com\"]}", NULL);
  ASSERT_D(decide(p, "u", MCP_R3_EXECUTE, bad_args, &scoped, 0), MCP_DENY, "path_allowlist");
  ASSERT_D(decide(p, "u", MCP_R3_EXECUTE, "{\"path\":\"/ok/x\",\"url\":\"https://evil.com/\"}",
                  &scoped, 0),
           MCP_DENY, "domain_allowlist");
  /* a blocked caller passes every list check, then trust denies it */
  const char *good = "{\"path\":\"/ok/x\",\"url\":\"https://api.ok.com/\"}";
  ASSERT_D(decide(p, "u", MCP_R3_EXECUTE, good, &scoped, 0), MCP_DENY, "caller_trust");
  scoped.trust = MCP_TRUST_VERIFIED;
  ASSERT_D(decide(p, "u", MCP_R3_EXECUTE, good, &scoped, 0), MCP_NEEDS_APPROVAL, "approval_band");
  ASSERT_D(decide(p, "u", MCP_R1_DRAFT, good, &scoped, 0), MCP_ALLOW, "allow");
  mcp_policy_free(p);
}
END_TEST

/* R-POLICY-011/012: denylist beats allowlist; an empty allowlist denies everything. */
START_TEST(test_policy_lists__deny_allow)
{
  mcp_policy *p = mk("{\"allowlist\":[]}", NULL);
  ASSERT_D(decide(p, "motebit_identity", MCP_R0_READ, NULL, NULL, 0), MCP_DENY, "allowlist");
  ck_assert_int_eq(mcp_policy_visible(p, "motebit_identity", MCP_R0_READ, NULL), 0);
  mcp_policy_free(p);
  p = mk("{\"allowlist\":[\"a\"],\"denylist\":[\"a\"]}", NULL);
  ASSERT_D(decide(p, "a", MCP_R0_READ, NULL, NULL, 0), MCP_DENY, "denylist");
  mcp_policy_free(p);
  p = mk("{}", NULL);
  ASSERT_D(decide(p, "anything", MCP_R0_READ, NULL, NULL, 0), MCP_ALLOW, "allow");
  mcp_policy_free(p);
}
END_TEST

/* R-POLICY-013: scope parsing: split on ',', trimmed, empties dropped, '*' covers all. */
START_TEST(test_policy_scope__parsing)
{
  mcp_policy *p = mk(NULL, "service");
  mcp_caller c = {"peer", MCP_TRUST_VERIFIED, " web_search , ,read_url "};
  ASSERT_D(decide(p, "read_url", MCP_R0_READ, NULL, &c, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "web_search", MCP_R0_READ, NULL, &c, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "web", MCP_R0_READ, NULL, &c, 0), MCP_DENY, "scope");
  ASSERT_D(decide(p, "read_url2", MCP_R0_READ, NULL, &c, 0), MCP_DENY, "scope");
  c.scope = "";
  ASSERT_D(decide(p, "read_url", MCP_R0_READ, NULL, &c, 0), MCP_DENY, "scope");
  c.scope = "a,*";
  ASSERT_D(decide(p, "zzz", MCP_R0_READ, NULL, &c, 0), MCP_ALLOW, "allow");
  c.scope = NULL;
  ASSERT_D(decide(p, "zzz", MCP_R0_READ, NULL, &c, 0), MCP_ALLOW, "allow");
  mcp_policy_free(p);
}
END_TEST

/* R-POLICY-020/021: budget per window, rollover with an injected clock, -1 unlimited, denied
 * calls are not counted, held (approval) calls are. */
START_TEST(test_policy_budget__window_rollover)
{
  mcp_policy *p = mk("{\"budget\":{\"calls\":2,\"window_s\":60}}", NULL);
  mcp_decision d = decide(p, "t", MCP_R0_READ, NULL, NULL, 1000);
  ASSERT_D(d, MCP_ALLOW, "allow");
  ck_assert_int_eq(d.budget_remaining, 1);
  d = decide(p, "t", MCP_R2_WRITE, NULL, NULL, 30000); /* held calls count too */
  ASSERT_D(d, MCP_NEEDS_APPROVAL, "approval_band");
  ck_assert_int_eq(d.budget_remaining, 0);
  d = decide(p, "t", MCP_R0_READ, NULL, NULL, 60999); /* last ms of the window */
  ASSERT_D(d, MCP_DENY, "budget");
  ck_assert_int_eq(d.budget_remaining, 0);
  ASSERT_D(decide(p, "t", MCP_R4_MONEY, NULL, NULL, 61000), MCP_DENY,
           "risk_band");                              /* not counted */
  d = decide(p, "t", MCP_R0_READ, NULL, NULL, 61000); /* new window */
  ASSERT_D(d, MCP_ALLOW, "allow");
  ck_assert_int_eq(d.budget_remaining, 1);
  /* a clock going backwards stays in the current window */
  d = decide(p, "t", MCP_R0_READ, NULL, NULL, 5);
  ck_assert_int_eq(d.budget_remaining, 0);
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, NULL, 100000), MCP_DENY, "budget");
  mcp_policy_free(p);

  p = mk(NULL, NULL);
  for (int i = 0; i < 1000; i++) {
    d = decide(p, "t", MCP_R0_READ, NULL, NULL, i);
    ck_assert_int_eq(d.verdict, MCP_ALLOW);
    ck_assert_int_eq(d.budget_remaining, -1);
  }
  mcp_policy_free(p);

  p = mk("{\"budget\":{\"calls\":0}}", NULL);
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, NULL, 0), MCP_DENY, "budget");
  mcp_policy_free(p);
}
END_TEST

typedef struct race_arg {
  mcp_policy *p;
  int allowed;
} race_arg;

static void *race_worker(void *arg)
{
  race_arg *a = arg;
  for (int i = 0; i < 500; i++) {
    mcp_decision d;
    mcp_policy_decide(a->p, "t", MCP_R0_READ, NULL, NULL, 42, &d);
    if (d.verdict == MCP_ALLOW)
      a->allowed++;
  }
  return NULL;
}

/* R-POLICY-022: concurrent callers never exceed the budget. */
START_TEST(test_policy_budget__threads)
{
  mcp_policy *p = mk("{\"budget\":{\"calls\":777,\"window_s\":3600}}", NULL);
  pthread_t th[4];
  race_arg a[4];
  for (int i = 0; i < 4; i++) {
    a[i].p = p;
    a[i].allowed = 0;
    ck_assert_int_eq(pthread_create(&th[i], NULL, race_worker, &a[i]), 0);
  }
  int total = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    total += a[i].allowed;
  }
  ck_assert_int_eq(total, 777);
  mcp_policy_free(p);
}
END_TEST

/* R-POLICY-030/031: path allow-list, segment boundaries, path/cwd/file, "..", non-strings. */
START_TEST(test_policy_paths__segment_boundary)
{
  mcp_policy *p = mk("{\"preset\":\"autonomous\",\"path_allowlist\":[\"/a/b\",\"/srv/data/\"]}",
                     NULL);
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/a/b\"}", NULL, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/a/b/c\"}", NULL, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/a/b/\"}", NULL, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/a//b/./c\"}", NULL, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/a/bc\"}", NULL, 0), MCP_DENY,
           "path_allowlist");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/a\"}", NULL, 0), MCP_DENY, "path_allowlist");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/a/b/../c\"}", NULL, 0), MCP_DENY,
           "path_allowlist");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/a/b/..\"}", NULL, 0), MCP_DENY,
           "path_allowlist");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"a/b\"}", NULL, 0), MCP_DENY, "path_allowlist");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/srv/data\"}", NULL, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/srv/database\"}", NULL, 0), MCP_DENY,
           "path_allowlist");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"cwd\":\"/a/bc\"}", NULL, 0), MCP_DENY, "path_allowlist");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"file\":\"/etc/passwd\"}", NULL, 0), MCP_DENY,
           "path_allowlist");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/a/b/x\",\"cwd\":\"/tmp\"}", NULL, 0), MCP_DENY,
           "path_allowlist");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":[\"/a/b\"]}", NULL, 0), MCP_DENY,
           "path_allowlist");
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"other\":\"/etc\"}", NULL, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, NULL, 0), MCP_ALLOW, "allow");
  mcp_policy_free(p);
  /* "/" allows every absolute path; an empty list allows none; no list: no check */
  p = mk("{\"path_allowlist\":[\"/\"]}", NULL);
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/x/y\"}", NULL, 0), MCP_ALLOW, "allow");
  mcp_policy_free(p);
  p = mk("{\"path_allowlist\":[]}", NULL);
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/x\"}", NULL, 0), MCP_DENY, "path_allowlist");
  mcp_policy_free(p);
  p = mk(NULL, NULL);
  ASSERT_D(decide(p, "t", MCP_R0_READ, "{\"path\":\"/x/../../etc\"}", NULL, 0), MCP_ALLOW, "allow");
  mcp_policy_free(p);
}
END_TEST

/* R-POLICY-032/033: domain allow-list: equal or subdomain, case, port, userinfo, invalid URLs. */
START_TEST(test_policy_domains__subdomains)
{
  mcp_policy *p = mk("{\"domain_allowlist\":[\"Example.com\",\"*.api.test\"]}", NULL);
  static const struct {
    const char *url;
    const char *rule;
  } t[] = {
      {"https://example.com/x", "allow"},
      {"https://EXAMPLE.com.", "allow"},
      {"https://a.b.example.com:8443/p?q", "allow"},
      {"http://user:pw@example.com/", "allow"},
      {"https://api.test", "allow"},
      {"https://x.api.test/", "allow"},
      {"https://badexample.com/", "domain_allowlist"},
      {"https://example.com.evil.net/", "domain_allowlist"},
      {"https://evil.net/?u=https://example.com", "domain_allowlist"},
      {"https://example.com@evil.net/", "domain_allowlist"},
      {"https://test/", "domain_allowlist"},
      {"example.com", "domain_allowlist"},
      {"https://", "domain_allowlist"},
      {"https://exa mple.com/", "domain_allowlist"},
      {"https://example.com:80x/", "domain_allowlist"},
      {"https://ex%61mple.com/", "domain_allowlist"},
      {"https://[::1]:3100/", "domain_allowlist"},
      {"https://[::1/", "domain_allowlist"},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    json_t *args = json_pack("{s:s}", "url", t[i].url);
    mcp_decision d;
    mcp_policy_decide(p, "fetch", MCP_R0_READ, args, NULL, 0, &d);
    ck_assert_msg(strcmp(d.rule, t[i].rule) == 0, "%s: rule %s (%s)", t[i].url, d.rule, d.reason);
    json_decref(args);
  }
  ASSERT_D(decide(p, "fetch", MCP_R0_READ, "{\"url\":42}", NULL, 0), MCP_DENY, "domain_allowlist");
  ASSERT_D(decide(p, "fetch", MCP_R0_READ, "{\"path\":\"/x\"}", NULL, 0), MCP_ALLOW, "allow");
  mcp_policy_free(p);
  /* an empty domain list means no domain check (motebit.md §6.2) */
  p = mk("{\"domain_allowlist\":[]}", NULL);
  ASSERT_D(decide(p, "fetch", MCP_R0_READ, "{\"url\":\"not a url\"}", NULL, 0), MCP_ALLOW, "allow");
  mcp_policy_free(p);
}
END_TEST

/* R-POLICY-040..044: caller trust levels and configured callers. */
START_TEST(test_policy_trust__levels)
{
  mcp_policy *p = mk(
      "{\"callers\":{\"peer-t\":\"trusted\",\"peer-b\":\"blocked\",\"peer-v\":\"verified\"}}",
      NULL);
  mcp_caller c = {"someone", MCP_TRUST_VERIFIED, NULL};
  /* verified: bands unchanged */
  ASSERT_D(decide(p, "t", MCP_R1_DRAFT, NULL, &c, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "t", MCP_R2_WRITE, NULL, &c, 0), MCP_NEEDS_APPROVAL, "approval_band");
  /* local operator (NULL or LOCAL): bands unchanged */
  ASSERT_D(decide(p, "t", MCP_R2_WRITE, NULL, NULL, 0), MCP_NEEDS_APPROVAL, "approval_band");
  c.trust = MCP_TRUST_LOCAL;
  ASSERT_D(decide(p, "t", MCP_R1_DRAFT, NULL, &c, 0), MCP_ALLOW, "allow");
  /* the reserved stdio operator id keeps the bands even when marked trusted */
  mcp_caller op = {MCP_CALLER_LOCAL, MCP_TRUST_TRUSTED, NULL};
  ASSERT_D(decide(p, "t", MCP_R2_WRITE, NULL, &op, 0), MCP_NEEDS_APPROVAL, "approval_band");
  ASSERT_D(decide(p, "t", MCP_R1_DRAFT, NULL, &op, 0), MCP_ALLOW, "allow");
  /* ... and never promotes: a first-contact caller calling itself local-operator is one */
  mcp_caller fake = {MCP_CALLER_LOCAL, MCP_TRUST_FIRST_CONTACT, NULL};
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, &fake, 0), MCP_NEEDS_APPROVAL, "caller_trust");
  /* unknown / first contact: approval for everything */
  c.trust = MCP_TRUST_UNKNOWN;
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, &c, 0), MCP_NEEDS_APPROVAL, "caller_trust");
  ASSERT_D(decide(p, "t", MCP_R3_EXECUTE, NULL, &c, 0), MCP_NEEDS_APPROVAL, "approval_band");
  c.trust = MCP_TRUST_FIRST_CONTACT;
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, &c, 0), MCP_NEEDS_APPROVAL, "caller_trust");
  /* trusted: no approval, but never above the deny band, and R4 always needs a human */
  c.trust = MCP_TRUST_TRUSTED;
  ASSERT_D(decide(p, "t", MCP_R3_EXECUTE, NULL, &c, 0), MCP_ALLOW, "allow");
  ASSERT_D(decide(p, "t", MCP_R4_MONEY, NULL, &c, 0), MCP_DENY, "risk_band");
  /* blocked */
  c.trust = MCP_TRUST_BLOCKED;
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, &c, 0), MCP_DENY, "caller_trust");
  ck_assert_int_eq(mcp_policy_visible(p, "t", MCP_R0_READ, &c), 0);
  /* configured callers override an authenticated level */
  mcp_caller v = {"peer-t", MCP_TRUST_VERIFIED, NULL};
  ASSERT_D(decide(p, "t", MCP_R3_EXECUTE, NULL, &v, 0), MCP_ALLOW, "allow");
  v.id = "peer-b";
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, &v, 0), MCP_DENY, "caller_trust");
  v.id = "peer-v";
  v.trust = MCP_TRUST_FIRST_CONTACT;
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, &v, 0), MCP_ALLOW, "allow");
  /* ...but an unauthenticated (self-asserted) id is never promoted, only blocked */
  mcp_caller u = {"peer-t", MCP_TRUST_UNKNOWN, NULL};
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, &u, 0), MCP_NEEDS_APPROVAL, "caller_trust");
  u.id = "peer-b";
  ASSERT_D(decide(p, "t", MCP_R0_READ, NULL, &u, 0), MCP_DENY, "caller_trust");
  mcp_policy_free(p);

  /* R4 in the allow band still needs approval, even for trusted callers */
  p = mk("{\"require_approval_above\":4,\"deny_above\":4}", NULL);
  ASSERT_D(decide(p, "pay", MCP_R4_MONEY, NULL, NULL, 0), MCP_NEEDS_APPROVAL, "approval_band");
  mcp_caller t = {"x", MCP_TRUST_TRUSTED, NULL};
  ASSERT_D(decide(p, "pay", MCP_R4_MONEY, NULL, &t, 0), MCP_NEEDS_APPROVAL, "approval_band");
  mcp_policy_free(p);
}
END_TEST

/* R-POLICY-001/050/051: risk names, annotations, visibility. */
START_TEST(test_policy_misc__risk_names_annotations_visible)
{
  ck_assert_str_eq(mcp_risk_name(MCP_R0_READ), "R0");
  ck_assert_str_eq(mcp_risk_name(MCP_R4_MONEY), "R4");
  ck_assert_int_eq(mcp_risk_parse("R3"), 3);
  ck_assert_int_eq(mcp_risk_parse("R2_WRITE"), 2);
  ck_assert_int_eq(mcp_risk_parse("4"), 4);
  ck_assert_int_eq(mcp_risk_parse("R5"), -1);
  ck_assert_int_eq(mcp_risk_parse(NULL), -1);
  json_t *a = mcp_risk_annotations(MCP_R0_READ);
  char *s = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
  ck_assert_str_eq(s, "{\"idempotentHint\":true,\"readOnlyHint\":true}");
  free(s);
  json_decref(a);
  a = mcp_risk_annotations(MCP_R1_DRAFT);
  s = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
  ck_assert_str_eq(s, "{\"idempotentHint\":true}");
  free(s);
  json_decref(a);
  for (int r = 2; r <= 4; r++) {
    a = mcp_risk_annotations((mcp_risk)r);
    s = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
    ck_assert_str_eq(s, "{\"destructiveHint\":true}");
    free(s);
    json_decref(a);
  }
  mcp_policy *p = mk("{\"denylist\":[\"d\"]}", NULL);
  ck_assert_int_eq(mcp_policy_visible(p, "x", MCP_R3_EXECUTE, NULL), 1);
  ck_assert_int_eq(mcp_policy_visible(p, "x", MCP_R4_MONEY, NULL), 0);
  ck_assert_int_eq(mcp_policy_visible(p, "d", MCP_R0_READ, NULL), 0);
  mcp_caller c = {"c", MCP_TRUST_VERIFIED, "a,b"};
  ck_assert_int_eq(mcp_policy_visible(p, "b", MCP_R0_READ, &c), 1);
  ck_assert_int_eq(mcp_policy_visible(p, "x", MCP_R0_READ, &c), 0);
  mcp_policy_free(p);
  mcp_policy_free(NULL);
}
END_TEST

/* R-CONFIG-003: invalid policy configuration is refused with the key named. */
START_TEST(test_policy_new__invalid)
{
  static const struct {
    const char *json;
    const char *key;
  } t[] = {
      {"{\"preset\":\"yolo\"}", "policy.preset"},
      {"{\"deny_above\":5}", "policy.deny_above"},
      {"{\"require_approval_above\":\"R9\"}", "policy.require_approval_above"},
      {"{\"budget\":{\"calls\":-2}}", "policy.budget.calls"},
      {"{\"budget\":{\"window_s\":0}}", "policy.budget.window_s"},
      {"{\"budget\":{\"calls\":1,\"windows\":3}}", "policy.budget.windows"},
      {"{\"denylist\":\"x\"}", "policy.denylist"},
      {"{\"allowlist\":[1]}", "policy.allowlist[0]"},
      {"{\"path_allowlist\":[\"/a/../b\"]}", "policy.path_allowlist[0]"},
      {"{\"domain_allowlist\":[\"a/b\"]}", "policy.domain_allowlist[0]"},
      {"{\"callers\":{\"x\":\"friend\"}}", "policy.callers.x"},
      {"{\"denyList\":[]}", "policy.denyList"},
      {"[]", "policy"},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    json_t *cfg = json_loads(t[i].json, 0, NULL);
    mcp_policy *p = (mcp_policy *)0x1;
    char err[256] = "";
    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(mcp_policy_new(&p, cfg, "personal", err, sizeof err), -1);
    ck_assert_ptr_eq(p, (mcp_policy *)0x1);
    ck_assert_msg(strncmp(err, t[i].key, strlen(t[i].key)) == 0 && err[strlen(t[i].key)] == ':',
                  "%s: message \"%s\" does not start with the key %s", t[i].json, err, t[i].key);
    ck_assert_ptr_null(strchr(err, '\n'));
    json_decref(cfg);
  }
  mcp_policy *p = NULL;
  ck_assert_int_eq(mcp_policy_new(&p, NULL, "robot", NULL, 0), -1);
}
END_TEST

Suite *policy_suite(void)
{
  Suite *s = suite_create("policy");
  TCase *tc = tcase_create("policy");
  tcase_add_test(tc, test_policy_presets__bands);
  tcase_add_test(tc, test_policy_presets__profile_defaults);
  tcase_add_test(tc, test_policy_presets__explicit_bands);
  tcase_add_test(tc, test_policy_presets__whole_config);
  tcase_add_test(tc, test_policy_order__first_failing_rule_wins);
  tcase_add_test(tc, test_policy_lists__deny_allow);
  tcase_add_test(tc, test_policy_scope__parsing);
  tcase_add_test(tc, test_policy_budget__window_rollover);
  tcase_add_test(tc, test_policy_budget__threads);
  tcase_add_test(tc, test_policy_paths__segment_boundary);
  tcase_add_test(tc, test_policy_domains__subdomains);
  tcase_add_test(tc, test_policy_trust__levels);
  tcase_add_test(tc, test_policy_misc__risk_names_annotations_visible);
  tcase_add_test(tc, test_policy_new__invalid);
  suite_add_tcase(s, tc);
  return s;
}
