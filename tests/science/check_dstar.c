/* check_dstar: E3 (uniform importance, n >> m) from a results file: the dimensions-per-feature curve D*(p).
 * Usage: check_dstar RESULTS.h5 DENSE_TOL HALF_TOL MIN_HALF_LEVELS MAX_SPARSE_DSTAR [POST.h5]
 * Grid: one axis `density` (any order) x replicate; D* per level = mean over replicates of /metrics/dstar, and
 * recomputed here from /results/W as m / ||W||_F^2 (must agree to 1e-6 relative: metrics vs. raw weights).
 * Claims checked (analysis/SCIENCE.md E3.1):
 *  - dense: |D*(p=1) - 1| <= DENSE_TOL (exactly m features learned);
 *  - plateau ("sticky" 1/2, antipodal pairs): >= MIN_HALF_LEVELS levels with |D* - 1/2| <= HALF_TOL, and the
 *    flattest step of the curve (smallest |log D*| change between neighbouring levels, over levels with D* < 0.95)
 *    joins two levels that are both within HALF_TOL of 1/2;
 *  - falling: D* never rises by more than 0.02 from one level to the next sparser one, and the sparsest level
 *    has D* <= MAX_SPARSE_DSTAR.
 * With POST.h5 (tms-post of the same results): its /summary/dstar_mean must equal the mean D* per level here
 * (1e-9 relative), so the curve a user plots from the post file is the one tested.
 * An untrained model (xavier init) has D* ~ (n+m)/(2n) at every level, so it fails the dense and falling checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sci_h5.h"

#define MAX_LEVELS 256

/* ord: the levels' indices by decreasing density (dense first). */
static void order_dense_first(const sci_array *P, long L, long *ord) {
  for (long k = 0; k < L; k++) ord[k] = k;
  for (long a = 1; a < L; a++)
    for (long c = a; c > 0 && P->v[ord[c]] > P->v[ord[c - 1]]; c--) {
      long t = ord[c];
      ord[c] = ord[c - 1], ord[c - 1] = t;
    }
}

/* The results' arrays a check reads. */
typedef struct {
  sci_array P, ds, W, status, nh;
  long L, R, nmax, mmax;
} dstar_data;

/* d[a]: mean D* over the finished replicates of the a-th level (dense first), printed per replicate; checks
 * /metrics/dstar against m / ||W||_F^2 from /results/W. Returns 1 on a failure. */
static int level_means(const dstar_data *x, const long *ord, double half_tol, double *d) {
  int fail = 0, mismatch = 0;
  const long R = x->R, nm = x->nmax * x->mmax;
  printf("%10s %10s %9s  per replicate\n", "density", "1/(1-S)", "D* mean");
  for (long a = 0; a < x->L; a++) {
    long k = ord[a];
    double sum = 0;
    int nd = 0;
    for (long s = 0; s < R; s++) {
      long pt = k * R + s;
      if (x->status.v[pt] != 1) continue;
      double f2 = 0;
      for (long i = 0; i < nm; i++) f2 += x->W.v[pt * nm + i] * x->W.v[pt * nm + i];
      double mine = x->nh.v[pt] / f2;
      if (!(fabs(mine - x->ds.v[pt]) <= 1e-6 * fabs(mine))) {
        printf("point (%ld, %ld): /metrics/dstar %.8g but m/||W||_F^2 from /results/W = %.8g\n", k, s, x->ds.v[pt],
               mine);
        mismatch++;
      }
      sum += x->ds.v[pt];
      nd++;
    }
    d[a] = nd ? sum / nd : NAN;
    printf("%10.5f %10.3f %9.4f ", x->P.v[k], 1 / x->P.v[k], d[a]);
    for (long s = 0; s < R; s++) printf(" %7.4f", x->status.v[k * R + s] == 1 ? x->ds.v[k * R + s] : NAN);
    printf("%s\n", fabs(d[a] - 0.5) <= half_tol ? "  <- near 1/2" : "");
    if (nd == 0) fail = 1, printf("FAIL: level p=%g has no finished replicate\n", x->P.v[k]);
  }
  if (mismatch) fail = 1, printf("FAIL: /metrics/dstar differs from m/||W||_F^2 at %d points\n", mismatch);
  return fail;
}

