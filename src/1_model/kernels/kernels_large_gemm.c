/* kernels_large_gemm: the skinny products of the large path's dense formulations (kernels_large.h,
 * tms_skinny_gemm), on the vector builds in place of cblas_sgemm.
 * What it computes: C (rows, M) = A (rows, K) Bm (K, M), plus the old C if accumulate, for M <= 32 (wider: sgemm);
 * A is read through strides (A[r][k] = a[r sr + k sk]), so the same kernel does h = x W and dh = dout W (sr = N,
 * sk = 1: K = N) and the rank-B weight gradients dW = x^T dh and dWout = dout^T h (sr = 1, sk = N: K = B).
 * Why not sgemm: these shapes have one side of 20 or 30, where OpenBLAS (Cooperlake and Haswell cores) runs at
 * 62-77 GFLOP/s on Zen 4 (bench/README.md, "large shapes"; its packing copies are sized for square products).
 * Here a tile of R rows of C stays in registers across the whole K loop (per k: one broadcast of A per row,
 * ceil(M / width) vector loads of Bm, R ceil(M / width) FMAs), nothing is packed, and the partial last vector of a
 * row is a masked load / store. Measured (Zen 4, one core, the four products, B = 1024): AVX-512 83-91 GFLOP/s at
 * 200/20 and 103-107 at 400/30 (OpenBLAS Cooperlake 74-78 and 62-78); AVX2 78-84 and 82-89 (OpenBLAS Haswell
 * 76-78 and 77-78).
 * Bits: every entry of C is a chain of FMAs over k in increasing order from 0 (c = fma(A[r][k], Bm[k][j], c)),
 * then old C + c. An FMA is exactly rounded and the order depends on neither the vector width nor R, so the AVX2
 * and AVX-512 builds give the same bits; they differ from sgemm's (a blocked sum), see kernels_large.h. The
 * generic build calls cblas_sgemm, as before (its bits are unchanged). */
#include <cblas.h>
#include <stddef.h>

#include "kernels/kernels_large.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
/* A tile of R rows of C, NV vectors of 16 each (NV = 1 or 2); mt masks the last vector's lanes below M. */
static inline __attribute__((always_inline)) void tile16(float *restrict C, const float *restrict a, size_t sr,
                                                         size_t sk, const float *restrict Bm, int K, int M, int R,
                                                         int NV, int accumulate) {
  __m512 c[12][2];
  const __mmask16 mt = (__mmask16)((1u << (M - 16 * (NV - 1))) - 1u);
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++) c[r][v] = _mm512_setzero_ps();
  for (int k = 0; k < K; k++) {
    const float *bk = Bm + (size_t)k * M, *ak = a + (size_t)k * sk;
    __m512 b[2];
    for (int v = 0; v < NV; v++)
      b[v] = v < NV - 1 ? _mm512_loadu_ps(bk + 16 * v) : _mm512_maskz_loadu_ps(mt, bk + 16 * v);
    for (int r = 0; r < R; r++) {
      const __m512 av = _mm512_set1_ps(ak[(size_t)r * sr]);
      for (int v = 0; v < NV; v++) c[r][v] = _mm512_fmadd_ps(av, b[v], c[r][v]);
    }
  }
  for (int r = 0; r < R; r++) {
    float *cr = C + (size_t)r * M;
    for (int v = 0; v < NV; v++) {
      const __mmask16 m = v < NV - 1 ? (__mmask16)0xffff : mt;
      __m512 s = c[r][v];
      if (accumulate) s = _mm512_add_ps(_mm512_maskz_loadu_ps(m, cr + 16 * v), s);
      _mm512_mask_storeu_ps(cr + 16 * v, m, s);
    }
  }
}
#endif

#if defined(__AVX2__)
/* The partial last vector of a row: lanes below n. AVX-512 builds use AVX-512VL's masked moves; the AVX2 build
 * vmaskmov, whose store is microcoded on AMD, so whole vectors are never stored through it (Zen 4, 200x20, AVX2:
 * the step's products 81 -> 90 GFLOP/s). */
