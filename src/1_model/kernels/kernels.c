/* kernels: forward, loss and backward of the four toy models (SCIENCE.md section 1) for one model on one batch.
 * Size letters: B batch, N features, M hidden. Row-major float32; W (N, M), row i = W_i (the paper's column).
 *   linear       h = x W          out = h W^T + b
 *   relu_out     h = x W          out = ReLU(h W^T + b)
 *   relu_hidden  h = ReLU(x W)    out = ReLU(h W^T + b)      (tied, no hidden bias)
 *   abs          h = ReLU(x W1)   out = ReLU(h W2^T + b)     (untied: W1 = p->W, W2 = p->W2; target |x|)
 * Three implementations (kernels_path.h), picked per shape:
 *   lanes  tiny models: 16 batch rows side by side in a vector type, every loop across the 16 rows;
 *   gemm   everything else: cblas_sgemm, with x W and x^T dh done by sparse row loops when x is very sparse;
 *   loop   plain row loops (axpy over M per nonzero of x): the portable reference, and the sparse pieces of gemm.
 * A skipped zero term never changes a sum, so results depend only on the data and the shape, never on timing.
 * What this is not: it never allocates (all scratch lives in the caller's tms_acts or on the stack, bounded), does
 * no I/O, spawns no threads (every tms process runs OpenBLAS with one thread), and knows nothing of instances.
 * Invariant: float32 arithmetic everywhere except the loss sum, which is accumulated in double.
 * Scratch: forward may use acts->dh as scratch (loop path); backward leaves acts->dh unspecified. */
#include <cblas.h>
#include <string.h>

#include "kernels_isa.h"
#include "kernels_path.h"
#include "kernels_simd.h"
#include "kernels/kernels.h"
#include "kernels/kernels_large.h"

tms_kernels_path tms_kernels_force_path = TMS_KERNELS_AUTO;

const char *tms_kernels_isa(void) { return tms_isa_name(tms_isa_current()); }

const char *tms_kernels_blas_core(void) {
  const char *core = openblas_get_corename();
  return core ? core : "unknown";
}

/* Crossover, measured on the project machine (AMD EPYC Zen 4 with AVX-512, OpenBLAS 0.3.21, one thread, B = 1024,
 * whole forward + loss + backward of relu_out): lanes vs sgemm 4.0 vs 6.9 us at 2x1, 9.7 vs 10.4 at 5x2, 12.6 vs
 * 16.2 at 8x3, but 16.1 vs 16.7 at 10x4 and 40 vs 34 at 20x5 (beyond 8 features the lanes transposes are no longer
 * compile-time shuffles). The row loops lost to sgemm 2-4x at every shape tried (3x2 .. 400x30). So AUTO takes
 * lanes for n <= 8 and n*m <= 24, and cblas for everything else. */
#ifndef TMS_LANES_MAX_AUTO_N
#define TMS_LANES_MAX_AUTO_N 8
#endif
#ifndef TMS_LANES_MAX_AUTO_NM
#define TMS_LANES_MAX_AUTO_NM 24
#endif
/* On the cblas path, x W and x^T dh use the sparse row loops when at most this fraction of x is nonzero (estimated
 * on the first 64 rows) and the weight matrix has at least TMS_SPARSE_MIN_NM entries: measured break-even near 0.03
 * from 50x20 to 400x30; at density 0.01 they save 20% of a 400x30 step. */
#ifndef TMS_SPARSE_MAX_DENSITY /* (overridable for re-measuring on another machine) */
#define TMS_SPARSE_MAX_DENSITY 0.025
#endif
#define TMS_SPARSE_MIN_NM 1000
static int lanes_fit(int N, int M) {
  return N <= TMS_LANES_MAX_N && M <= TMS_LANES_MAX_M && N * M <= TMS_LANES_MAX_NM;
}

