/* step_trace: CPU time per training step over a whole training run, with the sparsity the kernels see, for
 * bench/README.md's large-shape section (issue 7: the speed must be honest over realistic runs, and the sparsity
 * of the output gradient grows during training).
 * What it is: a measuring tool, built by CMake (target tms-step-trace). It trains one relu_out model exactly as the
 * trainer's step loop does (tms_init_params, tms_spec_profile, tms_data_sample, tms_model_forward / loss / backward,
 * tms_adam_step with the spec's AdamW settings and the cosine schedule), and every WINDOW steps prints the mean thread
 * CPU time per step of the window, split into data / forward / loss / backward / adam, and the fraction of nonzero
 * entries of x and of dout in the window's last batch (and how many of dout's columns are nonzero in every row of
 * it, with the nonzero fraction of the others). The last line is the whole run's mean.
 * What it is not: a test, or the benchmark's headline (bench.py times `tms-sweep train` processes).
 * FORM forces one formulation of the large-shape path everywhere (kernels_large.h: auto, dense, sparse, gram), to
 * measure each against the others on the same trajectory (the weights, hence the sparsity of dout, then follow the
 * forced formulation's arithmetic, a few ulps from the others').
 *   tms-step-trace N M DENSITY [STEPS [WINDOW [FORM]]]   defaults 10000, 1000, auto; OPENBLAS_NUM_THREADS=1 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/spec.h"
#include "data/data.h"
#include "kernels/blas_core.h"
#include "kernels/kernels.h"
#include "kernels/kernels_large.h"
#include "trainer/optim.h"
#include "trainer/trainer.h"

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double nonzero_fraction(const float *a, size_t count) {
  size_t nz = 0;
  for (size_t k = 0; k < count; k++) nz += a[k] != 0.0f;
  return (double)nz / (double)count;
}

/* dout's columns that are nonzero in every row of the batch (the features a trained model leaves unrepresented
 * keep a positive bias, so their output is positive in every row: why dout stays dense at density 0.05), and the
 * nonzero fraction of the other columns. */
static int dense_columns(const float *dout /* (B, N) */, int B, int N, double *rest) {
  int dense = 0;
  size_t nz_rest = 0;
  for (int j = 0; j < N; j++) {
    int nz = 0;
    for (int b = 0; b < B; b++) nz += dout[(size_t)b * N + j] != 0.0f;
    if (nz == B)
      dense++;
    else
      nz_rest += (size_t)nz;
  }
  *rest = dense < N ? (double)nz_rest / ((double)B * (N - dense)) : 0.0;
  return dense;
}

enum { PIECES = 5 };
static const char *piece_names[PIECES] = {"data", "fwd", "loss", "bwd", "adam"};

static void print_row(const char *label, long from, long to, const double t[PIECES], double px, const float *dout,
                      int B, int N) {
  const double pd = nonzero_fraction(dout, (size_t)B * N);
  double rest;
  const int dense = dense_columns(dout, B, N, &rest);
  const double steps = (double)(to - from);
  double sum = 0;
  for (int k = 0; k < PIECES; k++) sum += t[k];
  printf("%-6s %6ld-%-6ld step_us %8.1f", label, from, to, 1e6 * sum / steps);
  for (int k = 0; k < PIECES; k++) printf(" %s %.1f", piece_names[k], 1e6 * t[k] / steps);
  printf(" nnz_x %.4f nnz_dout %.4f (dense columns %d, the others %.4f) embed_sparse %d gram %d dout_sparse %d\n", px,
         pd, dense, rest, tms_large_last.embed_sparse, tms_large_last.gram, tms_large_last.dout_sparse);
}

