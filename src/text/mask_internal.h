/* Internal to the default kernel masks: the hand-written matcher of the rules (mask_scan.c). */
#ifndef KPRCA_TEXT_MASK_INTERNAL_H
#define KPRCA_TEXT_MASK_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

/** Builds the scanner's tables and its PCRE2 code for the ipv6 rule (once; thread-safe). */
void kp_mask_init(void);
#define KP_MASK_PAD 64
/** Masks in[0..n) (valid UTF-8, followed by KP_MASK_PAD spaces that are not part of it) with the
 * default rules as one PCRE2 alternation would: each match becomes "<*>". When something matched,
 * writes the result (NUL-terminated, at most 3n + 1 bytes) to out, its length to *olen and sets
 * *changed; else leaves out alone. md: a pcre2_match_data for the ipv6 fallback. */
kp_status kp_mask_scan(const char *in, size_t n, char *out, size_t *olen, bool *changed, void *md);

#ifdef __cplusplus
}
#endif
#endif
