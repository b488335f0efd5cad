/* metrics_threshold_no_nan: degenerate W never gives NaN, and the D_i threshold of analysis/SCIENCE.md 4.5 is applied:
 * D_i := 0 when ||W_i||^2 < 1e-6 max_j ||W_j||^2, even for a tiny row orthogonal to everything (spuriously 1). */
#include <math.h>

#include "check.h"
#include "metrics/metrics.h"

enum { N = 4, M = 3 };

static void all_finite(const char *name, const float *W) {
  double norm[N], s[N], D[N], dstar = NAN;
  CHECK(tms_metric_point(norm, s, D, &dstar, W, N, M) == TMS_OK, "%s: status", name);
  for (int i = 0; i < N; i++)
    CHECK(isfinite(norm[i]) && isfinite(s[i]) && isfinite(D[i]), "%s: feature %d not finite: norm %g s %g D %g",
          name, i, norm[i], s[i], D[i]);
  CHECK(isfinite(dstar), "%s: D* not finite: %g", name, dstar);
}

int main(void) {
  /* All-zero W: everything 0 (max norm is 0, so the relative threshold alone would not fire). */
  float Z[N * M] = {0};
  all_finite("zero W", Z);
  double D[N], s[N], norm[N];
  tms_metric_dimensionality(D, Z, N, M);
  tms_metric_interference(s, Z, N, M);
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE("zero W: D_i", D[i], 0.0, 0.0);
    CHECK_CLOSE("zero W: s_i", s[i], 0.0, 0.0);
  }
  CHECK_CLOSE("zero W: D*", tms_metric_dstar(Z, N, M), 0.0, 0.0);

  /* Rows: e0, -e0 (antipodal pair), a tiny row along e1 (orthogonal to all: raw D would be 1), a zero row. */
  float T[N * M] = {1, 0, 0, -1, 0, 0, 0, 1e-4f, 0, 0, 0, 0};
  all_finite("tiny orthogonal row", T);
  tms_metric_point(norm, s, D, NULL, T, N, M);
  CHECK_CLOSE("antipodal pair: D_0", D[0], 0.5, 1e-12);
  CHECK_CLOSE("antipodal pair: s_0", s[0], 1.0, 1e-12);
  CHECK_CLOSE("tiny row (||W||^2 = 1e-8 < 1e-6 max): D_2 set to 0, not the spurious 1", D[2], 0.0, 0.0);
  CHECK_CLOSE("tiny row: norm", norm[2], 1e-4, 1e-9);
  CHECK_CLOSE("tiny row orthogonal to all: s_2", s[2], 0.0, 0.0);
  CHECK_CLOSE("zero row: D_3", D[3], 0.0, 0.0);
  CHECK_CLOSE("zero row: s_3", s[3], 0.0, 0.0);

  /* Just above the threshold (||W||^2 = 4e-6 > 1e-6 max = 1e-6): the rule does not fire, D = 1 (it is orthogonal). */
  T[7] = 2e-3f;
  tms_metric_dimensionality(D, T, N, M);
  CHECK_CLOSE("small row above threshold, orthogonal: D_2", D[2], 1.0, 1e-12);

  /* Rows orthogonal to everything, of unequal size: all dedicated, D = 1, s = 0. */
  float O[N * M] = {2, 0, 0, 0, 0.5f, 0, 0, 0, 1, 0, 0, 0};
  all_finite("orthogonal rows", O);
  tms_metric_point(norm, s, D, NULL, O, N, M);
  for (int i = 0; i < 3; i++) {
    CHECK_CLOSE("orthogonal row: D_i", D[i], 1.0, 1e-12);
    CHECK_CLOSE("orthogonal row: s_i", s[i], 0.0, 0.0);
  }
  CHECK_CLOSE("orthogonal rows: D* = 3 / (4 + 0.25 + 1)", tms_metric_dstar(O, N, M), 3.0 / 5.25, 1e-12);

  /* Denormal-sized rows everywhere: still finite and in [0, 1]. */
  float S[N * M];
  for (int k = 0; k < N * M; k++) S[k] = (k % 3 == 0) ? 1e-40f : -1e-40f;
  all_finite("denormal W", S);
  tms_metric_dimensionality(D, S, N, M);
  for (int i = 0; i < N; i++) CHECK(D[i] >= 0 && D[i] <= 1, "denormal W: D_%d = %g outside [0, 1]", i, D[i]);
  return tms_check_finish("metrics_threshold_no_nan");
}
