/* SPDX-License-Identifier: Apache-2.0
 * crypto/identity.c — the text-shaped and identity-level artifacts of spec/signing.md: signed
 * bearer tokens (motebit-jwt-ed25519-v1, verified over the received payload bytes), the
 * motebit.md identity file (hex signature over the raw YAML), key succession records (both keys
 * sign), and eddsa-jcs-2022 proofs on credentials and presentations. No I/O, no logging; YAML
 * is only scanned for the two lines verification needs, never parsed in general. */
#include "crypto/artifacts.h"
#include "crypto/seal_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bearer tokens (R-SIGN-030..034) --------------------------------------------------------- */

int seal_token_mint(char **out, const seal_key *key, const char *mid, const char *device_id,
                    int64_t iat_ms, int64_t exp_ms, const char *jti, const char *aud, seal_err *err)
{
  seal_buf b = {0};
  char num[32], uuid[SEAL_SOVEREIGN_ID], *p64, *s64;
  uint8_t sig[SEAL_SIG_BYTES];
  if (!key || !mid || !device_id || !aud || !*aud)
    return seal_errf(err, SEAL_EINVAL, 0, "token: key, mid, did and aud are required");
  if (!jti) {
    seal_uuid4(uuid);
    jti = uuid;
  }
  seal_buf_puts(&b, "{\"mid\":");
  seal_buf_json_string(&b, mid, strlen(mid));
  seal_buf_puts(&b, ",\"did\":");
  seal_buf_json_string(&b, device_id, strlen(device_id));
  snprintf(num, sizeof num, ",\"iat\":%lld", (long long)iat_ms);
  seal_buf_puts(&b, num);
  snprintf(num, sizeof num, ",\"exp\":%lld", (long long)exp_ms);
  seal_buf_puts(&b, num);
  seal_buf_puts(&b, ",\"jti\":");
  seal_buf_json_string(&b, jti, strlen(jti));
  seal_buf_puts(&b, ",\"aud\":");
  seal_buf_json_string(&b, aud, strlen(aud));
  seal_buf_puts(&b, ",\"suite\":\"" SEAL_SUITE_JWT "\"}");
  if (b.oom) {
    seal_buf_free(&b);
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  }
  if (seal_sign(sig, key, b.buf, b.len) != SEAL_OK) {
    seal_buf_free(&b);
    return seal_errf(err, SEAL_ERROR, 0, "signing failed");
  }
  p64 = seal_b64url_encode((const uint8_t *)b.buf, b.len);
  s64 = seal_b64url_encode(sig, sizeof sig);
  seal_buf_free(&b);
  if (!p64 || !s64) {
    free(p64);
    free(s64);
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  }
  *out = malloc(strlen(p64) + strlen(s64) + 2);
  if (*out)
    snprintf(*out, strlen(p64) + strlen(s64) + 2, "%s.%s", p64, s64);
  free(p64);
  free(s64);
  return *out ? SEAL_OK : seal_errf(err, SEAL_ERROR, 0, "out of memory");
}

