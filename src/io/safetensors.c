/* safetensors reader: maps the file, parses the JSON header with cJSON and checks it as untrusted input
 * (header length against the file, dtypes, shapes, offsets that tile the data section exactly), then
 * converts tensors to f32 on request. The writer is in safetensors_write.c. */
#include "kprca/safetensors.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/ewmath.h"

struct kp_safetensors {
  char *path;
  void *map;
  size_t size;
  const uint8_t *data; /* start of the data section */
  uint64_t data_size;
  kp_st_tensor *t; /* by begin offset */
  size_t n;
  const kp_st_tensor **by_name; /* into t, sorted by name */
  char **meta;     /* key, value, key, value, ... */
  size_t nmeta;
};

static const struct {
  const char *name;
  size_t size;
} DTYPES[KP_ST_NDTYPES] = {
    [KP_ST_BOOL] = {"BOOL", 1},       [KP_ST_U8] = {"U8", 1},     [KP_ST_I8] = {"I8", 1},
    [KP_ST_F8_E5M2] = {"F8_E5M2", 1}, [KP_ST_F8_E4M3] = {"F8_E4M3", 1}, [KP_ST_F8_E8M0] = {"F8_E8M0", 1},
    [KP_ST_I16] = {"I16", 2},         [KP_ST_U16] = {"U16", 2},   [KP_ST_F16] = {"F16", 2},
    [KP_ST_BF16] = {"BF16", 2},       [KP_ST_I32] = {"I32", 4},   [KP_ST_U32] = {"U32", 4},
    [KP_ST_F32] = {"F32", 4},         [KP_ST_F64] = {"F64", 8},   [KP_ST_I64] = {"I64", 8},
    [KP_ST_U64] = {"U64", 8},
};

const char *kp_st_dtype_name(kp_st_dtype dt) {
  return (unsigned)dt < KP_ST_NDTYPES ? DTYPES[dt].name : "?";
}
size_t kp_st_dtype_size(kp_st_dtype dt) { return (unsigned)dt < KP_ST_NDTYPES ? DTYPES[dt].size : 0; }

kp_status kp_st_dtype_parse(const char *name, kp_st_dtype *out) {
  for (int i = 0; i < KP_ST_NDTYPES; i++)
    if (strcmp(name, DTYPES[i].name) == 0) {
      *out = (kp_st_dtype)i;
      return KP_OK;
    }
  if (strncmp(name, "F4", 2) == 0 || strncmp(name, "F6", 2) == 0)
    return kp_fail(KP_ERR_FORMAT, "dtype %s (sub-byte float) is not supported", name);
  return kp_fail(KP_ERR_FORMAT, "unknown dtype \"%s\"", name);
}

void kp_st_close(kp_safetensors *st) {
  if (!st) return;
  if (st->map) munmap(st->map, st->size);
  for (size_t i = 0; i < st->n; i++) free((char *)st->t[i].name);
  for (size_t i = 0; i < 2 * st->nmeta; i++) free(st->meta[i]);
  free(st->t);
  free(st->by_name);
  free(st->meta);
  free(st->path);
  free(st);
}

/* A JSON number that is a whole number in [0, 2^53]. */
static bool whole(const cJSON *v, uint64_t *out) {
  if (!cJSON_IsNumber(v)) return false;
  double d = v->valuedouble;
  if (!(d >= 0.0 && d <= 9007199254740992.0) || d != floor(d)) return false;
  *out = (uint64_t)d;
  return true;
}

static kp_status parse_metadata(kp_safetensors *st, const cJSON *m) {
  if (!cJSON_IsObject(m)) return kp_fail(KP_ERR_FORMAT, "%s: __metadata__ is not an object", st->path);
  size_t n = (size_t)cJSON_GetArraySize(m);
  st->meta = calloc(2 * n + 1, sizeof *st->meta);
  if (!st->meta) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", st->path);
  for (const cJSON *e = m->child; e; e = e->next) {
    if (!cJSON_IsString(e))
      return kp_fail(KP_ERR_FORMAT, "%s: __metadata__ \"%s\" is not a string", st->path, e->string);
    char **kv = st->meta + 2 * st->nmeta;
    kv[0] = strdup(e->string);
    kv[1] = strdup(e->valuestring);
    st->nmeta++;
    if (!kv[0] || !kv[1]) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", st->path);
  }
  return KP_OK;
}

