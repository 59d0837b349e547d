/* The default kernel masks without a regex engine: one left-to-right scan of the line. At each
 * position where a rule may start (the first byte, or after a non-word byte) the rules are tried in
 * table order (mask_rules.c), each written out by hand so that it finds the match PCRE2 finds
 * (same alternatives, same greedy backtracking order, same lookarounds); the first rule that
 * matches wins and the scan goes on after its match, as PCRE2's global replace does. \w, \d and \b
 * are ASCII (the rules are compiled without Unicode properties), so the scan works on bytes; no
 * rule starts with a non-ASCII byte. IPv6 candidates (those with "::" or 7 colons ahead) are left
 * to PCRE2, anchored at the position. The tests compare the result with one PCRE2 pass. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include "kprca/mask.h"
#include "text/mask_internal.h"

/* Byte classes. */
enum {
  CW = 1 << 0,     /* \w: [A-Za-z0-9_] */
  CD = 1 << 1,     /* \d */
  CH = 1 << 2,     /* [0-9a-fA-F] */
  CPS = 1 << 3,    /* path segment byte [\w@+~-] */
  CPM = 1 << 4,    /* path middle byte [\w.@+~:-] */
  CAZ = 1 << 5,    /* [0-9a-z] */
  CF = 1 << 6,     /* [0-9a-f] */
  CX = 1 << 7,     /* [a-fA-F] */
  CSTART = 1 << 8, /* a rule may start here: hex digits, ':', '-', '+', '/', first letters of disk and netdev names */
  CLOW = 1 << 9,   /* [a-z] */
  CPB = 1 << 10    /* a byte the path rule's lookbehind refuses: [\w.~/<-] */
};
static uint16_t C[256];
static uint32_t NAME2[128]; /* first letter -> the second letters that can follow it in a disk or netdev name */
static pcre2_code *IPV6; /* the ipv6 rule alone, anchored */
static pthread_once_t once = PTHREAD_ONCE_INIT;

enum { R_IPV6 = 2 }; /* index of the ipv6 rule in mask_rules.c */

static void init(void) {
  for (int c = 0; c < 256; c++) {
    uint16_t k = 0;
    bool lo = c >= 'a' && c <= 'z', up = c >= 'A' && c <= 'Z', dg = c >= '0' && c <= '9';
    if (lo || up || dg || c == '_') k |= CW | CPS | CPM | CPB;
    if (dg) k |= CD;
    if (dg || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) k |= CH | CSTART;
    if (c == '@' || c == '+' || c == '~' || c == '-') k |= CPS | CPM;
    if (c == '.' || c == ':') k |= CPM;
    if (dg || lo) k |= CAZ;
    if (dg || (c >= 'a' && c <= 'f')) k |= CF;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) k |= CX;
    if (lo) k |= CLOW;
    if (c && strchr(":-+/sxvnmdlzrewibt", c)) k |= CSTART;
    if (c && strchr(".~/<-", c)) k |= CPB;
    C[c] = k;
  }
  static const char *const names[] = {"sd", "sr", "xv", "vd", "nv", "nb", "mm", "md", "dm", "lo", "zr", "rb", "et",
                                      "en", "wl", "ib", "bo", "br", "ve", "vi", "vl", "do", "tu", "ta"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) NAME2[(int)names[i][0]] |= 1u << (names[i][1] - 'a');
  const char *p = kp_mask_default_pattern(R_IPV6);
  int err;
  PCRE2_SIZE eoff;
  IPV6 = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_ANCHORED, &err, &eoff, NULL);
  if (IPV6) pcre2_jit_compile(IPV6, PCRE2_JIT_COMPLETE);
}

void kp_mask_init(void) { pthread_once(&once, init); }

/* The line s[0..n), followed by KP_MASK_PAD spaces: every read below stays within them (no rule
 * looks further than 36 bytes past a byte of the line, and runs stop at a space), and a space
 * reads as the end of the line does (outside a token is whitespace or the end). */
typedef struct line {
  const unsigned char *s;
  size_t n;
  pcre2_match_data *md;
  int err; /* a PCRE2 error from the ipv6 fallback */
} line;

