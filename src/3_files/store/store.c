/* store: create, resume, commit and close a results file (schema tms-results/1, sweeps/results-layout.md).
 * Not here: what to train or when (scheduler), provenance gathering (cmd_run), reading for analysis (post).
 * Invariants: all metadata (groups, datasets at full size with early allocation and fill values, attributes,
 * dimension scales) is written in tms_store_create and flushed before the file gets its final name; after that
 * only raw data of existing contiguous datasets is written, so a SIGKILL never leaves dirty metadata behind.
 * The file is opened with the MPI-IO driver on MPI_COMM_SELF: only the root writes, and its flushes are its own. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r, link */
#include "store/store.h"

#include <errno.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/grid.h"
#include "core/spec.h"
#include "store/space.h"

enum {
  DS_STATUS, DS_ATTEMPTS, DS_ERROR, DS_WALL, DS_SEED,
  DS_LOSS, DS_CURVE, DS_W, DS_W2, DS_B,
  DS_NORM, DS_INTERF, DS_DIM, DS_DSTAR, DS_WHIST, DS_EVAL,
  DS_COUNT
};

typedef struct {
  const char *path; /* inside the file */
  int extra;        /* 0: grid-shaped; 1: grid x curve; 2: grid x n_max; 3: grid x n_max x m_max;
                       4: grid x snapshot_max x n_max x m_max; 5: grid x eval_max */
  char type;        /* 'u' uint8, 'i' int32, 'd' float64, 'f' float32, 'q' uint64 */
} ds_info;

static const ds_info ds_table[DS_COUNT] = {
    {"/points/status", 0, 'u'},          {"/points/attempts", 0, 'i'},        {"/points/error", 0, 'i'},
    {"/points/wall_s", 0, 'd'},          {"/points/seed", 0, 'q'},            {"/results/loss", 0, 'd'},
    {"/results/loss_curve", 1, 'f'},     {"/results/W", 3, 'f'},              {"/results/W2", 3, 'f'},
    {"/results/b", 2, 'f'},              {"/metrics/norm", 2, 'd'},           {"/metrics/interference", 2, 'd'},
    {"/metrics/dimensionality", 2, 'd'}, {"/metrics/dstar", 0, 'd'},          {"/results/W_history", 4, 'f'},
    {"/results/eval_curve", 5, 'f'},
};

/* Datasets that exist only for some sweeps: W2 (any abs point), W_history (any snapshot_every > 0), eval_curve
 * (any eval_every > 0). */
static int ds_absent(const struct tms_store *st, int k);

#define TMS_MAX_DIMS 32

struct tms_store {
  char path[1024];
  hid_t file;
  hid_t ds[DS_COUNT]; /* -1 when absent (W2 without abs points, W_history without snapshots) */
  int grank;
  hsize_t gdims[TMS_MAX_DIMS];
  size_t count;
  int n_max, m_max, has_w2;
  size_t curve_max;
  size_t snapshot_max; /* 0: no /results/W_history */
  size_t eval_max;     /* 0: no /results/eval_curve */
  uint8_t *status;
  int32_t *attempts, *errors;
};

static hid_t mem_type(char t) {
  switch (t) {
  case 'u': return H5T_NATIVE_UINT8;
  case 'i': return H5T_NATIVE_INT32;
  case 'q': return H5T_NATIVE_UINT64;
  case 'f': return H5T_NATIVE_FLOAT;
  default: return H5T_NATIVE_DOUBLE;
  }
}
static hid_t file_type(char t) {
  switch (t) {
  case 'u': return H5T_STD_U8LE;
  case 'i': return H5T_STD_I32LE;
  case 'q': return H5T_STD_U64LE;
  case 'f': return H5T_IEEE_F32LE;
  case 'c': return H5T_STD_I8LE;
  case 'l': return H5T_STD_I64LE;
  default: return H5T_IEEE_F64LE;
  }
}

/* "HDF5 failed to <what>", or a full disk named as such (space.c). */
static tms_status h5fail(tms_error *err, const char *path, const char *what) {
  return tms_space_fail(err, path, what);
}

static hid_t vlen_str_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

/* ---- attributes (creation only) ---- */

