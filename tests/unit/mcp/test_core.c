/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/test_core.c — the MCP core over the in-memory transport: JSON-RPC parsing and
 * limits, error mapping, legacy and modern lifecycles, tools/list pagination, tools/call results
 * and signed receipts, argument validation, policy denial and the approval band, elicitation,
 * cancellation and out-of-order completion, and the schema/handler table match. */
#include "tools/tools.h"
#include "crypto/jschema.h"
#include "tests/unit/mcp/harness.h"
#include "schemas/schemas.h"
#include "tests/support/test_support.h"

#include <stdlib.h>
#include <string.h>

Suite *core_suite(void);

#define INIT_OK "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"

static json_t *err_of(harness *h, const char *line, int code)
{
  json_t *r = h_call(h, line);
  ck_assert_msg(h_code(r) == code, "%s -> code %d, want %d", line, h_code(r), code);
  return r;
}

/* Number of embedded schemas/tools/<name>.json files (each must have a handler). */
static size_t tool_schema_count(void)
{
  size_t n = 0;
  for (size_t i = 0; i < schema_files_count; i++)
    n += strncmp(schema_files[i].path, "tools/", 6) == 0;
  return n;
}

START_TEST(parse_errors)
{
  harness h;
  json_t *r;
  char *deep;
  h_start(&h, NULL, 0, 0);
  json_decref(err_of(&h, "{not json", -32700));
  json_decref(err_of(&h, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", -32600));
  json_decref(err_of(&h, "42", -32600));
  json_decref(err_of(&h, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", -32600));
  json_decref(err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", -32600));
  json_decref(err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", -32600));
  json_decref(err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", -32600));
  json_decref(err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", -32600));
  json_decref(err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope/nope\"}", -32601));
  json_decref(
      err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1]}", -32602));
  json_decref(err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}", -32700));
  /* invalid UTF-8 inside a string */
  json_decref(err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xff\xfeing\"}", -32700));
  /* 100,000-deep nesting is refused before the parser recurses */
  deep = malloc(200001);
  memset(deep, '[', 100000);
  memset(deep + 100000, ']', 100000);
  deep[200000] = '\0';
  r = err_of(&h, deep, -32700);
  ck_assert_ptr_nonnull(strstr(
      json_string_value(json_object_get(json_object_get(r, "error"), "message")), "nesting"));
  json_decref(r);
  free(deep);
  /* the id is echoed verbatim, string or integer */
  r = h_call(&h, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"ping\"}");
  ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "abc");
  ck_assert(json_is_object(json_object_get(r, "result")));
  json_decref(r);
  h_stop(&h);
}
END_TEST

START_TEST(size_limit)
{
  harness h;
  size_t n = MCP_DEFAULT_MAX_MESSAGE + 10;
  char *big = malloc(n + 1);
  json_t *r;
  h_start(&h, NULL, 0, 0);
  memset(big, ' ', n);
  memcpy(big, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", 40);
  big[n] = '\0';
  r = err_of(&h, big, -32600);
  ck_assert(json_is_null(json_object_get(r, "id")));
  json_decref(r);
  free(big);
  /* still answering */
  r = h_call(&h, INIT_OK);
  ck_assert_int_eq(h_code(r), 0);
  json_decref(r);
  h_stop(&h);
}
END_TEST

START_TEST(lifecycle_legacy)
{
  harness h;
  json_t *r;
  h_start(&h, NULL, 0, 0);
  /* before initialize: only ping */
  json_decref(err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", -32600));
  /* notifications never get a response */
  h_send(&h, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\"}");
  ck_assert_ptr_null(h_final(&h, 1));
  r = h_call(
      &h, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
          "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
  ck_assert_str_eq(json_string_value(
                       json_object_get(json_object_get(r, "result"), "protocolVersion")),
                   "2025-06-18");
  ck_assert_ptr_nonnull(
      json_object_get(json_object_get(json_object_get(r, "result"), "capabilities"), "tools"));
  json_decref(r);
  /* a second initialize on the same session is refused */
  json_decref(err_of(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\"}}",
      -32600));
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"debug\"}}");
  ck_assert_int_eq(h_code(r), 0);
  json_decref(r);
  json_decref(err_of(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"loud\"}}",
      -32602));
  h_stop(&h);

  /* an unknown version is answered with our latest, not an error */
  h_start(&h, NULL, 0, 0);
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"1999-01-01\",\"capabilities\":{}}}");
  ck_assert_str_eq(json_string_value(
                       json_object_get(json_object_get(r, "result"), "protocolVersion")),
                   "2025-11-25");
  json_decref(r);
  h_stop(&h);
}
END_TEST

#define MODERN_META                                                                                \
  "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}"

START_TEST(lifecycle_modern)
{
  harness h;
  json_t *r, *res;
  h_start(&h, NULL, 0, 0);
  r = h_call(&h,
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" MODERN_META
             "}}");
  res = json_object_get(r, "result");
  ck_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "complete");
  ck_assert_str_eq(json_string_value(json_array_get(json_object_get(res, "supportedVersions"), 0)),
                   "2026-07-28");
  ck_assert(json_is_integer(json_object_get(res, "ttlMs")));
  ck_assert_ptr_nonnull(
      json_object_get(json_object_get(res, "_meta"), "io.modelcontextprotocol/serverInfo"));
  json_decref(r);
  /* no initialize needed; tools/list carries caching hints */
  r = h_call(&h, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{" MODERN_META
                 "}}");
  res = json_object_get(r, "result");
  ck_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "complete");
  ck_assert_str_eq(json_string_value(json_object_get(res, "cacheScope")), "public");
  json_decref(r);
  json_decref(err_of(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2099-01-01\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}",
      -32022));
  json_decref(err_of(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}",
      -32602));
  json_decref(
      err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\",\"params\":{" MODERN_META "}}",
             -32601));
  json_decref(err_of(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\"," MODERN_META
      "}}",
      -32601));
  /* server/discover without _meta is not modern traffic */
  json_decref(err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"server/discover\"}", -32602));
  h_stop(&h);
}
END_TEST

