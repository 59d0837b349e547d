/* kprca-prep build: options, checks and dispatch to the line, incident-graph and case-graph builders
 * (src/cli/prep_build_*.c). Bad input or usage: one line on stderr, exit 2, no output file. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/prep.h"
#include "cli/prep_build.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-prep build --input PATH --kind lines|incident-graphs|case-graph --out FILE.h5 [options]\n"
          "Builds an HDF5 dataset (docs/datasets.md) from an incident directory (labels.csv + logs) or,\n"
          "for --kind lines, from a labelled TSV (label<TAB>line) or CSV (label,text) file.\n"
          "common options:\n"
          "  --val F --test F     split fractions (default 0.15 each)\n"
          "  --seed S             split and sampling seed (default 0)\n"
          "  --window-s S         keep the lines of the last S seconds before the panic line (0: all lines;\n"
          "                       default 0 for lines, 1800 for incident-graphs and case-graph)\n"
          "  --classes A,B,...    the label set, in this order; another label in labels.csv or the file is an error\n"
          "  --log-type T         format of the incident logs: auto (default, per file), syslog, journal-short,\n"
          "                       journal-json, dmesg, console\n"
          "lines:\n"
          "  --labels binary|category  binary: ordinary / root_cause (default); category: the incident's\n"
          "                       label on root-cause lines, 'ordinary' elsewhere\n"
          "  --max-lines N        per incident: every root-cause line in the window, plus a seeded sample of\n"
          "                       the others up to N lines in all (default 0: no cap)\n"
          "  --split-by group|stratified|time  group (by incident; default for directories), stratified\n"
          "                       random (default for TSV/CSV), or time (earliest incidents/lines train)\n"
          "incident-graphs and case-graph:\n"
          "  --features N|tfidf|encoder  node text features: hashed TF-IDF of width N (tfidf: 128, the default),\n"
          "                       or sentence embeddings (mean pooling, L2-normalised) from --encoder\n"
          "  --encoder PATH       a HF BERT directory (models/all-MiniLM-L6-v2) or a kprca-train run or checkpoint\n"
          "                       of a fine-tuned BERT line classifier; implies --features encoder\n"
          "case-graph:\n"
          "  --k N                nearest neighbours per incident, by cosine similarity (default 10)\n"
          "  --fault-lines labels|window|predicted  an incident's text: its labelled root-cause lines (default),\n"
          "                       every line in its window, or the window lines the --encoder line classifier\n"
          "                       predicts as not ordinary\n");
}

int build_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("kprca-prep build: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

int build_code(kp_status s) { return (s == KP_ERR_NOMEM || s == KP_ERR_INTERNAL || s == KP_ERR_DEVICE) ? 1 : 2; }

kp_status build_open_dir(const build_opts *o, kp_incident_dir **d) {
  kp_incident_options io;
  memset(&io, 0, sizeof io);
  io.known_labels = (const char *const *)o->classes;
  io.n_known = o->nclasses;
  io.log = o->log;
  return kp_incident_open(o->input, &io, d);
}

static bool parse_num(const char *v, double lo, double hi, double *out) {
  if (!v || !*v) return false;
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (*end || errno || !(x >= lo && x <= hi)) return false;
  *out = x;
  return true;
}

static bool parse_int(const char *v, int64_t lo, int64_t hi, int64_t *out) {
  if (!v || !*v || *v == '+') return false;
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (*end || errno || x < lo || x > hi) return false;
  *out = x;
  return true;
}

static void free_classes(build_opts *o) {
  for (int32_t i = 0; i < o->nclasses; i++) free(o->classes[i]);
  free(o->classes);
  o->classes = NULL, o->nclasses = 0;
}

/* --classes a,b,c: non-empty, distinct names */
static int parse_classes(build_opts *o, const char *v) {
  free_classes(o);
  size_t n = 1;
  for (const char *p = v; *p; p++) n += *p == ',';
  o->classes = calloc(n, sizeof *o->classes);
  if (!o->classes) return build_fail(1, "out of memory");
  for (const char *p = v;;) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    if (len == 0) return build_fail(2, "--classes '%s': an empty class name", v);
    char *name = strndup(p, len);
    if (!name) return build_fail(1, "out of memory");
    for (int32_t i = 0; i < o->nclasses; i++)
      if (!strcmp(o->classes[i], name)) {
        free(name);
        return build_fail(2, "--classes '%s': '%.*s' is listed twice", v, (int)len, p);
      }
    o->classes[o->nclasses++] = name;
    if (!c) break;
    p = c + 1;
  }
  return 0;
}

