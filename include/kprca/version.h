/* Build information. */
#ifndef KPRCA_VERSION_H
#define KPRCA_VERSION_H
#ifdef __cplusplus
extern "C" {
#endif
/** kprca's version string ("0.1.0"). */
const char *kp_version(void);
/** The git commit the library was built from (12 hex digits, "-dirty" if modified, or "unknown"). */
const char *kp_commit(void);
/** One line per compiled feature (CUDA, cuDNN, NCCL, MPI, BLAS) with versions. */
const char *kp_build_info(void);
#ifdef __cplusplus
}
#endif
#endif
