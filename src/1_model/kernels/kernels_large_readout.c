/* kernels_large_readout: the dense read-out of the large path, out = h Wout^T + b (kernels_large.h,
 * tms_readout_rows), on the vector builds in place of cblas_sgemm.
 * What it computes: rows of out (rows, N) = h (rows, M) WT (M, N) + b, with WT = Wout^T made once per batch by
 * tms_readout_transpose (N M floats: 16-48 KiB at 200x20 .. 400x30, read from L1 / L2 by every tile).
 * Why not sgemm: the inner dimension is M = 20 or 30, where OpenBLAS packs both operands for every call and runs
 * well below its rate; and the fused step (kernels_large_step.c) takes the rows a block at a time
 * (TMS_READOUT_ROWS), so the row pass (ReLU, loss, dout, db, dout's nonzeros) reads a block while it is in L1
 * instead of a (B, N) array written by sgemm and read back from L2 / memory.
 * Here a tile of R rows x NV vectors of columns stays in registers across the M-long k loop (per k: NV vector
 * loads of WT, R broadcasts of h, R NV FMAs); the last vector of a row is a masked load / store.
 * Bits: every entry is a chain of FMAs over k in increasing order, starting from the bias
 * (c = b_j; c = fma(h[r][k], WT[k][j], c)); an FMA is exactly rounded and the order depends on neither the vector
 * width nor the tile, so the AVX2 and AVX-512 builds give the same bits, and a block of rows the same bits as the
 * whole batch. They differ from sgemm's (kernels_large.h, "Bits changed by session 11"). The generic build keeps
 * sgemm (tms_large_dense_readout) and never calls this. */
#include <stddef.h>

#include "kernels/kernels_large.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

/* WT (M, N) = Wout^T, Wout (N, M). */
void TMS_ISA_FN(tms_readout_transpose)(float *restrict WT /* (M, N) */, const float *restrict Wout /* (N, M) */,
                                       int N, int M) {
  for (int i = 0; i < N; i++)
    for (int k = 0; k < M; k++) WT[(size_t)k * N + i] = Wout[(size_t)i * M + k];
}

