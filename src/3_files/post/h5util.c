/* h5util: HDF5 helpers of the post module (see post_h5.h). Serial calls on default property lists: the library is
 * a parallel build, but without an MPI-IO file access list it never touches MPI, so tms-post needs no MPI_Init.
 * Strings are written as variable-length UTF-8 (h5py reads them as str); either kind is read. */
#define _POSIX_C_SOURCE 200809L /* strdup, access, gmtime_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "post_h5.h"

tms_status post_h5_shape(hid_t file, const char *path, int *rank, hsize_t *dims, tms_error *err) {
  hid_t d = H5I_INVALID_HID;
  H5E_BEGIN_TRY { d = H5Dopen2(file, path, H5P_DEFAULT); }
  H5E_END_TRY;
  if (d < 0) return tms_error_set(err, TMS_ERR_MISSING, NULL, 0, 0, path, "no dataset %s", path);
  hid_t s = H5Dget_space(d);
  int r = H5Sget_simple_extent_ndims(s);
  if (r > 32) r = -1;
  if (r >= 0) H5Sget_simple_extent_dims(s, dims, NULL);
  H5Sclose(s);
  H5Dclose(d);
  if (r < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot read the shape of %s", path);
  *rank = r;
  return TMS_OK;
}

int post_h5_attr_exists(hid_t obj, const char *name) {
  htri_t ok = 0;
  H5E_BEGIN_TRY { ok = H5Aexists(obj, name); }
  H5E_END_TRY;
  return ok > 0;
}

tms_status post_h5_read(hid_t file, const char *path, hid_t memtype, void *buf, size_t count, tms_error *err) {
  hid_t d = H5I_INVALID_HID;
  H5E_BEGIN_TRY { d = H5Dopen2(file, path, H5P_DEFAULT); }
  H5E_END_TRY;
  if (d < 0) return tms_error_set(err, TMS_ERR_MISSING, NULL, 0, 0, path, "no dataset %s", path);
  hid_t s = H5Dget_space(d);
  hssize_t npoints = H5Sget_simple_extent_npoints(s);
  H5Sclose(s);
  if (npoints < 0 || (size_t)npoints != count) {
    H5Dclose(d);
    return tms_error_set(err, TMS_ERR_SCHEMA, NULL, 0, 0, path, "%s has %lld elements, expected %zu", path,
                         (long long)npoints, count);
  }
  herr_t rc = -1;
  H5E_BEGIN_TRY { rc = H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); }
  H5E_END_TRY;
  H5Dclose(d);
  if (rc < 0)
    return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot read %s (unexpected datatype?)", path);
  return TMS_OK;
}

void post_free_strings(char **s, size_t count) {
  if (!s) return;
  for (size_t i = 0; i < count; i++) free(s[i]);
  free(s);
}

tms_status post_h5_read_strings(hid_t obj, int is_attr, const char *what, char ***out, size_t *count,
                                tms_error *err) {
  *out = NULL;
  *count = 0;
  hid_t ftype = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
  hid_t space = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
  if (ftype < 0 || space < 0) {
    if (ftype >= 0) H5Tclose(ftype);
    if (space >= 0) H5Sclose(space);
    return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, what, "cannot inspect %s", what);
  }
  if (H5Tget_class(ftype) != H5T_STRING) {
    H5Tclose(ftype);
    H5Sclose(space);
    return tms_error_set(err, TMS_ERR_SCHEMA, NULL, 0, 0, what, "%s is not a string", what);
  }
  size_t n = (size_t)H5Sget_simple_extent_npoints(space);
  char **res = calloc(n ? n : 1, sizeof *res);
  tms_status st = res ? TMS_OK : TMS_ERR_NOMEM;
  hid_t mt = H5Tcopy(H5T_C_S1);
  herr_t rc = -1;
  if (st == TMS_OK && H5Tis_variable_str(ftype) > 0) {
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ftype));
    char **tmp = calloc(n ? n : 1, sizeof *tmp);
    if (!tmp) {
      st = TMS_ERR_NOMEM;
    } else {
      H5E_BEGIN_TRY { rc = is_attr ? H5Aread(obj, mt, tmp) : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp); }
      H5E_END_TRY;
      if (rc >= 0) {
        for (size_t i = 0; i < n && st == TMS_OK; i++)
          if (!(res[i] = strdup(tmp[i] ? tmp[i] : ""))) st = TMS_ERR_NOMEM;
        H5Dvlen_reclaim(mt, space, H5P_DEFAULT, tmp);
      }
      free(tmp);
    }
  } else if (st == TMS_OK) {
    size_t len = H5Tget_size(ftype);
    H5Tset_size(mt, len + 1);
    H5Tset_strpad(mt, H5T_STR_NULLTERM);
    H5Tset_cset(mt, H5Tget_cset(ftype));
    char *tmp = calloc(n ? n : 1, len + 1);
    if (!tmp) {
      st = TMS_ERR_NOMEM;
    } else {
      H5E_BEGIN_TRY { rc = is_attr ? H5Aread(obj, mt, tmp) : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp); }
      H5E_END_TRY;
      if (rc >= 0)
        for (size_t i = 0; i < n && st == TMS_OK; i++) {
          if (!(res[i] = malloc(len + 1))) st = TMS_ERR_NOMEM;
          else {
            memcpy(res[i], tmp + i * (len + 1), len);
            res[i][len] = '\0';
          }
        }
      free(tmp);
    }
  }
  H5Tclose(mt);
  H5Tclose(ftype);
  H5Sclose(space);
  if (st == TMS_OK && rc < 0) st = TMS_ERR_HDF5;
  if (st != TMS_OK) {
    post_free_strings(res, n);
    return tms_error_set(err, st, NULL, 0, 0, what, "cannot read the strings of %s", what);
  }
  *out = res;
  *count = n;
  return TMS_OK;
}

