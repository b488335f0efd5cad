/* record: the packed result record of one point, as it travels from a worker to the root in a TAG_RESULT message
 * and waits on the root for its commit. Layout: header, doubles (norm, interference, dimensionality), floats
 * (curve, W, W2, b, W history, eval curve), every array padded to the sweep's largest shape, so all records of a
 * sweep have one size and a unit's records are one contiguous buffer. Not here: training (unit.c), the file layout
 * (store).
 * Invariants: padding is zero for W, W2, b and each W-history entry of the point's own variant and NaN where a
 * value does not exist (W-history entries beyond the point's own snapshot length, a whole failed record). */
#include <math.h>
#include <string.h>

#include "sched_internal.h"
#include "config/grid.h"
#include "metrics/metrics.h"

void tms_rec_layout_init(tms_rec_layout *L, const tms_sweep *sweep) {
  tms_grid_extent(sweep, &L->n_max, &L->m_max, &L->curve_max, &L->has_w2);
  if (L->curve_max < 1) L->curve_max = 1;
  size_t N = (size_t)L->n_max, NM = (size_t)L->n_max * (size_t)L->m_max;
  L->off_norm = sizeof(tms_rec_header);
  L->off_interf = L->off_norm + N * sizeof(double);
  L->off_dim = L->off_interf + N * sizeof(double);
  L->off_curve = L->off_dim + N * sizeof(double);
  L->off_W = L->off_curve + L->curve_max * sizeof(float);
  L->off_W2 = L->off_W + NM * sizeof(float);
  L->off_b = L->off_W2 + (L->has_w2 ? NM * sizeof(float) : 0);
  L->snapshot_max = tms_grid_snapshot_max(sweep);
  L->off_hist = L->off_b + N * sizeof(float);
  L->eval_max = tms_grid_eval_max(sweep);
  L->off_eval = L->off_hist + L->snapshot_max * NM * sizeof(float);
  L->bytes = L->off_eval + L->eval_max * sizeof(float);
  L->bytes = (L->bytes + 7) / 8 * 8; /* keep every record's doubles aligned */
}

tms_rec_header *tms_rec_at(const tms_rec_layout *L, unsigned char *buf, int j) {
  return (tms_rec_header *)(void *)(buf + (size_t)j * L->bytes);
}

tms_point_record tms_rec_view(const tms_rec_layout *L, unsigned char *base) {
  const tms_rec_header *h = (const tms_rec_header *)(void *)base;
  tms_point_record r;
  r.index = (size_t)h->index;
  r.status = (tms_status)h->status;
  r.wall_s = h->wall_s;
  r.eval_s = h->eval_s;
  r.loss = h->loss;
  r.loss_se = h->loss_se;
  r.dstar = h->dstar;
  r.norm = (const double *)(void *)(base + L->off_norm);
  r.interference = (const double *)(void *)(base + L->off_interf);
  r.dimensionality = (const double *)(void *)(base + L->off_dim);
  r.loss_curve = (const float *)(void *)(base + L->off_curve);
  r.W = (const float *)(void *)(base + L->off_W);
  r.W2 = L->has_w2 ? (const float *)(void *)(base + L->off_W2) : NULL;
  r.b = (const float *)(void *)(base + L->off_b);
  r.W_history = L->snapshot_max > 0 ? (const float *)(void *)(base + L->off_hist) : NULL;
  r.eval_curve = L->eval_max > 0 ? (const float *)(void *)(base + L->off_eval) : NULL;
  return r;
}

