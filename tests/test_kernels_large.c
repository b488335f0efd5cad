/* kernels large: the large-shape path (kernels_large.h) at 200x20 .. 400x30, with weights and biases shaped like a
 * trained low-density model (a few strong feature directions, the rest small, negative biases), so the output
 * ReLU is mostly dead and the dout-sparse formulation runs, as it does late in a real run. For every variant, every
 * forced formulation (dense, sparse, gram) and the data-driven rule (auto), at densities from 0.005 to 1:
 *   - out, loss, dW (dW2), db agree with a double-precision reference within 2e-5 of each tensor's largest entry;
 *   - repeating a call gives bitwise the same gradient, and so do the dout-sparse backward's feature blocks (2 KiB
 *     blocks against one); the dense formulation gives bitwise the GEMM path's on the
 *     generic path (on the vector paths its skinny products are tms_skinny_gemm, not sgemm: kernels_large.h);
 *   - tms_skinny_gemm, for hidden widths 1 .. 32 (every tile and tail shape) and both stride layouts, matches a
 *     double reference within 1e-5 of the largest entry, and its AVX2 and AVX-512 builds agree bitwise; so does
 *     tms_readout_rows (the read-out h W^T + b of the vector paths), also row by row against all rows at once;
 *   - auto switches by the data, batch by batch: sparse formulations at density 0.005 (mostly dead outputs), sgemm
 *     for x W at density 1 on the next batch, and it matches the reference at every density of the list in turn;
 *   - central finite differences of the loss agree with backward (a strided subset of W and all of b) on the
 *     sparse formulations, within 2e-3 of the largest gradient entry as in kernels_gradcheck, for all but 1% of the
 *     entries checked (2% for abs, which has two ReLU layers): with hundreds of ReLUs per parameter, a few entries have a ReLU switching inside [-eps, eps],
 *     where central differences are wrong by construction (a wrong gradient path fails nearly every entry). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels/kernels.h"
#include "kernels/kernels_large.h"
#include "isa/isa_fn.h"
#include "kernels/kernels_path.h"

static uint64_t rng_state = 2026;
static double uniform(void) { /* splitmix64 -> [0, 1) */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

/* The models in double, one batch row at a time; returns the loss and fills out, dW, dW2, db. */
static double reference(tms_variant v, float *out, float *dW, float *dW2, float *db, const float *x,
                        const float *imp, const float *W, const float *W2, const float *b, int B, int N, int M) {
  const float *Wo = v == TMS_ABS ? W2 : W;
  const int hrelu = v == TMS_RELU_HIDDEN || v == TMS_ABS;
  double *h = calloc((size_t)M, sizeof(double)), *dh = calloc((size_t)M, sizeof(double));
  double *g = calloc((size_t)N, sizeof(double)), *ab = calloc((size_t)N, sizeof(double));
  double *aW = calloc((size_t)N * M, sizeof(double)), *aW2 = calloc((size_t)N * M, sizeof(double));
  double loss = 0;
  for (int r = 0; r < B; r++) {
    const float *xr = x + (size_t)r * N;
    for (int j = 0; j < M; j++) h[j] = 0;
    for (int i = 0; i < N; i++)
      if (xr[i] != 0.0f)
        for (int j = 0; j < M; j++) h[j] += (double)xr[i] * W[(size_t)i * M + j];
    for (int j = 0; j < M; j++) h[j] = hrelu && h[j] < 0 ? 0 : h[j];
    for (int j = 0; j < M; j++) dh[j] = 0;
    for (int i = 0; i < N; i++) {
      double s = b[i];
      for (int j = 0; j < M; j++) s += h[j] * Wo[(size_t)i * M + j];
      const int alive = v == TMS_LINEAR || s > 0;
      const double o = alive ? s : 0, d = o - fabs((double)xr[i]);
      out[(size_t)r * N + i] = (float)o;
      loss += imp[i] * d * d;
      g[i] = alive ? 2.0 * imp[i] * d / ((double)B * N) : 0;
      ab[i] += g[i];
      for (int j = 0; j < M; j++) {
        dh[j] += g[i] * Wo[(size_t)i * M + j];
        (v == TMS_ABS ? aW2 : aW)[(size_t)i * M + j] += g[i] * h[j];
      }
    }
    for (int j = 0; j < M; j++) dh[j] = hrelu && !(h[j] > 0) ? 0 : dh[j];
    for (int i = 0; i < N; i++)
      if (xr[i] != 0.0f)
        for (int j = 0; j < M; j++) aW[(size_t)i * M + j] += (double)xr[i] * dh[j];
  }
  for (size_t k = 0; k < (size_t)N * M; k++) dW[k] = (float)aW[k], dW2[k] = (float)aW2[k];
  for (int i = 0; i < N; i++) db[i] = (float)ab[i];
  free(h), free(dh), free(g), free(ab), free(aW), free(aW2);
  return loss / ((double)B * N);
}

