/* check_e7: the must-show items of E7, adversarial vulnerability against superposition (analysis/SCIENCE.md E7).
 * Two axes, because on the paper's one (sparsity) features per dimension 1/D* and the data move together:
 *  - sparsity: per model size (n, m), the vulnerability at the sparsest level / at the densest, with 1/D* at both
 *    ends. Judged (>= 3, the paper's "rises sharply") for the per-example worst direction at the size with the
 *    most features per hidden dimension n/m (the paper's uniform setup); other sizes, the whole-batch direction
 *    and the absolute budget (pp->attack_budget > 0) are INFO.
 *  - capacity (the confound broken): at one density and one n, m varied. The data, hence the relative budget
 *    0.1 E||x||, are the same for every m, so only the model changes: the per-example loss increase under the
 *    attack, L(x+d) - L(x) (= per_example x clean_loss), at the smallest m / at the largest, with their 1/D*,
 *    and whether it orders the m values as 1/D* does (the share of concordant pairs). Judged at the sparsest such
 *    density: ratio >= TMS_E7_CAPACITY_RISE and share >= TMS_E7_CONCORDANT; the relative vulnerability on this
 *    axis and the other densities are INFO.
 * Per cell the value is the lowest-loss seed's (check.c), the range over its seeds beside it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "post/check_internal.h"

#define TMS_E7_RISE 3.0
#define TMS_E7_CAPACITY_RISE 2.0
#define TMS_E7_CONCORDANT 0.8

enum { V_BATCH = 0, V_PER_EXAMPLE = 1, V_ABSOLUTE = 2, V_INCREASE = 3 };

typedef struct {
  int n, m;          /* 0 = any */
  double density;    /* NaN = any */
} e7_sel;

static int e7_pred(const tms_spec *s, const void *arg) {
  const e7_sel *a = arg;
  return s->variant == TMS_RELU_OUT && s->correlation == TMS_INDEPENDENT && (!a->n || s->n_features == a->n) &&
         (!a->m || s->n_hidden == a->m) && (isnan(a->density) || s->density == a->density) &&
         isnan(s->last_density);
}

static double st_vuln(const tms_chk *k, size_t p, const void *arg) {
  const int w = *(const int *)arg;
  const tms_post_products *pp = k->pp;
  return w == V_BATCH ? pp->vulnerability[p]
         : w == V_PER_EXAMPLE ? pp->vulnerability_per_example[p]
         : w == V_ABSOLUTE ? pp->vulnerability_absolute[p]
                           : pp->vulnerability_per_example[p] * pp->attack_clean_loss[p]; /* L(x + d) - L(x) */
}

static double st_fpd(const tms_chk *k, size_t p, const void *arg) {
  (void)arg;
  return k->pp->features_per_dim[p];
}

static double best_of(const tms_chk *k, size_t c, tms_chk_stat stat, const void *arg) {
  double best, lo, hi;
  tms_chk_seeds(k, c, stat, arg, &best, &lo, &hi);
  return best;
}

/* The vulnerability at the first cell / at the last, with its range over seeds (lo of one over hi of the other). */
static void ratio_line(tms_chk *k, size_t top, size_t bottom, int w, tms_check_verdict v, double want,
                       const char *what) {
  double tb, tl, th, bb, bl, bh;
  tms_chk_seeds(k, top, st_vuln, &w, &tb, &tl, &th);
  tms_chk_seeds(k, bottom, st_vuln, &w, &bb, &bl, &bh);
  const double ratio = tb / bb;
  if (v != TMS_CHECK_INFO) v = ratio >= want ? TMS_CHECK_PASS : TMS_CHECK_FAIL;
  char want_s[32] = "";
  if (v != TMS_CHECK_INFO) snprintf(want_s, sizeof want_s, ">= %g", want);
  tms_chk_add(k, v, ratio, tl / bh, th / bl, want_s, "%s", what);
}

static void sparsity_axis(tms_chk *k, int n, int m, int judged) {
  e7_sel sel = {n, m, NAN};
  size_t count;
  size_t *cells = tms_chk_cells(k, e7_pred, &sel, &count);
  if (cells && count >= 2) {
    const size_t sp = cells[0], de = cells[count - 1];
    static const char *name[3] = {"one direction for the whole batch", "per-example worst direction",
                                  "per-example, absolute budget"};
    for (int w = V_PER_EXAMPLE; w >= V_BATCH; w--) {
      for (int abs_budget = 0; abs_budget <= (w == V_PER_EXAMPLE && k->pp->attack_budget > 0); abs_budget++) {
        const int which = abs_budget ? V_ABSOLUTE : w;
        char what[240], budget[48];
        if (abs_budget) snprintf(budget, sizeof budget, "L2 norm %g", k->pp->attack_budget);
        else snprintf(budget, sizeof budget, "0.1 E||x||");
        snprintf(what, sizeof what,
                 "n=%d m=%d sparsity axis: vulnerability (%s, %s) at density %.3g / at %.3g; 1/D* %.3g vs %.3g", n,
                 m, name[which], budget, k->spec[sp].density, k->spec[de].density, best_of(k, sp, st_fpd, NULL),
                 best_of(k, de, st_fpd, NULL));
        ratio_line(k, sp, de, which, judged && which == V_PER_EXAMPLE ? TMS_CHECK_PASS : TMS_CHECK_INFO,
                   TMS_E7_RISE, what);
      }
    }
  }
  free(cells);
}

