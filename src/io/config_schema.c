/* THE config schema: every key kprca-train reads, declared once (path, type, default, allowed values or
 * range, doc), plus the rules between keys. Parsing, errors, overrides, printing and docs/configs.md all
 * come from these tables. Keep each section's keys together (docs and the printed YAML group by it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

#define B KP_CFG_BOOL
#define I KP_CFG_INT
#define F KP_CFG_FLOAT
#define S KP_CFG_STRING
#define E KP_CFG_ENUM
#define LS KP_CFG_STRINGS
#define LI KP_CFG_INTS
#define LF KP_CFG_FLOATS
#define NF KP_CFG_NAME_OR_FLOATS

static const char *check_fanouts(const kp_cfg_value *v, char *buf, size_t n);
static const char *check_split(const kp_cfg_value *v, char *buf, size_t n);
static const char *check_run_name(const kp_cfg_value *v, char *buf, size_t n);
static const char *check_cv_folds(const kp_cfg_value *v, char *buf, size_t n);

/* clang-format off */
static const kp_cfg_key keys[] = {
    /* ---- model ---- */
    {"model.name", E, "gcn", .allowed = "gcn|sage|gat|mlp|bert", .aka = "arch,architecture,model,type",
     .doc = "Architecture: GCN (Kipf & Welling), GraphSAGE, GAT (Velickovic et al.), an MLP that ignores edges, "
            "or bert: a pretrained BERT (model.path) fine-tuned to classify log lines"},
    {"model.task", E, "node", .allowed = "node|graph",
     .doc = "node: classify the nodes of one graph (train/val/test masks); graph: classify whole graphs"},
    {"model.hidden", I, "64", .range = ">= 1", .aka = "hidden_channels,hidden_dim,hidden_size,dim,width",
     .doc = "Width of each hidden GNN layer (GAT: per head)"},
    {"model.layers", I, "2", .range = ">= 1", .aka = "num_layers,n_layers,depth",
     .doc = "Number of GNN layers (message-passing hops)"},
    {"model.heads", I, "1", .range = ">= 1", .aka = "num_heads,n_heads",
     .doc = "GAT: attention heads of each hidden layer"},
    {"model.out_heads", I, "1", .range = ">= 1", .aka = "output_heads",
     .doc = "GAT: heads of the last GNN layer when it outputs the classes (head_layers 0); averaged"},
    {"model.concat", B, "true", .doc = "GAT: concatenate the heads of hidden layers (false: average them)"},
    {"model.dropout", F, "0.5", .range = "[0, 1)", .aka = "drop",
     .doc = "Dropout on the input of every layer, input features included"},
    {"model.attn_dropout", F, "0.0", .range = "[0, 1)", .aka = "attention_dropout,att_dropout",
     .doc = "GAT: dropout on the attention coefficients"},
    {"model.negative_slope", F, "0.2", .range = ">= 0", .aka = "leaky_relu_slope,alpha",
     .doc = "GAT: slope of the LeakyReLU on attention scores"},
    {"model.activation", E, "relu", .allowed = "relu|elu|gelu|leaky_relu|tanh", .aka = "act,nonlinearity",
     .doc = "Non-linearity after each hidden layer (the GAT paper uses elu)"},
    {"model.aggr", E, "mean", .allowed = "mean|sum|max", .aka = "aggregator,aggregation",
     .doc = "SAGE: aggregation of neighbour states"},
    {"model.root_weight", B, "true", .doc = "SAGE: add a separate linear transform of the node's own state"},
    {"model.normalize", B, "true", .aka = "normalise,norm",
     .doc = "GCN: symmetric normalisation D^-1/2 (A+I) D^-1/2 (false: unnormalised sum)"},
    {"model.self_loops", B, "true", .aka = "add_self_loops,self_loop",
     .doc = "GCN, GAT: add a self loop to every node (one per node, existing ones included)"},
    {"model.bias", B, "true", .doc = "Learnable bias in every layer"},
    {"model.readout", E, "mean", .allowed = "sum|mean|max", .aka = "pool,pooling,global_pool",
     .doc = "Graph task: pooling of the node states of each graph into one vector"},
    {"model.head_layers", I, "0", .range = ">= 0", .aka = "mlp_layers,classifier_layers",
     .doc = "Linear layers after the GNN (graph task: after readout); 0: the last GNN layer outputs the classes"},
    {"model.path", S, "null", .flags = KP_CFG_NULLABLE, .aka = "model_dir,pretrained,model_name_or_path,checkpoint_dir",
     .doc = "bert: Hugging Face BERT directory (config.json, model.safetensors, vocab.txt), e.g. models/all-MiniLM-L6-v2"},

    /* ---- data ---- */
    {"data.path", S, NULL, .aka = "file,dataset,input,h5",
     .doc = "Dataset, relative to the working directory: HDF5 kprca.graph (GNNs) or kprca.lines, or a labelled "
            "TSV/CSV (bert; docs/datasets.md)"},
    {"data.format", E, "auto", .allowed = "auto|graph|lines|tsv|csv",
     .doc = "Dataset format; auto reads an HDF5 file's format attribute, else .csv is CSV and anything else TSV"},
    {"data.batch_size", I, "0", .range = ">= 0", .aka = "batch,bs,batchsize",
     .doc = "Graphs (graph task), target nodes (node task, with data.fanouts) or lines (bert) per mini-batch; 0: full "
            "batch"},
    {"data.fanouts", LI, "[]", .range = ">= -1", .check = check_fanouts, .check_doc = "not 0", .aka = "num_neighbors,fan_outs,sizes,fanout",
     .doc = "Node task: neighbours sampled per node at each layer, first layer first; -1: all; []: no sampling"},
    {"data.split", NF, "file", .allowed = "file", .range = "[0, 1]", .min_len = 3, .max_len = 3,
     .check = check_split, .check_doc = "summing to 1", .aka = "splits,split_ratio",
     .doc = "file: the split stored in the dataset; [train, val, test]: stratified random fractions (train.seed; lines "
            "with incident ids: whole incidents)"},
    {"data.normalize_features", B, "false", .aka = "normalise_features,feature_norm",
     .doc = "Row-normalise node features to sum 1 (PyG NormalizeFeatures; as the GCN and GAT papers on Cora)"},
    {"data.shuffle", B, "true", .doc = "Shuffle the training mini-batches every epoch (seeded by train.seed)"},
    {"data.max_seq_len", I, "128", .range = ">= 2", .aka = "max_length,max_len,seq_len,max_seq_length",
     .doc = "bert: tokens per line, [CLS] and [SEP] included; longer lines are truncated (a batch pads to its longest)"},
    {"data.bucket_size", I, "32", .range = ">= 0", .aka = "bucket_batches,group_by_length",
     .doc = "bert: each shuffled chunk of this many batches is sorted by length before it is cut (less padding); "
            "0: no sorting"},
    {"data.lines_per_epoch", I, "0", .range = ">= 0", .aka = "train_lines,max_train_lines,samples_per_epoch",
     .doc = "bert: training lines per epoch, drawn afresh from the shuffled training split each epoch; 0: all"},
    {"data.num_workers", I, "0", .range = ">= 0", .aka = "workers",
     .doc = "Threads preparing the next mini-batch while one trains; 0: prepare in the training thread"},

    /* ---- optim ---- */
    {"optim.name", E, "adam", .allowed = "adam|adamw|sgd", .aka = "optimizer,opt",
     .doc = "Optimizer, with torch.optim's update rules"},
    {"optim.lr", F, "0.01", .range = "> 0", .aka = "learning_rate,base_lr,lr0",
     .doc = "Learning rate (peak rate when a schedule is set)"},
    {"optim.weight_decay", F, "0.0", .range = ">= 0", .aka = "wd,l2",
     .doc = "adam, sgd: L2 penalty added to the gradient; adamw: decoupled decay"},
    {"optim.weight_decay_scope", E, "all", .allowed = "all|first_layer|weights",
     .doc = "Parameters that get weight decay: all, the first GNN layer only (as the GCN reference code), or all but "
            "biases and LayerNorm (as transformers' Trainer)"},
    {"optim.betas", LF, "[0.9, 0.999]", .range = "[0, 1)", .min_len = 2, .max_len = 2, .aka = "beta",
     .doc = "adam, adamw: decay rates of the first and second moment estimates"},
    {"optim.eps", F, "1e-8", .range = "> 0", .aka = "epsilon",
     .doc = "adam, adamw: term added to the denominator"},
    {"optim.momentum", F, "0.0", .range = "[0, 1]", .doc = "sgd: momentum factor"},
    {"optim.nesterov", B, "false", .doc = "sgd: Nesterov momentum (needs momentum > 0)"},
    {"optim.clip_norm", F, "0.0", .range = ">= 0", .aka = "max_grad_norm,grad_clip,clip,clip_grad_norm",
     .doc = "Clip the global L2 norm of the gradients to this value; 0: no clipping"},
    {"optim.grad_accum", I, "1", .range = ">= 1",
     .aka = "gradient_accumulation_steps,accumulate_grad_batches,accumulation_steps",
     .doc = "bert: mini-batches whose averaged gradients make one optimizer step"},
    {"optim.schedule", E, "constant", .allowed = "constant|linear|cosine", .aka = "scheduler,lr_schedule",
     .doc = "Learning-rate schedule over all optimizer steps: constant, or linear / cosine decay to 0"},
    {"optim.warmup_steps", I, "0", .range = ">= 0", .aka = "warmup",
     .doc = "Linear warm-up from 0 over this many optimizer steps"},

    /* ---- train ---- */
    {"train.epochs", I, "200", .range = ">= 1", .aka = "max_epochs,num_epochs,n_epochs,epoch",
     .doc = "Passes over the training data"},
    {"train.seed", I, "0", .range = ">= 0", .aka = "random_seed,rng_seed",
     .doc = "Seeds everything: initialisation, dropout, data order, random splits; same seed, same weights on CPU"},
    {"train.patience", I, "0", .range = ">= 0", .aka = "early_stopping,early_stop",
     .doc = "Stop after this many evaluations without improvement of train.monitor; 0: never stop early"},
    {"train.monitor", E, "val_loss", .allowed = "val_loss|val_acc|val_macro_f1", .aka = "metric,monitor_metric",
     .doc = "What picks the best epoch: lowest validation loss, highest accuracy or macro F1"},
    {"train.restore_best", B, "true", .aka = "restore_best_weights",
     .doc = "End with the weights of the best epoch by train.monitor (false: keep the last)"},
    {"train.class_weights", NF, "none", .allowed = "none|balanced", .range = "> 0", .min_len = 1,
     .aka = "class_weight,weights",
     .doc = "Loss weight per class: none, balanced (n / (classes * count), as scikit-learn), or a list"},
    {"train.log_every", I, "1", .range = ">= 1", .aka = "log_interval,print_every",
     .doc = "Print a log line every this many epochs"},
    {"train.eval_every", I, "1", .range = ">= 1", .aka = "val_every,eval_interval",
     .doc = "Evaluate on the validation split every this many epochs (train.patience counts evaluations)"},
    {"train.progress", E, "auto", .allowed = "auto|bar|lines|none",
     .doc = "auto: a progress bar on a terminal, plain log lines otherwise"},
    {"train.threads", I, "0", .range = ">= 0", .aka = "num_threads,omp_threads",
     .doc = "CPU threads; 0: the OpenMP default (OMP_NUM_THREADS, else every core)"},

    /* ---- eval ---- */
    {"eval.splits", LS, "[val, test]", .allowed = "train|val|test", .min_len = 1, .aka = "split,sets",
     .doc = "Splits evaluated at the end: report, metrics.json, predictions"},
    {"eval.metrics", LS, "[accuracy, macro_f1, weighted_f1]",
     .allowed = "accuracy|macro_precision|macro_recall|macro_f1|weighted_precision|weighted_recall|weighted_f1",
     .aka = "metric", .doc = "Metrics logged at each evaluation; the final report always has them all"},
    {"eval.cv.folds", S, "null", .flags = KP_CFG_NULLABLE, .check = check_cv_folds,
     .check_doc = "an integer >= 2 or logo", .aka = "k_folds,n_splits,n_folds,cv",
     .doc = "Cross-validation: null: off; K >= 2: K trainings, each tested on one fold (RUN/fold-k/, RUN/cv.json, "
            "RUN/cv.txt; docs/metrics.md); logo: leave one group (eval.cv.group_by) out, one fold per group"},
    {"eval.cv.group_by", E, "none", .allowed = "none|incident|day", .aka = "groups,group",
     .doc = "What a fold keeps together: none (items), incident (a graph of a graph task, a line's incident, or the "
            "file's `incident` array), day (the UTC day of the file's `time` array)"},
    {"eval.cv.stratify", B, "true", .aka = "stratified",
     .doc = "Spread each class evenly over the folds (groups count by their most frequent class)"},
    {"eval.cv.val_fraction", F, "0.1", .range = "[0, 1)", .aka = "val_frac,val_size,validation_fraction",
     .doc = "Share of each fold's training items (groups, when grouped) carved out as validation (seeded by train.seed, "
            "stratified) for early stopping and the best epoch"},

    /* ---- output ---- */
    {"output.dir", S, NULL, .aka = "out_dir,output_dir,save_dir,run_dir,path",
     .doc = "Where runs go: each run writes DIR/NAME/TIMESTAMP/ (config.yaml, metrics, checkpoints, report)"},
    {"output.name", S, "null", .flags = KP_CFG_NULLABLE, .check = check_run_name,
     .check_doc = "a plain name (letters, digits, `.`, `-`, `_`)", .aka = "run_name,experiment",
     .doc = "Run name; null: the first --config file's name without .yaml (no file: model.name)"},
    {"output.checkpoint_every", I, "0", .range = ">= 0", .aka = "save_every,checkpoint_interval",
     .doc = "Also checkpoint every this many epochs; 0: only the last and the best epoch"},
    {"output.keep_checkpoints", I, "3", .range = ">= 0", .aka = "keep_last,max_checkpoints",
     .doc = "Periodic checkpoints kept, oldest removed first; 0: keep all"},

    /* ---- top level ---- */
    {"device", E, "auto", .allowed = "auto|cpu|cuda|cuda:N", .aka = "gpu,devices,accelerator",
     .doc = "auto (the first usable GPU, else cpu), cpu, cuda (= cuda:0) or cuda:N"},
};
/* clang-format on */

