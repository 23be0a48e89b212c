/* SPDX-License-Identifier: Apache-2.0
 * client/client.h — an MCP client over Streamable HTTP (spec/client.md), used by the `delegate`
 * executor to call a peer's tools and by `workledger call`. It negotiates the era (by default it
 * probes 2026-07-28 `server/discover` first and falls back to the legacy `initialize` +
 * `notifications/initialized` handshake unless the reply is a recognized modern error), carries
 * `Mcp-Session-Id` and `MCP-Protocol-Version` (legacy) or the per-request `_meta`,
 * `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers (modern), accepts JSON and
 * `text/event-stream` replies (notifications of the stream are relayed to callbacks, progress
 * separately), and authenticates with a static bearer token or a motebit signed token
 * (`Bearer motebit:<token>`, minted from a borrowed key, audience task:submit by default,
 * re-minted before it expires). Every request has a connect and a total timeout, a response
 * size bound, and an optional cancellation hook. Beside it, mcp_client_embed asks an
 * OpenAI-compatible endpoint for the embedding of a text (memory recall). It moves no bytes
 * itself (transports/http_client.h does) and never writes stdout; it does not verify receipts
 * or follow redirects.
 *
 * Threading: one mcp_client may be used from several threads at once (calls run concurrently;
 * connection state and the token are guarded by a mutex). Callbacks run on the calling thread.
 *
 * Errors: functions return MCP_CLIENT_OK (0) or a negative mcp_client_rc (an alias of a wl_code,
 * crypto/err.h); when `err` is not
 * NULL it is filled on every failure (code, HTTP status, JSON-RPC code, one-line message that
 * never contains a token). */
#ifndef WL_MCP_CLIENT_H
#define WL_MCP_CLIENT_H

#include "crypto/err.h"
#include "crypto/seal.h"

#include <jansson.h>
#include <stddef.h>

#if defined(__GNUC__)
#define MCP_CLIENT_WUR __attribute__((warn_unused_result))
#else
#define MCP_CLIENT_WUR
#endif

/* The codes of the client: aliases into the one code space of crypto/err.h (MCP_CLIENT_ETOOL
 * stays the lowest of them: tests/fuzz checks the range). */
typedef enum mcp_client_rc {
  MCP_CLIENT_OK = WL_OK,
  /* unexpected: out of memory, libcurl setup, token minting failed */
  MCP_CLIENT_ERROR = WL_ERROR,
  /* bad options or arguments (URL, tool name, arguments not an object) */
  MCP_CLIENT_EINVAL = WL_EINVAL,
  /* could not resolve, connect or complete TLS */
  MCP_CLIENT_EUNREACHABLE = WL_EUNAVAILABLE,
  /* the connect or the total timeout elapsed */
  MCP_CLIENT_ETIMEOUT = WL_ETIMEOUT,
  /* the response exceeded max_response bytes and was cut off */
  MCP_CLIENT_ETOOBIG = WL_ETOOBIG,
  /* the cancellation hook asked to stop */
  MCP_CLIENT_ECANCELLED = WL_ECANCELLED,
  /* HTTP 401: token missing, wrong, expired or for another audience */
  MCP_CLIENT_EAUTH = WL_EAUTH,
  /* HTTP 403: authenticated but not allowed, or Host/Origin refused */
  MCP_CLIENT_EFORBIDDEN = WL_EDENIED,
  /* HTTP 404 without a JSON-RPC error: no MCP endpoint at the URL (or the legacy session was lost
   * again right after re-initializing) */
  MCP_CLIENT_ENOTFOUND = WL_ENOENDPOINT,
  /* any other non-2xx status (400 without JSON-RPC body, 413, 5xx...) */
  MCP_CLIENT_EHTTP = WL_EHTTP,
  /* malformed or unexpected reply: not JSON-RPC 2.0, wrong id, unknown content type, no response
   * in the event stream, unsupported protocol version, input_required (MRTR) result */
  MCP_CLIENT_EPROTOCOL = WL_EPROTOCOL,
  /* the server answered with a JSON-RPC error (err.rpc_code) */
  MCP_CLIENT_ERPC = WL_ERPC,
  /* tools/call returned a result with isError: true (result returned) */
  MCP_CLIENT_ETOOL = WL_ETOOL,
} mcp_client_rc;

/* Which protocol era to speak. */
typedef enum mcp_client_era {
  MCP_CLIENT_ERA_AUTO = 0, /* probe server/discover (2026-07-28), fall back to initialize */
  MCP_CLIENT_ERA_LEGACY,   /* initialize with 2025-11-25 (accepting 2025-06-18 / 2025-03-26) */
  MCP_CLIENT_ERA_MODERN,   /* 2026-07-28 only: server/discover must succeed */
} mcp_client_era;

