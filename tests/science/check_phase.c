/* check_phase: the E2a phase diagram (relu_out n=2, m=1) from the real pipeline agrees with the closed form O4.
 * Usage: check_phase RESULTS.h5 POST.h5 MIN_AGREEMENT MIN_POST_AGREEMENT
 * Independently of tms-post it classifies every seed from the raw trained weights /results/W (N = w_x^2,
 * s = w_0^2, D = N/(N+s); not represented if N < 0.5, dedicated if D >= 0.75, else superposition), drops the
 * worst-loss seed of each cell, takes the majority (ties: the class of the lowest-loss seed) and compares it
 * with argmin{L_A, L_B, L_C} of O4 on the cells away from the O4 boundaries:
 * |log10 p - log10 p*(r)| > BOUNDARY_MARGIN with p* = 4r/(2+5r) (r<1), 4/(5+2r) (r>1), and |log10 r| > R_MARGIN.
 * It also requires tms-post's /phase/class to equal this majority everywhere, its /phase/theory_class to equal
 * O4 wherever O4 has a unique minimiser, and its agreement_away_from_boundary >= MIN_POST_AGREEMENT.
 * Not a test of the optimiser's success rate per seed (local minima are expected; the paper drops the worst). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sci_h5.h"

#define BOUNDARY_MARGIN 0.15 /* decades of density: about half a step of the test grid (1/3 decade) */
#define R_MARGIN 0.15        /* decades of importance: r = 1 (A/B tie, the blurry triple point) is excluded */

static int seed_class(double w0, double wx) {
  double N = wx * wx, s = w0 * w0;
  if (N < 0.5) return 0;
  return N / (N + s) >= 0.75 ? 1 : 2;
}

/* O4: 0 = A (extra not represented), 1 = B (extra dedicated), 2 = C (antipodal); *tied if the two best agree. */
static int o4_class(double r, double p, int *tied) {
  double L[3] = {r * (p / 3 - p * p / 4), p / 3 - p * p / 4, (1 + r) * p * p / 6};
  int k = 0;
  for (int j = 1; j < 3; j++)
    if (L[j] < L[k]) k = j;
  *tied = 0;
  for (int j = 0; j < 3; j++)
    if (j != k && fabs(L[j] - L[k]) <= 1e-12 * fabs(L[k])) *tied = 1;
  return k;
}

static double o4_boundary(double r) { return r < 1 ? 4 * r / (2 + 5 * r) : 4 / (5 + 2 * r); }

/* The cell's own class from its seeds at points base .. base + S: each finished seed's class in cls (-1 if not
 * finished), then the majority without the worst-loss seed (when >= 2 are finished), ties to the lowest-loss seed's
 * class; -1 if no seed finished. */