static int attr_write(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank, const hsize_t *dims,
                      const void *buf) {
  hid_t sp = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
  hid_t a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
  int rc = (sp < 0 || a < 0 || H5Awrite(a, mtype, buf) < 0) ? -1 : 0;
  if (a >= 0) H5Aclose(a);
  if (sp >= 0) H5Sclose(sp);
  return rc;
}
static int attr_str(hid_t loc, const char *name, const char *s) {
  hid_t t = vlen_str_type();
  const char *p = s ? s : "";
  int rc = attr_write(loc, name, t, t, 0, NULL, &p);
  H5Tclose(t);
  return rc;
}
static int attr_strs(hid_t loc, const char *name, const char *const *s, size_t n) {
  hid_t t = vlen_str_type();
  hsize_t d = n;
  int rc = attr_write(loc, name, t, t, 1, &d, s);
  H5Tclose(t);
  return rc;
}
static int attr_i64(hid_t loc, const char *name, int64_t v) {
  return attr_write(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 0, NULL, &v);
}
static int attr_u64(hid_t loc, const char *name, uint64_t v) {
  return attr_write(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, NULL, &v);
}

/* Reads a scalar string attribute (variable or fixed length) into buf. */
static int attr_read_str(hid_t loc, const char *name, char *buf, size_t size) {
  buf[0] = 0;
  if (H5Aexists(loc, name) <= 0) return -1;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0) return -1;
  hid_t ft = H5Aget_type(a);
  int rc = -1;
  if (H5Tget_class(ft) == H5T_STRING) {
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

/* ---- datasets ---- */

static hid_t dataset_create(hid_t file, const char *name, hid_t ftype, int rank, const hsize_t *dims, hid_t fill_mtype,
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

static int ds_absent(const struct tms_store *st, int k) {
  return (k == DS_W2 && !st->has_w2) || (k == DS_WHIST && st->snapshot_max == 0) ||
         (k == DS_EVAL && st->eval_max == 0);
}

/* Row of `extra` elements of dataset d at grid point index (C order over the grid dims). */
static int write_row(const tms_store *st, hid_t d, hid_t mtype, size_t index, const void *buf) {
  hid_t fs = H5Dget_space(d);
  if (fs < 0) return -1;
  int rank = H5Sget_simple_extent_ndims(fs);
  hsize_t dims[TMS_MAX_DIMS + 3], start[TMS_MAX_DIMS + 3], count[TMS_MAX_DIMS + 3];
  H5Sget_simple_extent_dims(fs, dims, NULL);
  size_t rest = index;
  for (int k = st->grank - 1; k >= 0; k--) {
    start[k] = rest % st->gdims[k];
    rest /= st->gdims[k];
    count[k] = 1;
  }
  hsize_t n = 1;
  for (int k = st->grank; k < rank; k++) {
    start[k] = 0;
    count[k] = dims[k];
    n *= dims[k];
  }
  hid_t ms = H5Screate_simple(1, &n, NULL);
  int rc = -1;
  if (ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
      H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, buf) >= 0)
    rc = 0;
  if (ms >= 0) H5Sclose(ms);
  H5Sclose(fs);
  return rc;
}

static hid_t open_fapl(void) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return -1;
  /* MPI_COMM_SELF: the root alone writes; a flush must not wait for workers that are training. */
  if (H5Pset_fapl_mpio(fapl, MPI_COMM_SELF, MPI_INFO_NULL) < 0) {
    H5Pclose(fapl);
    return -1;
  }
  return fapl;
}

static void store_free(tms_store *st) {
  if (!st) return;
  for (int k = 0; k < DS_COUNT; k++)
    if (st->ds[k] >= 0) H5Dclose(st->ds[k]);
  if (st->file >= 0) H5Fclose(st->file);
  free(st->status);
  free(st->attempts);
  free(st->errors);
  free(st);
}

