/* kprca's side of scripts/bench/bert_bench.sh: MiniLM fine-tuning and inference throughput on N lines of a
 * kprca.lines HDF5 file, batched as kprca-train batches them (seeded shuffle, length-sorted chunks of 32
 * batches, batch order shuffled, each batch padded to its longest line).
 *   bert_bench plan  MODEL LINES_H5 N BATCH SEED OUT   writes the batches (one row per line:
 *                                                      "batch label id id ...") for the transformers side
 *   bert_bench train MODEL LINES_H5 N BATCH SEED REPS  one warm-up step, then REPS passes over the batches
 *                                                      (forward, loss, backward, AdamW step), best pass
 *   bert_bench infer MODEL LINES_H5 N BATCH SEED REPS  inference forwards (no dropout), best pass
 * Prints one line: "kprca MODE ... samples_per_s=... tokens_per_s=...". Threads: OMP_NUM_THREADS. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kprca/bert.h"
#include "kprca/kprca.h"
#include "kprca/lines_data.h"
#include "kprca/optimizer.h"
#include "kprca/rng.h"
#include "kprca/wordpiece.h"

#define BUCKET 32 /* batches per length-sorted chunk (data.bucket_size's default) */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int die(const char *what) {
  fprintf(stderr, "bert_bench: %s: %s\n", what, kp_last_error());
  return 1;
}

typedef struct {
  int64_t r, len;
} keyed;

