/* SPDX-License-Identifier: Apache-2.0
 * crypto/err.h — the one error convention of every module above transports/ (spec/layout.md
 * "Errors and ownership"): one code space (enum wl_code: 0 ok, distinct negative values for
 * every failure any module reports), one error struct (wl_err: code, cause, bounded one-line
 * message) and THE one table that maps a code to a JSON-RPC error code (wl_code_jsonrpc) and to
 * a CLI exit status (wl_code_exit). It lives in crypto/ because crypto/ is the bottom module
 * every other one links (ledger, config, client, mcp, tools, serve, cli); transports/ moves
 * bytes, keeps its own tp_* codes and does not use it. The module rc enums (seal_rc, ledger_rc,
 * mcp_rc, mcp_client_rc, mcp_auth_rc, seal_jschema_rc) are aliases into this code space, so
 * any code from any module can be named and mapped here. No I/O, no allocation, thread-safe. */
#ifndef WL_CRYPTO_ERR_H
#define WL_CRYPTO_ERR_H

#include <stdarg.h>

/* One code space. The names say what went wrong, not which module noticed it. Values are
 * distinct and contiguous from WL_ERROR down to WL_CODE_LAST; nothing may depend on a number
 * (compare with the names). */
typedef enum wl_code {
  WL_OK = 0,
  WL_ERROR = -1,         /* internal error: out of memory, library or SQLite failure, bad state */
  WL_EINVAL = -2,        /* invalid input: malformed text, wrong shape or length, bad option */
  WL_ENOTFOUND = -3,     /* the named record (run, lease, event, receipt, approval...) is absent */
  WL_ECONFLICT = -4,     /* an id or idempotency key replayed with different content */
  WL_EBUSY = -5,         /* the resource is held (lease, lock) or a window is full */
  WL_ECLOSED = -6,       /* the run, session or server is closed and takes nothing more */
  WL_EDENIED = -7,       /* authenticated but not allowed (HTTP 403) */
  WL_EVERIFY = -8,       /* a signature or digest does not verify */
  WL_EEXPIRED = -9,      /* a token, delegation or lease is outside its validity window */
  WL_ESCOPE = -10,       /* a capability is not within the delegated scope */
  WL_EIO = -11,          /* reading or writing a file failed (cause: errno) */
  WL_EREAL = -12,        /* a real number in a body that must hold integers only */
  WL_EDEPTH = -13,       /* nesting deeper than the limit */
  WL_ENOTSTORE = -14,    /* the file is not a workledger Store */
  WL_ENEWER = -15,       /* the Store has a newer schema than this build understands */
  WL_ECORRUPT = -16,     /* stored facts fail a check (hash, seq, integrity) */
  WL_ESTALE = -17,       /* a fencing token is no longer current */
  WL_ETIMEOUT = -18,     /* a connect or total timeout elapsed */
  WL_EUNAVAILABLE = -19, /* the peer could not be reached (resolve, connect, TLS) */
  WL_EPROTOCOL = -20,    /* a malformed or unexpected protocol message */
  WL_ETOOBIG = -21,      /* a message or response exceeded its size limit */
  WL_ECANCELLED = -22,   /* the caller asked to stop */
  WL_EAUTH = -23,        /* credentials refused: wrong, expired, other audience (HTTP 401) */
  WL_ENOAUTH = -24,      /* credentials missing where they are required (HTTP 401) */
  WL_ENOENDPOINT = -25,  /* no MCP endpoint at the URL (HTTP 404 without a JSON-RPC error) */
  WL_EHTTP = -26,        /* the peer answered with another non-2xx HTTP status (cause: status) */
  WL_ERPC = -27,         /* the peer answered with a JSON-RPC error */
  WL_ETOOL = -28,        /* a tool call returned a result with isError: true */
  WL_EBADSCHEMA = -29,   /* a JSON Schema itself is unusable (bad $ref, bad pattern, bad type) */
} wl_code;
#define WL_CODE_LAST WL_EBADSCHEMA /* the lowest code; every value in [WL_CODE_LAST, 0] is a code */

/* The one error struct (seal_err and ledger_err are this type). `code` is a wl_code; `cause`
 * the underlying errno, SQLite extended rc, HTTP status or 0; `msg` one line (no newline) that
 * never holds secret material (keys, tokens, passphrases). */
typedef struct wl_err {
  int code;
  int cause;
  char msg[200];
} wl_err;

#if defined(__GNUC__)
#define WL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WL_PRINTF(a, b)
#endif

/* Fills `e` (may be NULL: then nothing is written) with code, cause and the formatted message,
 * and returns `code`. The message is cut to fit (never in the middle of a UTF-8 sequence) and
 * control characters (newlines included) become spaces, so it stays one line. */
int wl_err_set(wl_err *e, int code, int cause, const char *fmt, ...) WL_PRINTF(4, 5);
int wl_err_vset(wl_err *e, int code, int cause, const char *fmt, va_list ap) WL_PRINTF(4, 0);

/* A static, borrowed name of a code ("ok", "internal error", "not found", ...); "unknown error"
 * for a value outside the code space. */
const char *wl_code_name(int code);

/* JSON-RPC 2.0 error codes (reference/mcp.md §1.6); mcp/mcp.h names them MCP_JSONRPC_*. */
#define WL_JSONRPC_PARSE_ERROR -32700
#define WL_JSONRPC_INVALID_REQUEST -32600
#define WL_JSONRPC_METHOD_NOT_FOUND -32601
#define WL_JSONRPC_INVALID_PARAMS -32602
#define WL_JSONRPC_INTERNAL_ERROR -32603
#define WL_JSONRPC_UNAUTHORIZED -32001 /* the HTTP binding's 401/403 body (spec/http.md) */

/* CLI exit statuses (cli/cli.h names them CLI_EXIT_*). */
#define WL_EXIT_OK 0
#define WL_EXIT_FAIL 1  /* failure: not found, busy, closed, conflict, invalid artifact, Store */
#define WL_EXIT_USAGE 2 /* usage or unreadable input; for `call`: transport or protocol error */

/* THE mapping table. The JSON-RPC error code for a code: 0 for WL_OK; -32602 (invalid params)
 * for what the caller can correct (EINVAL, EREAL, EDEPTH, ENOTFOUND, ECONFLICT, EVERIFY,
 * EEXPIRED, ESCOPE, ESTALE); -32600 (invalid request) for EPROTOCOL and ETOOBIG; -32001 for
 * ENOAUTH, EAUTH and EDENIED; -32603 (internal error) for everything else, unknown values
 * included. */
int wl_code_jsonrpc(int code);

/* The CLI exit status for a code: WL_EXIT_OK for WL_OK; WL_EXIT_USAGE for bad input (EINVAL,
 * EREAL, EDEPTH) and for transport/protocol failures talking to a peer (EUNAVAILABLE, ETIMEOUT,
 * ETOOBIG, ECANCELLED, EAUTH, ENOAUTH, EDENIED, ENOENDPOINT, EHTTP, EPROTOCOL, ERPC);
 * WL_EXIT_FAIL for everything else (ERROR, ENOTFOUND, EBUSY, ECLOSED, ECONFLICT, EVERIFY,
 * EEXPIRED, ETOOL, Store failures, unknown values). */
int wl_code_exit(int code);

#endif
