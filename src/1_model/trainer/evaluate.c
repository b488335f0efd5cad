/* evaluate: the final loss of a trained model and its standard error (trainer/evaluate.h).
 * Why a stream keyed by the data law: two points of one cell (replicates, optimizers, lrs) that were scored on
 * independent samples differ by sampling noise of the same size as the standard error; on the same samples the
 * noise is common to both and cancels in their comparison (best-of-k, drop-worst, "which branch is lower").
 * Why per-sample losses: the standard error needs their variance; at low density the per-sample loss is
 * heavy-tailed (most samples are all zero), which is why the default eval_batch is large (spec.c says how large).
 * Speed: tms_evaluate_set scores every model of one evaluation set on one draw of each chunk, and for the tiny
 * shapes the chunk is drawn, run forward and scored in registers (kernels.h: tms_model_row_losses); the statistics
 * run 8 groups' sums side by side. None of it changes a bit: every model's row losses and their sums in row order
 * are those of the unfused pass over the samples alone.
 * Invariants: the evaluation never touches a training stream; the result depends on (data law, p, eval_batch,
 * batch_size) only; nothing here prints. */
#include "trainer/evaluate.h"

#include <math.h>
#include <stdlib.h>
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

/* The statistics are taken per group of TMS_EVAL_GROUP rows (kernels.h): a group's mean and squared deviations in
 * two passes over its losses, then merged into the running moments (Chan et al.): one division per group instead
 * of the per-row division of Welford's update, whose dependency chain was most of the evaluation's time.
 * TMS_EVAL_PAR groups' sums run side by side: each is still one serial chain in row order, as when it is alone. */
#define TMS_EVAL_PAR 8

static void merge_group(tms_moments *mo, double gm, double q, int g) {
  const double na = mo->n, nb = (double)g, delta = gm - mo->mean;
  mo->mean += delta * nb / (na + nb);
  mo->m2 += q + delta * delta * na * nb / (na + nb);
  mo->n = na + nb;
}

/* gm, gq of the groups of rows r0 .. rows - 1 (r0 a multiple of the group) of one model's row losses l (rows). */
static void group_moments(double *gm, double *gq, const double *l /* (rows) */, int r0, int rows) {
  enum { G = TMS_EVAL_GROUP, P = TMS_EVAL_PAR };
  int g0 = r0;
  for (; g0 + G * P <= rows; g0 += G * P) { /* P whole groups at once */
    double sum[P], m[P], q[P];
    for (int k = 0; k < P; k++) sum[k] = 0.0, q[k] = 0.0;
    for (int r = 0; r < G; r++)
      for (int k = 0; k < P; k++) sum[k] += l[g0 + k * G + r];
    for (int k = 0; k < P; k++) m[k] = sum[k] / (double)G;
    for (int r = 0; r < G; r++)
      for (int k = 0; k < P; k++) {
        const double d = l[g0 + k * G + r] - m[k];
        q[k] += d * d;
      }
    for (int k = 0; k < P; k++) gm[g0 / G + k] = m[k], gq[g0 / G + k] = q[k];
  }
  for (; g0 < rows; g0 += G) {
    const int g = rows - g0 < G ? rows - g0 : G;
    double sum = 0.0, q = 0.0;
    for (int r = 0; r < g; r++) sum += l[g0 + r];
    const double m = sum / (double)g;
    for (int r = 0; r < g; r++) q += (l[g0 + r] - m) * (l[g0 + r] - m);
    gm[g0 / G] = m, gq[g0 / G] = q;
  }
}

/* Scratch of one evaluation of K models in chunks of B rows. */
typedef struct {
  double *l;       /* (K, B) row losses */
  double *gm, *gq; /* (K, groups) group statistics of one chunk */
  double *fused;   /* (K, TMS_EVAL_GROUP, 16) the fused kernel's */
  int groups;
  double *mem;
} eval_scratch;

static int scratch_init(eval_scratch *w, int K, int B) {
  memset(w, 0, sizeof *w);
  w->groups = (B + TMS_EVAL_GROUP - 1) / TMS_EVAL_GROUP;
  const size_t k = (size_t)K, total = k * (size_t)B + 2 * k * (size_t)w->groups + k * TMS_EVAL_GROUP * 16;
  w->mem = malloc(total * sizeof *w->mem);
  if (!w->mem) return 0;
  w->l = w->mem;
  w->gm = w->l + k * (size_t)B;
  w->gq = w->gm + k * (size_t)w->groups;
  w->fused = w->gq + k * (size_t)w->groups;
  return 1;
}

