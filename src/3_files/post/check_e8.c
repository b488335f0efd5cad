/* check_e8: the must-show items of E8, the ReLU hidden layer (M3, n=10 m=5, I = 0.75^i; analysis/SCIENCE.md E8).
 * Judged: dense -> no polysemantic neuron and 5 features represented; sparsest -> most (> 50%) active neurons
 * polysemantic (the paper's neuron stacks). Reported per density level (INFO), because the paper keeps the best of
 * 1,000 seeds and the quick sweep runs 128: the loss distribution over the seeds (median [min .. max] and the gap
 * median/min - 1) and whether the low-loss solutions share one configuration: the share of the seeds within 1% of
 * the best loss whose feature-to-neuron assignment equals the best seed's up to a permutation of the neurons (each
 * neuron read as the set of features whose |w| >= 0.1 max |w| of the neuron, SCIENCE.md 4.9; the sets compared as
 * sorted multisets), and the same share over all seeds. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "post/check_internal.h"

#define E8_N 10
#define E8_M 5

static int is_e8(const tms_spec *s, const void *arg) {
  (void)arg;
  return s->variant == TMS_RELU_HIDDEN && s->n_features == E8_N && s->n_hidden == E8_M &&
         (s->correlation == TMS_INDEPENDENT || s->correlated_sets == 0);
}

static double st_represented(const tms_chk *k, size_t p, const void *arg) {
  (void)arg;
  return k->pp->represented[p];
}

static int is_zero(double v) { return v == 0; }
static int above_half(double v) { return v > 0.5; }
static int is_m(double v) { return v == E8_M; }

static int by_u64(const void *a, const void *b) {
  const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}
static int by_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The neurons of point p as sorted feature sets (bit i = feature i counts; 0 = dead neuron). */
static void assignment(const tms_chk *k, size_t p, uint64_t *set /* (E8_M) */) {
  const size_t N = (size_t)k->res->n_max, M = (size_t)k->res->m_max;
  const float *W = k->res->W + p * N * M; /* row i = W_i: weights of feature i into the m neurons */
  for (int j = 0; j < E8_M; j++) {
    double top = 0;
    for (int i = 0; i < E8_N; i++) top = fmax(top, fabs((double)W[(size_t)i * M + (size_t)j]));
    set[j] = 0;
    for (int i = 0; top > 0 && i < E8_N; i++)
      if (fabs((double)W[(size_t)i * M + (size_t)j]) >= TMS_POST_NEURON_REL * top) set[j] |= (uint64_t)1 << i;
  }
  qsort(set, E8_M, sizeof *set, by_u64);
}

static void e8_level(tms_chk *k, size_t c) {
  const size_t R = k->res->replicates;
  const long b = tms_chk_best_point(k, c);
  double *loss = malloc((R + 1) * sizeof *loss);
  if (!loss || b < 0) {
    free(loss);
    return;
  }
  uint64_t best[E8_M], mine[E8_M];
  assignment(k, (size_t)b, best);
  size_t done = 0, near = 0, near_same = 0, same = 0;
  for (size_t r = 0; r < R; r++) {
    const size_t p = c * R + r;
    if (!tms_point_done(k->res->status[p]) || !isfinite(k->res->loss[p])) continue;
    loss[done++] = k->res->loss[p];
    assignment(k, p, mine);
    const int eq = memcmp(mine, best, sizeof best) == 0;
    same += eq;
    if (k->res->loss[p] <= 1.01 * k->res->loss[b]) near++, near_same += eq;
  }
  qsort(loss, done, sizeof *loss, by_double);
  const double med = done % 2 ? loss[done / 2] : 0.5 * (loss[done / 2 - 1] + loss[done / 2]);
  const double d = k->spec[c].density;
  tms_chk_add(k, TMS_CHECK_INFO, med, loss[0], loss[done - 1], "",
              "density %.3g: median final loss over %zu seeds [min .. max]; gap median/min - 1 = %.3g", d, done,
              med / loss[0] - 1);
  tms_chk_add(k, TMS_CHECK_INFO, near ? (double)near_same / (double)near : NAN, NAN, NAN, "",
              "density %.3g: share of the %zu seeds within 1%% of the best loss with the best's feature-to-neuron "
              "assignment up to neuron permutation (over all %zu seeds: %.3f)", d, near, done,
              (double)same / (double)done);
  free(loss);
}

void tms_chk_e8(tms_chk *k) {
  if (k->res->n_max > 64) return; /* feature sets as 64-bit masks; E8 has n = 10 */
  size_t count;
  size_t *cells = tms_chk_cells(k, is_e8, NULL, &count);
  if (!cells) return;
  char what[200];
  const size_t dense = cells[count - 1], sparse = cells[0];
  snprintf(what, sizeof what, "dense (density %.3g): share of active neurons polysemantic", k->spec[dense].density);
  tms_chk_item(k, dense, tms_chk_poly_share, NULL, is_zero, "= 0", what);
  snprintf(what, sizeof what, "dense (density %.3g): features with ||W_i|| > 0.5", k->spec[dense].density);
  tms_chk_item(k, dense, st_represented, NULL, is_m, "= 5", what);
  snprintf(what, sizeof what, "sparsest (density %.3g): share of active neurons polysemantic", k->spec[sparse].density);
  tms_chk_item(k, sparse, tms_chk_poly_share, NULL, above_half, "> 0.5", what);
  for (size_t q = count; q-- > 0;) e8_level(k, cells[q]);
  free(cells);
}