#define NKEYS (sizeof keys / sizeof keys[0])

size_t kp_config_schema_count(void) { return NKEYS; }

const kp_cfg_key *kp_config_schema(size_t i) { return i < NKEYS ? &keys[i] : NULL; }

long kp_cfg_index(const char *path) {
  for (size_t i = 0; i < NKEYS; i++)
    if (path[0] == keys[i].path[0] && strcmp(path, keys[i].path) == 0) return (long)i;
  return -1;
}

const kp_cfg_key *kp_config_key(const char *path) {
  long i = kp_cfg_index(path);
  return i < 0 ? NULL : &keys[i];
}

/* A section is a proper prefix of some key, ending at a dot. */
bool kp_cfg_is_section(const char *path) {
  size_t n = strlen(path);
  if (n == 0) return false;
  for (size_t i = 0; i < NKEYS; i++)
    if (strncmp(keys[i].path, path, n) == 0 && keys[i].path[n] == '.') return true;
  return false;
}

void kp_cfg_section_keys(const char *section, char *buf, size_t n, int max) {
  size_t len = strlen(section), used = 0;
  int count = 0;
  buf[0] = 0;
  for (size_t i = 0; i < NKEYS && used + 1 < n; i++) {
    if (strncmp(keys[i].path, section, len) != 0 || keys[i].path[len] != '.') continue;
    const char *leaf = keys[i].path + len + 1;
    int w = count == max ? snprintf(buf + used, n - used, ", ...")
                         : snprintf(buf + used, n - used, "%s%s", count ? ", " : "", leaf);
    if (w < 0 || (size_t)w >= n - used) break;
    used += (size_t)w;
    if (count++ == max) break;
  }
}

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
int kp_cfg_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 63 || m > 63) return (int)(n > m ? n : m);
  int d[64][64];
  for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      int cost = a[i - 1] != b[j - 1];
      int v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  return d[n][m];
}

