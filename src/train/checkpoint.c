/* Training checkpoints: one HDF5 file ("kprca.checkpoint", version 1) of flat parameter-table buffers
 * (one dataset per entry, with the entry's shape), scalars and texts; layout in docs/datasets.md. */
#include "kprca/checkpoint.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kp_ckpt {
  kp_h5 *h;
  bool writing;
};

#define LIST_MAX 4 /* names listed per kind of mismatch before "and N more" */

kp_status kp_ckpt_create(const char *path, kp_ckpt **out) {
  *out = NULL;
  kp_ckpt *c = calloc(1, sizeof *c);
  if (!c) return kp_fail(KP_ERR_NOMEM, "checkpoint %s: out of memory", path);
  kp_status s = kp_h5_create(path, &c->h);
  /* trained weights and optimizer moments barely compress: no gzip, but a checksum per chunk, so a
   * damaged file fails to load instead of loading wrong weights */
  if (s == KP_OK) s = kp_h5_set_gzip(c->h, 0);
  if (s == KP_OK) s = kp_h5_set_checksum(c->h, true);
  if (s == KP_OK) s = kp_h5_set_attr_str(c->h, "/", "format", KP_CKPT_FORMAT);
  if (s == KP_OK) s = kp_h5_set_attr_int(c->h, "/", "version", KP_CKPT_VERSION);
  if (s != KP_OK) {
    kp_h5_abort(c->h);
    free(c);
    return s;
  }
  c->writing = true;
  *out = c;
  return KP_OK;
}

static kp_status need_writing(const kp_ckpt *c, const char *what) {
  if (!c || !c->h) return kp_fail(KP_ERR_INVALID, "checkpoint: %s: no checkpoint", what);
  if (!c->writing)
    return kp_fail(KP_ERR_INVALID, "checkpoint %s: %s: the file is open for reading", kp_h5_path(c->h), what);
  return KP_OK;
}

static kp_status need_reading(const kp_ckpt *c, const char *what) {
  if (!c || !c->h) return kp_fail(KP_ERR_INVALID, "checkpoint: %s: no checkpoint", what);
  if (c->writing)
    return kp_fail(KP_ERR_INVALID, "checkpoint %s: %s: the file is being written", kp_h5_path(c->h), what);
  return KP_OK;
}

/* Checks that flat is an f32 buffer of p->total elements. */
static kp_status check_flat(const kp_ckpt *c, const char *group, const kp_params *p, const kp_tensor *flat) {
  if (!p || !flat || (!flat->data && p->total > 0))
    return kp_fail(KP_ERR_INVALID, "checkpoint %s: %s: no parameter table or buffer", kp_h5_path(c->h), group);
  if (flat->dtype != KP_F32 || kp_tensor_numel(flat) != p->total) {
    char b[64];
    return kp_fail(KP_ERR_INVALID, "checkpoint %s: %s: buffer is %s, expected f32 of %lld elements",
                   kp_h5_path(c->h), group, kp_tensor_str(flat, b, sizeof b), (long long)p->total);
  }
  return KP_OK;
}

/* "group/name" into buf. */
static kp_status entry_path(const kp_ckpt *c, const char *group, const char *name, char *buf, size_t cap) {
  if (strchr(name, '/') || !name[0])
    return kp_fail(KP_ERR_INVALID, "checkpoint %s: %s: entry name '%s' is empty or holds '/'", kp_h5_path(c->h),
                   group, name);
  if ((size_t)snprintf(buf, cap, "%s/%s", group, name) >= cap)
    return kp_fail(KP_ERR_INVALID, "checkpoint %s: %s/%s: name too long", kp_h5_path(c->h), group, name);
  return KP_OK;
}

kp_status kp_ckpt_put_flat(kp_ckpt *c, const char *group, const kp_params *p, const kp_tensor *flat) {
  KP_TRY(need_writing(c, group));
  KP_TRY(check_flat(c, group, p, flat));
  float *host = malloc(sizeof(float) * (size_t)(p->total ? p->total : 1));
  if (!host) return kp_fail(KP_ERR_NOMEM, "checkpoint %s: %s: out of memory", kp_h5_path(c->h), group);
  kp_tensor hv = kp_tensor_wrap(host, KP_F32, kp_cpu(), 1, &p->total);
  kp_status s = p->total ? kp_tensor_copy(&hv, flat) : KP_OK; /* from any device */
  char name[KP_PARAM_NAME_MAX + 256];
  for (int i = 0; s == KP_OK && i < p->count; i++) {
    const kp_param *e = &p->items[i];
    s = entry_path(c, group, e->name, name, sizeof name);
    if (s == KP_OK) s = kp_h5_write(c->h, name, KP_H5_F32, e->ndim, e->shape, host + e->offset);
  }
  free(host);
  return s;
}

