/* A WordPiece vocabulary read from a BERT vocab.txt: one token per line, the id is the line's
 * index (0-based). Lookups go through an open-addressing hash table; tokens that begin with "##"
 * (word continuations) are also indexed without the prefix so WordPiece can look up a piece
 * without building the "##" string. Immutable once loaded, so safe to share between threads. */
#ifndef KPRCA_VOCAB_H
#define KPRCA_VOCAB_H
#include <stddef.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_vocab kp_vocab;

/** Reads vocab.txt at path. Trailing whitespace of each line (LF, CRLF, spaces) is not part of the
 *  token (as Hugging Face tokenizers reads it); a token seen twice keeps the id of its last line.
 *  Fails with KP_ERR_IO (missing or unreadable) or KP_ERR_FORMAT (empty file, NUL byte). */
kp_status kp_vocab_load(const char *path, kp_vocab **out);
/** Builds a vocabulary from n tokens in id order (for tests and tools). */
kp_status kp_vocab_from_tokens(int32_t n, const char *const *tokens, kp_vocab **out);
/** Frees v; NULL is fine. */
void kp_vocab_free(kp_vocab *v);
/** Number of ids (lines of vocab.txt). */
int32_t kp_vocab_size(const kp_vocab *v);
/** The id of the token given by len bytes at tok, or -1 when it is not in the vocabulary. */
int32_t kp_vocab_id(const kp_vocab *v, const char *tok, size_t len);
/** The id of the continuation token "##" + len bytes at piece, or -1. */
int32_t kp_vocab_cont_id(const kp_vocab *v, const char *piece, size_t len);
/** The token string of id (NUL-terminated), or NULL when id is out of range. */
const char *kp_vocab_token(const kp_vocab *v, int32_t id);
/** The longest token in bytes (max_cont: the longest continuation piece, "##" not counted). */
void kp_vocab_max_len(const kp_vocab *v, size_t *max_word, size_t *max_cont);
/** The path it was read from ("" when built from a list), for messages. */
const char *kp_vocab_path(const kp_vocab *v);

#ifdef __cplusplus
}
#endif
#endif
