/* kernels_sparse: the sparse formulations of the large-shape path (kernels_large.h), forward beside backward.
 * B batch, N features, M hidden; row-major float32. Each one does the same sum as its sgemm counterpart minus the
 * zero terms, in a fixed order that depends only on the positions of the nonzeros: row by row, nonzeros in
 * increasing index, four at a time where a row is accumulated (so a result depends on the data and the shape only).
 * Invariants: nothing allocates; the CSR of x is built by forward and read by backward; no reduction runs across
 * vector lanes, and contraction is off (ISO C), so the builds of the instruction-set paths (CMake tms_isa_variants,
 * names through TMS_ISA_FN) give bitwise the same results. */
#include <cblas.h>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <stdint.h>
#include <string.h>

#include "isa/isa.h" /* tms_isa_l1d_bytes */
#include "kernels/kernels_large.h"
#include "kernels_nonzero.h"
#include "kernels_simd.h" /* TMS_IVDEP, tms_axpy, tms_axpy4 (and the unroll-and-jam pragma) */

/* ---- finding nonzeros (kernels_nonzero.h) ----------------------------------------------------------------- */

/* Whether a has more than limit nonzeros, counted 16 at a time (one mask and one popcount each), stopping as soon as
 * the count passes it: on dense data this costs a count of the first limit entries instead of their list. */
static int more_nonzeros_than(const float *a /* (B, N) */, int B, int N, long limit) {
  long total = 0;
  for (int b = 0; b < B; b++) {
    const float *ab = a + (size_t)b * N; /* (N) */
    int i = 0;
    for (; i + 16 <= N; i += 16) total += __builtin_popcount(tms_nonzero_mask16(ab + i));
    for (; i < N; i++) {
      uint32_t u;
      memcpy(&u, ab + i, sizeof u);
      total += (u & 0x7fffffffu) != 0;
    }
    if (total > limit) return 1;
  }
  return 0;
}

long TMS_ISA_FN(tms_csr_build)(tms_csr *csr, const float *a /* (B, N) */, int B, int N, long limit) {
  long total = 0;
  if (more_nonzeros_than(a, B, N, limit)) return -1;
  csr->start[0] = 0;
  for (int b = 0; b < B; b++) {
    const float *ab = a + (size_t)b * N; /* (N) */
    const long first = total;
    total += tms_row_nonzeros(csr->idx + total, ab, N);
    if (total > limit) return -1;
    for (long k = first; k < total; k++) csr->val[k] = ab[csr->idx[k]];
    csr->start[b + 1] = (int)total;
  }
  return total;
}

/* y = sum over the c listed rows k of a_k V_k (rows of length n, stride ld, a_k = val[k]), added to y; four at a
 * time. */
static inline __attribute__((always_inline)) void gather_rows(float *restrict y /* (n) */,
                                                               const int *restrict idx /* (c) */,
                                                               const float *restrict val /* (c) */,
                                                               const float *restrict V /* (., ld) */, size_t ld,
                                                               int c, int n) {
  int k = 0;
  for (; k + 4 <= c; k += 4) {
    const int i0 = idx[k], i1 = idx[k + 1], i2 = idx[k + 2], i3 = idx[k + 3];
    const float a[4] = {val[k], val[k + 1], val[k + 2], val[k + 3]};
    tms_axpy4(y, a, V + i0 * ld, V + i1 * ld, V + i2 * ld, V + i3 * ld, n);
  }
  for (; k < c; k++) tms_axpy(y, val[k], V + idx[k] * ld, n);
}

/* ---- read-in: h = x W and dW += x^T dh, over the nonzeros of x ------------------------------------------------ */

/* Hidden width padded to a multiple of 8 (a compile-time MP): rows of W and dW copied to (N, MP) rows, so every
 * M-long update is whole vectors at aligned row starts, and h's row sums in MP floats kept in registers (runtime M
 * left loop remainders and misaligned rows: 30-50 cycles per nonzero at M = 30). Same sums, same order as
 * gather_rows / tms_axpy (padding lanes are zero and never stored back), so the same bits. */
