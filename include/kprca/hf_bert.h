/* Hugging Face BERT checkpoint directories (config.json + model.safetensors), e.g. all-MiniLM-L6-v2 or
 * bert-base-uncased. Parameters are named as HF's BertModel state_dict without the "bert." prefix
 * ("embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight", "pooler.dense.bias"),
 * plus "classifier.weight"/"classifier.bias" of BertForSequenceClassification. kp_bert_declare puts exactly
 * these names into a kp_params table, so a model declared with it loads a checkpoint by name. */
#ifndef KPRCA_HF_BERT_H
#define KPRCA_HF_BERT_H
#include "kprca/params.h"
#include "kprca/safetensors.h"
#ifdef __cplusplus
extern "C" {
#endif

/* The fields of a BERT config.json kprca uses; missing keys take transformers' BertConfig defaults. */
typedef struct kp_bert_config {
  int vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size;
  int max_position_embeddings, type_vocab_size, pad_token_id;
  float layer_norm_eps, hidden_dropout_prob, attention_probs_dropout_prob, initializer_range;
  int num_labels;  /* classes of the classification head: "num_labels" or the size of "id2label"; 0 if neither */
  char **id2label; /* num_labels names by id when the file has id2label, else NULL */
} kp_bert_config;

/* Optional parts of a BERT checkpoint (bit flags). The encoder and embeddings are always there. */
enum { KP_BERT_POOLER = 1u, KP_BERT_CLASSIFIER = 2u };

/** transformers' BertConfig defaults (bert-base: 12 layers, hidden 768, ...; num_labels 0, no id2label). */
void kp_bert_config_defaults(kp_bert_config *c);
/** Reads and validates a config.json (positive sizes, hidden_size divisible by heads, hidden_act "gelu",
 *  absolute positions, model_type "bert"); errors name the file, the key and the problem. */
kp_status kp_bert_config_load(const char *path, kp_bert_config *c);
/** Checks a config's values (as kp_bert_config_load does after reading); what names where it came from. */
kp_status kp_bert_config_check(const kp_bert_config *c, const char *what);
/** Frees id2label (the rest is plain values). */
void kp_bert_config_free(kp_bert_config *c);

/** Declares every parameter of a BERT with config c (+ pooler, + classifier of c->num_labels classes, by parts)
 *  in p, in HF's state_dict order: linear weights [out, in], embeddings [rows, hidden]. Weights get
 *  U(-r*sqrt(3), r*sqrt(3)) (the std r = initializer_range of HF's normal init), biases zeros, LayerNorm
 *  weights ones. */
kp_status kp_bert_declare(kp_params *p, const kp_bert_config *c, unsigned parts);

typedef struct kp_hf_bert kp_hf_bert;

/** Opens a checkpoint directory: reads config.json, maps model.safetensors, and checks every tensor name and
 *  shape against the config (names with or without "bert.", old LayerNorm gamma/beta names, stored as
 *  F32/F16/BF16/F64; position_ids and pretraining heads "cls.*" are ignored). A mismatch fails with one message
 *  naming the first missing, unexpected and mis-shaped tensors and their counts. */
kp_status kp_hf_bert_open(const char *dir, kp_hf_bert **out);
/** Closes the checkpoint (NULL is fine). */
void kp_hf_bert_close(kp_hf_bert *m);
/** The checkpoint's config (num_labels taken from the classifier when config.json gives none). */
const kp_bert_config *kp_hf_bert_config(const kp_hf_bert *m);
/** Which optional parts the file holds (KP_BERT_POOLER | KP_BERT_CLASSIFIER). */
unsigned kp_hf_bert_parts(const kp_hf_bert *m);
/** Number of tensors the file holds that the loader ignores (position_ids, cls.* pretraining heads). */
int kp_hf_bert_ignored(const kp_hf_bert *m);
/** The stored tensor of a canonical name ("encoder.layer.0.output.dense.bias"), or NULL. */
const kp_st_tensor *kp_hf_bert_tensor(const kp_hf_bert *m, const char *name);
/** Reads a canonical name's values as host f32 into dst of n floats. */
kp_status kp_hf_bert_read(const kp_hf_bert *m, const char *name, float *dst, int64_t n);
/** Fills every entry of p (allocated) from the checkpoint by name. Entries of the parts in skip
 *  (e.g. KP_BERT_CLASSIFIER for a new task's head) and of parts the file lacks keep their values; any other
 *  entry the file lacks, or whose shape differs, is an error. *loaded (may be NULL) gets the count filled. */
kp_status kp_hf_bert_load_params(const kp_hf_bert *m, kp_params *p, unsigned skip, int *loaded);

#ifdef __cplusplus
}
#endif
#endif
