/* Many lines at once: each OpenMP thread encodes a contiguous block of lines into its own buffer,
 * the blocks are then concatenated, so the result does not depend on the number of threads.
 * Padding a chosen set of rows to a common width is the step before the encoder (dynamic padding:
 * the width is the longest row of the batch, not a fixed 128 or 256). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "text/wordpiece_internal.h"

void kp_wp_batch_free(kp_wp_batch *b) {
  if (!b) return;
  free(b->offsets);
  free(b->lengths);
  free(b->ids);
  memset(b, 0, sizeof *b);
}

kp_status kp_wordpiece_encode_batch(const kp_wordpiece *wp, int64_t n, const char *const *lines, int32_t max_len,
                                    int threads, kp_wp_batch *out) {
  kp_wp_batch_free(out);
  if (n < 0) return kp_fail(KP_ERR_INVALID, "wordpiece batch: negative line count %lld", (long long)n);
  if (max_len > 0 && max_len < 2)
    return kp_fail(KP_ERR_INVALID, "wordpiece: max_len %d leaves no room for [CLS] and [SEP]", (int)max_len);
  int nt = threads > 0 ? threads : omp_get_max_threads();
  if (nt > n) nt = n > 0 ? (int)n : 1;
  out->offsets = calloc((size_t)n + 1, sizeof *out->offsets);
  out->lengths = calloc((size_t)n + 1, sizeof *out->lengths);
  kp_wp_buf *bufs = calloc((size_t)nt, sizeof *bufs);
  kp_status *st = calloc((size_t)nt, sizeof *st);
  char **msg = calloc((size_t)nt, sizeof *msg);
  if (!out->offsets || !out->lengths || !bufs || !st || !msg) {
    free(bufs), free(st), free(msg);
    kp_wp_batch_free(out);
    return kp_fail(KP_ERR_NOMEM, "wordpiece batch: out of memory");
  }
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int64_t lo = n * t / T, hi = n * (t + 1) / T;
    kp_wp_buf one = {0};
    kp_wp_buf *acc = &bufs[t];
    for (int64_t i = lo; i < hi && st[t] == KP_OK; i++) {
      if (!lines[i]) {
        st[t] = kp_fail(KP_ERR_INVALID, "wordpiece batch: line %lld is NULL", (long long)i);
        break;
      }
      st[t] = kp_wordpiece_encode(wp, lines[i], strlen(lines[i]), max_len, &one);
      if (st[t] != KP_OK) break;
      if (acc->n + one.n > acc->cap) {
        int64_t cap = acc->cap ? acc->cap : 1024;
        while (cap < acc->n + one.n) cap *= 2;
        int32_t *q = realloc(acc->ids, (size_t)cap * sizeof *q);
        if (!q) {
          st[t] = kp_fail(KP_ERR_NOMEM, "wordpiece batch: out of memory");
          break;
        }
        acc->ids = q, acc->cap = cap;
      }
      memcpy(acc->ids + acc->n, one.ids, (size_t)one.n * sizeof *one.ids);
      acc->n += one.n;
      out->lengths[i] = (int32_t)one.n;
    }
    if (st[t] != KP_OK) msg[t] = strdup(kp_last_error());
    kp_wp_buf_free(&one);
  }
  kp_status res = KP_OK;
  for (int t = 0; t < nt; t++)
    if (st[t] != KP_OK && res == KP_OK) res = kp_fail(st[t], "%s", msg[t] ? msg[t] : "wordpiece batch failed");
  int64_t total = 0;
  for (int t = 0; t < nt; t++) total += bufs[t].n;
  if (res == KP_OK) {
    out->ids = malloc((size_t)(total ? total : 1) * sizeof *out->ids);
    if (!out->ids) res = kp_fail(KP_ERR_NOMEM, "wordpiece batch: out of memory");
  }
  if (res == KP_OK) {
    int64_t p = 0;
    for (int t = 0; t < nt; t++) {
      memcpy(out->ids + p, bufs[t].ids, (size_t)bufs[t].n * sizeof *out->ids);
      p += bufs[t].n;
    }
    out->n = n;
    out->max_length = 0;
    for (int64_t i = 0; i < n; i++) {
      out->offsets[i + 1] = out->offsets[i] + out->lengths[i];
      if (out->lengths[i] > out->max_length) out->max_length = out->lengths[i];
    }
  }
  for (int t = 0; t < nt; t++) {
    free(bufs[t].ids);
    free(msg[t]);
  }
  free(bufs), free(st), free(msg);
  if (res != KP_OK) kp_wp_batch_free(out);
  return res;
}

kp_status kp_wp_batch_pad(const kp_wordpiece *wp, const kp_wp_batch *b, int64_t nrows, const int64_t *rows,
                          int32_t width, int32_t *ids, int32_t *attention_mask, int32_t *token_type_ids) {
  for (int64_t r = 0; r < nrows; r++) {
    int64_t i = rows[r];
    if (i < 0 || i >= b->n)
      return kp_fail(KP_ERR_INVALID, "wordpiece pad: row %lld is line %lld, outside 0..%lld", (long long)r,
                     (long long)i, (long long)b->n - 1);
    if (b->lengths[i] > width)
      return kp_fail(KP_ERR_INVALID, "wordpiece pad: line %lld has %d tokens, more than the width %d", (long long)i,
                     (int)b->lengths[i], (int)width);
  }
  int32_t pad = wp->special_id[3];
  for (int64_t r = 0; r < nrows; r++) {
    int64_t i = rows[r];
    int32_t L = b->lengths[i];
    const int32_t *src = b->ids + b->offsets[i];
    for (int32_t j = 0; j < width; j++) {
      size_t o = (size_t)r * (size_t)width + (size_t)j;
      if (ids) ids[o] = j < L ? src[j] : pad;
      if (attention_mask) attention_mask[o] = j < L;
      if (token_type_ids) token_type_ids[o] = 0;
    }
  }
  return KP_OK;
}
