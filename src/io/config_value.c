/* Typing raw config input by the schema: bools, integers, floats, names and lists, with range, allowed
 * values, list lengths and extra rules; errors read "WHERE: key = value: why (did you mean 'x'?)". */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

const char *kp_cfg_where(const char *file, int line, int col, char *buf, size_t n) {
  if (!file)
    snprintf(buf, n, "default");
  else if (line > 0)
    snprintf(buf, n, "%s:%d:%d", file, line, col);
  else
    snprintf(buf, n, "%s", file);
  return buf;
}

void kp_cfg_value_free(kp_cfg_value *v) {
  if (!v) return;
  free(v->s);
  free(v->ints);
  free(v->floats);
  for (size_t i = 0; v->strs && i < v->n; i++) free(v->strs[i]);
  free(v->strs);
  memset(v, 0, sizeof *v);
}

/* ---- Scalars ---- */

static bool is_null(const cfg_item *it) {
  const char *t = it->text;
  return !it->quoted && (!t[0] || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL"));
}

static bool parse_bool(const cfg_item *it, bool *out) {
  static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False", "FALSE"};
  if (it->quoted) return false;
  for (int i = 0; i < 3; i++) {
    if (!strcmp(it->text, yes[i])) return *out = true, true;
    if (!strcmp(it->text, no[i])) return *out = false, true;
  }
  return false;
}

/* Plain decimal integer: [+-]?[0-9]+ within int64. */
static bool parse_int(const cfg_item *it, int64_t *out) {
  const char *t = it->text, *p = t;
  if (it->quoted) return false;
  if (*p == '+' || *p == '-') p++;
  if (!isdigit((unsigned char)*p)) return false;
  while (isdigit((unsigned char)*p)) p++;
  if (*p) return false;
  errno = 0;
  long long v = strtoll(t, NULL, 10);
  if (errno == ERANGE) return false;
  *out = v;
  return true;
}

/* Decimal number: [+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?, finite. */
static bool parse_float(const cfg_item *it, double *out) {
  const char *t = it->text, *p = t;
  if (it->quoted) return false;
  if (*p == '+' || *p == '-') p++;
  bool digits = false;
  while (isdigit((unsigned char)*p)) p++, digits = true;
  if (*p == '.') {
    p++;
    while (isdigit((unsigned char)*p)) p++, digits = true;
  }
  if (!digits) return false;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return false;
    while (isdigit((unsigned char)*p)) p++;
  }
  if (*p) return false;
  double v = strtod(t, NULL);
  if (!isfinite(v)) return false;
  *out = v;
  return true;
}

/* ---- Ranges: "> a", ">= a", "< b", "<= b", "[a, b]", "(a, b)", "[a, b)", "(a, b]" ---- */

typedef struct range {
  bool lo_set, hi_set, lo_incl, hi_incl, interval;
  double lo, hi;
} range;

static range parse_range(const char *r) {
  range g = {0};
  if (!r) return g;
  if (r[0] == '[' || r[0] == '(') {
    g.interval = true;
    g.lo_incl = r[0] == '[';
    char *end;
    g.lo = strtod(r + 1, &end);
    g.lo_set = isfinite(g.lo);
    const char *c = strchr(r, ',');
    g.hi = c ? strtod(c + 1, &end) : INFINITY;
    g.hi_set = isfinite(g.hi);
    g.hi_incl = strchr(r, ']') != NULL;
    return g;
  }
  bool ge = r[0] == '>', eq = r[1] == '=';
  double x = strtod(r + (eq ? 2 : 1), NULL);
  if (ge)
    g.lo_set = true, g.lo = x, g.lo_incl = eq;
  else
    g.hi_set = true, g.hi = x, g.hi_incl = eq;
  return g;
}

static bool in_range(const range *g, double x) {
  if (g->lo_set && (g->lo_incl ? x < g->lo : x <= g->lo)) return false;
  if (g->hi_set && (g->hi_incl ? x > g->hi : x >= g->hi)) return false;
  return true;
}

/* ---- Allowed names ---- */