#if defined(__AVX512F__)
typedef __mmask8 lanes8;
static inline lanes8 lanes8_below(int n) { return (__mmask8)((1u << n) - 1u); }
static inline __m256 load8_lanes(const float *p, lanes8 m) { return _mm256_maskz_loadu_ps(m, p); }
static inline void store8_lanes(float *p, lanes8 m, __m256 v) { _mm256_mask_storeu_ps(p, m, v); }
#else
typedef __m256i lanes8;
static inline lanes8 lanes8_below(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __m256 load8_lanes(const float *p, lanes8 m) { return _mm256_maskload_ps(p, m); }
static inline void store8_lanes(float *p, lanes8 m, __m256 v) { _mm256_maskstore_ps(p, m, v); }
#endif

/* The same with vectors of 8, NV = 1 .. 4 (on the AVX-512 build too, where it fits M better: 20 = 8 + 8 + 4), over
 * the mc columns from C and Bm on (rows of both M long). */
static inline __attribute__((always_inline)) void tile8(float *restrict C, const float *restrict a, size_t sr,
                                                        size_t sk, const float *restrict Bm, int K, int M, int mc,
                                                        int R, int NV, int whole, int accumulate) {
  __m256 c[8][4];
  const lanes8 mt = lanes8_below(mc - 8 * (NV - 1));
  const int plain = whole ? NV : NV - 1; /* vectors of a row stored whole (whole: mc % 8 == 0, a constant) */
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++) c[r][v] = _mm256_setzero_ps();
  for (int k = 0; k < K; k++) {
    const float *bk = Bm + (size_t)k * M, *ak = a + (size_t)k * sk;
    __m256 b[4];
    for (int v = 0; v < NV; v++) b[v] = v < NV - 1 ? _mm256_loadu_ps(bk + 8 * v) : load8_lanes(bk + 8 * v, mt);
    for (int r = 0; r < R; r++) {
      const __m256 av = _mm256_broadcast_ss(ak + (size_t)r * sr);
      for (int v = 0; v < NV; v++) c[r][v] = _mm256_fmadd_ps(av, b[v], c[r][v]);
    }
  }
  for (int r = 0; r < R; r++) {
    float *cr = C + (size_t)r * M;
    for (int v = 0; v < NV; v++) {
      __m256 s = c[r][v];
      if (v < plain) {
        if (accumulate) s = _mm256_add_ps(_mm256_loadu_ps(cr + 8 * v), s);
        _mm256_storeu_ps(cr + 8 * v, s);
      } else {
        if (accumulate) s = _mm256_add_ps(load8_lanes(cr + 8 * v, mt), s);
        store8_lanes(cr + 8 * v, mt, s);
      }
    }
  }
}

/* Rows in tiles of R (R * NV accumulators: 24 of the 32 AVX-512 registers, 12 of the 16 AVX2 ones), then single
 * rows; R, NV and the width are constants in each call, so every tile is fully unrolled. */
#if defined(__AVX512F__) /* whole = 0: the AVX-512VL masked store is native, one mask for every M */
#define TILE(W, C, a, sr, sk, Bm, K, M, R, NV, acc) \
  (W == 16 ? tile16(C, a, sr, sk, Bm, K, M, R, NV, acc) : tile8(C, a, sr, sk, Bm, K, M, M, R, NV, 0, acc))
#else
#define TILE(W, C, a, sr, sk, Bm, K, M, R, NV, acc) tile8(C, a, sr, sk, Bm, K, M, M, R, NV, M % 8 == 0, acc)
#endif
static inline __attribute__((always_inline)) void rows_of(float *C, const float *a, size_t sr, size_t sk,
                                                          const float *Bm, int rows, int K, int M, int W, int R,
                                                          int NV, int accumulate) {
  int r = 0;
  (void)W;
  for (; r + R <= rows; r += R) TILE(W, C + (size_t)r * M, a + (size_t)r * sr, sr, sk, Bm, K, M, R, NV, accumulate);
  for (; r < rows; r++) TILE(W, C + (size_t)r * M, a + (size_t)r * sr, sr, sk, Bm, K, M, 1, NV, accumulate);
}

