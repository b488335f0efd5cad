/* writer: the post file (schema "tms-post/1"): every dataset of the schema's post table (schema/schema.h, documented
 * in sweeps/post-layout.md) and /axes copied from the results file. cells = the grid without the replicate dim.
 * The file is written from scratch (H5F_ACC_TRUNC) and closed; a failure leaves a partial file the next --force run
 * replaces. Not here: any computation. */
#define _POSIX_C_SOURCE 200809L /* strdup, access, gmtime_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "post_h5.h"
#include "metrics/metrics.h"
#include "post/post.h"
#include "schema/schema_h5.h"

#ifndef TMS_VERSION
#define TMS_VERSION "unknown"
#endif

tms_status post_write_root(hid_t file, const char *source, const char *config_hash, int rank, const size_t *dims,
                           const char *const *names, long feature, tms_error *err) {
  int64_t shape[TMS_SCHEMA_MAX_RANK];
  for (int k = 0; k < rank; k++) shape[k] = (int64_t)dims[k];
  char created[32];
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  int64_t f = feature;
  tms_status st = post_h5_write_attr_text(file, TMS_A_SCHEMA, TMS_POST_SCHEMA, err);
  if (st == TMS_OK) st = post_h5_write_attr_text(file, TMS_A_SOURCE, source, err);
  if (st == TMS_OK) st = post_h5_write_attr_text(file, TMS_A_SOURCE_HASH, config_hash, err);
  if (st == TMS_OK) st = post_h5_write_attr_i64s(file, TMS_A_GRID_SHAPE, shape, (size_t)rank, err);
  if (st == TMS_OK) st = post_h5_write_attr_texts(file, TMS_A_DIM_NAMES, names, (size_t)rank, err);
  if (st == TMS_OK) st = post_h5_write_attr_i64(file, TMS_A_FEATURE, f, err);
  if (st == TMS_OK) st = post_h5_write_attr_text(file, TMS_A_TOOL_VERSION, TMS_VERSION, err);
  if (st == TMS_OK) st = post_h5_write_attr_text(file, TMS_A_CREATED, created, err);
  return st;
}

typedef struct {
  hid_t file;
  tms_schema_extent ext; /* of the results file: grid incl. replicate, n_max, m_max */
  tms_status st;
  tms_error *err;
} writer;

/* Writes dataset id of the post table, with the table's type and shape. */
static void put(writer *w, tms_post_ds id, const void *buf) {
  if (w->st != TMS_OK) return;
  const tms_schema_dataset *d = tms_schema_post_ds(id);
  size_t sz[TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL];
  hsize_t dims[TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL];
  int r = tms_schema_shape(d, &w->ext, sz);
  for (int k = 0; k < r; k++) dims[k] = sz[k];
  w->st = post_h5_write(w->file, d->path, tms_schema_h5_mem_type(d->type), r, dims, buf, w->err);
}

static long classified_feature(const tms_post_results *res, const tms_post_products *pp) {
  if (pp->feature >= 0) return pp->feature;
  int n0 = -1;
  for (size_t p = 0; p < res->points; p++) {
    tms_variant v;
    int n, m;
    tms_post_point_shape(res, p, &v, &n, &m);
    if (n0 < 0) n0 = n;
    if (n != n0) return -1; /* "last" differs between points */
  }
  return n0 - 1;
}

/* A scalar attribute on a dataset: float64, or int64 when is_count. */
static tms_status attr_on(hid_t file, const char *path, const char *name, double v, int is_count, tms_error *err) {
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot open %s", path);
  tms_status st = is_count ? post_h5_write_attr_i64(d, name, (int64_t)v, err) : post_h5_write_attr_double(d, name, v, err);
  H5Dclose(d);
  return st;
}

