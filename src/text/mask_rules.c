/* The default masking rules for kernel logs. Compiled without Unicode properties, so \w \d \b are
 * ASCII. Each rule starts at a word start or after punctuation and never spans whitespace. */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include "kprca/mask.h"
#include "text/mask_internal.h"

typedef struct rule {
  const char *name, *pattern, *example;
} rule;

#define HX "[0-9a-fA-F]"
/* Order matters: at each position the first rule that matches wins. */
static const rule RULES[] = {
    {"uuid", "\\b" HX "{8}-" HX "{4}-" HX "{4}-" HX "{4}-" HX "{12}\\b",
     "UUID=3f1c2a9e-8b7d-4c6e-9f00-1234567890ab -> UUID=<*>"},
    {"mac", "\\b" HX "{2}(?:(?::" HX "{2}){5}|(?:-" HX "{2}){5})(?![\\w:])",
     "authenticate with 00:1b:21:3a:4b:5c -> authenticate with <*>"},
    {"ipv6",
     "(?<![\\w:])(?:" HX "{1,4}(?::" HX "{1,4}){7}|(?:" HX "{1,4}(?::" HX "{1,4}){0,6})?::(?:" HX "{1,4}(?::" HX
     "{1,4}){0,6})?)(?::(?:\\d{1,3}\\.){3}\\d{1,3})?(?:%\\w+)?(?:/\\d{1,3})?(?!\\w|\\.\\d|:[\\w:])",
     "duplicate address fe80::1c2b:3aff:fe4d:5e6f -> duplicate address <*>"},
    {"pci",
     "\\b(?:" HX "{4}:" HX "{2}:" HX "{2}(?:\\." "[0-7])?|" HX "{2}:" HX "{2}\\.[0-7])\\b|(?<![\\w:])" HX "{4}:" HX
     "{4}(?![\\w:])",
     "mlx5_core 0000:3b:00.0: firmware version [15b3:1017] -> mlx5_core <*>: firmware version [<*>]"},
    {"ipv4", "(?<![\\w.])(?:\\d{1,3}\\.){3}\\d{1,3}(?::\\d{1,5})?(?:/\\d{1,2})?(?!\\w|\\.\\d)",
     "nfs: server 10.0.0.5 not responding -> nfs: server <*> not responding"},
    {"scsi", "\\b\\d+:\\d+:\\d+:\\d+\\b", "sd 0:0:0:0: [sda] Attached -> sd <*>: [<*>] Attached"},
    {"time", "\\b\\d{1,2}:\\d{2}:\\d{2}(?:[.,]\\d+)?\\b", "Tue Nov 14 13:30:08 UTC 2023 -> Tue Nov <*> <*> UTC <*>"},
    {"hex", "\\b0[xX]" HX "+\\b", "RIP: 0010:__list_del_entry_valid+0x5c/0x90 -> RIP: <*>:__list_del_entry_valid+<*>/<*>"},
    {"quantity",
     "(?<![\\w.])[-+]?\\d+(?:\\.\\d+)?(?:bytes?|[MG]b/s|GT/s|[MG]bps|[kMG]?Hz|(?:[kKMGTPE]i?)?[bB]|"
     "[kKMGTPE]|[nu\xc2\xb5m]?s|secs?|mins?|%|C)(?!\\w)",
     "soft lockup - CPU#5 stuck for 22s! -> soft lockup - CPU#<*> stuck for <*>!"},
    {"number", "(?<![\\w.])[-+]?\\d+(?:\\.\\d+)*(?!\\w|\\.\\w)",
     "blocked for more than 120 seconds. -> blocked for more than <*> seconds."},
    {"hexid", "\\b(?=[a-fA-F]*\\d)" HX "{8,}\\b", "address: ffff8881234abcd0 -> address: <*>"},
    {"disk",
     "\\b(?:sd(?!io\\b)[a-z]{1,2}|x?vd[a-z]|nvme\\d+(?:c\\d+)?n\\d+|nvme\\d+|mmcblk\\d+|md(?!5\\b)\\d+|dm-\\d+|"
     "loop\\d+|nbd\\d+|sr\\d+|zram\\d+|rbd\\d+)(?:p?\\d+)?\\b",
     "EXT4-fs (nvme0n1p2): mounted filesystem -> EXT4-fs (<*>): mounted filesystem"},
    {"netdev",
     "\\b(?:eth\\d+|en[ospx][0-9a-z]*\\d[0-9a-z]*|wl[ospx][0-9a-z]*\\d[0-9a-z]*|wlan\\d+|ib\\d+|bond\\d+|br\\d+|"
     "veth(?=[0-9a-f]*\\d)[0-9a-f]+|docker\\d+|virbr\\d+|vlan\\d+|tun\\d+|tap\\d+)(?:\\.\\d+)?\\b",
     "ixgbe 0000:5e:00.1 enp94s0f1: NIC Link is Down -> ixgbe <*> <*>: NIC Link is Down"},
    {"path", "(?<![\\w.~/<-])(?:/[\\w@+~-](?:[\\w.@+~:-]*[\\w@+~-])?)+/?",
     "Comm: /usr/lib/systemd/systemd -> Comm: <*>"},
};
#undef HX

