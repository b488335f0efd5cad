/* kernels_sparse: the sparse formulations of the large-shape path (kernels_large.h), forward beside backward.
 * B batch, N features, M hidden; row-major float32. Each one does the same sum as its sgemm counterpart minus the
 * zero terms, in a fixed order that depends only on the positions of the nonzeros: row by row, nonzeros in
 * increasing index, four at a time where a row is accumulated (so a result depends on the data and the shape only).
 * Invariants: nothing allocates; the CSR of x is built by forward and read by backward; no reduction runs across
 * vector lanes, and contraction is off (ISO C), so the builds of the instruction-set paths (CMake tms_isa_variants,
 * names through TMS_ISA_FN) give bitwise the same results. */
#include <cblas.h>
#include <stdint.h>
#include <string.h>

#include "kernels/kernels_large.h"
#include "kernels_simd.h" /* TMS_IVDEP, tms_axpy, tms_axpy4 (and the unroll-and-jam pragma) */

/* ---- finding nonzeros ------------------------------------------------------------------------------------------ */

/* The nonzeros of 16 floats as a 16-bit mask (bit l: v[l] != 0; -0 counts as zero). Written with vector types:
 * a compare, an AND with the bit weights and four folds of halves, so it is a handful of vector operations at any
 * SIMD width instead of 16 scalar compares (and no reduction of floats, so no rounding question). */
typedef uint32_t tms_v16u __attribute__((vector_size(64)));
typedef uint32_t tms_v8u __attribute__((vector_size(32)));
typedef uint32_t tms_v4u __attribute__((vector_size(16)));
static inline uint32_t nonzero_mask16(const float *v /* (16) */) {
  static const tms_v16u weight = {1u << 0,  1u << 1,  1u << 2,  1u << 3,  1u << 4,  1u << 5,  1u << 6,  1u << 7,
                                  1u << 8,  1u << 9,  1u << 10, 1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15};
  tms_v16u a;
  tms_v8u lo, hi;
  tms_v4u l4, h4;
  memcpy(&a, v, sizeof a);
  a = (tms_v16u)((a & 0x7fffffffu) != 0) & weight;
  memcpy(&lo, &a, sizeof lo);
  memcpy(&hi, (const char *)&a + sizeof lo, sizeof hi);
  lo |= hi;
  memcpy(&l4, &lo, sizeof l4);
  memcpy(&h4, (const char *)&lo + sizeof l4, sizeof h4);
  l4 |= h4;
  return (l4[0] | l4[1]) | (l4[2] | l4[3]);
}

/* Indices of the nonzeros of v[0..n) appended at idx, in increasing order; returns their count. A group of 16 costs
 * one mask; each nonzero one trailing-zero count. */
static inline int row_nonzeros(int *restrict idx /* (n) */, const float *restrict v /* (n) */, int n) {
  int c = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    for (uint32_t m = nonzero_mask16(v + i); m; m &= m - 1) idx[c++] = i + __builtin_ctz(m);
  }
  for (; i < n; i++) {
    idx[c] = i;
    c += v[i] != 0.0f;
  }
  return c;
}

long TMS_ISA_FN(tms_csr_build)(tms_csr *csr, const float *a /* (B, N) */, int B, int N, long limit) {
  long total = 0;
  csr->start[0] = 0;
  for (int b = 0; b < B; b++) {
    total += row_nonzeros(csr->idx + total, a + (size_t)b * N, N);
    if (total > limit) return -1;
    csr->start[b + 1] = (int)total;
  }
  return total;
}

long TMS_ISA_FN(tms_count_nonzero)(const float *a /* (count) */, size_t count, long limit) {
  enum { BLOCK = 4096 }; /* entries between limit checks */
  long total = 0;
  for (size_t k0 = 0; k0 < count; k0 += BLOCK) {
    const size_t end = count - k0 < BLOCK ? count : k0 + BLOCK;
    int nz = 0;
    for (size_t k = k0; k < end; k++) {
      uint32_t u;
      memcpy(&u, a + k, sizeof u);
      nz += (u & 0x7fffffffu) != 0;
    }
    total += nz;
    if (total > limit) return -1;
  }
  return total;
}

