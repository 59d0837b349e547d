/* HDF5 datasets: chunked + shuffle + gzip numeric arrays and UTF-8 string lists, written and
 * read back with type checks (no silent float->int or overflowing integer conversions). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data/h5_internal.h"
#include "kprca/linereader.h"

#define CHUNK_BYTES (256 * 1024)

hid_t kp_h5_mem_type_(kp_h5_type t) {
  switch (t) {
    case KP_H5_F32:
      return H5T_NATIVE_FLOAT;
    case KP_H5_I32:
      return H5T_NATIVE_INT32;
    case KP_H5_I64:
      return H5T_NATIVE_INT64;
    case KP_H5_I8:
      return H5T_NATIVE_INT8;
    case KP_H5_F64:
      return H5T_NATIVE_DOUBLE;
  }
  return -1;
}

hid_t kp_h5_file_type_(kp_h5_type t) {
  switch (t) {
    case KP_H5_F32:
      return H5T_IEEE_F32LE;
    case KP_H5_I32:
      return H5T_STD_I32LE;
    case KP_H5_I64:
      return H5T_STD_I64LE;
    case KP_H5_I8:
      return H5T_STD_I8LE;
    case KP_H5_F64:
      return H5T_IEEE_F64LE;
  }
  return -1;
}

static hsize_t clamp(hsize_t v, hsize_t lo, hsize_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Creates dataset name of file type ft and the given shape, chunked (~256 KiB) with shuffle + gzip
 * (no gzip at level 0) and Fletcher-32 when the file asks for it; contiguous when no filter is left
 * and the dataset is not empty. */
static kp_status create(kp_h5 *h, const char *name, hid_t ft, size_t elsize, int ndim, const int64_t *shape,
                        hid_t *out) {
  kp_h5_quiet_();
  *out = -1;
  const char *path = kp_h5_path(h);
  if (!kp_h5_writing_(h)) return kp_fail(KP_ERR_INVALID, "%s: dataset '%s': the file is open for reading", path, name);
  if (ndim < 1 || ndim > KP_H5_MAX_RANK)
    return kp_fail(KP_ERR_INVALID, "%s: dataset '%s': rank %d not supported (1..%d)", path, name, ndim, KP_H5_MAX_RANK);
  if (kp_h5_exists(h, name)) return kp_fail(KP_ERR_INVALID, "%s: dataset '%s' already exists", path, name);
  hsize_t dims[KP_H5_MAX_RANK], maxd[KP_H5_MAX_RANK], chunk[KP_H5_MAX_RANK];
  bool empty = false;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0) return kp_fail(KP_ERR_INVALID, "%s: dataset '%s': negative size", path, name);
    dims[d] = (hsize_t)shape[d];
    empty |= shape[d] == 0;
  }
  /* a chunk may not exceed a fixed maximum size, so empty datasets get unlimited dimensions */
  for (int d = 0; d < ndim; d++) maxd[d] = empty ? H5S_UNLIMITED : dims[d];
  /* chunks span whole trailing dimensions as far as the target size allows */
  hsize_t target = CHUNK_BYTES / elsize, room = target;
  for (int d = ndim - 1; d >= 0; d--) {
    chunk[d] = clamp(dims[d], 1, clamp(room, 1, target));
    room /= chunk[d];
  }
  int level = kp_h5_gzip_(h);
  bool sum = kp_h5_checksum_(h) && H5Tis_variable_str(ft) <= 0; /* HDF5 cannot checksum variable-length data */
  hid_t sp = H5Screate_simple(ndim, dims, maxd);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  herr_t e = 0;
  if (level > 0 || sum || empty) e = H5Pset_chunk(dcpl, ndim, chunk);
  if (e >= 0 && level > 0) e = H5Pset_shuffle(dcpl);
  if (e >= 0 && level > 0) e = H5Pset_deflate(dcpl, (unsigned)level);
  if (e >= 0 && sum) e = H5Pset_fletcher32(dcpl);
  hid_t d = e < 0 ? -1 : H5Dcreate2(kp_h5_file_(h), name, ft, sp, lcpl, dcpl, H5P_DEFAULT);
  kp_status s = d < 0 ? kp_h5_fail_(KP_ERR_IO, h, name, "cannot create") : KP_OK; /* before other calls */
  H5Pclose(lcpl);
  H5Pclose(dcpl);
  H5Sclose(sp);
  *out = d;
  return s;
}

