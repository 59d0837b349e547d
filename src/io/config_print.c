/* Writing configs: the resolved config as YAML (--print-config, the run directory's config.yaml), read back
 * to the same values; and docs/configs.md, generated from the schema. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_internal.h"
#include "kprca/version.h"

/* ---- Growable text ---- */

static bool sb_reserve(kp_sbuf *b, size_t more) {
  if (b->oom) return false;
  if (b->n + more + 1 <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->n + more + 1) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return !(b->oom = true);
  b->p = p;
  b->cap = cap;
  return true;
}

void kp_sb_add(kp_sbuf *b, const char *s) {
  size_t n = strlen(s);
  if (!sb_reserve(b, n)) return;
  memcpy(b->p + b->n, s, n + 1);
  b->n += n;
}

void kp_sb_printf(kp_sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !sb_reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->n += (size_t)n;
}

/* ---- Values as YAML ---- */

void kp_cfg_format_float(double x, char *buf, size_t n) {
  char tmp[40];
  for (int prec = 1; prec <= 17; prec++) { /* the shortest %g text that reads back exactly */
    snprintf(tmp, sizeof tmp, "%.*g", prec, x);
    if (strtod(tmp, NULL) == x) break;
  }
  /* YAML 1.1 readers (PyYAML) want a '.' in a float: 1 -> 1.0, 1e-08 -> 1.0e-08. */
  char *e = strchr(tmp, 'e');
  if (!strchr(tmp, '.') && isfinite(x)) {
    if (e)
      snprintf(buf, n, "%.*s.0%s", (int)(e - tmp), tmp, e);
    else
      snprintf(buf, n, "%s.0", tmp);
  } else {
    snprintf(buf, n, "%s", tmp);
  }
}

