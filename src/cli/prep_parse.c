/* kprca-prep parse: log lines -> log format fields -> masking -> Drain templates; writes loghub's
 * X_structured.csv and X_templates.csv (and X_unmatched.csv) atomically, keeps ids in a state file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli/prep.h"
#include "kprca/drain.h"
#include "kprca/linereader.h"
#include "kprca/logformat.h"
#include "kprca/mask.h"

#define DEFAULT_MASKS_TAG "@kernel-defaults/1"
#define MAX_MASKS 256
#define ROWS_IN_MEMORY ((size_t)512 << 20) /* rows kept in memory up to this; beyond, in a scratch file */

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-prep parse --input X.log --output DIR [options]\n"
          "Mines log templates with Drain and writes DIR/X.log_structured.csv (LineId, the format's\n"
          "fields, EventId, EventTemplate), DIR/X.log_templates.csv (EventId, EventTemplate, Occurrences)\n"
          "and DIR/X.log_unmatched.csv (LineId, Line: lines the log format did not match).\n"
          "options:\n"
          "  --input FILE         the log (LF or CRLF; invalid UTF-8 is repaired to U+FFFD)\n"
          "  --output DIR         output directory (created if missing)\n"
          "  --log-format FMT     loghub format: <Name> is a field, a space matches spaces, the rest is a\n"
          "                       regex; it must have <Content> (default: \"<Content>\", the whole line)\n"
          "  --mask REGEX         replace every match by <*> before mining (repeatable; run in order,\n"
          "                       before the default kernel masks)\n"
          "  --no-default-masks   do not apply the default kernel-log masks\n"
          "  --sim X              similarity threshold in [0, 1] (default 0.5)\n"
          "  --depth N            Drain tree depth, >= 3 (default 4)\n"
          "  --max-children N     children per tree node, >= 1 (default 100)\n"
          "  --state FILE.json    load the mined state if the file exists and save it back, so template\n"
          "                       ids stay stable across runs (parameters and masks come from the file)\n"
          "  --list-masks         print the default kernel masks (name, PCRE2 pattern, example) and exit\n");
}

/* ---- error handling: one line, exit 2 (bad input) or 1 (runtime) ---- */
static int fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("kprca-prep parse: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

/* ---- buffered CSV writer ---- */
typedef struct out {
  FILE *f;
  char *buf;
  size_t n, cap;
  bool err;
  size_t grow_max; /* a malloc'd buffer that grows up to this size before it is written out */
  bool flushed;    /* something went to f */
} out;

static void out_flush(out *o) {
  if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n) o->err = true;
  if (o->n) o->flushed = true;
  o->n = 0;
}
static inline void out_put(out *o, const char *s, size_t n) {
  if (o->n + n > o->cap && o->cap < o->grow_max) {
    size_t c = o->cap;
    while (c < o->n + n && c < o->grow_max) c *= 2;
    char *q = realloc(o->buf, c);
    if (q) o->buf = q, o->cap = c;
  }
  if (o->n + n > o->cap) {
    out_flush(o);
    if (n > o->cap) {
      if (fwrite(s, 1, n, o->f) != n) o->err = true;
      return;
    }
  }
  memcpy(o->buf + o->n, s, n);
  o->n += n;
}
static inline void out_str(out *o, const char *s) { out_put(o, s, strlen(s)); }
/* Whether s[0..n) holds , " CR or LF (eight bytes at a time: a zero byte of w ^ c marks a c). */
static inline bool needs_quotes(const char *s, size_t n) {
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w, hit = 0;
    memcpy(&w, s + i, 8);
    const uint64_t cs[4] = {',' * ones, '"' * ones, '\n' * ones, '\r' * ones};
    for (int k = 0; k < 4; k++) {
      uint64_t x = w ^ cs[k];
      hit |= (x - ones) & ~x & high;
    }
    if (hit) return true;
  }
  for (; i < n; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') return true;
  return false;
}