/* Splits "a.b.c" into parent "a.b" and leaf "c" (parent "" for a top-level name). */
static const char *leaf_of(const char *path, char *parent, size_t n) {
  const char *dot = strrchr(path, '.');
  size_t len = dot ? (size_t)(dot - path) : 0;
  if (len >= n) len = n - 1;
  memcpy(parent, path, len);
  parent[len] = 0;
  return dot ? dot + 1 : path;
}

/* Score of candidate path c (a key with its aka names) for the typed name: edit distance of the whole path,
 * or of the last name alone (also against the aka names) plus 1 when the sections differ. Lower is closer. */
static int score(const char *typed, const char *tparent, const char *tleaf, const char *c, const char *aka,
                 bool *other) {
  char cparent[128];
  const char *cleaf = leaf_of(c, cparent, sizeof cparent);
  *other = strcmp(tparent, cparent) != 0;
  int best = kp_cfg_distance(typed, c);
  int d = kp_cfg_distance(tleaf, cleaf) + *other;
  if (d < best) best = d;
  for (const char *p = aka; p && *p;) {
    const char *q = strchr(p, ',');
    size_t len = q ? (size_t)(q - p) : strlen(p);
    char name[64];
    if (len < sizeof name) {
      memcpy(name, p, len);
      name[len] = 0;
      d = kp_cfg_distance(tleaf, name) + *other;
      if (d < best) best = d;
    }
    p = q ? q + 1 : NULL;
  }
  return best;
}

