/* check_e0_e4: the must-show items of E0-E4 (analysis/SCIENCE.md has the setups; thresholds are explained here).
 * E0 5 features in 2 dims: dense -> exactly the 2 most important, orthogonal; sparsest -> a pentagon (every D_i
 *    within 0.03 of 2/5, all 5 represented, all biases negative).
 * E1 basic results: linear = exactly m features at every density; ReLU dense = m, sparsest > m.
 * E2 phase diagrams: agreement with the closed form, per model size (tms_chk_e2 in check_e5_e9.c).
 * E3 uniform superposition: D* ~ 1 dense, >= 3 levels within 0.03 of 1/2, [VER]'s line test, per-level share of D_i
 *    on a named fraction.
 * E4 perturbing one feature: the pentagon and two-digon loss branches cross exactly once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "post/check_internal.h"

static double st_represented(const tms_chk *k, size_t p, const void *arg) {
  (void)arg;
  return k->pp->represented[p];
}

static int n_features_of(const tms_chk *k, size_t p) { return k->spec[p / k->res->replicates].n_features; }

/* |cos| of features 0 and 1, or 1 when either is not represented (so "< 0.1" means: both there, orthogonal). */
static double st_top2_cos(const tms_chk *k, size_t p, const void *arg) {
  (void)arg;
  if (!(tms_chk_norm(k, p, 0) > TMS_POST_REPRESENTED_NORM && tms_chk_norm(k, p, 1) > TMS_POST_REPRESENTED_NORM))
    return 1.0;
  return fabs(tms_chk_cos(k, p, 0, 1));
}

static double st_dev(const tms_chk *k, size_t p, const void *arg) { /* max_i |D_i - f| */
  const double f = *(const double *)arg;
  double worst = 0;
  for (int i = 0; i < n_features_of(k, p); i++) worst = fmax(worst, fabs(tms_chk_dim(k, p, i) - f));
  return worst;
}

static double st_max_bias(const tms_chk *k, size_t p, const void *arg) {
  (void)arg;
  double worst = -INFINITY;
  for (int i = 0; i < n_features_of(k, p); i++) worst = fmax(worst, k->res->b[p * (size_t)k->res->n_max + i]);
  return worst;
}

static double st_dstar(const tms_chk *k, size_t p, const void *arg) {
  (void)arg;
  return k->pp->dstar[p];
}

static int is_2(double v) { return v == 2; }
static int is_5(double v) { return v == 5; }
static int below_01(double v) { return v < 0.1; }
static int within_003(double v) { return v <= 0.03; }
static int negative(double v) { return v < 0; }
static int near_one(double v) { return fabs(v - 1.0) <= 0.05; }

typedef struct {
  tms_variant variant;
  int n, m; /* 0: any */
  int perturbed; /* 1: last_density differs from density; 0: it does not; -1: any */
} shape_arg;

static int pred_shape(const tms_spec *s, const void *arg) {
  const shape_arg *a = arg;
  const int pert = !isnan(s->last_density) && s->last_density != s->density;
  return s->variant == a->variant && (!a->n || s->n_features == a->n) && (!a->m || s->n_hidden == a->m) &&
         (a->perturbed < 0 || pert == a->perturbed) &&
         (s->correlation == TMS_INDEPENDENT || s->correlated_sets == 0);
}

void tms_chk_e0(tms_chk *k) {
  shape_arg a = {TMS_RELU_OUT, 5, 2, 0};
  size_t count;
  size_t *cells = tms_chk_cells(k, pred_shape, &a, &count);
  if (!cells) return;
  const size_t dense = cells[count - 1], sparse = cells[0];
  char what[200];
  const double pd = k->spec[dense].density, ps = k->spec[sparse].density, two_fifths = 0.4;
  snprintf(what, sizeof what, "dense (density %.3g): features with ||W_i|| > 0.5", pd);
  tms_chk_item(k, dense, st_represented, NULL, is_2, "= 2", what);
  snprintf(what, sizeof what, "dense (density %.3g): |cos(W_0, W_1)| of the 2 most important (1 if not both)", pd);
  tms_chk_item(k, dense, st_top2_cos, NULL, below_01, "< 0.1", what);
  snprintf(what, sizeof what, "sparsest (density %.3g): features with ||W_i|| > 0.5", ps);
  tms_chk_item(k, sparse, st_represented, NULL, is_5, "= 5", what);
  snprintf(what, sizeof what, "sparsest (density %.3g): max_i |D_i - 2/5| (pentagon)", ps);
  tms_chk_item(k, sparse, st_dev, &two_fifths, within_003, "<= 0.03", what);
  snprintf(what, sizeof what, "sparsest (density %.3g): max_i b_i", ps);
  tms_chk_item(k, sparse, st_max_bias, NULL, negative, "< 0", what);
  for (size_t q = count; q-- > 0;) { /* densest level where the best seed holds more than 2 features */
    const long b = tms_chk_best_point(k, cells[q]);
    if (k->pp->represented[b] > 2) {
      tms_chk_add(k, TMS_CHECK_INFO, k->spec[cells[q]].density, NAN, NAN, "",
                  "densest level where the best seed represents more than 2 features (density)");
      break;
    }
  }
  free(cells);
}

