/* kprca-export's output directory, written as a whole: the files go into a fresh "OUT.tmp-XXXXXX" beside OUT,
 * which is renamed to OUT at the end (renameat2 RENAME_NOREPLACE, so an OUT that appeared meanwhile is never
 * clobbered). With --force an existing OUT is exchanged with the new one in one step and then removed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/export.h"

kp_status export_dir_begin(const char *out, char *tmp, size_t n) {
  size_t len = strlen(out);
  while (len > 1 && out[len - 1] == '/') len--;
  if (snprintf(tmp, n, "%.*s.tmp-XXXXXX", (int)len, out) >= (int)n)
    return kp_fail(KP_ERR_INVALID, "%s: path too long", out);
  if (!mkdtemp(tmp)) return kp_fail(KP_ERR_IO, "%s: cannot create a directory beside it (%s)", out, strerror(errno));
  mode_t mask = umask(0);
  umask(mask);
  chmod(tmp, 0777 & ~mask); /* mkdtemp makes it private; the export is an ordinary directory */
  return KP_OK;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

void export_dir_remove(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static void sync_parent(const char *path) {
  char buf[4200];
  snprintf(buf, sizeof buf, "%s", path);
  char *slash = strrchr(buf, '/');
  if (slash == buf) slash[1] = 0;
  else if (slash) *slash = 0;
  else snprintf(buf, sizeof buf, ".");
  int fd = open(buf, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) fsync(fd), close(fd);
}

kp_status export_dir_commit(const char *tmp, const char *out, bool force) {
  struct stat st;
  if (stat(out, &st) == 0) {
    if (!force) return kp_fail(KP_ERR_IO, "%s already exists (--force replaces it)", out);
    if (!S_ISDIR(st.st_mode)) return kp_fail(KP_ERR_IO, "%s exists and is not a directory; left as it is", out);
    /* one atomic swap: OUT gets the new files, tmp the old ones, which are then removed */
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE) != 0)
      return kp_fail(KP_ERR_IO, "%s: cannot replace it (%s)", out, strerror(errno));
    export_dir_remove(tmp);
  } else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_NOREPLACE) != 0) {
    int e = errno;
    return kp_fail(KP_ERR_IO, "%s: %s", out, e == EEXIST ? "appeared while exporting; left as it was" : strerror(e));
  }
  sync_parent(out);
  return KP_OK;
}

kp_status export_copy_file(const char *src, const char *dst) {
  FILE *in = fopen(src, "rb");
  if (!in) return kp_fail(KP_ERR_IO, "%s: cannot open (%s)", src, strerror(errno));
  int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0644);
  FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!out) {
    if (fd >= 0) close(fd);
    fclose(in);
    return kp_fail(KP_ERR_IO, "%s: cannot create (%s)", dst, strerror(errno));
  }
  char buf[65536];
  size_t n;
  bool ok = true;
  while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
  ok = ok && !ferror(in) && fflush(out) == 0 && fsync(fileno(out)) == 0;
  fclose(in);
  ok = fclose(out) == 0 && ok;
  return ok ? KP_OK : kp_fail(KP_ERR_IO, "%s: write failed copying %s", dst, src);
}

kp_status export_write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wx");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot create (%s)", path, strerror(errno));
  size_t n = strlen(text);
  bool ok = fwrite(text, 1, n, f) == n && fputc('\n', f) != EOF && fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = fclose(f) == 0 && ok;
  return ok ? KP_OK : kp_fail(KP_ERR_IO, "%s: write failed", path);
}
