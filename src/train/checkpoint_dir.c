/* A run's checkpoints/ folder: the `latest` pointer file (one line naming the newest checkpoint, written
 * atomically), resolving what a user passes to a checkpoint file, and pruning old checkpoints.
 * Checkpoint names sort by age (epoch-000123.h5: fixed-width, zero-padded counters), so "oldest" means
 * "first in byte-wise name order". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kprca/checkpoint.h"

#define LATEST "latest"
#define NAME_MAX_LEN 255

/* A plain file name: not empty, no '/', not "." or "..", no control characters. */
static bool plain_name(const char *s) {
  if (!s[0] || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > NAME_MAX_LEN) return false;
  for (const char *p = s; *p; p++)
    if (*p == '/' || (unsigned char)*p < 0x20) return false;
  return true;
}

static bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir + "/" + name into a new malloc'd string (NULL when out of memory). */
static char *join(const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  char *s = malloc(a + b + 2);
  if (!s) return NULL;
  memcpy(s, dir, a);
  s[a] = '/';
  memcpy(s + a + 1, name, b + 1);
  return s;
}

kp_status kp_ckpt_set_latest(const char *dir, const char *file) {
  if (!plain_name(file))
    return kp_fail(KP_ERR_INVALID, "%s/%s: '%s' is not a file name inside the folder", dir, LATEST, file);
  if (!strcmp(file, LATEST))
    return kp_fail(KP_ERR_INVALID, "%s/%s: cannot point at '%s'", dir, LATEST, file);
  char *target = join(dir, file), *path = join(dir, LATEST), *tmp = join(dir, LATEST ".tmpXXXXXX");
  kp_status s = KP_OK;
  int fd = -1;
  if (!target || !path || !tmp) {
    s = kp_fail(KP_ERR_NOMEM, "%s/%s: out of memory", dir, LATEST);
    goto done;
  }
  errno = 0;
  if (!is_file(target)) {
    s = kp_fail(KP_ERR_IO, "%s: cannot point at %s: %s", path, target, errno ? strerror(errno) : "not a file");
    goto done;
  }
  if ((fd = mkstemp(tmp)) < 0) {
    s = kp_fail(KP_ERR_IO, "%s: cannot create a temporary file next to it: %s", path, strerror(errno));
    goto done;
  }
  mode_t um = umask(0);
  umask(um);
  size_t len = strlen(file);
  bool ok = fchmod(fd, 0666 & ~um) == 0 && write(fd, file, len) == (ssize_t)len && write(fd, "\n", 1) == 1 &&
            fsync(fd) == 0;
  int err = errno;
  ok = close(fd) == 0 && ok;
  if (ok && rename(tmp, path) != 0) ok = false, err = errno;
  if (!ok) {
    unlink(tmp);
    s = kp_fail(KP_ERR_IO, "%s: cannot write: %s", path, strerror(err));
    goto done;
  }
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* make the rename durable */
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
done:
  free(target);
  free(path);
  free(tmp);
  return s;
}

/* Reads dir/latest into name (cap bytes). *absent: the pointer file does not exist (status KP_ERR_IO). */
static kp_status read_latest(const char *dir, char *name, size_t cap, bool *absent) {
  *absent = false;
  char *path = join(dir, LATEST);
  if (!path) return kp_fail(KP_ERR_NOMEM, "%s/%s: out of memory", dir, LATEST);
  FILE *f = fopen(path, "rb");
  if (!f) {
    *absent = errno == ENOENT;
    kp_status s = kp_fail(KP_ERR_IO, "%s: %s", path, strerror(errno));
    free(path);
    return s;
  }
  char buf[NAME_MAX_LEN + 3];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  bool err = ferror(f);
  fclose(f);
  buf[n] = 0;
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = 0;
  kp_status s = KP_OK;
  if (err)
    s = kp_fail(KP_ERR_IO, "%s: read error", path);
  else if (strlen(buf) != n || !plain_name(buf) || n + 1 > cap)
    s = kp_fail(KP_ERR_FORMAT, "%s:1: expected the name of a checkpoint file in %s", path, dir);
  else
    memcpy(name, buf, n + 1);
  free(path);
  return s;
}

/* out = dir/<latest>, which must be a file. */
static kp_status follow_latest(const char *dir, char *out, size_t n) {
  char name[NAME_MAX_LEN + 1];
  bool absent;
  KP_TRY(read_latest(dir, name, sizeof name, &absent));
  if ((size_t)snprintf(out, n, "%s/%s", dir, name) >= n)
    return kp_fail(KP_ERR_INVALID, "%s/%s: the path of %s is too long", dir, LATEST, name);
  if (!is_file(out)) return kp_fail(KP_ERR_IO, "%s/%s names %s, which does not exist", dir, LATEST, name);
  return KP_OK;
}

/* The newest run (greatest name: run directories are named by timestamp) among dir's subfolders that holds
 * checkpoints/latest, written as DIR/RUN/checkpoints into out; false when there is none. */
