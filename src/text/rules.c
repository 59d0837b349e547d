/* Line rules (rules.h): YAML via libyaml's document API (every node keeps its position, so each
 * error names file:line:col), PCRE2 patterns compiled once with JIT, first match decides. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "kprca/rules.h"
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct rule_rx {
  pcre2_code *code;
  bool jit;
} rule_rx;

struct kp_rules {
  int n, cap;
  kp_rule *rule;
  rule_rx *rx;
  pcre2_match_data *md;
};

static int L(yaml_mark_t m) { return (int)m.line + 1; }
static int C(yaml_mark_t m) { return (int)m.column + 1; }

static const char *shape(const yaml_node_t *n) {
  if (n->type == YAML_MAPPING_NODE) return "a mapping";
  if (n->type == YAML_SEQUENCE_NODE) return "a list";
  return "a scalar";
}

static const char *sval(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

static kp_status at(const char *file, const yaml_node_t *n, const char *fmt, const char *a, const char *b) {
  char msg[512];
  snprintf(msg, sizeof msg, fmt, a, b);
  return kp_fail(KP_ERR_FORMAT, "%s:%d:%d: %s", file, L(n->start_mark), C(n->start_mark), msg);
}

static char *dup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* Column of byte offset off inside a scalar written on one line (quotes shift it by one). */
static int pattern_col(const yaml_node_t *v, size_t off) {
  int col = C(v->start_mark) + (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? 0 : 1);
  if (v->start_mark.line != v->end_mark.line) return C(v->start_mark);
  const char *s = sval(v);
  for (size_t i = 0; i < off && s[i]; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) col++;
  return col;
}

static kp_status compile(const char *file, const yaml_node_t *v, const char *name, bool icase, rule_rx *rx) {
  int err;
  PCRE2_SIZE eoff;
  uint32_t opts = PCRE2_UTF | PCRE2_UCP | (icase ? PCRE2_CASELESS : 0);
  rx->code = pcre2_compile((PCRE2_SPTR)sval(v), PCRE2_ZERO_TERMINATED, opts, &err, &eoff, NULL);
  if (!rx->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    int line = L(v->start_mark), col = pattern_col(v, eoff);
    return kp_fail(KP_ERR_FORMAT, "%s:%d:%d: rule '%s': bad regex: %s (at offset %zu of the pattern)", file, line,
                   col, name, (const char *)msg, (size_t)eoff);
  }
  rx->jit = pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE) == 0;
  return KP_OK;
}

static bool parse_bool(const char *s, bool *out) {
  static const char *yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
  static const char *no[] = {"false", "False", "FALSE", "no", "No", "off", "Off"};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
    if (!strcmp(s, yes[i])) return *out = true, true;
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    if (!strcmp(s, no[i])) return *out = false, true;
  return false;
}

static kp_status grow(kp_rules *r) {
  if (r->n < r->cap) return KP_OK;
  int cap = r->cap ? 2 * r->cap : 16;
  kp_rule *a = realloc(r->rule, (size_t)cap * sizeof *a);
  if (a) r->rule = a;
  rule_rx *b = realloc(r->rx, (size_t)cap * sizeof *b);
  if (b) r->rx = b;
  if (!a || !b) return kp_fail(KP_ERR_NOMEM, "rules: out of memory");
  r->cap = cap;
  return KP_OK;
}

