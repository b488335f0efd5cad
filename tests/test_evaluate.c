/* test_evaluate: the final loss is scored on the evaluation set of the point's data law (trainer/evaluate.h).
 *   key    - tms_eval_key ignores seed, optimizer, lr, steps, importance, init and variant (but abs's range), and
 *            changes with every field of the data law
 *   shared - two specs of one cell (other seed, other optimizer) give bitwise the same loss for the same weights
 *   se     - loss and standard error equal a two-pass recomputation over the same samples
 *   fused  - the fused evaluation of the tiny shapes (kernels.h: tms_model_row_losses) gives bitwise the unfused
 *            pass's loss and standard error (forced lanes kernels), for every variant, several shapes and densities,
 *            chunks not a multiple of the vector width or of the statistics' groups
 *   set    - a point's loss and loss_se are bitwise equal whether it is evaluated alone or with others of its cell
 *            (tms_evaluate_set), in any order and position, fused and unfused shapes
 *   e0     - E0 (n=5 m=2, I = 0.9^i, density 0.05) trained 10,000 steps: the default eval_batch gives a standard
 *            error under 1% of the loss (the requirement that sized the default) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/data.h"
#include "kernels/kernels_path.h"
#include "rng/rng.h"
#include "trainer/evaluate.h"
#include "trainer/trainer.h"

static tms_spec base_spec(void) {
  tms_spec s;
  tms_spec_defaults(&s);
  s.variant = TMS_RELU_OUT;
  s.n_features = 5;
  s.n_hidden = 2;
  s.density = 0.05;
  s.importance_decay = 0.9;
  s.seed = 11;
  return s;
}

static int test_key(void) {
  const tms_spec a = base_spec();
  const uint64_t k = tms_eval_key(&a);
  tms_spec s = a;
  s.seed = 12, s.optimizer = TMS_ADAM, s.lr = 3e-3, s.steps = 77, s.importance_decay = 0.5;
  s.last_importance = 4.0, s.variant = TMS_LINEAR, s.init = TMS_INIT_KAIMING_UNIFORM, s.weight_decay = 0.1;
  CHECK(tms_eval_key(&s) == k, "key ignores seed, optimizer, lr, steps, importance, variant, init");
  s = a, s.correlated_sets = 2, s.set_size = 2; /* no correlation: the set fields do not define the law */
  CHECK(tms_eval_key(&s) == k, "key ignores set fields of an independent law");
  s = a, s.last_density = 0.05;
  CHECK(tms_eval_key(&s) == k, "last_density equal to density is the same law");
  tms_spec diff[6];
  for (int i = 0; i < 6; i++) diff[i] = a;
  diff[0].density = 0.06;
  diff[1].last_density = 0.5;
  diff[2].n_features = 6;
  diff[3].variant = TMS_ABS;
  diff[4].correlation = TMS_CORRELATED, diff[4].correlated_sets = 2, diff[4].set_size = 2;
  diff[5] = diff[4], diff[5].correlation_strength = 0.5;
  const char *what[6] = {"density", "last_density", "n_features", "abs range", "correlation", "strength"};
  for (int i = 0; i < 6; i++) CHECK(tms_eval_key(&diff[i]) != k, "key changes with %s", what[i]);
  CHECK(tms_eval_key(&diff[5]) != tms_eval_key(&diff[4]), "key changes with correlation strength");
  return 0;
}

typedef struct {
  float W[10], b[5], imp[5];
  float *x, *mem;
  tms_acts acts;
  tms_params p;
} fixture;

static void fixture_init(fixture *f, const tms_spec *s) {
  const int n = s->n_features, m = s->n_hidden, B = s->batch_size;
  for (int k = 0; k < n * m; k++) f->W[k] = (float)sin(1.7 * k + 0.3);
  for (int i = 0; i < n; i++) f->b[i] = -0.05f * (float)i;
  tms_spec_profile(s, f->imp, NULL);
  f->mem = calloc(tms_acts_floats(B, n, m) + (size_t)B * (size_t)n, sizeof(float));
  f->x = f->mem;
  tms_acts_bind(&f->acts, f->mem + (size_t)B * (size_t)n, B, n, m);
  f->p = (tms_params){.n = n, .m = m, .W = f->W, .W2 = NULL, .b = f->b};
}