#if defined(__AVX512F__)
/* A tile of R rows x NV vectors of 16 columns from column j on; mt masks the last vector's columns below N. */
static inline __attribute__((always_inline)) void tile16(float *restrict out, const float *restrict h,
                                                         const float *restrict WT, const float *restrict bias, int j,
                                                         int N, int M, int R, int NV, __mmask16 mt) {
  __m512 c[8][4];
  for (int v = 0; v < NV; v++) {
    const __mmask16 m = v < NV - 1 ? (__mmask16)0xffff : mt;
    c[0][v] = _mm512_maskz_loadu_ps(m, bias + j + 16 * v);
    for (int r = 1; r < R; r++) c[r][v] = c[0][v];
  }
  for (int k = 0; k < M; k++) {
    const float *wk = WT + (size_t)k * N + j;
    __m512 w[4];
    for (int v = 0; v < NV; v++)
      w[v] = v < NV - 1 ? _mm512_loadu_ps(wk + 16 * v) : _mm512_maskz_loadu_ps(mt, wk + 16 * v);
    for (int r = 0; r < R; r++) {
      const __m512 a = _mm512_set1_ps(h[(size_t)r * M + k]);
      for (int v = 0; v < NV; v++) c[r][v] = _mm512_fmadd_ps(a, w[v], c[r][v]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++)
      _mm512_mask_storeu_ps(out + (size_t)r * N + j + 16 * v, v < NV - 1 ? (__mmask16)0xffff : mt, c[r][v]);
}

/* R rows, all N columns: tiles of 3 vectors (R = 8: 24 accumulators, 3 loads and a broadcast of the 32 registers),
 * then the last 1 .. 3 vectors, the last one masked. */
static inline __attribute__((always_inline)) void rows16(float *out, const float *h, const float *WT,
                                                         const float *bias, int N, int M, int R) {
  int j = 0;
  for (; j + 48 <= N; j += 48) tile16(out, h, WT, bias, j, N, M, R, 3, (__mmask16)0xffff);
  const int rest = N - j;
  if (rest == 0) return;
  const __mmask16 mt = (__mmask16)(rest % 16 == 0 ? 0xffffu : (1u << (rest % 16)) - 1u);
  if (rest <= 16)
    tile16(out, h, WT, bias, j, N, M, R, 1, mt);
  else if (rest <= 32)
    tile16(out, h, WT, bias, j, N, M, R, 2, mt);
  else
    tile16(out, h, WT, bias, j, N, M, R, 3, mt);
}
#elif defined(__AVX2__)
/* The same with vectors of 8: R = 4 rows x 3 vectors (12 accumulators, 3 loads and a broadcast of 16 registers).
 * masked: the last vector is partial (mt). Only then vmaskmov: its store is microcoded on AMD (Zen 4, 200x20: the
 * read-out at 50 GFLOP/s with a masked last vector in every tile, against OpenBLAS Haswell's 97). */
static inline __attribute__((always_inline)) void tile8(float *restrict out, const float *restrict h,
                                                        const float *restrict WT, const float *restrict bias, int j,
                                                        int N, int M, int R, int NV, int masked, __m256i mt) {
  __m256 c[4][3];
  const int plain = masked ? NV - 1 : NV; /* vectors loaded and stored whole */
  for (int v = 0; v < NV; v++) {
    c[0][v] = v < plain ? _mm256_loadu_ps(bias + j + 8 * v) : _mm256_maskload_ps(bias + j + 8 * v, mt);
    for (int r = 1; r < R; r++) c[r][v] = c[0][v];
  }
  for (int k = 0; k < M; k++) {
    const float *wk = WT + (size_t)k * N + j;
    __m256 w[3];
    for (int v = 0; v < NV; v++) w[v] = v < plain ? _mm256_loadu_ps(wk + 8 * v) : _mm256_maskload_ps(wk + 8 * v, mt);
    for (int r = 0; r < R; r++) {
      const __m256 a = _mm256_broadcast_ss(h + (size_t)r * M + k);
      for (int v = 0; v < NV; v++) c[r][v] = _mm256_fmadd_ps(a, w[v], c[r][v]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++) {
      float *o = out + (size_t)r * N + j + 8 * v;
      if (v < plain)
        _mm256_storeu_ps(o, c[r][v]);
      else
        _mm256_maskstore_ps(o, mt, c[r][v]);
    }
}

/* The last 1 .. 3 vectors of columns (nv), the last one partial if masked. */
static inline __attribute__((always_inline)) void rows8_rest(float *out, const float *h, const float *WT,
                                                             const float *bias, int j, int N, int M, int R, int nv,
                                                             int masked, __m256i mt) {
  if (nv == 1)
    tile8(out, h, WT, bias, j, N, M, R, 1, masked, mt);
  else if (nv == 2)
    tile8(out, h, WT, bias, j, N, M, R, 2, masked, mt);
  else
    tile8(out, h, WT, bias, j, N, M, R, 3, masked, mt);
}

static inline __attribute__((always_inline)) void rows8(float *out, const float *h, const float *WT,
                                                        const float *bias, int N, int M, int R) {
  int j = 0;
  const __m256i all = _mm256_set1_epi32(-1);
  for (; j + 24 <= N; j += 24) tile8(out, h, WT, bias, j, N, M, R, 3, 0, all);
  const int rest = N - j;
  if (rest == 0) return;
  const __m256i mt = _mm256_cmpgt_epi32(_mm256_set1_epi32(rest % 8), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const int nv = (rest + 7) / 8;
  if (rest % 8 == 0)
    rows8_rest(out, h, WT, bias, j, N, M, R, nv, 0, all);
  else
    rows8_rest(out, h, WT, bias, j, N, M, R, nv, 1, mt);
}
#endif

void TMS_ISA_FN(tms_readout_rows)(float *out /* (rows, N) */, const float *h /* (rows, M) */,
                                  const float *WT /* (M, N) */, const float *bias /* (N) */, int rows, int N, int M) {
  int r = 0;
#if defined(__AVX512F__)
  for (; r + 8 <= rows; r += 8) rows16(out + (size_t)r * N, h + (size_t)r * M, WT, bias, N, M, 8);
  for (; r < rows; r++) rows16(out + (size_t)r * N, h + (size_t)r * M, WT, bias, N, M, 1);
#elif defined(__AVX2__)
  for (; r + 4 <= rows; r += 4) rows8(out + (size_t)r * N, h + (size_t)r * M, WT, bias, N, M, 4);
  for (; r < rows; r++) rows8(out + (size_t)r * N, h + (size_t)r * M, WT, bias, N, M, 1);
#else
  for (; r < rows; r++) /* not taken (the generic build's read-out is sgemm), kept for completeness: same order */
    for (int j = 0; j < N; j++) {
      float c = bias[j];
      for (int k = 0; k < M; k++) c = __builtin_fmaf(h[(size_t)r * M + k], WT[(size_t)k * N + j], c);
      out[(size_t)r * N + j] = c;
    }
#endif
}
