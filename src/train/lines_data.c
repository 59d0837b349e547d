/* The line trainer's data: a kprca.lines HDF5 file or a labelled TSV/CSV (labelled.h) into one
 * kp_lines_data; the split (the file's, or fractions: by incident where lines carry incident ids,
 * else stratified by label; seeded by train.seed); WordPiece ids of every line truncated to
 * data.max_seq_len as Hugging Face truncates ([CLS], the first max - 2 pieces, [SEP]); class weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/class_weights.h"
#include "kprca/labelled.h"
#include "kprca/split.h"
#include "train/lines_internal.h"

static kp_status oom(const char *what) { return kp_fail(KP_ERR_NOMEM, "line trainer: out of memory for %s", what); }

/* An HDF5 file starts with this signature (at offset 0 for the files kprca writes). */
static bool is_hdf5(const char *path) {
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  unsigned char b[8];
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  bool ok = fread(b, 1, 8, f) == 8 && memcmp(b, sig, 8) == 0;
  fclose(f);
  return ok;
}

static kp_status load_labelled(kp_line_trainer *t, kp_labelled_format fmt) {
  kp_labelled_options o = {.format = fmt};
  kp_labelled *l = NULL;
  KP_TRY(kp_labelled_load(t->data_path, &o, &l));
  kp_lines_data *d = &t->data;
  d->n = l->n;
  kp_status s = kp_strings_copy(&d->text, l->n, (const char *const *)l->text);
  if (s == KP_OK) s = kp_strings_copy(&d->label_names, l->nlabels, (const char *const *)l->names);
  size_t m = (size_t)(l->n ? l->n : 1);
  d->label = malloc(sizeof(int32_t) * m);
  d->incident = malloc(sizeof(int32_t) * m);
  d->split = malloc(m);
  if (s == KP_OK && (!d->label || !d->incident || !d->split)) s = oom("the lines");
  if (s == KP_OK) {
    memcpy(d->label, l->label, sizeof(int32_t) * (size_t)l->n);
    for (int64_t i = 0; i < l->n; i++) d->incident[i] = -1, d->split[i] = KP_SPLIT_NONE;
  }
  kp_labelled_free(l);
  return s;
}

/* data.split fractions: whole incidents when the lines carry incident ids, else stratified by label. */
static kp_status split_fractions(kp_line_trainer *t, const double *fr) {
  kp_lines_data *d = &t->data;
  int32_t maxinc = -1;
  for (int64_t i = 0; i < d->n; i++)
    if (d->incident[i] > maxinc) maxinc = d->incident[i];
  if (maxinc < 0) return kp_split_stratified(d->label, d->n, fr[1], fr[2], t->st.seed, d->split);
  int32_t *g = malloc(sizeof(int32_t) * (size_t)(d->n ? d->n : 1));
  if (!g) return oom("the incident groups");
  int32_t next = maxinc + 1; /* a line of no incident is a group of its own */
  for (int64_t i = 0; i < d->n; i++) g[i] = d->incident[i] >= 0 ? d->incident[i] : next++;
  kp_status s = kp_split_group(g, d->label, d->n, fr[1], fr[2], t->st.seed, d->split);
  free(g);
  return s;
}

static kp_status make_ids(kp_line_trainer *t) {
  const kp_lines_data *d = &t->data;
  for (int s = 0; s < 3; s++) {
    t->st.nids[s] = 0;
    t->st.ids[s] = malloc(sizeof(int32_t) * (size_t)(d->n ? d->n : 1));
    if (!t->st.ids[s]) return oom("the split");
  }
  for (int64_t i = 0; i < d->n; i++) {
    int s = d->split[i];
    if (s >= 0 && s <= 2) t->st.ids[s][t->st.nids[s]++] = (int32_t)i;
  }
  if (t->st.nids[KP_SPLIT_TRAIN] == 0)
    return kp_fail(KP_ERR_INVALID, "%s: the split leaves no training lines (data.split)", t->data_path);
  return KP_OK;
}

/* Tokenizes every line, then truncates as HF does: [CLS], the first max - 2 pieces, [SEP]. */
static kp_status tokenize(kp_line_trainer *t) {
  const kp_lines_data *d = &t->data;
  KP_TRY(kp_wordpiece_encode_batch(t->wp, d->n, (const char *const *)d->text.s, 0, 0, &t->tok));
  int32_t sep, unk, cls, pad, mask;
  kp_wordpiece_special_ids(t->wp, &unk, &cls, &sep, &pad, &mask);
  int32_t maxlen = 0;
  t->truncated = 0;
  for (int64_t i = 0; i < t->tok.n; i++) {
    if (t->tok.lengths[i] > t->max_seq_len) {
      t->tok.lengths[i] = (int32_t)t->max_seq_len;
      t->tok.ids[t->tok.offsets[i] + t->max_seq_len - 1] = sep;
      t->truncated++;
    }
    if (t->tok.lengths[i] > maxlen) maxlen = t->tok.lengths[i];
  }
  t->tok.max_length = maxlen;
  return KP_OK;
}

/* train.class_weights over the training items (class_weights.h). */
static kp_status class_weights(kp_line_trainer *t) {
  int64_t n = t->st.nids[KP_SPLIT_TRAIN];
  int32_t *y = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
  if (!y) return oom("class counts");
  for (int64_t k = 0; k < n; k++) y[k] = t->data.label[t->st.ids[KP_SPLIT_TRAIN][k]];
  kp_status s = kp_class_weights_from_config(t->st.cfg, y, n, t->num_classes, t->data_path, t->st.dev, &t->class_w,
                                             &t->use_cw);
  free(y);
  return s;
}

kp_status kp_lines_load(kp_line_trainer *t) {
  const char *fmt = kp_config_string(t->st.cfg, "data.format");
  bool h5 = !strcmp(fmt, "lines") || (!strcmp(fmt, "auto") && is_hdf5(t->data_path));
  if (!strcmp(fmt, "graph"))
    return kp_fail(KP_ERR_INVALID, "data.format = graph: model.name bert trains on lines (lines, tsv, csv or auto)");
  if (h5) {
    KP_TRY(kp_lines_data_load(t->data_path, &t->data));
  } else {
    kp_labelled_format lf = !strcmp(fmt, "tsv") ? KP_LABELLED_TSV : !strcmp(fmt, "csv") ? KP_LABELLED_CSV
                                                                                         : KP_LABELLED_AUTO;
    KP_TRY(load_labelled(t, lf));
  }
  t->num_classes = t->data.label_names.n;
  if (t->num_classes < 2)
    return kp_fail(KP_ERR_INVALID, "%s: %lld class; a classifier needs at least 2", t->data_path,
                   (long long)t->num_classes);
  if (kp_config_is_list(t->st.cfg, "data.split")) {
    size_t n;
    KP_TRY(split_fractions(t, kp_config_floats(t->st.cfg, "data.split", &n)));
  } else if (!h5) {
    return kp_fail(KP_ERR_INVALID,
                   "%s: a TSV/CSV file carries no split; set data.split to fractions, e.g. data.split=[0.8,0,0.2]",
                   t->data_path);
  }
  KP_TRY(make_ids(t));
  KP_TRY(tokenize(t));
  return class_weights(t);
}
