/* theory: closed-form candidate losses of oracles O4 (n=2, m=1) and O5 (n=3, m=2), SCIENCE.md section 6.
 * Every candidate is a projection solution with ReLU output whose loss has a closed form in the density p:
 * a dropped feature costs I Var(x) = I (p/3 - p^2/4) (its bias absorbs the mean), a dedicated one costs 0, and an
 * antipodal pair with b = 0 costs only when both are active, E[min(x1, x2)^2] = 1/6 each, so (I_a + I_b) p^2/6.
 * For n=3 (O5) the candidates also include, beyond the paper, the pairs with optimal norm and bias and the triangle
 * (numerical, theory_polytope.c); the class is that of the lowest of all. O4 (n=2) stays the paper's closed form.
 * Ties go to the candidate listed first (the less represented one), so a class is always defined. */
#include "post/theory.h"

#include <math.h>

#include "metrics/metrics.h"

static double feature_variance(double p) { return p / 3.0 - p * p / 4.0; }

void tms_theory_o4_losses(double *loss, double i0, double i1, double p) {
  double var = feature_variance(p);
  loss[TMS_O4_A] = i1 * var;
  loss[TMS_O4_B] = i0 * var;
  loss[TMS_O4_C] = (i0 + i1) * p * p / 6.0;
}

static int argmin(const double *v, int count) {
  int best = 0;
  for (int k = 1; k < count; k++)
    if (v[k] < v[best]) best = k;
  return best;
}

int tms_theory_o4_class(double r, double p) {
  double importance[2] = {1.0, r};
  return tms_theory_class(2, importance, p);
}

double tms_theory_o4_boundary(double r) {
  if (r < 1.0) return 4.0 * r / (2.0 + 5.0 * r);
  if (r > 1.0) return 4.0 / (5.0 + 2.0 * r);
  return 4.0 / 7.0;
}

void tms_theory_o5_losses(double *loss, const double *importance, double p) {
  double var = feature_variance(p), pair = p * p / 6.0;
  double a = importance[0], b = importance[1], c = importance[2];
  loss[0] = c * var;        /* W orthogonal to e3: extra dropped */
  loss[1] = a * var;        /* orthogonal to e1: feature 1 dropped, 2 and extra dedicated */
  loss[2] = b * var;        /* orthogonal to e2 */
  loss[3] = (b + c) * pair; /* orthogonal to [0,1,1]: extra antipodal with feature 2 */
  loss[4] = (a + c) * pair; /* orthogonal to [1,0,1]: extra antipodal with feature 1 */
  loss[5] = (a + b) * pair; /* orthogonal to [1,1,0]: features 1, 2 antipodal, extra dedicated */
  /* beyond the paper: the same pairs with optimal norm and bias, and the triangle (theory_polytope.c) */
  const double pair_opt = tms_theory_member_loss(2, -1.0, p, NULL, NULL);
  loss[6] = (b + c) * pair_opt;
  loss[7] = (a + c) * pair_opt;
  loss[8] = (a + b) * pair_opt;
  loss[9] = (a + b + c) * tms_theory_member_loss(3, -0.5, p, NULL, NULL);
}

int tms_theory_o5_candidate_class(int candidate) {
  static const int cls[TMS_O5_COUNT] = {TMS_PHASE_NOT_REPRESENTED, TMS_PHASE_DEDICATED,     TMS_PHASE_DEDICATED,
                                        TMS_PHASE_SUPERPOSITION,   TMS_PHASE_SUPERPOSITION, TMS_PHASE_DEDICATED,
                                        TMS_PHASE_SUPERPOSITION,   TMS_PHASE_SUPERPOSITION, TMS_PHASE_DEDICATED,
                                        TMS_PHASE_SUPERPOSITION};
  return (candidate >= 0 && candidate < TMS_O5_COUNT) ? cls[candidate] : -1;
}

int tms_theory_o5_class(double r, double p) {
  double importance[3] = {1.0, 1.0, r};
  return tms_theory_class(3, importance, p);
}

/* Smallest loss over candidates of a class other than cls (INFINITY if none). */
static double best_other(const double *loss, const int *cls_of, int count, int cls) {
  double best = INFINITY;
  for (int k = 0; k < count; k++)
    if (cls_of[k] != cls && loss[k] < best) best = loss[k];
  return best;
}

int tms_theory_class_unique(int n, const double *importance, double p) {
  if (!(p > 0.0 && p <= 1.0) || (n != 2 && n != 3)) return -1;
  double loss[TMS_O5_COUNT];
  int cls_of[TMS_O5_COUNT], count;
  if (n == 2) {
    tms_theory_o4_losses(loss, importance[0], importance[1], p);
    cls_of[0] = TMS_PHASE_NOT_REPRESENTED;
    cls_of[1] = TMS_PHASE_DEDICATED;
    cls_of[2] = TMS_PHASE_SUPERPOSITION;
    count = TMS_O4_COUNT;
  } else {
    tms_theory_o5_losses(loss, importance, p);
    for (int k = 0; k < TMS_O5_COUNT; k++) cls_of[k] = tms_theory_o5_candidate_class(k);
    count = TMS_O5_COUNT;
  }
  int best = argmin(loss, count);
  double other = best_other(loss, cls_of, count, cls_of[best]);
  /* a tie up to rounding: the point lies on a boundary */
  if (other - loss[best] <= 1e-12 * fabs(loss[best])) return -1;
  return cls_of[best];
}

int tms_theory_class(int n, const double *importance, double p) {
  if (!(p > 0.0 && p <= 1.0)) return -1;
  if (n == 2) {
    double loss[TMS_O4_COUNT];
    tms_theory_o4_losses(loss, importance[0], importance[1], p);
    static const int cls[TMS_O4_COUNT] = {TMS_PHASE_NOT_REPRESENTED, TMS_PHASE_DEDICATED, TMS_PHASE_SUPERPOSITION};
    return cls[argmin(loss, TMS_O4_COUNT)];
  }
  if (n == 3) {
    double loss[TMS_O5_COUNT];
    tms_theory_o5_losses(loss, importance, p);
    return tms_theory_o5_candidate_class(argmin(loss, TMS_O5_COUNT));
  }
  return -1;
}
