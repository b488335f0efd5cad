/* layout: the metadata of a new results file, written once by tms_store_create: root attributes, /params,
 * /points/seed, and /axes with its dimension scales. Names come from the schema (schema/schema.h).
 * Invariant: everything here is created before the file's first flush, never afterwards (kill-safety); a forced
 * resume only rewrites the raw data of /params and /points/seed. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/grid.h"
#include "core/spec.h"
#include "store_internal.h"

static int value_is_string(const tms_sweep_param *p) { return p->count > 0 && p->values[0].is_string; }

/* 1-D dataset of a parameter's values: float64 numbers or fixed-length UTF-8 strings. */
static hid_t values_dataset(hid_t file, const char *name, const tms_sweep_param *p) {
  hsize_t n = (hsize_t)p->count;
  hid_t d = -1;
  if (value_is_string(p)) {
    /* Fixed-length strings: parallel HDF5 cannot write variable-length data into datasets. */
    size_t w = 1;
    for (int i = 0; i < p->count; i++)
      if (strlen(p->values[i].str) + 1 > w) w = strlen(p->values[i].str) + 1;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, w);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *s = calloc((size_t)p->count, w);
    if (s) {
      for (int i = 0; i < p->count; i++) memcpy(s + (size_t)i * w, p->values[i].str, strlen(p->values[i].str));
      d = store_dataset_create(file, name, t, 1, &n, t, NULL);
      if (d >= 0 && store_write_all(d, t, s) < 0) {
        H5Dclose(d);
        d = -1;
      }
      free(s);
    }
    H5Tclose(t);
  } else {
    double *v = malloc((size_t)p->count * sizeof *v);
    if (v) {
      for (int i = 0; i < p->count; i++) v[i] = p->values[i].num;
      d = store_dataset_create(file, name, H5T_IEEE_F64LE, 1, &n, H5T_NATIVE_DOUBLE, NULL);
      if (d >= 0 && store_write_all(d, H5T_NATIVE_DOUBLE, v) < 0) {
        H5Dclose(d);
        d = -1;
      }
      free(v);
    }
  }
  return d;
}

static hid_t index_dataset(hid_t file, const char *name, size_t n) {
  int64_t *v = malloc((n ? n : 1) * sizeof *v);
  if (!v) return -1;
  for (size_t i = 0; i < n; i++) v[i] = (int64_t)i;
  hsize_t hn = n;
  hid_t d = store_dataset_create(file, name, H5T_STD_I64LE, 1, &hn, H5T_NATIVE_INT64, NULL);
  if (d >= 0 && store_write_all(d, H5T_NATIVE_INT64, v) < 0) {
    H5Dclose(d);
    d = -1;
  }
  free(v);
  return d;
}

/* /axes: one dimension scale per grid dim, attached to every grid-shaped dataset in attach[0..n_attach). */
tms_status store_write_axes(tms_store *st, const tms_sweep *sweep, const hid_t *attach, int n_attach,
                             tms_error *err) {
  hid_t *scales = calloc((size_t)st->ext.rank, sizeof *scales);
  if (!scales) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for axes");
  tms_status s = TMS_OK;
  int made = 0;
  char name[256];
  for (int d = 0; d < st->ext.rank && s == TMS_OK; d++) {
    const char *dim_name;
    hid_t sc;
    if (d < sweep->n_axes) {
      const tms_axis *ax = &sweep->axes[d];
      dim_name = ax->name;
      snprintf(name, sizeof name, TMS_SCHEMA_AXES "/%s", ax->name);
      if (!ax->is_zip) {
        sc = values_dataset(st->file, name, &ax->params[0]);
      } else {
        sc = index_dataset(st->file, name, (size_t)ax->size);
        for (int p = 0; p < ax->n_params && sc >= 0; p++) {
          char mname[256];
          snprintf(mname, sizeof mname, TMS_SCHEMA_AXES "/%s_members/%s", ax->name, ax->params[p].key);
          hid_t md = values_dataset(st->file, mname, &ax->params[p]);
          if (md < 0) {
            s = store_h5fail(err, st->path, "write a zip member's values");
            break;
          }
          H5Dclose(md);
        }
      }
    } else {
      dim_name = TMS_SCHEMA_REPLICATE;
      sc = index_dataset(st->file, TMS_SCHEMA_AXES "/" TMS_SCHEMA_REPLICATE, (size_t)st->ext.dims[d]);
    }
    if (s != TMS_OK) {
      if (sc >= 0) H5Dclose(sc);
      break;
    }
    if (sc < 0 || H5DSset_scale(sc, dim_name) < 0) {
      if (sc >= 0) H5Dclose(sc);
      s = store_h5fail(err, st->path, "write a dimension scale under /axes");
      break;
    }
    scales[d] = sc;
    made++;
  }
  for (int i = 0; i < n_attach && s == TMS_OK; i++)
    for (int d = 0; d < st->ext.rank; d++)
      if (H5DSattach_scale(attach[i], scales[d], (unsigned)d) < 0 ||
          H5DSset_label(attach[i], (unsigned)d, d < sweep->n_axes ? sweep->axes[d].name : TMS_SCHEMA_REPLICATE) < 0) {
        s = store_h5fail(err, st->path, "attach a dimension scale");
        break;
      }
  for (int d = 0; d < made; d++) H5Dclose(scales[d]);
  free(scales);
  return s;
}