const char *kp_config_suggest(const char *name) {
  char tparent[128];
  const char *tleaf = leaf_of(name, tparent, sizeof tparent);
  int tl = (int)strlen(tleaf);
  int limit = tl / 3 > 2 ? tl / 3 : 2;
  const char *best = NULL;
  int best_score = limit + 1, best_rank = 1 << 30;
  for (size_t i = 0; i < NKEYS; i++) {
    bool other;
    int s = score(name, tparent, tleaf, keys[i].path, keys[i].aka, &other);
    int rank = 2 * s + other; /* on a tie, a key of the typed section wins */
    if (s <= limit && rank < best_rank) best_rank = rank, best_score = s, best = keys[i].path;
  }
  if (strchr(name, '.')) return best;
  /* A top-level name may be a mistyped section ("modle" -> "model", "optimizer" -> "optim"). */
  static _Thread_local char section[32];
  size_t nl = strlen(name);
  for (size_t i = 0; i < NKEYS; i++) {
    const char *dot = strchr(keys[i].path, '.');
    size_t len = dot ? (size_t)(dot - keys[i].path) : 0;
    if (!dot || len >= sizeof section) continue;
    char sec[32];
    memcpy(sec, keys[i].path, len);
    sec[len] = 0;
    int s = kp_cfg_distance(name, sec);
    if (nl >= 3 && strncmp(name, sec, nl < len ? nl : len) == 0) s = 0; /* "optimizer", "mod" */
    if (s < best_score || (s == best_score && s == 0)) {
      best_score = s;
      memcpy(section, sec, len + 1);
      best = section;
    }
  }
  return best;
}

