/* A string interning table (open addressing): distinct strings get ids 0, 1, 2, ... in order of
 * first appearance. Used for label sets and duplicate checks. */
#ifndef KPRCA_DATA_STRTAB_H
#define KPRCA_DATA_STRTAB_H
#include <stddef.h>
#include <stdint.h>

typedef struct kp_strtab {
  char **s;        /* s[id]: NUL-terminated copies */
  int32_t n, cap;
  int32_t *slot;   /* hash slots: id + 1, 0 when free */
  uint32_t nslot;  /* a power of two */
} kp_strtab;

/* Id of s[0..n), added when new; -1 when out of memory. */
int32_t kp_strtab_intern(kp_strtab *t, const char *s, size_t n);
/* Id of s[0..n), -1 when absent. */
int32_t kp_strtab_find(const kp_strtab *t, const char *s, size_t n);
/* Frees the table's memory (the struct itself is the caller's). */
void kp_strtab_free(kp_strtab *t);

/* Sorts label names in place into the label-set order: numerically when every name is an
 * integer ("0", "1", "10"), else by bytes; perm (may be NULL) gets old id -> new id. */
void kp_labels_sort(char **names, int32_t n, int32_t *perm);

/* "a, b, c" (shortened with ", ..." to fit cap) for messages about unknown labels. */
const char *kp_labels_list(char *const *names, int32_t n, char *buf, size_t cap);

#endif
