/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/crypto/test_artifacts.c — artifacts that need no upstream files: the derived
 * auth-token vector of motebit.md §3.5 (R-SIGN-030..034), delegation tokens, scopes and chains
 * (R-SIGN-020..024), the identity file (R-SIGN-050..053), key succession (R-SIGN-060..062),
 * eddsa-jcs-2022 proofs (R-SIGN-070..072), the MCP text tag and the detector (R-SIGN-080..082). */
#include "crypto/artifacts.h"
#include "tests/unit/crypto/crypto_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static seal_key *key_seq(uint8_t start)
{
  uint8_t seed[32];
  seal_key *k = NULL;
  tc_seed_seq(seed, start);
  ck_assert_int_eq(seal_key_from_seed(&k, seed), SEAL_OK);
  return k;
}

/* R-SIGN-030/031: the derived auth-token vector reproduces byte for byte */
START_TEST(auth_token_vector)
{
  seal_key *k = key_seq(0x01);
  char *tok = NULL;
  seal_err err = {0};
  ck_assert_int_eq(seal_token_mint(&tok, k, "65b60673-d6ed-884b-b01c-2c222d82ada0",
                                   "019dc500-0000-7000-a000-0000000000de", 1777109000000LL,
                                   1777109300000LL, "00000000-0000-4000-8000-000000000001",
                                   "task:submit", &err),
                   SEAL_OK);
  const char *payload =
      "{\"mid\":\"65b60673-d6ed-884b-b01c-2c222d82ada0\",\"did\":\"019dc500-0000-7000-a000-0000000000de\","
      "\"iat\":1777109000000,\"exp\":1777109300000,\"jti\":\"00000000-0000-4000-8000-000000000001\","
      "\"aud\":\"task:submit\",\"suite\":\"motebit-jwt-ed25519-v1\"}";
  char *p64 = seal_b64url_encode((const uint8_t *)payload, strlen(payload));
  char want[1024];
  snprintf(
      want, sizeof want, "%s.%s", p64,
      "uAVth9ohHT69PBxsbZr7Atv2X-imLdT4vj4fh6outrIoBYMy1rjQ2MWdUsyE3CWwDvZvThNRKPaXaAmUFDRiAA");
  ck_assert_str_eq(tok, want);
  json_t *claims = NULL;
  /* R-SIGN-032: valid inside the window, aud handed back */
  ck_assert_int_eq(seal_token_verify(&claims, tok, seal_key_pk(k), 1777109100000LL, 0, &err),
                   SEAL_OK);
  ck_assert_str_eq(json_string_value(json_object_get(claims, "aud")), "task:submit");
  json_decref(claims);
  char pfx[1100];
  snprintf(pfx, sizeof pfx, "motebit:%s", tok);
  ck_assert_int_eq(seal_token_verify(NULL, pfx, seal_key_pk(k), 1777109100000LL, 0, &err), SEAL_OK);
  /* R-SIGN-033: exp <= now refused; skew tolerates */
  ck_assert_int_eq(seal_token_verify(NULL, tok, seal_key_pk(k), 1777109300000LL, 0, &err),
                   SEAL_EEXPIRED);
  ck_assert_int_eq(seal_token_verify(NULL, tok, seal_key_pk(k), 1777109330000LL, 60000, &err),
                   SEAL_OK);
  /* wrong key */
  seal_key *k2 = key_seq(0x21);
  ck_assert_int_eq(seal_token_verify(NULL, tok, seal_key_pk(k2), 1777109100000LL, 0, &err),
                   SEAL_EVERIFY);
  /* R-SIGN-034: suite required — a payload without it, validly signed, is refused */
  const char *nosuite =
      "{\"mid\":\"m\",\"did\":\"d\",\"iat\":1,\"exp\":9999999999999,\"jti\":\"j\",\"aud\":\"a\"}";
  uint8_t sig[64];
  ck_assert_int_eq(seal_sign(sig, k, nosuite, strlen(nosuite)), SEAL_OK);
  char *a = seal_b64url_encode((const uint8_t *)nosuite, strlen(nosuite)),
       *b = seal_b64url_encode(sig, 64);
  char bad[1024];
  snprintf(bad, sizeof bad, "%s.%s", a, b);
  ck_assert_int_eq(seal_token_verify(NULL, bad, seal_key_pk(k), 2, 0, &err), SEAL_EVERIFY);
  ck_assert_ptr_nonnull(strstr(err.msg, "suite"));
  /* peek decodes without verifying */
  ck_assert_int_eq(seal_token_peek(&claims, tok, &err), SEAL_OK);
  ck_assert_str_eq(json_string_value(json_object_get(claims, "mid")),
                   "65b60673-d6ed-884b-b01c-2c222d82ada0");
  json_decref(claims);
  free(a);
  free(b);
  free(p64);
  free(tok);
  seal_key_free(k2);
  seal_key_free(k);
}
END_TEST

