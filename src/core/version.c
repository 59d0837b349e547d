/* Version and build information. */
#include <stdio.h>
#include "core/backend.h"

const char *kp_version(void) { return KPRCA_VERSION; }

const char *kp_build_info(void) {
  static char buf[512];
  snprintf(buf, sizeof buf, "kprca %s\n%s\nMPI: %s\n", KPRCA_VERSION, kp_cuda_build_info(),
#ifdef KPRCA_HAVE_MPI
           "compiled"
#else
           "not compiled"
#endif
  );
  return buf;
}
