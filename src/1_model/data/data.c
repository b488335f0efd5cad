/* data: the synthetic sparse features of SCIENCE.md section 2 (tms/data.h), one fresh batch per call.
 * Not a dataset (no storage, no epochs) and not the loss target (the trainer uses |x|).
 *
 * Semantics (exact in distribution; every probability t / 2^32 with t = round(p * 2^32)):
 * - Entry (b, i) of the t-th batch owns draw r = tms_data_entry(key, c + b*N + i) (draw.h: 32-bit hashes of the
 *   counter under per-epoch keys), c = counter at the start of the call. Its high 32 bits decide presence (present iff hi32 < t_i), its low 24 bits give the value
 *   v = lo24 / 2^24 in [0, 1), or for the abs variant v = (2*lo24 + 1 - 2^24) / 2^24 in (-1, 1) (symmetric, mean
 *   exactly 0, never 0). Presence and value use disjoint bits, hence are independent.
 * - Independent feature i (all features when correlation is independent, else i >= sets*set_size): present with
 *   probability p_i (tms_spec_profile, i.e. with the last_density override), value as above.
 * - Set s occupies features [s*k, (s+1)*k), k = set_size; p = density of its first member. Per sample and set,
 *   with probability rho = correlation_strength the set follows its structure, otherwise its members are
 *   independent with their structured marginal density (so marginals never depend on rho). The rho decision uses
 *   the high 32 bits of draw c + B*N + b*sets + s, and those draws exist only when 0 < rho < 1 (rho = 1 and
 *   rho = 0 need no decision; they are tms_rng_at draws, not entry draws).
 *   Structured draws reuse the high 32 bits of the members' own entry draws (unused by the values):
 *   - correlated (density mode set or member; same law): u = hi32 of member 0; all members present iff u < t(p),
 *     each with its own value. Marginal p, members present together or not at all.
 *   - anticorrelated, mode set (paper): u = hi32 of member 0; member j present iff t(j p/k) <= u < t((j+1) p/k),
 *     i.e. the set is active with probability p and then exactly one member, uniform, is present. Marginal p/k;
 *     the independent fallback uses p/k per member.
 *   - anticorrelated, mode member (ARENA pairs, k = 2): u, v = hi32 of members 0, 1; member 0 present iff u < t(p);
 *     member 1 iff u >= t(p) and v < t(p/(1-p)). Each marginal p (up to 2^-32), never both; fallback p each.
 * - Determinism: a call consumes B*N draws (+ B*sets when 0 < rho < 1) and advances the counter by that, so the
 *   t-th batch depends only on (seed, stream, t) and the batch sizes of the calls before it (constant in a run).
 * Speed: one branch-free, vectorised pass flat over B*N entries, with per-entry thresholds in a table repeated over
 * rows (no modulo): independent law (bulk.c) when there are no sets or rho = 0, structured law
 * (bulk.c) when rho = 1; for 0 < rho < 1 the independent pass is followed by a scalar pass that
 * redraws the structured (sample, set) pairs (sample_sets). All three produce the bits the semantics define.
 * Low density, large N (gap.h): the independent law is drawn instead by the gaps between present entries (gap.c),
 * whose cost follows the nonzeros; same law in distribution, other bits, same counter advance. */
#include "data/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "draw.h"
#include "gap.h"
#include "rng/mix.h"

#define TMS_ONE32 UINT64_C(0x100000000)

/* Probability p as a threshold on 32 random bits: P(u32 < t) = t / 2^32, within 2^-33 of p. */
static uint64_t prob_threshold(double p) {
  if (!(p > 0.0)) return 0;
  if (p >= 1.0) return TMS_ONE32;
  return (uint64_t)llround(p * 4294967296.0);
}

/* The spec fields the generator depends on, checked before anything is allocated. */
static tms_status check_law(const tms_spec *spec, int sets, tms_error *err) {
  const int n = spec->n_features, k = spec->set_size;
  if (n < 1) return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "n_features", "must be >= 1, got %d", n);
  if (sets < 0 || (sets > 0 && (k < 2 || (long)sets * k > n)))
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "correlated_sets",
                         "%d sets of %d features do not fit in %d features", sets, k, n);
  if (!(spec->correlation_strength >= 0.0 && spec->correlation_strength <= 1.0))
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "correlation_strength", "must be in [0, 1], got %g",
                         spec->correlation_strength);
  if (sets > 0 && spec->correlation_density == TMS_DENSITY_MEMBER && spec->correlation == TMS_ANTICORRELATED &&
      k != 2)
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "set_size",
                         "anticorrelated sets with per-member density are pairs (set_size 2), got %d", k);
  return TMS_OK;
}

/* The one allocation: density (N, 64-byte padded), then the five 64-bit tables of len entries, the set thresholds,
 * then the two 32-bit tables. len = rows * N with rows such that one pass of the bulk loop covers >= 256 entries. */
