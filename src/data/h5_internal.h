/* Shared internals of src/data/h5*.c (not public). */
#ifndef KPRCA_DATA_H5_INTERNAL_H
#define KPRCA_DATA_H5_INTERNAL_H
#include <hdf5.h>
#include <stddef.h>
#include "kprca/h5.h"

/** Turns off HDF5's printing of error stacks (we translate them). */
void kp_h5_quiet_(void);
/** Records "<file>: dataset '<name>': <what>: <HDF5's reason>" (name may be NULL), clears HDF5's stack, returns s. */
kp_status kp_h5_fail_(kp_status s, const kp_h5 *h, const char *name, const char *what);
/** The HDF5 file id. */
hid_t kp_h5_file_(const kp_h5 *h);
/** The gzip level of numeric datasets written next (0: no filters). */
int kp_h5_gzip_(const kp_h5 *h);
/** True when numeric datasets written next get the Fletcher-32 filter. */
bool kp_h5_checksum_(const kp_h5 *h);
/** True for a file being written. */
bool kp_h5_writing_(const kp_h5 *h);
/** The HDF5 file (little-endian) type of element type t; -1 for an unknown t. */
hid_t kp_h5_file_type_(kp_h5_type t);
/** The HDF5 native memory type of element type t; -1 for an unknown t. */
hid_t kp_h5_mem_type_(kp_h5_type t);
/** Reads the one string of a string attribute (attr true: obj is an attribute) or scalar string dataset obj of
 *  file type ft, variable or fixed length (space padding trimmed), into a new malloc'd UTF-8-repaired string *out.
 *  Errors name dataset name (NULL: none); a failed read says what. */
kp_status kp_h5_read_one_string_(kp_h5 *h, hid_t obj, bool attr, hid_t ft, const char *name, const char *what,
                                 char **out);
/** A new variable-length UTF-8 C-string type (caller closes). */
hid_t kp_h5_vlen_utf8_(void);
/** Opens path for reading, runs load(h, arg) and closes the file; returns the first failure. */
kp_status kp_h5_load_with_(const char *path, kp_status (*load)(kp_h5 *h, void *arg), void *arg);
/** Writes path atomically: creates it, runs save(h, arg), then commits, or removes the temporary file when
 *  save fails. */
kp_status kp_h5_save_with_(const char *path, kp_status (*save)(kp_h5 *h, const void *arg), const void *arg);
/** Reads 1-D dataset name of type t into *out (caller frees): n >= 0 entries, or else a failure saying
 *  "expected n (why)" with *out NULL; n < 0 takes any length. *len (may be NULL) receives the length. */
kp_status kp_h5_read_1d_(kp_h5 *h, const char *name, kp_h5_type t, int64_t n, const char *why, void **out,
                         int64_t *len);
/** Builds out from n strings p[i] of len[i] bytes (len NULL: NUL-terminated; p[i] NULL: ""), in one block;
 *  repair: invalid UTF-8 and NUL bytes become U+FFFD. */
kp_status kp_strings_build_(kp_strings *out, int64_t n, const char *const *p, const size_t *len, bool repair);
/** Class names of a dataset: at least one, none empty, all distinct; errors begin with where. */
kp_status kp_check_label_names_(const kp_strings *names, const char *where);

#endif
