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
/** A new variable-length UTF-8 C-string type (caller closes). */
hid_t kp_h5_vlen_utf8_(void);
/** Builds out from n strings p[i] of len[i] bytes (len NULL: NUL-terminated; p[i] NULL: ""), in one block;
 *  repair: invalid UTF-8 and NUL bytes become U+FFFD. */
kp_status kp_strings_build_(kp_strings *out, int64_t n, const char *const *p, const size_t *len, bool repair);
/** Class names of a dataset: at least one, none empty, all distinct; errors begin with where. */
kp_status kp_check_label_names_(const kp_strings *names, const char *where);

#endif