#define TMS_EMBED_PAD(M) (((M) + 7) / 8 * 8)

/* Rows of length M to rows of length MP (zero-filled) and back, with MP a constant where inlined: whole-vector
 * copies, not a memcpy call per row (GCC turns a copy loop of runtime length M into one: 1024 calls of 80-120
 * bytes cost as much as the sparse loop they feed). A row of length M is written as MP floats, the excess landing
 * at the start of the next row, which is written after it; the last row gets exactly M. */
static inline __attribute__((always_inline)) void pad_rows(float *restrict dst /* (n, MP) */,
                                                            const float *restrict src /* (n, M) */, int n, int M,
                                                            const int MP) {
  int i = 0;
  for (; MP <= 2 * M && i + 1 < n; i++) /* reads MP floats (past M: the next row's start, within src), keeps M */
    for (int j = 0; j < MP; j++) {
      const float v = src[(size_t)i * M + j];
      dst[(size_t)i * MP + j] = j < M ? v : 0.0f;
    }
  for (; i < n; i++)
    for (int j = 0; j < MP; j++) dst[(size_t)i * MP + j] = j < M ? src[(size_t)i * M + j] : 0.0f;
}

static inline __attribute__((always_inline)) void store_row(float *restrict dst /* (M) */,
                                                             const float *restrict v /* (MP) */, int M, int last,
                                                             const int MP) {
  if (!last) {
    for (int j = 0; j < MP; j++) dst[j] = v[j];
    return;
  }
  for (int j = 0; j < M; j++) dst[j] = v[j];
}

static inline __attribute__((always_inline)) void unpad_rows(float *restrict dst /* (n, M) */,
                                                              const float *restrict src /* (n, MP) */, int n, int M,
                                                              const int MP) {
  for (int i = 0; i < n; i++) store_row(dst + (size_t)i * M, src + (size_t)i * MP, M, i == n - 1, MP);
}

static inline __attribute__((always_inline)) void embed_forward_padded(float *restrict h /* (B, M) */,
                                                                        const tms_csr *csr, float *restrict Wp,
                                                                        const float *restrict W /* (N, M) */, int B,
                                                                        int N, int M, const int MP) {
  pad_rows(Wp, W, N, M, MP); /* (N, MP) */
  for (int b = 0; b < B; b++) {
    float acc[64]; /* (MP) */
    for (int j = 0; j < MP; j++) acc[j] = 0.0f;
    const int *idx = csr->idx;
    const float *val = csr->val;
    int k = csr->start[b];
    const int end = csr->start[b + 1];
    for (; k + 4 <= end; k += 4) {
      const float a0 = val[k], a1 = val[k + 1], a2 = val[k + 2], a3 = val[k + 3];
      const float *v0 = Wp + (size_t)idx[k] * MP, *v1 = Wp + (size_t)idx[k + 1] * MP;
      const float *v2 = Wp + (size_t)idx[k + 2] * MP, *v3 = Wp + (size_t)idx[k + 3] * MP;
      for (int j = 0; j < MP; j++) acc[j] += (a0 * v0[j] + a1 * v1[j]) + (a2 * v2[j] + a3 * v3[j]);
    }
    for (; k < end; k++) {
      const float a = val[k], *v = Wp + (size_t)idx[k] * MP;
      for (int j = 0; j < MP; j++) acc[j] += a * v[j];
    }
    store_row(h + (size_t)b * M, acc, M, b == B - 1, MP);
  }
}