size_t kp_mask_default_count(void) { return sizeof RULES / sizeof RULES[0]; }
const char *kp_mask_default_name(size_t i) { return i < kp_mask_default_count() ? RULES[i].name : NULL; }
const char *kp_mask_default_pattern(size_t i) { return i < kp_mask_default_count() ? RULES[i].pattern : NULL; }
const char *kp_mask_default_example(size_t i) { return i < kp_mask_default_count() ? RULES[i].example : NULL; }


/* Rule numbers, in RULES order. */
enum { R_UUID, R_MAC, R_IPV6, R_PCI, R_IPV4, R_SCSI, R_TIME, R_HEX, R_QTY, R_NUM, R_HEXID, R_DISK, R_NETDEV, R_PATH };

/* Byte classes for the scan below. */
enum {
  C_WORD = 1, C_DIGIT = 2, C_HEX = 4, C_UNIT = 8, /* C_UNIT = C_DIGIT << 2: see "unit" below */
  C_SPACE = 16, C_SLASH = 32, C_START = 64,      /* '0' and first letters of disk/netdev names */
  C_ALPHA = 128
};
static uint8_t CLS[256];
static uint64_t CNT[256];                /* packed counters: ':' bits 0-20, '-' bits 21-41, '.' bits 42-62 */
static uint32_t DISK2[128], NET2[128];   /* first letter -> bit set of second letters a..z */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void make_tables(void) {
  for (int c = 0; c < 256; c++) {
    uint8_t k = 0;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') k |= C_WORD;
    if (c >= '0' && c <= '9') k |= C_DIGIT;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) k |= C_HEX;
    /* first bytes of the quantity units: b B M G T k K P E H n u m s C %, and 0xC2 (µ) */
    if ((c && c < 128 && strchr("bBMGTkKPEHnumsC%", c)) || c == 0xC2) k |= C_UNIT;
    if (c == ' ' || (c >= '\t' && c <= '\r')) k |= C_SPACE;
    if (c == '/') k |= C_SLASH;
    if (c == '0') k |= C_START;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) k |= C_ALPHA;
    CLS[c] = k;
  }
  CNT[':'] = 1, CNT['-'] = 1ull << 21, CNT['.'] = 1ull << 42;
  /* 2-letter starts of the disk and netdev names (see the rules) */
  const char *disk = "sdxvvdnvmmmddmlonbsrzrrb", *net = "etenwlibbobrvedovivltuta";
  for (const char *p = disk; *p; p += 2) DISK2[(int)p[0]] |= 1u << (p[1] - 'a'), CLS[(int)p[0]] |= C_START;
  for (const char *p = net; *p; p += 2) NET2[(int)p[0]] |= 1u << (p[1] - 'a'), CLS[(int)p[0]] |= C_START;
}

void kp_mask_init(void) { pthread_once(&tables_once, make_tables); }

#define ALL_RULES (UINT32_MAX >> (32 - (sizeof RULES / sizeof RULES[0])))

/* Necessary conditions, read off each rule: what any match of it must contain. Every rule starts
 * after a non-word character, so "at a word start" below means: first, or after a non-word byte. */
static uint32_t analyse(const unsigned char *t, size_t n) {
  unsigned acc = 0, prevk = 0, hexrun = 0, maxhex = 0, dws = 0, unit = 0, hexcolon = 0;
  bool hex0x = false, disk = false, netdev = false;
  uint64_t cnt = 0;
  if (n >= (1u << 20)) return ALL_RULES; /* the counters could overflow: a superset is safe */
  for (size_t i = 0; i < n; i++) {
    unsigned c = t[i], k = CLS[c], hb = hexrun;
    acc |= k;
    hexrun = k & C_HEX ? hexrun + 1 : 0;
    maxhex = hexrun > maxhex ? hexrun : maxhex;
    dws |= k & ~(prevk << 1) & C_DIGIT;   /* a digit whose previous byte is not a word byte */
    unit |= ((prevk & C_DIGIT) << 2) & k; /* a unit's first byte right after a digit (quantity) */
    cnt += CNT[c];
    hexcolon |= (c == ':') & (hb >= 2);   /* every pci form has a ':' after 2+ hex digits */
    if ((k & C_START) && !(prevk & C_WORD) && i + 1 < n) {
      unsigned d = t[i + 1];
      if (c == '0') hex0x |= (d | 32) == 'x';
      else if (d - 'a' < 26u) disk |= DISK2[c] >> (d - 'a') & 1, netdev |= NET2[c] >> (d - 'a') & 1;
    }
    prevk = k;
  }
  unsigned colon = cnt & 0x1FFFFF, dash = cnt >> 21 & 0x1FFFFF, dot = cnt >> 42 & 0x1FFFFF;
  bool digit = acc & C_DIGIT;
  uint32_t m = 0;
  if (dash >= 4 && maxhex >= 12) m |= 1u << R_UUID;
  if (colon >= 5 || dash >= 5) m |= 1u << R_MAC;
  if (colon >= 2) m |= 1u << R_IPV6;
  if (hexcolon) m |= 1u << R_PCI;
  if (dot >= 3 && dws) m |= 1u << R_IPV4;
  if (colon >= 3 && dws) m |= 1u << R_SCSI;
  if (colon >= 2 && dws) m |= 1u << R_TIME;
  if (hex0x) m |= 1u << R_HEX;
  if (dws && unit) m |= 1u << R_QTY;
  if (dws) m |= 1u << R_NUM;
  if (maxhex >= 8 && digit) m |= 1u << R_HEXID;
  if (disk) m |= 1u << R_DISK;
  if (netdev && digit) m |= 1u << R_NETDEV;
  if (acc & C_SLASH) m |= 1u << R_PATH;
  return m;
}

