/* Reading kernel logs from files: the line reader underneath, format detection from the first
 * non-empty lines (replayed afterwards), binary-garbage lines, counters, whole-file loading. */
#include <stdlib.h>
#include <string.h>
#include "kprca/linereader.h"
#include "text/kernlog_int.h"

#define SAMPLE_NONEMPTY 32  /* non-empty lines used to detect the format */
#define SAMPLE_MAX 1024     /* lines looked at for them at most */

typedef struct pending {
  char *s;
  size_t n;
  bool nul, repaired;
} pending;

struct kp_klog_reader {
  kp_line_reader *lr;
  kp_klog_parser *p;
  kp_klog_format format;
  kp_klog_stats st;
  kp_line_stats prev;
  pending *pend;
  int npend, ipend;
};

/* Reads one line and whether it held NUL bytes or invalid UTF-8. */
static kp_status raw_next(kp_klog_reader *r, const char **s, size_t *n, bool *nul, bool *rep, bool *eof) {
  KP_TRY(kp_line_reader_next(r->lr, s, n, eof));
  kp_line_stats st = kp_line_reader_stats(r->lr);
  *nul = st.with_nul != r->prev.with_nul;
  *rep = st.repaired != r->prev.repaired;
  r->prev = st;
  return KP_OK;
}

static bool is_fffd(const char *s) {
  return (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBF && (unsigned char)s[2] == 0xBD;
}

/* Share of replaced (U+FFFD) and control characters among the characters of s. */
static bool mostly_garbage(const char *s, size_t n) {
  size_t chars = 0, bad = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c & 0xC0) == 0x80) continue;
    chars++;
    if (c == 0xEF && i + 2 < n && is_fffd(s + i)) bad++;
    else if (c < 0x20 && c != '\t' && c != 0x1b) bad++;
  }
  return chars == 0 || 4 * bad > chars;
}

/* Leading U+FFFD run (zero-filled blocks of a log cut by a crash often precede the next line). */
static size_t garbage_prefix(const char *s, size_t n) {
  size_t i = 0;
  while (i + 3 <= n && is_fffd(s + i)) i += 3;
  return i;
}

static bool line_is_binary(const char *s, size_t n, bool nul, bool rep) {
  if (!nul && !rep) return false;
  size_t k = nul ? garbage_prefix(s, n) : 0;
  return mostly_garbage(s + k, n - k);
}

static void count(kp_klog_stats *st, const kp_klog_record *rec) {
  st->lines++;
  uint32_t f = rec->flags;
  st->empty += !!(f & KP_KLOG_EMPTY);
  st->binary += !!(f & KP_KLOG_BINARY);
  st->repaired += !!(f & KP_KLOG_REPAIRED);
  st->cont += !!(f & KP_KLOG_CONT);
  st->heads += !!(f & KP_KLOG_HEAD);
  st->meta += !!(f & KP_KLOG_META);
  st->with_time += rec->time == rec->time;
  st->with_uptime += rec->uptime == rec->uptime;
  if (f & KP_KLOG_UNMATCHED) {
    if (!st->unmatched) st->first_unmatched = rec->lineno;
    st->unmatched++;
  }
}

/* One line into a record: binary garbage is flagged and kept whole; a NUL run before a header is skipped. */
static void process(kp_klog_reader *r, const char *s, size_t n, bool nul, bool rep, int64_t lineno,
                    kp_klog_record *rec) {
  if (line_is_binary(s, n, nul, rep)) {
    kp_klog_parser_line(r->p, "", 0, lineno, rec);
    rec->msg = rec->line = s;
    rec->msg_len = rec->line_len = n;
    rec->flags = KP_KLOG_BINARY | KP_KLOG_UNMATCHED | KP_KLOG_REPAIRED;
  } else {
    size_t k = nul ? garbage_prefix(s, n) : 0;
    kp_klog_parser_line(r->p, s + k, n - k, lineno, rec);
    rec->line = s;
    rec->line_len = n;
    if (nul || rep) rec->flags |= KP_KLOG_REPAIRED;
  }
  count(&r->st, rec);
}

static void free_pending(kp_klog_reader *r) {
  for (int i = 0; i < r->npend; i++) free(r->pend[i].s);
  free(r->pend);
  r->pend = NULL;
  r->npend = r->ipend = 0;
}

