/* summary: per-point metrics recomputed from W (norms, interference s_i, D_i, D*, geometry labels, represented
 * features, total interference) and per-cell loss/D* summaries over the done seeds.
 * Recomputed from W rather than copied from /metrics so the products follow the metrics library of this build and
 * a file is only required to hold W. Summaries use every done seed (--drop-worst acts on the phase fractions only).
 * Both loops run on opt->threads threads (post_parallel.h): a point's metrics and a cell's sums (over its seeds,
 * in replicate order) are each computed by one thread, so the values do not depend on the thread count.
 * Not here: classes (phase.c). */
#include <math.h>
#include <stdlib.h>

#include "metrics/metrics.h"
#include "post/post.h"
#include "post_parallel.h"

typedef struct {
  tms_post_products *pp;
  const tms_post_results *res;
} summary_job;

typedef struct {
  float *W;     /* (N, M) compact */
  double *norm; /* (3 N): norm, interference, dimensionality */
} summary_scratch;

static void *scratch_init(void *ctx) {
  const summary_job *j = ctx;
  const size_t N = (size_t)j->res->n_max, M = (size_t)j->res->m_max;
  summary_scratch *s = malloc(sizeof *s);
  if (!s) return NULL;
  s->W = malloc((N * M + 1) * sizeof *s->W);
  s->norm = malloc((N ? N : 1) * 3 * sizeof *s->norm);
  if (!s->W || !s->norm) {
    free(s->W);
    free(s->norm);
    free(s);
    return NULL;
  }
  return s;
}

static void scratch_free(void *local) {
  summary_scratch *s = local;
  free(s->W);
  free(s->norm);
  free(s);
}

static tms_status points_range(void *ctx, void *local, size_t from, size_t to, size_t *bad, tms_error *err) {
  const summary_job *j = ctx;
  const tms_post_results *res = j->res;
  tms_post_products *pp = j->pp;
  summary_scratch *s = local;
  const size_t N = (size_t)res->n_max;
  double *norm = s->norm, *interf = s->norm + N, *dim = s->norm + 2 * N;
  for (size_t p = from; p < to; p++) {
    if (!tms_point_done(res->status[p])) continue;
    tms_variant v;
    int n, m;
    tms_post_point_shape(res, p, &v, &n, &m);
    if (n < 1 || m < 1) continue;
    tms_post_point_weights(s->W, res, p, 0);
    double dstar = NAN;
    tms_status st = tms_metric_point(norm, interf, dim, &dstar, s->W, n, m);
    if (st != TMS_OK) {
      *bad = p;
      return tms_error_set(err, st, res->path, 0, 0, NULL, "metrics of point %zu failed", p);
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
  return TMS_OK;
}

static tms_status cells_range(void *ctx, void *local, size_t from, size_t to, size_t *bad, tms_error *err) {
  (void)local, (void)bad, (void)err;
  const summary_job *j = ctx;
  const tms_post_results *res = j->res;
  tms_post_products *pp = j->pp;
  const size_t R = res->replicates;
  for (size_t c = from; c < to; c++) {
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

/* Chunks of indices per thread turn: a few microseconds of work or more, few enough turns to not matter. */
enum { SUMMARY_CHUNK = 4096 };

tms_status tms_post_summary(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                            tms_error *err) {
  if (!res->W) return tms_error_set(err, TMS_ERR_MISSING, res->path, 0, 0, NULL,
                                    "results file lacks /results/W, needed for the per-feature metrics, D* and phase");
  if (!res->loss)
    return tms_error_set(err, TMS_ERR_MISSING, res->path, 0, 0, NULL,
                         "results file lacks /results/loss, needed for the loss summary and --drop-worst");
  summary_job job = {pp, res};
  const post_loop points = {&job, scratch_init, scratch_free, points_range};
  tms_status st = post_parallel_for(&points, res->points, SUMMARY_CHUNK, opt->threads, opt->timing, err);
  if (st != TMS_OK) return st;
  const post_loop cells = {&job, NULL, NULL, cells_range};
  return post_parallel_for(&cells, res->cells, SUMMARY_CHUNK, opt->threads, opt->timing, err);
}