static tms_status alloc_tables(tms_data_gen *gen, int n, int sets, int k, size_t *rows_out, tms_error *err) {
  const size_t rows = (256 + (size_t)n - 1) / (size_t)n;
  const size_t len = rows * (size_t)n;
  const size_t set_len = (size_t)sets * (size_t)(k + 1);
  const size_t dens_bytes = ((size_t)n * sizeof(float) + 63) & ~(size_t)63;
  char *block = malloc(dens_bytes + (5 * len + set_len) * sizeof(uint64_t) + 2 * len * sizeof(uint32_t));
  if (!block) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "data generator tables (%zu features)", len);
  gen->density = (float *)block;
  gen->threshold = (uint64_t *)(block + dens_bytes);
  gen->threshold_len = len;
  gen->source = (int64_t *)(gen->threshold + len);
  gen->lower = (uint64_t *)(gen->source + len);
  gen->upper = gen->lower + len;
  gen->own = gen->upper + len;
  gen->set_threshold = gen->own + len;
  gen->thr_m1 = (uint32_t *)(gen->set_threshold + set_len);
  gen->thr_on = gen->thr_m1 + len;
  *rows_out = rows;
  return TMS_OK;
}

/* Set s's structured thresholds T (k + 1 entries) and the branch-free per-member form of sample_sets() below
 * (every member decided by member 0's u); the members' independent fallback marginal goes to threshold. */
static void fill_set(tms_data_gen *gen, int s, int anti_set, int anti_member) {
  const int k = gen->set_size;
  const double p = gen->density[s * k];
  uint64_t *T = gen->set_threshold + (size_t)s * (size_t)(k + 1);
  /* The marginal each member has under the structure, used when the set falls back to independence. */
  const uint64_t marginal = prob_threshold(anti_set ? p / k : p);
  for (int j = 0; j < k; j++) gen->threshold[s * k + j] = marginal;
  if (anti_set) {
    for (int j = 0; j <= k; j++) T[j] = prob_threshold(p * j / k);
  } else if (anti_member) {
    T[0] = prob_threshold(p);
    T[1] = p < 1.0 ? prob_threshold(p / (1.0 - p)) : TMS_ONE32;
    T[2] = 0;
  } else {
    for (int j = 0; j <= k; j++) T[j] = prob_threshold(p);
  }
  for (int j = 0; j < k; j++) {
    const int f = s * k + j;
    gen->source[f] = -(int64_t)j;
    gen->own[f] = TMS_ONE32;
    if (anti_set) {
      gen->lower[f] = T[j];
      gen->upper[f] = T[j + 1];
    } else if (anti_member) {
      gen->lower[f] = j == 0 ? 0 : T[0];
      gen->upper[f] = j == 0 ? T[0] : TMS_ONE32;
      if (j == 1) gen->own[f] = T[1]; /* v: member 1's own high bits */
    } else {
      gen->lower[f] = 0;
      gen->upper[f] = T[0];
    }
  }
}

/* The per-feature tables of the first row, from the density profile and the sets. */
static void fill_row(tms_data_gen *gen) {
  const int n = gen->n_features;
  for (int i = 0; i < n; i++) {
    gen->threshold[i] = gen->upper[i] = prob_threshold(gen->density[i]);
    gen->source[i] = 0;
    gen->lower[i] = 0;
    gen->own[i] = TMS_ONE32;
  }
  const int anti_set = gen->correlation == TMS_ANTICORRELATED && gen->correlation_density == TMS_DENSITY_SET;
  const int anti_member = gen->correlation == TMS_ANTICORRELATED && gen->correlation_density == TMS_DENSITY_MEMBER;
  for (int s = 0; s < gen->correlated_sets; s++) fill_set(gen, s, anti_set, anti_member);
  for (int i = 0; i < n; i++) {
    gen->thr_m1[i] = gen->threshold[i] > 0 ? (uint32_t)(gen->threshold[i] - 1) : 0;
    gen->thr_on[i] = gen->threshold[i] > 0 ? 0xFFFFFFFFu : 0;
  }
}

/* Copies the first row of every per-entry table over the other rows - 1 rows. */
static void repeat_rows(tms_data_gen *gen, size_t rows) {
  const size_t n = (size_t)gen->n_features;
  uint64_t *tables[] = {gen->threshold, (uint64_t *)gen->source, gen->lower, gen->upper, gen->own};
  for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
    for (size_t r = 1; r < rows; r++) memcpy(tables[t] + r * n, tables[t], n * sizeof(uint64_t));
  for (size_t r = 1; r < rows; r++) {
    memcpy(gen->thr_m1 + r * n, gen->thr_m1, n * sizeof(uint32_t));
    memcpy(gen->thr_on + r * n, gen->thr_on, n * sizeof(uint32_t));
  }
}

