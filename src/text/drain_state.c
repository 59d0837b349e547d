/* Drain state as JSON (cJSON): parameters, masks, and every cluster with its id, size, template
 * tokens and tree path, so a reloaded miner rebuilds the same tree and keeps the same ids. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "text/drain_internal.h"

#define STATE_FORMAT "kprca-drain-state"
#define STATE_VERSION 1

static cJSON *tokens_json(const char *const *s, const uint32_t *l, uint32_t n) {
  cJSON *a = cJSON_CreateArray();
  for (uint32_t i = 0; a && i < n; i++) {
    char *t = strndup(s[i], l[i]);
    cJSON *v = t ? cJSON_CreateString(t) : NULL;
    free(t);
    if (!v || !cJSON_AddItemToArray(a, v)) {
      cJSON_Delete(v);
      cJSON_Delete(a);
      return NULL;
    }
  }
  return a;
}

static kp_status write_atomic(const char *path, const char *text) {
  size_t n = strlen(path);
  char *tmp = malloc(n + 16);
  if (!tmp) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  memcpy(tmp, path, n);
  memcpy(tmp + n, ".tmpXXXXXX", 11);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    kp_status s = kp_fail(KP_ERR_IO, "%s: cannot create a temporary file next to it: %s", path, strerror(errno));
    free(tmp);
    return s;
  }
  FILE *f = fdopen(fd, "w");
  bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  int err = errno;
  if (f) ok = (fclose(f) == 0) && ok;
  else close(fd);
  if (ok && rename(tmp, path) != 0) ok = false, err = errno;
  if (!ok) {
    unlink(tmp);
    free(tmp);
    return kp_fail(KP_ERR_IO, "%s: cannot write: %s", path, strerror(err));
  }
  free(tmp);
  return KP_OK;
}

kp_status kp_drain_to_json(const kp_drain *d, const char *const *masks, size_t nmasks, char **json) {
  const char *path = "Drain state";
  *json = NULL;
  cJSON *root = cJSON_CreateObject(), *p = cJSON_CreateObject(), *m = cJSON_CreateArray(), *cl = cJSON_CreateArray();
  bool ok = root && p && m && cl;
  if (ok) {
    cJSON_AddItemToObject(root, "format", cJSON_CreateString(STATE_FORMAT));
    cJSON_AddItemToObject(root, "version", cJSON_CreateNumber(STATE_VERSION));
    cJSON_AddItemToObject(root, "params", p);
    cJSON_AddItemToObject(p, "sim", cJSON_CreateNumber(d->p.sim));
    cJSON_AddItemToObject(p, "depth", cJSON_CreateNumber(d->p.depth));
    cJSON_AddItemToObject(p, "max_children", cJSON_CreateNumber(d->p.max_children));
    cJSON_AddItemToObject(root, "masks", m);
    for (size_t i = 0; i < nmasks; i++) ok = ok && cJSON_AddItemToArray(m, cJSON_CreateString(masks[i]));
    cJSON_AddItemToObject(root, "next_id", cJSON_CreateNumber((double)d->next_id));
    cJSON_AddItemToObject(root, "clusters", cl);
  } else {
    cJSON_Delete(p), cJSON_Delete(m), cJSON_Delete(cl);
  }
  for (size_t i = 0; ok && i < d->ncl; i++) {
    const kp_cluster *c = &d->cl[i];
    cJSON *o = cJSON_CreateObject();
    cJSON *t = tokens_json(c->ts, c->tl, c->ntok), *pa = tokens_json(c->ps, c->pl, c->npath);
    ok = o && t && pa && cJSON_AddItemToArray(cl, o);
    if (!ok) {
      cJSON_Delete(o), cJSON_Delete(t), cJSON_Delete(pa);
      break;
    }
    cJSON_AddItemToObject(o, "id", cJSON_CreateNumber((double)c->id));
    cJSON_AddItemToObject(o, "size", cJSON_CreateNumber((double)c->size));
    cJSON_AddItemToObject(o, "template", t);
    cJSON_AddItemToObject(o, "path", pa);
  }
  char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (!text) return kp_fail(KP_ERR_NOMEM, "%s: out of memory while writing the Drain state", path);
  *json = strdup(text);
  cJSON_free(text);
  return *json ? KP_OK : kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
}

kp_status kp_drain_save(const kp_drain *d, const char *path, const char *const *masks, size_t nmasks) {
  char *text;
  KP_TRY(kp_drain_to_json(d, masks, nmasks, &text));
  kp_status s = write_atomic(path, text);
  free(text);
  return s;
}

void kp_drain_free_masks(char **masks, size_t nmasks) {
  for (size_t i = 0; masks && i < nmasks; i++) free(masks[i]);
  free(masks);
}

/* Tokens from a JSON array of strings (text stays owned by the JSON tree). */
static kp_status json_tokens(const cJSON *a, const char *path, int64_t id, const char *what, kp_dtok **out,
                             uint32_t *n) {
  *out = NULL, *n = 0;
  if (!cJSON_IsArray(a)) return kp_fail(KP_ERR_FORMAT, "%s: cluster %lld: '%s' is not an array", path, (long long)id, what);
  int k = cJSON_GetArraySize(a);
  kp_dtok *t = calloc(k ? (size_t)k : 1, sizeof *t);
  if (!t) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  int i = 0;
  for (const cJSON *v = a->child; v; v = v->next, i++) {
    const char *s = cJSON_GetStringValue(v);
    size_t len = s ? strlen(s) : 0;
    bool bad = !s || !len;
    for (size_t j = 0; !bad && j < len; j++) bad = s[j] == ' ' || (s[j] >= '\t' && s[j] <= '\r');
    if (bad) {
      free(t);
      return kp_fail(KP_ERR_FORMAT, "%s: cluster %lld: %s token %d is not a non-empty string without spaces", path,
                     (long long)id, what, i);
    }
    t[i].s = s, t[i].len = (uint32_t)len, t[i].h = kp_drain_hash(s, len);
    t[i].digit = false;
    for (size_t j = 0; j < len; j++) t[i].digit |= (unsigned)(s[j] - '0') < 10;
  }
  *out = t, *n = (uint32_t)k;
  return KP_OK;
}

