/* TensorBoard event files written natively: TFRecord framing (length, masked CRC32C of the
 * length, data, masked CRC32C of the data) around hand-encoded Event protobufs holding scalar
 * summaries, in a file named events.out.tfevents.<unix time>.<hostname> as TensorBoard names
 * them, so `tensorboard --logdir` shows the curves. Format notes: docs/tensorboard.md. */
#ifndef KPRCA_TFEVENTS_H
#define KPRCA_TFEVENTS_H
#include <stddef.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_tb_writer kp_tb_writer;

/** Creates dir (and its parents) when missing, a new event file in it and its first event
 *  (file_version "brain.Event:2"); never overwrites an existing file. */
kp_status kp_tb_open(const char *dir, kp_tb_writer **out);
/** Appends one scalar event (tag, step, value as float, wall time now); buffered until kp_tb_flush. */
kp_status kp_tb_scalar(kp_tb_writer *w, const char *tag, int64_t step, double value);
/** Pushes buffered events to the file (call after each epoch's scalars); KP_ERR_IO when a write failed. */
kp_status kp_tb_flush(kp_tb_writer *w);
/** Flushes, closes and frees w; KP_ERR_IO when a write failed. NULL is ignored. */
kp_status kp_tb_close(kp_tb_writer *w);
/** The path of w's event file. */
const char *kp_tb_path(const kp_tb_writer *w);

/* ---- The encoding underneath (exposed for tests and other writers). ---- */

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of n bytes; "123456789" gives 0xE3069283. */
uint32_t kp_crc32c(const void *data, size_t n);
/** TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8 of kp_crc32c(data, n). */
uint32_t kp_crc32c_masked(const void *data, size_t n);
/** Frames n bytes of data as one TFRecord into out (n + 16 bytes, little-endian); returns n + 16. */
size_t kp_tfrecord_frame(const uint8_t *data, size_t n, uint8_t *out);
/** Encodes an Event {wall_time, step, summary {value {tag, simple_value}}} into buf; returns its
 *  length, or 0 when it needs more than cap bytes (or tag is NULL/empty). */
size_t kp_tb_encode_scalar(double wall_time, int64_t step, const char *tag, float value, uint8_t *buf, size_t cap);
/** Encodes the first Event {wall_time, file_version "brain.Event:2"} into buf (cap >= 32); returns its length. */
size_t kp_tb_encode_version(double wall_time, uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
