/* kprca-prep synth (not implemented yet). */
#include <stdio.h>
#include "cli/prep.h"

int prep_synth_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "kprca-prep synth: not implemented yet\n");
  return 1;
}
