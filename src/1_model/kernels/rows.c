/* rows: the row-loop kernels (one batch row at a time, an axpy of length M per nonzero), used for the sparse
 * products of the cblas path and as the portable reference path (TMS_KERNELS_LOOP), plus the elementwise passes
 * of the cblas path (ReLU, density estimate, bias gradient). Forward beside backward for each product.
 * Size letters: B batch, N features, M hidden; row-major float32, W (N, M).
 * Compiled once per instruction-set path (isa/isa_fn.h); no loop reduces across vector lanes and contraction is
 * off (ISO C), so every build gives the same bits. */
#if defined(__GNUC__) && !defined(__clang__)
/* -O3's unroll-and-jam fuses two nonzeros' axpys into one loop that GCC 12 then fails to vectorise (4x slower). */
#pragma GCC optimize("no-loop-unroll-and-jam")
#endif
#include "kernels_isa.h"
#include "kernels_simd.h"

void TMS_ISA_FN(tms_relu_inplace)(float *v /* (count) */, size_t count) {
  for (size_t i = 0; i < count; i++) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
}

/* Fraction of nonzero entries of x, to choose between the sparse row loops and sgemm (counted on the bit patterns,
 * sign cleared, so the count is an integer reduction the compiler vectorises). */
double TMS_ISA_FN(tms_density_of)(const float *x /* (count) */, size_t count) {
  size_t nz = 0;
  for (size_t i = 0; i < count; i++) {
    uint32_t bits;
    memcpy(&bits, x + i, sizeof bits);
    nz += (bits & 0x7fffffffu) != 0;
  }
  return count ? (double)nz / (double)count : 1.0;
}

/* ---- read-in: h = x W (optionally ReLU) and its backward dW (+)= x^T dh -------------------------------------- */

/* Row loop: h_b = sum over nonzero x_bi of x_bi W_i, an axpy of length M per nonzero (vectorised over M). */
void TMS_ISA_FN(tms_embed_forward_loop)(float *restrict h /* (B, M) */, const float *restrict x /* (B, N) */,
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
      const int c = tms_nonzeros(idx, xb + i0, len);
      int k = 0;
      for (; k + 4 <= c; k += 4) {
        const int i0k = i0 + idx[k], i1 = i0 + idx[k + 1], i2 = i0 + idx[k + 2], i3 = i0 + idx[k + 3];
        const float a[4] = {xb[i0k], xb[i1], xb[i2], xb[i3]};
        tms_axpy4(hb, a, W + (size_t)i0k * M, W + (size_t)i1 * M, W + (size_t)i2 * M, W + (size_t)i3 * M, M);
      }
TMS_NO_UNROLL
      for (; k < c; k++) {
        const int i = i0 + idx[k];
        tms_axpy(hb, xb[i], W + (size_t)i * M, M);
      }
    }
  }
}

/* Row loop: dW_i += x_bi dh_b for every nonzero x_bi (dW must be initialised by the caller). */
void TMS_ISA_FN(tms_embed_backward_loop)(float *restrict dW /* (N, M) */, const float *restrict x /* (B, N) */,
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
      const int c = tms_nonzeros(idx, xb + i0, len);
TMS_NO_UNROLL
      for (int k = 0; k < c; k++) {
        const int i = i0 + idx[k];
        tms_axpy(dW + (size_t)i * M, xb[i], dhb, M);
      }
    }
  }
}

/* ---- read-out: out = h Wout^T + b (optionally ReLU) and its backward ------------------------------------------ */

/* Row loop. With scratch WT (M, N) the row is b + sum_j h_bj WT_j, axpys of length N that vectorise and skip the
 * zeros of a ReLU hidden layer; without scratch (too small) it falls back to dot products of length M. */
void TMS_ISA_FN(tms_readout_forward_loop)(float *restrict out /* (B, N) */,
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
void TMS_ISA_FN(tms_readout_backward_loop)(float *restrict dWout /* (N, M) */, float *restrict dh /* (B, M) */,
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
      const int c = tms_nonzeros(idx, gb + i0, len);
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

/* db = column sums of dout. Narrow N: G whole rows (G*N >= 64 entries) are added at once into a flat partial-sum
 * row, so the loop stays long however small N is, then the G partial rows are folded; wide N: row by row. */
void TMS_ISA_FN(tms_bias_backward)(float *restrict db /* (N) */, const float *restrict dout /* (B, N) */, int B,
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
