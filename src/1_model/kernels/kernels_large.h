/* kernels_large: the large-shape path of the kernels (n*m >= TMS_LARGE_MIN_NM: the 200x20 and 400x30 models of E3
 * and E7), internal to the kernels module, its tests and benchmarks.
 * What it is: for every batch the path chooses, per product, between a dense formulation (cblas_sgemm, as the
 * GEMM path) and a sparse one that follows the nonzeros of x or of dout. The choice is a function of nonzero
 * COUNTS of the batch (never of timers or of the machine), so a given (data, shape, ISA path) always gives the same
 * bits. The sparse formulations sum in another order than sgemm, so they do NOT give the dense path's bits (a few
 * ulps apart, like the GEMM and LOOP paths); tests/test_kernels_large.c checks both against a double reference.
 * The formulations (B batch, N features, M hidden; kernels_sparse.c):
 *   x CSR        the nonzeros of x, row by row, built once in forward (acts->large) and reused by backward;
 *   embed        h = x W and dW += x^T dh over the nonzeros of x (M-long axpys) instead of two sgemm;
 *   Gram         out = ReLU(x G + b) with G = W W^T (ssyrk, N^2 M flops) gathered over the nonzeros of x, instead
 *                of h W^T (2 B N M flops): tied models without a hidden ReLU (linear, relu_out) only;
 *   dout-sparse  dWout = dout^T h and dh = dout Wout over the nonzeros of dout (dead output ReLUs: 2-5% nonzero
 *                after the first few hundred steps at low density) instead of two sgemm.
 * Instruction-set paths: kernels_large.c and kernels_sparse.c are built once per path (CMake tms_isa_variants,
 * TMS_ISA picks one); the sparse formulations give the same bits on every path (no reduction across vector lanes,
 * no contraction), the sgemm ones depend on OpenBLAS's core (OPENBLAS_CORETYPE), as on the GEMM path.
 * The fused step (tms_large_step, kernels_large_step.c) is what training takes: the same formulations and bits, with
 * x's CSR from the gap sampler and the read-out's tail, loss, dout, db and dout's CSR in one pass per batch row.
 * Bits changed by session 11 (results of batches whose read-out is h W^T, i.e. dense batches, on the AVX2 and
 * AVX-512 paths differ from earlier builds in the last ulps; the generic path's bits are unchanged): out = h W^T + b
 * is no longer sgemm but tms_readout_rows (kernels_large_readout.c: FMA chains in k order from the bias), which the
 * fused step runs a block of rows at a time beside the row pass; so the dense formulation now gives the same bits
 * on both vector paths (no product of it goes to OpenBLAS there).
 * Bits changed by session 10 (results of dense batches on the AVX2 and AVX-512 paths differ from earlier builds in
 * the last ulps; the generic path's bits are unchanged): h = x W, dh = dout W, dWout = dout^T h and dW += x^T dh
 * are no longer sgemm calls but tms_skinny_gemm (kernels_large_gemm.c: 1.3-1.6x OpenBLAS's rate for these skinny
 * shapes on Zen 4), whose FMA chains in k order give the same bits on both vector paths (h W^T stays sgemm, so
 * the two paths still differ through OpenBLAS's core there).
 * Bits changed by session 9 (results of points whose batches take the Gram read-out differ from earlier builds in
 * the last ulps, on every ISA path alike): the Gram weight of the rule went from 8 to 3 (measured: with the fused
 * step's row kept in L1 the gather costs ~3 sgemm multiply-adds per multiply-add), so 400x30 takes the Gram
 * read-out up to density ~0.03 (before: never); and tms_gram_row adds the last c mod 4 rows of G in one pass.
 * Invariant: backward must be given the x that forward was given (it reuses forward's CSR of x). */
#ifndef TMS_KERNELS_LARGE_H
#define TMS_KERNELS_LARGE_H
#include <stddef.h>
#include <stdint.h>

#include "isa/isa_fn.h"
#include "kernels/kernels.h"

