/* Errors as values: every library call returns a kp_status and, on failure, leaves a
 * one-line message with context (op, tensor, file, position) in a thread-local buffer. */
#ifndef KPRCA_STATUS_H
#define KPRCA_STATUS_H
#ifdef __cplusplus
extern "C" {
#endif

typedef enum kp_status {
  KP_OK = 0,
  KP_ERR_INVALID = 1,     /* bad argument, shape, dtype or input value */
  KP_ERR_NOMEM = 2,       /* host or device allocation failed */
  KP_ERR_IO = 3,          /* file system error */
  KP_ERR_FORMAT = 4,      /* malformed file or data */
  KP_ERR_UNSUPPORTED = 5, /* op or feature not available on this backend/build */
  KP_ERR_NO_DEVICE = 6,   /* the requested device does not exist here */
  KP_ERR_DEVICE = 7,      /* CUDA / cuBLAS / cuSPARSE runtime failure */
  KP_ERR_INTERNAL = 8     /* a bug in kprca */
} kp_status;

/** Records a formatted message for the calling thread and returns s (use: return kp_fail(...)). */
kp_status kp_fail(kp_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Prefixes the current message with context ("while loading x.h5: ...") and returns s. */
kp_status kp_fail_context(kp_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** The last message recorded on this thread ("" when none). */
const char *kp_last_error(void);
/** Clears this thread's message. */
void kp_clear_error(void);
/** A short name for a status ("invalid argument", ...). */
const char *kp_status_name(kp_status s);

/* Propagate a failure: KP_TRY(kp_matmul(...)); */
#define KP_TRY(expr)                  \
  do {                                \
    kp_status kp_try_s_ = (expr);     \
    if (kp_try_s_ != KP_OK) return kp_try_s_; \
  } while (0)

#ifdef __cplusplus
}
#endif
#endif