/* One rule mapping. */
static kp_status one_rule(kp_rules *r, const char *file, yaml_document_t *doc, const yaml_node_t *m) {
  if (m->type != YAML_MAPPING_NODE)
    return at(file, m, "a rule must be a mapping {name, regex, label, action, score}, got %s%s", shape(m), "");
  const yaml_node_t *name = NULL, *regex = NULL, *label = NULL, *action = NULL, *score = NULL, *icase = NULL;
  for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
    const yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
    if (k->type != YAML_SCALAR_NODE) return at(file, k, "a rule's keys must be plain words%s%s", "", "");
    const char *key = sval(k);
    const yaml_node_t **slot = !strcmp(key, "name")          ? &name
                               : !strcmp(key, "regex")       ? &regex
                               : !strcmp(key, "label")       ? &label
                               : !strcmp(key, "action")      ? &action
                               : !strcmp(key, "score")       ? &score
                               : !strcmp(key, "ignore_case") ? &icase
                                                             : NULL;
    if (!slot)
      return at(file, k, "unknown rule key '%s' (keys: name, regex, label, action, score, ignore_case)%s", key, "");
    if (*slot) return at(file, k, "rule key '%s' given twice%s", key, "");
    if (v->type != YAML_SCALAR_NODE) return at(file, v, "rule key '%s' needs a scalar value, got %s", key, shape(v));
    *slot = v;
  }
  if (!name) return at(file, m, "rule without a 'name'%s%s", "", "");
  const char *nm = sval(name);
  if (!nm[0]) return at(file, name, "a rule's name must not be empty%s%s", "", "");
  for (int i = 0; i < r->n; i++)
    if (!strcmp(r->rule[i].name, nm)) {
      char first[64];
      snprintf(first, sizeof first, "%d:%d", r->rule[i].line, r->rule[i].col);
      return at(file, name, "duplicate rule name '%s' (first at %s)", nm, first);
    }
  if (!regex) return at(file, m, "rule '%s' has no 'regex'%s", nm, "");
  if (!sval(regex)[0]) return at(file, regex, "rule '%s': empty regex (it would match every line)%s", nm, "");
  kp_rule_action act = KP_RULE_FLAG;
  if (action) {
    const char *a = sval(action);
    if (!strcmp(a, "ignore")) act = KP_RULE_IGNORE;
    else if (strcmp(a, "flag")) return at(file, action, "rule '%s': action '%s' is not one of flag, ignore", nm, a);
  }
  if (act == KP_RULE_FLAG && (!label || !sval(label)[0]))
    return at(file, label ? label : m, "rule '%s' flags lines but has no 'label'%s", nm, "");
  double sc = 1.0;
  if (score) {
    char *end;
    errno = 0;
    sc = strtod(sval(score), &end);
    if (end == sval(score) || *end || errno || !isfinite(sc) || sc < 0 || sc > 1)
      return at(file, score, "rule '%s': score '%s' is not a number in [0, 1]", nm, sval(score));
  }
  bool ic = false;
  if (icase && !parse_bool(sval(icase), &ic))
    return at(file, icase, "rule '%s': ignore_case '%s' is not true or false", nm, sval(icase));
  KP_TRY(grow(r));
  rule_rx rx = {0};
  KP_TRY(compile(file, regex, nm, ic, &rx));
  kp_rule *ru = &r->rule[r->n];
  ru->name = dup(nm), ru->pattern = dup(sval(regex)), ru->label = dup(label ? sval(label) : "");
  ru->action = act, ru->score = sc, ru->line = L(m->start_mark), ru->col = C(m->start_mark);
  r->rx[r->n++] = rx;
  if (!ru->name || !ru->pattern || !ru->label) return kp_fail(KP_ERR_NOMEM, "rules: out of memory");
  return KP_OK;
}

static kp_status syntax_error(const yaml_parser_t *p, const char *file) {
  if (p->error == YAML_MEMORY_ERROR) return kp_fail(KP_ERR_NOMEM, "%s: out of memory while parsing YAML", file);
  if (p->error == YAML_READER_ERROR)
    return kp_fail(KP_ERR_FORMAT, "%s: cannot read the YAML text: %s (byte %zu)", file,
                   p->problem ? p->problem : "bad input", (size_t)p->problem_offset);
  return kp_fail(KP_ERR_FORMAT, "%s:%d:%d: YAML syntax error: %s", file, L(p->problem_mark), C(p->problem_mark),
                 p->problem ? p->problem : "unknown problem");
}

