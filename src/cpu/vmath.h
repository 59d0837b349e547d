/* Scalar entries to the CPU backend's branch-free (vectorisable) math, for tests. */
#ifndef KPRCA_CPU_VMATH_H
#define KPRCA_CPU_VMATH_H
#ifdef __cplusplus
extern "C" {
#endif

/** erf(x) as the CPU GELU computes it (src/cpu/activation.c): within 2 ulp of libm's erff. */
float kp_cpu_erf(float x);

#ifdef __cplusplus
}
#endif
#endif