/* One parameter (registry index p) over all points: numbers in num, enum codes in code. */
static void param_column(int p, const tms_spec *specs, size_t count, double *num, int8_t *code) {
  int is_enum = tms_param_at(p)->kind == TMS_PARAM_ENUM;
  for (size_t i = 0; i < count; i++) {
    double v = tms_spec_number_at(&specs[i], p);
    num[i] = is_enum ? NAN : v;
    code[i] = is_enum ? (int8_t)v : -1;
  }
}

/* Opens (create = 0) or creates dataset /params/<key> of registry parameter info, grid-shaped; enum datasets get
 * their choices as an attribute at creation. */
static hid_t param_dataset(tms_store *st, const tms_param_info *info, int create) {
  char name[128];
  snprintf(name, sizeof name, TMS_SCHEMA_PARAMS "/%s", info->key);
  if (!create) return H5Dopen2(st->file, name, H5P_DEFAULT);
  hsize_t dims[TMS_SCHEMA_MAX_RANK];
  for (int k = 0; k < st->ext.rank; k++) dims[k] = st->ext.dims[k];
  int is_enum = info->kind == TMS_PARAM_ENUM;
  hid_t d = store_dataset_create(st->file, name, is_enum ? H5T_STD_I8LE : H5T_IEEE_F64LE, st->ext.rank, dims,
                                 H5T_NATIVE_INT8, NULL);
  if (d >= 0 && is_enum) {
    const char *names[64];
    size_t nc = 0;
    while (info->choices[nc] && nc < 64) {
      names[nc] = info->choices[nc];
      nc++;
    }
    if (store_attr_strs(d, TMS_A_CHOICES, names, nc) < 0) {
      H5Dclose(d);
      d = -1;
    }
  }
  return d;
}

/* Points per slice of store_write_params: its specs and columns take ~3 MB, whatever the sweep's size (one
 * tms_spec per point of a 1.3M-point sweep held at once took 220 MB of the root's memory). */
enum { PARAM_SLICE = 16384 };

/* A forced resume (old != NULL, room for len values): a done or failed point of [a, a + len) whose stored value
 * differs from the new one (bitwise; every NaN equal) goes back to pending with no attempts, so it is trained
 * again under the sweep's parameters and a later --reuse never copies results that /params no longer describe. */
static int mark_changed(tms_store *st, hid_t d, hid_t mtype, size_t a, size_t len, const void *now, size_t width,
                        void *old) {
  if (store_run_io(d, &st->ext, mtype, a, len, old, 0) < 0) return -1;
  for (size_t i = 0; i < len; i++) {
    uint8_t *status = &st->status[a + i];
    if ((*status == TMS_POINT_DONE || *status == TMS_POINT_FAILED) &&
        memcmp((const char *)now + i * width, (const char *)old + i * width, width) != 0)
      *status = TMS_POINT_PENDING, st->attempts[a + i] = 0, st->retrain++;
  }
  return 0;
}

