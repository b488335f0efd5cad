/* fused: the fused training step of tiny models (fused.c), one build per instruction-set path.
 * Internal to the kernels module (step.c calls it). */
#ifndef TMS_KERNELS_FUSED_H
#define TMS_KERNELS_FUSED_H
#include <stdint.h>

#include "isa/isa_fn.h"

/* Limits of the fused step (stack accumulators of 64 bytes per entry). */
#define TMS_FUSED_MAX_N 32
#define TMS_FUSED_MAX_M 8
#define TMS_FUSED_MAX_NM 128

typedef struct {
  int B, N, M;
  int hidden_relu, out_relu, tied, symmetric;
  const float *W, *Wout, *bias; /* (N, M), (N, M), (N) */
  const float *importance;      /* (N) */
  float scale;                  /* 2 / (B N): d mean / d term, times the 2 of the square */
  uint64_t key, c0;             /* the data stream's key and the counter of entry (0, 0) */
  const uint64_t *threshold;    /* (N) presence thresholds */
  float *dWin, *dWout, *db;     /* outputs (N, M), (N, M), (N); dWin == dWout when tied */
} tms_fused_args;

/* Draws the batch, runs forward, loss and backward; fills the gradients; returns the mean loss.
 * tms_fused_step: the tiny shapes of the lanes path's AUTO range (fused.c); tms_fused_step_mid: the rest up to the
 * limits above (fused_mid.c). Both give the lanes kernels' gradient bitwise. */
TMS_ISA_DECL(double, tms_fused_step, (const tms_fused_args *f));
TMS_ISA_DECL(double, tms_fused_step_mid, (const tms_fused_args *f));

#endif