START_TEST(tools_list_pages)
{
  harness h;
  json_t *r, *names = json_array();
  char *cursor = NULL;
  char line[300];
  int pages = 0;
  h_start(&h, NULL, 4, 0);
  h_init(&h, NULL);
  do {
    json_t *res;
    size_t i;
    json_t *t;
    if (cursor)
      snprintf(
          line, sizeof line,
          "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}",
          10 + pages, cursor);
    else
      snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/list\"}",
               10 + pages);
    r = h_call(&h, line);
    res = json_object_get(r, "result");
    ck_assert_ptr_nonnull(res);
    ck_assert_int_le(json_array_size(json_object_get(res, "tools")), 4);
    json_array_foreach(json_object_get(res, "tools"), i, t) {
      ck_assert(json_is_object(json_object_get(t, "inputSchema")));
      ck_assert(json_is_object(json_object_get(t, "annotations")));
      json_array_append(names, json_object_get(t, "name"));
    }
    free(cursor);
    cursor = json_string_value(json_object_get(res, "nextCursor"))
                 ? strdup(json_string_value(json_object_get(res, "nextCursor")))
                 : NULL;
    json_decref(r);
    pages++;
  } while (cursor && pages < 10);
  /* every schemas/tools/<name>.json is listed (11 core + 4 service tools at least), 4 per page,
   * except motebit_task and motebit_query: optional in the personal profile and left out while
   * no executor, chat backend or peer is configured (spec/mcp.md §3.0), and
   * workledger_approval_decide, registered only when http.tokens holds an operator token */
  {
    size_t k;
    json_t *nm;
    json_array_foreach(names, k, nm) {
      ck_assert_str_ne(json_string_value(nm), "motebit_task");
      ck_assert_str_ne(json_string_value(nm), "motebit_query");
      ck_assert_str_ne(json_string_value(nm), "workledger_approval_decide");
    }
  }
  ck_assert_int_eq(json_array_size(names), tool_schema_count() - 3);
  ck_assert_int_ge(json_array_size(names), 15);
  ck_assert_int_eq(pages, (int)((tool_schema_count() - 3 + 3) / 4));
  {
    /* registry order = sorted schema file order; motebit_identity is among them */
    int seen = 0;
    for (size_t k = 0; k < json_array_size(names); k++) {
      seen |= strcmp(json_string_value(json_array_get(names, k)), "motebit_identity") == 0;
      if (k)
        ck_assert_int_lt(strcmp(json_string_value(json_array_get(names, k - 1)),
                                json_string_value(json_array_get(names, k))),
                         0);
    }
    ck_assert(seen);
  }
  json_decref(names);
  json_decref(err_of(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"tools/list\",\"params\":{\"cursor\":\"bogus\"}}",
      -32602));
  h_stop(&h);
}
END_TEST

