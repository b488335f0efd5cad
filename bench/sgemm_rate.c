/* sgemm_rate: the single-thread sgemm rate of the products of one relu_out training step, for bench/README.md and
 * bench.py's "share of the sgemm rate" column (issue 7: the dense step must run at >= 70% of it).
 * What it is: a measuring tool, built by CMake beside tms-sweep (target tms-sgemm-rate). It times, with the cblas the
 * project links (OpenBLAS), the five products of one step at batch B, N features, M hidden, exactly as the dense path
 * of the kernels calls them (row-major, same transposes, same leading dimensions):
 *   fwd_xW      h    = x W         sgemm(N,N)  B x M x N
 *   fwd_hWT     out  = h W^T + b   sgemm(N,T)  B x N x M  (beta 1: the bias rows were broadcast before)
 *   bwd_doutT_h dW   = dout^T h    sgemm(T,N)  N x M x B
 *   bwd_dout_W  dh   = dout W      sgemm(N,N)  B x M x N
 *   bwd_xT_dh   dW  += x^T dh      sgemm(T,N)  N x M x B
 * and a 512^3 sgemm (the core's attainable rate). Each product is repeated; per product it reports the median and the
 * best time of a call and its GFLOP/s (2 * rows * cols * inner flops), then the step's total: 10 B N M flops over the
 * summed median (and best) times, which is "the sgemm rate for the step's product shapes".
 * Then the same five as the kernels run them on the ISA path in use (TMS_ISA; kernels_large.h: tms_skinny_gemm for
 * the four with a side of M on the vector paths, tms_readout_rows for h W^T): "<product>_used_us" and
 * "rate_step_used_median".
 * What it is not: a test. Times are thread CPU time (CLOCK_THREAD_CPUTIME_ID), so another process on the core does
 * not count against it. Output: one "key value" line per figure, machine-readable (bench.py parses "rate_step_median").
 *   tms-sgemm-rate [N M [B [REPS]]]     defaults 400 30 1024 200; run with OPENBLAS_NUM_THREADS=1 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isa/isa_fn.h"
#include "kernels/blas_core.h"
#include "kernels/kernels_large.h"

/* OpenBLAS names the kernel set it chose at load time; weak, so the tool also links against another cblas. */
extern char *openblas_get_corename(void) __attribute__((weak));

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct {
  const char *name;
  CBLAS_TRANSPOSE ta, tb;
  int rows, cols, inner;
  const float *A, *Bm;
  int lda, ldb;
  float beta;
  float *C;
  int ldc;
} product;

/* Median and best seconds of one call over reps calls (after 3 warm-up calls). */
static void time_product(const product *p, int reps, double *median, double *best, double *t) {
  for (int r = -3; r < reps; r++) {
    const double t0 = cpu_s();
    cblas_sgemm(CblasRowMajor, p->ta, p->tb, p->rows, p->cols, p->inner, 1.0f, p->A, p->lda, p->Bm, p->ldb, p->beta,
                p->C, p->ldc);
    if (r >= 0) t[r] = cpu_s() - t0;
  }
  qsort(t, (size_t)reps, sizeof *t, cmp_double);
  *median = t[reps / 2];
  *best = t[0];
}

/* The same product as the kernels run it (kernels_large.h: tms_skinny_gemm on the vector paths for the products with
 * Bm not transposed, tms_readout_rows for h W^T), through the ISA path TMS_ISA selects. */
static void time_used(const product *p, int reps, double *median, double *best, double *t) {
  if (p->tb == CblasTrans && p->ta == CblasNoTrans && p->inner <= TMS_READOUT_MAX_M &&
      tms_isa_current() != TMS_ISA_GENERIC) { /* h W^T + b: tms_readout_rows, its transpose of W included */
    float *WT = malloc(sizeof(float) * (size_t)p->cols * p->inner);
    for (int r = -3; r < reps && WT; r++) {
      const double t0 = cpu_s();
      TMS_ISA_CALL(tms_readout_transpose, WT, p->Bm, p->cols, p->inner);
      TMS_ISA_CALL(tms_readout_rows, p->C, p->A, WT, p->A /* any N floats: the bias */, p->rows, p->cols,
                   p->inner);
      if (r >= 0) t[r] = cpu_s() - t0;
    }
    free(WT);
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    *median = t[reps / 2];
    *best = t[0];
    return;
  }
  if (p->tb != CblasNoTrans || p->ldc != p->cols || p->ldb != p->cols) {
    time_product(p, reps, median, best, t);
    return;
  }
  const size_t sr = p->ta == CblasNoTrans ? (size_t)p->lda : 1, sk = p->ta == CblasNoTrans ? 1 : (size_t)p->lda;
  for (int r = -3; r < reps; r++) {
    const double t0 = cpu_s();
    TMS_ISA_CALL(tms_skinny_gemm, p->C, p->A, sr, sk, p->Bm, p->rows, p->inner, p->cols, p->beta != 0.0f);
    if (r >= 0) t[r] = cpu_s() - t0;
  }
  qsort(t, (size_t)reps, sizeof *t, cmp_double);
  *median = t[reps / 2];
  *best = t[0];
}

