/* train.class_weights for any trainer: none, balanced (n / (C * count) over the training items, as
 * scikit-learn's compute_class_weight), or an explicit list of C values. */
#ifndef KPRCA_CLASS_WEIGHTS_H
#define KPRCA_CLASS_WEIGHTS_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/config.h"
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/** Resolves train.class_weights into an f32 [C] tensor on dev (*use true), or leaves *out untouched and *use false
 *  for none. train_labels holds the labels (in [0, C)) of the n training items; where names the dataset in errors. */
kp_status kp_class_weights_from_config(const kp_config *cfg, const int32_t *train_labels, int64_t n, int64_t C,
                                       const char *where, kp_device dev, kp_tensor *out, bool *use);

#ifdef __cplusplus
}
#endif
#endif
