/* HDF5 helpers: atomic files, compressed numeric and string datasets, attributes, and
 * HDF5 error stacks translated into kprca messages naming the file and the dataset. */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "data/h5_internal.h"
#include "kprca/linereader.h"

struct kp_h5 {
  hid_t file;
  int fd; /* writing: the temporary file, kept open for fsync; -1 when reading */
  char *path;
  char *tmp; /* writing: the temporary name; NULL when reading */
  int gzip;  /* writing: gzip level of numeric datasets, 0 = unfiltered */
  bool checksum; /* writing: Fletcher-32 on numeric datasets */
};

/* ---- error translation ------------------------------------------------------------------- */

typedef struct {
  char inner[200], outer[200];
  int n;
} walk_ctx;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *p) {
  walk_ctx *c = p;
  const char *d = e->desc && e->desc[0] ? e->desc : "unknown HDF5 error";
  if (c->n == 0) snprintf(c->inner, sizeof c->inner, "%s", d);
  snprintf(c->outer, sizeof c->outer, "%s", d);
  c->n++;
  return 0;
}

void kp_h5_quiet_(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* What HDF5 said about the last failure ("outermost (innermost)"); clears the stack. */
static const char *h5_detail(char *buf, size_t cap) {
  walk_ctx c = {.n = 0};
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &c);
  H5Eclear2(H5E_DEFAULT);
  if (!c.n)
    snprintf(buf, cap, "HDF5 call failed");
  else if (!strcmp(c.inner, c.outer))
    snprintf(buf, cap, "%s", c.inner);
  else
    snprintf(buf, cap, "%s (%s)", c.outer, c.inner);
  return buf;
}

kp_status kp_h5_fail_(kp_status s, const kp_h5 *h, const char *name, const char *what) {
  char d[450];
  h5_detail(d, sizeof d);
  if (name) return kp_fail(s, "%s: dataset '%s': %s: %s", h->path, name, what, d);
  return kp_fail(s, "%s: %s: %s", h->path, what, d);
}

hid_t kp_h5_file_(const kp_h5 *h) { return h->file; }

/* ---- strings ------------------------------------------------------------------------------ */

static bool all_ascii(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80 || !s[i]) return false;
  return true;
}

kp_status kp_strings_build_(kp_strings *out, int64_t n, const char *const *p, const size_t *len, bool repair) {
  memset(out, 0, sizeof *out);
  size_t total = 0, scratch_cap = 0;
  char *scratch = NULL;
  /* pass 1: exact output sizes (repair may grow a string) */
  for (int64_t i = 0; i < n; i++) {
    size_t L = p[i] ? (len ? len[i] : strlen(p[i])) : 0;
    size_t m = L;
    if (repair && L && !all_ascii(p[i], L)) {
      if (3 * L + 1 > scratch_cap) {
        free(scratch);
        scratch_cap = 3 * L + 1;
        if (!(scratch = malloc(scratch_cap))) return kp_fail(KP_ERR_NOMEM, "strings: out of memory");
      }
      m = kp_utf8_repair(p[i], L, scratch, NULL);
    }
    total += m + 1;
  }
  out->s = malloc(sizeof(char *) * (size_t)(n ? n : 1));
  out->arena_ = malloc(total ? total : 1);
  if (!out->s || !out->arena_) {
    free(scratch);
    kp_strings_free(out);
    return kp_fail(KP_ERR_NOMEM, "strings: out of memory for %lld strings", (long long)n);
  }
  char *w = out->arena_;
  for (int64_t i = 0; i < n; i++) {
    size_t L = p[i] ? (len ? len[i] : strlen(p[i])) : 0;
    out->s[i] = w;
    if (repair && L && !all_ascii(p[i], L))
      w += kp_utf8_repair(p[i], L, w, NULL);
    else {
      memcpy(w, p[i], L);
      w += L;
    }
    *w++ = 0;
  }
  free(scratch);
  out->n = n;
  return KP_OK;
}