/* R-SIGN-020..024: delegation tokens, windows, scopes and chains */
START_TEST(delegation_tokens)
{
  seal_key *a = key_seq(0x01), *b = key_seq(0x21), *c = key_seq(0x41);
  char ida[SEAL_SOVEREIGN_ID], idb[SEAL_SOVEREIGN_ID], idc[SEAL_SOVEREIGN_ID];
  seal_sovereign_id(ida, seal_key_pk(a));
  seal_sovereign_id(idb, seal_key_pk(b));
  seal_sovereign_id(idc, seal_key_pk(c));
  json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "delegator_id", ida, "delegate_id", idb,
                           "delegate_public_key", seal_key_pk_hex(b), "scope",
                           "web_search, read_url,", "issued_at", (json_int_t)1000, "not_before",
                           (json_int_t)1000, "expires_at", (json_int_t)5000);
  json_t *t1 = NULL;
  ck_assert_int_eq(seal_sign_delegation_token(&t1, body, a, NULL), SEAL_OK);
  ck_assert_ptr_null(json_object_get(t1, "public_key"));
  seal_verify_opts o = SEAL_VERIFY_OPTS_INIT;
  seal_verdict v;
  o.now_ms = 2000;
  ck_assert_int_eq(seal_verify_delegation_token(t1, &o, &v), SEAL_OK);
  seal_verdict_clear(&v);
  o.now_ms = 6000;
  ck_assert_int_eq(seal_verify_delegation_token(t1, &o, &v), SEAL_EEXPIRED);
  seal_verdict_clear(&v);
  o.now_ms = 500;
  ck_assert_int_eq(seal_verify_delegation_token(t1, &o, &v), SEAL_EEXPIRED);
  ck_assert_ptr_nonnull(
      strstr(json_string_value(json_array_get(v.reasons, 0)), "not valid before"));
  seal_verdict_clear(&v);
  /* scope parsing: split on ',', trim, drop empties; '*' grants anything */
  ck_assert(seal_scope_allows("web_search, read_url,", "read_url"));
  ck_assert(!seal_scope_allows("web_search, read_url,", ""));
  ck_assert(!seal_scope_allows("web_search", "web"));
  ck_assert(seal_scope_allows(" * ", "anything"));
  json_t *req = json_pack("[s,s]", "web_search", "send_email");
  const char *denied = NULL;
  ck_assert(!seal_scope_covers("web_search,read_url", req, &denied));
  ck_assert_str_eq(denied, "send_email");
  ck_assert(seal_scope_covers("*", req, NULL));
  json_decref(req);
  ck_assert(seal_scope_narrowed("a,b", "b"));
  ck_assert(!seal_scope_narrowed("a,b", "b,c"));
  ck_assert(seal_scope_narrowed("*", "*"));
  ck_assert(!seal_scope_narrowed("a", "*"));
  /* chain a -> b -> c narrowing; then a widening link and a broken link */
  json_t *b2 = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "delegator_id", idb, "delegate_id", idc,
                         "delegate_public_key", seal_key_pk_hex(c), "scope", "read_url",
                         "issued_at", (json_int_t)1100, "expires_at", (json_int_t)4000);
  json_t *t2 = NULL;
  ck_assert_int_eq(seal_sign_delegation_token(&t2, b2, b, NULL), SEAL_OK);
  json_t *chain = json_pack("[O,O]", t1, t2);
  seal_err err = {0};
  ck_assert_int_eq(seal_verify_delegation_chain(chain, &err), SEAL_OK);
  json_decref(chain);
  json_t *t3 = NULL;
  json_object_set_new(b2, "scope", json_string("read_url,shell"));
  ck_assert_int_eq(seal_sign_delegation_token(&t3, b2, b, NULL), SEAL_OK);
  chain = json_pack("[O,O]", t1, t3);
  ck_assert_int_eq(seal_verify_delegation_chain(chain, &err), SEAL_ESCOPE);
  json_decref(chain);
  json_decref(t3);
  json_object_set_new(b2, "scope", json_string("read_url"));
  ck_assert_int_eq(seal_sign_delegation_token(&t3, b2, c, NULL), SEAL_OK); /* signed by c, not b */
  chain = json_pack("[O,O]", t1, t3);
  ck_assert_int_eq(seal_verify_delegation_chain(chain, &err), SEAL_EVERIFY);
  ck_assert_ptr_nonnull(strstr(err.msg, "chain[1]"));
  json_decref(chain);
  json_decref(t3);
  /* tamper: scope widened after signing */
  json_object_set_new(t1, "scope", json_string("*"));
  o.now_ms = 2000;
  ck_assert_int_eq(seal_verify_delegation_token(t1, &o, &v), SEAL_EVERIFY);
  seal_verdict_clear(&v);
  json_decref(t1);
  json_decref(t2);
  json_decref(b2);
  json_decref(body);
  seal_key_free(a);
  seal_key_free(b);
  seal_key_free(c);
}
END_TEST

