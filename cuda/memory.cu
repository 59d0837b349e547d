/* CUDA memory and copies. */
#include "common.cuh"

extern "C" kp_status kp_cuda_raw_alloc(int index, size_t bytes, void **ptr) {
  KP_CUDA_TRY(cudaSetDevice(index));
  cudaError_t e = cudaMalloc(ptr, bytes ? bytes : 256);
  if (e != cudaSuccess) {
    cudaGetLastError();
    *ptr = NULL;
    return kp_fail(e == cudaErrorMemoryAllocation ? KP_ERR_NOMEM : KP_ERR_DEVICE, "cuda:%d: cudaMalloc(%zu): %s",
                   index, bytes, cudaGetErrorString(e));
  }
  return KP_OK;
}

extern "C" void kp_cuda_raw_free(int index, void *ptr) {
  if (cudaSetDevice(index) == cudaSuccess) cudaFree(ptr);
}

extern "C" kp_status kp_cuda_copy(void *dst, kp_device ddev, const void *src, kp_device sdev, size_t bytes) {
  if (ddev.type == KP_DEV_CUDA && sdev.type == KP_DEV_CUDA && ddev.index != sdev.index) {
    KP_CUDA_TRY(cudaMemcpyPeer(dst, ddev.index, src, sdev.index, bytes));
    return KP_OK;
  }
  int dev = ddev.type == KP_DEV_CUDA ? ddev.index : sdev.index;
  KP_CUDA_TRY(cudaSetDevice(dev));
  KP_CUDA_TRY(cudaMemcpy(dst, src, bytes, cudaMemcpyDefault));
  return KP_OK;
}

extern "C" kp_status kp_cuda_sync(int index) {
  KP_CUDA_TRY(cudaSetDevice(index));
  KP_CUDA_TRY(cudaDeviceSynchronize());
  return KP_OK;
}
