/* SPDX-License-Identifier: Apache-2.0
 * bench/bench_sign.c — the unit every server figure is judged in: the CPU cost of ONE Ed25519
 * signature (seal_sign, libsodium's crypto_sign_detached with the node key held in sodium_malloc
 * memory) over a message the size of a canonical ToolInvocationReceipt (about 420 bytes). Each
 * signature is different (a counter in the message), the loop runs for --iterations or
 * --max-seconds, and the figure is process CPU time (CLOCK_PROCESS_CPUTIME_ID) per signature, the
 * same clock the load generators use for the server's CPU per call, so run.sh can state server
 * CPU per call as a multiple of it measured in the same run. Output: one `RESULT k=v ...` line on
 * stdout. Usage: bench_sign [--iterations N] [--max-seconds S] */
#include "bench_util.h"
#include "crypto/seal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t cpu_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
  long iters = 20000, max_s = 5, n = 0;
  char msg[420];
  uint8_t sig[SEAL_SIG_BYTES];
  seal_key *key = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
      iters = atol(argv[++i]);
    else if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc)
      max_s = atol(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_sign [--iterations N] [--max-seconds S]\n");
      return 2;
    }
  }
  if (iters < 1 || max_s < 1 || seal_init() != 0 || seal_key_generate(&key) != 0) {
    fprintf(stderr, "bench_sign: bad arguments or no key\n");
    return 2;
  }
  memset(msg, 'r', sizeof msg);
  int64_t wall0 = bu_now_ns(), c0 = cpu_ns();
  for (; n < iters; n++) {
    snprintf(msg, 48, "{\"invocation_id\":\"%020ld\"", n);
    if (seal_sign(sig, key, msg, sizeof msg) != 0) {
      fprintf(stderr, "bench_sign: seal_sign failed\n");
      return 1;
    }
    if ((n & 1023) == 0 && bu_now_ns() - wall0 > (int64_t)max_s * 1000000000)
      break;
  }
  double us = (double)(cpu_ns() - c0) / 1000.0 / (double)(n ? n : 1);
  fprintf(stderr, "bench_sign: %ld signatures, %.2f µs CPU each\n", n, us);
  bu_result("label=ed25519_sign transport=sign n=%ld cpu_us=%.2f", n, us);
  seal_key_free(key);
  return 0;
}
