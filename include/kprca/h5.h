/* HDF5 files for kprca datasets: atomic creation (temp file, fsync, rename), chunked arrays
 * compressed with shuffle + gzip, variable-length UTF-8 strings, string and integer
 * attributes. HDF5's own error printing is silenced; every failure becomes a kp_status whose
 * message names the file and the dataset. Not thread-safe (neither is serial HDF5). */
#ifndef KPRCA_H5_H
#define KPRCA_H5_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

/* Element types of numeric datasets (stored little-endian). */
typedef enum kp_h5_type { KP_H5_F32 = 0, KP_H5_I32 = 1, KP_H5_I64 = 2, KP_H5_I8 = 3, KP_H5_F64 = 4 } kp_h5_type;

#define KP_H5_MAX_DIMS 2 /* ranks kp_h5_shape reports (the dataset files' arrays) */
#define KP_H5_MAX_RANK 4 /* ranks kp_h5_write, kp_h5_read and kp_h5_shape_nd handle (e.g. model parameters) */
#define KP_H5_GZIP_LEVEL 4 /* h5py's default gzip level */

/* An open HDF5 file, either being written (kp_h5_create) or read (kp_h5_open). */
typedef struct kp_h5 kp_h5;

/* A list of NUL-terminated UTF-8 strings. */
typedef struct kp_strings {
  int64_t n;
  char **s;     /* s[0..n) */
  char *arena_; /* non-NULL: every s[i] points into this one block; NULL: each s[i] is its own malloc */
} kp_strings;

/** Copies n strings into dst (one block); a NULL source string is an error. */
kp_status kp_strings_copy(kp_strings *dst, int64_t n, const char *const *src);
/** Frees the strings and clears s; NULL or an empty struct is fine. */
void kp_strings_free(kp_strings *s);
/** Bytes of a element type. */
int kp_h5_type_size(kp_h5_type t);
/** Name of an element type ("f32", "i32", "i64", "i8", "f64"). */
const char *kp_h5_type_name(kp_h5_type t);

/** Starts writing path: the data goes to "path.tmp-XXXXXX" in the same folder until kp_h5_commit.
 *  An existing file at path is untouched until the commit. */
kp_status kp_h5_create(const char *path, kp_h5 **out);
/** Closes, fsyncs and renames the temporary file onto path, then frees h (also on failure, when the
 *  temporary file is removed). */
kp_status kp_h5_commit(kp_h5 *h);
/** Abandons a file being written: closes and removes the temporary file and frees h; NULL is fine.
 *  Also closes a file opened for reading. */
void kp_h5_abort(kp_h5 *h);
/** Opens an existing file read-only; fails with KP_ERR_IO (missing/unreadable) or KP_ERR_FORMAT (not HDF5). */
kp_status kp_h5_open(const char *path, kp_h5 **out);
/** Closes a file opened by kp_h5_open (a file being written is aborted); NULL is fine. */
void kp_h5_close(kp_h5 *h);
/** The path given at create/open (used in messages). */
const char *kp_h5_path(const kp_h5 *h);

/** Writes a numeric dataset of rank 1..KP_H5_MAX_RANK (chunked, shuffle + gzip; see kp_h5_set_gzip).
 *  name may hold groups ("labels/ids"), created as needed. data holds shape[0]*...*shape[ndim-1] elements of type t. */
kp_status kp_h5_write(kp_h5 *h, const char *name, kp_h5_type t, int ndim, const int64_t *shape, const void *data);
/** Writes n strings as a 1-D variable-length UTF-8 string dataset (chunked, gzip). Invalid UTF-8 is
 *  written repaired (U+FFFD), so h5py always decodes it. */