/* y = sum over the c listed rows k of a_k V_k (rows of length n, stride ld), added to y; four at a time. */
static inline __attribute__((always_inline)) void gather_rows(float *restrict y /* (n) */,
                                                               const int *restrict idx /* (c) */,
                                                               const float *restrict a_row /* indexed by idx */,
                                                               const float *restrict V /* (., ld) */, size_t ld,
                                                               int c, int n) {
  int k = 0;
  for (; k + 4 <= c; k += 4) {
    const int i0 = idx[k], i1 = idx[k + 1], i2 = idx[k + 2], i3 = idx[k + 3];
    const float a[4] = {a_row[i0], a_row[i1], a_row[i2], a_row[i3]};
    tms_axpy4(y, a, V + i0 * ld, V + i1 * ld, V + i2 * ld, V + i3 * ld, n);
  }
  for (; k < c; k++) tms_axpy(y, a_row[idx[k]], V + idx[k] * ld, n);
}

/* ---- read-in: h = x W and dW += x^T dh, over the nonzeros of x ------------------------------------------------ */

void TMS_ISA_FN(tms_sparse_embed_forward)(float *h /* (B, M) */, const tms_csr *csr, const float *x /* (B, N) */,
                                         const float *W /* (N, M) */, int B, int N, int M) {
  for (int b = 0; b < B; b++) {
    float *hb = h + (size_t)b * M; /* (M) */
    const int s = csr->start[b];
    memset(hb, 0, sizeof(float) * (size_t)M);
    gather_rows(hb, csr->idx + s, x + (size_t)b * N, W, (size_t)M, csr->start[b + 1] - s, M);
  }
}

void TMS_ISA_FN(tms_sparse_embed_backward)(float *dW /* (N, M) */, const tms_csr *csr, const float *x /* (B, N) */,
                                          const float *dh /* (B, M) */, int B, int N, int M) {
  for (int b = 0; b < B; b++) {
    const float *xb = x + (size_t)b * N;   /* (N) */
    const float *dhb = dh + (size_t)b * M; /* (M) */
    for (int k = csr->start[b]; k < csr->start[b + 1]; k++) {
      const int i = csr->idx[k];
      tms_axpy(dW + (size_t)i * M, xb[i], dhb, M);
    }
  }
}

/* ---- read-out through the Gram matrix: out = ReLU(x G + b), G = W W^T ----------------------------------------- */

/* G's lower triangle from its upper one (ssyrk fills one triangle), in tiles so both sides stay in cache. */
static void mirror_upper(float *G /* (N, N) */, int N) {
  enum { T = 32 };
  for (int i0 = 0; i0 < N; i0 += T)
    for (int j0 = 0; j0 <= i0; j0 += T)
      for (int i = i0; i < N && i < i0 + T; i++)
        for (int j = j0; j < i && j < j0 + T; j++) G[(size_t)i * N + j] = G[(size_t)j * N + i];
}

static void relu_row(float *v /* (n) */, int n) {
  for (int i = 0; i < n; i++) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
}

static void gram_gather(float *out /* (B, N) */, const float *G /* (N, N) */, const tms_csr *csr,
                                   const float *x /* (B, N) */, const float *bias /* (N) */, int B, int N,
                                   int relu) {
  for (int b = 0; b < B; b++) {
    float *ob = out + (size_t)b * N; /* (N) */
    const int s = csr->start[b];
    memcpy(ob, bias, sizeof(float) * (size_t)N);
    gather_rows(ob, csr->idx + s, x + (size_t)b * N, G, (size_t)N, csr->start[b + 1] - s, N);
    if (relu) relu_row(ob, N);
  }
}

void TMS_ISA_FN(tms_gram_readout_forward)(float *out /* (B, N) */, float *G /* (N, N) scratch */,
                                          const tms_csr *csr, const float *x /* (B, N) */,
                                          const float *W /* (N, M) */, const float *bias /* (N) */, int B, int N,
                                          int M, int relu) {
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, N, M, 1.0f, W, M, 0.0f, G, N);
  mirror_upper(G, N);
  gram_gather(out, G, csr, x, bias, B, N, relu);
}

/* ---- read-out backward over the nonzeros of dout: dWout = dout^T h, dh = dout Wout ------------------------------ */

