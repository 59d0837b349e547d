/* kprca-export's parts (src/cli/export_*.c): the source (a kprca-train run, checkpoints folder or file, or a
 * Hugging Face BERT directory), the output directory written atomically, and the two formats: Hugging Face
 * (BertForSequenceClassification) for line models and PyTorch Geometric (state_dict + model.json) for GNNs.
 * A reference file (safetensors of inputs and kprca's logits) lets scripts/golden/export_roundtrip.py check
 * the export against transformers / torch_geometric. */
#ifndef KPRCA_CLI_EXPORT_H
#define KPRCA_CLI_EXPORT_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/bert.h"
#include "kprca/config.h"
#include "kprca/gnn.h"
#include "kprca/h5.h"
#include "kprca/status.h"

typedef enum export_kind { EXPORT_BERT, EXPORT_GNN } export_kind;

/* What is exported: the model with its weights on the CPU, its class names and where it came from. */
typedef struct export_src {
  export_kind kind;
  char file[4096];     /* the checkpoint file, or the HF directory */
  char run_dir[4096];  /* the run directory when the source lies in one, else "" */
  char base_dir[4096]; /* BERT: the HF directory holding config.json and the tokenizer files */
  bool from_hf;        /* BERT straight from an HF directory (no kprca checkpoint) */
  kp_config *cfg;      /* the resolved training config (NULL for an HF directory) */
  int64_t epoch;       /* the checkpoint's state/epoch (-1 when unknown) */
  kp_strings labels;   /* class names */
  kp_bert bert;        /* EXPORT_BERT */
  kp_gnn gnn;          /* EXPORT_GNN */
  bool have_model;
} export_src;

/** Resolves path (run dir, checkpoints/ folder, checkpoint file or HF BERT directory; which: "best", "latest"
 *  or NULL for best.h5 when the run has one, else latest) and loads the model and its weights. */
kp_status export_src_open(const char *path, const char *which, export_src *src);
/** Frees what export_src_open made. */
void export_src_close(export_src *src);

/** The GNN description kprca's trainer builds from model.* (in_dim and classes from the checkpoint). */
kp_status export_gnn_config(const kp_config *cfg, int64_t in_dim, int64_t classes, kp_gnn_config *mc);

/** Makes a fresh temporary directory next to out ("OUT.tmp-XXXXXX") into tmp. */
kp_status export_dir_begin(const char *out, char *tmp, size_t n);
/** Moves tmp to out; an existing out fails unless force (then it is replaced, the old one removed). */
kp_status export_dir_commit(const char *tmp, const char *out, bool force);
/** Removes a directory tree (best effort; for a failed export's temporary directory). */
void export_dir_remove(const char *dir);
/** Copies file src to dst (dst must not exist). */
kp_status export_copy_file(const char *src, const char *dst);
/** Writes text to path (in a temporary export directory, so no rename is needed). */
kp_status export_write_text(const char *path, const char *text);

/** Writes the Hugging Face directory files into dir (model.safetensors, config.json, tokenizer files). */
kp_status export_hf(const export_src *src, const char *dir);
/** Writes model.safetensors (PyG state_dict names) and model.json (architecture) into dir. */
kp_status export_pyg(const export_src *src, const char *dir);

/** Writes kprca's logits to path (safetensors) with the inputs that gave them: for BERT the lines of lines_path
 *  (input_ids, attention_mask, logits), for a GNN the run's dataset or data_path (x, indptr, indices,
 *  edge_weight, graph_ptr, logits). */
kp_status export_reference(export_src *src, const char *lines_path, const char *data_path, const char *path);

#endif
