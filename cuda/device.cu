/* CUDA device probing. On a machine with the toolkit but no driver or GPU,
 * cudaGetDeviceCount fails (e.g. error 35, insufficient driver): that means "no GPU". */
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <cublas_v2.h>
#include <cusparse.h>
#include "common.cuh"
#ifdef KPRCA_HAVE_CUDNN
#include <cudnn.h>
#endif
#ifdef KPRCA_HAVE_NCCL
#include <nccl.h>
#endif

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probe_count = 0;
static char probe_reason[256] = "";

static void probe(void) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    snprintf(probe_reason, sizeof probe_reason, "no usable CUDA driver or GPU (cudaGetDeviceCount: %s, error %d)",
             cudaGetErrorString(e), (int)e);
    cudaGetLastError();
    n = 0;
  } else if (n == 0) {
    snprintf(probe_reason, sizeof probe_reason, "the CUDA driver reports no GPU");
  }
  probe_count = n;
}

extern "C" int kp_cuda_probe_count(void) {
  pthread_once(&probe_once, probe);
  return probe_count;
}

extern "C" const char *kp_cuda_probe_reason(void) {
  pthread_once(&probe_once, probe);
  return probe_reason;
}

extern "C" kp_status kp_cuda_probe_info(int index, char *buf, size_t n) {
  if (index < 0 || index >= kp_cuda_probe_count())
    return kp_fail(KP_ERR_NO_DEVICE, "cuda:%d: not present (%d CUDA devices)", index, kp_cuda_probe_count());
  cudaDeviceProp p;
  KP_CUDA_TRY(cudaGetDeviceProperties(&p, index));
  int drv = 0, rt = 0;
  cudaDriverGetVersion(&drv);
  cudaRuntimeGetVersion(&rt);
  snprintf(buf, n, "%s, %.1f GiB, sm_%d%d, %d SMs, driver CUDA %d.%d, runtime %d.%d", p.name,
           (double)p.totalGlobalMem / (1024.0 * 1024.0 * 1024.0), p.major, p.minor, p.multiProcessorCount,
           drv / 1000, (drv % 1000) / 10, rt / 1000, (rt % 1000) / 10);
  return KP_OK;
}

extern "C" const char *kp_cuda_build_info(void) {
  static char buf[256];
  int cublas = CUBLAS_VERSION, cusparse = CUSPARSE_VERSION;
  int k = snprintf(buf, sizeof buf, "CUDA: compiled (runtime %d.%d, cuBLAS %d, cuSPARSE %d)", CUDART_VERSION / 1000,
                   (CUDART_VERSION % 1000) / 10, cublas, cusparse);
#ifdef KPRCA_HAVE_CUDNN
  k += snprintf(buf + k, sizeof buf - k, "\ncuDNN: compiled (%d.%d.%d)", CUDNN_MAJOR, CUDNN_MINOR, CUDNN_PATCHLEVEL);
#else
  k += snprintf(buf + k, sizeof buf - k, "\ncuDNN: not compiled");
#endif
#ifdef KPRCA_HAVE_NCCL
  snprintf(buf + k, sizeof buf - k, "\nNCCL: compiled (%d.%d.%d)", NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH);
#else
  snprintf(buf + k, sizeof buf - k, "\nNCCL: not compiled");
#endif
  return buf;
}
