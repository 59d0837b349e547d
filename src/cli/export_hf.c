/* kprca-export --format hf: a BERT line classifier as a Hugging Face BertForSequenceClassification
 * directory. model.safetensors holds every weight in f32 under transformers' state_dict names (the encoder,
 * embeddings and pooler with the "bert." prefix, the head as "classifier.*") with __metadata__
 * {"format": "pt"}; config.json is the base model's config.json with the classifier's fields set as
 * transformers writes them (architectures, id2label / label2id from the run's class names, problem_type) and
 * every BertConfig field present; the tokenizer files of the base directory are copied. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/export.h"
#include "kprca/safetensors.h"

static kp_status write_weights(const export_src *src, const char *dir) {
  const kp_params *p = &src->bert.params;
  kp_st_entry *e = calloc((size_t)p->count, sizeof *e);
  char **names = calloc((size_t)p->count, sizeof *names);
  kp_status s = e && names ? KP_OK : kp_fail(KP_ERR_NOMEM, "export: out of memory");
  const float *data = (const float *)p->data.data;
  for (int i = 0; i < p->count && s == KP_OK; i++) {
    const kp_param *q = &p->items[i];
    size_t n = strlen(q->name) + 8;
    names[i] = malloc(n);
    if (!names[i]) {
      s = kp_fail(KP_ERR_NOMEM, "export: out of memory");
      break;
    }
    snprintf(names[i], n, "%s%s", strncmp(q->name, "classifier.", 11) ? "bert." : "", q->name);
    e[i] = (kp_st_entry){names[i], KP_ST_F32, q->ndim, q->shape, data + q->offset};
  }
  char path[4200];
  const char *meta[] = {"format", "pt"};
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  if (s == KP_OK) s = kp_st_write(path, e, (size_t)p->count, meta, 1);
  for (int i = 0; names && i < p->count; i++) free(names[i]);
  free(names);
  free(e);
  return s;
}

static void set_item(cJSON *o, const char *key, cJSON *v) {
  if (cJSON_HasObjectItem(o, key)) cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
  else cJSON_AddItemToObject(o, key, v);
}

static void set_num(cJSON *o, const char *key, double v) { set_item(o, key, cJSON_CreateNumber(v)); }

/* A BertConfig field the base config.json lacks gets transformers' default. */
static void default_num(cJSON *o, const char *key, double v) {
  if (!cJSON_HasObjectItem(o, key)) cJSON_AddNumberToObject(o, key, v);
}

static char *config_text(const export_src *src, const char *base_text, const char *where) {
  cJSON *j = cJSON_Parse(base_text);
  if (!j || !cJSON_IsObject(j)) {
    cJSON_Delete(j);
    kp_fail(KP_ERR_FORMAT, "%s: not a JSON object", where);
    return NULL;
  }
  const kp_bert_config *c = &src->bert.cfg;
  cJSON *arch = cJSON_CreateArray();
  cJSON_AddItemToArray(arch, cJSON_CreateString("BertForSequenceClassification"));
  set_item(j, "architectures", arch);
  set_item(j, "model_type", cJSON_CreateString("bert"));
  /* the sizes kprca ran with (equal to the base's, or BertConfig's defaults where the base has none) */
  set_num(j, "vocab_size", c->vocab_size);
  set_num(j, "hidden_size", c->hidden_size);
  set_num(j, "num_hidden_layers", c->num_hidden_layers);
  set_num(j, "num_attention_heads", c->num_attention_heads);
  set_num(j, "intermediate_size", c->intermediate_size);
  set_num(j, "max_position_embeddings", c->max_position_embeddings);
  set_num(j, "type_vocab_size", c->type_vocab_size);
  set_num(j, "pad_token_id", c->pad_token_id);
  default_num(j, "layer_norm_eps", 1e-12);
  default_num(j, "hidden_dropout_prob", 0.1);
  default_num(j, "attention_probs_dropout_prob", 0.1);
  default_num(j, "initializer_range", 0.02);
  if (!cJSON_HasObjectItem(j, "hidden_act")) cJSON_AddStringToObject(j, "hidden_act", "gelu");
  if (!cJSON_HasObjectItem(j, "position_embedding_type")) cJSON_AddStringToObject(j, "position_embedding_type", "absolute");
  if (!cJSON_HasObjectItem(j, "use_cache")) cJSON_AddBoolToObject(j, "use_cache", true);
  if (!cJSON_HasObjectItem(j, "classifier_dropout")) cJSON_AddNullToObject(j, "classifier_dropout");
  /* the weights are written in f32 whatever the base stored */
  if (cJSON_HasObjectItem(j, "dtype")) set_item(j, "dtype", cJSON_CreateString("float32"));
  if (cJSON_HasObjectItem(j, "torch_dtype") || !cJSON_HasObjectItem(j, "dtype"))
    set_item(j, "torch_dtype", cJSON_CreateString("float32"));
  /* the head: classes by name; num_labels follows from id2label (transformers does not write it) */
  cJSON_DeleteItemFromObjectCaseSensitive(j, "num_labels");
  cJSON *id2 = cJSON_CreateObject(), *l2id = cJSON_CreateObject();
  for (int64_t i = 0; i < src->labels.n; i++) {
    char k[32];
    snprintf(k, sizeof k, "%lld", (long long)i);
    cJSON_AddStringToObject(id2, k, src->labels.s[i]);
    cJSON_AddNumberToObject(l2id, src->labels.s[i], (double)i);
  }
  set_item(j, "id2label", id2);
  set_item(j, "label2id", l2id);
  set_item(j, "problem_type", cJSON_CreateString("single_label_classification"));
  char *text = cJSON_Print(j);
  cJSON_Delete(j);
  if (!text) kp_fail(KP_ERR_NOMEM, "export: out of memory");
  return text;
}

static kp_status read_text(const char *path, char **out) {
  FILE *f = fopen(path, "rb");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot open", path);
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n + 4096 + 1 > cap) {
      cap = cap ? cap * 2 : 65536;
      char *b = realloc(buf, cap);
      if (!b) {
        free(buf);
        fclose(f);
        return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
      }
      buf = b;
    }
    size_t r = fread(buf + n, 1, 4096, f);
    n += r;
    if (r < 4096) break;
  }
  bool err = ferror(f);
  fclose(f);
  if (err) {
    free(buf);
    return kp_fail(KP_ERR_IO, "%s: read error", path);
  }
  buf[n] = 0;
  *out = buf;
  return KP_OK;
}

kp_status export_hf(const export_src *src, const char *dir) {
  KP_TRY(write_weights(src, dir));
  char path[4200], *base = NULL;
  snprintf(path, sizeof path, "%s/config.json", src->base_dir);
  KP_TRY(read_text(path, &base));
  char *text = config_text(src, base, path);
  free(base);
  if (!text) return KP_ERR_FORMAT;
  snprintf(path, sizeof path, "%s/config.json", dir);
  kp_status s = export_write_text(path, text);
  free(text);
  const char *tok[] = {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"};
  for (int i = 0; i < 4 && s == KP_OK; i++) {
    char from[4200], to[4200];
    struct stat st;
    snprintf(from, sizeof from, "%s/%s", src->base_dir, tok[i]);
    snprintf(to, sizeof to, "%s/%s", dir, tok[i]);
    if (stat(from, &st) == 0) s = export_copy_file(from, to);
    else if (i == 0) s = kp_fail(KP_ERR_IO, "%s: no vocab.txt to go with the model", src->base_dir);
  }
  return s;
}
