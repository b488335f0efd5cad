/* kernels: forward, loss and backward of the four toy models (science.md section 1) for one model on one batch.
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
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels_path.h"
#include "kernels/kernels.h"
#include "kernels/kernels_large.h"

#if defined(__GNUC__) && !defined(__clang__)
/* -O3's unroll-and-jam fuses two nonzeros' axpys into one loop that GCC 12 then fails to vectorise (4x slower). */
#pragma GCC optimize("no-loop-unroll-and-jam")
#define TMS_IVDEP _Pragma("GCC ivdep")
#define TMS_NO_UNROLL _Pragma("GCC unroll 1")
#else
#define TMS_IVDEP
#define TMS_NO_UNROLL
#endif

tms_kernels_path tms_kernels_force_path = TMS_KERNELS_AUTO;

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
/* Below this hidden width the row loops use every x entry: a zero test costs more than a multiply-add of length m. */
#define TMS_SPARSE_MIN_M 4
/* On the cblas path, x W and x^T dh use the sparse row loops when at most this fraction of x is nonzero (estimated
 * on the first 64 rows) and the weight matrix has at least TMS_SPARSE_MIN_NM entries: measured break-even near 0.03
 * from 50x20 to 400x30; at density 0.01 they save 20% of a 400x30 step. */
#ifndef TMS_SPARSE_MAX_DENSITY /* (overridable for re-measuring on another machine) */
#define TMS_SPARSE_MAX_DENSITY 0.025
#endif
#define TMS_SPARSE_MIN_NM 1000
/* The hot loops are compiled for AVX-512, AVX2 and baseline x86-64, picked at load time (GCC function
 * multiversioning): the library stays runnable on any x86-64 while using the machine's vector width. The clones
 * compute bitwise the same results: no loop reduces across vector lanes, and floating-point contraction is off in
 * ISO C mode (-std=c17), so no clone fuses a multiply-add the others do not. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TMS_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TMS_CLONES
#endif
/* Loss and bias gradient walk narrow batches (N up to this) as flat chunks of whole rows. */
#define TMS_LOSS_FLAT_MAX_N 64
/* Chunk of a row whose nonzero indices are gathered at once (a stack array: no allocation). */
#define TMS_CHUNK 256

static int lanes_fit(int N, int M);

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

/* ---- helpers ------------------------------------------------------------------------------------------------ */

/* Whether any of 16 floats is nonzero (-0 counts as zero): OR of the bit patterns, sign cleared, folded in vector
 * halves. Written with vector types so it stays 3 vector operations instead of 16 scalar ones. */
typedef uint32_t tms_v16u __attribute__((vector_size(64)));
typedef uint32_t tms_v8u __attribute__((vector_size(32)));
typedef uint32_t tms_v4u __attribute__((vector_size(16)));
static inline int any_nonzero16(const float *v /* (16) */) {
  tms_v16u a;
  tms_v8u lo, hi;
  tms_v4u l4, h4;
  memcpy(&a, v, sizeof a);
  a &= 0x7fffffffu;
  memcpy(&lo, &a, sizeof lo);
  memcpy(&hi, (const char *)&a + sizeof lo, sizeof hi);
  lo |= hi;
  memcpy(&l4, &lo, sizeof l4);
  memcpy(&h4, (const char *)&lo + sizeof l4, sizeof h4);
  l4 |= h4;
  return (l4[0] | l4[1] | l4[2] | l4[3]) != 0;
}

/* Indices of the nonzeros of v[0..n) into idx[0..n); returns their count. Groups of 16 that are all zero are
 * skipped whole; inside a group the gather is branch-free, so random sparsity costs no mispredicted branches. */
static inline int nonzeros(int *idx /* (n) */, const float *v /* (n) */, int n) {
  int c = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    if (!any_nonzero16(v + i)) continue;
    for (int l = 0; l < 16; l++) {
      idx[c] = i + l;
      c += v[i + l] != 0.0f;
    }
  }
  for (; i < n; i++) {
    idx[c] = i;
    c += v[i] != 0.0f;
  }
  return c;
}

/* y += a v over n entries: the vectorised inner loop of the row kernels, as a helper with restrict pointers so the
 * compiler vectorises it over n without alias checks. */
