/* Line rules for kprca-infer (docs/infer.md "Rules"): a YAML list of {name, regex, label, action, score,
 * ignore_case}, each regex a PCRE2 pattern (JIT-compiled) matched against a log line's message text.
 * Rules are tried in file order and the first one that matches decides the line: action "flag" reports
 * it with the rule's label and score, action "ignore" declares it ordinary (no model runs on it).
 * A kp_rules is not thread-safe (it keeps one match buffer). */
#ifndef KPRCA_RULES_H
#define KPRCA_RULES_H
#include <stddef.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum kp_rule_action {
  KP_RULE_FLAG = 0,  /* the line is root-cause evidence with the rule's label and score */
  KP_RULE_IGNORE = 1 /* the line is ordinary: neither flagged nor scored by a model */
} kp_rule_action;

typedef struct kp_rule {
  const char *name;    /* unique within the file */
  const char *pattern; /* the regex as written */
  const char *label;   /* root-cause label (flag); may be "" for ignore */
  kp_rule_action action;
  double score;        /* in [0, 1]; default 1 */
  int line, col;       /* 1-based position of the rule's mapping in the file */
} kp_rule;

typedef struct kp_rules kp_rules;

/** Parses rules from len bytes of YAML text; name is used in messages ("name:line:col: problem"). The root is a
 *  list of rule mappings, or a mapping whose only key is `rules` holding that list. */
kp_status kp_rules_parse(const char *text, size_t len, const char *name, kp_rules **out);
/** Reads and parses a rules file (KP_ERR_IO naming it when it cannot be read). */
kp_status kp_rules_load(const char *path, kp_rules **out);
/** Number of rules. */
int kp_rules_count(const kp_rules *r);
/** Rule i (0 <= i < count); strings stay valid until kp_rules_free. */
const kp_rule *kp_rules_get(const kp_rules *r, int i);
/** Index of the first rule whose regex matches somewhere in text[0..len) (valid UTF-8), or -1 in *rule. */
kp_status kp_rules_match(kp_rules *r, const char *text, size_t len, int *rule);
/** Frees r; NULL is fine. */
void kp_rules_free(kp_rules *r);

#ifdef __cplusplus
}
#endif
#endif
