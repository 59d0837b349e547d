/* The storage of an HDF5 dataset as the raw HDF5 API reports it: its filters and layout. */
#ifndef KPRCA_TESTS_UNIT_H5_FILTERS_UTIL_H
#define KPRCA_TESTS_UNIT_H5_FILTERS_UTIL_H
#include <hdf5.h>
#include <string>
#include <vector>

namespace kpt {

/* The filters of dataset name in file, in pipeline order; *layout gets its layout and *gzip_level (may be null)
 * the deflate level when it is compressed. */
inline std::vector<H5Z_filter_t> filters_of(const std::string &file, const char *name, H5D_layout_t *layout,
                                            unsigned *gzip_level = nullptr) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  hid_t p = H5Dget_create_plist(d);
  *layout = H5Pget_layout(p);
  std::vector<H5Z_filter_t> v;
  for (int i = 0; i < H5Pget_nfilters(p); i++) {
    unsigned flags, cd[8], cfg;
    size_t ncd = 8;
    char nm[64];
    H5Z_filter_t id = H5Pget_filter2(p, (unsigned)i, &flags, &ncd, cd, sizeof nm, nm, &cfg);
    if (id == H5Z_FILTER_DEFLATE && gzip_level && ncd > 0) *gzip_level = cd[0];
    v.push_back(id);
  }
  H5Pclose(p);
  H5Dclose(d);
  H5Fclose(f);
  return v;
}

}  // namespace kpt
#endif