static inline __attribute__((always_inline)) void axpy(float *restrict y /* (n) */, float a,
                                                        const float *restrict v /* (n) */, int n) {
TMS_IVDEP
  for (int j = 0; j < n; j++) y[j] += a * v[j];
}

/* y += (a0 v0 + a1 v1) + (a2 v2 + a3 v3): four nonzeros per pass over y, so the row being accumulated is loaded
 * and stored a quarter as often (its store-to-load latency, not arithmetic, bounds the one-at-a-time loop). */
static inline __attribute__((always_inline)) void axpy4(float *restrict y /* (n) */, const float a[4],
                                                         const float *restrict v0 /* (n) */,
                                                         const float *restrict v1 /* (n) */,
                                                         const float *restrict v2 /* (n) */,
                                                         const float *restrict v3 /* (n) */, int n) {
TMS_IVDEP
  for (int j = 0; j < n; j++) y[j] += (a[0] * v0[j] + a[1] * v1[j]) + (a[2] * v2[j] + a[3] * v3[j]);
}

TMS_CLONES static void relu_inplace(float *v /* (count) */, size_t count) {
  for (size_t i = 0; i < count; i++) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
}

/* Fraction of nonzero entries of x, to choose between the sparse row loops and sgemm (counted on the bit patterns,
 * sign cleared, so the count is an integer reduction the compiler vectorises). */
TMS_CLONES static double density_of(const float *x /* (count) */, size_t count) {
  size_t nz = 0;
  for (size_t i = 0; i < count; i++) {
    uint32_t bits;
    memcpy(&bits, x + i, sizeof bits);
    nz += (bits & 0x7fffffffu) != 0;
  }
  return count ? (double)nz / (double)count : 1.0;
}

/* Whether the cblas path should do x W and x^T dh with the sparse row loops: only for large weight matrices (on
 * small ones sgemm is cheap and the row loops' per-nonzero overhead dominates, 20x5 measured 25% slower) and very
 * sparse x. The density is estimated on the first 64 rows (a deterministic function of the batch). */
static int use_sparse(const float *x /* (B, N) */, int B, int N, int M) {
  if ((long)N * M < TMS_SPARSE_MIN_NM) return 0;
  const int rows = B < 64 ? B : 64;
  return density_of(x, (size_t)rows * N) <= TMS_SPARSE_MAX_DENSITY;
}

/* ---- read-in: h = x W (optionally ReLU) and its backward dW (+)= x^T dh -------------------------------------- */

/* Row loop: h_b = sum over nonzero x_bi of x_bi W_i, an axpy of length M per nonzero (vectorised over M). */
TMS_CLONES static void embed_forward_loop(float *restrict h /* (B, M) */, const float *restrict x /* (B, N) */,
                                          const float *restrict W /* (N, M) */, int B, int N, int M) {
  int idx[TMS_CHUNK];
  for (int b = 0; b < B; b++) {
    float *hb = h + (size_t)b * M;          /* (M) */
    const float *xb = x + (size_t)b * N;    /* (N) */
    for (int j = 0; j < M; j++) hb[j] = 0.0f;
    if (M < TMS_SPARSE_MIN_M) {
      for (int i = 0; i < N; i++) {
        const float xi = xb[i];
        const float *Wi = W + (size_t)i * M; /* (M) */
        for (int j = 0; j < M; j++) hb[j] += xi * Wi[j];
      }
      continue;
    }
    for (int i0 = 0; i0 < N; i0 += TMS_CHUNK) {
      const int len = N - i0 < TMS_CHUNK ? N - i0 : TMS_CHUNK;
      const int c = nonzeros(idx, xb + i0, len);
      int k = 0;
      for (; k + 4 <= c; k += 4) {
        const int i0k = i0 + idx[k], i1 = i0 + idx[k + 1], i2 = i0 + idx[k + 2], i3 = i0 + idx[k + 3];
        const float a[4] = {xb[i0k], xb[i1], xb[i2], xb[i3]};
        axpy4(hb, a, W + (size_t)i0k * M, W + (size_t)i1 * M, W + (size_t)i2 * M, W + (size_t)i3 * M, M);
      }
TMS_NO_UNROLL
      for (; k < c; k++) {
        const int i = i0 + idx[k];
        axpy(hb, xb[i], W + (size_t)i * M, M);
      }
    }
  }
}