typedef struct {
  int B, N, M;
  float *x, *imp, *W, *W2, *b, *slab;
  float *rout, *rW, *rW2, *rb, *gW, *gW2, *gb, *gW_first;
} fixture;

/* A trained-looking model: the first M/2.. features strong (norm ~1), the others weak; biases mostly negative. */
static void fixture_init(fixture *f, int B, int N, int M) {
  f->B = B, f->N = N, f->M = M;
  const size_t nm = (size_t)N * M, bn = (size_t)B * N;
  f->x = malloc(sizeof(float) * bn), f->rout = malloc(sizeof(float) * bn);
  f->imp = malloc(sizeof(float) * N), f->b = malloc(sizeof(float) * N), f->rb = malloc(sizeof(float) * N);
  f->gb = malloc(sizeof(float) * N);
  float **nms[] = {&f->W, &f->W2, &f->rW, &f->rW2, &f->gW, &f->gW2, &f->gW_first};
  for (int k = 0; k < 7; k++) *nms[k] = malloc(sizeof(float) * nm);
  f->slab = malloc(sizeof(float) * tms_acts_floats(B, N, M));
  const int strong = 2 * M;
  for (int i = 0; i < N; i++) {
    const double scale = i < strong ? 1.8 / sqrt(M) : 0.15 / sqrt(M);
    for (int j = 0; j < M; j++) {
      f->W[(size_t)i * M + j] = (float)(scale * (2 * uniform() - 1));
      f->W2[(size_t)i * M + j] = (float)(scale * (2 * uniform() - 1));
    }
    f->b[i] = (float)(i % 29 == 0 ? 0.05 + 0.1 * uniform() : -0.3 - 0.5 * uniform());
    f->imp[i] = (float)pow(0.99, i);
  }
}

static void fixture_free(fixture *f) {
  float *all[] = {f->x, f->imp, f->W, f->W2, f->b, f->slab, f->rout, f->rW, f->rW2, f->rb, f->gW, f->gW2, f->gb,
                  f->gW_first};
  for (int k = 0; k < 14; k++) free(all[k]);
}

static void fill_x(fixture *f, tms_variant v, double density) {
  for (size_t k = 0; k < (size_t)f->B * f->N; k++) {
    const double val = v == TMS_ABS ? 2 * uniform() - 1 : uniform();
    f->x[k] = uniform() < density ? (float)val : 0.0f;
  }
}

/* One forward + loss + backward on the current path settings; returns the loss. */
static double step(const fixture *f, tms_variant v, float *out_copy) {
  tms_params p = {f->N, f->M, f->W, v == TMS_ABS ? f->W2 : NULL, f->b};
  tms_params g = {f->N, f->M, f->gW, v == TMS_ABS ? f->gW2 : NULL, f->gb};
  tms_acts a;
  tms_acts_bind(&a, f->slab, f->B, f->N, f->M);
  tms_model_forward(v, &a, f->x, &p, f->B);
  if (out_copy) memcpy(out_copy, a.out, sizeof(float) * (size_t)f->B * f->N);
  const double loss = tms_model_loss(v, &a, f->x, f->imp, f->B, f->N);
  tms_model_backward(v, &g, &a, f->x, &p, f->B);
  return loss;
}