kp_status kp_h5_write(kp_h5 *h, const char *name, kp_h5_type t, int ndim, const int64_t *shape, const void *data) {
  if (kp_h5_type_size(t) == 0)
    return kp_fail(KP_ERR_INVALID, "%s: dataset '%s': bad element type", kp_h5_path(h), name);
  hid_t d;
  KP_TRY(create(h, name, kp_h5_file_type_(t), (size_t)kp_h5_type_size(t), ndim, shape, &d));
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  kp_status s = KP_OK;
  if (n > 0 && !data)
    s = kp_fail(KP_ERR_INVALID, "%s: dataset '%s': data is NULL", kp_h5_path(h), name);
  else if (n > 0 && H5Dwrite(d, kp_h5_mem_type_(t), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    s = kp_h5_fail_(KP_ERR_IO, h, name, "write failed");
  H5Dclose(d);
  return s;
}

kp_status kp_h5_write_strings(kp_h5 *h, const char *name, int64_t n, const char *const *s) {
  for (int64_t i = 0; i < n; i++)
    if (!s[i])
      return kp_fail(KP_ERR_INVALID, "%s: dataset '%s': string %lld is NULL", kp_h5_path(h), name, (long long)i);
  /* h5py decodes UTF-8 strictly: write a repaired copy */
  kp_strings clean;
  KP_TRY(kp_strings_build_(&clean, n, s, NULL, true));
  hid_t t = kp_h5_vlen_utf8_(), d;
  kp_status st = create(h, name, t, 16, 1, &n, &d);
  if (st == KP_OK) {
    if (n > 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, clean.s) < 0)
      st = kp_h5_fail_(KP_ERR_IO, h, name, "write failed");
    H5Dclose(d);
  }
  H5Tclose(t);
  kp_strings_free(&clean);
  return st;
}

/* Opens dataset name for reading: a missing one is KP_ERR_FORMAT naming it. */
static kp_status open_ds(kp_h5 *h, const char *name, hid_t *d) {
  kp_h5_quiet_();
  if (!kp_h5_exists(h, name)) {
    *d = -1;
    return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' missing", kp_h5_path(h), name);
  }
  *d = H5Dopen2(kp_h5_file_(h), name, H5P_DEFAULT);
  if (*d < 0) return kp_h5_fail_(KP_ERR_FORMAT, h, name, "cannot open (not a dataset?)");
  return KP_OK;
}

static kp_status ds_shape(kp_h5 *h, const char *name, hid_t d, int maxr, int *ndim, int64_t *shape) {
  hid_t sp = H5Dget_space(d);
  int r = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
  if (r < 0) {
    kp_status s = kp_h5_fail_(KP_ERR_FORMAT, h, name, "cannot read the shape");
    if (sp >= 0) H5Sclose(sp);
    return s;
  }
  hsize_t dims[H5S_MAX_RANK];
  if (r <= maxr) H5Sget_simple_extent_dims(sp, dims, NULL);
  H5Sclose(sp);
  if (r > maxr)
    return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' has %d dimensions (at most %d supported)", kp_h5_path(h), name, r,
                   maxr);
  *ndim = r;
  for (int i = 0; i < r; i++) shape[i] = (int64_t)dims[i];
  return KP_OK;
}

/* The rank (at most maxr) and dimensions of dataset name. */
static kp_status shape_upto(kp_h5 *h, const char *name, int maxr, int *ndim, int64_t *shape) {
  hid_t d;
  KP_TRY(open_ds(h, name, &d));
  kp_status s = ds_shape(h, name, d, maxr, ndim, shape);
  H5Dclose(d);
  return s;
}

kp_status kp_h5_shape(kp_h5 *h, const char *name, int *ndim, int64_t *shape) {
  return shape_upto(h, name, KP_H5_MAX_DIMS, ndim, shape);
}

kp_status kp_h5_shape_nd(kp_h5 *h, const char *name, int *ndim, int64_t *shape) {
  return shape_upto(h, name, KP_H5_MAX_RANK, ndim, shape);
}

static const char *class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER:
      return "integers";
    case H5T_FLOAT:
      return "floating-point values";
    case H5T_STRING:
      return "strings";
    case H5T_ENUM:
      return "enum values";
    case H5T_COMPOUND:
      return "compound records";
    default:
      return "values of an unsupported type";
  }
}

/* Position of flat element i in a dataset of the given shape, as "[i]" or "[r, c]". */
static const char *pos_str(char *buf, size_t cap, int ndim, const int64_t *shape, int64_t i) {
  if (ndim == 2 && shape[1] > 0)
    snprintf(buf, cap, "[%" PRId64 ", %" PRId64 "]", i / shape[1], i % shape[1]);
  else
    snprintf(buf, cap, "[%" PRId64 "]", i);
  return buf;
}

/* Reads integers of any width/sign (or an integer-based enum) through 64 bits and narrows them
 * into out (type t), failing on the first value that does not fit. */