/* The per-size agreement (post.h tms_post_size_agreement) as array attributes of /phase/theory_class. */
static tms_status size_attrs(hid_t file, const tms_post_products *pp, tms_error *err) {
  const char *path = tms_schema_post_ds(TMS_PDS_THEORY_CLASS)->path;
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot open %s", path);
  const size_t K = (size_t)pp->sizes;
  int64_t n[TMS_POST_MAX_SIZES + 1], m[TMS_POST_MAX_SIZES + 1], cells[4][TMS_POST_MAX_SIZES + 1];
  double agree[4][TMS_POST_MAX_SIZES + 1];
  for (size_t k = 0; k < K; k++) {
    const tms_post_size_agreement *e = &pp->by_size[k];
    n[k] = e->n, m[k] = e->m;
    for (int w = 0; w < 2; w++) {
      agree[2 * w][k] = e->agreement[w], agree[2 * w + 1][k] = e->agreement_away[w];
      cells[2 * w][k] = (int64_t)e->cells[w], cells[2 * w + 1][k] = (int64_t)e->cells_away[w];
    }
  }
  static const char *an[4] = {TMS_A_SIZE_AGREEMENT_MAJORITY, TMS_A_SIZE_AGREEMENT_MAJORITY_AWAY,
                              TMS_A_SIZE_AGREEMENT_BEST, TMS_A_SIZE_AGREEMENT_BEST_AWAY};
  static const char *cn[4] = {TMS_A_SIZE_CELLS_MAJORITY, TMS_A_SIZE_CELLS_MAJORITY_AWAY, TMS_A_SIZE_CELLS_BEST,
                              TMS_A_SIZE_CELLS_BEST_AWAY};
  tms_status st = post_h5_write_attr_i64s(d, TMS_A_SIZE_N, n, K, err);
  if (st == TMS_OK) st = post_h5_write_attr_i64s(d, TMS_A_SIZE_M, m, K, err);
  for (int q = 0; q < 4 && st == TMS_OK; q++) {
    st = post_h5_write_attr_doubles(d, an[q], agree[q], K, err);
    if (st == TMS_OK) st = post_h5_write_attr_i64s(d, cn[q], cells[q], K, err);
  }
  H5Dclose(d);
  return st;
}

/* The polytope labels and their tolerance on /features/geometry. */
static tms_status geometry_attrs(hid_t file, tms_error *err) {
  const char *labels[64];
  int count = tms_geometry_count();
  if (count > 64) count = 64;
  for (int k = 0; k < count; k++) labels[k] = tms_geometry_name_at(k);
  hid_t d = H5Dopen2(file, tms_schema_post_ds(TMS_PDS_GEOMETRY)->path, H5P_DEFAULT);
  if (d < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, NULL, "cannot open /features/geometry");
  tms_status st = post_h5_write_attr_texts(d, TMS_A_NAMES, labels, (size_t)count, err);
  if (st == TMS_OK) st = post_h5_write_attr_double(d, TMS_A_TOLERANCE, TMS_POST_GEOMETRY_TOL, err);
  H5Dclose(d);
  return st;
}

/* The class names and the two thresholds of tms_metric_phase on /phase/class_per_seed: readers label and explain
 * the classes from the file, not from a copy of the rule. */
static tms_status class_attrs(hid_t file, tms_error *err) {
  const char *path = tms_schema_post_ds(TMS_PDS_CLASS_PER_SEED)->path;
  const char *names[3];
  for (int k = 0; k < 3; k++) names[k] = tms_phase_name((tms_phase)k);
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) return tms_error_set(err, TMS_ERR_HDF5, NULL, 0, 0, path, "cannot open %s", path);
  tms_status st = post_h5_write_attr_texts(d, TMS_A_NAMES, names, 3, err);
  if (st == TMS_OK) st = post_h5_write_attr_double(d, TMS_A_NORM_SQ_THRESHOLD, TMS_PHASE_NORM_SQ_MIN, err);
  if (st == TMS_OK) st = post_h5_write_attr_double(d, TMS_A_DEDICATED_THRESHOLD, TMS_PHASE_DEDICATED_MIN, err);
  H5Dclose(d);
  return st;
}

