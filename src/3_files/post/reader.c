/* reader: a results file (schema "tms-results/1") into a tms_post_results in memory.
 * Validates the file against the schema's table first (schema/schema.h), then reads what every product needs (grid shape from /points/status,
 * dim_names, axes, /params) and whatever of seed, loss, W, W2, b exists; the products check for what they need and
 * say which dataset is missing. Not here: any computation on the values.
 * Invariant: res->dims[rank-1] is the replicate dim; points = cells * replicates, in C order. */
#define _POSIX_C_SOURCE 200809L /* strdup, access, gmtime_r */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "post_h5.h"
#include "post/post.h"
#include "schema/schema_h5.h"

static tms_status missing(tms_error *err, const char *file, const char *dataset, const char *product) {
  return tms_error_set(err, TMS_ERR_MISSING, file, 0, 0, NULL, "results file lacks %s, needed for %s", dataset,
                       product);
}

static char *fmt_number(double v) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.17g", v);
  /* shortest text that reads back to the same double, so 0.1 prints as 0.1 */
  for (int prec = 6; prec < 17; prec++) {
    char t[64];
    snprintf(t, sizeof t, "%.*g", prec, v);
    if (strtod(t, NULL) == v) {
      memcpy(buf, t, sizeof t);
      break;
    }
  }
  return strdup(buf);
}

/* Values of dataset path (size entries) as text. */
static tms_status read_text_column(hid_t file, const char *path, size_t size, char ***out, tms_error *err) {
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot open %s", path);
  hid_t t = H5Dget_type(d);
  H5T_class_t cls = H5Tget_class(t);
  H5Tclose(t);
  tms_status st = TMS_OK;
  if (cls == H5T_STRING) {
    size_t n = 0;
    st = post_h5_read_strings(d, 0, path, out, &n, err);
    if (st == TMS_OK && n != size) {
      post_free_strings(*out, n);
      *out = NULL;
      st = tms_error_set(err, TMS_ERR_SCHEMA, NULL, 0, 0, path, "%s has %zu values, the grid dim has %zu", path, n,
                         size);
    }
    H5Dclose(d);
    return st;
  }
  H5Dclose(d);
  double *v = malloc((size ? size : 1) * sizeof *v);
  char **text = calloc(size ? size : 1, sizeof *text);
  if (!v || !text) st = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, path, "no memory for %s", path);
  if (st == TMS_OK) st = post_h5_read(file, path, H5T_NATIVE_DOUBLE, v, size, err);
  for (size_t i = 0; st == TMS_OK && i < size; i++)
    if (!(text[i] = fmt_number(v[i]))) st = TMS_ERR_NOMEM;
  free(v);
  if (st != TMS_OK) {
    post_free_strings(text, size);
    return st;
  }
  *out = text;
  return TMS_OK;
}

typedef struct {
  char names[64][64];
  int count;
} name_list;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)g;
  (void)info;
  name_list *l = data;
  if (l->count < 64) snprintf(l->names[l->count++], sizeof l->names[0], "%s", name);
  return 0;
}

static tms_status add_column(tms_post_axis *ax, const char *name, hid_t file, const char *path, tms_error *err) {
  tms_post_column *c = realloc(ax->columns, (size_t)(ax->n_columns + 1) * sizeof *c);
  if (!c) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, path, "no memory");
  ax->columns = c;
  tms_post_column *col = &c[ax->n_columns];
  memset(col, 0, sizeof *col);
  snprintf(col->name, sizeof col->name, "%s", name);
  tms_status st = read_text_column(file, path, ax->size, &col->text, err);
  if (st == TMS_OK) ax->n_columns++;
  return st;
}

