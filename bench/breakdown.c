/* breakdown: native timing of the pieces of one tms training step at one shape, and of the bare sgemm calls inside.
 * What it is: a measuring tool for bench/README.md's "what limits it" section (built by bench/profile.sh, not by the
 * project's CMake; it links the project's static libraries and calls the public kernels, data and optim APIs exactly
 * as the trainer does). What it is not: a test, or part of tms.
 * Each piece is repeated and the MINIMUM over repeats of the per-call time is reported: on a shared, noisy machine
 * the minimum is the best estimate of the undisturbed cost. GFLOP/s of an sgemm = 2*rows*cols*inner / time.
 * The final evaluation (trainer/evaluate.h, 2^20 samples) is timed on its own lines: one model alone, and the
 * EVAL_SET models of one cell (same data law, own weights and importance) scored as one set, per model.
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
#include "trainer/evaluate.h"
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

/* One relu_out model of shape (N, M) with its batch, activations, gradient and Adam moments. */
typedef struct {
  int N, M;
  size_t np;                  /* floats in [W (N, M) | b (N)] */
  float *x;                   /* (B, N) */
  float *mem;                 /* the activations' floats */
  float *param, *grad;        /* (np) */
  float *am, *av;             /* (np) Adam moments */
  float *imp;                 /* (N) */
  tms_acts acts;
  tms_params p, g;
  tms_data_gen gen;
} bench_model;

static int model_init(bench_model *bm, int N, int M, double density) {
  memset(bm, 0, sizeof *bm);
  tms_spec spec;
  tms_spec_defaults(&spec);
  spec.variant = TMS_RELU_OUT;
  spec.n_features = N;
  spec.n_hidden = M;
  spec.density = density;
  spec.seed = 1;
  tms_error err = {0};
  if (tms_data_init(&bm->gen, &spec, TMS_STREAM_DATA, &err) != TMS_OK) {
    fprintf(stderr, "tms_data_init failed: %s\n", err.msg);
    return 1;
  }
  const size_t nm = (size_t)N * M;
  bm->N = N, bm->M = M, bm->np = nm + (size_t)N;
  bm->x = calloc((size_t)B * N, sizeof *bm->x);
  bm->mem = calloc(tms_acts_floats(B, N, M), sizeof *bm->mem);
  bm->param = calloc(bm->np, sizeof *bm->param), bm->grad = calloc(bm->np, sizeof *bm->grad);
  bm->am = calloc(bm->np, sizeof *bm->am), bm->av = calloc(bm->np, sizeof *bm->av);
  bm->imp = calloc((size_t)N, sizeof *bm->imp);
  if (!bm->x || !bm->mem || !bm->param || !bm->grad || !bm->am || !bm->av || !bm->imp) return 1;
  for (int i = 0; i < N; i++) bm->imp[i] = 1.0f;
  tms_rng r;
  tms_rng_init(&r, 7, TMS_STREAM_INIT);
  for (size_t i = 0; i < nm; i++) bm->param[i] = 0.1f * (2.0f * tms_rng_uniform(&r) - 1.0f);
  tms_acts_bind(&bm->acts, bm->mem, B, N, M);
  bm->p = (tms_params){N, M, bm->param, NULL, bm->param + nm};
  bm->g = (tms_params){N, M, bm->grad, NULL, bm->grad + nm};
  return 0;
}

static void model_free(bench_model *bm) {
  tms_data_free(&bm->gen);
  free(bm->x), free(bm->mem), free(bm->param), free(bm->grad), free(bm->am), free(bm->av), free(bm->imp);
}

/* Microseconds per call of each piece of a step, and of the whole step measured together. */
typedef struct {
  double data, fwd, loss, bwd, adam, step, dispatch;
} step_times;

