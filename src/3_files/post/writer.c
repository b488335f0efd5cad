/* writer: the post file (schema "tms-post/1"), layout fixed by the brief's "Post file" contract: /phase, /summary,
 * /features, /vulnerability, /neurons, and /axes copied from the results file. grid' = the grid without the
 * replicate dim. A few extra datasets beside the contract ones (seeds_used, dstar per point, per-feature norm,
 * interference and dimensionality, per-example vulnerability) are documented in tms-post --help.
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

#ifndef TMS_VERSION
#define TMS_VERSION "unknown"
#endif

tms_status post_write_root(hid_t file, const char *source, const char *config_hash, int rank, const size_t *dims,
                           const char *const *names, long feature, tms_error *err) {
  int64_t shape[TMS_POST_MAX_RANK];
  for (int k = 0; k < rank; k++) shape[k] = (int64_t)dims[k];
  char created[32];
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  int64_t f = feature;
  tms_status st = post_h5_write_attr_text(file, "schema", TMS_POST_SCHEMA, err);
  if (st == TMS_OK) st = post_h5_write_attr_text(file, "source", source, err);
  if (st == TMS_OK) st = post_h5_write_attr_text(file, "source_config_hash", config_hash, err);
  if (st == TMS_OK) st = post_h5_write_attr_i64s(file, "grid_shape", shape, (size_t)rank, err);
  if (st == TMS_OK) st = post_h5_write_attr_texts(file, "dim_names", names, (size_t)rank, err);
  if (st == TMS_OK) st = post_h5_write_attr_i64(file, "feature", f, err);
  if (st == TMS_OK) st = post_h5_write_attr_text(file, "tool_version", TMS_VERSION, err);
  if (st == TMS_OK) st = post_h5_write_attr_text(file, "created", created, err);
  return st;
}

typedef struct {
  hid_t file;
  int rank;                          /* grid rank incl. replicate */
  hsize_t dims[TMS_POST_MAX_RANK + 1];
  tms_status st;
  tms_error *err;
} writer;

