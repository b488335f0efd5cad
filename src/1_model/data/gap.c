/* gap: the gap sampler of the data generator (gap.h says the law and when it is taken). Per batch: x zeroed, then
 * candidates in chunks: their draws and gaps in a branch-free, vectorised loop (by GCC on the AVX-512 build,
 * by hand on the AVX2 build, which GCC leaves scalar), then a short scalar walk that adds
 * the gaps and stores the values of the entries it lands on. Cost: one zeroing pass plus ~tens of cycles per
 * candidate (q B N of them), against the bulk pass's draw per entry (B N of them). The walk can list the
 * positions and values of the nonzeros instead (a CSR of x, x itself not written: tms_data_sample_csr, data.h), which
 * the large-shape kernels follow instead of scanning x (no zeroing pass, no scattered stores into B N floats).
 * Compiled once per instruction-set path (CMake tms_isa_variants); init and free exist once (generic build).
 * Invariants: the walk never passes entry B N - 1, and there are at most B N candidates (each moves it on by >= 1),
 * so draws c0 .. c0 + B N - 1 suffice; same bits on every path (integer draws, gap.h's ln, exact conversions). */
#include "gap.h"

#include <math.h>
#include <stdlib.h>

#include "draw.h"
#include "rng/mix.h"

#if !defined(TMS_ISA_BUILD_AVX2) && !defined(TMS_ISA_BUILD_AVX512)
tms_status tms_gap_init(tms_data_gen *gen, tms_error *err) {
  gen->gap = NULL;
  const int n = gen->n_features;
  if (n < TMS_GAP_MIN_N || (gen->correlated_sets > 0 && gen->strength_threshold > 0)) return TMS_OK;
  uint64_t tmax = 0;
  for (int i = 0; i < n; i++) tmax = gen->threshold[i] > tmax ? gen->threshold[i] : tmax;
  /* as data.c makes thresholds: from float densities */
  if (tmax == 0 || tmax > (uint64_t)llround((double)(float)TMS_GAP_MAX_P * 4294967296.0)) return TMS_OK;
  struct tms_gap_law *law = malloc(sizeof *law + (size_t)n * sizeof(uint64_t));
  if (!law) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "gap sampler table (%d features)", n);
  law->accept = (uint64_t *)(law + 1);
  law->thin = 0;
  for (int i = 0; i < n; i++) {
    const uint64_t t = gen->threshold[i];
    law->accept[i] = t == tmax ? UINT64_C(1) << 32 : (uint64_t)llround((double)t / (double)tmax * 4294967296.0);
    law->thin |= t != tmax;
  }
  law->inv_log_q = 1.0 / tms_gap_log(1.0 - (double)tmax * 0x1p-32);
  law->thin_key = tms_mix64(gen->rng.key ^ UINT64_C(0x6761702d7468696e)); /* "gap-thin" */
  gen->gap = law;
  return TMS_OK;
}

void tms_gap_free(tms_data_gen *gen) {
  free(gen->gap);
  gen->gap = NULL;
}
#endif

enum { CHUNK = 64 }; /* candidates per vectorised block */

#if defined(__AVX2__) && !defined(__AVX512F__)
#include <immintrin.h>

/* z * k on 64-bit lanes (AVX2 has no 64-bit lane multiply): lo*lo + ((hi*lo + lo*hi) << 32), mod 2^64. */
static inline __m256i mul64(__m256i z, __m256i k) {
  const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(z, 32), k),
                                         _mm256_mul_epu32(z, _mm256_srli_epi64(k, 32)));
  return _mm256_add_epi64(_mm256_mul_epu32(z, k), _mm256_slli_epi64(cross, 32));
}

/* The high 32 bits of each 64-bit lane, as 4 int32 (lane order kept). */
static inline __m128i high32(__m256i v) {
  const __m256i hi = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(1, 3, 5, 7, 1, 3, 5, 7));
  return _mm256_castsi256_si128(hi);
}

/* chunk_gaps's arithmetic for its first multiple of 4 candidates, 4 per step with AVX2 intrinsics (GCC does not
 * vectorise the scalar loop on this build: no 64-bit multiply, no double <-> 64-bit integer conversion); returns how
 * many it did. Every operation is the scalar one, in the same order and without contraction (tms_rng_finish,
 * gap.h's ln), and the conversions are exact: hi32 as an unsigned integer is (signed)(hi32 ^ 2^31) + 2^31, the
 * exponent is below 2^11, the gap is at most limit < 2^31 (the caller's condition). So the same bits as the other
 * builds (data_gap_isa_bits checks it). */
