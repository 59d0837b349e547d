/* Helpers for the HDF5 dataset tests (the scratch folder kpt::TmpDir is in testutil.h): small
 * wrappers that write datasets and attributes (through kprca's kp_h5 API, which does not validate
 * contents, so tests can write deliberately broken files). */
#ifndef KPRCA_TESTS_H5UTIL_H
#define KPRCA_TESTS_H5UTIL_H
#include <gtest/gtest.h>
#include <hdf5.h>
#include <cstdlib>
#include <string>
#include <vector>
#include "kprca/h5.h"
#include "testutil.h"

namespace kpt {

template <class T>
inline kp_h5_type h5_type_of();
template <>
inline kp_h5_type h5_type_of<float>() {
  return KP_H5_F32;
}
template <>
inline kp_h5_type h5_type_of<int32_t>() {
  return KP_H5_I32;
}
template <>
inline kp_h5_type h5_type_of<int64_t>() {
  return KP_H5_I64;
}
template <>
inline kp_h5_type h5_type_of<int8_t>() {
  return KP_H5_I8;
}

/* Writes a 1-D dataset of v. */
template <class T>
inline kp_status h5_put(kp_h5 *h, const char *name, const std::vector<T> &v) {
  int64_t n = (int64_t)v.size();
  return kp_h5_write(h, name, h5_type_of<T>(), 1, &n, v.data());
}

/* Writes a 2-D dataset of rows x cols values. */
template <class T>
inline kp_status h5_put2(kp_h5 *h, const char *name, int64_t rows, int64_t cols, const std::vector<T> &v) {
  int64_t s[2] = {rows, cols};
  return kp_h5_write(h, name, h5_type_of<T>(), 2, s, v.data());
}

inline kp_status h5_put_strings(kp_h5 *h, const char *name, const std::vector<std::string> &v) {
  std::vector<const char *> p;
  for (auto &s : v) p.push_back(s.c_str());
  return kp_h5_write_strings(h, name, (int64_t)p.size(), p.data());
}

/* Reads a 1-D dataset as T. */
template <class T>
inline std::vector<T> h5_get(kp_h5 *h, const char *name) {
  int64_t n;
  void *d = nullptr;
  kp_status s = kp_h5_read(h, name, h5_type_of<T>(), 1, &n, &d);
  if (s != KP_OK) throw std::runtime_error(kp_last_error());
  std::vector<T> v((T *)d, (T *)d + n);
  free(d);
  return v;
}

inline std::vector<std::string> h5_get_strings(kp_h5 *h, const char *name) {
  kp_strings s{};
  if (kp_h5_read_strings(h, name, &s) != KP_OK) throw std::runtime_error(kp_last_error());
  std::vector<std::string> v(s.s, s.s + s.n);
  kp_strings_free(&s);
  return v;
}

/* True when the message holds every one of the given parts. */
inline ::testing::AssertionResult msg_has(const std::vector<std::string> &parts) {
  std::string m = kp_last_error();
  for (auto &p : parts)
    if (m.find(p) == std::string::npos)
      return ::testing::AssertionFailure() << "message \"" << m << "\" lacks \"" << p << "\"";
  return ::testing::AssertionSuccess();
}

}  // namespace kpt
#endif
