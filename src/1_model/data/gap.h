/* gap: the gap sampler of the data generator (gap.c), internal to the data module: at low density it draws the gaps
 * between present entries instead of a presence test for every entry, so its cost follows the nonzeros.
 * Law (the same as data.c's independent law in distribution, NOT in bits): the B*N entries of a batch, flat, are
 * candidates with probability q = t_max / 2^32 (t_max the largest presence threshold of a feature); candidate k of
 * the batch (k = 0, 1, ...) owns draw r_k = tms_rng_at(key, c + k), c = counter at the start of the call; the gap
 * before it (entries skipped) is floor(ln U / ln(1 - q)) with U = (hi32(r_k) + 1/2) / 2^32 (a geometric variable:
 * P(gap >= g) = (1 - q)^g), its value comes from lo24(r_k) as in data.c. Where features differ (last_density, or
 * rho = 0 sets at their marginal), a candidate at feature i is kept iff hi32 of draw c + k of a second key (the
 * thinning stream, tms_mix64 of the key) is below round(t_i / t_max * 2^32). There are at most B*N candidates, so
 * a call uses draws c .. c + B*N - 1 and advances the counter by B*N exactly as the bulk pass does: the t-th batch
 * still depends only on (seed, stream, t).
 * When: the independent law (no structured set draws), N >= TMS_GAP_MIN_N and t_max <= TMS_GAP_MAX_P * 2^32: a
 * function of the law and the shape only. The fused step of tiny models (kernels/fused.c) never meets it (N small).
 * Bits: ln is computed here in double from +, -, *, / only (a fixed series, contraction off in ISO C), so every
 * instruction-set build gives the same gaps; the geometric law holds to ~1e-12 relative in ln U. */
#ifndef TMS_DATA_GAP_H
#define TMS_DATA_GAP_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/status.h"
#include "data/data.h"
#include "isa/isa_fn.h"

#define TMS_GAP_MIN_N 200   /* the large shapes (200/20, 400/30); below, a batch's bulk pass costs little */
#define TMS_GAP_MAX_P 0.05  /* above, the per-candidate cost (a log and a scattered store) outweighs the bulk pass */

struct tms_gap_law {
  double inv_log_q;  /* 1 / ln(1 - q) (< 0) */
  uint64_t thin_key; /* key of the thinning stream */
  int thin;          /* 1 if some feature's threshold is below t_max */
  uint64_t *accept;  /* (N) thinning thresholds on 32 bits (2^32: always kept) */
};

/* Sets gen->gap (one allocation) when the law and shape take the gap sampler, else leaves it NULL. */
tms_status tms_gap_init(tms_data_gen *gen, tms_error *err);
void tms_gap_free(tms_data_gen *gen);
/* The batch of B rows (x fully written: zeros and the present entries) from draws c0 .. */
TMS_ISA_DECL(void, tms_sample_gaps, (float *x /* (B, N) */, const tms_data_gen *gen, int batch, uint64_t c0));
/* The same batch as the row-wise positions and values of its nonzeros only, x not written (tms_data_sample_csr,
 * data.h); returns their count. */
TMS_ISA_DECL(long, tms_sample_gaps_csr, (int *start /* (B + 1) */, int *idx /* (B N) */, float *val /* (B N) */,
                                         const tms_data_gen *gen, int batch, uint64_t c0));
/* ln(y) for normal y > 0, from +, -, *, / only: y = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s),
 * s = (m - 1) / (m + 1) (|s| <= 0.172), by its series to s^15 (relative error below 1e-13). Branch-free (selects),
 * so a loop of it vectorises; the same bits on every build. */
static inline double tms_gap_log(double y) {
  uint64_t bits;
  memcpy(&bits, &y, sizeof bits);
  double e = (double)((int64_t)((bits >> 52) & 0x7ff) - 1023);
  bits = (bits & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000);
  double m;
  memcpy(&m, &bits, sizeof m);
  const int big = m > 1.4142135623730951;
  m = big ? m * 0.5 : m;
  e = big ? e + 1.0 : e;
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  const double poly =
      1.0 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 + s2 * (1.0 / 13 +
                                                                                           s2 * (1.0 / 15)))))));
  return e * 0x1.62e42fefa39efp-1 + 2.0 * s * poly;
}

#endif