void tms_chk_e1(tms_chk *k) {
  static const int sizes[][2] = {{20, 5}, {80, 20}};
  for (int z = 0; z < 2; z++) {
    const int n = sizes[z][0], m = sizes[z][1];
    shape_arg lin = {TMS_LINEAR, n, m, 0}, relu = {TMS_RELU_OUT, n, m, 0};
    size_t nl, nr;
    size_t *cl = tms_chk_cells(k, pred_shape, &lin, &nl), *cr = tms_chk_cells(k, pred_shape, &relu, &nr);
    if (cl) {
      size_t exact = 0;
      for (size_t q = 0; q < nl; q++) exact += k->pp->represented[tms_chk_best_point(k, cl[q])] == m;
      char want[32];
      snprintf(want, sizeof want, "= %zu", nl);
      tms_chk_add(k, exact == nl ? TMS_CHECK_PASS : TMS_CHECK_FAIL, (double)exact, NAN, NAN, want,
                  "n=%d m=%d linear: densities whose best seed represents exactly m = %d features", n, m, m);
    }
    if (cr) {
      double best, lo, hi;
      int done = tms_chk_seeds(k, cr[nr - 1], st_represented, NULL, &best, &lo, &hi);
      char want[32];
      snprintf(want, sizeof want, "= %d", m);
      tms_chk_add(k, done && best == m ? TMS_CHECK_PASS : TMS_CHECK_FAIL, best, lo, hi, want,
                  "n=%d m=%d relu_out dense (density %.3g): represented features (%d seeds)", n, m,
                  k->spec[cr[nr - 1]].density, done);
      done = tms_chk_seeds(k, cr[0], st_represented, NULL, &best, &lo, &hi);
      snprintf(want, sizeof want, "> %d", m);
      tms_chk_add(k, done && best > m ? TMS_CHECK_PASS : TMS_CHECK_FAIL, best, lo, hi, want,
                  "n=%d m=%d relu_out sparsest (density %.3g): represented features (%d seeds)", n, m,
                  k->spec[cr[0]].density, done);
    }
    free(cl);
    free(cr);
  }
}

/* [VER]'s line test at fraction f over the pooled D_i: >= 10 within +-0.005 and >= 2x each window 0.0125 away. */
static int line_at(const double *d, size_t count, double f, size_t *on) {
  size_t c0 = 0, cl = 0, ch = 0;
  for (size_t i = 0; i < count; i++) {
    c0 += fabs(d[i] - f) <= 0.005;
    cl += fabs(d[i] - (f - 0.0125)) <= 0.005;
    ch += fabs(d[i] - (f + 0.0125)) <= 0.005;
  }
  *on = c0;
  return c0 >= 10 && c0 >= 2 * cl && c0 >= 2 * ch;
}

/* Share of a point's represented features whose D_i lies within 0.02 of a named fraction (SCIENCE.md 4.6). */
static double st_named_share(const tms_chk *k, size_t p, const void *arg) {
  (void)arg;
  static const double named[] = {1.0, 3.0 / 4, 2.0 / 3, 1.0 / 2, 2.0 / 5, 3.0 / 8, 1.0 / 3, 2.0 / 7, 1.0 / 4};
  int on = 0, rep = 0;
  for (int i = 0; i < n_features_of(k, p); i++) {
    if (!(tms_chk_norm(k, p, i) > TMS_POST_REPRESENTED_NORM)) continue;
    rep++;
    for (size_t j = 0; j < sizeof named / sizeof *named; j++)
      if (fabs(tms_chk_dim(k, p, i) - named[j]) <= 0.02) {
        on++;
        break;
      }
  }
  return rep ? (double)on / rep : NAN;
}

static void e3_lines(tms_chk *k, const size_t *cells, size_t count) {
  size_t cap = 0, used = 0;
  for (size_t q = 0; q < count; q++) cap += k->res->replicates * (size_t)k->spec[cells[q]].n_features;
  double *pool = malloc((cap ? cap : 1) * sizeof *pool);
  if (!pool) return;
  for (size_t q = 0; q < count; q++)
    for (size_t r = 0; r < k->res->replicates; r++) {
      const size_t p = cells[q] * k->res->replicates + r;
      if (!tms_point_done(k->res->status[p]) || !(k->pp->dstar[p] < 0.95)) continue;
      for (int i = 0; i < n_features_of(k, p); i++) pool[used++] = tms_chk_dim(k, p, i);
    }
  static const double other[] = {3.0 / 4, 2.0 / 3, 2.0 / 5, 3.0 / 8};
  static const char *other_name[] = {"3/4", "2/3", "2/5", "3/8"};
  size_t on;
  const int half = line_at(pool, used, 0.5, &on);
  tms_chk_add(k, half ? TMS_CHECK_PASS : TMS_CHECK_FAIL, (double)on, NAN, NAN, ">= 10, >= 2x neighbours",
              "line test at 1/2: D_i within 0.005 of 1/2, pooled over seeds of levels with D* < 0.95 (%zu D_i)", used);
  int any = 0;
  char found[64] = "";
  for (int j = 0; j < 4; j++)
    if (line_at(pool, used, other[j], &on)) {
      any++;
      snprintf(found + strlen(found), sizeof found - strlen(found), "%s%s", any > 1 ? " " : "", other_name[j]);
    }
  tms_chk_add(k, any ? TMS_CHECK_PASS : TMS_CHECK_FAIL, (double)any, NAN, NAN, ">= 1",
              "line test: lines among 3/4, 2/3, 2/5, 3/8 (found: %s)", any ? found : "none");
  free(pool);
}

