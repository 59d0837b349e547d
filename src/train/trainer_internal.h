/* The trainer's state, shared by src/train/trainer*.c (not a public header). */
#ifndef KPRCA_TRAIN_TRAINER_INTERNAL_H
#define KPRCA_TRAIN_TRAINER_INTERNAL_H
#include "kprca/graph_batch.h"
#include "kprca/sampler.h"
#include "kprca/trainer.h"
#include "train/train_internal.h"

struct kp_trainer {
  kp_train_state st; /* config, device, split (ids of nodes or graphs), optimizer, progress, best weights */
  kp_graph_data data;
  const char *data_path;
  kp_gnn_task task;
  int64_t num_classes, num_items; /* items: nodes (node task) or graphs */
  int8_t *split;                  /* [num_items] */
  /* node task: the whole graph on the device */
  kp_gnn_graph graph;
  bool graph_ready;
  kp_tensor x;          /* [N, F]; on the CPU it wraps data.x */
  kp_tensor targets[3]; /* i32 [N]: y inside split s, KP_GNN_IGNORE elsewhere */
  /* graph task: mini-batches */
  kp_graph_batch batch;
  int32_t *order;     /* [nids[train]]: training order of graphs (graph task) or target nodes (sampling) */
  int64_t batch_size; /* graphs (graph task) or target nodes (sampling) per training batch */
  int64_t eval_batch; /* graphs per evaluation batch */
  bool shuffle;
  unsigned graph_flags;
  /* node task with data.fanouts: neighbour-sampled mini-batches of target nodes */
  bool sampling;
  kp_sampler sampler;
  kp_subgraph sub;
  uint64_t sample_seed;
  float *sub_x, *sub_w; /* gathered features [nodes * F] and edge weights [edges] of the last subgraph */
  int32_t *sub_y;       /* [nodes]: labels of the seeds, KP_GNN_IGNORE for the other nodes */
  int64_t sub_cap_x, sub_cap_nodes, sub_cap_edges; /* allocated elements of sub_x, sub_y, sub_w */
  /* loss */
  kp_tensor class_w; /* f32 [C] or empty */
  bool use_cw;
  kp_tensor loss_sum; /* f32 [1]: training loss summed on the device over an epoch */
  /* model and optimisation */
  kp_gnn model;
  bool model_ready;
};

/* trainer_data.c */
kp_status kp_trainer_load_data(kp_trainer *t);
kp_status kp_trainer_prepare_device_data(kp_trainer *t);

#endif