/* ---- Extra rules on single values ---- */

static const char *check_fanouts(const kp_cfg_value *v, char *buf, size_t n) {
  for (size_t i = 0; i < v->n; i++)
    if (v->ints[i] == 0) {
      snprintf(buf, n, "entry %zu is 0, which samples nothing; use -1 (every neighbour) or a count >= 1", i);
      return buf;
    }
  return NULL;
}

static const char *check_split(const kp_cfg_value *v, char *buf, size_t n) {
  if (!v->list) return NULL;
  double sum = 0;
  for (size_t i = 0; i < v->n; i++) sum += v->floats[i];
  if (fabs(sum - 1.0) > 1e-6) {
    snprintf(buf, n, "the fractions [train, val, test] must sum to 1 (they sum to %g)", sum);
    return buf;
  }
  return NULL;
}

static const char *check_run_name(const kp_cfg_value *v, char *buf, size_t n) {
  if (v->null) return NULL;
  const char *s = v->s;
  bool ok = s[0] && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
  for (const char *p = s; ok && *p; p++)
    ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
         *p == '_';
  if (ok) return NULL;
  snprintf(buf, n, "must be a plain name (letters, digits, '.', '-', '_'), as it names a directory");
  return buf;
}

static const char *check_cv_folds(const kp_cfg_value *v, char *buf, size_t n) {
  if (v->null || !strcmp(v->s, "logo")) return NULL;
  char *end;
  long k = strtol(v->s, &end, 10);
  if (end != v->s && !*end && k >= 2 && k <= 1000000) return NULL;
  snprintf(buf, n, "must be null (no cross-validation), an integer >= 2 (folds) or logo (leave one group out)");
  return buf;
}

