/* test_trainer: init statistics, the linear-model optimum (oracle O2), divergence, bundles (oracle O8), stop flag,
 * timeout (the W history and the evaluation curve: test_trainer_curves.c).
 * Usage: test_trainer init | linear | diverge | bundle | stop | timeout
 * Every check prints what differed and by how much. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels/kernels.h"
#include "owned_result.h"
#include "trainer/trainer.h"

/* ---- init_xavier_std ---- */
static void test_init(void) {
  enum { N = 300, M = 200 };
  static float W[N * M], W2[N * M], b[N], Wb[N * M];
  tms_spec s = base_spec(TMS_ABS, N, M, 0.5, 1, 11);
  tms_params p = {N, M, W, W2, b};
  for (int i = 0; i < N; i++) b[i] = 1.0f;
  tms_init_params(&p, &s);
  const double count = (double)N * M;
  double sum = 0, sq = 0;
  for (int i = 0; i < N * M; i++) {
    sum += W[i];
    sq += (double)W[i] * W[i];
  }
  const double want_std = sqrt(2.0 / (N + M));
  const double mean = sum / count, std = sqrt(sq / count - mean * mean);
  /* std of a sample std of a normal: sigma / sqrt(2 count); of the mean: sigma / sqrt(count) */
  CHECK_CLOSE("xavier mean", mean, 0.0, 4 * want_std / sqrt(count));
  CHECK_CLOSE("xavier std", std, want_std, 4 * want_std / sqrt(2 * count));
  int zero_b = 1, same_w2 = 1;
  for (int i = 0; i < N; i++) zero_b &= b[i] == 0.0f;
  CHECK(zero_b, "b is zero after init");
  for (int i = 0; i < N * M; i++) same_w2 &= W2[i] == W[i];
  CHECK(!same_w2, "abs: W2 is drawn separately from W");

  /* Same seed, same W; another seed, another W. */
  tms_params q = {N, M, Wb, NULL, b};
  s.variant = TMS_RELU_OUT;
  tms_init_params(&q, &s);
  CHECK(memcmp(W, Wb, sizeof W) == 0, "same seed gives the same W");
  s.seed = 12;
  tms_init_params(&q, &s);
  CHECK(memcmp(W, Wb, sizeof W) != 0, "another seed gives another W");

  /* kaiming_uniform: U(-bound, bound), bound = sqrt(6/(n m)); variance bound^2/3. */
  s.init = TMS_INIT_KAIMING_UNIFORM;
  tms_init_params(&q, &s);
  const double bound = sqrt(6.0 / ((double)N * M));
  double maxabs = 0;
  sq = 0;
  for (int i = 0; i < N * M; i++) {
    if (fabs(Wb[i]) > maxabs) maxabs = fabs(Wb[i]);
    sq += (double)Wb[i] * Wb[i];
  }
  CHECK(maxabs <= bound, "kaiming: max |w| %.9g within the bound %.9g", maxabs, bound);
  CHECK(maxabs > 0.999 * bound, "kaiming: max |w| %.9g reaches near the bound %.9g", maxabs, bound);
  /* var of w^2 for U(-a,a): a^4 (1/5 - 1/9) */
  const double var_w2 = pow(bound, 4) * (1.0 / 5 - 1.0 / 9);
  CHECK_CLOSE("kaiming variance", sq / count, bound * bound / 3, 4 * sqrt(var_w2 / count));
}

/* ---- trainer_linear_optimum (O2) ---- */
static void test_linear(void) {
  enum { N = 8, M = 3 };
  const double p = 0.5, r = 0.7;
  tms_spec s = base_spec(TMS_LINEAR, N, M, p, 8000, 3);
  s.importance_decay = r;
  s.optimizer = TMS_ADAM;
  s.schedule = TMS_SCHEDULE_LINEAR; /* anneal, so Adam's noise floor does not show in a 1% check */
  s.lr = 3e-3;
  s.log_every = 1000;
  s.eval_batch = 1 << 21;
  if (!validated(&s)) return;
  owned_result o;
  result_alloc(&o, &s);
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train(&s, &o.r, NULL, &err);
  CHECK(st == TMS_OK, "linear training: %s (%s)", tms_status_name(st), err.msg);
  /* optimum of the per-feature mean loss: sigma^2 sum_{i >= m} I_i / n */
  const double sigma2 = p / 3 - p * p / 4;
  double tail = 0;
  for (int i = M; i < N; i++) tail += pow(r, i);
  const double want = sigma2 * tail / N;
  printf("linear: final eval loss %.7g, O2 optimum %.7g (ratio %.5f), steps %ld, %.2f s\n", o.r.final_loss, want,
         o.r.final_loss / want, o.r.steps_done, o.r.wall_s);
  CHECK_CLOSE("linear final loss / optimum", o.r.final_loss / want, 1.0, 0.01);
  /* G = W W^T must be the projection onto the top-m features; b = 0 there and p/2 elsewhere. */
  double worst = 0;
  int wi = 0, wj = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double g = 0;
      for (int k = 0; k < M; k++) g += (double)o.r.W[i * M + k] * o.r.W[j * M + k];
      const double proj = (i == j && i < M) ? 1.0 : 0.0;
      if (fabs(g - proj) > worst) worst = fabs(g - proj), wi = i, wj = j;
    }
  printf("linear: worst |G - P| = %.3g at (%d, %d)\n", worst, wi, wj);
  CHECK(worst <= 0.02, "G matches the top-%d projection within 0.02: worst |G - P| = %.4g at (%d, %d)", M, worst, wi,
        wj);
  for (int i = 0; i < N; i++) {
    char what[32];
    snprintf(what, sizeof what, "b[%d]", i);
    CHECK_CLOSE(what, o.r.b[i], i < M ? 0.0 : p / 2, 0.02);
  }
  result_free(&o);
}