kp_status kp_ckpt_put_f32(kp_ckpt *c, const char *name, const float *data, int64_t n) {
  KP_TRY(need_writing(c, name));
  return kp_h5_write(c->h, name, KP_H5_F32, 1, &n, data);
}

kp_status kp_ckpt_put_int(kp_ckpt *c, const char *name, int64_t v) {
  KP_TRY(need_writing(c, name));
  return kp_h5_write_scalar(c->h, name, KP_H5_I64, &v);
}

kp_status kp_ckpt_put_double(kp_ckpt *c, const char *name, double v) {
  KP_TRY(need_writing(c, name));
  return kp_h5_write_scalar(c->h, name, KP_H5_F64, &v);
}

kp_status kp_ckpt_put_text(kp_ckpt *c, const char *name, const char *text) {
  KP_TRY(need_writing(c, name));
  return kp_h5_write_text(c->h, name, text);
}

kp_status kp_ckpt_put_strings(kp_ckpt *c, const char *name, int64_t n, const char *const *s) {
  KP_TRY(need_writing(c, name));
  return kp_h5_write_strings(c->h, name, n, s);
}

kp_status kp_ckpt_commit(kp_ckpt *c) {
  kp_status s = need_writing(c, "commit");
  if (s != KP_OK) {
    kp_ckpt_abort(c);
    return s;
  }
  s = kp_h5_commit(c->h);
  free(c);
  return s;
}

void kp_ckpt_abort(kp_ckpt *c) {
  if (!c) return;
  kp_h5_abort(c->h); /* removes the temporary file of one being written */
  free(c);
}

kp_status kp_ckpt_open(const char *path, kp_ckpt **out) {
  *out = NULL;
  kp_ckpt *c = calloc(1, sizeof *c);
  if (!c) return kp_fail(KP_ERR_NOMEM, "checkpoint %s: out of memory", path);
  kp_status s = kp_h5_open(path, &c->h);
  if (s == KP_OK) s = kp_h5_check_format(c->h, KP_CKPT_FORMAT, KP_CKPT_VERSION, NULL);
  if (s != KP_OK) {
    kp_h5_close(c->h);
    free(c);
    return kp_fail_context(s, "cannot read checkpoint");
  }
  *out = c;
  return KP_OK;
}

void kp_ckpt_close(kp_ckpt *c) { kp_ckpt_abort(c); }

bool kp_ckpt_has(kp_ckpt *c, const char *name) { return c && c->h && kp_h5_exists(c->h, name); }

/* ---- reading a parameter table ---------------------------------------------------------------- */

/* Appends printf-style text to buf (of cap bytes, holding *len), truncating quietly. */
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  if (*len >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (k > 0) *len = *len + (size_t)k < cap ? *len + (size_t)k : cap;
}

static void append_shape(char *buf, size_t cap, size_t *len, int ndim, const int64_t *shape) {
  append(buf, cap, len, "[");
  for (int d = 0; d < ndim; d++) append(buf, cap, len, "%s%lld", d ? ", " : "", (long long)shape[d]);
  append(buf, cap, len, "]");
}

/* One line naming the missing, unexpected and mis-shaped entries of group (KP_OK when there are none). */
static kp_status compare_entries(kp_ckpt *c, const char *group, const kp_params *p, const kp_strings *have) {
  char msg[900];
  size_t len = 0;
  int nmiss = 0, nextra = 0, nshape = 0;
  char path[KP_PARAM_NAME_MAX + 256];
  /* missing */
  for (int i = 0; i < p->count; i++) {
    bool found = false;
    for (int64_t j = 0; j < have->n && !found; j++) found = !strcmp(have->s[j], p->items[i].name);
    if (found) continue;
    if (nmiss < LIST_MAX) append(msg, sizeof msg, &len, "%s%s", nmiss ? ", " : "; missing ", p->items[i].name);
    nmiss++;
  }
  if (nmiss > LIST_MAX) append(msg, sizeof msg, &len, " and %d more", nmiss - LIST_MAX);
  /* unexpected */
  for (int64_t j = 0; j < have->n; j++) {
    if (kp_params_find(p, have->s[j]) >= 0) continue;
    if (nextra < LIST_MAX) append(msg, sizeof msg, &len, "%s%s", nextra ? ", " : "; unexpected ", have->s[j]);
    nextra++;
  }
  if (nextra > LIST_MAX) append(msg, sizeof msg, &len, " and %d more", nextra - LIST_MAX);
  /* mis-shaped */
  for (int i = 0; i < p->count; i++) {
    const kp_param *e = &p->items[i];
    bool found = false;
    for (int64_t j = 0; j < have->n && !found; j++) found = !strcmp(have->s[j], e->name);
    if (!found) continue;
    KP_TRY(entry_path(c, group, e->name, path, sizeof path));
    int nd;
    int64_t sh[KP_H5_MAX_RANK];
    if (kp_h5_shape_nd(c->h, path, &nd, sh) != KP_OK) return kp_fail_context(KP_ERR_FORMAT, "checkpoint");
    bool same = nd == e->ndim;
    for (int d = 0; same && d < nd; d++) same = sh[d] == e->shape[d];
    if (same) continue;
    if (nshape < LIST_MAX) {
      append(msg, sizeof msg, &len, "; %s has shape ", e->name);
      append_shape(msg, sizeof msg, &len, nd, sh);
      append(msg, sizeof msg, &len, ", model expects ");
      append_shape(msg, sizeof msg, &len, e->ndim, e->shape);
    }
    nshape++;
  }
  if (nshape > LIST_MAX) append(msg, sizeof msg, &len, "; %d more mis-shaped", nshape - LIST_MAX);
  if (!len) return KP_OK;
  return kp_fail(KP_ERR_FORMAT, "checkpoint %s: %s: %s", kp_h5_path(c->h), group, msg + 2);
}

