/* kernels large step: the fused step of the large-shape path (kernels/kernels_large_step.c, taken by tms_model_step)
 * against the unfused calls (tms_data_sample, tms_model_forward, tms_model_loss, tms_model_backward), for every
 * variant and every forced formulation of the path (auto, dense, sparse, gram), at densities where the gap sampler
 * draws the batch (0.005, 0.01, 0.05: its CSR of x is used) and where the bulk pass does (0.2, 1: x is scanned),
 * over consecutive steps with the parameters moved in between, with trained-looking weights (strong and weak
 * features, mostly negative biases) so that dout is sparse and the dout-sparse backward runs.
 * What must hold: loss, dW (dW2), db bitwise the unfused ones, the same counter advance, the same x where the fused
 * step writes it (a dense embed; x is scratch otherwise), the same choices of formulation; and tms_data_sample_csr's
 * list equals a scan of tms_data_sample's x for nonzeros (same order, same values).
 * Run under each ISA path by CTest (tms_isa_test). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/data.h"
#include "kernels/kernels.h"
#include "kernels/kernels_large.h"
#include "kernels/kernels_path.h"

static uint64_t rng_state = 4242;
static double uniform(void) { /* splitmix64 -> [0, 1) */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

static size_t count_diff(const float *a, const float *b, size_t n) {
  size_t d = 0;
  for (size_t k = 0; k < n; k++) d += memcmp(&a[k], &b[k], sizeof(float)) != 0;
  return d;
}

static const char *vnames[] = {"linear", "relu_out", "relu_hidden", "abs"};
static const char *fnames[] = {"auto", "dense", "sparse", "gram"};

/* Trained-looking parameters [W | W2 | b]: 2M strong features (norm ~1.8), the rest weak; biases mostly negative. */
static void init_params(float *param, int N, int M) {
  const size_t nm = (size_t)N * M;
  for (int i = 0; i < N; i++) {
    const double scale = i < 2 * M ? 1.8 / sqrt(M) : 0.15 / sqrt(M);
    for (int j = 0; j < M; j++) {
      param[(size_t)i * M + j] = (float)(scale * (2 * uniform() - 1));
      param[nm + (size_t)i * M + j] = (float)(scale * (2 * uniform() - 1));
    }
    param[2 * nm + i] = (float)(i % 29 == 0 ? 0.05 + 0.1 * uniform() : -0.3 - 0.5 * uniform());
  }
}

/* The gap sampler's list (gen) against a scan of the x tms_data_sample draws (twin, the same stream and counter). */
static void check_csr(tms_data_gen *gen, tms_data_gen *twin, int B, int N, double density) {
  int *start = malloc(sizeof(int) * (B + 1)), *idx = malloc(sizeof(int) * (size_t)B * N);
  float *x = malloc(sizeof(float) * (size_t)B * N), *val = malloc(sizeof(float) * (size_t)B * N);
  const long nnz = tms_data_sample_csr(gen, B, start, idx, val);
  tms_data_sample(twin, x, B);
  const uint64_t cg = gen->rng.counter, ct = twin->rng.counter;
  CHECK(nnz < 0 ? cg + (uint64_t)B * N == ct : cg == ct,
        "p=%g: the list advances the counter as tms_data_sample, or not at all where it is not drawn (%llu vs %llu)",
        density, (unsigned long long)cg, (unsigned long long)ct);
  long scanned = 0, off = 0;
  for (int b = 0; b < B && nnz >= 0; b++) {
    off += start[b] != scanned;
    for (int i = 0; i < N; i++) {
      if (x[(size_t)b * N + i] == 0.0f) continue;
      off += scanned >= start[b + 1] || idx[scanned] != i || memcmp(&val[scanned], &x[(size_t)b * N + i], 4) != 0;
      scanned++;
    }
  }
  CHECK(nnz < 0 || (off == 0 && scanned == nnz && start[B] == nnz),
        "%d features p=%g: the gap sampler's list (positions, values) is the scan of its x (%ld listed, %ld scanned, "
        "%ld off)", N, density, nnz, scanned, off);
  CHECK((nnz >= 0) == (density <= 0.05), "p=%g: the gap sampler lists nonzeros exactly where it draws", density);
  free(start), free(idx), free(x), free(val);
}

