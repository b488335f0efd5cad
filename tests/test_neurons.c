/* neurons_classify_rescale: mono/poly neurons on a constructed W (analysis/SCIENCE.md 4.9), and the M4 rescaling leaves the
 * abs model's output unchanged on a batch (through the real forward kernel). */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/kernels.h"
#include "metrics/neurons.h"

static unsigned long long state = 0x2545f4914f6cdd1dULL;
static double uniform(void) { /* test-local LCG */
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((double)(state >> 11) + 0.5) / 9007199254740992.0;
}

static void classify_cases(void) {
  enum { N = 5, M = 5 };
  /* Columns = neurons. k0: one feature plus noise below 10% (mono). k1: three features >= 10% (poly, 3).
   * k2: dead (all 0). k3: exactly at the 10% threshold counts (poly, 2); negative weights count by |w|.
   * k4: tiny column (below 1e-6 of the largest weight in W): dead, not a monosemantic neuron. */
  const float W[N * M] = {
      /*        k0     k1     k2   k3     k4 */
      /* f0 */ 1.0f,  0.5f,  0,   -2.0f, 1e-8f,
      /* f1 */ 0.09f, -0.4f, 0,   0.2f,  0,
      /* f2 */ 0,     0.04f, 0,   0.19f, 0,
      /* f3 */ -0.05f, 0.2f, 0,   0,     0,
      /* f4 */ 0,     0,     0,   0,     0,
  };
  int poly[M], count[M];
  tms_neurons_classify(poly, count, W, N, M, 0.1);
  const int want_count[M] = {1, 3, 0, 2, 0}, want_poly[M] = {0, 1, 0, 1, 0};
  for (int k = 0; k < M; k++) {
    CHECK(count[k] == want_count[k], "neuron %d: features_per_neuron %d, want %d", k, count[k], want_count[k]);
    CHECK(poly[k] == want_poly[k], "neuron %d: polysemantic %d, want %d", k, poly[k], want_poly[k]);
  }
  /* A stricter threshold (cut 0.25 for k1: only 0.5 and 0.4 pass; 1.0 for k3: only 2.0). */
  tms_neurons_classify(poly, count, W, N, M, 0.5);
  CHECK(count[1] == 2, "neuron 1 at rel_threshold 0.5: %d features, want 2", count[1]);
  CHECK(count[3] == 1 && !poly[3], "neuron 3 at rel_threshold 0.5: %d features, want 1 (mono)", count[3]);
}

static void rescale_keeps_output(void) {
  enum { N = 7, M = 6, B = 64 };
  float W1[N * M], W2[N * M], b[N], W1s[N * M], W2s[N * M], x[B * N];
  for (int k = 0; k < N * M; k++) {
    W1[k] = (float)(3 * (uniform() - 0.5));
    W2[k] = (float)(3 * (uniform() - 0.5));
  }
  for (int i = 0; i < N; i++) {
    W1[i * M + 5] = 0; /* neuron 5 dead: must be copied, not divided by 0 */
    b[i] = (float)(0.2 * (uniform() - 0.5));
  }
  for (int k = 0; k < B * N; k++) x[k] = uniform() < 0.4 ? (float)(2 * uniform() - 1) : 0.0f; /* abs data */
  tms_neurons_rescale(W1s, W2s, W1, W2, N, M);

  for (int k = 0; k < M; k++) {
    double mx = 0.0;
    for (int i = 0; i < N; i++) mx = fmax(mx, fabs(W1s[i * M + k]));
    CHECK_CLOSE(k == 5 ? "dead neuron stays 0" : "rescaled neuron: max |W1s| = 1", mx, k == 5 ? 0.0 : 1.0, 1e-7);
  }
  for (int i = 0; i < N; i++)
    CHECK(W2s[i * M + 5] == W2[i * M + 5], "dead neuron's W2 copied: %g vs %g", W2s[i * M + 5], W2[i * M + 5]);

  float *mem1 = malloc(tms_acts_floats(B, N, M) * sizeof(float));
  float *mem2 = malloc(tms_acts_floats(B, N, M) * sizeof(float));
  if (!mem1 || !mem2) {
    CHECK(0, "no memory for activations");
    free(mem1);
    free(mem2);
    return;
  }
  tms_acts a1, a2;
  tms_acts_bind(&a1, mem1, B, N, M);
  tms_acts_bind(&a2, mem2, B, N, M);
  tms_params p = {N, M, W1, W2, b}, ps = {N, M, W1s, W2s, b};
  tms_model_forward(TMS_ABS, &a1, x, &p, B);
  tms_model_forward(TMS_ABS, &a2, x, &ps, B);
  CHECK_ARRAY_CLOSE("abs model output after rescaling (alpha, 1/alpha)", a2.out, a1.out, (size_t)B * N, 1e-5);
  double nonzero = 0;
  for (int k = 0; k < B * N; k++) nonzero += a1.out[k] != 0.0f;
  CHECK(nonzero > B * N / 10, "the batch exercises the model: only %g of %d outputs are nonzero", nonzero, B * N);
  free(mem1);
  free(mem2);
}

int main(void) {
  classify_cases();
  rescale_keeps_output();
  return tms_check_finish("neurons_classify_rescale");
}
