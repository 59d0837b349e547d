/* WordPiece: special tokens in the raw text, normalisation (clean, CJK, strip accents, lowercase),
 * pre-tokenisation (whitespace and punctuation) and greedy longest-match-first WordPiece. The
 * order of the steps is the one of tokenizers' BertNormalizer (accents are stripped before
 * lowercasing). */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "text/wordpiece_internal.h"

typedef struct wp_scratch {
  int32_t *a, *b; /* code points: normalised text, and a second buffer for NFD */
  size_t a_cap, b_cap;
  char *w; /* UTF-8 of one word */
  uint32_t *boff; /* byte offset of each character of the word, plus the end */
  size_t w_cap, boff_cap;
} wp_scratch;

static const char *const k_default_special[KP_WP_NSPECIAL] = {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"};
static const char *const k_special_role[KP_WP_NSPECIAL] = {"unk_token", "cls_token", "sep_token", "pad_token",
                                                           "mask_token"};

kp_wordpiece_opts kp_wordpiece_default_opts(void) {
  kp_wordpiece_opts o;
  memset(&o, 0, sizeof o);
  o.lowercase = true;
  o.strip_accents = KP_STRIP_DEFAULT;
  o.tokenize_chinese_chars = true;
  o.max_input_chars_per_word = 100;
  return o;
}

void kp_wordpiece_free(kp_wordpiece *wp) {
  if (!wp) return;
  kp_vocab_free(wp->vocab);
  for (int k = 0; k < KP_WP_NSPECIAL; k++) free(wp->special[k]);
  free(wp);
}

kp_status kp_wordpiece_create(kp_vocab *vocab, const kp_wordpiece_opts *opts, kp_wordpiece **out) {
  *out = NULL;
  kp_wordpiece *wp = calloc(1, sizeof *wp);
  if (!wp) {
    kp_vocab_free(vocab);
    return kp_fail(KP_ERR_NOMEM, "wordpiece: out of memory");
  }
  wp->vocab = vocab;
  wp->o = opts ? *opts : kp_wordpiece_default_opts();
  if (wp->o.max_input_chars_per_word <= 0) {
    kp_wordpiece_free(wp);
    return kp_fail(KP_ERR_INVALID, "wordpiece: max_input_chars_per_word must be positive");
  }
  wp->strip = wp->o.strip_accents == KP_STRIP_DEFAULT ? wp->o.lowercase : wp->o.strip_accents == KP_STRIP_ON;
  const char *given[KP_WP_NSPECIAL] = {wp->o.unk, wp->o.cls, wp->o.sep, wp->o.pad, wp->o.mask};
  for (int k = 0; k < KP_WP_NSPECIAL; k++) {
    const char *s = given[k] ? given[k] : k_default_special[k];
    wp->special[k] = strdup(s);
    if (!wp->special[k]) {
      kp_wordpiece_free(wp);
      return kp_fail(KP_ERR_NOMEM, "wordpiece: out of memory");
    }
    wp->special_len[k] = strlen(s);
    wp->special_id[k] = wp->special_len[k] ? kp_vocab_id(vocab, s, wp->special_len[k]) : -1;
    if (wp->special_id[k] < 0 && k != 4) {
      kp_status st = kp_fail(KP_ERR_FORMAT, "%s: the vocabulary has no %s \"%s\" (needed by BERT)",
                             kp_vocab_path(vocab)[0] ? kp_vocab_path(vocab) : "vocab", k_special_role[k], s);
      kp_wordpiece_free(wp);
      return st;
    }
  }
  wp->o.unk = wp->special[0], wp->o.cls = wp->special[1], wp->o.sep = wp->special[2];
  wp->o.pad = wp->special[3], wp->o.mask = wp->special[4];
  kp_vocab_max_len(vocab, &wp->max_word, &wp->max_cont);
  wp->special_first = -1;
  for (int k = 0; k < KP_WP_NSPECIAL; k++) {
    if (wp->special_id[k] < 0) continue;
    int f = (unsigned char)wp->special[k][0];
    if (wp->special_first == -1) wp->special_first = f;
    else if (wp->special_first != f) wp->special_first = -2;
  }
  if (wp->special_first == -2) wp->special_first = -1; /* no common first byte: search every time */
  *out = wp;
  return KP_OK;
}

kp_status kp_wordpiece_load(const char *vocab_path, const kp_wordpiece_opts *opts, kp_wordpiece **out) {
  kp_vocab *v;
  *out = NULL;
  KP_TRY(kp_vocab_load(vocab_path, &v));
  return kp_wordpiece_create(v, opts, out);
}

const kp_vocab *kp_wordpiece_vocab(const kp_wordpiece *wp) { return wp->vocab; }
kp_wordpiece_opts kp_wordpiece_get_opts(const kp_wordpiece *wp) { return wp->o; }
void kp_wordpiece_special_ids(const kp_wordpiece *wp, int32_t *unk, int32_t *cls, int32_t *sep, int32_t *pad,
                              int32_t *mask) {
  if (unk) *unk = wp->special_id[0];
  if (cls) *cls = wp->special_id[1];
  if (sep) *sep = wp->special_id[2];
  if (pad) *pad = wp->special_id[3];
  if (mask) *mask = wp->special_id[4];
}

void kp_wp_buf_free(kp_wp_buf *b) {
  if (!b) return;
  wp_scratch *s = b->scratch_;
  if (s) {
    free(s->a), free(s->b), free(s->w), free(s->boff);
    free(s);
  }
  free(b->ids);
  memset(b, 0, sizeof *b);
}

/* ---- growth helpers ---- */

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 1;
  size_t c = *cap ? *cap : 256;
  while (c < need) c *= 2;
  void *q = realloc(*p, c * elem);
  if (!q) return 0;
  *p = q, *cap = c;
  return 1;
}

