/* Line datasets ("kprca.lines" v1): validation, HDF5 load and atomic save. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "data/h5_internal.h"
#include "kprca/lines_data.h"

void kp_lines_data_free(kp_lines_data *d) {
  if (!d) return;
  kp_strings_free(&d->text);
  free(d->label);
  free(d->incident);
  free(d->split);
  kp_strings_free(&d->label_names);
  memset(d, 0, sizeof *d);
}

kp_status kp_lines_data_validate(const kp_lines_data *d, const char *where) {
  int64_t n = d->n;
  if (n < 0) return kp_fail(KP_ERR_INVALID, "%s: negative line count %" PRId64, where, n);
  if (d->text.n != n)
    return kp_fail(KP_ERR_FORMAT, "%s: dataset 'text' has %" PRId64 " entries, expected %" PRId64, where, d->text.n, n);
  if (n > 0 && (!d->label || !d->incident || !d->split || !d->text.s))
    return kp_fail(KP_ERR_FORMAT, "%s: text, label, incident and split are all required", where);
  KP_TRY(kp_check_label_names_(&d->label_names, where));
  int64_t C = d->label_names.n;
  for (int64_t i = 0; i < n; i++) {
    if (!d->text.s[i]) return kp_fail(KP_ERR_FORMAT, "%s: dataset 'text' [%" PRId64 "] is NULL", where, i);
    if (d->label[i] < 0 || d->label[i] >= C)
      return kp_fail(KP_ERR_FORMAT,
                     "%s: dataset 'label' [%" PRId64 "] = %d outside [0, %" PRId64 ") (labels/names has %" PRId64
                     " classes)",
                     where, i, d->label[i], C, C);
    if (d->incident[i] < -1)
      return kp_fail(KP_ERR_FORMAT, "%s: dataset 'incident' [%" PRId64 "] = %d, must be >= 0 or -1 (none)", where, i,
                     d->incident[i]);
    if (d->split[i] < 0 || d->split[i] > 2)
      return kp_fail(KP_ERR_FORMAT, "%s: dataset 'split' [%" PRId64 "] = %d, must be 0 (train), 1 (val) or 2 (test)",
                     where, i, d->split[i]);
  }
  return KP_OK;
}

#define PER_LINE "one per line of 'text'"

static kp_status load(kp_h5 *h, void *arg) {
  kp_lines_data *d = arg;
  KP_TRY(kp_h5_check_format(h, KP_LINES_FORMAT, KP_LINES_VERSION, NULL));
  KP_TRY(kp_h5_read_strings(h, "text", &d->text));
  d->n = d->text.n;
  KP_TRY(kp_h5_read_1d_(h, "label", KP_H5_I32, d->n, PER_LINE, (void **)&d->label, NULL));
  KP_TRY(kp_h5_read_1d_(h, "incident", KP_H5_I32, d->n, PER_LINE, (void **)&d->incident, NULL));
  KP_TRY(kp_h5_read_1d_(h, "split", KP_H5_I8, d->n, PER_LINE, (void **)&d->split, NULL));
  KP_TRY(kp_h5_read_strings(h, "labels/names", &d->label_names));
  return kp_lines_data_validate(d, kp_h5_path(h));
}

kp_status kp_lines_data_load(const char *path, kp_lines_data *d) {
  memset(d, 0, sizeof *d);
  kp_status s = kp_h5_load_with_(path, load, d);
  if (s != KP_OK) kp_lines_data_free(d);
  return s;
}

static kp_status save(kp_h5 *h, const void *arg) {
  const kp_lines_data *d = arg;
  int64_t n = d->n;
  KP_TRY(kp_h5_set_attr_str(h, "/", "format", KP_LINES_FORMAT));
  KP_TRY(kp_h5_set_attr_int(h, "/", "version", KP_LINES_VERSION));
  KP_TRY(kp_h5_write_strings(h, "text", n, (const char *const *)d->text.s));
  KP_TRY(kp_h5_write(h, "label", KP_H5_I32, 1, &n, d->label));
  KP_TRY(kp_h5_write(h, "incident", KP_H5_I32, 1, &n, d->incident));
  KP_TRY(kp_h5_write(h, "split", KP_H5_I8, 1, &n, d->split));
  return kp_h5_write_strings(h, "labels/names", d->label_names.n, (const char *const *)d->label_names.s);
}

kp_status kp_lines_data_save(const char *path, const kp_lines_data *d) {
  KP_TRY(kp_lines_data_validate(d, path));
  return kp_h5_save_with_(path, save, d);
}