int main(int argc, char **argv) {
  tms_blas_core_ensure("tms-step-trace", argv); /* OpenBLAS kernels for this CPU, as tms-sweep */
  if (argc < 4) {
    fprintf(stderr, "usage: tms-step-trace N M DENSITY [STEPS [WINDOW]]\n");
    return 2;
  }
  tms_spec spec;
  tms_spec_defaults(&spec);
  spec.variant = TMS_RELU_OUT;
  spec.n_features = atoi(argv[1]);
  spec.n_hidden = atoi(argv[2]);
  spec.density = atof(argv[3]);
  spec.steps = argc > 4 ? atol(argv[4]) : 10000;
  const long window = argc > 5 ? atol(argv[5]) : 1000;
  spec.seed = 1;
  const char *forms[] = {"auto", "dense", "sparse", "gram"};
  const char *form = argc > 6 ? argv[6] : "auto";
  int fi = 0;
  while (fi < 4 && strcmp(form, forms[fi]) != 0) fi++;
  if (fi == 4) {
    fprintf(stderr, "tms-step-trace: FORM must be auto, dense, sparse or gram\n");
    return 2;
  }
  tms_large_forced = (tms_large_force)fi;
  const int N = spec.n_features, M = spec.n_hidden, B = spec.batch_size;
  if (N < 1 || M < 1 || spec.steps < 1 || window < 1 || !(spec.density > 0 && spec.density <= 1)) {
    fprintf(stderr, "tms-step-trace: bad arguments\n");
    return 2;
  }
  const size_t nm = (size_t)N * M, np = nm + (size_t)N;
  float *x = calloc((size_t)B * N, sizeof *x), *mem = calloc(tms_acts_floats(B, N, M), sizeof *mem);
  float *param = calloc(np, sizeof *param), *grad = calloc(np, sizeof *grad);
  float *am = calloc(np, sizeof *am), *av = calloc(np, sizeof *av), *imp = calloc((size_t)N, sizeof *imp);
  if (!x || !mem || !param || !grad || !am || !av || !imp) return 3;
  tms_params p = {N, M, param, NULL, param + nm}, g = {N, M, grad, NULL, grad + nm};
  tms_init_params(&p, &spec);
  tms_spec_profile(&spec, imp, NULL);
  tms_acts acts;
  tms_acts_bind(&acts, mem, B, N, M);
  tms_error err = {0};
  tms_data_gen gen;
  memset(&gen, 0, sizeof gen);
  if (tms_data_init(&gen, &spec, TMS_STREAM_DATA, &err) != TMS_OK) return 3;
  const double wd = spec.optimizer == TMS_ADAMW ? spec.weight_decay : 0.0;
  printf("shape N=%d M=%d density=%g batch=%d steps=%ld form=%s (CPU us per step, mean of each window)\n", N, M,
         spec.density, B, spec.steps, form);
  double win[PIECES] = {0}, all[PIECES] = {0};
  long from = 0;
  for (long step = 0; step < spec.steps; step++) {
    double t0 = cpu_s(), t1;
    tms_data_sample(&gen, x, B);
    t1 = cpu_s(), win[0] += t1 - t0, t0 = t1;
    tms_model_forward(spec.variant, &acts, x, &p, B);
    t1 = cpu_s(), win[1] += t1 - t0, t0 = t1;
    volatile double loss = tms_model_loss(spec.variant, &acts, x, imp, B, N);
    (void)loss;
    t1 = cpu_s(), win[2] += t1 - t0, t0 = t1;
    tms_model_backward(spec.variant, &g, &acts, x, &p, B);
    t1 = cpu_s(), win[3] += t1 - t0, t0 = t1;
    const double lr_t = spec.lr * tms_schedule_scale(spec.schedule, step, spec.steps);
    tms_adam_step(param, grad, am, av, np, step + 1, lr_t, spec.beta1, spec.beta2, spec.eps, wd);
    t1 = cpu_s(), win[4] += t1 - t0;
    if ((step + 1) % window == 0 || step + 1 == spec.steps) {
      print_row("window", from, step + 1, win, nonzero_fraction(x, (size_t)B * N), acts.dout, B, N);
      for (int k = 0; k < PIECES; k++) all[k] += win[k], win[k] = 0;
      from = step + 1;
    }
  }
  print_row("run", 0, spec.steps, all, nonzero_fraction(x, (size_t)B * N), acts.dout, B, N);
  tms_data_free(&gen);
  free(x), free(mem), free(param), free(grad), free(am), free(av), free(imp);
  return 0;
}
