/* post_dynamics: E6's jump/drop alignment (src/3_files/post/dynamics.c, check_dynamics.c) on hand-made W histories
 * and evaluation curves whose jump and drop steps are known by construction.
 * n=4 m=2, 2,000 steps, W and the evaluation loss every 50 steps. W history: snapshots k < 10 two dedicated
 * features (D = 1, 1, 0, 0); 10 <= k < 30 a square (every D = 1/2); k >= 30 one antipodal pair plus a dedicated
 * feature (D = 1/2, 1, 1/2, 0). The last large jump is at snapshot 30, placed at the midpoint of its steepest
 * interval: step (29*50 + 30*50)/2 = 1475. Evaluation curve: 1, 0.1, then 0.01 (1 + 0.005) falling to
 * 0.01 (1 + 0.004) at entry 5 (a small drop) and to 0.01 at entry J (the largest late drop, ln 1.004), so every
 * interval from entry 3 on is "late" (within 1% of the final loss).
 * Cell 0: seed 0 drops at J = 30 (aligned, gap 0), seed 1 at J = 12 (not aligned), seed 2 has a constant square W
 * (no jump), seed 3 is not done. Cell 1: seeds 0-2 all aligned, seed 3 not done.
 * Checked: jump, drop step, drop size and chance of every point against these values (chance counted here from
 * the step rule); D_i history in the products and in the written post file; the schema accepts that file; and
 * `tms-post check` for e6 fails cell 0 (share 1/3 < 0.5) and passes cell 1 (3/3). */
#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "post/check.h"
#include "post/post.h"
#include "post/results_file.h"
#include "schema/schema.h"

enum { N = 4, M = 2, STEPS = 2000, EVERY = 50, CELLS = 2, R = 4, P = CELLS * R, MAXS = 64 };

static const float square[N][M] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
static const float dedicated[N][M] = {{1, 0}, {0, 1}, {0, 0}, {0, 0}};
static const float pair_plus_one[N][M] = {{1, 0}, {0, 1}, {-1, 0}, {0, 0}};
static const double D_of[3][N] = {{1, 1, 0, 0}, {0.5, 0.5, 0.5, 0.5}, {0.5, 1, 0.5, 0}};

/* Which configuration snapshot k of point p holds (0 dedicated, 1 square, 2 pair plus one). */
static int config_at(size_t p, size_t k) {
  if (p == 2) return 1; /* cell 0, seed 2: no jump */
  return k < 10 ? 0 : k < 30 ? 1 : 2;
}

static size_t drop_entry(size_t p) { return p == 1 ? 12 : 30; }

typedef struct {
  test_results t;
  tms_spec spec[P];
  uint8_t status[P];
  double loss[P];
  float W[P * N * M], b[P * N], hist[P * MAXS * N * M], eval[P * MAXS];
  double ax0[CELLS];
} fixture;

