/* evaluate: the final loss of a trained model and its standard error (trainer/evaluate.h).
 * Why a stream keyed by the data law: two points of one cell (replicates, optimizers, lrs) that were scored on
 * independent samples differ by sampling noise of the same size as the standard error; on the same samples the
 * noise is common to both and cancels in their comparison (best-of-k, drop-worst, "which branch is lower").
 * Why per-sample losses: the standard error needs their variance; at low density the per-sample loss is
 * heavy-tailed (most samples are all zero), which is why the default eval_batch is large (spec.c says how large).
 * Invariants: the evaluation never touches a training stream; the result depends on (data law, p, eval_batch,
 * batch_size) only; nothing here prints. */
#include "trainer/evaluate.h"

#include <math.h>
#include <string.h>

#include "data/data.h"
#include "rng/rng.h"

/* Domain separator of the evaluation key (so it never equals a point seed by construction of the hash input). */
#define TMS_EVAL_KEY_SALT UINT64_C(0x65766C2D73657431) /* "evl-set1" */

uint64_t tms_eval_key(const tms_spec *spec) {
  const int n = spec->n_features;
  const int sets = spec->correlation == TMS_INDEPENDENT ? 0 : spec->correlated_sets;
  /* The density profile (tms_spec_profile) is: features 0..n-2 at `density`, the last at `last_density` when set;
   * hashed as the float values the generator uses, so two spellings of one law get one key. */
  const float rest = (float)spec->density, last = isnan(spec->last_density) ? rest : (float)spec->last_density;
  uint32_t rest_bits, last_bits;
  memcpy(&rest_bits, &rest, sizeof rest_bits);
  memcpy(&last_bits, &last, sizeof last_bits);
  uint64_t words[8] = {(uint64_t)(spec->variant == TMS_ABS), (uint64_t)n, n > 1 ? rest_bits : 0, last_bits,
                       (uint64_t)spec->correlation, sets > 0 ? (uint64_t)spec->correlation_density : 0,
                       (uint64_t)sets, sets > 0 ? (uint64_t)spec->set_size : 0};
  uint64_t h = tms_hash_bytes(TMS_EVAL_KEY_SALT, words, sizeof words);
  if (sets > 0) h = tms_hash_bytes(h, &spec->correlation_strength, sizeof spec->correlation_strength);
  return h;
}

/* sum_i I_i (out_i - |x_i|)^2 of one row: squared errors in float (as the training loss), sums in double over four
 * lanes so the add chain is not one long dependency. (The 1/N is applied once, to the mean and the error.) */
static double row_loss(const float *x, const float *out, const float *imp, int N) {
  double lane[4] = {0, 0, 0, 0};
  int i = 0;
  for (; i + 4 <= N; i += 4)
    for (int l = 0; l < 4; l++) {
      const float d = out[i + l] - fabsf(x[i + l]);
      lane[l] += (double)(imp[i + l] * d * d);
    }
  for (; i < N; i++) {
    const float d = out[i] - fabsf(x[i]);
    lane[0] += (double)(imp[i] * d * d);
  }
  return (lane[0] + lane[1] + lane[2] + lane[3]);
}

/* Running mean and sum of squared deviations of the per-row losses seen so far. */
typedef struct {
  double n, mean, m2;
} tms_moments;

/* Rows per group of the statistics: a group's mean and squared deviations are taken in two passes over its
 * losses on the stack, then merged into the running moments (Chan et al.): one division per group instead of the
 * per-row division of Welford's update, whose dependency chain was most of the evaluation's time. */
#define TMS_EVAL_GROUP 64

static void add_rows(tms_moments *mo, const float *x /* (rows, N) */, const float *out /* (rows, N) */,
                     const float *imp, int rows, int N) {
  for (int g0 = 0; g0 < rows; g0 += TMS_EVAL_GROUP) {
    const int g = rows - g0 < TMS_EVAL_GROUP ? rows - g0 : TMS_EVAL_GROUP;
    double l[TMS_EVAL_GROUP], sum = 0.0, q = 0.0;
    for (int r = 0; r < g; r++) {
      const size_t off = (size_t)(g0 + r) * (size_t)N;
      l[r] = row_loss(x + off, out + off, imp, N);
      sum += l[r];
    }
    const double gm = sum / (double)g;
    for (int r = 0; r < g; r++) q += (l[r] - gm) * (l[r] - gm);
    const double na = mo->n, nb = (double)g, delta = gm - mo->mean;
    mo->mean += delta * nb / (na + nb);
    mo->m2 += q + delta * delta * na * nb / (na + nb);
    mo->n = na + nb;
  }
}

tms_status tms_evaluate(tms_eval *out, const tms_spec *spec, const tms_params *p, tms_acts acts, float *x,
                        const float *importance, tms_error *err) {
  out->loss = out->se = NAN;
  tms_spec es = *spec;
  es.seed = tms_eval_key(spec);
  tms_data_gen gen;
  memset(&gen, 0, sizeof gen);
  tms_status st = tms_data_init(&gen, &es, TMS_STREAM_EVAL, err);
  if (st != TMS_OK) {
    tms_data_free(&gen);
    return st;
  }
  acts.dout = NULL;
  const int N = spec->n_features;
  const long E = spec->eval_batch;
  tms_moments mo = {0.0, 0.0, 0.0}; /* of the per-row sums (the loss times N) */
  for (long done = 0; done < E;) {
    const int chunk = E - done < spec->batch_size ? (int)(E - done) : spec->batch_size;
    tms_data_sample(&gen, x, chunk);
    tms_model_forward(spec->variant, &acts, x, p, chunk);
    add_rows(&mo, x, acts.out, importance, chunk, N);
    done += chunk;
  }
  tms_data_free(&gen);
  out->loss = mo.mean / (double)N;
  out->se = E > 1 ? sqrt(mo.m2 / (double)(E - 1) / (double)E) / (double)N : NAN;
  return TMS_OK;
}