static inline unsigned at(const line *l, size_t i) { return l->s[i]; }
static inline bool is(const line *l, size_t i, unsigned cls) { return C[at(l, i)] & cls; }
static inline bool word(const line *l, size_t i) { return is(l, i, CW); }
static inline size_t run(const line *l, size_t i, unsigned cls) { /* length of the run of cls bytes at i */
  size_t j = i;
  while (C[l->s[j]] & cls) j++;
  return j - i;
}
static inline bool lit(const line *l, size_t i, const char *t) {
  for (; *t; t++, i++)
    if (at(l, i) != (unsigned char)*t) return false;
  return true;
}
static inline bool hexn(const line *l, size_t i, size_t k) { /* k hex bytes at i */
  for (size_t j = 0; j < k; j++)
    if (!is(l, i + j, CH)) return false;
  return true;
}

/* uuid: \bH{8}-H{4}-H{4}-H{4}-H{12}\b */
static size_t m_uuid(const line *l, size_t p) {
  static const size_t len[5] = {8, 4, 4, 4, 12};
  size_t i = p;
  for (int k = 0; k < 5; k++) {
    if (!hexn(l, i, len[k])) return 0;
    i += len[k];
    if (k < 4 && at(l, i++) != '-') return 0;
  }
  return word(l, i) ? 0 : i;
}

/* mac: \bH{2}(?:(?::H{2}){5}|(?:-H{2}){5})(?![\w:]) */
static size_t m_mac(const line *l, size_t p) {
  unsigned sep = at(l, p + 2);
  if (!hexn(l, p, 2) || (sep != ':' && sep != '-')) return 0;
  size_t i = p + 2;
  for (int k = 0; k < 5; k++, i += 3)
    if (at(l, i) != sep || !hexn(l, i + 1, 2)) return 0;
  return word(l, i) || at(l, i) == ':' ? 0 : i;
}

/* ipv6: necessary conditions here, the match itself by PCRE2 (anchored at p). */
static size_t m_ipv6(line *l, size_t p, size_t h) {
  if (p && l->s[p - 1] == ':') return 0; /* (?<![\w:]) */
  /* a match starts with H{1,4} then ':' (the first group or "::"), or with "::" */
  if (!((h >= 1 && h <= 4 && at(l, p + h) == ':') || (at(l, p) == ':' && at(l, p + 1) == ':'))) return 0;
  /* and has 7 colons (the full form) or a "::" before the next whitespace */
  size_t colons = 0;
  bool dbl = false;
  for (size_t i = p; i < l->n; i++) {
    unsigned c = l->s[i];
    if (c == ' ' || (c >= '\t' && c <= '\r')) break;
    if (c == ':') colons++, dbl |= i + 1 < l->n && l->s[i + 1] == ':';
  }
  if (colons < 7 && !dbl) return 0;
  if (!IPV6) {
    l->err = PCRE2_ERROR_NOMEMORY;
    return 0;
  }
  int rc = pcre2_match(IPV6, (PCRE2_SPTR)l->s, l->n, p, PCRE2_NO_UTF_CHECK, l->md, NULL);
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc < 0) {
    l->err = rc;
    return 0;
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(l->md);
  return ov[0] == p && ov[1] > p ? ov[1] : 0;
}

/* pci: \b(?:H{4}:H{2}:H{2}(?:\.[0-7])?|H{2}:H{2}\.[0-7])\b|(?<![\w:])H{4}:H{4}(?![\w:]) */
static size_t m_pci(const line *l, size_t p) {
  if (hexn(l, p, 4) && at(l, p + 4) == ':' && hexn(l, p + 5, 2) && at(l, p + 7) == ':' && hexn(l, p + 8, 2)) {
    size_t e = p + 10;
    if (at(l, e) == '.' && at(l, e + 1) >= '0' && at(l, e + 1) <= '7' && !word(l, e + 2)) return e + 2;
    if (!word(l, e)) return e;
  }
  if (hexn(l, p, 2) && at(l, p + 2) == ':' && hexn(l, p + 3, 2) && at(l, p + 5) == '.' && at(l, p + 6) >= '0' &&
      at(l, p + 6) <= '7' && !word(l, p + 7))
    return p + 7;
  if ((p == 0 || l->s[p - 1] != ':') && hexn(l, p, 4) && at(l, p + 4) == ':' && hexn(l, p + 5, 4) && !word(l, p + 9) &&
      at(l, p + 9) != ':')
    return p + 9;
  return 0;
}