static bool newest_run(const char *dir, char *out, size_t n) {
  DIR *d = opendir(dir);
  if (!d) return false;
  char best[1024] = "";
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof best) continue;
    char p[4096];
    if ((size_t)snprintf(p, sizeof p, "%s/%s/checkpoints/%s", dir, e->d_name, LATEST) >= sizeof p) continue;
    if (access(p, F_OK) == 0 && strcmp(e->d_name, best) > 0) snprintf(best, sizeof best, "%s", e->d_name);
  }
  closedir(d);
  return best[0] && (size_t)snprintf(out, n, "%s/%s/checkpoints", dir, best) < n;
}

kp_status kp_ckpt_resolve(const char *path, char *out, size_t n) {
  struct stat st;
  if (stat(path, &st) != 0)
    return kp_fail(KP_ERR_IO, "%s: %s (expected a checkpoint file, a checkpoints folder or a run directory)", path,
                   strerror(errno));
  if (S_ISREG(st.st_mode)) {
    if ((size_t)snprintf(out, n, "%s", path) >= n) return kp_fail(KP_ERR_INVALID, "%s: path too long", path);
    return KP_OK;
  }
  if (!S_ISDIR(st.st_mode))
    return kp_fail(KP_ERR_IO, "%s: not a file or folder (expected a checkpoint file, a checkpoints folder or a run "
                              "directory)", path);
  char *latest = join(path, LATEST), *sub = join(path, "checkpoints");
  if (!latest || !sub) {
    free(latest);
    free(sub);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  bool in_dir = access(latest, F_OK) == 0, in_run = !in_dir && is_dir(sub);
  free(latest);
  kp_status s;
  if (in_dir) {
    s = follow_latest(path, out, n);
  } else if (in_run) {
    char *sub_latest = join(sub, LATEST);
    if (!sub_latest)
      s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
    else if (access(sub_latest, F_OK) != 0)
      s = kp_fail(KP_ERR_IO, "%s: no checkpoint: %s has no '%s' pointer file (no checkpoint was completed?)", path,
                  sub, LATEST);
    else
      s = follow_latest(sub, out, n);
    free(sub_latest);
  } else {
    char runs[4096];
    if (newest_run(path, runs, sizeof runs))
      s = follow_latest(runs, out, n); /* a folder of runs (output.dir/NAME): its newest run */
    else
      s = kp_fail(KP_ERR_IO, "%s: no checkpoint: looked for %s/%s, %s/checkpoints/%s and RUN/checkpoints/%s in its "
                  "subfolders", path, path, LATEST, path, LATEST, LATEST);
  }
  free(sub);
  return s;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !memcmp(s + a - b, suffix, b);
}

/* True when name is the target of latest or (the last component of) one of protect. */
static bool kept(const char *name, const char *latest, const char *const *protect) {
  if (latest[0] && !strcmp(name, latest)) return true;
  for (int i = 0; protect && protect[i]; i++) {
    const char *slash = strrchr(protect[i], '/');
    if (!strcmp(name, slash ? slash + 1 : protect[i])) return true;
  }
  return false;
}

kp_status kp_ckpt_prune(const char *dir, const char *prefix, int keep, const char *const *protect) {
  if (keep < 0) return kp_fail(KP_ERR_INVALID, "%s: prune: keep = %d, expected >= 0", dir, keep);
  if (keep == 0) return KP_OK;
  if (!prefix) prefix = "";
  char latest[NAME_MAX_LEN + 1] = "";
  bool absent;
  if (read_latest(dir, latest, sizeof latest, &absent) != KP_OK) {
    if (!absent) return kp_fail_context(KP_ERR_IO, "%s: prune (not removing anything)", dir);
    latest[0] = 0;
  }
  DIR *d = opendir(dir);
  if (!d) return kp_fail(KP_ERR_IO, "%s: prune: %s", dir, strerror(errno));
  char **names = NULL;
  size_t count = 0, cap = 0;
  kp_status s = KP_OK;
  size_t plen = strlen(prefix);
  for (struct dirent *e; s == KP_OK && (e = readdir(d));) {
    if (strncmp(e->d_name, prefix, plen) || !ends_with(e->d_name, ".h5")) continue;
    char *full = join(dir, e->d_name);
    bool file = full && is_file(full);
    free(full);
    if (!file) continue;
    if (count == cap) {
      cap = cap ? 2 * cap : 32;
      char **v = realloc(names, sizeof *v * cap);
      if (!v) {
        s = kp_fail(KP_ERR_NOMEM, "%s: prune: out of memory", dir);
        break;
      }
      names = v;
    }
    if (!(names[count] = strdup(e->d_name)))
      s = kp_fail(KP_ERR_NOMEM, "%s: prune: out of memory", dir);
    else
      count++;
  }
  closedir(d);
  if (s == KP_OK) qsort(names, count, sizeof *names, by_name);
  /* the newest keep stay; of the older ones, the protected and the latest target stay too */
  for (size_t i = 0; s == KP_OK && i + (size_t)keep < count; i++) {
    if (kept(names[i], latest, protect)) continue;
    char *full = join(dir, names[i]);
    if (!full)
      s = kp_fail(KP_ERR_NOMEM, "%s: prune: out of memory", dir);
    else if (unlink(full) != 0 && errno != ENOENT)
      s = kp_fail(KP_ERR_IO, "%s: prune: cannot remove: %s", full, strerror(errno));
    free(full);
  }
  for (size_t i = 0; i < count; i++) free(names[i]);
  free(names);
  return s;
}
