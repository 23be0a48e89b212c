/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_http_head.c — libFuzzer target for the front door's HTTP/1.x request-head and
 * chunked-body checker (transports/http_head.c), the first code an unauthenticated peer's bytes
 * reach. The first byte picks small or default limits; the rest is what the socket delivered.
 * Checked: a refusal carries a 4xx/5xx status and a reason; an accepted head lies inside the
 * buffer, ends in CRLF CRLF, and its path points into it; every prefix of an accepted head is
 * incomplete (TP_HEAD_MORE) or refused, never accepted with another length; the body check after
 * an accepted head returns a request length inside the buffer (or the window). */
#include "transports/http_server_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const tp_head_limits small = {256, 64, 128, 512, NULL};
  static const tp_head_limits dflt = {16384, 4096, 1 << 20, 65536, "too big"};
  tp_head h, e;
  if (size < 1 || size > 70000)
    return 0;
  const tp_head_limits *lim = data[0] & 1 ? &small : &dflt;
  const char *b = (const char *)data + 1;
  size_t n = size - 1;
  memset(&h, 0, sizeof h);
  int rc = tp__head_parse(b, n, lim, &h);
  if (rc == TP_HEAD_REFUSED) {
    if (h.status < 400 || h.status > 599 || !h.msg || !h.msg[0])
      abort();
    return 0;
  }
  if (rc == TP_HEAD_MORE)
    return 0;
  if (rc != TP_HEAD_OK || h.head_len < 4 || h.head_len > n ||
      memcmp(b + h.head_len - 4, "\r\n\r\n", 4))
    abort();
  if (h.path && (h.path < b || h.path + h.path_len > b + h.head_len))
    abort();
  if (h.head_len > lim->max_header + 4)
    abort();
  /* a shorter buffer (a few cut points) must not be accepted as a head */
  size_t cuts[] = {h.head_len - 1, h.head_len - 2, h.head_len / 2};
  for (size_t i = 0; i < 3; i++) {
    tp_head p;
    memset(&p, 0, sizeof p);
    if (tp__head_parse(b, cuts[i], lim, &p) == TP_HEAD_OK)
      abort();
  }
  size_t req_len = 0;
  memset(&e, 0, sizeof e);
  rc = tp__body_check(b, n, &h, lim, &req_len, &e);
  if (rc == TP_HEAD_REFUSED && (e.status < 400 || e.status > 599 || !e.msg))
    abort();
  if (rc == TP_HEAD_OK && (req_len < h.head_len || (req_len > n && req_len > lim->window)))
    abort();
  return 0;
}
