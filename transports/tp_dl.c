/* SPDX-License-Identifier: Apache-2.0
 * transports/tp_dl.c — loads libcurl and libmicrohttpd on first use (see tp_dl.h): dlopen of the
 * library by its ABI soname (then the unversioned name), dlsym of each function into the table,
 * once per process under pthread_once. A library that is missing, or lacks a symbol, leaves its
 * table NULL and a one-line reason; nothing is retried and nothing is unloaded. */
#include "transports/tp_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

static void *open_first(const char *const *names)
{
  for (int i = 0; names[i]; i++) {
    void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (h)
      return h;
  }
  return NULL;
}

/* Fills n pointers from syms; 0 ok, -1 a symbol is missing. */
static int load_syms(void *h, void **slots, const char *const *syms, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    void *p = dlsym(h, syms[i]);
    if (!p)
      return -1;
    memcpy(&slots[i], &p, sizeof p);
  }
  return 0;
}

static tp_curl_api g_curl;
static const tp_curl_api *g_curl_ok;
static const char *g_curl_why = "libcurl not loaded";
static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;

static void curl_load(void)
{
  static const char *const names[] = {"libcurl.so.4", "libcurl.so", NULL};
  static const char *const syms[] = {"curl_global_init",   "curl_easy_init",
                                     "curl_easy_setopt",   "curl_easy_perform",
                                     "curl_easy_getinfo",  "curl_easy_cleanup",
                                     "curl_easy_strerror", "curl_slist_append",
                                     "curl_slist_free_all"};
  _Static_assert(sizeof g_curl == sizeof syms / sizeof syms[0] * sizeof(void *), "curl table");
  void *h = open_first(names);
  if (!h) {
    g_curl_why = "cannot load libcurl (libcurl.so.4)";
    return;
  }
  if (load_syms(h, (void **)(void *)&g_curl, syms, sizeof syms / sizeof syms[0])) {
    g_curl_why = "libcurl lacks a function workledger needs";
    return;
  }
  g_curl_ok = &g_curl;
}

const tp_curl_api *tp_curl(const char **why)
{
  pthread_once(&g_curl_once, curl_load);
  if (!g_curl_ok && why)
    *why = g_curl_why;
  return g_curl_ok;
}

static tp_mhd_api g_mhd;
static const tp_mhd_api *g_mhd_ok;
static const char *g_mhd_why = "libmicrohttpd not loaded";
static pthread_once_t g_mhd_once = PTHREAD_ONCE_INIT;

static void mhd_load(void)
{
  static const char *const names[] = {"libmicrohttpd.so.12", "libmicrohttpd.so", NULL};
  static const char *const syms[] = {"MHD_add_connection",
                                     "MHD_add_response_header",
                                     "MHD_create_response_from_buffer",
                                     "MHD_create_response_from_callback",
                                     "MHD_destroy_response",
                                     "MHD_get_connection_info",
                                     "MHD_lookup_connection_value",
                                     "MHD_queue_response",
                                     "MHD_resume_connection",
                                     "MHD_start_daemon",
                                     "MHD_stop_daemon",
                                     "MHD_suspend_connection"};
  _Static_assert(sizeof g_mhd == sizeof syms / sizeof syms[0] * sizeof(void *), "mhd table");
  void *h = open_first(names);
  if (!h) {
    g_mhd_why = "cannot load libmicrohttpd (libmicrohttpd.so.12)";
    return;
  }
  if (load_syms(h, (void **)(void *)&g_mhd, syms, sizeof syms / sizeof syms[0])) {
    g_mhd_why = "libmicrohttpd lacks a function workledger needs";
    return;
  }
  g_mhd_ok = &g_mhd;
}

const tp_mhd_api *tp_mhd(const char **why)
{
  pthread_once(&g_mhd_once, mhd_load);
  if (!g_mhd_ok && why)
    *why = g_mhd_why;
  return g_mhd_ok;
}