/* a + b clamped to the int64 range: token times are peer-chosen (INT64_MAX is valid JSON) */
static int64_t sat_add(int64_t a, int64_t b)
{
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

/* Splits and decodes; payload bytes and signature bytes are malloc'd. */
static int token_split(const char *token, uint8_t **payload, size_t *plen, uint8_t **sig,
                       size_t *slen, seal_err *err)
{
  const char *dot;
  if (!token)
    return seal_errf(err, SEAL_EINVAL, 0, "no token");
  if (!strncmp(token, "motebit:", 8))
    token += 8;
  dot = strchr(token, '.');
  if (!dot)
    return seal_errf(err, SEAL_EINVAL, 0, "token has no '.'");
  if (seal_b64url_decode(payload, plen, token, (size_t)(dot - token)) != SEAL_OK)
    return seal_errf(err, SEAL_EINVAL, 0, "token payload is not base64url");
  if (seal_b64url_decode(sig, slen, dot + 1, strlen(dot + 1)) != SEAL_OK) {
    free(*payload);
    return seal_errf(err, SEAL_EINVAL, 0, "token signature is not base64url");
  }
  return SEAL_OK;
}

int seal_token_peek(json_t **claims, const char *token, seal_err *err)
{
  uint8_t *p = NULL, *s = NULL;
  size_t pl = 0, sl = 0;
  int rc = token_split(token, &p, &pl, &s, &sl, err);
  if (rc != SEAL_OK)
    return rc;
  *claims = seal_json_parse_strict((const char *)p, pl, err);
  free(p);
  free(s);
  if (!*claims || !json_is_object(*claims)) {
    json_decref(*claims);
    *claims = NULL;
    return seal_errf(err, SEAL_EINVAL, 0, "token payload is not a JSON object");
  }
  return SEAL_OK;
}

int seal_token_verify(json_t **claims, const char *token, const uint8_t pk[SEAL_PK_BYTES],
                      int64_t now_ms, int64_t skew_ms, seal_err *err)
{
  uint8_t *p = NULL, *s = NULL;
  size_t pl = 0, sl = 0;
  json_t *c;
  const char *suite, *jti, *aud;
  json_t *exp;
  int rc = token_split(token, &p, &pl, &s, &sl, err);
  if (rc != SEAL_OK)
    return rc;
  c = seal_json_parse_strict((const char *)p, pl, err);
  if (!json_is_object(c)) {
    rc = seal_errf(err, SEAL_EINVAL, 0, "token payload is not a JSON object");
    goto done;
  }
  suite = json_string_value(json_object_get(c, "suite"));
  if (!suite || strcmp(suite, SEAL_SUITE_JWT)) {
    rc = seal_errf(err, SEAL_EVERIFY, 0, "token suite missing or not %s", SEAL_SUITE_JWT);
    goto done;
  }
  if (sl != SEAL_SIG_BYTES || seal_verify(s, pk, p, pl) != SEAL_OK) {
    rc = seal_errf(err, SEAL_EVERIFY, 0, "token signature did not verify");
    goto done;
  }
  exp = json_object_get(c, "exp");
  if (!json_is_integer(exp) || !json_is_integer(json_object_get(c, "iat"))) {
    rc = seal_errf(err, SEAL_EINVAL, 0, "token iat/exp must be integers (epoch ms)");
    goto done;
  }
  if (!now_ms)
    now_ms = seal_now_ms();
  if (sat_add(json_integer_value(exp), skew_ms) <= now_ms) {
    rc = seal_errf(err, SEAL_EEXPIRED, 0, "token expired");
    goto done;
  }
  if (sat_add(json_integer_value(json_object_get(c, "iat")), -skew_ms) > now_ms) {
    rc = seal_errf(err, SEAL_EINVAL, 0, "token issued in the future (iat beyond the clock skew)");
    goto done;
  }
  if (json_integer_value(exp) < json_integer_value(json_object_get(c, "iat"))) {
    rc = seal_errf(err, SEAL_EINVAL, 0, "token expires before it was issued");
    goto done;
  }
  jti = json_string_value(json_object_get(c, "jti"));
  aud = json_string_value(json_object_get(c, "aud"));
  if (!jti || !*jti || !aud || !*aud) {
    rc = seal_errf(err, SEAL_EINVAL, 0, "token jti and aud must be non-empty strings");
    goto done;
  }
  rc = SEAL_OK;
done:
  free(p);
  free(s);
  if (rc == SEAL_OK && claims)
    *claims = c;
  else
    json_decref(c);
  return rc;
}

/* ---- identity file (R-SIGN-050..053) ---------------------------------------------------------- */

int seal_profile_valid(const char *name)
{
  return name &&
         (strcmp(name, SEAL_PROFILE_PERSONAL) == 0 || strcmp(name, SEAL_PROFILE_SERVICE) == 0 ||
          strcmp(name, SEAL_PROFILE_COLLABORATIVE) == 0);
}

int seal_identity_yaml(char **out, const char *motebit_id, const char *pk_hex,
                       const char *created_at, const char *type, seal_err *err)
{
  seal_buf b = {0};
  char line[512];
  if (!motebit_id || !pk_hex || !created_at)
    return seal_errf(err, SEAL_EINVAL, 0, "identity: motebit_id, public key and created_at needed");
  if (strpbrk(motebit_id, "\"\\\n") || strpbrk(created_at, "\"\\\n") || strlen(pk_hex) != 64 ||
      (type && !seal_profile_valid(type)))
    return seal_errf(err, SEAL_EINVAL, 0, "identity: bad motebit_id, created_at, key or type");
#define L(...)                                                                                     \
  do {                                                                                             \
    snprintf(line, sizeof line, __VA_ARGS__);                                                      \
    seal_buf_puts(&b, line);                                                                       \
  } while (0)
  L("spec: \"motebit/identity@1.0\"\n");
  L("motebit_id: \"%s\"\n", motebit_id);
  L("created_at: \"%s\"\n", created_at);
  L("owner_id: \"%s\"\n", motebit_id);
  if (type)
    L("type: \"%s\"\n", type);
  L("identity:\n  algorithm: \"Ed25519\"\n  public_key: \"%s\"\n", pk_hex);
  L("governance:\n  trust_mode: \"guarded\"\n  max_risk_auto: \"R1_DRAFT\"\n"
    "  require_approval_above: \"R1_DRAFT\"\n  deny_above: \"R4_MONEY\"\n  operator_mode: false\n");
  L("privacy:\n  default_sensitivity: \"personal\"\n  retention_days:\n    none: 365\n"
    "    personal: 90\n    medical: 30\n    financial: 30\n    secret: 7\n  fail_closed: true\n");
  L("memory:\n  half_life_days: 7\n  confidence_threshold: 0.3\n  per_turn_limit: 5\n");
  L("devices: []");
#undef L
  if (b.oom) {
    seal_buf_free(&b);
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  }
  *out = b.buf;
  return SEAL_OK;
}

/* Copy with CRLF -> LF. */
static char *normalize_lf(const char *t, size_t len, size_t *out_len)
{
  char *o = malloc(len + 1);
  size_t i, n = 0;
  if (!o)
    return NULL;
  for (i = 0; i < len; i++)
    if (!(t[i] == '\r' && i + 1 < len && t[i + 1] == '\n'))
      o[n++] = t[i];
  o[n] = '\0';
  *out_len = n;
  return o;
}

int seal_identity_sign(char **out, const char *yaml, const seal_key *key, seal_err *err)
{
  size_t n;
  char *y, hex[SEAL_SIG_HEX];
  uint8_t sig[SEAL_SIG_BYTES];
  seal_buf b = {0};
  if (!yaml || !key)
    return seal_errf(err, SEAL_EINVAL, 0, "identity: yaml and key needed");
  if (!(y = normalize_lf(yaml, strlen(yaml), &n)))
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  while (n > 0 && y[n - 1] == '\n')
    y[--n] = '\0';
  if (seal_sign(sig, key, y, n) != SEAL_OK) {
    free(y);
    return seal_errf(err, SEAL_ERROR, 0, "signing failed");
  }
  seal_hex_encode(hex, sig, sizeof sig);
  seal_buf_puts(&b, "---\n");
  seal_buf_put(&b, y, n);
  seal_buf_puts(&b, "\n---\n<!-- motebit:sig:" SEAL_SUITE_HEX ":");
  seal_buf_puts(&b, hex);
  seal_buf_puts(&b, " -->\n");
  free(y);
  if (b.oom) {
    seal_buf_free(&b);
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  }
  *out = b.buf;
  return SEAL_OK;
}

/* Value of a `key:` line (optionally quoted) into buf. `indented` selects lines with leading
 * spaces inside the `section:` block (section NULL = top level). */
static int yaml_value(const char *y, size_t n, const char *section, const char *key, char *buf,
                      size_t cap)
{
  const char *p = y, *end = y + n;
  int in_section = section == NULL;
  size_t kl = strlen(key);
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *s = p;
    if (!eol)
      eol = end;
    if (section) {
      if (*p != ' ' && *p != '\t' && eol > p)
        in_section = (size_t)(eol - p) >= strlen(section) + 1 &&
                     !strncmp(p, section, strlen(section)) && p[strlen(section)] == ':';
      while (s < eol && *s == ' ')
        s++;
      if (s == p) { /* top-level line: not inside */
        p = eol + 1;
        continue;
      }
    }
    if (in_section && (size_t)(eol - s) > kl && !strncmp(s, key, kl) && s[kl] == ':') {
      const char *v = s + kl + 1, *ve = eol;
      size_t l;
      while (v < ve && (*v == ' ' || *v == '\t'))
        v++;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
        ve--;
      if (ve - v >= 2 && (*v == '"' || *v == '\'') && ve[-1] == *v)
        v++, ve--;
      l = (size_t)(ve - v);
      if (l >= cap)
        return 0;
      memcpy(buf, v, l);
      buf[l] = '\0';
      return 1;
    }
    p = eol + 1;
  }
  return 0;
}

