/* kprca-export: writes a trained model for other tools. BERT line classifiers become a Hugging Face
 * BertForSequenceClassification directory (transformers' from_pretrained loads it); GCN / SAGE / GAT models
 * become a safetensors state_dict with torch_geometric's names plus model.json describing the architecture.
 * The output directory appears whole or not at all. docs/export.md has the details and the round-trip check. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/export.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-export RUN_OR_CHECKPOINT [--format hf|pyg] [--out DIR] [--which best|latest] [--force]\n"
          "                    [--reference FILE [--lines FILE] [--data FILE.h5]]\n"
          "Exports a model trained by kprca-train. RUN_OR_CHECKPOINT is a run directory, its checkpoints/\n"
          "folder, a checkpoint file, or a Hugging Face BERT directory with a classification head.\n"
          "  --format hf      BERT line models: model.safetensors (bert.* and classifier.* names), config.json\n"
          "                   (BertForSequenceClassification, id2label/label2id), vocab.txt and tokenizer files\n"
          "  --format pyg     GNNs: model.safetensors (torch_geometric state_dict names) and model.json\n"
          "                   (default: hf for BERT, pyg for GNNs)\n"
          "  --out DIR        the directory to write (default RUN/export-FORMAT); it must not exist\n"
          "  --force          replace an existing DIR\n"
          "  --which best     the run's best.h5 (the default when the run has one); latest: the latest pointer\n"
          "  --reference FILE also write kprca's logits with their inputs (safetensors) for round-trip checks:\n"
          "                   BERT on the lines of --lines FILE, GNNs on the run's dataset or --data FILE.h5\n"
          "Exit codes: 0 done, 1 runtime failure, 2 bad input or usage (unknown run, damaged checkpoint,\n"
          "existing DIR).\n");
}

static int fail(int code, const char *msg) {
  fprintf(stderr, "kprca-export: %s\n", msg);
  return code;
}

static int code_of(kp_status s) { return s == KP_ERR_NOMEM || s == KP_ERR_DEVICE || s == KP_ERR_INTERNAL ? 1 : 2; }

typedef struct opts {
  const char *src, *format, *out, *which, *reference, *lines, *data;
  bool force;
} opts;

static int parse(int argc, char **argv, opts *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    const char **slot = !strcmp(a, "--format") ? &o->format : !strcmp(a, "--out") ? &o->out
                        : !strcmp(a, "--which") ? &o->which : !strcmp(a, "--reference") ? &o->reference
                        : !strcmp(a, "--lines") ? &o->lines : !strcmp(a, "--data") ? &o->data : NULL;
    char msg[512];
    if (!strcmp(a, "--force")) {
      o->force = true;
    } else if (slot) {
      if (!v) {
        snprintf(msg, sizeof msg, "%s needs a value (see --help)", a);
        return fail(2, msg);
      }
      *slot = v;
      i++;
    } else if (a[0] == '-' && a[1]) {
      snprintf(msg, sizeof msg, "unknown argument '%.200s' (see --help)", a);
      return fail(2, msg);
    } else if (o->src) {
      snprintf(msg, sizeof msg, "one model at a time: '%.200s' and '%.200s' (see --help)", o->src, a);
      return fail(2, msg);
    } else {
      o->src = a;
    }
  }
  if (!o->src) return fail(2, "which run or checkpoint? (see --help)");
  if (o->format && strcmp(o->format, "hf") && strcmp(o->format, "pyg"))
    return fail(2, "--format: expected hf or pyg");
  if (o->which && strcmp(o->which, "best") && strcmp(o->which, "latest"))
    return fail(2, "--which: expected best or latest");
  if ((o->lines || o->data) && !o->reference) return fail(2, "--lines and --data go with --reference FILE");
  return 0;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    }
  opts o = {0};
  int rc = parse(argc, argv, &o);
  if (rc) return rc;
  export_src src;
  kp_status s = export_src_open(o.src, o.which, &src);
  if (s != KP_OK) {
    rc = fail(code_of(s), kp_last_error());
    export_src_close(&src);
    return rc;
  }
  const char *fmt = o.format ? o.format : src.kind == EXPORT_BERT ? "hf" : "pyg";
  char out[4200], tmp[4300], msg[600];
  bool want_hf = !strcmp(fmt, "hf");
  if (want_hf != (src.kind == EXPORT_BERT)) {
    snprintf(msg, sizeof msg, "%.400s: --format %s is for %s models, and this is a %s", src.file, fmt,
             want_hf ? "BERT line" : "graph (gcn/sage/gat)", src.kind == EXPORT_BERT ? "BERT line model" : "GNN");
    rc = fail(2, msg);
  } else if (!o.out && !src.run_dir[0]) {
    rc = fail(2, "--out DIR is needed when the model is not inside a run directory");
  }
  if (!rc) {
    if (o.out) snprintf(out, sizeof out, "%s", o.out);
    else snprintf(out, sizeof out, "%s/export-%s", src.run_dir, fmt);
    struct stat st;
    if (stat(out, &st) == 0 && !o.force) { /* checked again, atomically, when the directory is moved in */
      snprintf(msg, sizeof msg, "%.400s already exists (--force replaces it)", out);
      rc = fail(2, msg);
    }
  }
  if (!rc) {
    s = export_dir_begin(out, tmp, sizeof tmp);
    if (s == KP_OK) {
      s = want_hf ? export_hf(&src, tmp) : export_pyg(&src, tmp);
      if (s == KP_OK && o.reference) s = export_reference(&src, o.lines, o.data, o.reference);
      if (s == KP_OK) s = export_dir_commit(tmp, out, o.force);
      if (s != KP_OK) export_dir_remove(tmp);
    }
    if (s != KP_OK) rc = fail(code_of(s), kp_last_error());
    else fprintf(stderr, "kprca-export: %s -> %s (%s)\n", src.file, out, fmt);
  }
  export_src_close(&src);
  return rc;
}
