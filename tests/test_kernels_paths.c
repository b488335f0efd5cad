/* kernels paths: the three implementations (row loops, 16-row lanes, cblas_sgemm) against a naive double-precision
 * reference of forward, loss and backward, for every variant, on shapes on both sides of each crossover (tiny,
 * lanes-sized, past the lanes limits, cblas-sized), a batch that is not a multiple of 16, and densities that take
 * the dense and the sparse branches. Each tensor must agree within 2e-5 of its largest magnitude. Also checks that
 * AUTO picks the path the documented crossover says, and that repeated calls are bitwise identical. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels_path.h"
#include "check.h"
#include "kernels/kernels.h"

static uint64_t rng_state = 12345;
static double uniform(void) { /* splitmix64 -> [0, 1) */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

/* The models written out the obvious way, in double; fills out, dW, dW2, db and returns the loss. */
static double reference(tms_variant v, float *out /* (B, N) */, float *dW /* (N, M) */, float *dW2 /* (N, M) */,
                        float *db /* (N) */, const float *x /* (B, N) */, const float *imp /* (N) */,
                        const float *W /* (N, M) */, const float *W2 /* (N, M) */, const float *b /* (N) */, int B,
                        int N, int M) {
  const float *Wo = v == TMS_ABS ? W2 : W;
  double *h = calloc((size_t)M, sizeof(double)), *dh = calloc((size_t)M, sizeof(double));
  double *g = calloc((size_t)N, sizeof(double));
  double *aW = calloc((size_t)N * M, sizeof(double)), *aW2 = calloc((size_t)N * M, sizeof(double));
  double *ab = calloc((size_t)N, sizeof(double));
  double loss = 0;
  for (int r = 0; r < B; r++) {
    const float *xr = x + (size_t)r * N;
    for (int j = 0; j < M; j++) {
      double s = 0;
      for (int i = 0; i < N; i++) s += (double)xr[i] * W[i * M + j];
      h[j] = (v == TMS_RELU_HIDDEN || v == TMS_ABS) && s < 0 ? 0 : s;
    }
    for (int i = 0; i < N; i++) {
      double s = b[i];
      for (int j = 0; j < M; j++) s += h[j] * Wo[i * M + j];
      const int alive = v == TMS_LINEAR || s > 0;
      const double o = alive ? s : 0;
      out[(size_t)r * N + i] = (float)o;
      const double d = o - fabs((double)xr[i]);
      loss += imp[i] * d * d;
      g[i] = alive ? 2.0 * imp[i] * d / ((double)B * N) : 0;
    }
    for (int j = 0; j < M; j++) {
      double s = 0;
      for (int i = 0; i < N; i++) s += g[i] * Wo[i * M + j];
      dh[j] = (v == TMS_RELU_HIDDEN || v == TMS_ABS) && !(h[j] > 0) ? 0 : s;
    }
    for (int i = 0; i < N; i++) {
      ab[i] += g[i];
      for (int j = 0; j < M; j++) {
        if (v == TMS_ABS) {
          aW2[i * M + j] += g[i] * h[j];
          aW[i * M + j] += xr[i] * dh[j];
        } else {
          aW[i * M + j] += g[i] * h[j] + xr[i] * dh[j];
        }
      }
    }
  }
  for (int k = 0; k < N * M; k++) {
    dW[k] = (float)aW[k];
    dW2[k] = (float)aW2[k];
  }
  for (int i = 0; i < N; i++) db[i] = (float)ab[i];
  free(h); free(dh); free(g); free(aW); free(aW2); free(ab);
  return loss / ((double)B * N);
}

/* AUTO follows the crossovers documented in kernels.c. */
static void check_auto_choices(void) {
  CHECK(tms_kernels_choose_path(2, 1) == TMS_KERNELS_LANES, "2x1 takes the lanes path");
  CHECK(tms_kernels_choose_path(20, 5) == TMS_KERNELS_GEMM, "20x5 takes the cblas path");
  CHECK(tms_kernels_choose_path(400, 30) == TMS_KERNELS_LARGE, "400x30 takes the large-shape path");
  tms_kernels_force_path = TMS_KERNELS_LANES;
  CHECK(tms_kernels_choose_path(300, 24) == TMS_KERNELS_LOOP, "forced lanes falls back to loops when it cannot fit");
  tms_kernels_force_path = TMS_KERNELS_AUTO;
}