/* Row loop: dW_i += x_bi dh_b for every nonzero x_bi (dW must be initialised by the caller). */
TMS_CLONES static void embed_backward_loop(float *restrict dW /* (N, M) */, const float *restrict x /* (B, N) */,
                                           const float *restrict dh /* (B, M) */, int B, int N, int M) {
  int idx[TMS_CHUNK];
  for (int b = 0; b < B; b++) {
    const float *xb = x + (size_t)b * N;   /* (N) */
    const float *dhb = dh + (size_t)b * M; /* (M) */
    if (M < TMS_SPARSE_MIN_M) {
      for (int i = 0; i < N; i++) {
        const float xi = xb[i];
        float *dWi = dW + (size_t)i * M; /* (M) */
        for (int j = 0; j < M; j++) dWi[j] += xi * dhb[j];
      }
      continue;
    }
    for (int i0 = 0; i0 < N; i0 += TMS_CHUNK) {
      const int len = N - i0 < TMS_CHUNK ? N - i0 : TMS_CHUNK;
      const int c = nonzeros(idx, xb + i0, len);
TMS_NO_UNROLL
      for (int k = 0; k < c; k++) {
        const int i = i0 + idx[k];
        axpy(dW + (size_t)i * M, xb[i], dhb, M);
      }
    }
  }
}

static void embed_forward(tms_kernels_path path, float *h /* (B, M) */, const float *x /* (B, N) */,
                          const float *W /* (N, M) */, int B, int N, int M, int relu) {
  if (path == TMS_KERNELS_GEMM &&
      (tms_kernels_force_path == TMS_KERNELS_GEMM || !use_sparse(x, B, N, M)))
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, M, N, 1.0f, x, N, W, M, 0.0f, h, M);
  else
    embed_forward_loop(h, x, W, B, N, M);
  if (relu) relu_inplace(h, (size_t)B * M);
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
  embed_backward_loop(dW, x, dh, B, N, M);
}

/* ---- read-out: out = h Wout^T + b (optionally ReLU) and its backward ------------------------------------------ */

/* Row loop. With scratch WT (M, N) the row is b + sum_j h_bj WT_j, axpys of length N that vectorise and skip the
 * zeros of a ReLU hidden layer; without scratch (too small) it falls back to dot products of length M. */
TMS_CLONES static void readout_forward_loop(float *restrict out /* (B, N) */,
                                            float *restrict WT /* (M, N) scratch or NULL */,
                                            const float *restrict h /* (B, M) */,
                                            const float *restrict Wout /* (N, M) */,
                                            const float *restrict bias /* (N) */, int B, int N, int M) {
  if (WT) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < M; j++) WT[(size_t)j * N + i] = Wout[(size_t)i * M + j];
    for (int b = 0; b < B; b++) {
      float *ob = out + (size_t)b * N;      /* (N) */
      const float *hb = h + (size_t)b * M;  /* (M) */
      memcpy(ob, bias, sizeof(float) * (size_t)N);
      for (int j = 0; j < M; j++) {
        const float hj = hb[j];
        if (hj == 0.0f) continue;
        const float *WTj = WT + (size_t)j * N; /* (N) */
        for (int i = 0; i < N; i++) ob[i] += hj * WTj[i];
      }
    }
    return;
  }
  for (int b = 0; b < B; b++) {
    float *ob = out + (size_t)b * N;     /* (N) */
    const float *hb = h + (size_t)b * M; /* (M) */
    for (int i = 0; i < N; i++) {
      const float *Wi = Wout + (size_t)i * M; /* (M) */
      float s = 0.0f;
      for (int j = 0; j < M; j++) s += hb[j] * Wi[j];
      ob[i] = bias[i] + s;
    }
  }
}

/* Row loop: dWout = dout^T h and dh = dout Wout together, one pass over dout; zeros of dout (dead output ReLUs)
 * are skipped for wide hidden layers. */