/* Shapes with at least this many weights take the large path under AUTO (kernels_path.h): 200x20 and up. Below,
 * e.g. 100x10, it measured 7-15% slower than the GEMM path (M = 10 pads to 16; the sparse x loops of the GEMM path
 * already cover those shapes). */
#define TMS_LARGE_MIN_NM 4000

/* Which formulation every choice takes: the data-driven rule (the default), or one forced everywhere (tests and
 * benchmarks only; process-wide, set before any kernel runs). GRAM applies only where it is valid (linear,
 * relu_out); elsewhere SPARSE is used. */
typedef enum {
  TMS_LARGE_AUTO = 0,
  TMS_LARGE_DENSE = 1,  /* every product by sgemm */
  TMS_LARGE_SPARSE = 2, /* embed and dout-sparse always, read-out by h W^T */
  TMS_LARGE_GRAM = 3    /* like SPARSE, and the read-out by the Gram matrix */
} tms_large_force;
extern tms_large_force tms_large_forced;
/* Feature block of the dout-sparse backward in bytes (kernels_sparse.c): 0 (the default) follows the L1D size; a
 * positive value forces it (tests: the block never changes a bit). */
extern long tms_large_dout_block_bytes;

/* What the last forward / backward chose (for tests and the benchmark tools; not thread-safe, like the rest). */
typedef struct {
  long nnz_x, nnz_dout; /* counts seen (-1: counting stopped above the dense limit) */
  int embed_sparse, gram, dout_sparse;
} tms_large_choice;
extern tms_large_choice tms_large_last;

/* Floats of scratch the large path needs in tms_acts (0 for shapes that never take it). */
size_t tms_large_scratch_floats(int B, int N, int M);

/* The path's forward and backward, one build per instruction-set path (isa/isa_fn.h: called through TMS_ISA_CALL;
 * inside one build every call below goes to the same build, TMS_ISA_FN). */
TMS_ISA_DECL(void, tms_large_forward, (tms_variant variant, tms_acts *acts, const float *x /* (B, N) */,
                                       const tms_params *p, int B));
TMS_ISA_DECL(void, tms_large_backward, (tms_variant variant, tms_params *grad, tms_acts *acts,
                                        const float *x /* (B, N) */, const tms_params *p, int B));

/* ---- the sparse formulations (kernels_sparse.c) ---- */

/* Nonzeros of a (B, N) array, row by row: row b's indices are idx[start[b] .. start[b+1]), their values val[..]
 * (the kernels read a nonzero's value from here, not from the (B, N) array: one cache miss less per nonzero). */
typedef struct {
  int *start; /* (B + 1) */
  int *idx;   /* (B * N) capacity */
  float *val; /* (B * N) capacity */
} tms_csr;

/* Fills csr with the nonzeros of a (kernels_nonzero.h); returns their count, or -1 as soon as the count exceeds
 * limit (csr is then incomplete and must not be used). */
TMS_ISA_DECL(long, tms_csr_build, (tms_csr *csr, const float *a /* (B, N) */, int B, int N, long limit));

/* h = x W over the nonzeros of x; pad: N MP floats of scratch (MP = M rounded up to 8, for M <= TMS_LARGE_MAX_PAD:
 * W's rows padded there). */
TMS_ISA_DECL(void, tms_sparse_embed_forward, (float *h /* (B, M) */, const tms_csr *csr, const float *x /* (B, N) */,
                                              const float *W /* (N, M) */, float *pad, int B, int N, int M));
/* dW += x^T dh over the nonzeros of x; pad as above (dW's rows padded there). */
TMS_ISA_DECL(void, tms_sparse_embed_backward, (float *dW /* (N, M) */, const tms_csr *csr,
                                               const float *x /* (B, N) */, const float *dh /* (B, M) */, float *pad,
                                               int B, int N, int M));
/* out = x G + b (then ReLU if relu), G (N, N) = W W^T computed here into the scratch G. */
TMS_ISA_DECL(void, tms_gram_readout_forward, (float *out /* (B, N) */, float *G /* (N, N) scratch */,
                                              const tms_csr *csr, const float *x /* (B, N) */,
                                              const float *W /* (N, M) */, const float *bias /* (N) */, int B, int N,
                                              int M, int relu));
