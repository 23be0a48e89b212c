/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/crypto/test_err.c — the error convention (crypto/err.h): the code space is
 * contiguous and every code has its own name; the module rc enums are aliases into it with
 * distinct values per module; THE mapping table (JSON-RPC codes, CLI exit statuses, the values
 * the e2e tests check); wl_err_set with a NULL err, truncation on a UTF-8 boundary and one-line
 * messages. */
#include "cli/cli.h"
#include "client/client.h"
#include "crypto/err.h"
#include "crypto/jschema.h"
#include "crypto/seal.h"
#include "ledger/ledger.h"
#include "mcp/mcp.h"
#include "serve/auth.h"
#include "tests/support/test_support.h"

#include <string.h>

Suite *err_suite(void);

START_TEST(codes_named_and_distinct)
{
  const char *names[1 - WL_CODE_LAST];
  ck_assert_int_eq(WL_OK, 0);
  ck_assert_int_eq(WL_ERROR, -1);
  ck_assert_int_lt(WL_CODE_LAST, WL_ERROR);
  for (int c = WL_OK; c >= WL_CODE_LAST; c--) {
    const char *n = wl_code_name(c);
    ck_assert_ptr_nonnull(n);
    ck_assert_str_ne(n, "unknown error");
    ck_assert_ptr_null(strchr(n, '\n'));
    names[-c] = n;
    for (int d = WL_OK; d > c; d--) /* no two codes share a name */
      ck_assert_str_ne(names[-d], n);
  }
  ck_assert_str_eq(wl_code_name(WL_CODE_LAST - 1), "unknown error");
  ck_assert_str_eq(wl_code_name(1), "unknown error");
  ck_assert_str_eq(wl_code_name(WL_OK), "ok");
  ck_assert_str_eq(wl_code_name(WL_ENOTFOUND), "not found");
}
END_TEST

/* 1 when the n values of v are pairwise distinct. */
static int distinct(const int *v, int n)
{
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (v[i] == v[j])
        return 0;
  return 1;
}

START_TEST(module_codes_are_aliases)
{
  const int seal[] = {SEAL_OK,      SEAL_ERROR,    SEAL_EINVAL, SEAL_EREAL, SEAL_EDEPTH,
                      SEAL_EVERIFY, SEAL_EEXPIRED, SEAL_ESCOPE, SEAL_EIO};
  const int store[] = {LEDGER_OK,      LEDGER_ERROR,    LEDGER_ENOTFOUND, LEDGER_EINVAL,
                       LEDGER_ECLOSED, LEDGER_EBUSY,    LEDGER_ECONFLICT, LEDGER_ENOTSTORE,
                       LEDGER_ENEWER,  LEDGER_ECORRUPT, LEDGER_EEXPIRED,  LEDGER_ESTALE};
  const int mcp[] = {MCP_OK, MCP_ERROR, MCP_EINVAL, MCP_ECLOSED, MCP_EBUSY};
  const int client[] = {MCP_CLIENT_OK,           MCP_CLIENT_ERROR,    MCP_CLIENT_EINVAL,
                        MCP_CLIENT_EUNREACHABLE, MCP_CLIENT_ETIMEOUT, MCP_CLIENT_ETOOBIG,
                        MCP_CLIENT_ECANCELLED,   MCP_CLIENT_EAUTH,    MCP_CLIENT_EFORBIDDEN,
                        MCP_CLIENT_ENOTFOUND,    MCP_CLIENT_EHTTP,    MCP_CLIENT_EPROTOCOL,
                        MCP_CLIENT_ERPC,         MCP_CLIENT_ETOOL};
  const int auth[] = {MCP_AUTH_OK, MCP_AUTH_EMISSING, MCP_AUTH_EINVALID, MCP_AUTH_EFORBIDDEN};
  const int js[] = {SEAL_JSCHEMA_OK, SEAL_JSCHEMA_INVALID, SEAL_JSCHEMA_BADSCHEMA};
  const struct {
    const int *v;
    int n;
  } mods[] = {{seal, 9}, {store, 12}, {mcp, 5}, {client, 14}, {auth, 4}, {js, 3}};
  for (size_t m = 0; m < sizeof mods / sizeof mods[0]; m++) {
    ck_assert(distinct(mods[m].v, mods[m].n));
    for (int i = 0; i < mods[m].n; i++) { /* every module code is a named wl_code */
      ck_assert_int_ge(mods[m].v[i], WL_CODE_LAST);
      ck_assert_int_le(mods[m].v[i], WL_OK);
      ck_assert_str_ne(wl_code_name(mods[m].v[i]), "unknown error");
    }
  }
  /* the collisions of the old per-module numbering are gone */
  ck_assert_int_ne(SEAL_EVERIFY, LEDGER_EBUSY);
  ck_assert_int_ne(SEAL_EINVAL, LEDGER_ENOTFOUND);
  ck_assert_int_eq(SEAL_EINVAL, LEDGER_EINVAL);
  ck_assert_int_eq(SEAL_EEXPIRED, LEDGER_EEXPIRED);
  ck_assert_int_eq(MCP_CLIENT_EFORBIDDEN, MCP_AUTH_EFORBIDDEN);
  ck_assert_int_ne(MCP_CLIENT_ENOTFOUND, LEDGER_ENOTFOUND);
  for (int i = 0; i < 14; i++) /* tests/fuzz relies on ETOOL being the lowest client code */
    ck_assert_int_ge(client[i], MCP_CLIENT_ETOOL);
}
END_TEST

