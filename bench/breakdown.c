/* breakdown: native timing of the pieces of one tms training step at one shape, and of the bare sgemm calls inside.
 * What it is: a measuring tool for bench/README.md's "what limits it" section (built by bench/profile.sh, not by the
 * project's CMake; it links the project's static libraries and calls the public kernels, data and optim APIs exactly
 * as the trainer does). What it is not: a test, or part of tms.
 * Each piece is repeated and the MINIMUM over repeats of the per-call time is reported: on a shared, noisy machine
 * the minimum is the best estimate of the undisturbed cost. GFLOP/s of an sgemm = 2*rows*cols*inner / time.
 *   breakdown N M DENSITY [REPS]      (run it with OPENBLAS_NUM_THREADS=1, pinned with taskset) */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/data.h"
#include "kernels/kernels.h"
#include "trainer/optim.h"
#include "rng/rng.h"
#include "core/spec.h"

enum { B = 1024 };

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best-of-reps time of one call of the block, in microseconds (inner loop of `inner` calls per sample). */
#define TIME_US(result, reps, inner, block)                   \
  do {                                                        \
    double best_ = 1e30;                                      \
    for (int r_ = 0; r_ < (reps); r_++) {                     \
      const double t0_ = now_s();                             \
      for (int i_ = 0; i_ < (inner); i_++) { block; }         \
      const double dt_ = (now_s() - t0_) / (inner);           \
      if (dt_ < best_) best_ = dt_;                           \
    }                                                         \
    (result) = 1e6 * best_;                                   \
  } while (0)

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: breakdown N M DENSITY [REPS]\n");
    return 2;
  }
  const int N = atoi(argv[1]), M = atoi(argv[2]);
  const double density = atof(argv[3]);
  const int reps = argc > 4 ? atoi(argv[4]) : 200;
  const int inner = N * M >= 1000 ? 1 : 50;

  tms_spec spec;
  tms_spec_defaults(&spec);
  spec.variant = TMS_RELU_OUT;
  spec.n_features = N;
  spec.n_hidden = M;
  spec.density = density;
  spec.seed = 1;
  tms_error err = {0};
  tms_data_gen gen = {0};
  if (tms_data_init(&gen, &spec, TMS_STREAM_DATA, &err) != TMS_OK) {
    fprintf(stderr, "tms_data_init failed\n");
    return 1;
  }
  const size_t nm = (size_t)N * M, np = nm + (size_t)N;
  float *x = calloc((size_t)B * N, sizeof *x);                       /* (B, N) */
  float *mem = calloc(tms_acts_floats(B, N, M), sizeof *mem);
  float *param = calloc(np, sizeof *param), *grad = calloc(np, sizeof *grad); /* [W (N, M) | b (N)] */
  float *am = calloc(np, sizeof *am), *av = calloc(np, sizeof *av);  /* (np) Adam moments */
  float *imp = calloc((size_t)N, sizeof *imp);                       /* (N) */
  if (!x || !mem || !param || !grad || !am || !av || !imp) return 1;
  for (int i = 0; i < N; i++) imp[i] = 1.0f;
  tms_rng r;
  tms_rng_init(&r, 7, TMS_STREAM_INIT);
  for (size_t i = 0; i < nm; i++) param[i] = 0.1f * (2.0f * tms_rng_uniform(&r) - 1.0f);
  tms_acts acts;
  tms_acts_bind(&acts, mem, B, N, M);
  tms_params p = {N, M, param, NULL, param + nm}, g = {N, M, grad, NULL, grad + nm};

  double t_data, t_fwd, t_loss, t_bwd, t_adam, t_step;
  volatile double sink = 0.0;
  long t = 1;
  TIME_US(t_data, reps, inner, tms_data_sample(&gen, x, B));
  TIME_US(t_fwd, reps, inner, tms_model_forward(TMS_RELU_OUT, &acts, x, &p, B));
  TIME_US(t_loss, reps, inner, sink += tms_model_loss(TMS_RELU_OUT, &acts, x, imp, B, N));
  TIME_US(t_bwd, reps, inner, tms_model_backward(TMS_RELU_OUT, &g, &acts, x, &p, B));
  TIME_US(t_adam, reps, inner, tms_adam_step(param, grad, am, av, np, t++, 1e-3, 0.9, 0.999, 1e-8, 0.01));
  TIME_US(t_step, reps, inner, {
    tms_data_sample(&gen, x, B);
    tms_model_forward(TMS_RELU_OUT, &acts, x, &p, B);
    sink += tms_model_loss(TMS_RELU_OUT, &acts, x, imp, B, N);
    tms_model_backward(TMS_RELU_OUT, &g, &acts, x, &p, B);
    tms_adam_step(param, grad, am, av, np, t++, 1e-3, 0.9, 0.999, 1e-8, 0.01);
  });

  /* The five products of a dense tied relu_out step (forward x W, h W^T; backward dout^T h, dout W, and the read-in
   * path x^T dh accumulated into dW), as bare sgemm calls with the kernels' argument order. */
  float *h = acts.h, *out = acts.out, *dout = acts.dout, *dh = acts.dh;
  for (size_t i = 0; i < (size_t)B * N; i++) dout[i] = 1e-3f * (float)(i % 7);
  double g1, g2, g3, g4, g5;
  TIME_US(g1, reps, inner,
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, M, N, 1.0f, x, N, param, M, 0.0f, h, M));
  TIME_US(g2, reps, inner,
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, M, 1.0f, h, M, param, M, 0.0f, out, N));
  TIME_US(g3, reps, inner,
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, M, B, 1.0f, dout, N, h, M, 0.0f, grad, M));
  TIME_US(g4, reps, inner,
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, M, N, 1.0f, dout, N, param, M, 0.0f, dh, M));
  TIME_US(g5, reps, inner,
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, M, B, 1.0f, x, N, dh, M, 1.0f, grad, M));
  /* A square sgemm, for the core's attainable sgemm rate. */
  const int S = 512;
  float *A = calloc((size_t)S * S, sizeof *A), *Bm = calloc((size_t)S * S, sizeof *Bm), *C = calloc((size_t)S * S, 4);
  if (!A || !Bm || !C) return 1;
  for (size_t i = 0; i < (size_t)S * S; i++) A[i] = Bm[i] = 1e-3f * (float)(i % 13);
  double gsq;
  TIME_US(gsq, 50, 1, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S, S, S, 1.0f, A, S, Bm, S, 0.0f, C, S));

  const double f = 2.0 * B * N * M * 1e-3; /* kFLOP of one product, so GFLOP/s = f / us */
  const double sum = t_data + t_fwd + t_loss + t_bwd + t_adam;
  printf("shape n=%d m=%d density=%g batch=%d (best of %d x %d calls, microseconds per call)\n", N, M, density, B,
         reps, inner);
  printf("  data      %9.1f us  %5.1f%%\n", t_data, 100 * t_data / sum);
  printf("  forward   %9.1f us  %5.1f%%\n", t_fwd, 100 * t_fwd / sum);
  printf("  loss      %9.1f us  %5.1f%%\n", t_loss, 100 * t_loss / sum);
  printf("  backward  %9.1f us  %5.1f%%\n", t_bwd, 100 * t_bwd / sum);
  printf("  adamw     %9.1f us  %5.1f%%\n", t_adam, 100 * t_adam / sum);
  printf("  sum       %9.1f us   whole step measured together: %.1f us = %.0f model-steps/s\n", sum, t_step,
         1e6 / t_step);
  printf("  sgemm x W      (B,N)(N,M)   %8.1f us  %6.1f GFLOP/s\n", g1, f / g1);
  printf("  sgemm h W^T    (B,M)(M,N)   %8.1f us  %6.1f GFLOP/s\n", g2, f / g2);
  printf("  sgemm dout^T h (N,B)(B,M)   %8.1f us  %6.1f GFLOP/s\n", g3, f / g3);
  printf("  sgemm dout W   (B,N)(N,M)   %8.1f us  %6.1f GFLOP/s\n", g4, f / g4);
  printf("  sgemm x^T dh   (N,B)(B,M)   %8.1f us  %6.1f GFLOP/s\n", g5, f / g5);
  const double gs = g1 + g2 + g3 + g4 + g5;
  printf("  five products  %8.1f us = %.0f%% of the step (at %.1f GFLOP/s); whole step at %.1f GFLOP/s "
         "(10BNM = %.1f MFLOP)\n", gs, 100 * gs / t_step, 5 * f / gs, 5 * f / t_step, 5 * f * 1e-3);
  printf("  sgemm %dx%dx%d  %8.1f us  %6.1f GFLOP/s (attainable single-core sgemm rate)\n", S, S, S, gsq,
         2.0 * S * S * S * 1e-3 / gsq);
  (void)sink;
  tms_data_free(&gen);
  free(x), free(mem), free(param), free(grad), free(am), free(av), free(imp), free(A), free(Bm), free(C);
  return 0;
}
