/* KP_HD marks static inline helpers that compile both as C and as CUDA device code. */
#ifndef KPRCA_HD_H
#define KPRCA_HD_H
#ifdef __CUDACC__
#define KP_HD __host__ __device__
#else
#define KP_HD
#endif
#endif
