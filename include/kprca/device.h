/* Devices: the CPU and CUDA GPUs. A binary built with CUDA runs on machines without a
 * GPU; it simply finds zero CUDA devices there. */
#ifndef KPRCA_DEVICE_H
#define KPRCA_DEVICE_H
#include <stdbool.h>
#include <stddef.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum kp_device_type { KP_DEV_CPU = 0, KP_DEV_CUDA = 1 } kp_device_type;

typedef struct kp_device {
  kp_device_type type;
  int index; /* CUDA ordinal; 0 for the CPU */
} kp_device;

/** The CPU device. */
kp_device kp_cpu(void);
/** CUDA device number index (not checked; see kp_device_parse). */
kp_device kp_cuda(int index);
/** True when a and b are the same device. */
bool kp_device_eq(kp_device a, kp_device b);
/** Parses "auto", "cpu", "cuda" or "cuda:N"; auto picks cuda:0 when a GPU is usable, else cpu; asking for a missing GPU fails with KP_ERR_NO_DEVICE. */
kp_status kp_device_parse(const char *spec, kp_device *out);
/** Writes "cpu" or "cuda:N" into buf and returns buf. */
const char *kp_device_str(kp_device d, char *buf, size_t n);
/** True when this build contains the CUDA backend. */
bool kp_cuda_compiled(void);
/** Number of usable CUDA devices (0 without the backend, a driver or a GPU). */
int kp_cuda_device_count(void);
/** Why no CUDA device is usable ("" when one is): no backend, no driver, no GPU. */
const char *kp_cuda_unavailable_reason(void);
/** Fills buf with the name, memory and compute capability of CUDA device index. */
kp_status kp_cuda_device_info(int index, char *buf, size_t n);
/** Waits for all queued work on d to finish and reports any asynchronous error. */
kp_status kp_device_sync(kp_device d);

#ifdef __cplusplus
}
#endif
#endif
