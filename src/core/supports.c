/* The supports_op query: does a backend implement an op entry? */
#include <stddef.h>
#include <string.h>
#include "core/backend.h"

static const struct { const char *name; size_t offset; } kp_op_entries[] = {
    {"raw_alloc", offsetof(kp_backend, raw_alloc)},
    {"raw_free", offsetof(kp_backend, raw_free)},
    {"copy", offsetof(kp_backend, copy)},
    {"sync", offsetof(kp_backend, sync)},
    {"fill", offsetof(kp_backend, fill)},
    {"cast", offsetof(kp_backend, cast)},
    {"fill_uniform", offsetof(kp_backend, fill_uniform)},
    {"fill_normal", offsetof(kp_backend, fill_normal)},
    {"matmul", offsetof(kp_backend, matmul)},
    {"bmm", offsetof(kp_backend, bmm)},
    {"linear_fwd", offsetof(kp_backend, linear_fwd)},
    {"bias_add_fwd", offsetof(kp_backend, bias_add_fwd)},
    {"bias_add_bwd", offsetof(kp_backend, bias_add_bwd)},
    {"add_fwd", offsetof(kp_backend, add_fwd)},
    {"axpy", offsetof(kp_backend, axpy)},
    {"scale", offsetof(kp_backend, scale)},
    {"act_fwd", offsetof(kp_backend, act_fwd)},
    {"act_bwd", offsetof(kp_backend, act_bwd)},
    {"dropout_fwd", offsetof(kp_backend, dropout_fwd)},
    {"dropout_bwd", offsetof(kp_backend, dropout_bwd)},
    {"softmax_fwd", offsetof(kp_backend, softmax_fwd)},
    {"softmax_bwd", offsetof(kp_backend, softmax_bwd)},
    {"layernorm_fwd", offsetof(kp_backend, layernorm_fwd)},
    {"layernorm_bwd", offsetof(kp_backend, layernorm_bwd)},
    {"gather_fwd", offsetof(kp_backend, gather_fwd)},
    {"gather_bwd", offsetof(kp_backend, gather_bwd)},
    {"scatter_fwd", offsetof(kp_backend, scatter_fwd)},
    {"scatter_bwd", offsetof(kp_backend, scatter_bwd)},
    {"segment_fwd", offsetof(kp_backend, segment_fwd)},
    {"segment_bwd", offsetof(kp_backend, segment_bwd)},
    {"spmm_fwd", offsetof(kp_backend, spmm_fwd)},
    {"spmm_bwd", offsetof(kp_backend, spmm_bwd)},
    {"csr_dropout", offsetof(kp_backend, csr_dropout)},
    {"csr_linear_fwd", offsetof(kp_backend, csr_linear_fwd)},
    {"csr_linear_bwd", offsetof(kp_backend, csr_linear_bwd)},
    {"sddmm_fwd", offsetof(kp_backend, sddmm_fwd)},
    {"sddmm_bwd", offsetof(kp_backend, sddmm_bwd)},
    {"edge_softmax_fwd", offsetof(kp_backend, edge_softmax_fwd)},
    {"edge_softmax_bwd", offsetof(kp_backend, edge_softmax_bwd)},
    {"csr_release", offsetof(kp_backend, csr_release)},
    {"gat_attn_fwd", offsetof(kp_backend, gat_attn_fwd)},
    {"gat_attn_bwd", offsetof(kp_backend, gat_attn_bwd)},
    {"cross_entropy_fwd", offsetof(kp_backend, cross_entropy_fwd)},
    {"cross_entropy_bwd", offsetof(kp_backend, cross_entropy_bwd)},
    {"bce_logits_fwd", offsetof(kp_backend, bce_logits_fwd)},
    {"bce_logits_bwd", offsetof(kp_backend, bce_logits_bwd)},
    {"adam_step", offsetof(kp_backend, adam_step)},
    {"sgd_step", offsetof(kp_backend, sgd_step)},
    {"sumsq", offsetof(kp_backend, sumsq)},
};

bool kp_backend_supports(const kp_backend *b, const char *op) {
  for (size_t i = 0; i < sizeof kp_op_entries / sizeof kp_op_entries[0]; i++)
    if (strcmp(kp_op_entries[i].name, op) == 0) {
      void *fn;
      memcpy(&fn, (const char *)b + kp_op_entries[i].offset, sizeof fn);
      return fn != NULL;
    }
  return false;
}
