/* kprca-prep build (not implemented yet). */
#include <stdio.h>
#include "cli/prep.h"

int prep_build_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "kprca-prep build: not implemented yet\n");
  return 1;
}
