/* SPDX-License-Identifier: Apache-2.0
 * tools/chat_tags.c — the tag reader of tools/chat_tags.h: one pass over a model's answer that
 * copies the text outside motebit's tags, collects <memory> bodies with their confidence and
 * sensitivity attributes (quoted with " or '), and hides <thinking> and <state/>; bounds on the
 * number and the size of memories; never reads past the text's end. */
#include "tools/chat_tags.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void chat_answer_free(chat_answer *a)
{
  free(a->text);
  for (int i = 0; i < a->nmem; i++)
    free(a->mem[i].content);
  memset(a, 0, sizeof *a);
}

/* The value of attribute `name` in the tag text [s, e) (quoted with " or '), into out. */
static int tag_attr(const char *s, const char *e, const char *name, char *out, size_t cap)
{
  size_t nl = strlen(name);
  for (const char *p = s; p + nl + 2 < e; p++) {
    if ((p == s || isspace((unsigned char)p[-1])) && strncmp(p, name, nl) == 0 && p[nl] == '=' &&
        (p[nl + 1] == '"' || p[nl + 1] == '\'')) {
      const char *v = p + nl + 2, *q = memchr(v, p[nl + 1], (size_t)(e - v));
      size_t n;
      if (!q)
        return 0;
      n = (size_t)(q - v) < cap - 1 ? (size_t)(q - v) : cap - 1;
      memcpy(out, v, n);
      out[n] = '\0';
      return 1;
    }
  }
  return 0;
}

/* Trims [*s, *e) of white space; cuts it to CHAT_MEMORY_MAX_BYTES at a UTF-8 boundary. */
static void trim(const char **s, const char **e)
{
  while (*s < *e && isspace((unsigned char)**s))
    (*s)++;
  while (*e > *s && isspace((unsigned char)(*e)[-1]))
    (*e)--;
  if (*e - *s > CHAT_MEMORY_MAX_BYTES) {
    *e = *s + CHAT_MEMORY_MAX_BYTES;
    while (*e > *s && ((unsigned char)**e & 0xC0) == 0x80)
      (*e)--;
  }
}

/* One <memory ...>body</memory>: kept when its sensitivity is none or personal (raised to the
 * operator's floor `min_sens`), dropped otherwise. */
static void take_memory(chat_answer *a, const char *attrs, const char *attrs_end, const char *body,
                        const char *body_end, const char *min_sens)
{
  char conf[32] = "", sens[32] = "none";
  chat_memory *f;
  double c = 0.7;
  trim(&body, &body_end);
  if (body == body_end)
    return;
  tag_attr(attrs, attrs_end, "sensitivity", sens, sizeof sens);
  if ((strcmp(sens, "none") != 0 && strcmp(sens, "personal") != 0) ||
      a->nmem == CHAT_MAX_MEMORIES) {
    a->dropped++;
    return;
  }
  if (tag_attr(attrs, attrs_end, "confidence", conf, sizeof conf)) {
    char *end;
    double v = strtod(conf, &end);
    if (end != conf && v >= 0 && v <= 1)
      c = v;
  }
  f = &a->mem[a->nmem];
  if (!(f->content = malloc((size_t)(body_end - body) + 1)))
    return;
  memcpy(f->content, body, (size_t)(body_end - body));
  f->content[body_end - body] = '\0';
  f->confidence = (int)(c * 100 + 0.5);
  snprintf(f->sensitivity, sizeof f->sensitivity, "%s",
           strcmp(min_sens, "personal") == 0 ? "personal" : sens);
  a->nmem++;
}

/* Where the tag named `name` that opens at p ends (after its closing tag, or after "/>" for a
 * self-closing one); the end of the text when it is never closed (an unfinished tag is hidden
 * too). Fills the attribute and body ranges. */
static const char *tag_span(const char *p, const char *end, const char *name, const char **attrs,
                            const char **attrs_end, const char **body, const char **body_end)
{
  char close[24];
  const char *gt = memchr(p, '>', (size_t)(end - p)), *c;
  size_t cl;
  *attrs = p + 1 + strlen(name);
  *attrs_end = *body = *body_end = gt ? gt : end;
  if (!gt)
    return end;
  if (gt > p && gt[-1] == '/') {
    *attrs_end = gt - 1;
    return gt + 1;
  }
  *body = gt + 1;
  cl = (size_t)snprintf(close, sizeof close, "</%s>", name);
  for (c = *body; c + cl <= end; c++)
    if (strncmp(c, close, cl) == 0) {
      *body_end = c;
      return c + cl;
    }
  *body_end = end;
  return end;
}

static const char *const tags[] = {"memory", "thinking", "state", NULL};

/* Which tag opens at p (p[0] == '<'): its index, -1 for none, -2 when the text ends too soon to
 * tell (a stream may still complete it). */
static int tag_at(const char *p, const char *end)
{
  size_t left = (size_t)(end - p) - 1; /* bytes after '<' */
  for (int i = 0; tags[i]; i++) {
    size_t tl = strlen(tags[i]);
    if (left <= tl) {
      if (strncmp(p + 1, tags[i], left) == 0)
        return -2;
      continue;
    }
    if (strncmp(p + 1, tags[i], tl) == 0 &&
        (p[tl + 1] == '>' || p[tl + 1] == '/' || isspace((unsigned char)p[tl + 1])))
      return i;
  }
  return -1;
}

size_t chat_visible_step(const char *text, size_t len, char *out, size_t *out_len)
{
  const char *p = text, *end = text + len;
  size_t o = 0;
  while (p < end) {
    const char *at, *at_end, *body, *body_end, *next;
    int hit = *p == '<' ? tag_at(p, end) : -1;
    if (hit == -2)
      break;
    if (hit < 0) {
      out[o++] = *p++;
      continue;
    }
    next = tag_span(p, end, tags[hit], &at, &at_end, &body, &body_end);
    if (next == end && (body_end == end || at_end == end))
      break; /* not closed yet: everything from here is undecided */
    p = next;
  }
  *out_len = o;
  return (size_t)(p - text);
}

int chat_answer_parse(chat_answer *a, const char *text, const char *min_sens)
{
  size_t n = strlen(text), o = 0;
  const char *p = text, *end = text + n;
  memset(a, 0, sizeof *a);
  if (!(a->text = malloc(n + 1)))
    return -1;
  while (p < end) {
    int hit = -1;
    if (*p == '<')
      for (int i = 0; tags[i]; i++) {
        size_t tl = strlen(tags[i]);
        if ((size_t)(end - p) > tl + 1 && strncmp(p + 1, tags[i], tl) == 0 &&
            (p[tl + 1] == '>' || p[tl + 1] == '/' || isspace((unsigned char)p[tl + 1]))) {
          hit = i;
          break;
        }
      }
    if (hit < 0) {
      a->text[o++] = *p++;
      continue;
    }
    const char *at, *at_end, *body, *body_end;
    p = tag_span(p, end, tags[hit], &at, &at_end, &body, &body_end);
    if (hit == 0)
      take_memory(a, at, at_end, body, body_end, min_sens);
  }
  while (o > 0 && isspace((unsigned char)a->text[o - 1]))
    o--;
  a->text[o] = '\0';
  {
    size_t lead = 0;
    while (isspace((unsigned char)a->text[lead]))
      lead++;
    memmove(a->text, a->text + lead, o - lead + 1);
  }
  return 0;
}
