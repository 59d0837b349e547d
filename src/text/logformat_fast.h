/* Internal to logformat.c: a fast matcher for formats whose text between fields is plain. */
#ifndef KPRCA_TEXT_LOGFORMAT_FAST_H
#define KPRCA_TEXT_LOGFORMAT_FAST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kprca/logformat.h"
#ifdef __cplusplus
extern "C" {
#endif

#define KP_FMTFAST_MAX 64

typedef struct kp_fmtfast kp_fmtfast;

/** From the format's nfields + 1 text segments (seg[i] before field i, seg[nfields] after the last)
 * and each field's greediness; NULL when a segment is not plain (or on allocation failure). */
kp_fmtfast *kp_fmtfast_build(const char *const *seg, const size_t *seglen, int nfields, const bool *greedy);
void kp_fmtfast_free(kp_fmtfast *p);
/** Matches s[0..n) (already trimmed): 1 and spans filled, 0 no match, -1 undecided (non-ASCII or
 * LF in the line, or too many steps): ask PCRE2. */
int kp_fmtfast_match(const kp_fmtfast *p, const char *s, size_t n, kp_span *spans);

/** Turns the fast matcher of f off (tests compare both paths). */
void kp_logformat_disable_fast(kp_logformat *f);
/** Whether f uses the fast matcher. */
bool kp_logformat_has_fast(const kp_logformat *f);

#ifdef __cplusplus
}
#endif
#endif
