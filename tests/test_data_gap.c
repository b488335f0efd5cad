/* data_gap_*: the gap sampler of the data generator (src/1_model/data/gap.h) at low density and large N:
 *   law          P(x_i != 0) per feature (last_density thinning included), E[x], E[x^2], and the co-presence of
 *                neighbouring entries (p_i p_j: the gaps are geometric, not merely of the right mean), both value
 *                ranges, by Monte Carlo within 4.5 sigma (fixed seeds: deterministic outcomes);
 *   choice       taken exactly where gap.h says (N >= TMS_GAP_MIN_N, independent law, density <= TMS_GAP_MAX_P);
 *   determinism  same seed, same batches; the counter advances by B N per call, as the bulk pass;
 *   isa_bits     every instruction-set build this CPU runs gives the same batch bits; gap.h's ln within 1e-13 of
 *                libm's. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/data.h"
#include "data/gap.h"

enum { BATCH = 1024 };

static int gen_open(tms_data_gen *g, int n, double p, double last, int variant, tms_correlation c, double rho) {
  tms_spec s;
  tms_spec_defaults(&s);
  s.variant = variant, s.n_features = n, s.n_hidden = 1, s.density = p, s.last_density = last, s.seed = 7117;
  if (c != TMS_INDEPENDENT) s.correlation = c, s.correlated_sets = 2, s.set_size = 2, s.correlation_strength = rho;
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_spec_validate(&s, &err);
  if (st == TMS_OK) st = tms_data_init(g, &s, TMS_STREAM_DATA, &err);
  return CHECK(st == TMS_OK, "spec rejected: %s: %s", err.key, err.msg);
}

static void law_case(int n, double p, double last, int variant) {
  tms_data_gen g = {0};
  if (!gen_open(&g, n, p, last, variant, TMS_INDEPENDENT, 0)) return;
  CHECK(g.gap != NULL, "n=%d p=%g: the gap sampler is taken", n, p);
  const int calls = 150, sym = variant == TMS_ABS;
  const double S = (double)calls * BATCH;
  float *x = malloc(sizeof(float) * BATCH * n);
  double *nz = calloc(n, sizeof(double)), m1 = 0, m2 = 0, pair = 0, pair_want = 0, p_sum = 0;
  for (int c = 0; c < calls; c++) {
    tms_data_sample(&g, x, BATCH);
    for (int b = 0; b < BATCH; b++)
      for (int i = 0; i < n; i++) {
        const float v = x[(size_t)b * n + i];
        nz[i] += v != 0.0f;
        m1 += v, m2 += (double)v * v;
        if (i + 1 < n) pair += v != 0.0f && x[(size_t)b * n + i + 1] != 0.0f;
      }
  }
  for (int i = 0; i < n; i++) {
    const double pi = i == n - 1 && !isnan(last) ? last : p;
    p_sum += pi;
    if (i + 1 < n) pair_want += pi * (i + 1 == n - 1 && !isnan(last) ? last : p);
    const double q = sym ? pi : pi * (1 - 0x1p-24);
    char what[96];
    snprintf(what, sizeof what, "n=%d p=%g %s feature %d: P(x != 0)", n, pi, sym ? "abs" : "unit", i);
    CHECK_CLOSE(what, nz[i] / S, q, 4.5 * sqrt(q * (1 - q) / S) + 1 / S);
  }
  const double cells = S * n;
  CHECK_CLOSE("pooled E[x]", m1 / cells, sym ? 0.0 : p_sum / n / 2, 4.5 * sqrt(p_sum / n / 3 / cells));
  CHECK_CLOSE("pooled E[x^2]", m2 / cells, p_sum / n / 3, 4.5 * sqrt(p_sum / n / 5 / cells));
  CHECK_CLOSE("neighbours both present (independence across gaps)", pair / (S * (n - 1)), pair_want / (n - 1),
              4.5 * sqrt(pair_want / (n - 1) / (S * (n - 1))));
  free(x), free(nz);
  tms_data_free(&g);
}

static void case_law(void) {
  law_case(256, 0.02, NAN, TMS_RELU_OUT);
  law_case(400, 0.01, 0.004, TMS_RELU_OUT); /* last_density: thinning */
  law_case(200, 0.05, NAN, TMS_ABS);
}

