/* kernels_nonzero: finding the nonzeros of a float row, for the large-shape path (kernels_sparse.c,
 * kernels_large_step.c). Internal to the kernels module.
 * "Nonzero" means a bit pattern other than +0 / -0 (NaN counts as nonzero), on every build: the tests are integer
 * tests of the bits, so every instruction-set build lists exactly the same indices (no rounding question).
 * The mask of 16 floats is one native compare and mask move on AVX-512 and two on AVX2 (the builds of
 * tms_isa_variants define __AVX512F__ / __AVX2__); the generic build tests the 16 patterns one by one. */
#ifndef TMS_KERNELS_NONZERO_H
#define TMS_KERNELS_NONZERO_H
#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

/* Bit l set iff v[l] is nonzero. */
static inline uint32_t tms_nonzero_mask16(const float *v /* (16) */) {
#if defined(__AVX512F__)
  const __m512i a = _mm512_loadu_si512((const void *)v);
  return (uint32_t)_mm512_test_epi32_mask(a, _mm512_set1_epi32(0x7fffffff));
#elif defined(__AVX2__)
  const __m256i sign_off = _mm256_set1_epi32(0x7fffffff), zero = _mm256_setzero_si256();
  const __m256i lo = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)v), sign_off);
  const __m256i hi = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(v + 8)), sign_off);
  const uint32_t zl = (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(lo, zero)));
  const uint32_t zh = (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(hi, zero)));
  return ~(zl | zh << 8) & 0xffffu;
#else
  uint32_t m = 0;
  for (int l = 0; l < 16; l++) {
    uint32_t u;
    memcpy(&u, v + l, sizeof u);
    m |= (uint32_t)((u & 0x7fffffffu) != 0) << l;
  }
  return m;
#endif
}

/* Bit l set iff v[l] > 0 (ordered: NaN and -0 are not). */
static inline uint32_t tms_positive_mask16(const float *v /* (16) */) {
#if defined(__AVX512F__)
  return (uint32_t)_mm512_cmp_ps_mask(_mm512_loadu_ps(v), _mm512_setzero_ps(), _CMP_GT_OQ);
#elif defined(__AVX2__)
  const __m256 zero = _mm256_setzero_ps();
  const uint32_t lo = (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(v), zero, _CMP_GT_OQ));
  const uint32_t hi = (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(v + 8), zero, _CMP_GT_OQ));
  return lo | hi << 8;
#else
  uint32_t m = 0;
  for (int l = 0; l < 16; l++) m |= (uint32_t)(v[l] > 0.0f) << l;
  return m;
#endif
}

/* Indices of the nonzeros of v[0..n) appended at idx, in increasing order; returns their count. A group of 16 costs
 * one mask; each nonzero one trailing-zero count. */
static inline int tms_row_nonzeros(int *restrict idx /* (n) */, const float *restrict v /* (n) */, int n) {
  int c = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    for (uint32_t m = tms_nonzero_mask16(v + i); m; m &= m - 1) idx[c++] = i + __builtin_ctz(m);
  }
  for (; i < n; i++) {
    uint32_t u;
    memcpy(&u, v + i, sizeof u);
    idx[c] = i;
    c += (u & 0x7fffffffu) != 0;
  }
  return c;
}

#endif
