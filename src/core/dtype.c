/* Element type sizes and names. */
#include "kprca/dtype.h"

size_t kp_dtype_size(kp_dtype dt) {
  switch (dt) {
    case KP_F32: return 4;
    case KP_BF16: return 2;
    case KP_F16: return 2;
    case KP_I32: return 4;
    case KP_I64: return 8;
  }
  return 0;
}

const char *kp_dtype_name(kp_dtype dt) {
  switch (dt) {
    case KP_F32: return "f32";
    case KP_BF16: return "bf16";
    case KP_F16: return "f16";
    case KP_I32: return "i32";
    case KP_I64: return "i64";
  }
  return "?";
}
