/* kprca-eval --checkpoint: rebuilds the model a checkpoint was trained as (from the config saved in
 * it), loads its weights, scores a dataset's split(s) and prints the report kprca-train prints;
 * --out also writes report.txt, metrics.json and predictions.csv. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/eval.h"
#include "kprca/checkpoint.h"
#include "kprca/config.h"
#include "kprca/rundir.h"
#include "kprca/split.h"
#include "kprca/train_report.h"
#include "kprca/trainer.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-eval --checkpoint RUN_OR_FILE [--data FILE.h5] [--split train|val|test] [--out DIR]\n"
          "Evaluates a model saved by kprca-train: RUN_OR_FILE is a run directory, its checkpoints/ folder (the\n"
          "latest checkpoint is used) or a checkpoint file. The model and the split rule come from the config\n"
          "saved in the checkpoint; --data replaces its data.path; without --split, eval.splits are scored.\n"
          "Prints the report (accuracy, macro/weighted P/R/F1, classification report, confusion matrix);\n"
          "--out DIR also writes DIR/report.txt, metrics.json and predictions.csv.\n");
}

static int fail(int code, const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "kprca-eval: ");
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  return code;
}

static int code_of(kp_status s) {
  return s == KP_ERR_INVALID || s == KP_ERR_IO || s == KP_ERR_FORMAT || s == KP_ERR_UNSUPPORTED || s == KP_ERR_NO_DEVICE
             ? 2
             : 1;
}

/* The config saved in checkpoint file, with data.path replaced when data is given. */
static kp_status config_of(const char *file, const char *data, kp_config **out, kp_strings *labels) {
  kp_config *cfg = NULL;
  *out = NULL;
  KP_TRY(kp_ckpt_read_config(file, &cfg, labels));
  kp_status s = KP_OK;
  if (data) s = kp_config_set(cfg, "data.path", data, "--data");
  if (s == KP_OK) s = kp_config_set(cfg, "train.progress", "none", "kprca-eval");
  if (s == KP_OK) s = kp_config_finish(cfg);
  if (s != KP_OK) {
    kp_config_free(cfg);
    return s;
  }
  *out = cfg;
  return KP_OK;
}

int eval_checkpoint_main(int argc, char **argv) {
  const char *ckpt = NULL, *data = NULL, *split_name = NULL, *out = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    }
    if (!v) return fail(2, "%s needs a value (see --help)%s", a, "");
    if (!strcmp(a, "--checkpoint"))
      ckpt = v;
    else if (!strcmp(a, "--data"))
      data = v;
    else if (!strcmp(a, "--split"))
      split_name = v;
    else if (!strcmp(a, "--out"))
      out = v;
    else
      return fail(2, "unknown argument '%s'%s (see --help)", a, "");
    i++;
  }
  if (!ckpt) return fail(2, "--checkpoint is required%s%s (see --help)", "", "");
  int split = -1;
  if (split_name) {
    if (!strcmp(split_name, "train"))
      split = KP_SPLIT_TRAIN;
    else if (!strcmp(split_name, "val"))
      split = KP_SPLIT_VAL;
    else if (!strcmp(split_name, "test"))
      split = KP_SPLIT_TEST;
    else
      return fail(2, "--split '%s': expected train, val or test%s", split_name, "");
  }
  char file[4096];
  kp_status s = kp_ckpt_resolve(ckpt, file, sizeof file);
  if (s != KP_OK) return fail(code_of(s), "%s%s", kp_last_error(), "");
  kp_config *cfg = NULL;
  kp_strings labels = {0};
  kp_trainer *t = NULL;
  if ((s = config_of(file, data, &cfg, &labels)) == KP_OK && (s = kp_trainer_create(cfg, &t)) == KP_OK)
    s = kp_trainer_load_weights(t, file);
  int rc = 0;
  if (s != KP_OK) {
    rc = fail(code_of(s), "%s%s", kp_last_error(), "");
  } else {
    const kp_strings *have = &kp_trainer_data(t)->label_names;
    bool same = have->n == labels.n;
    for (int64_t i = 0; same && i < labels.n; i++) same = !strcmp(have->s[i], labels.s[i]);
    if (!same) {
      rc = fail(2, "%s: its classes differ from those of the checkpoint %s", kp_config_string(cfg, "data.path"), file);
    } else if (out && kp_mkdirs(out) != KP_OK) {
      rc = fail(1, "%s%s", kp_last_error(), "");
    } else {
      fprintf(stderr, "kprca-eval: %s on %s\n", file, kp_config_string(cfg, "data.path"));
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "checkpoint", file);
      cJSON_AddStringToObject(o, "data", kp_config_string(cfg, "data.path"));
      char *extra = cJSON_PrintUnformatted(o);
      cJSON_Delete(o);
      s = kp_trainer_report(t, split, out, extra, stdout);
      free(extra);
      if (s != KP_OK) rc = fail(1, "%s%s", kp_last_error(), "");
    }
  }
  kp_trainer_free(t);
  kp_config_free(cfg);
  kp_strings_free(&labels);
  return rc;
}
