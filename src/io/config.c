/* The config object: defaults from the schema, YAML files merged key by key with libyaml (all or nothing,
 * errors at FILE:LINE:COL), overrides from the command line, final checks, and the typed getters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_internal.h"

/* ---- Object ---- */

static const char *intern(kp_config *cfg, const char *name) {
  for (size_t i = 0; i < cfg->nnames; i++)
    if (!strcmp(cfg->names[i], name)) return cfg->names[i];
  char **grown = realloc(cfg->names, (cfg->nnames + 1) * sizeof *grown);
  if (!grown) return NULL;
  cfg->names = grown;
  if (!(grown[cfg->nnames] = strdup(name))) return NULL;
  return grown[cfg->nnames++];
}

kp_status kp_config_new(kp_config **out) {
  *out = NULL;
  size_t n = kp_config_schema_count();
  kp_config *cfg = calloc(1, sizeof *cfg);
  if (!cfg || !(cfg->v = calloc(n, sizeof *cfg->v))) {
    free(cfg);
    return kp_fail(KP_ERR_NOMEM, "config: out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    const kp_cfg_key *k = kp_config_schema(i);
    if (!k->def) { /* required: unset until a file or override sets it */
      cfg->v[i].null = true;
      continue;
    }
    kp_status s = kp_cfg_convert_text(k, k->def, NULL, &cfg->v[i]);
    if (s != KP_OK) {
      kp_config_free(cfg);
      return s;
    }
  }
  *out = cfg;
  return KP_OK;
}

void kp_config_free(kp_config *cfg) {
  if (!cfg) return;
  for (size_t i = 0; cfg->v && i < kp_config_schema_count(); i++) kp_cfg_value_free(&cfg->v[i]);
  free(cfg->v);
  for (size_t i = 0; i < cfg->nnames; i++) free(cfg->names[i]);
  free(cfg->names);
  free(cfg->files);
  free(cfg);
}

/* ---- Pending assignments: a merge commits all of them or none ---- */

typedef struct pending {
  long idx;
  kp_cfg_value v;
} pending;

typedef struct merge {
  kp_config *cfg;
  const char *file; /* interned */
  pending *p;
  size_t n, cap;
  yaml_document_t *doc;
} merge;

static void merge_drop(merge *m) {
  for (size_t i = 0; i < m->n; i++) kp_cfg_value_free(&m->p[i].v);
  free(m->p);
  m->p = NULL;
  m->n = m->cap = 0;
}

static void merge_commit(merge *m) {
  for (size_t i = 0; i < m->n; i++) {
    kp_cfg_value_free(&m->cfg->v[m->p[i].idx]);
    m->cfg->v[m->p[i].idx] = m->p[i].v;
  }
  m->n = 0;
  merge_drop(m);
}

/* Adds an assignment; a key set twice in one file is an error naming both places. */
static kp_status merge_add(merge *m, long idx, kp_cfg_value *v) {
  for (size_t i = 0; i < m->n; i++)
    if (m->p[i].idx == idx && v->line > 0) {
      kp_status s = kp_fail(KP_ERR_INVALID, "%s:%d:%d: duplicate key '%s' (first set at line %d, column %d)", m->file,
                            v->line, v->col, kp_config_schema((size_t)idx)->path, m->p[i].v.line, m->p[i].v.col);
      kp_cfg_value_free(v);
      return s;
    }
  if (m->n == m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 16;
    pending *g = realloc(m->p, cap * sizeof *g);
    if (!g) {
      kp_cfg_value_free(v);
      return kp_fail(KP_ERR_NOMEM, "config: out of memory");
    }
    m->p = g;
    m->cap = cap;
  }
  m->p[m->n].idx = idx;
  m->p[m->n++].v = *v;
  return KP_OK;
}

/* "unknown key 'optim.lrr' (did you mean 'optim.lr'?)" */
static kp_status unknown_key(const char *where, const char *path) {
  const char *hint = kp_config_suggest(path);
  if (hint) return kp_fail(KP_ERR_INVALID, "%s: unknown key '%s' (did you mean '%s'?)", where, path, hint);
  return kp_fail(KP_ERR_INVALID, "%s: unknown key '%s' (docs/configs.md lists every key)", where, path);
}

/* ---- YAML ---- */

static int L(yaml_mark_t m) { return (int)m.line + 1; }
static int C(yaml_mark_t m) { return (int)m.column + 1; }

static const char *shape_words(const yaml_node_t *n) {
  if (n->type == YAML_MAPPING_NODE) return "a mapping";
  if (n->type == YAML_SEQUENCE_NODE) return "a list";
  return "a scalar";
}

static bool plain_null(const yaml_node_t *n) {
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
  const char *t = (const char *)n->data.scalar.value;
  return !t[0] || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

static cfg_item node_item(const yaml_node_t *n) {
  cfg_item it = {(const char *)n->data.scalar.value, n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE, L(n->start_mark),
                 C(n->start_mark)};
  return it;
}

/* Explicit tags (!!int 5, !foo) are refused: the schema types every value. */
static kp_status check_tag(merge *m, const yaml_node_t *n) {
  const char *t = (const char *)n->tag;
  const char *def = n->type == YAML_SCALAR_NODE     ? YAML_DEFAULT_SCALAR_TAG
                    : n->type == YAML_SEQUENCE_NODE ? YAML_DEFAULT_SEQUENCE_TAG
                                                    : YAML_DEFAULT_MAPPING_TAG;
  if (!t || !strcmp(t, def)) return KP_OK;
  return kp_fail(KP_ERR_INVALID,
                 "%s:%d:%d: YAML tags (%s) are not supported in configs; the schema gives each key its type", m->file,
                 L(n->start_mark), C(n->start_mark), t);
}

static kp_status leaf(merge *m, long idx, const yaml_node_t *key, const yaml_node_t *val) {
  const kp_cfg_key *k = kp_config_schema((size_t)idx);
  cfg_raw raw = {0};
  cfg_item *items = NULL;
  raw.line = L(val->start_mark);
  raw.col = C(val->start_mark);
  KP_TRY(check_tag(m, val));
  if (val->type == YAML_SCALAR_NODE) {
    raw.shape = CFG_SCALAR;
    raw.scalar = node_item(val);
  } else if (val->type == YAML_MAPPING_NODE) {
    raw.shape = CFG_MAP;
  } else {
    raw.shape = CFG_LIST;
    size_t n = (size_t)(val->data.sequence.items.top - val->data.sequence.items.start);
    items = calloc(n ? n : 1, sizeof *items);
    if (!items) return kp_fail(KP_ERR_NOMEM, "config: out of memory");
    for (size_t i = 0; i < n; i++) {
      const yaml_node_t *it = yaml_document_get_node(m->doc, val->data.sequence.items.start[i]);
      kp_status s = check_tag(m, it);
      if (s == KP_OK && it->type != YAML_SCALAR_NODE)
        s = kp_fail(KP_ERR_INVALID, "%s:%d:%d: %s[%zu]: expected a scalar in the list, got %s", m->file,
                    L(it->start_mark), C(it->start_mark), k->path, i, shape_words(it));
      if (s != KP_OK) {
        free(items);
        return s;
      }
      items[i] = node_item(it);
    }
    raw.items = items;
    raw.n = n;
  }
  kp_cfg_value v;
  kp_status s = kp_cfg_convert(k, &raw, m->file, &v);
  free(items);
  if (s != KP_OK) return s;
  v.file = m->file;
  v.line = L(key->start_mark);
  v.col = C(key->start_mark);
  return merge_add(m, idx, &v);
}

/* Walks a mapping whose keys sit under prefix ("" at the top). Dotted keys ("optim.lr: 0.1") work anywhere. */
static kp_status walk(merge *m, const yaml_node_t *map, const char *prefix) {
  KP_TRY(check_tag(m, map));
  yaml_node_pair_t *first = map->data.mapping.pairs.start, *top = map->data.mapping.pairs.top;
  for (yaml_node_pair_t *p = first; p < top; p++) {
    const yaml_node_t *key = yaml_document_get_node(m->doc, p->key);
    const yaml_node_t *val = yaml_document_get_node(m->doc, p->value);
    if (key->type != YAML_SCALAR_NODE)
      return kp_fail(KP_ERR_INVALID, "%s:%d:%d: a key must be a name, got %s", m->file, L(key->start_mark),
                     C(key->start_mark), shape_words(key));
    const char *name = (const char *)key->data.scalar.value;
    char path[512];
    int w = snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", name);
    if (w < 0 || (size_t)w >= sizeof path)
      return kp_fail(KP_ERR_INVALID, "%s:%d:%d: key too long", m->file, L(key->start_mark), C(key->start_mark));
    for (yaml_node_pair_t *q = first; q < p; q++) {
      const yaml_node_t *other = yaml_document_get_node(m->doc, q->key);
      if (other->type == YAML_SCALAR_NODE && !strcmp((const char *)other->data.scalar.value, name))
        return kp_fail(KP_ERR_INVALID, "%s:%d:%d: duplicate key '%s' (first at line %d, column %d)", m->file,
                       L(key->start_mark), C(key->start_mark), path, L(other->start_mark), C(other->start_mark));
    }
    long idx = kp_cfg_index(path);
    if (idx >= 0) {
      KP_TRY(leaf(m, idx, key, val));
    } else if (kp_cfg_is_section(path)) {
      if (val->type == YAML_MAPPING_NODE) {
        KP_TRY(walk(m, val, path));
      } else if (!plain_null(val)) { /* "optim:" with nothing under it is an empty section */
        char keys[256];
        kp_cfg_section_keys(path, keys, sizeof keys, 6);
        return kp_fail(KP_ERR_INVALID, "%s:%d:%d: '%s' is a section: expected a mapping of its keys (%s), got %s",
                       m->file, L(val->start_mark), C(val->start_mark), path, keys, shape_words(val));
      }
    } else {
      char where[512];
      snprintf(where, sizeof where, "%s:%d:%d", m->file, L(key->start_mark), C(key->start_mark));
      return unknown_key(where, path);
    }
  }
  return KP_OK;
}

/* 1-based line and column of a byte offset (libyaml's reader errors give only the offset). */
static void offset_pos(const char *text, size_t len, size_t off, int *line, int *col) {
  *line = 1, *col = 1;
  for (size_t i = 0; i < off && i < len; i++) {
    if (text[i] == '\n')
      ++*line, *col = 1;
    else if (((unsigned char)text[i] & 0xC0) != 0x80)
      ++*col;
  }
}

static kp_status syntax_error(const yaml_parser_t *p, const char *file, const char *text, size_t len) {
  int line, col;
  if (p->error == YAML_READER_ERROR) {
    offset_pos(text, len, p->problem_offset, &line, &col);
    return kp_fail(KP_ERR_FORMAT, "%s:%d:%d: cannot read the YAML text: %s", file, line, col,
                   p->problem ? p->problem : "bad input");
  }
  if (p->error == YAML_MEMORY_ERROR) return kp_fail(KP_ERR_NOMEM, "%s: out of memory while parsing YAML", file);
  char ctx[256] = "";
  if (p->context)
    snprintf(ctx, sizeof ctx, " (%s at line %d, column %d)", p->context, L(p->context_mark), C(p->context_mark));
  return kp_fail(KP_ERR_FORMAT, "%s:%d:%d: YAML syntax error: %s%s", file, L(p->problem_mark), C(p->problem_mark),
                 p->problem ? p->problem : "unknown problem", ctx);
}

kp_status kp_config_merge_yaml(kp_config *cfg, const char *text, size_t len, const char *name) {
  merge m = {cfg, intern(cfg, name), NULL, 0, 0, NULL};
  if (!m.file) return kp_fail(KP_ERR_NOMEM, "config: out of memory");
  char **files = realloc(cfg->files, (cfg->nfiles + 1) * sizeof *files);
  if (!files) return kp_fail(KP_ERR_NOMEM, "config: out of memory");
  cfg->files = files;
  yaml_parser_t parser;
  yaml_document_t doc, next;
  if (!yaml_parser_initialize(&parser)) return kp_fail(KP_ERR_NOMEM, "config: out of memory");
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, &doc)) {
    kp_status s = syntax_error(&parser, m.file, text, len);
    yaml_parser_delete(&parser);
    return s;
  }
  m.doc = &doc;
  kp_status s = KP_OK;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root || plain_null(root)) {
    s = kp_fail(KP_ERR_FORMAT, "%s:1:1: empty config (no YAML mapping); write {} for an intentionally empty one",
                m.file);
  } else if (!yaml_parser_load(&parser, &next)) {
    s = syntax_error(&parser, m.file, text, len);
  } else {
    yaml_node_t *more = yaml_document_get_root_node(&next);
    if (more)
      s = kp_fail(KP_ERR_FORMAT, "%s:%d:%d: a second YAML document; a config file holds one", m.file,
                  L(next.start_mark), C(next.start_mark));
    yaml_document_delete(&next);
    if (s == KP_OK && root->type != YAML_MAPPING_NODE)
      s = kp_fail(KP_ERR_FORMAT,
                  "%s:%d:%d: a config must be a mapping of sections (model:, data:, optim:, ...), got %s", m.file,
                  L(root->start_mark), C(root->start_mark), shape_words(root));
    if (s == KP_OK) s = walk(&m, root, "");
  }
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  if (s != KP_OK) {
    merge_drop(&m);
    return s;
  }
  merge_commit(&m);
  cfg->files[cfg->nfiles++] = (char *)m.file;
  return KP_OK;
}

