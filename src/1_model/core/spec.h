/* spec: everything that defines one training run (one "point" of a sweep), and the parameter registry.
 * The registry maps the user-facing names of sweeps/FORMAT.md ("n_features", "density", ...) to fields,
 * with their types, ranges and defaults, so the YAML parser and the command-line flags share one truth.
 * Invariant: a spec that passed tms_spec_validate() can be trained without further checks. */
#ifndef TMS_SPEC_H
#define TMS_SPEC_H
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef enum { TMS_LINEAR, TMS_RELU_OUT, TMS_RELU_HIDDEN, TMS_ABS } tms_variant;
typedef enum { TMS_INDEPENDENT, TMS_CORRELATED, TMS_ANTICORRELATED } tms_correlation;
/* set: the paper's sets (set density 1-S, anticorrelated members each (1-S)/k);
 * member: ARENA's pairs, each member keeps density p. */
typedef enum { TMS_DENSITY_SET, TMS_DENSITY_MEMBER } tms_correlation_density;
typedef enum { TMS_ADAMW, TMS_ADAM } tms_optimizer;
typedef enum { TMS_SCHEDULE_CONSTANT, TMS_SCHEDULE_LINEAR, TMS_SCHEDULE_COSINE } tms_schedule;
/* xavier: normal, std = sqrt(2 / (n_features + n_hidden)) per model (independent of how many are batched);
 * kaiming_uniform: U(-b, b), b = sqrt(6 / fan_in) with fan_in = n_hidden*n_features as ARENA's M4. */
typedef enum { TMS_INIT_XAVIER, TMS_INIT_KAIMING_UNIFORM } tms_init;

typedef struct tms_spec {
  tms_variant variant;
  int n_features, n_hidden;           /* n and m */
  double density;                     /* 1 - S of every feature, in (0, 1] */
  double importance_decay;            /* r in I_i = r^i, i from 0 */
  double last_importance;             /* NAN: no override */
  double last_density;                /* NAN: no override */
  tms_correlation correlation;
  tms_correlation_density correlation_density;
  int correlated_sets, set_size;      /* sets occupy features 0 .. sets*size-1, set k = [k*size, (k+1)*size) */
  double correlation_strength;        /* in [0, 1]; 1 = the structure exactly, 0 = independent */
  tms_optimizer optimizer;
  double lr, weight_decay, beta1, beta2, eps;
  tms_schedule schedule;
  tms_init init;
  long steps;
  int batch_size, log_every, eval_batch;
  int snapshot_every;                 /* 0: no W history; else W every this many steps (tms_spec_snapshot_len) */
  int eval_every;                     /* 0: no eval curve; else loss on one fixed eval batch (tms_spec_eval_len) */
  uint64_t seed;                      /* set by the grid (or --seed); not a registry parameter */
} tms_spec;

/* A parameter value as written by a user: a number or a word. */
typedef struct {
  int is_string;
  double num;
  char str[32];
} tms_value;

typedef enum { TMS_PARAM_INT, TMS_PARAM_REAL, TMS_PARAM_ENUM } tms_param_kind;

typedef struct {
  const char *key;             /* "n_features" */
  tms_param_kind kind;
  const char *const *choices;  /* ENUM: NULL-terminated names, index = enum value */
  double min, max;             /* INT/REAL: allowed range */
  int min_open, max_open;      /* 1: bound excluded */
  const char *default_text;    /* as shown by --help and plan ("required", "none", "1e-3") */
  const char *help;            /* one line */
} tms_param_info;

int tms_param_count(void);
const tms_param_info *tms_param_at(int i);
const tms_param_info *tms_param_find(const char *key); /* NULL if unknown */

void tms_spec_defaults(tms_spec *spec);
/* Type- and range-checks one value and stores it; on error fills err->key and err->msg (no file/line:
 * the caller adds where the value came from). "sparsity" stores density = 1 - S. */
tms_status tms_spec_set(tms_spec *spec, const char *key, const tms_value *value, tms_error *err);
/* The value as the user would write it (enums as words; "sparsity" as 1 - density). */
tms_status tms_spec_get(const tms_spec *spec, const char *key, tms_value *out);
/* Registry parameter i (tms_param_at(i)) of spec as a number, without a lookup by name: an enum as its index into
 * choices, "sparsity" as 1 - density; what tms_spec_get gives otherwise (the store writes /params from it). */
double tms_spec_number_at(const tms_spec *spec, int i);
/* Cross-field checks (required fields present, sets fit in n_features, pair rules); err->key names the field. */
tms_status tms_spec_validate(const tms_spec *spec, tms_error *err);

/* Per-feature importance I_i and density p_i, after the last-feature overrides. */
void tms_spec_profile(const tms_spec *spec, float *importance /* (N) */, float *density /* (N) */);
/* Loss-curve length: entries at steps 0, log_every, 2*log_every, ... and at the last step steps-1. */
size_t tms_spec_curve_len(const tms_spec *spec);
/* Step index of curve entry k (inverse of the rule above). */
long tms_spec_curve_step(const tms_spec *spec, size_t k);
/* W-history length: 0 when snapshot_every is 0; else the curve rule with snapshot_every in place of log_every
 * (entries at steps 0, e, 2e, ... and steps-1), so W snapshots and the loss curve share one x axis when
 * snapshot_every == log_every (and always share the rule). Entry k holds W before the update of step
 * tms_spec_snapshot_step(k) (the W whose loss the curve records at that step), except the LAST entry, which holds
 * the trained W after the final update (equal to the final W, one update past the last curve loss). */
size_t tms_spec_snapshot_len(const tms_spec *spec);
/* Step index of W-history entry k (same rule as tms_spec_curve_step; -1 when snapshots are off). */
long tms_spec_snapshot_step(const tms_spec *spec, size_t k);
/* Evaluation-curve length: 0 when eval_every is 0; else the curve rule with eval_every in place of log_every.
 * Entry k is the loss, before the update of step tms_spec_eval_step(k) (like the curve), on ONE fixed batch of
 * eval_batch samples drawn once per model from stream TMS_STREAM_EVAL_CURVE. */
size_t tms_spec_eval_len(const tms_spec *spec);
/* Step index of evaluation-curve entry k (-1 when the evaluation curve is off). */
long tms_spec_eval_step(const tms_spec *spec, size_t k);

#endif