static step_times time_pieces(bench_model *bm, int reps, int inner) {
  step_times t;
  volatile double sink = 0.0;
  long k = 1;
  const int N = bm->N;
  TIME_US(t.data, reps, inner, tms_data_sample(&bm->gen, bm->x, B));
  TIME_US(t.fwd, reps, inner, tms_model_forward(TMS_RELU_OUT, &bm->acts, bm->x, &bm->p, B));
  TIME_US(t.loss, reps, inner, sink += tms_model_loss(TMS_RELU_OUT, &bm->acts, bm->x, bm->imp, B, N));
  TIME_US(t.bwd, reps, inner, tms_model_backward(TMS_RELU_OUT, &bm->g, &bm->acts, bm->x, &bm->p, B));
  TIME_US(t.adam, reps, inner,
          tms_adam_step(bm->param, bm->grad, bm->am, bm->av, bm->np, k++, 1e-3, 0.9, 0.999, 1e-8, 0.01));
  TIME_US(t.step, reps, inner, {
    tms_data_sample(&bm->gen, bm->x, B);
    tms_model_forward(TMS_RELU_OUT, &bm->acts, bm->x, &bm->p, B);
    sink += tms_model_loss(TMS_RELU_OUT, &bm->acts, bm->x, bm->imp, B, N);
    tms_model_backward(TMS_RELU_OUT, &bm->g, &bm->acts, bm->x, &bm->p, B);
    tms_adam_step(bm->param, bm->grad, bm->am, bm->av, bm->np, k++, 1e-3, 0.9, 0.999, 1e-8, 0.01);
  });
  TIME_US(t.dispatch, reps, inner, { /* as the trainer steps: the fused step where the shape takes it */
    sink += tms_model_step(TMS_RELU_OUT, &bm->g, &bm->acts, bm->x, &bm->gen, bm->imp, &bm->p, B);
    tms_adam_step(bm->param, bm->grad, bm->am, bm->av, bm->np, k++, 1e-3, 0.9, 0.999, 1e-8, 0.01);
  });
  (void)sink;
  return t;
}

/* The five products of a dense tied relu_out step (forward x W, h W^T; backward dout^T h, dout W, and the read-in
 * path x^T dh accumulated into dW), as bare sgemm calls with the kernels' argument order: us per call in g[0..4]. */
static void time_products(bench_model *bm, int reps, int inner, double g[5]) {
  const int N = bm->N, M = bm->M;
  float *x = bm->x, *param = bm->param, *grad = bm->grad;
  float *h = bm->acts.h, *out = bm->acts.out, *dout = bm->acts.dout, *dh = bm->acts.dh;
  for (size_t i = 0; i < (size_t)B * N; i++) dout[i] = 1e-3f * (float)(i % 7);
  TIME_US(g[0], reps, inner,
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, M, N, 1.0f, x, N, param, M, 0.0f, h, M));
  TIME_US(g[1], reps, inner,
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, M, 1.0f, h, M, param, M, 0.0f, out, N));
  TIME_US(g[2], reps, inner,
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, M, B, 1.0f, dout, N, h, M, 0.0f, grad, M));
  TIME_US(g[3], reps, inner,
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, M, N, 1.0f, dout, N, param, M, 0.0f, dh, M));
  TIME_US(g[4], reps, inner,
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, M, B, 1.0f, x, N, dh, M, 1.0f, grad, M));
}

/* A square S^3 sgemm, for the core's attainable sgemm rate: us per call, or a negative value without memory. */
static double time_square(int S) {
  float *A = calloc((size_t)S * S, sizeof *A), *Bm = calloc((size_t)S * S, sizeof *Bm), *C = calloc((size_t)S * S, 4);
  double gsq = -1.0;
  if (A && Bm && C) {
    for (size_t i = 0; i < (size_t)S * S; i++) A[i] = Bm[i] = 1e-3f * (float)(i % 13);
    TIME_US(gsq, 50, 1,
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S, S, S, 1.0f, A, S, Bm, S, 0.0f, C, S));
  }
  free(A), free(Bm), free(C);
  return gsq;
}

/* The final evaluation of the default spec at this shape (eval_batch 2^20, chunks of B): milliseconds per model
 * alone, and per model when EVAL_SET models of one cell are scored as one set (tms_evaluate_set). */
