/* kernels_large: the dispatch of the large-shape path (kernels_large.h) and its dense formulations.
 * Per batch, forward counts the nonzeros of x (building its CSR on the way, stopping early when x is too dense to
 * gain), then takes for h = x W the sparse embed or sgemm, and for the read-out the Gram gather or h W^T by sgemm;
 * backward counts the nonzeros of dout (stopping early likewise) and takes the dout-sparse loops or two sgemm for
 * dWout and dh, and the sparse embed or sgemm for x^T dh. The dense formulations are the GEMM path's calls,
 * bitwise (same sgemm calls, same bias-gradient order), on the generic path; on the vector paths the four products
 * with a side of M go to tms_skinny_gemm (kernels_large_gemm.c) and the read-out h W^T + b to tms_readout_rows
 * (kernels_large_readout.c; other bits, kernels_large.h).
 * The rules compare operation counts with weights measured on the project machine (bench/README.md, "large
 * shapes"): they depend on counts and the shape only, so results never depend on timing. */
#include <cblas.h>
#include <string.h>

#include "kernels/kernels_large.h"

/* Compiled once per instruction-set path (CMake tms_isa_variants); the state below and the scratch size exist once,
 * in the generic build. */
#if !defined(TMS_ISA_BUILD_AVX2) && !defined(TMS_ISA_BUILD_AVX512)
tms_large_force tms_large_forced = TMS_LARGE_AUTO;
long tms_large_dout_block_bytes = 0;
tms_large_choice tms_large_last;
#endif

/* The rules. A sparse formulation costs about WEIGHT x (its multiply-adds) in units of an sgemm multiply-add
 * (their loops run at a fraction of sgemm's rate: index handling, short M-long vectors, scattered rows). */
#ifndef TMS_LARGE_EMBED_WEIGHT
#define TMS_LARGE_EMBED_WEIGHT 8.0  /* h = x W over nonzeros, per nonzero * M (x^T dh alike): sparse up to 1/8 nonzero */
#endif
#ifndef TMS_LARGE_GRAM_WEIGHT
#define TMS_LARGE_GRAM_WEIGHT 3.0   /* the Gram gather, per nonzero * N; ssyrk counts N^2 M / 2 at weight 1 */
#endif
#ifndef TMS_LARGE_DOUT_WEIGHT
#define TMS_LARGE_DOUT_WEIGHT 10.0  /* dout-sparse, per nonzero * 2 M, against the 2 B N M of the two sgemm */
#endif

#if !defined(TMS_ISA_BUILD_AVX2) && !defined(TMS_ISA_BUILD_AVX512)
size_t tms_large_scratch_floats(int B, int N, int M) {
  if ((long)N * M < TMS_LARGE_MIN_NM) return 0;
  /* tms_large_views (kernels_large.h): the flag, two CSRs of (B, N) arrays and their values, G or the padded
   * copies, two rows */
  return 1 + 2 * (1 + (size_t)B + (size_t)B * N) + 2 * (size_t)B * N + 2 * TMS_LARGE_SLACK + tms_large_g_floats(B, N) +
         2 * (size_t)N + 16 + (size_t)N / 16 + 1;
}

/* Most nonzeros of x for which the sparse embed beats sgemm: WEIGHT * nnz * M < B N M. */
long tms_large_embed_limit(int B, int N) {
  const tms_large_force f = tms_large_forced;
  return f == TMS_LARGE_DENSE ? -1 : f == TMS_LARGE_AUTO ? (long)((double)B * N / TMS_LARGE_EMBED_WEIGHT)
                                                         : (long)B * N;
}

long tms_large_dout_limit(int B, int N) {
  const tms_large_force f = tms_large_forced;
  return f == TMS_LARGE_DENSE ? -1 : f == TMS_LARGE_AUTO ? (long)((double)B * N / TMS_LARGE_DOUT_WEIGHT)
                                                         : (long)B * N;
}
#endif