static tms_store *store_alloc(const char *path, const tms_sweep *sweep) {
  tms_store *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  st->file = -1;
  for (int k = 0; k < DS_COUNT; k++) st->ds[k] = -1;
  snprintf(st->path, sizeof st->path, "%s", path);
  st->grank = tms_grid_rank(sweep);
  size_t dims[TMS_MAX_DIMS];
  if (st->grank > TMS_MAX_DIMS) {
    free(st);
    return NULL;
  }
  tms_grid_shape(sweep, dims);
  for (int k = 0; k < st->grank; k++) st->gdims[k] = dims[k];
  st->count = tms_grid_count(sweep);
  tms_grid_extent(sweep, &st->n_max, &st->m_max, &st->curve_max, &st->has_w2);
  if (st->curve_max < 1) st->curve_max = 1;
  st->snapshot_max = tms_grid_snapshot_max(sweep);
  st->eval_max = tms_grid_eval_max(sweep);
  st->status = calloc(st->count, sizeof *st->status);
  st->attempts = calloc(st->count, sizeof *st->attempts);
  st->errors = calloc(st->count, sizeof *st->errors);
  if (!st->status || !st->attempts || !st->errors) {
    store_free(st);
    return NULL;
  }
  return st;
}

/* Full dims of dataset k: grid, then its extra dims. */
static int ds_dims(const tms_store *st, int k, hsize_t *dims) {
  int r = st->grank;
  for (int i = 0; i < r; i++) dims[i] = st->gdims[i];
  switch (ds_table[k].extra) {
  case 1: dims[r++] = st->curve_max; break;
  case 2: dims[r++] = (hsize_t)st->n_max; break;
  case 3:
    dims[r++] = (hsize_t)st->n_max;
    dims[r++] = (hsize_t)st->m_max;
    break;
  case 4:
    dims[r++] = (hsize_t)st->snapshot_max;
    dims[r++] = (hsize_t)st->n_max;
    dims[r++] = (hsize_t)st->m_max;
    break;
  case 5: dims[r++] = (hsize_t)st->eval_max; break;
  default: break;
  }
  return r;
}

