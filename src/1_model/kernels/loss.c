/* loss: the importance-weighted squared error of every model and its gradient at the output pre-activation.
 * Compiled once per instruction-set path (isa/isa_fn.h); the sum's order is fixed by (B, N) alone. */
#include <math.h>

#include "kernels_isa.h"
#include "kernels_simd.h"

/* Loss terms are accumulated in eight double lanes and summed in a fixed order at the end: the lanes break the
 * dependency chain of one running sum and vectorise, and the order depends only on (B, N), never on the data.
 * Narrow models (N <= 64) walk the batch in chunks of G whole rows, G*N a multiple of 8, against the importance
 * repeated G times, so the loop is flat and long however small N is (a per-row loop of length 2 is all overhead). */
double TMS_ISA_FN(tms_loss)(tms_variant variant, const tms_acts *acts, const float *x /* (B, N) */,
                      const float *importance /* (N) */, int B, int N) {
  double lane[8] = {0};
  const int masked = variant != TMS_LINEAR;
  const float scale = (float)(2.0 / ((double)B * (double)N)); /* d mean / d term, times the 2 of the square */
  const float *out = acts->out; /* (B, N) */
  float *dout = acts->dout;     /* (B, N) or NULL */
  int b = 0;
  if (N <= TMS_LOSS_FLAT_MAX_N) {
    float rep[8 * TMS_LOSS_FLAT_MAX_N + 64]; /* (G*N): importance repeated G times */
    const int G = 8 * ((64 + 8 * N - 1) / (8 * N));
    const int len = G * N;
    for (int k = 0; k < len; k++) rep[k] = importance[k % N];
    for (; b + G <= B; b += G) {
      const float *xc = x + (size_t)b * N;  /* (G*N) */
      const float *oc = out + (size_t)b * N; /* (G*N) */
      for (int k0 = 0; k0 < len; k0 += 8) {
        float t[8]; /* the squared errors in float32 (vectorises), summed in double */
        for (int l = 0; l < 8; l++) {
          const float d = oc[k0 + l] - fabsf(xc[k0 + l]);
          t[l] = rep[k0 + l] * d * d;
        }
        for (int l = 0; l < 8; l++) lane[l] += (double)t[l];
      }
      if (dout) {
        float *gc = dout + (size_t)b * N; /* (G*N) */
        for (int k = 0; k < len; k++) {
          const float g = scale * rep[k] * (oc[k] - fabsf(xc[k]));
          /* ReLU output: out > 0 exactly where the pre-activation is; PyTorch's ReLU has gradient 0 at 0. */
          gc[k] = masked && !(oc[k] > 0.0f) ? 0.0f : g;
        }
      }
    }
  }
  for (; b < B; b++) {
    const float *xb = x + (size_t)b * N;   /* (N) */
    const float *ob = out + (size_t)b * N; /* (N) */
    int i = 0;
    for (; i + 8 <= N; i += 8) {
      float t[8];
      for (int l = 0; l < 8; l++) {
        const float d = ob[i + l] - fabsf(xb[i + l]);
        t[l] = importance[i + l] * d * d;
      }
      for (int l = 0; l < 8; l++) lane[l] += (double)t[l];
    }
    for (; i < N; i++) {
      const float d = ob[i] - fabsf(xb[i]);
      lane[i & 7] += (double)(importance[i] * d * d);
    }
    if (dout) {
      float *gb = dout + (size_t)b * N; /* (N) */
      for (int k = 0; k < N; k++) {
        const float g = scale * importance[k] * (ob[k] - fabsf(xb[k]));
        gb[k] = masked && !(ob[k] > 0.0f) ? 0.0f : g;
      }
    }
  }
  const double total = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  return total / ((double)B * (double)N);
}