static kp_status push_id(kp_wp_buf *b, int32_t id) {
  if (b->n == b->cap) {
    size_t cap = (size_t)b->cap;
    if (!grow((void **)&b->ids, &cap, (size_t)b->n + 1, sizeof *b->ids))
      return kp_fail(KP_ERR_NOMEM, "wordpiece: out of memory");
    b->cap = (int64_t)cap;
  }
  b->ids[b->n++] = id;
  return KP_OK;
}

/* ---- WordPiece on one word (code points w[0..n)) ---- */

static kp_status wordpiece_word(const kp_wordpiece *wp, wp_scratch *s, const int32_t *w, size_t n, kp_wp_buf *b) {
  if (n > (size_t)wp->o.max_input_chars_per_word) return push_id(b, wp->special_id[0]);
  if (!grow((void **)&s->w, &s->w_cap, 4 * n, 1) || !grow((void **)&s->boff, &s->boff_cap, n + 1, sizeof *s->boff))
    return kp_fail(KP_ERR_NOMEM, "wordpiece: out of memory");
  uint32_t p = 0;
  for (size_t i = 0; i < n; i++) {
    s->boff[i] = p;
    if (w[i] < 0x80) s->w[p++] = (char)w[i];
    else p += (uint32_t)utf8proc_encode_char(w[i], (utf8proc_uint8_t *)s->w + p);
  }
  s->boff[n] = p;
  int64_t mark = b->n;
  size_t start = 0;
  while (start < n) {
    size_t lim = start == 0 ? wp->max_word : wp->max_cont;
    size_t end = n;
    while (end > start && s->boff[end] - s->boff[start] > lim) end--;
    int32_t id = -1;
    for (; end > start; end--) {
      const char *piece = s->w + s->boff[start];
      size_t len = s->boff[end] - s->boff[start];
      id = start == 0 ? kp_vocab_id(wp->vocab, piece, len) : kp_vocab_cont_id(wp->vocab, piece, len);
      if (id >= 0) break;
    }
    if (id < 0) { /* no piece matches: the whole word is unknown */
      b->n = mark;
      return push_id(b, wp->special_id[0]);
    }
    KP_TRY(push_id(b, id));
    start = end;
  }
  return KP_OK;
}

