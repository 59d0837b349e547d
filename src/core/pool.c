/* The caching allocator: per device, freed blocks go to size-class free lists (four
 * classes per power of two, so at most 25% slack) and are handed out again, as PyTorch's
 * caching allocator does. Blocks in use are found by pointer in a chained hash table. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/backend.h"

#define KP_POOL_DEVICES 65 /* slot 0: CPU; 1 + i: cuda:i */
#define KP_POOL_CLASSES 224
#define KP_POOL_MIN 256

typedef struct kp_block {
  void *ptr;
  size_t size;
  int cls;
  struct kp_block *next; /* free list or hash chain */
} kp_block;

typedef struct kp_pool {
  pthread_mutex_t mu;
  kp_block *free_list[KP_POOL_CLASSES];
  kp_block **buckets; /* in-use blocks by pointer */
  size_t nbuckets, nused;
  kp_pool_stats stats;
} kp_pool;

static kp_pool pools[KP_POOL_DEVICES];
static pthread_once_t pools_once = PTHREAD_ONCE_INIT;

static void pools_init(void) {
  for (int i = 0; i < KP_POOL_DEVICES; i++) pthread_mutex_init(&pools[i].mu, NULL);
}

static kp_pool *pool_of(kp_device dev) {
  pthread_once(&pools_once, pools_init);
  if (dev.type == KP_DEV_CPU) return &pools[0];
  if (dev.type == KP_DEV_CUDA && dev.index >= 0 && dev.index < KP_POOL_DEVICES - 1) return &pools[1 + dev.index];
  return NULL;
}

/* Smallest class whose size is >= bytes. Class c has size 2^(8 + c/4) * (4 + c%4) / 4. */
static int size_class(size_t bytes) {
  if (bytes <= KP_POOL_MIN) return 0;
  int e = 63 - __builtin_clzll((unsigned long long)(bytes - 1)); /* 2^e < bytes <= 2^(e+1) */
  size_t base = (size_t)1 << e, step = base / 4;
  size_t m = (bytes - base + step - 1) / step; /* 1..4 */
  return (e - 8) * 4 + (int)m;
}

static size_t class_size(int c) { return ((size_t)1 << (8 + c / 4)) / 4 * (size_t)(4 + c % 4); }

static size_t hash_ptr(const void *p, size_t n) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)(x & (n - 1));
}

static int hash_grow(kp_pool *p) {
  size_t nb = p->nbuckets ? p->nbuckets * 2 : 256;
  kp_block **nbk = calloc(nb, sizeof *nbk);
  if (!nbk) return -1;
  for (size_t i = 0; i < p->nbuckets; i++) {
    kp_block *b = p->buckets[i];
    while (b) {
      kp_block *next = b->next;
      size_t h = hash_ptr(b->ptr, nb);
      b->next = nbk[h];
      nbk[h] = b;
      b = next;
    }
  }
  free(p->buckets);
  p->buckets = nbk;
  p->nbuckets = nb;
  return 0;
}

static void release_cached(kp_pool *p, const kp_backend *be, int index) {
  for (int c = 0; c < KP_POOL_CLASSES; c++) {
    kp_block *b = p->free_list[c];
    while (b) {
      kp_block *next = b->next;
      be->raw_free(index, b->ptr);
      p->stats.bytes_reserved -= b->size;
      free(b);
      b = next;
    }
    p->free_list[c] = NULL;
  }
}

kp_status kp_pool_alloc(kp_device dev, size_t bytes, void **ptr) {
  *ptr = NULL;
  kp_pool *p = pool_of(dev);
  const kp_backend *be;
  KP_TRY(kp_backend_for(dev, &be));
  if (!p) return kp_fail(KP_ERR_NO_DEVICE, "pool: device index %d out of range", dev.index);
  int c = size_class(bytes);
  if (c >= KP_POOL_CLASSES) return kp_fail(KP_ERR_NOMEM, "pool: %zu bytes requested", bytes);
  size_t sz = class_size(c);
  kp_status st = KP_OK;
  pthread_mutex_lock(&p->mu);
  if (p->nused + 1 > p->nbuckets && hash_grow(p) != 0) {
    pthread_mutex_unlock(&p->mu);
    return kp_fail(KP_ERR_NOMEM, "pool: out of host memory for the block table");
  }
  kp_block *b = p->free_list[c];
  if (b) {
    p->free_list[c] = b->next;
    p->stats.cache_hits++;
  } else {
    b = malloc(sizeof *b);
    void *mem = NULL;
    if (!b) {
      st = kp_fail(KP_ERR_NOMEM, "pool: out of host memory");
    } else {
      st = be->raw_alloc(dev.index, sz, &mem);
      if (st == KP_ERR_NOMEM) { /* give the cache back and try once more */
        release_cached(p, be, dev.index);
        st = be->raw_alloc(dev.index, sz, &mem);
      }
    }
    if (st != KP_OK) {
      free(b);
      pthread_mutex_unlock(&p->mu);
      return kp_fail_context(st, "pool: allocating %zu bytes", sz);
    }
    b->ptr = mem;
    b->size = sz;
    b->cls = c;
    p->stats.system_allocs++;
    p->stats.bytes_reserved += sz;
  }
  size_t h = hash_ptr(b->ptr, p->nbuckets);
  b->next = p->buckets[h];
  p->buckets[h] = b;
  p->nused++;
  p->stats.bytes_in_use += b->size;
  if (p->stats.bytes_in_use > p->stats.peak_in_use) p->stats.peak_in_use = p->stats.bytes_in_use;
  *ptr = b->ptr;
  pthread_mutex_unlock(&p->mu);
  return KP_OK;
}

void kp_pool_free(kp_device dev, void *ptr) {
  if (!ptr) return;
  kp_pool *p = pool_of(dev);
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  if (p->nbuckets) {
    size_t h = hash_ptr(ptr, p->nbuckets);
    kp_block **link = &p->buckets[h];
    while (*link && (*link)->ptr != ptr) link = &(*link)->next;
    kp_block *b = *link;
    if (b) {
      *link = b->next;
      p->nused--;
      p->stats.bytes_in_use -= b->size;
      b->next = p->free_list[b->cls];
      p->free_list[b->cls] = b;
    }
  }
  pthread_mutex_unlock(&p->mu);
}

void kp_pool_get_stats(kp_device dev, kp_pool_stats *s) {
  kp_pool *p = pool_of(dev);
  memset(s, 0, sizeof *s);
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  *s = p->stats;
  pthread_mutex_unlock(&p->mu);
}

void kp_pool_trim(kp_device dev) {
  kp_pool *p = pool_of(dev);
  const kp_backend *be;
  if (!p || kp_backend_for(dev, &be) != KP_OK) return;
  pthread_mutex_lock(&p->mu);
  release_cached(p, be, dev.index);
  pthread_mutex_unlock(&p->mu);
}
