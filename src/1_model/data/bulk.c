/* bulk: the two vectorised passes of the data generator (bulk.h), flat over the B*N entries of a batch with the
 * per-entry tables of tms_data_init repeated over rows (no modulo), branch-free so the compiler vectorises them.
 * Compiled once per instruction-set path (CMake tms_isa_variants); every build makes the same bits (integer
 * arithmetic, exact conversions). */
#include "bulk.h"

#include "draw.h"
#include "rng/mix.h"

/* Every entry as an independent feature with threshold thr[j mod len]; len is a multiple of N. */
void TMS_ISA_FN(tms_sample_bulk)(float *x /* (total) */, const uint64_t *thr /* (len) */, size_t len, size_t total,
                                 uint64_t key, uint64_t c0, int symmetric) {
  for (size_t start = 0; start < total; start += len) {
    size_t m = total - start < len ? total - start : len;
    float *xo = x + start;
    uint64_t z = key + (c0 + start) * TMS_RNG_GAMMA;
    /* Branch-free select (value bits AND a presence mask) so the loop vectorises. */
    if (symmetric) {
      for (size_t j = 0; j < m; j++) {
        uint64_t r = tms_rng_finish(z);
        z += TMS_RNG_GAMMA;
        xo[j] = tms_select_value(tms_value_sym(r), (r >> 32) < thr[j]);
      }
    } else {
      for (size_t j = 0; j < m; j++) {
        uint64_t r = tms_rng_finish(z);
        z += TMS_RNG_GAMMA;
        xo[j] = tms_select_value(tms_value_unit(r), (r >> 32) < thr[j]);
      }
    }
  }
}

/* Every set structured (rho = 1), branch-free: entry j is decided by the draw of entry j + source (a second
 * evaluation of that draw instead of a gather), with the thresholds of tms_data_init. Same bits as
 * sample_bulk + sample_sets with rho = 1. */
void TMS_ISA_FN(tms_sample_bulk_structured)(float *x /* (total) */, const tms_data_gen *gen, size_t total,
                                            uint64_t c0) {
  size_t len = gen->threshold_len;
  const uint64_t *step = gen->source_step, *lo = gen->lower, *hi = gen->upper, *own = gen->own;
  uint64_t key = gen->rng.key;
  int symmetric = gen->symmetric;
  for (size_t start = 0; start < total; start += len) {
    size_t m = total - start < len ? total - start : len;
    float *xo = x + start;
    uint64_t z = key + (c0 + start) * TMS_RNG_GAMMA;
    if (symmetric) {
      for (size_t j = 0; j < m; j++) {
        uint64_t r = tms_rng_finish(z);
        uint64_t u = tms_rng_finish(z + step[j]) >> 32;
        z += TMS_RNG_GAMMA;
        xo[j] = tms_select_value(tms_value_sym(r), (lo[j] <= u) & (u < hi[j]) & ((r >> 32) < own[j]));
      }
    } else {
      for (size_t j = 0; j < m; j++) {
        uint64_t r = tms_rng_finish(z);
        uint64_t u = tms_rng_finish(z + step[j]) >> 32;
        z += TMS_RNG_GAMMA;
        xo[j] = tms_select_value(tms_value_unit(r), (lo[j] <= u) & (u < hi[j]) & ((r >> 32) < own[j]));
      }
    }
  }
}

