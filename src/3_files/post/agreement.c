/* agreement: the closed-form class (post_theory.h, oracles O4/O5) on the cells of an empirical results file whose
 * model has one: relu_out with n=2, m=1 or n=3, m=2, independent features of one density, the classified feature
 * being the last; a cell exactly on a boundary (a tie, e.g. r = 1) gets -1 and is not compared. Importances come from the cell's params (I_i = decay^i, last_importance overriding the last), so
 * the usual axes (last_importance, density) and any others work.
 * Agreement = fraction of comparable cells (theory and the empirical class both defined) where they are equal,
 * per model size (n, m) for the majority of seeds and for the lowest-loss seed's class (/phase/best_class), and
 * pooled over sizes for the majority (the file's scalar attributes, kept for older readers);
 * "away from the boundary" keeps the cells whose theory class equals that of every neighbour in the cell grid
 * (all cells within one step along every dim: 8 in 2-D). Neighbours without a theory class, or of another model
 * shape (e.g. across a zip group n=2,m=1 | n=3,m=2), are ignored: the theory's boundaries are in (r, p).
 * Cells run on opt->threads threads (post_parallel.h); the numerical O5 candidates are computed once per density
 * first, in parallel over the densities, so the cells that share one do not compute it again on each thread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "post/check_internal.h" /* declares tms_post_away_from_boundary, shared with the E2 check */
#include "post/post.h"
#include "post/theory.h"
#include "post_parallel.h"

/* What the closed form of a cell needs: n (0: the cell has none), importances and density. */
typedef struct {
  int n;
  double importance[3], density;
} cell_input;

static tms_status cell_input_of(const tms_post_results *res, size_t c, int feature, cell_input *in, tms_error *err) {
  size_t p = c * res->replicates;
  tms_variant v;
  int n, m;
  in->n = 0;
  tms_post_point_shape(res, p, &v, &n, &m);
  if (v != TMS_RELU_OUT || !((n == 2 && m == 1) || (n == 3 && m == 2))) return TMS_OK;
  if (feature >= 0 && feature != n - 1) return TMS_OK;
  tms_spec spec;
  tms_status st = tms_post_point_spec(&spec, res, p, "the theory comparison (O4/O5)", err);
  if (st != TMS_OK) return st;
  if (spec.correlation != TMS_INDEPENDENT && spec.correlated_sets > 0) return TMS_OK;
  if (!isnan(spec.last_density) && spec.last_density != spec.density) return TMS_OK;
  for (int i = 0; i < n; i++) in->importance[i] = pow(spec.importance_decay, (double)i);
  if (!isnan(spec.last_importance)) in->importance[n - 1] = spec.last_importance;
  in->density = spec.density;
  in->n = n;
  return TMS_OK;
}

typedef struct {
  tms_post_products *pp;
  const tms_post_results *res;
  cell_input *in;  /* (C) */
  int8_t *theory;  /* (C) */
  int8_t *away;    /* (C) */
  double *density; /* (distinct densities of n = 3 cells) */
} agree_job;

static tms_status inputs_range(void *ctx, void *local, size_t from, size_t to, size_t *bad, tms_error *err) {
  (void)local;
  agree_job *j = ctx;
  for (size_t c = from; c < to; c++) {
    tms_status st = cell_input_of(j->res, c, j->pp->feature, &j->in[c], err);
    if (st != TMS_OK) {
      *bad = c;
      return st;
    }
  }
  return TMS_OK;
}

/* The numerical O5 candidates of one density (memoised by theory_polytope.c for the cells). */
static tms_status density_range(void *ctx, void *local, size_t from, size_t to, size_t *bad, tms_error *err) {
  (void)local, (void)bad, (void)err;
  const agree_job *j = ctx;
  for (size_t k = from; k < to; k++) {
    tms_theory_member_loss(2, -1.0, j->density[k], NULL, NULL);
    tms_theory_member_loss(3, -0.5, j->density[k], NULL, NULL);
  }
  return TMS_OK;
}

static tms_status class_range(void *ctx, void *local, size_t from, size_t to, size_t *bad, tms_error *err) {
  (void)local, (void)bad, (void)err;
  agree_job *j = ctx;
  for (size_t c = from; c < to; c++)
    j->theory[c] = (int8_t)(j->in[c].n ? tms_theory_class_unique(j->in[c].n, j->in[c].importance, j->in[c].density)
                                       : -1);
  return TMS_OK;
}