static void make(fixture *f, size_t *S, size_t *E) {
  memset(f, 0, sizeof *f);
  for (size_t p = 0; p < P; p++) {
    tms_spec *s = &f->spec[p];
    tms_spec_defaults(s);
    s->variant = TMS_RELU_OUT;
    s->n_features = N;
    s->n_hidden = M;
    s->density = p < R ? 0.3 : 0.2;
    s->steps = STEPS;
    s->snapshot_every = EVERY;
    s->eval_every = EVERY;
    s->seed = 100 + p;
  }
  *S = tms_spec_snapshot_len(&f->spec[0]);
  *E = tms_spec_eval_len(&f->spec[0]);
  for (size_t p = 0; p < P; p++) {
    f->status[p] = p % R == 3 ? 0 : 1; /* seed 3 of each cell is not done */
    f->loss[p] = 0.01 + 1e-4 * (double)p;
    for (size_t k = 0; k < *S; k++) {
      const int c = config_at(p, k);
      const float(*w)[M] = c == 0 ? dedicated : c == 1 ? square : pair_plus_one;
      for (int i = 0; i < N; i++)
        for (int j = 0; j < M; j++) f->hist[((p * MAXS + k) * N + i) * M + j] = w[i][j];
    }
    memcpy(f->W + p * N * M, f->hist + (p * MAXS + *S - 1) * N * M, sizeof(float) * N * M);
    for (size_t j = 0; j < *E; j++)
      f->eval[p * MAXS + j] = j == 0 ? 1.0f : j == 1 ? 0.1f
                            : (float)(0.01 * (1.0 + (j < 5 ? 0.001 : 0) + (j < drop_entry(p) ? 0.004 : 0)));
  }
  /* the test buffers are laid out with MAXS snapshots per point; the file wants exactly S and E */
  for (size_t p = 1; p < P; p++) {
    memmove(f->hist + p * *S * N * M, f->hist + p * MAXS * N * M, sizeof(float) * *S * N * M);
    memmove(f->eval + p * *E, f->eval + p * MAXS, sizeof(float) * *E);
  }
  f->ax0[0] = 0.3, f->ax0[1] = 0.2;
  test_results *t = &f->t;
  t->rank = 2;
  t->dims[0] = CELLS, t->dims[1] = R;
  t->names[0] = "density", t->names[1] = "replicate";
  t->axis[0] = f->ax0;
  t->n_max = N, t->m_max = M;
  t->spec = f->spec, t->status = f->status, t->loss = f->loss, t->W = f->W, t->b = f->b;
  t->snapshot_len = *S, t->eval_len = *E, t->W_history = f->hist, t->eval_curve = f->eval;
}

static double eval_mid(const tms_spec *s, size_t j) {
  return 0.5 * (double)(tms_spec_eval_step(s, j - 1) + tms_spec_eval_step(s, j));
}

static void check_point(const tms_post_products *pp, const fixture *f, size_t p, size_t E) {
  const tms_spec *s = &f->spec[p];
  if (p % R == 3) {
    CHECK(isnan(pp->dyn_jump_step[p]) && isnan(pp->dyn_drop_step[p]) && isnan(pp->dyn_chance[p]),
          "point %zu (not done): jump %g, drop %g, chance %g must be NaN", p, pp->dyn_jump_step[p],
          pp->dyn_drop_step[p], pp->dyn_chance[p]);
    return;
  }
  if (p == 2) {
    CHECK(isnan(pp->dyn_jump_step[p]) && isnan(pp->dyn_chance[p]),
          "point 2 (constant square): no jump, so jump %g and chance %g must be NaN", pp->dyn_jump_step[p],
          pp->dyn_chance[p]);
  } else {
    CHECK(pp->dyn_jump_step[p] == 1475.0, "point %zu: last jump at step %g, want 1475 (snapshot 30)", p,
          pp->dyn_jump_step[p]);
  }
  const double want_drop = eval_mid(s, drop_entry(p));
  CHECK(pp->dyn_drop_step[p] == want_drop, "point %zu: largest late drop at step %g, want %g (entry %zu)", p,
        pp->dyn_drop_step[p], want_drop, drop_entry(p));
  char what[96];
  snprintf(what, sizeof what, "point %zu: size of the drop, ln(1.004/1)", p);
  const double e_before = (float)(0.01 * 1.004), e_after = (float)0.01;
  CHECK_CLOSE(what, pp->dyn_drop[p], log(e_before) - log(e_after), 1e-9);
  if (p == 2) return;
  size_t late = 0, near = 0; /* late intervals: entries 3 .. E-1 (entry 2 is the first within 1% of the final) */
  for (size_t j = 3; j < E; j++) {
    late++;
    near += fabs(eval_mid(s, j) - 1475.0) <= TMS_POST_ALIGN_STEPS;
  }
  snprintf(what, sizeof what, "point %zu: chance (%zu of %zu late intervals near the jump)", p, near, late);
  CHECK_CLOSE(what, pp->dyn_chance[p], (double)near / (double)late, 1e-12);
}