static const char *vnames[] = {"linear", "relu_out", "relu_hidden", "abs"};

/* The dout-sparse backward's feature blocks (kernels_sparse.c: taken or not by the L1D size) never change a bit:
 * small blocks (many of them) against one block, on the same batch. */
static void check_blocking(fixture *f, tms_variant v) {
  const size_t nm = (size_t)f->N * f->M;
  float *one = malloc(sizeof(float) * (nm + (size_t)f->N));
  tms_large_forced = TMS_LARGE_SPARSE;
  tms_large_dout_block_bytes = 1L << 30;
  step(f, v, NULL);
  const int sparse_one = tms_large_last.dout_sparse;
  memcpy(one, f->gW, sizeof(float) * nm);
  memcpy(one + nm, f->gb, sizeof(float) * (size_t)f->N);
  tms_large_dout_block_bytes = 2048; /* 16-21 features per block at these widths */
  step(f, v, NULL);
  CHECK(sparse_one && tms_large_last.dout_sparse, "%s %dx%d: both runs take the dout-sparse backward", vnames[v],
        f->N, f->M);
  size_t differ = 0;
  for (size_t k = 0; k < nm; k++) differ += memcmp(&one[k], &f->gW[k], sizeof(float)) != 0;
  CHECK(differ == 0 && memcmp(one + nm, f->gb, sizeof(float) * (size_t)f->N) == 0,
        "%s %dx%d: 2 KiB feature blocks give one block's bits (%zu of %zu dW entries differ)", vnames[v], f->N, f->M,
        differ, nm);
  tms_large_dout_block_bytes = 0;
  tms_large_forced = TMS_LARGE_AUTO;
  free(one);
}
static const char *fnames[] = {"auto", "dense", "sparse", "gram"};

/* Every formulation against the reference at one density; returns how many checks failed before. */
static void check_formulations(fixture *f, tms_variant v, double density, float *out) {
  const int B = f->B, N = f->N, M = f->M;
  char what[160];
  const double rloss = reference(v, f->rout, f->rW, f->rW2, f->rb, f->x, f->imp, f->W, f->W2, f->b, B, N, M);
  tms_kernels_force_path = TMS_KERNELS_GEMM;
  tms_large_forced = TMS_LARGE_AUTO;
  step(f, v, NULL);
  memcpy(f->gW_first, f->gW, sizeof(float) * (size_t)N * M); /* the GEMM path's bits */
  tms_kernels_force_path = TMS_KERNELS_AUTO;
  for (int fi = 0; fi < 4; fi++) {
    tms_large_forced = (tms_large_force)fi;
    const double loss = step(f, v, out);
#define TAG(t) snprintf(what, sizeof what, "%s %dx%d p=%.3f %s: %s", vnames[v], N, M, density, fnames[fi], t)
    TAG("out");
    CHECK_ARRAY_CLOSE(what, out, f->rout, (size_t)B * N, 2e-5);
    TAG("loss");
    CHECK_CLOSE(what, loss, rloss, 1e-5 * rloss);
    TAG("dW");
    CHECK_ARRAY_CLOSE(what, f->gW, f->rW, (size_t)N * M, 2e-5);
    TAG("db");
    CHECK_ARRAY_CLOSE(what, f->gb, f->rb, (size_t)N, 2e-5);
    if (v == TMS_ABS) {
      TAG("dW2");
      CHECK_ARRAY_CLOSE(what, f->gW2, f->rW2, (size_t)N * M, 2e-5);
    }
#undef TAG
    if (fi == TMS_LARGE_DENSE && tms_isa_current() == TMS_ISA_GENERIC)
      CHECK(memcmp(f->gW_first, f->gW, sizeof(float) * (size_t)N * M) == 0,
            "%s %dx%d p=%.3f: the dense formulation gives the GEMM path's bits", vnames[v], N, M, density);
    float *again = malloc(sizeof(float) * (size_t)N * M);
    memcpy(again, f->gW, sizeof(float) * (size_t)N * M);
    step(f, v, NULL);
    CHECK(memcmp(again, f->gW, sizeof(float) * (size_t)N * M) == 0, "%s %dx%d p=%.3f %s: repeat is bitwise equal",
          vnames[v], N, M, density, fnames[fi]);
    free(again);
  }
  tms_large_forced = TMS_LARGE_AUTO;
}

