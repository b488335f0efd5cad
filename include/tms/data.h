/* data: the sparse synthetic features of science.md section 2, one fresh batch per call.
 * Independent features (per-feature density), the paper's correlated / anticorrelated sets (set density 1-S),
 * ARENA's pairs with per-member density, and a correlation strength in [0, 1]. Values are U[0,1], or U[-1,1] for
 * the abs variant. The target of every model is |x|.
 * Invariant: the batch drawn at call t depends only on (seed, stream, t), never on who calls. */
#ifndef TMS_DATA_H
#define TMS_DATA_H
#include "tms/rng.h"
#include "tms/spec.h"

typedef struct {
  int n_features;
  int symmetric;      /* 1: values in [-1, 1] (abs variant) */
  float *density;     /* (N) per-feature density after overrides */
  tms_correlation correlation;
  tms_correlation_density correlation_density;
  int correlated_sets, set_size;
  double strength;
  tms_rng rng;
} tms_data_gen;

/* Allocates the per-feature table; the only allocation of the generator. */
tms_status tms_data_init(tms_data_gen *gen, const tms_spec *spec, uint64_t stream, tms_error *err);
/* x: (B, N) row-major, B = batch. */
void tms_data_sample(tms_data_gen *gen, float *x /* (B, N) */, int batch);
void tms_data_free(tms_data_gen *gen); /* safe on a zeroed struct */

#endif