/* R-SIGN-050..053: identity file */
START_TEST(identity_file)
{
  seal_key *k = key_seq(0x01);
  char id[SEAL_SOVEREIGN_ID], *yaml = NULL, *file = NULL;
  seal_sovereign_id(id, seal_key_pk(k));
  ck_assert_int_eq(seal_identity_yaml(&yaml, id, seal_key_pk_hex(k), "2026-01-01T00:00:00Z",
                                      "service", NULL),
                   SEAL_OK);
  ck_assert_ptr_nonnull(strstr(yaml, "deny_above: \"R4_MONEY\""));
  ck_assert_ptr_nonnull(strstr(yaml, "    secret: 7"));
  ck_assert_int_eq(seal_identity_sign(&file, yaml, k, NULL), SEAL_OK);
  ck_assert_uint_eq(strncmp(file, "---\n", 4), 0);
  ck_assert_ptr_nonnull(strstr(file, "\n---\n<!-- motebit:sig:motebit-jcs-ed25519-hex-v1:"));
  /* the signature covers exactly the YAML bytes */
  const char *hexsig = strstr(file, "hex-v1:") + 7;
  uint8_t sig[64];
  char hex[129];
  memcpy(hex, hexsig, 128);
  hex[128] = '\0';
  ck_assert_int_eq(seal_hex_decode(sig, 64, hex, 1), SEAL_OK);
  ck_assert_int_eq(seal_verify(sig, seal_key_pk(k), yaml, strlen(yaml)), SEAL_OK);
  seal_verdict v;
  ck_assert_int_eq(seal_identity_verify(file, strlen(file), NULL, &v), SEAL_OK);
  ck_assert_str_eq(v.signer_pk, seal_key_pk_hex(k));
  seal_verdict_clear(&v);
  {
    /* seal_identity_read: who the file names, bound by its signature */
    char mid[SEAL_SOVEREIGN_ID + 8];
    ck_assert_int_eq(seal_identity_read(file, strlen(file), mid, sizeof mid, &v), SEAL_OK);
    ck_assert_str_eq(mid, id);
    ck_assert_str_eq(v.signer_pk, seal_key_pk_hex(k));
    seal_verdict_clear(&v);
    char *other = strdup(file);
    other[strstr(other, id) - other] ^= 1; /* another motebit_id, same signature */
    ck_assert_int_eq(seal_identity_read(other, strlen(other), mid, sizeof mid, &v), SEAL_EVERIFY);
    seal_verdict_clear(&v);
    free(other);
    ck_assert_int_eq(seal_identity_read(file, strlen(file), mid, 0, &v), SEAL_EINVAL);
    seal_verdict_clear(&v);
  }
  ck_assert_int_eq(seal_verify_text(file, strlen(file), NULL, &v), SEAL_OK);
  ck_assert_int_eq(v.kind, SEAL_KIND_IDENTITY_FILE);
  seal_verdict_clear(&v);
  /* CRLF line endings are normalised before verifying */
  size_t n = strlen(file);
  char *crlf = malloc(2 * n + 1), *q = crlf;
  for (size_t i = 0; i < n; i++) {
    if (file[i] == '\n')
      *q++ = '\r';
    *q++ = file[i];
  }
  *q = '\0';
  ck_assert_int_eq(seal_identity_verify(crlf, strlen(crlf), NULL, &v), SEAL_OK);
  seal_verdict_clear(&v);
  free(crlf);
  /* tamper the YAML */
  char *t = strdup(file);
  *strstr(t, "R4_MONEY") = 'X';
  ck_assert_int_eq(seal_identity_verify(t, strlen(t), NULL, &v), SEAL_EVERIFY);
  ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(v.reasons, 0)), "did not verify"));
  seal_verdict_clear(&v);
  free(t);
  /* the legacy suite form is refused */
  t = strdup(file);
  char *s = strstr(t, "motebit-jcs-ed25519-hex-v1");
  memcpy(s, "Ed25519:", 8);
  ck_assert_int_eq(seal_identity_verify(t, strlen(t), NULL, &v), SEAL_EVERIFY);
  seal_verdict_clear(&v);
  free(t);
  /* pinned to another key */
  seal_key *k2 = key_seq(0x21);
  seal_verify_opts o = SEAL_VERIFY_OPTS_INIT;
  o.pinned_pk = seal_key_pk(k2);
  ck_assert_int_eq(seal_identity_verify(file, strlen(file), &o, &v), SEAL_EVERIFY);
  seal_verdict_clear(&v);
  seal_key_free(k2);
  free(file);
  free(yaml);
  seal_key_free(k);
}
END_TEST

