/* results_file: see results_file.h. Paths, attribute names and shapes come from the schema's table
 * (schema/schema.h), as the store's do; only the values are the test's. Strings are written as a mix of fixed-length (schema) and variable-length
 * (dim_names, choices) on purpose, so the reader's two string paths are both exercised. */
#include "results_file.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "schema/schema.h"

size_t test_points(const test_results *t) {
  size_t p = 1;
  for (int k = 0; k < t->rank; k++) p *= t->dims[k];
  return p;
}

#define DS(id) tms_schema_results_ds(id)->path

static int put(hid_t f, const char *path, hid_t type, int rank, const hsize_t *dims, const void *buf) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t s = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(f, path, type, s, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  int bad = d < 0 || H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0;
  if (d >= 0) H5Dclose(d);
  H5Sclose(s);
  H5Pclose(lcpl);
  if (bad) fprintf(stderr, "results_file: cannot write %s\n", path);
  return bad;
}

static hid_t vstr(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  return t;
}

static void attr_texts(hid_t obj, const char *name, const char *const *v, size_t n) {
  hid_t t = vstr();
  hsize_t d = n;
  hid_t s = H5Screate_simple(1, &d, NULL);
  hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, v);
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
}

static void attr_text(hid_t obj, const char *name, const char *v, int fixed) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (fixed) H5Tset_size(t, strlen(v) ? strlen(v) : 1);
  else H5Tset_size(t, H5T_VARIABLE);
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  if (fixed) H5Awrite(a, t, v);
  else H5Awrite(a, t, &v);
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
}

static void attr_i64(hid_t obj, const char *name, const int64_t *v, size_t n, int scalar) {
  hsize_t d = n;
  hid_t s = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &d, NULL);
  hid_t a = H5Acreate2(obj, name, H5T_NATIVE_INT64, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT64, v);
  H5Aclose(a);
  H5Sclose(s);
}

/* Root attributes: every one the schema requires, with test values. */
static void write_root(hid_t f, const test_results *t) {
  size_t P = test_points(t);
  attr_text(f, TMS_A_SCHEMA, t->schema ? t->schema : "tms-results/1", 1);
  attr_text(f, TMS_A_TOOL_VERSION, "0.1.0", 0);
  attr_text(f, TMS_A_GIT_COMMIT, "test", 0);
  attr_text(f, TMS_A_CREATED, "2026-01-01T00:00:00Z", 0);
  attr_text(f, TMS_A_SWEEP_NAME, "post-test", 0);
  attr_text(f, TMS_A_SWEEP_PATH, "tests/post/none.yaml", 0);
  attr_text(f, TMS_A_SWEEP_YAML, "schema: tms-sweep/1\nname: post-test\n", 0);
  attr_text(f, TMS_A_CONFIG_HASH, "0123456789abcdef", 0);
  attr_text(f, TMS_A_MPI_VERSION, "none", 0);
  attr_text(f, TMS_A_HDF5_VERSION, "1.10", 0);
  attr_text(f, TMS_A_OPENBLAS_CONFIG, "none", 0);
  int64_t one = 1, seed = 2022, shape[TEST_MAX_DIMS];
  for (int k = 0; k < t->rank; k++) shape[k] = (int64_t)t->dims[k];
  attr_i64(f, TMS_A_SEED, &seed, 1, 1);
  attr_i64(f, TMS_A_OPENBLAS_THREADS, &one, 1, 1);
  attr_i64(f, TMS_A_RANKS, &one, 1, 1);
  attr_i64(f, TMS_A_GRID_SHAPE, shape, (size_t)t->rank, 0);
  attr_texts(f, TMS_A_DIM_NAMES, t->names, (size_t)t->rank);
  int64_t pc = (int64_t)P, nm = t->n_max, mm = t->m_max, cl = 1;
  attr_i64(f, TMS_A_POINT_COUNT, &pc, 1, 1);
  attr_i64(f, TMS_A_N_MAX, &nm, 1, 1);
  attr_i64(f, TMS_A_M_MAX, &mm, 1, 1);
  attr_i64(f, TMS_A_CURVE_LEN, &cl, 1, 1);
  int64_t sl = (int64_t)t->snapshot_len, el = (int64_t)t->eval_len;
  attr_i64(f, TMS_A_SNAPSHOT_LEN, &sl, 1, 1);
  attr_i64(f, TMS_A_EVAL_LEN, &el, 1, 1);
}