static int identity_check(const char *text, size_t len, const seal_verify_opts *opts,
                          seal_verdict *out, char *mid_out, size_t mid_cap)
{
  size_t n, ylen;
  char *t, *close, *sig, *suite_end, pkhex[80], sighex[200];
  uint8_t pk[SEAL_PK_BYTES], sigb[SEAL_SIG_BYTES];
  seal_verdict_init(out);
  out->kind = SEAL_KIND_IDENTITY_FILE;
  if (!(t = normalize_lf(text, len, &n))) {
    seal_verdict_fail(out, "identity_file: out of memory");
    return SEAL_ERROR;
  }
  if (strncmp(t, "---\n", 4)) {
    seal_verdict_fail(out, "identity_file: does not start with a '---' line");
    goto out;
  }
  close = strstr(t + 3, "\n---");
  if (!close || (close[4] != '\n' && close[4] != '\0')) {
    seal_verdict_fail(out, "identity_file: no closing '---' line");
    goto out;
  }
  /* "---\n---\n": the closing line starts at the opening line's newline (close == t + 3), an
   * empty front matter */
  ylen = close >= t + 4 ? (size_t)(close - (t + 4)) : 0;
  sig = strstr(close + 4, "<!-- motebit:sig:");
  if (!sig) {
    seal_verdict_fail(out, "identity_file: no signature comment");
    goto out;
  }
  sig += strlen("<!-- motebit:sig:");
  suite_end = strchr(sig, ':');
  if (!suite_end || (size_t)(suite_end - sig) != strlen(SEAL_SUITE_HEX) ||
      strncmp(sig, SEAL_SUITE_HEX, strlen(SEAL_SUITE_HEX))) {
    seal_verdict_fail(out, "identity_file: signature suite is not %s (legacy forms are refused)",
                      SEAL_SUITE_HEX);
    goto out;
  }
  {
    const char *h = suite_end + 1, *he = strstr(h, " -->");
    if (!he || (size_t)(he - h) >= sizeof sighex) {
      seal_verdict_fail(out, "identity_file: malformed signature comment");
      goto out;
    }
    memcpy(sighex, h, (size_t)(he - h));
    sighex[he - h] = '\0';
  }
  if (seal_hex_decode(sigb, sizeof sigb, sighex, 1) != SEAL_OK) {
    seal_verdict_fail(out, "identity_file: signature is not 128 lowercase hex characters");
    goto out;
  }
  if (!yaml_value(t + 4, ylen, "identity", "public_key", pkhex, sizeof pkhex) ||
      seal_hex_decode(pk, sizeof pk, pkhex, 1) != SEAL_OK) {
    seal_verdict_fail(out, "identity_file: identity.public_key missing or not 64 lowercase hex");
    goto out;
  }
  seal_did_key_from_pk(out->signer, pk) == SEAL_OK ? (void)0 : (void)(out->signer[0] = '\0');
  seal_hex_encode(out->signer_pk, pk, SEAL_PK_BYTES);
  if (opts && opts->pinned_pk && seal_memcmp(pk, opts->pinned_pk, SEAL_PK_BYTES))
    seal_verdict_fail(out, "identity_file: identity.public_key is not the pinned key");
  if (seal_verify(sigb, pk, t + 4, ylen) != SEAL_OK)
    seal_verdict_fail(out, "identity_file: signature did not verify");
  if (mid_out && out->valid && !yaml_value(t + 4, ylen, NULL, "motebit_id", mid_out, mid_cap))
    seal_verdict_fail(out, "identity_file: motebit_id missing");
out:
  free(t);
  return out->valid ? SEAL_OK : SEAL_EVERIFY;
}

