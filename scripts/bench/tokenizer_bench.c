/* kprca WordPiece on a file of records (u32 little-endian length + UTF-8 bytes, as written by
 * tokenizer_bench.py): --ids prints each record's ids (no [CLS]/[SEP]) one line per record, for
 * comparing with Hugging Face; --bench encodes every record with [CLS]/[SEP] in one thread, best of
 * --repeat runs, and prints lines/s. Build: see tokenizer_bench.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kprca/wordpiece.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s --ids|--bench VOCAB MODE RECORDS [REPEAT]\n  MODE: uncased|cased|lower-nostrip|cased-strip\n",
            argv[0]);
    return 2;
  }
  kp_wordpiece_opts o = kp_wordpiece_default_opts();
  if (!strcmp(argv[3], "cased")) o.lowercase = false;
  else if (!strcmp(argv[3], "lower-nostrip")) o.strip_accents = KP_STRIP_OFF;
  else if (!strcmp(argv[3], "cased-strip")) o.lowercase = false, o.strip_accents = KP_STRIP_ON;
  else if (strcmp(argv[3], "uncased")) {
    fprintf(stderr, "tokenizer_bench: unknown mode %s\n", argv[3]);
    return 2;
  }
  kp_wordpiece *wp;
  if (kp_wordpiece_load(argv[2], &o, &wp) != KP_OK) {
    fprintf(stderr, "tokenizer_bench: %s\n", kp_last_error());
    return 2;
  }
  FILE *f = fopen(argv[4], "rb");
  if (!f) {
    perror(argv[4]);
    return 2;
  }
  size_t cap = 1024, n = 0;
  char **rec = malloc(cap * sizeof *rec);
  size_t *len = malloc(cap * sizeof *len);
  unsigned char hdr[4];
  while (fread(hdr, 1, 4, f) == 4) {
    size_t L = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (size_t)hdr[3] << 24;
    if (n == cap) cap *= 2, rec = realloc(rec, cap * sizeof *rec), len = realloc(len, cap * sizeof *len);
    rec[n] = malloc(L + 1);
    if (fread(rec[n], 1, L, f) != L) return 2;
    rec[n][L] = 0;
    len[n++] = L;
  }
  fclose(f);
  kp_wp_buf b = {0};
  if (!strcmp(argv[1], "--ids")) {
    for (size_t i = 0; i < n; i++) {
      b.n = 0;
      if (kp_wordpiece_tokenize(wp, rec[i], len[i], &b) != KP_OK) {
        fprintf(stderr, "tokenizer_bench: %s\n", kp_last_error());
        return 1;
      }
      for (int64_t j = 0; j < b.n; j++) printf(j ? " %d" : "%d", b.ids[j]);
      putchar('\n');
    }
  } else {
    int repeat = argc > 5 ? atoi(argv[5]) : 5;
    double best = 1e30;
    long long tokens = 0;
    for (int r = 0; r < repeat; r++) {
      double t0 = now();
      tokens = 0;
      for (size_t i = 0; i < n; i++) {
        if (kp_wordpiece_encode(wp, rec[i], len[i], 0, &b) != KP_OK) return 1;
        tokens += b.n;
      }
      double t = now() - t0;
      if (t < best) best = t;
    }
    printf("kprca lines=%zu tokens=%lld best_s=%.4f lines_per_s=%.0f\n", n, tokens, best, n / best);
  }
  kp_wp_buf_free(&b);
  kp_wordpiece_free(wp);
  return 0;
}
