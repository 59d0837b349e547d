/* Internals shared by the config files: typed values, raw input (YAML nodes or command-line text)
 * before typing, the config object, rules between keys, and a growable text buffer. */
#ifndef KPRCA_IO_CONFIG_INTERNAL_H
#define KPRCA_IO_CONFIG_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kprca/config.h"

/* A typed value plus where it was set (the key's position; file NULL: the default). */
struct kp_cfg_value {
  bool null; /* a nullable key that is not set */
  bool list; /* list types, and NAME_OR_FLOATS holding a list */
  bool b;
  int64_t i;
  double f;
  char *s; /* STRING, ENUM, NAME_OR_FLOATS holding a name */
  size_t n;
  int64_t *ints;
  double *floats;
  char **strs;
  const char *file; /* interned in the config; "<command line>" for overrides */
  int line, col;    /* 1-based; 0 when the source has no position */
};
typedef struct kp_cfg_value kp_cfg_value;

/* One scalar as written: NUL-terminated text, quoted or plain, and its position (line 0: none). */
typedef struct cfg_item {
  const char *text;
  bool quoted;
  int line, col;
} cfg_item;

typedef enum cfg_shape { CFG_SCALAR, CFG_LIST, CFG_MAP } cfg_shape;

/* A value before typing: a scalar, a list of scalars, or a mapping (always an error for a leaf key). */
typedef struct cfg_raw {
  cfg_shape shape;
  cfg_item scalar;
  const cfg_item *items;
  size_t n;
  int line, col;
} cfg_raw;

struct kp_config {
  kp_cfg_value *v; /* one per schema key, schema order */
  char **names;    /* interned sources (file names, "<command line>") */
  size_t nnames;
  char **files; /* files merged, in order */
  size_t nfiles;
};

/* A rule between keys, checked by kp_config_finish and listed in docs/configs.md. */
typedef struct kp_cfg_rule {
  const char *doc;
  kp_status (*check)(const kp_config *cfg);
} kp_cfg_rule;
extern const kp_cfg_rule kp_cfg_rules[];
extern const size_t kp_cfg_nrules;

#define KP_CFG_CMDLINE "<command line>"

/* Schema lookups (config_schema.c). */
long kp_cfg_index(const char *path);
bool kp_cfg_is_section(const char *path);
/* "name, task, hidden, ..." : up to max leaf names under a section. */
void kp_cfg_section_keys(const char *section, char *buf, size_t n, int max);
int kp_cfg_distance(const char *a, const char *b);

/* Typing and checks (config_value.c). Errors read "WHERE: key = value: why" where WHERE is the item's
 * file:line:col, or just file when it has no position. */
kp_status kp_cfg_convert(const kp_cfg_key *k, const cfg_raw *raw, const char *file, kp_cfg_value *out);
/* Text as on the command line (or a schema default): scalars as they are, lists as "[a, b]" or "a,b". */
kp_status kp_cfg_convert_text(const kp_cfg_key *k, const char *text, const char *file, kp_cfg_value *out);
void kp_cfg_value_free(kp_cfg_value *v);
/* "file:line:col", "file" (no position) or "default", into buf. */
const char *kp_cfg_where(const char *file, int line, int col, char *buf, size_t n);
/* The closest of the '|'-separated names to s (case, typos, containment), NULL when none is close. */
const char *kp_cfg_suggest_name(const char *allowed, const char *s, char *buf, size_t n);

/* A growable string (config_print.c); oom set on allocation failure, later appends ignored. */
typedef struct kp_sbuf {
  char *p;
  size_t n, cap;
  bool oom;
} kp_sbuf;
void kp_sb_add(kp_sbuf *b, const char *s);
void kp_sb_printf(kp_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A value as YAML flow text ("0.01", "[25, 10]", "\"a b\"", "null"). */
void kp_sb_value(kp_sbuf *b, const kp_cfg_key *k, const kp_cfg_value *v);
/* Shortest text that reads back as x, always with a '.' or an exponent mark YAML 1.1 readers accept. */
void kp_cfg_format_float(double x, char *buf, size_t n);

/* The value of a key by path in a config (the key must exist). */
const kp_cfg_value *kp_cfg_get(const kp_config *cfg, const char *path);

#endif
