/* SPDX-License-Identifier: Apache-2.0
 * mcp/log.c — the process log: one line per event on stderr, "<UTC time> <level> <message>",
 * filtered by a minimum level (WORKLEDGER_LOG or mcp_log_set_level). It never writes stdout, which
 * belongs to the stdio transport. Client-facing notifications/message are built in server.c. */
#include "mcp/mcp.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"debug", "info",     "notice", "warning",
                                          "error", "critical", "alert",  "emergency"};

static atomic_int min_level = -1;

const char *mcp_log_level_name(mcp_log_level lvl)
{
  if ((int)lvl < 0 || (int)lvl > (int)MCP_LOG_EMERGENCY)
    return "info";
  return level_names[lvl];
}

int mcp_log_level_parse(const char *name)
{
  if (!name)
    return -1;
  for (int i = 0; i <= (int)MCP_LOG_EMERGENCY; i++)
    if (strcmp(name, level_names[i]) == 0)
      return i;
  return -1;
}

void mcp_log_set_level(mcp_log_level lvl)
{
  atomic_store(&min_level, (int)lvl);
}

static int current_min(void)
{
  int m = atomic_load(&min_level);
  if (m < 0) {
    const char *e = getenv("WORKLEDGER_LOG");
    m = mcp_log_level_parse(e);
    if (m < 0)
      m = MCP_LOG_INFO;
    atomic_store(&min_level, m);
  }
  return m;
}

int mcp_log_enabled(mcp_log_level lvl)
{
  return (int)lvl >= current_min();
}

void mcp_log(mcp_log_level lvl, const char *fmt, ...)
{
  char line[1200];
  struct timespec ts;
  struct tm tm;
  size_t off;
  va_list ap;
  int n;

  if ((int)lvl < current_min())
    return;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  off = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
  n = snprintf(line + off, sizeof line - off, ".%03ldZ %s ", ts.tv_nsec / 1000000L,
               mcp_log_level_name(lvl));
  if (n > 0)
    off += (size_t)n;
  va_start(ap, fmt);
  n = vsnprintf(line + off, sizeof line - off - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  off += (size_t)n < sizeof line - off - 1 ? (size_t)n : sizeof line - off - 2;
  for (size_t i = 0; i < off; i++)
    if (line[i] == '\n' || line[i] == '\r')
      line[i] = ' ';
  line[off++] = '\n';
  fwrite(line, 1, off, stderr);
}
