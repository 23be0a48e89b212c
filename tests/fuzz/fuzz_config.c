/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_config.c — libFuzzer target for .motus/config.json (config/config.h): the
 * bytes are parsed as the loader parses them (jansson, duplicates refused) and validated by
 * mcp_config_normalize. A refusal must carry a one-line message; an accepted config must be
 * accepted again when normalised a second time, to the same value (defaults are a fixed point),
 * and every getter must answer on it without crashing. */
#include "config/config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void getters(const json_t *c)
{
  static const char *const paths[] = {
      "policy.preset", "http.max_body", "http.tokens", "profile", "chat.model", "", ".",
      "policy..x",     "a.b.c.d.e.f"};
  (void)mcp_config_profile(c);
  (void)mcp_config_policy(c);
  (void)mcp_config_motebit_id(c);
  (void)mcp_config_device_id(c);
  (void)mcp_config_http(c);
  (void)mcp_config_http_token_name(c, "fuzz-token-0123456789");
  (void)mcp_config_known_caller(c, "019b0000-0000-7000-8000-000000000000");
  (void)mcp_config_executor(c, "code_review");
  (void)mcp_config_executors(c);
  (void)mcp_config_task_executor_count(c);
  (void)mcp_config_chat(c);
  (void)mcp_config_embeddings(c);
  (void)mcp_config_peers(c);
  (void)mcp_config_service_listing(c);
  (void)mcp_config_memory_half_life_days(c);
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    (void)mcp_config_get(c, paths[i]);
    (void)mcp_config_int(c, paths[i], 7);
    (void)mcp_config_str(c, paths[i], "d");
    (void)mcp_config_bool(c, paths[i], 1);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char err[300];
  json_t *out = NULL, *again = NULL;
  if (size > 65536)
    return 0;
  json_t *raw = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
  if (!raw)
    return 0;
  err[0] = 0;
  if (mcp_config_normalize(&out, raw, err, sizeof err) != 0) {
    if (out || !err[0] || strchr(err, '\n'))
      abort(); /* refused: no config, one line saying why */
  } else {
    if (!out)
      abort();
    err[0] = 0;
    if (mcp_config_normalize(&again, out, err, sizeof err) != 0 || !json_equal(again, out))
      abort(); /* a normalised config is valid input and a fixed point */
    getters(out);
  }
  json_decref(again);
  json_decref(out);
  json_decref(raw);
  return 0;
}