/* Whole-dataset write of a grid-shaped dataset (creation time). */
static int write_all(hid_t d, hid_t mtype, const void *buf) {
  return H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
}

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
      d = dataset_create(file, name, t, 1, &n, t, NULL);
      if (d >= 0 && write_all(d, t, s) < 0) {
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
      d = dataset_create(file, name, H5T_IEEE_F64LE, 1, &n, H5T_NATIVE_DOUBLE, NULL);
      if (d >= 0 && write_all(d, H5T_NATIVE_DOUBLE, v) < 0) {
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
  hid_t d = dataset_create(file, name, H5T_STD_I64LE, 1, &hn, H5T_NATIVE_INT64, NULL);
  if (d >= 0 && write_all(d, H5T_NATIVE_INT64, v) < 0) {
    H5Dclose(d);
    d = -1;
  }
  free(v);
  return d;
}

/* /axes: one dimension scale per grid dim, attached to every grid-shaped dataset in attach[0..n_attach). */
static tms_status write_axes(tms_store *st, const tms_sweep *sweep, const hid_t *attach, int n_attach,
                             tms_error *err) {
  hid_t *scales = calloc((size_t)st->grank, sizeof *scales);
  if (!scales) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for axes");
  tms_status s = TMS_OK;
  int made = 0;
  char name[256];
  for (int d = 0; d < st->grank && s == TMS_OK; d++) {
    const char *dim_name;
    hid_t sc;
    if (d < sweep->n_axes) {
      const tms_axis *ax = &sweep->axes[d];
      dim_name = ax->name;
      snprintf(name, sizeof name, "/axes/%s", ax->name);
      if (!ax->is_zip) {
        sc = values_dataset(st->file, name, &ax->params[0]);
      } else {
        sc = index_dataset(st->file, name, (size_t)ax->size);
        for (int p = 0; p < ax->n_params && sc >= 0; p++) {
          char mname[256];
          snprintf(mname, sizeof mname, "/axes/%s_members/%s", ax->name, ax->params[p].key);
          hid_t md = values_dataset(st->file, mname, &ax->params[p]);
          if (md < 0) {
            s = h5fail(err, st->path, "write a zip member's values");
            break;
          }
          H5Dclose(md);
        }
      }
    } else {
      dim_name = "replicate";
      sc = index_dataset(st->file, "/axes/replicate", (size_t)st->gdims[d]);
    }
    if (s != TMS_OK) {
      if (sc >= 0) H5Dclose(sc);
      break;
    }
    if (sc < 0 || H5DSset_scale(sc, dim_name) < 0) {
      if (sc >= 0) H5Dclose(sc);
      s = h5fail(err, st->path, "write a dimension scale under /axes");
      break;
    }
    scales[d] = sc;
    made++;
  }
  for (int i = 0; i < n_attach && s == TMS_OK; i++)
    for (int d = 0; d < st->grank; d++)
      if (H5DSattach_scale(attach[i], scales[d], (unsigned)d) < 0 ||
          H5DSset_label(attach[i], (unsigned)d, d < sweep->n_axes ? sweep->axes[d].name : "replicate") < 0) {
        s = h5fail(err, st->path, "attach a dimension scale");
        break;
      }
  for (int d = 0; d < made; d++) H5Dclose(scales[d]);
  free(scales);
  return s;
}

/* /params/<key> for every registry parameter except sparsity, and /points/seed; all points. With create = 0
 * the datasets exist already (forced resume) and only their data is rewritten. */
static tms_status write_params(tms_store *st, const tms_sweep *sweep, int create, hid_t *attach, int *n_attach,
                               tms_error *err) {
  int np = tms_param_count();
  double *num = malloc(st->count * sizeof *num);
  int8_t *code = malloc(st->count * sizeof *code);
  uint64_t *seed = malloc(st->count * sizeof *seed);
  tms_spec *specs = malloc(st->count * sizeof *specs);
  tms_status s = TMS_OK;
  if (!num || !code || !seed || !specs) {
    s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for %zu points' parameters", st->count);
    goto done;
  }
  for (size_t i = 0; i < st->count && s == TMS_OK; i++) {
    s = tms_grid_spec(sweep, i, &specs[i], err);
    seed[i] = specs[i].seed;
  }
  if (s != TMS_OK) goto done;
  if (write_all(st->ds[DS_SEED], H5T_NATIVE_UINT64, seed) < 0) {
    s = h5fail(err, st->path, "write /points/seed");
    goto done;
  }
  hsize_t dims[TMS_MAX_DIMS];
  for (int k = 0; k < st->grank; k++) dims[k] = st->gdims[k];
  for (int p = 0; p < np && s == TMS_OK; p++) {
    const tms_param_info *info = tms_param_at(p);
    if (strcmp(info->key, "sparsity") == 0) continue; /* density is stored */
    char name[128];
    snprintf(name, sizeof name, "/params/%s", info->key);
    int is_enum = info->kind == TMS_PARAM_ENUM;
    for (size_t i = 0; i < st->count; i++) {
      tms_value v;
      if (tms_spec_get(&specs[i], info->key, &v) != TMS_OK) {
        num[i] = NAN;
        code[i] = -1;
        continue;
      }
      if (is_enum) {
        code[i] = -1;
        for (int c = 0; info->choices[c]; c++)
          if (v.is_string && strcmp(info->choices[c], v.str) == 0) code[i] = (int8_t)c;
      } else {
        num[i] = v.is_string ? NAN : v.num;
      }
    }
    hid_t d;
    if (create) {
      d = is_enum ? dataset_create(st->file, name, H5T_STD_I8LE, st->grank, dims, H5T_NATIVE_INT8, NULL)
                  : dataset_create(st->file, name, H5T_IEEE_F64LE, st->grank, dims, H5T_NATIVE_INT8, NULL);
    } else {
      d = H5Dopen2(st->file, name, H5P_DEFAULT);
    }
    if (d < 0) {
      s = h5fail(err, st->path, create ? "create a /params dataset" : "open a /params dataset");
      break;
    }
    int rc = is_enum ? write_all(d, H5T_NATIVE_INT8, code) : write_all(d, H5T_NATIVE_DOUBLE, num);
    if (rc == 0 && is_enum && create) {
      const char *names[64];
      size_t nc = 0;
      while (info->choices[nc] && nc < 64) {
        names[nc] = info->choices[nc];
        nc++;
      }
      rc = attr_strs(d, "choices", names, nc);
    }
    if (rc < 0) {
      H5Dclose(d);
      s = h5fail(err, st->path, "write a /params dataset");
      break;
    }
    if (create && attach)
      attach[(*n_attach)++] = d;
    else
      H5Dclose(d);
  }
done:
  free(num);
  free(code);
  free(seed);
  free(specs);
  return s;
}

static void iso_now(char *buf, size_t size) {
  time_t t = time(NULL);
  struct tm tmv;
  gmtime_r(&t, &tmv);
  strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

static tms_status write_root_attrs(tms_store *st, const tms_sweep *sweep, const tms_store_provenance *prov,
                                   tms_error *err) {
  hid_t f = st->file;
  char created[32], hash[24], h5ver[32];
  iso_now(created, sizeof created);
  snprintf(hash, sizeof hash, "%016llx", (unsigned long long)tms_grid_config_hash(sweep));
  unsigned maj, min, rel;
  H5get_libversion(&maj, &min, &rel);
  snprintf(h5ver, sizeof h5ver, "%u.%u.%u", maj, min, rel);
  int64_t shape[TMS_MAX_DIMS];
  const char *names[TMS_MAX_DIMS];
  for (int k = 0; k < st->grank; k++) {
    shape[k] = (int64_t)st->gdims[k];
    names[k] = k < sweep->n_axes ? sweep->axes[k].name : "replicate";
  }
  hsize_t r = (hsize_t)st->grank;
  int rc = 0;
  rc |= attr_str(f, "schema", TMS_RESULTS_SCHEMA);
  rc |= attr_str(f, "tool_version", prov->tool_version);
  rc |= attr_str(f, "git_commit", prov->git_commit);
  rc |= attr_str(f, "created", created);
  rc |= attr_str(f, "sweep_name", sweep->name);
  rc |= attr_str(f, "sweep_path", sweep->path);
  rc |= attr_str(f, "sweep_yaml", sweep->text ? sweep->text : "");
  rc |= attr_str(f, "config_hash", hash);
  rc |= attr_u64(f, "seed", sweep->seed);
  rc |= attr_str(f, "mpi_version", prov->mpi_version);
  rc |= attr_str(f, "hdf5_version", h5ver);
  rc |= attr_str(f, "openblas_config", prov->openblas_config);
  rc |= attr_i64(f, "openblas_num_threads", prov->openblas_num_threads);
  rc |= attr_i64(f, "ranks", prov->ranks);
  rc |= attr_str(f, "kernels_isa", prov->kernels_isa ? prov->kernels_isa : "unknown");
  rc |= attr_str(f, "openblas_core", prov->openblas_core ? prov->openblas_core : "unknown");
  rc |= attr_write(f, "grid_shape", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &r, shape);
  rc |= attr_strs(f, "dim_names", names, (size_t)st->grank);
  rc |= attr_i64(f, "point_count", (int64_t)st->count);
  rc |= attr_i64(f, "n_max", st->n_max);
  rc |= attr_i64(f, "m_max", st->m_max);
  rc |= attr_i64(f, "curve_len", (int64_t)st->curve_max);
  rc |= attr_i64(f, "snapshot_len", (int64_t)st->snapshot_max); /* 0: no /results/W_history */
  rc |= attr_i64(f, "eval_len", (int64_t)st->eval_max);         /* 0: no /results/eval_curve */
  return rc ? h5fail(err, st->path, "write the root attributes") : TMS_OK;
}

tms_status tms_store_create(tms_store **out, const char *path, const tms_sweep *sweep,
                            const tms_store_provenance *prov, int force, tms_error *err) {
  *out = NULL;
  /* Library code never prints: HDF5's error stack is silenced, failures come back as statuses. Set
   * TMS_HDF5_DEBUG=1 in the environment to see HDF5's own trace when chasing a TMS_ERR_HDF5. */
  if (!getenv("TMS_HDF5_DEBUG")) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (!force && access(path, F_OK) == 0)
    return tms_error_set(err, TMS_ERR_EXISTS, path, 0, 0, NULL,
                         "output file exists; use --force to overwrite it or --resume to continue it");
  if (tms_grid_rank(sweep) > TMS_MAX_DIMS)
    return tms_error_set(err, TMS_ERR_CONFIG, sweep->path, 0, 0, NULL, "%d grid dimensions; at most %d are supported",
                         tms_grid_rank(sweep), TMS_MAX_DIMS);
  tms_store *st = store_alloc(path, sweep);
  if (!st) return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, "no memory for the store");
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.creating", path);
  tms_status s = TMS_OK;
  hid_t attach[DS_COUNT + 64];
  int n_attach = 0;
  hid_t fapl = open_fapl();
  if (fapl >= 0) st->file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (fapl >= 0) H5Pclose(fapl);
  if (st->file < 0) {
    s = tms_error_set(err, TMS_ERR_IO, tmp, 0, 0, NULL, "cannot create the results file (directory missing or "
                                                        "not writable?)");
    store_free(st);
    return s;
  }
  s = write_root_attrs(st, sweep, prov, err);

  /* Per-point datasets at full size; fill: NaN for floats, 0 for the rest. */
  const double dnan = NAN;
  const float fnan = NAN;
  for (int k = 0; k < DS_COUNT && s == TMS_OK; k++) {
    if (ds_absent(st, k)) continue;
    hsize_t dims[TMS_MAX_DIMS + 3];
    int rank = ds_dims(st, k, dims);
    char t = ds_table[k].type;
    const void *fill = t == 'd' ? (const void *)&dnan : t == 'f' ? (const void *)&fnan : NULL;
    st->ds[k] = dataset_create(st->file, ds_table[k].path, file_type(t), rank, dims, mem_type(t), fill);
    if (st->ds[k] < 0) s = h5fail(err, tmp, ds_table[k].path);
    else attach[n_attach++] = st->ds[k];
  }
  /* Excluded points are marked skipped from the start. */
  for (size_t i = 0; i < st->count; i++)
    st->status[i] = tms_grid_excluded(sweep, i) ? TMS_POINT_SKIPPED : TMS_POINT_PENDING;
  if (s == TMS_OK && write_all(st->ds[DS_STATUS], H5T_NATIVE_UINT8, st->status) < 0)
    s = h5fail(err, tmp, "write /points/status");
  int first_param = n_attach;
  if (s == TMS_OK) s = write_params(st, sweep, 1, attach, &n_attach, err);
  if (s == TMS_OK) s = write_axes(st, sweep, attach, n_attach, err);
  for (int i = first_param; i < n_attach; i++) H5Dclose(attach[i]);
  /* Every piece of metadata goes to disk now; afterwards only raw data changes. */
  if (s == TMS_OK && H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0) s = h5fail(err, tmp, "flush the new file");
  if (s == TMS_OK) {
    /* Publish under the final name: link() refuses to replace an existing file, rename() replaces (--force). */
    int rc;
    if (force) {
      rc = rename(tmp, path);
    } else {
      rc = link(tmp, path);
      if (rc == 0) unlink(tmp);
    }
    if (rc != 0) {
      s = errno == EEXIST ? tms_error_set(err, TMS_ERR_EXISTS, path, 0, 0, NULL,
                                          "output file appeared while creating; use --force to overwrite")
                          : tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot move %s to its name: %s", tmp,
                                          strerror(errno));
    }
  }
  if (s != TMS_OK) {
    /* Empty the half-made file first: if creation ran out of space, closing it must not (a failed H5Fclose
     * leaves HDF5 with a dangling file that crashes it at MPI_Finalize). */
    if (truncate(tmp, 0) != 0) { /* nothing more to do: it is removed below */
    }
    store_free(st);
    unlink(tmp);
    return s;
  }
  *out = st;
  return TMS_OK;
}