/* ipv4: (?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?:/\d{1,2})?(?!\w|\.\d)
 * A digit run longer than the quantifier leaves a digit next, which nothing after accepts, so each
 * run is taken whole; the optional port and prefix are tried longest first, then left out. */
static size_t m_ipv4(const line *l, size_t p) {
  if (p && l->s[p - 1] == '.') return 0;
  size_t i = p;
  for (int k = 0; k < 4; k++) {
    size_t r = run(l, i, CD);
    if (r < 1 || r > 3) return 0;
    i += r;
    if (k < 3 && at(l, i++) != '.') return 0;
  }
  size_t ends1[7], n1 = 0;
  if (at(l, i) == ':')
    for (size_t m = run(l, i + 1, CD) < 5 ? run(l, i + 1, CD) : 5; m >= 1; m--) ends1[n1++] = i + 1 + m;
  ends1[n1++] = i;
  for (size_t a = 0; a < n1; a++) {
    size_t e1 = ends1[a], ends2[3], n2 = 0;
    if (at(l, e1) == '/')
      for (size_t m = run(l, e1 + 1, CD) < 2 ? run(l, e1 + 1, CD) : 2; m >= 1; m--) ends2[n2++] = e1 + 1 + m;
    ends2[n2++] = e1;
    for (size_t b = 0; b < n2; b++) {
      size_t e = ends2[b];
      if (!word(l, e) && !(at(l, e) == '.' && is(l, e + 1, CD))) return e;
    }
  }
  return 0;
}

/* scsi: \b\d+:\d+:\d+:\d+\b */
static size_t m_scsi(const line *l, size_t p) {
  size_t i = p;
  for (int k = 0; k < 4; k++) {
    size_t r = run(l, i, CD);
    if (!r) return 0;
    i += r;
    if (k < 3 && at(l, i++) != ':') return 0;
  }
  return word(l, i) ? 0 : i;
}

/* time: \b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b */
static size_t m_time(const line *l, size_t p) {
  size_t r = run(l, p, CD);
  if (r < 1 || r > 2) return 0;
  size_t i = p + r;
  if (at(l, i) != ':' || !is(l, i + 1, CD) || !is(l, i + 2, CD) || at(l, i + 3) != ':' || !is(l, i + 4, CD) ||
      !is(l, i + 5, CD))
    return 0;
  i += 6;
  if (at(l, i) == '.' || at(l, i) == ',') {
    size_t f = run(l, i + 1, CD);
    if (f && !word(l, i + 1 + f)) return i + 1 + f;
  }
  return word(l, i) ? 0 : i;
}

/* hex: \b0[xX]H+\b */
static size_t m_hex(const line *l, size_t p) {
  if (at(l, p) != '0' || (at(l, p + 1) | 32) != 'x') return 0;
  size_t r = run(l, p + 2, CH);
  return r && !word(l, p + 2 + r) ? p + 2 + r : 0;
}

/* quantity: (?<![\w.])[-+]?\d+(?:\.\d+)?(?:bytes?|[MG]b/s|GT/s|[MG]bps|[kMG]?Hz|(?:[kKMGTPE]i?)?[bB]|
 * [kKMGTPE]|[nuµm]?s|secs?|mins?|%|C)(?!\w): the number is taken whole (no unit starts with a digit
 * or '.'); the unit's alternatives are tried in order, each longest first, until one is not
 * followed by a word byte. */