/* Writes path with shape (grid or grid') + optional trailing dim. */
static void put(writer *w, const char *path, hid_t type, int with_replicate, size_t trailing, const void *buf) {
  if (w->st != TMS_OK) return;
  hsize_t dims[TMS_POST_MAX_RANK + 1];
  int r = with_replicate ? w->rank : w->rank - 1;
  memcpy(dims, w->dims, (size_t)r * sizeof *dims);
  if (trailing) dims[r++] = trailing;
  if (r == 0) dims[r++] = 1; /* a grid of replicates only: one cell */
  w->st = post_h5_write(w->file, path, type, r, dims, buf, w->err);
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

tms_status tms_post_write(const char *path, const tms_post_results *res, const tms_post_products *pp, int force,
                          tms_error *err) {
  hid_t file;
  tms_status st = post_h5_create(path, force, &file, err);
  if (st != TMS_OK) return st;
  writer w = {file, res->rank, {0}, TMS_OK, err};
  for (int k = 0; k < res->rank; k++) w.dims[k] = res->dims[k];
  const char *names[TMS_POST_MAX_RANK];
  for (int k = 0; k < res->rank; k++) names[k] = res->axes[k].name;
  w.st = post_write_root(file, res->path, res->config_hash, res->rank - 1, res->dims, names,
                         classified_feature(res, pp), err);
  if (w.st == TMS_OK) {
    const char *rule = pp->feature >= 0 ? "fixed" : "last";
    w.st = post_h5_write_attr_text(file, "feature_rule", rule, err);
  }
  size_t N = (size_t)res->n_max, M = (size_t)res->m_max;
  put(&w, "/phase/class_per_seed", H5T_NATIVE_INT8, 1, 0, pp->class_per_seed);
  put(&w, "/phase/fraction", H5T_NATIVE_DOUBLE, 0, 3, pp->fraction);
  put(&w, "/phase/class", H5T_NATIVE_INT8, 0, 0, pp->cell_class);
  put(&w, "/phase/seeds_used", H5T_NATIVE_INT32, 0, 0, pp->seeds_used);
  if (pp->theory_class) {
    put(&w, "/phase/theory_class", H5T_NATIVE_INT8, 0, 0, pp->theory_class);
    if (w.st == TMS_OK) w.st = attr_on(file, "/phase/theory_class", "agreement", pp->agreement, 0, err);
    if (w.st == TMS_OK)
      w.st = attr_on(file, "/phase/theory_class", "agreement_away_from_boundary", pp->agreement_away, 0, err);
    if (w.st == TMS_OK) w.st = attr_on(file, "/phase/theory_class", "agreement_cells", (double)pp->agreement_cells, 1, err);
    if (w.st == TMS_OK)
      w.st = attr_on(file, "/phase/theory_class", "agreement_cells_away", (double)pp->agreement_cells_away, 1,
                   err);
  }
  put(&w, "/summary/loss_best", H5T_NATIVE_DOUBLE, 0, 0, pp->loss_best);
  put(&w, "/summary/loss_mean", H5T_NATIVE_DOUBLE, 0, 0, pp->loss_mean);
  put(&w, "/summary/dstar_mean", H5T_NATIVE_DOUBLE, 0, 0, pp->dstar_mean);
  put(&w, "/summary/best_replicate", H5T_NATIVE_INT64, 0, 0, pp->best_replicate);
  put(&w, "/summary/dstar", H5T_NATIVE_DOUBLE, 1, 0, pp->dstar);
  put(&w, "/summary/represented", H5T_NATIVE_INT32, 1, 0, pp->represented);
  put(&w, "/summary/total_interference", H5T_NATIVE_DOUBLE, 1, 0, pp->total_interference);
  put(&w, "/features/geometry", H5T_NATIVE_INT8, 1, N, pp->geometry);
  if (w.st == TMS_OK) {
    const char *labels[64];
    int count = tms_geometry_count();
    if (count > 64) count = 64;
    for (int k = 0; k < count; k++) labels[k] = tms_geometry_name_at(k);
    hid_t d = H5Dopen2(file, "/features/geometry", H5P_DEFAULT);
    w.st = post_h5_write_attr_texts(d, "names", labels, (size_t)count, err);
    if (w.st == TMS_OK) w.st = post_h5_write_attr_double(d, "tolerance", TMS_POST_GEOMETRY_TOL, err);
    H5Dclose(d);
  }
  put(&w, "/features/norm", H5T_NATIVE_DOUBLE, 1, N, pp->norm);
  put(&w, "/features/interference", H5T_NATIVE_DOUBLE, 1, N, pp->interference);
  put(&w, "/features/dimensionality", H5T_NATIVE_DOUBLE, 1, N, pp->dimensionality);
  put(&w, "/vulnerability/value", H5T_NATIVE_DOUBLE, 1, 0, pp->vulnerability);
  put(&w, "/vulnerability/per_example", H5T_NATIVE_DOUBLE, 1, 0, pp->vulnerability_per_example);
  put(&w, "/vulnerability/features_per_dim", H5T_NATIVE_DOUBLE, 1, 0, pp->features_per_dim);
  put(&w, "/neurons/polysemantic", H5T_NATIVE_INT8, 1, M, pp->polysemantic);
  put(&w, "/neurons/features_per_neuron", H5T_NATIVE_INT32, 1, M, pp->features_per_neuron);
  if (pp->W1_scaled) {
    /* grid x n_max x m_max: the trailing two dims written as one flat dim would lose the shape */
    if (w.st == TMS_OK) {
      hsize_t dims[TMS_POST_MAX_RANK + 2];
      memcpy(dims, w.dims, (size_t)res->rank * sizeof *dims);
      dims[res->rank] = N;
      dims[res->rank + 1] = M;
      w.st = post_h5_write(file, "/neurons/W1_scaled", H5T_NATIVE_FLOAT, res->rank + 2, dims, pp->W1_scaled, err);
      if (w.st == TMS_OK)
        w.st = post_h5_write(file, "/neurons/W2_scaled", H5T_NATIVE_FLOAT, res->rank + 2, dims, pp->W2_scaled, err);
    }
  }
  if (w.st == TMS_OK) {
    /* /axes from the results file itself, so words, zip members and dtypes survive unchanged */
    hid_t src = H5Fopen(res->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (src < 0) {
      w.st = tms_error_set(err, TMS_ERR_IO, res->path, 0, 0, NULL, "cannot reopen to copy /axes");
    } else {
      w.st = post_h5_copy_group(src, file, "/axes", err);
      H5Fclose(src);
    }
  }
  if (H5Fclose(file) < 0 && w.st == TMS_OK)
    w.st = tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot close (flush) the post file");
  if (w.st != TMS_OK && err && !err->file[0]) snprintf(err->file, sizeof err->file, "%s", path);
  return w.st;
}