START_TEST(jsonrpc_table)
{
  ck_assert_int_eq(wl_code_jsonrpc(WL_OK), 0);
  ck_assert_int_eq(wl_code_jsonrpc(WL_EINVAL), -32602);
  ck_assert_int_eq(wl_code_jsonrpc(WL_EREAL), -32602);
  ck_assert_int_eq(wl_code_jsonrpc(WL_EDEPTH), -32602);
  ck_assert_int_eq(wl_code_jsonrpc(WL_ENOTFOUND), -32602);
  ck_assert_int_eq(wl_code_jsonrpc(WL_ECONFLICT), -32602);
  ck_assert_int_eq(wl_code_jsonrpc(WL_EVERIFY), -32602);
  ck_assert_int_eq(wl_code_jsonrpc(WL_EEXPIRED), -32602);
  ck_assert_int_eq(wl_code_jsonrpc(WL_ESCOPE), -32602);
  ck_assert_int_eq(wl_code_jsonrpc(WL_ESTALE), -32602);
  ck_assert_int_eq(wl_code_jsonrpc(WL_EPROTOCOL), -32600);
  ck_assert_int_eq(wl_code_jsonrpc(WL_ETOOBIG), -32600);
  ck_assert_int_eq(wl_code_jsonrpc(WL_ENOAUTH), -32001);
  ck_assert_int_eq(wl_code_jsonrpc(WL_EAUTH), -32001);
  ck_assert_int_eq(wl_code_jsonrpc(WL_EDENIED), -32001);
  ck_assert_int_eq(wl_code_jsonrpc(WL_ERROR), -32603);
  ck_assert_int_eq(wl_code_jsonrpc(WL_EBUSY), -32603);
  ck_assert_int_eq(wl_code_jsonrpc(WL_ECLOSED), -32603);
  ck_assert_int_eq(wl_code_jsonrpc(WL_ECORRUPT), -32603);
  ck_assert_int_eq(wl_code_jsonrpc(WL_ETIMEOUT), -32603);
  ck_assert_int_eq(wl_code_jsonrpc(12345), -32603);
  ck_assert_int_eq(MCP_JSONRPC_INVALID_PARAMS, wl_code_jsonrpc(MCP_EINVAL));
  ck_assert_int_eq(MCP_JSONRPC_INTERNAL_ERROR, wl_code_jsonrpc(MCP_ERROR));
  for (int c = WL_CODE_LAST; c < WL_OK; c++) { /* every failure maps to a JSON-RPC error */
    int j = wl_code_jsonrpc(c);
    ck_assert(j == -32602 || j == -32600 || j == -32603 || j == -32001);
  }
}
END_TEST

