/* sci_h5: whole-dataset and scalar-attribute reads for the science checkers (see sci_h5.h).
 * Serial HDF5 calls on a parallel build: the default file access property list uses the sec2 driver, so the
 * checkers need no MPI_Init. Type conversion (uint8, int8, float32, int64 -> double) is HDF5's own. */
#include "sci_h5.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sci_read(sci_array *a, const char *file, const char *path) {
  a->v = NULL;
  a->rank = 0;
  a->count = 0;
  hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    fprintf(stderr, "cannot open %s\n", file);
    return 1;
  }
  int rc = 1;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
  int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
  if (rank < 0 || rank > SCI_MAX_RANK) {
    fprintf(stderr, "%s: no dataset %s (or rank > %d)\n", file, path, SCI_MAX_RANK);
  } else {
    hsize_t dims[SCI_MAX_RANK];
    H5Sget_simple_extent_dims(sp, dims, NULL);
    size_t n = 1;
    for (int k = 0; k < rank; k++) {
      a->dims[k] = (size_t)dims[k];
      n *= (size_t)dims[k];
    }
    a->rank = rank;
    a->count = n;
    a->v = malloc((n ? n : 1) * sizeof *a->v);
    if (!a->v) fprintf(stderr, "no memory for %s\n", path);
    else if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->v) < 0)
      fprintf(stderr, "%s: cannot read %s as double\n", file, path);
    else rc = 0;
  }
  if (sp >= 0) H5Sclose(sp);
  if (d >= 0) H5Dclose(d);
  H5Fclose(f);
  if (rc) sci_free(a);
  return rc;
}

void sci_free(sci_array *a) {
  free(a->v);
  a->v = NULL;
  a->count = 0;
}

int sci_read_attr(double *out, const char *file, const char *obj, const char *name) {
  hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    fprintf(stderr, "cannot open %s\n", file);
    return 1;
  }
  int rc = 1;
  hid_t at = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  if (at < 0) fprintf(stderr, "%s: no attribute %s on %s\n", file, name, obj);
  else if (H5Aread(at, H5T_NATIVE_DOUBLE, out) < 0) fprintf(stderr, "%s: attribute %s is not numeric\n", file, name);
  else rc = 0;
  if (at >= 0) H5Aclose(at);
  H5Fclose(f);
  return rc;
}

int sci_expect_shape(const sci_array *a, const char *what, int rank, const long *dims) {
  int ok = a->rank == rank;
  for (int k = 0; ok && k < rank; k++)
    if (dims[k] >= 0 && (size_t)dims[k] != a->dims[k]) ok = 0;
  if (!ok) {
    fprintf(stderr, "%s: shape (", what);
    for (int k = 0; k < a->rank; k++) fprintf(stderr, "%s%zu", k ? ", " : "", a->dims[k]);
    fprintf(stderr, "), expected rank %d (", rank);
    for (int k = 0; k < rank; k++) fprintf(stderr, "%s%ld", k ? ", " : "", dims[k]);
    fprintf(stderr, "; -1 = any)\n");
  }
  return ok ? 0 : 1;
}

int sci_choice_code(const char *file, const char *path, const char *word) {
  hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    fprintf(stderr, "cannot open %s\n", file);
    return -1;
  }
  int code = -1;
  hid_t at = H5Aopen_by_name(f, path, "choices", H5P_DEFAULT, H5P_DEFAULT);
  hid_t ft = at >= 0 ? H5Aget_type(at) : -1, sp = at >= 0 ? H5Aget_space(at) : -1;
  hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
  if (n <= 0 || ft < 0 || H5Tget_class(ft) != H5T_STRING) {
    fprintf(stderr, "%s: %s has no string attribute 'choices'\n", file, path);
  } else if (H5Tis_variable_str(ft) > 0) {
    char **s = calloc((size_t)n, sizeof *s);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft)); /* the store writes UTF-8; HDF5 will not convert ASCII <-> UTF-8 */
    if (s && H5Aread(at, mt, s) >= 0) {
      for (hssize_t k = 0; k < n; k++)
        if (code < 0 && s[k] && strcmp(s[k], word) == 0) code = (int)k;
      H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, s);
    }
    H5Tclose(mt);
    free(s);
  } else {
    size_t len = H5Tget_size(ft);
    char *s = calloc((size_t)n, len + 1);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, len + 1);
    H5Tset_cset(mt, H5Tget_cset(ft));
    if (s && H5Aread(at, mt, s) >= 0)
      for (hssize_t k = 0; k < n; k++)
        if (code < 0 && strcmp(s + (size_t)k * (len + 1), word) == 0) code = (int)k;
    H5Tclose(mt);
    free(s);
  }
  if (sp >= 0) H5Sclose(sp);
  if (ft >= 0) H5Tclose(ft);
  if (at >= 0) H5Aclose(at);
  H5Fclose(f);
  if (code < 0) fprintf(stderr, "%s: '%s' is not among the choices of %s\n", file, word, path);
  return code;
}
