/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_chat_tags.c — libFuzzer target for the reader of motebit's tags in a model's
 * answer (tools/chat_tags.h), the one parser that a chat endpoint's or a client's model output
 * reaches. The first byte picks the operator's floor; the rest is the answer. Aborts when the
 * shown text grows, a memory is empty, oversized or of a sensitivity other than none/personal,
 * or the counts leave their bounds. (Text outside tags may still read "<memory>" once a tag
 * between its halves is taken out: that is shown text, not a tag, and stores nothing.) */
#include "tools/chat_tags.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  chat_answer a;
  char *text;
  if (size < 1)
    return 0;
  if (!(text = malloc(size)))
    return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  if (chat_answer_parse(&a, text, (data[0] & 1) ? "personal" : "none") == 0) {
    if (strlen(a.text) > strlen(text) || a.nmem < 0 || a.nmem > CHAT_MAX_MEMORIES || a.dropped < 0)
      abort();
    for (int i = 0; i < a.nmem; i++)
      if (!a.mem[i].content[0] || strlen(a.mem[i].content) > CHAT_MEMORY_MAX_BYTES ||
          (strcmp(a.mem[i].sensitivity, "none") && strcmp(a.mem[i].sensitivity, "personal")) ||
          a.mem[i].confidence < 0 || a.mem[i].confidence > 100)
        abort();
  }
  chat_answer_free(&a);
  free(text);
  return 0;
}
