/* SPDX-License-Identifier: Apache-2.0
 * ledger/recall.c — the Store side of motebit_recall (spec/store.md "Service queries"): memory
 * embeddings (ledger_txn_memory_vector_put, table memory_vectors) and the candidate search
 * (ledger_memory_recall_ex). Words are FTS5's own unicode61 tokens, taken from the tokenizer the
 * index uses (fts5_api), so a word the index matched is the same word the lexical similarity
 * counts. Lexical candidates are the memories holding ANY query word (quoted literal words
 * joined by OR, best bm25 first); with a query vector, the stored vectors of the same model and
 * dimension are scanned (brute force, every row) for the nearest ones by cosine. Each candidate
 * carries raw measures only: bm25, the lexical cosine of the two word sets, the vector cosine.
 * Mapping them to a similarity, the half-life decay and the order of results are the caller's
 * policy (tools/memory.c), not ours. Everything runs on a pooled read connection, one committed
 * snapshot per call, and refused sensitivities are filtered in SQL so they are never read. */
#include "ledger/ledger_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(LEDGER_VECTOR_MAX_DIMS == 16384, "memory_vectors CHECK(dims BETWEEN 1 AND 16384)");
_Static_assert(LEDGER_MODEL_MAX == 200, "memory_vectors CHECK(length(model) BETWEEN 1 AND 200)");
_Static_assert(sizeof(float) == 4, "vectors are stored as IEEE-754 binary32");

/* ---- vectors -------------------------------------------------------------------------------- */

static void vec_encode(unsigned char *out, const float *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    uint32_t b;
    memcpy(&b, &v[i], sizeof b);
    out[4 * i] = (unsigned char)(b & 0xff);
    out[4 * i + 1] = (unsigned char)((b >> 8) & 0xff);
    out[4 * i + 2] = (unsigned char)((b >> 16) & 0xff);
    out[4 * i + 3] = (unsigned char)(b >> 24);
  }
}