static tms_status read_axis(tms_post_axis *ax, hid_t file, const char *file_path, tms_error *err) {
  char path[256];
  snprintf(path, sizeof path, "/axes/%s", ax->name);
  if (!tms_schema_h5_exists(file, path)) return missing(err, file_path, path, "the axis columns of every product");
  tms_status st = add_column(ax, ax->name, file, path, err);
  if (st != TMS_OK) return st;
  char members[256];
  snprintf(members, sizeof members, "/axes/%s_members", ax->name);
  if (!tms_schema_h5_exists(file, members)) return TMS_OK;
  /* a zip group: one extra column per member key, in the (alphabetical) order HDF5 lists them */
  hid_t g = H5Gopen2(file, members, H5P_DEFAULT);
  if (g < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, members, "cannot open %s", members);
  name_list names;
  names.count = 0;
  hsize_t idx = 0;
  H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &names);
  H5Gclose(g);
  for (int k = 0; k < names.count && st == TMS_OK; k++) {
    char mpath[512];
    snprintf(mpath, sizeof mpath, "%s/%s", members, names.names[k]);
    st = add_column(ax, names.names[k], file, mpath, err);
  }
  return st;
}

static tms_status read_param(tms_post_param *p, hid_t file, const char *key, size_t points, tms_error *err) {
  char path[128];
  snprintf(path, sizeof path, "/params/%s", key);
  snprintf(p->key, sizeof p->key, "%s", key);
  p->values = malloc(points * sizeof *p->values);
  if (!p->values) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, path, "no memory");
  tms_status st = post_h5_read(file, path, H5T_NATIVE_DOUBLE, p->values, points, err);
  if (st != TMS_OK) return st;
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot open %s", path);
  if (post_h5_attr_exists(d, "choices")) {
    size_t n = 0;
    st = post_h5_attr_strings(d, "choices", &p->choices, &n, err);
    p->n_choices = (int)n;
  }
  H5Dclose(d);
  return st;
}

/* Reads an optional dataset of count elements into *out (left NULL when absent). */
static tms_status read_optional(hid_t file, const char *path, hid_t type, size_t esize, size_t count, void **out,
                                tms_error *err) {
  *out = NULL;
  if (!tms_schema_h5_exists(file, path)) return TMS_OK;
  void *buf = malloc((count ? count : 1) * esize);
  if (!buf) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, path, "no memory for %s", path);
  tms_status st = post_h5_read(file, path, type, buf, count, err);
  if (st != TMS_OK) {
    free(buf);
    return st;
  }
  *out = buf;
  return TMS_OK;
}

/* Grid, dim names and axes; the schema check has validated grid_shape and dim_names against each other. */
static tms_status read_grid(tms_post_results *res, hid_t file, const char *path, const tms_schema_extent *x,
                            tms_error *err) {
  if (!tms_schema_h5_exists(file, "/points/status")) return missing(err, path, "/points/status", "every product");
  res->rank = x->rank;
  res->points = tms_schema_points(x);
  for (int k = 0; k < x->rank; k++) res->dims[k] = x->dims[k];
  res->replicates = res->dims[x->rank - 1];
  res->cells = res->replicates ? res->points / res->replicates : 0;
  char **names = NULL;
  size_t n_names = 0;
  tms_status st = post_h5_attr_strings(file, TMS_A_DIM_NAMES, &names, &n_names, err);
  if (st != TMS_OK) return st;
  for (int k = 0; k < x->rank && k < (int)n_names; k++) {
    snprintf(res->axes[k].name, sizeof res->axes[k].name, "%s", names[k]);
    res->axes[k].size = res->dims[k];
  }
  post_free_strings(names, n_names);
  for (int k = 0; k < x->rank && st == TMS_OK; k++) st = read_axis(&res->axes[k], file, path, err);
  return st;
}

