/* post theory: oracles O4 and O5 (science.md section 6) as tms_theory_* computes them.
 *   o4: boundary p*(r) along p at fixed r (grid spacing 1e-4), the paper's example values, the triple point, the
 *       candidate losses against a direct quadrature of the ReLU-output model with the candidate weights, and the
 *       class grid written by tms_theory_write_file read back from HDF5;
 *   o5: the three statements of O5 about the extra feature, and its four candidate losses. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "metrics/metrics.h"
#include "post/theory.h"

/* E[sum_i I_i (x_i - ReLU(G x + b)_i)^2] for n = 2, m = 1, W = (w1, w2), by midpoint quadrature per activity
 * pattern (x_i = 0 w.p. 1-p, else U[0,1]). */
static double model_loss(double w1, double w2, double b1, double b2, double i0, double i1, double p, int K) {
  double G[2][2] = {{w1 * w1, w1 * w2}, {w2 * w1, w2 * w2}}, b[2] = {b1, b2}, I[2] = {i0, i1};
  double total = 0;
  for (int pat = 0; pat < 4; pat++) {
    int on0 = pat & 1, on1 = (pat >> 1) & 1;
    double prob = (on0 ? p : 1 - p) * (on1 ? p : 1 - p);
    int k0 = on0 ? K : 1, k1 = on1 ? K : 1;
    double sum = 0;
    for (int a = 0; a < k0; a++)
      for (int c = 0; c < k1; c++) {
        double x[2] = {on0 ? (a + 0.5) / K : 0.0, on1 ? (c + 0.5) / K : 0.0};
        for (int i = 0; i < 2; i++) {
          double pre = G[i][0] * x[0] + G[i][1] * x[1] + b[i];
          double out = pre > 0 ? pre : 0;
          sum += I[i] * (x[i] - out) * (x[i] - out);
        }
      }
    total += prob * sum / ((double)k0 * k1);
  }
  return total;
}

/* Largest p on the grid k/K below which every p has class superposition (the boundary along p). */
static double boundary_on_grid(int n, double r, int K) {
  double last = 0;
  for (int k = 1; k <= K; k++) {
    double p = (double)k / K;
    int cls = n == 2 ? tms_theory_o4_class(r, p) : tms_theory_o5_class(r, p);
    if (cls != TMS_PHASE_SUPERPOSITION) break;
    last = p;
  }
  return last;
}