kp_status kp_config_merge_file(kp_config *cfg, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot open the config: %s", path, strerror(errno));
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    len += fread(buf + len, 1, cap - len, f);
    if (len < cap) break;
    char *g = realloc(buf, cap *= 2);
    if (!g) free(buf);
    buf = g;
  }
  int err = ferror(f) ? errno : 0;
  fclose(f);
  if (!buf) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  if (err) {
    free(buf);
    return kp_fail(KP_ERR_IO, "%s: cannot read the config: %s", path, strerror(err));
  }
  kp_status s = kp_config_merge_yaml(cfg, buf, len, path);
  free(buf);
  return s;
}

/* ---- Overrides ---- */

kp_status kp_config_set(kp_config *cfg, const char *key, const char *value, const char *source) {
  if (!source) source = KP_CFG_CMDLINE;
  long idx = kp_cfg_index(key);
  if (idx < 0) {
    if (kp_cfg_is_section(key)) {
      char keys[256];
      kp_cfg_section_keys(key, keys, sizeof keys, 6);
      return kp_fail(KP_ERR_INVALID, "%s: '%s' is a section; set one of its keys (%s), e.g. %s.%.*s=...", source, key,
                     keys, key, (int)strcspn(keys, ","), keys);
    }
    return unknown_key(source, key);
  }
  const char *file = intern(cfg, source);
  if (!file) return kp_fail(KP_ERR_NOMEM, "config: out of memory");
  kp_cfg_value v;
  KP_TRY(kp_cfg_convert_text(kp_config_schema((size_t)idx), value, file, &v));
  v.file = file;
  kp_cfg_value_free(&cfg->v[idx]);
  cfg->v[idx] = v;
  return KP_OK;
}