static void check_history(const tms_post_products *pp, const fixture *f, size_t S, const char *post) {
  CHECK(pp->dyn_dimensionality && pp->dyn_snapshots == S, "D_i history kept: %p, %zu snapshots (want %zu)",
        (void *)pp->dyn_dimensionality, pp->dyn_snapshots, S);
  if (!pp->dyn_dimensionality) return;
  float *file = malloc(sizeof(float) * P * S * N);
  hid_t h = H5Fopen(post, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = h >= 0 ? H5Dopen2(h, tms_schema_post_ds(TMS_PDS_DYN_DIMENSIONALITY)->path, H5P_DEFAULT) : -1;
  const int read = file && d >= 0 && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, file) >= 0;
  if (d >= 0) H5Dclose(d);
  if (h >= 0) H5Fclose(h);
  CHECK(read, "%s: /dynamics/dimensionality_history read back", post);
  double worst = 0;
  size_t bad_p = 0, bad_k = 0;
  int nan_ok = 1;
  for (size_t p = 0; p < P; p++)
    for (size_t k = 0; k < S; k++)
      for (int i = 0; i < N; i++) {
        const float v = pp->dyn_dimensionality[(p * S + k) * N + i];
        if (read && !(file[(p * S + k) * N + i] == v || (isnan(v) && isnan(file[(p * S + k) * N + i]))))
          worst = INFINITY, bad_p = p, bad_k = k;
        if (p % R == 3) {
          nan_ok &= isnan(v);
          continue;
        }
        const double dv = fabs(v - D_of[config_at(p, k)][i]);
        if (!(dv <= worst)) worst = dv, bad_p = p, bad_k = k;
      }
  CHECK(worst < 1e-6, "D_i history (products and file) differs from the construction by %g (point %zu, snapshot %zu)",
        worst, bad_p, bad_k);
  CHECK(nan_ok, "D_i history of points not done is NaN");
  tms_error err;
  tms_status st = tms_schema_check_file(post, TMS_FILE_POST, 1, NULL, &err);
  CHECK(st == TMS_OK, "%s passes the post schema: %s", post, err.msg);
  free(file);
  (void)f;
}

static void check_lines(const tms_post_results *res, const tms_post_products *pp) {
  static tms_check_report rep;
  tms_error err;
  CHECK(tms_post_check(&rep, "e6", res, pp, &err) == TMS_OK, "check e6 runs: %s", err.msg);
  int seen = 0;
  for (int l = 0; l < rep.count; l++) {
    const tms_check_line *L = &rep.line[l];
    if (!strstr(L->what, "share of seeds")) continue;
    const int cell1 = strstr(L->what, "density 0.2") != NULL;
    const double want = cell1 ? 1.0 : 1.0 / 3.0;
    CHECK(fabs(L->value - want) < 1e-12 && L->verdict == (cell1 ? TMS_CHECK_PASS : TMS_CHECK_FAIL),
          "check line '%s': value %g verdict %d, want %g and %s", L->what, L->value, (int)L->verdict, want,
          cell1 ? "PASS" : "FAIL");
    seen++;
  }
  CHECK(seen == 2, "two alignment lines (one per cell), saw %d", seen);
}

int main(void) {
  static fixture f;
  size_t S, E;
  make(&f, &S, &E);
  CHECK(S <= MAXS && E <= MAXS && S > 31 && E > 31, "extents %zu snapshots, %zu evaluations fit the fixture", S, E);
  const char *path = "post_dynamics_results.h5", *post = "post_dynamics_post.h5";
  CHECK(test_write_results(path, &f.t) == 0, "results file written");
  tms_post_results res;
  tms_post_products pp;
  memset(&pp, 0, sizeof pp);
  tms_post_options opt;
  tms_post_options_default(&opt);
  opt.no_vulnerability = 1;
  opt.force = 1;
  tms_error err;
  tms_status st = tms_post_results_read(&res, path, &err);
  if (st == TMS_OK) st = tms_post_compute(&pp, &res, &opt, &err);
  CHECK(st == TMS_OK, "post products: %s", err.msg);
  if (st != TMS_OK) return tms_check_finish("post_dynamics");
  for (size_t p = 0; p < P; p++) check_point(&pp, &f, p, E);
  st = tms_post_write(post, &res, &pp, 1, &err);
  CHECK(st == TMS_OK, "post file written: %s", err.msg);
  check_history(&pp, &f, S, post);
  check_lines(&res, &pp);
  tms_post_products_free(&pp);
  tms_post_results_free(&res);
  return tms_check_finish("post_dynamics");
}