static kp_status parse_tensor(kp_safetensors *st, const cJSON *e, kp_st_tensor *t) {
  const char *nm = e->string, *p = st->path;
  if (!cJSON_IsObject(e)) return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': entry is not an object", p, nm);
  const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
  const cJSON *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
  if (!cJSON_IsString(dt)) return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': \"dtype\" missing or not a string", p, nm);
  if (kp_st_dtype_parse(dt->valuestring, &t->dtype) != KP_OK)
    return kp_fail_context(KP_ERR_FORMAT, "%s: tensor '%s'", p, nm);
  if (!cJSON_IsArray(sh)) return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': \"shape\" missing or not an array", p, nm);
  int nd = cJSON_GetArraySize(sh);
  if (nd > KP_ST_MAX_DIMS)
    return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': %d dimensions, at most %d supported", p, nm, nd, KP_ST_MAX_DIMS);
  t->ndim = nd;
  uint64_t numel = 1;
  int d = 0;
  for (const cJSON *v = sh->child; v; v = v->next, d++) {
    uint64_t x;
    if (!whole(v, &x))
      return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': shape[%d] is not a non-negative integer", p, nm, d);
    t->shape[d] = (int64_t)x;
    if (__builtin_mul_overflow(numel, x, &numel) || numel > (UINT64_MAX >> 4))
      return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': shape product overflows", p, nm);
  }
  t->numel = (int64_t)numel;
  if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2 || !whole(of->child, &t->begin) ||
      !whole(of->child->next, &t->end))
    return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': \"data_offsets\" is not [begin, end] of non-negative integers", p,
                   nm);
  if (t->end < t->begin)
    return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] end before they begin", p, nm,
                   (unsigned long long)t->begin, (unsigned long long)t->end);
  uint64_t want = numel * kp_st_dtype_size(t->dtype);
  if (t->end - t->begin != want)
    return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': %s of %llu elements needs %llu bytes, data_offsets give %llu", p, nm,
                   kp_st_dtype_name(t->dtype), (unsigned long long)numel, (unsigned long long)want,
                   (unsigned long long)(t->end - t->begin));
  t->name = strdup(nm);
  if (!t->name) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", p);
  return KP_OK;
}

static int by_begin(const void *a, const void *b) {
  const kp_st_tensor *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}
static int by_name_cmp(const void *a, const void *b) {
  return strcmp((*(const kp_st_tensor *const *)a)->name, (*(const kp_st_tensor *const *)b)->name);
}

/* Offsets must tile [0, data_size) in order: no gap, no overlap, nothing left over. */
static kp_status check_layout(kp_safetensors *st) {
  qsort(st->t, st->n, sizeof *st->t, by_begin);
  uint64_t at = 0;
  for (size_t i = 0; i < st->n; i++) {
    const kp_st_tensor *t = &st->t[i];
    if (t->begin < at)
      return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] overlap tensor '%s' (ends at %llu)",
                     st->path, t->name, (unsigned long long)t->begin, (unsigned long long)t->end, st->t[i - 1].name,
                     (unsigned long long)at);
    if (t->begin > at)
      return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': data_offsets begin at %llu, leaving a gap after byte %llu",
                     st->path, t->name, (unsigned long long)t->begin, (unsigned long long)at);
    if (t->end > st->data_size)
      return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] run past the data section (%llu bytes)",
                     st->path, t->name, (unsigned long long)t->begin, (unsigned long long)t->end,
                     (unsigned long long)st->data_size);
    at = t->end;
  }
  if (at != st->data_size)
    return kp_fail(KP_ERR_FORMAT, "%s: the tensors cover %llu bytes of a %llu-byte data section", st->path,
                   (unsigned long long)at, (unsigned long long)st->data_size);
  st->by_name = malloc((st->n + 1) * sizeof *st->by_name);
  if (!st->by_name) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", st->path);
  for (size_t i = 0; i < st->n; i++) st->by_name[i] = &st->t[i], st->t[i].data = st->data + st->t[i].begin;
  qsort(st->by_name, st->n, sizeof *st->by_name, by_name_cmp);
  for (size_t i = 1; i < st->n; i++)
    if (strcmp(st->by_name[i]->name, st->by_name[i - 1]->name) == 0)
      return kp_fail(KP_ERR_FORMAT, "%s: tensor '%s' appears twice in the header", st->path, st->by_name[i]->name);
  return KP_OK;
}