kp_status kp_config_override(kp_config *cfg, const char *assignment, const char *source) {
  if (!source) source = KP_CFG_CMDLINE;
  const char *a = assignment;
  if (a[0] == '-' && a[1] == '-') a += 2;
  const char *eq = strchr(a, '=');
  if (!eq || eq == a)
    return kp_fail(KP_ERR_INVALID, "%s: '%s': expected KEY=VALUE, e.g. optim.lr=0.005", source, assignment);
  char key[256];
  size_t n = (size_t)(eq - a);
  if (n >= sizeof key) return kp_fail(KP_ERR_INVALID, "%s: '%.40s...': key too long", source, assignment);
  memcpy(key, a, n);
  key[n] = 0;
  return kp_config_set(cfg, key, eq + 1, source);
}

/* ---- Final checks ---- */

kp_status kp_config_finish(const kp_config *cfg) {
  for (size_t i = 0; i < kp_config_schema_count(); i++) {
    const kp_cfg_key *k = kp_config_schema(i);
    if (k->def || !cfg->v[i].null) continue;
    char read[600] = "no --config file given";
    if (cfg->nfiles) {
      size_t j = (size_t)snprintf(read, sizeof read, "files read: ");
      for (size_t f = 0; f < cfg->nfiles && j < sizeof read; f++)
        j += (size_t)snprintf(read + j, sizeof read - j, "%s%s", f ? ", " : "", cfg->files[f]);
    }
    return kp_fail(KP_ERR_INVALID, "missing required key '%s' (%s); set it in a config file or pass %s=...", k->path,
                   read, k->path);
  }
  for (size_t r = 0; r < kp_cfg_nrules; r++) KP_TRY(kp_cfg_rules[r].check(cfg));
  return KP_OK;
}