/* Verifies a ToolInvocationReceipt: Ed25519 over JCS(receipt minus signature). */
static void check_receipt(const json_t *rc, const char *tool, const char *text)
{
  char *canon = NULL;
  size_t clen;
  uint8_t pk[32];
  uint8_t *sig = NULL;
  size_t siglen = 0;
  char hash[SEAL_SHA256_HEX];
  const char *sigtxt = json_string_value(json_object_get(rc, "signature"));
  ck_assert_ptr_nonnull(sigtxt);
  ck_assert_str_eq(json_string_value(json_object_get(rc, "suite")), "motebit-jcs-ed25519-b64-v1");
  ck_assert_str_eq(json_string_value(json_object_get(rc, "tool_name")), tool);
  ck_assert_int_eq(seal_hex_decode(pk, 32, json_string_value(json_object_get(rc, "public_key")), 1),
                   0);
  ck_assert_int_eq(seal_b64url_decode(&sig, &siglen, sigtxt, strlen(sigtxt)), 0);
  ck_assert_int_eq(siglen, 64);
  ck_assert_int_eq(seal_canon_without(&canon, &clen, rc, "signature", SEAL_CANON_JCS, NULL), 0);
  ck_assert_int_eq(seal_verify(sig, pk, canon, clen), 0);
  canon[0] ^= 1; /* tampering breaks it */
  ck_assert_int_ne(seal_verify(sig, pk, canon, clen), 0);
  free(canon);
  free(sig);
  if (text) {
    seal_sha256_hex(hash, text, strlen(text));
    ck_assert_str_eq(json_string_value(json_object_get(rc, "result_hash")), hash);
  }
}

START_TEST(call_identity)
{
  harness h;
  json_t *r, *res, *sc, *empty = json_object();
  const char *text;
  char tag[80], ahash[SEAL_SHA256_HEX];
  h_start(&h, NULL, 0, 0);
  h_init(&h, NULL);
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_identity\",\"arguments\":{}}}");
  res = json_object_get(r, "result");
  ck_assert_ptr_nonnull(res);
  ck_assert(!json_is_true(json_object_get(res, "isError")));
  text = json_string_value(
      json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
  ck_assert_ptr_nonnull(text);
  sc = json_object_get(res, "structuredContent");
  snprintf(tag, sizeof tag, "\n[motebit:%.8s key:%.16s]",
           json_string_value(json_object_get(sc, "motebit_id")), seal_key_pk_hex(h.key));
  ck_assert_ptr_nonnull(strstr(text, tag));
  ck_assert_str_eq(strstr(text, tag), tag); /* the tag ends the text */
  ck_assert_str_eq(json_string_value(json_object_get(sc, "public_key")), seal_key_pk_hex(h.key));
  ck_assert_str_eq(json_string_value(json_object_get(sc, "motebit_type")), "personal");
  check_receipt(json_object_get(json_object_get(res, "_meta"), "io.motebit/receipt"),
                "motebit_identity", text);
  ck_assert_int_eq(seal_canon_sha256_hex(ahash, empty, SEAL_CANON_JCS, NULL), 0);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(res, "_meta"),
                                                                     "io.motebit/receipt"),
                                                     "args_hash")),
                   ahash);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(res, "_meta"),
                                                                     "io.motebit/receipt"),
                                                     "status")),
                   "completed");
  json_decref(empty);
  json_decref(r);

  /* motebit_tools: the text is the bare array, structuredContent wraps it */
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_tools\"}}");
  res = json_object_get(r, "result");
  text = json_string_value(
      json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
  ck_assert_int_eq(text[0], '[');
  sc = json_object_get(json_object_get(res, "structuredContent"), "tools");
  ck_assert_int_ge(json_array_size(sc), 10);
  ck_assert(json_is_integer(json_object_get(json_array_get(sc, 0), "risk")));
  json_decref(r);
  h_stop(&h);
}
END_TEST

