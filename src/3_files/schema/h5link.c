/* h5link: whether a path exists in an open HDF5 file, for every module of the files layer (schema_h5.h).
 * H5Lexists fails (instead of answering 0) when an intermediate group is missing, so paths are tested link by
 * link, with HDF5's error stack silenced. Absolute ("/results/W") and relative ("results/W") paths both work. */
#include <string.h>

#include "schema/schema_h5.h"

int tms_schema_h5_exists(hid_t loc, const char *path) {
  char buf[1024];
  size_t len = strlen(path);
  if (len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char saved = buf[i];
    buf[i] = '\0';
    htri_t ok = 1;
    if (strcmp(buf, "/") != 0) {
      H5E_BEGIN_TRY { ok = H5Lexists(loc, buf, H5P_DEFAULT); }
      H5E_END_TRY;
    }
    buf[i] = saved;
    if (ok <= 0) return 0;
  }
  return 1;
}

int tms_schema_h5_dataset_at(hid_t loc, const char *path) {
  if (!tms_schema_h5_exists(loc, path)) return 0;
  H5O_info_t oi;
  herr_t rc = -1;
  H5E_BEGIN_TRY { rc = H5Oget_info_by_name(loc, path, &oi, H5P_DEFAULT); }
  H5E_END_TRY;
  return rc >= 0 && oi.type == H5O_TYPE_DATASET ? 1 : 2;
}