TMS_CLONES static void readout_backward_loop(float *restrict dWout /* (N, M) */, float *restrict dh /* (B, M) */,
                                             const float *restrict dout /* (B, N) */,
                                             const float *restrict h /* (B, M) */,
                                             const float *restrict Wout /* (N, M) */, int B, int N, int M) {
  int idx[TMS_CHUNK];
  memset(dWout, 0, sizeof(float) * (size_t)N * M);
  for (int b = 0; b < B; b++) {
    const float *gb = dout + (size_t)b * N; /* (N) */
    const float *hb = h + (size_t)b * M;    /* (M) */
    float *dhb = dh + (size_t)b * M;        /* (M) */
    for (int j = 0; j < M; j++) dhb[j] = 0.0f;
    if (M < TMS_SPARSE_MIN_M) {
      for (int i = 0; i < N; i++) {
        const float g = gb[i];
        float *dWi = dWout + (size_t)i * M;      /* (M) */
        const float *Wi = Wout + (size_t)i * M;  /* (M) */
        for (int j = 0; j < M; j++) {
          dWi[j] += g * hb[j];
          dhb[j] += g * Wi[j];
        }
      }
      continue;
    }
    for (int i0 = 0; i0 < N; i0 += TMS_CHUNK) {
      const int len = N - i0 < TMS_CHUNK ? N - i0 : TMS_CHUNK;
      const int c = nonzeros(idx, gb + i0, len);
      for (int k = 0; k < c; k++) {
        const int i = i0 + idx[k];
        const float g = gb[i];
        float *dWi = dWout + (size_t)i * M;     /* (M) */
        const float *Wi = Wout + (size_t)i * M; /* (M) */
        for (int j = 0; j < M; j++) {
          dWi[j] += g * hb[j];
          dhb[j] += g * Wi[j];
        }
      }
    }
  }
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
    readout_forward_loop(out, scratch, h, Wout, bias, B, N, M);
  }
  if (relu) relu_inplace(out, (size_t)B * N);
}

static void readout_backward(tms_kernels_path path, float *dWout /* (N, M) */, float *dh /* (B, M) */,
                             const float *dout /* (B, N) */, const float *h /* (B, M) */,
                             const float *Wout /* (N, M) */, int B, int N, int M) {
  if (path == TMS_KERNELS_GEMM) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, M, B, 1.0f, dout, N, h, M, 0.0f, dWout, M);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, M, N, 1.0f, dout, N, Wout, M, 0.0f, dh, M);
  } else {
    readout_backward_loop(dWout, dh, dout, h, Wout, B, N, M);
  }
}

/* db = column sums of dout. Narrow N: G whole rows (G*N >= 64 entries) are added at once into a flat partial-sum
 * row, so the loop stays long however small N is, then the G partial rows are folded; wide N: row by row. */
TMS_CLONES static void bias_backward(float *restrict db /* (N) */, const float *restrict dout /* (B, N) */, int B,
                                     int N) {
  int b = 0;
  memset(db, 0, sizeof(float) * (size_t)N);
  if (N <= TMS_LOSS_FLAT_MAX_N) {
    float part[8 * TMS_LOSS_FLAT_MAX_N + 64]; /* (G*N) */
    const int G = 8 * ((64 + 8 * N - 1) / (8 * N));
    const int len = G * N;
    memset(part, 0, sizeof(float) * (size_t)len);
    for (; b + G <= B; b += G) {
      const float *gc = dout + (size_t)b * N; /* (G*N) */
      for (int k = 0; k < len; k++) part[k] += gc[k];
    }
    for (int g = 0; g < G; g++)
      for (int i = 0; i < N; i++) db[i] += part[g * N + i];
  }
  for (; b < B; b++) {
    const float *gb = dout + (size_t)b * N; /* (N) */
    for (int i = 0; i < N; i++) db[i] += gb[i];
  }
}

/* ---- lanes: tiny models, 16 batch rows side by side ---------------------------------------------------------- */

