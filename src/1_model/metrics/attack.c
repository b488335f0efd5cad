/* attack: analytic L2 attack direction and the adversarial vulnerability of one trained model (SCIENCE.md E7, O10).
 * Gradient attacks fail at high sparsity (the output ReLU is off almost always: gradient masking), so the paper
 * uses the Cauchy-Schwarz optimum delta_i = lambda G_i / ||G_i|| for each feature i and keeps the worst one.
 * Not here: adversarial training. Invariants: deterministic given (spec, p, eval_batch); the clean batch comes from
 * stream TMS_STREAM_ATTACK, so it never overlaps training or evaluation data; the target is always the clean |x|. */
#include "metrics/attack.h"

#include <math.h>
#include <stdlib.h>

#include "data/data.h"
#include "metrics/metrics.h"

/* The two loss loops below are most of the attack's time: as in kernels.c they are compiled for AVX-512, AVX2 and
 * baseline x86-64 and picked at load time; the clones give bitwise the same results (no reduction across vector
 * lanes, no contraction in ISO C mode). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TMS_ATTACK_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TMS_ATTACK_CLONES
#endif

void tms_attack_direction(double *delta /* (N) */, const double *G /* (N,N) */, int n, int i, double lambda) {
  const double *row = G + (size_t)i * n;
  double norm = 0.0;
  for (int j = 0; j < n; j++) norm += row[j] * row[j];
  norm = sqrt(norm);
  for (int j = 0; j < n; j++) delta[j] = norm > 0.0 ? lambda * row[j] / norm : 0.0;
}

/* Everything the attack needs besides the model, in one struct so one function can free it on any path. */
typedef struct {
  float *x;          /* (B, N) clean batch */
  float *xa;         /* (B, N) attacked batch, or the clean pre-activations (linear, relu_out) */
  float *acts_mem;   /* tms_acts slab for B */
  float *importance; /* (N) */
  float *density;    /* (N) */
  double *G;         /* (N, N) */
  double *delta;     /* (N) */
  double *shift;     /* (N) G delta: change of the pre-activations */
  double *worst;     /* (B) per-example worst attacked loss */
  double *loss;      /* (B) per-example loss of the latest forward pass */
} attack_scratch;

static void scratch_free(attack_scratch *s) {
  free(s->x);
  free(s->xa);
  free(s->acts_mem);
  free(s->importance);
  free(s->density);
  free(s->G);
  free(s->delta);
  free(s->shift);
  free(s->worst);
  free(s->loss);
}

/* Per-example losses l_b = mean over features of I_i (|x_bi| - out_bi)^2, the loss of tms_model_loss on example b
 * alone, in one pass over the batch (one tms_model_loss call per example cost B calls per attacked direction,
 * most of the post-processing time for small n). The terms are formed in float32 and summed in double in eight
 * lanes by feature index mod 8, then pairwise, exactly as the kernel does for a one-row batch, so the values equal
 * those of per-example tms_model_loss calls bitwise (the tests compare against an independent reference at 1e-5;
 * bitwise equality is kept only so results do not move). */
static inline double row_loss(const float *out /* (N) */, const float *x /* (N) clean */,
                              const float *importance /* (N) */, int n) {
  double lane[8] = {0};
  int i = 0;
  for (; i + 8 <= n; i += 8) { /* eight float terms at a time (vectorises), added to the lanes in double */
    float t[8];
    for (int l = 0; l < 8; l++) {
      const float d = out[i + l] - fabsf(x[i + l]);
      t[l] = importance[i + l] * d * d;
    }
    for (int l = 0; l < 8; l++) lane[l] += (double)t[l];
  }
  for (; i < n; i++) {
    const float d = out[i] - fabsf(x[i]);
    lane[i & 7] += (double)(importance[i] * d * d);
  }
  const double total = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  return total / (double)n;
}

TMS_ATTACK_CLONES static void per_example_loss(double *loss /* (B) */, const float *out /* (B, N) */,
                                                const float *x /* (B, N) clean */, const float *importance /* (N) */,
                                                int B, int n) {
  for (int b = 0; b < B; b++) loss[b] = row_loss(out + (size_t)b * n, x + (size_t)b * n, importance, n);
}

/* linear / relu_out under an attack: the attacked output of example b is its clean pre-activation plus shift
 * (ReLU'd for relu_out), formed one row at a time in row (N) and scored at once, so the attacked batch is never
 * written out: one pass over pre and x per direction. */
TMS_ATTACK_CLONES static void shifted_loss(double *loss /* (B) */, float *row /* (N) scratch */,
                                            const float *pre /* (B, N) */, const double *shift /* (N) */,
                                            const float *x /* (B, N) clean */, const float *importance /* (N) */,
                                            int relu, int B, int n) {
  for (int b = 0; b < B; b++) {
    const float *pb = pre + (size_t)b * n; /* (N) */
    for (int j = 0; j < n; j++) {
      const float v = (float)((double)pb[j] + shift[j]);
      row[j] = relu && !(v > 0.0f) ? 0.0f : v;
    }
    loss[b] = row_loss(row, x + (size_t)b * n, importance, n);
  }
}

/* loss / clean - 1, with the documented convention when the clean loss is exactly 0. */
static double ratio_minus_one(double loss, double clean) {
  if (clean > 0.0) return loss / clean - 1.0;
  return loss > 0.0 ? INFINITY : 0.0;
}