/* /points/status and every /params/<key> the file has; variant, n_features and n_hidden are required. */
static tms_status read_params(tms_post_results *res, hid_t file, const char *path, tms_error *err) {
  size_t P = res->points;
  res->status = malloc(P ? P : 1);
  if (!res->status) return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, "no memory");
  tms_status st = post_h5_read(file, tms_schema_results_ds(TMS_DS_STATUS)->path, H5T_NATIVE_UINT8, res->status, P,
                               err);
  if (st != TMS_OK) return st;
  for (size_t p = 0; p < P; p++)
    if (res->status[p] > TMS_POINT_SKIPPED)
      return tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL,
                           "/points/status of point %zu is %u, not a status tms-sweep writes (0..3): damaged file", p,
                           (unsigned)res->status[p]);
  res->params = calloc((size_t)tms_param_count(), sizeof *res->params);
  if (!res->params) return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, "no memory");
  for (int i = 0; i < tms_param_count(); i++) {
    const char *key = tms_param_at(i)->key;
    char ppath[128];
    snprintf(ppath, sizeof ppath, TMS_SCHEMA_PARAMS "/%s", key);
    if (strcmp(key, TMS_SCHEMA_NOT_STORED) == 0 || !tms_schema_h5_exists(file, ppath)) continue;
    st = read_param(&res->params[res->n_params], file, key, P, err);
    res->n_params++;
    if (st != TMS_OK) return st;
  }
  static const char *const required[] = {"variant", "n_features", "n_hidden"};
  for (int i = 0; i < 3; i++)
    if (!tms_post_param_find(res, required[i])) {
      char ds[64];
      snprintf(ds, sizeof ds, TMS_SCHEMA_PARAMS "/%s", required[i]);
      return missing(err, path, ds, "the model shape of every point");
    }
  return TMS_OK;
}

/* Whatever of seed, loss, W, W2, b the file has, padded to the file's n_max x m_max. */
static tms_status read_data(tms_post_results *res, hid_t file, const char *path, const tms_schema_extent *x,
                            tms_error *err) {
  size_t P = res->points;
  res->n_max = (int)x->n_max;
  res->m_max = (int)x->m_max;
  const tms_post_param *pn = tms_post_param_find(res, "n_features"), *pm = tms_post_param_find(res, "n_hidden");
  for (size_t p = 0; p < P; p++) {
    double n = pn->values[p], m = pm->values[p];
    /* NaN, fractions and values below 1 too: they are cast to int later (found by tests/fuzz) */
    if (!(n >= 1 && n <= res->n_max && m >= 1 && m <= res->m_max) || n != floor(n) || m != floor(m))
      return tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL,
                           "point %zu has n=%g, m=%g: not integers in 1..n_max=%d, 1..m_max=%d", p, n, m, res->n_max,
                           res->m_max);
  }
  size_t nm = P * (size_t)res->n_max * (size_t)res->m_max;
  const struct {
    tms_results_ds id;
    hid_t type;
    size_t esize, count;
    void **out;
  } rows[] = {
      {TMS_DS_SEED, H5T_NATIVE_UINT64, sizeof(uint64_t), P, (void **)&res->seed},
      {TMS_DS_LOSS, H5T_NATIVE_DOUBLE, sizeof(double), P, (void **)&res->loss},
      {TMS_DS_W, H5T_NATIVE_FLOAT, sizeof(float), nm, (void **)&res->W},
      {TMS_DS_W2, H5T_NATIVE_FLOAT, sizeof(float), nm, (void **)&res->W2},
      {TMS_DS_B, H5T_NATIVE_FLOAT, sizeof(float), P * (size_t)res->n_max, (void **)&res->b},
  };
  tms_status st = TMS_OK;
  for (size_t r = 0; r < sizeof rows / sizeof rows[0] && st == TMS_OK; r++)
    st = read_optional(file, tms_schema_results_ds(rows[r].id)->path, rows[r].type, rows[r].esize, rows[r].count,
                       rows[r].out, err);
  return st;
}

static tms_status cache_shape(tms_post_results *res, tms_error *err); /* below, beside tms_post_point_shape */

static tms_status read_file(tms_post_results *res, hid_t file, const char *path, tms_error *err) {
  /* The schema's validation first: after it, every dataset present has its table's type and shape. */
  tms_schema_extent x;
  tms_status st;
  H5E_BEGIN_TRY { st = tms_schema_check_h5(file, path, TMS_FILE_RESULTS, 0, &x, err); }
  H5E_END_TRY;
  if (st != TMS_OK) return st;
  if (post_h5_attr_exists(file, TMS_A_CONFIG_HASH))
    post_h5_attr_text(file, TMS_A_CONFIG_HASH, res->config_hash, sizeof res->config_hash, NULL);
  if ((st = read_grid(res, file, path, &x, err)) != TMS_OK) return st;
  if ((st = read_params(res, file, path, err)) != TMS_OK) return st;
  if ((st = cache_shape(res, err)) != TMS_OK) return st;
  return read_data(res, file, path, &x, err);
}

