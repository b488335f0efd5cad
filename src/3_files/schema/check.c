/* check: validation of a results or post file against the tables of schema.c (tms_schema_check_file). What
 * --resume, tms-post and the hostile-file tests rely on: after a TMS_OK every dataset the file holds has the type and
 * shape of its table row, so readers may size buffers from the extent without trusting anything else.
 * Not here: the values (NaN, status codes out of range) beyond the grid's own attributes.
 * Invariant: HDF5's error stack is silenced around every probe; each refusal is one line naming the object. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/spec.h"
#include "schema/schema_h5.h"

#define UNKNOWN ((size_t)-1)

__attribute__((format(printf, 4, 5))) static tms_status bad(tms_error *err, const char *path, const char *obj,
                                                            const char *fmt, ...) {
  char what[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, obj, "%s", what);
}

/* Reads a 1-D or scalar integer attribute (up to max values). Returns the count, or -1 missing, -2 not integer. */
static int attr_ints(hid_t obj, const char *name, int64_t *v, int max) {
  htri_t has = 0;
  H5E_BEGIN_TRY { has = H5Aexists(obj, name); }
  H5E_END_TRY;
  if (has <= 0) return -1;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t t = H5Aget_type(a), s = H5Aget_space(a);
  hssize_t n = H5Sget_simple_extent_npoints(s);
  int rc = H5Tget_class(t) != H5T_INTEGER || n < 0 || n > max ? -2 : (int)n;
  if (rc >= 0 && H5Aread(a, H5T_NATIVE_INT64, v) < 0) rc = -2;
  H5Sclose(s);
  H5Tclose(t);
  H5Aclose(a);
  return rc;
}

/* Class and element count of an attribute, or -1 when absent. */
static int attr_class(hid_t obj, const char *name, H5T_class_t *cls, hssize_t *count) {
  htri_t has = 0;
  H5E_BEGIN_TRY { has = H5Aexists(obj, name); }
  H5E_END_TRY;
  if (has <= 0) return -1;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t t = H5Aget_type(a), s = H5Aget_space(a);
  *cls = H5Tget_class(t);
  *count = H5Sget_simple_extent_npoints(s);
  H5Sclose(s);
  H5Tclose(t);
  H5Aclose(a);
  return 0;
}

/* Element k of a string attribute (variable or fixed length) into buf. */
static int attr_string_at(hid_t obj, const char *name, hssize_t k, char *buf, size_t size) {
  buf[0] = '\0';
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t ft = H5Aget_type(a), s = H5Aget_space(a);
  hssize_t n = H5Sget_simple_extent_npoints(s);
  int rc = -1;
  if (k < n && H5Tis_variable_str(ft) > 0) {
    char **v = calloc((size_t)n, sizeof *v);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft)); /* HDF5 converts no character sets */
    if (v && H5Aread(a, mt, v) >= 0) {
      snprintf(buf, size, "%s", v[k] ? v[k] : "");
      rc = 0;
      H5Dvlen_reclaim(mt, s, H5P_DEFAULT, v);
    }
    H5Tclose(mt);
    free(v);
  } else if (k < n) {
    size_t len = H5Tget_size(ft);
    char *v = calloc((size_t)n, len + 1);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, len + 1);
    H5Tset_cset(mt, H5Tget_cset(ft));
    if (v && H5Aread(a, mt, v) >= 0) {
      snprintf(buf, size, "%s", v + (size_t)k * (len + 1));
      rc = 0;
    }
    H5Tclose(mt);
    free(v);
  }
  H5Sclose(s);
  H5Tclose(ft);
  H5Aclose(a);
  return rc;
}