tms_kernels_path tms_kernels_choose_path(int n, int m) {
  const int fit = lanes_fit(n, m);
  if (tms_kernels_force_path == TMS_KERNELS_LANES) return fit ? TMS_KERNELS_LANES : TMS_KERNELS_LOOP;
  const int large = (long)n * m >= TMS_LARGE_MIN_NM; /* its scratch exists in tms_acts */
  if (tms_kernels_force_path == TMS_KERNELS_LARGE) return large ? TMS_KERNELS_LARGE : TMS_KERNELS_GEMM;
  if (tms_kernels_force_path != TMS_KERNELS_AUTO) return tms_kernels_force_path;
  if (fit && n <= TMS_LANES_MAX_AUTO_N && (long)n * m <= TMS_LANES_MAX_AUTO_NM) return TMS_KERNELS_LANES;
  return large ? TMS_KERNELS_LARGE : TMS_KERNELS_GEMM;
}

size_t tms_acts_floats(int B, int N, int M) {
  return 2 * (size_t)B * M + 2 * (size_t)B * N + tms_large_scratch_floats(B, N, M);
}

void tms_acts_bind(tms_acts *acts, float *mem, int B, int N, int M) {
  acts->h = mem;                              /* (B, M) */
  acts->out = acts->h + (size_t)B * M;        /* (B, N) */
  acts->dout = acts->out + (size_t)B * N;     /* (B, N) */
  acts->dh = acts->dout + (size_t)B * N;      /* (B, M) */
  acts->large = tms_large_scratch_floats(B, N, M) ? acts->dh + (size_t)B * M : NULL;
}

/* Whether the cblas path should do x W and x^T dh with the sparse row loops: only for large weight matrices (on
 * small ones sgemm is cheap and the row loops' per-nonzero overhead dominates, 20x5 measured 25% slower) and very
 * sparse x. The density is estimated on the first 64 rows (a deterministic function of the batch). */
static int use_sparse(const float *x /* (B, N) */, int B, int N, int M) {
  if ((long)N * M < TMS_SPARSE_MIN_NM) return 0;
  const int rows = B < 64 ? B : 64;
  return TMS_ISA_CALL(tms_density_of, x, (size_t)rows * N) <= TMS_SPARSE_MAX_DENSITY;
}

static void embed_forward(tms_kernels_path path, float *h /* (B, M) */, const float *x /* (B, N) */,
                          const float *W /* (N, M) */, int B, int N, int M, int relu) {
  if (path == TMS_KERNELS_GEMM &&
      (tms_kernels_force_path == TMS_KERNELS_GEMM || !use_sparse(x, B, N, M)))
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, M, N, 1.0f, x, N, W, M, 0.0f, h, M);
  else
    TMS_ISA_CALL(tms_embed_forward_loop, h, x, W, B, N, M);
  if (relu) TMS_ISA_CALL(tms_relu_inplace, h, (size_t)B * M);
}

/* dW = x^T dh if accumulate is 0, dW += x^T dh otherwise. */
static void embed_backward(tms_kernels_path path, float *dW /* (N, M) */, const float *x /* (B, N) */,
                           const float *dh /* (B, M) */, int B, int N, int M, int accumulate) {
  if (path == TMS_KERNELS_GEMM &&
      (tms_kernels_force_path == TMS_KERNELS_GEMM || !use_sparse(x, B, N, M))) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, M, B, 1.0f, x, N, dh, M, accumulate ? 1.0f : 0.0f,
                dW, M);
    return;
  }
  if (!accumulate) memset(dW, 0, sizeof(float) * (size_t)N * M);
  TMS_ISA_CALL(tms_embed_backward_loop, dW, x, dh, B, N, M);
}

static void readout_forward(tms_kernels_path path, float *out /* (B, N) */, float *scratch /* (>= M*N) or NULL */,
                            const float *h /* (B, M) */, const float *Wout /* (N, M) */, const float *bias /* (N) */,
                            int B, int N, int M, int relu) {
  if (path == TMS_KERNELS_GEMM) {
    /* out = b in every row, by doubling copies: log2(B) memcpy calls instead of B short ones */
    memcpy(out, bias, sizeof(float) * (size_t)N);
    for (size_t done = 1; done < (size_t)B;) {
      const size_t rows = done < (size_t)B - done ? done : (size_t)B - done;
      memcpy(out + done * N, out, sizeof(float) * rows * N);
      done += rows;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, M, 1.0f, h, M, Wout, M, 1.0f, out, N);
  } else {
    TMS_ISA_CALL(tms_readout_forward_loop, out, scratch, h, Wout, bias, B, N, M);
  }
  if (relu) TMS_ISA_CALL(tms_relu_inplace, out, (size_t)B * N);
}