typedef struct seen {
  bool labels, max_lines, split_by, features, k, fault, features_encoder, features_width;
} seen;

static int parse_args(int argc, char **argv, build_opts *o, seen *had) {
  const char *kind = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return -1;
    }
    static const char *const with_value[] = {"--input", "--kind", "--out", "--val", "--test", "--seed",
                                             "--window-s", "--max-lines", "--labels", "--split-by", "--features",
                                             "--k", "--fault-lines", "--classes", "--log-type", "--encoder"};
    bool known = false;
    for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++) known |= !strcmp(a, with_value[k]);
    if (!known) return build_fail(2, "unknown option '%s' (see --help)", a);
    const char *v = i + 1 < argc ? argv[++i] : NULL;
    if (!v) return build_fail(2, "%s needs a value", a);
    int64_t x;
    if (!strcmp(a, "--input")) o->input = v;
    else if (!strcmp(a, "--out")) o->out = v;
    else if (!strcmp(a, "--kind")) kind = v;
    else if (!strcmp(a, "--val") || !strcmp(a, "--test")) {
      if (!parse_num(v, 0, 1, !strcmp(a, "--val") ? &o->val : &o->test))
        return build_fail(2, "%s '%s': expected a number in [0, 1]", a, v);
    } else if (!strcmp(a, "--seed")) {
      char *end;
      errno = 0;
      unsigned long long s = strtoull(v, &end, 10);
      if (!*v || *v == '-' || *v == '+' || *end || errno)
        return build_fail(2, "--seed '%s': expected an integer in [0, 18446744073709551615]", v);
      o->seed = s;
    } else if (!strcmp(a, "--window-s")) {
      if (!parse_num(v, 0, 1e12, &o->window_s)) return build_fail(2, "--window-s '%s': expected seconds >= 0", v);
    } else if (!strcmp(a, "--max-lines")) {
      if (!parse_int(v, 0, 100000000, &o->max_lines))
        return build_fail(2, "--max-lines '%s': expected an integer in [0, 100000000]", v);
      had->max_lines = true;
    } else if (!strcmp(a, "--labels")) {
      if (strcmp(v, "binary") && strcmp(v, "category"))
        return build_fail(2, "--labels '%s': expected binary or category", v);
      o->labels_category = !strcmp(v, "category"), had->labels = true;
    } else if (!strcmp(a, "--split-by")) {
      if (!strcmp(v, "group") || !strcmp(v, "incident")) o->split_by = SPLIT_GROUP;
      else if (!strcmp(v, "stratified")) o->split_by = SPLIT_STRATIFIED;
      else if (!strcmp(v, "time")) o->split_by = SPLIT_TIME;
      else return build_fail(2, "--split-by '%s': expected group, stratified or time", v);
      had->split_by = true;
    } else if (!strcmp(a, "--features")) {
      had->features = true, had->features_encoder = !strcmp(v, "encoder"), had->features_width = false;
      if (!strcmp(v, "tfidf")) o->features = 128;
      else if (had->features_encoder) o->features = 128;
      else if (!parse_int(v, 1, 1 << 20, &x))
        return build_fail(2, "--features '%s': expected tfidf, encoder or a TF-IDF width in [1, 1048576]", v);
      else o->features = (int32_t)x, had->features_width = true;
    } else if (!strcmp(a, "--encoder")) {
      if (!*v) return build_fail(2, "--encoder needs a path");
      o->encoder = v;
    } else if (!strcmp(a, "--k")) {
      if (!parse_int(v, 1, 10000, &x)) return build_fail(2, "--k '%s': expected an integer in [1, 10000]", v);
      o->k = (int32_t)x, had->k = true;
    } else if (!strcmp(a, "--fault-lines")) {
      if (strcmp(v, "labels") && strcmp(v, "window") && strcmp(v, "predicted"))
        return build_fail(2, "--fault-lines '%s': expected labels, window or predicted", v);
      o->fault_window = !strcmp(v, "window"), o->fault_predicted = !strcmp(v, "predicted"), had->fault = true;
    } else if (!strcmp(a, "--classes")) {
      int rc = parse_classes(o, v);
      if (rc) return rc;
    } else if (!strcmp(a, "--log-type")) {
      if (kp_klog_format_parse(v, &o->log.format) != KP_OK) return build_fail(2, "--log-type: %s", kp_last_error());
    }
  }
  if (!o->input) return build_fail(2, "--input is required (see --help)");
  if (!kind) return build_fail(2, "--kind is required: lines, incident-graphs or case-graph");
  if (!o->out) return build_fail(2, "--out is required (see --help)");
  if (!strcmp(kind, "lines")) o->kind = KIND_LINES;
  else if (!strcmp(kind, "incident-graphs")) o->kind = KIND_INCIDENT_GRAPHS;
  else if (!strcmp(kind, "case-graph")) o->kind = KIND_CASE_GRAPH;
  else return build_fail(2, "--kind '%s': expected lines, incident-graphs or case-graph", kind);
  if (o->val + o->test > 1 + 1e-12)
    return build_fail(2, "--val %g and --test %g add up to more than 1", o->val, o->test);
  /* options of other kinds are mistakes, not silently ignored */
  struct { bool on; const char *name; bool ok; } only[] = {
      {had->labels, "--labels", o->kind == KIND_LINES},
      {had->max_lines, "--max-lines", o->kind == KIND_LINES},
      {had->split_by, "--split-by", o->kind == KIND_LINES},
      {had->features, "--features", o->kind != KIND_LINES},
      {had->k, "--k", o->kind == KIND_CASE_GRAPH},
      {had->fault, "--fault-lines", o->kind == KIND_CASE_GRAPH}};
  for (size_t k = 0; k < sizeof only / sizeof *only; k++)
    if (only[k].on && !only[k].ok) return build_fail(2, "%s does not apply to --kind %s", only[k].name, kind);
  if (o->encoder && o->kind == KIND_LINES) return build_fail(2, "--encoder does not apply to --kind %s", kind);
  if (had->features_encoder && !o->encoder)
    return build_fail(2, "--features encoder needs --encoder DIR_OR_RUN (a HF BERT directory or a kprca-train run)");
  if (o->encoder && had->features && !had->features_encoder)
    return build_fail(2, "--encoder gives encoder features; it does not go with --features %s",
                      had->features_width ? "N (a TF-IDF width)" : "tfidf");
  if (o->fault_predicted && !o->encoder)
    return build_fail(2, "--fault-lines predicted needs --encoder with a fine-tuned line classifier (a kprca-train run)");
  return 0;
}

