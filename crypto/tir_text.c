/* SPDX-License-Identifier: Apache-2.0
 * crypto/tir_text.c — the ToolInvocationReceipt of a tool call (motebit §3.6) signed straight from
 * its fields to its canonical text, without a json_t: the members are written by
 * seal_canon_members (JCS, keys by UTF-16 code units), the Ed25519 signature is made over that
 * text without `signature`, and the text is written once more with the base64url signature in
 * its sorted place. The result is byte for byte seal_canon(seal_sign_tool_invocation_receipt(...))
 * of the same body, and also its Motus canonical text: every key is ASCII, so both key orders
 * agree. The fields are checked as seal_sign_tool_invocation_receipt checks them. No I/O. */
#include "crypto/artifacts.h"
#include "crypto/seal_int.h"

#include <stdlib.h>
#include <string.h>

static int one_of(const char *s, const char *const *values)
{
  for (; *values; values++)
    if (strcmp(s, *values) == 0)
      return 1;
  return 0;
}

static int hex64(const char *s)
{
  size_t i;
  for (i = 0; i < 64; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return s[64] == '\0';
}

/* The fields a receipt must have, as the json_t signer's field table requires them. */
static int check(const seal_tir_fields *f, seal_err *err)
{
  static const char *const origins[] = {"user-tap", "ai-loop", "scheduled", "agent-to-agent", NULL};
  const char *one[] = {f->invocation_id, f->motebit_id, f->tool_name, f->status};
  const char *any[] = {f->task_id, f->device_id};
  for (size_t i = 0; i < sizeof one / sizeof *one; i++)
    if (!one[i] || !one[i][0])
      return seal_errf(err, SEAL_EINVAL, 0,
                       "tool invocation receipt: invocation_id, motebit_id, tool_name and "
                       "status must be non-empty strings");
  for (size_t i = 0; i < sizeof any / sizeof *any; i++)
    if (!any[i])
      return seal_errf(err, SEAL_EINVAL, 0,
                       "tool invocation receipt: task_id and device_id must be strings");
  if (!f->args_hash || !hex64(f->args_hash) || !f->result_hash || !hex64(f->result_hash))
    return seal_errf(err, SEAL_EINVAL, 0,
                     "tool invocation receipt: args_hash and result_hash must be 64 lowercase "
                     "hex characters");
  if (f->invocation_origin && !one_of(f->invocation_origin, origins))
    return seal_errf(err, SEAL_EINVAL, 0, "tool invocation receipt: unknown invocation_origin");
  return SEAL_OK;
}

int seal_sign_tool_invocation_receipt_text(char **out, size_t *out_len, const seal_tir_fields *f,
                                           const seal_key *key, seal_err *err)
{
  seal_cmember m[14];
  size_t n = 0, len = 0;
  char *text = NULL, sig_b64[SEAL_SIG_B64], *b64;
  uint8_t sig[SEAL_SIG_BYTES];
  int rc;

  if (!f || !key)
    return seal_errf(err, SEAL_EINVAL, 0, "tool invocation receipt: no fields or no key");
  if ((rc = check(f, err)) != SEAL_OK)
    return rc;
#define STR_M(k, v) (m[n++] = (seal_cmember){(k), SEAL_CM_STR, (v), 0, 0})
#define INT_M(k, v) (m[n++] = (seal_cmember){(k), SEAL_CM_INT, NULL, 0, (long long)(v)})
  STR_M("args_hash", f->args_hash);
  INT_M("completed_at", f->completed_at);
  STR_M("device_id", f->device_id);
  STR_M("invocation_id", f->invocation_id);
  if (f->invocation_origin)
    STR_M("invocation_origin", f->invocation_origin);
  STR_M("motebit_id", f->motebit_id);
  STR_M("public_key", seal_key_pk_hex(key));
  STR_M("result_hash", f->result_hash);
  INT_M("started_at", f->started_at);
  STR_M("status", f->status);
  STR_M("suite", SEAL_SUITE_B64);
  STR_M("task_id", f->task_id);
  STR_M("tool_name", f->tool_name);
  if ((rc = seal_canon_members(&text, &len, m, n, SEAL_CANON_JCS, err)) != SEAL_OK)
    return rc;
  rc = seal_sign(sig, key, text, len);
  free(text);
  text = NULL;
  if (rc != SEAL_OK || !(b64 = seal_b64url_encode(sig, sizeof sig)))
    return seal_errf(err, SEAL_ERROR, 0, "signing failed");
  seal_strcopy(sig_b64, sizeof sig_b64, b64);
  free(b64);
  STR_M("signature", sig_b64);
#undef STR_M
#undef INT_M
  /* the members are sorted already: only "signature" moves into its place */
  if ((rc = seal_canon_members(&text, &len, m, n, SEAL_CANON_JCS, err)) != SEAL_OK)
    return rc;
  *out = text;
  *out_len = len;
  return SEAL_OK;
}