/* Calls fn on each '|'-separated name; stops when it returns true. */
static bool each_name(const char *allowed, bool (*fn)(const char *name, void *ctx), void *ctx) {
  char name[64];
  for (const char *p = allowed; p && *p;) {
    const char *q = strchr(p, '|');
    size_t len = q ? (size_t)(q - p) : strlen(p);
    if (len >= sizeof name) len = sizeof name - 1;
    memcpy(name, p, len);
    name[len] = 0;
    if (fn(name, ctx)) return true;
    p = q ? q + 1 : NULL;
  }
  return false;
}

static bool name_matches(const char *name, void *ctx) {
  const char *s = ctx;
  size_t len = strlen(name);
  if (len > 2 && !strcmp(name + len - 2, ":N")) { /* "cuda:N": the prefix, then a number */
    if (strncmp(s, name, len - 1) != 0 || !s[len - 1]) return false;
    for (const char *p = s + len - 1; *p; p++)
      if (!isdigit((unsigned char)*p)) return false;
    return true;
  }
  return !strcmp(name, s);
}

static bool name_allowed(const char *allowed, const char *s) { return each_name(allowed, name_matches, (void *)s); }

typedef struct suggest_ctx {
  const char *s;
  int best;
  char *out;
  size_t n;
} suggest_ctx;

static bool strcasestr_ok(const char *hay, const char *needle) {
  size_t h = strlen(hay), k = strlen(needle);
  for (size_t i = 0; k <= h && i + k <= h; i++)
    if (!strncasecmp(hay + i, needle, k)) return true;
  return false;
}

static bool suggest_one(const char *name, void *vctx) {
  suggest_ctx *c = vctx;
  char base[64];
  snprintf(base, sizeof base, "%s", name);
  size_t bl = strlen(base);
  if (bl > 2 && !strcmp(base + bl - 2, ":N")) base[bl - 2] = 0; /* suggest "cuda" for "cuda:N" */
  /* Same letters in another case, one name inside the other, or under a third of the letters changed. */
  size_t sl = strlen(c->s), nl = strlen(base);
  int d = kp_cfg_distance(c->s, base);
  int rank;
  if (!strcasecmp(c->s, base))
    rank = 0;
  else if ((nl >= 3 && strcasestr_ok(c->s, base)) || (sl >= 3 && strcasestr_ok(base, c->s)))
    rank = 1;
  else if (3 * (size_t)d < sl)
    rank = 1 + d;
  else
    return false;
  if (rank < c->best) {
    c->best = rank;
    snprintf(c->out, c->n, "%s", base);
  }
  return false;
}

const char *kp_cfg_suggest_name(const char *allowed, const char *s, char *buf, size_t n) {
  suggest_ctx c = {s, 1 << 30, buf, n};
  buf[0] = 0;
  each_name(allowed, suggest_one, &c);
  return buf[0] ? buf : NULL;
}

/* "gcn, sage, gat, mlp" */
static void list_names(const char *allowed, char *buf, size_t n) {
  size_t j = 0;
  for (const char *p = allowed; *p && j + 3 < n; p++) {
    if (*p == '|') {
      buf[j++] = ',';
      buf[j++] = ' ';
    } else {
      buf[j++] = *p;
    }
  }
  buf[j] = 0;
}

/* ---- Errors ---- */

typedef struct ectx {
  const kp_cfg_key *k;
  const char *file;
} ectx;

/* How a scalar is shown in a message: strings in quotes, numbers and words as written. */
static void show_item(const ectx *e, const cfg_item *it, bool as_string, char *buf, size_t n) {
  if (as_string || it->quoted)
    snprintf(buf, n, "'%s'", it->text);
  else
    snprintf(buf, n, "%s", it->text);
}

static void show_raw(const ectx *e, const cfg_raw *raw, bool strings, char *buf, size_t n) {
  if (raw->shape == CFG_SCALAR) {
    show_item(e, &raw->scalar, strings, buf, n);
    return;
  }
  if (raw->shape == CFG_MAP) {
    snprintf(buf, n, "{...}");
    return;
  }
  size_t j = (size_t)snprintf(buf, n, "[");
  for (size_t i = 0; i < raw->n && j < n; i++) {
    char one[256];
    show_item(e, &raw->items[i], false, one, sizeof one);
    j += (size_t)snprintf(buf + j, n - j, "%s%s", i ? ", " : "", one);
  }
  if (j < n) snprintf(buf + j, n - j, "]");
}