/* ---- Rules between keys ---- */

/* "WHERE: path = VALUE: why", WHERE being where path's value was set. */
static kp_status rule_fail(const kp_config *cfg, const char *path, const char *why) {
  const kp_cfg_value *v = kp_cfg_get(cfg, path);
  char where[512];
  kp_sbuf sb = {0};
  kp_sb_value(&sb, kp_config_key(path), v);
  kp_status s = kp_fail(KP_ERR_INVALID, "%s: %s = %s: %s", kp_cfg_where(v->file, v->line, v->col, where, sizeof where),
                        path, sb.p && !sb.oom ? sb.p : "?", why);
  free(sb.p);
  return s;
}

/* "path = VALUE (WHERE)" for the other key of a rule. */
static const char *shown(const kp_config *cfg, const char *path, char *buf, size_t n) {
  const kp_cfg_value *v = kp_cfg_get(cfg, path);
  char where[400];
  kp_sbuf sb = {0};
  kp_sb_value(&sb, kp_config_key(path), v);
  snprintf(buf, n, "%s = %s (%s)", path, sb.p && !sb.oom ? sb.p : "?",
           kp_cfg_where(v->file, v->line, v->col, where, sizeof where));
  free(sb.p);
  return buf;
}

static bool is_bert(const kp_config *cfg) { return strcmp(kp_config_string(cfg, "model.name"), "bert") == 0; }

static bool task_is_node(const kp_config *cfg) { return strcmp(kp_config_string(cfg, "model.task"), "node") == 0; }

static kp_status rule_fanouts_layers(const kp_config *cfg) {
  size_t n;
  kp_config_ints(cfg, "data.fanouts", &n);
  if (n == 0 || (int64_t)n == kp_config_int(cfg, "model.layers")) return KP_OK;
  char other[600], why[800];
  snprintf(why, sizeof why, "%zu fan-outs but %s; give one per GNN layer", n,
           shown(cfg, "model.layers", other, sizeof other));
  return rule_fail(cfg, "data.fanouts", why);
}

static kp_status rule_fanouts_task(const kp_config *cfg) {
  size_t n;
  kp_config_ints(cfg, "data.fanouts", &n);
  if (n == 0 || task_is_node(cfg)) return KP_OK;
  char other[600], why[800];
  snprintf(why, sizeof why, "neighbour sampling is for node classification, but %s",
           shown(cfg, "model.task", other, sizeof other));
  return rule_fail(cfg, "data.fanouts", why);
}