/* ---- normalisation of one segment (no special tokens inside) ---- */

static void canonical_order(int32_t *c, size_t n) {
  /* stable insertion sort of each run of non-starters by combining class (Unicode canonical ordering) */
  for (size_t i = 1; i < n; i++) {
    int cc = utf8proc_get_property(c[i])->combining_class;
    if (!cc) continue;
    size_t j = i;
    int32_t x = c[i];
    while (j > 0) {
      int pc = utf8proc_get_property(c[j - 1])->combining_class;
      if (pc <= cc) break;
      c[j] = c[j - 1];
      j--;
    }
    c[j] = x;
  }
}

static kp_status segment(const kp_wordpiece *wp, wp_scratch *s, const char *text, size_t len, kp_wp_buf *b) {
  if (!len) return KP_OK;
  /* 1. decode, clean, CJK spacing: at most 3 code points per input byte */
  if (!grow((void **)&s->a, &s->a_cap, 3 * len, sizeof *s->a)) return kp_fail(KP_ERR_NOMEM, "wordpiece: out of memory");
  int32_t *a = s->a;
  size_t n = 0, i = 0;
  bool ascii = true;
  const bool lower = wp->o.lowercase, cjk = wp->o.tokenize_chinese_chars;
  while (i < len) {
    unsigned char ch = (unsigned char)text[i];
    int32_t c;
    if (ch < 0x80) {
      c = ch;
      i++;
    } else {
      utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &c);
      if (k <= 0) { /* invalid UTF-8: U+FFFD, which clean text drops */
        i++;
        continue;
      }
      i += (size_t)k;
    }
    unsigned cl = kp_wp_class(c);
    if (cl & KP_WPC_DROP) continue;
    if (cl & KP_WPC_SPACE) {
      a[n++] = ' ';
    } else if (cjk && (cl & KP_WPC_CJK)) {
      a[n++] = ' ', a[n++] = c, a[n++] = ' ';
      ascii = false;
    } else {
      if (c >= 0x80) ascii = false;
      a[n++] = c;
    }
  }
  /* 2. strip accents: NFD, drop nonspacing marks */
  if (wp->strip && !ascii) {
    if (!grow((void **)&s->b, &s->b_cap, 4 * n + 8, sizeof *s->b)) return kp_fail(KP_ERR_NOMEM, "wordpiece: out of memory");
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
      if (a[j] < 0x80) {
        s->b[m++] = a[j];
        continue;
      }
      int bound = 0;
      for (;;) {
        utf8proc_ssize_t k = utf8proc_decompose_char(a[j], s->b + m, (utf8proc_ssize_t)(s->b_cap - m),
                                                     UTF8PROC_DECOMPOSE, &bound);
        if (k < 0) return kp_fail(KP_ERR_INTERNAL, "wordpiece: cannot decompose U+%04X", (unsigned)a[j]);
        if ((size_t)k <= s->b_cap - m) {
          m += (size_t)k;
          break;
        }
        if (!grow((void **)&s->b, &s->b_cap, m + (size_t)k + 4 * (n - j), sizeof *s->b))
          return kp_fail(KP_ERR_NOMEM, "wordpiece: out of memory");
      }
    }
    canonical_order(s->b, m);
    if (!grow((void **)&s->a, &s->a_cap, m + 8, sizeof *s->a)) return kp_fail(KP_ERR_NOMEM, "wordpiece: out of memory");
    a = s->a;
    n = 0;
    for (size_t j = 0; j < m; j++)
      if (s->b[j] < 0x80 || !(kp_wp_class(s->b[j]) & KP_WPC_MN)) a[n++] = s->b[j];
  }
  /* 3. lowercase (full mapping: U+0130 becomes i + U+0307) */
  if (lower) {
    if (ascii) {
      for (size_t j = 0; j < n; j++)
        if (a[j] >= 'A' && a[j] <= 'Z') a[j] += 32;
    } else {
      size_t extra = 0;
      for (size_t j = 0; j < n; j++) extra += a[j] == 0x130;
      if (extra) {
        if (!grow((void **)&s->a, &s->a_cap, n + extra, sizeof *s->a)) return kp_fail(KP_ERR_NOMEM, "wordpiece: out of memory");
        a = s->a;
        size_t total = extra;
        for (size_t j = n; j-- > 0 && extra;) { /* expand from the back */
          if (a[j] == 0x130) {
            a[j + extra] = 0x307;
            extra--;
            a[j + extra] = 'i';
          } else {
            a[j + extra] = a[j];
          }
        }
        n += total;
      }
      for (size_t j = 0; j < n; j++)
        a[j] = a[j] < 0x80 ? (a[j] >= 'A' && a[j] <= 'Z' ? a[j] + 32 : a[j]) : utf8proc_tolower(a[j]);
    }
  }
  /* 4. split on whitespace and punctuation; WordPiece each word */
  size_t ws = 0;
  for (size_t j = 0; j <= n; j++) {
    int32_t c = j < n ? a[j] : ' ';
    unsigned cl = c == ' ' ? KP_WPC_SPACE : kp_wp_class(c);
    if (cl & (KP_WPC_SPACE | KP_WPC_PUNCT)) {
      if (j > ws) KP_TRY(wordpiece_word(wp, s, a + ws, j - ws, b));
      if (cl & KP_WPC_PUNCT) KP_TRY(wordpiece_word(wp, s, a + j, 1, b));
      ws = j + 1;
    }
  }
  return KP_OK;
}

