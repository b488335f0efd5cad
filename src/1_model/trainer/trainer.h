/* trainer: trains one model, or a bundle of models of one shape, exactly as SCIENCE.md section 3 says.
 * Owns one slab per run (params, grads, Adam moments, activations, batch); nothing allocates in the step loop.
 * Knows nothing of MPI or files. A bundle gives each model exactly the result it would get trained alone.
 * A diverging run (NaN/inf loss) stops early with TMS_ERR_DIVERGED; it never crashes the process. */
#ifndef TMS_TRAINER_H
#define TMS_TRAINER_H
#include <signal.h>
#include <stddef.h>

#include "kernels/kernels.h"
#include "core/spec.h"

typedef struct {
  float *W;          /* (N, M), caller-owned */
  float *W2;         /* (N, M) for abs, else may be NULL */
  float *b;          /* (N) */
  float *loss_curve; /* (tms_spec_curve_len(spec)); training-batch loss per (batch, feature); NAN where not run */
  float *W_history;  /* (tms_spec_snapshot_len(spec), N, M) caller-owned, or NULL: W at the snapshot steps (entry k
                        before the update of step tms_spec_snapshot_step(k), the last entry the final W); filled
                        only when spec->snapshot_every > 0; NAN where not reached */
  float *eval_curve; /* (tms_spec_eval_len(spec)) caller-owned, or NULL: loss on one fixed batch of eval_batch samples
                        (stream TMS_STREAM_EVAL_CURVE) before the update of step tms_spec_eval_step(k); filled only
                        when spec->eval_every > 0; NAN where not reached */
  double final_loss; /* loss of the trained model on eval_batch samples of the evaluation set of its data law
                        (trainer/evaluate.h: shared by every point with the same data law); NAN on failure */
  double loss_se;    /* standard error of final_loss over those samples; NAN on failure */
  double eval_s;     /* wall seconds of the final evaluation (included in wall_s); in a bundle, an equal share of
                        the evaluation of the models of its evaluation set, which are scored together */
  long steps_done;
  double wall_s;
} tms_train_result;

typedef struct {
  volatile sig_atomic_t *stop; /* if not NULL and set, training stops with TMS_ERR_INTERRUPTED */
  double timeout_s;            /* > 0: stop with TMS_ERR_TIMEOUT this many seconds after the call began (a bundle
                                  shares one deadline: models not finished by then report TMS_ERR_TIMEOUT) */
} tms_train_control;

/* Called every 64 steps with the loss of that step's batch, for a front end's progress line (the library itself
 * never prints). It must not touch the training state. */
typedef void (*tms_train_progress)(void *ctx, long step, long steps, double loss);

/* Initial parameters (seeded from spec->seed, stream TMS_STREAM_INIT): xavier or kaiming; b = 0. */
void tms_init_params(tms_params *p, const tms_spec *spec);

/* Trains spec into result (ctl may be NULL). */
tms_status tms_train(const tms_spec *spec, tms_train_result *result, const tms_train_control *ctl, tms_error *err);
/* tms_train with a progress callback (progress may be NULL). */
tms_status tms_train_observed(const tms_spec *spec, tms_train_result *result, const tms_train_control *ctl,
                              tms_train_progress progress, void *progress_ctx, tms_error *err);
/* Trains count specs of one variant and shape together; statuses[k] is model k's outcome. Returns TMS_OK unless
 * the bundle itself could not run (bad shapes, no memory). */
tms_status tms_train_bundle(const tms_spec *specs, int count, tms_train_result *results, tms_status *statuses,
                            const tms_train_control *ctl, tms_error *err);

#endif
