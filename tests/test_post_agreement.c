/* test_post_agreement: the theory agreement of tms-post (O4 for n=2 m=1, O5 for n=3 m=2): W set to the optimum of
 * every cell gives agreement 1, overall, away from the boundaries, per size and for the lowest-loss seed; a
 * corrupted cell (every seed) and a cell whose majority only is corrupted give the fractions they must, also with
 * the theory computed on 3 threads. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "post/post_fixture.h"
#include "post/theory.h"

/* W of the O5 candidate with the given extra-feature class, n=3, m=2 (rows W_1, W_2, W_3). */
static void o5_weights(float *W, int cls) {
  static const float w[3][6] = {{1, 0, 0, 1, 0, 0},    /* W perp e3: extra not represented */
                                {1, 0, -1, 0, 0, 1},   /* W perp [1,1,0]: features 1,2 antipodal, extra dedicated */
                                {1, 0, 0, 1, 0, -1}};  /* W perp [0,1,1]: extra antipodal with feature 2 */
  memcpy(W, w[cls], sizeof w[cls]);
}

/* The agreement products pp of an n x m file whose cells hold the theory's classes want (36 cells), corrupted in
 * cell 0 (every seed) and cell 1 (its two worse seeds) if corrupt. */
static void check_agreement(const tms_post_products *pp, const int want[36], int n, int m, int corrupt) {
  const size_t NI = 6, ND = 6;
  int bad = 0, classes[3] = {0, 0, 0};
  for (size_t c = 0; c < NI * ND; c++) {
    bad += pp->theory_class[c] != want[c];
    if (want[c] >= 0) classes[want[c]]++;
  }
  CHECK(bad == 0, "n=%d: %d cells with a theory class other than tms_theory_class", n, bad);
  CHECK(classes[0] > 0 && classes[1] > 0 && classes[2] > 0, "n=%d grid covers all three classes (%d %d %d)", n,
        classes[0], classes[1], classes[2]);
  char what[96];
  snprintf(what, sizeof what, "n=%d agreement%s", n, corrupt ? " with one corrupted cell" : "");
  CHECK_CLOSE(what, pp->agreement, corrupt ? 1.0 - 2.0 / 36 : 1.0, 1e-12);
  CHECK(pp->agreement_cells == 36, "n=%d compared %zu cells, want 36", n, pp->agreement_cells);
  CHECK(pp->agreement_cells_away > 0 && pp->agreement_cells_away < 36, "n=%d: %zu cells away from the boundaries", n,
        pp->agreement_cells_away);
  /* the wrong cells away from the boundaries: both for the majority, cell 0 only for the lowest-loss seed */
  const double away0 = pp->away_from_boundary[0] == 1, away1 = pp->away_from_boundary[1] == 1;
  const double cells_away = (double)pp->agreement_cells_away;
  snprintf(what, sizeof what, "n=%d agreement away from boundaries%s", n, corrupt ? " (corrupted)" : "");
  CHECK_CLOSE(what, pp->agreement_away, corrupt ? 1.0 - (away0 + away1) / cells_away : 1.0, 1e-12);
  CHECK(away0 == 1, "n=%d: cell 0 (r=0.1, p=1) is away from the boundaries", n);
  /* per size: the one size of this file, majority and lowest-loss seed */
  CHECK(pp->sizes == 1 && pp->by_size[0].n == n && pp->by_size[0].m == m, "n=%d: one size entry (%d: n=%d m=%d)", n,
        pp->sizes, pp->by_size[0].n, pp->by_size[0].m);
  const tms_post_size_agreement *e = &pp->by_size[0];
  CHECK(e->cells[0] == 36 && e->cells[1] == 36 && e->cells_away[0] == pp->agreement_cells_away &&
            e->cells_away[1] == pp->agreement_cells_away,
        "n=%d per-size cells %zu %zu, away %zu %zu", n, e->cells[0], e->cells[1], e->cells_away[0], e->cells_away[1]);
  snprintf(what, sizeof what, "n=%d per size: majority, all cells%s", n, corrupt ? " (corrupted)" : "");
  CHECK_CLOSE(what, e->agreement[0], pp->agreement, 1e-12);
  snprintf(what, sizeof what, "n=%d per size: lowest-loss seed, all cells%s", n, corrupt ? " (corrupted)" : "");
  CHECK_CLOSE(what, e->agreement[1], corrupt ? 1.0 - 1.0 / 36 : 1.0, 1e-12);
  snprintf(what, sizeof what, "n=%d per size: lowest-loss seed, away%s", n, corrupt ? " (corrupted)" : "");
  CHECK_CLOSE(what, e->agreement_away[1], corrupt ? 1.0 - away0 / cells_away : 1.0, 1e-12);
  int best_ok = 1;
  for (size_t c = 0; c < NI * ND; c++) best_ok &= pp->best_class[c] == (corrupt && c == 0 ? (want[c] + 1) % 3 : want[c]);
  CHECK(best_ok, "n=%d: /phase/best_class is the lowest-loss seed's class in every cell", n);
}

