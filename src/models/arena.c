/* Layer workspaces: one growing device allocation per layer, carved into the tensors the
 * forward saves and the backward uses. Offsets are multiples of 64 floats (256 bytes). */
#include <stdio.h>
#include "models/gnn_internal.h"

#define KP_ARENA_ALIGN 64

void kp_arena_init(kp_arena *a) {
  kp_tensor empty = {0};
  a->buf = empty;
  a->n_planned = a->e_planned = a->g_planned = -1;
}

void kp_arena_free(kp_arena *a) {
  kp_tensor_free(&a->buf);
  kp_arena_init(a);
}

bool kp_arena_ready(const kp_arena *a, int64_t n, int64_t e, int64_t g) {
  return a->n_planned == n && a->e_planned == e && a->g_planned == g;
}

void kp_plan_begin(kp_plan *pl, kp_arena *a, kp_device dev) {
  if (a->buf.data && !kp_device_eq(a->buf.device, dev)) kp_arena_free(a);
  if (!a->buf.data) a->buf.device = dev;
  pl->a = a;
  pl->need = 0;
}

void kp_plan_take(kp_plan *pl, kp_tensor *t, kp_dtype dt, int64_t d0, int64_t d1) {
  int64_t shape[2] = {d0, d1};
  int nd = d1 < 0 ? 1 : 2;
  int64_t n = d1 < 0 ? d0 : d0 * d1;
  int64_t off = (pl->need + KP_ARENA_ALIGN - 1) / KP_ARENA_ALIGN * KP_ARENA_ALIGN;
  int64_t cap = pl->a->buf.data ? kp_tensor_numel(&pl->a->buf) : 0;
  void *data = off + n <= cap ? (void *)((float *)pl->a->buf.data + off) : NULL;
  *t = kp_tensor_wrap(data, dt, pl->a->buf.device, nd, shape);
  pl->need = off + n;
}

kp_status kp_plan_end(kp_plan *pl, bool *again, int64_t n, int64_t e, int64_t g) {
  kp_arena *a = pl->a;
  int64_t cap = a->buf.data ? kp_tensor_numel(&a->buf) : 0;
  *again = false;
  if (pl->need > cap || !a->buf.data) {
    kp_device dev = a->buf.device;
    kp_tensor_free(&a->buf);
    a->n_planned = a->e_planned = a->g_planned = -1;
    int64_t want = pl->need + pl->need / 4 + KP_ARENA_ALIGN; /* headroom for slightly larger batches */
    KP_TRY(kp_tensor_alloc(&a->buf, KP_F32, dev, 1, &want));
    *again = true;
    return KP_OK;
  }
  a->n_planned = n;
  a->e_planned = e;
  a->g_planned = g;
  return KP_OK;
}

const char *kp_param_name(char *buf, size_t n, const char *prefix, const char *name) {
  if (prefix && *prefix)
    snprintf(buf, n, "%s.%s", prefix, name);
  else
    snprintf(buf, n, "%s", name);
  return buf;
}
