/* SPDX-License-Identifier: Apache-2.0
 * ledger/event_hash.c — the content event id: SHA-256 of the canonical event object without
 * event_id, fed piecewise (ledger__event_hash_begin up to `seq`, possibly on the caller's thread
 * for a prepared event; ledger__event_hash_finish adds the seq on the writer). Used by txn.c. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <string.h>

/* The content event id is sha256 of the canonical event object without event_id. Its keys sort
 * as event_kind, idempotency_key, occurred_at, payload, payload_hash, producer_id?, run_id,
 * schema_hash, schema_version, seq: `seq` comes last, so everything before it is hashed once
 * (event_hash_begin, possibly on the caller's thread) and the writer only adds `N}`. */
/* The pieces go through a small buffer so that SHA-256 is fed a few large updates. Strings that
 * need no escaping (ids, timestamps, hashes: nearly all) are copied with their quotes; any other
 * goes through the canonical escaper. */
typedef struct hbuf {
  seal_sha256_ctx *h;
  size_t len;
  char b[1024];
} hbuf;

static void hb_flush(hbuf *x)
{
  if (x->len)
    seal_sha256_update(x->h, x->b, x->len);
  x->len = 0;
}

static void hb_put(hbuf *x, const char *d, size_t n)
{
  if (x->len + n > sizeof x->b) {
    hb_flush(x);
    if (n > sizeof x->b) {
      seal_sha256_update(x->h, d, n);
      return;
    }
  }
  memcpy(x->b + x->len, d, n);
  x->len += n;
}

static void hb_lit(hbuf *x, const char *lit)
{
  hb_put(x, lit, strlen(lit));
}

static void hb_str(hbuf *x, const char *s)
{
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == '"' || c == '\\') {
      hb_flush(x);
      seal_sha256_update_json_string(x->h, s, n);
      return;
    }
  }
  hb_put(x, "\"", 1);
  hb_put(x, s, n);
  hb_put(x, "\"", 1);
}

void ledger__event_hash_begin(seal_sha256_ctx *h, const char *run_id, const char *kind,
                              const char *key, const char *occurred_at, const char *payload_txt,
                              size_t payload_len, const char *payload_hash, const char *producer_id,
                              const char *schema_hash)
{
  hbuf x;
  x.h = h;
  x.len = 0;
  seal_sha256_init(h);
  hb_lit(&x, "{\"event_kind\":");
  hb_str(&x, kind);
  hb_lit(&x, ",\"idempotency_key\":");
  hb_str(&x, key);
  hb_lit(&x, ",\"occurred_at\":");
  hb_str(&x, occurred_at);
  hb_lit(&x, ",\"payload\":");
  hb_put(&x, payload_txt, payload_len);
  hb_lit(&x, ",\"payload_hash\":");
  hb_str(&x, payload_hash);
  if (producer_id) {
    hb_lit(&x, ",\"producer_id\":");
    hb_str(&x, producer_id);
  }
  hb_lit(&x, ",\"run_id\":");
  hb_str(&x, run_id);
  hb_lit(&x, ",\"schema_hash\":");
  hb_str(&x, schema_hash);
  hb_lit(&x, ",\"schema_version\":\"motus.work-event.v0.1\",\"seq\":");
  hb_flush(&x);
}

void ledger__event_hash_finish(const seal_sha256_ctx *begun, int64_t seq, char out[LEDGER_HASH_MAX])
{
  seal_sha256_ctx h = *begun;
  char tail[32], hex[SEAL_SHA256_HEX];
  int n = snprintf(tail, sizeof tail, "%lld}", (long long)seq);
  seal_sha256_update(&h, tail, (size_t)n);
  seal_sha256_final_hex(&h, hex);
  snprintf(out, LEDGER_HASH_MAX, "sha256:%s", hex);
}
