/* loghub-style log format strings ("<Date> <Time> <Level> <Component>: <Content>") compiled to
 * one anchored PCRE2 regex with a named group per field, as logparser's generate_logformat_regex. */
#ifndef KPRCA_LOGFORMAT_H
#define KPRCA_LOGFORMAT_H
#include <stdbool.h>
#include <stddef.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_logformat kp_logformat;

/** A field's place in a line: bytes [off, off + len) (len 0 for a field in an optional group that did not take part). */
typedef struct kp_span {
  size_t off, len;
} kp_span;

/** Compiles fmt: `<Name>` is a field (letters, digits, _; not starting with a digit; at most 32
 * characters; each name once), a run of spaces matches one or more whitespace characters (\s+),
 * and everything else is a PCRE2 regular expression (so `\[`, `(...)?` and `\|` work as in loghub).
 * Fields match lazily (.*?) except Content, which matches greedily; the whole regex is anchored
 * (^...$). Fails with KP_ERR_INVALID naming the column of the problem in fmt. */
kp_status kp_logformat_compile(const char *fmt, kp_logformat **out);
/** Number of fields, in the order they appear in the format. */
int kp_logformat_nfields(const kp_logformat *f);
/** Name of field i. */
const char *kp_logformat_field(const kp_logformat *f, int i);
/** Index of the field named name, or -1. */
int kp_logformat_find(const kp_logformat *f, const char *name);
/** The generated regular expression (for messages and docs). */
const char *kp_logformat_regex(const kp_logformat *f);
/** Matches line[0..len) after trimming leading and trailing whitespace (as loghub strips each
 * line); on a match fills spans[0..nfields) with offsets into line and sets *matched. Valid UTF-8
 * is expected (kp_line_reader gives it); invalid UTF-8 fails with KP_ERR_INVALID. Not thread-safe. */
kp_status kp_logformat_match(kp_logformat *f, const char *line, size_t len, kp_span *spans, bool *matched);
/** Frees f; NULL is ignored. */
void kp_logformat_free(kp_logformat *f);

#ifdef __cplusplus
}
#endif
#endif