/* Whether the Gram read-out beats h W^T: N^2 M / 2 + WEIGHT * nnz * N < B N M. */
static int gram_pays(long nnz, int B, int N, int M) {
  return 0.5 * N * (double)N * M + TMS_LARGE_GRAM_WEIGHT * (double)nnz * N < (double)B * N * M;
}

/* ---- dense formulations: the GEMM path's calls ------------------------------------------------------------------ */

/* out (B, N) = h W^T + b by sgemm: b in every row, by doubling copies, then out += h W^T (the GEMM path's call). */
static void dense_readout_sgemm(float *out /* (B, N) */, const float *h /* (B, M) */, const float *Wout /* (N, M) */,
                                const float *bias /* (N) */, int B, int N, int M) {
  memcpy(out, bias, sizeof(float) * (size_t)N);
  for (size_t done = 1; done < (size_t)B;) {
    const size_t rows = done < (size_t)B - done ? done : (size_t)B - done;
    memcpy(out + done * N, out, sizeof(float) * rows * N);
    done += rows;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, M, 1.0f, h, M, Wout, M, 1.0f, out, N);
}

void TMS_ISA_FN(tms_large_dense_readout)(float *out /* (B, N) */, const float *h /* (B, M) */,
                                         const float *Wout /* (N, M) */, const float *bias /* (N) */, int B, int N,
                                         int M, int relu, float *work /* (N M) */) {
  if (TMS_READOUT_TILED && M <= TMS_READOUT_MAX_M) { /* the vector builds: kernels_large_readout.c */
    TMS_ISA_FN(tms_readout_transpose)(work, Wout, N, M);
    TMS_ISA_FN(tms_readout_rows)(out, h, work, bias, B, N, M);
  } else {
    dense_readout_sgemm(out, h, Wout, bias, B, N, M);
  }
  if (relu) {
    const size_t count = (size_t)B * N;
    for (size_t k = 0; k < count; k++) out[k] = out[k] > 0.0f ? out[k] : 0.0f;
  }
}

/* db = column sums of dout, row by row (the GEMM path's order for N > 64). */
static void bias_backward(float *restrict db /* (N) */, const float *restrict dout /* (B, N) */, int B, int N) {
  memset(db, 0, sizeof(float) * (size_t)N);
  for (int b = 0; b < B; b++) {
    const float *gb = dout + (size_t)b * N; /* (N) */
    for (int i = 0; i < N; i++) db[i] += gb[i];
  }
}

/* ---- the dispatch ------------------------------------------------------------------------------------------------ */

int TMS_ISA_FN(tms_large_embed)(tms_variant variant, tms_acts *acts, const float *x /* (B, N) */,
                                const tms_params *p, int B, long nnz) {
  const int N = p->n, M = p->m;
  const int hidden_relu = variant == TMS_RELU_HIDDEN || variant == TMS_ABS;
  const tms_large_force f = tms_large_forced;
  tms_large_scratch s = tms_large_views(acts->large, B, N);
  *s.nnz_x = nnz < 0 ? -1 : 0; /* backward's flag: CSR valid */
  const int sparse = nnz >= 0;
  const int gram = sparse && !hidden_relu && variant != TMS_ABS &&
                   (f == TMS_LARGE_GRAM || (f == TMS_LARGE_AUTO && gram_pays(nnz, B, N, M)));
  tms_large_last.nnz_x = nnz;
  tms_large_last.embed_sparse = sparse;
  tms_large_last.gram = gram;
  if (sparse)
    TMS_ISA_FN(tms_sparse_embed_forward)(acts->h, &s.csr, x, p->W, s.G, B, N, M); /* G is free here */
  else
    TMS_ISA_FN(tms_skinny_gemm)(acts->h, x, (size_t)N, 1, p->W, B, N, M, 0);
  if (hidden_relu) {
    const size_t count = (size_t)B * M;
    for (size_t k = 0; k < count; k++) acts->h[k] = acts->h[k] > 0.0f ? acts->h[k] : 0.0f;
  }
  return gram;
}

