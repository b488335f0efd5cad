/* kernels gradcheck: tms_model_backward against central finite differences of tms_model_loss, for every parameter
 * of a small random model of one variant (argv[1]), on each kernel path (row loops, 16-row lanes, cblas).
 * The loss is piecewise quadratic in each parameter, so central differences are exact up to float32 rounding of
 * the forward pass, except where a ReLU switches inside [-eps, eps]; the biases are drawn away from zero and eps is
 * small so that does not happen for this seed. Tolerance: 2e-3 of the largest gradient entry. A missing gradient
 * path, a sign error or a wrong mask gives errors of order 1e-1..1 of it. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels_path.h"
#include "check.h"
#include "kernels/kernels.h"

enum { B = 40, N = 7, M = 3 };

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double uniform(void) { /* splitmix64 -> [0, 1) */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

static int parse_variant(const char *s, tms_variant *v) {
  const char *names[] = {"linear", "relu_out", "relu_hidden", "abs"};
  for (int k = 0; k < 4; k++)
    if (strcmp(s, names[k]) == 0) { *v = (tms_variant)k; return 1; }
  return 0;
}

static float x[B * N], importance[N], W[N * M], W2[N * M], bias[N];
static float gW[N * M], gW2[N * M], gb[N];
static float slab[2 * B * M + 2 * B * N];

static double loss_at(tms_variant v, const tms_params *p) {
  tms_acts a;
  tms_acts_bind(&a, slab, B, N, M);
  a.dout = NULL; /* loss only */
  tms_model_forward(v, &a, x, p, B);
  return tms_model_loss(v, &a, x, importance, B, N);
}

/* Worst |fd - analytic| over one parameter array, relative to max |analytic| of that array. */
static double check_array(const char *what, tms_variant v, tms_params *p, float *param, const float *grad,
                          int count, double tol) {
  double scale = 0.0, worst = 0.0;
  int worst_k = 0;
  double worst_fd = 0.0;
  for (int k = 0; k < count; k++) scale = fmax(scale, fabs(grad[k]));
  for (int k = 0; k < count; k++) {
    const float saved = param[k];
    const float eps = 1e-3f;
    param[k] = saved + eps;
    const double lp = loss_at(v, p);
    param[k] = saved - eps;
    const double lm = loss_at(v, p);
    param[k] = saved;
    /* the actual float step, not the nominal one */
    const double step = (double)(saved + eps) - (double)(saved - eps);
    const double fd = (lp - lm) / step;
    const double err = fabs(fd - grad[k]);
    if (err > worst) { worst = err; worst_k = k; worst_fd = fd; }
  }
  const double rel = scale > 0 ? worst / scale : worst;
  printf("  %-6s worst relative error %.2e (entry %d: fd %.6g analytic %.6g, max|grad| %.4g)\n", what, rel,
         worst_k, worst_fd, (double)grad[worst_k], scale);
  CHECK(scale > 1e-4, "%s: gradient is not trivially zero (max |grad| %.3g)", what, scale);
  CHECK(rel <= tol, "%s: finite differences differ from backward by %.3g of max|grad| > tol %.3g (entry %d)", what,
        rel, tol, worst_k);
  return rel;
}

int main(int argc, char **argv) {
  tms_variant v;
  if (argc < 2 || !parse_variant(argv[1], &v)) {
    fprintf(stderr, "usage: %s linear|relu_out|relu_hidden|abs\n", argv[0]);
    return 2;
  }
  const double density = 0.5;
  for (int k = 0; k < B * N; k++) {
    const double val = v == TMS_ABS ? 2 * uniform() - 1 : uniform();
    x[k] = uniform() < density ? (float)val : 0.0f;
  }
  for (int i = 0; i < N; i++) importance[i] = (float)pow(0.8, i);
  const double std = sqrt(2.0 / (N + M));
  for (int k = 0; k < N * M; k++) {
    W[k] = (float)(std * (2 * uniform() - 1) * 1.7);
    W2[k] = (float)(std * (2 * uniform() - 1) * 1.7);
  }
  /* biases of both signs, away from 0, so some outputs are dead and some alive */
  for (int i = 0; i < N; i++) bias[i] = (float)((i % 2 ? 1 : -1) * (0.05 + 0.1 * uniform()));

  const tms_kernels_path paths[] = {TMS_KERNELS_LOOP, TMS_KERNELS_LANES, TMS_KERNELS_GEMM};
  const char *path_names[] = {"loop", "lanes", "gemm"};
  const double tol = 2e-3;
  for (int q = 0; q < 3; q++) {
    tms_kernels_force_path = paths[q];
    printf("%s, %s path:\n", argv[1], path_names[q]);
    tms_params p = {N, M, W, v == TMS_ABS ? W2 : NULL, bias};
    tms_params g = {N, M, gW, v == TMS_ABS ? gW2 : NULL, gb};
    tms_acts a;
    tms_acts_bind(&a, slab, B, N, M);
    tms_model_forward(v, &a, x, &p, B);
    const double loss = tms_model_loss(v, &a, x, importance, B, N);
    CHECK(isfinite(loss) && loss > 0, "loss is positive and finite, got %g", loss);
    tms_model_backward(v, &g, &a, x, &p, B);
    int dead = 0;
    for (int k = 0; k < B * N; k++) dead += a.out[k] == 0.0f;
    if (v != TMS_LINEAR) CHECK(dead > 0 && dead < B * N, "ReLU output mask exercised (%d of %d dead)", dead, B * N);
    check_array("W", v, &p, W, gW, N * M, tol);
    if (v == TMS_ABS) check_array("W2", v, &p, W2, gW2, N * M, tol);
    check_array("b", v, &p, bias, gb, N, tol);
  }
  char name[64];
  snprintf(name, sizeof name, "kernels_gradcheck_%s", argv[1]);
  return tms_check_finish(name);
}
