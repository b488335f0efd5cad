/* bulk: the two vectorised passes of the data generator (bulk.h), flat over the B*N entries of a batch with the
 * per-entry tables of tms_data_init repeated over rows (no modulo), branch-free so the compiler vectorises them.
 * Each pass works in chunks of one table length; a chunk whose counters lie in one epoch of the entry draw
 * (draw.h) runs the 32-bit-lane loop with that epoch's keys, a chunk that crosses an epoch (once per 2^32 draws)
 * the scalar reference tms_entry_draw. When every feature is present (density 1) the independent pass skips the
 * presence select (it passes every value: the same bits; measured 100 -> 69 us per 1024x200 batch on the AVX2 path,
 * 49 -> 32 us on AVX-512, Zen 5, with the 32-bit position counter below). Sources of the structured pass lie in
 * the entry's own row, and chunks start at row starts, so a chunk's sources are in the chunk.
 * Compiled once per instruction-set path (CMake tms_isa_variants); every build makes the same bits (integer
 * arithmetic, exact conversions). */
#include "bulk.h"

#include "draw.h"

/* Whether counters c .. c + m - 1 share one epoch. */
static inline int one_epoch(uint64_t c, size_t m) { return (c >> 32) == ((c + m - 1) >> 32); }

static void independent_chunk(float *xo /* (m) */, const tms_data_gen *gen, size_t m, uint64_t c, int all_present) {
  const uint64_t key = gen->rng.key;
  const int symmetric = gen->symmetric;
  if (!one_epoch(c, m)) {
    for (size_t j = 0; j < m; j++) {
      const uint64_t r = tms_entry_draw(key, c + j);
      const float v = symmetric ? tms_value_sym(r) : tms_value_unit(r);
      xo[j] = tms_select_value(v, (r >> 32) < gen->threshold[j]);
    }
    return;
  }
  const tms_entry_keys k = tms_entry_keys_of(key, c >> 32);
  const uint32_t pos0 = (uint32_t)c, *tm1 = gen->thr_m1, *on = gen->thr_on;
  const uint32_t n = (uint32_t)m; /* 32-bit positions: no packing of 64-bit counters into lanes per vector */
  /* Every entry present (density 1): p <= 2^32 - 1 always, so the select is the value itself (same bits). */
  if (all_present && symmetric) {
    for (uint32_t j = 0; j < n; j++) xo[j] = tms_value_sym32(tms_entry_value_bits(k, tms_entry_presence(k, pos0 + j)));
    return;
  }
  if (all_present) {
    for (uint32_t j = 0; j < n; j++) xo[j] = tms_value_unit32(tms_entry_value_bits(k, tms_entry_presence(k, pos0 + j)));
    return;
  }
  /* Branch-free select (value bits AND a presence mask) so the loop vectorises. */
  if (symmetric) {
    for (uint32_t j = 0; j < n; j++) {
      const uint32_t p = tms_entry_presence(k, pos0 + j);
      const uint32_t w = tms_entry_value_bits(k, p);
      xo[j] = tms_select_value32(tms_value_sym32(w), (0u - (uint32_t)(p <= tm1[j])) & on[j]);
    }
  } else {
    for (uint32_t j = 0; j < n; j++) {
      const uint32_t p = tms_entry_presence(k, pos0 + j);
      const uint32_t w = tms_entry_value_bits(k, p);
      xo[j] = tms_select_value32(tms_value_unit32(w), (0u - (uint32_t)(p <= tm1[j])) & on[j]);
    }
  }
}

/* Every entry as an independent feature with the thresholds of gen (row repeated over threshold_len entries). */
void TMS_ISA_FN(tms_sample_bulk)(float *x /* (total) */, const tms_data_gen *gen, size_t total, uint64_t c0) {
  const size_t len = gen->threshold_len;
  int all_present = 1; /* the table is one row repeated: its first row decides */
  for (int i = 0; i < gen->n_features; i++) all_present &= gen->thr_m1[i] == 0xFFFFFFFFu && gen->thr_on[i] != 0;
  for (size_t start = 0; start < total; start += len)
    independent_chunk(x + start, gen, total - start < len ? total - start : len, c0 + start, all_present);
}

/* Every set structured (rho = 1), branch-free: entry j is decided by the presence bits of entry j + source (a
 * second evaluation of that draw instead of a gather), with the thresholds of tms_data_init. Same bits as
 * sample_bulk + sample_sets with rho = 1. */
static void structured_chunk(float *xo /* (m) */, const tms_data_gen *gen, size_t m, uint64_t c) {
  const uint64_t key = gen->rng.key, *lo = gen->lower, *hi = gen->upper, *own = gen->own;
  const int64_t *src = gen->source;
  const int symmetric = gen->symmetric;
  if (!one_epoch(c, m)) {
    for (size_t j = 0; j < m; j++) {
      const uint64_t r = tms_entry_draw(key, c + j);
      const uint64_t u = tms_entry_draw(key, c + j + (uint64_t)src[j]) >> 32;
      const float v = symmetric ? tms_value_sym(r) : tms_value_unit(r);
      xo[j] = tms_select_value(v, (lo[j] <= u) & (u < hi[j]) & ((r >> 32) < own[j]));
    }
    return;
  }
  const tms_entry_keys k = tms_entry_keys_of(key, c >> 32);
  const uint32_t pos0 = (uint32_t)c;
  for (size_t j = 0; j < m; j++) {
    const uint32_t p = tms_entry_presence(k, pos0 + (uint32_t)j);
    const uint64_t u = tms_entry_presence(k, pos0 + (uint32_t)j + (uint32_t)src[j]);
    const uint32_t w = tms_entry_value_bits(k, p);
    const float v = symmetric ? tms_value_sym32(w) : tms_value_unit32(w);
    xo[j] = tms_select_value(v, (lo[j] <= u) & (u < hi[j]) & ((uint64_t)p < own[j]));
  }
}

void TMS_ISA_FN(tms_sample_bulk_structured)(float *x /* (total) */, const tms_data_gen *gen, size_t total,
                                            uint64_t c0) {
  const size_t len = gen->threshold_len;
  for (size_t start = 0; start < total; start += len)
    structured_chunk(x + start, gen, total - start < len ? total - start : len, c0 + start);
}
