/* gap: the gap sampler of the data generator (gap.h says the law and when it is taken). Per batch: x zeroed, then
 * candidates in chunks: their draws and gaps in a branch-free, vectorised loop, then a short scalar walk that adds
 * the gaps and stores the values of the entries it lands on. Cost: one zeroing pass plus ~tens of cycles per
 * candidate (q B N of them), against the bulk pass's draw per entry (B N of them). The walk can also list the
 * positions and values of the nonzeros it stores (a CSR of x: tms_data_sample_csr, data.h), which the large-shape kernels
 * follow instead of scanning x.
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

/* Draws and gaps of candidates c .. c + count - 1 (count <= CHUNK); gaps capped at limit (>= the entries left). */
static inline void chunk_gaps(uint64_t *restrict r /* (count) */, int64_t *restrict gap /* (count) */, uint64_t key,
                              uint64_t c, size_t count, double inv_log_q, double limit) {
  uint64_t z = key + c * TMS_RNG_GAMMA;
  for (size_t j = 0; j < count; j++) {
    const uint64_t v = tms_rng_finish(z);
    z += TMS_RNG_GAMMA;
    r[j] = v;
    const double u = ((double)(uint32_t)(v >> 32) + 0.5) * 0x1p-32; /* (0, 1) */
    const double g = tms_gap_log(u) * inv_log_q;                      /* >= 0 */
    gap[j] = (int64_t)(g < limit ? g : limit);
  }
}

/* The walk, optionally recording the row-wise positions of the nonzero values it stores (a CSR of x: row b's
 * indices are idx[start[b] .. start[b+1]), increasing; a value that happens to be exactly 0 is stored but not
 * listed, so the list is the one a scan of x for nonzeros gives). Returns the count listed (0 if idx is NULL). */
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
  memset(x, 0, sizeof(float) * total);
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
      x[pos] = v;
      if (!idx || v == 0.0f) continue;
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

long TMS_ISA_FN(tms_sample_gaps_csr)(float *x /* (B, N) */, int *start /* (B + 1) */, int *idx /* (B N) */,
                                     float *val /* (B N) */, const tms_data_gen *gen, int batch, uint64_t c0) {
  return gap_walk(x, start, idx, val, gen, batch, c0);
}

#if !defined(TMS_ISA_BUILD_AVX2) && !defined(TMS_ISA_BUILD_AVX512)
long tms_data_sample_csr(tms_data_gen *gen, float *x /* (B, N) */, int batch, int *start, int *idx, float *val) {
  if (!gen->gap || batch <= 0) {
    tms_data_sample(gen, x, batch);
    return -1;
  }
  const uint64_t c0 = gen->rng.counter;
  const long nnz = TMS_ISA_CALL(tms_sample_gaps_csr, x, start, idx, val, gen, batch, c0);
  gen->rng.counter = c0 + (uint64_t)batch * (uint64_t)gen->n_features; /* as tms_data_sample (no set draws) */
  return nnz;
}
#endif