START_TEST(logging_notifications)
{
  harness h;
  json_t *r;
  int notes = 0, final_at = -1, note_at = -1;
  h_start(&h, NULL, 0, 0);
  h_init(&h, NULL);
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_identity\"}}");
  json_decref(r);
  for (int i = 0; i < h.nmsgs; i++)
    ck_assert(!(h.msgs[i].flags & MCP_EMIT_NOTIFICATION)); /* no level set: no log notes */
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"info\"}}");
  json_decref(r);
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_identity\"}}");
  json_decref(r);
  for (int i = 0; i < h.nmsgs; i++) {
    if (h.msgs[i].flags & MCP_EMIT_NOTIFICATION) {
      json_t *m = json_loads(h.msgs[i].text, 0, NULL);
      ck_assert_str_eq(json_string_value(json_object_get(m, "method")), "notifications/message");
      ck_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "params"), "level")),
                       "info");
      ck_assert_ptr_nonnull(
          strstr(json_string_value(json_object_get(json_object_get(m, "params"), "data")),
                 "motebit_identity"));
      json_decref(m);
      notes++;
      note_at = i;
    }
    if (h.msgs[i].text && strstr(h.msgs[i].text, "\"id\":3"))
      final_at = i;
  }
  ck_assert_int_eq(notes, 1);
  ck_assert_int_lt(note_at, final_at); /* notifications precede the response */
  h_stop(&h);
}
END_TEST

START_TEST(call_errors)
{
  harness h;
  json_t *r, *res;
  const char *text;
  h_start(&h, NULL, 0, 0);
  h_init(&h, NULL);
  json_decref(err_of(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"no_such_tool\"}}",
      -32602));
  json_decref(
      err_of(&h, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{}}", -32602));
  json_decref(err_of(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_identity\",\"arguments\":[1]}}",
      -32602));
  /* schema violations are isError results naming the path, with a receipt */
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_work_claim\",\"arguments\":{\"work_id\":5}}}");
  res = json_object_get(r, "result");
  ck_assert(json_is_true(json_object_get(res, "isError")));
  text = json_string_value(
      json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
  ck_assert_msg(strstr(text, "/work_id") && strstr(text, "expected string"), "%s", text);
  check_receipt(json_object_get(json_object_get(res, "_meta"), "io.motebit/receipt"),
                "motus_work_claim", text);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(res, "_meta"),
                                                                     "io.motebit/receipt"),
                                                     "status")),
                   "failed");
  json_decref(r);
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_identity\",\"arguments\":{\"x\":1}}}");
  text = json_string_value(json_object_get(
      json_array_get(json_object_get(json_object_get(r, "result"), "content"), 0), "text"));
  ck_assert_ptr_nonnull(strstr(text, "unexpected property \"x\""));
  json_decref(r);
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[]}}}");
  text = json_string_value(json_object_get(
      json_array_get(json_object_get(json_object_get(r, "result"), "content"), 0), "text"));
  ck_assert_msg(strstr(text, "/argv") && strstr(text, "fewer than 1"), "%s", text);
  json_decref(r);
  h_stop(&h);
}
END_TEST

START_TEST(policy_deny_and_approval)
{
  harness h;
  json_t *cfg = json_loads("{\"policy\":{\"denylist\":[\"motus_work_list\"]}}", 0, NULL);
  json_t *r, *res, *list;
  const char *text;
  size_t i;
  json_t *t;
  h_start(&h, cfg, 0, 0);
  h_init(&h, NULL);
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_work_list\",\"arguments\":{}}}");
  res = json_object_get(r, "result");
  ck_assert(json_is_true(json_object_get(res, "isError")));
  text = json_string_value(
      json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
  ck_assert_msg(strncmp(text, "Policy denied: ", 15) == 0, "%s", text);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(res, "_meta"),
                                                                     "io.motebit/receipt"),
                                                     "status")),
                   "denied");
  json_decref(r);
  /* motebit_tools leaves the denied tool out */
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_tools\"}}");
  list = json_object_get(json_object_get(json_object_get(r, "result"), "structuredContent"),
                         "tools");
  ck_assert_int_gt(json_array_size(list), 0);
  json_array_foreach(list, i, t)
    ck_assert_str_ne(json_string_value(json_object_get(t, "name")), "motus_work_list");
  json_decref(r);
  /* R3 under the balanced preset: the approval band (no elicitation channel here) */
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  res = json_object_get(r, "result");
  ck_assert(json_is_true(json_object_get(res, "isError")));
  text = json_string_value(
      json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
  ck_assert_msg(strncmp(text, "Governance: tool \"motus_wrap\" requires approval", 47) == 0, "%s",
                text);
  json_decref(r);
  json_decref(cfg);
  h_stop(&h);
}
END_TEST

