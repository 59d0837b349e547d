/* RFC 4180 CSV reader on top of the line reader (a quoted field may span lines) and writer. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/csv.h"
#include "kprca/linereader.h"

struct kp_csv_reader {
  kp_line_reader *lr;
  char *buf; /* the row's fields, each followed by a NUL */
  size_t len, cap;
  size_t *off;
  int nf, fcap;
  char **hdr;
  int nh;
  bool header_read, first_line;
  int64_t row_line;
};

static kp_status make(kp_line_reader *lr, kp_csv_reader **out) {
  kp_csv_reader *r = calloc(1, sizeof *r);
  if (!r) {
    kp_line_reader_close(lr);
    return kp_fail(KP_ERR_NOMEM, "csv: out of memory");
  }
  r->lr = lr;
  r->first_line = true;
  *out = r;
  return KP_OK;
}

kp_status kp_csv_open(const char *path, kp_csv_reader **out) {
  *out = NULL;
  kp_line_reader *lr;
  KP_TRY(kp_line_reader_open(path, &lr));
  return make(lr, out);
}

kp_status kp_csv_open_stream(FILE *f, const char *name, kp_csv_reader **out) {
  *out = NULL;
  kp_line_reader *lr;
  KP_TRY(kp_line_reader_stream(f, name, &lr));
  return make(lr, out);
}

void kp_csv_close(kp_csv_reader *r) {
  if (!r) return;
  kp_line_reader_close(r->lr);
  for (int i = 0; i < r->nh; i++) free(r->hdr[i]);
  free(r->hdr);
  free(r->buf);
  free(r->off);
  free(r);
}

static kp_status put(kp_csv_reader *r, const char *s, size_t n) {
  if (r->len + n + 1 > r->cap) {
    size_t c = r->cap ? r->cap : 256;
    while (c < r->len + n + 1) c *= 2;
    char *b = realloc(r->buf, c);
    if (!b) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", kp_line_reader_name(r->lr));
    r->buf = b;
    r->cap = c;
  }
  memcpy(r->buf + r->len, s, n);
  r->len += n;
  return KP_OK;
}

static kp_status start_field(kp_csv_reader *r) {
  if (r->nf == r->fcap) {
    int c = r->fcap ? 2 * r->fcap : 16;
    size_t *o = realloc(r->off, (size_t)c * sizeof *o);
    if (!o) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", kp_line_reader_name(r->lr));
    r->off = o;
    r->fcap = c;
  }
  r->off[r->nf++] = r->len;
  return KP_OK;
}

/* Parses one row starting at line l (the reader's current line). */
static kp_status parse_row(kp_csv_reader *r, const char *l, size_t n) {
  const char *name = kp_line_reader_name(r->lr);
  r->len = 0;
  r->nf = 0;
  size_t i = 0;
  for (;;) {
    KP_TRY(start_field(r));
    if (i < n && l[i] == '"') {
      int64_t open_line = kp_line_reader_lineno(r->lr);
      size_t open_col = i + 1;
      i++;
      for (;;) {
        if (i == n) { /* the field goes on on the next line */
          bool eof;
          KP_TRY(kp_line_reader_next(r->lr, &l, &n, &eof));
          if (eof)
            return kp_fail(KP_ERR_FORMAT, "%s:%lld:%zu: unterminated quoted field (the file ends inside it)", name,
                           (long long)open_line, open_col);
          KP_TRY(put(r, "\n", 1));
          i = 0;
          continue;
        }
        const char *q = memchr(l + i, '"', n - i);
        size_t take = q ? (size_t)(q - (l + i)) : n - i;
        KP_TRY(put(r, l + i, take));
        i += take;
        if (!q) continue;
        if (i + 1 < n && l[i + 1] == '"') { /* "" is a quote */
          KP_TRY(put(r, "\"", 1));
          i += 2;
          continue;
        }
        i++; /* the closing quote */
        break;
      }
      if (i < n && l[i] != ',')
        return kp_fail(KP_ERR_FORMAT, "%s:%lld:%zu: unexpected character after a closing quote (expected ',' or the line end)",
                       name, (long long)kp_line_reader_lineno(r->lr), i + 1);
    } else {
      size_t j = i;
      while (j < n && l[j] != ',') {
        if (l[j] == '"')
          return kp_fail(KP_ERR_FORMAT, "%s:%lld:%zu: quote inside an unquoted field (quote the whole field and double the quote)",
                         name, (long long)kp_line_reader_lineno(r->lr), j + 1);
        j++;
      }
      KP_TRY(put(r, l + i, j - i));
      i = j;
    }
    KP_TRY(put(r, "", 1)); /* the field's NUL */
    if (i < n) { /* a comma: another field follows (maybe empty) */
      i++;
      continue;
    }
    return KP_OK;
  }
}