/* Why an HDF5 file did not open: locked by a run (it opens with locking off), or damaged / truncated. */
static tms_status open_failed(const char *path, tms_error *err) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), probe = H5I_INVALID_HID;
  H5E_BEGIN_TRY {
    if (H5Pset_file_locking(fapl, 0, 1) >= 0) probe = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  }
  H5E_END_TRY;
  H5Pclose(fapl);
  if (probe >= 0) {
    H5Fclose(probe);
    return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL,
                         "cannot open the HDF5 file: a tms-sweep run still has it open (HDF5 file locking refuses a "
                         "second open: wait for the run, or set HDF5_USE_FILE_LOCKING=FALSE)");
  }
  return tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL,
                       "damaged or truncated: HDF5 signature present but the file does not open");
}

tms_status tms_post_results_read(tms_post_results *res, const char *path, tms_error *err) {
  memset(res, 0, sizeof *res);
  snprintf(res->path, sizeof res->path, "%s", path);
  if (access(path, R_OK) != 0) return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot read the file");
  htri_t is = -1;
  H5E_BEGIN_TRY { is = H5Fis_hdf5(path); }
  H5E_END_TRY;
  if (is <= 0)
    return tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL, "not an HDF5 file (expected schema \"%s\")",
                         TMS_RESULTS_SCHEMA);
  hid_t file = H5I_INVALID_HID;
  H5E_BEGIN_TRY { file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
  H5E_END_TRY;
  if (file < 0) return open_failed(path, err);
  tms_status st = read_file(res, file, path, err);
  H5Fclose(file);
  if (st != TMS_OK) {
    if (err && !err->file[0]) snprintf(err->file, sizeof err->file, "%s", path);
    tms_post_results_free(res);
  }
  return st;
}

void tms_post_results_free(tms_post_results *res) {
  if (!res) return;
  for (int k = 0; k < TMS_SCHEMA_MAX_RANK; k++) {
    for (int c = 0; c < res->axes[k].n_columns; c++) post_free_strings(res->axes[k].columns[c].text, res->axes[k].size);
    free(res->axes[k].columns);
  }
  for (int i = 0; i < res->n_params; i++) {
    free(res->params[i].values);
    post_free_strings(res->params[i].choices, (size_t)res->params[i].n_choices);
  }
  free(res->params);
  free(res->variant_of_code);
  free(res->status);
  free(res->seed);
  free(res->loss);
  free(res->W);
  free(res->W2);
  free(res->b);
  memset(res, 0, sizeof *res);
}

const tms_post_param *tms_post_param_find(const tms_post_results *res, const char *key) {
  for (int i = 0; i < res->n_params; i++)
    if (strcmp(res->params[i].key, key) == 0) return &res->params[i];
  return NULL;
}

/* The word of an enum parameter at a point: from the file's choices, else the registry's (codes are enum values). */
static const char *param_word(const tms_post_param *p, size_t point) {
  double v = p->values[point];
  if (!(v >= 0 && v < 1e6) || v != floor(v)) return NULL; /* before the cast: a damaged file may hold anything */
  int code = (int)v;
  if (p->choices) return code < p->n_choices ? p->choices[code] : NULL;
  const tms_param_info *info = tms_param_find(p->key);
  if (!info || !info->choices) return NULL;
  for (int i = 0; info->choices[i]; i++)
    if (i == code) return info->choices[i];
  return NULL;
}

/* The variant a word names (the registry's choice of that name), TMS_RELU_OUT for none. */
static tms_variant variant_of_word(const char *word) {
  const tms_param_info *info = tms_param_find("variant");
  tms_variant v = TMS_RELU_OUT;
  for (int i = 0; word && info->choices[i]; i++)
    if (strcmp(info->choices[i], word) == 0) v = (tms_variant)i;
  return v;
}