tms_status tms_store_open_resume(tms_store **out, const char *path, const tms_sweep *sweep, int force_resume,
                                 tms_error *err) {
  *out = NULL;
  if (!getenv("TMS_HDF5_DEBUG")) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (access(path, F_OK) != 0)
    return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot resume: no such file");
  tms_store *st = store_alloc(path, sweep);
  if (!st) return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, "no memory for the store");
  tms_status s = TMS_OK;
  hid_t fapl = open_fapl();
  if (fapl >= 0) st->file = H5Fopen(path, H5F_ACC_RDWR, fapl);
  if (fapl >= 0) H5Pclose(fapl);
  if (st->file < 0) {
    s = tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL,
                      "cannot open as HDF5 for writing (damaged, or killed while being created?)");
    goto fail;
  }
  char schema[64], hash[64], want[24];
  if (attr_read_str(st->file, "schema", schema, sizeof schema) < 0 || strcmp(schema, TMS_RESULTS_SCHEMA) != 0) {
    s = tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL, "schema is '%s', expected '%s'", schema,
                      TMS_RESULTS_SCHEMA);
    goto fail;
  }
  attr_read_str(st->file, "config_hash", hash, sizeof hash);
  snprintf(want, sizeof want, "%016llx", (unsigned long long)tms_grid_config_hash(sweep));
  int mismatch = strcmp(hash, want) != 0;
  if (mismatch && !force_resume) {
    s = tms_error_set(err, TMS_ERR_MISMATCH, path, 0, 0, NULL,
                      "config hash of the file is %s but the sweep's is %s: the sweep file changed since the run "
                      "started (use --force-resume to continue anyway, or a new -o file)",
                      hash, want);
    goto fail;
  }
  for (int k = 0; k < DS_COUNT; k++) {
    if (ds_absent(st, k)) continue;
    st->ds[k] = H5Dopen2(st->file, ds_table[k].path, H5P_DEFAULT);
    if (st->ds[k] < 0) {
      s = tms_error_set(err, TMS_ERR_MISMATCH, path, 0, 0, NULL, "the file has no %s for this sweep",
                        ds_table[k].path);
      goto fail;
    }
    hsize_t want_dims[TMS_MAX_DIMS + 3], got[TMS_MAX_DIMS + 3];
    int rank = ds_dims(st, k, want_dims);
    hid_t sp = H5Dget_space(st->ds[k]);
    int got_rank = H5Sget_simple_extent_ndims(sp);
    int same = got_rank == rank;
    if (same) {
      H5Sget_simple_extent_dims(sp, got, NULL);
      for (int i = 0; i < rank; i++) same &= got[i] == want_dims[i];
    }
    H5Sclose(sp);
    if (!same) {
      s = tms_error_set(err, TMS_ERR_MISMATCH, path, 0, 0, NULL,
                        "%s has another shape than this sweep's grid: cannot resume%s", ds_table[k].path,
                        mismatch ? " even with --force-resume" : "");
      goto fail;
    }
  }
  if (H5Dread(st->ds[DS_STATUS], H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, st->status) < 0 ||
      H5Dread(st->ds[DS_ATTEMPTS], H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, st->attempts) < 0 ||
      H5Dread(st->ds[DS_ERROR], H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, st->errors) < 0) {
    s = h5fail(err, path, "read /points/status, attempts and error");
    goto fail;
  }
  if (mismatch) {
    /* Forced: parameters and seeds describe what will be trained from now on (raw data only). The exclusion
     * mask is the new sweep's; done points keep their results. */
    s = write_params(st, sweep, 0, NULL, NULL, err);
    for (size_t i = 0; i < st->count && s == TMS_OK; i++) {
      int ex = tms_grid_excluded(sweep, i);
      if (ex && st->status[i] != TMS_POINT_SKIPPED) st->status[i] = TMS_POINT_SKIPPED;
      else if (!ex && st->status[i] == TMS_POINT_SKIPPED) st->status[i] = TMS_POINT_PENDING;
    }
    if (s == TMS_OK && write_all(st->ds[DS_STATUS], H5T_NATIVE_UINT8, st->status) < 0)
      s = h5fail(err, path, "write /points/status");
    if (s == TMS_OK && H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0) s = h5fail(err, path, "flush");
    if (s != TMS_OK) goto fail;
  }
  *out = st;
  return TMS_OK;
