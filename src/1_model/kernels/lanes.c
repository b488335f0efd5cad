/* lanes: forward and backward of tiny models (n <= 64, m <= 16, n m <= 256) with 16 batch rows side by side in
 * one vector type (kernels_simd.h), for the unfused calls (evaluation, metrics, tests); the training step of the
 * smallest shapes runs fused (fused.c) with the same arithmetic.
 * Compiled once per instruction-set path (isa/isa_fn.h). */
#include "kernels_isa.h"
#include "kernels_simd.h"

/* For tiny n and m every per-row loop has a trip count of 1..5, so loop overhead, not arithmetic, sets the speed.
 * The lanes kernels instead transpose a block of TMS_LANES batch rows and run every operation across the block:
 * each innermost loop is "for l < TMS_LANES", a compile-time count over independent rows, which vectorises at any
 * SIMD width with the same result. Gradients keep one partial sum per lane and add the lanes in a fixed order at
 * the end, so results depend on (B, N, M) and the data only. A feature whose 16 x entries (and output gradients)
 * are all zero is skipped as a whole, which is where sparse data pays on this path. */


void TMS_ISA_FN(tms_forward_lanes)(float *h /* (B, M) */, float *out /* (B, N) */, const float *x /* (B, N) */,
                                     const float *W /* (N, M) */, const float *Wout /* (N, M) */,
                                     const float *bias /* (N) */, int B, int N, int M, int hidden_relu,
                                     int out_relu) {
  tms_vlane xt[TMS_LANES_MAX_N]; /* (N) x lanes */
  tms_vlane ht[TMS_LANES_MAX_M]; /* (M) x lanes */
  tms_vlane ot[TMS_LANES_MAX_N]; /* (N) x lanes */
  for (int b0 = 0; b0 < B; b0 += TMS_LANES) {
    const int rows = B - b0 < TMS_LANES ? B - b0 : TMS_LANES;
    lanes_load((float (*)[TMS_LANES])xt, x, b0, rows, N);
    for (int j = 0; j < M; j++) ht[j] = (tms_vlane){0};
    for (int i = 0; i < N; i++) {
      if (!lanes_any(&xt[i])) continue;
      const tms_vlane xi = xt[i];
      for (int j = 0; j < M; j++) ht[j] += xi * W[(size_t)i * M + j];
    }
    if (hidden_relu)
      for (int j = 0; j < M; j++) vmask_positive(&ht[j], &ht[j]);
    lanes_store(h, (float (*)[TMS_LANES])ht, b0, rows, M);
    for (int i = 0; i < N; i++) {
      tms_vlane o = (tms_vlane){0} + bias[i];
      for (int j = 0; j < M; j++) o += ht[j] * Wout[(size_t)i * M + j];
      if (out_relu) vmask_positive(&o, &o);
      ot[i] = o;
    }
    lanes_store(out, (float (*)[TMS_LANES])ot, b0, rows, N);
  }
}

/* dWout = dout^T h, dh = mask(dout Wout), dWin (+)= x^T dh, db = sum of dout; tied models pass dWin == dWout. */
void TMS_ISA_FN(tms_backward_lanes)(float *dWin /* (N, M) */, float *dWout /* (N, M) */, float *db /* (N) */,
                                      const float *dout /* (B, N) */, const float *h /* (B, M) */,
                                      const float *x /* (B, N) */, const float *Wout /* (N, M) */, int B, int N,
                                      int M, int hidden_relu) {
  tms_vlane gt[TMS_LANES_MAX_N];    /* (N) x lanes: dout */
  tms_vlane xt[TMS_LANES_MAX_N];    /* (N) x lanes */
  tms_vlane ht[TMS_LANES_MAX_M];    /* (M) x lanes */
  tms_vlane dht[TMS_LANES_MAX_M];   /* (M) x lanes */
  tms_vlane dbt[TMS_LANES_MAX_N];   /* (N) x lanes: partial sums of db */
  tms_vlane aout[TMS_LANES_MAX_NM]; /* (N*M) x lanes: partial sums of dWout */
  tms_vlane ain[TMS_LANES_MAX_NM];  /* (N*M) x lanes: partial sums of dWin (unused when tied) */
  const int tied = dWin == dWout;
  tms_vlane *acc_in = tied ? aout : ain;
  for (int i = 0; i < N; i++) dbt[i] = (tms_vlane){0};
  for (int k = 0; k < N * M; k++) aout[k] = ain[k] = (tms_vlane){0};
  for (int b0 = 0; b0 < B; b0 += TMS_LANES) {
    const int rows = B - b0 < TMS_LANES ? B - b0 : TMS_LANES;
    lanes_load((float (*)[TMS_LANES])gt, dout, b0, rows, N);
    lanes_load((float (*)[TMS_LANES])xt, x, b0, rows, N);
    lanes_load((float (*)[TMS_LANES])ht, h, b0, rows, M);
    for (int j = 0; j < M; j++) dht[j] = (tms_vlane){0};
    for (int i = 0; i < N; i++) {
      if (!lanes_any(&gt[i])) continue;
      const tms_vlane g = gt[i];
      dbt[i] += g;
      for (int j = 0; j < M; j++) {
        dht[j] += g * Wout[(size_t)i * M + j];
        aout[i * M + j] += g * ht[j];
      }
    }
    if (hidden_relu)
      for (int j = 0; j < M; j++) vmask_positive(&dht[j], &ht[j]);
    for (int i = 0; i < N; i++) {
      if (!lanes_any(&xt[i])) continue;
      const tms_vlane xi = xt[i];
      for (int j = 0; j < M; j++) acc_in[i * M + j] += xi * dht[j];
    }
  }
  for (int i = 0; i < N; i++) db[i] = vsum(&dbt[i]);
  for (int k = 0; k < N * M; k++) {
    dWout[k] = vsum(&aout[k]);
    if (!tied) dWin[k] = vsum(&ain[k]);
  }
}
