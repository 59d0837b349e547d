/* Experiment configs: YAML files and key=value overrides, typed and checked against one schema
 * (src/io/config_schema.c). Parsing, errors with FILE:LINE:COL and did-you-mean hints, overrides,
 * the printed/saved config and docs/configs.md all come from that table. */
#ifndef KPRCA_CONFIG_H
#define KPRCA_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---- The schema: one entry per key ---- */
typedef enum kp_cfg_type {
  KP_CFG_BOOL = 0,          /* true | false */
  KP_CFG_INT = 1,           /* 64-bit integer */
  KP_CFG_FLOAT = 2,         /* finite double (an integer literal is fine) */
  KP_CFG_STRING = 3,        /* any scalar, taken as text */
  KP_CFG_ENUM = 4,          /* one of `allowed` */
  KP_CFG_STRINGS = 5,       /* list of strings (each one of `allowed` when set, no repeats then) */
  KP_CFG_INTS = 6,          /* list of integers */
  KP_CFG_FLOATS = 7,        /* list of floats */
  KP_CFG_NAME_OR_FLOATS = 8 /* one of `allowed`, or a list of floats */
} kp_cfg_type;

enum { KP_CFG_NULLABLE = 1 }; /* kp_cfg_key.flags: null (~, null, empty) is a valid value: "not set" */

struct kp_cfg_value;
/* An extra rule on a value that passed its type, range and allowed checks: NULL when fine, else writes
 * why (e.g. "must sum to 1") into buf and returns it. */
typedef const char *(*kp_cfg_check_fn)(const struct kp_cfg_value *v, char *buf, size_t n);

typedef struct kp_cfg_key {
  const char *path; /* dotted: "optim.lr"; a top-level key has no dot ("device") */
  kp_cfg_type type;
  const char *def;       /* default, written as on the command line ("0.01", "[0.9, 0.999]", "null");
                            NULL: required, no default */
  const char *allowed;   /* names for ENUM, STRINGS elements, NAME_OR_FLOATS: "gcn|sage|gat|mlp";
                            a name ending in ":N" ("cuda:N") matches that prefix + a number */
  const char *range;     /* numbers, or each list element: "> 0", ">= -1", "[0, 1)", "(0, 1]"; NULL: any */
  int min_len, max_len;  /* list lengths (max_len 0: no limit) */
  unsigned flags;        /* KP_CFG_NULLABLE */
  kp_cfg_check_fn check; /* extra rule or NULL */
  const char *check_doc; /* that rule in a few words, for the docs ("not 0") */
  const char *aka;       /* other names users write for this key, for did-you-mean: "hidden_channels,hidden_dim" */
  const char *doc;       /* one line for docs/configs.md */
} kp_cfg_key;

/** Number of keys in the schema. */
size_t kp_config_schema_count(void);
/** Key i of the schema (in documentation order: sections model, data, optim, train, eval, output, then device). */
const kp_cfg_key *kp_config_schema(size_t i);
/** The schema entry for a dotted path, NULL when there is none. */
const kp_cfg_key *kp_config_key(const char *path);
/** The closest schema path or section to a mistyped name ("optim.lrr" -> "optim.lr", "lr" -> "optim.lr"),
 *  NULL when nothing is close. The text stays valid until the next call on this thread. */
const char *kp_config_suggest(const char *name);

/* ---- A config: one typed value per schema key ---- */
typedef struct kp_config kp_config;

/** A config holding every default (required keys unset); KP_ERR_INTERNAL if a default breaks its own rule. */
kp_status kp_config_new(kp_config **out);
/** Frees cfg; NULL is fine. */
void kp_config_free(kp_config *cfg);
/** Merges one YAML file into cfg, key by key (a list replaces the whole list). All or nothing: on error cfg
 *  is unchanged and the message reads "FILE:LINE:COL: ...". An empty file (no document, or only comments)
 *  is an error; write {} for an intentionally empty config. */
kp_status kp_config_merge_file(kp_config *cfg, const char *path);
/** The same for YAML text in memory; name stands for the file in messages and sources. */
kp_status kp_config_merge_yaml(kp_config *cfg, const char *text, size_t len, const char *name);
/** Sets key (a dotted path) from text typed by the schema ("0.005", "gat", "[25, 10]" or "25,10" for lists,
 *  "null" for a nullable key); source names the origin in messages ("<command line>"). All or nothing. */