int main(void) {
  const char *vnames[] = {"linear", "relu_out", "relu_hidden", "abs"};
  const tms_kernels_path paths[] = {TMS_KERNELS_LOOP, TMS_KERNELS_LANES, TMS_KERNELS_GEMM, TMS_KERNELS_AUTO};
  const char *pnames[] = {"loop", "lanes", "gemm", "auto"};
  const int shapes[][2] = {{2, 1},  {3, 2},  {5, 2},   {8, 3},    {20, 5},  {64, 4},
                           {80, 3}, {40, 20}, {64, 16}, {200, 20}, {300, 24}};
  const double densities[] = {1.0, 0.2, 0.005}; /* 0.005: the sparse row loops inside the cblas path */
  const int B = 101; /* not a multiple of the 16 lanes */
  char what[128];

  check_auto_choices();
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int N = shapes[s][0], M = shapes[s][1];
    float *x = malloc(sizeof(float) * B * N), *imp = malloc(sizeof(float) * N);
    float *W = malloc(sizeof(float) * N * M), *W2 = malloc(sizeof(float) * N * M), *b = malloc(sizeof(float) * N);
    float *rout = malloc(sizeof(float) * B * N), *rW = malloc(sizeof(float) * N * M);
    float *rW2 = malloc(sizeof(float) * N * M), *rb = malloc(sizeof(float) * N);
    float *gW = malloc(sizeof(float) * N * M), *gW2 = malloc(sizeof(float) * N * M), *gb = malloc(sizeof(float) * N);
    float *gW_again = malloc(sizeof(float) * N * M);
    float *slab = malloc(sizeof(float) * tms_acts_floats(B, N, M));
    const double std = sqrt(2.0 / (N + M));
    for (int k = 0; k < N * M; k++) {
      W[k] = (float)(std * 1.7 * (2 * uniform() - 1));
      W2[k] = (float)(std * 1.7 * (2 * uniform() - 1));
    }
    for (int i = 0; i < N; i++) {
      b[i] = (float)(0.2 * (uniform() - 0.5));
      imp[i] = (float)pow(0.9, i);
    }
    for (int vi = 0; vi < 4; vi++) {
      const tms_variant v = (tms_variant)vi;
      for (int di = 0; di < 3; di++) {
        for (int k = 0; k < B * N; k++) {
          const double val = v == TMS_ABS ? 2 * uniform() - 1 : uniform();
          x[k] = uniform() < densities[di] ? (float)val : 0.0f;
        }
        const double rloss = reference(v, rout, rW, rW2, rb, x, imp, W, W2, b, B, N, M);
        for (int q = 0; q < 4; q++) {
          tms_kernels_force_path = paths[q];
          tms_params p = {N, M, W, v == TMS_ABS ? W2 : NULL, b};
          tms_params g = {N, M, gW, v == TMS_ABS ? gW2 : NULL, gb};
          tms_acts a;
          tms_acts_bind(&a, slab, B, N, M);
          tms_model_forward(v, &a, x, &p, B);
          const double loss = tms_model_loss(v, &a, x, imp, B, N);
          tms_model_backward(v, &g, &a, x, &p, B);
#define TAG(t) snprintf(what, sizeof what, "%s %dx%d p=%.3f %s: %s", vnames[vi], N, M, densities[di], pnames[q], t)
          TAG("out");
          CHECK_ARRAY_CLOSE(what, a.out, rout, (size_t)B * N, 2e-5);
          TAG("loss");
          CHECK_CLOSE(what, loss, rloss, 1e-5 * rloss);
          TAG("dW");
          CHECK_ARRAY_CLOSE(what, gW, rW, (size_t)N * M, 2e-5);
          TAG("db");
          CHECK_ARRAY_CLOSE(what, gb, rb, (size_t)N, 2e-5);
          if (v == TMS_ABS) {
            TAG("dW2");
            CHECK_ARRAY_CLOSE(what, gW2, rW2, (size_t)N * M, 2e-5);
          }
          /* the same call again gives bitwise the same gradient */
          memcpy(gW_again, gW, sizeof(float) * N * M);
          tms_model_forward(v, &a, x, &p, B);
          tms_model_loss(v, &a, x, imp, B, N);
          tms_model_backward(v, &g, &a, x, &p, B);
          CHECK(memcmp(gW_again, gW, sizeof(float) * N * M) == 0, "%s %dx%d %s: repeat is bitwise identical",
                vnames[vi], N, M, pnames[q]);
#undef TAG
        }
      }
    }
    tms_kernels_force_path = TMS_KERNELS_AUTO;
    free(x); free(imp); free(W); free(W2); free(b); free(rout); free(rW); free(rW2); free(rb);
    free(gW); free(gW2); free(gb); free(gW_again); free(slab);
  }
  return tms_check_finish("kernels_paths");
}