/* The curve's claims on d (dense first): dense at 1, a sticky plateau at 1/2, falling, sparse end low. */
static int curve_claims(const double *d, long L, const long *ord, const double *p, double dense_tol,
                        double half_tol, int min_half, double max_sparse) {
  int fail = 0;
  if (!(fabs(d[0] - 1) <= dense_tol))
    fail = 1, printf("FAIL: dense level p=%g: D* = %.4f, |D* - 1| = %.4f > %g\n", p[ord[0]], d[0], fabs(d[0] - 1),
                     dense_tol);
  int half = 0;
  for (long a = 0; a < L; a++) half += fabs(d[a] - 0.5) <= half_tol;
  printf("levels with |D* - 1/2| <= %g: %d (need >= %d)\n", half_tol, half, min_half);
  if (half < min_half) fail = 1, printf("FAIL: plateau at 1/2 too short\n");
  long flat = -1;
  double flat_step = INFINITY;
  for (long a = 0; a + 1 < L; a++) {
    if (!(d[a] < 0.95)) continue;
    double step = fabs(log(d[a + 1] / d[a]));
    if (step < flat_step) flat_step = step, flat = a;
  }
  if (flat < 0) fail = 1, printf("FAIL: no two neighbouring levels with D* < 0.95\n");
  else {
    printf("flattest step: D* %.4f -> %.4f (|log ratio| %.4f) between p=%g and p=%g\n", d[flat], d[flat + 1],
           flat_step, p[ord[flat]], p[ord[flat + 1]]);
    if (!(fabs(d[flat] - 0.5) <= half_tol && fabs(d[flat + 1] - 0.5) <= half_tol))
      fail = 1, printf("FAIL: the flattest step of D* is not at 1/2 (no sticky plateau)\n");
  }
  for (long a = 0; a + 1 < L; a++)
    if (!(d[a + 1] <= d[a] + 0.02))
      fail = 1, printf("FAIL: D* rises from %.4f (p=%g) to %.4f (p=%g)\n", d[a], p[ord[a]], d[a + 1], p[ord[a + 1]]);
  if (!(d[L - 1] <= max_sparse))
    fail = 1, printf("FAIL: sparsest level p=%g: D* = %.4f > %g\n", p[ord[L - 1]], d[L - 1], max_sparse);
  return fail;
}

/* tms-post's /summary/dstar_mean in file post equals d per level. Returns 1 on a failure or a bad file. */
static int post_matches(const char *post, const double *d, long L, const long *ord, const double *p) {
  sci_array pm = {0};
  if (sci_read(&pm, post, "/summary/dstar_mean") || sci_expect_shape(&pm, "/summary/dstar_mean", 1, (long[]){L}))
    return 1;
  int diff = 0;
  for (long a = 0; a < L; a++)
    if (!(fabs(pm.v[ord[a]] - d[a]) <= 1e-9 * fabs(d[a]))) {
      printf("tms-post /summary/dstar_mean[p=%g] = %.10g, results mean D* = %.10g\n", p[ord[a]], pm.v[ord[a]], d[a]);
      diff++;
    }
  if (diff) printf("FAIL: tms-post dstar_mean differs at %d levels\n", diff);
  else printf("tms-post /summary/dstar_mean equals the results' mean D* at all %ld levels\n", L);
  sci_free(&pm);
  return diff != 0;
}

int main(int argc, char **argv) {
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: %s RESULTS.h5 DENSE_TOL HALF_TOL MIN_HALF_LEVELS MAX_SPARSE_DSTAR [POST.h5]\n", argv[0]);
    return 2;
  }
  const char *res = argv[1];
  double dense_tol = atof(argv[2]), half_tol = atof(argv[3]), max_sparse = atof(argv[5]);
  int min_half = atoi(argv[4]);
  dstar_data x = {0};
  if (sci_read(&x.P, res, "/axes/density") || sci_read(&x.ds, res, "/metrics/dstar") ||
      sci_read(&x.W, res, "/results/W") || sci_read(&x.status, res, "/points/status") ||
      sci_read(&x.nh, res, "/params/n_hidden"))
    return 1;
  const long L = x.L = (long)x.P.count;
  if (L < 3 || L > MAX_LEVELS) return fprintf(stderr, "need 3..%d density levels, got %ld\n", MAX_LEVELS, L), 1;
  if (sci_expect_shape(&x.ds, "/metrics/dstar", 2, (long[]){L, -1}) ||
      sci_expect_shape(&x.status, "/points/status", 2, (long[]){L, (long)x.ds.dims[1]}) ||
      sci_expect_shape(&x.W, "/results/W", 4, (long[]){L, (long)x.ds.dims[1], -1, -1}))
    return 1;
  x.R = (long)x.ds.dims[1], x.nmax = (long)x.W.dims[2], x.mmax = (long)x.W.dims[3];
  long ord[MAX_LEVELS];
  order_dense_first(&x.P, L, ord);
  double d[MAX_LEVELS];
  int fail = level_means(&x, ord, half_tol, d);
  fail |= curve_claims(d, L, ord, x.P.v, dense_tol, half_tol, min_half, max_sparse);
  if (argc == 7) fail |= post_matches(argv[6], d, L, ord, x.P.v);
  sci_free(&x.P), sci_free(&x.ds), sci_free(&x.W), sci_free(&x.status), sci_free(&x.nh);
  return fail;
}