/* Points [a, a + len) of every /params dataset (pd[p], -1 for the parameter that is not stored) and of
 * /points/seed, one write per dataset; specs, num, code, seed (and old, on a forced resume) have room for len
 * points. */
static tms_status write_param_slice(tms_store *st, const tms_sweep *sweep, const hid_t *pd, size_t a, size_t len,
                                    tms_spec *specs, double *num, int8_t *code, uint64_t *seed, void *old,
                                    tms_error *err) {
  tms_status s = TMS_OK;
  for (size_t i = 0; i < len && s == TMS_OK; i++) {
    s = tms_grid_spec(sweep, a + i, &specs[i], err);
    seed[i] = specs[i].seed;
  }
  if (s != TMS_OK) return s;
  if (old && mark_changed(st, st->ds[TMS_DS_SEED], H5T_NATIVE_UINT64, a, len, seed, sizeof *seed, old) < 0)
    return store_h5fail(err, st->path, "read /points/seed");
  if (store_run_io(st->ds[TMS_DS_SEED], &st->ext, H5T_NATIVE_UINT64, a, len, seed, 1) < 0)
    return store_h5fail(err, st->path, "write /points/seed");
  for (int p = 0; p < tms_param_count(); p++) {
    if (pd[p] < 0) continue;
    const tms_param_info *info = tms_param_at(p);
    param_column(p, specs, len, num, code);
    int is_enum = info->kind == TMS_PARAM_ENUM;
    hid_t mtype = is_enum ? H5T_NATIVE_INT8 : H5T_NATIVE_DOUBLE;
    void *col = is_enum ? (void *)code : (void *)num;
    if (!is_enum)
      for (size_t i = 0; i < len; i++) num[i] = isnan(num[i]) ? NAN : num[i]; /* one NaN, as the file holds */
    if (old && mark_changed(st, pd[p], mtype, a, len, col, is_enum ? sizeof *code : sizeof *num, old) < 0)
      return store_h5fail(err, st->path, "read a /params dataset");
    if (store_run_io(pd[p], &st->ext, mtype, a, len, col, 1) < 0)
      return store_h5fail(err, st->path, "write a /params dataset");
  }
  return TMS_OK;
}

/* /params/<key> for every registry parameter except sparsity, and /points/seed; all points, PARAM_SLICE at a time.
 * With create = 0 the datasets exist already (forced resume) and only their data is rewritten. */
tms_status store_write_params(tms_store *st, const tms_sweep *sweep, int create, hid_t *attach, int *n_attach,
                               tms_error *err) {
  int np = tms_param_count();
  size_t slice = st->count < PARAM_SLICE ? (st->count ? st->count : 1) : PARAM_SLICE;
  double *num = malloc(slice * sizeof *num);
  int8_t *code = malloc(slice * sizeof *code);
  uint64_t *seed = malloc(slice * sizeof *seed);
  tms_spec *specs = malloc(slice * sizeof *specs);
  hid_t *pd = malloc((size_t)np * sizeof *pd);
  uint64_t *old = create ? NULL : malloc(slice * sizeof *old); /* forced resume: the values being replaced */
  tms_status s = TMS_OK;
  if (!num || !code || !seed || !specs || !pd || (!create && !old)) {
    s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for %zu points' parameters", slice);
    np = 0;
  }
  int opened = 0;
  for (; opened < np && s == TMS_OK; opened++) {
    const tms_param_info *info = tms_param_at(opened);
    pd[opened] = -1;
    if (strcmp(info->key, TMS_SCHEMA_NOT_STORED) == 0) continue; /* density is stored */
    pd[opened] = param_dataset(st, info, create);
    if (pd[opened] < 0)
      s = store_h5fail(err, st->path, create ? "create a /params dataset" : "open a /params dataset");
  }
  for (size_t a = 0; a < st->count && s == TMS_OK; a += slice)
    s = write_param_slice(st, sweep, pd, a, st->count - a < slice ? st->count - a : slice, specs, num, code, seed,
                          old, err);
  for (int p = 0; p < opened; p++) {
    if (pd[p] < 0) continue;
    if (s == TMS_OK && create && attach) attach[(*n_attach)++] = pd[p]; /* the caller closes them */
    else H5Dclose(pd[p]);
  }
  free(num);
  free(code);
  free(seed);
  free(specs);
  free(pd);
  free(old);
  return s;
}

