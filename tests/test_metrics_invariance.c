/* metrics_invariance (oracle O7): relu_out has no privileged basis, so rotating the hidden space (W -> W O, O
 * orthogonal; the paper's W -> O W) leaves its loss and every metric built from G unchanged. relu_hidden and abs do
 * have one: a generic rotation changes their loss, but a permutation of hidden units does not, nor (abs) a positive
 * per-unit rescaling W1[:,k] * alpha_k, W2[:,k] / alpha_k. Losses go through the real kernels on one fixed batch. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/kernels.h"
#include "metrics/metrics.h"

enum { N = 12, M = 4, B = 256 };
static const double REL = 1e-5;

static unsigned long long state = 0xd1b54a32d192ed03ULL;
static double uniform(void) { /* test-local LCG */
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((double)(state >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(void) { return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform()); }

/* Random orthogonal (M, M): Gram-Schmidt (twice, for float-level orthogonality) on a normal matrix's rows. */
static void random_orthogonal(double *O /* (M, M) */) {
  for (int k = 0; k < M * M; k++) O[k] = normal();
  for (int pass = 0; pass < 2; pass++)
    for (int r = 0; r < M; r++) {
      for (int q = 0; q < r; q++) {
        double d = 0;
        for (int k = 0; k < M; k++) d += O[r * M + k] * O[q * M + k];
        for (int k = 0; k < M; k++) O[r * M + k] -= d * O[q * M + k];
      }
      double nn = 0;
      for (int k = 0; k < M; k++) nn += O[r * M + k] * O[r * M + k];
      for (int k = 0; k < M; k++) O[r * M + k] /= sqrt(nn);
    }
}

static void rotate(float *out /* (N, M) */, const float *W /* (N, M) */, const double *O /* (M, M) */) {
  for (int i = 0; i < N; i++)
    for (int k = 0; k < M; k++) {
      double s = 0;
      for (int q = 0; q < M; q++) s += (double)W[i * M + q] * O[q * M + k];
      out[i * M + k] = (float)s;
    }
}

static float acts_mem[2 * B * M + 2 * B * N];

static double loss_of(tms_variant v, const tms_params *p, const float *x, const float *importance, float *out_copy) {
  tms_acts acts;
  tms_acts_bind(&acts, acts_mem, B, N, M);
  acts.dout = NULL;
  tms_model_forward(v, &acts, x, p, B);
  if (out_copy)
    for (int k = 0; k < B * N; k++) out_copy[k] = acts.out[k];
  return tms_model_loss(v, &acts, x, importance, B, N);
}

static void close_rel(const char *what, double got, double want) {
  CHECK_CLOSE(what, got, want, REL * (fabs(want) > 1e-3 ? fabs(want) : 1e-3));
}

/* Metrics: norms, s_i, D_i, D*, G of W and of its rotation WO agree. */
static void check_metrics(const float *W, const float *WO) {
  double n1[N], s1[N], D1[N], n2[N], s2[N], D2[N], d1, d2, G1[N * N], G2[N * N];
  tms_metric_point(n1, s1, D1, &d1, W, N, M);
  tms_metric_point(n2, s2, D2, &d2, WO, N, M);
  for (int i = 0; i < N; i++) {
    close_rel("||W_i|| under rotation", n2[i], n1[i]);
    close_rel("s_i under rotation", s2[i], s1[i]);
    close_rel("D_i under rotation", D2[i], D1[i]);
  }
  close_rel("D* under rotation", d2, d1);
  tms_metric_gram(G1, W, N, M);
  tms_metric_gram(G2, WO, N, M);
  double gmax = 0, gworst = 0;
  for (int k = 0; k < N * N; k++) {
    gmax = fmax(gmax, fabs(G1[k]));
    gworst = fmax(gworst, fabs(G2[k] - G1[k]));
  }
  CHECK(gworst <= REL * gmax, "G under rotation: worst |diff| %.3g > %.1e x max|G| %.4g", gworst, REL, gmax);
}

int main(void) {
  CHECK(tms_acts_floats(B, N, M) <= sizeof acts_mem / sizeof acts_mem[0], "acts fit the static buffer");
  float W[N * M], WO[N * M], W2[N * M], b[N], x[B * N], xs[B * N], importance[N];
  double O[M * M];
  for (int k = 0; k < N * M; k++) {
    W[k] = (float)(0.6 * normal());
    W2[k] = (float)(0.6 * normal());
  }
  for (int i = 0; i < N; i++) {
    b[i] = (float)(0.1 * normal());
    importance[i] = (float)pow(0.9, i);
  }
  for (int k = 0; k < B * N; k++) {
    int on = uniform() < 0.3;
    double u = uniform();
    x[k] = on ? (float)u : 0.0f;                /* U[0,1] data */
    xs[k] = on ? (float)(2 * u - 1) : 0.0f;     /* U[-1,1] data of abs */
  }
  random_orthogonal(O);
  rotate(WO, W, O);

  check_metrics(W, WO);

  /* relu_out (and linear): loss unchanged. */
  tms_params p = {N, M, W, NULL, b}, pO = {N, M, WO, NULL, b};
  double l_out = loss_of(TMS_RELU_OUT, &p, x, importance, NULL);
  double l_out_O = loss_of(TMS_RELU_OUT, &pO, x, importance, NULL);
  close_rel("relu_out loss under rotation", l_out_O, l_out);
  close_rel("linear loss under rotation", loss_of(TMS_LINEAR, &pO, x, importance, NULL),
            loss_of(TMS_LINEAR, &p, x, importance, NULL));

  /* relu_hidden: a generic rotation changes the loss; a permutation of hidden units does not. */
  double l_hid = loss_of(TMS_RELU_HIDDEN, &p, x, importance, NULL);
  double l_hid_O = loss_of(TMS_RELU_HIDDEN, &pO, x, importance, NULL);
  CHECK(fabs(l_hid_O - l_hid) > 1e-3 * l_hid, "relu_hidden loss must change under a generic rotation: %.9g vs "
        "%.9g (relative change %.3g <= 1e-3)", l_hid_O, l_hid, fabs(l_hid_O - l_hid) / l_hid);
  static const int perm[M] = {2, 0, 3, 1};
  float WP[N * M], W2P[N * M];
  for (int i = 0; i < N; i++)
    for (int k = 0; k < M; k++) {
      WP[i * M + k] = W[i * M + perm[k]];
      W2P[i * M + k] = W2[i * M + perm[k]];
    }
  tms_params pP = {N, M, WP, NULL, b};
  close_rel("relu_hidden loss under a permutation of hidden units",
            loss_of(TMS_RELU_HIDDEN, &pP, x, importance, NULL), l_hid);

  /* abs: permutation and per-unit positive rescaling keep the output; a generic rotation does not. */
  float Ws[N * M], W2s[N * M], W1O[N * M], W2O[N * M];
  static float out_a[B * N], out_b[B * N];
  for (int k = 0; k < M; k++) {
    double alpha = 0.25 + 3.0 * uniform();
    for (int i = 0; i < N; i++) {
      Ws[i * M + k] = (float)(W[i * M + k] * alpha);
      W2s[i * M + k] = (float)(W2[i * M + k] / alpha);
    }
  }
  tms_params pa = {N, M, W, W2, b}, pas = {N, M, Ws, W2s, b}, paP = {N, M, WP, W2P, b};
  double l_abs = loss_of(TMS_ABS, &pa, xs, importance, out_a);
  loss_of(TMS_ABS, &pas, xs, importance, out_b);
  CHECK_ARRAY_CLOSE("abs output under per-unit rescaling (alpha, 1/alpha)", out_b, out_a, (size_t)B * N, REL);
  loss_of(TMS_ABS, &paP, xs, importance, out_b);
  CHECK_ARRAY_CLOSE("abs output under a permutation of hidden units", out_b, out_a, (size_t)B * N, REL);
  rotate(W1O, W, O);
  rotate(W2O, W2, O);
  tms_params paO = {N, M, W1O, W2O, b};
  double l_abs_O = loss_of(TMS_ABS, &paO, xs, importance, NULL);
  CHECK(fabs(l_abs_O - l_abs) > 1e-3 * l_abs, "abs loss must change under a generic rotation: %.9g vs %.9g",
        l_abs_O, l_abs);
  return tms_check_finish("metrics_invariance");
}
