/* fused_eval: the evaluation pass of tiny models (fused_eval.c), one build per instruction-set path.
 * Internal to the kernels module (row_losses.c calls it). */
#ifndef TMS_KERNELS_FUSED_EVAL_H
#define TMS_KERNELS_FUSED_EVAL_H
#include <stdint.h>

#include "isa/isa_fn.h"

/* Shapes it takes: those whose AUTO forward is the lanes kernels' (kernels.c: n <= 8, n m <= 24). */
#define TMS_EVAL_FUSED_MAX_N 8
#define TMS_EVAL_FUSED_MAX_M 24

typedef struct {
  const float *W, *Wout, *bias; /* (N, M), (N, M), (N); Wout == W when tied */
  const float *importance;      /* (N) */
} tms_eval_model;

typedef struct {
  int B, N, M, K;               /* rows, features, hidden, models */
  int hidden_relu, out_relu, symmetric;
  uint64_t key, c0;             /* the evaluation stream's key and the counter of entry (0, 0) */
  const uint64_t *threshold;    /* (N) presence thresholds */
  const tms_eval_model *models; /* (K) */
  int groups;                   /* ceil(B / TMS_EVAL_GROUP): row stride of gm, gq */
  double *gm, *gq;              /* (K, groups) out: mean and squared deviations of the row losses of each group */
  double *tail;                 /* (K, B) out: row losses of the rows after the returned count */
  double *scratch;              /* (K, TMS_EVAL_GROUP, 16) */
} tms_eval_args;

/* Draws the B rows once (the draws of tms_data_sample) and scores every model on them; returns how many leading
 * rows it summarised into gm/gq (whole stripes of VW groups; VW is the path's vector width), the rest are in tail. */
TMS_ISA_DECL(int, tms_fused_eval, (const tms_eval_args *a));

#endif
