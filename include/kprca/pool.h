/* A caching allocator per device. Freed blocks stay in size-class free lists and are
 * reused, so after the first training step a step makes no system allocation. */
#ifndef KPRCA_POOL_H
#define KPRCA_POOL_H
#include <stddef.h>
#include <stdint.h>
#include "kprca/device.h"
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_pool_stats {
  uint64_t system_allocs;  /* blocks obtained from malloc / cudaMalloc */
  uint64_t cache_hits;     /* allocations served from the free lists */
  uint64_t bytes_reserved; /* bytes held from the system (in use + cached) */
  uint64_t bytes_in_use;   /* bytes handed out and not yet freed */
  uint64_t peak_in_use;    /* high-water mark of bytes_in_use */
} kp_pool_stats;

/** Allocates bytes (64-byte aligned on CPU, 256 on CUDA) on dev; bytes == 0 gives a valid unique block. */
kp_status kp_pool_alloc(kp_device dev, size_t bytes, void **ptr);
/** Returns ptr (from kp_pool_alloc on dev) to dev's cache; NULL is ignored. */
void kp_pool_free(kp_device dev, void *ptr);
/** Snapshot of dev's counters. */
void kp_pool_get_stats(kp_device dev, kp_pool_stats *s);
/** Gives every cached (free) block of dev back to the system. */
void kp_pool_trim(kp_device dev);

#ifdef __cplusplus
}
#endif
#endif
