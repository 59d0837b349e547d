/* kprca-eval parsing (not implemented yet). */
#include <stdio.h>
#include "cli/eval.h"

int eval_parsing_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "kprca-eval parsing: not implemented yet\n");
  return 1;
}