/* What tms_post_point_shape needs, looked up once (enum codes are small integers: one variant per code). */
static tms_status cache_shape(tms_post_results *res, tms_error *err) {
  res->param_variant = tms_post_param_find(res, "variant");
  res->param_n = tms_post_param_find(res, "n_features");
  res->param_m = tms_post_param_find(res, "n_hidden");
  const tms_post_param *pv = res->param_variant;
  const tms_param_info *info = tms_param_find("variant");
  int codes = 0;
  if (pv && pv->choices) codes = pv->n_choices;
  else while (info->choices[codes]) codes++;
  res->variant_of_code = malloc((size_t)(codes > 0 ? codes : 1) * sizeof *res->variant_of_code);
  if (!res->variant_of_code) return tms_error_set(err, TMS_ERR_NOMEM, res->path, 0, 0, NULL, "no memory");
  for (int c = 0; c < codes; c++)
    res->variant_of_code[c] = variant_of_word(pv && pv->choices ? pv->choices[c] : info->choices[c]);
  res->n_variant_codes = codes;
  res->shape_ready = 1;
  return TMS_OK;
}

void tms_post_point_shape(const tms_post_results *res, size_t point, tms_variant *variant, int *n, int *m) {
  const int ready = res->shape_ready;
  const tms_post_param *pv = ready ? res->param_variant : tms_post_param_find(res, "variant");
  const tms_post_param *pn = ready ? res->param_n : tms_post_param_find(res, "n_features");
  const tms_post_param *pm = ready ? res->param_m : tms_post_param_find(res, "n_hidden");
  *n = pn ? (int)pn->values[point] : 0;
  *m = pm ? (int)pm->values[point] : 0;
  if (*n > res->n_max) *n = res->n_max;
  if (*m > res->m_max) *m = res->m_max;
  *variant = TMS_RELU_OUT;
  if (!pv) return;
  if (!ready) {
    *variant = variant_of_word(param_word(pv, point));
    return;
  }
  const double code = pv->values[point]; /* param_word's test: a damaged file may hold anything */
  if (code >= 0 && code < res->n_variant_codes && code == floor(code)) *variant = res->variant_of_code[(int)code];
}

tms_status tms_post_point_spec(tms_spec *spec, const tms_post_results *res, size_t point, const char *product,
                               tms_error *err) {
  tms_spec_defaults(spec);
  for (int i = 0; i < tms_param_count(); i++) {
    const tms_param_info *info = tms_param_at(i);
    if (strcmp(info->key, "sparsity") == 0) continue;
    const tms_post_param *p = tms_post_param_find(res, info->key);
    char ds[96];
    snprintf(ds, sizeof ds, "/params/%s", info->key);
    /* snapshot_every only decides what is logged, never the trained model; files written before it existed lack it */
    if (!p && strcmp(info->key, "snapshot_every") == 0) continue;
    if (!p && strcmp(info->key, "eval_every") == 0) continue; /* the same for the evaluation curve */
    if (!p) return missing(err, res->path, ds, product);
    tms_value v;
    memset(&v, 0, sizeof v);
    if (info->kind == TMS_PARAM_ENUM) {
      const char *word = param_word(p, point);
      if (!word)
        return tms_error_set(err, TMS_ERR_SCHEMA, res->path, 0, 0, NULL, "%s holds code %g, which names no choice",
                             ds, p->values[point]);
      v.is_string = 1;
      snprintf(v.str, sizeof v.str, "%s", word);
    } else {
      if (isnan(p->values[point])) continue; /* an unset optional parameter */
      v.num = p->values[point];
    }
    tms_error e;
    if (tms_spec_set(spec, info->key, &v, &e) != TMS_OK)
      return tms_error_set(err, TMS_ERR_SCHEMA, res->path, 0, 0, NULL, "%s at point %zu: %s", ds, point, e.msg);
  }
  if (res->seed) spec->seed = res->seed[point];
  return TMS_OK;
}

void tms_post_point_weights(float *out, const tms_post_results *res, size_t point, int second) {
  int n, m;
  tms_variant v;
  tms_post_point_shape(res, point, &v, &n, &m);
  const float *src = second ? res->W2 : res->W;
  size_t base = point * (size_t)res->n_max * (size_t)res->m_max;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++) out[i * m + j] = src[base + (size_t)i * (size_t)res->m_max + (size_t)j];
}
