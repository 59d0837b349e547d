/* The trainer's command line, config part: --config FILE (repeatable) and KEY=VALUE / --KEY=VALUE /
 * --KEY VALUE overrides; every other argument is handed back to the caller in order. */
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* A name the config owns: a schema key or section, or anything dotted made of name characters
 * (unknown dotted names are then reported with a did-you-mean rather than passed on). */
static bool config_name(const char *s, size_t n) {
  char name[256];
  if (n == 0 || n >= sizeof name) return false;
  memcpy(name, s, n);
  name[n] = 0;
  if (kp_cfg_index(name) >= 0 || kp_cfg_is_section(name)) return true;
  bool dot = false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (c == '.') {
      if (i == 0 || i == n - 1 || name[i - 1] == '.') return false;
      dot = true;
    } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return false;
    }
  }
  return dot && !(name[0] >= '0' && name[0] <= '9');
}

void kp_config_rest_free(kp_config_rest *rest) {
  if (!rest) return;
  free(rest->argv);
  rest->argv = NULL;
  rest->argc = 0;
}

kp_status kp_config_from_args(int argc, char **argv, kp_config **out, kp_config_rest *rest) {
  *out = NULL;
  rest->argc = 0;
  rest->argv = calloc((size_t)argc + 1, sizeof *rest->argv);
  const char **files = calloc((size_t)argc + 1, sizeof *files), **sets = calloc((size_t)argc + 1, sizeof *sets);
  /* --KEY VALUE pairs become "KEY=VALUE" strings kept here. */
  char **owned = calloc((size_t)argc + 1, sizeof *owned);
  size_t nfiles = 0, nsets = 0, nowned = 0;
  kp_status s = KP_OK;
  if (!rest->argv || !files || !sets || !owned) {
    s = kp_fail(KP_ERR_NOMEM, "config: out of memory");
    goto done;
  }
  if (argc > 0) rest->argv[rest->argc++] = argv[0];
  for (int i = 1; i < argc && s == KP_OK; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) {
      while (++i < argc) rest->argv[rest->argc++] = argv[i];
      break;
    }
    if (!strcmp(a, "--config") || !strcmp(a, "-c")) {
      if (i + 1 >= argc)
        s = kp_fail(KP_ERR_INVALID, "%s needs a file name", a);
      else
        files[nfiles++] = argv[++i];
      continue;
    }
    if (!strncmp(a, "--config=", 9)) {
      if (!a[9])
        s = kp_fail(KP_ERR_INVALID, "--config= needs a file name");
      else
        files[nfiles++] = a + 9;
      continue;
    }
    bool dashed = a[0] == '-' && a[1] == '-';
    const char *body = dashed ? a + 2 : a;
    const char *eq = strchr(body, '=');
    size_t klen = eq ? (size_t)(eq - body) : strlen(body);
    if ((dashed || (eq && a[0] != '-')) && config_name(body, klen)) {
      if (eq) {
        sets[nsets++] = body;
      } else if (i + 1 >= argc) {
        s = kp_fail(KP_ERR_INVALID, "%s: %s needs a value (--%s VALUE or %s=VALUE)", KP_CFG_CMDLINE, a, body, body);
      } else {
        const char *val = argv[++i];
        char *kv = malloc(klen + strlen(val) + 2);
        if (!kv) {
          s = kp_fail(KP_ERR_NOMEM, "config: out of memory");
          break;
        }
        memcpy(kv, body, klen);
        kv[klen] = '=';
        strcpy(kv + klen + 1, val);
        owned[nowned++] = kv;
        sets[nsets++] = kv;
      }
      continue;
    }
    rest->argv[rest->argc++] = argv[i];
  }
  if (s == KP_OK) s = kp_config_load(files, nfiles, sets, nsets, out);
done:
  for (size_t i = 0; i < nowned; i++) free(owned[i]);
  free(owned);
  free(files);
  free(sets);
  if (s != KP_OK) kp_config_rest_free(rest);
  return s;
}