static void agreement_case(int n, int m, int corrupt) {
  static fixture f;
  memset(&f, 0, sizeof f);
  const size_t NI = 6, ND = 6, R = 3;
  test_results *t = &f.t;
  t->rank = 3;
  t->dims[0] = NI;
  t->dims[1] = ND;
  t->dims[2] = R;
  t->names[0] = "last_importance";
  t->names[1] = "density";
  t->names[2] = "replicate";
  for (size_t i = 0; i < NI; i++) f.ax0[i] = pow(10.0, -1.0 + 2.0 * (double)i / (NI - 1) + 0.01);
  for (size_t j = 0; j < ND; j++) f.ax1[j] = pow(10.0, -2.0 * (double)j / (ND - 1));
  t->axis[0] = f.ax0;
  t->axis[1] = f.ax1;
  t->n_max = n;
  t->m_max = m;
  int want[36];
  for (size_t c = 0; c < NI * ND; c++) {
    double r = f.ax0[c / ND], p = f.ax1[c % ND];
    double imp[3] = {1, n == 3 ? 1 : r, r};
    want[c] = tms_theory_class(n, imp, p);
    int cls = want[c];
    for (size_t r2 = 0; r2 < R; r2++) {
      size_t q = c * R + r2;
      /* corrupted: cell 0 (r=0.1, p=1: deep inside 'not represented') in every seed; cell 1 in its two worse seeds
       * only, so its majority is wrong and its lowest-loss seed right */
      const int k = corrupt && (c == 0 || (c == 1 && r2 > 0)) ? (cls + 1) % 3 : cls;
      fixture_spec(&f.spec[q], n, m, r, p, 7 + q);
      f.status[q] = 1;
      f.loss[q] = 0.01 * (double)(r2 + 1);
      if (n == 2) set_w2(&f, q, k == 0 ? KIND_A : k == 1 ? KIND_B : KIND_C);
      else o5_weights(f.W + q * 6, k);
    }
  }
  t->spec = f.spec;
  t->status = f.status;
  t->loss = f.loss;
  t->W = f.W;
  t->b = f.b;
  const char *path = "post_agreement.h5";
  CHECK(test_write_results(path, t) == 0, "results file written");
  tms_post_options opt;
  tms_post_options_default(&opt);
  opt.no_vulnerability = 1;
  opt.threads = corrupt ? 3 : 1; /* the theory's cells and densities on threads must give the same classes */
  tms_post_results res;
  tms_post_products pp;
  tms_error err;
  tms_status st = run_post(&pp, &res, path, &opt, &err);
  CHECK(st == TMS_OK, "post n=%d m=%d: %s", n, m, err.msg);
  if (st != TMS_OK) return;
  CHECK(pp.theory_class != NULL, "n=%d m=%d: theory class computed", n, m);
  if (pp.theory_class) check_agreement(&pp, want, n, m, corrupt);
  tms_post_products_free(&pp);
  tms_post_results_free(&res);
}

static void test_agreement(void) {
  agreement_case(2, 1, 0);
  agreement_case(2, 1, 1);
  agreement_case(3, 2, 0);
  agreement_case(3, 2, 1);
}

int main(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  test_agreement();
  return tms_check_finish("post_agreement");
}
