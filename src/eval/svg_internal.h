/* A growing text buffer shared by the SVG and HTML report writers. */
#ifndef KPRCA_EVAL_SVG_INTERNAL_H
#define KPRCA_EVAL_SVG_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_sbuf {
  char *s;
  size_t n, cap;
  bool bad; /* an allocation failed: the text is incomplete */
} kp_sbuf;

/** Appends printf-formatted text. */
void kp_sbuf_printf(kp_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Appends s XML-escaped (NULL appends nothing). */
void kp_sbuf_esc(kp_sbuf *b, const char *s);
/** Appends s XML-escaped, cut to at most max code points (a cut text ends in an ellipsis). */
void kp_sbuf_esc_cut(kp_sbuf *b, const char *s, int max);
/** Appends raw text. */
void kp_sbuf_put(kp_sbuf *b, const char *s);
/** The text (caller frees), or NULL (and the buffer freed) when an allocation failed. */
char *kp_sbuf_take(kp_sbuf *b);
/** A number with up to `sig` significant digits, trailing zeros dropped, into buf. */
const char *kp_fmt_num(char *buf, size_t n, double v, int sig);

#ifdef __cplusplus
}
#endif
#endif