static inline __attribute__((always_inline)) void embed_backward_padded(float *restrict dW /* (N, M) */,
                                                                         float *restrict dWp, const tms_csr *csr,
                                                                         const float *restrict dh /* (B, M) */,
                                                                         int B, int N, int M, const int MP) {
  pad_rows(dWp, dW, N, M, MP); /* (N, MP) */
  for (int b = 0; b < B; b++) {
    float g[64]; /* (MP) dh's row, zero-padded */
    for (int j = 0; j < MP; j++) g[j] = j < M ? dh[(size_t)b * M + j] : 0.0f;
    for (int k = csr->start[b]; k < csr->start[b + 1]; k++) {
      const float a = csr->val[k];
      float *restrict y = dWp + (size_t)csr->idx[k] * MP;
      for (int j = 0; j < MP; j++) y[j] += a * g[j];
    }
  }
  unpad_rows(dW, dWp, N, M, MP);
}

#define TMS_EMBED_CASES(F, ...) \
  switch (MP) {                 \
  case 8: F(__VA_ARGS__, 8); break;   \
  case 16: F(__VA_ARGS__, 16); break; \
  case 24: F(__VA_ARGS__, 24); break; \
  case 32: F(__VA_ARGS__, 32); break; \
  case 40: F(__VA_ARGS__, 40); break; \
  case 48: F(__VA_ARGS__, 48); break; \
  case 56: F(__VA_ARGS__, 56); break; \
  default: F(__VA_ARGS__, 64); break; \
  }

void TMS_ISA_FN(tms_sparse_embed_forward)(float *h /* (B, M) */, const tms_csr *csr, const float *x /* (B, N) */,
                                         const float *W /* (N, M) */, float *pad, int B, int N, int M) {
  (void)x; /* the values come from the CSR */
  const int MP = TMS_EMBED_PAD(M);
  if (MP <= TMS_LARGE_MAX_PAD) {
    TMS_EMBED_CASES(embed_forward_padded, h, csr, pad, W, B, N, M)
    return;
  }
  for (int b = 0; b < B; b++) {
    float *hb = h + (size_t)b * M; /* (M) */
    const int s = csr->start[b];
    memset(hb, 0, sizeof(float) * (size_t)M);
    gather_rows(hb, csr->idx + s, csr->val + s, W, (size_t)M, csr->start[b + 1] - s, M);
  }
}

void TMS_ISA_FN(tms_sparse_embed_backward)(float *dW /* (N, M) */, const tms_csr *csr, const float *x /* (B, N) */,
                                          const float *dh /* (B, M) */, float *pad, int B, int N, int M) {
  (void)x; /* the values come from the CSR */
  const int MP = TMS_EMBED_PAD(M);
  if (MP <= TMS_LARGE_MAX_PAD) {
    TMS_EMBED_CASES(embed_backward_padded, dW, pad, csr, dh, B, N, M)
    return;
  }
  for (int b = 0; b < B; b++) {
    const float *dhb = dh + (size_t)b * M; /* (M) */
    for (int k = csr->start[b]; k < csr->start[b + 1]; k++) tms_axpy(dW + (size_t)csr->idx[k] * M, csr->val[k], dhb, M);
  }
}

/* ---- read-out through the Gram matrix: out = ReLU(x G + b), G = W W^T ----------------------------------------- */

/* dst (8 rows, ld) = the transpose of src's 8 x 8 (8 rows, ld): a copy, exact. */
static inline void transpose8(float *restrict dst, const float *restrict src, size_t ld) {
#if defined(__AVX2__) || defined(__AVX512F__)
  __m256 r[8], t[8], u[8];
  for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(src + k * ld);
  for (int k = 0; k < 8; k += 2) t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]), t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
  for (int k = 0; k < 8; k += 4) /* 4 x 4 blocks of each 128-bit half */
    for (int l = 0; l < 2; l++) {
      u[k + 2 * l] = _mm256_shuffle_ps(t[k + l], t[k + l + 2], 0x44);
      u[k + 2 * l + 1] = _mm256_shuffle_ps(t[k + l], t[k + l + 2], 0xEE);
    }
  for (int k = 0; k < 4; k++) {
    _mm256_storeu_ps(dst + k * ld, _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
    _mm256_storeu_ps(dst + (k + 4) * ld, _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
  }
#else
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++) dst[i * ld + j] = src[j * ld + i];
#endif
}