START_TEST(exit_table)
{
  /* the statuses the CLI prints today (spec/store.md, R-SIGN-083, spec/client.md) */
  ck_assert_int_eq(wl_code_exit(WL_OK), CLI_EXIT_OK);
  ck_assert_int_eq(wl_code_exit(LEDGER_EINVAL), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(LEDGER_ERROR), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(LEDGER_ENOTFOUND), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(LEDGER_EBUSY), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(LEDGER_ECLOSED), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(LEDGER_ECONFLICT), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(LEDGER_EEXPIRED), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(LEDGER_ESTALE), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(LEDGER_ENOTSTORE), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(SEAL_EVERIFY), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(SEAL_EINVAL), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(SEAL_EDEPTH), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(MCP_EINVAL), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(MCP_ERROR), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(MCP_CLIENT_ETOOL), CLI_EXIT_FAIL);
  ck_assert_int_eq(wl_code_exit(MCP_CLIENT_EUNREACHABLE), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(MCP_CLIENT_ETIMEOUT), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(MCP_CLIENT_EAUTH), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(MCP_CLIENT_EFORBIDDEN), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(MCP_CLIENT_ENOTFOUND), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(MCP_CLIENT_EHTTP), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(MCP_CLIENT_EPROTOCOL), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(MCP_CLIENT_ERPC), CLI_EXIT_USAGE);
  ck_assert_int_eq(wl_code_exit(-12345), CLI_EXIT_FAIL);
  for (int c = WL_CODE_LAST; c < WL_OK; c++) /* a failure never exits 0 */
    ck_assert_int_ne(wl_code_exit(c), CLI_EXIT_OK);
}
END_TEST

START_TEST(err_set)
{
  wl_err e;
  char big[600];
  ck_assert_int_eq(wl_err_set(NULL, WL_ENOTFOUND, 0, "no run %s", "x"), WL_ENOTFOUND);
  memset(&e, 0x55, sizeof e);
  ck_assert_int_eq(wl_err_set(&e, WL_EIO, 2, "cannot open %s: %d", "f", 7), WL_EIO);
  ck_assert_int_eq(e.code, WL_EIO);
  ck_assert_int_eq(e.cause, 2);
  ck_assert_str_eq(e.msg, "cannot open f: 7");
  /* one line: newlines and other control characters become spaces */
  wl_err_set(&e, WL_EINVAL, 0, "a\nb\r\tc");
  ck_assert_str_eq(e.msg, "a b  c");
  /* truncated to the buffer, NUL-terminated */
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  wl_err_set(&e, WL_ERROR, 0, "%s", big);
  ck_assert_uint_eq(strlen(e.msg), sizeof e.msg - 1);
  /* never cut inside a UTF-8 sequence: 198 ASCII + "é" (2 bytes) leaves the é out, the same
   * with a 3-byte and a 4-byte sequence straddling the end */
  static const char *const tails[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  for (size_t t = 0; t < 3; t++) {
    for (size_t lead = sizeof e.msg - 4; lead < sizeof e.msg; lead++) {
      size_t n, tl = strlen(tails[t]);
      wl_err_set(&e, WL_ERROR, 0, "%.*s%s%s", (int)lead, big, tails[t], "yyyy");
      n = strlen(e.msg);
      ck_assert_uint_le(n, sizeof e.msg - 1);
      if (lead + tl <= sizeof e.msg - 1)
        ck_assert(memcmp(e.msg + lead, tails[t], tl) == 0); /* fits: kept whole */
      else
        ck_assert_uint_eq(n, lead); /* would straddle: dropped whole */
    }
  }
  /* seal_err and ledger_err are wl_err */
  {
    seal_err se;
    ledger_err le;
    ck_assert_int_eq(wl_err_set(&se, SEAL_EVERIFY, 0, "v"), SEAL_EVERIFY);
    ck_assert_int_eq(wl_err_set(&le, LEDGER_EBUSY, 5, "held by %s", "a"), LEDGER_EBUSY);
    ck_assert_str_eq(le.msg, "held by a");
    ck_assert_uint_eq(sizeof se.msg, sizeof le.msg);
  }
}
END_TEST

Suite *err_suite(void)
{
  Suite *s = suite_create("err");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, codes_named_and_distinct);
  tcase_add_test(tc, module_codes_are_aliases);
  tcase_add_test(tc, jsonrpc_table);
  tcase_add_test(tc, exit_table);
  tcase_add_test(tc, err_set);
  suite_add_tcase(s, tc);
  return s;
}
