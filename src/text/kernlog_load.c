/* A whole kernel log in memory: records in one array, their strings in an arena of chunks. */
#include <stdlib.h>
#include <string.h>
#include "text/kernlog_int.h"

#define CHUNK (1u << 20)

typedef struct chunk {
  struct chunk *next;
  size_t used, cap;
  char data[];
} chunk;

struct kp_klog_arena {
  chunk *head;
};

/* Copies n bytes plus a NUL into the arena; NULL when out of memory. */
static char *arena_put(struct kp_klog_arena *a, const char *s, size_t n) {
  chunk *c = a->head;
  if (!c || c->used + n + 1 > c->cap) {
    size_t cap = n + 1 > CHUNK ? n + 1 : CHUNK;
    c = malloc(sizeof *c + cap);
    if (!c) return NULL;
    c->cap = cap;
    c->used = 0;
    /* a big string gets its own chunk behind the current one, so the current keeps filling */
    if (a->head && cap > CHUNK) {
      c->next = a->head->next;
      a->head->next = c;
    } else {
      c->next = a->head;
      a->head = c;
    }
  }
  char *d = c->data + c->used;
  memcpy(d, s, n);
  d[n] = 0;
  c->used += n + 1;
  return d;
}

/* The same string when empty (no copy). */
static const char *arena_str(struct kp_klog_arena *a, const char *s, bool *ok) {
  if (!s[0]) return "";
  const char *d = arena_put(a, s, strlen(s));
  if (!d) *ok = false;
  return d ? d : "";
}

void kp_klog_log_free(kp_klog_log *log) {
  if (!log) return;
  if (log->arena) {
    for (chunk *c = log->arena->head, *n; c; c = n) {
      n = c->next;
      free(c);
    }
    free(log->arena);
  }
  free(log->rec);
  free(log->name);
  free(log);
}

kp_status kp_klog_load(const char *path, const kp_klog_options *opts, kp_klog_log **out) {
  *out = NULL;
  kp_klog_reader *r;
  KP_TRY(kp_klog_reader_open(path, opts, &r));
  kp_klog_log *log = calloc(1, sizeof *log);
  kp_status s = KP_OK;
  if (!log || !(log->arena = calloc(1, sizeof *log->arena)) || !(log->name = strdup(path))) {
    s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
    goto fail;
  }
  log->format = kp_klog_reader_format(r);
  int64_t cap = 0;
  for (;;) {
    kp_klog_record rec;
    bool eof;
    if ((s = kp_klog_reader_next(r, &rec, &eof)) != KP_OK) goto fail;
    if (eof) break;
    if (log->n == cap) {
      cap = cap ? 2 * cap : 256;
      kp_klog_record *g = realloc(log->rec, (size_t)cap * sizeof *g);
      if (!g) goto oom;
      log->rec = g;
    }
    bool ok = true;
    kp_klog_record *d = &log->rec[log->n];
    *d = rec;
    char *line = arena_put(log->arena, rec.line, rec.line_len);
    if (!line) goto oom;
    d->line = line;
    /* the message is usually the tail of the line: share it */
    if (rec.msg_len <= rec.line_len && memcmp(line + rec.line_len - rec.msg_len, rec.msg, rec.msg_len) == 0) {
      d->msg = line + rec.line_len - rec.msg_len;
    } else {
      char *m = arena_put(log->arena, rec.msg, rec.msg_len);
      if (!m) goto oom;
      d->msg = m;
    }
    d->host = arena_str(log->arena, rec.host, &ok);
    d->ident = arena_str(log->arena, rec.ident, &ok);
    if (!ok) goto oom;
    log->n++;
  }
  log->stats = kp_klog_reader_stats(r);
  kp_klog_reader_close(r);
  *out = log;
  return KP_OK;
oom:
  s = kp_fail(KP_ERR_NOMEM, "%s: out of memory after line %lld", path, (long long)(log ? log->n : 0));
fail:
  kp_klog_reader_close(r);
  kp_klog_log_free(log);
  return s;
}