kp_status kp_strings_copy(kp_strings *dst, int64_t n, const char *const *src) {
  for (int64_t i = 0; i < n; i++)
    if (!src[i]) return kp_fail(KP_ERR_INVALID, "strings: string %lld is NULL", (long long)i);
  return kp_strings_build_(dst, n, src, NULL, false);
}

void kp_strings_free(kp_strings *s) {
  if (!s) return;
  if (s->arena_)
    free(s->arena_);
  else if (s->s)
    for (int64_t i = 0; i < s->n; i++) free(s->s[i]);
  free(s->s);
  memset(s, 0, sizeof *s);
}

int kp_h5_type_size(kp_h5_type t) {
  static const int sz[] = {4, 4, 8, 1, 8};
  return (unsigned)t < 5 ? sz[t] : 0;
}

const char *kp_h5_type_name(kp_h5_type t) {
  static const char *nm[] = {"f32", "i32", "i64", "i8", "f64"};
  return (unsigned)t < 5 ? nm[t] : "?";
}

/* ---- files -------------------------------------------------------------------------------- */

static hid_t file_access(void) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG); /* H5Fclose really closes the file */
  return fapl;
}

const char *kp_h5_path(const kp_h5 *h) { return h->path; }

static void h5_free(kp_h5 *h) {
  free(h->path);
  free(h->tmp);
  free(h);
}

