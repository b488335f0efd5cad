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

/* (1/N) sum_i I_i (out_i - |x_i|)^2 of one row: squared errors in float (as the training loss), sums in double over
 * four lanes so the add chain is not one long dependency. */
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
  return (lane[0] + lane[1] + lane[2] + lane[3]) / (double)N;
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
  double mean = 0.0, m2 = 0.0; /* running mean and sum of squared deviations over the rows seen so far */
  for (long done = 0; done < E;) {
    const int chunk = E - done < spec->batch_size ? (int)(E - done) : spec->batch_size;
    tms_data_sample(&gen, x, chunk);
    tms_model_forward(spec->variant, &acts, x, p, chunk);
    double cm = 0.0, cq = 0.0; /* this chunk's mean and squared deviations (Welford) */
    for (int r = 0; r < chunk; r++) {
      const double l = row_loss(x + (size_t)r * (size_t)N, acts.out + (size_t)r * (size_t)N, importance, N);
      const double d = l - cm;
      cm += d / (double)(r + 1);
      cq += d * (l - cm);
    }
    /* Chan et al.'s merge of (done rows, mean, m2) with (chunk rows, cm, cq) */
    const double na = (double)done, nb = (double)chunk, delta = cm - mean;
    mean += delta * nb / (na + nb);
    m2 += cq + delta * delta * na * nb / (na + nb);
    done += chunk;
  }
  tms_data_free(&gen);
  out->loss = mean;
  out->se = E > 1 ? sqrt(m2 / (double)(E - 1) / (double)E) : NAN;
  return TMS_OK;
}
