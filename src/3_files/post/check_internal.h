/* check_internal: what the experiment checks share (private to src/3_files/post): the context, per-seed
 * statistics of a cell, choosing cells by their parameters, and adding a line. */
#ifndef TMS_POST_CHECK_INTERNAL_H
#define TMS_POST_CHECK_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include "post/check.h"

typedef struct {
  const tms_post_results *res;
  const tms_post_products *pp;
  tms_spec *spec; /* (C) the spec of each cell's first point (seed aside, the cell's parameters) */
  tms_check_report *rep;
} tms_chk;

/* A statistic of one done point. */
typedef double (*tms_chk_stat)(const tms_chk *k, size_t point, const void *arg);
/* A cell filter on its parameters. */
typedef int (*tms_chk_pred)(const tms_spec *s, const void *arg);

/* Over the done seeds of cell c: *best = stat of the lowest-loss seed, *lo, *hi = range. Returns the number of done
 * seeds (0: all outputs NaN). */
int tms_chk_seeds(const tms_chk *k, size_t c, tms_chk_stat stat, const void *arg, double *best, double *lo,
                  double *hi);
/* The lowest-loss done point of cell c, or -1. */
long tms_chk_best_point(const tms_chk *k, size_t c);
/* Cells passing pred (arg) with at least one done seed, sorted by density (then last_density) increasing; *count
 * gets their number; returns a malloc'ed array (NULL when none). */
size_t *tms_chk_cells(const tms_chk *k, tms_chk_pred pred, const void *arg, size_t *count);
/* Appends a line (silently dropped beyond TMS_CHECK_MAX_LINES; the last line then says so). */
void tms_chk_add(tms_chk *k, tms_check_verdict v, double value, double lo, double hi, const char *want,
                 const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Adds the line of a per-cell item: the stat over the seeds of cell c, judged by ok(best). */
void tms_chk_item(tms_chk *k, size_t c, tms_chk_stat stat, const void *arg, int (*ok)(double), const char *want,
                  const char *what);

/* Per-feature values of a done point (its own n). */
double tms_chk_norm(const tms_chk *k, size_t p, int i);
double tms_chk_dim(const tms_chk *k, size_t p, int i);
/* cos of the angle between columns i and j of W (0 if either is 0). */
double tms_chk_cos(const tms_chk *k, size_t p, int i, int j);

/* Share of a done point's active neurons (features_per_neuron >= 1) that are polysemantic; NaN if none active. */
double tms_chk_poly_share(const tms_chk *k, size_t p, const void *arg);

/* Defined in agreement.c: 1 if every neighbour of cell c (one step along each cell dim; 8 in 2-D) that has a
 * theory class and the same model shape has c's theory class (theory: (cells), -1 none). */
int tms_post_away_from_boundary(const tms_post_results *res, const int8_t *theory, size_t c);

/* Experiments (check_e0_e4.c, check_e5_e9.c). */
void tms_chk_e0(tms_chk *k);
void tms_chk_e1(tms_chk *k);
void tms_chk_e2(tms_chk *k);
void tms_chk_e3(tms_chk *k);
void tms_chk_e4(tms_chk *k);
void tms_chk_e5(tms_chk *k);
void tms_chk_e5_local(tms_chk *k); /* check_e5_local.c, called by tms_chk_e5 */
void tms_chk_e6(tms_chk *k);
void tms_chk_e7(tms_chk *k);
void tms_chk_e8(tms_chk *k);
void tms_chk_e9(tms_chk *k);

#endif