static int test_shared(void) {
  tms_spec a = base_spec(), c = a;
  a.eval_batch = 50000;
  c.eval_batch = 50000, c.seed = 999, c.optimizer = TMS_ADAM, c.lr = 1e-2;
  fixture f;
  fixture_init(&f, &a);
  tms_eval ea, ec;
  tms_error err;
  CHECK(tms_evaluate(&ea, &a, &f.p, f.acts, f.x, f.imp, &err) == TMS_OK, "evaluate a: %s", err.msg);
  CHECK(tms_evaluate(&ec, &c, &f.p, f.acts, f.x, f.imp, &err) == TMS_OK, "evaluate c: %s", err.msg);
  CHECK(memcmp(&ea, &ec, sizeof ea) == 0, "one cell, one evaluation set: %.17g +- %g vs %.17g +- %g", ea.loss, ea.se,
        ec.loss, ec.se);
  free(f.mem);
  return 0;
}

static int test_se(void) {
  tms_spec s = base_spec();
  s.eval_batch = 3001; /* not a multiple of the batch: a short last chunk */
  s.batch_size = 512;
  fixture f;
  fixture_init(&f, &s);
  tms_eval ev;
  tms_error err;
  CHECK(tms_evaluate(&ev, &s, &f.p, f.acts, f.x, f.imp, &err) == TMS_OK, "evaluate: %s", err.msg);
  /* two passes over the same samples, drawn in the same chunks from the documented stream */
  tms_spec es = s;
  es.seed = tms_eval_key(&s);
  tms_data_gen gen;
  CHECK(tms_data_init(&gen, &es, TMS_STREAM_EVAL, &err) == TMS_OK, "data init: %s", err.msg);
  double *l = calloc((size_t)s.eval_batch, sizeof *l), sum = 0, sq = 0;
  for (int done = 0; done < s.eval_batch;) {
    const int chunk = s.eval_batch - done < s.batch_size ? s.eval_batch - done : s.batch_size;
    tms_data_sample(&gen, f.x, chunk);
    tms_model_forward(s.variant, &f.acts, f.x, &f.p, chunk);
    for (int r = 0; r < chunk; r++) {
      double t = 0;
      for (int i = 0; i < s.n_features; i++) {
        const double d = (double)f.acts.out[r * s.n_features + i] - fabs((double)f.x[r * s.n_features + i]);
        t += f.imp[i] * d * d;
      }
      l[done + r] = t / s.n_features;
      sum += l[done + r];
    }
    done += chunk;
  }
  tms_data_free(&gen);
  const double mean = sum / s.eval_batch;
  for (int r = 0; r < s.eval_batch; r++) sq += (l[r] - mean) * (l[r] - mean);
  const double se = sqrt(sq / (s.eval_batch - 1) / s.eval_batch);
  printf("se: loss %.10g +- %.6g, two-pass %.10g +- %.6g\n", ev.loss, ev.se, mean, se);
  CHECK_CLOSE("loss / two-pass loss", ev.loss / mean, 1.0, 1e-6);
  CHECK_CLOSE("se / two-pass se", ev.se / se, 1.0, 1e-6);
  free(l);
  free(f.mem);
  return 0;
}

/* Weights of model k of shape (n, m): deterministic, signs mixed, so some ReLUs are on and some off. */
typedef struct {
  float W[400], W2[400], b[20], imp[20];
  tms_params p;
} model_fx;