static void test_o4(void) {
  const double r[4] = {0.1, 0.3, 3, 10}, want[4] = {0.16, 0.342857, 0.363636, 0.16};
  const int K = 10000;
  for (int k = 0; k < 4; k++) {
    char what[96];
    snprintf(what, sizeof what, "p*(r=%g) closed form", r[k]);
    CHECK_CLOSE(what, tms_theory_o4_boundary(r[k]), want[k], 1e-6);
    double last = boundary_on_grid(2, r[k], K), ps = tms_theory_o4_boundary(r[k]);
    CHECK(last < ps && ps <= last + 1.0 / K + 1e-12,
          "class boundary along p at r=%g: last superposition cell p=%.6f, next p=%.6f, want p*=%.6f between them",
          r[k], last, last + 1.0 / K, ps);
    /* above the boundary: not represented for r < 1, dedicated for r > 1 */
    int above = tms_theory_o4_class(r[k], want[k] + 2.0 / K);
    CHECK(above == (r[k] < 1 ? TMS_PHASE_NOT_REPRESENTED : TMS_PHASE_DEDICATED),
          "class just above p* at r=%g: got %d", r[k], above);
  }
  /* triple point r = 1, p = 4/7: all three losses equal */
  double L[3];
  tms_theory_o4_losses(L, 1.0, 1.0, 4.0 / 7.0);
  CHECK_CLOSE("triple point L_A - L_B", L[0] - L[1], 0, 1e-15);
  CHECK_CLOSE("triple point L_A - L_C", L[0] - L[2], 0, 1e-15);
  CHECK_CLOSE("p*(1)", tms_theory_o4_boundary(1.0), 4.0 / 7.0, 1e-15);
  double one[2] = {1.0, 1.0}, r3[2] = {1.0, 3.0};
  CHECK(tms_theory_class_unique(2, one, 0.9) == -1, "r=1, p=0.9: A/B tie has no unique class");
  CHECK(tms_theory_class_unique(2, r3, 0.9) == TMS_PHASE_DEDICATED, "r=3, p=0.9: unique class dedicated");
  CHECK(tms_theory_class(2, one, 0.9) == TMS_PHASE_NOT_REPRESENTED, "r=1, p=0.9: the tie goes to A");
  CHECK_CLOSE("p* continuous at r=1 from below", tms_theory_o4_boundary(1 - 1e-9), 4.0 / 7.0, 1e-8);
  CHECK_CLOSE("p* continuous at r=1 from above", tms_theory_o4_boundary(1 + 1e-9), 4.0 / 7.0, 1e-8);

  /* losses = formulas = quadrature of the model with the candidate weights */
  const double samples[3][2] = {{0.3, 0.2}, {2.0, 0.5}, {1.0, 0.05}};
  for (int s = 0; s < 3; s++) {
    double rr = samples[s][0], p = samples[s][1], var = p / 3 - p * p / 4;
    tms_theory_o4_losses(L, 1.0, rr, p);
    char what[96];
    snprintf(what, sizeof what, "L_A formula r=%g p=%g", rr, p);
    CHECK_CLOSE(what, L[TMS_O4_A], rr * var, 1e-15);
    snprintf(what, sizeof what, "L_B formula r=%g p=%g", rr, p);
    CHECK_CLOSE(what, L[TMS_O4_B], var, 1e-15);
    snprintf(what, sizeof what, "L_C formula r=%g p=%g", rr, p);
    CHECK_CLOSE(what, L[TMS_O4_C], (1 + rr) * p * p / 6, 1e-15);
    snprintf(what, sizeof what, "L_A quadrature r=%g p=%g", rr, p);
    CHECK_CLOSE(what, model_loss(1, 0, 0, p / 2, 1, rr, p, 800), L[TMS_O4_A], 2e-6);
    snprintf(what, sizeof what, "L_B quadrature r=%g p=%g", rr, p);
    CHECK_CLOSE(what, model_loss(0, 1, p / 2, 0, 1, rr, p, 800), L[TMS_O4_B], 2e-6);
    snprintf(what, sizeof what, "L_C quadrature r=%g p=%g", rr, p);
    CHECK_CLOSE(what, model_loss(1, -1, 0, 0, 1, rr, p, 800), L[TMS_O4_C], 2e-6);
  }

  /* the file of `tms-post theory` holds the same classes on its axes */
  const char *path = "post_theory_o4.h5";
  double imp[7], dens[9];
  for (int i = 0; i < 7; i++) imp[i] = pow(10.0, -1.0 + i / 3.0);
  for (int j = 0; j < 9; j++) dens[j] = pow(10.0, -2.0 * j / 8.0);
  tms_error err;
  tms_status st = tms_theory_write_file(path, 2, 1, imp, 7, dens, 9, 1, NULL, &err);
  CHECK(st == TMS_OK, "theory file written: %s", err.msg);
  st = tms_theory_write_file(path, 2, 1, imp, 7, dens, 9, 0, NULL, &err);
  CHECK(st == TMS_ERR_EXISTS, "existing theory file refused without force, got %s", tms_status_name(st));
  st = tms_theory_write_file(path, 4, 2, imp, 7, dens, 9, 1, NULL, &err);
  CHECK(st == TMS_ERR_USAGE, "n=4 m=2 has no closed form, got %s", tms_status_name(st));
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  signed char cls[63];
  double ax[9];
  CHECK(f >= 0, "theory file opens");
  if (f >= 0) {
    hid_t d = H5Dopen2(f, "/phase/class", H5P_DEFAULT);
    CHECK(d >= 0 && H5Dread(d, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, cls) >= 0, "read /phase/class");
    H5Dclose(d);
    d = H5Dopen2(f, "/axes/density", H5P_DEFAULT);
    CHECK(d >= 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, ax) >= 0, "read /axes/density");
    H5Dclose(d);
    H5Fclose(f);
    int bad = 0;
    for (int i = 0; i < 7; i++)
      for (int j = 0; j < 9; j++)
        if (cls[i * 9 + j] != tms_theory_o4_class(imp[i], dens[j])) bad++;
    CHECK(bad == 0, "%d of 63 cells of /phase/class differ from tms_theory_o4_class", bad);
    CHECK_CLOSE("/axes/density[8]", ax[8], 0.01, 1e-15);
  }
}