static tms_status away_range(void *ctx, void *local, size_t from, size_t to, size_t *bad, tms_error *err) {
  (void)local, (void)bad, (void)err;
  agree_job *j = ctx;
  for (size_t c = from; c < to; c++)
    j->away[c] = (int8_t)(j->theory[c] >= 0 && j->pp->cell_class[c] >= 0 &&
                          tms_post_away_from_boundary(j->res, j->theory, c));
  return TMS_OK;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The distinct densities of the n = 3 cells (those with numerical candidates) into j->density; their count. */
static size_t distinct_densities(agree_job *j, size_t cells) {
  size_t count = 0;
  for (size_t c = 0; c < cells; c++)
    if (j->in[c].n == 3 && j->in[c].density > 0.0 && j->in[c].density <= 1.0) j->density[count++] = j->in[c].density;
  qsort(j->density, count, sizeof *j->density, cmp_double);
  size_t u = 0;
  for (size_t k = 0; k < count; k++)
    if (u == 0 || j->density[k] != j->density[u - 1]) j->density[u++] = j->density[k];
  return u;
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

enum { AGREE_CHUNK = 256 };

/* inputs per cell, the numerical candidates per density, the class per cell, "away from a boundary" per cell */
static tms_status theory_classes(agree_job *j, const tms_post_options *opt, tms_error *err) {
  const size_t C = j->res->cells;
  const post_loop inputs = {j, NULL, NULL, inputs_range};
  tms_status st = post_parallel_for(&inputs, C, AGREE_CHUNK, opt->threads, opt->timing, err);
  if (st != TMS_OK) return st;
  const post_loop densities = {j, NULL, NULL, density_range};
  st = post_parallel_for(&densities, distinct_densities(j, C), 1, opt->threads, opt->timing, err);
  const post_loop classes = {j, NULL, NULL, class_range};
  if (st == TMS_OK) st = post_parallel_for(&classes, C, AGREE_CHUNK, opt->threads, opt->timing, err);
  const post_loop away = {j, NULL, NULL, away_range};
  if (st == TMS_OK) st = post_parallel_for(&away, C, AGREE_CHUNK, opt->threads, opt->timing, err);
  return st;
}

/* The size entry of (n, m), added if new; NULL beyond TMS_POST_MAX_SIZES (that size is then not reported). */
static tms_post_size_agreement *size_entry(tms_post_products *pp, int n, int m) {
  for (int k = 0; k < pp->sizes; k++)
    if (pp->by_size[k].n == n && pp->by_size[k].m == m) return &pp->by_size[k];
  if (pp->sizes >= TMS_POST_MAX_SIZES) return NULL;
  tms_post_size_agreement *e = &pp->by_size[pp->sizes++];
  *e = (tms_post_size_agreement){.n = n, .m = m};
  return e;
}

/* Per size and pooled: the majority class (pooled: the paper's) and the lowest-loss seed's class against theory. */
static void agreement_counts(tms_post_products *pp, const tms_post_results *res, const int8_t *theory) {
  size_t cmp = 0, agree = 0, cmp_away = 0, agree_away = 0;
  size_t a[TMS_POST_MAX_SIZES][2] = {{0}}, a_away[TMS_POST_MAX_SIZES][2] = {{0}};
  for (size_t c = 0; c < res->cells; c++) {
    if (theory[c] < 0) continue;
    tms_variant v;
    int n, m;
    tms_post_point_shape(res, c * res->replicates, &v, &n, &m);
    tms_post_size_agreement *e = size_entry(pp, n, m);
    const int away = pp->away_from_boundary[c] == 1;
    const int cls[2] = {pp->cell_class[c], pp->best_class[c]};
    for (int w = 0; w < 2 && e; w++) {
      if (cls[w] < 0) continue;
      const size_t k = (size_t)(e - pp->by_size), same = cls[w] == theory[c];
      e->cells[w]++, a[k][w] += same;
      e->cells_away[w] += (size_t)away, a_away[k][w] += away && same;
    }
    if (cls[0] < 0) continue;
    cmp++, agree += cls[0] == theory[c];
    cmp_away += (size_t)away, agree_away += away && cls[0] == theory[c];
  }
  for (int k = 0; k < pp->sizes; k++)
    for (int w = 0; w < 2; w++) {
      tms_post_size_agreement *e = &pp->by_size[k];
      e->agreement[w] = e->cells[w] ? (double)a[k][w] / e->cells[w] : NAN;
      e->agreement_away[w] = e->cells_away[w] ? (double)a_away[k][w] / e->cells_away[w] : NAN;
    }
  pp->agreement_cells = cmp;
  pp->agreement_cells_away = cmp_away;
  pp->agreement = cmp ? (double)agree / cmp : NAN;
  pp->agreement_away = cmp_away ? (double)agree_away / cmp_away : NAN;
}

tms_status tms_post_theory_agreement(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                                     tms_error *err) {
  const size_t C = res->cells;
  for (size_t c = 0; c < C; c++) /* the lowest-loss seed's class, for every cell (summary.c's best) */
    pp->best_class[c] = pp->best_replicate[c] < 0 ? -1 : pp->class_per_seed[c * res->replicates +
                                                                             (size_t)pp->best_replicate[c]];
  agree_job j = {pp, res, malloc((C ? C : 1) * sizeof *j.in), malloc(C ? C : 1), malloc(C ? C : 1),
                 malloc((C ? C : 1) * sizeof *j.density)};
  tms_status st = j.in && j.theory && j.away && j.density
                      ? theory_classes(&j, opt, err)
                      : tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
  int any = 0;
  for (size_t c = 0; st == TMS_OK && c < C; c++) {
    any |= j.theory[c] >= 0;
    if (j.theory[c] < 0) j.away[c] = -1; /* /phase/away_from_boundary: -1 without a theory class */
  }
  free(j.in);
  free(j.density);
  if (st != TMS_OK || !any) {
    free(j.theory);
    free(j.away);
    return st;
  }
  pp->theory_class = j.theory;
  pp->away_from_boundary = j.away;
  agreement_counts(pp, res, j.theory);
  return TMS_OK;
}