/* A CSV cell as pandas/csv QUOTE_MINIMAL writes it: quoted when it holds , " CR or LF. */
static void out_cell(out *o, const char *s, size_t n) {
  bool q = needs_quotes(s, n);
  if (!q) {
    out_put(o, s, n);
    return;
  }
  out_put(o, "\"", 1);
  size_t a = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == '"') {
      out_put(o, s + a, i + 1 - a);
      out_put(o, "\"", 1);
      a = i + 1;
    }
  out_put(o, s + a, n - a);
  out_put(o, "\"", 1);
}
/* The same quoting into dst (room for 2n + 2 bytes); returns the length. */
static size_t quote_into(char *dst, const char *s, size_t n) {
  if (!needs_quotes(s, n)) {
    memcpy(dst, s, n);
    return n;
  }
  size_t o = 0;
  dst[o++] = '"';
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') dst[o++] = '"';
    dst[o++] = s[i];
  }
  dst[o++] = '"';
  return o;
}
static void out_int(out *o, long long v) { /* as "%lld" (a call to snprintf per row was a fifth of the time) */
  char b[24], *e = b + sizeof b, *p = e;
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  do *--p = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0) *--p = '-';
  out_put(o, p, (size_t)(e - p));
}

/* ---- temporary files in the output directory, renamed into place at the end ---- */
typedef struct tmpf {
  char *path;  /* temporary name */
  char *final; /* target name */
  FILE *f;
} tmpf;

static bool tmp_open(tmpf *t, const char *dir, const char *name, bool anonymous) {
  size_t n = strlen(dir) + strlen(name) + 32;
  t->path = malloc(n);
  t->final = malloc(n);
  if (!t->path || !t->final) return false;
  snprintf(t->final, n, "%s/%s", dir, name);
  snprintf(t->path, n, "%s/.%s.tmpXXXXXX", dir, name);
  int fd = mkstemp(t->path);
  if (fd < 0) return false;
  mode_t um = umask(0);
  umask(um);
  if (fchmod(fd, 0666 & ~um) != 0) { /* mkstemp makes 0600; outputs get the usual mode */
    close(fd);
    unlink(t->path);
    return false;
  }
  t->f = fdopen(fd, anonymous ? "w+" : "w");
  if (!t->f) {
    close(fd);
    unlink(t->path);
    return false;
  }
  if (anonymous) unlink(t->path); /* scratch: gone when closed */
  return true;
}
static void tmp_discard(tmpf *t, bool anonymous) {
  if (t->f) fclose(t->f);
  if (t->path && t->f && !anonymous) unlink(t->path);
  free(t->path), free(t->final);
  memset(t, 0, sizeof *t);
}

/* ---- options ---- */
typedef struct opts {
  const char *input, *output, *format, *state;
  const char *masks[MAX_MASKS];
  int nmasks;
  bool no_defaults, set_sim, set_depth, set_maxc;
  kp_drain_params p;
} opts;

static int parse_args(int argc, char **argv, opts *o) {
  memset(o, 0, sizeof *o);
  o->format = "<Content>";
  o->p = kp_drain_default_params();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return -1;
    }
    if (!strcmp(a, "--list-masks")) {
      for (size_t k = 0; k < kp_mask_default_count(); k++)
        printf("%s\t%s\t%s\n", kp_mask_default_name(k), kp_mask_default_pattern(k), kp_mask_default_example(k));
      return -1;
    }
    if (!strcmp(a, "--no-default-masks")) {
      o->no_defaults = true;
      continue;
    }
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    bool known = !strcmp(a, "--input") || !strcmp(a, "--output") || !strcmp(a, "--log-format") ||
                 !strcmp(a, "--mask") || !strcmp(a, "--sim") || !strcmp(a, "--depth") ||
                 !strcmp(a, "--max-children") || !strcmp(a, "--state");
    if (!known) return fail(2, "unknown option '%s' (see --help)", a);
    if (!v) return fail(2, "%s needs a value", a);
    i++;
    char *end;
    if (!strcmp(a, "--input")) o->input = v;
    else if (!strcmp(a, "--output")) o->output = v;
    else if (!strcmp(a, "--log-format")) o->format = v;
    else if (!strcmp(a, "--state")) o->state = v;
    else if (!strcmp(a, "--mask")) {
      if (o->nmasks == MAX_MASKS) return fail(2, "more than %d --mask options", MAX_MASKS);
      o->masks[o->nmasks++] = v;
    } else if (!strcmp(a, "--sim")) {
      errno = 0;
      o->p.sim = strtod(v, &end);
      if (*end || end == v || errno || !(o->p.sim >= 0 && o->p.sim <= 1))
        return fail(2, "--sim '%s': expected a number in [0, 1]", v);
      o->set_sim = true;
    } else {
      errno = 0;
      long x = strtol(v, &end, 10);
      bool depth = !strcmp(a, "--depth");
      if (*end || end == v || errno || (depth ? (x < 3 || x > 64) : (x < 1 || x > 1000000)))
        return fail(2, "%s '%s': expected an integer %s", a, v, depth ? "in [3, 64]" : ">= 1");
      if (depth) o->p.depth = (int)x, o->set_depth = true;
      else o->p.max_children = (int)x, o->set_maxc = true;
    }
  }
  if (!o->input) return fail(2, "--input is required (see --help)");
  if (!o->output) return fail(2, "--output is required (see --help)");
  return 0;
}

