/* SPDX-License-Identifier: Apache-2.0
 * schemas/schemas.c — lookup over the generated table of embedded schema files. */
#include "schemas/schemas.h"
#include <string.h>

const struct schema_file *schema_find(const char *path)
{
  for (size_t i = 0; i < schema_files_count; i++)
    if (strcmp(schema_files[i].path, path) == 0)
      return &schema_files[i];
  return NULL;
}