tms_status post_h5_attr_strings(hid_t obj, const char *name, char ***out, size_t *count, tms_error *err) {
  if (!post_h5_attr_exists(obj, name))
    return tms_error_set(err, TMS_ERR_MISSING, NULL, 0, 0, name, "no attribute '%s'", name);
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, name, "cannot open attribute '%s'", name);
  tms_status st = post_h5_read_strings(a, 1, name, out, count, err);
  H5Aclose(a);
  return st;
}

tms_status post_h5_attr_text(hid_t obj, const char *name, char *buf, size_t size, tms_error *err) {
  char **s = NULL;
  size_t n = 0;
  tms_status st = post_h5_attr_strings(obj, name, &s, &n, err);
  if (st != TMS_OK) return st;
  snprintf(buf, size, "%s", n ? s[0] : "");
  post_free_strings(s, n);
  return TMS_OK;
}

tms_status post_h5_create(const char *path, int force, hid_t *file, tms_error *err) {
  if (!force && access(path, F_OK) == 0)
    return tms_error_set(err, TMS_ERR_EXISTS, path, 0, 0, NULL, "output file exists (use --force to overwrite)");
  hid_t f = H5I_INVALID_HID;
  H5E_BEGIN_TRY { f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); }
  H5E_END_TRY;
  if (f < 0) return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot create the HDF5 file");
  *file = f;
  return TMS_OK;
}

tms_status post_h5_write(hid_t file, const char *path, hid_t memtype, int rank, const hsize_t *dims, const void *buf,
                         tms_error *err) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5I_INVALID_HID;
  herr_t rc = -1;
  H5E_BEGIN_TRY {
    d = H5Dcreate2(file, path, memtype, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0) rc = H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  }
  H5E_END_TRY;
  if (d >= 0) H5Dclose(d);
  H5Sclose(space);
  H5Pclose(lcpl);
  if (rc < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot write dataset %s", path);
  return TMS_OK;
}

static hid_t vlen_string_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

static tms_status write_attr(hid_t obj, const char *name, hid_t type, hid_t space, const void *buf,
                             tms_error *err) {
  hid_t a = H5I_INVALID_HID;
  herr_t rc = -1;
  H5E_BEGIN_TRY {
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) rc = H5Awrite(a, type, buf);
  }
  H5E_END_TRY;
  if (a >= 0) H5Aclose(a);
  H5Sclose(space);
  if (rc < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, name, "cannot write attribute '%s'", name);
  return TMS_OK;
}

tms_status post_h5_write_attr_text(hid_t obj, const char *name, const char *text, tms_error *err) {
  hid_t t = vlen_string_type();
  tms_status st = write_attr(obj, name, t, H5Screate(H5S_SCALAR), &text, err);
  H5Tclose(t);
  return st;
}

tms_status post_h5_write_attr_texts(hid_t obj, const char *name, const char *const *texts, size_t count,
                                    tms_error *err) {
  hid_t t = vlen_string_type();
  hsize_t dim = count;
  tms_status st = write_attr(obj, name, t, H5Screate_simple(1, &dim, NULL), texts, err);
  H5Tclose(t);
  return st;
}