/* G's lower triangle from its upper one (ssyrk fills one triangle), in 16 x 16 tiles (whole cache lines on both
 * sides): off-diagonal tiles as four 8 x 8 transposes in registers on the vector builds (the scalar tile copy through
 * a local tile was 5% of the step at 400x30 density 0.01; Zen 3: 3.55 -> 3.35 s per 5,000 steps), the diagonal
 * tiles' lower-left 8 x 8 likewise, the rest element by element. A copy: the same bits. */
static void mirror_upper(float *G /* (N, N) */, int N) {
  enum { T = 16 };
  const size_t ld = (size_t)N;
  for (int i0 = 0; i0 < N; i0 += T)
    for (int j0 = 0; j0 <= i0; j0 += T) {
      const int ni = N - i0 < T ? N - i0 : T, nj = N - j0 < T ? N - j0 : T;
      if (ni == T && nj == T) {
        for (int a = 0; a < T; a += 8)
          for (int b = 0; b < T; b += 8)
            if (j0 < i0 || b < a) transpose8(G + (i0 + a) * ld + j0 + b, G + (j0 + b) * ld + i0 + a, ld);
        if (j0 < i0) continue;
      }
      for (int i = i0; i < i0 + ni; i++) /* diagonal 8 x 8s and the edges */
        for (int j = j0; j < j0 + nj && j < i; j++)
          if (!(ni == T && nj == T && (i - i0) / 8 != (j - j0) / 8)) G[(size_t)i * N + j] = G[(size_t)j * N + i];
    }
}

static void relu_row(float *v /* (n) */, int n) {
  for (int i = 0; i < n; i++) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
}

void TMS_ISA_FN(tms_gram_matrix)(float *G /* (N, N) */, const float *W /* (N, M) */, int N, int M) {
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, N, M, 1.0f, W, M, 0.0f, G, N);
  mirror_upper(G, N);
}

/* ob = b + sum over the c listed k of xb[k] G_k: the nonzeros four per pass over ob, the first pass from the bias
 * (not a copy of it and a pass more), the last c mod 4 in one pass: ob is loaded and stored once per four rows of G,
 * which (not the multiply-adds) is what a gather of 1-8 rows (x at density 0.01-0.02) costs. Order: groups of four
 * in list order, each ((a0 G0 + a1 G1) + (a2 G2 + a3 G3)), the remainder ((a0 G0 + a1 G1) + a2 G2). */
void TMS_ISA_FN(tms_gram_row)(float *restrict ob /* (N) */, const float *restrict G /* (N, N) */,
                              const int *restrict idx /* (c) */, int c, const float *restrict xb /* (N) */,
                              const float *restrict bias /* (N) */, int N) {
  const size_t ld = (size_t)N;
  const float *in = bias; /* the first pass reads the bias, the others ob */
  int k = 0;
  for (; k + 4 <= c; k += 4) {
    const float a0 = xb[idx[k]], a1 = xb[idx[k + 1]], a2 = xb[idx[k + 2]], a3 = xb[idx[k + 3]];
    const float *g0 = G + idx[k] * ld, *g1 = G + idx[k + 1] * ld, *g2 = G + idx[k + 2] * ld, *g3 = G + idx[k + 3] * ld;
    TMS_IVDEP
    for (int j = 0; j < N; j++) ob[j] = in[j] + ((a0 * g0[j] + a1 * g1[j]) + (a2 * g2[j] + a3 * g3[j]));
    in = ob;
  }
  const int r = c - k;
  const float a0 = r > 0 ? xb[idx[k]] : 0.0f, a1 = r > 1 ? xb[idx[k + 1]] : 0.0f, a2 = r > 2 ? xb[idx[k + 2]] : 0.0f;
  const float *g0 = r > 0 ? G + idx[k] * ld : NULL, *g1 = r > 1 ? G + idx[k + 1] * ld : NULL;
  const float *g2 = r > 2 ? G + idx[k + 2] * ld : NULL;
  if (r == 3) {
    TMS_IVDEP
    for (int j = 0; j < N; j++) ob[j] = in[j] + ((a0 * g0[j] + a1 * g1[j]) + a2 * g2[j]);
  } else if (r == 2) {
    TMS_IVDEP
    for (int j = 0; j < N; j++) ob[j] = in[j] + (a0 * g0[j] + a1 * g1[j]);
  } else if (r == 1) {
    TMS_IVDEP
    for (int j = 0; j < N; j++) ob[j] = in[j] + a0 * g0[j];
  } else if (in != ob) {
    memcpy(ob, bias, sizeof(float) * ld);
  }
}