/* Its two pieces: G = W W^T (ssyrk and a mirror), and one row ob = xb G + b over the c nonzeros idx of xb. */
TMS_ISA_DECL(void, tms_gram_matrix, (float *G /* (N, N) */, const float *W /* (N, M) */, int N, int M));
TMS_ISA_DECL(void, tms_gram_row, (float *ob /* (N) */, const float *G /* (N, N) */, const int *idx /* (c) */, int c,
                                  const float *xb /* (N) */, const float *bias /* (N) */, int N));
/* dWout = dout^T h and dh = dout Wout over the nonzeros of dout, listed in nz (its CSR, values from nz->val; dout
 * itself is not read). For M <= TMS_LARGE_MAX_PAD the hidden width is padded to a multiple of 8 in pad
 * ((2 N + B) MP floats and B ints of scratch, MP = M rounded up to 8). */
#define TMS_LARGE_MAX_PAD 64
TMS_ISA_DECL(void, tms_sparse_readout_backward, (float *dWout /* (N, M) */, float *dh /* (B, M) */,
                                                 const tms_csr *nz, const float *dout /* (B, N) */,
                                                 const float *h /* (B, M) */, const float *Wout /* (N, M) */,
                                                 float *pad, int B, int N, int M));

/* C (rows, M) = A (rows, K) Bm (K, M), plus the old C if accumulate, A[r][k] = a[r sr + k sk] (kernels_large_gemm.c):
 * the four products of the dense formulations with a side of M (h = x W, dh = dout W with sr = N, sk = 1; dW = x^T
 * dh, dWout = dout^T h with sr = 1, sk = N). Register tiles with FMA chains on the vector builds for M <= 32,
 * cblas_sgemm otherwise and on the generic build. */
TMS_ISA_DECL(void, tms_skinny_gemm, (float *C /* (rows, M) */, const float *a, size_t sr, size_t sk,
                                     const float *Bm /* (K, M) */, int rows, int K, int M, int accumulate));

/* ---- the pieces shared by forward / backward (kernels_large.c) and the fused step (kernels_large_step.c) ---- */

/* The scratch's views (ints and floats have the same size; each region is accessed as one type only):
 * [1 int: CSR of x valid (0) or not (-1)][CSR of x: B + 1 starts, B N indices][CSR of dout: the same + SLACK]
 * [B N floats: the values of x's CSR][B N + SLACK floats: the values of dout's CSR]
 * [max(N N, (2 N + B) TMS_LARGE_MAX_PAD + B) floats: G in forward, the padded copies of W, dW, dh's partial
 *  sums (and B ints) in the sparse formulations]
 * [N floats: the fused step's read-out row when it takes the Gram matrix (stays in L1; acts->out is not written)]
 * [N + 16 floats: the fused step's copy of x's row, zero but at the row's nonzeros (and slot N, a dummy)]
 * [N / 16 + 1 words: that row's nonzero bits, 16 per word]. */
/* Room past the end of dout's CSR (indices and values): the fused step appends a vector's compressed nonzeros with
 * one full-width store, which may write up to 16 slots past the count. */
#define TMS_LARGE_SLACK 16

typedef struct {
  int *nnz_x;
  tms_csr csr, dcsr;
  float *G, *row, *xrow;
  uint32_t *xmask;
} tms_large_scratch;

static inline size_t tms_large_g_floats(int B, int N) {
  const size_t pad = (2 * (size_t)N + (size_t)B) * TMS_LARGE_MAX_PAD + (size_t)B, gram = (size_t)N * N;
  return gram > pad ? gram : pad;
}

static inline tms_large_scratch tms_large_views(float *mem, int B, int N) {
  tms_large_scratch s;
  int *q = (int *)(void *)mem;
  const size_t csr = 1 + (size_t)B + (size_t)B * N;
  s.nnz_x = q;
  s.csr.start = q + 1;
  s.csr.idx = q + 2 + B;
  s.dcsr.start = q + 1 + csr;
  s.dcsr.idx = q + 2 + B + csr;
  s.csr.val = mem + 1 + 2 * csr + TMS_LARGE_SLACK;
  s.dcsr.val = s.csr.val + (size_t)B * N;
  s.G = s.dcsr.val + (size_t)B * N + TMS_LARGE_SLACK;
  s.row = s.G + tms_large_g_floats(B, N);
  s.xrow = s.row + N;
  s.xmask = (uint32_t *)(void *)(s.xrow + N + 16);
  return s;
}

