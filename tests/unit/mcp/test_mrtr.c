/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/mcp/test_mrtr.c — multi-round-trip requests and tasks in the core: a sealed
 * requestState opens only for its caller and purpose and not once a byte changed; a 2026-07-28
 * call in the approval band answers an InputRequiredResult, a forged or foreign state is -32602,
 * the accepted answer runs the call with its receipt, a declined one is denied; the tasks
 * methods are gated on the extension (-32021) and answer -32602 for an unknown task; prompts
 * and completion/complete list the ledger prompts and the tool names. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *mrtr_suite(void);

#define META_ELICIT                                                                                \
  "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","                         \
  "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}"
#define CALL "\"name\":\"motebit_identity\",\"arguments\":{}"

START_TEST(state_seal_open)
{
  harness h;
  json_t *st = json_pack("{s:s,s:i}", "tool", "x", "n", 7), *back;
  char *tok, *bad;
  h_start(&h, NULL, 0, 0);
  tok = mcp_state_seal(h.srv, "alice", "approval", st);
  ck_assert_ptr_nonnull(tok);
  back = mcp_state_open(h.srv, "alice", "approval", tok);
  ck_assert(json_equal(back, st));
  json_decref(back);
  ck_assert_ptr_null(mcp_state_open(h.srv, "bob", "approval", tok));  /* another caller */
  ck_assert_ptr_null(mcp_state_open(h.srv, "alice", "session", tok)); /* another purpose */
  bad = strdup(tok);
  bad[3] = bad[3] == 'A' ? 'B' : 'A'; /* one byte of the payload */
  ck_assert_ptr_null(mcp_state_open(h.srv, "alice", "approval", bad));
  bad[3] = tok[3];
  bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A'; /* one byte of the MAC */
  ck_assert_ptr_null(mcp_state_open(h.srv, "alice", "approval", bad));
  ck_assert_ptr_null(mcp_state_open(h.srv, "alice", "approval", "no-dot"));
  free(bad);
  free(tok);
  tok = mcp_state_seal_ttl(h.srv, "alice", "approval", st, -1); /* already expired */
  ck_assert_ptr_null(mcp_state_open(h.srv, "alice", "approval", tok));
  free(tok);
  json_decref(st);
  h_stop(&h);
}
END_TEST

static json_t *call_line(harness *h, int id, const char *extra)
{
  char line[4096];
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{" CALL
           "%s," META_ELICIT "}}",
           id, extra);
  return h_call(h, line);
}

START_TEST(approval_round_trip)
{
  harness h;
  json_t *r, *res;
  const char *state;
  char extra[3000];
  json_t *cfg = json_loads("{\"policy\":{\"require_approval_above\":-1}}", 0, NULL);
  h_start(&h, cfg, 0, 0);
  json_decref(cfg);
  /* every tool in the approval band, elicitation declared: an InputRequiredResult */
  r = call_line(&h, 1, "");
  res = json_object_get(r, "result");
  ck_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "input_required");
  ck_assert_str_eq(json_string_value(json_object_get(
                       json_object_get(json_object_get(res, "inputRequests"), "approval"),
                       "method")),
                   "elicitation/create");
  state = json_string_value(json_object_get(res, "requestState"));
  ck_assert_ptr_nonnull(state);
  /* a forged state */
  json_t *r2 = call_line(&h, 2,
                         ",\"inputResponses\":{\"approval\":{\"action\":\"accept\",\"content\":{"
                         "\"approve\":true}}},\"requestState\":\"AAAA.BBBB\"");
  ck_assert_int_eq(h_code(r2), -32602);
  json_decref(r2);
  /* declined */
  snprintf(extra, sizeof extra,
           ",\"inputResponses\":{\"approval\":{\"action\":\"decline\"}},\"requestState\":\"%s\"",
           state);
  r2 = call_line(&h, 3, extra);
  res = json_object_get(r2, "result");
  ck_assert(json_is_true(json_object_get(res, "isError")));
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(res, "_meta"),
                                                                     "io.motebit/receipt"),
                                                     "status")),
                   "denied");
  json_decref(r2);
  /* accepted: the call runs and has its receipt */
  snprintf(extra, sizeof extra,
           ",\"inputResponses\":{\"approval\":{\"action\":\"accept\",\"content\":{\"approve\":"
           "true}}},\"requestState\":\"%s\"",
           state);
  r2 = call_line(&h, 4, extra);
  res = json_object_get(r2, "result");
  ck_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "complete");
  ck_assert(!json_is_true(json_object_get(res, "isError")));
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(res, "_meta"),
                                                                     "io.motebit/receipt"),
                                                     "status")),
                   "completed");
  json_decref(r2);
  /* inputResponses of the wrong type: a protocol error */
  r2 = call_line(&h, 5, ",\"inputResponses\":7");
  ck_assert_int_eq(h_code(r2), -32602);
  json_decref(r2);
  json_decref(r);
  h_stop(&h);
}
END_TEST

START_TEST(tasks_gate_and_completion)
{
  harness h;
  json_t *r;
  h_start(&h, NULL, 0, 0);
  r = h_call(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/get\",\"params\":{\"taskId\":"
                 "\"x\"," META_ELICIT "}}");
  ck_assert_int_eq(h_code(r), -32021);
  json_decref(r);
  r = h_call(&h, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tasks/get\",\"params\":{\"taskId\":"
                 "\"mcptask-nope\",\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":"
                 "\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{\"extensions\":{"
                 "\"io.modelcontextprotocol/tasks\":{}}}}}}");
  ck_assert_int_eq(h_code(r), -32602);
  json_decref(r);
  h_init(&h, NULL);
  r = h_call(&h, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"completion/complete\",\"params\":{"
                 "\"ref\":{\"type\":\"ref/prompt\",\"name\":\"review_approvals\"},\"argument\":{"
                 "\"name\":\"tool_name\",\"value\":\"motebit_id\"}}}");
  json_t *vals = json_object_get(json_object_get(json_object_get(r, "result"), "completion"),
                                 "values");
  ck_assert_int_eq(json_array_size(vals), 1);
  ck_assert_str_eq(json_string_value(json_array_get(vals, 0)), "motebit_identity");
  json_decref(r);
  r = h_call(&h, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tasks/get\",\"params\":{\"taskId\":"
                 "\"x\"}}");
  ck_assert_int_eq(h_code(r), -32601); /* not a legacy method */
  json_decref(r);
  h_stop(&h);
}
END_TEST

Suite *mrtr_suite(void)
{
  Suite *s = suite_create("mcp_mrtr");
  TCase *tc = tcase_create("mrtr");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, state_seal_open);
  tcase_add_test(tc, approval_round_trip);
  tcase_add_test(tc, tasks_gate_and_completion);
  suite_add_tcase(s, tc);
  return s;
}