void TMS_ISA_FN(tms_large_forward)(tms_variant variant, tms_acts *acts, const float *x /* (B, N) */,
                                   const tms_params *p, int B) {
  const int N = p->n, M = p->m;
  const float *Wout = variant == TMS_ABS ? p->W2 : p->W; /* (N, M) */
  tms_large_scratch s = tms_large_views(acts->large, B, N);
  const long limit = tms_large_embed_limit(B, N);
  const long nnz = limit < 0 ? -1 : TMS_ISA_FN(tms_csr_build)(&s.csr, x, B, N, limit);
  if (TMS_ISA_FN(tms_large_embed)(variant, acts, x, p, B, nnz))
    TMS_ISA_FN(tms_gram_readout_forward)(acts->out, s.G, &s.csr, x, p->W, p->b, B, N, M,
                                         variant != TMS_LINEAR);
  else
    TMS_ISA_FN(tms_large_dense_readout)(acts->out, acts->h, Wout, p->b, B, N, M, variant != TMS_LINEAR, s.G);
}

void TMS_ISA_FN(tms_large_backward_from_dout)(tms_variant variant, tms_params *grad, tms_acts *acts,
                                              const float *x /* (B, N) */, const tms_params *p, int B,
                                              long nnz_dout) {
  const int N = p->n, M = p->m;
  const int hidden_relu = variant == TMS_RELU_HIDDEN || variant == TMS_ABS;
  const float *Wout = variant == TMS_ABS ? p->W2 : p->W;  /* (N, M) */
  float *dWout = variant == TMS_ABS ? grad->W2 : grad->W; /* (N, M) */
  tms_large_scratch s = tms_large_views(acts->large, B, N);
  tms_large_last.nnz_dout = nnz_dout;
  tms_large_last.dout_sparse = nnz_dout >= 0;
  if (nnz_dout >= 0) {
    TMS_ISA_FN(tms_sparse_readout_backward)(dWout, acts->dh, &s.dcsr, acts->dout, acts->h, Wout, s.G, B, N, M);
  } else {
    TMS_ISA_FN(tms_skinny_gemm)(dWout, acts->dout, 1, (size_t)N, acts->h, N, B, M, 0);
    TMS_ISA_FN(tms_skinny_gemm)(acts->dh, acts->dout, (size_t)N, 1, Wout, B, N, M, 0);
  }
  if (hidden_relu) {
    /* h = ReLU(x W): the hidden gradient passes only where h > 0 (gradient 0 at 0, as PyTorch). */
    const size_t count = (size_t)B * M;
    for (size_t k = 0; k < count; k++) acts->dh[k] = acts->h[k] > 0.0f ? acts->dh[k] : 0.0f;
  }
  /* Tied models add the read-in path to the read-out path already in grad->W; abs writes W1's gradient afresh. */
  const int accumulate = variant != TMS_ABS;
  if (*s.nnz_x >= 0) {
    if (!accumulate) memset(grad->W, 0, sizeof(float) * (size_t)N * M);
    TMS_ISA_FN(tms_sparse_embed_backward)(grad->W, &s.csr, x, acts->dh, s.G, B, N, M);
  } else {
    TMS_ISA_FN(tms_skinny_gemm)(grad->W, x, 1, (size_t)N, acts->dh, N, B, M, accumulate);
  }
}

void TMS_ISA_FN(tms_large_backward)(tms_variant variant, tms_params *grad, tms_acts *acts,
                                    const float *x /* (B, N) */, const tms_params *p, int B) {
  const int N = p->n;
  tms_large_scratch s = tms_large_views(acts->large, B, N);
  const long limit = tms_large_dout_limit(B, N);
  const long nnz = limit < 0 ? -1 : TMS_ISA_FN(tms_csr_build)(&s.dcsr, acts->dout, B, N, limit);
  bias_backward(grad->b, acts->dout, B, N);
  TMS_ISA_FN(tms_large_backward_from_dout)(variant, grad, acts, x, p, B, nnz);
}