static void model_fx_init(model_fx *f, const tms_spec *s, int k) {
  const int n = s->n_features, m = s->n_hidden;
  for (int q = 0; q < n * m; q++) {
    f->W[q] = (float)sin(1.7 * q + 0.3 + 0.61 * k);
    f->W2[q] = (float)cos(0.9 * q + 0.2 + 0.37 * k);
  }
  for (int i = 0; i < n; i++) f->b[i] = (float)(0.1 * sin(2.3 * i + k)) - 0.02f;
  tms_spec_profile(s, f->imp, NULL);
  f->p = (tms_params){.n = n, .m = m, .W = f->W, .W2 = s->variant == TMS_ABS ? f->W2 : NULL, .b = f->b};
}

/* Scratch for evaluating specs of shape (n, m) with batch B: x (B, N) and activations. */
static float *scratch(const tms_spec *s, tms_acts *acts, float **x) {
  const int n = s->n_features, m = s->n_hidden, B = s->batch_size;
  float *mem = calloc(tms_acts_floats(B, n, m) + (size_t)B * (size_t)n, sizeof(float));
  *x = mem;
  tms_acts_bind(acts, mem + (size_t)B * (size_t)n, B, n, m);
  return mem;
}

static int test_fused(void) {
  const int shapes[][2] = {{2, 1}, {3, 2}, {5, 2}, {8, 3}, {7, 1}, {1, 1}, {20, 5}};
  const tms_variant variants[] = {TMS_RELU_OUT, TMS_LINEAR, TMS_RELU_HIDDEN, TMS_ABS};
  const double densities[] = {1.0, 0.05};
  const int batches[] = {1024, 100};
  for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++)
    for (size_t v = 0; v < 4; v++)
      for (size_t d = 0; d < 2; d++)
        for (size_t bt = 0; bt < 2; bt++) {
          tms_spec s = base_spec();
          s.n_features = shapes[sh][0], s.n_hidden = shapes[sh][1], s.variant = variants[v];
          s.density = densities[d], s.batch_size = batches[bt], s.eval_batch = 3001 + 16 * (int)bt;
          s.last_importance = 2.0;
          model_fx f;
          model_fx_init(&f, &s, (int)sh);
          tms_acts acts;
          float *x, *mem = scratch(&s, &acts, &x);
          tms_eval fused, ref;
          tms_error err;
          CHECK(tms_evaluate(&fused, &s, &f.p, acts, x, f.imp, &err) == TMS_OK, "evaluate: %s", err.msg);
          tms_kernels_force_path = TMS_KERNELS_LANES; /* the unfused pass with the lanes forward */
          CHECK(tms_evaluate(&ref, &s, &f.p, acts, x, f.imp, &err) == TMS_OK, "evaluate: %s", err.msg);
          tms_kernels_force_path = TMS_KERNELS_AUTO;
          if (s.n_features * s.n_hidden <= 24 && s.n_features <= 8) /* else AUTO is cblas: not compared */
            CHECK(memcmp(&fused, &ref, sizeof fused) == 0,
                  "%dx%d variant %d density %g batch %d: fused %.17g +- %.17g, unfused %.17g +- %.17g (diff %.3g)",
                  s.n_features, s.n_hidden, (int)s.variant, s.density, s.batch_size, fused.loss, fused.se, ref.loss,
                  ref.se, fused.loss - ref.loss);
          CHECK(isfinite(fused.loss) && fused.loss > 0 && isfinite(fused.se), "%dx%d: loss %g +- %g", s.n_features,
                s.n_hidden, fused.loss, fused.se);
          free(mem);
        }
  printf("fused: every lanes shape, variant, density and chunking bitwise equal to the unfused pass\n");
  return 0;
}