static kp_status fail_at(const ectx *e, int line, int col, const char *shown, const char *why) {
  char where[512];
  if (!e->file) return kp_fail(KP_ERR_INTERNAL, "schema default of %s = %s: %s", e->k->path, shown, why);
  return kp_fail(KP_ERR_INVALID, "%s: %s = %s: %s", kp_cfg_where(e->file, line, col, where, sizeof where), e->k->path,
                 shown, why);
}

static const char *type_words(kp_cfg_type t) {
  switch (t) {
    case KP_CFG_BOOL: return "true or false";
    case KP_CFG_INT: return "an integer";
    case KP_CFG_FLOAT: return "a number";
    case KP_CFG_STRING: return "a string";
    case KP_CFG_ENUM: return "a name";
    case KP_CFG_STRINGS: return "a list of names, e.g. [a, b]";
    case KP_CFG_INTS: return "a list of integers, e.g. [25, 10]";
    case KP_CFG_FLOATS: return "a list of numbers, e.g. [0.9, 0.999]";
    case KP_CFG_NAME_OR_FLOATS: return "a name or a list of numbers";
  }
  return "?";
}

static const char *range_words(const char *r, char *buf, size_t n) {
  snprintf(buf, n, r[0] == '[' || r[0] == '(' ? "must be in %s" : "must be %s", r);
  return buf;
}

/* The allowed-values message, with a did-you-mean for s. */
static const char *allowed_words(const kp_cfg_key *k, const char *s, char *buf, size_t n) {
  char names[512], hint[64], sug[128] = "";
  list_names(k->allowed, names, sizeof names);
  if (kp_cfg_suggest_name(k->allowed, s, hint, sizeof hint)) snprintf(sug, sizeof sug, " (did you mean '%s'?)", hint);
  snprintf(buf, n, "allowed values are %s%s%s", names, k->type == KP_CFG_NAME_OR_FLOATS ? ", or a list of numbers" : "",
           sug);
  return buf;
}

/* ---- Conversion ---- */

static kp_status convert_scalar(const ectx *e, const cfg_item *it, kp_cfg_value *out) {
  const kp_cfg_key *k = e->k;
  char shown[600], why[800];
  bool text_type = k->type == KP_CFG_STRING || k->type == KP_CFG_ENUM || k->type == KP_CFG_NAME_OR_FLOATS;
  show_item(e, it, text_type, shown, sizeof shown);
  range g = parse_range(k->range);
  switch (k->type) {
    case KP_CFG_BOOL:
      if (!parse_bool(it, &out->b)) return fail_at(e, it->line, it->col, shown, "expected true or false");
      return KP_OK;
    case KP_CFG_INT:
      if (!parse_int(it, &out->i)) return fail_at(e, it->line, it->col, shown, "expected an integer");
      if (!in_range(&g, (double)out->i))
        return fail_at(e, it->line, it->col, shown, range_words(k->range, why, sizeof why));
      return KP_OK;
    case KP_CFG_FLOAT:
      if (!parse_float(it, &out->f)) return fail_at(e, it->line, it->col, shown, "expected a finite number");
      if (!in_range(&g, out->f)) return fail_at(e, it->line, it->col, shown, range_words(k->range, why, sizeof why));
      return KP_OK;
    case KP_CFG_ENUM:
    case KP_CFG_NAME_OR_FLOATS:
      if (!name_allowed(k->allowed, it->text))
        return fail_at(e, it->line, it->col, shown, allowed_words(k, it->text, why, sizeof why));
      /* fall through */
    case KP_CFG_STRING:
      out->s = strdup(it->text);
      return out->s ? KP_OK : kp_fail(KP_ERR_NOMEM, "config: out of memory");
    default: return fail_at(e, it->line, it->col, shown, "internal: not a scalar type");
  }
}