/* For tiny n and m every per-row loop has a trip count of 1..5, so loop overhead, not arithmetic, sets the speed.
 * The lanes kernels instead transpose a block of TMS_LANES batch rows and run every operation across the block:
 * each innermost loop is "for l < TMS_LANES", a compile-time count over independent rows, which vectorises at any
 * SIMD width with the same result. Gradients keep one partial sum per lane and add the lanes in a fixed order at
 * the end, so results depend on (B, N, M) and the data only. A feature whose 16 x entries (and output gradients)
 * are all zero is skipped as a whole, which is where sparse data pays on this path. */
#define TMS_LANES 16
#define TMS_LANES_MAX_N 64
#define TMS_LANES_MAX_M 16
#define TMS_LANES_MAX_NM 256

static int lanes_fit(int N, int M) {
  return N <= TMS_LANES_MAX_N && M <= TMS_LANES_MAX_M && N * M <= TMS_LANES_MAX_NM;
}

/* Loads rows b0 .. b0+rows-1 of a (B, C) array transposed into t[c][l], zero-filling missing lanes. */
static inline void lanes_load_c(float t[][TMS_LANES] /* (C, lanes) */, const float *a /* (B, C) */, int b0, int rows,
                                int C) {
  if (rows == TMS_LANES) {
    for (int c = 0; c < C; c++)
      for (int l = 0; l < TMS_LANES; l++) t[c][l] = a[(size_t)(b0 + l) * C + c];
    return;
  }
  for (int c = 0; c < C; c++)
    for (int l = 0; l < TMS_LANES; l++) t[c][l] = l < rows ? a[(size_t)(b0 + l) * C + c] : 0.0f;
}

static inline void lanes_store_c(float *a /* (B, C) */, float t[][TMS_LANES] /* (C, lanes) */, int b0, int rows,
                                 int C) {
  for (int l = 0; l < rows; l++)
    for (int c = 0; c < C; c++) a[(size_t)(b0 + l) * C + c] = t[c][l];
}

/* The transposes with a constant row length for C <= 8, so the compiler turns them into vector shuffles instead of
 * scalar stores (which a following vector load would wait on: a store-forwarding stall per vector). */
#define TMS_LANES_CASES(F, ...) \
  switch (C) {                  \
  case 1: F(__VA_ARGS__, 1); break; \
  case 2: F(__VA_ARGS__, 2); break; \
  case 3: F(__VA_ARGS__, 3); break; \
  case 4: F(__VA_ARGS__, 4); break; \
  case 5: F(__VA_ARGS__, 5); break; \
  case 6: F(__VA_ARGS__, 6); break; \
  case 7: F(__VA_ARGS__, 7); break; \
  case 8: F(__VA_ARGS__, 8); break; \
  default: F(__VA_ARGS__, C); break; \
  }
static inline __attribute__((always_inline)) void lanes_load(float t[][TMS_LANES], const float *a /* (B, C) */,
                                                             int b0, int rows, int C) {
  TMS_LANES_CASES(lanes_load_c, t, a, b0, rows)
}
static inline __attribute__((always_inline)) void lanes_store(float *a /* (B, C) */, float t[][TMS_LANES], int b0,
                                                              int rows, int C) {
  TMS_LANES_CASES(lanes_store_c, a, t, b0, rows)
}

/* One lane vector: TMS_LANES floats, a GCC/Clang vector type, so each "for every lane" statement is one vector
 * operation by construction (SSE: 4 instructions, AVX-512: 1) and the compiler cannot pick another loop to
 * vectorise. Lanes never mix except in the final fixed-order sums. */
typedef float tms_vlane __attribute__((vector_size(4 * TMS_LANES)));
typedef int tms_vmask __attribute__((vector_size(4 * TMS_LANES)));
/* (Vectors are passed by pointer: by value, their calling convention would depend on the ISA.) */

/* Whether any lane is nonzero (TMS_LANES == 16). */
static inline int lanes_any(const tms_vlane *v /* (lanes) */) { return any_nonzero16((const float *)v); }

/* *v = *keep > 0 ? *v : 0, lane by lane (keep == v gives ReLU). */
static inline void vmask_positive(tms_vlane *v /* (lanes) */, const tms_vlane *keep /* (lanes) */) {
  const tms_vlane zero = {0};
  const tms_vmask alive = *keep > zero; /* -1 or 0 per lane */
  *v = (tms_vlane)((tms_vmask)*v & alive);
}