static kp_status parse_header(kp_safetensors *st, const char *h, size_t n) {
  if (n == 0 || h[0] != '{')
    return kp_fail(KP_ERR_FORMAT, "%s: the JSON header does not start with '{' (not a safetensors file?)", st->path);
  if (memchr(h, 0, n)) return kp_fail(KP_ERR_FORMAT, "%s: the JSON header contains a NUL byte", st->path);
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(h, n, &end, 0);
  if (!root) {
    const char *e = cJSON_GetErrorPtr();
    size_t at = (e && e >= h && e <= h + n) ? (size_t)(e - h) : 0;
    return kp_fail(KP_ERR_FORMAT, "%s: the header is not valid JSON (near byte %zu of %zu)", st->path, at, n);
  }
  kp_status s = KP_OK;
  for (const char *q = end; q && q < h + n && s == KP_OK; q++)
    if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r')
      s = kp_fail(KP_ERR_FORMAT, "%s: text after the JSON header (byte %zu of %zu)", st->path, (size_t)(q - h), n);
  if (s == KP_OK && !cJSON_IsObject(root)) s = kp_fail(KP_ERR_FORMAT, "%s: the header is not a JSON object", st->path);
  size_t cap = s == KP_OK ? (size_t)cJSON_GetArraySize(root) : 0;
  if (s == KP_OK && !(st->t = calloc(cap + 1, sizeof *st->t))) s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", st->path);
  bool seen_meta = false;
  for (const cJSON *e = s == KP_OK ? root->child : NULL; e && s == KP_OK; e = e->next) {
    if (strcmp(e->string, "__metadata__") == 0) {
      s = seen_meta ? kp_fail(KP_ERR_FORMAT, "%s: __metadata__ appears twice", st->path) : parse_metadata(st, e);
      seen_meta = true;
    } else {
      s = parse_tensor(st, e, &st->t[st->n]);
      if (s == KP_OK) st->n++;
    }
  }
  cJSON_Delete(root);
  return s == KP_OK ? check_layout(st) : s;
}