static void iso_now(char *buf, size_t size) {
  time_t t = time(NULL);
  struct tm tmv;
  gmtime_r(&t, &tmv);
  strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

tms_status store_write_root_attrs(tms_store *st, const tms_sweep *sweep, const tms_store_provenance *prov,
                                   tms_error *err) {
  hid_t f = st->file;
  char created[32], hash[24], h5ver[32];
  iso_now(created, sizeof created);
  snprintf(hash, sizeof hash, "%016llx", (unsigned long long)tms_grid_config_hash(sweep));
  unsigned maj, min, rel;
  H5get_libversion(&maj, &min, &rel);
  snprintf(h5ver, sizeof h5ver, "%u.%u.%u", maj, min, rel);
  int64_t shape[TMS_SCHEMA_MAX_RANK];
  const char *names[TMS_SCHEMA_MAX_RANK];
  for (int k = 0; k < st->ext.rank; k++) {
    shape[k] = (int64_t)st->ext.dims[k];
    names[k] = k < sweep->n_axes ? sweep->axes[k].name : TMS_SCHEMA_REPLICATE;
  }
  hsize_t r = (hsize_t)st->ext.rank;
  int rc = 0;
  rc |= store_attr_str(f, TMS_A_SCHEMA, TMS_RESULTS_SCHEMA);
  rc |= store_attr_str(f, TMS_A_TOOL_VERSION, prov->tool_version);
  rc |= store_attr_str(f, TMS_A_GIT_COMMIT, prov->git_commit);
  rc |= store_attr_str(f, TMS_A_CREATED, created);
  rc |= store_attr_str(f, TMS_A_SWEEP_NAME, sweep->name);
  rc |= store_attr_str(f, TMS_A_SWEEP_PATH, sweep->path);
  rc |= store_attr_str(f, TMS_A_SWEEP_YAML, sweep->text ? sweep->text : "");
  rc |= store_attr_str(f, TMS_A_CONFIG_HASH, hash);
  rc |= store_attr_u64(f, TMS_A_SEED, sweep->seed);
  rc |= store_attr_str(f, TMS_A_MPI_VERSION, prov->mpi_version);
  rc |= store_attr_str(f, TMS_A_HDF5_VERSION, h5ver);
  rc |= store_attr_str(f, TMS_A_OPENBLAS_CONFIG, prov->openblas_config);
  rc |= store_attr_i64(f, TMS_A_OPENBLAS_THREADS, prov->openblas_num_threads);
  rc |= store_attr_str(f, TMS_A_KERNELS_ISA, prov->kernels_isa ? prov->kernels_isa : "unknown");
  rc |= store_attr_str(f, TMS_A_OPENBLAS_CORE, prov->openblas_core ? prov->openblas_core : "unknown");
  rc |= store_attr_i64(f, TMS_A_RANKS, prov->ranks);
  rc |= store_attr_write(f, TMS_A_GRID_SHAPE, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &r, shape);
  rc |= store_attr_strs(f, TMS_A_DIM_NAMES, names, (size_t)st->ext.rank);
  rc |= store_attr_i64(f, TMS_A_POINT_COUNT, (int64_t)st->count);
  rc |= store_attr_i64(f, TMS_A_N_MAX, (int64_t)st->ext.n_max);
  rc |= store_attr_i64(f, TMS_A_M_MAX, (int64_t)st->ext.m_max);
  rc |= store_attr_i64(f, TMS_A_CURVE_LEN, (int64_t)st->ext.curve_len);
  rc |= store_attr_i64(f, TMS_A_SNAPSHOT_LEN, (int64_t)st->ext.snapshot_len); /* 0: no /results/W_history */
  rc |= store_attr_i64(f, TMS_A_EVAL_LEN, (int64_t)st->ext.eval_len); /* 0: no /results/eval_curve */
  return rc ? store_h5fail(err, st->path, "write the root attributes") : TMS_OK;
}