static bool get_int(const cJSON *o, const char *key, double lo, double hi, double *v) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(x)) return false;
  *v = x->valuedouble;
  return *v >= lo && *v <= hi && *v == (double)(int64_t)*v;
}

static kp_status load_json(const cJSON *root, const char *path, kp_drain **out, char ***masks, size_t *nmasks) {
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, STATE_FORMAT))
    return kp_fail(KP_ERR_FORMAT, "%s: not a Drain state file (format is not \"%s\")", path, STATE_FORMAT);
  double ver, depth, maxc, next_id;
  if (!get_int(root, "version", 1, 1e9, &ver) || ver != STATE_VERSION)
    return kp_fail(KP_ERR_FORMAT, "%s: unsupported Drain state version (this kprca reads version %d)", path, STATE_VERSION);
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "params");
  const cJSON *sim = cJSON_GetObjectItemCaseSensitive(p, "sim");
  if (!cJSON_IsNumber(sim) || !get_int(p, "depth", 3, 64, &depth) || !get_int(p, "max_children", 1, 1e9, &maxc))
    return kp_fail(KP_ERR_FORMAT, "%s: params must hold sim, depth (3..64) and max_children (>= 1)", path);
  if (!get_int(root, "next_id", 1, 9e15, &next_id))
    return kp_fail(KP_ERR_FORMAT, "%s: next_id must be a positive integer", path);
  kp_drain_params q = {sim->valuedouble, (int)depth, (int)maxc};
  kp_drain *d;
  KP_TRY(kp_drain_new(&q, &d));
  kp_status s = KP_OK;
  const cJSON *cl = cJSON_GetObjectItemCaseSensitive(root, "clusters");
  if (!cJSON_IsArray(cl)) {
    s = kp_fail(KP_ERR_FORMAT, "%s: 'clusters' is not an array", path);
    goto fail;
  }
  int64_t last = 0;
  for (const cJSON *c = cl->child; c; c = c->next) {
    double id, size;
    if (!get_int(c, "id", 1, 9e15, &id) || !get_int(c, "size", 0, 1.8e19, &size)) {
      s = kp_fail(KP_ERR_FORMAT, "%s: cluster after id %lld: id and size must be non-negative integers", path, (long long)last);
      goto fail;
    }
    if ((int64_t)id <= last) {
      s = kp_fail(KP_ERR_FORMAT, "%s: cluster ids must increase (%lld after %lld)", path, (long long)id, (long long)last);
      goto fail;
    }
    kp_dtok *t = NULL, *pa = NULL;
    uint32_t nt, np;
    s = json_tokens(cJSON_GetObjectItemCaseSensitive(c, "template"), path, (int64_t)id, "template", &t, &nt);
    if (s == KP_OK) s = json_tokens(cJSON_GetObjectItemCaseSensitive(c, "path"), path, (int64_t)id, "path", &pa, &np);
    uint32_t want = nt < (uint32_t)d->dep2 ? nt : (uint32_t)d->dep2 - 1;
    if (s == KP_OK && np != want)
      s = kp_fail(KP_ERR_FORMAT, "%s: cluster %lld: path has %u tokens, depth %d needs %u", path, (long long)id, np,
                  d->p.depth, want);
    for (uint32_t i = 0; s == KP_OK && i < np; i++)
      if (!(t[i].len == 3 && !memcmp(t[i].s, KP_WILD, 3)) && !(t[i].len == pa[i].len && !memcmp(t[i].s, pa[i].s, pa[i].len)))
        s = kp_fail(KP_ERR_FORMAT, "%s: cluster %lld: path token %u differs from the template", path, (long long)id, i);
    int32_t ci;
    if (s == KP_OK) s = kp_drain_create_cluster(d, t, nt, (int64_t)id, pa, np, &ci);
    free(t), free(pa);
    if (s != KP_OK) goto fail;
    d->cl[ci].size = (uint64_t)size;
    last = (int64_t)id;
  }
  if ((int64_t)next_id > d->next_id) d->next_id = (int64_t)next_id;
  if (masks) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "masks");
    if (!cJSON_IsArray(m)) {
      s = kp_fail(KP_ERR_FORMAT, "%s: 'masks' is not an array", path);
      goto fail;
    }
    size_t k = (size_t)cJSON_GetArraySize(m), i = 0;
    *masks = calloc(k ? k : 1, sizeof **masks);
    if (!*masks) {
      s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
      goto fail;
    }
    for (const cJSON *v = m->child; v; v = v->next, i++) {
      const char *str = cJSON_GetStringValue(v);
      (*masks)[i] = str ? strdup(str) : NULL;
      if (!(*masks)[i]) {
        kp_drain_free_masks(*masks, i);
        *masks = NULL;
        s = str ? kp_fail(KP_ERR_NOMEM, "%s: out of memory", path)
                : kp_fail(KP_ERR_FORMAT, "%s: masks[%zu] is not a string", path, i);
        goto fail;
      }
    }
    *nmasks = k;
  }
  *out = d;
  return KP_OK;
