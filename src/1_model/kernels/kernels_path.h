/* kernels_path: the internal switch between the three implementations of the kernels (row loops,
 * 16-row lanes, cblas, and the large-shape path of kernels_large.h that picks sparse or sgemm formulations per batch).
 * Not part of the public interface: only the kernels themselves, their tests and benchmarks include it.
 * Invariant: all paths compute the same function; they differ only in float32 summation order (a few ulps),
 * so a given shape always takes the same path and every result stays bitwise reproducible. */
#ifndef TMS_KERNELS_PATH_H
#define TMS_KERNELS_PATH_H

typedef enum {
  TMS_KERNELS_AUTO = 0, /* lanes for tiny models, cblas above the crossover, LARGE from n*m >= 4000 (the default) */
  TMS_KERNELS_LOOP = 1, /* force the plain loops for every shape */
  TMS_KERNELS_GEMM = 2, /* force cblas_sgemm for every shape */
  TMS_KERNELS_LANES = 3, /* force the 16-row lanes kernels where they fit (n <= 64, m <= 16, n*m <= 256), else LOOP */
  TMS_KERNELS_LARGE = 4  /* force the large-shape path (kernels_large.h) where its scratch exists, else GEMM */
} tms_kernels_path;

/* Process-wide; set only by tests and benchmarks, before any kernel runs. */
extern tms_kernels_path tms_kernels_force_path;

/* The path a model of n features and m hidden dims takes: the forced one if set (LANES falls back to LOOP where it
 * does not fit), else the AUTO choice. Batch size does not enter: every path scales linearly with B, so the
 * crossover is a property of the weight matrix. Returns LOOP, LANES, GEMM or LARGE (AUTO: LARGE for
 * n*m >= TMS_LARGE_MIN_NM). */
tms_kernels_path tms_kernels_choose_path(int n, int m);

#endif
