/* row_losses: the evaluation pass's dispatch, tms_model_eval_rows (kernels.h): whether the row losses of a set of
 * models and their group statistics can come from the fused evaluation kernel (fused_eval.c) for this shape and law.
 * Taken only where it gives the unfused pass's bits: independent features (no correlated-set draws), no forced
 * kernels path, and shapes whose AUTO forward is the lanes kernels' (kernels.c: n <= 8, n m <= 24); wider shapes
 * keep tms_data_sample + tms_model_forward (their cblas forward sums in OpenBLAS's order, which a fused pass would
 * not reproduce). Invariant: gen's counter advances exactly as tms_data_sample's would. */
#include "fused_eval.h"
#include "kernels_path.h"
#include "kernels/kernels.h"

static int eval_fused_fits(const tms_data_gen *gen, int N, int M) {
  if (tms_kernels_force_path != TMS_KERNELS_AUTO) return 0;
  if (gen->correlated_sets > 0 && gen->strength_threshold > 0) return 0;
  if (gen->n_features != N || N > TMS_EVAL_FUSED_MAX_N || M > TMS_EVAL_FUSED_MAX_M) return 0;
  return tms_kernels_choose_path(N, M) == TMS_KERNELS_LANES;
}

int tms_model_eval_rows(tms_variant variant, tms_data_gen *gen, const tms_params *ps /* (K) */,
                        const float *const *importance /* (K) x (N) */, int K, int B, double *gm, double *gq,
                        double *tail, double *scratch) {
  if (K < 1 || B < 1) return -1;
  const int N = ps[0].n, M = ps[0].m;
  if (!eval_fused_fits(gen, N, M)) return -1;
  enum { MAX_K = 64 };
  tms_eval_model models[MAX_K];
  const int abs_model = variant == TMS_ABS, groups = (B + TMS_EVAL_GROUP - 1) / TMS_EVAL_GROUP;
  tms_eval_args a = {.B = B, .N = N, .M = M, .K = 0, .hidden_relu = variant == TMS_RELU_HIDDEN || abs_model,
                     .out_relu = variant != TMS_LINEAR, .symmetric = gen->symmetric, .key = gen->rng.key,
                     .c0 = gen->rng.counter, .threshold = gen->threshold, .models = models, .groups = groups,
                     .scratch = scratch};
  int done = 0;
  for (int k0 = 0; k0 < K; k0 += MAX_K) { /* every slice draws the same rows again (same counters) */
    a.K = K - k0 < MAX_K ? K - k0 : MAX_K;
    for (int k = 0; k < a.K; k++) {
      const tms_params *p = &ps[k0 + k];
      models[k] = (tms_eval_model){p->W, abs_model ? p->W2 : p->W, p->b, importance[k0 + k]};
    }
    a.gm = gm + (size_t)k0 * (size_t)groups, a.gq = gq + (size_t)k0 * (size_t)groups;
    a.tail = tail + (size_t)k0 * (size_t)B;
    done = TMS_ISA_CALL(tms_fused_eval, &a);
  }
  gen->rng.counter += (uint64_t)B * (uint64_t)N; /* as tms_data_sample without set draws */
  return done;
}