/* ---- trainer_diverges_reported ---- */
static void test_diverge(void) {
  tms_spec s = base_spec(TMS_RELU_OUT, 5, 2, 0.1, 200, 1);
  s.lr = 1e25; /* the first Adam step moves every weight by ~lr, so W^T W overflows float at step 1 */
  s.log_every = 1;
  if (!validated(&s)) return;
  owned_result o;
  result_alloc(&o, &s);
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train(&s, &o.r, NULL, &err);
  CHECK(st == TMS_ERR_DIVERGED, "lr 1e25 gives TMS_ERR_DIVERGED, got %s (%s)", tms_status_name(st), err.msg);
  CHECK(isnan(o.r.final_loss), "final loss is NaN after divergence, got %g", o.r.final_loss);
  CHECK(o.r.steps_done < s.steps, "stopped early: %ld of %ld steps", o.r.steps_done, s.steps);
  CHECK(isfinite(o.r.loss_curve[0]), "curve[0] (before any update) is finite: %g", o.r.loss_curve[0]);
  int nan_after = 1;
  for (size_t k = (size_t)o.r.steps_done + 1; k < o.curve_len; k++) nan_after &= isnan(o.r.loss_curve[k]) != 0;
  CHECK(nan_after, "curve is NaN after the failing step %ld", o.r.steps_done);
  CHECK(strstr(err.msg, "step") != NULL, "error names the step: '%s'", err.msg);
  result_free(&o);
}

/* ---- trainer_bundle_equals_alone (O8) ---- */
static int same_result(const owned_result *a, const owned_result *b, const tms_spec *s, const char *what) {
  const size_t nm = (size_t)s->n_features * (size_t)s->n_hidden;
  int ok = CHECK(memcmp(a->r.W, b->r.W, nm * sizeof(float)) == 0, "%s: W bitwise equal", what);
  if (s->variant == TMS_ABS) ok &= CHECK(memcmp(a->r.W2, b->r.W2, nm * sizeof(float)) == 0, "%s: W2 equal", what);
  ok &= CHECK(memcmp(a->r.b, b->r.b, (size_t)s->n_features * sizeof(float)) == 0, "%s: b bitwise equal", what);
  ok &= CHECK(memcmp(a->r.loss_curve, b->r.loss_curve, a->curve_len * sizeof(float)) == 0,
              "%s: loss curve bitwise equal", what);
  ok &= CHECK(memcmp(&a->r.final_loss, &b->r.final_loss, sizeof(double)) == 0,
              "%s: final loss bitwise equal (%.17g vs %.17g)", what, a->r.final_loss, b->r.final_loss);
  ok &= CHECK(memcmp(&a->r.loss_se, &b->r.loss_se, sizeof(double)) == 0,
              "%s: loss_se bitwise equal (%.17g vs %.17g)", what, a->r.loss_se, b->r.loss_se);
  return ok;
}

