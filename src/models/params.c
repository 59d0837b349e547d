/* The flat parameter table: declaration, allocation, named views, initialisation. */
#include "kprca/params.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void kp_params_init(kp_params *p, kp_device dev) {
  memset(p, 0, sizeof *p);
  p->device = dev;
}

kp_status kp_params_add(kp_params *p, const char *name, int ndim, const int64_t *shape, kp_init init, float bound,
                        int *index) {
  if (p->data.data || p->data.owned) return kp_fail(KP_ERR_INVALID, "params: '%s' declared after kp_params_alloc", name);
  if (!name || !*name || strlen(name) >= KP_PARAM_NAME_MAX)
    return kp_fail(KP_ERR_INVALID, "params: a name must have 1 to %d characters", KP_PARAM_NAME_MAX - 1);
  if (kp_params_find(p, name) >= 0) return kp_fail(KP_ERR_INVALID, "params: '%s' is declared twice", name);
  if (ndim < 1 || ndim > KP_MAX_DIMS) return kp_fail(KP_ERR_INVALID, "params: '%s' has %d dimensions", name, ndim);
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 1) return kp_fail(KP_ERR_INVALID, "params: '%s' has size %lld in dimension %d", name,
                                     (long long)shape[d], d);
    n *= shape[d];
  }
  if (p->count == p->cap) {
    int cap = p->cap ? 2 * p->cap : 16;
    kp_param *it = realloc(p->items, sizeof *it * (size_t)cap);
    if (!it) return kp_fail(KP_ERR_NOMEM, "params: out of host memory");
    p->items = it;
    p->cap = cap;
  }
  kp_param *e = &p->items[p->count];
  memset(e, 0, sizeof *e);
  strcpy(e->name, name);
  e->ndim = ndim;
  memcpy(e->shape, shape, sizeof(int64_t) * (size_t)ndim);
  e->numel = n;
  e->offset = p->total;
  e->init = init;
  e->bound = bound;
  p->total += (n + KP_PARAM_ALIGN - 1) / KP_PARAM_ALIGN * KP_PARAM_ALIGN;
  if (index) *index = p->count;
  p->count++;
  return KP_OK;
}

kp_status kp_params_alloc(kp_params *p) {
  if (p->data.owned) return kp_fail(KP_ERR_INVALID, "params: already allocated");
  int64_t n = p->total;
  KP_TRY(kp_tensor_zeros(&p->data, KP_F32, p->device, 1, &n));
  kp_status s = kp_tensor_zeros(&p->grad, KP_F32, p->device, 1, &n);
  if (s != KP_OK) kp_tensor_free(&p->data);
  return s;
}

void kp_params_free(kp_params *p) {
  if (!p) return;
  kp_tensor_free(&p->data);
  kp_tensor_free(&p->grad);
  free(p->items);
  kp_device d = p->device;
  memset(p, 0, sizeof *p);
  p->device = d;
}

int kp_params_find(const kp_params *p, const char *name) {
  for (int i = 0; i < p->count; i++)
    if (!strcmp(p->items[i].name, name)) return i;
  return -1;
}

int64_t kp_params_numel(const kp_params *p) {
  int64_t n = 0;
  for (int i = 0; i < p->count; i++) n += p->items[i].numel;
  return n;
}

static kp_tensor view_of(const kp_params *p, const kp_tensor *buf, int i) {
  const kp_param *e = &p->items[i];
  return kp_tensor_wrap((float *)buf->data + e->offset, KP_F32, p->device, e->ndim, e->shape);
}

kp_tensor kp_params_value(const kp_params *p, int i) { return view_of(p, &p->data, i); }
kp_tensor kp_params_grad(const kp_params *p, int i) { return view_of(p, &p->grad, i); }

kp_status kp_params_zero_grad(kp_params *p) { return kp_tensor_fill(&p->grad, 0.0); }

kp_status kp_params_init_values(kp_params *p, kp_rng *r) {
  for (int i = 0; i < p->count; i++) {
    kp_tensor v = kp_params_value(p, i);
    const kp_param *e = &p->items[i];
    switch (e->init) {
      case KP_INIT_ZEROS:
        KP_TRY(kp_tensor_fill(&v, 0.0));
        break;
      case KP_INIT_ONES:
        KP_TRY(kp_tensor_fill(&v, 1.0));
        break;
      case KP_INIT_UNIFORM:
        KP_TRY(kp_rng_fill_uniform(&v, r, -e->bound, e->bound));
        break;
      default:
        return kp_fail(KP_ERR_INVALID, "params: '%s' has unknown init %d", e->name, (int)e->init);
    }
  }
  return KP_OK;
}

static kp_status check_index(const kp_params *p, int i, int64_t n, const char *what) {
  if (i < 0 || i >= p->count) return kp_fail(KP_ERR_INVALID, "params: %s: no entry %d", what, i);
  if (!p->data.data) return kp_fail(KP_ERR_INVALID, "params: %s before kp_params_alloc", what);
  if (n != p->items[i].numel)
    return kp_fail(KP_ERR_INVALID, "params: %s '%s': %lld values given, the entry has %lld", what, p->items[i].name,
                   (long long)n, (long long)p->items[i].numel);
  return KP_OK;
}

kp_status kp_params_set(kp_params *p, int i, const float *src, int64_t n) {
  KP_TRY(check_index(p, i, n, "set"));
  kp_tensor v = kp_params_value(p, i);
  kp_tensor h = kp_tensor_wrap((void *)src, KP_F32, kp_cpu(), v.ndim, v.shape);
  return kp_tensor_copy(&v, &h);
}

kp_status kp_params_get(const kp_params *p, int i, bool grad, float *dst, int64_t n) {
  KP_TRY(check_index(p, i, n, "get"));
  kp_tensor v = grad ? kp_params_grad(p, i) : kp_params_value(p, i);
  kp_tensor h = kp_tensor_wrap(dst, KP_F32, kp_cpu(), v.ndim, v.shape);
  return kp_tensor_copy(&h, &v);
}

float kp_glorot_bound(int64_t fan_a, int64_t fan_b) { return sqrtf(6.0f / (float)(fan_a + fan_b)); }