static tms_status check_root_attrs(hid_t f, const char *path, tms_schema_file kind, tms_error *err) {
  const char *want = kind == TMS_FILE_RESULTS ? TMS_RESULTS_SCHEMA : TMS_POST_SCHEMA;
  H5T_class_t cls;
  hssize_t n;
  char schema[128];
  if (attr_class(f, TMS_A_SCHEMA, &cls, &n) < 0 || cls != H5T_STRING ||
      attr_string_at(f, TMS_A_SCHEMA, 0, schema, sizeof schema) < 0)
    return tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL,
                         "no 'schema' attribute: not a tms file (expected schema \"%s\")", want);
  if (strcmp(schema, want) != 0)
    return tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL, "schema is \"%s\", expected \"%s\"", schema, want);
  int count;
  const tms_schema_attr *attrs = tms_schema_root_attrs(kind, &count);
  for (int i = 0; i < count; i++) {
    const tms_schema_attr *a = &attrs[i];
    if (attr_class(f, a->name, &cls, &n) < 0) {
      if (!a->required) continue;
      return bad(err, path, a->name, "required root attribute '%s' is missing", a->name);
    }
    int is_str = a->type == TMS_SCHEMA_STR || a->type == TMS_SCHEMA_STRS;
    H5T_class_t want_cls = is_str ? H5T_STRING : a->type == TMS_SCHEMA_F64 ? H5T_FLOAT : H5T_INTEGER;
    if (cls != want_cls)
      return bad(err, path, a->name, "root attribute '%s' should be %s", a->name,
                 is_str ? "a string" : "a number");
    if (a->type == TMS_SCHEMA_STR && n != 1) /* one string: readers take element 0 (hostile_files.sh) */
      return bad(err, path, a->name, "root attribute '%s' holds %lld strings, not one", a->name, (long long)n);
  }
  return TMS_OK;
}

/* The grid from grid_shape and dim_names; for a post file grid_shape counts the cells only. */
static tms_status read_grid(hid_t f, const char *path, tms_schema_file kind, tms_schema_extent *e, tms_error *err) {
  int64_t shape[TMS_SCHEMA_MAX_RANK + 1];
  int lead = kind == TMS_FILE_POST; /* post: grid_shape lacks the replicate dim */
  int n = attr_ints(f, TMS_A_GRID_SHAPE, shape, TMS_SCHEMA_MAX_RANK + 1);
  if (n < 0) return bad(err, path, TMS_A_GRID_SHAPE, "%s is missing or not integer", TMS_A_GRID_SHAPE);
  if (n + lead < 1 || n + lead > TMS_SCHEMA_MAX_RANK)
    return bad(err, path, TMS_A_GRID_SHAPE, "the grid has rank %d, outside 1..%d", n + lead, TMS_SCHEMA_MAX_RANK);
  e->rank = n + lead;
  double points = 1;
  for (int k = 0; k < n; k++) {
    if (shape[k] < 1) return bad(err, path, TMS_A_GRID_SHAPE, "grid_shape[%d] = %lld is not >= 1", k,
                                   (long long)shape[k]);
    e->dims[k] = (size_t)shape[k];
    points *= (double)shape[k];
  }
  if (points > 1e12) return bad(err, path, TMS_A_GRID_SHAPE, "grid_shape: %.3g points is beyond any sweep", points);
  H5T_class_t cls;
  hssize_t count;
  if (attr_class(f, TMS_A_DIM_NAMES, &cls, &count) < 0 || cls != H5T_STRING || count != n)
    return bad(err, path, TMS_A_DIM_NAMES, "dim_names must be %d strings, one per grid_shape entry", n);
  if (kind == TMS_FILE_RESULTS) {
    char last[96];
    attr_string_at(f, TMS_A_DIM_NAMES, n - 1, last, sizeof last);
    if (strcmp(last, TMS_SCHEMA_REPLICATE) != 0)
      return bad(err, path, TMS_A_DIM_NAMES, "the last dim is '%s', not 'replicate'", last);
    int64_t pc;
    if (attr_ints(f, TMS_A_POINT_COUNT, &pc, 1) != 1 || (double)pc != points)
      return bad(err, path, TMS_A_POINT_COUNT, "point_count is not the product of grid_shape (%.0f)", points);
  } else {
    /* replicates: the length of /axes/replicate when the file has it (a theory file has none) */
    e->dims[e->rank - 1] = 1;
    if (tms_schema_h5_dataset_at(f, TMS_SCHEMA_AXES "/" TMS_SCHEMA_REPLICATE) == 1) {
      hid_t d = H5Dopen2(f, TMS_SCHEMA_AXES "/" TMS_SCHEMA_REPLICATE, H5P_DEFAULT);
      hid_t s = H5Dget_space(d);
      hssize_t r = H5Sget_simple_extent_npoints(s);
      H5Sclose(s);
      H5Dclose(d);
      if (r < 1) return bad(err, path, "/axes/replicate", "/axes/replicate is empty");
      e->dims[e->rank - 1] = (size_t)r;
    }
  }
  return TMS_OK;
}