static kp_status read_checked(kp_h5 *h, const char *name, hid_t d, hid_t ft, kp_h5_type t, int ndim,
                              const int64_t *shape, int64_t n, void *out) {
  H5T_class_t cls = H5Tget_class(ft);
  hid_t base = cls == H5T_ENUM ? H5Tget_super(ft) : H5Tcopy(ft);
  bool is_unsigned = H5Tget_sign(base) == H5T_SGN_NONE;
  size_t bsize = H5Tget_size(base);
  kp_status s = KP_OK;
  if (H5Tget_class(base) != H5T_INTEGER || bsize > 8) {
    H5Tclose(base);
    return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' holds %s, expected integers", kp_h5_path(h), name, class_name(cls));
  }
  /* enum: read the raw base integers through the enum's native twin; else let HDF5 widen */
  hid_t mt = cls == H5T_ENUM ? H5Tget_native_type(ft, H5T_DIR_ASCEND)
                             : H5Tcopy(is_unsigned ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64);
  size_t msize = cls == H5T_ENUM ? bsize : 8;
  void *raw = malloc((size_t)(n ? n : 1) * msize);
  if (!raw)
    s = kp_fail(KP_ERR_NOMEM, "%s: dataset '%s': out of memory", kp_h5_path(h), name);
  else if (n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)
    s = kp_h5_fail_(KP_ERR_FORMAT, h, name, "read failed");
  int64_t lo = t == KP_H5_I8 ? INT8_MIN : t == KP_H5_I32 ? INT32_MIN : INT64_MIN;
  int64_t hi = t == KP_H5_I8 ? INT8_MAX : t == KP_H5_I32 ? INT32_MAX : INT64_MAX;
  for (int64_t i = 0; s == KP_OK && i < n; i++) {
    int64_t v;
    bool big = false; /* an unsigned value above INT64_MAX */
    const unsigned char *p = (const unsigned char *)raw + (size_t)i * msize;
    if (msize == 8) {
      uint64_t u;
      memcpy(&u, p, 8);
      big = is_unsigned && u > (uint64_t)INT64_MAX;
      v = (int64_t)u;
    } else if (msize == 4) {
      v = is_unsigned ? (int64_t) * (const uint32_t *)p : (int64_t) * (const int32_t *)p;
    } else if (msize == 2) {
      v = is_unsigned ? (int64_t) * (const uint16_t *)p : (int64_t) * (const int16_t *)p;
    } else {
      v = is_unsigned ? (int64_t) * (const uint8_t *)p : (int64_t) * (const int8_t *)p;
    }
    if (big || v < lo || v > hi) {
      char pos[64];
      char val[32];
      if (big)
        snprintf(val, sizeof val, "%" PRIu64, (uint64_t)v);
      else
        snprintf(val, sizeof val, "%" PRId64, v);
      s = kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' %s = %s does not fit in %s", kp_h5_path(h), name,
                  pos_str(pos, sizeof pos, ndim, shape, i), val, kp_h5_type_name(t));
      break;
    }
    if (t == KP_H5_I8)
      ((int8_t *)out)[i] = (int8_t)v;
    else if (t == KP_H5_I32)
      ((int32_t *)out)[i] = (int32_t)v;
    else
      ((int64_t *)out)[i] = v;
  }
  free(raw);
  H5Tclose(mt);
  H5Tclose(base);
  return s;
}