kp_status kp_h5_write_strings(kp_h5 *h, const char *name, int64_t n, const char *const *s);
/** Sets a UTF-8 string attribute (variable length, as h5py writes str) on object obj ("/" = the file). */
kp_status kp_h5_set_attr_str(kp_h5 *h, const char *obj, const char *key, const char *value);
/** Sets a 64-bit integer attribute on object obj ("/" = the file). */
kp_status kp_h5_set_attr_int(kp_h5 *h, const char *obj, const char *key, int64_t value);

/** True when a dataset or group called name exists (every group along the path included). */
bool kp_h5_exists(kp_h5 *h, const char *name);
/** The rank and dimensions of dataset name (shape holds KP_H5_MAX_DIMS entries; a rank above that is an error). */
kp_status kp_h5_shape(kp_h5 *h, const char *name, int *ndim, int64_t *shape);
/** Reads a numeric dataset of rank ndim into a new malloc'd buffer of type t (caller frees *data);
 *  shape receives ndim sizes. Integers of any width/sign convert to integer types when every value
 *  fits (else an error naming the position); integers and floats convert to f32 and f64; boolean enums (as
 *  h5py writes numpy bool) read as integers; floats never read as integers. */
kp_status kp_h5_read(kp_h5 *h, const char *name, kp_h5_type t, int ndim, int64_t *shape, void **data);
/** Reads a 1-D string dataset (variable or fixed length) into out; invalid UTF-8 is repaired (U+FFFD). */
kp_status kp_h5_read_strings(kp_h5 *h, const char *name, kp_strings *out);
/** Reads string attribute key of obj into a new malloc'd string (caller frees). */
kp_status kp_h5_get_attr_str(kp_h5 *h, const char *obj, const char *key, char **value);
/** Reads integer attribute key of obj. */
kp_status kp_h5_get_attr_int(kp_h5 *h, const char *obj, const char *key, int64_t *value);
/** Checks the file's root attributes: format == expect_format and 1 <= version <= max_version;
 *  *version (may be NULL) receives the version. Errors name the file and the attribute. */
kp_status kp_h5_check_format(kp_h5 *h, const char *expect_format, int64_t max_version, int64_t *version);

/** Sets the gzip level (0..9) of the numeric datasets written from now on; 0 stores them uncompressed and
 *  unfiltered (contiguous), for data that does not compress, such as trained weights. Default KP_H5_GZIP_LEVEL. */
kp_status kp_h5_set_gzip(kp_h5 *h, int level);
/** Turns the Fletcher-32 checksum filter on or off for the numeric datasets written from now on (default off);
 *  a read of a damaged chunk then fails instead of returning wrong numbers. */
kp_status kp_h5_set_checksum(kp_h5 *h, bool on);
/** The rank (0..KP_H5_MAX_RANK; 0 for a scalar) and dimensions of dataset name; shape holds KP_H5_MAX_RANK entries. */
kp_status kp_h5_shape_nd(kp_h5 *h, const char *name, int *ndim, int64_t *shape);
/** Writes one number of type t (read from *value) as a scalar (rank 0) dataset, as h5py writes a numpy scalar. */
kp_status kp_h5_write_scalar(kp_h5 *h, const char *name, kp_h5_type t, const void *value);
/** Reads a scalar dataset into *value of type t: integers into integer types (a uint64 into i64 keeps its bit
 *  pattern; other values must fit), integers and floats into f32/f64; floats never into integers. */
kp_status kp_h5_read_scalar(kp_h5 *h, const char *name, kp_h5_type t, void *value);
/** Writes a text as a scalar variable-length UTF-8 string dataset (invalid UTF-8 written repaired). */
kp_status kp_h5_write_text(kp_h5 *h, const char *name, const char *text);
/** Reads a scalar string dataset (variable or fixed length) into a new malloc'd string (caller frees). */
kp_status kp_h5_read_text(kp_h5 *h, const char *name, char **text);
/** Names of the direct members (datasets and groups) of group ("/" = the file), in name order. */
kp_status kp_h5_list(kp_h5 *h, const char *group, kp_strings *names);

#ifdef __cplusplus
}
#endif
#endif
