/* The resolved config and label names that kprca-train stores in every checkpoint, read back as a config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/checkpoint.h"

kp_status kp_ckpt_read_config(const char *file, kp_config **out, kp_strings *labels) {
  kp_ckpt *c = NULL;
  char *text = NULL;
  *out = NULL;
  KP_TRY(kp_ckpt_open(file, &c));
  kp_status s = kp_ckpt_get_text(c, "config", &text);
  if (s == KP_OK) s = kp_ckpt_get_strings(c, "labels/names", labels);
  kp_ckpt_close(c);
  if (s != KP_OK) {
    free(text);
    return kp_fail_context(KP_ERR_FORMAT, "%s is not a kprca-train checkpoint", file);
  }
  kp_config *cfg = NULL;
  char where[4200];
  snprintf(where, sizeof where, "%s:config", file);
  s = kp_config_new(&cfg);
  if (s == KP_OK) s = kp_config_merge_yaml(cfg, text, strlen(text), where);
  free(text);
  if (s != KP_OK) {
    kp_config_free(cfg);
    return s;
  }
  *out = cfg;
  return KP_OK;
}