static void test_o5(void) {
  int wrong_sup = 0, wrong_not = 0, wrong_ded = 0, tested = 0;
  for (int a = 0; a <= 200; a++) {
    double r = pow(10.0, -2.0 + 4.0 * a / 200);
    for (int k = 0; k <= 300; k++) {
      double p = pow(10.0, -3.0 * k / 300);
      double ps = 4 * r / (2 + 5 * r);
      if (fabs(r - 1) < 1e-9 || fabs(p - ps) < 1e-9) continue; /* exactly on a boundary: a tie */
      int cls = tms_theory_o5_class(r, p);
      tested++;
      if (r < 1 && p < ps) wrong_sup += cls != TMS_PHASE_SUPERPOSITION;
      if (r < 1 && p > ps) wrong_not += cls != TMS_PHASE_NOT_REPRESENTED;
      if (r > 1) wrong_ded += cls != TMS_PHASE_DEDICATED;
    }
  }
  CHECK(tested > 60000, "tested %d (r, p) pairs", tested);
  CHECK(wrong_sup == 0, "r<1, p<4r/(2+5r): %d cells not superposition", wrong_sup);
  CHECK(wrong_not == 0, "r<1, p>4r/(2+5r): %d cells not 'not represented'", wrong_not);
  CHECK(wrong_ded == 0, "r>1: %d cells not dedicated", wrong_ded);
  /* the four candidates of O5 with importances (1, 1, r) */
  double r = 0.4, p = 0.2, var = p / 3 - p * p / 4, L[TMS_O5_COUNT], I[3] = {1, 1, r};
  tms_theory_o5_losses(L, I, p);
  CHECK_CLOSE("O5 W perp e3", L[0], r * var, 1e-15);
  CHECK_CLOSE("O5 W perp e1", L[1], var, 1e-15);
  CHECK_CLOSE("O5 W perp [0,1,1]", L[3], (1 + r) * p * p / 6, 1e-15);
  CHECK_CLOSE("O5 W perp [1,1,0]", L[5], p * p / 3, 1e-15);
  CHECK(tms_theory_o5_candidate_class(5) == TMS_PHASE_DEDICATED, "features 1,2 antipodal: extra dedicated");
  /* r > 1 and p < 4/7: features 1, 2 antipodal (candidate 5 is the argmin) */
  double I2[3] = {1, 1, 3};
  tms_theory_o5_losses(L, I2, 0.3);
  int best = 0;
  for (int k = 1; k < TMS_O5_COUNT; k++)
    if (L[k] < L[best]) best = k;
  CHECK(best == 5, "r=3, p=0.3: argmin candidate %d, want 5 (features 1, 2 antipodal)", best);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "o4";
  if (strcmp(mode, "o4") == 0) test_o4();
  else test_o5();
  return tms_check_finish(strcmp(mode, "o4") == 0 ? "theory_o4_boundaries" : "theory_o5_classes");
}
