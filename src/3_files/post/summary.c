/* summary: per-point metrics recomputed from W (norms, interference s_i, D_i, D*, geometry labels, represented
 * features, total interference) and per-cell loss/D* summaries over the done seeds.
 * Recomputed from W rather than copied from /metrics so the products follow the metrics library of this build and
 * a file is only required to hold W. Summaries use every done seed (--drop-worst acts on the phase fractions only).
 * Not here: classes (phase.c). */
#include <math.h>
#include <stdlib.h>

#include "metrics/metrics.h"
#include "post/post.h"

tms_status tms_post_summary(tms_post_products *pp, const tms_post_results *res, tms_error *err) {
  size_t N = (size_t)res->n_max, M = (size_t)res->m_max, R = res->replicates;
  if (!res->W) return tms_error_set(err, TMS_ERR_MISSING, res->path, 0, 0, NULL,
                                    "results file lacks /results/W, needed for the per-feature metrics, D* and phase");
  if (!res->loss)
    return tms_error_set(err, TMS_ERR_MISSING, res->path, 0, 0, NULL,
                         "results file lacks /results/loss, needed for the loss summary and --drop-worst");
  float *W = malloc((N * M + 1) * sizeof *W);
  double *norm = malloc((N ? N : 1) * 3 * sizeof *norm);
  if (!W || !norm) {
    free(W);
    free(norm);
    return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
  }
  double *interf = norm + N, *dim = norm + 2 * N;
  tms_status st = TMS_OK;
  for (size_t p = 0; p < res->points && st == TMS_OK; p++) {
    if (!tms_point_done(res->status[p])) continue;
    tms_variant v;
    int n, m;
    tms_post_point_shape(res, p, &v, &n, &m);
    if (n < 1 || m < 1) continue;
    tms_post_point_weights(W, res, p, 0);
    double dstar = NAN;
    st = tms_metric_point(norm, interf, dim, &dstar, W, n, m);
    if (st != TMS_OK) {
      tms_error_set(err, st, res->path, 0, 0, NULL, "metrics of point %zu failed", p);
      break;
    }
    pp->dstar[p] = dstar;
    pp->features_per_dim[p] = dstar > 0 ? 1.0 / dstar : 0.0; /* D* = 0 only for W = 0: no feature per dim */
    int represented = 0;
    double total = 0;
    for (int i = 0; i < n; i++) {
      pp->norm[p * N + (size_t)i] = norm[i];
      pp->interference[p * N + (size_t)i] = interf[i];
      pp->dimensionality[p * N + (size_t)i] = dim[i];
      pp->geometry[p * N + (size_t)i] = (int8_t)tms_metric_geometry_index(dim[i], TMS_POST_GEOMETRY_TOL);
      /* s_i of an unlearned feature measures only the direction of a near-zero W_i (a linear model's dropped
       * features score ~1 each), so the total counts represented features only. */
      if (norm[i] > TMS_POST_REPRESENTED_NORM) {
        represented++;
        total += interf[i];
      }
    }
    pp->represented[p] = represented;
    pp->total_interference[p] = total;
  }
  free(W);
  free(norm);
  if (st != TMS_OK) return st;

  for (size_t c = 0; c < res->cells; c++) {
    double sum_loss = 0, sum_dstar = 0, best = INFINITY;
    int count = 0;
    for (size_t r = 0; r < R; r++) {
      size_t p = c * R + r;
      if (!tms_point_done(res->status[p])) continue;
      count++;
      sum_loss += res->loss[p];
      sum_dstar += pp->dstar[p];
      double l = isnan(res->loss[p]) ? INFINITY : res->loss[p]; /* a NaN loss never wins */
      if (pp->best_replicate[c] < 0 || l < best) {
        best = l;
        pp->best_replicate[c] = (int64_t)r;
      }
    }
    if (count == 0) continue;
    pp->loss_best[c] = res->loss[c * R + (size_t)pp->best_replicate[c]];
    pp->loss_mean[c] = sum_loss / count;
    pp->dstar_mean[c] = sum_dstar / count;
  }
  return TMS_OK;
}
