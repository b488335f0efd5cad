/* h5: the small HDF5 helpers of the store (attributes at creation, contiguous datasets, row writes).
 * Invariant: datasets are contiguous, allocated early at full size with their fill values, so later writes change
 * raw data only and a SIGKILL never leaves dirty metadata behind. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/space.h"
#include "store_internal.h"

/* "HDF5 failed to <what>", or a full disk named as such (space.c). */
tms_status store_h5fail(tms_error *err, const char *path, const char *what) {
  return tms_space_fail(err, path, what);
}

static hid_t vlen_str_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

int store_attr_write(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank, const hsize_t *dims,
                     const void *buf) {
  hid_t sp = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
  hid_t a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
  int rc = (sp < 0 || a < 0 || H5Awrite(a, mtype, buf) < 0) ? -1 : 0;
  if (a >= 0) H5Aclose(a);
  if (sp >= 0) H5Sclose(sp);
  return rc;
}

int store_attr_str(hid_t loc, const char *name, const char *s) {
  hid_t t = vlen_str_type();
  const char *p = s ? s : "";
  int rc = store_attr_write(loc, name, t, t, 0, NULL, &p);
  H5Tclose(t);
  return rc;
}

int store_attr_strs(hid_t loc, const char *name, const char *const *s, size_t n) {
  hid_t t = vlen_str_type();
  hsize_t d = n;
  int rc = store_attr_write(loc, name, t, t, 1, &d, s);
  H5Tclose(t);
  return rc;
}

int store_attr_i64(hid_t loc, const char *name, int64_t v) {
  return store_attr_write(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 0, NULL, &v);
}

int store_attr_u64(hid_t loc, const char *name, uint64_t v) {
  return store_attr_write(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, NULL, &v);
}

int store_attr_read_str(hid_t loc, const char *name, char *buf, size_t size) {
  buf[0] = 0;
  if (H5Aexists(loc, name) <= 0) return -1;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0) return -1;
  hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
  int rc = -1;
  /* one string only: the reads below have room for one (a damaged file may hold an array there) */
  hssize_t npoints = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
  if (sp >= 0) H5Sclose(sp);
  if (npoints == 1 && H5Tget_class(ft) == H5T_STRING) {
    if (H5Tis_variable_str(ft) > 0) {
      hid_t t = vlen_str_type();
      char *p = NULL;
      if (H5Aread(a, t, &p) >= 0 && p) {
        snprintf(buf, size, "%s", p);
        H5free_memory(p);
        rc = 0;
      }
      H5Tclose(t);
    } else {
      size_t n = H5Tget_size(ft);
      char *tmp = calloc(n + 1, 1);
      hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, n + 1);
      if (tmp && H5Aread(a, t, tmp) >= 0) {
        snprintf(buf, size, "%s", tmp);
        rc = 0;
      }
      H5Tclose(t);
      free(tmp);
    }
  }
  H5Tclose(ft);
  H5Aclose(a);
  return rc;
}

hid_t store_dataset_create(hid_t file, const char *name, hid_t ftype, int rank, const hsize_t *dims, hid_t fill_mtype,
                           const void *fill) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  hid_t d = -1;
  if (sp >= 0 && dcpl >= 0 && lcpl >= 0 && H5Pset_layout(dcpl, H5D_CONTIGUOUS) >= 0 &&
      H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0 && H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) >= 0 &&
      (fill == NULL || H5Pset_fill_value(dcpl, fill_mtype, fill) >= 0) &&
      H5Pset_create_intermediate_group(lcpl, 1) >= 0)
    d = H5Dcreate2(file, name, ftype, sp, lcpl, dcpl, H5P_DEFAULT);
  if (lcpl >= 0) H5Pclose(lcpl);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (sp >= 0) H5Sclose(sp);
  return d;
}

/* Selects the points [a, a + len) (C order over the grid of e) with all their trailing elements in fs: the range is
 * cut into at most 2 x rank rectangular blocks, each the largest aligned block that starts where the last one ended. */
static int select_range(hid_t fs, const tms_schema_extent *e, int rank, const hsize_t *dims, size_t a, size_t len) {
  const int r = e->rank;
  int first = 1;
  while (len > 0) {
    hsize_t start[TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL], count[TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL];
    size_t rest = a;
    for (int k = r - 1; k >= 0; k--) {
      start[k] = rest % e->dims[k];
      rest /= e->dims[k];
      count[k] = 1;
    }
    /* The outermost grid dim j whose sub-blocks (stride = points of the dims after j) a is aligned to and len
     * holds at least one of. */
    int j = r - 1;
    size_t stride = 1;
    for (;;) {
      size_t up = stride * e->dims[j];
      if (j == 0 || a % up != 0 || len < up) break;
      stride = up;
      j--;
    }
    size_t c = len / stride, room = e->dims[j] - (size_t)start[j];
    if (c > room) c = room;
    count[j] = c;
    for (int k = j + 1; k < r; k++) count[k] = e->dims[k]; /* aligned: start[k] is 0 */
    for (int k = r; k < rank; k++) {
      start[k] = 0;
      count[k] = dims[k];
    }
    if (H5Sselect_hyperslab(fs, first ? H5S_SELECT_SET : H5S_SELECT_OR, start, NULL, count, NULL) < 0) return -1;
    first = 0;
    a += c * stride;
    len -= c * stride;
  }
  return 0;
}

int store_run_io(hid_t d, const tms_schema_extent *e, hid_t mtype, size_t a, size_t len, void *buf, int write) {
  if (len == 0) return 0;
  hid_t fs = H5Dget_space(d);
  if (fs < 0) return -1;
  hsize_t dims[TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL];
  int rank = H5Sget_simple_extent_ndims(fs);
  int rc = -1;
  if (rank >= e->rank && rank <= TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL) {
    H5Sget_simple_extent_dims(fs, dims, NULL);
    hsize_t n = len;
    for (int k = e->rank; k < rank; k++) n *= dims[k];
    hid_t ms = H5Screate_simple(1, &n, NULL);
    if (ms >= 0 && select_range(fs, e, rank, dims, a, len) == 0 &&
        (write ? H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, buf) : H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf)) >= 0)
      rc = 0;
    if (ms >= 0) H5Sclose(ms);
  }
  H5Sclose(fs);
  return rc;
}

int store_write_all(hid_t d, hid_t mtype, const void *buf) {
  return H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
}

hid_t store_open_fapl(void) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return -1;
  int mpi = 0;
  MPI_Initialized(&mpi);
  if (!mpi) return fapl; /* tms-sweep train: no MPI, HDF5's serial (sec2) driver */
  /* MPI_COMM_SELF: the root alone writes; a flush must not wait for workers that are training. */
  if (H5Pset_fapl_mpio(fapl, MPI_COMM_SELF, MPI_INFO_NULL) < 0) {
    H5Pclose(fapl);
    return -1;
  }
  return fapl;
}