static void readout_backward(tms_kernels_path path, float *dWout /* (N, M) */, float *dh /* (B, M) */,
                             const float *dout /* (B, N) */, const float *h /* (B, M) */,
                             const float *Wout /* (N, M) */, int B, int N, int M) {
  if (path == TMS_KERNELS_GEMM) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, M, B, 1.0f, dout, N, h, M, 0.0f, dWout, M);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, M, N, 1.0f, dout, N, Wout, M, 0.0f, dh, M);
  } else {
    TMS_ISA_CALL(tms_readout_backward_loop, dWout, dh, dout, h, Wout, B, N, M);
  }
}

/* ---- the models ----------------------------------------------------------------------------------------------- */

void tms_model_forward(tms_variant variant, tms_acts *acts, const float *x /* (B, N) */, const tms_params *p,
                       int B) {
  const int N = p->n, M = p->m;
  const tms_kernels_path path = tms_kernels_choose_path(N, M);
  const int hidden_relu = variant == TMS_RELU_HIDDEN || variant == TMS_ABS;
  const float *Wout = variant == TMS_ABS ? p->W2 : p->W; /* (N, M) */
  if (path == TMS_KERNELS_LARGE) {
    TMS_ISA_CALL(tms_large_forward, variant, acts, x, p, B);
    return;
  }
  if (path == TMS_KERNELS_LANES) {
    TMS_ISA_CALL(tms_forward_lanes, acts->h, acts->out, x, p->W, Wout, p->b, B, N, M, hidden_relu,
                 variant != TMS_LINEAR);
    return;
  }
  /* The loop read-out borrows dh (B, M), unused until backward, for W^T (M, N) when it is large enough. */
  float *scratch = acts->dh && B >= N ? acts->dh : NULL;
  embed_forward(path, acts->h, x, p->W, B, N, M, hidden_relu);
  readout_forward(path, acts->out, scratch, acts->h, Wout, p->b, B, N, M, variant != TMS_LINEAR);
}

double tms_model_loss(tms_variant variant, tms_acts *acts, const float *x /* (B, N) */,
                      const float *importance /* (N) */, int B, int N) {
  return TMS_ISA_CALL(tms_loss, variant, acts, x, importance, B, N);
}

void tms_model_backward(tms_variant variant, tms_params *grad, tms_acts *acts, const float *x /* (B, N) */,
                        const tms_params *p, int B) {
  const int N = p->n, M = p->m;
  const tms_kernels_path path = tms_kernels_choose_path(N, M);
  const int hidden_relu = variant == TMS_RELU_HIDDEN || variant == TMS_ABS;
  const float *Wout = variant == TMS_ABS ? p->W2 : p->W; /* (N, M) */
  float *dWout = variant == TMS_ABS ? grad->W2 : grad->W; /* (N, M) */
  if (path == TMS_KERNELS_LARGE) {
    TMS_ISA_CALL(tms_large_backward, variant, grad, acts, x, p, B);
    return;
  }
  if (path == TMS_KERNELS_LANES) {
    TMS_ISA_CALL(tms_backward_lanes, grad->W, dWout, grad->b, acts->dout, acts->h, x, Wout, B, N, M, hidden_relu);
    return;
  }
  TMS_ISA_CALL(tms_bias_backward, grad->b, acts->dout, B, N);
  readout_backward(path, dWout, acts->dh, acts->dout, acts->h, Wout, B, N, M);
  if (hidden_relu) {
    /* h = ReLU(x W): the hidden gradient passes only where h > 0 (gradient 0 at 0, as PyTorch). */
    const size_t count = (size_t)B * M;
    for (size_t k = 0; k < count; k++) acts->dh[k] = acts->h[k] > 0.0f ? acts->dh[k] : 0.0f;
  }
  /* Tied models add the read-in path to the read-out path already in grad->W; abs writes W1's gradient afresh. */
  embed_backward(path, grad->W, x, acts->dh, B, N, M, variant != TMS_ABS);
}