fail:
  store_free(st);
  return s;
}

tms_status tms_store_commit(tms_store *st, const tms_point_record *recs, int count, tms_error *err) {
  /* Phase 1: results (and the bookkeeping of failed attempts). */
  for (int r = 0; r < count; r++) {
    const tms_point_record *p = &recs[r];
    size_t i = p->index;
    if (i >= st->count) return tms_error_set(err, TMS_ERR_HDF5, st->path, 0, 0, NULL, "point %zu out of range", i);
    int32_t attempts = st->attempts[i] + 1, code = (int32_t)p->status;
    int rc = 0;
    if (p->status == TMS_OK) {
      rc |= write_row(st, st->ds[DS_LOSS], H5T_NATIVE_DOUBLE, i, &p->loss);
      rc |= write_row(st, st->ds[DS_CURVE], H5T_NATIVE_FLOAT, i, p->loss_curve);
      rc |= write_row(st, st->ds[DS_W], H5T_NATIVE_FLOAT, i, p->W);
      if (st->has_w2 && p->W2) rc |= write_row(st, st->ds[DS_W2], H5T_NATIVE_FLOAT, i, p->W2);
      if (st->snapshot_max > 0 && p->W_history)
        rc |= write_row(st, st->ds[DS_WHIST], H5T_NATIVE_FLOAT, i, p->W_history);
      if (st->eval_max > 0 && p->eval_curve)
        rc |= write_row(st, st->ds[DS_EVAL], H5T_NATIVE_FLOAT, i, p->eval_curve);
      rc |= write_row(st, st->ds[DS_B], H5T_NATIVE_FLOAT, i, p->b);
      rc |= write_row(st, st->ds[DS_NORM], H5T_NATIVE_DOUBLE, i, p->norm);
      rc |= write_row(st, st->ds[DS_INTERF], H5T_NATIVE_DOUBLE, i, p->interference);
      rc |= write_row(st, st->ds[DS_DIM], H5T_NATIVE_DOUBLE, i, p->dimensionality);
      rc |= write_row(st, st->ds[DS_DSTAR], H5T_NATIVE_DOUBLE, i, &p->dstar);
    }
    rc |= write_row(st, st->ds[DS_WALL], H5T_NATIVE_DOUBLE, i, &p->wall_s);
    rc |= write_row(st, st->ds[DS_ATTEMPTS], H5T_NATIVE_INT32, i, &attempts);
    rc |= write_row(st, st->ds[DS_ERROR], H5T_NATIVE_INT32, i, &code);
    if (rc) return h5fail(err, st->path, "write a point's results");
    st->attempts[i] = attempts;
    st->errors[i] = code;
  }
  if (H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0) return h5fail(err, st->path, "flush results");
  /* Phase 2: statuses, only after the results are on disk. */
  for (int r = 0; r < count; r++) {
    size_t i = recs[r].index;
    uint8_t v = recs[r].status == TMS_OK ? TMS_POINT_DONE : TMS_POINT_FAILED;
    if (write_row(st, st->ds[DS_STATUS], H5T_NATIVE_UINT8, i, &v) < 0)
      return h5fail(err, st->path, "write a point's status");
    st->status[i] = v;
  }
  if (H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0) return h5fail(err, st->path, "flush statuses");
  return TMS_OK;
}

tms_status tms_store_close(tms_store *st, tms_error *err) {
  if (!st) return TMS_OK;
  tms_status s = TMS_OK;
  for (int k = 0; k < DS_COUNT; k++) {
    if (st->ds[k] >= 0 && H5Dclose(st->ds[k]) < 0 && s == TMS_OK) s = h5fail(err, st->path, "close a dataset");
    st->ds[k] = -1;
  }
  if (st->file >= 0 && H5Fclose(st->file) < 0 && s == TMS_OK) s = h5fail(err, st->path, "close the file");
  st->file = -1;
  store_free(st);
  return s;
}

const uint8_t *tms_store_status(const tms_store *st) { return st->status; }
const int32_t *tms_store_attempts(const tms_store *st) { return st->attempts; }
const int32_t *tms_store_errors(const tms_store *st) { return st->errors; }
size_t tms_store_point_count(const tms_store *st) { return st->count; }
void tms_store_extent(const tms_store *st, int *n_max, int *m_max, size_t *curve_max, int *has_w2) {
  if (n_max) *n_max = st->n_max;
  if (m_max) *m_max = st->m_max;
  if (curve_max) *curve_max = st->curve_max;
  if (has_w2) *has_w2 = st->has_w2;
}