/* R-SIGN-060..062: key succession */
START_TEST(succession)
{
  seal_key *k1 = key_seq(0x01), *k2 = key_seq(0x21), *k3 = key_seq(0x41);
  json_t *r1 = NULL, *r2 = NULL;
  seal_err err = {0};
  ck_assert_int_eq(seal_succession_sign(&r1, k1, k2, 1000, "rotation", &err), SEAL_OK);
  ck_assert_int_eq(seal_succession_sign(&r2, k2, k3, 2000, NULL, &err), SEAL_OK);
  ck_assert_int_eq(seal_succession_verify(r1, &err), SEAL_OK);
  json_t *chain = json_pack("[O,O]", r1, r2);
  ck_assert_int_eq(seal_succession_verify_chain(chain, seal_key_pk_hex(k3), &err), SEAL_OK);
  ck_assert_int_eq(seal_succession_verify_chain(chain, seal_key_pk_hex(k2), &err), SEAL_EVERIFY);
  json_decref(chain);
  chain = json_pack("[O,O]", r2, r1); /* out of order */
  ck_assert_int_eq(seal_succession_verify_chain(chain, NULL, &err), SEAL_EVERIFY);
  json_decref(chain);
  seal_verdict v;
  ck_assert_int_eq(seal_verify_artifact(r1, NULL, &v), SEAL_OK);
  ck_assert_int_eq(v.kind, SEAL_KIND_KEY_SUCCESSION);
  seal_verdict_clear(&v);
  json_object_set_new(r1, "timestamp", json_integer(1001));
  ck_assert_int_eq(seal_succession_verify(r1, &err), SEAL_EVERIFY);
  json_decref(r1);
  json_decref(r2);
  seal_key_free(k1);
  seal_key_free(k2);
  seal_key_free(k3);
}
END_TEST

