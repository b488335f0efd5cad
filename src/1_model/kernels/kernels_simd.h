/* kernels_simd: small inline building blocks shared by the kernels' hot files (rows.c, lanes.c, fused.c):
 * vector types, nonzero tests and gathers, axpy loops, and the 16-row "lanes" layout of tiny models.
 * Internal to the kernels module. Every helper is exact (no reassociation across vector lanes), so each
 * instruction-set build of a hot file computes the same function; see kernels.h for where bits differ. */
#ifndef TMS_KERNELS_SIMD_H
#define TMS_KERNELS_SIMD_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
/* -O3's unroll-and-jam fuses two nonzeros' axpys into one loop that GCC 12 then fails to vectorise (4x slower). */
#pragma GCC optimize("no-loop-unroll-and-jam")
#define TMS_IVDEP _Pragma("GCC ivdep")
#define TMS_NO_UNROLL _Pragma("GCC unroll 1")
#else
#define TMS_IVDEP
#define TMS_NO_UNROLL
#endif

/* Below this hidden width the row loops use every x entry: a zero test costs more than a multiply-add of length m. */
#define TMS_SPARSE_MIN_M 4
/* Loss and bias gradient walk narrow batches (N up to this) as flat chunks of whole rows. */
#define TMS_LOSS_FLAT_MAX_N 64
/* Chunk of a row whose nonzero indices are gathered at once (a stack array: no allocation). */
#define TMS_CHUNK 256

/* Whether any of 16 floats is nonzero (-0 counts as zero): OR of the bit patterns, sign cleared, folded in vector
 * halves. Written with vector types so it stays 3 vector operations instead of 16 scalar ones. */
typedef uint32_t tms_v16u __attribute__((vector_size(64)));
typedef uint32_t tms_v8u __attribute__((vector_size(32)));
typedef uint32_t tms_v4u __attribute__((vector_size(16)));
static inline int tms_any_nonzero16(const float *v /* (16) */) {
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
static inline int tms_nonzeros(int *idx /* (n) */, const float *v /* (n) */, int n) {
  int c = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    if (!tms_any_nonzero16(v + i)) continue;
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
static inline __attribute__((always_inline)) void tms_axpy(float *restrict y /* (n) */, float a,
                                                        const float *restrict v /* (n) */, int n) {
TMS_IVDEP
  for (int j = 0; j < n; j++) y[j] += a * v[j];
}

/* y += (a0 v0 + a1 v1) + (a2 v2 + a3 v3): four nonzeros per pass over y, so the row being accumulated is loaded
 * and stored a quarter as often (its store-to-load latency, not arithmetic, bounds the one-at-a-time loop). */
static inline __attribute__((always_inline)) void tms_axpy4(float *restrict y /* (n) */, const float a[4],
                                                         const float *restrict v0 /* (n) */,
                                                         const float *restrict v1 /* (n) */,
                                                         const float *restrict v2 /* (n) */,
                                                         const float *restrict v3 /* (n) */, int n) {
TMS_IVDEP
  for (int j = 0; j < n; j++) y[j] += (a[0] * v0[j] + a[1] * v1[j]) + (a[2] * v2[j] + a[3] * v3[j]);
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
static inline int lanes_any(const tms_vlane *v /* (lanes) */) { return tms_any_nonzero16((const float *)v); }

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

#endif