static float *filled(size_t count, unsigned seed) {
  float *a = malloc(sizeof(float) * count);
  if (!a) return NULL;
  for (size_t k = 0; k < count; k++) {
    seed = seed * 1664525u + 1013904223u;
    a[k] = (float)(seed >> 8) * 0x1.0p-24f - 0.5f;
  }
  return a;
}

int main(int argc, char **argv) {
  tms_blas_core_ensure("tms-sgemm-rate", argv); /* OpenBLAS kernels for this CPU, as tms-sweep */
  const int N = argc > 2 ? atoi(argv[1]) : 400, M = argc > 2 ? atoi(argv[2]) : 30;
  const int B = argc > 3 ? atoi(argv[3]) : 1024, reps = argc > 4 ? atoi(argv[4]) : 200;
  if (N < 1 || M < 1 || B < 1 || reps < 1) {
    fprintf(stderr, "usage: tms-sgemm-rate [N M [B [REPS]]]\n");
    return 2;
  }
  const size_t bn = (size_t)B * N, bm = (size_t)B * M, nm = (size_t)N * M, sq = 512 * 512;
  float *x = filled(bn, 1), *W = filled(nm, 2), *h = filled(bm, 3), *out = filled(bn, 4), *dout = filled(bn, 5);
  float *dh = filled(bm, 6), *dW = filled(nm, 7), *S1 = filled(sq, 8), *S2 = filled(sq, 9), *S3 = filled(sq, 10);
  double *t = malloc(sizeof(double) * (size_t)reps);
  if (!x || !W || !h || !out || !dout || !dh || !dW || !S1 || !S2 || !S3 || !t) {
    fprintf(stderr, "tms-sgemm-rate: out of memory\n");
    return 3;
  }
  const product ps[] = {
      {"fwd_xW", CblasNoTrans, CblasNoTrans, B, M, N, x, W, N, M, 0.0f, h, M},
      {"fwd_hWT", CblasNoTrans, CblasTrans, B, N, M, h, W, M, M, 1.0f, out, N},
      {"bwd_doutT_h", CblasTrans, CblasNoTrans, N, M, B, dout, h, N, M, 0.0f, dW, M},
      {"bwd_dout_W", CblasNoTrans, CblasNoTrans, B, M, N, dout, W, N, M, 0.0f, dh, M},
      {"bwd_xT_dh", CblasTrans, CblasNoTrans, N, M, B, x, dh, N, M, 1.0f, dW, M},
  };
  const int count = (int)(sizeof ps / sizeof ps[0]);
  printf("shape N=%d M=%d B=%d reps=%d\n", N, M, B, reps);
  printf("openblas_core %s\n", openblas_get_corename ? openblas_get_corename() : "(not OpenBLAS)");
  double sum_med = 0, sum_best = 0;
  for (int k = 0; k < count; k++) {
    double med, best;
    time_product(&ps[k], reps, &med, &best, t);
    const double flops = 2.0 * ps[k].rows * ps[k].cols * ps[k].inner;
    printf("%s_us %.1f best %.1f gflops %.1f best %.1f\n", ps[k].name, 1e6 * med, 1e6 * best, 1e-9 * flops / med,
           1e-9 * flops / best);
    sum_med += med;
    sum_best += best;
  }
  const double step_flops = 10.0 * B * N * M;
  printf("products_us %.1f best %.1f\n", 1e6 * sum_med, 1e6 * sum_best);
  printf("rate_step_median %.2f\n", 1e-9 * step_flops / sum_med);
  printf("rate_step_best %.2f\n", 1e-9 * step_flops / sum_best);
  /* what the kernels use on this ISA path (tms_skinny_gemm where it applies) */
  printf("tms_isa %s\n", tms_isa_name(tms_isa_current()));
  double used_med = 0;
  for (int k = 0; k < count; k++) {
    double umed, ubest;
    time_used(&ps[k], reps, &umed, &ubest, t);
    const double flops = 2.0 * ps[k].rows * ps[k].cols * ps[k].inner;
    printf("%s_used_us %.1f best %.1f gflops %.1f\n", ps[k].name, 1e6 * umed, 1e6 * ubest, 1e-9 * flops / umed);
    used_med += umed;
  }
  printf("rate_step_used_median %.2f\n", 1e-9 * step_flops / used_med);
  const product square = {"square512", CblasNoTrans, CblasNoTrans, 512, 512, 512, S1, S2, 512, 512, 0.0f, S3, 512};
  const int sq_reps = reps < 20 ? reps : 20;
  double med, best;
  time_product(&square, sq_reps, &med, &best, t);
  printf("square512_gflops %.1f best %.1f\n", 1e-9 * 2.0 * 512 * 512 * 512 / med, 1e-9 * 2.0 * 512 * 512 * 512 / best);
  free(x); free(W); free(h); free(out); free(dout); free(dh); free(dW); free(S1); free(S2); free(S3); free(t);
  return 0;
}
