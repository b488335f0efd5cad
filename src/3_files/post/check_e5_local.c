/* check_e5_local: the must-show item of E5's "local almost-orthogonal bases" (the paper's larger model with two
 * sets of correlated features; sweeps/e5_local_*.yaml: 2 sets of 10 + 20 independent features in m = 10).
 * Claim: within each correlated set G is close to the identity although the model as a whole is in superposition.
 * Measured per density on the lowest-loss seed (range over the seeds beside it):
 *  - superposition: features represented (||W_i|| > 0.5) / m;
 *  - every member of every set represented (G's diagonal ~ 1 inside the sets);
 *  - locality: mean |cos| over the pairs of represented members of one set, divided by the mean |cos| over the
 *    pairs of represented features of two different sets. A packing that ignores the sets gives ~1 (40 features in
 *    10 dims: any packing has mean |cos| ~ 0.25, the Welch bound on the largest is 0.28); orthogonal local bases
 *    give 0 (the sets' bases overlap each other instead).
 * Judged at densities <= 0.01 (sparse enough that all 40 features are represented): represented / m > 1, all set
 * members represented, locality ratio < 0.5. Denser levels are INFO: there the model drops the sets (a set is
 * active all at once, so a member cannot be read without its nine companions interfering). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "post/check_internal.h"

#define E5L_DENSITY_MAX 0.01

static int is_local(const tms_spec *s, const void *arg) {
  (void)arg;
  return s->variant == TMS_RELU_OUT && s->correlation == TMS_CORRELATED && s->correlated_sets >= 2 &&
         s->set_size >= 3 && s->n_hidden > 2;
}

static int represented(const tms_chk *k, size_t p, int i) { return tms_chk_norm(k, p, i) > TMS_POST_REPRESENTED_NORM; }

static double st_per_dim(const tms_chk *k, size_t p, const void *arg) {
  (void)arg;
  const tms_spec *s = &k->spec[p / k->res->replicates];
  int r = 0;
  for (int i = 0; i < s->n_features; i++) r += represented(k, p, i);
  return (double)r / s->n_hidden;
}

/* set members not represented (0: G's diagonal ~ 1 inside every set) */
static double st_missing(const tms_chk *k, size_t p, const void *arg) {
  (void)arg;
  const tms_spec *s = &k->spec[p / k->res->replicates];
  int r = 0;
  for (int i = 0; i < s->correlated_sets * s->set_size; i++) r += !represented(k, p, i);
  return r;
}

/* mean |cos| within the sets / mean |cos| across them (represented members only); NaN if either has no pair */
static double st_locality(const tms_chk *k, size_t p, const void *arg) {
  (void)arg;
  const tms_spec *s = &k->spec[p / k->res->replicates];
  const int n = s->correlated_sets * s->set_size;
  double in = 0, across = 0;
  long n_in = 0, n_across = 0;
  for (int i = 0; i < n; i++) {
    if (!represented(k, p, i)) continue;
    for (int j = i + 1; j < n; j++) {
      if (!represented(k, p, j)) continue;
      const double c = fabs(tms_chk_cos(k, p, i, j));
      if (i / s->set_size == j / s->set_size) in += c, n_in++;
      else across += c, n_across++;
    }
  }
  return n_in && n_across && across > 0 ? (in / (double)n_in) / (across / (double)n_across) : NAN;
}

static int above_1(double v) { return v > 1; }
static int is_zero(double v) { return v == 0; }
static int below_half(double v) { return v < 0.5; }

static void local_level(tms_chk *k, size_t c) {
  static const struct {
    tms_chk_stat stat;
    int (*ok)(double);
    const char *want, *what;
  } items[3] = {
      {st_per_dim, above_1, "> 1", "features represented per dimension (superposition)"},
      {st_missing, is_zero, "= 0", "set members not represented (||W_i|| <= 0.5)"},
      {st_locality, below_half, "< 0.5", "mean |cos| within a set / across the sets (local orthogonal bases)"},
  };
  const tms_spec *s = &k->spec[c];
  const int judged = s->density <= E5L_DENSITY_MAX;
  for (int q = 0; q < 3; q++) {
    char what[200];
    snprintf(what, sizeof what, "n=%d m=%d, %d sets of %d, density %.3g: %s", s->n_features, s->n_hidden,
             s->correlated_sets, s->set_size, s->density, items[q].what);
    if (judged) {
      tms_chk_item(k, c, items[q].stat, NULL, items[q].ok, items[q].want, what);
    } else {
      double best, lo, hi;
      const int done = tms_chk_seeds(k, c, items[q].stat, NULL, &best, &lo, &hi);
      tms_chk_add(k, TMS_CHECK_INFO, best, lo, hi, "", "%s (%d seeds; denser than %g)", what, done, E5L_DENSITY_MAX);
    }
  }
}

void tms_chk_e5_local(tms_chk *k) {
  size_t count;
  size_t *cells = tms_chk_cells(k, is_local, NULL, &count);
  for (size_t q = count; q-- > 0;) local_level(k, cells[q]);
  free(cells);
}