static size_t m_quantity(const line *l, size_t p) {
  if (p && l->s[p - 1] == '.') return 0;
  size_t i = p + (at(l, p) == '-' || at(l, p) == '+'), r = run(l, i, CD);
  if (!r) return 0;
  i += r;
  if (at(l, i) == '.' && (r = run(l, i + 1, CD)) > 0) i += 1 + r;
  size_t u = i, cand[24], k = 0;
  unsigned c0 = at(l, u), c1 = at(l, u + 1);
  if (lit(l, u, "byte")) {
    if (at(l, u + 4) == 's') cand[k++] = u + 5;
    cand[k++] = u + 4;
  }
  if ((c0 == 'M' || c0 == 'G') && lit(l, u + 1, "b/s")) cand[k++] = u + 4;
  if (lit(l, u, "GT/s")) cand[k++] = u + 4;
  if ((c0 == 'M' || c0 == 'G') && lit(l, u + 1, "bps")) cand[k++] = u + 4;
  bool kmg = c0 == 'k' || c0 == 'M' || c0 == 'G', kkmgtpe = kmg || c0 == 'K' || c0 == 'T' || c0 == 'P' || c0 == 'E';
  if (kmg && lit(l, u + 1, "Hz")) cand[k++] = u + 3;
  if (lit(l, u, "Hz")) cand[k++] = u + 2;
  if (kkmgtpe) {
    if (c1 == 'i' && (at(l, u + 2) == 'b' || at(l, u + 2) == 'B')) cand[k++] = u + 3;
    if (c1 == 'b' || c1 == 'B') cand[k++] = u + 2;
  }
  if (c0 == 'b' || c0 == 'B') cand[k++] = u + 1;
  if (kkmgtpe) cand[k++] = u + 1;
  if ((c0 == 'n' || c0 == 'u' || c0 == 'm') && c1 == 's') cand[k++] = u + 2;
  if (c0 == 0xC2 && c1 == 0xB5 && at(l, u + 2) == 's') cand[k++] = u + 3; /* µs */
  if (c0 == 's') cand[k++] = u + 1;
  if (lit(l, u, "sec")) {
    if (at(l, u + 3) == 's') cand[k++] = u + 4;
    cand[k++] = u + 3;
  }
  if (lit(l, u, "min")) {
    if (at(l, u + 3) == 's') cand[k++] = u + 4;
    cand[k++] = u + 3;
  }
  if (c0 == '%' || c0 == 'C') cand[k++] = u + 1;
  for (size_t j = 0; j < k; j++)
    if (!word(l, cand[j])) return cand[j];
  return 0;
}

/* number: (?<![\w.])[-+]?\d+(?:\.\d+)*(?!\w|\.\w). Backtracking into a digit run leaves a digit
 * next, which the lookahead refuses, so only the number of ".digits" groups can shrink: the ends
 * are tried longest first. */
static size_t m_number(const line *l, size_t p) {
  if (p && l->s[p - 1] == '.') return 0;
  size_t q = p + (at(l, p) == '-' || at(l, p) == '+'), r = run(l, q, CD);
  if (!r) return 0;
  q += r;
  size_t e = q;
  while (at(l, e) == '.' && is(l, e + 1, CD)) e += 1 + run(l, e + 1, CD);
  for (size_t x = e;; x--) {
    if (x == e || x == q || at(l, x) == '.') {
      bool bad = word(l, x) || (at(l, x) == '.' && word(l, x + 1));
      if (!bad) return x;
    }
    if (x == q) return 0;
  }
}

/* hexid: \b(?=[a-fA-F]*\d)H{8,}\b (h: the hex run at p) */
static size_t m_hexid(const line *l, size_t p, size_t h) {
  if (h < 8 || !is(l, p + run(l, p, CX), CD)) return 0;
  return word(l, p + h) ? 0 : p + h;
}

/* The disk rule's tail: (?:p?\d+)?\b after a name ending at e (in a word byte). */
static size_t disk_tail(const line *l, size_t e) {
  size_t r;
  if (at(l, e) == 'p' && (r = run(l, e + 1, CD)) > 0 && !word(l, e + 1 + r)) return e + 1 + r;
  if ((r = run(l, e, CD)) > 0 && !word(l, e + r)) return e + r;
  return word(l, e) ? 0 : e;
}

/* A literal name then \d+ then the tail; fewer digits would leave digits for the tail: same end. */
static size_t name_digits(const line *l, size_t p, const char *name, size_t (*tail)(const line *, size_t)) {
  if (!lit(l, p, name)) return 0;
  size_t i = p + strlen(name), r = run(l, i, CD);
  return r ? tail(l, i + r) : 0;
}

/* disk: \b(?:sd(?!io\b)[a-z]{1,2}|x?vd[a-z]|nvme\d+(?:c\d+)?n\d+|nvme\d+|mmcblk\d+|md(?!5\b)\d+|dm-\d+|
 * loop\d+|nbd\d+|sr\d+|zram\d+|rbd\d+)(?:p?\d+)?\b */