/* Central differences on a strided subset of W and on all of b, sparse formulations. */
static void gradcheck(fixture *f, tms_variant v) {
  tms_large_forced = v == TMS_LINEAR || v == TMS_RELU_OUT ? TMS_LARGE_GRAM : TMS_LARGE_SPARSE;
  step(f, v, NULL);
  memcpy(f->gW_first, f->gW, sizeof(float) * (size_t)f->N * f->M);
  float *gb = malloc(sizeof(float) * f->N);
  memcpy(gb, f->gb, sizeof(float) * f->N);
  tms_params p = {f->N, f->M, f->W, v == TMS_ABS ? f->W2 : NULL, f->b};
  double scale_w = 0, scale_b = 0, worst_w = 0, worst_b = 0;
  int checked = 0, off = 0;
  for (int k = 0; k < f->N * f->M; k++) scale_w = fmax(scale_w, fabs(f->gW_first[k]));
  for (int i = 0; i < f->N; i++) scale_b = fmax(scale_b, fabs(gb[i]));
  const int count = f->N * f->M + f->N;
  for (int k = 0; k < count; k += (k < f->N * f->M ? 37 : 1)) {
    float *param = k < f->N * f->M ? &f->W[k] : &f->b[k - f->N * f->M];
    const float saved = *param, eps = 1e-4f;
    double l[2];
    for (int s = 0; s < 2; s++) {
      *param = s ? saved - eps : saved + eps;
      tms_acts a;
      tms_acts_bind(&a, f->slab, f->B, f->N, f->M);
      a.dout = NULL;
      tms_model_forward(v, &a, f->x, &p, f->B);
      l[s] = tms_model_loss(v, &a, f->x, f->imp, f->B, f->N);
    }
    *param = saved;
    const double fd = (l[0] - l[1]) / ((double)(saved + eps) - (double)(saved - eps));
    const int in_w = k < f->N * f->M;
    const double err = fabs(fd - (in_w ? f->gW_first[k] : gb[k - f->N * f->M]));
    if (in_w)
      worst_w = fmax(worst_w, err);
    else
      worst_b = fmax(worst_b, err);
    checked++;
    off += err > 2e-3 * (in_w ? scale_w : scale_b);
  }
  printf("  gradcheck %s %dx%d: worst W %.2e, b %.2e of max|grad|; %d of %d entries beyond 2e-3\n", vnames[v],
         f->N, f->M, worst_w / scale_w, worst_b / scale_b, off, checked);
  CHECK(scale_w > 0 && scale_b > 0, "%s %dx%d: gradients are not zero", vnames[v], f->N, f->M);
  /* abs has two ReLU layers, so twice the switching ReLUs per parameter: 2% (it measured 6-8 of 700 at 400x30,
   * 8 with OpenBLAS's Prescott core, whose float32 forward rounds otherwise; a wrong path fails nearly all). */
  const int allowed_pct = v == TMS_ABS ? 2 : 1;
  CHECK(off * 100 <= checked * allowed_pct, "%s %dx%d: finite differences agree with backward within 2e-3 of "
        "max|grad| on all but %d%% of entries (%d of %d off; worst W %.3g, b %.3g)", vnames[v], f->N, f->M,
        allowed_pct, off, checked, worst_w / scale_w, worst_b / scale_b);
  free(gb);
  tms_large_forced = TMS_LARGE_AUTO;
}