/* Share of the pairs of cells whose measure w is ordered as their 1/D* (ties in either count half). */
static double concordant_share(const tms_chk *k, const size_t *cells, size_t count, int w) {
  double agree = 0;
  size_t pairs = 0;
  for (size_t a = 0; a < count; a++)
    for (size_t b = a + 1; b < count; b++) {
      const double dv = best_of(k, cells[a], st_vuln, &w) - best_of(k, cells[b], st_vuln, &w);
      const double df = best_of(k, cells[a], st_fpd, NULL) - best_of(k, cells[b], st_fpd, NULL);
      agree += dv * df > 0 ? 1.0 : dv * df == 0 ? 0.5 : 0.0;
      pairs++;
    }
  return pairs ? agree / pairs : NAN;
}

static int by_m_spec_cmp(const tms_spec *spec, size_t a, size_t b) {
  return spec[a].n_hidden < spec[b].n_hidden ? -1 : spec[a].n_hidden > spec[b].n_hidden;
}

/* The capacity axis at one (n, density): cells sorted by m; the smallest m first. Judged (at the sparsest density)
 * on the loss increase L(x + d) - L(x): the relative vulnerability divides it by the clean loss, which falls by
 * more than an order of magnitude from the smallest to the largest m at one density, so across m the relative
 * measure mostly tracks how good the clean model is (reported, INFO). */
static void capacity_level(tms_chk *k, int n, double density, int judged) {
  e7_sel sel = {n, 0, density};
  size_t count;
  size_t *cells = tms_chk_cells(k, e7_pred, &sel, &count);
  if (cells && count >= 2) {
    for (size_t a = 1; a < count; a++) /* insertion sort by m (a handful of cells) */
      for (size_t b = a; b > 0 && by_m_spec_cmp(k->spec, cells[b], cells[b - 1]) < 0; b--) {
        const size_t t = cells[b];
        cells[b] = cells[b - 1], cells[b - 1] = t;
      }
    const size_t lo = cells[0], hi = cells[count - 1];
    static const char *name[2] = {"loss increase L(x+d) - L(x)", "relative vulnerability L(x+d)/L(x) - 1"};
    for (int q = 0; q < 2; q++) {
      const int w = q == 0 ? V_INCREASE : V_PER_EXAMPLE, judge = judged && q == 0;
      char what[240];
      snprintf(what, sizeof what,
               "n=%d density %.3g capacity axis (same data, budget 0.1 E||x||): %s, per example, at m=%d / at "
               "m=%d; 1/D* %.3g vs %.3g", n, density, name[q], k->spec[lo].n_hidden, k->spec[hi].n_hidden,
               best_of(k, lo, st_fpd, NULL), best_of(k, hi, st_fpd, NULL));
      ratio_line(k, lo, hi, w, judge ? TMS_CHECK_PASS : TMS_CHECK_INFO, TMS_E7_CAPACITY_RISE, what);
      if (count < 3) continue;
      const double share = concordant_share(k, cells, count, w);
      const tms_check_verdict v = !judge ? TMS_CHECK_INFO : share >= TMS_E7_CONCORDANT ? TMS_CHECK_PASS
                                                                                      : TMS_CHECK_FAIL;
      char want[32] = "";
      if (judge) snprintf(want, sizeof want, ">= %g", TMS_E7_CONCORDANT);
      tms_chk_add(k, v, share, NAN, NAN, want,
                  "n=%d density %.3g capacity axis: share of the %zu pairs of m values whose %s is ordered as their "
                  "1/D*", n, density, count * (count - 1) / 2, name[q]);
    }
  }
  free(cells);
}

void tms_chk_e7(tms_chk *k) {
  e7_sel any = {0, 0, NAN};
  size_t count;
  size_t *cells = tms_chk_cells(k, e7_pred, &any, &count);
  if (!cells) return;
  /* the sizes (the judged one: most features per hidden dimension) and, per n, the densities with >= 2 m */
  int best_n = 0, best_m = 0;
  for (size_t q = 0; q < count; q++) {
    const tms_spec *s = &k->spec[cells[q]];
    if (!best_n || (double)s->n_features / s->n_hidden > (double)best_n / best_m) best_n = s->n_features,
                                                                                     best_m = s->n_hidden;
  }
  for (size_t q = 0; q < count; q++) { /* each size once, at its first (sparsest) cell */
    const tms_spec *s = &k->spec[cells[q]];
    int seen = 0;
    for (size_t r = 0; r < q && !seen; r++)
      seen = k->spec[cells[r]].n_features == s->n_features && k->spec[cells[r]].n_hidden == s->n_hidden;
    if (!seen) sparsity_axis(k, s->n_features, s->n_hidden, s->n_features == best_n && s->n_hidden == best_m);
  }
  int judged_done = 0; /* cells are sorted sparsest first: the first capacity level met is the judged one */
  for (size_t q = 0; q < count; q++) {
    const tms_spec *s = &k->spec[cells[q]];
    int seen = 0, other_m = 0;
    for (size_t r = 0; r < count; r++) {
      const tms_spec *t = &k->spec[cells[r]];
      if (t->n_features != s->n_features || t->density != s->density) continue;
      if (r < q) seen = 1;
      other_m += t->n_hidden != s->n_hidden;
    }
    if (seen || !other_m) continue;
    capacity_level(k, s->n_features, s->density, !judged_done);
    judged_done = 1;
  }
  free(cells);
}
