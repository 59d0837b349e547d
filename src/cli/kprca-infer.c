/* kprca-infer: scores kernel logs with rules and/or a line model (docs/infer.md). The parts live in
 * src/cli/infer_*.c. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli/infer.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-infer [options] [LOG ...]        (no LOG or '-': standard input)\n"
          "  --rules FILE        YAML rules tried first (configs/rules/kernel-panic.yaml); the first match decides\n"
          "  --model PATH        kprca-train run dir / checkpoints dir / checkpoint file of a bert line model,\n"
          "                      or a Hugging Face BERT directory with a classification head\n"
          "                      or a kprca-train run of a GNN incident model (with --incident)\n"
          "  --graph-data FILE   GNN model: the incident-graphs file whose builder state featurises new incidents\n"
          "                      (default: the checkpoint's data.path)\n"
          "  -f, --follow        keep reading as the files grow (tail -F: truncation, rotation); Ctrl-C ends\n"
          "  --json              JSON Lines: source, lineno, time, uptime, text, label, score, by\n"
          "  --all               print every line, not only the flagged ones\n"
          "  --incident          each LOG is one incident: rank its root-cause labels instead of printing lines\n"
          "  --top N             labels shown per incident (default 5)\n"
          "  --threshold P       model lines are flagged when their top root-cause class has p >= P (default 0.5)\n"
          "  --negative NAME     the ordinary class of the model (default: class 0; 'none': every class is a cause)\n"
          "  --batch N           lines per model forward (default 64)\n"
          "  --cache N           distinct texts kept in the score cache (default 65536; 0: no cache)\n"
          "  --cache-key K       exact (default): the message text; masked: numbers, hex, ids masked first\n"
          "  --max-length N      tokens per line (default: the checkpoint's data.max_seq_len, else 128)\n"
          "  --device D          auto (default), cpu, cuda, cuda:N\n"
          "  --format F          auto (default), syslog, journal-short, journal-json, dmesg, console\n"
          "  --interval S        follow: seconds to wait when no input is there (default 0.2)\n"
          "  --stats             print counts, cache hits and lines/s to stderr at the end\n"
          "Exit status: 0 done, 2 bad usage or input (missing model, bad rules, unreadable log), 1 runtime failure.\n");
}

static int bad(const char *msg, const char *arg) {
  fprintf(stderr, "kprca-infer: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  return 2;
}

static bool parse_i64(const char *s, int64_t lo, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end || errno || v < lo) return false;
  *out = v;
  return true;
}

static bool parse_f(const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi) return false;
  *out = v;
  return true;
}

int main(int argc, char **argv) {
  infer_opts o = {0};
  o.device = "auto", o.batch = 64, o.cache_cap = 65536, o.threshold = 0.5, o.top = 5, o.interval_s = 0.2;
  char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
  int nin = 0;
  if (!inputs) return bad("out of memory", NULL);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has = i + 1 < argc;
    int64_t v;
    double d;
#define NEED()                                   \
  do {                                           \
    if (!has) return bad("missing value for", a); \
    i++;                                         \
  } while (0)
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      free(inputs);
      return 0;
    } else if (!strcmp(a, "--rules")) {
      NEED(); o.rules_path = argv[i];
    } else if (!strcmp(a, "--model")) {
      NEED(); o.model_path = argv[i];
    } else if (!strcmp(a, "--graph-data")) {
      NEED(); o.graph_data = argv[i];
    } else if (!strcmp(a, "-f") || !strcmp(a, "--follow")) {
      o.follow = true;
    } else if (!strcmp(a, "--json")) {
      o.json = true;
    } else if (!strcmp(a, "--all")) {
      o.all = true;
    } else if (!strcmp(a, "--incident")) {
      o.incident = true;
    } else if (!strcmp(a, "--stats")) {
      o.stats = true;
    } else if (!strcmp(a, "--top")) {
      NEED();
      if (!parse_i64(argv[i], 1, &v) || v > 1000) return bad("--top needs an integer in [1, 1000], got", argv[i]);
      o.top = (int)v;
    } else if (!strcmp(a, "--threshold")) {
      NEED();
      if (!parse_f(argv[i], 0, 1, &o.threshold)) return bad("--threshold needs a number in [0, 1], got", argv[i]);
    } else if (!strcmp(a, "--negative")) {
      NEED(); o.negative = argv[i];
    } else if (!strcmp(a, "--batch")) {
      NEED();
      if (!parse_i64(argv[i], 1, &v) || v > 65536) return bad("--batch needs an integer in [1, 65536], got", argv[i]);
      o.batch = (int)v;
    } else if (!strcmp(a, "--cache")) {
      NEED();
      if (!parse_i64(argv[i], 0, &o.cache_cap) || o.cache_cap > (1ll << 30))
        return bad("--cache needs an integer in [0, 2^30], got", argv[i]);
    } else if (!strcmp(a, "--cache-key")) {
      NEED();
      if (strcmp(argv[i], "exact") && strcmp(argv[i], "masked"))
        return bad("--cache-key is exact or masked, got", argv[i]);
      o.cache_masked = !strcmp(argv[i], "masked");
    } else if (!strcmp(a, "--max-length")) {
      NEED();
      if (!parse_i64(argv[i], 2, &v) || v > 8192) return bad("--max-length needs an integer in [2, 8192], got", argv[i]);
      o.max_length = (int)v;
    } else if (!strcmp(a, "--device")) {
      NEED(); o.device = argv[i];
    } else if (!strcmp(a, "--format")) {
      NEED();
      if (kp_klog_format_parse(argv[i], &o.format) != KP_OK) return bad(kp_last_error(), NULL);
    } else if (!strcmp(a, "--interval")) {
      NEED();
      if (!parse_f(argv[i], 0.001, 60, &d)) return bad("--interval needs seconds in [0.001, 60], got", argv[i]);
      o.interval_s = d;
    } else if (a[0] == '-' && a[1]) {
      return bad("unknown option (see --help)", a);
    } else {
      inputs[nin++] = argv[i];
    }
#undef NEED
  }
  if (!o.rules_path && !o.model_path) return bad("give --rules FILE, --model PATH or both (see --help)", NULL);
  if (nin == 0) inputs[nin++] = "-";
  int stdin_uses = 0;
  for (int i = 0; i < nin; i++) stdin_uses += !strcmp(inputs[i], "-");
  if (stdin_uses > 1) return bad("standard input ('-') given more than once", NULL);
  bool gnn = false;
  if (o.model_path) infer_gnn_probe(o.model_path, &gnn);
  if (o.graph_data && !gnn) return bad("--graph-data goes with a GNN incident model (--model RUN of gcn/sage/gat)", NULL);
  int rc = gnn ? infer_gnn_run(&o, nin, inputs) : infer_run(&o, nin, inputs);
  free(inputs);
  return rc;
}