/* Any hidden width (M > TMS_LARGE_MAX_PAD): M-long axpys, with the compiler's loop remainders. */
static void readout_backward_any(float *dWout /* (N, M) */, float *dh /* (B, M) */,
                                            const float *dout /* (B, N) */, const float *h /* (B, M) */,
                                            const float *Wout /* (N, M) */, int B, int N, int M) {
  enum { CHUNK = 256 }; /* indices gathered at once (a stack array: no allocation) */
  int idx[CHUNK];
  memset(dWout, 0, sizeof(float) * (size_t)N * M);
  for (int b = 0; b < B; b++) {
    const float *gb = dout + (size_t)b * N; /* (N) */
    const float *hb = h + (size_t)b * M;    /* (M) */
    float *dhb = dh + (size_t)b * M;        /* (M) */
    memset(dhb, 0, sizeof(float) * (size_t)M);
    for (int i0 = 0; i0 < N; i0 += CHUNK) {
      const int len = N - i0 < CHUNK ? N - i0 : CHUNK;
      const int c = row_nonzeros(idx, gb + i0, len);
      gather_rows(dhb, idx, gb + i0, Wout + (size_t)i0 * M, (size_t)M, c, M);
      for (int k = 0; k < c; k++) tms_axpy(dWout + (size_t)(i0 + idx[k]) * M, gb[i0 + idx[k]], hb, M);
    }
  }
}

/* The loop for a hidden width padded to MP, a compile-time multiple of 16: dh_b is accumulated in MP floats that
 * stay in registers and every M-long update is MP/16 whole vectors (no loop remainders), which is what makes the
 * per-nonzero cost a few cycles. Wp and dWp are (N, MP) with zero padding; h rows are padded on the fly. */
static inline __attribute__((always_inline)) void readout_backward_padded(
    float *restrict dWp /* (N, MP) */, float *restrict dh /* (B, M) */, const float *restrict dout /* (B, N) */,
    const float *restrict h /* (B, M) */, const float *restrict Wp /* (N, MP) */, int B, int N, int M, const int MP) {
  enum { CHUNK = 256 };
  int idx[CHUNK];
  for (int b = 0; b < B; b++) {
    const float *gb = dout + (size_t)b * N; /* (N) */
    float hb[64], acc[64];                  /* (MP) */
    for (int j = 0; j < MP; j++) hb[j] = j < M ? h[(size_t)b * M + j] : 0.0f, acc[j] = 0.0f;
    for (int i0 = 0; i0 < N; i0 += CHUNK) {
      const int len = N - i0 < CHUNK ? N - i0 : CHUNK;
      const int c = row_nonzeros(idx, gb + i0, len);
      for (int k = 0; k < c; k++) {
        const int i = i0 + idx[k];
        const float g = gb[i];
        const float *Wi = Wp + (size_t)i * MP; /* (MP) */
        float *dWi = dWp + (size_t)i * MP;     /* (MP) */
        for (int j = 0; j < MP; j++) acc[j] += g * Wi[j];
        for (int j = 0; j < MP; j++) dWi[j] += g * hb[j];
      }
    }
    for (int j = 0; j < M; j++) dh[(size_t)b * M + j] = acc[j];
  }
}

static void readout_backward_pad(float *dWp, float *dh, const float *dout, const float *h, const float *Wp,
                                            int B, int N, int M, int MP) {
  switch (MP) {
    case 16: readout_backward_padded(dWp, dh, dout, h, Wp, B, N, M, 16); break;
    case 32: readout_backward_padded(dWp, dh, dout, h, Wp, B, N, M, 32); break;
    case 48: readout_backward_padded(dWp, dh, dout, h, Wp, B, N, M, 48); break;
    default: readout_backward_padded(dWp, dh, dout, h, Wp, B, N, M, 64); break;
  }
}

void TMS_ISA_FN(tms_sparse_readout_backward)(float *dWout /* (N, M) */, float *dh /* (B, M) */,
                                             const float *dout /* (B, N) */, const float *h /* (B, M) */,
                                             const float *Wout /* (N, M) */, float *pad, int B, int N, int M) {
  const int MP = (M + 15) / 16 * 16;
  if (MP <= TMS_LARGE_MAX_PAD) {
    float *Wp = pad, *dWp = pad + (size_t)N * MP; /* (N, MP) each */
    for (int i = 0; i < N; i++)
      for (int j = 0; j < MP; j++) Wp[(size_t)i * MP + j] = j < M ? Wout[(size_t)i * M + j] : 0.0f;
    memset(dWp, 0, sizeof(float) * (size_t)N * MP);
    readout_backward_pad(dWp, dh, dout, h, Wp, B, N, M, MP);
    for (int i = 0; i < N; i++) memcpy(dWout + (size_t)i * M, dWp + (size_t)i * MP, sizeof(float) * (size_t)M);
    return;
  }
  readout_backward_any(dWout, dh, dout, h, Wout, B, N, M);
}