/* R-SIGN-070..072: eddsa-jcs-2022 over documents holding reals */
START_TEST(vc_proofs)
{
  seal_key *k = key_seq(0x01);
  json_t *vc = json_pack("{s:[s,s],s:s,s:{s:s,s:f,s:i}}", "type", "VerifiableCredential",
                         "AgentReputationCredential", "issuer", "did:key:x", "credentialSubject",
                         "id", "did:key:y", "success_rate", 0.875, "task_count", 12);
  json_t *p = NULL;
  ck_assert_int_eq(seal_vc_prove(&p, vc, k, "2026-01-01T00:00:00Z", NULL, NULL), SEAL_OK);
  const char *vm = json_string_value(
      json_object_get(json_object_get(p, "proof"), "verificationMethod"));
  ck_assert_str_eq(
      vm,
      "did:key:z6MkneMkZqwqRiU5mJzSG3kDwzt9P8C59N4NGTfBLfSGE7c7#z6MkneMkZqwqRiU5mJzSG3kDwzt9P8C59N4NGTfBLfSGE7c7");
  seal_verdict v;
  ck_assert_int_eq(seal_vc_verify(p, &v), SEAL_OK);
  seal_verdict_clear(&v);
  json_t *vp = json_pack("{s:[s],s:[O]}", "type", "VerifiablePresentation", "verifiableCredential",
                         p);
  json_t *pp = NULL;
  ck_assert_int_eq(seal_vc_prove(&pp, vp, k, "2026-01-01T00:00:01Z", "authentication", NULL),
                   SEAL_OK);
  ck_assert_int_eq(seal_verify_artifact(pp, NULL, &v), SEAL_OK);
  ck_assert_int_eq(v.kind, SEAL_KIND_CREDENTIAL);
  seal_verdict_clear(&v);
  /* tamper the inner credential's real: both the VP proof and the VC proof fail */
  json_t *inner = json_array_get(json_object_get(pp, "verifiableCredential"), 0);
  json_object_set_new(json_object_get(inner, "credentialSubject"), "success_rate", json_real(0.9));
  ck_assert_int_eq(seal_vc_verify(pp, &v), SEAL_EVERIFY);
  ck_assert_uint_eq(json_array_size(v.reasons), 2);
  seal_verdict_clear(&v);
  json_decref(pp);
  json_decref(vp);
  json_decref(p);
  json_decref(vc);
  seal_key_free(k);
}
END_TEST

/* R-SIGN-080..082: MCP text tag, wrappers, detector, unreadable input */
START_TEST(text_front_door)
{
  seal_key *k = key_seq(0x01);
  json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "invocation_id", "inv-1",
                           "task_id", "task-1", "motebit_id", "m", "device_id", "d", "tool_name",
                           "motus_wrap", "started_at", (json_int_t)1, "completed_at", (json_int_t)2,
                           "status", "ok", "args_hash",
                           "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                           "result_hash",
                           "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  json_t *r = NULL;
  ck_assert_int_eq(seal_sign_tool_invocation_receipt(&r, body, k, NULL), SEAL_OK);
  char *js = json_dumps(r, JSON_COMPACT), buf[4096];
  seal_verdict v;
  snprintf(buf, sizeof buf, "%s\n[motebit:65b60673 key:79b5562e8fe654f9]\n", js);
  ck_assert_int_eq(seal_verify_text(buf, strlen(buf), NULL, &v), SEAL_OK);
  ck_assert_int_eq(v.kind, SEAL_KIND_TOOL_INVOCATION_RECEIPT);
  seal_verdict_clear(&v);
  snprintf(buf, sizeof buf, "{\"receipt\":%s}", js);
  ck_assert_int_eq(seal_verify_text(buf, strlen(buf), NULL, &v), SEAL_OK);
  seal_verdict_clear(&v);
  ck_assert_int_eq(seal_verify_text("{\"a\":1}", 7, NULL, &v), SEAL_EVERIFY);
  ck_assert_int_eq(v.kind, SEAL_KIND_UNKNOWN);
  seal_verdict_clear(&v);
  ck_assert_int_eq(seal_verify_text("not json", 8, NULL, &v), SEAL_EINVAL);
  seal_verdict_clear(&v);
  snprintf(buf, sizeof buf, "%.*s,\"status\":\"x\"}", (int)strlen(js) - 1, js); /* duplicate key */
  ck_assert_int_eq(seal_verify_text(buf, strlen(buf), NULL, &v), SEAL_EINVAL);
  seal_verdict_clear(&v);
  /* a missing required field is named */
  json_object_del(body, "tool_name");
  json_t *bad = NULL;
  seal_err err = {0};
  ck_assert_int_eq(seal_sign_tool_invocation_receipt(&bad, body, k, &err), SEAL_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.msg, "tool_name"));
  /* a real in a signed body is refused at signing time */
  json_object_set_new(body, "tool_name", json_string("t"));
  json_object_set_new(body, "started_at", json_real(1.5));
  ck_assert_int_eq(seal_sign_b64(&bad, body, k, &err), SEAL_EREAL);
  free(js);
  json_decref(r);
  json_decref(body);
  seal_key_free(k);
}
END_TEST