static size_t m_disk(const line *l, size_t p) {
  size_t e;
  switch (at(l, p)) {
  case 's':
    if (lit(l, p, "sd") && !(lit(l, p + 2, "io") && !word(l, p + 4))) {
      if (is(l, p + 2, CLOW) && is(l, p + 3, CLOW) && (e = disk_tail(l, p + 4))) return e;
      if (is(l, p + 2, CLOW) && (e = disk_tail(l, p + 3))) return e;
    }
    return name_digits(l, p, "sr", disk_tail);
  case 'x':
    return lit(l, p, "xvd") && is(l, p + 3, CLOW) ? disk_tail(l, p + 4) : 0;
  case 'v':
    return lit(l, p, "vd") && is(l, p + 2, CLOW) ? disk_tail(l, p + 3) : 0;
  case 'n':
    if (lit(l, p, "nvme") && is(l, p + 4, CD)) {
      size_t i = p + 4 + run(l, p + 4, CD), r;
      if (at(l, i) == 'c' && (r = run(l, i + 1, CD)) > 0) { /* (?:c\d+)? taken */
        size_t j = i + 1 + r;
        if (at(l, j) == 'n' && (r = run(l, j + 1, CD)) > 0 && (e = disk_tail(l, j + 1 + r))) return e;
      }
      if (at(l, i) == 'n' && (r = run(l, i + 1, CD)) > 0 && (e = disk_tail(l, i + 1 + r))) return e;
      if ((e = disk_tail(l, i))) return e; /* nvme\d+ */
    }
    return name_digits(l, p, "nbd", disk_tail);
  case 'm':
    if ((e = name_digits(l, p, "mmcblk", disk_tail))) return e;
    if (lit(l, p, "md") && !(at(l, p + 2) == '5' && !word(l, p + 3))) return name_digits(l, p, "md", disk_tail);
    return 0;
  case 'd':
    return name_digits(l, p, "dm-", disk_tail);
  case 'l':
    return name_digits(l, p, "loop", disk_tail);
  case 'z':
    return name_digits(l, p, "zram", disk_tail);
  case 'r':
    return name_digits(l, p, "rbd", disk_tail);
  }
  return 0;
}

/* The netdev rule's tail: (?:\.\d+)?\b after a name ending at e (in a word byte). */
static size_t net_tail(const line *l, size_t e) {
  size_t r;
  if (at(l, e) == '.' && (r = run(l, e + 1, CD)) > 0 && !word(l, e + 1 + r)) return e + 1 + r;
  return word(l, e) ? 0 : e;
}

/* en[ospx][0-9a-z]*\d[0-9a-z]* (and wl...): both runs end where [0-9a-z] ends, with a digit in it. */
static size_t net_slot(const line *l, size_t p, const char *pre) {
  unsigned c = at(l, p + 2);
  if (!lit(l, p, pre) || !(c == 'o' || c == 's' || c == 'p' || c == 'x')) return 0;
  size_t a = p + 3, r = run(l, a, CAZ);
  for (size_t i = a; i < a + r; i++)
    if (C[l->s[i]] & CD) return net_tail(l, a + r);
  return 0;
}

/* netdev: \b(?:eth\d+|en[ospx][0-9a-z]*\d[0-9a-z]*|wl[ospx][0-9a-z]*\d[0-9a-z]*|wlan\d+|ib\d+|bond\d+|br\d+|
 * veth(?=[0-9a-f]*\d)[0-9a-f]+|docker\d+|virbr\d+|vlan\d+|tun\d+|tap\d+)(?:\.\d+)?\b */
static size_t m_netdev(const line *l, size_t p) {
  size_t e;
  switch (at(l, p)) {
  case 'e':
    if ((e = name_digits(l, p, "eth", net_tail))) return e;
    return net_slot(l, p, "en");
  case 'w':
    if ((e = net_slot(l, p, "wl"))) return e;
    return name_digits(l, p, "wlan", net_tail);
  case 'i':
    return name_digits(l, p, "ib", net_tail);
  case 'b':
    if ((e = name_digits(l, p, "bond", net_tail))) return e;
    return name_digits(l, p, "br", net_tail);
  case 'v':
    if (lit(l, p, "veth")) {
      size_t r = run(l, p + 4, CF);
      for (size_t i = p + 4; i < p + 4 + r; i++)
        if (C[l->s[i]] & CD) {
          if ((e = net_tail(l, p + 4 + r))) return e;
          break;
        }
    }
    if ((e = name_digits(l, p, "virbr", net_tail))) return e;
    return name_digits(l, p, "vlan", net_tail);
  case 'd':
    return name_digits(l, p, "docker", net_tail);
  case 't':
    if ((e = name_digits(l, p, "tun", net_tail))) return e;
    return name_digits(l, p, "tap", net_tail);
  }
  return 0;
}