kp_status kp_config_set(kp_config *cfg, const char *key, const char *value, const char *source);
/** Applies "optim.lr=0.005" or "--optim.lr=0.005" (source "<command line>" when NULL). */
kp_status kp_config_override(kp_config *cfg, const char *assignment, const char *source);
/** Checks what single keys cannot: required keys are set (naming the files read) and the rules between
 *  keys (docs/configs.md, "Rules between keys"). */
kp_status kp_config_finish(const kp_config *cfg);
/** kp_config_new, then each file in order, then each override in order, then kp_config_finish. */
kp_status kp_config_load(const char *const *files, size_t nfiles, const char *const *overrides, size_t noverrides,
                         kp_config **out);

/* The arguments kp_config_from_args leaves to its caller, in their order, argv[0] first. */
typedef struct kp_config_rest {
  int argc;
  char **argv; /* NULL-terminated; the strings are the caller's; release the array with kp_config_rest_free */
} kp_config_rest;

/** Reads --config FILE / --config=FILE / -c FILE (repeatable, merged in order), then applies the overrides
 *  KEY=VALUE, --KEY=VALUE and --KEY VALUE (KEY a schema path, or any dotted name: unknown ones are errors)
 *  in order, and finishes. Everything else (--print-config, --dry-run, --resume auto, positionals) goes to
 *  rest, as does everything after "--". On error *cfg is NULL and rest is empty. */
kp_status kp_config_from_args(int argc, char **argv, kp_config **cfg, kp_config_rest *rest);
/** Frees rest's array. */
void kp_config_rest_free(kp_config_rest *rest);

/* ---- Typed getters. path must be a schema key of a matching type: anything else is a bug in the
 * caller, reported on stderr followed by abort(). Each is a scan of the schema's few dozen paths. ---- */
bool kp_config_bool(const kp_config *cfg, const char *path);
int64_t kp_config_int(const kp_config *cfg, const char *path);
double kp_config_float(const kp_config *cfg, const char *path);
/** STRING, ENUM, or NAME_OR_FLOATS holding a name; NULL when a nullable key is null (or that key holds a list). */
const char *kp_config_string(const kp_config *cfg, const char *path);
/** List getters (also NAME_OR_FLOATS holding a list): *n gets the length; the array lives as long as cfg. */
const int64_t *kp_config_ints(const kp_config *cfg, const char *path, size_t *n);
const double *kp_config_floats(const kp_config *cfg, const char *path, size_t *n);
const char *const *kp_config_strings(const kp_config *cfg, const char *path, size_t *n);
/** False when a nullable key is null (not set). */
bool kp_config_has(const kp_config *cfg, const char *path);
/** True when the key holds a list (for NAME_OR_FLOATS keys: data.split, train.class_weights). */
bool kp_config_is_list(const kp_config *cfg, const char *path);
/** Where the value came from: "configs/gat.yaml:12:3", "<command line>" or "default"; written into buf. */
const char *kp_config_source(const kp_config *cfg, const char *path, char *buf, size_t n);
/** The run name: output.name when set, else the first config file's name without directory and .yaml/.yml
 *  (characters other than letters, digits, '.', '-', '_' become '_'), else model.name. Written into buf. */
const char *kp_config_run_name(const kp_config *cfg, char *buf, size_t n);
/** The config files merged so far, in order. */
const char *const *kp_config_files(const kp_config *cfg, size_t *n);

/* ---- Output ---- */
enum { KP_CFG_PRINT_SOURCES = 1 }; /* annotate values that are not defaults with "# FILE:LINE:COL" */
/** The config as YAML, every key (defaults included), sections in schema order; malloc'd, NULL without memory.
 *  Loading the text back gives the same values. */
char *kp_config_to_yaml(const kp_config *cfg, unsigned flags);
/** kp_config_to_yaml written to out. */
kp_status kp_config_print(const kp_config *cfg, FILE *out, unsigned flags);
/** Writes the resolved config to path atomically (temporary file, fsync, rename), headed by a comment naming
 *  the files it was read from. */
kp_status kp_config_save(const kp_config *cfg, const char *path);
/** docs/configs.md, generated from the schema; malloc'd. */
char *kp_config_docs_markdown(void);

#ifdef __cplusplus
}
#endif
#endif