static kp_status convert_list(const ectx *e, const cfg_raw *raw, kp_cfg_value *out) {
  const kp_cfg_key *k = e->k;
  kp_cfg_type et = k->type == KP_CFG_INTS ? KP_CFG_INT : k->type == KP_CFG_STRINGS ? KP_CFG_STRING : KP_CFG_FLOAT;
  char shown[1024], why[256];
  show_raw(e, raw, false, shown, sizeof shown);
  if ((int)raw->n < k->min_len || (k->max_len > 0 && (int)raw->n > k->max_len)) {
    if (k->min_len == k->max_len)
      snprintf(why, sizeof why, "expected %d value%s, got %zu", k->min_len, k->min_len == 1 ? "" : "s", raw->n);
    else if ((int)raw->n < k->min_len)
      snprintf(why, sizeof why, "expected at least %d value%s, got %zu", k->min_len, k->min_len == 1 ? "" : "s",
               raw->n);
    else
      snprintf(why, sizeof why, "expected at most %d values, got %zu", k->max_len, raw->n);
    return fail_at(e, raw->line, raw->col, shown, why);
  }
  out->list = true;
  out->n = raw->n;
  size_t cap = raw->n ? raw->n : 1;
  if (et == KP_CFG_INT) out->ints = calloc(cap, sizeof *out->ints);
  if (et == KP_CFG_FLOAT) out->floats = calloc(cap, sizeof *out->floats);
  if (et == KP_CFG_STRING) out->strs = calloc(cap, sizeof *out->strs);
  if (!out->ints && !out->floats && !out->strs) return kp_fail(KP_ERR_NOMEM, "config: out of memory");
  range g = parse_range(k->range);
  for (size_t i = 0; i < raw->n; i++) {
    const cfg_item *it = &raw->items[i];
    char one[600], name[700], where[512];
    show_item(e, it, et == KP_CFG_STRING, one, sizeof one);
    const char *err = NULL;
    if (is_null(it)) {
      err = "a list cannot hold null";
    } else if (et == KP_CFG_INT) {
      if (!parse_int(it, &out->ints[i]))
        err = "expected an integer";
      else if (!in_range(&g, (double)out->ints[i]))
        err = range_words(k->range, why, sizeof why);
    } else if (et == KP_CFG_FLOAT) {
      if (!parse_float(it, &out->floats[i]))
        err = "expected a finite number";
      else if (!in_range(&g, out->floats[i]))
        err = range_words(k->range, why, sizeof why);
    } else {
      if (k->allowed && !name_allowed(k->allowed, it->text)) {
        err = allowed_words(k, it->text, why, sizeof why);
      } else {
        for (size_t j = 0; j < i && !err; j++)
          if (!strcmp(out->strs[j], it->text) && k->allowed) err = "listed twice";
        if (!err && !(out->strs[i] = strdup(it->text))) return kp_fail(KP_ERR_NOMEM, "config: out of memory");
      }
    }
    if (err) {
      snprintf(name, sizeof name, "%s[%zu] = %s", k->path, i, one);
      if (!e->file) return kp_fail(KP_ERR_INTERNAL, "schema default of %s: %s", name, err);
      return kp_fail(KP_ERR_INVALID, "%s: %s: %s", kp_cfg_where(e->file, it->line, it->col, where, sizeof where), name,
                     err);
    }
  }
  return KP_OK;
}

