/* SPDX-License-Identifier: Apache-2.0
 * tools/chat_tags.h — motebit's tags in a model's answer (spec/mcp.md §3.5): <memory
 * confidence="0.9" sensitivity="none">fact</memory> forms a memory, <thinking>…</thinking> and
 * <state …/> are hidden, an unclosed tag hides the rest of the text. Internal to tools/ (the
 * chat tool, its unit test and fuzz target). Pure string work: no I/O, no Store. */
#ifndef WL_TOOLS_CHAT_TAGS_H
#define WL_TOOLS_CHAT_TAGS_H

#include <stddef.h>

#define CHAT_MAX_MEMORIES 16       /* memory tags kept from one answer at most */
#define CHAT_MEMORY_MAX_BYTES 4096 /* a longer memory is cut at a character boundary */

typedef struct chat_memory {
  char *content;        /* new; trimmed, non-empty, at most CHAT_MEMORY_MAX_BYTES */
  int confidence;       /* 0..100: the tag's confidence (0..1, default 0.7) x 100 */
  char sensitivity[32]; /* "none" or "personal" */
} chat_memory;

typedef struct chat_answer {
  char *text; /* new: the answer with its tags taken out, white space trimmed */
  chat_memory mem[CHAT_MAX_MEMORIES];
  int nmem;
  int dropped; /* memory tags not kept: medical/financial/secret/unknown, or past the limit */
} chat_answer;

/* Splits the NUL-terminated `text` into what is shown and the memories it forms. A memory tag of
 * sensitivity none or personal is kept, at `min_sens` ("personal" raises every kept memory to
 * personal; anything else keeps the tag's); any other sensitivity is dropped. `a` is filled
 * (zeroed first); free it with chat_answer_free in every case. Returns 0, or -1 out of memory. */
int chat_answer_parse(chat_answer *a, const char *text, const char *min_sens);
void chat_answer_free(chat_answer *a);

/* For a streamed answer: the visible text of text[0, len) that can no longer change, so that
 * progress never shows a tag or its body. Writes it to `out` (room for len bytes; not
 * NUL-terminated) with its length in *out_len, and returns how many bytes of text were decided:
 * the caller keeps text[returned, len) and calls again with more text appended to it. Stops
 * before a tag that is not closed yet and before a '<' that may still become one. Leading and
 * trailing white space is not trimmed here. */
size_t chat_visible_step(const char *text, size_t len, char *out, size_t *out_len);

#endif
