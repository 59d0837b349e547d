/* kprca-eval: evaluation reports. Subcommands live in src/cli/eval_*.c. */
#include <stdio.h>
#include <string.h>
#include "cli/eval.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-eval <command> [options]\n"
          "commands:\n"
          "  parsing   score a template parse against ground truth (GA, PA, FGA as in loghub)\n"
          "  leadtime  failure prediction with lead time (TP, TP_LATE, FP, FN, TN; threshold sweep)\n"
          "  report RUN                       write RUN/report.html and RUN/plots/*.svg\n"
          "  --compare RUN1 RUN2 ... [--out DIR]  runs side by side; writes DIR/compare.html\n"
          "  --checkpoint RUN_OR_FILE --data FILE.h5 [--split S] [--out DIR]\n"
          "            score a model trained by kprca-train (the same report)\n"
          "Run kprca-eval <command> --help for its options.\n");
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "parsing")) return eval_parsing_main(argc - 1, argv + 1);
  if (!strcmp(argv[1], "leadtime")) return eval_leadtime_main(argc - 1, argv + 1);
  if (!strcmp(argv[1], "report")) return eval_report_main(argc - 1, argv + 1);
  if (!strcmp(argv[1], "--compare")) return eval_compare_main(argc - 1, argv + 1);
  for (int i = 1; i < argc; i++) /* kprca-eval --checkpoint RUN_OR_FILE ... (options in any order) */
    if (!strcmp(argv[i], "--checkpoint")) return eval_checkpoint_main(argc, argv);
  fprintf(stderr, "kprca-eval: unknown command '%s' (commands: parsing, leadtime)\n", argv[1]);
  return 2;
}
