/* kprca-prep parse (not implemented yet). */
#include <stdio.h>
#include "cli/prep.h"

int prep_parse_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "kprca-prep parse: not implemented yet\n");
  return 1;
}