/* K models of one cell (own weights, own importance) evaluated alone and as one set, in two orders. */
static int set_case(int n, int m, tms_variant variant, double density) {
  enum { K = 5 };
  tms_spec s[K];
  model_fx f[K];
  for (int k = 0; k < K; k++) {
    s[k] = base_spec();
    s[k].n_features = n, s[k].n_hidden = m, s[k].variant = variant, s[k].density = density;
    s[k].eval_batch = 20000, s[k].batch_size = 1000;
    s[k].seed = 100 + (uint64_t)k, s[k].optimizer = k % 2 ? TMS_ADAM : TMS_ADAMW;
    s[k].last_importance = 0.5 + k; /* importance is not part of the data law */
    model_fx_init(&f[k], &s[k], k);
  }
  tms_acts acts;
  float *x, *mem = scratch(&s[0], &acts, &x);
  tms_error err;
  tms_eval alone[K], set[K], rev[K];
  for (int k = 0; k < K; k++)
    CHECK(tms_evaluate(&alone[k], &s[k], &f[k].p, acts, x, f[k].imp, &err) == TMS_OK, "alone: %s", err.msg);
  tms_params ps[K], pr[K];
  tms_spec sr[K];
  const float *imp[K], *ir[K];
  for (int k = 0; k < K; k++) {
    ps[k] = f[k].p, imp[k] = f[k].imp;
    pr[k] = f[K - 1 - k].p, ir[k] = f[K - 1 - k].imp, sr[k] = s[K - 1 - k];
  }
  CHECK(tms_evaluate_set(set, s, ps, imp, K, acts, x, &err) == TMS_OK, "set: %s", err.msg);
  CHECK(tms_evaluate_set(rev, sr, pr, ir, K, acts, x, &err) == TMS_OK, "reversed set: %s", err.msg);
  for (int k = 0; k < K; k++) {
    CHECK(memcmp(&alone[k], &set[k], sizeof set[k]) == 0,
          "%dx%d model %d: alone %.17g +- %.17g, in its cell's set %.17g +- %.17g", n, m, k, alone[k].loss,
          alone[k].se, set[k].loss, set[k].se);
    CHECK(memcmp(&alone[k], &rev[K - 1 - k], sizeof alone[k]) == 0,
          "%dx%d model %d: alone %.17g, last-to-first set %.17g", n, m, k, alone[k].loss, rev[K - 1 - k].loss);
  }
  CHECK(alone[0].loss != alone[1].loss, "models differ (%.17g)", alone[0].loss);
  s[2].density = density * 0.5; /* another data law: refused */
  CHECK(tms_evaluate_set(set, s, ps, imp, K, acts, x, &err) == TMS_ERR_CONFIG, "a set of two laws is refused");
  free(mem);
  return 0;
}

static int test_set(void) {
  set_case(2, 1, TMS_RELU_OUT, 0.1);
  set_case(5, 2, TMS_RELU_OUT, 1.0);
  set_case(3, 6, TMS_ABS, 0.3);
  set_case(20, 5, TMS_RELU_OUT, 0.05); /* unfused: shared draws into x, one forward per model */
  printf("set: alone == in its cell's set, both orders\n");
  return 0;
}

static int test_e0(void) {
  tms_spec s = base_spec(); /* eval_batch left at its default */
  float W[10], b[5], curve[200];
  tms_train_result r = {.W = W, .b = b, .loss_curve = curve};
  tms_error err;
  CHECK(tms_spec_curve_len(&s) <= 200, "curve fits");
  CHECK(tms_train(&s, &r, NULL, &err) == TMS_OK, "train: %s", err.msg);
  const double rel = r.loss_se / r.final_loss;
  printf("e0: eval_batch %d, loss %.6g +- %.3g (%.2f%%), evaluation %.3f s of %.3f s\n", s.eval_batch, r.final_loss,
         r.loss_se, 100 * rel, r.eval_s, r.wall_s);
  CHECK(rel < 0.01, "standard error %.3f%% of the loss, want < 1%%", 100 * rel);
  return 0;
}

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "all";
  if (!strcmp(which, "key") || !strcmp(which, "all")) test_key();
  if (!strcmp(which, "shared") || !strcmp(which, "all")) test_shared();
  if (!strcmp(which, "se") || !strcmp(which, "all")) test_se();
  if (!strcmp(which, "fused") || !strcmp(which, "all")) test_fused();
  if (!strcmp(which, "set") || !strcmp(which, "all")) test_set();
  if (!strcmp(which, "e0") || !strcmp(which, "all")) test_e0();
  return tms_check_finish(which);
}