tms_status post_h5_write_attr_i64s(hid_t obj, const char *name, const int64_t *v, size_t count, tms_error *err) {
  hsize_t dim = count;
  return write_attr(obj, name, H5T_NATIVE_INT64, H5Screate_simple(1, &dim, NULL), v, err);
}

tms_status post_h5_write_attr_i64(hid_t obj, const char *name, int64_t v, tms_error *err) {
  return write_attr(obj, name, H5T_NATIVE_INT64, H5Screate(H5S_SCALAR), &v, err);
}

tms_status post_h5_write_attr_doubles(hid_t obj, const char *name, const double *v, size_t count, tms_error *err) {
  hsize_t dim = count;
  return write_attr(obj, name, H5T_NATIVE_DOUBLE, H5Screate_simple(1, &dim, NULL), v, err);
}

tms_status post_h5_write_attr_double(hid_t obj, const char *name, double v, tms_error *err) {
  return write_attr(obj, name, H5T_NATIVE_DOUBLE, H5Screate(H5S_SCALAR), &v, err);
}

typedef struct {
  hid_t dst;
  const char *prefix;
  tms_status st;
  tms_error *err;
} copy_ctx;

static tms_status copy_dataset(hid_t src, hid_t dst, const char *path, tms_error *err) {
  hid_t d = H5Dopen2(src, path, H5P_DEFAULT);
  if (d < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot open %s", path);
  hid_t ftype = H5Dget_type(d), space = H5Dget_space(d);
  hid_t mtype = H5Tget_native_type(ftype, H5T_DIR_DEFAULT);
  size_t n = (size_t)H5Sget_simple_extent_npoints(space);
  size_t esize = H5Tget_size(mtype);
  void *buf = calloc(n ? n : 1, esize);
  tms_status st = buf ? TMS_OK : TMS_ERR_NOMEM;
  if (st == TMS_OK && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) st = TMS_ERR_HDF5;
  if (st == TMS_OK) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t o = H5Dcreate2(dst, path, ftype, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (o < 0 || H5Dwrite(o, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) st = TMS_ERR_HDF5;
    if (o >= 0) H5Dclose(o);
    H5Pclose(lcpl);
    if (H5Tdetect_class(mtype, H5T_VLEN) > 0 || H5Tis_variable_str(mtype) > 0)
      H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf);
  }
  free(buf);
  H5Tclose(mtype);
  H5Tclose(ftype);
  H5Sclose(space);
  H5Dclose(d);
  if (st != TMS_OK) return tms_error_set(err, st, NULL, 0, 0, path, "cannot copy %s", path);
  return TMS_OK;
}

static herr_t copy_visit(hid_t group, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  copy_ctx *ctx = data;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", ctx->prefix, name);
  H5O_info_t oi;
  if (H5Oget_info_by_name(group, name, &oi, H5P_DEFAULT) < 0) {
    ctx->st = tms_error_set(ctx->err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot inspect %s", path);
    return -1;
  }
  hid_t file = H5Iget_file_id(group);
  if (oi.type == H5O_TYPE_GROUP) {
    ctx->st = post_h5_copy_group(file, ctx->dst, path, ctx->err);
  } else if (oi.type == H5O_TYPE_DATASET) {
    ctx->st = copy_dataset(file, ctx->dst, path, ctx->err);
  }
  H5Fclose(file);
  return ctx->st == TMS_OK ? 0 : -1;
}

tms_status post_h5_copy_group(hid_t src, hid_t dst, const char *path, tms_error *err) {
  hid_t g = H5I_INVALID_HID;
  H5E_BEGIN_TRY { g = H5Gopen2(src, path, H5P_DEFAULT); }
  H5E_END_TRY;
  if (g < 0) return tms_error_set(err, TMS_ERR_MISSING, NULL, 0, 0, path, "no group %s", path);
  if (!tms_schema_h5_exists(dst, path)) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t ng = H5Gcreate2(dst, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    if (ng < 0) {
      H5Gclose(g);
      return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot create group %s", path);
    }
    H5Gclose(ng);
  }
  copy_ctx ctx = {dst, path, TMS_OK, err};
  hsize_t idx = 0;
  H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, copy_visit, &ctx);
  H5Gclose(g);
  return ctx.st;
}