int seal_identity_verify(const char *text, size_t len, const seal_verify_opts *opts,
                         seal_verdict *out)
{
  return identity_check(text, len, opts, out, NULL, 0);
}

int seal_identity_read(const char *text, size_t len, char *motebit_id, size_t cap,
                       seal_verdict *out)
{
  if (!motebit_id || !cap) {
    seal_verdict_init(out);
    seal_verdict_fail(out, "identity_file: no room for the motebit_id");
    return SEAL_EINVAL;
  }
  motebit_id[0] = '\0';
  return identity_check(text, len, NULL, out, motebit_id, cap);
}

/* ---- key succession (R-SIGN-060..062) ---------------------------------------------------------- */

static json_t *succession_payload(const json_t *rec)
{
  json_t *p = json_object();
  const char *keys[] = {"new_public_key", "old_public_key", "reason",
                        "recovery",       "suite",          "timestamp"};
  size_t i;
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    json_t *v = json_object_get(rec, keys[i]);
    if (v)
      json_object_set(p, keys[i], v);
  }
  return p;
}

static int sign_hex(char out[SEAL_SIG_HEX], const seal_key *k, const json_t *payload, seal_err *err)
{
  char *c = NULL;
  size_t n = 0;
  uint8_t sig[SEAL_SIG_BYTES];
  int rc = seal_canon(&c, &n, payload, SEAL_CANON_JCS, err);
  if (rc != SEAL_OK)
    return rc;
  rc = seal_sign(sig, k, c, n);
  free(c);
  if (rc != SEAL_OK)
    return seal_errf(err, rc, 0, "signing failed");
  seal_hex_encode(out, sig, sizeof sig);
  return SEAL_OK;
}

