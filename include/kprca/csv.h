/* RFC 4180 CSV: a reader (quoted fields with commas, quotes and newlines inside, LF or CRLF,
 * header lookup by name, errors naming file:line:column) and a writer that quotes as needed. */
#ifndef KPRCA_CSV_H
#define KPRCA_CSV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---- Reader. Fields are UTF-8 (invalid bytes repaired to U+FFFD); a line break inside a quoted
 * field reads as "\n" whatever the file used; blank lines between rows are skipped. ---- */
typedef struct kp_csv_reader kp_csv_reader;

/** Opens path ("-": stdin); KP_ERR_IO naming the file when it cannot be read. */
kp_status kp_csv_open(const char *path, kp_csv_reader **out);
/** Reads from an open stream (not closed by the reader); name is used in messages. */
kp_status kp_csv_open_stream(FILE *f, const char *name, kp_csv_reader **out);
/** Reads the first row as the header; KP_ERR_FORMAT when the file has no rows. A UTF-8 BOM is skipped. */
kp_status kp_csv_read_header(kp_csv_reader *r);
/** Reads the next row (after a header, its field count must match: else KP_ERR_FORMAT); *eof at the end. */
kp_status kp_csv_next(kp_csv_reader *r, bool *eof);
/** Index of the header column called name, -1 when there is none. */
int kp_csv_column(const kp_csv_reader *r, const char *name);
/** Number of header columns (0 before kp_csv_read_header). */
int kp_csv_ncolumns(const kp_csv_reader *r);
/** Name of header column i (NULL when out of range). */
const char *kp_csv_column_name(const kp_csv_reader *r, int i);
/** Number of fields in the current row. */
int kp_csv_nfields(const kp_csv_reader *r);
/** Field i of the current row, NUL-terminated (NULL when out of range); *len gets its length when len is not NULL. */
const char *kp_csv_get(const kp_csv_reader *r, int i, size_t *len);
/** 1-based line of the file where the current row starts. */
int64_t kp_csv_row_line(const kp_csv_reader *r);
/** The name given at open. */
const char *kp_csv_name(const kp_csv_reader *r);
/** Closes and frees r; NULL is ignored. */
void kp_csv_close(kp_csv_reader *r);

/* ---- Writer: kp_csv_row_begin, kp_csv_field... per field, kp_csv_row_end. ---- */
typedef struct kp_csv_writer kp_csv_writer;

/** A writer on an open stream (not closed by the writer); crlf: end rows with CRLF instead of LF. */
kp_status kp_csv_writer_new(FILE *f, const char *name, bool crlf, kp_csv_writer **out);
/** Starts a row. */
void kp_csv_row_begin(kp_csv_writer *w);
/** Appends a field of n bytes, quoted when it holds a comma, a quote, CR or LF (quotes doubled). */
void kp_csv_field(kp_csv_writer *w, const char *s, size_t n);
/** Appends a NUL-terminated field; NULL writes an empty field. */
void kp_csv_field_str(kp_csv_writer *w, const char *s);
/** Appends an integer field. */
void kp_csv_field_i64(kp_csv_writer *w, int64_t v);
/** Ends the row; KP_ERR_IO naming the file when a write failed. */
kp_status kp_csv_row_end(kp_csv_writer *w);
/** Flushes the stream and frees w; KP_ERR_IO when any write failed. NULL is ignored. */
kp_status kp_csv_writer_close(kp_csv_writer *w);

#ifdef __cplusplus
}
#endif
#endif