START_TEST(elicitation_and_cancel)
{
  harness h;
  json_t *req, *r, *res;
  char line[300];
  const char *text;
  h_start(&h, NULL, 0, 1);
  h_init(&h, "{\"elicitation\":{}}");
  /* 1. a call in the approval band asks through elicitation/create; the user declines */
  h_send(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":\"w1\",\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  h_wait_out(&h, 1);
  req = json_loads(h.out[0].text, 0, NULL);
  ck_assert_str_eq(json_string_value(json_object_get(req, "method")), "elicitation/create");
  ck_assert(h.out[0].flags & MCP_EMIT_REQUEST);
  /* meanwhile other requests complete (out of order) */
  r = h_call(&h, "{\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"method\":\"ping\"}");
  ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "p1");
  json_decref(r);
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":\"i1\",\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_identity\"}}");
  ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "i1");
  json_decref(r);
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"result\":{\"action\":\"decline\"}}",
           json_string_value(json_object_get(req, "id")));
  json_decref(req);
  {
    int before = h.finals;
    h_send(&h, line);              /* the response is consumed: FINAL with no message */
    h_wait_finals(&h, before + 2); /* ... and the held call completes */
    r = h_final(&h, before + 1);
    if (!r || !json_object_get(r, "id") ||
        strcmp(json_string_value(json_object_get(r, "id"))
                   ? json_string_value(json_object_get(r, "id"))
                   : "",
               "w1") != 0) {
      json_decref(r);
      r = h_final(&h, before);
    }
  }
  ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "w1");
  res = json_object_get(r, "result");
  ck_assert(json_is_true(json_object_get(res, "isError")));
  text = json_string_value(
      json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
  ck_assert_msg(strstr(text, "declined") != NULL, "%s", text);
  json_decref(r);

  /* 2. a held call cancelled with notifications/cancelled sends no response */
  h_send(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  h_wait_out(&h, 2);
  {
    int before = h.finals;
    h_send(
        &h,
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":77,\"reason\":\"test\"}}");
    h_wait_finals(&h, before + 2);
    ck_assert_ptr_null(h_final(&h, before));
    ck_assert_ptr_null(h_final(&h, before + 1));
  }

  /* 3. approval accepted: the handler runs (and reports that there is no Store) */
  h_send(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":88,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  h_wait_out(&h, 3);
  req = json_loads(h.out[2].text, 0, NULL);
  snprintf(
      line, sizeof line,
      "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"result\":{\"action\":\"accept\",\"content\":{\"approve\":true}}}",
      json_string_value(json_object_get(req, "id")));
  json_decref(req);
  {
    int before = h.finals;
    h_send(&h, line);
    h_wait_finals(&h, before + 2);
    r = h_final(&h, before + 1);
    if (!r)
      r = h_final(&h, before);
  }
  text = json_string_value(json_object_get(
      json_array_get(json_object_get(json_object_get(r, "result"), "content"), 0), "text"));
  ck_assert_msg(strstr(text, "no Store") != NULL, "%s", text);
  json_decref(r);
  h_stop(&h);
}
END_TEST

/* A call waiting on elicitation lends its window slot back: with a window of one, the reader can
 * still take the next request and then the elicitation answer (before, the second submit blocked
 * the reader until the 10-minute elicitation timeout). */
START_TEST(elicitation_frees_its_window_slot)
{
  harness h;
  json_t *req, *r;
  char line[300];
  h_window = 1;
  h_start(&h, NULL, 0, 1);
  h_window = 0;
  h_init(&h, "{\"elicitation\":{}}");
  h_send(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":\"w1\",\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"true\"]}}}");
  h_wait_out(&h, 1);
  req = json_loads(h.out[0].text, 0, NULL);
  /* the window's only slot is lent: this call runs to its response */
  r = h_call(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":\"i1\",\"method\":\"tools/call\",\"params\":{\"name\":\"motebit_identity\"}}");
  ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "i1");
  ck_assert_ptr_nonnull(json_object_get(r, "result"));
  json_decref(r);
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"result\":{\"action\":\"decline\"}}",
           json_string_value(json_object_get(req, "id")));
  json_decref(req);
  {
    int before = h.finals;
    h_send(&h, line);
    h_wait_finals(&h, before + 2);
  }
  /* and the window is whole again: one more call goes through */
  r = h_call(&h, "{\"jsonrpc\":\"2.0\",\"id\":\"i2\",\"method\":\"ping\"}");
  ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "i2");
  json_decref(r);
  h_stop(&h);
}
END_TEST