/* Fixed pairwise order: lanes 0+8, 1+9, ..., then halves again, independent of the machine's vector width. */
static inline float vsum(const tms_vlane *v /* (lanes) */) {
  float s[TMS_LANES];
  memcpy(s, v, sizeof s);
  for (int w = TMS_LANES / 2; w > 0; w /= 2)
    for (int l = 0; l < w; l++) s[l] += s[l + w];
  return s[0];
}

TMS_CLONES static void forward_lanes(float *h /* (B, M) */, float *out /* (B, N) */, const float *x /* (B, N) */,
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
TMS_CLONES static void backward_lanes(float *dWin /* (N, M) */, float *dWout /* (N, M) */, float *db /* (N) */,
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

/* ---- the models ----------------------------------------------------------------------------------------------- */

void tms_model_forward(tms_variant variant, tms_acts *acts, const float *x /* (B, N) */, const tms_params *p,
                       int B) {
  const int N = p->n, M = p->m;
  const tms_kernels_path path = tms_kernels_choose_path(N, M);
  const int hidden_relu = variant == TMS_RELU_HIDDEN || variant == TMS_ABS;
  const float *Wout = variant == TMS_ABS ? p->W2 : p->W; /* (N, M) */
  if (path == TMS_KERNELS_LARGE) {
    tms_large_forward(variant, acts, x, p, B);
    return;
  }
  if (path == TMS_KERNELS_LANES) {
    forward_lanes(acts->h, acts->out, x, p->W, Wout, p->b, B, N, M, hidden_relu, variant != TMS_LINEAR);
    return;
  }
  /* The loop read-out borrows dh (B, M), unused until backward, for W^T (M, N) when it is large enough. */
  float *scratch = acts->dh && B >= N ? acts->dh : NULL;
  embed_forward(path, acts->h, x, p->W, B, N, M, hidden_relu);
  readout_forward(path, acts->out, scratch, acts->h, Wout, p->b, B, N, M, variant != TMS_LINEAR);
}

/* Loss terms are accumulated in eight double lanes and summed in a fixed order at the end: the lanes break the
 * dependency chain of one running sum and vectorise, and the order depends only on (B, N), never on the data.
 * Narrow models (N <= 64) walk the batch in chunks of G whole rows, G*N a multiple of 8, against the importance
 * repeated G times, so the loop is flat and long however small N is (a per-row loop of length 2 is all overhead). */
TMS_CLONES double tms_model_loss(tms_variant variant, tms_acts *acts, const float *x /* (B, N) */,
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

void tms_model_backward(tms_variant variant, tms_params *grad, tms_acts *acts, const float *x /* (B, N) */,
                        const tms_params *p, int B) {
  const int N = p->n, M = p->m;
  const tms_kernels_path path = tms_kernels_choose_path(N, M);
  const int hidden_relu = variant == TMS_RELU_HIDDEN || variant == TMS_ABS;
  const float *Wout = variant == TMS_ABS ? p->W2 : p->W; /* (N, M) */
  float *dWout = variant == TMS_ABS ? grad->W2 : grad->W; /* (N, M) */
  if (path == TMS_KERNELS_LARGE) {
    tms_large_backward(variant, grad, acts, x, p, B);
    return;
  }
  if (path == TMS_KERNELS_LANES) {
    backward_lanes(grad->W, dWout, grad->b, acts->dout, acts->h, x, Wout, B, N, M, hidden_relu);
    return;
  }
  bias_backward(grad->b, acts->dout, B, N);
  readout_backward(path, dWout, acts->dh, acts->dout, acts->h, Wout, B, N, M);
  if (hidden_relu) {
    /* h = ReLU(x W): the hidden gradient passes only where h > 0 (gradient 0 at 0, as PyTorch). */
    const size_t count = (size_t)B * M;
    for (size_t k = 0; k < count; k++) acts->dh[k] = acts->h[k] > 0.0f ? acts->dh[k] : 0.0f;
  }
  /* Tied models add the read-in path to the read-out path already in grad->W; abs writes W1's gradient afresh. */
  embed_backward(path, grad->W, x, acts->dh, B, N, M, variant != TMS_ABS);
}