tms_status tms_data_init(tms_data_gen *gen, const tms_spec *spec, uint64_t stream, tms_error *err) {
  memset(gen, 0, sizeof *gen);
  const int sets = spec->correlation == TMS_INDEPENDENT ? 0 : spec->correlated_sets;
  tms_status st = check_law(spec, sets, err);
  size_t rows = 0;
  if (st == TMS_OK) st = alloc_tables(gen, spec->n_features, sets, spec->set_size, &rows, err);
  if (st != TMS_OK) return st;
  gen->n_features = spec->n_features;
  gen->symmetric = spec->variant == TMS_ABS;
  gen->correlation = spec->correlation;
  gen->correlation_density = spec->correlation_density;
  gen->correlated_sets = sets;
  gen->set_size = spec->set_size;
  gen->strength = spec->correlation_strength;
  gen->strength_threshold = prob_threshold(spec->correlation_strength);
  tms_rng_init(&gen->rng, spec->seed, stream);
  tms_spec_profile(spec, NULL, gen->density);
  fill_row(gen);
  repeat_rows(gen, rows);
  st = tms_gap_init(gen, err);
  if (st != TMS_OK) tms_data_free(gen);
  return st;
}

void tms_data_free(tms_data_gen *gen) {
  tms_gap_free(gen);
  free(gen->density); /* the base of the one allocation */
  memset(gen, 0, sizeof *gen);
}

/* 0 < rho < 1: after sample_bulk, redraws the (sample, set) pairs whose rho draw says "structured" (see the
 * semantics above); the others keep their independent bulk values. */
static void sample_sets(const tms_data_gen *gen, float *x /* (B, N) */, int batch, uint64_t c0) {
  int n = gen->n_features, k = gen->set_size, sets = gen->correlated_sets;
  uint64_t key = gen->rng.key;
  uint64_t rho_base = c0 + (uint64_t)batch * (uint64_t)n;
  int anti_set = gen->correlation == TMS_ANTICORRELATED && gen->correlation_density == TMS_DENSITY_SET;
  int anti_member = gen->correlation == TMS_ANTICORRELATED && gen->correlation_density == TMS_DENSITY_MEMBER;
  for (int b = 0; b < batch; b++) {
    float *row = x + (size_t)b * (size_t)n;
    uint64_t cr = c0 + (uint64_t)b * (uint64_t)n;
    for (int s = 0; s < sets; s++) {
      uint64_t d = tms_rng_at_inline(key, rho_base + (uint64_t)b * (uint64_t)sets + (uint64_t)s);
      if ((d >> 32) >= gen->strength_threshold) continue; /* independent this time: the bulk pass stands */
      const uint64_t *T = gen->set_threshold + (size_t)s * (size_t)(k + 1);
      int f0 = s * k;
      uint64_t u = tms_entry_draw(key, cr + (uint64_t)f0) >> 32;
      int chosen = -1;              /* anti_set: the one present member */
      int on0 = 0, on1 = 0;         /* anti_member */
      if (anti_set) {
        if (u < T[k]) {
          chosen = 0;
          while (u >= T[chosen + 1]) chosen++;
        }
      } else if (anti_member) {
        uint64_t v = tms_entry_draw(key, cr + (uint64_t)f0 + 1) >> 32;
        on0 = u < T[0];
        on1 = !on0 && v < T[1];
      } else {
        on0 = u < T[0]; /* correlated: all or none */
      }
      for (int j = 0; j < k; j++) {
        int on = anti_set ? j == chosen : anti_member ? (j == 0 ? on0 : on1) : on0;
        float v = 0.0f;
        if (on) {
          uint64_t r = tms_entry_draw(key, cr + (uint64_t)(f0 + j));
          v = gen->symmetric ? tms_value_sym(r) : tms_value_unit(r);
        }
        row[f0 + j] = v;
      }
    }
  }
}

void tms_data_sample(tms_data_gen *gen, float *x, int batch) {
  if (batch <= 0) return;
  size_t total = (size_t)batch * (size_t)gen->n_features;
  uint64_t c0 = gen->rng.counter;
  int sets = gen->correlated_sets > 0 && gen->strength_threshold > 0;
  int rho_draws = sets && gen->strength_threshold < TMS_ONE32;
  if (gen->gap) {
    TMS_ISA_CALL(tms_sample_gaps, x, gen, batch, c0);
  } else if (sets && !rho_draws) {
    TMS_ISA_CALL(tms_sample_bulk_structured, x, gen, total, c0);
  } else {
    TMS_ISA_CALL(tms_sample_bulk, x, gen, total, c0);
    if (rho_draws) sample_sets(gen, x, batch, c0);
  }
  gen->rng.counter = c0 + total + (rho_draws ? (uint64_t)batch * (uint64_t)gen->correlated_sets : 0);
}

uint64_t tms_data_entry(uint64_t key, uint64_t c) { return tms_entry_draw(key, c); }
