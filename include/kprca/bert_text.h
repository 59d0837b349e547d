/* A BERT that reads log text, as kprca-infer's line model and the graph builder's text encoder open it: the
 * model with its WordPiece tokenizer and class names, from a Hugging Face directory (config.json,
 * model.safetensors, vocab.txt) or from a kprca-train checkpoint of a bert line classifier (architecture and
 * tokenizer from the base directory its config names in model.path; weights and class names from the
 * checkpoint). Also the two steps of scoring texts both share: the length order batches are padded in, and the
 * class probabilities of a logits row. */
#ifndef KPRCA_BERT_TEXT_H
#define KPRCA_BERT_TEXT_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/bert.h"
#include "kprca/checkpoint.h"
#include "kprca/device.h"
#include "kprca/wordpiece.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_bert_text {
  kp_bert bert;
  bool have_bert;   /* bert is built (kp_bert_text_free frees it) */
  kp_wordpiece *wp; /* the base directory's tokenizer */
  int C;            /* classes of the classification head; 0: none */
  char **labels;    /* C class names */
} kp_bert_text;

/** True when path is a directory holding a config.json (a Hugging Face model directory). */
bool kp_bert_text_is_hf_dir(const char *path);
/** Opens the Hugging Face BERT directory dir (zeroed b) on dev with the file's classification head and class names
 *  (config.json's id2label when it names each class, else LABEL_c). need_head: without classifier.weight the
 *  head gets config.json's num_labels fresh classes, and a directory naming no labels either is an error; else
 *  such a model has no head (C 0). */
kp_status kp_bert_text_open_dir(kp_bert_text *b, const char *dir, bool need_head, kp_device dev);
/** Opens the bert line classifier of the kprca-train checkpoint c (named file in messages; zeroed b) on dev: the
 *  base directory base (its stored model.path) gives architecture and tokenizer, c the weights and class names. */
kp_status kp_bert_text_open_ckpt(kp_bert_text *b, kp_ckpt *c, const char *file, const char *base, kp_device dev);
/** Frees what the open built (b itself is the caller's). */
void kp_bert_text_free(kp_bert_text *b);
/** order = 0 .. n-1 sorted by token count of tok's rows (ties: lower index first), the order of padded batches. */
void kp_bert_text_order(const kp_wp_batch *tok, int64_t n, int64_t *order);
/** p = softmax of the C logits z, summed in double precision (a text's class probabilities). */
void kp_bert_text_softmax(const float *z, int C, float *p);

#ifdef __cplusplus
}
#endif
#endif
