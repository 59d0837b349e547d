/* Sentence embeddings of log texts for graph node features (the LogSage-style pipeline): a BERT encoder
 * from a Hugging Face directory (e.g. models/all-MiniLM-L6-v2) or from a kprca-train run / checkpoint of a
 * fine-tuned BERT line classifier (its config's model.path names the base directory: architecture and
 * tokenizer; the weights come from the checkpoint). An embedding is the mean of the last hidden state over
 * the text's tokens, L2-normalised (sentence-transformers' Pooling(mean) + Normalize). Every distinct text is
 * run through the encoder once: results are cached for the encoder's lifetime. New texts are tokenized,
 * sorted by token count and run in batches padded to their longest member. When the model has a
 * classification head, the same forward also gives each text's class probabilities. */
#ifndef KPRCA_TEXT_ENCODER_H
#define KPRCA_TEXT_ENCODER_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_text_encoder kp_text_encoder;

typedef struct kp_text_encoder_stats {
  int64_t requested; /* texts asked for (kp_text_encoder_embed / _classify), repeats included */
  int64_t encoded;   /* distinct texts run through the encoder */
  int64_t batches;   /* encoder forwards */
  int64_t tokens;    /* real tokens in those forwards ([CLS] and [SEP] included) */
  int64_t padded;    /* token slots in those forwards (tokens + padding) */
} kp_text_encoder_stats;

/** Opens path: a HF BERT directory (config.json + model.safetensors + vocab.txt) or a kprca-train run
 *  directory / checkpoints folder / checkpoint file of a model.name bert run. max_len <= 0: the run's
 *  data.max_seq_len, else 256; capped at max_position_embeddings. batch <= 0: 64. Errors name the path. */
kp_status kp_text_encoder_open(const char *path, int32_t max_len, int64_t batch, kp_text_encoder **out);
/** Frees the encoder and its cache; NULL is fine. */
void kp_text_encoder_free(kp_text_encoder *e);
/** Width of an embedding (the model's hidden size). */
int kp_text_encoder_dim(const kp_text_encoder *e);
/** Classes of the model's classification head; 0 when it has none (a plain sentence encoder). */
int kp_text_encoder_classes(const kp_text_encoder *e);
/** Name of class c (the checkpoint's label names, config.json's id2label, or LABEL_c). */
const char *kp_text_encoder_label(const kp_text_encoder *e, int c);
/** One line describing the model: layers, hidden size, classes, max tokens, source. */
const char *kp_text_encoder_describe(const kp_text_encoder *e);
/** Embeds n NUL-terminated texts into out (n rows of kp_text_encoder_dim floats, unit L2 norm). */
kp_status kp_text_encoder_embed(kp_text_encoder *e, int64_t n, const char *const *texts, float *out);
/** Class probabilities (softmax of the head's logits) of n texts into probs (n rows of
 *  kp_text_encoder_classes floats); fails when the model has no classification head. */
kp_status kp_text_encoder_classify(kp_text_encoder *e, int64_t n, const char *const *texts, float *probs);
/** Counters since open. */
kp_text_encoder_stats kp_text_encoder_get_stats(const kp_text_encoder *e);

#ifdef __cplusplus
}
#endif
#endif