typedef struct {
  tms_data_gen g1, g2;
  float *param, *ga, *gb, *imp, *x1, *x2, *mem1, *mem2;
  size_t np, nm;
} step_case;

/* One step of both (fused, then unfused on a twin generator), the comparisons, then the parameters moved. */
static void compare_step(step_case *c, tms_variant v, int N, int M, int B, double density, int fi, int step) {
  tms_params p = {N, M, c->param, v == TMS_ABS ? c->param + c->nm : NULL, c->param + 2 * c->nm};
  tms_params pa = {N, M, c->ga, v == TMS_ABS ? c->ga + c->nm : NULL, c->ga + 2 * c->nm};
  tms_params pb = {N, M, c->gb, v == TMS_ABS ? c->gb + c->nm : NULL, c->gb + 2 * c->nm};
  tms_acts a1, a2;
  tms_acts_bind(&a1, c->mem1, B, N, M);
  tms_acts_bind(&a2, c->mem2, B, N, M);
  memset(c->ga, 0xff, c->np * sizeof(float)); /* NaN bit patterns: every gradient entry must be written */
  memset(c->gb, 0xff, c->np * sizeof(float));
  const double la = tms_model_step(v, &pa, &a1, c->x1, &c->g1, c->imp, &p, B);
  const tms_large_choice fused = tms_large_last;
  tms_data_sample(&c->g2, c->x2, B);
  tms_model_forward(v, &a2, c->x2, &p, B);
  const double lb = tms_model_loss(v, &a2, c->x2, c->imp, B, N);
  tms_model_backward(v, &pb, &a2, c->x2, &p, B);
  const tms_large_choice plain = tms_large_last;
  const size_t used = v == TMS_ABS ? 2 * c->nm : c->nm;
  const size_t dW = count_diff(c->ga, c->gb, used), db = count_diff(c->ga + 2 * c->nm, c->gb + 2 * c->nm, N);
  const size_t dx = count_diff(c->x1, c->x2, (size_t)B * N);
  char what[128];
  snprintf(what, sizeof what, "%s %dx%d B=%d p=%g %s step %d", vnames[v], N, M, B, density, fnames[fi], step);
  CHECK(dW == 0 && db == 0 && memcmp(&la, &lb, sizeof la) == 0,
        "%s: fused step bitwise the unfused calls (%zu W, %zu b entries differ; loss %.17g vs %.17g)", what, dW, db,
        la, lb);
  /* x is scratch: the fused step writes it only where the embed is dense (the CSR is the batch otherwise) */
  CHECK((fused.embed_sparse || dx == 0) && c->g1.rng.counter == c->g2.rng.counter,
        "%s: same batch and counter (%zu x entries differ, sparse embed %d; counters %llu vs %llu)", what, dx,
        fused.embed_sparse, (unsigned long long)c->g1.rng.counter, (unsigned long long)c->g2.rng.counter);
  CHECK(fused.embed_sparse == plain.embed_sparse && fused.gram == plain.gram &&
            fused.dout_sparse == plain.dout_sparse && fused.nnz_dout == plain.nnz_dout,
        "%s: same choices (embed %d/%d gram %d/%d dout %d/%d, nnz dout %ld/%ld)", what, fused.embed_sparse,
        plain.embed_sparse, fused.gram, plain.gram, fused.dout_sparse, plain.dout_sparse, fused.nnz_dout,
        plain.nnz_dout);
  for (size_t k = 0; k < used + N; k++) { /* move the parameters a little, as training does */
    const size_t at = k < used ? k : 2 * c->nm + (k - used);
    c->param[at] -= 0.05f * c->ga[at];
  }
}

/* Shifts the biases so that about a fraction target of the outputs is positive on a batch of this law (bisection):
 * near the dout limit, so that a batch's dout list overflows part-way (rows already done sparsely must then be
 * completed for the sgemm backward). */