/* One chunk of `rows` samples of gen for the K models, merged into their running moments: fused where the shape
 * takes it (kernels.h: tms_model_eval_rows, bitwise the same values), else drawn once into x and run forward per
 * model, the row losses summed here. */
static void eval_chunk(tms_moments *mo, eval_scratch *w, tms_data_gen *gen, const tms_spec *spec,
                       const tms_params *ps, const float *const *importance, int K, tms_acts *acts, float *x,
                       int rows) {
  const int N = spec->n_features, groups = (rows + TMS_EVAL_GROUP - 1) / TMS_EVAL_GROUP;
  int done = tms_model_eval_rows(spec->variant, gen, ps, importance, K, rows, w->gm, w->gq, w->l, w->fused);
  if (done < 0) {
    done = 0;
    tms_data_sample(gen, x, rows);
    for (int k = 0; k < K; k++) {
      tms_model_forward(spec->variant, acts, x, &ps[k], rows);
      double *lk = w->l + (size_t)k * (size_t)rows;
      for (int r = 0; r < rows; r++) {
        const size_t off = (size_t)r * (size_t)N;
        lk[r] = row_loss(x + off, acts->out + off, importance[k], N);
      }
    }
  }
  for (int k = 0; k < K; k++) {
    double *gm = w->gm + (size_t)k * (size_t)groups, *gq = w->gq + (size_t)k * (size_t)groups;
    group_moments(gm, gq, w->l + (size_t)k * (size_t)rows, done, rows);
    for (int g = 0; g < groups; g++) {
      const int len = rows - g * TMS_EVAL_GROUP < TMS_EVAL_GROUP ? rows - g * TMS_EVAL_GROUP : TMS_EVAL_GROUP;
      merge_group(&mo[k], gm[g], gq[g], len);
    }
  }
}

/* Whether spec b is scored on the same evaluation set, in the same chunks, by the same kind of model as spec a. */
static int same_set(const tms_spec *a, const tms_spec *b) {
  return a->variant == b->variant && a->n_features == b->n_features && a->n_hidden == b->n_hidden &&
         a->eval_batch == b->eval_batch && a->batch_size == b->batch_size && tms_eval_key(a) == tms_eval_key(b);
}

int tms_eval_same_set(const tms_spec *a, const tms_spec *b) { return same_set(a, b); }

tms_status tms_evaluate_set(tms_eval *out, const tms_spec *specs, const tms_params *ps,
                            const float *const *importance, int K, tms_acts acts, float *x, tms_error *err) {
  for (int k = 0; k < K; k++) out[k].loss = out[k].se = NAN;
  if (K < 1) return TMS_OK;
  const tms_spec *spec = &specs[0];
  for (int k = 1; k < K; k++)
    if (!same_set(spec, &specs[k]))
      return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, NULL,
                           "evaluation set of model %d differs from model 0's (data law, shape or chunks)", k);
  tms_spec es = *spec;
  es.seed = tms_eval_key(spec);
  tms_data_gen gen;
  memset(&gen, 0, sizeof gen);
  const int B = spec->batch_size;
  eval_scratch w;
  tms_moments *mo = calloc((size_t)K, sizeof *mo); /* of the per-row sums (the loss times N) */
  const int have = scratch_init(&w, K, B);
  tms_status st = have && mo ? tms_data_init(&gen, &es, TMS_STREAM_EVAL, err)
                             : tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL,
                                             "evaluation scratch of %d models x %d rows", K, B);
  if (st == TMS_OK) {
    acts.dout = NULL;
    const long E = spec->eval_batch;
    for (long done = 0; done < E;) {
      const int chunk = E - done < B ? (int)(E - done) : B;
      eval_chunk(mo, &w, &gen, spec, ps, importance, K, &acts, x, chunk);
      done += chunk;
    }
    const double N = (double)spec->n_features;
    for (int k = 0; k < K; k++) {
      out[k].loss = mo[k].mean / N;
      out[k].se = E > 1 ? sqrt(mo[k].m2 / (double)(E - 1) / (double)E) / N : NAN;
    }
  }
  tms_data_free(&gen);
  free(mo);
  free(w.mem);
  return st;
}

tms_status tms_evaluate(tms_eval *out, const tms_spec *spec, const tms_params *p, tms_acts acts, float *x,
                        const float *importance, tms_error *err) {
  return tms_evaluate_set(out, spec, p, &importance, 1, acts, x, err);
}