void TMS_ISA_FN(tms_gram_readout_forward)(float *out /* (B, N) */, float *G /* (N, N) scratch */,
                                          const tms_csr *csr, const float *x /* (B, N) */,
                                          const float *W /* (N, M) */, const float *bias /* (N) */, int B, int N,
                                          int M, int relu) {
  TMS_ISA_FN(tms_gram_matrix)(G, W, N, M);
  for (int b = 0; b < B; b++) {
    float *ob = out + (size_t)b * N; /* (N) */
    const int s = csr->start[b];
    TMS_ISA_FN(tms_gram_row)(ob, G, csr->idx + s, csr->start[b + 1] - s, x + (size_t)b * N, bias, N);
    if (relu) relu_row(ob, N);
  }
}

/* ---- read-out backward over the nonzeros of dout: dWout = dout^T h, dh = dout Wout ------------------------------ */

/* Any hidden width (M > TMS_LARGE_MAX_PAD): M-long axpys, with the compiler's loop remainders. */
static void readout_backward_any(float *dWout /* (N, M) */, float *dh /* (B, M) */, const tms_csr *nz,
                                 const float *h /* (B, M) */, const float *Wout /* (N, M) */, int B, int N, int M) {
  memset(dWout, 0, sizeof(float) * (size_t)N * M);
  for (int b = 0; b < B; b++) {
    const float *hb = h + (size_t)b * M; /* (M) */
    float *dhb = dh + (size_t)b * M;     /* (M) */
    const int *idx = nz->idx + nz->start[b];
    const float *g = nz->val + nz->start[b];
    const int c = nz->start[b + 1] - nz->start[b];
    memset(dhb, 0, sizeof(float) * (size_t)M);
    gather_rows(dhb, idx, g, Wout, (size_t)M, c, M);
    for (int k = 0; k < c; k++) tms_axpy(dWout + (size_t)idx[k] * M, g[k], hb, M);
  }
}

/* Features per block of the padded loop. A block of 20 KiB of Wp rows (and as many of dWp) stays in L1 while every
 * batch row's nonzeros in it are visited: on a Zen 5 (48 KiB L1D), unblocked, they came from L2 at 400 x 30 (~8
 * cycles per nonzero). So blocks are taken only where two of them fit in the core's L1D: with 32 KiB (Zen 3, Zen 4)
 * they do not, and blocking only adds the passes over dh's partial sums (Zen 3, 400x30 density 0.01, 5,000 steps:
 * unblocked 1.05x faster than 20 KiB blocks, 13.6 KiB blocks 1.03x slower). 200 x 20 (MP 24) fits one block. The
 * block never changes a bit (every sum keeps its order; tms_large_dout_block_bytes forces one for the test). */
enum { DOUT_BLOCK_BYTES = 20480 };

static int dout_block_features(int N, int MP) {
  const long forced = tms_large_dout_block_bytes;
  const long bytes = forced > 0 ? forced : tms_isa_l1d_bytes() >= 2 * DOUT_BLOCK_BYTES ? DOUT_BLOCK_BYTES : 0;
  const long nb = bytes / (long)sizeof(float) / MP;
  return bytes <= 0 || nb >= N ? N : nb < 1 ? 1 : (int)nb;
}