static void bundle_case(tms_variant variant, int n, int m) {
  enum { K = 3 };
  tms_spec specs[K];
  const double density[K] = {1.0, 0.1, 0.02};
  const int batch[K] = {256, 1024, 512}; /* the slab is sized for the largest: smaller ones must not notice */
  for (int k = 0; k < K; k++) {
    specs[k] = base_spec(variant, n, m, density[k], 300, 100 + (uint64_t)k);
    specs[k].batch_size = batch[k];
    specs[k].log_every = 50;
    specs[k].eval_batch = 3000; /* not a multiple of the batch: the last evaluation chunk is short */
    if (!validated(&specs[k])) return;
  }
  specs[2].optimizer = TMS_ADAM;
  specs[1].schedule = TMS_SCHEDULE_COSINE;
  owned_result bundled[K], alone[K], again;
  tms_train_result res[K];
  tms_status statuses[K];
  for (int k = 0; k < K; k++) {
    result_alloc(&bundled[k], &specs[k]);
    result_alloc(&alone[k], &specs[k]);
    res[k] = bundled[k].r;
  }
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train_bundle(specs, K, res, statuses, NULL, &err);
  CHECK(st == TMS_OK, "bundle ran: %s (%s)", tms_status_name(st), err.msg);
  for (int k = 0; k < K; k++) {
    bundled[k].r = res[k];
    CHECK(statuses[k] == TMS_OK, "bundle model %d: %s", k, tms_status_name(statuses[k]));
    st = tms_train(&specs[k], &alone[k].r, NULL, &err);
    CHECK(st == TMS_OK, "model %d alone: %s (%s)", k, tms_status_name(st), err.msg);
    char what[64];
    snprintf(what, sizeof what, "variant %d model %d bundled vs alone", (int)variant, k);
    same_result(&bundled[k], &alone[k], &specs[k], what);
    CHECK(isfinite(alone[k].r.final_loss) && alone[k].r.final_loss > 0, "model %d final loss %g", k,
          alone[k].r.final_loss);
  }
  /* same seed twice: identical; another seed: different */
  result_alloc(&again, &specs[0]);
  st = tms_train(&specs[0], &again.r, NULL, &err);
  same_result(&again, &alone[0], &specs[0], "same seed twice");
  specs[0].seed += 1000;
  st = tms_train(&specs[0], &again.r, NULL, &err);
  CHECK(memcmp(again.r.W, alone[0].r.W, (size_t)n * m * sizeof(float)) != 0, "another seed gives another W");
  result_free(&again);
  for (int k = 0; k < K; k++) {
    result_free(&bundled[k]);
    result_free(&alone[k]);
  }
}

/* A bundle holding two cells' replicates interleaved (each cell one evaluation set, scored together at the end of
 * the bundle): every model's final loss and loss_se bitwise as trained and evaluated alone. */
static void bundle_cells_case(int n, int m, int steps) {
  enum { K = 6 };
  tms_spec specs[K];
  const double density[K] = {0.1, 0.1, 1.0, 0.1, 1.0, 0.1};
  for (int k = 0; k < K; k++) {
    specs[k] = base_spec(TMS_RELU_OUT, n, m, density[k], steps, 300 + (uint64_t)k);
    specs[k].eval_batch = 5000;
    specs[k].last_importance = 1.0 + 0.5 * k; /* importance is not part of the evaluation set */
    if (!validated(&specs[k])) return;
  }
  specs[3].optimizer = TMS_ADAM;
  owned_result bundled[K], alone[K];
  tms_train_result res[K];
  tms_status statuses[K];
  for (int k = 0; k < K; k++) {
    result_alloc(&bundled[k], &specs[k]);
    result_alloc(&alone[k], &specs[k]);
    res[k] = bundled[k].r;
  }
  tms_error err;
  memset(&err, 0, sizeof err);
  CHECK(tms_train_bundle(specs, K, res, statuses, NULL, &err) == TMS_OK, "bundle ran: %s", err.msg);
  for (int k = 0; k < K; k++) {
    bundled[k].r = res[k];
    CHECK(statuses[k] == TMS_OK, "bundle model %d: %s", k, tms_status_name(statuses[k]));
    CHECK(tms_train(&specs[k], &alone[k].r, NULL, &err) == TMS_OK, "model %d alone: %s", k, err.msg);
    char what[64];
    snprintf(what, sizeof what, "%dx%d cells: model %d bundled vs alone", n, m, k);
    same_result(&bundled[k], &alone[k], &specs[k], what);
    CHECK(res[k].eval_s > 0 && res[k].eval_s <= res[k].wall_s, "model %d: eval %g s within wall %g s", k,
          res[k].eval_s, res[k].wall_s);
  }
  for (int k = 0; k < K; k++) {
    result_free(&bundled[k]);
    result_free(&alone[k]);
  }
}