static double vec_at(const unsigned char *p, size_t i)
{
  uint32_t b = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

static double vec_norm(const float *v, size_t n)
{
  double s = 0;
  for (size_t i = 0; i < n; i++)
    s += (double)v[i] * v[i];
  return sqrt(s);
}

/* Cosine of the query (q, norm qn > 0) and a stored blob of n components; 0 for a zero vector. */
static double vec_cosine(const float *q, double qn, const unsigned char *blob, size_t n)
{
  double dot = 0, vn = 0;
  for (size_t i = 0; i < n; i++) {
    double x = vec_at(blob, i);
    dot += q[i] * x;
    vn += x * x;
  }
  if (!(vn > 0))
    return 0;
  dot /= qn * sqrt(vn);
  return dot > 1 ? 1 : dot < -1 ? -1 : dot;
}

static const char SQL_MEM_EXISTS[] = "SELECT 1 FROM memories WHERE memory_id = ?1";
static const char SQL_VEC_INS[] =
    "INSERT INTO memory_vectors(memory_id, model, dims, vector, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";

int ledger_txn_memory_vector_put(ledger_txn *t, const char *memory_id, const char *model,
                                 const float *vector, size_t dims, ledger_err *err)
{
  char now[LEDGER_TS_MAX];
  unsigned char *blob;
  db_stmt *st;
  int rc;
  if (!memory_id || !model || !*model || strlen(model) > LEDGER_MODEL_MAX || !vector || dims == 0 ||
      dims > LEDGER_VECTOR_MAX_DIMS)
    return ledger__errf(err, LEDGER_EINVAL, 0,
                        "a memory vector needs a memory, a model name of 1..%d bytes and "
                        "1..%d components",
                        LEDGER_MODEL_MAX, LEDGER_VECTOR_MAX_DIMS);
  for (size_t i = 0; i < dims; i++)
    if (!isfinite(vector[i]))
      return ledger__errf(err, LEDGER_EINVAL, 0, "memory vector component %zu is not finite", i);
  if (!(st = ledger__stmt(t->c, SQL_MEM_EXISTS, err)))
    return LEDGER_ERROR;
  BIND_TEXT(st, 1, memory_id);
  rc = db_step(st);
  db_reset(st);
  if (rc == SQLITE_DONE)
    return ledger__errf(err, LEDGER_EINVAL, 0, "no memory %s", memory_id);
  if (rc != SQLITE_ROW)
    return ledger__sqlerr(err, t->c, rc, "find memory");
  if (!(blob = malloc(dims * 4)))
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  vec_encode(blob, vector, dims);
  ledger_now(now);
  if (!(st = ledger__stmt(t->c, SQL_VEC_INS, err))) {
    free(blob);
    return LEDGER_ERROR;
  }
  BIND_TEXT(st, 1, memory_id);
  BIND_TEXT(st, 2, model);
  db_bind_int(st, 3, (int)dims);
  db_bind_blob(st, 4, blob, (int)(dims * 4), SQLITE_TRANSIENT);
  BIND_TEXT(st, 5, now);
  free(blob);
  return ledger__step_done(t->c, st, err, "store memory vector");
}

/* ---- words: FTS5's unicode61 tokenizer ------------------------------------------------------ */

typedef struct tokenizer {
  fts5_tokenizer api;
  Fts5Tokenizer *inst;
  sqlite3 *mem; /* PostgreSQL Stores: a private in-memory SQLite for the same tokenizer */
} tokenizer;

static const char SQL_FTS5_API[] = "SELECT fts5(?1)";

/* The tokenizer of memories_fts (unicode61, default options) on this connection. */
static int tokenizer_open(lconn *c, tokenizer *t, ledger_err *err)
{
  fts5_api *api = NULL;
  void *ud = NULL;
  memset(t, 0, sizeof *t);
  if (c->pg) { /* words are split by SQLite's unicode61 on either engine */
    sqlite3_stmt *ms = NULL;
    if (sqlite3_open_v2(":memory:", &t->mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(t->mem, SQL_FTS5_API, -1, &ms, NULL) != SQLITE_OK) {
      sqlite3_close(t->mem);
      t->mem = NULL;
      return ledger__errf(err, LEDGER_ERROR, 0, "the FTS5 unicode61 tokenizer is not available");
    }
    sqlite3_bind_pointer(ms, 1, (void *)&api, "fts5_api_ptr", NULL);
    (void)sqlite3_step(ms);
    sqlite3_finalize(ms);
  } else {
    db_stmt *st = ledger__stmt(c, SQL_FTS5_API, err);
    if (!st)
      return LEDGER_ERROR;
    sqlite3_bind_pointer(st->s, 1, (void *)&api, "fts5_api_ptr", NULL);
    (void)db_step(st);
    db_reset(st);
  }
  if (!api || api->xFindTokenizer(api, "unicode61", &ud, &t->api) != SQLITE_OK ||
      t->api.xCreate(ud, NULL, 0, &t->inst) != SQLITE_OK) {
    t->inst = NULL;
    return ledger__errf(err, LEDGER_ERROR, 0, "the FTS5 unicode61 tokenizer is not available");
  }
  return LEDGER_OK;
}

static void tokenizer_close(tokenizer *t)
{
  if (t->inst)
    t->api.xDelete(t->inst);
  t->inst = NULL;
  sqlite3_close(t->mem);
  t->mem = NULL;
}

/* A set of words: the tokens in one buffer (each NUL-terminated), then, once sorted, `w`
 * pointing at each distinct one in strcmp order. */
typedef struct wordset {
  char *buf;
  size_t len, cap;
  size_t *off;
  size_t n, ncap;
  size_t max; /* most distinct words kept, in first-seen order (0 = every word) */
  const char **w;
  int oom;
} wordset;

static void wordset_free(wordset *s)
{
  free(s->buf);
  free(s->off);
  free((void *)s->w);
  memset(s, 0, sizeof *s);
}

static int seen(const wordset *s, const char *p, size_t n)
{
  for (size_t i = 0; i < s->n; i++)
    if (strlen(s->buf + s->off[i]) == n && memcmp(s->buf + s->off[i], p, n) == 0)
      return 1;
  return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
  size_t c = *cap ? *cap : 64;
  void *np;
  if (need <= *cap)
    return 0;
  while (c < need)
    c *= 2;
  if (!(np = realloc(*p, c * elem)))
    return -1;
  *p = np;
  *cap = c;
  return 0;
}

static int on_token(void *ctx, int tflags, const char *p, int n, int start, int end)
{
  wordset *s = ctx;
  (void)start;
  (void)end;
  if ((tflags & FTS5_TOKEN_COLOCATED) || n <= 0)
    return SQLITE_OK;
  if (s->max && (s->n >= s->max || seen(s, p, (size_t)n)))
    return SQLITE_OK;
  if (grow((void **)&s->buf, &s->cap, s->len + (size_t)n + 1, 1) != 0 ||
      grow((void **)&s->off, &s->ncap, s->n + 1, sizeof *s->off) != 0) {
    s->oom = 1;
    return SQLITE_NOMEM;
  }
  memcpy(s->buf + s->len, p, (size_t)n);
  s->buf[s->len + (size_t)n] = 0;
  s->off[s->n++] = s->len;
  s->len += (size_t)n + 1;
  return SQLITE_OK;
}

static int cmp_word(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Tokenizes `text` into `s` (zeroed by the caller, s->max set) and sorts its distinct words.
 * 0, or -1 on out of memory or a tokenizer error. */
static int words(tokenizer *t, const char *text, int flags, wordset *s)
{
  size_t k = 0;
  int rc = t->api.xTokenize(t->inst, s, flags, text, (int)strlen(text), on_token);
  if (rc != SQLITE_OK || s->oom)
    return -1;
  if (!s->n)
    return 0;
  if (!(s->w = malloc(s->n * sizeof *s->w)))
    return -1;
  for (size_t i = 0; i < s->n; i++)
    s->w[i] = s->buf + s->off[i];
  qsort((void *)s->w, s->n, sizeof *s->w, cmp_word);
  for (size_t i = 0; i < s->n; i++)
    if (k == 0 || strcmp(s->w[k - 1], s->w[i]) != 0)
      s->w[k++] = s->w[i];
  s->n = k;
  return 0;
}

/* The cosine of the binary word sets of the query `q` and `content`: shared words over the
 * geometric mean of the two set sizes (the Ochiai coefficient), in [0, 1]. -1 on failure. */
static double lexical(tokenizer *t, const wordset *q, const char *content)
{
  wordset d;
  size_t i = 0, j = 0, shared = 0;
  double v;
  memset(&d, 0, sizeof d);
  if (words(t, content, FTS5_TOKENIZE_DOCUMENT, &d) != 0) {
    wordset_free(&d);
    return -1;
  }
  while (i < q->n && j < d.n) {
    int c = strcmp(q->w[i], d.w[j]);
    if (c == 0)
      shared++;
    i += c <= 0;
    j += c >= 0;
  }
  v = q->n && d.n ? (double)shared / sqrt((double)q->n * (double)d.n) : 0.0;
  wordset_free(&d);
  return v > 1 ? 1 : v;
}

/* The MATCH expression: every word quoted (quotes doubled) and OR-ed. New, NULL on OOM. */
static char *match_any(const wordset *q)
{
  size_t n = 1;
  char *m, *p;
  for (size_t i = 0; i < q->n; i++)
    n += 2 * strlen(q->w[i]) + 2 + 4;
  if (!(p = m = malloc(n)))
    return NULL;
  for (size_t i = 0; i < q->n; i++) {
    if (i) {
      memcpy(p, " OR ", 4);
      p += 4;
    }
    *p++ = '"';
    for (const char *s = q->w[i]; *s; s++) {
      if (*s == '"')
        *p++ = '"';
      *p++ = *s;
    }
    *p++ = '"';
  }
  *p = 0;
  return m;
}

/* ---- candidates ----------------------------------------------------------------------------- */

static const char SQL_MEM_RECALL[] =
    "SELECT m.memory_id, m.content, m.sensitivity, m.confidence, m.created_at, bm25(memories_fts),"
    " v.dims, v.vector"
    " FROM memories_fts f JOIN memories m ON m.rowid = f.rowid"
    " LEFT JOIN memory_vectors v ON v.memory_id = m.memory_id AND v.model = ?4 AND v.dims = ?5"
    " WHERE memories_fts MATCH ?1 AND m.sensitivity IN (SELECT value FROM json_each(?2))"
    " ORDER BY bm25(memories_fts), m.created_at DESC, m.memory_id LIMIT ?3";

static const char SQL_VEC_SCAN[] =
    "SELECT m.memory_id, m.content, m.sensitivity, m.confidence, m.created_at, v.vector"
    " FROM memory_vectors v JOIN memories m ON m.memory_id = v.memory_id"
    " WHERE v.model = ?1 AND v.dims = ?2 AND m.sensitivity IN (SELECT value FROM json_each(?3))"
    " ORDER BY m.created_at DESC, m.memory_id";

/* PostgreSQL: the same candidates without FTS5 — memories whose words ('simple' text search:
 * split and lowercased) include a query word, the same MATCH text read by websearch_to_tsquery,
 * ranked by ts_rank (negated: lower is better, as bm25) instead of bm25. */
static const char SQL_MEM_RECALL_PG[] =
    "SELECT m.memory_id, m.content, m.sensitivity, m.confidence, m.created_at,"
    " -ts_rank(to_tsvector('simple', m.content), q.q)::float8, v.dims, v.vector"
    " FROM memories m CROSS JOIN websearch_to_tsquery('simple', ?1) AS q(q)"
    " LEFT JOIN memory_vectors v ON v.memory_id = m.memory_id AND v.model = ?4 AND v.dims = ?5"
    " WHERE to_tsvector('simple', m.content) @@ q.q"
    " AND m.sensitivity IN (SELECT json_array_elements_text(CAST(?2 AS json)))"
    " ORDER BY 6, m.created_at DESC, m.memory_id LIMIT ?3";

static const char SQL_VEC_SCAN_PG[] =
    "SELECT m.memory_id, m.content, m.sensitivity, m.confidence, m.created_at, v.vector"
    " FROM memory_vectors v JOIN memories m ON m.memory_id = v.memory_id"
    " WHERE v.model = ?1 AND v.dims = ?2"
    " AND m.sensitivity IN (SELECT json_array_elements_text(CAST(?3 AS json)))"
    " ORDER BY m.created_at DESC, m.memory_id";

typedef struct recall_rd {
  const ledger_recall_opts *o;
  const char *allowed; /* JSON array text */
  int limit, nearest;
  double qnorm; /* > 0 when the query vector is used */
  tokenizer tk;
  wordset q;
  json_t *out;
} recall_rd;

/* One candidate row (columns 0..4 of either statement) with its lexical measure; NULL on
 * failure. */
static json_t *row_json(recall_rd *r, db_stmt *st)
{
  const char *content = COLTXT(st, 1);
  double lex = content ? lexical(&r->tk, &r->q, content) : -1;
  if (lex < 0)
    return NULL;
  return json_pack("{s:s,s:s,s:s,s:i,s:s,s:f}", "memory_id", COLTXT(st, 0), "content", content,
                   "sensitivity", COLTXT(st, 2), "confidence", db_column_int(st, 3), "created_at",
                   COLTXT(st, 4), "lexical", lex);
}

static int put_real(json_t *o, const char *k, double v)
{
  return json_object_set_new(o, k, json_real(v));
}

static int lexical_candidates(lconn *c, recall_rd *r, ledger_err *err)
{
  char *match = match_any(&r->q);
  db_stmt *st;
  int rc;
  if (!match)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  if (!(st = ledger__stmt(c, c->pg ? SQL_MEM_RECALL_PG : SQL_MEM_RECALL, err))) {
    free(match);
    return LEDGER_ERROR;
  }
  db_bind_text(st, 1, match, -1, SQLITE_TRANSIENT);
  db_bind_text(st, 2, r->allowed, -1, SQLITE_TRANSIENT);
  db_bind_int(st, 3, r->limit);
  BIND_OPT(st, 4, r->qnorm > 0 ? r->o->model : NULL);
  db_bind_int64(st, 5, (sqlite3_int64)r->o->dims);
  free(match);
  while ((rc = db_step(st)) == SQLITE_ROW) {
    json_t *row = row_json(r, st);
    const void *blob = db_column_blob(st, 7);
    if (!row || put_real(row, "bm25", db_column_double(st, 5)) != 0 ||
        (blob && r->qnorm > 0 &&
         put_real(row, "cosine", vec_cosine(r->o->vector, r->qnorm, blob, r->o->dims)) != 0) ||
        json_array_append_new(r->out, row) != 0) {
      json_decref(row);
      db_reset(st);
      return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
    }
  }
  db_reset(st);
  return rc == SQLITE_DONE ? LEDGER_OK : ledger__sqlerr(err, c, rc, "search memories");
}

typedef struct near {
  double cosine;
  json_t *row;
} near;

static int listed(const json_t *out, const char *memory_id)
{
  size_t i;
  json_t *v;
  json_array_foreach((json_t *)out, i, v) {
    if (strcmp(json_string_value(json_object_get(v, "memory_id")), memory_id) == 0)
      return 1;
  }
  return 0;
}

/* Keeps the r->nearest best rows by cosine in `top` (best first; ties: scan order, newest
 * first). *n rows are held. 0, or -1 on out of memory. */
static int keep_nearest(recall_rd *r, db_stmt *st, near *top, int *n)
{
  const void *blob = db_column_blob(st, 5);
  double cs;
  json_t *row;
  int at;
  if (!blob || (size_t)db_column_bytes(st, 5) != r->o->dims * 4)
    return 0;
  cs = vec_cosine(r->o->vector, r->qnorm, blob, r->o->dims);
  if (*n == r->nearest && cs <= top[*n - 1].cosine)
    return 0;
  if (!(row = row_json(r, st)) || put_real(row, "cosine", cs) != 0) {
    json_decref(row);
    return -1;
  }
  if (*n == r->nearest)
    json_decref(top[--*n].row);
  for (at = *n; at > 0 && top[at - 1].cosine < cs; at--)
    top[at] = top[at - 1];
  top[at].cosine = cs;
  top[at].row = row;
  (*n)++;
  return 0;
}

static int semantic_candidates(lconn *c, recall_rd *r, ledger_err *err)
{
  near *top = calloc((size_t)r->nearest, sizeof *top);
  db_stmt *st;
  int n = 0, rc = LEDGER_OK, step;
  if (!top)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  if (!(st = ledger__stmt(c, c->pg ? SQL_VEC_SCAN_PG : SQL_VEC_SCAN, err))) {
    free(top);
    return LEDGER_ERROR;
  }
  BIND_TEXT(st, 1, r->o->model);
  db_bind_int64(st, 2, (sqlite3_int64)r->o->dims);
  db_bind_text(st, 3, r->allowed, -1, SQLITE_TRANSIENT);
  while ((step = db_step(st)) == SQLITE_ROW)
    if (keep_nearest(r, st, top, &n) != 0) {
      rc = ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
      break;
    }
  db_reset(st);
  if (rc == LEDGER_OK && step != SQLITE_DONE)
    rc = ledger__sqlerr(err, c, step, "scan memory vectors");
  for (int i = 0; i < n; i++) {
    const char *id = json_string_value(json_object_get(top[i].row, "memory_id"));
    if (rc == LEDGER_OK && !listed(r->out, id) && json_array_append(r->out, top[i].row) != 0)
      rc = ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
    json_decref(top[i].row);
  }
  free(top);
  return rc;
}

static int rd_recall(lconn *c, void *p, ledger_err *err)
{
  recall_rd *r = p;
  int rc = tokenizer_open(c, &r->tk, err);
  if (rc)
    return rc;
  r->q.max = LEDGER_RECALL_WORDS;
  if (words(&r->tk, r->o->query, FTS5_TOKENIZE_QUERY, &r->q) != 0)
    rc = ledger__errf(err, LEDGER_ERROR, 0, "cannot split the query into words");
  else if (!(r->out = json_array()))
    rc = ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  if (!rc && r->q.n)
    rc = lexical_candidates(c, r, err);
  if (!rc && r->qnorm > 0)
    rc = semantic_candidates(c, r, err);
  tokenizer_close(&r->tk);
  wordset_free(&r->q);
  if (rc) {
    json_decref(r->out);
    r->out = NULL;
  }
  return rc;
}

static int cap(int v, int def)
{
  return v > 0 ? (v > LEDGER_RECALL_MAX ? LEDGER_RECALL_MAX : v) : def;
}

int ledger_memory_recall_ex(ledger *l, const ledger_recall_opts *o, json_t **out, ledger_err *err)
{
  json_t *allowed;
  char *atext;
  recall_rd r;
  int rc;
  *out = NULL;
  if (!o || !o->query || !o->sensitivities)
    return ledger__errf(err, LEDGER_EINVAL, 0, "memory recall needs a query and sensitivities");
  memset(&r, 0, sizeof r);
  r.o = o;
  r.limit = cap(o->limit, 20);
  r.nearest = cap(o->nearest, r.limit);
  if (o->model && o->vector && o->dims > 0 && o->dims <= LEDGER_VECTOR_MAX_DIMS)
    r.qnorm = vec_norm(o->vector, o->dims);
  if (!(r.qnorm > 0) || !isfinite(r.qnorm))
    r.qnorm = 0; /* a zero or broken query vector is no direction: lexical only */
  if (!o->sensitivities[0]) {
    *out = json_array();
    return *out ? LEDGER_OK : ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  }
  allowed = json_array();
  for (int i = 0; o->sensitivities[i]; i++)
    json_array_append_new(allowed, json_string(o->sensitivities[i]));
  atext = seal_json_dumps(allowed, JSON_COMPACT);
  json_decref(allowed);
  if (!atext)
    return ledger__errf(err, LEDGER_ERROR, 0, "out of memory");
  r.allowed = atext;
  rc = ledger__read(l, rd_recall, &r, err);
  free(atext);
  *out = rc ? NULL : r.out;
  return rc;
}

int ledger_memory_recall(ledger *l, const char *query, const char *const *sensitivities, int limit,
                         json_t **out, ledger_err *err)
{
  ledger_recall_opts o = LEDGER_RECALL_OPTS_INIT;
  o.query = query;
  o.sensitivities = sensitivities;
  o.limit = limit;
  return ledger_memory_recall_ex(l, &o, out, err);
}
