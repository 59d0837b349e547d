/* Thread-local error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "kprca/status.h"

#define KP_ERR_LEN 1024
static _Thread_local char kp_err_buf[KP_ERR_LEN];

kp_status kp_fail(kp_status s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(kp_err_buf, KP_ERR_LEN, fmt, ap);
  va_end(ap);
  return s;
}

kp_status kp_fail_context(kp_status s, const char *fmt, ...) {
  char ctx[KP_ERR_LEN], old[KP_ERR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx, sizeof ctx, fmt, ap);
  va_end(ap);
  memcpy(old, kp_err_buf, KP_ERR_LEN);
  /* a message longer than the buffer keeps its start (the context and the cause's beginning) */
  int n = snprintf(kp_err_buf, KP_ERR_LEN, "%s: %s", ctx, old[0] ? old : kp_status_name(s));
  if (n >= KP_ERR_LEN) kp_err_buf[KP_ERR_LEN - 1] = 0;
  return s;
}

const char *kp_last_error(void) { return kp_err_buf; }

void kp_clear_error(void) { kp_err_buf[0] = 0; }

const char *kp_status_name(kp_status s) {
  switch (s) {
    case KP_OK: return "ok";
    case KP_ERR_INVALID: return "invalid argument";
    case KP_ERR_NOMEM: return "out of memory";
    case KP_ERR_IO: return "I/O error";
    case KP_ERR_FORMAT: return "malformed data";
    case KP_ERR_UNSUPPORTED: return "unsupported";
    case KP_ERR_NO_DEVICE: return "no such device";
    case KP_ERR_DEVICE: return "device error";
    case KP_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}