static void test_bundle(void) {
  bundle_cells_case(2, 1, 200); /* fused evaluation */
  bundle_cells_case(20, 5, 50); /* unfused evaluation: shared draws, one forward per model */
  bundle_case(TMS_RELU_OUT, 5, 2);
  bundle_case(TMS_ABS, 6, 3);
  /* shapes must agree */
  tms_spec specs[2] = {base_spec(TMS_RELU_OUT, 5, 2, 0.1, 10, 1), base_spec(TMS_RELU_OUT, 6, 2, 0.1, 10, 2)};
  owned_result o[2];
  result_alloc(&o[0], &specs[0]);
  result_alloc(&o[1], &specs[1]);
  tms_train_result res[2] = {o[0].r, o[1].r};
  tms_status statuses[2];
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train_bundle(specs, 2, res, statuses, NULL, &err);
  CHECK(st == TMS_ERR_CONFIG, "mixed shapes are refused: %s", tms_status_name(st));
  result_free(&o[0]);
  result_free(&o[1]);
}

/* ---- trainer_stop_flag / trainer_timeout ---- */
static void test_stop(void) {
  tms_spec specs[2] = {base_spec(TMS_RELU_OUT, 5, 2, 0.1, 1000, 1), base_spec(TMS_RELU_OUT, 5, 2, 0.1, 1000, 2)};
  owned_result o[2];
  result_alloc(&o[0], &specs[0]);
  result_alloc(&o[1], &specs[1]);
  volatile sig_atomic_t stop = 1;
  tms_train_control ctl = {&stop, 0.0};
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train(&specs[0], &o[0].r, &ctl, &err);
  CHECK(st == TMS_ERR_INTERRUPTED, "stop flag gives TMS_ERR_INTERRUPTED, got %s", tms_status_name(st));
  CHECK(o[0].r.steps_done == 0, "no step done after the flag: %ld", o[0].r.steps_done);
  CHECK(isnan(o[0].r.final_loss) && isnan(o[0].r.loss_curve[0]), "final loss and curve NaN when interrupted");
  tms_train_result res[2] = {o[0].r, o[1].r};
  tms_status statuses[2];
  st = tms_train_bundle(specs, 2, res, statuses, &ctl, &err);
  CHECK(st == TMS_OK && statuses[0] == TMS_ERR_INTERRUPTED && statuses[1] == TMS_ERR_INTERRUPTED,
        "bundle: both models interrupted (%s, %s, %s)", tms_status_name(st), tms_status_name(statuses[0]),
        tms_status_name(statuses[1]));
  stop = 0;
  st = tms_train(&specs[0], &o[0].r, &ctl, &err);
  CHECK(st == TMS_OK && o[0].r.steps_done == 1000, "a cleared flag trains to the end: %s, %ld steps",
        tms_status_name(st), o[0].r.steps_done);
  result_free(&o[0]);
  result_free(&o[1]);
}

static void test_timeout(void) {
  /* 1 ns can never be enough for the 64 steps before the first clock check; the run would take minutes. */
  tms_spec s = base_spec(TMS_RELU_OUT, 20, 5, 0.1, 10000000, 1);
  owned_result o;
  result_alloc(&o, &s);
  tms_train_control ctl = {NULL, 1e-9};
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train(&s, &o.r, &ctl, &err);
  CHECK(st == TMS_ERR_TIMEOUT, "tiny timeout gives TMS_ERR_TIMEOUT, got %s (%s)", tms_status_name(st), err.msg);
  CHECK(o.r.steps_done <= 64, "stopped at the first clock check: %ld steps", o.r.steps_done);
  CHECK(isnan(o.r.final_loss), "final loss NaN after a timeout: %g", o.r.final_loss);
  /* a bundle shares one deadline: every model reports the timeout */
  tms_spec specs[2] = {s, s};
  specs[1].seed = 2;
  owned_result o2;
  result_alloc(&o2, &s);
  tms_train_result res[2] = {o.r, o2.r};
  tms_status statuses[2];
  st = tms_train_bundle(specs, 2, res, statuses, &ctl, &err);
  CHECK(st == TMS_OK && statuses[0] == TMS_ERR_TIMEOUT && statuses[1] == TMS_ERR_TIMEOUT,
        "bundle: both models time out (%s, %s, %s)", tms_status_name(st), tms_status_name(statuses[0]),
        tms_status_name(statuses[1]));
  result_free(&o2);
  result_free(&o);
}

/* ---- trainer_w_history ---- */
/* Trains s with a W history; returns the history (caller frees) and fills o. */
int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  if (strcmp(what, "init") == 0) test_init();
  else if (strcmp(what, "linear") == 0) test_linear();
  else if (strcmp(what, "diverge") == 0) test_diverge();
  else if (strcmp(what, "bundle") == 0) test_bundle();
  else if (strcmp(what, "stop") == 0) test_stop();
  else if (strcmp(what, "timeout") == 0) test_timeout();
  else {
    fprintf(stderr, "usage: test_trainer init|linear|diverge|bundle|stop|timeout\n");
    return 2;
  }
  return tms_check_finish(what);
}
