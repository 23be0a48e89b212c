/* SPDX-License-Identifier: Apache-2.0
 * transports/tp_dl.h — libcurl and libmicrohttpd, loaded on first use with dlopen instead of
 * being linked into the binary. Between them they pull in about thirty shared objects (gnutls,
 * OpenSSL, Kerberos, LDAP, ssh2, ...) that every process would otherwise map and relocate at
 * start: about 5 MB of resident memory and a good part of process start-up for `serve` over
 * stdio and one-shot commands that never speak HTTP. The tables hold one pointer per function
 * that http_client.c / http_server.c call, typed from the libraries' own headers. tp_curl() and
 * tp_mhd() return NULL (with a reason) when the library cannot be loaded. Private to
 * transports/. */
#ifndef WL_TRANSPORTS_TP_DL_H
#define WL_TRANSPORTS_TP_DL_H

#include <curl/curl.h>
#include <microhttpd.h>

#include <stddef.h>

typedef struct tp_curl_api {
  __typeof__(&curl_global_init) global_init;
  __typeof__(&curl_easy_init) easy_init;
  __typeof__(&curl_easy_setopt) easy_setopt;
  __typeof__(&curl_easy_perform) easy_perform;
  __typeof__(&curl_easy_getinfo) easy_getinfo;
  __typeof__(&curl_easy_cleanup) easy_cleanup;
  __typeof__(&curl_easy_strerror) easy_strerror;
  __typeof__(&curl_slist_append) slist_append;
  __typeof__(&curl_slist_free_all) slist_free_all;
} tp_curl_api;

typedef struct tp_mhd_api {
  __typeof__(&MHD_add_connection) add_connection;
  __typeof__(&MHD_add_response_header) add_response_header;
  __typeof__(&MHD_create_response_from_buffer) create_response_from_buffer;
  __typeof__(&MHD_create_response_from_callback) create_response_from_callback;
  __typeof__(&MHD_destroy_response) destroy_response;
  __typeof__(&MHD_get_connection_info) get_connection_info;
  __typeof__(&MHD_lookup_connection_value) lookup_connection_value;
  __typeof__(&MHD_queue_response) queue_response;
  __typeof__(&MHD_resume_connection) resume_connection;
  __typeof__(&MHD_start_daemon) start_daemon;
  __typeof__(&MHD_stop_daemon) stop_daemon;
  __typeof__(&MHD_suspend_connection) suspend_connection;
} tp_mhd_api;

/* Loaded once (thread-safe). NULL when unavailable; then why (static text) says why. */
const tp_curl_api *tp_curl(const char **why);
const tp_mhd_api *tp_mhd(const char **why);

#endif
