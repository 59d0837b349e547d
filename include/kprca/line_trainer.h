/* kprca-train's engine for log-line classifiers: a pretrained Hugging Face BERT (model.path, e.g.
 * all-MiniLM-L6-v2) fine-tuned to label kernel log lines, binary (ordinary vs root cause) or by
 * root-cause category. Data: a kprca.lines HDF5 file (its split, or fractions split by incident) or a
 * labelled TSV/CSV (the CLX kernel.tsv form; fractions give a seeded stratified split). Lines are
 * tokenized once (WordPiece, data.max_seq_len); training batches are padded only to their longest line,
 * and lines of similar length share a batch (each shuffled chunk of data.bucket_size batches is sorted by
 * length, then the batches are shuffled). AdamW with linear warm-up and decay, gradient accumulation,
 * class weights, evaluation, early stopping and checkpoints work as for the GNN trainer (trainer.h), whose
 * run-level types (kp_fit_opts, kp_fit_result, kp_split_eval, kp_epoch_log) this one shares. A seed fixes
 * everything; a resumed run ends with the same weights bit for bit. Class 0 is the ordinary class: lines
 * labelled 0 but predicted otherwise are the candidate root causes (candidates.csv). */
#ifndef KPRCA_LINE_TRAINER_H
#define KPRCA_LINE_TRAINER_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kprca/config.h"
#include "kprca/h5.h"
#include "kprca/params.h"
#include "kprca/trainer.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_line_trainer kp_line_trainer;

/* What --dry-run prints and run summaries hold. */
typedef struct kp_line_trainer_info {
  char device[32];
  const char *model_path;
  int64_t num_lines, num_classes;
  int64_t split_counts[3];       /* lines in train / val / test */
  int64_t batches_per_epoch;     /* mini-batches (optimizer steps = ceil(batches / grad_accum)) */
  int64_t steps_per_epoch;       /* optimizer steps */
  int64_t num_params;
  int64_t layers, hidden;
  int64_t max_seq_len;
  int64_t truncated;             /* lines cut to max_seq_len */
  double mean_tokens;            /* mean tokens per line ([CLS]/[SEP] included, after truncation) */
  int64_t param_bytes;           /* weights + gradients + AdamW moments (+ best weights) */
} kp_line_trainer_info;

/* Token counts of one epoch's training batches: real tokens and padded cells (sum of B * T). */
typedef struct kp_line_pad_stats {
  int64_t batches, tokens, cells;
} kp_line_pad_stats;

/** Loads the model directory, tokenizer and data, applies the split, builds the classifier (a new head of the
 *  data's classes) and AdamW from cfg (borrowed; it must outlive the trainer). Bad config values, model
 *  directories or data give KP_ERR_INVALID / KP_ERR_FORMAT / KP_ERR_IO with one line naming the key or file. */
kp_status kp_line_trainer_create(const kp_config *cfg, kp_line_trainer **out);
/** Frees everything; NULL is fine. */
void kp_line_trainer_free(kp_line_trainer *t);
/** Sizes of the data and the model. */
void kp_line_trainer_describe(const kp_line_trainer *t, kp_line_trainer_info *info);
/** Trains from the current state to train.epochs, early stop or a stop request, as kp_trainer_fit does (best
 *  weights restored at the end when train.restore_best; with a run dir: metrics.jsonl, checkpoints, best.h5). */
kp_status kp_line_trainer_fit(kp_line_trainer *t, const kp_fit_opts *opts, kp_fit_result *res);
/** Scores split (KP_SPLIT_*) with the current weights in evaluation mode; ids are line indices of the dataset. */
kp_status kp_line_trainer_evaluate(kp_line_trainer *t, int split, kp_split_eval *out);
/** The end of a run: scores each split of eval.splits, prints the text report to out (may be NULL) and, when dir is
 *  non-NULL, writes report.txt, metrics.json (the GNN runs' keys, plus "f1" of class 1 per split for binary tasks,
 *  plus extra's members), predictions.csv and candidates.csv (lines labelled class 0 but predicted another class,
 *  by score 1 - p_0 descending). */
kp_status kp_line_trainer_report(kp_line_trainer *t, const char *dir, const char *extra, FILE *out);
/** Writes dir/candidates.csv from a scored split list (split, id, score, pred, text), atomically. */
kp_status kp_line_trainer_write_candidates(const kp_line_trainer *t, const char *path, const kp_split_eval *evals,
                                           int n);
/** Writes the full training state to path (atomically); final marks a finished run. */
kp_status kp_line_trainer_save_checkpoint(kp_line_trainer *t, const char *path, bool final);
/** Restores a state written by kp_line_trainer_save_checkpoint (same model, same seed); *finished (may be NULL)
 *  tells whether that run had ended. */
kp_status kp_line_trainer_load_checkpoint(kp_line_trainer *t, const char *path, bool *finished);
/** Loads only the weights of a checkpoint. */
kp_status kp_line_trainer_load_weights(kp_line_trainer *t, const char *path);
/** The model's parameters (current weights). */
const kp_params *kp_line_trainer_params(const kp_line_trainer *t);
/** Class names. */
const kp_strings *kp_line_trainer_labels(const kp_line_trainer *t);
/** Epochs completed so far. */
int kp_line_trainer_epoch(const kp_line_trainer *t);
/** Padding of the next epoch's training batches as planned now (bucket_size 0 or > 0), without drawing from the
 *  trainer's data order; fixed_width > 0 counts cells as if every line were padded to it instead. */
kp_status kp_line_trainer_pad_stats(const kp_line_trainer *t, int64_t fixed_width, kp_line_pad_stats *out);
/** Mean wall time of the optimizer steps of the last fit (seconds; 0 before any). */
double kp_line_trainer_step_time(const kp_line_trainer *t);

#ifdef __cplusplus
}
#endif
#endif
