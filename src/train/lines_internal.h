/* The line trainer's state, shared by src/train/lines_*.c (not a public header). */
#ifndef KPRCA_TRAIN_LINES_INTERNAL_H
#define KPRCA_TRAIN_LINES_INTERNAL_H
#include "kprca/bert.h"
#include "kprca/line_trainer.h"
#include "kprca/lines_data.h"
#include "kprca/wordpiece.h"
#include "train/train_internal.h"

/* One epoch's training batches: rows of the dataset, batch b is rows[start[b] .. start[b+1]). */
typedef struct lines_plan {
  int64_t nb;
  int64_t *start; /* nb + 1 */
  int64_t *rows;
} lines_plan;

struct kp_line_trainer {
  kp_train_state st;        /* config, device, split (rows of each split), optimizer, progress, best weights */
  const char *data_path, *model_path;
  kp_lines_data data;       /* every line, label, incident, split (the split in effect) */
  int64_t num_classes;
  kp_wordpiece *wp;
  kp_hf_bert *hf;           /* model.path while the trainer is being built */
  kp_wp_batch tok;          /* token ids of every line, truncated to max_seq_len */
  int64_t max_seq_len, truncated;
  int64_t batch_size, bucket_size, grad_accum;
  int64_t lines_per_epoch;  /* training lines per epoch (the first of each epoch's shuffled order) */
  bool shuffle;
  /* host batch buffers [batch_size * max_seq_len] */
  int32_t *b_ids, *b_mask, *b_labels;
  kp_tensor class_w;        /* f32 [C] or empty */
  bool use_cw;
  kp_bert model;
  bool model_ready;
  int64_t batches_per_epoch;
  lines_plan plan;
  double step_time_sum;
  int64_t step_count;
};

/* lines_data.c: data, split, tokens, class weights */
kp_status kp_lines_load(kp_line_trainer *t);
/* lines_batch.c */
void kp_lines_plan_free(lines_plan *p);
/* Plans one epoch: shuffled (when t->shuffle, drawing from r), sorted by length within chunks of bucket batches. */
kp_status kp_lines_plan_epoch(const kp_line_trainer *t, kp_rng *r, int64_t bucket, lines_plan *p);
/* Lays out rows[0..nb) as a padded [nb, T] batch in t's host buffers; *T gets the width (longest line). */
kp_status kp_lines_fill_batch(kp_line_trainer *t, const int64_t *rows, int64_t nb, kp_bert_batch *b);

#endif
