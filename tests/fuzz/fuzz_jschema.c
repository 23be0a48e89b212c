/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_jschema.c — libFuzzer target for the JSON Schema validator (crypto/jschema.h)
 * that every tools/call's arguments go through. The first byte picks the mode: below 0xc0, the
 * rest is a JSON instance validated against one of the embedded schemas (schemas/schemas.h: each
 * file's inputSchema when it has one, else the file), exactly what a caller controls; otherwise
 * the rest is a schema and an instance separated by the first NUL byte, both fuzzed: a schema
 * that seal_jschema_check accepts is then used to validate. Validation must return one of the
 * three codes, fill a NUL-terminated reason on failure, and give the same answer twice. */
#include "crypto/jschema.h"
#include "crypto/seal.h"
#include "schemas/schemas.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const json_t *schema, const json_t *inst)
{
  seal_jschema_err e1, e2;
  memset(&e1, 0, sizeof e1);
  memset(&e2, 0, sizeof e2);
  int r1 = seal_jschema_validate(schema, inst, &e1);
  int r2 = seal_jschema_validate(schema, inst, &e2);
  if (r1 != r2 ||
      (r1 != SEAL_JSCHEMA_OK && r1 != SEAL_JSCHEMA_INVALID && r1 != SEAL_JSCHEMA_BADSCHEMA))
    abort();
  if (r1 != SEAL_JSCHEMA_OK && (!memchr(e1.msg, 0, sizeof e1.msg) || !e1.msg[0] ||
                                !memchr(e1.path, 0, sizeof e1.path) || strcmp(e1.msg, e2.msg)))
    abort();
}

static json_t *parse(const uint8_t *p, size_t n)
{
  return seal_json_parse_strict((const char *)p, n, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static json_t **schemas;
  static size_t nschemas;
  if (!schemas) {
    schemas = calloc(schema_files_count + 1, sizeof *schemas);
    for (size_t i = 0; schemas && schema_files[i].path; i++) {
      json_t *f = json_loadb(schema_files[i].text, schema_files[i].len, 0, NULL);
      json_t *in = json_object_get(f, "inputSchema");
      if (f)
        schemas[nschemas++] = in ? json_incref(in) : json_incref(f);
      json_decref(f);
    }
    if (!schemas || !nschemas)
      abort();
  }
  if (size < 1 || size > 65536)
    return 0;
  if (data[0] < 0xc0) {
    json_t *inst = parse(data + 1, size - 1);
    if (inst)
      check(schemas[data[0] % nschemas], inst);
    json_decref(inst);
    return 0;
  }
  const uint8_t *nul = memchr(data + 1, 0, size - 1);
  if (!nul)
    return 0;
  json_t *schema = parse(data + 1, (size_t)(nul - data - 1));
  json_t *inst = parse(nul + 1, size - (size_t)(nul - data) - 1);
  seal_jschema_err e;
  if (schema && inst && seal_jschema_check(schema, &e) == SEAL_JSCHEMA_OK)
    check(schema, inst);
  json_decref(schema);
  json_decref(inst);
  return 0;
}
