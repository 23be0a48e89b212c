/* SPDX-License-Identifier: Apache-2.0
 * schemas/schemas.c — lookup over the generated table of embedded schema files, and the tool
 * argument check (inputSchema of schemas/tools/<tool>.json through crypto/jschema.h) shared by
 * the MCP call path and the CLI, with its one message format. */
#include "schemas/schemas.h"
#include "crypto/jschema.h"

#include <stdio.h>
#include <string.h>

const struct schema_file *schema_find(const char *path)
{
  for (size_t i = 0; i < schema_files_count; i++)
    if (strcmp(schema_files[i].path, path) == 0)
      return &schema_files[i];
  return NULL;
}

const struct schema_file *schema_tool_find(const char *tool)
{
  char path[256];
  int n = snprintf(path, sizeof path, "tools/%s.json", tool ? tool : "");
  if (!tool || n < 0 || (size_t)n >= sizeof path)
    return NULL;
  return schema_find(path);
}

void schema_args_message(char *buf, size_t cap, const char *tool, const char *path, const char *msg)
{
  int has_path = path && path[0];
  snprintf(buf, cap, "Invalid arguments for tool %s: %s%s%s", tool, has_path ? path : "",
           has_path ? ": " : "", msg);
}

int schema_tool_args_check(const char *tool, const json_t *args, char *msg, size_t cap)
{
  const struct schema_file *f = schema_tool_find(tool);
  json_t *doc;
  json_error_t jerr;
  seal_jschema_err verr;
  int rc;

  if (!f) {
    snprintf(msg, cap, "no schema for tool %s", tool ? tool : "(null)");
    return SCHEMA_ARGS_NOTOOL;
  }
  doc = json_loadb(f->text, f->len, JSON_REJECT_DUPLICATES, &jerr);
  if (!doc || !json_is_object(json_object_get(doc, "inputSchema"))) {
    snprintf(msg, cap, "schemas/%s: no usable inputSchema", f->path);
    json_decref(doc);
    return SCHEMA_ARGS_NOTOOL;
  }
  memset(&verr, 0, sizeof verr);
  rc = seal_jschema_validate(json_object_get(doc, "inputSchema"), args, &verr);
  if (rc == SEAL_JSCHEMA_OK) {
    rc = SCHEMA_ARGS_OK;
  } else if (rc == SEAL_JSCHEMA_INVALID) {
    schema_args_message(msg, cap, tool, verr.path, verr.msg);
    rc = SCHEMA_ARGS_INVALID;
  } else {
    snprintf(msg, cap, "schemas/%s: unusable inputSchema at %s: %s", f->path, verr.path, verr.msg);
    rc = SCHEMA_ARGS_NOTOOL;
  }
  json_decref(doc);
  return rc;
}