kp_status kp_config_load(const char *const *files, size_t nfiles, const char *const *overrides, size_t noverrides,
                         kp_config **out) {
  kp_config *cfg;
  *out = NULL;
  KP_TRY(kp_config_new(&cfg));
  kp_status s = KP_OK;
  for (size_t i = 0; i < nfiles && s == KP_OK; i++) s = kp_config_merge_file(cfg, files[i]);
  for (size_t i = 0; i < noverrides && s == KP_OK; i++) s = kp_config_override(cfg, overrides[i], NULL);
  if (s == KP_OK) s = kp_config_finish(cfg);
  if (s != KP_OK) {
    kp_config_free(cfg);
    return s;
  }
  *out = cfg;
  return KP_OK;
}

/* ---- Getters ---- */

static _Noreturn void bug(const char *fn, const char *path, const char *what) {
  fprintf(stderr, "kprca bug: %s(\"%s\"): %s\n", fn, path, what);
  fflush(stderr);
  abort();
}

/* The value of path, after checking the key exists and has one of the types in mask (bit per kp_cfg_type). */
static const kp_cfg_value *typed(const kp_config *cfg, const char *path, unsigned mask, const char *fn) {
  long i = kp_cfg_index(path);
  if (i < 0) bug(fn, path, "no such key in the config schema");
  if (!(mask & (1u << kp_config_schema((size_t)i)->type))) bug(fn, path, "the key has another type");
  return &cfg->v[i];
}