enum { EVAL_SET = 10 };
static int time_eval(bench_model *bm, double density, int reps, double *alone_ms, double *set_ms) {
  tms_spec s[EVAL_SET];
  tms_params ps[EVAL_SET];
  const float *imp[EVAL_SET];
  float *w = calloc(EVAL_SET * bm->np, sizeof *w);
  if (!w) return 1;
  for (int k = 0; k < EVAL_SET; k++) {
    tms_spec_defaults(&s[k]);
    s[k].variant = TMS_RELU_OUT, s[k].n_features = bm->N, s[k].n_hidden = bm->M, s[k].density = density;
    s[k].batch_size = B, s[k].seed = 1 + (uint64_t)k;
    float *wk = w + (size_t)k * bm->np;
    for (size_t i = 0; i < bm->np; i++) wk[i] = bm->param[i] * (1.0f + 0.01f * (float)k);
    ps[k] = (tms_params){bm->N, bm->M, wk, NULL, wk + (size_t)bm->N * bm->M};
    imp[k] = bm->imp;
  }
  tms_eval ev[EVAL_SET];
  tms_error err = {0};
  double us;
  TIME_US(us, reps, 1, tms_evaluate(ev, &s[0], &ps[0], bm->acts, bm->x, bm->imp, &err));
  *alone_ms = 1e-3 * us;
  TIME_US(us, reps, 1, tms_evaluate_set(ev, s, ps, imp, EVAL_SET, bm->acts, bm->x, &err));
  *set_ms = 1e-3 * us / EVAL_SET;
  free(w);
  return err.msg[0] != 0;
}

static void print_pieces(const step_times *t) {
  const double sum = t->data + t->fwd + t->loss + t->bwd + t->adam;
  printf("  data      %9.1f us  %5.1f%%\n", t->data, 100 * t->data / sum);
  printf("  forward   %9.1f us  %5.1f%%\n", t->fwd, 100 * t->fwd / sum);
  printf("  loss      %9.1f us  %5.1f%%\n", t->loss, 100 * t->loss / sum);
  printf("  backward  %9.1f us  %5.1f%%\n", t->bwd, 100 * t->bwd / sum);
  printf("  adamw     %9.1f us  %5.1f%%\n", t->adam, 100 * t->adam / sum);
  printf("  sum       %9.1f us   whole step measured together: %.1f us = %.0f model-steps/s\n", sum, t->step,
         1e6 / t->step);
  printf("  tms_model_step + adamw (the trainer's step, fused where the shape takes it): %.1f us = %.0f model-steps/s\n",
         t->dispatch, 1e6 / t->dispatch);
}

static void print_products(const double g[5], double t_step, double f /* kFLOP of one product */) {
  static const char *names[5] = {"x W      (B,N)(N,M)", "h W^T    (B,M)(M,N)", "dout^T h (N,B)(B,M)",
                                 "dout W   (B,N)(N,M)", "x^T dh   (N,B)(B,M)"};
  double gs = 0.0;
  for (int k = 0; k < 5; k++) {
    printf("  sgemm %s   %8.1f us  %6.1f GFLOP/s\n", names[k], g[k], f / g[k]);
    gs += g[k];
  }
  printf("  five products  %8.1f us = %.0f%% of the step (at %.1f GFLOP/s); whole step at %.1f GFLOP/s "
         "(10BNM = %.1f MFLOP)\n", gs, 100 * gs / t_step, 5 * f / gs, 5 * f / t_step, 5 * f * 1e-3);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: breakdown N M DENSITY [REPS]\n");
    return 2;
  }
  const int N = atoi(argv[1]), M = atoi(argv[2]);
  const double density = atof(argv[3]);
  const int reps = argc > 4 ? atoi(argv[4]) : 200;
  const int inner = N * M >= 1000 ? 1 : 50;
  bench_model bm;
  if (model_init(&bm, N, M, density) != 0) return 1;
  const step_times t = time_pieces(&bm, reps, inner);
  double g[5];
  time_products(&bm, reps, inner, g);
  const int S = 512;
  const double gsq = time_square(S);
  if (gsq < 0) return 1;
  printf("shape n=%d m=%d density=%g batch=%d (best of %d x %d calls, microseconds per call)\n", N, M, density, B,
         reps, inner);
  print_pieces(&t);
  print_products(g, t.step, 2.0 * B * N * M * 1e-3);
  printf("  sgemm %dx%dx%d  %8.1f us  %6.1f GFLOP/s (attainable single-core sgemm rate)\n", S, S, S, gsq,
         2.0 * S * S * S * 1e-3 / gsq);
  double ev_alone, ev_set;
  if (time_eval(&bm, density, reps < 10 ? reps : 10, &ev_alone, &ev_set) != 0) return 1;
  printf("  final evaluation (2^20 samples, best of %d): alone %.3f ms per model; %d models of one cell as one set "
         "%.3f ms per model\n", reps < 10 ? reps : 10, ev_alone, EVAL_SET, ev_set);
  model_free(&bm);
  return 0;
}