static inline size_t chunk_gaps_avx2(uint64_t *restrict r, int64_t *restrict gap, uint64_t key, uint64_t c,
                                     size_t count, double inv_log_q, double limit) {
  const __m256i k1 = _mm256_set1_epi64x((long long)UINT64_C(0x3C79AC492BA7B653));
  const __m256i k2 = _mm256_set1_epi64x((long long)UINT64_C(0x1C69B3F74AC4AE35));
  const __m256i step = _mm256_set1_epi64x((long long)(4 * TMS_RNG_GAMMA));
  const __m256i mant = _mm256_set1_epi64x(0x000fffffffffffffLL), one = _mm256_set1_epi64x(0x3ff0000000000000LL);
  const __m128i flip = _mm_set1_epi32(INT32_MIN), expo = _mm_set1_epi32(0x7ff);
  const __m256d two31 = _mm256_set1_pd(2147483648.0), half = _mm256_set1_pd(0.5), unit = _mm256_set1_pd(0x1p-32);
  const __m256d sqrt2 = _mm256_set1_pd(1.4142135623730951), d1 = _mm256_set1_pd(1.0), bias = _mm256_set1_pd(1023.0);
  const __m256d lim = _mm256_set1_pd(limit), inv = _mm256_set1_pd(inv_log_q);
  const uint64_t z0 = key + c * TMS_RNG_GAMMA;
  __m256i z = _mm256_setr_epi64x((long long)z0, (long long)(z0 + TMS_RNG_GAMMA), (long long)(z0 + 2 * TMS_RNG_GAMMA),
                                 (long long)(z0 + 3 * TMS_RNG_GAMMA));
  size_t j = 0;
  for (; j + 4 <= count; j += 4, z = _mm256_add_epi64(z, step)) {
    __m256i v = _mm256_xor_si256(z, _mm256_srli_epi64(z, 27)); /* tms_rng_finish */
    v = mul64(v, k1);
    v = _mm256_xor_si256(v, _mm256_srli_epi64(v, 33));
    v = mul64(v, k2);
    v = _mm256_xor_si256(v, _mm256_srli_epi64(v, 27));
    _mm256_storeu_si256((__m256i *)(void *)(r + j), v);
    const __m256d hi = _mm256_add_pd(_mm256_cvtepi32_pd(_mm_xor_si128(high32(v), flip)), two31);
    const __m256d u = _mm256_mul_pd(_mm256_add_pd(hi, half), unit); /* (0, 1) */
    /* tms_gap_log(u) */
    const __m256i bits = _mm256_castpd_si256(u);
    __m256d e = _mm256_sub_pd(_mm256_cvtepi32_pd(_mm_and_si128(_mm_srli_epi32(high32(bits), 20), expo)), bias);
    __m256d m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, mant), one));
    const __m256d big = _mm256_cmp_pd(m, sqrt2, _CMP_GT_OQ);
    m = _mm256_blendv_pd(m, _mm256_mul_pd(m, half), big);
    e = _mm256_blendv_pd(e, _mm256_add_pd(e, d1), big);
    const __m256d s = _mm256_div_pd(_mm256_sub_pd(m, d1), _mm256_add_pd(m, d1)), s2 = _mm256_mul_pd(s, s);
    __m256d poly = _mm256_set1_pd(1.0 / 15);
    poly = _mm256_add_pd(_mm256_set1_pd(1.0 / 13), _mm256_mul_pd(s2, poly));
    poly = _mm256_add_pd(_mm256_set1_pd(1.0 / 11), _mm256_mul_pd(s2, poly));
    poly = _mm256_add_pd(_mm256_set1_pd(1.0 / 9), _mm256_mul_pd(s2, poly));
    poly = _mm256_add_pd(_mm256_set1_pd(1.0 / 7), _mm256_mul_pd(s2, poly));
    poly = _mm256_add_pd(_mm256_set1_pd(1.0 / 5), _mm256_mul_pd(s2, poly));
    poly = _mm256_add_pd(_mm256_set1_pd(1.0 / 3), _mm256_mul_pd(s2, poly));
    poly = _mm256_add_pd(d1, _mm256_mul_pd(s2, poly));
    const __m256d ln = _mm256_add_pd(_mm256_mul_pd(e, _mm256_set1_pd(0x1.62e42fefa39efp-1)),
                                     _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(2.0), s), poly));
    const __m256d g = _mm256_mul_pd(ln, inv); /* >= 0 */
    const __m256d capped = _mm256_blendv_pd(lim, g, _mm256_cmp_pd(g, lim, _CMP_LT_OQ));
    _mm256_storeu_si256((__m256i *)(void *)(gap + j), _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(capped)));
  }
  return j;
}
#endif