/* tms_skinny_gemm against a double reference, both layouts (A row-major: sr = K; A^T stored: sk = rows), with
 * accumulate, and its two vector builds against each other where the CPU runs both. */
static void check_skinny(int rows, int K, int M) {
  const size_t na = (size_t)rows * K, nc = (size_t)rows * M;
  float *a = malloc(sizeof(float) * na), *Bm = malloc(sizeof(float) * (size_t)K * M);
  float *c0 = malloc(sizeof(float) * nc), *c1 = malloc(sizeof(float) * nc), *c2 = malloc(sizeof(float) * nc);
  double *ref = malloc(sizeof(double) * nc);
  for (size_t k = 0; k < na; k++) a[k] = (float)(uniform() - 0.5);
  for (size_t k = 0; k < (size_t)K * M; k++) Bm[k] = (float)(uniform() - 0.5);
  for (int layout = 0; layout < 2; layout++) {
    const size_t sr = layout ? 1 : (size_t)K, sk = layout ? (size_t)rows : 1;
    double big = 0;
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < M; j++) {
        double t = 0.25; /* the old C, accumulated */
        for (int k = 0; k < K; k++) t += (double)a[r * sr + k * sk] * Bm[(size_t)k * M + j];
        ref[(size_t)r * M + j] = t;
        big = fmax(big, fabs(t));
      }
    for (size_t k = 0; k < nc; k++) c0[k] = c1[k] = c2[k] = 0.25f;
    TMS_ISA_CALL(tms_skinny_gemm, c0, a, sr, sk, Bm, rows, K, M, 1);
    double worst = 0;
    for (size_t k = 0; k < nc; k++) worst = fmax(worst, fabs(c0[k] - ref[k]));
    CHECK(worst <= 1e-5 * big, "skinny %dx%dx%d layout %d: off the reference by %.3g (largest %.3g)", rows, K, M,
          layout, worst, big);
#if defined(TMS_ISA_VARIANTS)
    if (tms_isa_best() == TMS_ISA_AVX512) {
      tms_skinny_gemm_avx2(c1, a, sr, sk, Bm, rows, K, M, 1);
      tms_skinny_gemm_avx512(c2, a, sr, sk, Bm, rows, K, M, 1);
      CHECK(memcmp(c1, c2, sizeof(float) * nc) == 0, "skinny %dx%dx%d layout %d: AVX2 and AVX-512 builds agree "
            "bitwise", rows, K, M, layout);
    }
#endif
  }
  free(a), free(Bm), free(c0), free(c1), free(c2), free(ref);
}

/* tms_readout_rows (the vector builds' h W^T + b) against a double reference, for column counts that hit every
 * tail of its tiles; its AVX2 and AVX-512 builds agree bitwise, and so do one row at a time and all rows at once. */
