/* Training batches of lines with dynamic padding and length bucketing: each epoch shuffles the
 * training lines (seeded), keeps the first data.lines_per_epoch of them, sorts every chunk of
 * data.bucket_size batches by token count (ties keep the shuffled order), cuts the chunks into
 * batches and shuffles the order of the batches, so a batch holds lines of similar length and pads
 * only to its longest line, while the epoch still visits the lengths in random order. */
#include <stdlib.h>
#include <string.h>
#include "kprca/split.h"
#include "train/lines_internal.h"

void kp_lines_plan_free(lines_plan *p) {
  free(p->start);
  free(p->rows);
  memset(p, 0, sizeof *p);
}

typedef struct {
  int32_t len;
  int64_t pos, row;
} keyed;

static int by_len(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

kp_status kp_lines_plan_epoch(const kp_line_trainer *t, kp_rng *r, int64_t bucket, lines_plan *p) {
  int64_t ntr = t->st.nids[KP_SPLIT_TRAIN], n = t->lines_per_epoch, bs = t->batch_size;
  int64_t nb = (n + bs - 1) / bs;
  if (!p->rows) {
    p->rows = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    p->start = malloc(sizeof(int64_t) * (size_t)(nb + 1));
  }
  int32_t *order = malloc(sizeof(int32_t) * (size_t)(ntr ? ntr : 1));
  keyed *k = malloc(sizeof(keyed) * (size_t)(n ? n : 1));
  int32_t *bperm = malloc(sizeof(int32_t) * (size_t)(nb + 1));
  if (!p->rows || !p->start || !order || !k || !bperm) {
    free(order), free(k), free(bperm);
    return kp_fail(KP_ERR_NOMEM, "line trainer: out of memory planning an epoch of %lld lines", (long long)n);
  }
  memcpy(order, t->st.ids[KP_SPLIT_TRAIN], sizeof(int32_t) * (size_t)ntr);
  if (t->shuffle) kp_rng_shuffle_i32(r, order, ntr); /* the epoch takes its first lines_per_epoch lines */
  for (int64_t i = 0; i < n; i++) k[i] = (keyed){t->tok.lengths[order[i]], i, order[i]};
  if (bucket > 0) {
    int64_t chunk = bucket * bs;
    for (int64_t c0 = 0; c0 < n; c0 += chunk) qsort(k + c0, (size_t)(n - c0 < chunk ? n - c0 : chunk), sizeof *k, by_len);
  }
  /* batch b covers k[b*bs .. ); shuffle the batch order when sorting made neighbours alike */
  for (int64_t b = 0; b < nb; b++) bperm[b] = (int32_t)b;
  if (t->shuffle && bucket > 0) kp_rng_shuffle_i32(r, bperm, nb);
  int64_t w = 0;
  for (int64_t b = 0; b < nb; b++) {
    int64_t s0 = (int64_t)bperm[b] * bs, s1 = s0 + bs < n ? s0 + bs : n;
    p->start[b] = w;
    for (int64_t i = s0; i < s1; i++) p->rows[w++] = k[i].row;
  }
  p->start[nb] = w;
  p->nb = nb;
  free(order), free(k), free(bperm);
  return KP_OK;
}

kp_status kp_lines_fill_batch(kp_line_trainer *t, const int64_t *rows, int64_t nb, kp_bert_batch *b) {
  int32_t T = 1;
  for (int64_t i = 0; i < nb; i++)
    if (t->tok.lengths[rows[i]] > T) T = t->tok.lengths[rows[i]];
  KP_TRY(kp_wp_batch_pad(t->wp, &t->tok, nb, rows, T, t->b_ids, t->b_mask, NULL));
  for (int64_t i = 0; i < nb; i++) t->b_labels[i] = t->data.label[rows[i]];
  *b = (kp_bert_batch){.B = nb, .T = T, .input_ids = t->b_ids, .attention_mask = t->b_mask, .token_type_ids = NULL};
  return KP_OK;
}

kp_status kp_line_trainer_pad_stats(const kp_line_trainer *t, int64_t fixed_width, kp_line_pad_stats *out) {
  memset(out, 0, sizeof *out);
  kp_rng r = t->st.data_rng; /* a copy: the trainer's data order is not drawn from */
  lines_plan p = {0};
  KP_TRY(kp_lines_plan_epoch(t, &r, t->bucket_size, &p));
  for (int64_t b = 0; b < p.nb; b++) {
    int64_t T = 0, nb = p.start[b + 1] - p.start[b];
    for (int64_t i = p.start[b]; i < p.start[b + 1]; i++) {
      int32_t L = t->tok.lengths[p.rows[i]];
      out->tokens += L;
      if (L > T) T = L;
    }
    out->cells += nb * (fixed_width > 0 ? fixed_width : T);
  }
  out->batches = p.nb;
  kp_lines_plan_free(&p);
  return KP_OK;
}