static kp_status walk(kp_rules *r, const char *file, yaml_document_t *doc) {
  yaml_node_t *root = yaml_document_get_root_node(doc);
  if (!root) return kp_fail(KP_ERR_FORMAT, "%s:1:1: empty rules file (expected a list of rules)", file);
  const yaml_node_t *list = root;
  if (root->type == YAML_MAPPING_NODE) {
    yaml_node_pair_t *p = root->data.mapping.pairs.start;
    const yaml_node_t *k = p < root->data.mapping.pairs.top ? yaml_document_get_node(doc, p->key) : NULL;
    if (!k || k->type != YAML_SCALAR_NODE || strcmp(sval(k), "rules") || p + 1 != root->data.mapping.pairs.top)
      return at(file, k ? k : root, "a rules file is a list of rules, or a mapping with the one key 'rules'%s%s", "",
                "");
    list = yaml_document_get_node(doc, p->value);
  }
  if (list->type != YAML_SEQUENCE_NODE) return at(file, list, "expected a list of rules, got %s%s", shape(list), "");
  for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++)
    KP_TRY(one_rule(r, file, doc, yaml_document_get_node(doc, *it)));
  return KP_OK;
}

kp_status kp_rules_parse(const char *text, size_t len, const char *name, kp_rules **out) {
  *out = NULL;
  kp_rules *r = calloc(1, sizeof *r);
  yaml_parser_t parser;
  if (!r || !yaml_parser_initialize(&parser)) {
    free(r);
    return kp_fail(KP_ERR_NOMEM, "rules: out of memory");
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  yaml_document_t doc;
  kp_status s;
  if (!yaml_parser_load(&parser, &doc)) {
    s = syntax_error(&parser, name);
  } else {
    s = walk(r, name, &doc);
    yaml_document_delete(&doc);
  }
  yaml_parser_delete(&parser);
  if (s == KP_OK) {
    r->md = pcre2_match_data_create(1, NULL);
    if (!r->md) s = kp_fail(KP_ERR_NOMEM, "rules: out of memory");
  }
  if (s != KP_OK) {
    kp_rules_free(r);
    return s;
  }
  *out = r;
  return KP_OK;
}

kp_status kp_rules_load(const char *path, kp_rules **out) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      char *b = realloc(buf, cap = cap ? 2 * cap : 4096);
      if (!b) {
        free(buf), fclose(f);
        return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
      }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  bool bad = ferror(f);
  fclose(f);
  kp_status s = bad ? kp_fail(KP_ERR_IO, "%s: read error", path) : kp_rules_parse(buf, n, path, out);
  free(buf);
  return s;
}

int kp_rules_count(const kp_rules *r) { return r ? r->n : 0; }

const kp_rule *kp_rules_get(const kp_rules *r, int i) { return &r->rule[i]; }

kp_status kp_rules_match(kp_rules *r, const char *text, size_t len, int *rule) {
  *rule = -1;
  for (int i = 0; i < r->n; i++) {
    rule_rx *x = &r->rx[i];
    int rc = x->jit ? pcre2_jit_match(x->code, (PCRE2_SPTR)text, len, 0, PCRE2_NO_UTF_CHECK, r->md, NULL)
                    : pcre2_match(x->code, (PCRE2_SPTR)text, len, 0, PCRE2_NO_UTF_CHECK, r->md, NULL);
    if (rc >= 0) {
      *rule = i;
      return KP_OK;
    }
    if (rc != PCRE2_ERROR_NOMATCH) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      return kp_fail(KP_ERR_INVALID, "rule '%s' (line %d): match failed: %s", r->rule[i].name, r->rule[i].line,
                     (const char *)msg);
    }
  }
  return KP_OK;
}

void kp_rules_free(kp_rules *r) {
  if (!r) return;
  for (int i = 0; i < r->n; i++) {
    free((char *)r->rule[i].name), free((char *)r->rule[i].pattern), free((char *)r->rule[i].label);
    pcre2_code_free(r->rx[i].code);
  }
  free(r->rule), free(r->rx);
  if (r->md) pcre2_match_data_free(r->md);
  free(r);
}