kp_status kp_csv_next(kp_csv_reader *r, bool *eof) {
  const char *l;
  size_t n;
  for (;;) {
    KP_TRY(kp_line_reader_next(r->lr, &l, &n, eof));
    if (*eof) return KP_OK;
    if (r->first_line) {
      r->first_line = false;
      if (n >= 3 && memcmp(l, "\xEF\xBB\xBF", 3) == 0) l += 3, n -= 3;
    }
    if (n) break;
  }
  r->row_line = kp_line_reader_lineno(r->lr);
  KP_TRY(parse_row(r, l, n));
  if (r->header_read && r->nf != r->nh)
    return kp_fail(KP_ERR_FORMAT, "%s:%lld: %d field%s, but the header has %d columns", kp_line_reader_name(r->lr),
                   (long long)r->row_line, r->nf, r->nf == 1 ? "" : "s", r->nh);
  return KP_OK;
}

kp_status kp_csv_read_header(kp_csv_reader *r) {
  bool eof;
  KP_TRY(kp_csv_next(r, &eof));
  if (eof) return kp_fail(KP_ERR_FORMAT, "%s: empty file (expected a header row)", kp_line_reader_name(r->lr));
  r->hdr = calloc((size_t)r->nf, sizeof *r->hdr);
  if (!r->hdr) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", kp_line_reader_name(r->lr));
  for (int i = 0; i < r->nf; i++) {
    r->hdr[i] = strdup(r->buf + r->off[i]);
    if (!r->hdr[i]) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", kp_line_reader_name(r->lr));
    r->nh++;
  }
  r->header_read = true;
  return KP_OK;
}

int kp_csv_column(const kp_csv_reader *r, const char *name) {
  for (int i = 0; i < r->nh; i++)
    if (strcmp(r->hdr[i], name) == 0) return i;
  return -1;
}

int kp_csv_ncolumns(const kp_csv_reader *r) { return r->nh; }

const char *kp_csv_column_name(const kp_csv_reader *r, int i) { return i >= 0 && i < r->nh ? r->hdr[i] : NULL; }

int kp_csv_nfields(const kp_csv_reader *r) { return r->nf; }

const char *kp_csv_get(const kp_csv_reader *r, int i, size_t *len) {
  if (i < 0 || i >= r->nf) return NULL;
  const char *s = r->buf + r->off[i];
  if (len) *len = (i + 1 < r->nf ? r->off[i + 1] - 1 : r->len - 1) - r->off[i];
  return s;
}

int64_t kp_csv_row_line(const kp_csv_reader *r) { return r->row_line; }

const char *kp_csv_name(const kp_csv_reader *r) { return kp_line_reader_name(r->lr); }

/* ---- writer ---- */
struct kp_csv_writer {
  FILE *f;
  char *name;
  bool crlf;
  int nfields;
  bool last_empty;
  bool failed;
};

kp_status kp_csv_writer_new(FILE *f, const char *name, bool crlf, kp_csv_writer **out) {
  *out = NULL;
  kp_csv_writer *w = calloc(1, sizeof *w);
  if (!w || !(w->name = strdup(name ? name : "<stream>"))) {
    free(w);
    return kp_fail(KP_ERR_NOMEM, "csv writer: out of memory");
  }
  w->f = f;
  w->crlf = crlf;
  *out = w;
  return KP_OK;
}

void kp_csv_row_begin(kp_csv_writer *w) { w->nfields = 0; }

static void out(kp_csv_writer *w, const char *s, size_t n) {
  if (n && fwrite(s, 1, n, w->f) != n) w->failed = true;
}

void kp_csv_field(kp_csv_writer *w, const char *s, size_t n) {
  if (w->nfields++) out(w, ",", 1);
  w->last_empty = n == 0;
  bool quote = false;
  for (size_t i = 0; i < n && !quote; i++) quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  if (!quote) {
    out(w, s, n);
    return;
  }
  out(w, "\"", 1);
  size_t i = 0;
  while (i < n) {
    const char *q = memchr(s + i, '"', n - i);
    size_t take = q ? (size_t)(q - (s + i)) + 1 : n - i;
    out(w, s + i, take);
    if (q) out(w, "\"", 1); /* double it */
    i += take;
  }
  out(w, "\"", 1);
}

void kp_csv_field_str(kp_csv_writer *w, const char *s) { kp_csv_field(w, s ? s : "", s ? strlen(s) : 0); }

void kp_csv_field_i64(kp_csv_writer *w, int64_t v) {
  char b[32];
  int n = snprintf(b, sizeof b, "%" PRId64, v);
  kp_csv_field(w, b, (size_t)n);
}

kp_status kp_csv_row_end(kp_csv_writer *w) {
  if (w->nfields == 1 && w->last_empty) out(w, "\"\"", 2); /* else the row would read as a blank line */
  out(w, w->crlf ? "\r\n" : "\n", w->crlf ? 2 : 1);
  if (w->failed || ferror(w->f)) return kp_fail(KP_ERR_IO, "%s: write failed: %s", w->name, strerror(errno));
  return KP_OK;
}

kp_status kp_csv_writer_close(kp_csv_writer *w) {
  if (!w) return KP_OK;
  bool bad = w->failed || fflush(w->f) != 0 || ferror(w->f);
  kp_status s = bad ? kp_fail(KP_ERR_IO, "%s: write failed: %s", w->name, strerror(errno)) : KP_OK;
  free(w->name);
  free(w);
  return s;
}
