/* Run directories: OUT/NAME/TIMESTAMP/, created fresh for each run; the latest one found again for
 * --resume auto. */
#include "kprca/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

kp_status kp_mkdirs(const char *path) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return kp_fail(KP_ERR_INVALID, "path too long: %s", path);
  for (char *p = buf + 1;; p++) {
    char c = *p;
    if (c != '/' && c != 0) continue;
    *p = 0;
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
      return kp_fail(KP_ERR_IO, "%s: cannot create: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
      return kp_fail(KP_ERR_IO, "%s: exists and is not a directory", buf);
    *p = c;
    if (!c) break;
  }
  return KP_OK;
}

kp_status kp_rundir_create(const char *out_dir, const char *name, char *path, size_t n) {
  char parent[4096], stamp[32];
  snprintf(parent, sizeof parent, "%s/%s", out_dir, name);
  KP_TRY(kp_mkdirs(parent));
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  for (int k = 1; k < 1000; k++) {
    if (k == 1)
      snprintf(path, n, "%s/%s", parent, stamp);
    else
      snprintf(path, n, "%s/%s-%d", parent, stamp, k);
    if (mkdir(path, 0777) == 0) return KP_OK;
    if (errno != EEXIST) return kp_fail(KP_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  }
  return kp_fail(KP_ERR_IO, "%s: too many runs in the same second", parent);
}

/* Orders run names "YYYYmmdd-HHMMSS" and "YYYYmmdd-HHMMSS-K" by time, then K. */
static int run_cmp(const char *a, const char *b) {
  int c = strncmp(a, b, 15);
  if (c) return c;
  int ka = a[15] == '-' ? atoi(a + 16) : 1, kb = b[15] == '-' ? atoi(b + 16) : 1;
  return (ka > kb) - (ka < kb);
}

kp_status kp_rundir_latest(const char *out_dir, const char *name, char *path, size_t n) {
  char parent[4096], best[256] = "";
  snprintf(parent, sizeof parent, "%s/%s", out_dir, name);
  DIR *d = opendir(parent);
  if (!d) return kp_fail(KP_ERR_IO, "--resume auto: no runs of '%s' under %s (%s)", name, out_dir, strerror(errno));
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || strlen(e->d_name) < 15 || strlen(e->d_name) >= sizeof best) continue;
    char latest[4400];
    struct stat st;
    snprintf(latest, sizeof latest, "%s/%s/checkpoints/latest", parent, e->d_name);
    if (stat(latest, &st) != 0) continue;
    if (!best[0] || run_cmp(e->d_name, best) > 0) snprintf(best, sizeof best, "%s", e->d_name);
  }
  closedir(d);
  if (!best[0]) return kp_fail(KP_ERR_IO, "--resume auto: no run of '%s' under %s has a checkpoint", name, out_dir);
  snprintf(path, n, "%s/%s", parent, best);
  return KP_OK;
}
