/* SPDX-License-Identifier: Apache-2.0
 * bench/bench_verify.c — in-process cost of verifying a signed ExecutionReceipt chain (default
 * tests/vectors/nested-chain-depth2.json: three signatures, two levels of delegation_receipts):
 * (a) seal_verify_execution_receipt on the parsed object — canonical JSON of every node, three
 * Ed25519 verifications, the checks of crypto/artifacts.h — and (b) seal_verify_text on the raw
 * file bytes, which adds the JSON parse and kind detection (what `workledger verify` does after
 * reading the file). Each is timed per call; the first must come out valid at the expected depth.
 * Bounded by --iterations and --max-seconds per case. Output: human lines on stderr, one
 * `RESULT k=v ...` line per case on stdout. Usage: bench_verify [FILE] [--iterations N]
 * [--max-seconds S] [--depth D] */
#include "bench_util.h"
#include "crypto/artifacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long n;
  if (!f)
    return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < (16L << 20) &&
      fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
      fread(buf, 1, (size_t)n, f) == (size_t)n) {
    buf[n] = '\0';
    *len = (size_t)n;
  } else {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  return buf;
}

static void report(const char *label, int64_t *lat, long n, long bad)
{
  double mean = 0;
  for (long k = 0; k < n; k++)
    mean += (double)lat[k];
  mean /= (double)n;
  qsort(lat, (size_t)n, sizeof *lat, bu_cmp64);
  fprintf(stderr, "%-28s %7ld runs  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f us  invalid %ld\n",
          label, n, mean / 1e3, bu_pct(lat, (size_t)n, .5) / 1e3, bu_pct(lat, (size_t)n, .9) / 1e3,
          bu_pct(lat, (size_t)n, .99) / 1e3, bad);
  bu_result(
      "label=%s transport=inproc runs=%ld mean_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f errors=%ld",
      label, n, mean / 1e3, bu_pct(lat, (size_t)n, .5) / 1e3, bu_pct(lat, (size_t)n, .9) / 1e3,
      bu_pct(lat, (size_t)n, .99) / 1e3, bad);
}

int main(int argc, char **argv)
{
  const char *path = "tests/vectors/nested-chain-depth2.json";
  long iters = 20000, depth = 2;
  double max_s = 5;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
      iters = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc)
      max_s = strtod(argv[++i], NULL);
    else if (strcmp(argv[i], "--depth") == 0 && i + 1 < argc)
      depth = strtol(argv[++i], NULL, 10);
    else if (argv[i][0] != '-')
      path = argv[i];
    else {
      fputs("usage: bench_verify [FILE] [--iterations N] [--max-seconds S] [--depth D]\n", stderr);
      return 2;
    }
  }
  if (iters < 1 || iters > 10000000 || max_s <= 0)
    return 2;
  size_t len = 0;
  char *text = slurp(path, &len);
  json_error_t je;
  json_t *r = text ? json_loadb(text, len, 0, &je) : NULL;
  if (!r || seal_init() != SEAL_OK) {
    fprintf(stderr, "bench_verify: cannot read %s\n", path);
    return 1;
  }
  int64_t *lat = calloc((size_t)iters, sizeof *lat);
  if (!lat)
    return 1;
  {
    seal_verdict v;
    int rc = seal_verify_execution_receipt(r, NULL, &v);
    int ok = rc == SEAL_OK && v.valid && v.depth == depth;
    if (!ok)
      fprintf(stderr, "bench_verify: %s does not verify at depth %ld (rc %d, valid %d, depth %d)\n",
              path, depth, rc, v.valid, v.depth);
    seal_verdict_clear(&v);
    if (!ok)
      return 1;
  }
  for (int which = 0; which < 2; which++) {
    long n = 0, bad = 0;
    int64_t stop = bu_now_ns() + (int64_t)(max_s * 1e9);
    while (n < iters && bu_now_ns() < stop) {
      seal_verdict v;
      int64_t t0 = bu_now_ns();
      int rc = which == 0 ? seal_verify_execution_receipt(r, NULL, &v)
                          : seal_verify_text(text, len, NULL, &v);
      lat[n++] = bu_now_ns() - t0;
      bad += rc != SEAL_OK || !v.valid || v.depth != depth;
      seal_verdict_clear(&v);
    }
    report(which == 0 ? "verify_depth2_object" : "verify_depth2_text", lat, n, bad);
  }
  free(lat);
  json_decref(r);
  free(text);
  return 0;
}