/* Reads the sample lines, rejects binary files, detects the format. */
static kp_status sample(kp_klog_reader *r, const kp_klog_options *o) {
  r->pend = calloc(SAMPLE_MAX, sizeof *r->pend);
  const char **lines = calloc(SAMPLE_MAX, sizeof *lines);
  size_t *lens = calloc(SAMPLE_MAX, sizeof *lens);
  kp_status s = KP_OK;
  if (!r->pend || !lines || !lens) {
    s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", kp_line_reader_name(r->lr));
    goto done;
  }
  int nonempty = 0, nbin = 0, ntext = 0;
  int64_t first_bin = 0;
  while (r->npend < SAMPLE_MAX && nonempty < SAMPLE_NONEMPTY) {
    const char *l;
    size_t n;
    bool nul, rep, eof;
    if ((s = raw_next(r, &l, &n, &nul, &rep, &eof)) != KP_OK) goto done;
    if (eof) break;
    pending *pd = &r->pend[r->npend++];
    pd->s = malloc(n + 1);
    if (!pd->s) {
      s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", kp_line_reader_name(r->lr));
      goto done;
    }
    memcpy(pd->s, l, n + 1);
    pd->n = n;
    pd->nul = nul;
    pd->repaired = rep;
    size_t i = 0;
    while (i < n && (l[i] == ' ' || l[i] == '\t')) i++;
    if (i == n) continue;
    nonempty++;
    if (line_is_binary(pd->s, n, nul, rep)) {
      if (!nbin) first_bin = r->npend;
      nbin++;
      continue;
    }
    size_t k = nul ? garbage_prefix(pd->s, n) : 0;
    lines[ntext] = pd->s + k;
    lens[ntext++] = n - k;
  }
  if (nbin && 2 * nbin >= nonempty && !(o && o->allow_binary)) {
    s = kp_fail(KP_ERR_FORMAT, "%s:%lld: binary data, not a text log (%d of the first %d non-empty lines are NUL bytes or invalid UTF-8)",
                kp_line_reader_name(r->lr), (long long)first_bin, nbin, nonempty);
    goto done;
  }
  r->format = o && o->format != KP_KLOG_AUTO ? o->format : kp_klog_detect(lines, lens, ntext);
done:
  free(lines);
  free(lens);
  return s;
}

kp_status kp_klog_reader_open(const char *path, const kp_klog_options *opts, kp_klog_reader **out) {
  *out = NULL;
  if (opts && (opts->format < KP_KLOG_AUTO || opts->format > KP_KLOG_CONSOLE))
    return kp_fail(KP_ERR_INVALID, "%s: invalid log format %d", path ? path : "", (int)opts->format);
  kp_klog_reader *r = calloc(1, sizeof *r);
  if (!r) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path ? path : "");
  kp_status s = kp_line_reader_open(path, &r->lr);
  if (s == KP_OK) s = sample(r, opts);
  if (s == KP_OK) s = kp_klog_parser_new(r->format, opts, &r->p);
  if (s != KP_OK) {
    kp_klog_reader_close(r);
    return s;
  }
  *out = r;
  return KP_OK;
}

kp_status kp_klog_reader_next(kp_klog_reader *r, kp_klog_record *rec, bool *eof) {
  *eof = false;
  if (r->ipend < r->npend) {
    pending *pd = &r->pend[r->ipend];
    process(r, pd->s, pd->n, pd->nul, pd->repaired, r->ipend + 1, rec);
    r->ipend++;
    return KP_OK;
  }
  if (r->pend) free_pending(r); /* strings of the last replayed record are no longer needed */
  const char *l;
  size_t n;
  bool nul, rep;
  KP_TRY(raw_next(r, &l, &n, &nul, &rep, eof));
  if (*eof) return KP_OK;
  process(r, l, n, nul, rep, kp_line_reader_lineno(r->lr), rec);
  return KP_OK;
}

kp_klog_format kp_klog_reader_format(const kp_klog_reader *r) { return r->format; }

kp_klog_stats kp_klog_reader_stats(const kp_klog_reader *r) { return r->st; }

void kp_klog_reader_close(kp_klog_reader *r) {
  if (!r) return;
  free_pending(r);
  kp_line_reader_close(r->lr);
  kp_klog_parser_free(r->p);
  free(r);
}
