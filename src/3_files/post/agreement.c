/* agreement: the closed-form class (post_theory.h, oracles O4/O5) on the cells of an empirical results file whose
 * model has one: relu_out with n=2, m=1 or n=3, m=2, independent features of one density, the classified feature
 * being the last; a cell exactly on a boundary (a tie, e.g. r = 1) gets -1 and is not compared. Importances come from the cell's params (I_i = decay^i, last_importance overriding the last), so
 * the usual axes (last_importance, density) and any others work.
 * Agreement = fraction of comparable cells (theory and empirical majority both defined) where they are equal;
 * "away from the boundary" keeps the cells whose theory class equals that of every neighbour in the cell grid
 * (all cells within one step along every dim: 8 in 2-D). Neighbours without a theory class, or of another model
 * shape (e.g. across a zip group n=2,m=1 | n=3,m=2), are ignored: the theory's boundaries are in (r, p). */
#include <math.h>
#include <stdlib.h>

#include "post/check_internal.h" /* declares tms_post_away_from_boundary, shared with the E2 check */
#include "post/post.h"
#include "post/theory.h"

static int cell_theory(const tms_post_results *res, size_t c, int feature, int *klass, tms_error *err) {
  size_t p = c * res->replicates;
  tms_variant v;
  int n, m;
  *klass = -1;
  tms_post_point_shape(res, p, &v, &n, &m);
  if (v != TMS_RELU_OUT || !((n == 2 && m == 1) || (n == 3 && m == 2))) return TMS_OK;
  if (feature >= 0 && feature != n - 1) return TMS_OK;
  tms_spec spec;
  tms_status st = tms_post_point_spec(&spec, res, p, "the theory comparison (O4/O5)", err);
  if (st != TMS_OK) return st;
  if (spec.correlation != TMS_INDEPENDENT && spec.correlated_sets > 0) return TMS_OK;
  if (!isnan(spec.last_density) && spec.last_density != spec.density) return TMS_OK;
  double importance[3];
  for (int i = 0; i < n; i++) importance[i] = pow(spec.importance_decay, (double)i);
  if (!isnan(spec.last_importance)) importance[n - 1] = spec.last_importance;
  *klass = tms_theory_class_unique(n, importance, spec.density);
  return TMS_OK;
}

/* n and m of a cell, as one key (neighbours of another shape are not compared). */
static long shape_key(const tms_post_results *res, size_t c) {
  tms_variant v;
  int n, m;
  tms_post_point_shape(res, c * res->replicates, &v, &n, &m);
  return ((long)v * 1000003L + n) * 1000003L + m;
}

/* 1 if every neighbour of cell c (within one step along each of the d cell dims) with a theory class and the same
 * model shape has c's theory class (also used by the E2 check). */
int tms_post_away_from_boundary(const tms_post_results *res, const int8_t *theory, size_t c) {
  int d = res->rank - 1;
  size_t coord[TMS_SCHEMA_MAX_RANK], rest = c;
  for (int k = d - 1; k >= 0; k--) {
    coord[k] = rest % res->dims[k];
    rest /= res->dims[k];
  }
  int offset[TMS_SCHEMA_MAX_RANK];
  for (int k = 0; k < d; k++) offset[k] = -1;
  for (;;) {
    int inside = 1, zero = 1;
    size_t idx = 0;
    for (int k = 0; k < d; k++) {
      long x = (long)coord[k] + offset[k];
      if (x < 0 || x >= (long)res->dims[k]) inside = 0;
      if (offset[k]) zero = 0;
      idx = idx * res->dims[k] + (size_t)(x < 0 ? 0 : x);
    }
    if (inside && !zero && theory[idx] >= 0 && theory[idx] != theory[c] && shape_key(res, idx) == shape_key(res, c))
      return 0;
    int k = d - 1; /* next offset vector in {-1,0,1}^d */
    while (k >= 0 && offset[k] == 1) offset[k--] = -1;
    if (k < 0) break;
    offset[k]++;
  }
  return 1;
}

tms_status tms_post_theory_agreement(tms_post_products *pp, const tms_post_results *res, tms_error *err) {
  int8_t *theory = malloc(res->cells ? res->cells : 1);
  if (!theory) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
  int any = 0;
  for (size_t c = 0; c < res->cells; c++) {
    int k;
    tms_status st = cell_theory(res, c, pp->feature, &k, err);
    if (st != TMS_OK) {
      free(theory);
      return st;
    }
    theory[c] = (int8_t)k;
    any |= k >= 0;
  }
  if (!any) {
    free(theory);
    return TMS_OK;
  }
  size_t cmp = 0, agree = 0, cmp_away = 0, agree_away = 0;
  for (size_t c = 0; c < res->cells; c++) {
    if (theory[c] < 0 || pp->cell_class[c] < 0) continue;
    int same = theory[c] == pp->cell_class[c];
    cmp++;
    agree += same;
    if (tms_post_away_from_boundary(res, theory, c)) {
      cmp_away++;
      agree_away += same;
    }
  }
  pp->theory_class = theory;
  pp->agreement_cells = cmp;
  pp->agreement_cells_away = cmp_away;
  pp->agreement = cmp ? (double)agree / cmp : NAN;
  pp->agreement_away = cmp_away ? (double)agree_away / cmp_away : NAN;
  return TMS_OK;
}