/* /axes: replicate indices, words (fixed-length, as the store writes them) or numbers. */
static int write_axes(hid_t f, const test_results *t) {
  int bad = 0;
  for (int k = 0; k < t->rank; k++) {
    char p[128];
    snprintf(p, sizeof p, TMS_SCHEMA_AXES "/%s", t->names[k]);
    hsize_t d = t->dims[k];
    if (k == t->rank - 1) {
      int64_t *r = malloc(t->dims[k] * sizeof *r);
      for (size_t i = 0; i < t->dims[k]; i++) r[i] = (int64_t)i;
      bad |= put(f, p, H5T_NATIVE_INT64, 1, &d, r);
      free(r);
    } else if (t->words[k]) {
      /* fixed-length, as the store writes them (parallel HDF5 cannot write variable-length data) */
      size_t w = 1;
      for (size_t i = 0; i < t->dims[k]; i++)
        if (strlen(t->words[k][i]) + 1 > w) w = strlen(t->words[k][i]) + 1;
      char *buf = calloc(t->dims[k], w);
      for (size_t i = 0; i < t->dims[k]; i++) memcpy(buf + i * w, t->words[k][i], strlen(t->words[k][i]));
      hid_t st = H5Tcopy(H5T_C_S1);
      H5Tset_size(st, w);
      bad |= put(f, p, st, 1, &d, buf);
      H5Tclose(st);
      free(buf);
    } else {
      bad |= put(f, p, H5T_NATIVE_DOUBLE, 1, &d, t->axis[k]);
    }
  }
  return bad;
}

/* /params: every registry key but sparsity. */
static int write_params(hid_t f, const test_results *t, const hsize_t *g) {
  size_t P = test_points(t);
  int bad = 0;
  /* params: every registry key but sparsity */
  double *v = malloc(P * sizeof *v);
  int8_t *code = malloc(P);
  for (int i = 0; i < tms_param_count(); i++) {
    const tms_param_info *info = tms_param_at(i);
    if (strcmp(info->key, TMS_SCHEMA_NOT_STORED) == 0) continue;
    char p[128];
    snprintf(p, sizeof p, TMS_SCHEMA_PARAMS "/%s", info->key);
    for (size_t q = 0; q < P; q++) {
      tms_value val;
      tms_spec_get(&t->spec[q], info->key, &val);
      v[q] = val.num;
      code[q] = 0;
      if (info->kind == TMS_PARAM_ENUM)
        for (int c = 0; info->choices[c]; c++)
          if (strcmp(info->choices[c], val.str) == 0) code[q] = (int8_t)c;
    }
    if (info->kind == TMS_PARAM_ENUM) {
      bad |= put(f, p, H5T_NATIVE_INT8, t->rank, g, code);
      size_t nc = 0;
      while (info->choices[nc]) nc++;
      hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
      attr_texts(d, TMS_A_CHOICES, (const char *const *)info->choices, nc);
      H5Dclose(d);
    } else {
      bad |= put(f, p, H5T_NATIVE_DOUBLE, t->rank, g, v);
    }
  }
  free(code);
  free(v);
  return bad;
}

static int write_points(hid_t f, const test_results *t, const hsize_t *g) {
  size_t P = test_points(t);
  int bad = 0;
  double *v = malloc(P * sizeof *v);
  int32_t *i32 = calloc(P, sizeof *i32);
  uint64_t *seeds = malloc(P * sizeof *seeds);
  for (size_t q = 0; q < P; q++) {
    seeds[q] = t->spec[q].seed;
    v[q] = 0.01;
    i32[q] = 1;
  }
  bad |= put(f, DS(TMS_DS_STATUS), H5T_NATIVE_UINT8, t->rank, g, t->status);
  bad |= put(f, DS(TMS_DS_ATTEMPTS), H5T_NATIVE_INT32, t->rank, g, i32);
  for (size_t q = 0; q < P; q++) i32[q] = 0;
  bad |= put(f, DS(TMS_DS_ERROR), H5T_NATIVE_INT32, t->rank, g, i32);
  bad |= put(f, DS(TMS_DS_WALL), H5T_NATIVE_DOUBLE, t->rank, g, v);
  bad |= put(f, DS(TMS_DS_SEED), H5T_NATIVE_UINT64, t->rank, g, seeds);
  free(i32);
  free(seeds);
  free(v);
  return bad;
}

