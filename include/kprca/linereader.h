/* Reading text logs line by line: LF and CRLF endings, a missing final newline, lines of any
 * length (a 1 MB line is fine), and invalid UTF-8 repaired to U+FFFD, never a crash. */
#ifndef KPRCA_LINEREADER_H
#define KPRCA_LINEREADER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_line_reader kp_line_reader;

typedef struct kp_line_stats {
  int64_t lines;        /* lines returned so far */
  int64_t repaired;     /* lines that held invalid UTF-8 (repaired with U+FFFD) */
  int64_t with_nul;     /* lines that held NUL bytes (binary data; NULs become U+FFFD) */
  int64_t crlf;         /* lines that ended in CRLF */
  int64_t longest;      /* bytes in the longest line */
} kp_line_stats;

/** Opens path ("-" reads standard input); fails with KP_ERR_IO naming the file when it cannot be read. */
kp_status kp_line_reader_open(const char *path, kp_line_reader **out);
/** Reads from an already open stream (not closed by the reader); name is used in messages. */
kp_status kp_line_reader_stream(FILE *f, const char *name, kp_line_reader **out);
/** Next line without its terminator, valid UTF-8 with no NUL; *line stays valid until the next call. Sets *eof at the end. */
kp_status kp_line_reader_next(kp_line_reader *r, const char **line, size_t *len, bool *eof);
/** 1-based number of the line last returned. */
int64_t kp_line_reader_lineno(const kp_line_reader *r);
/** The name given at open ("-" shows as "<stdin>"). */
const char *kp_line_reader_name(const kp_line_reader *r);
/** Counters so far. */
kp_line_stats kp_line_reader_stats(const kp_line_reader *r);
/** Closes the file (unless it came from kp_line_reader_stream) and frees r; NULL is ignored. */
void kp_line_reader_close(kp_line_reader *r);

/** Writes in[0..n) to out as valid UTF-8, each invalid byte (or NUL) replaced by U+FFFD; out holds >= 3n bytes. Returns the output length; *bad counts replacements. */
size_t kp_utf8_repair(const char *in, size_t n, char *out, size_t *bad);

#ifdef __cplusplus
}
#endif
#endif