/* Defaults (0 in the options). */
#define MCP_CLIENT_DEFAULT_TIMEOUT_MS 60000L
#define MCP_CLIENT_DEFAULT_CONNECT_MS 10000L
#define MCP_CLIENT_DEFAULT_MAX_RESPONSE (8u * 1024u * 1024u)
#define MCP_CLIENT_DEFAULT_TOKEN_TTL_MS 300000L
#define MCP_CLIENT_MAX_PAGES 100 /* tools/list pages followed at most */

typedef struct mcp_client_err {
  int code;         /* the mcp_client_rc (a wl_code) returned */
  long http_status; /* HTTP status of the failing exchange; 0 when none was received */
  int rpc_code;     /* JSON-RPC error code (ERPC, or carried by an HTTP error body); 0 when none */
  char msg[320];    /* one line, no trailing newline; never contains a token */
} mcp_client_err;

typedef struct mcp_client_opts {
  const char *url;             /* required: http(s)://host[:port]/mcp; borrowed (copied) */
  mcp_client_era era;          /* default MCP_CLIENT_ERA_AUTO */
  const char *bearer;          /* static bearer token, borrowed (copied); NULL = none */
  const seal_key *motebit_key; /* borrowed, must outlive the client: authenticate with motebit
                                   signed tokens made with this key (exclusive with bearer) */
  const char *motebit_id;  /* the token's `mid` (required with motebit_key); borrowed (copied) */
  const char *device_id;   /* the token's `did`; NULL = "workledger"; borrowed (copied) */
  const char *audience;    /* the token's `aud`; NULL = "task:submit"; borrowed (copied) */
  long token_ttl_ms;       /* 0 = MCP_CLIENT_DEFAULT_TOKEN_TTL_MS (re-minted 60 s before exp) */
  int send_public_key;     /* 1 = also send Motebit-Public-Key (first contact with a TOFU peer) */
  long connect_timeout_ms; /* 0 = MCP_CLIENT_DEFAULT_CONNECT_MS */
  long timeout_ms;         /* total per HTTP request; 0 = MCP_CLIENT_DEFAULT_TIMEOUT_MS */
  size_t max_response;     /* bytes per HTTP response (whole SSE stream); 0 = default */
  const char *ca_file;     /* PEM bundle for https; NULL = system; borrowed (copied) */
  int insecure_tls;        /* 1 = do not verify the certificate (tests only) */
  const char *client_name; /* clientInfo.name; NULL = "workledger"; borrowed (copied) */
  const char *client_version; /* clientInfo.version; NULL = the build version; borrowed (copied) */
} mcp_client_opts;

/* Progress relayed from the server's notifications/progress for this call's progressToken.
 * `total` is 0 when the server sent none; `message` may be NULL; both borrowed for the call. */
typedef void (*mcp_client_progress_fn)(double progress, double total, const char *message,
                                       void *payload);
/* Every notification of the call's response stream (progress included), borrowed for the call. */
typedef void (*mcp_client_notify_fn)(const json_t *notification, void *payload);
/* Polled during the call (about once per second at least); non-zero cancels it. */
typedef int (*mcp_client_cancel_fn)(void *payload);

typedef struct mcp_client_call_opts {
  mcp_client_progress_fn on_progress;   /* set → a progressToken is sent with the request */
  mcp_client_notify_fn on_notification; /* optional */
  mcp_client_cancel_fn cancelled;       /* optional; on cancel a legacy server also gets
                                           notifications/cancelled (best effort, 2 s) */
  void *payload;                        /* passed to the three callbacks */
  long timeout_ms;                      /* this call's total timeout; 0 = the client's */
  const json_t *meta;                   /* extra params._meta members; borrowed */
} mcp_client_call_opts;

typedef struct mcp_client mcp_client;

/* Creates a client; no network traffic. Returns MCP_CLIENT_OK, MCP_CLIENT_EINVAL (no URL, a URL
 * that is not http(s)://, bearer and motebit_key both set, motebit_key without motebit_id) or
 * MCP_CLIENT_ERROR. `*out` untouched on failure. */
int mcp_client_new(mcp_client **out, const mcp_client_opts *opts,
                   mcp_client_err *err) MCP_CLIENT_WUR;

/* Negotiates the era (and, for legacy, initializes). Idempotent: returns MCP_CLIENT_OK at once
 * when already connected. Other calls connect on demand, so calling this is optional. Returns
 * OK, EUNREACHABLE, ETIMEOUT, ETOOBIG, EAUTH, EFORBIDDEN, ENOTFOUND, EHTTP, EPROTOCOL (e.g. the
 * server chose a version we do not speak), ERPC, ERROR. */
int mcp_client_connect(mcp_client *c, mcp_client_err *err) MCP_CLIENT_WUR;

