/* check_linear: oracle O2 on a results file of the linear model M1 (analysis/SCIENCE.md section 6).
 * Usage: check_linear RESULTS.h5 LOSS_REL_TOL G_TOL B_TOL
 * For every point (any grid; read flat) with I_i = importance_decay^i and density p, the Eckart-Young optimum is
 * G = W W^T = diag(1 on the m most important features, 0 elsewhere), b_i = 0 on them and p/2 elsewhere, with
 * per-feature mean loss sigma^2 * sum_{i>=m} I_i / n, sigma^2 = p/3 - p^2/4 (the /results/loss convention).
 * Requires |loss/target - 1| <= LOSS_REL_TOL, every |G_ij - P_ij| <= G_TOL (all n x n entries) and
 * every |b_i - b*_i| <= B_TOL. Not for AdamW (weight decay shrinks the norms off the optimum) or ties in I. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sci_h5.h"

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s RESULTS.h5 LOSS_REL_TOL G_TOL B_TOL\n", argv[0]);
    return 2;
  }
  const char *res = argv[1];
  double tol_loss = atof(argv[2]), tol_g = atof(argv[3]), tol_b = atof(argv[4]);
  sci_array dens = {0}, decay = {0}, nf = {0}, nh = {0}, last = {0}, var = {0}, loss = {0}, status = {0}, W = {0},
            b = {0};
  if (sci_read(&dens, res, "/params/density") || sci_read(&decay, res, "/params/importance_decay") ||
      sci_read(&nf, res, "/params/n_features") || sci_read(&nh, res, "/params/n_hidden") ||
      sci_read(&last, res, "/params/last_importance") || sci_read(&var, res, "/params/variant") ||
      sci_read(&loss, res, "/results/loss") || sci_read(&status, res, "/points/status") ||
      sci_read(&W, res, "/results/W") || sci_read(&b, res, "/results/b"))
    return 1;
  int linear = sci_choice_code(res, "/params/variant", "linear");
  if (linear < 0) return 1;
  size_t P = loss.count;
  if (W.rank < 2 || b.rank < 1) return fprintf(stderr, "/results/W or /results/b has too low a rank\n"), 1;
  size_t nmax = W.dims[W.rank - 2], mmax = W.dims[W.rank - 1];
  if (W.count != P * nmax * mmax || b.count != P * nmax || dens.count != P || status.count != P)
    return fprintf(stderr, "grid sizes of /results/W, /results/b, /params, /points/status do not match\n"), 1;
  int fail = 0, checked = 0;
  printf("%5s %8s %3s %3s %12s %12s %9s %9s %9s\n", "point", "density", "n", "m", "loss", "O2 optimum", "rel err",
         "max|dG|", "max|db|");
  for (size_t pt = 0; pt < P; pt++) {
    int n = (int)nf.v[pt], m = (int)nh.v[pt];
    double p = dens.v[pt], r = decay.v[pt];
    if ((int)var.v[pt] != linear) {
      printf("%5zu skipped: not the linear variant\n", pt);
      continue;
    }
    if (status.v[pt] != 1) {
      printf("%5zu FAIL: point not done (status %g)\n", pt, status.v[pt]);
      fail = 1;
      continue;
    }
    if (!isnan(last.v[pt]) || !(r > 0 && r < 1) || m >= n) {
      printf("%5zu FAIL: O2 needs distinct importances (0 < decay < 1, no last_importance) and m < n\n", pt);
      fail = 1;
      continue;
    }
    double s2 = p / 3 - p * p / 4, tail = 0;
    for (int i = m; i < n; i++) tail += pow(r, i);
    double target = s2 * tail / n, rel = loss.v[pt] / target - 1;
    const double *w = W.v + pt * nmax * mmax, *bb = b.v + pt * nmax;
    double dg = 0, db = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double g = 0;
        for (int k = 0; k < m; k++) g += w[i * (int)mmax + k] * w[j * (int)mmax + k];
        double want = (i == j && i < m) ? 1 : 0;
        if (fabs(g - want) > dg) dg = fabs(g - want);
      }
      double bwant = i < m ? 0 : p / 2;
      if (fabs(bb[i] - bwant) > db) db = fabs(bb[i] - bwant);
    }
    int bad = !(fabs(rel) <= tol_loss) || !(dg <= tol_g) || !(db <= tol_b);
    printf("%5zu %8.4f %3d %3d %12.6g %12.6g %+9.4f %9.4f %9.4f%s\n", pt, p, n, m, loss.v[pt], target, rel, dg, db,
           bad ? "  <- FAIL" : "");
    fail |= bad;
    checked++;
  }
  printf("tolerances: |rel err| <= %g, max|G - projection| <= %g, max|b - b*| <= %g; %d points checked\n", tol_loss,
         tol_g, tol_b, checked);
  if (checked == 0) fail = 1, printf("FAIL: no linear point checked\n");
  sci_free(&dens), sci_free(&decay), sci_free(&nf), sci_free(&nh), sci_free(&last), sci_free(&var);
  sci_free(&loss), sci_free(&status), sci_free(&W), sci_free(&b);
  return fail;
}
