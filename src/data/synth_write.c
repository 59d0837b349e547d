/* Writing the synthetic corpus as an incident directory: incidents/NNNNNN.log and labels.csv,
 * generated in parallel into DIR.tmp-XXXXXX and renamed to DIR only when everything succeeded
 * (an existing DIR is replaced only with force, and only after success). */
#include <errno.h>
#include <ftw.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include "data/synth_internal.h"

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

static void rm_tree(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* 1: a directory with entries, 0: missing or an empty directory, 2: something that is not a directory */
static int dir_state(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) return 2;
  DIR *d = opendir(path);
  if (!d) return 1;
  struct dirent *e;
  int full = 0;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      full = 1;
      break;
    }
  closedir(d);
  return full;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct row {
  char *cause; /* "12 13 40" */
  int32_t panic_line, lines;
  int category;
  size_t bytes, ncause;
} row;

static char *join_lines(const int32_t *v, int32_t n) {
  char *s = malloc((size_t)n * 11 + 1);
  if (!s) return NULL;
  size_t len = 0;
  for (int32_t i = 0; i < n; i++) len += (size_t)sprintf(s + len, i ? " %d" : "%d", v[i]);
  s[len] = 0;
  return s;
}

static kp_status write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  size_t w = fwrite(data, 1, len, f);
  int e = w == len ? 0 : errno;
  if (fclose(f) != 0 && !e) e = errno;
  if (e || w != len) return kp_fail(KP_ERR_IO, "%s: write failed: %s", path, strerror(e ? e : EIO));
  return KP_OK;
}

static kp_status write_labels(const char *tmp, const row *rows, int64_t n) {
  char path[4300];
  snprintf(path, sizeof path, "%s/labels.csv", tmp);
  FILE *f = fopen(path, "wb");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  fputs("file,label,root_cause_lines,panic_line\n", f);
  for (int64_t i = 0; i < n; i++) {
    fprintf(f, "incidents/%06lld.log,%s,%s,", (long long)(i + 1), kp_synth_category_name(rows[i].category), rows[i].cause);
    if (rows[i].panic_line) fprintf(f, "%d", rows[i].panic_line);
    fputc('\n', f);
  }
  int e = ferror(f) ? EIO : 0;
  if (fclose(f) != 0 && !e) e = errno;
  if (e) return kp_fail(KP_ERR_IO, "%s: write failed: %s", path, strerror(e));
  return KP_OK;
}

/* Moves tmp to dir; an existing dir (allowed only with force) is moved aside first and removed after. */
static kp_status install(const char *tmp, const char *dir, int state) {
  char old[4200];
  if (state == 0) {
    if (rename(tmp, dir) != 0) return kp_fail(KP_ERR_IO, "%s: cannot rename %s into place: %s", dir, tmp, strerror(errno));
    return KP_OK;
  }
  snprintf(old, sizeof old, "%s.old-XXXXXX", dir);
  if (!mkdtemp(old)) return kp_fail(KP_ERR_IO, "%s: cannot create a directory next to it: %s", old, strerror(errno));
  if (state == 2) rmdir(old), snprintf(old + strlen(old), 8, ".file");
  if (rename(dir, old) != 0) {
    int e = errno;
    rmdir(old);
    return kp_fail(KP_ERR_IO, "%s: cannot move the old directory aside: %s", dir, strerror(e));
  }
  if (rename(tmp, dir) != 0) {
    int e = errno;
    rename(old, dir);
    return kp_fail(KP_ERR_IO, "%s: cannot rename %s into place: %s", dir, tmp, strerror(e));
  }
  rm_tree(old);
  return KP_OK;
}

