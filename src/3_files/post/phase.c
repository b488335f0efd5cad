/* phase: the phase class of one feature per seed (SCIENCE.md E2 rule via tms_metric_phase), and per cell the class
 * fractions over seeds, optionally after dropping the highest-loss seed (the paper: 10 models per point, drop the
 * worst, average the rest), and the majority class.
 * Ties in the majority go to the tied class holding the lowest-loss seed (the best model decides), so the class is
 * a function of the data, not of the seed order. A cell with no done seed gets class -1 and NaN fractions.
 * Both loops run on opt->threads threads (post_parallel.h), each point and each cell by one thread.
 * Not here: the per-point metrics (summary.c, which must run first). */
#include <math.h>

#include "metrics/metrics.h"
#include "post/post.h"
#include "post_parallel.h"

static double loss_key(const tms_post_results *res, size_t p) {
  return isnan(res->loss[p]) ? INFINITY : res->loss[p];
}

typedef struct {
  tms_post_products *pp;
  const tms_post_results *res;
  const tms_post_options *opt;
} phase_job;

static tms_status points_range(void *ctx, void *local, size_t from, size_t to, size_t *bad, tms_error *err) {
  (void)local, (void)bad, (void)err;
  const phase_job *j = ctx;
  const tms_post_results *res = j->res;
  tms_post_products *pp = j->pp;
  const size_t N = (size_t)res->n_max;
  for (size_t p = from; p < to; p++) {
    pp->class_per_seed[p] = -1;
    if (!tms_point_done(res->status[p])) continue;
    tms_variant v;
    int n, m;
    tms_post_point_shape(res, p, &v, &n, &m);
    int f = j->opt->feature < 0 ? n - 1 : j->opt->feature;
    if (f < 0 || f >= n) continue; /* this point has no such feature */
    double norm = pp->norm[p * N + (size_t)f], dim = pp->dimensionality[p * N + (size_t)f];
    pp->class_per_seed[p] = (int8_t)tms_metric_phase(norm * norm, dim);
  }
  return TMS_OK;
}

/* One cell: the seed to drop (if asked), the class fractions and the majority. */
static void one_cell(const phase_job *j, size_t c) {
  const tms_post_results *res = j->res;
  tms_post_products *pp = j->pp;
  const size_t R = res->replicates;
  long drop = -1;
  int done = 0;
  for (size_t r = 0; r < R; r++) {
    size_t p = c * R + r;
    if (pp->class_per_seed[p] < 0) continue;
    done++;
    if (j->opt->drop_worst && (drop < 0 || loss_key(res, p) > loss_key(res, c * R + (size_t)drop))) drop = (long)r;
  }
  if (done < 2) drop = -1; /* never drop the only model of a cell */
  int count[3] = {0, 0, 0}, used = 0;
  double best_loss[3] = {INFINITY, INFINITY, INFINITY};
  for (size_t r = 0; r < R; r++) {
    size_t p = c * R + r;
    int k = pp->class_per_seed[p];
    if (k < 0 || (long)r == drop) continue;
    count[k]++;
    used++;
    double l = res->loss ? loss_key(res, p) : 0.0;
    if (l < best_loss[k]) best_loss[k] = l;
  }
  pp->seeds_used[c] = used;
  if (used == 0) return;
  int major = 0;
  for (int k = 0; k < 3; k++) {
    pp->fraction[c * 3 + (size_t)k] = (double)count[k] / used;
    if (count[k] > count[major] || (count[k] == count[major] && best_loss[k] < best_loss[major])) major = k;
  }
  pp->cell_class[c] = (int8_t)major;
}

static tms_status cells_range(void *ctx, void *local, size_t from, size_t to, size_t *bad, tms_error *err) {
  (void)local, (void)bad, (void)err;
  for (size_t c = from; c < to; c++) one_cell(ctx, c);
  return TMS_OK;
}

enum { PHASE_CHUNK = 4096 };

tms_status tms_post_phase(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                          tms_error *err) {
  if (!res->W)
    return tms_error_set(err, TMS_ERR_MISSING, res->path, 0, 0, NULL,
                         "results file lacks /results/W, needed for the phase classes");
  if (opt->drop_worst && !res->loss)
    return tms_error_set(err, TMS_ERR_MISSING, res->path, 0, 0, NULL,
                         "results file lacks /results/loss, needed for --drop-worst");
  if (opt->feature < -1 || opt->feature >= res->n_max)
    return tms_error_set(err, TMS_ERR_USAGE, NULL, 0, 0, "feature",
                         "feature %d is out of range: the file has at most %d features (0..%d)", opt->feature,
                         res->n_max, res->n_max - 1);
  pp->feature = opt->feature;
  phase_job job = {pp, res, opt};
  const post_loop points = {&job, NULL, NULL, points_range};
  tms_status st = post_parallel_for(&points, res->points, PHASE_CHUNK, opt->threads, opt->timing, err);
  if (st != TMS_OK) return st;
  const post_loop cells = {&job, NULL, NULL, cells_range};
  return post_parallel_for(&cells, res->cells, PHASE_CHUNK, opt->threads, opt->timing, err);
}