/* Finds the token's end with a cheap pass (classes and ':' '-' '.' counts) and settles the common
 * cases from that; the rest get KP_MASK_ANALYSE (kp_mask_rules_possible tells). */
static size_t scan(const unsigned char *t, size_t n, uint32_t *rules) {
  unsigned acc = 0;
  uint64_t cnt = 0;
  size_t i = 0;
  for (; i < n; i++) {
    unsigned k = CLS[t[i]];
    if (k & C_SPACE) break;
    acc |= k;
    cnt += CNT[t[i]];
  }
  if (i < (1u << 20)) {
    if (!(acc & (C_DIGIT | C_SLASH)) && !(cnt & 0x1FFFFF) && (cnt >> 21 & 0x1FFFFF) < 4) {
      /* no digit, '/' or ':', under 4 '-': of all rules only disk can match (sd.., vd.., xvd..) */
      bool disk = false;
      if (acc & C_START)
        for (size_t j = 0; j + 1 < i && !disk; j++)
          disk = (CLS[t[j]] & C_START) && (j == 0 || !(CLS[t[j - 1]] & C_WORD)) && t[j + 1] - 'a' < 26u &&
                 (DISK2[t[j]] >> (t[j + 1] - 'a') & 1);
      *rules = disk ? 1u << R_DISK : 0;
      return i;
    }
    if (!(acc & (C_ALPHA | C_SLASH | C_UNIT)) && !cnt) {
      /* digits and punctuation without letters, '%', µ, ':', '-', '.' or '/': a match of any
       * other rule would need one of those, except hexid on 8+ digits, which can only match where
       * the number rule, tried first, already did */
      *rules = 1u << R_NUM;
      return i;
    }
  }
  *rules = KP_MASK_ANALYSE;
  return i;
}

size_t kp_mask_token(const unsigned char *s, size_t n, uint32_t *rules) { return scan(s, n, rules); }

uint32_t kp_mask_rules_possible(const unsigned char *t, size_t n) { return analyse(t, n); }

uint32_t kp_mask_number_rule(void) { return 1u << R_NUM; }

/* The number rule, (?<![A-Za-z0-9_])(?<![\w.])[-+]?\d+(?:\.\d+)*(?!\w|\.\w), by hand. Backtracking
 * into a digit run leaves a digit next, which the lookahead refuses, so only the number of
 * ".digits" groups can shrink: try the longest first. Outside the token is whitespace (non-word). */
size_t kp_mask_numbers(const unsigned char *t, size_t n, char *out) {
  size_t o = 0, copied = 0, p = 0;
  while (p < n) {
    unsigned prev = p ? t[p - 1] : ' ';
    size_t q = p + (t[p] == '-' || t[p] == '+');
    if ((CLS[prev] & C_WORD) || prev == '.' || q >= n || !(CLS[t[q]] & C_DIGIT)) {
      p++;
      continue;
    }
    while (q < n && (CLS[t[q]] & C_DIGIT)) q++;
    size_t e = q;
    while (e + 1 < n && t[e] == '.' && (CLS[t[e + 1]] & C_DIGIT)) {
      e++;
      while (e < n && (CLS[t[e]] & C_DIGIT)) e++;
    }
    /* the candidate ends, longest first: e, then each '.' that starts a group, then q */
    size_t end = 0;
    for (size_t x = e; x >= q; x--) {
      if (x != e && x != q && t[x] != '.') continue;
      bool bad = (x < n && (CLS[t[x]] & C_WORD)) || (x + 1 < n && t[x] == '.' && (CLS[t[x + 1]] & C_WORD));
      if (!bad) {
        end = x;
        break;
      }
      if (x == q) break;
    }
    if (!end) {
      p++;
      continue;
    }
    memcpy(out + o, t + copied, p - copied);
    o += p - copied;
    memcpy(out + o, "<*>", 3);
    o += 3;
    p = copied = end;
  }
  memcpy(out + o, t + copied, n - copied);
  return o + (n - copied);
}