int seal_succession_sign(json_t **out, const seal_key *old_key, const seal_key *new_key,
                         int64_t timestamp_ms, const char *reason, seal_err *err)
{
  json_t *rec, *payload;
  char so[SEAL_SIG_HEX], sn[SEAL_SIG_HEX];
  int rc;
  if (!old_key || !new_key)
    return seal_errf(err, SEAL_EINVAL, 0, "succession: both keys are needed");
  rec = json_pack("{s:s,s:s,s:I,s:s}", "old_public_key", seal_key_pk_hex(old_key), "new_public_key",
                  seal_key_pk_hex(new_key), "timestamp", (json_int_t)timestamp_ms, "suite",
                  SEAL_SUITE_HEX);
  if (reason)
    json_object_set_new(rec, "reason", json_string(reason));
  payload = succession_payload(rec);
  rc = sign_hex(so, old_key, payload, err);
  if (rc == SEAL_OK)
    rc = sign_hex(sn, new_key, payload, err);
  json_decref(payload);
  if (rc != SEAL_OK) {
    json_decref(rec);
    return rc;
  }
  json_object_set_new(rec, "old_key_signature", json_string(so));
  json_object_set_new(rec, "new_key_signature", json_string(sn));
  *out = rec;
  return SEAL_OK;
}

static int verify_hex_sig(const char *sighex, const char *pkhex, const json_t *payload)
{
  uint8_t sig[SEAL_SIG_BYTES], pk[SEAL_PK_BYTES];
  char *c = NULL;
  size_t n = 0;
  int rc;
  if (!sighex || !pkhex || seal_hex_decode(sig, sizeof sig, sighex, 1) != SEAL_OK ||
      seal_hex_decode(pk, sizeof pk, pkhex, 1) != SEAL_OK)
    return SEAL_EINVAL;
  if (seal_canon(&c, &n, payload, SEAL_CANON_JCS, NULL) != SEAL_OK)
    return SEAL_EINVAL;
  rc = seal_verify(sig, pk, c, n);
  free(c);
  return rc;
}

