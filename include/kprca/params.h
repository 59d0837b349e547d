/* A model's parameters in ONE flat f32 buffer, with a table of (name, shape, offset) and a
 * gradient buffer of the same layout (DESIGN.md §3 "flat parameter buffers"). Names follow
 * PyTorch state_dict keys ("convs.0.lin.weight", "convs.0.att_src", "head.0.bias"), so a
 * checkpoint, an optimizer step, gradient clipping or an export is a loop over one table.
 * Each entry starts at a multiple of 16 floats (64 bytes); the gaps hold zeros in both
 * buffers and stay zero under every optimizer step. */
#ifndef KPRCA_PARAMS_H
#define KPRCA_PARAMS_H
#include <stdint.h>
#include "kprca/rng.h"
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

#define KP_PARAM_NAME_MAX 96
#define KP_PARAM_ALIGN 16 /* floats */

/* How kp_params_init_values fills an entry. */
typedef enum kp_init {
  KP_INIT_ZEROS = 0,
  KP_INIT_ONES = 1,
  KP_INIT_UNIFORM = 2 /* U(-bound, bound): PyG's glorot (bound = sqrt(6 / (fan_a + fan_b))) or torch.nn.Linear's
                         default (bound = 1 / sqrt(fan_in), for weight and bias alike) */
} kp_init;

typedef struct kp_param {
  char name[KP_PARAM_NAME_MAX];
  int ndim;
  int64_t shape[KP_MAX_DIMS];
  int64_t numel;
  int64_t offset; /* in floats, into the flat buffers */
  kp_init init;
  float bound; /* for KP_INIT_UNIFORM */
} kp_param;

typedef struct kp_params {
  kp_param *items;
  int count, cap;
  int64_t total; /* floats in each flat buffer, alignment gaps included */
  kp_device device;
  kp_tensor data; /* f32 [total], allocated by kp_params_alloc */
  kp_tensor grad; /* f32 [total], same layout */
} kp_params;

/** An empty table for device dev (nothing allocated yet). */
void kp_params_init(kp_params *p, kp_device dev);
/** Declares an entry (before kp_params_alloc); names are unique, 1 <= ndim <= 4, sizes >= 1. *index (may be NULL)
 *  receives its position in the table. */
kp_status kp_params_add(kp_params *p, const char *name, int ndim, const int64_t *shape, kp_init init, float bound,
                        int *index);
/** Allocates the value and gradient buffers (zero-filled) once every entry is declared. */
kp_status kp_params_alloc(kp_params *p);
/** Releases both buffers and the table. */
void kp_params_free(kp_params *p);
/** Index of the entry called name, or -1. */
int kp_params_find(const kp_params *p, const char *name);
/** Elements in all entries (the model's parameter count, gaps excluded). */
int64_t kp_params_numel(const kp_params *p);
/** A non-owning view of entry i's values (or of its gradient) with the entry's shape. */
kp_tensor kp_params_value(const kp_params *p, int i);
kp_tensor kp_params_grad(const kp_params *p, int i);
/** Sets every gradient to zero. */
kp_status kp_params_zero_grad(kp_params *p);
/** Fills every entry by its init rule, in table order: entry i draws from (r->seed, r->offset) and r advances
 *  past it, so a seed fixes every value on any device. */
kp_status kp_params_init_values(kp_params *p, kp_rng *r);
/** Copies host floats into entry i (n must equal its numel), e.g. weights read from a fixture or a checkpoint. */
kp_status kp_params_set(kp_params *p, int i, const float *src, int64_t n);
/** Copies entry i (value, or gradient when grad is true) into host memory dst of n floats. */
kp_status kp_params_get(const kp_params *p, int i, bool grad, float *dst, int64_t n);

/** glorot/xavier-uniform bound sqrt(6 / (fan_a + fan_b)), PyG's `glorot` over the last two dimensions. */
float kp_glorot_bound(int64_t fan_a, int64_t fan_b);

#ifdef __cplusplus
}
#endif
#endif