static int cell_majority(const sci_array *W, const sci_array *loss, const sci_array *status, long base, long S,
                         int *cls) {
  int nd = 0;
  double ls[64];
  long best = -1, worst = -1;
  for (long k = 0; k < S && k < 64; k++) {
    long pt = base + k;
    cls[k] = -1;
    if (status->v[pt] != 1 || !isfinite(loss->v[pt])) continue;
    cls[k] = seed_class(W->v[pt * 2 + 0], W->v[pt * 2 + 1]);
    ls[k] = loss->v[pt];
    nd++;
    if (best < 0 || ls[k] < ls[best]) best = k;
    if (worst < 0 || ls[k] > ls[worst]) worst = k;
  }
  if (nd == 0) return -1;
  int count[3] = {0, 0, 0};
  for (long k = 0; k < S && k < 64; k++)
    if (cls[k] >= 0 && !(nd >= 2 && k == worst)) count[cls[k]]++;
  int own = cls[best];
  for (int c = 0; c < 3; c++)
    if (count[c] > count[own]) own = c;
  return own;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s RESULTS.h5 POST.h5 MIN_AGREEMENT MIN_POST_AGREEMENT\n", argv[0]);
    return 2;
  }
  const char *res = argv[1], *post = argv[2];
  double min_own = atof(argv[3]), min_post = atof(argv[4]);
  sci_array R = {0}, P = {0}, W = {0}, loss = {0}, status = {0}, pcls = {0}, tcls = {0};
  double post_away = NAN;
  if (sci_read(&R, res, "/axes/last_importance") || sci_read(&P, res, "/axes/density") ||
      sci_read(&W, res, "/results/W") || sci_read(&loss, res, "/results/loss") ||
      sci_read(&status, res, "/points/status") || sci_read(&pcls, post, "/phase/class") ||
      sci_read(&tcls, post, "/phase/theory_class") ||
      sci_read_attr(&post_away, post, "/phase/theory_class", "agreement_away_from_boundary"))
    return 1;
  long nr = (long)R.count, np = (long)P.count;
  long S = W.rank == 5 ? (long)W.dims[2] : -1;
  if (sci_expect_shape(&W, "/results/W", 5, (long[]){nr, np, -1, 2, 1}) ||
      sci_expect_shape(&loss, "/results/loss", 3, (long[]){nr, np, S}) ||
      sci_expect_shape(&status, "/points/status", 3, (long[]){nr, np, S}) ||
      sci_expect_shape(&pcls, "/phase/class", 2, (long[]){nr, np}) ||
      sci_expect_shape(&tcls, "/phase/theory_class", 2, (long[]){nr, np}))
    return 1;

  int away = 0, away_ok = 0, post_diff = 0, theory_diff = 0, missing = 0;
  printf("cells: own majority / O4 class (0 not represented, 1 dedicated, 2 superposition), per-seed classes;\n"
         "  '*' = disagreement away from the O4 boundary, '.' = near the boundary (not scored),"
         " '!' = tms-post differs\n");
  printf("%8s |", "r \\ p");
  for (long j = 0; j < np; j++) printf(" %9.4f", P.v[j]);
  printf("\n");
  for (long i = 0; i < nr; i++) {
    double r = R.v[i];
    printf("%8.4f |", r);
    for (long j = 0; j < np; j++) {
      double p = P.v[j];
      int cls[64], tied, th = o4_class(r, p, &tied);
      int own = cell_majority(&W, &loss, &status, (i * np + j) * S, S, cls);
      if (own < 0) missing++;
      int is_away = fabs(log10(p) - log10(o4_boundary(r))) > BOUNDARY_MARGIN && fabs(log10(r)) > R_MARGIN;
      char mark = ' ';
      if (is_away) {
        away++;
        if (own == th) away_ok++;
        else mark = '*';
      } else mark = '.';
      if ((int)pcls.v[i * np + j] != own) {
        post_diff++;
        mark = '!';
      }
      if (!tied && (int)tcls.v[i * np + j] != th) theory_diff++;
      char seeds[8] = {0};
      for (long k = 0; k < S && k < 7; k++) seeds[k] = cls[k] < 0 ? '-' : (char)('0' + cls[k]);
      printf(" %c%2d/%d:%-4s", mark, own, th, seeds);
    }
    printf("\n");
  }
  double agree = away ? (double)away_ok / away : 0;
  printf("own agreement away from the O4 boundary: %d of %d cells = %.4f (need >= %.4f)\n", away_ok, away, agree,
         min_own);
  printf("tms-post agreement_away_from_boundary = %.4f (need >= %.4f); cells where tms-post's class differs from"
         " the independent majority: %d; where its theory class differs from O4: %d; cells without data: %d\n",
         post_away, min_post, post_diff, theory_diff, missing);
  int fail = 0;
  if (missing) fail = 1, printf("FAIL: %d cells have no finished seed\n", missing);
  if (away < 10) fail = 1, printf("FAIL: only %d cells away from the boundary; grid too coarse\n", away);
  if (agree < min_own) fail = 1, printf("FAIL: own agreement %.4f < %.4f\n", agree, min_own);
  if (!(post_away >= min_post)) fail = 1, printf("FAIL: tms-post agreement %.4f < %.4f\n", post_away, min_post);
  if (post_diff) fail = 1, printf("FAIL: tms-post /phase/class differs in %d cells ('!')\n", post_diff);
  if (theory_diff) fail = 1, printf("FAIL: tms-post /phase/theory_class differs from O4 in %d cells\n", theory_diff);
  sci_free(&R), sci_free(&P), sci_free(&W), sci_free(&loss), sci_free(&status), sci_free(&pcls), sci_free(&tcls);
  return fail;
}
