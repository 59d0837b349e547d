/* Element types of tensors. */
#ifndef KPRCA_DTYPE_H
#define KPRCA_DTYPE_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef enum kp_dtype { KP_F32 = 0, KP_BF16 = 1, KP_F16 = 2, KP_I32 = 3, KP_I64 = 4 } kp_dtype;

/** Bytes per element of dt. */
size_t kp_dtype_size(kp_dtype dt);
/** Lower-case name of dt ("f32", "bf16", ...). */
const char *kp_dtype_name(kp_dtype dt);

#ifdef __cplusplus
}
#endif
#endif