kp_status kp_st_open(const char *path, kp_safetensors **out) {
  *out = NULL;
  const uint16_t one = 1;
  if (*(const uint8_t *)&one != 1) return kp_fail(KP_ERR_UNSUPPORTED, "%s: safetensors needs a little-endian host", path);
  kp_safetensors *st = calloc(1, sizeof *st);
  if (!st || !(st->path = strdup(path))) {
    free(st);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) != 0) {
    kp_status s = kp_fail(KP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    kp_st_close(st);
    return s;
  }
  kp_status s = KP_OK;
  if (!S_ISREG(sb.st_mode)) s = kp_fail(KP_ERR_IO, "%s: not a regular file", path);
  else if (sb.st_size < 8)
    s = kp_fail(KP_ERR_FORMAT, "%s: %lld bytes, too short for the 8-byte header length (truncated?)", path,
                (long long)sb.st_size);
  if (s == KP_OK) {
    st->size = (size_t)sb.st_size;
    st->map = mmap(NULL, st->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (st->map == MAP_FAILED) {
      st->map = NULL;
      s = kp_fail(KP_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    }
  }
  close(fd);
  if (s == KP_OK) {
    const uint8_t *b = st->map;
    uint64_t hn = 0;
    for (int i = 7; i >= 0; i--) hn = hn << 8 | b[i];
    if (hn > KP_ST_MAX_HEADER)
      s = kp_fail(KP_ERR_FORMAT, "%s: header length %llu is over the %llu-byte limit (not a safetensors file?)", path,
                  (unsigned long long)hn, KP_ST_MAX_HEADER);
    else if (hn > st->size - 8)
      s = kp_fail(KP_ERR_FORMAT, "%s: header length %llu runs past the end of the %zu-byte file (truncated?)", path,
                  (unsigned long long)hn, st->size);
    else {
      st->data = b + 8 + hn;
      st->data_size = st->size - 8 - hn;
      s = parse_header(st, (const char *)b + 8, (size_t)hn);
    }
  }
  if (s != KP_OK) {
    kp_st_close(st);
    return s;
  }
  *out = st;
  return KP_OK;
}

const char *kp_st_path(const kp_safetensors *st) { return st->path; }
size_t kp_st_count(const kp_safetensors *st) { return st->n; }
const kp_st_tensor *kp_st_at(const kp_safetensors *st, size_t i) { return i < st->n ? &st->t[i] : NULL; }

const kp_st_tensor *kp_st_find(const kp_safetensors *st, const char *name) {
  size_t lo = 0, hi = st->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(st->by_name[mid]->name, name);
    if (c == 0) return st->by_name[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

size_t kp_st_metadata_count(const kp_safetensors *st) { return st->nmeta; }
void kp_st_metadata_at(const kp_safetensors *st, size_t i, const char **key, const char **value) {
  *key = i < st->nmeta ? st->meta[2 * i] : NULL;
  *value = i < st->nmeta ? st->meta[2 * i + 1] : NULL;
}
const char *kp_st_metadata(const kp_safetensors *st, const char *key) {
  for (size_t i = 0; i < st->nmeta; i++)
    if (strcmp(st->meta[2 * i], key) == 0) return st->meta[2 * i + 1];
  return NULL;
}

kp_status kp_st_to_f32(const kp_st_tensor *t, float *dst, int64_t n) {
  if (n != t->numel)
    return kp_fail(KP_ERR_INVALID, "tensor '%s': %lld elements, destination holds %lld", t->name,
                   (long long)t->numel, (long long)n);
  const uint8_t *s = t->data;
  size_t w = kp_st_dtype_size(t->dtype);
  for (int64_t i = 0; i < n; i++, s += w) {
    union {
      uint8_t b[8];
      uint16_t u16;
      int16_t i16;
      uint32_t u32;
      int32_t i32;
      float f;
      double d;
      int64_t i64;
      uint64_t u64;
    } v;
    memcpy(v.b, s, w); /* the data may be unaligned; the host is little-endian (checked at open) */
    switch (t->dtype) {
      case KP_ST_F32: dst[i] = v.f; break;
      case KP_ST_F16: dst[i] = kp_f16_to_f32(v.u16); break;
      case KP_ST_BF16: dst[i] = kp_bf16_to_f32(v.u16); break;
      case KP_ST_F64: dst[i] = (float)v.d; break;
      case KP_ST_BOOL: dst[i] = v.b[0] ? 1.0f : 0.0f; break;
      case KP_ST_U8: dst[i] = (float)v.b[0]; break;
      case KP_ST_I8: dst[i] = (float)(int8_t)v.b[0]; break;
      case KP_ST_I16: dst[i] = (float)v.i16; break;
      case KP_ST_U16: dst[i] = (float)v.u16; break;
      case KP_ST_I32: dst[i] = (float)v.i32; break;
      case KP_ST_U32: dst[i] = (float)v.u32; break;
      case KP_ST_I64: dst[i] = (float)v.i64; break;
      case KP_ST_U64: dst[i] = (float)v.u64; break;
      default:
        return kp_fail(KP_ERR_UNSUPPORTED, "tensor '%s': no conversion from %s to f32", t->name,
                       kp_st_dtype_name(t->dtype));
    }
  }
  return KP_OK;
}
