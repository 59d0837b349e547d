/* Kernel-log records: one record per line of kern.log/syslog, dmesg, journalctl (short and
 * JSON) or a raw crash console, with time stamps, host, ident, level, the message text and
 * flags for multi-line reports (call traces, register dumps) and lines of unexpected shape. */
#ifndef KPRCA_KERNLOG_H
#define KPRCA_KERNLOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum kp_klog_format {
  KP_KLOG_AUTO = 0,          /* detect from the first non-empty lines of the file */
  KP_KLOG_SYSLOG,            /* "Mar  3 14:02:11 host kernel: [ 12.345678] msg", RFC 3339 stamps too */
  KP_KLOG_JOURNAL_SHORT,     /* journalctl -o short / short-precise / short-iso / short-iso-precise */
  KP_KLOG_JOURNAL_JSON,      /* journalctl -o json: one JSON object per line */
  KP_KLOG_DMESG,             /* dmesg with stamps: "[ 12.345678] msg", "<6>[...]", -T "[Sun Mar  3 ...]", -x */
  KP_KLOG_CONSOLE            /* kernel text without headers (dmesg -t, serial console); stamps optional */
} kp_klog_format;

/* Record flags. */
enum {
  KP_KLOG_EMPTY = 1u << 0,     /* empty (or all-blank) line */
  KP_KLOG_UNMATCHED = 1u << 1, /* the line lacks the header its format expects; msg is the whole line */
  KP_KLOG_CONT = 1u << 2,      /* continuation line inside a multi-line report (trace, registers, ...) */
  KP_KLOG_HEAD = 1u << 3,      /* first line of a report (BUG:, WARNING:, Oops, Kernel panic, INFO: task ...) */
  KP_KLOG_REPAIRED = 1u << 4,  /* the line held invalid UTF-8 or NUL bytes (replaced by U+FFFD) */
  KP_KLOG_BINARY = 1u << 5,    /* the line is mostly binary garbage (NULs, invalid bytes) */
  KP_KLOG_META = 1u << 6       /* journalctl marker such as "-- Boot 1a2b... --" (no message) */
};

typedef struct kp_klog_record {
  int64_t lineno;     /* 1-based line number in the file */
  double time;        /* wall clock, seconds since 1970-01-01 UTC; NaN when the line has none */
  double uptime;      /* seconds since boot from "[ 1234.567890]" (or the journal's monotonic stamp); NaN if none */
  const char *host;   /* "" when none */
  const char *ident;  /* source: "kernel", "systemd", ...; "" when none */
  int32_t pid;        /* -1 when none */
  int8_t level;       /* syslog severity 0 (emerg) .. 7 (debug); -1 when unknown */
  int8_t facility;    /* syslog facility 0 (kern) .. 23; -1 when unknown */
  uint32_t flags;     /* KP_KLOG_* */
  const char *msg;    /* the message text (what template mining and models read), NUL-terminated */
  size_t msg_len;
  const char *line;   /* the whole line (UTF-8 repaired) */
  size_t line_len;
} kp_klog_record;

typedef struct kp_klog_options {
  kp_klog_format format; /* KP_KLOG_AUTO (0) detects */
  int year;              /* year of syslog stamps that carry none; 0: the current year, or the previous
                            one when the first stamp's month lies after the current month */
  int utc_offset_min;    /* stamps without a zone (syslog, dmesg -T) are local time at UTC+this; 0: UTC */
  bool allow_binary;     /* accept a file whose first lines are mostly binary (else KP_ERR_FORMAT) */
} kp_klog_options;

typedef struct kp_klog_stats {
  int64_t lines;        /* lines read */
  int64_t empty;        /* KP_KLOG_EMPTY lines */
  int64_t unmatched;    /* KP_KLOG_UNMATCHED lines */
  int64_t binary;       /* KP_KLOG_BINARY lines */
  int64_t repaired;     /* KP_KLOG_REPAIRED lines */
  int64_t cont;         /* KP_KLOG_CONT lines */
  int64_t heads;        /* KP_KLOG_HEAD lines */
  int64_t meta;         /* KP_KLOG_META lines */
  int64_t with_time;    /* records with a wall-clock time */
  int64_t with_uptime;  /* records with an uptime */
  int64_t first_unmatched; /* line number of the first unmatched line, 0 when none */
} kp_klog_stats;

/** Short name of a format ("syslog", "journal-short", "journal-json", "dmesg", "console", "auto"). */
const char *kp_klog_format_name(kp_klog_format f);
/** Parses a format name as printed by kp_klog_format_name; KP_ERR_INVALID listing the names otherwise. */
kp_status kp_klog_format_parse(const char *name, kp_klog_format *out);
/** Guesses the format of n sample lines (the first non-empty lines of a file); KP_KLOG_CONSOLE when nothing fits. */
kp_klog_format kp_klog_detect(const char *const *lines, const size_t *lens, int n);

/* ---- Parsing line by line (strings in a record stay valid until the next call) ---- */
typedef struct kp_klog_parser kp_klog_parser;

/** A parser for one file in a fixed format (not KP_KLOG_AUTO); opts may be NULL. */
kp_status kp_klog_parser_new(kp_klog_format format, const kp_klog_options *opts, kp_klog_parser **out);
/** Parses one line (valid UTF-8, no terminator) into rec; the parser keeps report and year state across calls. */
void kp_klog_parser_line(kp_klog_parser *p, const char *line, size_t len, int64_t lineno, kp_klog_record *rec);
/** Frees p; NULL is ignored. */
void kp_klog_parser_free(kp_klog_parser *p);

/* ---- Reading a file ---- */
typedef struct kp_klog_reader kp_klog_reader;

/** Opens path ("-": stdin), detects the format unless opts->format is set; KP_ERR_IO / KP_ERR_FORMAT name the file. */
kp_status kp_klog_reader_open(const char *path, const kp_klog_options *opts, kp_klog_reader **out);
/** Next record (one per line, empty lines included); sets *eof at the end. Strings valid until the next call. */
kp_status kp_klog_reader_next(kp_klog_reader *r, kp_klog_record *rec, bool *eof);
/** The format in use (detected or given). */
kp_klog_format kp_klog_reader_format(const kp_klog_reader *r);
/** Counters so far. */
kp_klog_stats kp_klog_reader_stats(const kp_klog_reader *r);
/** Closes the file and frees r; NULL is ignored. */
void kp_klog_reader_close(kp_klog_reader *r);

/* ---- A whole file in memory ---- */
typedef struct kp_klog_log {
  char *name;             /* the path given */
  kp_klog_format format;  /* detected or given */
  int64_t n;              /* records: rec[i].lineno == i + 1 */
  kp_klog_record *rec;    /* strings owned by the log */
  kp_klog_stats stats;
  struct kp_klog_arena *arena; /* private */
} kp_klog_log;

/** Reads every line of path into *out (free with kp_klog_log_free). */
kp_status kp_klog_load(const char *path, const kp_klog_options *opts, kp_klog_log **out);
/** Frees a loaded log; NULL is ignored. */
void kp_klog_log_free(kp_klog_log *log);

/** Writes a one-line summary ("x.log: dmesg, 120 lines, 2 unmatched (first at line 7), ...") into buf; returns buf. */
const char *kp_klog_stats_summary(const char *name, kp_klog_format f, const kp_klog_stats *s, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
