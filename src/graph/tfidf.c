/* Hashed TF-IDF: tokenising, bucket hashing, document frequencies, normalised rows. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/tfidf.h"

/* FNV-1a over the lowercased bytes, finished with splitmix64's mixer so that the low bits used
 * for the bucket depend on every byte. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static bool word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static kp_status push(kp_terms *t, uint32_t b) {
  if (t->n == t->cap) {
    int64_t cap = t->cap ? 2 * t->cap : 64;
    uint32_t *p = realloc(t->b, sizeof *p * (size_t)cap);
    if (!p) return kp_fail(KP_ERR_NOMEM, "tfidf: out of memory for %lld terms", (long long)cap);
    t->b = p, t->cap = cap;
  }
  t->b[t->n++] = b;
  return KP_OK;
}

kp_status kp_terms_add_text(kp_terms *t, const char *text, size_t len, int32_t width) {
  if (width < 1) return kp_fail(KP_ERR_INVALID, "tfidf: width %d, expected >= 1", width);
  const unsigned char *s = (const unsigned char *)text;
  uint64_t prev = 0;
  bool have_prev = false;
  for (size_t i = 0; i < len;) {
    if (!word_byte(s[i])) {
      i++;
      continue;
    }
    uint64_t h = 0xcbf29ce484222325ull;
    bool alpha = false;
    for (; i < len && word_byte(s[i]); i++) {
      unsigned char c = s[i];
      if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
      if (!(c >= '0' && c <= '9') && c != '_') alpha = true;
      h = (h ^ c) * 0x100000001b3ull;
    }
    if (!alpha) continue; /* a bare number is no word, and does not break a bigram */
    uint64_t w = mix64(h);
    KP_TRY(push(t, (uint32_t)(w % (uint64_t)width)));
    if (have_prev) KP_TRY(push(t, (uint32_t)(mix64(prev * 0x9e3779b97f4a7c15ull ^ w) % (uint64_t)width)));
    prev = w, have_prev = true;
  }
  return KP_OK;
}

kp_status kp_terms_append(kp_terms *t, const kp_terms *src) {
  for (int64_t i = 0; i < src->n; i++) KP_TRY(push(t, src->b[i]));
  return KP_OK;
}

void kp_terms_free(kp_terms *t) {
  if (!t) return;
  free(t->b);
  memset(t, 0, sizeof *t);
}

kp_status kp_idf_init(kp_idf *f, int32_t width) {
  memset(f, 0, sizeof *f);
  if (width < 1) return kp_fail(KP_ERR_INVALID, "tfidf: width %d, expected >= 1", width);
  f->width = width;
  f->df = calloc((size_t)width, sizeof *f->df);
  f->seen_ = calloc((size_t)width, sizeof *f->seen_);
  if (!f->df || !f->seen_) {
    kp_idf_free(f);
    return kp_fail(KP_ERR_NOMEM, "tfidf: out of memory for width %d", width);
  }
  return KP_OK;
}

void kp_idf_add_doc(kp_idf *f, const kp_terms *t) {
  uint64_t doc = (uint64_t)++f->ndocs; /* documents are numbered from 1; seen_ starts at 0 */
  for (int64_t i = 0; i < t->n; i++) {
    uint32_t b = t->b[i];
    if (b < (uint32_t)f->width && f->seen_[b] != doc) f->seen_[b] = doc, f->df[b]++;
  }
}

void kp_idf_weights(const kp_idf *f, float *w) {
  for (int32_t j = 0; j < f->width; j++)
    w[j] = (float)(log((1.0 + (double)f->ndocs) / (1.0 + (double)f->df[j])) + 1.0);
}

void kp_idf_free(kp_idf *f) {
  if (!f) return;
  free(f->df);
  free(f->seen_);
  memset(f, 0, sizeof *f);
}

void kp_tfidf_row(const kp_terms *t, const float *w, int32_t width, float *out) {
  memset(out, 0, sizeof *out * (size_t)width);
  for (int64_t i = 0; i < t->n; i++)
    if (t->b[i] < (uint32_t)width) out[t->b[i]] += 1.0f;
  double ss = 0;
  for (int32_t j = 0; j < width; j++) {
    out[j] *= w[j];
    ss += (double)out[j] * out[j];
  }
  if (ss > 0) {
    float inv = (float)(1.0 / sqrt(ss));
    for (int32_t j = 0; j < width; j++) out[j] *= inv;
  }
}