kp_status kp_synth_write_dir(const kp_synth_config *cfg, const char *dir, bool force, kp_synth_progress_fn progress, void *user,
                             kp_synth_stats *stats) {
  if (!cfg || !dir || !*dir) return kp_fail(KP_ERR_INVALID, "synth: no output directory given");
  if (cfg->incidents < 1 || cfg->incidents > 100000000)
    return kp_fail(KP_ERR_INVALID, "synth: --incidents must be in [1, 100000000], got %lld", (long long)cfg->incidents);
  if (!(cfg->benign_fraction >= 0 && cfg->benign_fraction <= 1))
    return kp_fail(KP_ERR_INVALID, "synth: --benign-fraction must be in [0, 1], got %g", cfg->benign_fraction);
  if (strlen(dir) > 4000) return kp_fail(KP_ERR_INVALID, "synth: output path is too long");
  char d[4096];
  snprintf(d, sizeof d, "%s", dir);
  size_t dl = strlen(d);
  while (dl > 1 && d[dl - 1] == '/') d[--dl] = 0;
  int state = dir_state(d);
  if (state == 1 && !force) return kp_fail(KP_ERR_INVALID, "%s: exists and is not empty (use --force to replace it)", d);
  if (state == 2 && !force) return kp_fail(KP_ERR_INVALID, "%s: exists and is not a directory (use --force to replace it)", d);
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", d);
  if (!mkdtemp(tmp)) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) return kp_fail(KP_ERR_INVALID, "%s: the parent directory does not exist", d);
    return kp_fail(KP_ERR_IO, "%s: cannot create a directory next to it: %s", tmp, strerror(e));
  }
  chmod(tmp, 0755);
  char sub[4300];
  snprintf(sub, sizeof sub, "%s/incidents", tmp);
  if (mkdir(sub, 0755) != 0) {
    kp_status s = kp_fail(KP_ERR_IO, "%s: cannot create: %s", sub, strerror(errno));
    rm_tree(tmp);
    return s;
  }
  int64_t n = cfg->incidents;
  row *rows = calloc((size_t)n, sizeof(row));
  if (!rows) {
    rm_tree(tmp);
    return kp_fail(KP_ERR_NOMEM, "synth: out of memory for %lld label rows", (long long)n);
  }
  kp_status first = KP_OK;
  char first_msg[512] = "";
  int failed = 0;
  int64_t done = 0;
  double t_last = now_s();
#pragma omp parallel for schedule(dynamic, 8)
  for (int64_t i = 0; i < n; i++) {
    int stop;
#pragma omp atomic read
    stop = failed;
    if (stop) continue;
    kp_synth_incident inc;
    kp_status s = kp_synth_incident_make(cfg, i, &inc);
    if (s == KP_OK) {
      char path[4400];
      snprintf(path, sizeof path, "%s/%06lld.log", sub, (long long)(i + 1));
      s = write_file(path, inc.text, inc.len);
    }
    if (s == KP_OK) {
      rows[i].cause = join_lines(inc.cause_lines, inc.n_cause);
      rows[i].panic_line = inc.panic_line;
      rows[i].lines = inc.lines;
      rows[i].category = inc.category;
      rows[i].bytes = inc.len;
      rows[i].ncause = (size_t)inc.n_cause;
      if (!rows[i].cause) s = kp_fail(KP_ERR_NOMEM, "synth: out of memory");
    }
    kp_synth_incident_free(&inc);
    if (s != KP_OK) {
#pragma omp critical(kp_synth_err)
      if (!failed) {
        failed = 1;
        first = s;
        snprintf(first_msg, sizeof first_msg, "%s", kp_last_error());
      }
      continue;
    }
    int64_t k;
#pragma omp atomic capture
    k = ++done;
    if (progress && (k & 63) == 0) {
#pragma omp critical(kp_synth_progress)
      {
        double t = now_s();
        if (t - t_last >= 2.0) {
          t_last = t;
          progress(k, n, user);
        }
      }
    }
  }
  kp_status st = first;
  if (st != KP_OK) kp_fail(st, "%s", first_msg);
  if (st == KP_OK) st = write_labels(tmp, rows, n);
  if (st == KP_OK) st = install(tmp, d, state);
  if (st != KP_OK) rm_tree(tmp);
  if (st == KP_OK && stats) {
    memset(stats, 0, sizeof *stats);
    stats->incidents = n;
    stats->min_lines = INT64_MAX;
    for (int64_t i = 0; i < n; i++) {
      stats->lines += rows[i].lines;
      stats->bytes += (int64_t)rows[i].bytes;
      stats->cause_lines += (int64_t)rows[i].ncause;
      if (rows[i].lines < stats->min_lines) stats->min_lines = rows[i].lines;
      if (rows[i].lines > stats->max_lines) stats->max_lines = rows[i].lines;
      stats->per_category[rows[i].category]++;
    }
  }
  for (int64_t i = 0; i < n; i++) free(rows[i].cause);
  free(rows);
  return st;
}
