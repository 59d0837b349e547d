/* kprca-export --format pyg: a GNN run as PyTorch Geometric sees it. model.safetensors holds the weights
 * under the model's own parameter names, which are already PyG's state_dict names ("convs.0.lin.weight",
 * "convs.1.att_src", "head.0.bias"); model.json describes the architecture: the layer stack, the
 * constructor arguments of each torch_geometric conv and torch.nn.Linear, the forward order (per layer:
 * dropout, conv, activation; graph task: pooling, then the head), the feature normalisation the trainer
 * applied and the class names. scripts/golden/export_roundtrip.py rebuilds the model from it. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/export.h"
#include "kprca/safetensors.h"

/* Mirrors the trainer's model.* mapping (src/train/trainer.c), which the checkpoint's weights then confirm. */
kp_status export_gnn_config(const kp_config *c, int64_t in_dim, int64_t classes, kp_gnn_config *mc) {
  const char *name = kp_config_string(c, "model.name");
  kp_conv_type conv;
  if (!strcmp(name, "gcn")) conv = KP_CONV_GCN;
  else if (!strcmp(name, "sage")) conv = KP_CONV_SAGE;
  else if (!strcmp(name, "gat")) conv = KP_CONV_GAT;
  else return kp_fail(KP_ERR_UNSUPPORTED, "model.name = %s: kprca-export knows gcn, sage, gat and bert", name);
  kp_gnn_task task = !strcmp(kp_config_string(c, "model.task"), "graph") ? KP_GNN_GRAPH : KP_GNN_NODE;
  *mc = kp_gnn_config_default(task, conv, in_dim, classes);
  mc->hidden = kp_config_int(c, "model.hidden");
  mc->num_layers = (int)kp_config_int(c, "model.layers");
  mc->heads = conv == KP_CONV_GAT ? (int)kp_config_int(c, "model.heads") : 1;
  mc->out_heads = conv == KP_CONV_GAT ? (int)kp_config_int(c, "model.out_heads") : 1;
  mc->input_dropout = mc->dropout = (float)kp_config_float(c, "model.dropout");
  mc->attn_dropout = conv == KP_CONV_GAT ? (float)kp_config_float(c, "model.attn_dropout") : 0.0f;
  mc->negative_slope = (float)kp_config_float(c, "model.negative_slope");
  const char *act = kp_config_string(c, "model.activation");
  mc->act_alpha = 1.0f;
  if (!strcmp(act, "relu")) mc->act = KP_ACT_RELU;
  else if (!strcmp(act, "elu")) mc->act = KP_ACT_ELU;
  else if (!strcmp(act, "gelu")) mc->act = KP_ACT_GELU;
  else if (!strcmp(act, "tanh")) mc->act = KP_ACT_TANH;
  else if (!strcmp(act, "leaky_relu")) mc->act = KP_ACT_LEAKY_RELU, mc->act_alpha = 0.01f;
  else return kp_fail(KP_ERR_FORMAT, "model.activation = %s is not known", act);
  mc->bias = kp_config_bool(c, "model.bias");
  mc->add_self_loops = kp_config_bool(c, "model.self_loops");
  mc->normalize = kp_config_bool(c, "model.normalize");
  mc->root_weight = kp_config_bool(c, "model.root_weight");
  const char *ro = kp_config_string(c, "model.readout");
  mc->readout = !strcmp(ro, "sum") ? KP_REDUCE_SUM : !strcmp(ro, "max") ? KP_REDUCE_MAX : KP_REDUCE_MEAN;
  if (task == KP_GNN_GRAPH) {
    int64_t hl = kp_config_int(c, "model.head_layers");
    mc->head_layers = hl < 1 ? 1 : (int)hl;
    mc->head_hidden = mc->hidden * mc->heads;
  }
  return kp_gnn_config_check(mc);
}

static const char *conv_class(kp_conv_type t) {
  return t == KP_CONV_GCN ? "GCNConv" : t == KP_CONV_SAGE ? "SAGEConv" : "GATConv";
}

/* One conv's torch_geometric constructor arguments. */
static cJSON *conv_json(const kp_conv *cv, int l) {
  const kp_conv_opts *o = &cv->o;
  cJSON *j = cJSON_CreateObject(), *kw = cJSON_CreateObject();
  char name[32];
  snprintf(name, sizeof name, "convs.%d", l);
  cJSON_AddStringToObject(j, "name", name);
  cJSON_AddStringToObject(j, "class", conv_class(o->type));
  cJSON_AddNumberToObject(kw, "in_channels", (double)o->in_dim);
  cJSON_AddNumberToObject(kw, "out_channels", (double)o->out_dim);
  if (o->type == KP_CONV_GAT) {
    cJSON_AddNumberToObject(kw, "heads", o->heads);
    cJSON_AddBoolToObject(kw, "concat", o->concat);
    cJSON_AddNumberToObject(kw, "negative_slope", o->negative_slope);
    cJSON_AddNumberToObject(kw, "dropout", o->attn_dropout);
    cJSON_AddBoolToObject(kw, "add_self_loops", o->add_self_loops);
    if (o->residual) cJSON_AddBoolToObject(kw, "residual", true);
  } else if (o->type == KP_CONV_GCN) {
    cJSON_AddBoolToObject(kw, "add_self_loops", o->add_self_loops);
    cJSON_AddBoolToObject(kw, "normalize", o->normalize);
  } else {
    cJSON_AddStringToObject(kw, "aggr", "mean");
    cJSON_AddBoolToObject(kw, "root_weight", o->root_weight);
  }
  cJSON_AddBoolToObject(kw, "bias", o->bias);
  cJSON_AddItemToObject(j, "kwargs", kw);
  cJSON_AddNumberToObject(j, "out_width", (double)cv->out_cols);
  return j;
}