/* The text signer writes byte for byte the canonical text (JCS and Motus alike) of what the
 * json_t signer returns for the same body, verifies, and refuses malformed fields. */
START_TEST(sign_receipt_text)
{
  seal_key *k = key_seq(0x02);
  const char *h = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
  seal_tir_fields f = {.invocation_id = "inv-2",
                       .task_id = "task-2",
                       .motebit_id = "m",
                       .device_id = "d",
                       .tool_name = "t\u00e9\"\n\U0001F600",
                       .status = "completed",
                       .args_hash = h,
                       .result_hash = h,
                       .invocation_origin = "ai-loop",
                       .started_at = 1,
                       .completed_at = 1796647060231LL};
  json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s}", "invocation_id",
                           f.invocation_id, "task_id", f.task_id, "motebit_id", f.motebit_id,
                           "device_id", f.device_id, "tool_name", f.tool_name, "started_at",
                           (json_int_t)f.started_at, "completed_at", (json_int_t)f.completed_at,
                           "status", f.status, "args_hash", h, "result_hash", h,
                           "invocation_origin", f.invocation_origin);
  json_t *copied = NULL, *parsed;
  char *text = NULL, *want = NULL, *motus = NULL;
  size_t len = 0, want_len = 0, motus_len = 0;
  seal_err err = {0};
  seal_verdict v;
  ck_assert_int_eq(seal_sign_tool_invocation_receipt(&copied, body, k, NULL), SEAL_OK);
  ck_assert_int_eq(seal_sign_tool_invocation_receipt_text(&text, &len, &f, k, &err), SEAL_OK);
  ck_assert_int_eq(seal_canon(&want, &want_len, copied, SEAL_CANON_JCS, NULL), SEAL_OK);
  ck_assert_uint_eq(len, strlen(text));
  ck_assert_str_eq(text, want);
  parsed = json_loadb(text, len, 0, NULL);
  ck_assert_ptr_nonnull(parsed);
  ck_assert_int_eq(seal_canon(&motus, &motus_len, parsed, SEAL_CANON_MOTUS, NULL), SEAL_OK);
  ck_assert_str_eq(motus, text);
  ck_assert_int_eq(seal_verify_tool_invocation_receipt(parsed, NULL, &v), SEAL_OK);
  seal_verdict_clear(&v);
  /* refusals: nothing is written */
  char *none = NULL;
  seal_tir_fields bad = f;
  bad.result_hash = "44136FA355B3678A1146AD16F7E8649E94FB4FC21FE77E8310C060F61CAAFF8A";
  ck_assert_int_eq(seal_sign_tool_invocation_receipt_text(&none, &len, &bad, k, &err), SEAL_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.msg, "result_hash"));
  bad = f;
  bad.invocation_origin = "sideways";
  ck_assert_int_eq(seal_sign_tool_invocation_receipt_text(&none, &len, &bad, k, &err), SEAL_EINVAL);
  bad = f;
  bad.tool_name = "";
  ck_assert_int_eq(seal_sign_tool_invocation_receipt_text(&none, &len, &bad, k, &err), SEAL_EINVAL);
  bad = f;
  bad.device_id = "\xff";
  ck_assert_int_eq(seal_sign_tool_invocation_receipt_text(&none, &len, &bad, k, &err), SEAL_EINVAL);
  ck_assert_ptr_null(none);
  free(text);
  free(want);
  free(motus);
  json_decref(parsed);
  json_decref(copied);
  json_decref(body);
  seal_key_free(k);
}
END_TEST

Suite *suite_artifacts(void)
{
  Suite *s = suite_create("artifacts");
  TCase *tc = tcase_create("signed");
  tcase_add_test(tc, auth_token_vector);
  tcase_add_test(tc, sign_receipt_text);
  tcase_add_test(tc, delegation_tokens);
  tcase_add_test(tc, identity_file);
  tcase_add_test(tc, succession);
  tcase_add_test(tc, vc_proofs);
  tcase_add_test(tc, text_front_door);
  suite_add_tcase(s, tc);
  return s;
}