static void tune_bias(step_case *c, tms_variant v, int N, int M, int B, double target) {
  tms_data_gen g = c->g1; /* a copy: draws from it leave g1's counter alone */
  tms_data_sample(&g, c->x1, B);
  tms_params p = {N, M, c->param, v == TMS_ABS ? c->param + c->nm : NULL, c->param + 2 * c->nm};
  tms_acts a;
  tms_acts_bind(&a, c->mem1, B, N, M);
  float *bias = c->param + 2 * c->nm, lo = -3.0f, hi = 3.0f, shift = 0.0f;
  for (int it = 0; it < 30; it++) {
    const float mid = 0.5f * (lo + hi);
    for (int i = 0; i < N; i++) bias[i] += mid - shift;
    shift = mid;
    tms_model_forward(v, &a, c->x1, &p, B);
    size_t pos = 0;
    for (size_t k = 0; k < (size_t)B * N; k++) pos += a.out[k] > 0.0f;
    if ((double)pos / ((double)B * N) > target)
      hi = mid;
    else
      lo = mid;
  }
}

static void one_case(tms_variant v, int N, int M, int B, double density, int *dout_sparse_seen) {
  tms_spec spec;
  tms_spec_defaults(&spec);
  spec.variant = v;
  spec.n_features = N;
  spec.n_hidden = M;
  spec.density = density;
  spec.seed = 11;
  tms_error err = {0};
  step_case c;
  if (tms_data_init(&c.g1, &spec, 5, &err) != TMS_OK || tms_data_init(&c.g2, &spec, 5, &err) != TMS_OK) {
    CHECK(0, "tms_data_init: %s", err.msg);
    return;
  }
  c.nm = (size_t)N * M, c.np = 2 * c.nm + N;
  c.param = malloc(c.np * sizeof(float)), c.ga = malloc(c.np * sizeof(float)), c.gb = malloc(c.np * sizeof(float));
  c.imp = malloc(N * sizeof(float));
  c.x1 = malloc((size_t)B * N * sizeof(float)), c.x2 = malloc((size_t)B * N * sizeof(float));
  c.mem1 = malloc(tms_acts_floats(B, N, M) * sizeof(float)), c.mem2 = malloc(tms_acts_floats(B, N, M) * sizeof(float));
  for (int i = 0; i < N; i++) c.imp[i] = powf(0.99f, (float)i);
  CHECK(tms_large_step_fits(&c.g1, N, M), "%dx%d: the fused large step is taken", N, M);
  for (int fi = 0; fi < 4; fi++) {
    tms_large_forced = (tms_large_force)fi;
    init_params(c.param, N, M);
    for (int step = 0; step < 3; step++) {
      compare_step(&c, v, N, M, B, density, fi, step);
      *dout_sparse_seen |= tms_large_last.dout_sparse;
    }
  }
  tms_large_forced = TMS_LARGE_AUTO;
  if (v != TMS_LINEAR && density <= 0.05) { /* dout near the limit (1 / TMS_LARGE_DOUT_WEIGHT of the batch) */
    init_params(c.param, N, M);
    tune_bias(&c, v, N, M, B, 0.11);
    for (int step = 0; step < 3; step++) compare_step(&c, v, N, M, B, density, 0, step);
  }
  if (v == TMS_RELU_OUT) check_csr(&c.g1, &c.g2, B, N, density);
  tms_data_free(&c.g1), tms_data_free(&c.g2);
  free(c.param), free(c.ga), free(c.gb), free(c.imp), free(c.x1), free(c.x2), free(c.mem1), free(c.mem2);
}

int main(void) {
  const int shapes[][3] = {{200, 20, 1024}, {400, 30, 256}, {300, 24, 77}};
  const double densities[] = {0.005, 0.01, 0.05, 0.2, 1.0};
  int dout_sparse_seen = 0;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int vi = 0; vi < 4; vi++)
      for (size_t d = 0; d < sizeof densities / sizeof densities[0]; d++)
        one_case((tms_variant)vi, shapes[s][0], shapes[s][1], shapes[s][2], densities[d], &dout_sparse_seen);
  CHECK(dout_sparse_seen, "the dout-sparse backward ran in some case");
  return tms_check_finish("kernels_large_step");
}