static void check_readout(int rows, int N, int M) {
  const uint64_t saved = rng_state; /* its own draws: the fixtures below stay those of earlier builds */
  float *h = malloc(sizeof(float) * (size_t)rows * M), *W = malloc(sizeof(float) * (size_t)N * M);
  float *WT = malloc(sizeof(float) * (size_t)N * M), *bias = malloc(sizeof(float) * N);
  float *o1 = malloc(sizeof(float) * (size_t)rows * N), *o2 = malloc(sizeof(float) * (size_t)rows * N);
  for (size_t k = 0; k < (size_t)rows * M; k++) h[k] = (float)(uniform() - 0.5);
  for (size_t k = 0; k < (size_t)N * M; k++) W[k] = (float)(uniform() - 0.5);
  for (int i = 0; i < N; i++) bias[i] = (float)(uniform() - 0.5);
  TMS_ISA_CALL(tms_readout_transpose, WT, W, N, M);
  TMS_ISA_CALL(tms_readout_rows, o1, h, WT, bias, rows, N, M);
  double worst = 0, big = 0;
  for (int r = 0; r < rows; r++)
    for (int i = 0; i < N; i++) {
      double t = bias[i];
      for (int k = 0; k < M; k++) t += (double)h[(size_t)r * M + k] * W[(size_t)i * M + k];
      worst = fmax(worst, fabs(o1[(size_t)r * N + i] - t));
      big = fmax(big, fabs(t));
    }
  CHECK(worst <= 1e-5 * big, "readout %dx%dx%d: off the reference by %.3g (largest %.3g)", rows, N, M, worst, big);
  for (int r = 0; r < rows; r++)
    TMS_ISA_CALL(tms_readout_rows, o2 + (size_t)r * N, h + (size_t)r * M, WT, bias, 1, N, M);
  CHECK(memcmp(o1, o2, sizeof(float) * (size_t)rows * N) == 0, "readout %dx%dx%d: row by row bitwise", rows, N, M);
#if defined(TMS_ISA_VARIANTS)
  if (tms_isa_best() == TMS_ISA_AVX512) {
    tms_readout_rows_avx2(o1, h, WT, bias, rows, N, M);
    tms_readout_rows_avx512(o2, h, WT, bias, rows, N, M);
    CHECK(memcmp(o1, o2, sizeof(float) * (size_t)rows * N) == 0, "readout %dx%dx%d: AVX2 and AVX-512 builds agree "
          "bitwise", rows, N, M);
  }
#endif
  free(h), free(W), free(WT), free(bias), free(o1), free(o2);
  rng_state = saved;
}

int main(void) {
  for (int N = 1; N <= 100; N += 3) check_readout(11, N, 1 + N % 37);
  check_readout(1024, 400, 30);
  for (int M = 1; M <= 32; M++) check_skinny(29, 37, M);
  check_skinny(1024, 400, 30);
  const int shapes[][3] = {{200, 20, 77}, {256, 16, 64}, {300, 24, 96}, {400, 30, 128}};
  const double densities[] = {0.005, 0.01, 0.05, 0.3, 1.0};
  CHECK(tms_kernels_choose_path(200, 20) == TMS_KERNELS_LARGE, "200x20 takes the large-shape path under auto");
  CHECK(tms_kernels_choose_path(100, 10) == TMS_KERNELS_GEMM, "100x10 (1000 weights) stays on the GEMM path");
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    fixture f;
    fixture_init(&f, shapes[s][2], shapes[s][0], shapes[s][1]);
    float *out = malloc(sizeof(float) * (size_t)f.B * f.N);
    for (int vi = 0; vi < 4; vi++) {
      for (size_t d = 0; d < sizeof densities / sizeof densities[0]; d++) {
        fill_x(&f, (tms_variant)vi, densities[d]);
        check_formulations(&f, (tms_variant)vi, densities[d], out);
      }
      /* auto decides by the data: sparse at 0.005, sgemm at 1 (x dense; dout dense for linear) */
      fill_x(&f, (tms_variant)vi, 0.005);
      step(&f, (tms_variant)vi, NULL);
      CHECK(tms_large_last.embed_sparse && (vi == TMS_LINEAR || tms_large_last.dout_sparse),
            "%s %dx%d p=0.005: auto takes the sparse embed and dout-sparse (dout %ld nonzero)", vnames[vi], f.N,
            f.M, tms_large_last.nnz_dout);
      fill_x(&f, (tms_variant)vi, 1.0);
      step(&f, (tms_variant)vi, NULL);
      CHECK(!tms_large_last.embed_sparse && !tms_large_last.gram, "%s %dx%d p=1: auto takes sgemm for x W",
            vnames[vi], f.N, f.M);
      if (f.N >= 200) gradcheck(&f, (tms_variant)vi);
      fill_x(&f, (tms_variant)vi, 0.01);
      check_blocking(&f, (tms_variant)vi);
    }
    fixture_free(&f);
    free(out);
  }
  return tms_check_finish("kernels_large");
}