static int by_len(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return x->r < y->r ? -1 : x->r > y->r;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: bert_bench plan|train|infer MODEL_DIR LINES_H5 N BATCH SEED OUT|REPS\n");
    return 2;
  }
  const char *mode = argv[1], *model = argv[2], *h5 = argv[3];
  int64_t n = atoll(argv[4]), bs = atoll(argv[5]);
  uint64_t seed = strtoull(argv[6], NULL, 10);
  kp_lines_data d;
  if (kp_lines_data_load(h5, &d) != KP_OK) return die(h5);
  if (n < 1 || n > d.n || bs < 1) {
    fprintf(stderr, "bert_bench: N must be in [1, %lld] and BATCH >= 1\n", (long long)d.n);
    return 2;
  }
  /* the first N lines of a seeded shuffle of the whole file */
  int32_t *order = malloc(sizeof(int32_t) * (size_t)d.n);
  for (int64_t i = 0; i < d.n; i++) order[i] = (int32_t)i;
  kp_rng rng = kp_rng_make(seed);
  kp_rng_shuffle_i32(&rng, order, d.n);
  const char **text = malloc(sizeof(char *) * (size_t)n);
  for (int64_t i = 0; i < n; i++) text[i] = d.text.s[order[i]];
  kp_wordpiece *wp;
  kp_wp_batch tok = {0};
  if (kp_wordpiece_load_dir(model, &wp) != KP_OK) return die(model);
  if (kp_wordpiece_encode_batch(wp, n, text, 128, 0, &tok) != KP_OK) return die("tokenize");
  /* length buckets: chunks of BUCKET batches sorted by length, then the batch order shuffled */
  keyed *k = malloc(sizeof(keyed) * (size_t)n);
  for (int64_t i = 0; i < n; i++) k[i] = (keyed){i, tok.lengths[i]};
  for (int64_t c0 = 0; c0 < n; c0 += BUCKET * bs)
    qsort(k + c0, (size_t)(n - c0 < BUCKET * bs ? n - c0 : BUCKET * bs), sizeof *k, by_len);
  int64_t nb = (n + bs - 1) / bs, tokens = 0, cells = 0;
  int32_t *bperm = malloc(sizeof(int32_t) * (size_t)nb);
  for (int64_t b = 0; b < nb; b++) bperm[b] = (int32_t)b;
  kp_rng_shuffle_i32(&rng, bperm, nb);
  /* batches as padded host blocks */
  int64_t *rows = malloc(sizeof(int64_t) * (size_t)n);
  kp_bert_batch *batch = calloc((size_t)nb, sizeof *batch);
  int32_t **labels = calloc((size_t)nb, sizeof *labels);
  for (int64_t b = 0; b < nb; b++) {
    int64_t s0 = (int64_t)bperm[b] * bs, s1 = s0 + bs < n ? s0 + bs : n, B = s1 - s0;
    int32_t T = 1;
    for (int64_t i = s0; i < s1; i++) {
      rows[i - s0] = k[i].r;
      if (tok.lengths[k[i].r] > T) T = tok.lengths[k[i].r];
      tokens += tok.lengths[k[i].r];
    }
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(B * T)), *mask = malloc(sizeof(int32_t) * (size_t)(B * T));
    labels[b] = malloc(sizeof(int32_t) * (size_t)B);
    if (kp_wp_batch_pad(wp, &tok, B, rows, T, ids, mask, NULL) != KP_OK) return die("pad");
    for (int64_t i = 0; i < B; i++) labels[b][i] = d.label[order[rows[i]]];
    batch[b] = (kp_bert_batch){.B = B, .T = T, .input_ids = ids, .attention_mask = mask};
    cells += B * T;
  }
  if (strcmp(mode, "plan") == 0) {
    FILE *f = fopen(argv[7], "w");
    if (!f) {
      fprintf(stderr, "bert_bench: %s: cannot write\n", argv[7]);
      return 1;
    }
    for (int64_t b = 0; b < nb; b++)
      for (int64_t i = 0; i < batch[b].B; i++) {
        fprintf(f, "%lld %d", (long long)b, labels[b][i]);
        for (int64_t t = 0; t < batch[b].T && batch[b].attention_mask[i * batch[b].T + t]; t++)
          fprintf(f, " %d", batch[b].input_ids[i * batch[b].T + t]);
        fputc('\n', f);
      }
    fclose(f);
    printf("plan lines=%lld batches=%lld tokens=%lld cells=%lld mean_T=%.1f\n", (long long)n, (long long)nb,
           (long long)tokens, (long long)cells, (double)cells / (double)n);
    return 0;
  }
  bool train = strcmp(mode, "train") == 0;
  if (!train && strcmp(mode, "infer") != 0) {
    fprintf(stderr, "bert_bench: unknown mode '%s'\n", mode);
    return 2;
  }
  int reps = atoi(argv[7]);
  int num_labels = (int)d.label_names.n;
  kp_hf_bert *hf;
  kp_bert m;
  if (kp_hf_bert_open(model, &hf) != KP_OK) return die(model);
  if (kp_bert_from_hf(&m, hf, num_labels, kp_cpu(), seed) != KP_OK) return die("model");
  kp_hf_bert_close(hf);
  m.hidden_dropout = m.attn_dropout = m.classifier_dropout = 0.1f;
  m.drop_seed = seed;
  kp_optimizer opt;
  kp_optimizer_opts oo = {.kind = KP_OPT_ADAMW, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.01f};
  if (train && kp_optimizer_init(&opt, &m.params, &oo) != KP_OK) return die("optimizer");
  float loss = 0.0f;
  double best = 1e30;
  for (int rep = -1; rep < reps; rep++) { /* rep -1: one warm-up batch */
    double t0 = now();
    for (int64_t b = 0; b < (rep < 0 ? 1 : nb); b++) {
      if (train) {
        kp_params_zero_grad(&m.params);
        if (kp_bert_forward(&m, &batch[b], true) != KP_OK || kp_bert_loss(&m, labels[b], NULL, &loss) != KP_OK ||
            kp_bert_backward(&m, NULL) != KP_OK || kp_optimizer_step(&opt, &m.params, 3e-5f, NULL) != KP_OK)
          return die("train step");
      } else if (kp_bert_forward(&m, &batch[b], false) != KP_OK) {
        return die("inference");
      }
    }
    double dt = now() - t0;
    if (rep >= 0 && dt < best) best = dt;
    if (rep >= 0) fprintf(stderr, "kprca %s pass %d: %.2f s (loss %.4f)\n", mode, rep, dt, loss);
  }
  printf("kprca %s lines=%lld batches=%lld tokens=%lld cells=%lld seconds=%.3f samples_per_s=%.2f tokens_per_s=%.1f\n",
         mode, (long long)n, (long long)nb, (long long)tokens, (long long)cells, best, (double)n / best,
         (double)tokens / best);
  return 0;
}
