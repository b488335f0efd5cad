/* train_out: the results file of `tms-sweep train --out` (see train_out.c). */
#ifndef TMS_SWEEP_TRAIN_OUT_H
#define TMS_SWEEP_TRAIN_OUT_H
#include "core/spec.h"
#include "trainer/trainer.h"

/* One trained model and its metrics, as cmd_train has them. */
typedef struct {
  const tms_spec *spec;
  const tms_train_result *res;
  tms_status status;                 /* TMS_OK: done; TMS_ERR_DIVERGED: a failed point */
  const float *importance, *density; /* (N) */
  const double *norm, *interference, *dimensionality; /* (N) */
  double dstar;
} tms_train_output;

/* Writes path (replacing it) as a results file of one point. */
tms_status tms_train_write_results(const char *path, const tms_train_output *o, tms_error *err);

#endif
