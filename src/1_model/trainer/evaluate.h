/* evaluate: the final loss of a trained model on the evaluation set of its data distribution, with its standard
 * error. The evaluation set is a stream keyed by the parameters that define the data law only (tms_eval_key), so
 * every replicate of a sweep cell, both optimizers, every lr and every number of steps are scored on the very same
 * samples, and the difference of two losses is not blurred by independent sampling noise. */
#ifndef TMS_EVALUATE_H
#define TMS_EVALUATE_H
#include <stdint.h>

#include "core/spec.h"
#include "kernels/kernels.h"

/* Seed of the evaluation stream: a hash of what defines the data distribution and nothing else: the value range
 * (U[0,1], or U[-1,1] for abs), n_features, every feature's density after the overrides, and, when there are
 * correlated sets, their kind, density mode, count, size and strength. Not the point's seed, importance, variant
 * (apart from abs's range), optimizer, lr, steps, batch, init or replicate. */
uint64_t tms_eval_key(const tms_spec *spec);

typedef struct {
  double loss; /* mean over the samples of the per-sample loss (1/N) sum_i I_i (|x_i| - x'_i)^2 */
  double se;   /* standard error of that mean: sample standard deviation of the per-sample loss / sqrt(samples) */
} tms_eval;

/* Scores p on spec->eval_batch samples of the stream (tms_eval_key(spec), TMS_STREAM_EVAL), drawn in chunks of
 * spec->batch_size rows into x (batch_size, N), forward through acts (bound for >= batch_size rows; dout unused).
 * Per-sample losses and their running mean and variance are accumulated in double (two passes per group of 64 rows,
 * groups merged by Chan et al.), so the result depends on the samples and the chunk size only, never on a bundle. */
tms_status tms_evaluate(tms_eval *out, const tms_spec *spec, const tms_params *p, tms_acts acts, float *x,
                        const float *importance /* (N) */, tms_error *err);

/* Whether a and b are scored on the same evaluation set in the same way (variant, shape, tms_eval_key, eval_batch
 * and batch_size equal), so tms_evaluate_set can score them together. */
int tms_eval_same_set(const tms_spec *a, const tms_spec *b);

/* Scores K models whose specs are all tms_eval_same_set (e.g. a cell's replicates, both optimizers) on their one
 * evaluation set, drawing each chunk of samples once for all of them (in registers for the tiny shapes: kernels.h,
 * tms_model_row_losses). out[k] is bitwise what tms_evaluate gives model k alone, whatever K and the order.
 * importance[k] (N) is model k's (importance is not part of the data law). TMS_ERR_CONFIG if the sets differ. */
tms_status tms_evaluate_set(tms_eval *out /* (K) */, const tms_spec *specs /* (K) */, const tms_params *ps /* (K) */,
                            const float *const *importance /* (K) x (N) */, int K, tms_acts acts, float *x,
                            tms_error *err);

#endif