/* The loop for a hidden width padded to MP, a compile-time multiple of 8: dh_b is accumulated in MP floats that
 * stay in registers and every M-long update is MP/8 whole vectors (no loop remainders), which is what makes the
 * per-nonzero cost a few cycles. Wp and dWp are (N, MP) with zero padding, dhp (B, MP) dh's partial sums between
 * feature blocks, cur (B) each row's next nonzero. Blocking keeps every sum's order: dh_b over its nonzeros in
 * increasing index (carried exactly in dhp between blocks), dWout_i over the rows in order. */
static inline __attribute__((always_inline)) void readout_backward_padded(
    float *restrict dWp /* (N, MP) */, float *restrict dh /* (B, M) */, float *restrict dhp /* (B, MP) */,
    int *restrict cur /* (B) */, const tms_csr *nz, const float *restrict h /* (B, M) */,
    const float *restrict Wp /* (N, MP) */, int B, int N, int M, const int MP) {
  const int NB = dout_block_features(N, MP);
  const int *restrict idx = nz->idx;
  const float *restrict val = nz->val;
  memset(dWp, 0, sizeof(float) * (size_t)N * MP);
  for (int f0 = 0; f0 < N; f0 += NB) {
    const int f1 = N - f0 < NB ? N : f0 + NB;
    for (int b = 0; b < B; b++) {
      float hb[64], acc[64]; /* (MP) */
      for (int j = 0; j < MP; j++) hb[j] = j < M ? h[(size_t)b * M + j] : 0.0f;
      for (int j = 0; j < MP; j++) acc[j] = f0 == 0 ? 0.0f : dhp[(size_t)b * MP + j];
      int k = f0 == 0 ? nz->start[b] : cur[b];
      for (const int end = nz->start[b + 1]; k < end && idx[k] < f1; k++) {
        const float g = val[k];
        const float *Wi = Wp + (size_t)idx[k] * MP; /* (MP) */
        float *dWi = dWp + (size_t)idx[k] * MP;     /* (MP) */
        for (int j = 0; j < MP; j++) acc[j] += g * Wi[j];
        for (int j = 0; j < MP; j++) dWi[j] += g * hb[j];
      }
      if (f1 == N) {
        store_row(dh + (size_t)b * M, acc, M, b == B - 1, MP);
        continue;
      }
      cur[b] = k;
      for (int j = 0; j < MP; j++) dhp[(size_t)b * MP + j] = acc[j];
    }
  }
}

/* The padded loop with its copies in and out: Wout padded into Wp, dWp back to dWout. */
static inline __attribute__((always_inline)) void readout_backward_copies(
    float *restrict dWout, float *restrict dh, const float *restrict h, const float *restrict Wout, float *pad,
    const tms_csr *nz, int B, int N, int M, const int MP) {
  float *Wp = pad, *dWp = pad + (size_t)N * MP, *dhp = dWp + (size_t)N * MP;
  int *cur = (int *)(void *)(dhp + (size_t)B * MP);
  pad_rows(Wp, Wout, N, M, MP);
  readout_backward_padded(dWp, dh, dhp, cur, nz, h, Wp, B, N, M, MP);
  unpad_rows(dWout, dWp, N, M, MP);
}

void TMS_ISA_FN(tms_sparse_readout_backward)(float *dWout /* (N, M) */, float *dh /* (B, M) */, const tms_csr *nz,
                                             const float *dout /* (B, N) */, const float *h /* (B, M) */,
                                             const float *Wout /* (N, M) */, float *pad, int B, int N, int M) {
  (void)dout; /* the values come from nz */
  const int MP = TMS_EMBED_PAD(M);
  if (MP <= TMS_LARGE_MAX_PAD) {
    TMS_EMBED_CASES(readout_backward_copies, dWout, dh, h, Wout, pad, nz, B, N, M)
    return;
  }
  readout_backward_any(dWout, dh, nz, h, Wout, B, N, M);
}
