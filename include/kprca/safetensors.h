/* safetensors files (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N,
 * N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {...}},
 * then the tensor bytes. The reader maps the file and checks every field as untrusted input; the writer
 * lays files out as the reference implementation does (byte-identical for the same tensors). */
#ifndef KPRCA_SAFETENSORS_H
#define KPRCA_SAFETENSORS_H
#include <stddef.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

#define KP_ST_MAX_DIMS 8
#define KP_ST_MAX_HEADER 100000000ULL /* the reference implementation's limit on N */

/* Element types a safetensors file may declare (names as in the file: "F32", "BF16", ...). */
typedef enum kp_st_dtype {
  KP_ST_BOOL, KP_ST_U8, KP_ST_I8, KP_ST_F8_E5M2, KP_ST_F8_E4M3, KP_ST_F8_E8M0,
  KP_ST_I16, KP_ST_U16, KP_ST_F16, KP_ST_BF16, KP_ST_I32, KP_ST_U32, KP_ST_F32,
  KP_ST_F64, KP_ST_I64, KP_ST_U64,
  KP_ST_NDTYPES
} kp_st_dtype;

/* One tensor of an open file; data points into the mapping (little-endian, maybe unaligned). */
typedef struct kp_st_tensor {
  const char *name;
  kp_st_dtype dtype;
  int ndim; /* 0 for a scalar */
  int64_t shape[KP_ST_MAX_DIMS];
  int64_t numel;
  uint64_t begin, end; /* byte offsets into the data section, as in the header */
  const void *data;
} kp_st_tensor;

typedef struct kp_safetensors kp_safetensors;

/** The file's name of dt ("F32", "BF16", ...). */
const char *kp_st_dtype_name(kp_st_dtype dt);
/** Bytes per element of dt. */
size_t kp_st_dtype_size(kp_st_dtype dt);
/** Parses a dtype name; KP_ERR_FORMAT for an unknown one. */
kp_status kp_st_dtype_parse(const char *name, kp_st_dtype *out);

/** Opens and maps path, validating header length, JSON, dtypes, shapes and offsets (in range, contiguous,
 *  non-overlapping, covering the data exactly); errors name the file, the tensor and the problem. */
kp_status kp_st_open(const char *path, kp_safetensors **out);
/** Unmaps and frees (NULL is fine). Tensor pointers from this file die with it. */
void kp_st_close(kp_safetensors *st);
/** The path the file was opened from. */
const char *kp_st_path(const kp_safetensors *st);
/** Number of tensors (the __metadata__ entry excluded). */
size_t kp_st_count(const kp_safetensors *st);
/** Tensor i, in the order of the data (by begin offset). */
const kp_st_tensor *kp_st_at(const kp_safetensors *st, size_t i);
/** The tensor called name, or NULL. */
const kp_st_tensor *kp_st_find(const kp_safetensors *st, const char *name);
/** Number of __metadata__ entries. */
size_t kp_st_metadata_count(const kp_safetensors *st);
/** The i-th __metadata__ key and value (in file order). */
void kp_st_metadata_at(const kp_safetensors *st, size_t i, const char **key, const char **value);
/** The __metadata__ value for key, or NULL. */
const char *kp_st_metadata(const kp_safetensors *st, const char *key);
/** Converts t to f32 into dst of n floats (n == t->numel): F32/F16/BF16/F64 and the integer and bool types. */
kp_status kp_st_to_f32(const kp_st_tensor *t, float *dst, int64_t n);

/* One tensor to write: raw little-endian bytes of numel(shape) elements of dtype. */
typedef struct kp_st_entry {
  const char *name;
  kp_st_dtype dtype;
  int ndim;
  const int64_t *shape;
  const void *data;
} kp_st_entry;

/** Writes n tensors (+ metadata pairs meta[2k] = key, meta[2k+1] = value, k < nmeta) to path atomically
 *  (temporary file, fsync, rename). Data is ordered as the reference implementation orders it (wider dtypes
 *  first, then by name), the header lists __metadata__ (keys sorted) then tensors in data order, and is
 *  padded with spaces to a multiple of 8 bytes. Names must be unique and non-empty. */
kp_status kp_st_write(const char *path, const kp_st_entry *entries, size_t n, const char *const *meta,
                      size_t nmeta);

#ifdef __cplusplus
}
#endif
#endif
