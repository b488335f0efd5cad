/* data: the sparse synthetic features of SCIENCE.md section 2, one fresh batch per call.
 * Independent features (per-feature density), the paper's correlated / anticorrelated sets (set density 1-S),
 * ARENA's pairs with per-member density, and a correlation strength in [0, 1]. Values are U[0,1], or U[-1,1] for
 * the abs variant. The target of every model is |x|.
 * Invariant: the batch drawn at call t depends only on (seed, stream, t), never on who calls. */
#ifndef TMS_DATA_H
#define TMS_DATA_H
#include "rng/rng.h"
#include "core/spec.h"

typedef struct {
  int n_features;
  int symmetric;      /* 1: values in [-1, 1] (abs variant) */
  float *density;     /* (N) per-feature density after overrides */
  tms_correlation correlation;
  tms_correlation_density correlation_density;
  int correlated_sets, set_size;
  double strength;
  tms_rng rng;
  /* Precomputed from the above by tms_data_init (all inside one allocation, owned through `density`).
   * A threshold t encodes probability t / 2^32: an event is "u32 < t" for 32 random bits u32. */
  uint64_t *threshold;     /* (R * N) presence threshold of each feature when drawn on its own (for a set member:
                            * its marginal under the structure), the row repeated R times so the bulk loop runs
                            * flat over B*N entries without a modulo */
  size_t threshold_len;    /* R * N */
  uint64_t *set_threshold; /* (correlated_sets, set_size + 1) per-set thresholds of the structured draw */
  uint64_t strength_threshold; /* rho as a threshold; 2^32 = always structured */
  /* The same law with every set structured (rho = 1), per entry j of the repeated row, for a branch-free pass:
   * present iff lower[j] <= hi32(draw of entry j + source) < upper[j] and hi32(draw of entry j) < own[j]. */
  int64_t *source;       /* (R * N) counter offset of the entry whose presence bits decide this one (<= 0, in row) */
  uint64_t *lower, *upper, *own; /* (R * N) */
  struct tms_gap_law *gap; /* the gap sampler's law (gap.h) where the law and shape take it at low density, else NULL */
  uint32_t *thr_m1, *thr_on;     /* (R * N) threshold - 1 and (threshold > 0 ? all ones : 0), for 32-bit lanes:
                                  * present iff p <= thr_m1 and thr_on (p < threshold, threshold in [0, 2^32]) */
} tms_data_gen;

/* Allocates the per-feature table; the only allocation of the generator. */
tms_status tms_data_init(tms_data_gen *gen, const tms_spec *spec, uint64_t stream, tms_error *err);
/* x: (B, N) row-major, B = batch. */
void tms_data_sample(tms_data_gen *gen, float *x /* (B, N) */, int batch);
/* Where the gap sampler draws (gap.h: low density, large N): the batch tms_data_sample would draw, with the same
 * counter advance, as the positions of its nonzeros only, a CSR (row b: idx[start[b] .. start[b+1]), increasing;
 * what a scan of that x for nonzeros gives) and their values (val[k] = x at idx[k]): the large-shape kernels follow
 * it without a dense x (no zeroing and no scattered stores of B N floats). Returns their count; or -1, having drawn
 * nothing (counter unchanged), where the gap sampler is not taken (then call tms_data_sample). */
long tms_data_sample_csr(tms_data_gen *gen, int batch, int *start /* (B + 1) */, int *idx /* (B N) */,
                         float *val /* (B N) */);
void tms_data_free(tms_data_gen *gen); /* safe on a zeroed struct */
/* The draw that entry counter c of the stream with this key owns: presence bits (high 32) and value bits (low 24),
 * data.c's semantics (draw.h), the one function every producer of a batch reproduces. */
uint64_t tms_data_entry(uint64_t key, uint64_t c);

#endif