/* The padding extents of a results file, each in a sane range. */
static tms_status read_extents(hid_t f, const char *path, tms_schema_extent *e, tms_error *err) {
  static const char *const names[] = {TMS_A_N_MAX, TMS_A_M_MAX, TMS_A_CURVE_LEN, TMS_A_SNAPSHOT_LEN, TMS_A_EVAL_LEN};
  size_t *dst[] = {&e->n_max, &e->m_max, &e->curve_len, &e->snapshot_len, &e->eval_len};
  for (int i = 0; i < 5; i++) {
    int64_t v;
    if (attr_ints(f, names[i], &v, 1) != 1)
      return bad(err, path, names[i], "root attribute '%s' is missing or not one integer", names[i]);
    long long lo = i < 3 ? 1 : 0;
    if (v < lo || v > 100000000)
      return bad(err, path, names[i], "%s = %lld is outside %lld..1e8", names[i], (long long)v, lo);
    *dst[i] = (size_t)v;
  }
  e->has_w2 = tms_schema_h5_dataset_at(f, "/results/W2") == 1;
  /* a file made before evaluation times were recorded has no /points/eval_s: it stays valid without it */
  e->has_eval_s = tms_schema_h5_dataset_at(f, tms_schema_results_ds(TMS_DS_EVAL_S)->path) != 0;
  return TMS_OK;
}

static const char *const type_words[TMS_SCHEMA_TYPE_COUNT] = {"uint8", "int8", "int32", "int64", "uint64",
                                                              "float32", "float64", "string", "strings"};

/* Type and shape of one dataset. sizes of trailing dims still UNKNOWN in e (post files) are taken from it. */
static tms_status check_dataset(hid_t f, const char *path, const char *ds, tms_schema_type type, int rank,
                                size_t *want, tms_error *err) {
  hid_t d = H5I_INVALID_HID;
  H5E_BEGIN_TRY { d = H5Dopen2(f, ds, H5P_DEFAULT); }
  H5E_END_TRY;
  if (d < 0) return bad(err, path, ds, "%s cannot be opened as a dataset", ds);
  hid_t t = H5Dget_type(d), s = H5Dget_space(d);
  int ok_type = tms_schema_h5_type_is(t, type);
  int got = H5Sget_simple_extent_ndims(s);
  hsize_t dims[64];
  if (got >= 0 && got <= 64) H5Sget_simple_extent_dims(s, dims, NULL);
  H5Sclose(s);
  H5Tclose(t);
  H5Dclose(d);
  if (!ok_type) return bad(err, path, ds, "%s should hold %s", ds, type_words[type]);
  if (got != rank) return bad(err, path, ds, "%s has rank %d, the layout wants %d", ds, got, rank);
  for (int k = 0; k < rank; k++) {
    if (want[k] == UNKNOWN) want[k] = (size_t)dims[k];
    if (dims[k] != want[k])
      return bad(err, path, ds, "%s: dim %d has size %llu, the layout wants %zu", ds, k,
                   (unsigned long long)dims[k], want[k]);
  }
  return TMS_OK;
}

/* Every dataset of the table. For post files, trailing sizes are learnt from the first dataset that has them. */
static tms_status check_table(hid_t f, const char *path, tms_schema_file kind, int strict, tms_schema_extent *e,
                              tms_error *err) {
  int count;
  const tms_schema_dataset *tab = tms_schema_datasets(kind, &count);
  for (int i = 0; i < count; i++) {
    const tms_schema_dataset *d = &tab[i];
    int has = tms_schema_h5_dataset_at(f, d->path);
    if (has == 2) return bad(err, path, d->path, "%s is not a dataset", d->path);
    if (!has) {
      if (strict && tms_schema_present(d, e))
        return bad(err, path, d->path, "%s is missing", d->path);
      continue;
    }
    if (kind == TMS_FILE_RESULTS && !tms_schema_present(d, e))
      return bad(err, path, d->path, "%s exists although the root attributes say it should not", d->path);
    size_t want[TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL];
    int rank = tms_schema_shape(d, e, want);
    tms_status st = check_dataset(f, path, d->path, d->type, rank, want, err);
    if (st != TMS_OK) return st;
    /* learn unknown trailing extents (post files) */
    int lead = rank;
    for (int t = 0; t < TMS_SCHEMA_MAX_TRAIL && d->trail[t] != TMS_DIM_NONE; t++) lead--;
    for (int t = 0; lead + t < rank; t++) {
      if (d->trail[t] == TMS_DIM_FEATURE) e->n_max = want[lead + t];
      if (d->trail[t] == TMS_DIM_HIDDEN) e->m_max = want[lead + t];
    }
  }
  return TMS_OK;
}