int seal_succession_verify(const json_t *rec, seal_err *err)
{
  const char *suite = json_string_value(json_object_get(rec, "suite"));
  const char *oldk = json_string_value(json_object_get(rec, "old_public_key"));
  const char *newk = json_string_value(json_object_get(rec, "new_public_key"));
  json_t *payload;
  int rc = SEAL_OK;
  if (!json_is_object(rec) || !oldk || !newk || !json_is_integer(json_object_get(rec, "timestamp")))
    return seal_errf(err, SEAL_EINVAL, 0,
                     "succession record needs old/new_public_key and timestamp");
  if (!suite || strcmp(suite, SEAL_SUITE_HEX))
    return seal_errf(err, SEAL_EVERIFY, 0, "succession suite missing or not %s", SEAL_SUITE_HEX);
  if (json_is_true(json_object_get(rec, "recovery")))
    return seal_errf(err, SEAL_EVERIFY, 0, "guardian recovery records are not supported");
  payload = succession_payload(rec);
  if (verify_hex_sig(json_string_value(json_object_get(rec, "old_key_signature")), oldk, payload))
    rc = seal_errf(err, SEAL_EVERIFY, 0, "old_key_signature did not verify");
  else if (verify_hex_sig(json_string_value(json_object_get(rec, "new_key_signature")), newk,
                          payload))
    rc = seal_errf(err, SEAL_EVERIFY, 0, "new_key_signature did not verify");
  json_decref(payload);
  return rc;
}

int seal_succession_verify_chain(const json_t *chain, const char *current_pk_hex, seal_err *err)
{
  size_t i, n = json_array_size(chain);
  if (!json_is_array(chain) || n == 0)
    return seal_errf(err, SEAL_EINVAL, 0, "succession chain must be a non-empty array");
  for (i = 0; i < n; i++) {
    const json_t *r = json_array_get(chain, i);
    seal_err e = {0};
    if (seal_succession_verify(r, &e) != SEAL_OK)
      return seal_errf(err, SEAL_EVERIFY, 0, "succession[%zu]: %s", i, e.msg);
    if (i > 0) {
      const json_t *p = json_array_get(chain, i - 1);
      if (strcmp(json_string_value(json_object_get(p, "new_public_key")),
                 json_string_value(json_object_get(r, "old_public_key"))))
        return seal_errf(err, SEAL_EVERIFY, 0,
                         "succession[%zu]: old key is not the previous new key", i);
      if (json_integer_value(json_object_get(r, "timestamp")) <=
          json_integer_value(json_object_get(p, "timestamp")))
        return seal_errf(err, SEAL_EVERIFY, 0, "succession[%zu]: timestamp does not increase", i);
    }
  }
  if (current_pk_hex &&
      strcmp(json_string_value(json_object_get(json_array_get(chain, n - 1), "new_public_key")),
             current_pk_hex))
    return seal_errf(err, SEAL_EVERIFY, 0, "succession: last new key is not the current key");
  return SEAL_OK;
}

/* ---- eddsa-jcs-2022 (R-SIGN-070..072) ----------------------------------------------------------- */

static int vc_message(uint8_t msg[64], const json_t *options, const json_t *doc, seal_err *err)
{
  char *c = NULL;
  size_t n = 0;
  int rc = seal_canon(&c, &n, options, SEAL_CANON_JCS_REALS, err);
  if (rc != SEAL_OK)
    return rc;
  seal_sha256(msg, c, n);
  free(c);
  if ((rc = seal_canon_without(&c, &n, doc, "proof", SEAL_CANON_JCS_REALS, err)) != SEAL_OK)
    return rc;
  seal_sha256(msg + 32, c, n);
  free(c);
  return SEAL_OK;
}