/* The mask list as recorded in a state file. */
static int mask_list(const opts *o, const char **list) {
  int n = 0;
  for (int i = 0; i < o->nmasks; i++) list[n++] = o->masks[i];
  if (!o->no_defaults) list[n++] = DEFAULT_MASKS_TAG;
  return n;
}

/* Loads or creates the miner; checks a loaded state against the options. */
static int open_miner(const opts *o, kp_drain **d, bool *loaded) {
  *loaded = false;
  struct stat st;
  if (o->state && stat(o->state, &st) == 0) {
    char **m;
    size_t nm;
    if (kp_drain_load(o->state, d, &m, &nm) != KP_OK) return fail(2, "--state: %s", kp_last_error());
    *loaded = true;
    const char *want[MAX_MASKS + 1];
    int nw = mask_list(o, want);
    bool same = (size_t)nw == nm;
    for (int i = 0; same && i < nw; i++) same = !strcmp(want[i], m[i]);
    kp_drain_free_masks(m, nm);
    if (!same)
      return fail(2, "%s was mined with other masks than this run's (--mask list and --no-default-masks must match)",
                  o->state);
    kp_drain_params p = kp_drain_get_params(*d);
    if ((o->set_sim && o->p.sim != p.sim) || (o->set_depth && o->p.depth != p.depth) ||
        (o->set_maxc && o->p.max_children != p.max_children))
      return fail(2, "%s was mined with --sim %g --depth %d --max-children %d; a state keeps its parameters", o->state,
                  p.sim, p.depth, p.max_children);
    return 0;
  }
  if (kp_drain_new(&o->p, d) != KP_OK) return fail(2, "%s", kp_last_error());
  return 0;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Counts U+FFFD (repairs) in a line. */
static size_t count_repl(const char *s, size_t n) {
  size_t k = 0;
  for (const char *p = s; (p = memchr(p, 0xEF, (size_t)(s + n - p))) != NULL; p++)
    if (p + 2 < s + n && (unsigned char)p[1] == 0xBF && (unsigned char)p[2] == 0xBD) k++;
  return k;
}

typedef struct run {
  opts o;
  kp_logformat *fmt;
  kp_masker *mask;
  kp_drain *drain;
  kp_line_reader *in;
  tmpf rows, structured, templates, unmatched;
  int32_t *cl; /* cluster of each parsed line */
  size_t ncl, capcl;
  int32_t *ev; /* event (oldest cluster with the same template) of each cluster */
  int64_t *occ;
  int32_t *order;
  char *base;
  char *rows_mem; /* the rows' first columns, when they fit in memory (else in the scratch file) */
  size_t rows_len;
  bool rows_spilled;
} run;

static void cleanup(run *r) {
  tmp_discard(&r->rows, true);
  tmp_discard(&r->structured, false);
  tmp_discard(&r->templates, false);
  tmp_discard(&r->unmatched, false);
  kp_line_reader_close(r->in);
  kp_logformat_free(r->fmt);
  kp_masker_free(r->mask);
  kp_drain_free(r->drain);
  free(r->cl), free(r->ev), free(r->occ), free(r->order), free(r->base), free(r->rows_mem);
}

/* mkdir -p */
static bool mkdir_p(const char *dir) {
  char *p = strdup(dir);
  if (!p) return false;
  bool ok = true;
  for (char *q = p + 1; ok; q++) {
    if (*q != '/' && *q) continue;
    char c = *q;
    *q = 0;
    struct stat st;
    if (stat(p, &st) != 0 && mkdir(p, 0777) != 0 && errno != EEXIST) ok = false;
    *q = c;
    if (!c) break;
  }
  free(p);
  return ok;
}

static int prepare(run *r) {
  opts *o = &r->o;
  if (kp_logformat_compile(o->format, &r->fmt) != KP_OK) return fail(2, "--log-format: %s", kp_last_error());
  if (kp_logformat_find(r->fmt, "Content") < 0) return fail(2, "--log-format '%s' has no <Content> field", o->format);
  if (kp_masker_new(&r->mask) != KP_OK) return fail(1, "%s", kp_last_error());
  for (int i = 0; i < o->nmasks; i++)
    if (kp_masker_add(r->mask, o->masks[i]) != KP_OK) return fail(2, "--mask: %s", kp_last_error());
  if (!o->no_defaults && kp_masker_add_defaults(r->mask) != KP_OK) return fail(1, "%s", kp_last_error());
  bool loaded;
  int rc = open_miner(o, &r->drain, &loaded);
  if (rc) return rc;
  if (kp_line_reader_open(o->input, &r->in) != KP_OK) return fail(2, "%s", kp_last_error());
  struct stat st;
  if (!strcmp(o->input, "-")) r->base = strdup("stdin");
  else if (stat(o->input, &st) == 0 && S_ISDIR(st.st_mode)) return fail(2, "%s: is a directory, not a log file", o->input);
  else {
    const char *b = strrchr(o->input, '/');
    r->base = strdup(b ? b + 1 : o->input);
  }
  if (!r->base) return fail(1, "out of memory");
  if (stat(o->output, &st) != 0) {
    if (!mkdir_p(o->output)) return fail(2, "--output %s: cannot create the directory: %s", o->output, strerror(errno));
  } else if (!S_ISDIR(st.st_mode)) {
    return fail(2, "--output %s: exists and is not a directory", o->output);
  }
  char name[4096];
  struct { tmpf *t; const char *suffix; bool anon; } files[] = {
      {&r->rows, "_rows", true}, {&r->structured, "_structured.csv", false},
      {&r->templates, "_templates.csv", false}, {&r->unmatched, "_unmatched.csv", false}};
  for (size_t i = 0; i < 4; i++) {
    snprintf(name, sizeof name, "%s%s", r->base, files[i].suffix);
    if (!tmp_open(files[i].t, o->output, name, files[i].anon))
      return fail(2, "--output %s: cannot write there: %s", o->output, strerror(errno));
  }
  return 0;
}

/* Pass 1: every line through the format, the masks and Drain. */
static int mine(run *r, int64_t *nlines, int64_t *nunmatched) {
  int nf = kp_logformat_nfields(r->fmt), ci = kp_logformat_find(r->fmt, "Content");
  kp_span sp[64];
  char ubuf[1 << 16];
  out un = {r->unmatched.f, ubuf, 0, sizeof ubuf, false, 0, false};
  out rows = {r->rows.f, malloc(1 << 20), 0, 1 << 20, false, ROWS_IN_MEMORY, false};
  if (!rows.buf) return fail(1, "out of memory");
  out_str(&un, "LineId,Line\n");
  double t0 = now_s(), last = t0;
  int64_t lines = 0, unmatched = 0, repl = 0, bytes = 0, repaired_lines = 0;
  for (;;) {
    const char *line;
    size_t len;
    bool eof, ok;
    if (kp_line_reader_next(r->in, &line, &len, &eof) != KP_OK) return fail(2, "%s", kp_last_error());
    if (eof) break;
    lines++;
    bytes += (int64_t)len;
    if (kp_line_reader_stats(r->in).repaired > repaired_lines) {
      repaired_lines++;
      repl += (int64_t)count_repl(line, len);
    }
    if ((lines & 0xFFFF) == 0) {
      double t = now_s();
      if (t - last >= 3.0) {
        fprintf(stderr, "kprca-prep parse: %s: %lld lines (%.0f lines/s)\n", r->o.input, (long long)lines,
                (double)lines / (t - t0));
        last = t;
      }
    }
    if (kp_logformat_match(r->fmt, line, len, sp, &ok) != KP_OK) return fail(1, "%s", kp_last_error());
    if (!ok) {
      unmatched++;
      out_int(&un, lines);
      out_put(&un, ",", 1);
      out_cell(&un, line, len);
      out_put(&un, "\n", 1);
      continue;
    }
    const char *m;
    size_t mlen;
    int32_t c;
    bool created;
    if (kp_masker_apply(r->mask, line + sp[ci].off, sp[ci].len, &m, &mlen) != KP_OK ||
        kp_drain_add(r->drain, m, mlen, &c, &created) != KP_OK)
      return fail(1, "%s:%lld: %s", r->o.input, (long long)lines, kp_last_error());
    if (r->ncl == r->capcl) {
      size_t cap = r->capcl ? 2 * r->capcl : 1 << 16;
      int32_t *p = realloc(r->cl, cap * sizeof *p);
      if (!p) return fail(1, "out of memory");
      r->cl = p, r->capcl = cap;
    }
    r->cl[r->ncl++] = c;
    out_int(&rows, lines);
    for (int k = 0; k < nf; k++) {
      out_put(&rows, ",", 1);
      out_cell(&rows, line + sp[k].off, sp[k].len);
    }
    out_put(&rows, "\n", 1);
  }
  if (rows.flushed) out_flush(&rows); /* spilled: the scratch file holds them all */
  out_flush(&un);
  r->rows_mem = rows.buf, r->rows_len = rows.flushed ? 0 : rows.n, r->rows_spilled = rows.flushed;
  if (rows.err || un.err) return fail(1, "--output %s: write error: %s", r->o.output, strerror(errno));
  kp_line_stats st = kp_line_reader_stats(r->in);
  const char *in = r->o.input;
  if (lines == 0) return fail(2, "%s: empty input (no lines)", in);
  /* binary data: many damaged lines, and a good share of the bytes replaced */
  int64_t raw = bytes - 2 * repl;
  if (st.repaired * 10 > lines * 3 && repl * 20 > (raw > 0 ? raw : 1))
    return fail(2, "%s: binary data, not a text log (%lld of %lld lines hold NUL bytes or invalid UTF-8)", in,
                (long long)st.repaired, (long long)lines);
  if (unmatched == lines)
    return fail(2, "%s:1: the log format matched none of the %lld lines (format regex: %s)", in, (long long)lines,
                kp_logformat_regex(r->fmt));
  *nlines = lines, *nunmatched = unmatched;
  return 0;
}

/* Writes the complete rows in buf[0..n) with their event cells; *used gets the bytes consumed. */
static size_t emit_rows(out *s, const run *r, char **cells, const char *buf, size_t n, size_t row, size_t *used) {
  size_t a = 0;
  for (const char *nl; row < r->ncl && (nl = memchr(buf + a, '\n', n - a)) != NULL; a = (size_t)(nl - buf) + 1) {
    out_put(s, buf + a, (size_t)(nl - (buf + a)));
    out_str(s, cells[r->ev[r->cl[row++]]]);
  }
  if (used) *used = a;
  return row;
}

/* Pass 2: events, the templates file, then the structured file from the rows of pass 1. */
static int write_outputs(run *r) {
  size_t nc = kp_drain_count(r->drain);
  r->ev = malloc((nc + 1) * sizeof *r->ev);
  r->occ = calloc(nc + 1, sizeof *r->occ);
  r->order = malloc((nc + 1) * sizeof *r->order);
  if (!r->ev || !r->occ || !r->order) return fail(1, "out of memory");
  if (kp_drain_event_of(r->drain, r->ev) != KP_OK) return fail(1, "%s", kp_last_error());
  size_t norder = 0;
  for (size_t i = 0; i < r->ncl; i++) {
    int32_t e = r->ev[r->cl[i]];
    if (!r->occ[e]++) r->order[norder++] = e; /* first-appearance order, as pandas' unique() */
  }
  char buf[1 << 16], id[32];
  out t = {r->templates.f, buf, 0, sizeof buf, false, 0, false};
  out_str(&t, "EventId,EventTemplate,Occurrences\n");
  for (size_t k = 0; k < norder; k++) {
    int32_t e = r->order[k];
    const char *tpl = kp_drain_template(r->drain, (size_t)e);
    snprintf(id, sizeof id, "E%lld,", (long long)kp_drain_cluster_id(r->drain, (size_t)e));
    out_str(&t, id);
    out_cell(&t, tpl, strlen(tpl));
    out_put(&t, ",", 1);
    out_int(&t, r->occ[e]);
    out_put(&t, "\n", 1);
  }
  out_flush(&t);
  if (t.err) return fail(1, "--output %s: write error: %s", r->o.output, strerror(errno));

  char obuf[1 << 16];
  out s = {r->structured.f, obuf, 0, sizeof obuf, false, 0, false};
  out_str(&s, "LineId");
  for (int k = 0; k < kp_logformat_nfields(r->fmt); k++) {
    out_put(&s, ",", 1);
    out_str(&s, kp_logformat_field(r->fmt, k));
  }
  out_str(&s, ",EventId,EventTemplate\n");
  /* the event's id and quoted template, made once per event */
  char **cells = calloc(nc + 1, sizeof *cells);
  if (!cells) return fail(1, "out of memory");
  int rc = 0;
  for (size_t k = 0; k < norder && !rc; k++) {
    int32_t e = r->order[k];
    const char *tpl = kp_drain_template(r->drain, (size_t)e);
    size_t tl = strlen(tpl);
    char *cell = malloc(2 * tl + 64); /* ",E<id>," + the template quoted (at most 2 tl + 2) + "\n" */
    if (!cell) {
      rc = fail(1, "out of memory");
      break;
    }
    size_t n = (size_t)snprintf(cell, 40, ",E%lld,", (long long)kp_drain_cluster_id(r->drain, (size_t)e));
    n += quote_into(cell + n, tpl, tl);
    cell[n++] = '\n';
    cell[n] = 0;
    cells[e] = cell;
  }
  size_t row = 0;
  if (!rc && !r->rows_spilled) row = emit_rows(&s, r, cells, r->rows_mem, r->rows_len, row, NULL);
  if (!rc && r->rows_spilled) {
    rewind(r->rows.f);
    size_t cap = 1 << 20, have = 0;
    char *rb = malloc(cap);
    if (!rb) rc = fail(1, "out of memory");
    while (!rc) {
      size_t k = fread(rb + have, 1, cap - have, r->rows.f), used;
      if (k == 0 && have == 0) break;
      have += k;
      row = emit_rows(&s, r, cells, rb, have, row, &used);
      memmove(rb, rb + used, have - used);
      have -= used;
      if (k == 0) break;
      if (have == cap) {
        char *q = realloc(rb, cap *= 2);
        if (!q) rc = fail(1, "out of memory");
        else rb = q;
      }
    }
    free(rb);
    if (!rc && ferror(r->rows.f)) rc = fail(1, "scratch file: read error");
  }
  if (!rc && row != r->ncl) rc = fail(1, "scratch rows: %zu of %zu read back", row, r->ncl);
  for (size_t i = 0; i < nc; i++) free(cells[i]);
  free(cells);
  out_flush(&s);
  if (!rc && s.err) rc = fail(1, "--output %s: write error: %s", r->o.output, strerror(errno));
  return rc;
}

static int commit(run *r) {
  tmpf *f[3] = {&r->structured, &r->templates, &r->unmatched};
  for (int i = 0; i < 3; i++) {
    if (fflush(f[i]->f) != 0 || fsync(fileno(f[i]->f)) != 0)
      return fail(1, "%s: write error: %s", f[i]->final, strerror(errno));
  }
  for (int i = 0; i < 3; i++) {
    if (rename(f[i]->path, f[i]->final) != 0) return fail(1, "%s: cannot rename into place: %s", f[i]->final, strerror(errno));
    fclose(f[i]->f);
    f[i]->f = NULL; /* renamed: nothing left to discard */
  }
  return 0;
}

int prep_parse_main(int argc, char **argv) {
  run r;
  memset(&r, 0, sizeof r);
  int rc = parse_args(argc, argv, &r.o);
  if (rc) return rc < 0 ? 0 : rc;
  int64_t lines = 0, unmatched = 0;
  size_t before = 0;
  double t0 = now_s();
  rc = prepare(&r);
  if (!rc) {
    before = kp_drain_count(r.drain);
    rc = mine(&r, &lines, &unmatched);
  }
  if (!rc) rc = write_outputs(&r);
  if (!rc && r.o.state) {
    const char *list[MAX_MASKS + 1];
    int n = mask_list(&r.o, list);
    if (kp_drain_save(r.drain, r.o.state, list, (size_t)n) != KP_OK) rc = fail(1, "--state: %s", kp_last_error());
  }
  if (!rc) rc = commit(&r);
  if (!rc) {
    size_t nev = 0;
    for (size_t i = 0; i < kp_drain_count(r.drain); i++) nev += r.occ[i] > 0;
    kp_line_stats st = kp_line_reader_stats(r.in);
    fprintf(stderr,
            "kprca-prep parse: %s: %lld lines, %lld parsed into %zu templates (%zu new clusters, %zu in all), "
            "%lld unmatched%s%s%s, %lld repaired (invalid UTF-8); %.2f s\n",
            r.o.input, (long long)lines, (long long)(lines - unmatched), nev, kp_drain_count(r.drain) - before,
            kp_drain_count(r.drain), (long long)unmatched, unmatched ? " (listed in " : "",
            unmatched ? r.unmatched.final : "", unmatched ? ")" : "", (long long)st.repaired, now_s() - t0);
  }
  cleanup(&r);
  return rc;
}