kp_status kp_ckpt_get_flat(kp_ckpt *c, const char *group, const kp_params *p, kp_tensor *flat) {
  KP_TRY(need_reading(c, group));
  KP_TRY(check_flat(c, group, p, flat));
  kp_strings have = {0};
  if (kp_h5_exists(c->h, group)) {
    KP_TRY(kp_h5_list(c->h, group, &have));
  } else if (p->count > 0) {
    return kp_fail(KP_ERR_FORMAT, "checkpoint %s: no group '%s' (entries of %d parameters expected)",
                   kp_h5_path(c->h), group, p->count);
  }
  kp_status s = compare_entries(c, group, p, &have);
  kp_strings_free(&have);
  if (s != KP_OK) return s;
  float *host = calloc((size_t)(p->total ? p->total : 1), sizeof(float)); /* the gaps stay zero */
  if (!host) return kp_fail(KP_ERR_NOMEM, "checkpoint %s: %s: out of memory", kp_h5_path(c->h), group);
  char path[KP_PARAM_NAME_MAX + 256];
  for (int i = 0; s == KP_OK && i < p->count; i++) {
    const kp_param *e = &p->items[i];
    int64_t sh[KP_H5_MAX_RANK];
    void *d = NULL;
    s = entry_path(c, group, e->name, path, sizeof path);
    if (s == KP_OK) s = kp_h5_read(c->h, path, KP_H5_F32, e->ndim, sh, &d);
    if (s == KP_OK) memcpy(host + e->offset, d, sizeof(float) * (size_t)e->numel);
    free(d);
  }
  if (s == KP_OK && p->total) {
    kp_tensor hv = kp_tensor_wrap(host, KP_F32, kp_cpu(), 1, &p->total);
    s = kp_tensor_copy(flat, &hv); /* to any device */
  }
  free(host);
  return s;
}

/* ---- reading scalars and texts ---------------------------------------------------------------- */

kp_status kp_ckpt_get_f32(kp_ckpt *c, const char *name, float *data, int64_t n) {
  KP_TRY(need_reading(c, name));
  int64_t got;
  void *d = NULL;
  KP_TRY(kp_h5_read(c->h, name, KP_H5_F32, 1, &got, &d));
  if (got != n) {
    free(d);
    return kp_fail(KP_ERR_FORMAT, "checkpoint %s: '%s' has %lld elements, expected %lld", kp_h5_path(c->h), name,
                   (long long)got, (long long)n);
  }
  if (n) memcpy(data, d, sizeof(float) * (size_t)n);
  free(d);
  return KP_OK;
}

kp_status kp_ckpt_get_int(kp_ckpt *c, const char *name, int64_t *v) {
  KP_TRY(need_reading(c, name));
  return kp_h5_read_scalar(c->h, name, KP_H5_I64, v);
}

kp_status kp_ckpt_get_double(kp_ckpt *c, const char *name, double *v) {
  KP_TRY(need_reading(c, name));
  return kp_h5_read_scalar(c->h, name, KP_H5_F64, v);
}

kp_status kp_ckpt_get_text(kp_ckpt *c, const char *name, char **text) {
  *text = NULL;
  KP_TRY(need_reading(c, name));
  return kp_h5_read_text(c->h, name, text);
}

kp_status kp_ckpt_get_strings(kp_ckpt *c, const char *name, kp_strings *out) {
  memset(out, 0, sizeof *out);
  KP_TRY(need_reading(c, name));
  return kp_h5_read_strings(c->h, name, out);
}
