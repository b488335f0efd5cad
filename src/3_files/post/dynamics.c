/* dynamics: E6's jump/drop alignment per point (analysis/SCIENCE.md E6), from /results/W_history (W every
 * snapshot_every steps) and /results/eval_curve (the loss on one fixed batch every eval_every steps).
 * - D_i(k) of every feature at every snapshot k (SCIENCE.md 4.5), at step s_k (tms_spec_snapshot_step).
 *   Kept as a product (/dynamics/dimensionality_history), so the figures draw the series the jump was found in.
 * - The last large jump: the latest snapshot k at which some D_i differs by >= TMS_POST_JUMP_DIM from its value
 *   TMS_POST_JUMP_SPAN snapshots earlier (a window, because a transition between energy levels takes a few hundred
 *   steps); it is placed at that feature's steepest snapshot interval inside the window (the interval's midpoint).
 * - The largest late drop: the evaluation interval with the largest fall of ln(loss), among the intervals after
 *   the loss first came within TMS_POST_LATE_FRAC of its final value (the initial descent is not "late"); also
 *   at its midpoint. ln, so a drop is judged relative to the loss it starts from.
 * - chance: the share of the late intervals whose midpoint lies within TMS_POST_ALIGN_STEPS of the jump: how often
 *   a drop placed at random among them would count as aligned (the null the alignment is compared with).
 * Read here one point at a time from the file, not by the reader: a sweep's history is hundreds of MB and only
 * this product needs it. Invariant: NaN for a point that is not done, lacks the curve a value needs (W history:
 * D_i, jump, chance; evaluation curve: drop), or has no large jump (jump) / no late interval (drop). A file
 * without the two datasets is not an error: every value stays NaN. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "post/post.h"
#include "post_h5.h"

/* Reads the entries of point p (grid order) of a dataset shaped (grid..., trail...) into out (count floats). */
static tms_status read_point(hid_t file, const char *path, const tms_post_results *res, size_t p, int trail,
                             const hsize_t *tdims, float *out, tms_error *err) {
  hsize_t start[TMS_SCHEMA_MAX_RANK + 3] = {0}, count[TMS_SCHEMA_MAX_RANK + 3];
  size_t rest = p;
  for (int k = res->rank - 1; k >= 0; k--) {
    start[k] = rest % res->dims[k];
    count[k] = 1;
    rest /= res->dims[k];
  }
  hsize_t total = 1;
  for (int t = 0; t < trail; t++) count[res->rank + t] = tdims[t], total *= tdims[t];
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) return tms_error_set(err, TMS_ERR_HDF5, res->path, 0, 0, path, "cannot open %s", path);
  hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, &total, NULL);
  herr_t rc = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
  if (rc >= 0) rc = H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, out);
  H5Sclose(ms);
  H5Sclose(fs);
  H5Dclose(d);
  if (rc < 0) return tms_error_set(err, TMS_ERR_HDF5, res->path, 0, 0, path, "cannot read point %zu of %s", p, path);
  return TMS_OK;
}

static double mid(const tms_spec *s, size_t k, int eval) {
  return eval ? 0.5 * (double)(tms_spec_eval_step(s, k - 1) + tms_spec_eval_step(s, k))
              : 0.5 * (double)(tms_spec_snapshot_step(s, k - 1) + tms_spec_snapshot_step(s, k));
}

/* The last large jump of a point from its D (len snapshots x n), or NaN. */
static double last_jump(const tms_spec *s, const double *D, size_t len, int n) {
  for (size_t k = len; k-- > TMS_POST_JUMP_SPAN;) {
    for (int i = 0; i < n; i++) {
      if (!(fabs(D[k * n + i] - D[(k - TMS_POST_JUMP_SPAN) * n + i]) >= TMS_POST_JUMP_DIM)) continue;
      size_t steep = k;
      double most = -1;
      for (size_t q = k - TMS_POST_JUMP_SPAN + 1; q <= k; q++) {
        const double step = fabs(D[q * n + i] - D[(q - 1) * n + i]);
        if (step > most) most = step, steep = q;
      }
      return mid(s, steep, 0);
    }
  }
  return NAN;
}

/* The largest late drop of the eval curve e (len entries): its step, ln fall and the chance of alignment. */
static void late_drop(tms_post_products *pp, size_t p, const tms_spec *s, const float *e, size_t len) {
  if (len < 2 || !(e[len - 1] > 0)) return;
  size_t j0 = 0;
  while (j0 < len && !((double)e[j0] <= (1.0 + TMS_POST_LATE_FRAC) * e[len - 1])) j0++;
  double best = -INFINITY;
  size_t late = 0, near = 0;
  for (size_t j = j0 + 1; j < len; j++) {
    if (!(e[j] > 0 && e[j - 1] > 0)) continue;
    const double fall = log((double)e[j - 1]) - log((double)e[j]);
    late++;
    near += fabs(mid(s, j, 1) - pp->dyn_jump_step[p]) <= TMS_POST_ALIGN_STEPS;
    if (fall > best) best = fall, pp->dyn_drop_step[p] = mid(s, j, 1);
  }
  if (!late) return;
  pp->dyn_drop[p] = best;
  if (isfinite(pp->dyn_jump_step[p])) pp->dyn_chance[p] = (double)near / (double)late;
}

typedef struct {
  hsize_t hist[3], eval[1]; /* trailing dims: (snapshot, n_max, m_max), (eval) */
  float *W, *Wp, *e;        /* (snapshot, n_max, m_max), (n, m), (eval) */
  double *D;                /* (snapshot, n) */
} dyn_buf;

