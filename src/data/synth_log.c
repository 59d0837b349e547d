/* The synthetic corpus' plumbing: the per-incident Philox stream, the timed event log and its
 * rendering as classic syslog kern.log lines ("Mon DD HH:MM:SS host kernel: [ uptime] msg"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data/synth_internal.h"
#include "kprca/rng.h"

/* ---- random stream ---- */

void sy_rng_init(sy_rng *r, uint64_t seed, uint64_t stream) {
  r->key = seed;
  r->stream = stream;
  r->ctr = 0;
  r->used = 4;
}

uint32_t sy_u32(sy_rng *r) {
  if (r->used == 4) {
    kp_u32x4 ctr = {{(uint32_t)r->ctr, (uint32_t)(r->ctr >> 32), (uint32_t)r->stream, (uint32_t)(r->stream >> 32)}};
    kp_u32x4 b = kp_philox4x32_10(ctr, (uint32_t)r->key, (uint32_t)(r->key >> 32));
    memcpy(r->buf, b.v, sizeof r->buf);
    r->ctr++;
    r->used = 0;
  }
  return r->buf[r->used++];
}

uint32_t sy_below(sy_rng *r, uint32_t n) {
  if (n <= 1) return 0;
  /* Lemire's multiply-and-reject */
  uint64_t m = (uint64_t)sy_u32(r) * n;
  uint32_t lo = (uint32_t)m;
  if (lo < n) {
    uint32_t t = (uint32_t)(-n) % n;
    while (lo < t) {
      m = (uint64_t)sy_u32(r) * n;
      lo = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}

int64_t sy_range(sy_rng *r, int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  uint64_t span = (uint64_t)(hi - lo) + 1;
  if (span <= 0xffffffffu) return lo + (int64_t)sy_below(r, (uint32_t)span);
  uint64_t x = (uint64_t)sy_u32(r) << 32;
  x |= sy_u32(r);
  return lo + (int64_t)(x % span);
}

void sy_draws(sy_rng *r, int64_t *v, int n, const int64_t *lohi) {
  for (int i = 0; i < n; i++) v[i] = sy_range(r, lohi[2 * i], lohi[2 * i + 1]);
}

bool sy_chance(sy_rng *r, double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return sy_u32(r) < (uint32_t)(p * 4294967296.0);
}

/* log2(x) in 16.16 fixed point, linear between powers of two (x >= 1). */
static uint64_t ilog2_q16(uint64_t x) {
  int e = 63 - __builtin_clzll(x);
  uint64_t frac = e >= 16 ? (x >> (e - 16)) & 0xffff : (x << (16 - e)) & 0xffff;
  return ((uint64_t)e << 16) | frac;
}

/* The inverse of ilog2_q16. */
static uint64_t iexp2_q16(uint64_t q) {
  int e = (int)(q >> 16);
  uint64_t f = q & 0xffff;
  if (e > 46) e = 46;
  return ((65536 + f) << e) >> 16;
}

uint64_t sy_logu(sy_rng *r, uint64_t lo, uint64_t hi) {
  if (lo < 1) lo = 1;
  if (hi <= lo) return lo;
  uint64_t a = ilog2_q16(lo), b = ilog2_q16(hi);
  uint64_t q = a + (((uint64_t)sy_u32(r) * (b - a + 1)) >> 32);
  uint64_t v = iexp2_q16(q);
  return v < lo ? lo : v > hi ? hi : v;
}

uint64_t sy_exp(sy_rng *r, uint64_t mean) {
  uint64_t u = sy_u32(r) | 1;
  uint64_t l = (32ull << 16) - ilog2_q16(u); /* -log2(u / 2^32), 16.16 */
  uint64_t v = ((mean * l) >> 16) * 45426 >> 16; /* times ln 2 */
  return v > 20 * mean ? 20 * mean : v;
}

int sy_weighted(sy_rng *r, const int *w, int n) {
  int64_t total = 0;
  for (int i = 0; i < n; i++) total += w[i] > 0 ? w[i] : 0;
  if (total <= 0) return 0;
  int64_t x = sy_range(r, 0, total - 1);
  for (int i = 0; i < n; i++) {
    if (w[i] <= 0) continue;
    if (x < w[i]) return i;
    x -= w[i];
  }
  return n - 1;
}

uint64_t sy_hash(const char *s, uint64_t salt) {
  uint64_t h = 1469598103934665603ull ^ (salt * 0x9E3779B97F4A7C15ull);
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h ^ (h >> 29);
}

/* ---- event log ---- */

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return true;
  size_t nc = *cap ? *cap : 64;
  while (nc < need) nc *= 2;
  void *q = realloc(*p, nc * elem);
  if (!q) return false;
  *p = q;
  *cap = nc;
  return true;
}

void sy_out(sy_ctx *c, int role, const char *fmt, ...) {
  if (c->muted || c->nomem) return;
  size_t capev = (size_t)c->capev;
  if (!grow((void **)&c->ev, &capev, (size_t)c->nev + 1, sizeof(sy_ev)) ||
      !grow((void **)&c->txt, &c->captxt, c->ntxt + 512, 1)) {
    c->nomem = true;
    return;
  }
  c->capev = (int)capev;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(c->txt + c->ntxt, c->captxt - c->ntxt, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= c->captxt - c->ntxt) {
    if (!grow((void **)&c->txt, &c->captxt, c->ntxt + (size_t)n + 1, 1)) {
      c->nomem = true;
      return;
    }
    va_start(ap, fmt);
    vsnprintf(c->txt + c->ntxt, c->captxt - c->ntxt, fmt, ap);
    va_end(ap);
  }
  sy_ev *e = &c->ev[c->nev++];
  e->t = c->t;
  e->seq = c->seq++;
  e->off = (uint32_t)c->ntxt;
  e->len = (uint32_t)n;
  e->role = (uint8_t)(role | c->bgflag);
  c->ntxt += (size_t)n;
  if (role == SY_ROLE_C) c->in_cause = true;
  c->t += 1 + sy_below(&c->r, 24); /* printk lines of one report land microseconds apart */
}

void sy_at(sy_ctx *c, uint64_t t) { c->t = t; }
void sy_wait(sy_ctx *c, uint64_t us) { c->t += us; }

void sy_cause_begin(sy_ctx *c) {
  if (c->mode == 2) c->muted = true;
  else if (c->mode == 1) c->muted = sy_chance(&c->r, 0.5);
}

void sy_cause_end(sy_ctx *c) { c->muted = false; }

void sy_span_begin(sy_ctx *c) {
  c->in_span = true;
  c->span_open = c->t;
}

void sy_span_end(sy_ctx *c) {
  if (!c->in_span) return;
  c->in_span = false;
  if (c->nspan < SY_MAX_SPANS && c->t > c->span_open + 2) {
    c->span0[c->nspan] = c->span_open;
    c->span1[c->nspan] = c->t;
    c->nspan++;
  }
}

int sy_newpid(sy_ctx *c) {
  c->pid += 1 + (int)sy_logu(&c->r, 1, 400);
  if (c->pid > 4194000) c->pid = 300 + (c->pid % 1000);
  return c->pid;
}

void sy_ctx_free(sy_ctx *c) {
  free(c->ev);
  free(c->txt);
  c->ev = NULL;
  c->txt = NULL;
}

/* ---- rendering ---- */

static int ev_cmp(const void *a, const void *b) {
  const sy_ev *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
static void civil(int64_t z, int *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

kp_status sy_render(sy_ctx *c, kp_synth_incident *inc) {
  if (c->nomem) return kp_fail(KP_ERR_NOMEM, "synth: out of memory generating an incident");
  qsort(c->ev, (size_t)c->nev, sizeof(sy_ev), ev_cmp);
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  size_t namelen = strlen(c->h.name);
  size_t cap = c->ntxt + (size_t)c->nev * (40 + namelen) + 64;
  char *out = malloc(cap);
  int32_t *cause = malloc(sizeof(int32_t) * (size_t)(c->nev + 1));
  if (!out || !cause) {
    free(out);
    free(cause);
    return kp_fail(KP_ERR_NOMEM, "synth: out of memory rendering an incident");
  }
  size_t len = 0;
  int32_t line = 0, ncause = 0, panic_line = 0;
  int64_t last_sec = -1;
  char date[32] = "";
  size_t datelen = 0;
  for (int i = 0; i < c->nev; i++) {
    const sy_ev *e = &c->ev[i];
    if ((e->role & SY_BG) && c->panicked && e->t >= c->t_panic) continue;
    int64_t sec = (int64_t)(e->t / 1000000);
    if (sec != last_sec) {
      int64_t wall = (int64_t)c->h.boot_epoch + sec;
      int y, m, d;
      civil(wall / 86400, &y, &m, &d);
      int64_t s = wall % 86400;
      datelen = (size_t)snprintf(date, sizeof date, "%s %2d %02d:%02d:%02d ", mon[m - 1], d, (int)(s / 3600),
                                 (int)(s / 60 % 60), (int)(s % 60));
      last_sec = sec;
    }
    /* worst case: every byte a tab (4x) */
    size_t need = len + datelen + namelen + 40 + 4 * (size_t)e->len + 2;
    if (need > cap) {
      size_t nc = cap * 2 > need ? cap * 2 : need;
      char *q = realloc(out, nc);
      if (!q) {
        free(out);
        free(cause);
        return kp_fail(KP_ERR_NOMEM, "synth: out of memory rendering an incident");
      }
      out = q;
      cap = nc;
    }
    memcpy(out + len, date, datelen);
    len += datelen;
    memcpy(out + len, c->h.name, namelen);
    len += namelen;
    len += (size_t)sprintf(out + len, " kernel: [%5llu.%06llu]", (unsigned long long)sec,
                           (unsigned long long)(e->t % 1000000));
    if (e->len) {
      out[len++] = ' ';
      const char *s = c->txt + e->off;
      for (uint32_t k = 0; k < e->len; k++) {
        if (s[k] == '\t') { /* rsyslog escapes control characters as #ooo */
          memcpy(out + len, "#011", 4);
          len += 4;
        } else {
          out[len++] = s[k];
        }
      }
    }
    out[len++] = '\n';
    line++;
    int role = e->role & 7;
    if (role == SY_ROLE_C) cause[ncause++] = line;
    if (role == SY_ROLE_P && !panic_line) panic_line = line;
  }
  inc->text = out;
  inc->len = len;
  inc->lines = line;
  inc->cause_lines = cause;
  inc->n_cause = ncause;
  inc->panic_line = panic_line;
  inc->category = c->category;
  return KP_OK;
}
