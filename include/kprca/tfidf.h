/* Hashed TF-IDF text features of a fixed width (the hashing trick): the word unigrams and
 * adjacent-word bigrams of a text are hashed into `width` buckets, document frequencies are
 * counted per bucket over a corpus, and a document becomes an L2-normalised row of
 * term count x idf. Deterministic on every machine (a fixed 64-bit hash, no locale). */
#ifndef KPRCA_TFIDF_H
#define KPRCA_TFIDF_H
#include <stddef.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

/* The hashed terms of one document: one bucket per term occurrence. */
typedef struct kp_terms {
  int64_t n, cap;
  uint32_t *b; /* b[0..n): buckets in [0, width) */
} kp_terms;

/** Appends the buckets of text's terms: words are runs of ASCII letters, digits, '_' and non-ASCII
 *  bytes, lowercased, holding at least one letter or non-ASCII byte ("<*>" and bare numbers are no
 *  words); terms are the words and each pair of adjacent words. width >= 1. */
kp_status kp_terms_add_text(kp_terms *t, const char *text, size_t len, int32_t width);
/** Appends all of src's buckets to t. */
kp_status kp_terms_append(kp_terms *t, const kp_terms *src);
/** Frees the buckets and zeroes t; NULL is fine. */
void kp_terms_free(kp_terms *t);

/* Document frequencies per bucket. */
typedef struct kp_idf {
  int32_t width;
  int64_t ndocs;
  int64_t *df;     /* [width] documents holding the bucket */
  uint64_t *seen_; /* private: bucket -> last document that counted it */
} kp_idf;

/** An empty counter of the given width (>= 1). */
kp_status kp_idf_init(kp_idf *f, int32_t width);
/** Counts one document: each distinct bucket of t once. */
void kp_idf_add_doc(kp_idf *f, const kp_terms *t);
/** w[j] = ln((1 + ndocs) / (1 + df[j])) + 1 (scikit-learn's smooth idf), for the width buckets. */
void kp_idf_weights(const kp_idf *f, float *w);
/** Frees f's arrays; NULL is fine. */
void kp_idf_free(kp_idf *f);

/** out[0..width) = the L2-normalised vector of (occurrences of bucket j in t) x w[j]; all zeros
 *  when t is empty. */
void kp_tfidf_row(const kp_terms *t, const float *w, int32_t width, float *out);

#ifdef __cplusplus
}
#endif
#endif