const kp_cfg_value *kp_cfg_get(const kp_config *cfg, const char *path) {
  long i = kp_cfg_index(path);
  if (i < 0) bug("kp_cfg_get", path, "no such key in the config schema");
  return &cfg->v[i];
}

#define BIT(t) (1u << (t))

bool kp_config_bool(const kp_config *cfg, const char *path) {
  return typed(cfg, path, BIT(KP_CFG_BOOL), "kp_config_bool")->b;
}

int64_t kp_config_int(const kp_config *cfg, const char *path) {
  const kp_cfg_value *v = typed(cfg, path, BIT(KP_CFG_INT), "kp_config_int");
  if (v->null) bug("kp_config_int", path, "the value is null (check kp_config_has)");
  return v->i;
}

double kp_config_float(const kp_config *cfg, const char *path) {
  const kp_cfg_value *v = typed(cfg, path, BIT(KP_CFG_FLOAT), "kp_config_float");
  if (v->null) bug("kp_config_float", path, "the value is null (check kp_config_has)");
  return v->f;
}

const char *kp_config_string(const kp_config *cfg, const char *path) {
  const kp_cfg_value *v =
      typed(cfg, path, BIT(KP_CFG_STRING) | BIT(KP_CFG_ENUM) | BIT(KP_CFG_NAME_OR_FLOATS), "kp_config_string");
  return v->null || v->list ? NULL : v->s;
}

const int64_t *kp_config_ints(const kp_config *cfg, const char *path, size_t *n) {
  const kp_cfg_value *v = typed(cfg, path, BIT(KP_CFG_INTS), "kp_config_ints");
  *n = v->n;
  return v->ints;
}

const double *kp_config_floats(const kp_config *cfg, const char *path, size_t *n) {
  const kp_cfg_value *v = typed(cfg, path, BIT(KP_CFG_FLOATS) | BIT(KP_CFG_NAME_OR_FLOATS), "kp_config_floats");
  *n = v->list ? v->n : 0;
  return v->list ? v->floats : NULL;
}

const char *const *kp_config_strings(const kp_config *cfg, const char *path, size_t *n) {
  const kp_cfg_value *v = typed(cfg, path, BIT(KP_CFG_STRINGS), "kp_config_strings");
  *n = v->n;
  return (const char *const *)v->strs;
}

bool kp_config_has(const kp_config *cfg, const char *path) { return !kp_cfg_get(cfg, path)->null; }

bool kp_config_is_list(const kp_config *cfg, const char *path) { return kp_cfg_get(cfg, path)->list; }

const char *kp_config_source(const kp_config *cfg, const char *path, char *buf, size_t n) {
  const kp_cfg_value *v = kp_cfg_get(cfg, path);
  return kp_cfg_where(v->file, v->line, v->col, buf, n);
}

const char *const *kp_config_files(const kp_config *cfg, size_t *n) {
  *n = cfg->nfiles;
  return (const char *const *)cfg->files;
}

const char *kp_config_run_name(const kp_config *cfg, char *buf, size_t n) {
  const char *name = kp_config_string(cfg, "output.name");
  if (name) {
    snprintf(buf, n, "%s", name);
    return buf;
  }
  if (!cfg->nfiles) {
    snprintf(buf, n, "%s", kp_config_string(cfg, "model.name"));
    return buf;
  }
  const char *base = strrchr(cfg->files[0], '/');
  base = base ? base + 1 : cfg->files[0];
  size_t len = strlen(base);
  if (len > 5 && !strcmp(base + len - 5, ".yaml"))
    len -= 5;
  else if (len > 4 && !strcmp(base + len - 4, ".yml"))
    len -= 4;
  if (len >= n) len = n - 1;
  for (size_t i = 0; i < len; i++) {
    char c = base[i];
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    buf[i] = ok ? c : '_';
  }
  buf[len] = 0;
  if (!strcmp(buf, ".") || !strcmp(buf, "..") || !buf[0]) snprintf(buf, n, "%s", kp_config_string(cfg, "model.name"));
  return buf;
}
