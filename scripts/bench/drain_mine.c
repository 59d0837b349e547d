/* Drain benchmark, kprca side: reads a log into memory, picks each line's Content with the log
 * format, then times masking (the default kernel masks) + Drain on all of them, as Drain3's
 * add_log_message is timed on the same contents. Best of --reps runs, one thread; wall and CPU time.
 * Built by scripts/bench/drain_bench.sh against the kprca library. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kprca/drain.h"
#include "kprca/linereader.h"
#include "kprca/logformat.h"
#include "kprca/mask.h"

static double now(clockid_t clk) {
  struct timespec t;
  clock_gettime(clk, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "drain_mine: %s: %s\n", what, kp_last_error());
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: drain_mine LOG FORMAT [--reps N] [--no-default-masks] [--sim X] [--depth N]\n");
    return 2;
  }
  int reps = 3;
  bool defaults = true;
  kp_drain_params p = kp_drain_default_params();
  for (int i = 3; i < argc; i++) {
    if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--no-default-masks")) defaults = false;
    else if (!strcmp(argv[i], "--sim") && i + 1 < argc) p.sim = atof(argv[++i]);
    else if (!strcmp(argv[i], "--depth") && i + 1 < argc) p.depth = atoi(argv[++i]);
  }
  kp_logformat *fmt;
  kp_line_reader *r;
  if (kp_logformat_compile(argv[2], &fmt) != KP_OK) die("format");
  if (kp_line_reader_open(argv[1], &r) != KP_OK) die("input");
  int ci = kp_logformat_find(fmt, "Content");
  kp_span sp[64];
  size_t cap = 1 << 20, used = 0, n = 0, ncap = 1 << 16;
  char *text = malloc(cap);
  size_t *off = malloc(ncap * sizeof *off), *len = malloc(ncap * sizeof *len);
  for (;;) {
    const char *line;
    size_t l;
    bool eof, ok;
    if (kp_line_reader_next(r, &line, &l, &eof) != KP_OK) die("read");
    if (eof) break;
    if (kp_logformat_match(fmt, line, l, sp, &ok) != KP_OK) die("match");
    if (!ok) continue;
    size_t k = sp[ci].len;
    while (used + k + 1 > cap) text = realloc(text, cap *= 2);
    if (n == ncap) off = realloc(off, (ncap *= 2) * sizeof *off), len = realloc(len, ncap * sizeof *len);
    memcpy(text + used, line + sp[ci].off, k);
    text[used + k] = 0;
    off[n] = used, len[n] = k, used += k + 1, n++;
  }
  double best = 1e30, best_cpu = 1e30; /* wall and CPU time (a shared machine's other jobs show in wall time) */
  size_t clusters = 0;
  for (int rep = 0; rep < reps; rep++) {
    kp_masker *m;
    kp_drain *d;
    if (kp_masker_new(&m) != KP_OK || (defaults && kp_masker_add_defaults(m) != KP_OK) || kp_drain_new(&p, &d) != KP_OK)
      die("setup");
    double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    for (size_t i = 0; i < n; i++) {
      const char *o;
      size_t ol;
      int32_t c;
      bool created;
      if (kp_masker_apply(m, text + off[i], len[i], &o, &ol) != KP_OK || kp_drain_add(d, o, ol, &c, &created) != KP_OK)
        die("mine");
    }
    double t = now(CLOCK_MONOTONIC) - t0, c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (t < best) best = t;
    if (c < best_cpu) best_cpu = c;
    clusters = kp_drain_count(d);
    kp_drain_free(d);
    kp_masker_free(m);
  }
  printf("lines %zu clusters %zu seconds %.3f lines_per_s %.0f cpu_seconds %.3f cpu_lines_per_s %.0f\n", n, clusters, best,
         (double)n / best, best_cpu, (double)n / best_cpu);
  return 0;
}