static cJSON *head_json(const kp_head *h) {
  cJSON *a = cJSON_CreateArray();
  for (int l = 0; l < h->layers; l++) {
    cJSON *j = cJSON_CreateObject(), *kw = cJSON_CreateObject();
    char name[32];
    snprintf(name, sizeof name, "head.%d", l);
    cJSON_AddStringToObject(j, "name", name);
    cJSON_AddStringToObject(j, "class", "Linear");
    cJSON_AddNumberToObject(kw, "in_features", (double)h->dims[l]);
    cJSON_AddNumberToObject(kw, "out_features", (double)h->dims[l + 1]);
    cJSON_AddBoolToObject(kw, "bias", true);
    cJSON_AddItemToObject(j, "kwargs", kw);
    cJSON_AddItemToArray(a, j);
  }
  return a;
}

static const char *pool_name(kp_reduce r) {
  return r == KP_REDUCE_SUM ? "global_add_pool" : r == KP_REDUCE_MAX ? "global_max_pool" : "global_mean_pool";
}

static char *model_json(const export_src *src) {
  const kp_gnn *m = &src->gnn;
  const kp_gnn_config *c = &m->cfg;
  bool graph = c->task == KP_GNN_GRAPH;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "format", "kprca.pyg");
  cJSON_AddNumberToObject(j, "version", 1);
  cJSON_AddStringToObject(j, "task", graph ? "graph" : "node");
  cJSON_AddStringToObject(j, "conv", kp_conv_type_name(c->conv));
  cJSON_AddNumberToObject(j, "num_features", (double)c->in_dim);
  cJSON_AddNumberToObject(j, "num_classes", (double)c->num_classes);
  cJSON *names = cJSON_CreateArray();
  for (int64_t i = 0; i < src->labels.n; i++) cJSON_AddItemToArray(names, cJSON_CreateString(src->labels.s[i]));
  cJSON_AddItemToObject(j, "label_names", names);
  cJSON_AddNumberToObject(j, "layers", c->num_layers);
  cJSON_AddNumberToObject(j, "hidden", (double)c->hidden);
  cJSON_AddNumberToObject(j, "heads", c->heads);
  cJSON_AddNumberToObject(j, "out_heads", c->out_heads);
  cJSON_AddBoolToObject(j, "concat", true);
  cJSON_AddStringToObject(j, "activation", kp_act_name(c->act));
  cJSON_AddNumberToObject(j, "activation_alpha", c->act_alpha);
  cJSON_AddNumberToObject(j, "input_dropout", c->input_dropout);
  cJSON_AddNumberToObject(j, "dropout", c->dropout);
  cJSON_AddNumberToObject(j, "attn_dropout", c->attn_dropout);
  if (graph) {
    cJSON_AddStringToObject(j, "readout", kp_reduce_name(c->readout));
    cJSON_AddStringToObject(j, "pool", pool_name(c->readout));
    cJSON_AddNumberToObject(j, "head_layers", c->head_layers);
  }
  bool norm = src->cfg && kp_config_bool(src->cfg, "data.normalize_features");
  cJSON_AddStringToObject(j, "feature_transform", norm ? "NormalizeFeatures" : "none");
  cJSON_AddBoolToObject(j, "uses_edge_weight", c->conv == KP_CONV_GCN);
  cJSON *convs = cJSON_CreateArray();
  for (int l = 0; l < m->num_convs; l++) cJSON_AddItemToArray(convs, conv_json(&m->convs[l], l));
  cJSON_AddItemToObject(j, "convs", convs);
  cJSON_AddItemToObject(j, "head", graph ? head_json(&m->head) : cJSON_CreateArray());
  cJSON_AddStringToObject(j, "forward",
                          graph ? "x = dropout(x, input_dropout); then per conv l: x = act(conv_l(x, edge_index)), "
                                  "with dropout(x, dropout) before every later conv; x = pool(x, batch); then per "
                                  "head Linear: x = Linear(dropout(x, dropout)), act between Linears, none after "
                                  "the last"
                                : "x = dropout(x, input_dropout); then per conv l: x = conv_l(x, edge_index), with "
                                  "dropout(x, dropout) before every later conv and act after every conv but the "
                                  "last; the last conv's output are the logits");
  cJSON *srcj = cJSON_CreateObject();
  cJSON_AddStringToObject(srcj, "checkpoint", src->file);
  if (src->epoch >= 0) cJSON_AddNumberToObject(srcj, "epoch", (double)src->epoch);
  if (src->cfg) cJSON_AddStringToObject(srcj, "data", kp_config_string(src->cfg, "data.path"));
  cJSON_AddItemToObject(j, "source", srcj);
  char *text = cJSON_Print(j);
  cJSON_Delete(j);
  return text;
}

kp_status export_pyg(const export_src *src, const char *dir) {
  const kp_params *p = &src->gnn.params;
  kp_st_entry *e = calloc((size_t)p->count, sizeof *e);
  if (!e) return kp_fail(KP_ERR_NOMEM, "export: out of memory");
  const float *data = (const float *)p->data.data;
  for (int i = 0; i < p->count; i++)
    e[i] = (kp_st_entry){p->items[i].name, KP_ST_F32, p->items[i].ndim, p->items[i].shape, data + p->items[i].offset};
  char path[4200];
  const char *meta[] = {"format", "pt"};
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  kp_status s = kp_st_write(path, e, (size_t)p->count, meta, 1);
  free(e);
  if (s != KP_OK) return s;
  char *text = model_json(src);
  if (!text) return kp_fail(KP_ERR_NOMEM, "export: out of memory");
  snprintf(path, sizeof path, "%s/model.json", dir);
  s = export_write_text(path, text);
  free(text);
  return s;
}