/* Most nonzeros of x for the sparse embed (-1: dense forced), of dout for the dout-sparse read-out backward. */
long tms_large_embed_limit(int B, int N);
long tms_large_dout_limit(int B, int N);
/* h = x W (or ReLU of it), by the sparse embed if nnz >= 0 (the CSR of x is then in the scratch) or sgemm; records
 * the choice in tms_large_last and returns whether the read-out takes the Gram matrix. */
TMS_ISA_DECL(int, tms_large_embed, (tms_variant variant, tms_acts *acts, const float *x /* (B, N) */,
                                    const tms_params *p, int B, long nnz));
/* out = h Wout^T + b, then ReLU if relu: by sgemm (the GEMM path's call, bitwise) on the generic build and for
 * M > TMS_READOUT_MAX_M, else by tms_readout_rows with WT in work (N M floats; the scratch's G fits it). */
TMS_ISA_DECL(void, tms_large_dense_readout, (float *out /* (B, N) */, const float *h /* (B, M) */,
                                             const float *Wout /* (N, M) */, const float *bias /* (N) */, int B,
                                             int N, int M, int relu, float *work));

/* The register-tiled read-out (kernels_large_readout.c; vector builds): WT = Wout^T once per batch, then rows of
 * out (rows, N) = h WT + b. The fused step takes it TMS_READOUT_ROWS rows at a time into the scratch's G (free in
 * a batch that does not take the Gram read-out), right after WT (N M + TMS_READOUT_ROWS N <= 2 N TMS_LARGE_MAX_PAD
 * floats). */
#if defined(__AVX2__)
#define TMS_READOUT_TILED 1
#else
#define TMS_READOUT_TILED 0
#endif
#define TMS_READOUT_MAX_M 64
#define TMS_READOUT_ROWS 8
TMS_ISA_DECL(void, tms_readout_transpose, (float *WT /* (M, N) */, const float *Wout /* (N, M) */, int N, int M));
TMS_ISA_DECL(void, tms_readout_rows, (float *out /* (rows, N) */, const float *h /* (rows, M) */,
                                      const float *WT /* (M, N) */, const float *bias /* (N) */, int rows, int N,
                                      int M));
/* Backward from dout (and db already done): dWout and dh by the dout-sparse loops over the scratch's CSR of dout if
 * nnz_dout >= 0, else by sgemm; the hidden ReLU mask; dW_in by the sparse embed (CSR of x valid) or sgemm. */
TMS_ISA_DECL(void, tms_large_backward_from_dout, (tms_variant variant, tms_params *grad, tms_acts *acts,
                                                  const float *x /* (B, N) */, const tms_params *p, int B,
                                                  long nnz_dout));

/* The fused step of the large path (kernels_large_step.c; tms_model_step takes it for large shapes): the batch from
 * gen (tms_data_sample_csr: the gap sampler's positions where it is taken), forward, then the read-out, loss, dout,
 * db and the list of dout's nonzeros in one pass over the batch's rows, then backward. The same bits as
 * tms_data_sample + tms_model_forward + tms_model_loss + tms_model_backward on the large path (same
 * formulations, same choices, same order of every sum); returns the loss. x is scratch: written (the batch) only
 * where the sparse embed does not take the gap sampler's CSR. N > TMS_LOSS_FLAT_MAX_N only. */
int tms_large_step_fits(const tms_data_gen *gen, int N, int M); /* whether tms_model_step may take it */
TMS_ISA_DECL(double, tms_large_step, (tms_variant variant, tms_params *grad, tms_acts *acts, float *x /* (B, N) */,
                                      tms_data_gen *gen, const float *importance /* (N) */, const tms_params *p,
                                      int B));

#endif
