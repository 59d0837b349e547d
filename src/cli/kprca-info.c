/* kprca-info: prints the version, the compiled features and the usable devices. */
#include <stdio.h>
#include <string.h>
#include "kprca/kprca.h"

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    printf("usage: kprca-info\nPrints kprca's version, compiled features and usable devices.\n");
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "kprca-info: unexpected argument '%s' (try --help)\n", argv[1]);
    return 2;
  }
  fputs(kp_build_info(), stdout);
  int n = kp_cuda_device_count();
  printf("devices: cpu");
  for (int i = 0; i < n; i++) printf(", cuda:%d", i);
  printf("\n");
  for (int i = 0; i < n; i++) {
    char buf[256];
    if (kp_cuda_device_info(i, buf, sizeof buf) == KP_OK) printf("  cuda:%d: %s\n", i, buf);
  }
  if (n == 0 && kp_cuda_compiled()) printf("  (no GPU: %s)\n", kp_cuda_unavailable_reason());
  return 0;
}