int seal_vc_prove(json_t **out, const json_t *doc, const seal_key *key, const char *created,
                  const char *proof_purpose, seal_err *err)
{
  char did[SEAL_DID_KEY_MAX], vm[2 * SEAL_DID_KEY_MAX], *b58;
  uint8_t msg[64], sig[SEAL_SIG_BYTES];
  json_t *opts, *copy;
  int rc;
  if (!json_is_object(doc) || !key || !created)
    return seal_errf(err, SEAL_EINVAL, 0, "vc: document, key and created are needed");
  if (seal_did_key_from_pk(did, seal_key_pk(key)) != SEAL_OK)
    return seal_errf(err, SEAL_ERROR, 0, "did:key failed");
  snprintf(vm, sizeof vm, "%s#%s", did, did + 8);
  opts = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "DataIntegrityProof", "cryptosuite",
                   SEAL_SUITE_VC, "created", created, "verificationMethod", vm, "proofPurpose",
                   proof_purpose ? proof_purpose : "assertionMethod");
  if ((rc = vc_message(msg, opts, doc, err)) != SEAL_OK || (rc = seal_sign(sig, key, msg, 64))) {
    json_decref(opts);
    return rc;
  }
  b58 = seal_b58_encode(sig, sizeof sig);
  if (!b58) {
    json_decref(opts);
    return seal_errf(err, SEAL_ERROR, 0, "out of memory");
  }
  json_object_set_new(opts, "proofValue", json_sprintf("z%s", b58));
  free(b58);
  copy = json_deep_copy(doc);
  json_object_set_new(copy, "proof", opts);
  *out = copy;
  return SEAL_OK;
}

static void vc_verify_one(const json_t *doc, const char *node, seal_verdict *out, int top)
{
  json_t *proof = json_object_get(doc, "proof"), *opts;
  const char *suite, *vm, *pv;
  uint8_t pk[SEAL_PK_BYTES], msg[64], *sig = NULL;
  size_t sl = 0;
  seal_err err = {0};
  if (!json_is_object(proof)) {
    seal_verdict_fail(out, "%s: no proof", node);
    return;
  }
  suite = json_string_value(json_object_get(proof, "cryptosuite"));
  vm = json_string_value(json_object_get(proof, "verificationMethod"));
  pv = json_string_value(json_object_get(proof, "proofValue"));
  if (!suite || strcmp(suite, SEAL_SUITE_VC)) {
    seal_verdict_fail(out, "%s: cryptosuite is not %s", node, SEAL_SUITE_VC);
    return;
  }
  if (!vm || seal_pk_from_did_key(pk, vm) != SEAL_OK) {
    seal_verdict_fail(out, "%s: verificationMethod is not an Ed25519 did:key", node);
    return;
  }
  if (top) {
    seal_did_key_from_pk(out->signer, pk) == SEAL_OK ? (void)0 : (void)(out->signer[0] = '\0');
    seal_hex_encode(out->signer_pk, pk, SEAL_PK_BYTES);
  }
  if (!pv || pv[0] != 'z' || seal_b58_decode(&sig, &sl, pv + 1) != SEAL_OK ||
      sl != SEAL_SIG_BYTES) {
    free(sig);
    seal_verdict_fail(out, "%s: proofValue is not z+base58btc of 64 bytes", node);
    return;
  }
  opts = json_deep_copy(proof);
  json_object_del(opts, "proofValue");
  if (vc_message(msg, opts, doc, &err) != SEAL_OK)
    seal_verdict_fail(out, "%s: cannot canonicalize: %s", node, err.msg);
  else if (seal_verify(sig, pk, msg, sizeof msg) != SEAL_OK)
    seal_verdict_fail(out, "%s: proof did not verify", node);
  json_decref(opts);
  free(sig);
}

int seal_vc_verify(const json_t *doc, seal_verdict *out)
{
  json_t *vcs;
  size_t i;
  seal_verdict_init(out);
  out->kind = SEAL_KIND_CREDENTIAL;
  vc_verify_one(doc, "proof", out, 1);
  vcs = json_object_get(doc, "verifiableCredential");
  if (json_is_object(vcs))
    vc_verify_one(vcs, "verifiableCredential", out, 0);
  for (i = 0; json_is_array(vcs) && i < json_array_size(vcs); i++) {
    char node[64];
    snprintf(node, sizeof node, "verifiableCredential[%zu]", i);
    vc_verify_one(json_array_get(vcs, i), node, out, 0);
  }
  return out->valid ? SEAL_OK : SEAL_EVERIFY;
}