fail:
  kp_drain_free(d);
  return s;
}

kp_status kp_drain_load(const char *path, kp_drain **out, char ***masks, size_t *nmasks) {
  *out = NULL;
  if (masks) *masks = NULL, *nmasks = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  for (size_t k; buf; n += k) {
    if (n == cap) {
      char *q = realloc(buf, cap *= 2);
      if (!q) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = q;
    }
    if ((k = fread(buf + n, 1, cap - n, f)) == 0) break;
  }
  fclose(f);
  if (!buf) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  kp_status s = kp_drain_from_json(buf, n, path, out, masks, nmasks);
  free(buf);
  return s;
}

kp_status kp_drain_from_json(const char *json, size_t len, const char *name, kp_drain **out, char ***masks,
                             size_t *nmasks) {
  *out = NULL;
  if (masks) *masks = NULL, *nmasks = 0;
  cJSON *root = cJSON_ParseWithLength(json, len);
  if (!root) {
    const char *e = cJSON_GetErrorPtr();
    long line = 1;
    for (const char *q = json; e && q < e && q < json + len; q++) line += *q == '\n';
    return kp_fail(KP_ERR_FORMAT, "%s:%ld: not valid JSON", name, line);
  }
  kp_status s = load_json(root, name, out, masks, nmasks);
  cJSON_Delete(root);
  return s;
}
