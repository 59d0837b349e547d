/* Device selection and the backend lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/backend.h"

kp_device kp_cpu(void) { return (kp_device){KP_DEV_CPU, 0}; }

kp_device kp_cuda(int index) { return (kp_device){KP_DEV_CUDA, index}; }

bool kp_device_eq(kp_device a, kp_device b) { return a.type == b.type && a.index == b.index; }

bool kp_cuda_compiled(void) { return kp_cuda_backend() != NULL; }

int kp_cuda_device_count(void) { return kp_cuda_probe_count(); }

const char *kp_cuda_unavailable_reason(void) { return kp_cuda_probe_reason(); }

kp_status kp_cuda_device_info(int index, char *buf, size_t n) { return kp_cuda_probe_info(index, buf, n); }

const char *kp_device_str(kp_device d, char *buf, size_t n) {
  if (d.type == KP_DEV_CPU)
    snprintf(buf, n, "cpu");
  else
    snprintf(buf, n, "cuda:%d", d.index);
  return buf;
}

kp_status kp_device_parse(const char *spec, kp_device *out) {
  if (!spec) return kp_fail(KP_ERR_INVALID, "device: missing value (allowed: auto, cpu, cuda, cuda:N)");
  if (strcmp(spec, "cpu") == 0) {
    *out = kp_cpu();
    return KP_OK;
  }
  if (strcmp(spec, "auto") == 0) {
    *out = kp_cuda_device_count() > 0 ? kp_cuda(0) : kp_cpu();
    return KP_OK;
  }
  if (strncmp(spec, "cuda", 4) == 0 && (spec[4] == 0 || spec[4] == ':')) {
    long idx = 0;
    if (spec[4] == ':') {
      char *end = NULL;
      idx = strtol(spec + 5, &end, 10);
      if (spec[5] == 0 || *end != 0 || idx < 0 || idx > 1023)
        return kp_fail(KP_ERR_INVALID, "device '%s': expected cuda:N with N a device number", spec);
    }
    int count = kp_cuda_device_count();
    if (count == 0)
      return kp_fail(KP_ERR_NO_DEVICE, "device '%s' requested but no CUDA device is usable: %s", spec,
                     kp_cuda_unavailable_reason());
    if (idx >= count)
      return kp_fail(KP_ERR_NO_DEVICE, "device '%s' requested but only %d CUDA device%s (cuda:0..cuda:%d)", spec,
                     count, count == 1 ? " exists" : "s exist", count - 1);
    *out = kp_cuda((int)idx);
    return KP_OK;
  }
  return kp_fail(KP_ERR_INVALID, "device '%s': allowed values are auto, cpu, cuda, cuda:N", spec);
}

kp_status kp_backend_for(kp_device d, const kp_backend **out) {
  if (d.type == KP_DEV_CPU) {
    *out = kp_cpu_backend();
    return KP_OK;
  }
  if (d.type == KP_DEV_CUDA) {
    const kp_backend *b = kp_cuda_backend();
    if (!b) return kp_fail(KP_ERR_NO_DEVICE, "cuda:%d: this build has no CUDA backend", d.index);
    int count = kp_cuda_probe_count();
    if (d.index < 0 || d.index >= count)
      return kp_fail(KP_ERR_NO_DEVICE, "cuda:%d: not usable (%d CUDA device(s)%s%s)", d.index, count,
                     count ? "" : "; ", count ? "" : kp_cuda_probe_reason());
    *out = b;
    return KP_OK;
  }
  return kp_fail(KP_ERR_INVALID, "unknown device type %d", (int)d.type);
}

kp_status kp_device_sync(kp_device d) {
  const kp_backend *b;
  KP_TRY(kp_backend_for(d, &b));
  return b->sync ? b->sync(d.index) : KP_OK;
}