/* /results and /metrics (metrics as the store computes them: NaN beyond n and for points not done). */
static int write_results(hid_t f, const test_results *t, hsize_t *g) {
  size_t P = test_points(t), N = (size_t)t->n_max, M = (size_t)t->m_max;
  int bad = 0;
  bad |= put(f, DS(TMS_DS_LOSS), H5T_NATIVE_DOUBLE, t->rank, g, t->loss);
  float *curve = malloc(P * sizeof *curve);
  for (size_t q = 0; q < P; q++) curve[q] = (float)t->loss[q];
  g[t->rank] = 1;
  bad |= put(f, DS(TMS_DS_CURVE), H5T_NATIVE_FLOAT, t->rank + 1, g, curve);
  free(curve);
  g[t->rank] = N;
  g[t->rank + 1] = M;
  if (!t->omit_W) bad |= put(f, DS(TMS_DS_W), H5T_NATIVE_FLOAT, t->rank + 2, g, t->W);
  if (t->W2) bad |= put(f, DS(TMS_DS_W2), H5T_NATIVE_FLOAT, t->rank + 2, g, t->W2);
  bad |= put(f, DS(TMS_DS_B), H5T_NATIVE_FLOAT, t->rank + 1, g, t->b);
  if (t->snapshot_len) {
    g[t->rank] = t->snapshot_len, g[t->rank + 1] = N, g[t->rank + 2] = M;
    bad |= put(f, DS(TMS_DS_W_HISTORY), H5T_NATIVE_FLOAT, t->rank + 3, g, t->W_history);
  }
  if (t->eval_len) {
    g[t->rank] = t->eval_len;
    bad |= put(f, DS(TMS_DS_EVAL_CURVE), H5T_NATIVE_FLOAT, t->rank + 1, g, t->eval_curve);
  }
  g[t->rank] = N;

  /* metrics, as the store computes them (NaN beyond n and for points not done) */
  double *norm = malloc(P * N * 3 * sizeof *norm), *dstar = malloc(P * sizeof *dstar);
  float *w = malloc((N * M + 1) * sizeof *w);
  for (size_t q = 0; q < P * N * 3; q++) norm[q] = NAN;
  for (size_t q = 0; q < P; q++) {
    dstar[q] = NAN;
    if (!tms_point_done(t->status[q])) continue;
    int n = t->spec[q].n_features, m = t->spec[q].n_hidden;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < m; j++) w[i * m + j] = t->W[q * N * M + (size_t)i * M + (size_t)j];
    tms_metric_point(norm + q * N, norm + P * N + q * N, norm + 2 * P * N + q * N, &dstar[q], w, n, m);
  }
  bad |= put(f, DS(TMS_DS_NORM), H5T_NATIVE_DOUBLE, t->rank + 1, g, norm);
  bad |= put(f, DS(TMS_DS_INTERFERENCE), H5T_NATIVE_DOUBLE, t->rank + 1, g, norm + P * N);
  bad |= put(f, DS(TMS_DS_DIMENSIONALITY), H5T_NATIVE_DOUBLE, t->rank + 1, g, norm + 2 * P * N);
  bad |= put(f, DS(TMS_DS_DSTAR), H5T_NATIVE_DOUBLE, t->rank, g, dstar);
  free(norm);
  free(dstar);
  free(w);
  return bad;
}

int test_write_results(const char *path, const test_results *t) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) {
    fprintf(stderr, "results_file: cannot create %s\n", path);
    return 1;
  }
  hsize_t g[TEST_MAX_DIMS + 3];
  for (int k = 0; k < t->rank; k++) g[k] = t->dims[k];
  write_root(f, t);
  int bad = write_axes(f, t);
  bad |= write_params(f, t, g);
  bad |= write_points(f, t, g);
  bad |= write_results(f, t, g);
  H5Fclose(f);
  return bad;
}