static void case_choice(void) {
  struct { int n; double p; tms_correlation c; double rho; int want; } cases[] = {
      {256, 0.02, TMS_INDEPENDENT, 0, 1}, {TMS_GAP_MIN_N, TMS_GAP_MAX_P, TMS_INDEPENDENT, 0, 1},
      {256, 0.2, TMS_INDEPENDENT, 0, 0},  {TMS_GAP_MIN_N - 1, 0.01, TMS_INDEPENDENT, 0, 0},
      {256, 0.01, TMS_CORRELATED, 1, 0},  {256, 0.01, TMS_CORRELATED, 0.5, 0},
      {256, 0.01, TMS_CORRELATED, 0, 1}, /* rho = 0: independent members at their marginal */
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    tms_data_gen g = {0};
    if (!gen_open(&g, cases[k].n, cases[k].p, NAN, TMS_RELU_OUT, cases[k].c, cases[k].rho)) continue;
    CHECK((g.gap != NULL) == cases[k].want, "n=%d p=%g correlation %d rho=%g: gap sampler %s", cases[k].n,
          cases[k].p, (int)cases[k].c, cases[k].rho, cases[k].want ? "taken" : "not taken");
    tms_data_free(&g);
  }
}

static void case_determinism(void) {
  tms_data_gen a = {0}, b = {0};
  if (!gen_open(&a, 300, 0.03, 0.01, TMS_RELU_OUT, TMS_INDEPENDENT, 0)) return;
  if (!gen_open(&b, 300, 0.03, 0.01, TMS_RELU_OUT, TMS_INDEPENDENT, 0)) return;
  float *x = malloc(sizeof(float) * BATCH * 300), *y = malloc(sizeof(float) * BATCH * 300);
  long nonzero = 0;
  for (int c = 0; c < 5; c++) {
    const uint64_t before = a.rng.counter;
    tms_data_sample(&a, x, BATCH);
    tms_data_sample(&b, y, BATCH);
    CHECK(a.rng.counter - before == (uint64_t)BATCH * 300, "call %d advances the counter by B N (%llu)", c,
          (unsigned long long)(a.rng.counter - before));
    CHECK(memcmp(x, y, sizeof(float) * BATCH * 300) == 0, "call %d: same seed, same batch", c);
    for (int k = 0; k < BATCH * 300; k++) nonzero += x[k] != 0.0f;
  }
  CHECK(nonzero > 0, "batches are not empty");
  free(x), free(y);
  tms_data_free(&a), tms_data_free(&b);
}

static void case_isa_bits(void) {
  double worst = 0;
  for (double y = 1e-12; y < 1.0; y *= 1.0137) worst = fmax(worst, fabs(tms_gap_log(y) - log(y)) / fabs(log(y)));
  for (double d = 1e-12; d < 0.5; d *= 1.11) worst = fmax(worst, fabs(tms_gap_log(1 - d) - log(1 - d)) / -log(1 - d));
  CHECK(worst < 1e-13, "gap.h's ln within 1e-13 (relative) of libm's: worst %.3g", worst);
  tms_data_gen g = {0};
  if (!gen_open(&g, 400, 0.02, 0.005, TMS_ABS, TMS_INDEPENDENT, 0)) return;
  const size_t count = (size_t)BATCH * 400;
  float *ref = malloc(sizeof(float) * count), *x = malloc(sizeof(float) * count);
#if defined(TMS_ISA_VARIANTS)
  /* 32 batches (~260,000 candidates): a gap differs only where an ulp of ln U crosses an integer, so few batches
   * would miss a slightly different ln */
  const tms_isa best = tms_isa_best();
  int differ_avx2 = 0, differ_avx512 = 0;
  for (uint64_t c0 = 12345; c0 < 12345 + 32 * (uint64_t)count; c0 += count) {
    tms_sample_gaps_generic(ref, &g, BATCH, c0);
    if (best >= TMS_ISA_AVX2) {
      tms_sample_gaps_avx2(x, &g, BATCH, c0);
      differ_avx2 += memcmp(ref, x, sizeof(float) * count) != 0;
    }
    if (best >= TMS_ISA_AVX512) {
      tms_sample_gaps_avx512(x, &g, BATCH, c0);
      differ_avx512 += memcmp(ref, x, sizeof(float) * count) != 0;
    }
  }
  CHECK(differ_avx2 == 0, "avx2 build gives the generic build's bits: %d of 32 batches differ", differ_avx2);
  CHECK(differ_avx512 == 0, "avx512 build gives the generic build's bits: %d of 32 batches differ", differ_avx512);
  printf("  compared builds up to %s\n", tms_isa_name(best));
#endif
  free(ref), free(x);
  tms_data_free(&g);
}

int main(int argc, char **argv) {
  static const struct { const char *name; void (*run)(void); } cases[] = {
      {"law", case_law}, {"choice", case_choice}, {"determinism", case_determinism}, {"isa_bits", case_isa_bits}};
  for (size_t i = 0; argc == 2 && i < sizeof cases / sizeof cases[0]; i++)
    if (strcmp(argv[1], cases[i].name) == 0) {
      cases[i].run();
      char name[64];
      snprintf(name, sizeof name, "data_gap_%s", cases[i].name);
      return tms_check_finish(name);
    }
  fprintf(stderr, "usage: %s law|choice|determinism|isa_bits\n", argv[0]);
  return 2;
}