/* The protocol version in use ("2026-07-28", "2025-11-25", ...), or NULL before connecting.
 * Borrowed from the client. */
const char *mcp_client_protocol_version(const mcp_client *c);
/* 1 when the modern (2026-07-28) era is in use, 0 for legacy or not connected. */
int mcp_client_is_modern(const mcp_client *c);
/* The server/discover or initialize result, borrowed from the client (valid until it is freed),
 * or NULL before connecting. */
const json_t *mcp_client_server_info(const mcp_client *c);

/* Sends one request `method` with `params` (borrowed; NULL = {}) and returns its result object
 * in `*result_out` (new) on MCP_CLIENT_OK, NULL otherwise. co may be NULL. Returns OK or
 * any failure code of mcp_client_connect plus ECANCELLED and EINVAL (params not an object). */
int mcp_client_request(mcp_client *c, const char *method, const json_t *params,
                       const mcp_client_call_opts *co, json_t **result_out,
                       mcp_client_err *err) MCP_CLIENT_WUR;

/* tools/call `name` with `arguments` (borrowed object; NULL = {}). `*result_out` (new)
 * receives the CallToolResult on MCP_CLIENT_OK and on MCP_CLIENT_ETOOL (isError: true; err.msg
 * then holds the start of its first text block); NULL otherwise. Other codes as
 * mcp_client_request. */
int mcp_client_call_tool(mcp_client *c, const char *name, const json_t *arguments,
                         const mcp_client_call_opts *co, json_t **result_out,
                         mcp_client_err *err) MCP_CLIENT_WUR;

/* tools/list, following nextCursor up to MCP_CLIENT_MAX_PAGES pages. `*tools_out` (new):
 * the array of tool objects on OK, NULL otherwise. Codes as mcp_client_request; EPROTOCOL
 * when a page has no `tools` array or the page limit is hit. */
int mcp_client_list_tools(mcp_client *c, const mcp_client_call_opts *co, json_t **tools_out,
                          mcp_client_err *err) MCP_CLIENT_WUR;

/* Ends a legacy session the server issued (DELETE with Mcp-Session-Id, best effort, 2 s; a 405
 * is fine), then frees. NULL is a no-op. Must not race with calls in flight. */
void mcp_client_free(mcp_client *c);

/* Static one-word-ish description of a code ("timeout", "unauthorized", ...). */
const char *mcp_client_strerror(int rc);

/* ---- embeddings (client/embed.c) ------------------------------------------------------------ */

#define MCP_CLIENT_EMBED_TIMEOUT_MS 10000L
#define MCP_CLIENT_EMBED_MAX_RESPONSE (4u * 1024u * 1024u)
#define MCP_CLIENT_EMBED_MAX_DIMS 16384

typedef struct mcp_client_embed_opts {
  const char *url;         /* required: the API base (http(s)://host[:port]/v1); borrowed */
  const char *model;       /* required: the "model" member; borrowed */
  const char *api_key;     /* sent as "Authorization: Bearer <key>"; NULL/"" = none; borrowed */
  long timeout_ms;         /* whole request; 0 = MCP_CLIENT_EMBED_TIMEOUT_MS */
  long connect_timeout_ms; /* 0 = MCP_CLIENT_DEFAULT_CONNECT_MS (at most timeout_ms) */
  size_t max_response;     /* bytes of the answer; 0 = MCP_CLIENT_EMBED_MAX_RESPONSE */
  size_t max_dims;         /* most components accepted; 0 = MCP_CLIENT_EMBED_MAX_DIMS */
  const char *ca_file;     /* PEM bundle for https; NULL = system; borrowed */
} mcp_client_embed_opts;

/* The embedding of `text` (borrowed, UTF-8) from an OpenAI-compatible endpoint: POST
 * {url}/embeddings with {"model": model, "input": text} (application/json), answer
 * {"data":[{"embedding":[numbers...]}, ...]}; only data[0] is read. Thread-safe, no state.
 * @param[out] out new (free()) array of *dims_out floats on MCP_CLIENT_OK, NULL otherwise.
 * @return MCP_CLIENT_OK; EINVAL (no URL, model or text; a key with control characters);
 *         EUNREACHABLE; ETIMEOUT; ETOOBIG; EAUTH (401); EFORBIDDEN (403); ENOTFOUND (404); EHTTP
 *         (any other non-2xx); EPROTOCOL (not JSON, no data[0].embedding, a component that is
 *         not a finite number, more than max_dims); ERROR. err (may be NULL) names the URL and
 *         never contains the key. */
int mcp_client_embed(float **out, size_t *dims_out, const mcp_client_embed_opts *o,
                     const char *text, mcp_client_err *err) MCP_CLIENT_WUR;

#endif