#if !defined(__AVX512F__)
/* 16 < M <= 32 with 16 registers (AVX2): each tile of 6 rows in two column halves, 16 and M - 16, one K loop each
 * (12 accumulators, the Bm vectors and the broadcast fit; the tile's rows of A are in L1 for the second loop).
 * Measured 82-89 GFLOP/s at M = 30 on Zen 4 against 67-70 for 3 rows x 4 vectors in one loop. */
static void rows_split8(float *C, const float *a, size_t sr, size_t sk, const float *Bm, int rows, int K, int M,
                        int accumulate) {
  int r = 0;
  for (; r + 6 <= rows; r += 6) {
    tile8(C + (size_t)r * M, a + (size_t)r * sr, sr, sk, Bm, K, M, 16, 6, 2, 1, accumulate);
    tile8(C + (size_t)r * M + 16, a + (size_t)r * sr, sr, sk, Bm + 16, K, M, M - 16, 6, 2, 0, accumulate);
  }
  for (; r < rows; r++) {
    tile8(C + (size_t)r * M, a + (size_t)r * sr, sr, sk, Bm, K, M, 16, 1, 2, 1, accumulate);
    tile8(C + (size_t)r * M + 16, a + (size_t)r * sr, sr, sk, Bm + 16, K, M, M - 16, 1, 2, 0, accumulate);
  }
}
#endif
#endif

#if defined(__AVX512F__)
/* 1 on AMD family 19h (Zen 3/4; of these only Zen 4 has AVX-512), which runs a 512-bit operation in two 256-bit
 * halves: there 16 < M <= 24 goes in three 8-wide vectors (24 lanes for M = 20, where two 16-wide ones give 32).
 * Where a 512-bit FMA costs what a 256-bit one does (Zen 5, Intel) two 16-wide vectors do the row in fewer FMAs:
 * Zen 5, 200x20, tms-sgemm-rate, the four M-sided products 70-72 -> 49-62 us, the step's five 126 -> 158 GFLOP/s
 * (OpenBLAS Cooperlake 153). Same bits either way (see the top). The compiler's CPU model, as isa.c reads it. */
static int splits_512(void) { return __builtin_cpu_is("amdfam19h") != 0; }
#endif

void TMS_ISA_FN(tms_skinny_gemm)(float *C /* (rows, M) */, const float *a, size_t sr, size_t sk,
                                 const float *Bm /* (K, M) */, int rows, int K, int M, int accumulate) {
#if defined(__AVX512F__)
  if (M <= 16) return rows_of(C, a, sr, sk, Bm, rows, K, M, 16, 12, 1, accumulate);
  if (M <= 24 && splits_512()) return rows_of(C, a, sr, sk, Bm, rows, K, M, 8, 8, 3, accumulate);
  if (M <= 32) return rows_of(C, a, sr, sk, Bm, rows, K, M, 16, 12, 2, accumulate);
#elif defined(__AVX2__)
  if (M <= 8) return rows_of(C, a, sr, sk, Bm, rows, K, M, 8, 6, 1, accumulate);
  if (M <= 16) return rows_of(C, a, sr, sk, Bm, rows, K, M, 8, 6, 2, accumulate);
  if (M <= 24) return rows_of(C, a, sr, sk, Bm, rows, K, M, 8, 4, 3, accumulate);
  if (M <= 32) return rows_split8(C, a, sr, sk, Bm, rows, K, M, accumulate);
#endif
  /* C (rows, M) = A Bm (+ C): A row-major with lda = sr when sk = 1, or transposed (lda = sk) when sr = 1 */
  if (sk == 1)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, M, K, 1.0f, a, (int)sr, Bm, M,
                accumulate ? 1.0f : 0.0f, C, M);
  else
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, M, K, 1.0f, a, (int)sk, Bm, M,
                accumulate ? 1.0f : 0.0f, C, M);
}