kp_status kp_h5_create(const char *path, kp_h5 **out) {
  kp_h5_quiet_();
  *out = NULL;
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return kp_fail(KP_ERR_IO, "%s: is a directory", path);
  if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0 || H5Zfilter_avail(H5Z_FILTER_SHUFFLE) <= 0)
    return kp_fail(KP_ERR_UNSUPPORTED, "%s: this HDF5 library lacks the gzip or shuffle filter", path);
  kp_h5 *h = calloc(1, sizeof *h);
  size_t cap = strlen(path) + 32;
  if (!h || !(h->path = strdup(path)) || !(h->tmp = malloc(cap))) {
    if (h) h5_free(h);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  /* a fresh temporary name next to the target (same file system, so rename is atomic) */
  static unsigned counter;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint32_t x = (uint32_t)ts.tv_nsec ^ ((uint32_t)getpid() << 12) ^ (++counter * 0x9E3779B9u);
  h->fd = -1;
  for (int tries = 0; tries < 100 && h->fd < 0; tries++) {
    x = x * 1664525u + 1013904223u;
    snprintf(h->tmp, cap, "%s.tmp-%06x", path, (x >> 8) & 0xFFFFFF);
    h->fd = open(h->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (h->fd < 0 && errno != EEXIST) break;
  }
  if (h->fd < 0) {
    kp_status s = kp_fail(KP_ERR_IO, "%s: cannot create a temporary file %s: %s", path, h->tmp, strerror(errno));
    h5_free(h);
    return s;
  }
  hid_t fapl = file_access();
  h->file = H5Fcreate(h->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (h->file < 0) { /* translate before any other HDF5 call clears the error stack */
    kp_status s = kp_h5_fail_(KP_ERR_IO, h, NULL, "cannot create the HDF5 file");
    H5Pclose(fapl);
    close(h->fd);
    unlink(h->tmp);
    h5_free(h);
    return s;
  }
  H5Pclose(fapl);
  h->gzip = KP_H5_GZIP_LEVEL;
  *out = h;
  return KP_OK;
}

kp_status kp_h5_set_gzip(kp_h5 *h, int level) {
  if (!h->tmp) return kp_fail(KP_ERR_INVALID, "%s: set_gzip: the file is open for reading", h->path);
  if (level < 0 || level > 9) return kp_fail(KP_ERR_INVALID, "%s: gzip level %d out of range (0..9)", h->path, level);
  h->gzip = level;
  return KP_OK;
}

int kp_h5_gzip_(const kp_h5 *h) { return h->gzip; }

kp_status kp_h5_set_checksum(kp_h5 *h, bool on) {
  if (!h->tmp) return kp_fail(KP_ERR_INVALID, "%s: set_checksum: the file is open for reading", h->path);
  if (on && H5Zfilter_avail(H5Z_FILTER_FLETCHER32) <= 0)
    return kp_fail(KP_ERR_UNSUPPORTED, "%s: this HDF5 library lacks the Fletcher-32 filter", h->path);
  h->checksum = on;
  return KP_OK;
}

bool kp_h5_checksum_(const kp_h5 *h) { return h->checksum; }

kp_status kp_h5_commit(kp_h5 *h) {
  kp_h5_quiet_();
  if (!h->tmp) {
    kp_h5_close(h);
    return kp_fail(KP_ERR_INVALID, "h5_commit: the file was opened for reading");
  }
  kp_status s = KP_OK;
  if (H5Fclose(h->file) < 0) s = kp_h5_fail_(KP_ERR_IO, h, NULL, "closing the file failed");
  h->file = -1;
  if (s == KP_OK && fsync(h->fd) != 0)
    s = kp_fail(KP_ERR_IO, "%s: fsync of %s failed: %s", h->path, h->tmp, strerror(errno));
  close(h->fd);
  if (s == KP_OK && rename(h->tmp, h->path) != 0)
    s = kp_fail(KP_ERR_IO, "%s: cannot rename %s into place: %s", h->path, h->tmp, strerror(errno));
  if (s != KP_OK) {
    unlink(h->tmp);
  } else { /* make the rename itself durable */
    char *dup = strdup(h->path);
    int dfd = dup ? open(dirname(dup), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
    free(dup);
  }
  h5_free(h);
  return s;
}

void kp_h5_abort(kp_h5 *h) {
  if (!h) return;
  kp_h5_quiet_();
  if (h->file >= 0) H5Fclose(h->file);
  H5Eclear2(H5E_DEFAULT);
  if (h->tmp) {
    close(h->fd);
    unlink(h->tmp);
  }
  h5_free(h);
}

kp_status kp_h5_open(const char *path, kp_h5 **out) {
  kp_h5_quiet_();
  *out = NULL;
  struct stat st;
  if (stat(path, &st) != 0) return kp_fail(KP_ERR_IO, "%s: %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode)) return kp_fail(KP_ERR_IO, "%s: is a directory", path);
  if (access(path, R_OK) != 0) return kp_fail(KP_ERR_IO, "%s: %s", path, strerror(errno));
  htri_t is = H5Fis_hdf5(path);
  H5Eclear2(H5E_DEFAULT);
  if (is <= 0) return kp_fail(KP_ERR_FORMAT, "%s: not an HDF5 file", path);
  kp_h5 *h = calloc(1, sizeof *h);
  if (!h || !(h->path = strdup(path))) {
    free(h);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  h->fd = -1;
  hid_t fapl = file_access();
  h->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  if (h->file < 0) {
    kp_status s = kp_h5_fail_(KP_ERR_FORMAT, h, NULL, "cannot open");
    H5Pclose(fapl);
    h5_free(h);
    return s;
  }
  H5Pclose(fapl);
  *out = h;
  return KP_OK;
}

void kp_h5_close(kp_h5 *h) { kp_h5_abort(h); }

kp_status kp_h5_load_with_(const char *path, kp_status (*load)(kp_h5 *h, void *arg), void *arg) {
  kp_h5 *h;
  KP_TRY(kp_h5_open(path, &h));
  kp_status s = load(h, arg);
  kp_h5_close(h);
  return s;
}

kp_status kp_h5_save_with_(const char *path, kp_status (*save)(kp_h5 *h, const void *arg), const void *arg) {
  kp_h5 *h;
  KP_TRY(kp_h5_create(path, &h));
  kp_status s = save(h, arg);
  if (s != KP_OK) {
    kp_h5_abort(h);
    return s;
  }
  return kp_h5_commit(h);
}

bool kp_h5_writing_(const kp_h5 *h) { return h->tmp != NULL; }

/* ---- attributes ---------------------------------------------------------------------------- */

static kp_status set_attr(kp_h5 *h, const char *obj, const char *key, hid_t type, const void *val) {
  kp_h5_quiet_();
  if (!h->tmp) return kp_fail(KP_ERR_INVALID, "%s: attribute '%s': the file is open for reading", h->path, key);
  if (!kp_h5_exists(h, obj)) return kp_fail(KP_ERR_INVALID, "%s: attribute '%s': no object '%s'", h->path, key, obj);
  if (H5Aexists_by_name(h->file, obj, key, H5P_DEFAULT) > 0) H5Adelete_by_name(h->file, obj, key, H5P_DEFAULT);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate_by_name(h->file, obj, key, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = a < 0 ? -1 : H5Awrite(a, type, val);
  kp_status s = KP_OK;
  if (e < 0) {
    char what[160];
    snprintf(what, sizeof what, "writing attribute '%s' on '%s' failed", key, obj);
    s = kp_h5_fail_(KP_ERR_IO, h, NULL, what);
  }
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  return s;
}

hid_t kp_h5_vlen_utf8_(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

kp_status kp_h5_set_attr_str(kp_h5 *h, const char *obj, const char *key, const char *value) {
  hid_t t = kp_h5_vlen_utf8_();
  kp_status s = set_attr(h, obj, key, t, &value);
  H5Tclose(t);
  return s;
}

kp_status kp_h5_set_attr_int(kp_h5 *h, const char *obj, const char *key, int64_t value) {
  return set_attr(h, obj, key, H5T_STD_I64LE, &value);
}

/* Opens attribute key of obj, checking it exists and holds one value of class cls. */
static kp_status open_attr(kp_h5 *h, const char *obj, const char *key, H5T_class_t cls, hid_t *a, hid_t *ft) {
  kp_h5_quiet_();
  *a = *ft = -1;
  if (!kp_h5_exists(h, obj) || H5Aexists_by_name(h->file, obj, key, H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return kp_fail(KP_ERR_FORMAT, "%s: attribute '%s' missing on '%s'", h->path, key, obj);
  }
  *a = H5Aopen_by_name(h->file, obj, key, H5P_DEFAULT, H5P_DEFAULT);
  if (*a < 0) return kp_h5_fail_(KP_ERR_FORMAT, h, NULL, "cannot open an attribute");
  *ft = H5Aget_type(*a);
  hid_t sp = H5Aget_space(*a);
  hssize_t np = H5Sget_simple_extent_npoints(sp);
  H5Sclose(sp);
  if (H5Tget_class(*ft) != cls || np != 1) {
    H5Tclose(*ft);
    H5Aclose(*a);
    *a = *ft = -1;
    return kp_fail(KP_ERR_FORMAT, "%s: attribute '%s' on '%s' is not a single %s", h->path, key, obj,
                   cls == H5T_STRING ? "string" : "integer");
  }
  return KP_OK;
}

kp_status kp_h5_get_attr_str(kp_h5 *h, const char *obj, const char *key, char **value) {
  *value = NULL;
  hid_t a, ft;
  KP_TRY(open_attr(h, obj, key, H5T_STRING, &a, &ft));
  kp_status s = kp_h5_read_one_string_(h, a, true, ft, NULL, "cannot read a string attribute", value);
  H5Tclose(ft);
  H5Aclose(a);
  return s;
}

kp_status kp_h5_get_attr_int(kp_h5 *h, const char *obj, const char *key, int64_t *value) {
  hid_t a, ft;
  KP_TRY(open_attr(h, obj, key, H5T_INTEGER, &a, &ft));
  kp_status s = KP_OK;
  if (H5Aread(a, H5T_NATIVE_INT64, value) < 0)
    s = kp_h5_fail_(KP_ERR_FORMAT, h, NULL, "cannot read an integer attribute");
  H5Tclose(ft);
  H5Aclose(a);
  return s;
}

kp_status kp_h5_check_format(kp_h5 *h, const char *expect_format, int64_t max_version, int64_t *version) {
  char *fmt = NULL;
  kp_status s = kp_h5_get_attr_str(h, "/", "format", &fmt);
  if (s != KP_OK)
    return kp_fail(s, "%s: attribute 'format' missing on '/' (expected \"%s\"; not a kprca dataset?)", h->path,
                   expect_format);
  if (strcmp(fmt, expect_format)) {
    s = kp_fail(KP_ERR_FORMAT, "%s: attribute 'format' is \"%s\", expected \"%s\"", h->path, fmt, expect_format);
    free(fmt);
    return s;
  }
  free(fmt);
  int64_t v;
  KP_TRY(kp_h5_get_attr_int(h, "/", "version", &v));
  if (v < 1)
    return kp_fail(KP_ERR_FORMAT, "%s: attribute 'version' = %lld is not a valid version", h->path, (long long)v);
  if (v > max_version)
    return kp_fail(KP_ERR_FORMAT, "%s: %s version %lld is newer than this kprca reads (up to %lld)", h->path,
                   expect_format, (long long)v, (long long)max_version);
  if (version) *version = v;
  return KP_OK;
}

/* ---- links -------------------------------------------------------------------------------- */

bool kp_h5_exists(kp_h5 *h, const char *name) {
  kp_h5_quiet_();
  if (!name || !name[0]) return false;
  if (!strcmp(name, "/")) return true;
  char *buf = strdup(name);
  if (!buf) return false;
  bool ok = true;
  /* every prefix ending at a '/' must exist before H5Lexists may look further */
  for (char *p = buf + 1; ok; p++) {
    if (*p == '/' || *p == 0) {
      char c = *p;
      *p = 0;
      ok = H5Lexists(h->file, buf, H5P_DEFAULT) > 0;
      *p = c;
      if (!c) break;
    }
  }
  H5Eclear2(H5E_DEFAULT);
  free(buf);
  return ok;
}

typedef struct {
  char **names;
  int64_t n, cap;
  bool nomem;
} list_ctx;

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info, void *p) {
  (void)g, (void)info;
  list_ctx *c = p;
  if (c->n == c->cap) {
    int64_t cap = c->cap ? 2 * c->cap : 16;
    char **v = realloc(c->names, sizeof *v * (size_t)cap);
    if (!v) return (c->nomem = true), -1;
    c->names = v, c->cap = cap;
  }
  if (!(c->names[c->n] = strdup(name))) return (c->nomem = true), -1;
  c->n++;
  return 0;
}

kp_status kp_h5_list(kp_h5 *h, const char *group, kp_strings *names) {
  kp_h5_quiet_();
  memset(names, 0, sizeof *names);
  if (!kp_h5_exists(h, group)) return kp_fail(KP_ERR_FORMAT, "%s: group '%s' missing", h->path, group);
  hid_t g = H5Gopen2(h->file, group, H5P_DEFAULT);
  if (g < 0) {
    H5Eclear2(H5E_DEFAULT);
    return kp_fail(KP_ERR_FORMAT, "%s: '%s' is not a group", h->path, group);
  }
  list_ctx c = {0};
  hsize_t idx = 0;
  herr_t e = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, list_cb, &c);
  kp_status s = KP_OK;
  if (c.nomem)
    s = kp_fail(KP_ERR_NOMEM, "%s: group '%s': out of memory", h->path, group);
  else if (e < 0)
    s = kp_h5_fail_(KP_ERR_FORMAT, h, group, "cannot list the members");
  H5Gclose(g);
  if (s == KP_OK) s = kp_strings_build_(names, c.n, (const char *const *)c.names, NULL, false);
  for (int64_t i = 0; i < c.n; i++) free(c.names[i]);
  free(c.names);
  return s;
}
