/* kernels step: the fused training step of small models (kernels/fused.c, fused_mid.c) against the unfused one
 * (tms_data_sample, then the lanes forward, loss and backward), for every variant, on the shapes the fused step takes
 * (fused.c: 2x1, 3x2, 5x2 with their specialised loops, 8x3 and 4x2 through the general loop; fused_mid.c: 20x5
 * and relu_out 5x2 with its specialised calls, 10x4 and 9x1 through the general one), a batch that is a multiple of 16 and one
 * that is not, densities 1 and 0.05, over several consecutive steps with parameters moved in between, the last one
 * across an epoch of the entry draws.
 * What must hold: the gradient is bitwise the unfused one, the data counter advances the same, the loss agrees
 * within the rounding bound of the fused path's float32 partial sums (same nonnegative float terms; the fused path
 * adds TMS_FUSED_LOSS_BLOCKS * N of them per lane in float32 before double, so at most that many roundings of
 * 2^-24 relative each), and the fused path really ran (x, which
 * only the unfused path writes, still holds its sentinel). Run under each ISA path by CTest (tms_isa_test). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/data.h"
#include "kernels/kernels.h"
#include "kernels/kernels_path.h"

static uint64_t rng_state = 777;
static float uniform_pm(void) { /* splitmix64 -> [-1, 1) */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (float)((double)(z >> 11) * 0x1.0p-52 - 1.0);
}

static size_t count_diff(const float *a, const float *b, size_t n) {
  size_t d = 0;
  for (size_t k = 0; k < n; k++) d += memcmp(&a[k], &b[k], sizeof(float)) != 0;
  return d;
}

static void one_case(tms_variant v, int N, int M, int B, double density) {
  tms_spec spec;
  tms_spec_defaults(&spec);
  spec.variant = v;
  spec.n_features = N;
  spec.n_hidden = M;
  spec.density = density;
  spec.seed = 3;
  tms_error err = {0};
  tms_data_gen g1, g2;
  if (tms_data_init(&g1, &spec, 2, &err) != TMS_OK || tms_data_init(&g2, &spec, 2, &err) != TMS_OK) {
    CHECK(0, "tms_data_init: %s", err.msg);
    return;
  }
  const size_t nm = (size_t)N * M, np = 2 * nm + N;
  float *param = malloc(np * sizeof *param), *ga = malloc(np * sizeof *ga), *gb = malloc(np * sizeof *gb);
  float *imp = malloc(N * sizeof *imp), *x = malloc((size_t)B * N * sizeof *x);
  float *mem = malloc(tms_acts_floats(B, N, M) * sizeof *mem);
  for (size_t k = 0; k < np; k++) param[k] = 0.7f * uniform_pm();
  for (int i = 0; i < N; i++) imp[i] = powf(0.9f, (float)i);
  tms_params p = {N, M, param, v == TMS_ABS ? param + nm : NULL, param + 2 * nm};
  tms_params pa = {N, M, ga, v == TMS_ABS ? ga + nm : NULL, ga + 2 * nm};
  tms_params pb = {N, M, gb, v == TMS_ABS ? gb + nm : NULL, gb + 2 * nm};
  tms_acts acts;
  tms_acts_bind(&acts, mem, B, N, M);
  for (int step = 0; step < 4; step++) {
    if (step == 3) /* the last step's batch crosses an epoch of the entry draws (2^32, data/draw.h) mid-batch */
      g1.rng.counter = g2.rng.counter = (UINT64_C(1) << 32) - (uint64_t)B * (uint64_t)N / 2 - 3;
    memset(ga, 0xff, np * sizeof *ga); /* NaN bit patterns: every gradient entry must be written */
    memset(gb, 0xff, np * sizeof *gb);
    for (size_t k = 0; k < (size_t)B * N; k++) x[k] = NAN;
    tms_kernels_force_path = TMS_KERNELS_AUTO;
    const double la = tms_model_step(v, &pa, &acts, x, &g1, imp, &p, B);
    int untouched = 1;
    for (size_t k = 0; k < (size_t)B * N; k++) untouched &= isnan(x[k]);
    tms_kernels_force_path = TMS_KERNELS_LANES;
    const double lb = tms_model_step(v, &pb, &acts, x, &g2, imp, &p, B);
    tms_kernels_force_path = TMS_KERNELS_AUTO;
    const size_t used = v == TMS_ABS ? np : nm; /* W2 exists for abs only */
    size_t dW = count_diff(ga, gb, used), db = count_diff(ga + 2 * nm, gb + 2 * nm, (size_t)N);
    CHECK(untouched, "variant %d %dx%d B=%d p=%g step %d: the fused path ran (x untouched)", v, N, M, B, density,
          step);
    CHECK(dW == 0 && db == 0, "variant %d %dx%d B=%d p=%g step %d: gradient bitwise the unfused one (%zu W, %zu b "
          "entries differ)", v, N, M, B, density, step, dW, db);
    const double bound = (8.0 * N * 0x1p-24 + 1e-12) * fabs(lb); /* 8 = TMS_FUSED_LOSS_BLOCKS (fused.c) */
    CHECK(fabs(la - lb) <= bound, "variant %d %dx%d B=%d p=%g step %d: loss %.17g vs unfused %.17g", v,
          N, M, B, density, step, la, lb);
    CHECK(g1.rng.counter == g2.rng.counter, "variant %d %dx%d: data counter %llu vs unfused %llu", v, N, M,
          (unsigned long long)g1.rng.counter, (unsigned long long)g2.rng.counter);
    for (size_t k = 0; k < np; k++) param[k] -= 0.5f * gb[k]; /* move on, so later steps see other weights */
  }
  tms_data_free(&g1);
  tms_data_free(&g2);
  free(param), free(ga), free(gb), free(imp), free(x), free(mem);
}

int main(void) {
  const int shapes[][2] = {{2, 1}, {3, 2}, {5, 2}, {8, 3}, {4, 2}, {20, 5}, {10, 4}, {9, 1}};
  const tms_variant variants[] = {TMS_LINEAR, TMS_RELU_OUT, TMS_RELU_HIDDEN, TMS_ABS};
  const int batches[] = {1024, 1000};
  const double densities[] = {1.0, 0.05};
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
    for (size_t v = 0; v < 4; v++)
      for (size_t b = 0; b < 2; b++)
        for (size_t d = 0; d < 2; d++) one_case(variants[v], shapes[s][0], shapes[s][1], batches[b], densities[d]);
  return tms_check_finish("kernels_step");
}
