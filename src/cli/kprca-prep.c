/* kprca-prep: raw logs to training data. Subcommands live in src/cli/prep_*.c. */
#include <stdio.h>
#include <string.h>
#include "cli/prep.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-prep <command> [options]\n"
          "commands:\n"
          "  parse   mine log templates with Drain; write loghub-style structured and template CSVs\n"
          "  synth   generate the synthetic kernel-panic corpus (an incident directory)\n"
          "  build   build HDF5 datasets (lines, incident graphs, case graph)\n"
          "Run kprca-prep <command> --help for its options.\n");
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "parse")) return prep_parse_main(argc - 1, argv + 1);
  if (!strcmp(cmd, "synth")) return prep_synth_main(argc - 1, argv + 1);
  if (!strcmp(cmd, "build")) return prep_build_main(argc - 1, argv + 1);
  fprintf(stderr, "kprca-prep: unknown command '%s' (commands: parse, synth, build)\n", cmd);
  return 2;
}