kp_status kp_h5_read(kp_h5 *h, const char *name, kp_h5_type t, int ndim, int64_t *shape, void **data) {
  *data = NULL;
  if (kp_h5_type_size(t) == 0)
    return kp_fail(KP_ERR_INVALID, "%s: dataset '%s': bad element type", kp_h5_path(h), name);
  hid_t d;
  KP_TRY(open_ds(h, name, &d));
  int r;
  int64_t sh[KP_H5_MAX_RANK];
  kp_status s = ds_shape(h, name, d, KP_H5_MAX_RANK, &r, sh);
  if (s == KP_OK && r != ndim)
    s = kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' has %d dimension(s), expected %d", kp_h5_path(h), name, r, ndim);
  if (s != KP_OK) {
    H5Dclose(d);
    return s;
  }
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= sh[i], shape[i] = sh[i];
  hid_t ft = H5Dget_type(d);
  H5T_class_t cls = H5Tget_class(ft);
  size_t esz = (size_t)kp_h5_type_size(t);
  void *buf = malloc((size_t)(n ? n : 1) * esz);
  if (!buf) {
    s = kp_fail(KP_ERR_NOMEM, "%s: dataset '%s': out of memory for %" PRId64 " elements", kp_h5_path(h), name, n);
  } else if (t == KP_H5_F32 || t == KP_H5_F64) {
    if (cls != H5T_FLOAT && cls != H5T_INTEGER)
      s = kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' holds %s, expected numbers", kp_h5_path(h), name, class_name(cls));
    else if (n && H5Dread(d, kp_h5_mem_type_(t), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
      s = kp_h5_fail_(KP_ERR_FORMAT, h, name, "read failed");
  } else if (cls == H5T_FLOAT) {
    s = kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' holds floating-point values, expected integers (%s)", kp_h5_path(h),
                name, kp_h5_type_name(t));
  } else if (cls == H5T_INTEGER && H5Tget_size(ft) <= esz &&
             (H5Tget_sign(ft) != H5T_SGN_NONE || H5Tget_size(ft) < esz)) {
    /* widening: every value fits, HDF5 converts */
    if (n && H5Dread(d, kp_h5_mem_type_(t), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
      s = kp_h5_fail_(KP_ERR_FORMAT, h, name, "read failed");
  } else {
    s = read_checked(h, name, d, ft, t, ndim, sh, n, buf);
  }
  H5Tclose(ft);
  H5Dclose(d);
  if (s != KP_OK) {
    free(buf);
    return s;
  }
  *data = buf;
  return KP_OK;
}

kp_status kp_h5_read_1d_(kp_h5 *h, const char *name, kp_h5_type t, int64_t n, const char *why, void **out,
                         int64_t *len) {
  int64_t shape[1];
  KP_TRY(kp_h5_read(h, name, t, 1, shape, out));
  if (n >= 0 && shape[0] != n) {
    free(*out);
    *out = NULL;
    return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' has %" PRId64 " entries, expected %" PRId64 " (%s)", kp_h5_path(h),
                   name, shape[0], n, why);
  }
  if (len) *len = shape[0];
  return KP_OK;
}

kp_status kp_h5_read_strings(kp_h5 *h, const char *name, kp_strings *out) {
  memset(out, 0, sizeof *out);
  hid_t d;
  KP_TRY(open_ds(h, name, &d));
  int r;
  int64_t sh[KP_H5_MAX_RANK];
  kp_status s = ds_shape(h, name, d, KP_H5_MAX_RANK, &r, sh);
  hid_t ft = H5Dget_type(d);
  if (s == KP_OK && H5Tget_class(ft) != H5T_STRING)
    s = kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' holds %s, expected strings", kp_h5_path(h), name,
                class_name(H5Tget_class(ft)));
  if (s == KP_OK && r != 1)
    s = kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' has %d dimension(s), expected 1", kp_h5_path(h), name, r);
  if (s != KP_OK) {
    H5Tclose(ft);
    H5Dclose(d);
    return s;
  }
  int64_t n = sh[0];
  hid_t mt = H5Tcopy(ft);
  const char **ptr = calloc((size_t)(n ? n : 1), sizeof *ptr);
  size_t *len = calloc((size_t)(n ? n : 1), sizeof *len);
  char *fixed = NULL;
  bool vlen = H5Tis_variable_str(ft) > 0;
  if (!ptr || !len) {
    s = kp_fail(KP_ERR_NOMEM, "%s: dataset '%s': out of memory", kp_h5_path(h), name);
  } else if (vlen) {
    if (n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, (void *)ptr) < 0)
      s = kp_h5_fail_(KP_ERR_FORMAT, h, name, "read failed");
    for (int64_t i = 0; s == KP_OK && i < n; i++) len[i] = ptr[i] ? strlen(ptr[i]) : 0;
  } else { /* fixed-length strings, as h5py writes numpy bytes arrays */
    size_t sz = H5Tget_size(ft);
    bool spad = H5Tget_strpad(ft) == H5T_STR_SPACEPAD;
    if (!(fixed = malloc((size_t)(n ? n : 1) * sz)))
      s = kp_fail(KP_ERR_NOMEM, "%s: dataset '%s': out of memory", kp_h5_path(h), name);
    else if (n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed) < 0)
      s = kp_h5_fail_(KP_ERR_FORMAT, h, name, "read failed");
    for (int64_t i = 0; s == KP_OK && i < n; i++) {
      ptr[i] = fixed + (size_t)i * sz;
      len[i] = strnlen(ptr[i], sz);
      while (spad && len[i] && ptr[i][len[i] - 1] == ' ') len[i]--;
    }
  }
  if (s == KP_OK) s = kp_strings_build_(out, n, ptr, len, true);
  if (vlen && ptr && n) {
    hid_t sp = H5Dget_space(d);
    H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, (void *)ptr);
    H5Sclose(sp);
  }
  free(fixed);
  free(ptr);
  free(len);
  H5Tclose(mt);
  H5Tclose(ft);
  H5Dclose(d);
  return s;
}