static tms_status one_point(tms_post_products *pp, const tms_post_results *res, hid_t file, size_t p, dyn_buf *b,
                            tms_error *err) {
  tms_spec s;
  tms_status st = tms_post_point_spec(&s, res, p, "the jump/drop alignment (E6)", err);
  if (st != TMS_OK) return st;
  const size_t S = tms_spec_snapshot_len(&s), E = tms_spec_eval_len(&s), M = (size_t)res->m_max;
  const int n = s.n_features, m = s.n_hidden;
  if (n > res->n_max || m > res->m_max) return TMS_OK;
  if (b->eval[0] && E >= 2 && E <= b->eval[0]) { /* the drop (its chance needs the jump: set below) */
    st = read_point(file, tms_schema_results_ds(TMS_DS_EVAL_CURVE)->path, res, p, 1, b->eval, b->e, err);
    if (st != TMS_OK) return st;
  }
  if (S < 2 || S > b->hist[0]) { /* no history: no D_i, no jump; the drop alone */
    if (b->eval[0] && E >= 2 && E <= b->eval[0]) late_drop(pp, p, &s, b->e, E);
    return TMS_OK;
  }
  st = read_point(file, tms_schema_results_ds(TMS_DS_W_HISTORY)->path, res, p, 3, b->hist, b->W, err);
  for (size_t k = 0; k < S && st == TMS_OK; k++) {
    const float *Wk = b->W + k * (size_t)res->n_max * M;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < m; j++) b->Wp[i * m + j] = Wk[(size_t)i * M + (size_t)j];
    st = tms_metric_dimensionality(b->D + k * (size_t)n, b->Wp, n, m);
    if (st != TMS_OK) tms_error_set(err, st, res->path, 0, 0, NULL, "D_i of snapshot %zu of point %zu failed", k, p);
  }
  if (st != TMS_OK) return st;
  float *Dp = pp->dyn_dimensionality + p * b->hist[0] * b->hist[1]; /* (snapshot, n_max), for the figures */
  for (size_t k = 0; k < S; k++)
    for (int i = 0; i < n; i++) Dp[k * b->hist[1] + (size_t)i] = (float)b->D[k * (size_t)n + (size_t)i];
  pp->dyn_jump_step[p] = last_jump(&s, b->D, S, n);
  if (b->eval[0] && E >= 2 && E <= b->eval[0]) late_drop(pp, p, &s, b->e, E);
  return TMS_OK;
}

tms_status tms_post_dynamics(tms_post_products *pp, const tms_post_results *res, tms_error *err) {
  const char *hpath = tms_schema_results_ds(TMS_DS_W_HISTORY)->path;
  const char *epath = tms_schema_results_ds(TMS_DS_EVAL_CURVE)->path;
  hid_t file = H5Fopen(res->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return tms_error_set(err, TMS_ERR_IO, res->path, 0, 0, NULL, "cannot reopen for the W history");
  const int has_h = tms_schema_h5_exists(file, hpath), has_e = tms_schema_h5_exists(file, epath);
  if (!has_h && !has_e) {
    H5Fclose(file);
    return TMS_OK;
  }
  int hr = res->rank + 3, er = res->rank + 1;
  hsize_t hd[32] = {0}, ed[32] = {0}; /* an absent dataset: extent 0 */
  hd[res->rank + 1] = (hsize_t)res->n_max, hd[res->rank + 2] = (hsize_t)res->m_max;
  tms_status st = has_h ? post_h5_shape(file, hpath, &hr, hd, err) : TMS_OK;
  if (st == TMS_OK && has_e) st = post_h5_shape(file, epath, &er, ed, err);
  if (st == TMS_OK && (hr != res->rank + 3 || er != res->rank + 1 || hd[res->rank + 1] != (hsize_t)res->n_max ||
                       hd[res->rank + 2] != (hsize_t)res->m_max))
    st = tms_error_set(err, TMS_ERR_SCHEMA, res->path, 0, 0, NULL, "%s or %s is not shaped (grid, snapshot, n_max, "
                       "m_max) / (grid, eval)", hpath, epath);
  dyn_buf b = {{0}, {0}, NULL, NULL, NULL, NULL};
  if (st == TMS_OK) {
    memcpy(b.hist, hd + res->rank, sizeof b.hist);
    b.eval[0] = ed[res->rank];
    const size_t S = b.hist[0], N = b.hist[1], M = b.hist[2];
    b.W = malloc((S * N * M + 1) * sizeof *b.W);
    b.Wp = malloc((N * M + 1) * sizeof *b.Wp);
    b.e = malloc((b.eval[0] + 1) * sizeof *b.e);
    b.D = malloc((S * N + 1) * sizeof *b.D);
    if (S) { /* the D_i history product exists when the results file has a W history */
      pp->dyn_dimensionality = malloc((res->points * S * N + 1) * sizeof *pp->dyn_dimensionality);
      pp->dyn_snapshots = S;
    }
    if (!b.W || !b.Wp || !b.e || !b.D || (S && !pp->dyn_dimensionality))
      st = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for the W history");
    else
      for (size_t q = 0; S && q < res->points * S * N; q++) pp->dyn_dimensionality[q] = NAN;
  }
  for (size_t p = 0; p < res->points && st == TMS_OK; p++)
    if (tms_point_done(res->status[p])) st = one_point(pp, res, file, p, &b, err);
  free(b.W);
  free(b.Wp);
  free(b.e);
  free(b.D);
  H5Fclose(file);
  return st;
}
