/* attack_direction (oracle O10): delta = lambda G_i / ||G_i|| raises output i's pre-activation by exactly
 * lambda ||G_i||, measured through the linear model's forward pass (out = x W W^T + b is the pre-activation),
 * and no random direction of the same norm raises it more. With no superposition ||G_i|| = 1. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "metrics/attack.h"
#include "kernels/kernels.h"
#include "metrics/metrics.h"

enum { N = 8, M = 3, SAMPLES = 1000 };

static unsigned long long state = 0x9e3779b97f4a7c15ULL;
static double uniform(void) { /* test-local LCG: fixed, independent of the rng module under test elsewhere */
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((double)(state >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(void) { return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform()); }

/* Output i's pre-activation of the linear model at x, via the kernel. */
static double pre_activation(const tms_params *p, const double *x /* (N) */, int i) {
  float xf[N], mem[1024];
  for (int j = 0; j < N; j++) xf[j] = (float)x[j];
  tms_acts acts;
  tms_acts_bind(&acts, mem, 1, N, M);
  tms_model_forward(TMS_LINEAR, &acts, xf, p, 1);
  return acts.out[i];
}

int main(void) {
  CHECK(tms_acts_floats(1, N, M) <= 1024, "acts for B = 1 fit the test's buffer (%zu floats)",
        tms_acts_floats(1, N, M));
  float W[N * M], b[N];
  for (int k = 0; k < N * M; k++) W[k] = (float)normal();
  for (int i = 0; i < N; i++) b[i] = (float)(0.1 * normal());
  tms_params p = {N, M, W, NULL, b};
  double G[N * N], delta[N], x[N], xd[N];
  tms_metric_gram(G, W, N, M);
  for (int j = 0; j < N; j++) x[j] = uniform();
  const double lambda = 0.37;

  for (int i = 0; i < N; i++) {
    double gn = 0.0;
    for (int j = 0; j < N; j++) gn += G[i * N + j] * G[i * N + j];
    gn = sqrt(gn);
    tms_attack_direction(delta, G, N, i, lambda);
    double dn = 0.0, rise = 0.0;
    for (int j = 0; j < N; j++) {
      dn += delta[j] * delta[j];
      rise += G[i * N + j] * delta[j];
      xd[j] = x[j] + delta[j];
    }
    CHECK_CLOSE("||delta|| = lambda", sqrt(dn), lambda, 1e-12);
    CHECK_CLOSE("G_i . delta = lambda ||G_i|| (exact)", rise, lambda * gn, 1e-12 * gn);
    double measured = pre_activation(&p, xd, i) - pre_activation(&p, x, i);
    CHECK_CLOSE("change of output-i pre-activation through the linear forward = lambda ||G_i||", measured,
                lambda * gn, 2e-5 * (1 + lambda * gn));

    double best = -INFINITY;
    for (int t = 0; t < SAMPLES; t++) {
      double u[N], un = 0.0, r = 0.0;
      for (int j = 0; j < N; j++) { u[j] = normal(); un += u[j] * u[j]; }
      for (int j = 0; j < N; j++) r += G[i * N + j] * lambda * u[j] / sqrt(un);
      if (r > best) best = r;
    }
    CHECK(best <= lambda * gn * (1 + 1e-12), "feature %d: a random direction raises pre-activation by %.9g, more "
          "than the analytic %.9g (by %.3g)", i, best, lambda * gn, best - lambda * gn);
    CHECK(best > 0.5 * lambda * gn, "feature %d: best random direction %.6g is far below the bound %.6g (the "
          "sampler or the bound is broken)", i, best, lambda * gn);
  }

  /* No superposition: W = first M basis rows, G = diag(1,..,1,0,..). */
  float E[N * M] = {0};
  for (int k = 0; k < M; k++) E[k * M + k] = 1;
  tms_metric_gram(G, E, N, M);
  for (int i = 0; i < N; i++) {
    double gn = 0.0;
    for (int j = 0; j < N; j++) gn += G[i * N + j] * G[i * N + j];
    CHECK_CLOSE("no superposition: ||G_i||", sqrt(gn), i < M ? 1.0 : 0.0, 1e-15);
    tms_attack_direction(delta, G, N, i, lambda);
    for (int j = 0; j < N; j++)
      CHECK_CLOSE("no superposition: delta = lambda e_i (0 for an unrepresented feature)", delta[j],
                  (i < M && j == i) ? lambda : 0.0, 1e-15);
  }
  return tms_check_finish("attack_direction");
}