/* The input exists and is a directory (incidents) or a regular file (labelled lines); the output's
 * folder exists and the output is not a directory. */
static int check_paths(build_opts *o) {
  struct stat st;
  if (stat(o->input, &st) != 0) return build_fail(2, "%s: cannot read the input: %s", o->input, strerror(errno));
  o->input_is_dir = S_ISDIR(st.st_mode);
  if (!o->input_is_dir && !S_ISREG(st.st_mode))
    return build_fail(2, "%s: not a directory or a regular file", o->input);
  if (!o->input_is_dir && o->kind != KIND_LINES)
    return build_fail(2, "%s: --kind %s needs an incident directory (labels.csv + logs)", o->input,
                      o->kind == KIND_CASE_GRAPH ? "case-graph" : "incident-graphs");
  if (stat(o->out, &st) == 0 && S_ISDIR(st.st_mode)) return build_fail(2, "--out %s: is a directory", o->out);
  char *dir = strdup(o->out);
  if (!dir) return build_fail(1, "out of memory");
  char *slash = strrchr(dir, '/');
  int rc = 0;
  if (slash) {
    if (slash == dir) slash[1] = 0;
    else *slash = 0;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
      rc = build_fail(2, "--out %s: the folder %s does not exist", o->out, dir);
  }
  free(dir);
  return rc;
}

int prep_build_main(int argc, char **argv) {
  build_opts o;
  memset(&o, 0, sizeof o);
  o.val = 0.15, o.test = 0.15, o.window_s = -1, o.features = 128, o.k = 10;
  seen had = {0};
  int rc = parse_args(argc, argv, &o, &had);
  if (!rc) rc = check_paths(&o);
  if (!rc) {
    if (o.split_by == SPLIT_DEFAULT) o.split_by = o.input_is_dir ? SPLIT_GROUP : SPLIT_STRATIFIED;
    if (o.window_s < 0) o.window_s = o.kind == KIND_LINES ? 0 : 1800;
    if (!o.input_is_dir && (had.max_lines || o.window_s > 0 || had.labels))
      rc = build_fail(2, "%s: --window-s, --max-lines and --labels need an incident directory", o.input);
    else if (!o.input_is_dir && o.split_by == SPLIT_GROUP)
      rc = build_fail(2, "%s: --split-by group needs an incident directory (a TSV/CSV line has no incident)", o.input);
  }
  if (!rc) {
    if (o.kind == KIND_LINES) rc = build_lines(&o);
    else if (o.kind == KIND_INCIDENT_GRAPHS) rc = build_incident_graphs(&o);
    else rc = build_case_graph(&o);
  }
  free_classes(&o);
  return rc < 0 ? 0 : rc;
}