/* Every buffer of one attack of a batch of B examples of an n x m model; 0 if any allocation failed. */
static int scratch_alloc(attack_scratch *s, int B, int n, int m) {
  size_t bn = (size_t)B * n;
  s->x = malloc(bn * sizeof *s->x);
  s->xa = malloc(bn * sizeof *s->xa);
  s->acts_mem = malloc(tms_acts_floats(B, n, m) * sizeof *s->acts_mem);
  s->importance = malloc((size_t)n * sizeof *s->importance);
  s->density = malloc((size_t)n * sizeof *s->density);
  s->G = malloc((size_t)n * n * sizeof *s->G);
  s->delta = malloc((size_t)n * sizeof *s->delta);
  s->shift = malloc((size_t)n * sizeof *s->shift);
  s->worst = malloc((size_t)B * sizeof *s->worst);
  s->loss = malloc((size_t)B * sizeof *s->loss);
  return s->x && s->xa && s->acts_mem && s->importance && s->density && s->G && s->delta && s->shift && s->worst &&
         s->loss;
}

/* Attacks along every feature direction i (tms_attack_direction, budget lambda); returns the worst whole-batch
 * mean loss and leaves in s->worst[b] example b's worst loss over the directions (losses against the clean x). */
static double attack_every_direction(attack_scratch *s, tms_acts *acts, const tms_spec *spec, const tms_params *p,
                                     double lambda, int B, int n) {
  const size_t bn = (size_t)B * n;
  for (int b = 0; b < B; b++) s->worst[b] = -INFINITY;
  /* Read-in weights for every variant: W is W1 for abs (see attack.h). */
  tms_metric_gram(s->G, p->W, n, p->m);
  /* linear / relu_out: pre(x + delta) = pre(x) + G delta exactly (G symmetric), so one linear forward gives the
   * clean pre-activations and each attack costs O(B N) instead of a full O(B N M) forward pass. */
  const int shift_path = spec->variant == TMS_LINEAR || spec->variant == TMS_RELU_OUT;
  if (shift_path) {
    tms_model_forward(TMS_LINEAR, acts, s->x, p, B);
    for (size_t k = 0; k < bn; k++) s->xa[k] = acts->out[k]; /* xa holds the clean pre-activations here */
  }
  double best_batch = -INFINITY;
  for (int i = 0; i < n; i++) {
    tms_attack_direction(s->delta, s->G, n, i, lambda);
    if (shift_path) {
      for (int j = 0; j < n; j++) {
        double g = 0.0;
        for (int k = 0; k < n; k++) g += s->G[(size_t)j * n + k] * s->delta[k];
        s->shift[j] = g;
      }
      /* target: the clean x; acts->out is free as the row scratch */
      shifted_loss(s->loss, acts->out, s->xa, s->shift, s->x, s->importance, spec->variant == TMS_RELU_OUT, B, n);
    } else {
      for (size_t b = 0; b < (size_t)B; b++)
        for (int j = 0; j < n; j++) s->xa[b * n + j] = (float)((double)s->x[b * n + j] + s->delta[j]);
      tms_model_forward(spec->variant, acts, s->xa, p, B);
      per_example_loss(s->loss, acts->out, s->x, s->importance, B, n); /* target: clean x */
    }
    double total = 0.0;
    for (int b = 0; b < B; b++) {
      total += s->loss[b];
      if (s->loss[b] > s->worst[b]) s->worst[b] = s->loss[b];
    }
    total /= B;
    if (total > best_batch) best_batch = total;
  }
  return best_batch;
}

tms_status tms_attack_vulnerability(double *vuln_batch, double *vuln_per_example, const tms_spec *spec,
                                    const tms_params *p, int eval_batch, tms_error *err) {
  const int n = p->n, m = p->m, B = eval_batch;
  if (n != spec->n_features || m != spec->n_hidden)
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "n_features",
                         "attack: model is %d x %d but the spec says %d x %d", n, m, spec->n_features,
                         spec->n_hidden);
  if (B < 1) return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "eval_batch", "attack: eval_batch %d < 1", B);

  attack_scratch s = {0};
  tms_data_gen gen = {0};
  if (!scratch_alloc(&s, B, n, m)) {
    scratch_free(&s);
    return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "attack: no memory for a batch of %d x %d", B, n);
  }
  tms_status st = tms_data_init(&gen, spec, TMS_STREAM_ATTACK, err);
  if (st != TMS_OK) {
    scratch_free(&s);
    return st;
  }
  tms_data_sample(&gen, s.x, B);
  tms_data_free(&gen);
  tms_spec_profile(spec, s.importance, s.density);

  double mean_norm = 0.0;
  for (int b = 0; b < B; b++) {
    double q = 0.0;
    for (int j = 0; j < n; j++) q += (double)s.x[(size_t)b * n + j] * (double)s.x[(size_t)b * n + j];
    mean_norm += sqrt(q);
  }
  mean_norm /= B;
  const double lambda = 0.1 * mean_norm;

  tms_acts acts;
  tms_acts_bind(&acts, s.acts_mem, B, n, m);
  acts.dout = NULL; /* losses only, no gradients */

  tms_model_forward(spec->variant, &acts, s.x, p, B);
  per_example_loss(s.loss, acts.out, s.x, s.importance, B, n);
  double clean = 0.0;
  for (int b = 0; b < B; b++) clean += s.loss[b];
  clean /= B;

  double best_batch = attack_every_direction(&s, &acts, spec, p, lambda, B, n);
  double mean_worst = 0.0;
  for (int b = 0; b < B; b++) mean_worst += s.worst[b];
  mean_worst /= B;

  if (vuln_batch) *vuln_batch = ratio_minus_one(best_batch, clean);
  if (vuln_per_example) *vuln_per_example = ratio_minus_one(mean_worst, clean);
  scratch_free(&s);
  return TMS_OK;
}