START_TEST(ticket_cancel)
{
  harness h;
  uint64_t t;
  h_start(&h, NULL, 0, 1);
  h_init(&h, "{\"elicitation\":{}}");
  t = h_send(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"x\"]}}}");
  ck_assert_uint_ne(t, 0);
  h_wait_out(&h, 1);
  mcp_cancel(h.sess, t);
  mcp_session_drain(h.sess);
  ck_assert_ptr_null(h_final(&h, h.finals - 1));
  h_stop(&h);
}
END_TEST

START_TEST(drain_abandons_elicitation)
{
  /* stdin EOF while the server waits for the user's answer: the call falls back to a pending
   * approval and is answered; drain returns instead of waiting for the 10-minute timeout */
  harness h;
  json_t *r;
  const char *text;
  h_start(&h, NULL, 0, 1);
  h_init(&h, "{\"elicitation\":{}}");
  h_send(
      &h,
      "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"motus_wrap\",\"arguments\":{\"argv\":[\"x\"]}}}");
  h_wait_out(&h, 1);
  mcp_session_drain(h.sess);
  r = h_final(&h, h.finals - 1);
  ck_assert_ptr_nonnull(r);
  text = json_string_value(json_object_get(
      json_array_get(json_object_get(json_object_get(r, "result"), "content"), 0), "text"));
  ck_assert_msg(strncmp(text, "Governance:", 11) == 0, "%s", text);
  json_decref(r);
  h_stop(&h);
}
END_TEST

START_TEST(schema_table_match)
{
  size_t nfiles = 0, nnames = 0;
  for (size_t i = 0; i < schema_files_count; i++)
    if (strncmp(schema_files[i].path, "tools/", 6) == 0) {
      json_t *doc = json_loads(schema_files[i].text, 0, NULL);
      char want[128];
      int found = 0;
      ck_assert_ptr_nonnull(doc);
      snprintf(want, sizeof want, "tools/%s.json", json_string_value(json_object_get(doc, "name")));
      ck_assert_str_eq(schema_files[i].path, want); /* file name == tool name */
      for (size_t g = 0; tools_groups[g]; g++)
        for (const mcp_tool_impl *t = tools_groups[g]; t->name; t++)
          found |= strcmp(t->name, json_string_value(json_object_get(doc, "name"))) == 0;
      ck_assert_msg(found, "schema %s has no handler", schema_files[i].path);
      ck_assert_int_eq(seal_jschema_check(json_object_get(doc, "inputSchema"), NULL), 0);
      json_decref(doc);
      nfiles++;
    }
  for (size_t g = 0; tools_groups[g]; g++)
    for (const mcp_tool_impl *t = tools_groups[g]; t->name; t++)
      nnames++;
  ck_assert_int_eq(nfiles, nnames);
  ck_assert_int_ge(nnames, 16); /* 11 motus/universal + task + 4 service */
}
END_TEST

Suite *core_suite(void)
{
  Suite *s = suite_create("mcp_core");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, parse_errors);
  tcase_add_test(tc, size_limit);
  tcase_add_test(tc, lifecycle_legacy);
  tcase_add_test(tc, lifecycle_modern);
  tcase_add_test(tc, tools_list_pages);
  tcase_add_test(tc, call_identity);
  tcase_add_test(tc, call_errors);
  tcase_add_test(tc, logging_notifications);
  tcase_add_test(tc, policy_deny_and_approval);
  tcase_add_test(tc, elicitation_and_cancel);
  tcase_add_test(tc, elicitation_frees_its_window_slot);
  tcase_add_test(tc, ticket_cancel);
  tcase_add_test(tc, drain_abandons_elicitation);
  tcase_add_test(tc, schema_table_match);
  suite_add_tcase(s, tc);
  return s;
}
