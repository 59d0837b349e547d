/* BERT WordPiece tokenization with the semantics of Hugging Face's BertTokenizerFast (the
 * `tokenizers` BertNormalizer + BertPreTokenizer + WordPiece), checked id for id against it:
 *   1. special tokens ([CLS], [SEP], [PAD], [MASK], [UNK]) written in the raw text are kept whole;
 *   2. clean text: drop NUL, U+FFFD and control characters (categories Cc, Cf, Co, Cs; not tab, LF,
 *      CR), other whitespace becomes a space;
 *   3. spaces around CJK ideographs; 4. strip accents (NFD, drop Mn); 5. lowercase;
 *   6. split on whitespace and punctuation (Unicode P* and every ASCII symbol);
 *   7. WordPiece: greedy longest match first, "##" continuations, words over
 *      max_input_chars_per_word characters (or with no match) become [UNK].
 * Invalid UTF-8 bytes count as U+FFFD and are therefore dropped, as HF drops the U+FFFD that
 * decoding with errors="replace" puts there. Unicode data comes from utf8proc; where HF's older
 * Unicode tables disagree with it, a small table generated from HF (wordpiece_unicode.c) wins.
 * A kp_wordpiece is immutable: share it between threads, give each thread its own kp_wp_buf. */
#ifndef KPRCA_WORDPIECE_H
#define KPRCA_WORDPIECE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kprca/status.h"
#include "kprca/vocab.h"
#ifdef __cplusplus
extern "C" {
#endif

/* strip_accents as Hugging Face defines it: unset follows lowercase. */
typedef enum kp_strip_accents { KP_STRIP_DEFAULT = -1, KP_STRIP_OFF = 0, KP_STRIP_ON = 1 } kp_strip_accents;

typedef struct kp_wordpiece_opts {
  bool lowercase;                 /* do_lower_case (default true) */
  kp_strip_accents strip_accents; /* default KP_STRIP_DEFAULT */
  bool tokenize_chinese_chars;    /* default true */
  int max_input_chars_per_word;   /* default 100 */
  /* Special token strings (default "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"); NULL = default. */
  const char *unk, *cls, *sep, *pad, *mask;
} kp_wordpiece_opts;

typedef struct kp_wordpiece kp_wordpiece;

/* Token ids of one line plus reusable scratch memory; one per thread. Zero-initialise. */
typedef struct kp_wp_buf {
  int32_t *ids;
  int64_t n, cap;
  void *scratch_;
} kp_wp_buf;

/* Ids of many lines, back to back: line i is ids[offsets[i] .. offsets[i+1]), lengths[i] tokens. */
typedef struct kp_wp_batch {
  int64_t n;
  int64_t *offsets; /* n + 1 */
  int32_t *lengths; /* n */
  int32_t *ids;
  int32_t max_length; /* longest line */
} kp_wp_batch;

/** The defaults of BertTokenizer(Fast): lowercase, strip accents following it, CJK splitting, 100. */
kp_wordpiece_opts kp_wordpiece_default_opts(void);
/** Makes a tokenizer over vocab (ownership passes to it, also on failure). Fails with KP_ERR_FORMAT
 *  naming the vocabulary file when a special token ([UNK], [CLS], [SEP], [PAD]) is missing. */
kp_status kp_wordpiece_create(kp_vocab *vocab, const kp_wordpiece_opts *opts, kp_wordpiece **out);
/** Reads vocab.txt and opts (NULL = defaults) into a tokenizer. */
kp_status kp_wordpiece_load(const char *vocab_path, const kp_wordpiece_opts *opts, kp_wordpiece **out);
/** Reads a Hugging Face model directory: vocab.txt plus tokenizer_config.json when present
 *  (do_lower_case, strip_accents, tokenize_chinese_chars, special token strings). */
kp_status kp_wordpiece_load_dir(const char *dir, kp_wordpiece **out);
/** Frees wp and its vocabulary; NULL is fine. */
void kp_wordpiece_free(kp_wordpiece *wp);
/** The vocabulary. */
const kp_vocab *kp_wordpiece_vocab(const kp_wordpiece *wp);
/** The options in effect (special token strings point into wp). */
kp_wordpiece_opts kp_wordpiece_get_opts(const kp_wordpiece *wp);
/** Ids of the special tokens (mask is -1 when the vocabulary lacks it). */
void kp_wordpiece_special_ids(const kp_wordpiece *wp, int32_t *unk, int32_t *cls, int32_t *sep, int32_t *pad,
                              int32_t *mask);

/** Frees a buffer's memory and zeroes it. */
void kp_wp_buf_free(kp_wp_buf *b);
/** Appends the WordPiece ids of len bytes of text to b (no [CLS]/[SEP], no truncation). */
kp_status kp_wordpiece_tokenize(const kp_wordpiece *wp, const char *text, size_t len, kp_wp_buf *b);
/** Replaces b's ids with [CLS] ids [SEP]; max_len > 0 keeps the first max_len - 2 WordPiece ids
 *  (HF truncation of a single sequence); max_len must then be at least 2. */
kp_status kp_wordpiece_encode(const kp_wordpiece *wp, const char *text, size_t len, int32_t max_len, kp_wp_buf *b);

/** Encodes n NUL-terminated lines as kp_wordpiece_encode does, into out (freed first), using up to
 *  threads OpenMP threads (<= 0: OpenMP's default); the result does not depend on threads. */
kp_status kp_wordpiece_encode_batch(const kp_wordpiece *wp, int64_t n, const char *const *lines, int32_t max_len,
                                    int threads, kp_wp_batch *out);
/** Frees a batch and zeroes it. */
void kp_wp_batch_free(kp_wp_batch *b);
/** Lays out lines rows[0..nrows) of b as a [nrows, width] block for the encoder: ids padded with
 *  [PAD], attention mask 1/0, token type ids 0 (any output may be NULL). width must be at least
 *  the longest of those lines (dynamic padding: pass that longest length). */
kp_status kp_wp_batch_pad(const kp_wordpiece *wp, const kp_wp_batch *b, int64_t nrows, const int64_t *rows,
                          int32_t width, int32_t *ids, int32_t *attention_mask, int32_t *token_type_ids);

#ifdef __cplusplus
}
#endif
#endif