static kp_status rule_batch_fanouts(const kp_config *cfg) {
  size_t n;
  kp_config_ints(cfg, "data.fanouts", &n);
  if (n > 0 || kp_config_int(cfg, "data.batch_size") == 0 || !task_is_node(cfg) || is_bert(cfg)) return KP_OK;
  return rule_fail(cfg, "data.batch_size",
                   "mini-batches of target nodes need data.fanouts, one per layer (-1: every neighbour)");
}

static kp_status rule_nesterov(const kp_config *cfg) {
  if (!kp_config_bool(cfg, "optim.nesterov")) return KP_OK;
  char other[600], why[800];
  if (strcmp(kp_config_string(cfg, "optim.name"), "sgd") != 0) {
    snprintf(why, sizeof why, "Nesterov momentum is for sgd, but %s", shown(cfg, "optim.name", other, sizeof other));
    return rule_fail(cfg, "optim.nesterov", why);
  }
  if (kp_config_float(cfg, "optim.momentum") > 0) return KP_OK;
  snprintf(why, sizeof why, "Nesterov momentum needs optim.momentum > 0, but %s",
           shown(cfg, "optim.momentum", other, sizeof other));
  return rule_fail(cfg, "optim.nesterov", why);
}

static kp_status rule_bert_path(const kp_config *cfg) {
  if (!is_bert(cfg) || kp_config_string(cfg, "model.path")) return KP_OK;
  return rule_fail(cfg, "model.name", "bert needs model.path, the Hugging Face model directory to start from");
}

static kp_status rule_bert_batch(const kp_config *cfg) {
  if (!is_bert(cfg) || kp_config_int(cfg, "data.batch_size") > 0) return KP_OK;
  return rule_fail(cfg, "data.batch_size", "model.name: bert trains on mini-batches of lines; give a size >= 1");
}

static kp_status rule_grad_accum(const kp_config *cfg) {
  if (is_bert(cfg) || kp_config_int(cfg, "optim.grad_accum") == 1) return KP_OK;
  char other[600], why[800];
  snprintf(why, sizeof why, "gradient accumulation is for model.name: bert, but %s",
           shown(cfg, "model.name", other, sizeof other));
  return rule_fail(cfg, "optim.grad_accum", why);
}

static kp_status rule_cv_logo(const kp_config *cfg) {
  const char *f = kp_config_string(cfg, "eval.cv.folds");
  if (!f || strcmp(f, "logo") || strcmp(kp_config_string(cfg, "eval.cv.group_by"), "none")) return KP_OK;
  return rule_fail(cfg, "eval.cv.folds", "leave-one-group-out needs eval.cv.group_by: incident or day");
}

const kp_cfg_rule kp_cfg_rules[] = {
    {"`data.fanouts`, when not empty, has one entry per GNN layer (`model.layers`).", rule_fanouts_layers},
    {"`data.fanouts` (neighbour sampling) needs `model.task: node`.", rule_fanouts_task},
    {"`data.batch_size` > 0 with `model.task: node` needs `data.fanouts` (-1 takes every neighbour); not for bert.",
     rule_batch_fanouts},
    {"`optim.nesterov: true` needs `optim.name: sgd` and `optim.momentum` > 0.", rule_nesterov},
    {"`model.name: bert` needs `model.path` (a Hugging Face BERT directory).", rule_bert_path},
    {"`model.name: bert` needs `data.batch_size` >= 1 (lines per mini-batch).", rule_bert_batch},
    {"`optim.grad_accum` > 1 needs `model.name: bert`.", rule_grad_accum},
    {"`eval.cv.folds: logo` needs `eval.cv.group_by` incident or day.", rule_cv_logo},
};
const size_t kp_cfg_nrules = sizeof kp_cfg_rules / sizeof kp_cfg_rules[0];
