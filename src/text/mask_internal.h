/* Internal to the default kernel masks: which rules can possibly match inside a token. */
#ifndef KPRCA_TEXT_MASK_INTERNAL_H
#define KPRCA_TEXT_MASK_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/** Builds the tables below (once; thread-safe). Call before the others. */
void kp_mask_init(void);
#define KP_MASK_ANALYSE (1u << 31)
/** Scans the token at s[0..n) (s[0] is not whitespace) up to the next ASCII whitespace; returns its
 * length and sets *rules as kp_mask_rules_possible would where a cheap look settles it (plain
 * words, plain numbers), else to KP_MASK_ANALYSE. */
size_t kp_mask_token(const unsigned char *s, size_t n, uint32_t *rules);
/** Bit i set when default rule i could match somewhere in token t[0..n) (no whitespace inside);
 * a clear bit is a proof that rule i cannot match there. 0: nothing to mask. */
uint32_t kp_mask_rules_possible(const unsigned char *t, size_t n);

/** The bit of the number rule: a token whose only possible rule is this one can use kp_mask_numbers. */
uint32_t kp_mask_number_rule(void);
/** Masks token t[0..n) exactly as the number rule would (every match replaced by "<*>", left to
 * right), writing at most 3n bytes to out; returns the output length. */
size_t kp_mask_numbers(const unsigned char *t, size_t n, char *out);

#ifdef __cplusplus
}
#endif
#endif
