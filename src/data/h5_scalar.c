/* HDF5 scalar (rank 0) datasets: single numbers and texts, as h5py writes a numpy scalar or a str
 * (read back with f["epoch"][()] and f["config"].asstr()[()]); the one-string reader of texts and
 * string attributes. */
#include <stdlib.h>
#include <string.h>
#include "data/h5_internal.h"

/* Creates scalar dataset name of file type ft (groups along name created as needed) and writes *buf of
 * memory type mt. */
static kp_status write_scalar(kp_h5 *h, const char *name, hid_t ft, hid_t mt, const void *buf) {
  kp_h5_quiet_();
  const char *path = kp_h5_path(h);
  if (!kp_h5_writing_(h)) return kp_fail(KP_ERR_INVALID, "%s: dataset '%s': the file is open for reading", path, name);
  if (kp_h5_exists(h, name)) return kp_fail(KP_ERR_INVALID, "%s: dataset '%s' already exists", path, name);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t d = H5Dcreate2(kp_h5_file_(h), name, ft, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  kp_status s = KP_OK;
  if (d < 0)
    s = kp_h5_fail_(KP_ERR_IO, h, name, "cannot create");
  else if (H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
    s = kp_h5_fail_(KP_ERR_IO, h, name, "write failed");
  if (d >= 0) H5Dclose(d);
  H5Pclose(lcpl);
  H5Sclose(sp);
  return s;
}

kp_status kp_h5_write_scalar(kp_h5 *h, const char *name, kp_h5_type t, const void *value) {
  if (kp_h5_type_size(t) == 0 || !value)
    return kp_fail(KP_ERR_INVALID, "%s: dataset '%s': bad element type or NULL value", kp_h5_path(h), name);
  return write_scalar(h, name, kp_h5_file_type_(t), kp_h5_mem_type_(t), value);
}

kp_status kp_h5_write_text(kp_h5 *h, const char *name, const char *text) {
  if (!text) return kp_fail(KP_ERR_INVALID, "%s: dataset '%s': text is NULL", kp_h5_path(h), name);
  kp_strings clean; /* h5py decodes UTF-8 strictly: write a repaired copy */
  KP_TRY(kp_strings_build_(&clean, 1, &text, NULL, true));
  hid_t t = kp_h5_vlen_utf8_();
  kp_status s = write_scalar(h, name, t, t, &clean.s[0]);
  H5Tclose(t);
  kp_strings_free(&clean);
  return s;
}

/* Opens scalar dataset name: *d and *ft (its file type) are closed by the caller on success. */
static kp_status open_scalar(kp_h5 *h, const char *name, hid_t *d, hid_t *ft) {
  kp_h5_quiet_();
  const char *path = kp_h5_path(h);
  *d = *ft = -1;
  if (!kp_h5_exists(h, name)) return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' missing", path, name);
  *d = H5Dopen2(kp_h5_file_(h), name, H5P_DEFAULT);
  if (*d < 0) return kp_h5_fail_(KP_ERR_FORMAT, h, name, "cannot open (not a dataset?)");
  hid_t sp = H5Dget_space(*d);
  H5S_class_t sc = sp < 0 ? H5S_NO_CLASS : H5Sget_simple_extent_type(sp);
  int r = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
  if (sp >= 0) H5Sclose(sp);
  if (sc != H5S_SCALAR) {
    H5Dclose(*d);
    *d = -1;
    H5Eclear2(H5E_DEFAULT);
    return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' has %d dimension(s), expected a scalar", path, name, r);
  }
  *ft = H5Dget_type(*d);
  return KP_OK;
}

kp_status kp_h5_read_scalar(kp_h5 *h, const char *name, kp_h5_type t, void *value) {
  const char *path = kp_h5_path(h);
  if (kp_h5_type_size(t) == 0 || !value)
    return kp_fail(KP_ERR_INVALID, "%s: dataset '%s': bad element type or NULL value", path, name);
  hid_t d, ft;
  KP_TRY(open_scalar(h, name, &d, &ft));
  H5T_class_t cls = H5Tget_class(ft);
  bool is_float = t == KP_H5_F32 || t == KP_H5_F64;
  kp_status s = KP_OK;
  if (cls != H5T_INTEGER && !(is_float && cls == H5T_FLOAT)) {
    s = kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' holds %s, expected %s", path, name,
                cls == H5T_FLOAT ? "a floating-point value" : cls == H5T_STRING ? "a string" : "a non-number",
                is_float ? "a number" : "an integer");
  } else if (is_float) {
    if (H5Dread(d, t == KP_H5_F32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0)
      s = kp_h5_fail_(KP_ERR_FORMAT, h, name, "read failed");
  } else {
    /* through 64 bits: an unsigned 64-bit value keeps its bit pattern in i64 */
    bool u = H5Tget_sign(ft) == H5T_SGN_NONE;
    int64_t v = 0;
    if (H5Dread(d, u ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0) {
      s = kp_h5_fail_(KP_ERR_FORMAT, h, name, "read failed");
    } else if (t == KP_H5_I64) {
      *(int64_t *)value = v;
    } else {
      int64_t lo = t == KP_H5_I8 ? INT8_MIN : INT32_MIN, hi = t == KP_H5_I8 ? INT8_MAX : INT32_MAX;
      if ((u && (uint64_t)v > (uint64_t)hi) || (!u && (v < lo || v > hi)))
        s = kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' = %lld does not fit in %s", path, name, (long long)v,
                    kp_h5_type_name(t));
      else if (t == KP_H5_I8)
        *(int8_t *)value = (int8_t)v;
      else
        *(int32_t *)value = (int32_t)v;
    }
  }
  H5Tclose(ft);
  H5Dclose(d);
  return s;
}

/* Reads all of obj (an attribute when attr, else a scalar dataset) as memory type mt into buf. */
static herr_t read_all(hid_t obj, bool attr, hid_t mt, void *buf) {
  return attr ? H5Aread(obj, mt, buf) : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
}

/* The out-of-memory failure, naming dataset name (NULL: only the file). */
static kp_status out_of_memory(const kp_h5 *h, const char *name) {
  if (name) return kp_fail(KP_ERR_NOMEM, "%s: dataset '%s': out of memory", kp_h5_path(h), name);
  return kp_fail(KP_ERR_NOMEM, "%s: out of memory", kp_h5_path(h));
}

kp_status kp_h5_read_one_string_(kp_h5 *h, hid_t obj, bool attr, hid_t ft, const char *name, const char *what,
                                 char **out) {
  kp_status s = KP_OK;
  char *vl = NULL, *fixed = NULL;
  const char *p = "";
  size_t len = 0;
  hid_t mt = H5Tcopy(ft);
  if (H5Tis_variable_str(ft) > 0) {
    if (read_all(obj, attr, mt, &vl) < 0) s = kp_h5_fail_(KP_ERR_FORMAT, h, name, what);
    p = vl ? vl : "";
    len = strlen(p);
  } else { /* fixed length, as h5py writes numpy bytes */
    size_t sz = H5Tget_size(ft);
    if (!(fixed = calloc(sz + 1, 1)))
      s = out_of_memory(h, name);
    else if (read_all(obj, attr, mt, fixed) < 0)
      s = kp_h5_fail_(KP_ERR_FORMAT, h, name, what);
    p = fixed ? fixed : "";
    len = strnlen(p, sz);
    if (H5Tget_strpad(ft) == H5T_STR_SPACEPAD)
      while (len && p[len - 1] == ' ') len--;
  }
  if (s == KP_OK) {
    kp_strings tmp;
    s = kp_strings_build_(&tmp, 1, &p, &len, true);
    if (s == KP_OK) {
      *out = strdup(tmp.s[0]);
      kp_strings_free(&tmp);
      if (!*out) s = out_of_memory(h, name);
    }
  }
  if (vl) H5free_memory(vl);
  free(fixed);
  H5Tclose(mt);
  return s;
}

kp_status kp_h5_read_text(kp_h5 *h, const char *name, char **text) {
  *text = NULL;
  hid_t d, ft;
  KP_TRY(open_scalar(h, name, &d, &ft));
  kp_status s;
  if (H5Tget_class(ft) != H5T_STRING)
    s = kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' does not hold a string", kp_h5_path(h), name);
  else
    s = kp_h5_read_one_string_(h, d, false, ft, name, "read failed", text);
  H5Tclose(ft);
  H5Dclose(d);
  return s;
}
