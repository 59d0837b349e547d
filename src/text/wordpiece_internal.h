/* Shared between the WordPiece files: the tokenizer struct, per-thread scratch, and Hugging
 * Face's classes of a code point. */
#ifndef KPRCA_TEXT_WORDPIECE_INTERNAL_H
#define KPRCA_TEXT_WORDPIECE_INTERNAL_H
#include "kprca/wordpiece.h"

/* HF's view of a code point (bit set). */
enum {
  KP_WPC_DROP = 1,  /* removed by clean text: NUL, U+FFFD, Cc/Cf/Co/Cs except tab, LF, CR */
  KP_WPC_SPACE = 2, /* whitespace: becomes ' ' */
  KP_WPC_PUNCT = 4, /* split off as its own word */
  KP_WPC_CJK = 8,   /* CJK ideograph: spaces put around it */
  KP_WPC_MN = 16    /* nonspacing mark: dropped when stripping accents */
};

/** The class bits of code point c as Hugging Face tokenizers sees it. */
unsigned kp_wp_class(int32_t c);

#define KP_WP_NSPECIAL 5 /* unk, cls, sep, pad, mask */

struct kp_wordpiece {
  kp_vocab *vocab;
  kp_wordpiece_opts o;
  bool strip;                      /* strip accents in effect */
  char *special[KP_WP_NSPECIAL];   /* owned copies of the special strings */
  size_t special_len[KP_WP_NSPECIAL];
  int32_t special_id[KP_WP_NSPECIAL]; /* -1: not in the vocabulary (then not matched in text) */
  size_t max_word, max_cont;       /* longest vocabulary entries in bytes */
  int special_first;               /* the first byte all special tokens share, or -1 */
};

#endif
