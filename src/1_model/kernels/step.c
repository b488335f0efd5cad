/* step: the training step's dispatch, tms_model_step (kernels.h): which implementation computes one step's batch,
 * loss and gradient for a shape. Kept to one small function on purpose, so every path is visible here:
 *   fused   tiny and small models (fused_fits below): batch drawn into registers and the whole step in one pass
 *           (fused.c for the lanes shapes, fused_mid.c up to 20x5);
 *   large   the large-shape path's fused step (kernels_large_step.c): same bits as the unfused calls;
 *   unfused everything else: tms_data_sample into x, then tms_model_forward / tms_model_loss / tms_model_backward
 *           (which take the lanes, cblas or large-shape kernels, kernels_path.h).
 * A fused step for another shape range is one more branch here, before "unfused", with the same contract.
 * Invariant: every path leaves gen's counter where tms_data_sample leaves it, and computes the gradient of the
 * loss on the batch tms_data_sample would have drawn, so paths differ at most in float32 summation order. */
#include "fused.h"
#include "kernels_path.h"
#include "kernels/kernels.h"
#include "kernels/kernels_large.h"

/* Fused: the independent-feature law only (no correlated sets in play) and shapes whose accumulators fit
 * (fused.h): fused.c's loop where the lanes path is the AUTO choice (kernels_path.h: n <= 8, n m <= 24), fused_mid.c's
 * above that up to m <= 5 and n m <= 100. Forcing any kernels path turns fusion off. Measured against the cblas
 * step (B = 1024, relu_out, step + AdamW, best of 60 x 50 calls, AVX-512 / AVX2 paths, loaded machine): 20x5
 * 43 -> 23 / 58 -> 31 us, 10x4 25 -> 19 / 30 -> 19 us, 9x1 19 -> 8 / 26 -> 13 us; but 16x8 32 -> 40 / 39 -> 55 us
 * and 32x4 46 -> 54 us (AVX-512): wider models stay on cblas. */
#define TMS_FUSED_MID_MAX_M 5
#define TMS_FUSED_MID_MAX_NM 100
static int fused_fits(const tms_data_gen *gen, int N, int M) {
  if (tms_kernels_force_path != TMS_KERNELS_AUTO) return 0;
  if (gen->correlated_sets > 0 && gen->strength_threshold > 0) return 0;
  if (gen->n_features != N || N > TMS_FUSED_MAX_N || M > TMS_FUSED_MAX_M || N * M > TMS_FUSED_MAX_NM) return 0;
  return tms_kernels_choose_path(N, M) == TMS_KERNELS_LANES ||
         (M <= TMS_FUSED_MID_MAX_M && N * M <= TMS_FUSED_MID_MAX_NM);
}

/* The tiny shapes fused_mid.c has a specialised call for (relu_out 5x2): its native-vector sub-blocks with the weights
 * as whole vectors beat fused.c's 16-row blocks there (160,000-step runs, user CPU, alternated x3, core 1, load 2-4:
 * AVX2 1.13 -> 0.95 s, AVX-512 0.60-0.65 -> 0.51-0.52 s at densities 1 and 0.02); at 2x1 they did not (AVX-512
 * density 0.02, 80,000 steps: 0.12 -> 0.16 s). Same bits either way (both are the lanes kernels' gradient). */
static int mid_takes_tiny(const tms_fused_args *f) {
  return f->N == 5 && f->M == 2 && !f->hidden_relu && f->out_relu && f->tied && !f->symmetric;
}

double tms_model_step(tms_variant variant, tms_params *grad, tms_acts *acts, float *x /* (B, N) */,
                      tms_data_gen *gen, const float *importance /* (N) */, const tms_params *p, int B) {
  const int N = p->n, M = p->m;
  if (fused_fits(gen, N, M)) {
    const int abs_model = variant == TMS_ABS;
    const tms_fused_args f = {
        .B = B, .N = N, .M = M, .hidden_relu = variant == TMS_RELU_HIDDEN || abs_model,
        .out_relu = variant != TMS_LINEAR, .tied = !abs_model, .symmetric = gen->symmetric, .W = p->W,
        .Wout = abs_model ? p->W2 : p->W, .bias = p->b, .importance = importance,
        .scale = (float)(2.0 / ((double)B * (double)N)), .key = gen->rng.key, .c0 = gen->rng.counter,
        .threshold = gen->threshold, .dWin = grad->W, .dWout = abs_model ? grad->W2 : grad->W, .db = grad->b};
    const double loss = tms_kernels_choose_path(N, M) == TMS_KERNELS_LANES && !mid_takes_tiny(&f)
                            ? TMS_ISA_CALL(tms_fused_step, &f)
                            : TMS_ISA_CALL(tms_fused_step_mid, &f);
    gen->rng.counter += (uint64_t)B * (uint64_t)N; /* as tms_data_sample without set draws */
    return loss;
  }
  if (tms_kernels_choose_path(N, M) == TMS_KERNELS_LARGE && tms_large_step_fits(gen, N, M))
    return TMS_ISA_CALL(tms_large_step, variant, grad, acts, x, gen, importance, p, B); /* kernels_large_step.c */
  tms_data_sample(gen, x, B);
  tms_model_forward(variant, acts, x, p, B);
  const double loss = tms_model_loss(variant, acts, x, importance, B, N);
  tms_model_backward(variant, grad, acts, x, p, B);
  return loss;
}