/* True when s reads back as this string from a plain scalar in any YAML reader: names, paths, cuda:0. */
static bool plain_ok(const char *s) {
  static const char *const words[] = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"};
  if (!s[0]) return false;
  char c0 = s[0];
  if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || c0 == '_' || c0 == '/' || (c0 >= '0' && c0 <= '9') ||
        c0 == '.'))
    return false;
  bool numeric_chars = true;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool name = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                c == '/' || c == '-' || c == '+' || c == '@' || c == ':';
    if (!name) return false;
    if (c == ':' && !p[1]) return false;
    if (!((c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      numeric_chars = false;
  }
  if (numeric_chars) return false; /* 1.5, 1_000, 1:20, .5 would read as numbers */
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (!strcasecmp(s, words[i])) return false;
  if (!strcasecmp(s, ".inf") || !strcasecmp(s, ".nan")) return false;
  return true;
}

static void sb_string(kp_sbuf *b, const char *s) {
  if (plain_ok(s)) {
    kp_sb_add(b, s);
    return;
  }
  kp_sb_add(b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      kp_sb_printf(b, "\\%c", *p);
    else if (*p == '\n')
      kp_sb_add(b, "\\n");
    else if (*p == '\t')
      kp_sb_add(b, "\\t");
    else if (*p == '\r')
      kp_sb_add(b, "\\r");
    else if (*p < 0x20 || *p == 0x7f)
      kp_sb_printf(b, "\\x%02x", *p);
    else
      kp_sb_printf(b, "%c", *p);
  }
  kp_sb_add(b, "\"");
}

void kp_sb_value(kp_sbuf *b, const kp_cfg_key *k, const kp_cfg_value *v) {
  char num[48];
  if (v->null) {
    kp_sb_add(b, "null");
  } else if (v->list) {
    kp_sb_add(b, "[");
    for (size_t i = 0; i < v->n; i++) {
      if (i) kp_sb_add(b, ", ");
      if (v->ints)
        kp_sb_printf(b, "%lld", (long long)v->ints[i]);
      else if (v->floats)
        kp_cfg_format_float(v->floats[i], num, sizeof num), kp_sb_add(b, num);
      else
        sb_string(b, v->strs[i]);
    }
    kp_sb_add(b, "]");
  } else {
    switch (k->type) {
      case KP_CFG_BOOL: kp_sb_add(b, v->b ? "true" : "false"); break;
      case KP_CFG_INT: kp_sb_printf(b, "%lld", (long long)v->i); break;
      case KP_CFG_FLOAT: kp_cfg_format_float(v->f, num, sizeof num), kp_sb_add(b, num); break;
      default: sb_string(b, v->s ? v->s : "");
    }
  }
}

/* ---- The config as YAML ---- */

/* Length of the common leading sections ("a.b.x" and "a.b.y" share 2; "a.x" and "b.y" none). */
static int shared_sections(const char *a, const char *b) {
  int shared = 0;
  for (size_t i = 0; a[i] && a[i] == b[i]; i++)
    if (a[i] == '.') shared++;
  return shared;
}

static int depth(const char *path) {
  int d = 0;
  for (; *path; path++) d += *path == '.';
  return d;
}

char *kp_config_to_yaml(const kp_config *cfg, unsigned flags) {
  kp_sbuf b = {0};
  const char *prev = "";
  for (size_t i = 0; i < kp_config_schema_count(); i++) {
    const kp_cfg_key *k = kp_config_schema(i);
    const kp_cfg_value *v = &cfg->v[i];
    int d = depth(k->path), shared = i ? shared_sections(prev, k->path) : 0;
    const char *seg = k->path;
    for (int level = 0; level < d; level++) { /* open the sections this key enters */
      const char *dot = strchr(seg, '.');
      if (level >= shared) kp_sb_printf(&b, "%*s%.*s:\n", 2 * level, "", (int)(dot - seg), seg);
      seg = dot + 1;
    }
    kp_sb_printf(&b, "%*s%s: ", 2 * d, "", seg);
    kp_sb_value(&b, k, v);
    if ((flags & KP_CFG_PRINT_SOURCES) && v->file) {
      char where[512];
      kp_sb_printf(&b, "  # %s", kp_cfg_where(v->file, v->line, v->col, where, sizeof where));
    }
    kp_sb_add(&b, "\n");
    prev = k->path;
  }
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

kp_status kp_config_print(const kp_config *cfg, FILE *out, unsigned flags) {
  char *text = kp_config_to_yaml(cfg, flags);
  if (!text) return kp_fail(KP_ERR_NOMEM, "config: out of memory");
  bool ok = fputs(text, out) >= 0;
  free(text);
  return ok ? KP_OK : kp_fail(KP_ERR_IO, "cannot print the config: %s", strerror(errno));
}

kp_status kp_config_save(const kp_config *cfg, const char *path) {
  kp_sbuf b = {0};
  kp_sb_printf(&b, "# Resolved config written by kprca %s (commit %s). Read from:", kp_version(), kp_commit());
  if (!cfg->nfiles) kp_sb_add(&b, " defaults");
  for (size_t i = 0; i < cfg->nfiles; i++) kp_sb_printf(&b, "%s %s", i ? "," : "", cfg->files[i]);
  for (size_t i = 0; i < kp_config_schema_count(); i++)
    if (cfg->v[i].file && !strcmp(cfg->v[i].file, KP_CFG_CMDLINE)) {
      kp_sb_add(&b, ", then command-line overrides");
      break;
    }
  kp_sb_add(&b, ".\n# Load it back with --config; every key is listed, defaults included.\n");
  char *body = kp_config_to_yaml(cfg, 0);
  if (body) kp_sb_add(&b, body);
  free(body);
  if (!body || b.oom) {
    free(b.p);
    return kp_fail(KP_ERR_NOMEM, "config: out of memory");
  }
  size_t n = strlen(path);
  char *tmp = malloc(n + 16);
  if (!tmp) {
    free(b.p);
    return kp_fail(KP_ERR_NOMEM, "config: out of memory");
  }
  snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  bool ok = fd >= 0;
  int err = errno;
  if (ok) {
    FILE *f = fdopen(fd, "w");
    ok = f && fputs(b.p, f) >= 0 && fflush(f) == 0 && fsync(fd) == 0;
    err = errno;
    if (f)
      ok = fclose(f) == 0 && ok;
    else
      close(fd);
    if (ok && rename(tmp, path) != 0) ok = false, err = errno;
    if (!ok) unlink(tmp);
  }
  free(tmp);
  free(b.p);
  return ok ? KP_OK : kp_fail(KP_ERR_IO, "%s: cannot write the config: %s", path, strerror(err));
}

/* ---- docs/configs.md ---- */

static const char *type_name(const kp_cfg_key *k) {
  switch (k->type) {
    case KP_CFG_BOOL: return "bool";
    case KP_CFG_INT: return "int";
    case KP_CFG_FLOAT: return "float";
    case KP_CFG_STRING: return "string";
    case KP_CFG_ENUM: return "name";
    case KP_CFG_STRINGS: return "list of names";
    case KP_CFG_INTS: return "list of ints";
    case KP_CFG_FLOATS: return "list of floats";
    case KP_CFG_NAME_OR_FLOATS: return "name or list of floats";
  }
  return "?";
}

/* "`gcn`, `sage`" from "gcn|sage" */
static void md_names(kp_sbuf *b, const char *allowed) {
  kp_sb_add(b, "`");
  for (const char *p = allowed; *p; p++) {
    if (*p == '|')
      kp_sb_add(b, "`, `");
    else
      kp_sb_printf(b, "%c", *p);
  }
  kp_sb_add(b, "`");
}

static void md_allowed(kp_sbuf *b, const kp_cfg_key *k) {
  bool list = k->type == KP_CFG_STRINGS || k->type == KP_CFG_INTS || k->type == KP_CFG_FLOATS;
  bool any_list = list || k->type == KP_CFG_NAME_OR_FLOATS;
  const char *sep = "";
  if (k->type == KP_CFG_BOOL) kp_sb_add(b, "`true`, `false`"), sep = "; ";
  if (k->allowed) {
    if (k->type == KP_CFG_STRINGS) kp_sb_add(b, "each of ");
    md_names(b, k->allowed);
    sep = k->type == KP_CFG_NAME_OR_FLOATS ? ", or a list: " : "; ";
  }
  if (k->range) {
    kp_sb_printf(b, "%s%s%s", sep, any_list ? "each " : "", k->range);
    sep = "; ";
  }
  if (any_list) {
    if (k->min_len == k->max_len && k->max_len)
      kp_sb_printf(b, "%s%d values", sep, k->min_len), sep = "; ";
    else if (k->min_len > 0 && k->max_len)
      kp_sb_printf(b, "%s%d to %d values", sep, k->min_len, k->max_len), sep = "; ";
    else if (k->min_len > 0)
      kp_sb_printf(b, "%sat least %d value%s", sep, k->min_len, k->min_len == 1 ? "" : "s"), sep = "; ";
  }
  if (k->check_doc) kp_sb_printf(b, "%s%s", sep, k->check_doc), sep = "; ";
  if (k->flags & KP_CFG_NULLABLE)
    kp_sb_printf(b, "%snull", *sep ? ", or " : "any, or ");
  else if (!*sep)
    kp_sb_add(b, "any");
}

static const char *const intro =
    "# Experiment configs\n"
    "\n"
    "<!-- Generated from the schema in src/io/config_schema.c by kp_config_docs_markdown(); do not edit.\n"
    "     Regenerate: KPRCA_UPDATE_DOCS=1 build/tests/unit_test_config --gtest_filter='ConfigDocs.*' -->\n"
    "\n"
    "`kprca-train` reads YAML experiment configs. Every key below is declared once, in\n"
    "`src/io/config_schema.c`, with its type, default, allowed values and description: parsing,\n"
    "validation, overrides, `--print-config` and this page all come from that table.\n"
    "\n"
    "```sh\n"
    "kprca-train --config configs/gat.yaml                                   # one file\n"
    "kprca-train --config configs/gat.yaml --config my.yaml                  # later files win, key by key\n"
    "kprca-train --config configs/gat.yaml optim.lr=0.005 --train.seed=3     # overrides, typed by the schema\n"
    "kprca-train --config configs/gat.yaml --model.heads 4 --print-config    # show every resolved key\n"
    "```\n"
    "\n"
    "A config is a mapping of sections (`model`, `data`, `optim`, `train`, `eval`, `output`) plus\n"
    "the top-level `device`:\n"
    "\n"
    "```yaml\n"
    "model:\n"
    "  name: gat\n"
    "  hidden: 8\n"
    "  heads: 8\n"
    "data:\n"
    "  path: datasets/incidents.h5\n"
    "optim:\n"
    "  lr: 0.005\n"
    "output:\n"
    "  dir: experiments\n"
    "device: auto\n"
    "```\n"
    "\n"
    "## How configs are read\n"
    "\n"
    "- **Merging.** `--config` may repeat: files are merged in order, key by key, so a later file\n"
    "  overrides only the keys it sets; a list replaces the whole list. Command-line overrides\n"
    "  are applied after all files, in order. Keys no one sets keep the defaults below.\n"
    "- **Overrides.** `KEY=VALUE`, `--KEY=VALUE` and `--KEY VALUE`, with `KEY` a dotted path\n"
    "  (`optim.lr`, `device`). Values are typed by the schema: `model.name=gat` is a name,\n"
    "  `optim.lr=5e-3` a number. Lists are written `data.fanouts=[25,10]` or `data.fanouts=25,10`;\n"
    "  `data.fanouts=[]` is the empty list; `output.name=null` unsets a nullable key. Errors name\n"
    "  the source `<command line>`.\n"
    "- **Types.** Values are checked against the schema, not guessed from YAML: `1e-3` is a number\n"
    "  for a float key, an integer is fine where a float is expected, quoted values (`\"0.01\"`) are\n"
    "  strings and are refused where a number or bool is expected, bools are `true` or `false`.\n"
    "  YAML tags (`!!int`) are refused. `null`, `~` or an empty value means null, which only keys\n"
    "  marked \"or null\" accept.\n"
    "- **Dotted keys in files.** `optim.lr: 0.005` at the top of a file is the same as\n"
    "  `optim: {lr: 0.005}`. A section written with nothing under it (`optim:`) is empty.\n"
    "- **Errors** stop at the first problem and name the place: `FILE:LINE:COL`. Unknown keys get a\n"
    "  did-you-mean from the schema's paths (`unknown key 'optim.lrr' (did you mean 'optim.lr'?)`);\n"
    "  bad values name the key and what is allowed (`optim.lr = -1: must be > 0`,\n"
    "  `model.name = 'gatt': allowed values are gcn, sage, gat, mlp (did you mean 'gat'?)`).\n"
    "  YAML syntax errors carry libyaml's description. A key set twice in one file (also as\n"
    "  `optim.lr` and `optim: {lr}`) is an error, as is a file whose top is not a mapping or that\n"
    "  holds more than one YAML document.\n"
    "- **Empty files are errors** (no document, or only comments): an empty file is more often a\n"
    "  truncated or wrong path than an intent. Write `{}` for a deliberately empty config.\n"
    "- **Required keys** (`data.path`, `output.dir`) must be set by some file or override; the\n"
    "  error names the key and the files read.\n"
    "- **Saved config.** Each run writes the resolved config, every key included, to\n"
    "  `config.yaml` in its run directory; `--config` on that file gives the same config back.\n"
    "  `--print-config` prints the same YAML, marking each value that is not a default with\n"
    "  where it was set.\n"
    "\n"
    "Ranges read as written: `> 0`, `>= 1`, `[0, 1)` (0 included, 1 excluded). For lists the\n"
    "range applies to each element.\n";

char *kp_config_docs_markdown(void) {
  kp_sbuf b = {0};
  kp_sb_add(&b, intro);
  char section[32] = "";
  for (size_t i = 0; i < kp_config_schema_count(); i++) {
    const kp_cfg_key *k = kp_config_schema(i);
    const char *dot = strchr(k->path, '.');
    char sec[32];
    snprintf(sec, sizeof sec, "%.*s", dot ? (int)(dot - k->path) : 0, k->path);
    if (i == 0 || strcmp(section, sec) != 0) {
      kp_sb_printf(&b, "\n## %s\n\n", sec[0] ? sec : "Top level");
      kp_sb_add(&b, "| key | type | default | allowed | description |\n|---|---|---|---|---|\n");
      memcpy(section, sec, sizeof section);
    }
    kp_sb_printf(&b, "| `%s` | %s | ", k->path, type_name(k));
    if (k->def)
      kp_sb_printf(&b, "`%s`", k->def);
    else
      kp_sb_add(&b, "**required**");
    kp_sb_add(&b, " | ");
    md_allowed(&b, k);
    kp_sb_printf(&b, " | %s |\n", k->doc);
  }
  kp_sb_add(&b, "\n## Rules between keys\n\nChecked once all files and overrides are merged:\n\n");
  for (size_t r = 0; r < kp_cfg_nrules; r++) kp_sb_printf(&b, "- %s\n", kp_cfg_rules[r].doc);
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  return b.p;
}
