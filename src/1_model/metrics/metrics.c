/* metrics: norms, Gram matrix, interference s_i, feature dimensionality D_i and D* of one trained W
 * (SCIENCE.md section 4, items 1, 2, 4, 5). W is (N, M) float32, row i = W_i (the paper's column i); everything
 * is accumulated in float64, and float32 -> float64 is exact, so results depend only on W.
 * Not here: phase and geometry labels (classify.c), attacks (attack.c), neuron statistics (neurons.c).
 * Invariants: no output is ever NaN for finite W; D_i in [0, 1]; a zero row has s_i = 0 and D_i = 0.
 * No allocation: every per-feature value needs only row i's dot products with all rows, computed on the fly
 * (O(N^2 M) per model, a few ms at n = 400, m = 30, so a cached Gram matrix would buy nothing). */
#include "metrics/metrics.h"

#include <math.h>
#include <stddef.h>

static double dot_rows(const float *W, int m, int i, int j) {
  const float *a = W + (size_t)i * m, *b = W + (size_t)j * m;
  double s = 0.0;
  for (int k = 0; k < m; k++) s += (double)a[k] * (double)b[k];
  return s;
}

void tms_metric_gram(double *G /* (N, N) */, const float *W /* (N, M) */, int n, int m) {
  for (int i = 0; i < n; i++)
    for (int j = i; j < n; j++) {
      double g = dot_rows(W, m, i, j);
      G[(size_t)i * n + j] = g;
      G[(size_t)j * n + i] = g; /* filled from one product so G is exactly symmetric */
    }
}

/* Row i's statistics: its squared norm and sum_{j != i} (W_i . W_j)^2 (unnormalised interference). */
static void row_stats(double *norm_sq, double *cross_sq, const float *W, int n, int m, int i) {
  double nn = 0.0, cc = 0.0;
  for (int j = 0; j < n; j++) {
    double d = dot_rows(W, m, i, j);
    if (j == i)
      nn = d;
    else
      cc += d * d;
  }
  *norm_sq = nn;
  *cross_sq = cc;
}

static double max_norm_sq(const float *W, int n, int m) {
  double mx = 0.0;
  for (int i = 0; i < n; i++) {
    double v = dot_rows(W, m, i, i);
    if (v > mx) mx = v;
  }
  return mx;
}

/* s_i = sum_{j != i} (What_i . W_j)^2 = cross_sq / ||W_i||^2; 0 for a zero row (no direction to interfere along). */
static double interference_of(double norm_sq, double cross_sq) { return norm_sq > 0.0 ? cross_sq / norm_sq : 0.0; }

/* D_i = ||W_i||^2 / sum_j (What_i . W_j)^2 = ||W_i||^4 / (||W_i||^4 + cross_sq). The threshold keeps a tiny,
 * unlearned W_i that happens to be orthogonal to everything from scoring a spurious 1 (SCIENCE.md 4.5); the
 * norm_sq > 0 test also covers max = 0 (all-zero W), where the relative threshold is 0 and would not fire. */
static double dimensionality_of(double norm_sq, double cross_sq, double max_sq) {
  if (!(norm_sq > 0.0) || norm_sq < TMS_DIM_THRESHOLD * max_sq) return 0.0;
  double n4 = norm_sq * norm_sq;
  return n4 / (n4 + cross_sq);
}

tms_status tms_metric_interference(double *s /* (N) */, const float *W /* (N, M) */, int n, int m) {
  for (int i = 0; i < n; i++) {
    double nn, cc;
    row_stats(&nn, &cc, W, n, m, i);
    s[i] = interference_of(nn, cc);
  }
  return TMS_OK;
}

tms_status tms_metric_dimensionality(double *D /* (N) */, const float *W /* (N, M) */, int n, int m) {
  double mx = max_norm_sq(W, n, m);
  for (int i = 0; i < n; i++) {
    double nn, cc;
    row_stats(&nn, &cc, W, n, m, i);
    D[i] = dimensionality_of(nn, cc, mx);
  }
  return TMS_OK;
}

double tms_metric_dstar(const float *W /* (N, M) */, int n, int m) {
  double f = 0.0;
  for (size_t k = 0; k < (size_t)n * m; k++) f += (double)W[k] * (double)W[k];
  return f > 0.0 ? (double)m / f : 0.0;
}

tms_status tms_metric_point(double *norm /* (N) */, double *interference /* (N) */, double *dimensionality /* (N) */,
                            double *dstar, const float *W /* (N, M) */, int n, int m) {
  double mx = max_norm_sq(W, n, m);
  for (int i = 0; i < n; i++) {
    double nn, cc;
    row_stats(&nn, &cc, W, n, m, i);
    if (norm) norm[i] = sqrt(nn);
    if (interference) interference[i] = interference_of(nn, cc);
    if (dimensionality) dimensionality[i] = dimensionality_of(nn, cc, mx);
  }
  if (dstar) *dstar = tms_metric_dstar(W, n, m);
  return TMS_OK;
}