/* A record that carries no result: NaN everywhere. */
void tms_rec_blank(const tms_rec_layout *L, unsigned char *base, int64_t index, tms_status status) {
  memset(base, 0, L->bytes);
  tms_rec_header *h = (tms_rec_header *)(void *)base;
  h->index = index;
  h->status = (int32_t)status;
  h->wall_s = 0;
  h->eval_s = 0;
  h->loss = NAN;
  h->loss_se = NAN;
  h->dstar = NAN;
  size_t N = (size_t)L->n_max;
  double *d = (double *)(void *)(base + L->off_norm);
  for (size_t i = 0; i < 3 * N; i++) d[i] = NAN;
  float *c = (float *)(void *)(base + L->off_curve);
  for (size_t i = 0; i < L->curve_max; i++) c[i] = NAN;
  float *hist = (float *)(void *)(base + L->off_hist);
  for (size_t i = 0; i < L->snapshot_max * (size_t)L->n_max * (size_t)L->m_max; i++) hist[i] = NAN;
  float *ev = (float *)(void *)(base + L->off_eval);
  for (size_t i = 0; i < L->eval_max; i++) ev[i] = NAN;
}

/* Fills a record from a trained model (compact arrays of its own n, m). */
tms_status tms_rec_fill(const tms_rec_layout *L, unsigned char *base, const tms_spec *spec,
                        const tms_train_result *res, size_t curve_len) {
  tms_rec_header *h = (tms_rec_header *)(void *)base;
  int n = spec->n_features, m = spec->n_hidden;
  h->loss = res->final_loss;
  h->loss_se = res->loss_se;
  float *c = (float *)(void *)(base + L->off_curve);
  for (size_t k = 0; k < curve_len && k < L->curve_max; k++) c[k] = res->loss_curve[k];
  float *W = (float *)(void *)(base + L->off_W), *b = (float *)(void *)(base + L->off_b);
  float *W2 = L->has_w2 ? (float *)(void *)(base + L->off_W2) : NULL;
  /* zero padding beyond (n, m), as the layout promises */
  memset(W, 0, (size_t)L->n_max * (size_t)L->m_max * sizeof *W);
  if (W2) { /* zero padded for abs points; NaN for points of other variants, which have no W2 */
    size_t nm = (size_t)L->n_max * (size_t)L->m_max;
    if (spec->variant == TMS_ABS) memset(W2, 0, nm * sizeof *W2);
    else
      for (size_t k = 0; k < nm; k++) W2[k] = NAN;
  }
  memset(b, 0, (size_t)L->n_max * sizeof *b);
  for (int i = 0; i < n; i++) {
    memcpy(W + (size_t)i * (size_t)L->m_max, res->W + (size_t)i * (size_t)m, (size_t)m * sizeof *W);
    if (W2 && res->W2 && spec->variant == TMS_ABS)
      memcpy(W2 + (size_t)i * (size_t)L->m_max, res->W2 + (size_t)i * (size_t)m, (size_t)m * sizeof *W2);
    b[i] = res->b[i];
  }
  /* W history: entry k padded like W; NaN beyond the point's own length (or all NaN without a history) */
  const size_t NM = (size_t)L->n_max * (size_t)L->m_max, nm = (size_t)n * (size_t)m;
  const size_t len = res->W_history ? tms_spec_snapshot_len(spec) : 0;
  float *hist = (float *)(void *)(base + L->off_hist);
  for (size_t k = 0; k < L->snapshot_max; k++) {
    float *e = hist + k * NM;
    if (k >= len) {
      for (size_t q = 0; q < NM; q++) e[q] = NAN;
      continue;
    }
    memset(e, 0, NM * sizeof *e);
    for (int i = 0; i < n; i++)
      memcpy(e + (size_t)i * (size_t)L->m_max, res->W_history + k * nm + (size_t)i * (size_t)m,
             (size_t)m * sizeof *e);
  }
  /* evaluation curve: NaN beyond the point's own length (or all NaN without one) */
  const size_t elen = res->eval_curve ? tms_spec_eval_len(spec) : 0;
  float *ev = (float *)(void *)(base + L->off_eval);
  for (size_t k = 0; k < L->eval_max; k++) ev[k] = k < elen ? res->eval_curve[k] : NAN;
  double *norm = (double *)(void *)(base + L->off_norm);
  double *interf = (double *)(void *)(base + L->off_interf);
  double *dim = (double *)(void *)(base + L->off_dim);
  return tms_metric_point(norm, interf, dim, &h->dstar, res->W, n, m);
}
