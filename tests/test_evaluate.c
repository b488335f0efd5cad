/* test_evaluate: the final loss is scored on the evaluation set of the point's data law (trainer/evaluate.h).
 *   key    - tms_eval_key ignores seed, optimizer, lr, steps, importance, init and variant (but abs's range), and
 *            changes with every field of the data law
 *   shared - two specs of one cell (other seed, other optimizer) give bitwise the same loss for the same weights
 *   se     - loss and standard error equal a two-pass recomputation over the same samples
 *   e0     - E0 (n=5 m=2, I = 0.9^i, density 0.05) trained 10,000 steps: the default eval_batch gives a standard
 *            error under 1% of the loss (the requirement that sized the default) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/data.h"
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
  if (!strcmp(which, "e0") || !strcmp(which, "all")) test_e0();
  return tms_check_finish(which);
}