/* path: (?<![\w.~/<-])(?:/[\w@+~-](?:[\w.@+~:-]*[\w@+~-])?)+/? : each segment ends at the last
 * segment byte of its run of middle bytes (greedy, then backtracking to a segment byte); nothing
 * follows the match, so the first path found (the longest) is the match. */
static size_t m_path(const line *l, size_t p) {
  if (p && (C[l->s[p - 1]] & CPB)) return 0;
  size_t x = p;
  while (at(l, x) == '/' && is(l, x + 1, CPS)) {
    size_t y = x + 2, r = y + run(l, y, CPM), z = x + 2;
    for (size_t i = r; i > y; i--)
      if (C[l->s[i - 1]] & CPS) {
        z = i;
        break;
      }
    x = z;
  }
  if (x == p) return 0;
  return at(l, x) == '/' ? x + 1 : x;
}

/* The first rule (in table order) that matches at p, which follows a non-word byte or starts the line. */
static size_t match_at(line *l, size_t p) {
  unsigned c = l->s[p];
  size_t e, h = 0, d = 0;
  if (C[c] & CH) { /* the hex run and the digit run at p, in one go (digits are hex) */
    const unsigned char *s = l->s + p;
    while (C[s[d]] & CD) d++;
    h = d;
    while (C[s[h]] & CH) h++;
  }
  unsigned ah = at(l, p + h);
  if (h == 8 && ah == '-' && (e = m_uuid(l, p))) return e;
  if (h == 2 && (ah == ':' || ah == '-') && (e = m_mac(l, p))) return e;
  if ((ah == ':' && h <= 4) && (e = m_ipv6(l, p, h))) return e;
  if (l->err) return 0;
  if ((h == 4 || h == 2) && ah == ':' && (e = m_pci(l, p))) return e;
  if (d) {
    unsigned ad = at(l, p + d);
    if (ad == '.' && d <= 3 && (e = m_ipv4(l, p))) return e;
    if (ad == ':' && (e = m_scsi(l, p))) return e;
    if (ad == ':' && d <= 2 && (e = m_time(l, p))) return e;
  }
  if (c == '0' && (e = m_hex(l, p))) return e;
  if (d || ((c == '-' || c == '+') && is(l, p + 1, CD))) {
    if ((e = m_quantity(l, p))) return e;
    if ((e = m_number(l, p))) return e;
  }
  if (h >= 8 && (e = m_hexid(l, p, h))) return e;
  if ((C[c] & CLOW) && at(l, p + 1) - 'a' < 26u && (NAME2[c] >> (at(l, p + 1) - 'a') & 1)) {
    if ((e = m_disk(l, p))) return e;
    if ((e = m_netdev(l, p))) return e;
  }
  if (c == '/') return m_path(l, p);
  return 0;
}

kp_status kp_mask_scan(const char *in, size_t n, char *out, size_t *olen, bool *changed, void *md) {
  /* in[n..n + KP_MASK_PAD) are spaces (the caller's padding) */
  line l = {(const unsigned char *)in, n, md, 0};
  const unsigned char *s = l.s;
  size_t o = 0, copied = 0, p = 0;
  *changed = false;
  while (p < n) { /* here p == 0 or s[p - 1] is not a word byte */
    unsigned c = s[p];
    size_t e = C[c] & CSTART ? match_at(&l, p) : 0;
    if (l.err) return kp_fail(KP_ERR_INTERNAL, "mask: PCRE2 error %d on the ipv6 rule", l.err);
    if (e) {
      memcpy(out + o, in + copied, p - copied);
      o += p - copied;
      memcpy(out + o, "<*>", 3);
      o += 3;
      copied = p = e;
      if (!(C[s[p - 1]] & CW)) continue;
    } else {
      p++;
      if (!(C[c] & CW)) continue;
    }
    while (C[s[p]] & CW) p++; /* inside a word no rule starts (the padding stops it) */
    p++;                                 /* nor right after it */
  }
  if (!copied) return KP_OK;
  *changed = true;
  memcpy(out + o, in + copied, n - copied);
  o += n - copied;
  out[o] = 0;
  *olen = o;
  return KP_OK;
}