/* /axes/<dim> (1-D, the dim's length) for every grid dim, and /params/<key> (grid-shaped) for the registry. */
static tms_status check_axes_params(hid_t f, const char *path, int strict, const tms_schema_extent *e,
                                    tms_error *err) {
  for (int k = 0; k < e->rank; k++) {
    char name[96], ds[160];
    if (attr_string_at(f, TMS_A_DIM_NAMES, k, name, sizeof name) < 0)
      return bad(err, path, TMS_A_DIM_NAMES, "%s cannot be read", TMS_A_DIM_NAMES);
    snprintf(ds, sizeof ds, TMS_SCHEMA_AXES "/%s", name);
    if (tms_schema_h5_dataset_at(f, ds) != 1) return bad(err, path, ds, "%s (the values of a grid dim) is missing", ds);
    hid_t d = H5Dopen2(f, ds, H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    int r = H5Sget_simple_extent_ndims(s);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    H5Sclose(s);
    H5Dclose(d);
    if (r != 1 || n != (hssize_t)e->dims[k])
      return bad(err, path, ds, "%s must be 1-D of the grid dim's size %zu", ds, e->dims[k]);
  }
  for (int i = 0; i < tms_param_count(); i++) {
    const tms_param_info *info = tms_param_at(i);
    if (strcmp(info->key, TMS_SCHEMA_NOT_STORED) == 0) continue;
    char ds[160];
    snprintf(ds, sizeof ds, TMS_SCHEMA_PARAMS "/%s", info->key);
    if (!tms_schema_h5_dataset_at(f, ds)) {
      if (strict) return bad(err, path, ds, "%s is missing", ds);
      continue;
    }
    size_t want[TMS_SCHEMA_MAX_RANK];
    for (int k = 0; k < e->rank; k++) want[k] = e->dims[k];
    tms_status st = check_dataset(f, path, ds, info->kind == TMS_PARAM_ENUM ? TMS_SCHEMA_I8 : TMS_SCHEMA_F64,
                                  e->rank, want, err);
    if (st != TMS_OK) return st;
  }
  return TMS_OK;
}

tms_status tms_schema_check_h5(hid_t file, const char *path, tms_schema_file kind, int strict,
                               tms_schema_extent *out, tms_error *err) {
  tms_schema_extent e;
  memset(&e, 0, sizeof e);
  tms_status st = check_root_attrs(file, path, kind, err);
  if (st == TMS_OK) st = read_grid(file, path, kind, &e, err);
  if (st == TMS_OK && kind == TMS_FILE_RESULTS) st = read_extents(file, path, &e, err);
  if (st == TMS_OK && kind == TMS_FILE_POST) {
    e.n_max = e.m_max = UNKNOWN;
    e.has_theory = tms_schema_h5_dataset_at(file, "/phase/theory_class") == 1;
    e.has_w2 = tms_schema_h5_dataset_at(file, "/neurons/W1_scaled") == 1;
    e.snapshot_len = tms_schema_h5_dataset_at(file, "/dynamics/dimensionality_history") == 1 ? UNKNOWN : 0;
  }
  if (st == TMS_OK) st = check_table(file, path, kind, strict, &e, err);
  if (st == TMS_OK && kind == TMS_FILE_RESULTS) st = check_axes_params(file, path, strict, &e, err);
  if (st == TMS_OK && out) *out = e;
  return st;
}

tms_status tms_schema_check_file(const char *path, tms_schema_file kind, int strict, tms_schema_extent *out,
                                 tms_error *err) {
  htri_t is = -1;
  H5E_BEGIN_TRY { is = H5Fis_hdf5(path); }
  H5E_END_TRY;
  if (is <= 0)
    return tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL, "not an HDF5 file (expected schema \"%s\")",
                         kind == TMS_FILE_RESULTS ? TMS_RESULTS_SCHEMA : TMS_POST_SCHEMA);
  hid_t f = H5I_INVALID_HID;
  H5E_BEGIN_TRY { f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
  H5E_END_TRY;
  if (f < 0) return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot open the HDF5 file");
  tms_status st;
  H5E_BEGIN_TRY { st = tms_schema_check_h5(f, path, kind, strict, out, err); }
  H5E_END_TRY;
  H5Fclose(f);
  return st;
}
