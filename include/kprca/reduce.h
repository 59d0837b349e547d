/* Reductions shared by scatter, segment pooling and sparse aggregation. */
#ifndef KPRCA_REDUCE_H
#define KPRCA_REDUCE_H
#ifdef __cplusplus
extern "C" {
#endif
typedef enum kp_reduce { KP_REDUCE_SUM = 0, KP_REDUCE_MEAN = 1, KP_REDUCE_MAX = 2 } kp_reduce;
/** Name of a reduction ("sum", "mean", "max"). */
const char *kp_reduce_name(kp_reduce r);
#ifdef __cplusplus
}
#endif
#endif