/* ---- special tokens in the raw text, then segments between them ---- */

static wp_scratch *scratch(kp_wp_buf *b) {
  if (!b->scratch_) b->scratch_ = calloc(1, sizeof(wp_scratch));
  return b->scratch_;
}

kp_status kp_wordpiece_tokenize(const kp_wordpiece *wp, const char *text, size_t len, kp_wp_buf *b) {
  wp_scratch *s = scratch(b);
  if (!s) return kp_fail(KP_ERR_NOMEM, "wordpiece: out of memory");
  size_t pos = 0, seg = 0;
  while (pos < len) {
    if (wp->special_first >= 0 && !memchr(text + pos, wp->special_first, len - pos)) break;
    /* leftmost occurrence of a special token, the longest one at that position */
    size_t best_at = len, best_len = 0;
    int best = -1;
    for (int k = 0; k < KP_WP_NSPECIAL; k++) {
      size_t L = wp->special_len[k];
      if (wp->special_id[k] < 0 || L > len - pos) continue;
      size_t end = best_at < len - L ? best_at + L : len; /* a match must start by best_at */
      const char *hit = memmem(text + pos, end - pos, wp->special[k], L);
      if (!hit) continue;
      size_t at = (size_t)(hit - text);
      if (at < best_at || (at == best_at && L > best_len)) best_at = at, best_len = L, best = k;
    }
    if (best < 0) break;
    KP_TRY(segment(wp, s, text + seg, best_at - seg, b));
    KP_TRY(push_id(b, wp->special_id[best]));
    pos = seg = best_at + best_len;
  }
  return segment(wp, s, text + seg, len - seg, b);
}

kp_status kp_wordpiece_encode(const kp_wordpiece *wp, const char *text, size_t len, int32_t max_len, kp_wp_buf *b) {
  if (max_len > 0 && max_len < 2)
    return kp_fail(KP_ERR_INVALID, "wordpiece: max_len %d leaves no room for [CLS] and [SEP]", (int)max_len);
  b->n = 0;
  KP_TRY(push_id(b, wp->special_id[1]));
  KP_TRY(kp_wordpiece_tokenize(wp, text, len, b));
  if (max_len > 0 && b->n > max_len - 1) b->n = max_len - 1;
  return push_id(b, wp->special_id[2]);
}
