/* Masking before template mining: every match of each regex is replaced by "<*>", regex after
 * regex in the order added (as loghub's preprocess does with re.sub), plus a default set for
 * kernel logs (addresses, ids, numbers, devices, paths). PCRE2, JIT-compiled. */
#ifndef KPRCA_MASK_H
#define KPRCA_MASK_H
#include <stddef.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_masker kp_masker;

/** An empty masker (no passes: apply copies its input). */
kp_status kp_masker_new(kp_masker **out);
/** Adds one pass: every match of pattern (PCRE2 syntax, UTF-8, \d \w \s \b Unicode-aware as in
 * Python's re) becomes "<*>". Empty matches are replaced as Python's re.sub does. A bad pattern
 * fails with KP_ERR_INVALID: "mask 'pattern': <reason> at offset N". */
kp_status kp_masker_add(kp_masker *m, const char *pattern);
/** Adds the default kernel-log set as ONE pass: the alternation of kp_mask_default_pattern(0..n)
 * in that order, so at each position the first rule that matches there wins and the line is
 * scanned once. Rules never match across whitespace and never inside a word. */
kp_status kp_masker_add_defaults(kp_masker *m);
/** Number of passes added. */
size_t kp_masker_npasses(const kp_masker *m);
/** Masks in[0..n) (valid UTF-8; invalid input fails with KP_ERR_INVALID); *out points to an
 * internal NUL-terminated buffer, valid until the next call on m. Not thread-safe. */
kp_status kp_masker_apply(kp_masker *m, const char *in, size_t n, const char **out, size_t *out_len);
/** Frees m; NULL is ignored. */
void kp_masker_free(kp_masker *m);

/** The default kernel-log rules: count, short name ("hex", "ipv4", ...), PCRE2 pattern, example. */
size_t kp_mask_default_count(void);
const char *kp_mask_default_name(size_t i);
const char *kp_mask_default_pattern(size_t i);
const char *kp_mask_default_example(size_t i);

#ifdef __cplusplus
}
#endif
#endif