/* /axes from the results file itself, so words, zip members and dtypes survive unchanged. */
static tms_status copy_axes(hid_t file, const char *source, tms_error *err) {
  hid_t src = H5Fopen(source, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (src < 0) return tms_error_set(err, TMS_ERR_IO, source, 0, 0, NULL, "cannot reopen to copy /axes");
  tms_status st = post_h5_copy_group(src, file, TMS_SCHEMA_AXES, err);
  H5Fclose(src);
  return st;
}

tms_status tms_post_write(const char *path, const tms_post_results *res, const tms_post_products *pp, int force,
                          tms_error *err) {
  hid_t file;
  tms_status st = post_h5_create(path, force, &file, err);
  if (st != TMS_OK) return st;
  writer w = {file, {0}, TMS_OK, err};
  w.ext.rank = res->rank;
  for (int k = 0; k < res->rank; k++) w.ext.dims[k] = res->dims[k];
  w.ext.n_max = (size_t)res->n_max;
  w.ext.m_max = (size_t)res->m_max;
  const char *names[TMS_SCHEMA_MAX_RANK];
  for (int k = 0; k < res->rank; k++) names[k] = res->axes[k].name;
  w.st = post_write_root(file, res->path, res->config_hash, res->rank - 1, res->dims, names,
                         classified_feature(res, pp), err);
  if (w.st == TMS_OK) w.st = post_h5_write_attr_text(file, TMS_A_FEATURE_RULE, pp->feature >= 0 ? "fixed" : "last", err);
  put(&w, TMS_PDS_CLASS_PER_SEED, pp->class_per_seed);
  if (w.st == TMS_OK) w.st = class_attrs(file, err);
  put(&w, TMS_PDS_FRACTION, pp->fraction);
  put(&w, TMS_PDS_CLASS, pp->cell_class);
  put(&w, TMS_PDS_SEEDS_USED, pp->seeds_used);
  if (pp->theory_class) {
    const char *tc = tms_schema_post_ds(TMS_PDS_THEORY_CLASS)->path;
    put(&w, TMS_PDS_THEORY_CLASS, pp->theory_class);
    if (w.st == TMS_OK) w.st = attr_on(file, tc, TMS_A_AGREEMENT, pp->agreement, 0, err);
    if (w.st == TMS_OK) w.st = attr_on(file, tc, TMS_A_AGREEMENT_AWAY, pp->agreement_away, 0, err);
    if (w.st == TMS_OK) w.st = attr_on(file, tc, TMS_A_AGREEMENT_CELLS, (double)pp->agreement_cells, 1, err);
    if (w.st == TMS_OK) w.st = attr_on(file, tc, TMS_A_AGREEMENT_CELLS_AWAY, (double)pp->agreement_cells_away, 1, err);
    if (w.st == TMS_OK) w.st = size_attrs(file, pp, err);
    put(&w, TMS_PDS_AWAY_FROM_BOUNDARY, pp->away_from_boundary);
  }
  put(&w, TMS_PDS_BEST_CLASS, pp->best_class);
  put(&w, TMS_PDS_LOSS_BEST, pp->loss_best);
  put(&w, TMS_PDS_LOSS_MEAN, pp->loss_mean);
  put(&w, TMS_PDS_DSTAR_MEAN, pp->dstar_mean);
  put(&w, TMS_PDS_BEST_REPLICATE, pp->best_replicate);
  put(&w, TMS_PDS_DSTAR, pp->dstar);
  put(&w, TMS_PDS_REPRESENTED, pp->represented);
  if (w.st == TMS_OK)
    w.st = attr_on(file, tms_schema_post_ds(TMS_PDS_REPRESENTED)->path, TMS_A_THRESHOLD, TMS_POST_REPRESENTED_NORM, 0,
                   err);
  put(&w, TMS_PDS_TOTAL_INTERFERENCE, pp->total_interference);
  put(&w, TMS_PDS_GEOMETRY, pp->geometry);
  if (w.st == TMS_OK) w.st = geometry_attrs(file, err);
  put(&w, TMS_PDS_NORM, pp->norm);
  put(&w, TMS_PDS_INTERFERENCE, pp->interference);
  put(&w, TMS_PDS_DIMENSIONALITY, pp->dimensionality);
  put(&w, TMS_PDS_VULNERABILITY, pp->vulnerability);
  put(&w, TMS_PDS_VULNERABILITY_PER_EXAMPLE, pp->vulnerability_per_example);
  put(&w, TMS_PDS_VULNERABILITY_ABSOLUTE, pp->vulnerability_absolute);
  put(&w, TMS_PDS_ATTACK_CLEAN_LOSS, pp->attack_clean_loss);
  if (w.st == TMS_OK)
    w.st = attr_on(file, tms_schema_post_ds(TMS_PDS_VULNERABILITY_ABSOLUTE)->path, TMS_A_BUDGET, pp->attack_budget, 0,
                   err);
  put(&w, TMS_PDS_FEATURES_PER_DIM, pp->features_per_dim);
  put(&w, TMS_PDS_POLYSEMANTIC, pp->polysemantic);
  put(&w, TMS_PDS_FEATURES_PER_NEURON, pp->features_per_neuron);
  if (pp->W1_scaled) {
    put(&w, TMS_PDS_W1_SCALED, pp->W1_scaled);
    put(&w, TMS_PDS_W2_SCALED, pp->W2_scaled);
  }
  put(&w, TMS_PDS_DYN_JUMP_STEP, pp->dyn_jump_step);
  put(&w, TMS_PDS_DYN_DROP_STEP, pp->dyn_drop_step);
  put(&w, TMS_PDS_DYN_DROP, pp->dyn_drop);
  put(&w, TMS_PDS_DYN_CHANCE, pp->dyn_chance);
  if (pp->dyn_dimensionality) {
    w.ext.snapshot_len = pp->dyn_snapshots;
    put(&w, TMS_PDS_DYN_DIMENSIONALITY, pp->dyn_dimensionality);
  }
  if (w.st == TMS_OK) w.st = copy_axes(file, res->path, err);
  if (w.st == TMS_OK) w.st = tms_schema_h5_netcdf(file, path, TMS_FILE_POST, &w.ext, names, err);
  if (H5Fclose(file) < 0 && w.st == TMS_OK)
    w.st = tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot close (flush) the post file");
  if (w.st != TMS_OK && err && !err->file[0]) snprintf(err->file, sizeof err->file, "%s", path);
  return w.st;
}