/* Draws and gaps of candidates c .. c + count - 1 (count <= CHUNK); gaps capped at limit (>= the entries left). */
static inline void chunk_gaps(uint64_t *restrict r /* (count) */, int64_t *restrict gap /* (count) */, uint64_t key,
                              uint64_t c, size_t count, double inv_log_q, double limit) {
  size_t j = 0;
#if defined(__AVX2__) && !defined(__AVX512F__)
  if (limit < 2147483648.0) j = chunk_gaps_avx2(r, gap, key, c, count, inv_log_q, limit);
#endif
  uint64_t z = key + (c + j) * TMS_RNG_GAMMA;
  for (; j < count; j++) { /* every candidate on the other builds, the remainder (or all, if limit >= 2^31) on AVX2 */
    const uint64_t v = tms_rng_finish(z);
    z += TMS_RNG_GAMMA;
    r[j] = v;
    const double u = ((double)(uint32_t)(v >> 32) + 0.5) * 0x1p-32; /* (0, 1) */
    const double g = tms_gap_log(u) * inv_log_q;                      /* >= 0 */
    gap[j] = (int64_t)(g < limit ? g : limit);
  }
}

/* The walk: stores the values it lands on into x (x zeroed first), or, x NULL, lists (at idx) the row-wise
 * positions and values of the nonzeros instead (a CSR of x: row b's indices are idx[start[b] .. start[b+1]),
 * increasing; a value that happens to be exactly 0 is not listed, so the list is the one a scan of x for nonzeros
 * gives). Returns the count listed (0 if idx is NULL). */
static inline __attribute__((always_inline)) long gap_walk(float *restrict x /* (B, N) */, int *restrict start,
                                                           int *restrict idx, float *restrict val,
                                                           const tms_data_gen *gen, int batch, uint64_t c0) {
  const struct tms_gap_law *law = gen->gap;
  const size_t n = (size_t)gen->n_features, total = (size_t)batch * n;
  const uint64_t key = gen->rng.key;
  uint64_t r[CHUNK];
  int64_t gap[CHUNK];
  long listed = 0;
  size_t row = 0, row_end = n; /* the row of the walk, and its end (flat) */
  if (x) memset(x, 0, sizeof(float) * total);
  if (idx) start[0] = 0;
  size_t next = 0; /* the first entry the walk has not passed */
  for (size_t k0 = 0; k0 < total; k0 += CHUNK) {
    const size_t count = total - k0 < CHUNK ? total - k0 : CHUNK;
    chunk_gaps(r, gap, key, c0 + k0, count, law->inv_log_q, (double)total);
    for (size_t j = 0; j < count; j++) {
      const size_t pos = next + (size_t)gap[j];
      if (pos >= total) goto done;
      next = pos + 1;
      if (law->thin && (tms_rng_at_inline(law->thin_key, c0 + k0 + j) >> 32) >= law->accept[pos % n]) continue;
      const float v = gen->symmetric ? tms_value_sym(r[j]) : tms_value_unit(r[j]);
      if (x) {
        x[pos] = v;
        continue;
      }
      if (v == 0.0f) continue;
      for (; pos >= row_end; row_end += n) start[++row] = (int)listed;
      val[listed] = v;
      idx[listed++] = (int)(pos - (row_end - n));
    }
  }
done:
  if (idx)
    for (; row < (size_t)batch; row++) start[row + 1] = (int)listed;
  return listed;
}

void TMS_ISA_FN(tms_sample_gaps)(float *x /* (B, N) */, const tms_data_gen *gen, int batch, uint64_t c0) {
  (void)gap_walk(x, NULL, NULL, NULL, gen, batch, c0);
}

long TMS_ISA_FN(tms_sample_gaps_csr)(int *start /* (B + 1) */, int *idx /* (B N) */, float *val /* (B N) */,
                                     const tms_data_gen *gen, int batch, uint64_t c0) {
  return gap_walk(NULL, start, idx, val, gen, batch, c0);
}

#if !defined(TMS_ISA_BUILD_AVX2) && !defined(TMS_ISA_BUILD_AVX512)
long tms_data_sample_csr(tms_data_gen *gen, int batch, int *start, int *idx, float *val) {
  if (!gen->gap || batch <= 0) return -1; /* nothing drawn */
  const uint64_t c0 = gen->rng.counter;
  const long nnz = TMS_ISA_CALL(tms_sample_gaps_csr, start, idx, val, gen, batch, c0);
  gen->rng.counter = c0 + (uint64_t)batch * (uint64_t)gen->n_features; /* as tms_data_sample (no set draws) */
  return nnz;
}
#endif