void tms_chk_e3(tms_chk *k) {
  shape_arg a = {TMS_RELU_OUT, 0, 0, 0};
  size_t count;
  size_t *cells = tms_chk_cells(k, pred_shape, &a, &count);
  if (!cells) return;
  char what[200];
  snprintf(what, sizeof what, "n=%d m=%d dense (density %.3g): D*", k->spec[cells[0]].n_features,
           k->spec[cells[0]].n_hidden, k->spec[cells[count - 1]].density);
  tms_chk_item(k, cells[count - 1], st_dstar, NULL, near_one, "within 0.05 of 1", what);
  size_t plateau = 0;
  for (size_t q = 0; q < count; q++) plateau += fabs(k->pp->dstar[tms_chk_best_point(k, cells[q])] - 0.5) <= 0.03;
  tms_chk_add(k, plateau >= 3 ? TMS_CHECK_PASS : TMS_CHECK_FAIL, (double)plateau, NAN, NAN, ">= 3",
              "levels whose best seed has |D* - 1/2| <= 0.03 (of %zu levels)", count);
  e3_lines(k, cells, count);
  for (size_t q = 0; q < count; q++) {
    const long b = tms_chk_best_point(k, cells[q]);
    if (!(k->pp->dstar[b] < 0.95)) continue;
    double best, lo, hi;
    const int done = tms_chk_seeds(k, cells[q], st_named_share, NULL, &best, &lo, &hi);
    tms_chk_add(k, TMS_CHECK_INFO, best, lo, hi, "",
                "density %.3g (D* %.3f): share of represented D_i within 0.02 of a named fraction (%d seeds)",
                k->spec[cells[q]].density, k->pp->dstar[b], done);
  }
  free(cells);
}

/* E4 branch of a point: 1 pentagon (all 5 represented), 0 two digons (the perturbed last feature dropped, the
 * other 4 represented), -1 other. */
static int e4_branch(const tms_chk *k, size_t p) {
  const int n = n_features_of(k, p);
  int others = 0;
  for (int i = 0; i < n - 1; i++) others += tms_chk_norm(k, p, i) > TMS_POST_REPRESENTED_NORM;
  if (others != n - 1) return -1;
  return tms_chk_norm(k, p, n - 1) > TMS_POST_REPRESENTED_NORM ? 1 : 0;
}

void tms_chk_e4(tms_chk *k) {
  shape_arg a = {TMS_RELU_OUT, 5, 2, 1};
  size_t count;
  size_t *cells = tms_chk_cells(k, pred_shape, &a, &count);
  if (!cells) return;
  int prev = 0, changes = 0, first = 0, last = 0, both = 0;
  double at = NAN, prev_x = NAN;
  for (size_t q = 0; q < count; q++) {
    double best[2] = {INFINITY, INFINITY};
    for (size_t r = 0; r < k->res->replicates; r++) {
      const size_t p = cells[q] * k->res->replicates + r;
      if (!tms_point_done(k->res->status[p])) continue;
      const int br = e4_branch(k, p);
      if (br >= 0 && k->res->loss[p] < best[br]) best[br] = k->res->loss[p];
    }
    if (!isfinite(best[0]) || !isfinite(best[1]) || best[0] == best[1]) continue;
    const int sign = best[1] < best[0] ? 1 : -1; /* +1: pentagon lower */
    const double x = k->spec[cells[q]].last_density;
    both++;
    if (!first) first = sign;
    if (prev && sign != prev) changes++, at = sqrt(x * prev_x);
    prev = sign, last = sign, prev_x = x;
  }
  tms_chk_add(k, changes == 1 ? TMS_CHECK_PASS : TMS_CHECK_FAIL, (double)changes, NAN, NAN, "= 1",
              "crossings of the lowest pentagon and lowest two-digon loss along the perturbed density "
              "(%d of %zu levels have both branches)", both, count);
  tms_chk_add(k, first == -1 && last == 1 ? TMS_CHECK_PASS : TMS_CHECK_FAIL, (double)(first == -1 && last == 1),
              NAN, NAN, "= 1", "order: two digons lower at the sparsest such level, pentagon at the densest");
  if (changes == 1) tms_chk_add(k, TMS_CHECK_INFO, at, NAN, NAN, "", "crossing at perturbed density ~");
  free(cells);
}