kp_status kp_cfg_convert(const kp_cfg_key *k, const cfg_raw *raw, const char *file, kp_cfg_value *out) {
  ectx e = {k, file};
  memset(out, 0, sizeof *out);
  bool list_type = k->type == KP_CFG_STRINGS || k->type == KP_CFG_INTS || k->type == KP_CFG_FLOATS;
  char shown[1024], why[256];
  kp_status s;
  bool text_type = k->type == KP_CFG_STRING || k->type == KP_CFG_ENUM || k->type == KP_CFG_NAME_OR_FLOATS;
  show_raw(&e, raw, text_type, shown, sizeof shown);
  if (raw->shape == CFG_MAP) {
    snprintf(why, sizeof why, "expected %s, got a mapping", type_words(k->type));
    s = fail_at(&e, raw->line, raw->col, shown, why);
  } else if (raw->shape == CFG_SCALAR && is_null(&raw->scalar)) {
    out->null = true;
    if (k->flags & KP_CFG_NULLABLE) return KP_OK;
    snprintf(why, sizeof why, "a value is required (%s)", type_words(k->type));
    s = fail_at(&e, raw->line, raw->col, "null", why);
  } else if (raw->shape == CFG_LIST && !list_type && k->type != KP_CFG_NAME_OR_FLOATS) {
    snprintf(why, sizeof why, "expected %s, got a list", type_words(k->type));
    s = fail_at(&e, raw->line, raw->col, shown, why);
  } else if (raw->shape == CFG_SCALAR && list_type) {
    snprintf(why, sizeof why, "expected %s", type_words(k->type));
    s = fail_at(&e, raw->line, raw->col, shown, why);
  } else if (raw->shape == CFG_LIST) {
    s = convert_list(&e, raw, out);
  } else {
    s = convert_scalar(&e, &raw->scalar, out);
  }
  if (s == KP_OK && k->check) {
    char buf[512];
    const char *bad = k->check(out, buf, sizeof buf);
    if (bad) s = fail_at(&e, raw->line, raw->col, shown, bad);
  }
  if (s != KP_OK) kp_cfg_value_free(out);
  return s;
}

/* ---- Command-line text ---- */

/* Trims spaces and strips one pair of matching outer quotes (then quoted). Modifies s in place. */
static cfg_item text_item(char *s) {
  cfg_item it = {0};
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
  if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
    s[n - 1] = 0;
    s++;
    it.quoted = true;
  }
  it.text = s;
  return it;
}

/* Splits "a, 'b,c', d" on commas outside quotes, in place; returns the count or -1 for an empty element. */
static long split_items(char *s, cfg_item *items, size_t cap) {
  size_t n = 0;
  char *start = s, quote = 0;
  for (char *p = s;; p++) {
    if (quote) {
      if (*p == quote) quote = 0;
      if (*p) continue;
    } else if (*p == '"' || *p == '\'') {
      quote = *p;
      continue;
    }
    if (*p == ',' || !*p) {
      bool end = !*p;
      *p = 0;
      if (n >= cap) return -1;
      items[n] = text_item(start);
      if (!items[n].text[0] && !items[n].quoted) return -1;
      n++;
      start = p + 1;
      if (end) break;
    }
  }
  return (long)n;
}

kp_status kp_cfg_convert_text(const kp_cfg_key *k, const char *text, const char *file, kp_cfg_value *out) {
  bool list_type = k->type == KP_CFG_STRINGS || k->type == KP_CFG_INTS || k->type == KP_CFG_FLOATS;
  char *copy = strdup(text);
  if (!copy) return kp_fail(KP_ERR_NOMEM, "config: out of memory");
  cfg_raw raw = {0};
  cfg_item *items = NULL;
  kp_status s = KP_OK;
  char *body = copy;
  while (*body == ' ') body++;
  size_t len = strlen(body);
  bool bracket = body[0] == '[';
  if (list_type || bracket || (k->type == KP_CFG_NAME_OR_FLOATS && strchr(body, ','))) {
    raw.shape = CFG_LIST;
    while (len && body[len - 1] == ' ') body[--len] = 0;
    if (bracket) {
      if (len < 2 || body[len - 1] != ']') {
        ectx e = {k, file};
        s = fail_at(&e, 0, 0, text, "unterminated list: expected ']' at the end");
        goto done;
      }
      body[len - 1] = 0;
      body++;
    }
    size_t cap = 1;
    for (const char *p = body; *p; p++) cap += *p == ',';
    items = calloc(cap, sizeof *items);
    if (!items) {
      s = kp_fail(KP_ERR_NOMEM, "config: out of memory");
      goto done;
    }
    const char *q = body;
    while (*q == ' ' || *q == '\t') q++;
    long n = *q ? split_items(body, items, cap) : 0;
    if (n < 0) {
      ectx e = {k, file};
      s = fail_at(&e, 0, 0, text, "empty list element (two commas in a row?)");
      goto done;
    }
    raw.items = items;
    raw.n = (size_t)n;
  } else {
    raw.shape = CFG_SCALAR;
    raw.scalar = text_item(copy);
  }
  s = kp_cfg_convert(k, &raw, file, out);
done:
  free(items);
  free(copy);
  return s;
}
