/* post_theory: the theoretical phase diagrams, oracles O4 (n=2, m=1) and O5 (n=3, m=2) (analysis/SCIENCE.md).
 * Losses are sums over features of I_i E[(x_i - x'_i)^2] for x_i = 0 w.p. 1-p, U[0,1] w.p. p. O4 and O5's paper
 * candidates are closed forms (b = 0, unit norms for antipodal pairs, as in the paper); O5 adds, beyond the paper,
 * the pairs with optimal norm and bias and the triangle, computed numerically (theory_polytope.c).
 * Classes are those of the extra (last) feature: 0 not represented, 1 dedicated, 2 superposition.
 * Not here: a free optimisation of the loss; the classes are argmins over the listed candidates only.
 * Ties (exactly on a boundary) go to the candidate listed first, i.e. the less represented extra feature. */
#ifndef TMS_POST_THEORY_H
#define TMS_POST_THEORY_H
#include <stddef.h>

#include "core/status.h"

/* O4 candidates, importances (i0, i1), density p:
 * A W=[1,0] (extra not represented), B W=[0,1] (extra dedicated), C W=[1,-1] (antipodal). */
enum { TMS_O4_A = 0, TMS_O4_B = 1, TMS_O4_C = 2, TMS_O4_COUNT = 3 };
void tms_theory_o4_losses(double *loss /* (3) */, double i0, double i1, double p);
/* Class of the extra feature (tms_phase values) at importance ratio r = i1/i0 and density p. */
int tms_theory_o4_class(double r, double p);
/* Density below which the extra feature is in superposition: 4r/(2+5r) for r<1, 4/(5+2r) for r>1. */
double tms_theory_o4_boundary(double r);

/* O5 candidates, importances (i0, i1, i2) (the paper: 1, 1, r), W orthogonal to:
 * 0 e3 (extra not represented), 1 e1 (feature 1 dropped, extra dedicated), 2 e2 (feature 2 dropped, extra
 * dedicated), 3 [0,1,1] (extra antipodal with feature 2), 4 [1,0,1] (extra antipodal with feature 1),
 * 5 [1,1,0] (features 1, 2 antipodal, extra dedicated). With i0 = i1 these are O5's four candidates (1~2, 3~4).
 * Beyond the paper (numerical, theory_polytope.c): 6, 7, 8 = 3, 4, 5 with the pair's norm and bias optimal, and
 * 9 the triangle W orthogonal to [1,1,1] (all three features at 120 degrees; extra in superposition), norm and
 * bias optimal. */
enum { TMS_O5_COUNT = 10, TMS_O5_PAPER_COUNT = 6 };
/* Loss of one member of a symmetric k-polytope (k = 2, c = -1: antipodal pair; k = 3, c = -1/2: triangle) at
 * density p, minimised over its squared norm a and bias b (returned if not NULL); numerical, memoised. */
double tms_theory_member_loss(int k, double c, double p, double *a_opt, double *b_opt);
/* The same at a fixed squared norm a, minimised over b only. */
double tms_theory_member_loss_fixed_norm(int k, double c, double p, double a, double *b_opt);
void tms_theory_o5_losses(double *loss /* (6) */, const double *importance /* (3) */, double p);
int tms_theory_o5_candidate_class(int candidate);
int tms_theory_o5_class(double r, double p); /* importances (1, 1, r) */
/* General form used for results files: class of the last feature for n=2 (importance (2)) or n=3 ((3)). */
int tms_theory_class(int n, const double *importance /* (n) */, double p);
/* The same, but -1 where candidates of different classes tie (the point lies on a boundary, e.g. r = 1 exactly):
 * what the comparison with an empirical file uses, so no cell is judged against an arbitrary tie-break. */
int tms_theory_class_unique(int n, const double *importance /* (n) */, double p);

/* tms-post theory: the closed-form class on the grid (last_importance x density), importances (1, r) for n=2 and
 * (1, 1, r) for n=3, written as a tms-post/1 file with /phase/class and /axes. csv_dir may be NULL. */
tms_status tms_theory_write_file(const char *path, int n, int m, const double *importance /* (NI) */, size_t ni,
                                 const double *density /* (ND) */, size_t nd, int force, const char *csv_dir,
                                 tms_error *err);

#endif
