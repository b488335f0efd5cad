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

typedef tms_attack_ws attack_scratch;

void tms_attack_ws_free(tms_attack_ws *s) {
  free(s->x);
  free(s->xa);
  free(s->acts_mem);
  free(s->importance);
  free(s->density);
  free(s->preT);
  free(s->absxT);
  free(s->G);
  free(s->delta);
  free(s->shift);
  free(s->worst);
  free(s->loss);
  *s = (tms_attack_ws){0};
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

/* Examples per block of the n <= 8 passes below: a block's losses stay in L1 between computing and summing them. A
 * multiple of 8, so example b0 + k of a block falls in lane k mod 8 as in lane_sum_max. */
enum { ATTACK_BLOCK = 512 };

/* lane_sum_max's work on the losses of one block (examples b0 .. b0+rows-1, b0 a multiple of 8): the same additions
 * in the same order per lane, so summing block by block gives its bits. */
static inline void lanes_add_block(double lane[8], double *worst /* (rows) or NULL */, const double *loss, int rows) {
  int k = 0;
  for (; k + 8 <= rows; k += 8)
    for (int l = 0; l < 8; l++) lane[l] += loss[k + l];
  for (; k < rows; k++) lane[k & 7] += loss[k];
  if (worst)
    for (k = 0; k < rows; k++) worst[k] = loss[k] > worst[k] ? loss[k] : worst[k];
}

static inline double lanes_total(const double lane[8]) {
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/* shifted_loss for n <= 8, vectorised over examples instead of features: pre and |x| transposed to (N, B) once
 * per model, so each direction is one pass of straight loops over b. For n <= 8 row_loss puts term j in lane j
 * alone, so the fixed pairwise sum below is its sum exactly: the losses are bitwise those of shifted_loss. The
 * pass also does lane_sum_max's work on them block by block (returns their sum, raises worst[b] when worst is
 * given): the same bits as storing all B losses and summing them after, without the second pass over memory.
 * NB is a constant in each instance (the switch), which lets the compiler unroll the feature loop. */
static inline __attribute__((always_inline)) double shifted_sum_cols_n(double *worst /* (B) or NULL */, const float *preT /* (NB, B) */,
                                        const float *absxT /* (NB, B) */, const double *shift /* (NB) */,
                                        const float *importance /* (NB) */, int relu, int B, const int NB) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0}, loss[ATTACK_BLOCK];
  for (int b0 = 0; b0 < B; b0 += ATTACK_BLOCK) {
    const int rows = B - b0 < ATTACK_BLOCK ? B - b0 : ATTACK_BLOCK;
    for (int k = 0; k < rows; k++) {
      const size_t b = (size_t)b0 + (size_t)k;
      double t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int j = 0; j < NB; j++) {
        const float v = (float)((double)preT[(size_t)j * B + b] + shift[j]);
        const float o = relu && !(v > 0.0f) ? 0.0f : v;
        const float d = o - absxT[(size_t)j * B + b];
        t[j] = (double)(importance[j] * d * d);
      }
      loss[k] = (((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]))) / (double)NB;
    }
    lanes_add_block(lane, worst ? worst + b0 : NULL, loss, rows);
  }
  return lanes_total(lane);
}

/* mean_b ||x_b||_2 from |x| transposed (NB, B): per example the squares in feature order, as mean_row_norm sums
 * them ((double)|x| squared is (double)x squared exactly), sqrt correctly rounded, summed as lane_sum_max. */
static inline __attribute__((always_inline)) double mean_col_norm_n(const float *absxT /* (NB, B) */, int B, const int NB) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0}, norm[ATTACK_BLOCK];
  for (int b0 = 0; b0 < B; b0 += ATTACK_BLOCK) {
    const int rows = B - b0 < ATTACK_BLOCK ? B - b0 : ATTACK_BLOCK;
    for (int k = 0; k < rows; k++) {
      double q = 0.0;
      for (int j = 0; j < NB; j++) {
        const double a = (double)absxT[(size_t)j * B + (size_t)b0 + (size_t)k];
        q += a * a;
      }
      norm[k] = sqrt(q);
    }
    lanes_add_block(lane, NULL, norm, rows);
  }
  return lanes_total(lane) / B;
}

#define TMS_COLS_SWITCH(n, CALL)                                                                                  \
  switch (n) {                                                                                                    \
  case 1: CALL(1); case 2: CALL(2); case 3: CALL(3); case 4: CALL(4);                                             \
  case 5: CALL(5); case 6: CALL(6); case 7: CALL(7); case 8: CALL(8);                                             \
  default: return NAN; /* callers take this path for n <= 8 only */                                               \
  }

TMS_ATTACK_CLONES static double shifted_sum_cols(double *worst, const float *preT, const float *absxT,
                                                 const double *shift, const float *importance, int relu, int B,
                                                 int n) {
#define TMS_SHIFTED(k)                                                                                             \
  return relu ? shifted_sum_cols_n(worst, preT, absxT, shift, importance, 1, B, k)                               \
              : shifted_sum_cols_n(worst, preT, absxT, shift, importance, 0, B, k)
  TMS_COLS_SWITCH(n, TMS_SHIFTED)
#undef TMS_SHIFTED
}

TMS_ATTACK_CLONES static double mean_col_norm(const float *absxT, int B, int n) {
#define TMS_NORM(k) return mean_col_norm_n(absxT, B, k)
  TMS_COLS_SWITCH(n, TMS_NORM)
#undef TMS_NORM
}

/* sum_b loss[b] in eight lanes by b mod 8, then pairwise (vectorises; the same bits on every ISA path), and
 * worst[b] = max(worst[b], loss[b]) when worst is given. */
TMS_ATTACK_CLONES static double lane_sum_max(double *worst /* (B) or NULL */, const double *loss /* (B) */, int B) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int b = 0;
  for (; b + 8 <= B; b += 8)
    for (int l = 0; l < 8; l++) lane[l] += loss[b + l];
  for (; b < B; b++) lane[b & 7] += loss[b];
  if (worst)
    for (b = 0; b < B; b++) worst[b] = loss[b] > worst[b] ? loss[b] : worst[b];
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/* mean_b ||x_b||_2 of a (B, N) batch, in double, summed as lane_sum_max does. */
TMS_ATTACK_CLONES static double mean_row_norm(double *scratch /* (B) */, const float *x /* (B, N) */, int B, int n) {
  for (int b = 0; b < B; b++) {
    double q = 0.0;
    for (int j = 0; j < n; j++) q += (double)x[(size_t)b * n + j] * (double)x[(size_t)b * n + j];
    scratch[b] = sqrt(q);
  }
  return lane_sum_max(NULL, scratch, B) / B;
}

/* loss / clean - 1, with the documented convention when the clean loss is exactly 0. */
static double ratio_minus_one(double loss, double clean) {
  if (clean > 0.0) return loss / clean - 1.0;
  return loss > 0.0 ? INFINITY : 0.0;
}

/* Every buffer of one attack of a batch of B examples of an n x m model, grown only when this model needs more
 * than the last one did; 0 if an allocation failed (the buffers held so far stay owned by s). */
static int grow(void **buf, size_t bytes) {
  void *q = realloc(*buf, bytes);
  if (!q) return 0;
  *buf = q;
  return 1;
}

static int scratch_reserve(attack_scratch *s, int B, int n, int m) {
  if (s->x && B <= s->B && n <= s->n && m <= s->m) return 1;
  B = B > s->B ? B : s->B, n = n > s->n ? n : s->n, m = m > s->m ? m : s->m;
  const size_t bn = (size_t)B * n, f = sizeof(float), d = sizeof(double);
  int ok = grow((void **)&s->x, bn * f) && grow((void **)&s->xa, bn * f) && grow((void **)&s->preT, bn * f) &&
           grow((void **)&s->absxT, bn * f) &&
           grow((void **)&s->acts_mem, tms_acts_floats(B, n, m) * f) &&
           grow((void **)&s->importance, (size_t)n * f) && grow((void **)&s->density, (size_t)n * f) &&
           grow((void **)&s->G, (size_t)n * n * d) && grow((void **)&s->delta, (size_t)n * d) &&
           grow((void **)&s->shift, (size_t)n * d) && grow((void **)&s->worst, (size_t)B * d) &&
           grow((void **)&s->loss, (size_t)B * d);
  if (ok) s->B = B, s->n = n, s->m = m;
  return ok;
}

/* dst (NB, B) = src (B, NB) transposed, |.| of every entry when absval. NB constant per instance (the switch): the
 * compiler then turns the loop into vector loads and shuffles instead of one scalar store per entry. */
static inline __attribute__((always_inline)) void transpose_n(float *dst, const float *src, int B, int absval,
                                                              const int NB) {
  for (int b = 0; b < B; b++)
    for (int j = 0; j < NB; j++) {
      const float v = src[(size_t)b * NB + j];
      dst[(size_t)j * B + b] = absval ? fabsf(v) : v;
    }
}

TMS_ATTACK_CLONES static void transpose_cols(float *dst, const float *src, int B, int n, int absval) {
#define TMS_TRANSPOSE(k)                                                                                           \
  if (absval) transpose_n(dst, src, B, 1, k);                                                                      \
  else transpose_n(dst, src, B, 0, k);                                                                             \
  return
  switch (n) {
  case 1: TMS_TRANSPOSE(1); case 2: TMS_TRANSPOSE(2); case 3: TMS_TRANSPOSE(3); case 4: TMS_TRANSPOSE(4);
  case 5: TMS_TRANSPOSE(5); case 6: TMS_TRANSPOSE(6); case 7: TMS_TRANSPOSE(7); case 8: TMS_TRANSPOSE(8);
  default: return; /* callers take this path for n <= 8 only */
  }
#undef TMS_TRANSPOSE
}

/* The clean pre-activations of linear / relu_out: pre(x + delta) = pre(x) + G delta exactly (G symmetric), so one
 * linear forward serves every direction and each attack costs O(B N) instead of a full O(B N M) forward pass. For
 * n <= 8 they are transposed to (N, B) for shifted_sum_cols instead. */
static void clean_preactivations(attack_scratch *s, tms_acts *acts, const tms_params *p, int B, int n, int cols) {
  const size_t bn = (size_t)B * n;
  tms_model_forward(TMS_LINEAR, acts, s->x, p, B);
  if (!cols) {
    for (size_t k = 0; k < bn; k++) s->xa[k] = acts->out[k]; /* xa holds the clean pre-activations here */
    return;
  }
  transpose_cols(s->preT, acts->out, B, n, 0);
}

/* |x| transposed to (N, B), for the n <= 8 passes (set before lambda, which is computed from it). */
static void abs_transposed(attack_scratch *s, int B, int n) { transpose_cols(s->absxT, s->x, B, n, 1); }

/* Attacks along every feature direction i (tms_attack_direction, budget lambda); returns the worst whole-batch
 * mean loss, sets *clean to the clean mean loss and leaves in s->worst[b] example b's worst loss over the
 * directions (losses against the clean x). */
static double attack_every_direction(attack_scratch *s, tms_acts *acts, const tms_spec *spec, const tms_params *p,
                                     double lambda, int B, int n, double *clean) {
  for (int b = 0; b < B; b++) s->worst[b] = -INFINITY;
  /* Read-in weights for every variant: W is W1 for abs (see attack.h). */
  tms_metric_gram(s->G, p->W, n, p->m);
  const int shift_path = spec->variant == TMS_LINEAR || spec->variant == TMS_RELU_OUT;
  const int cols = shift_path && n <= 8, relu = spec->variant == TMS_RELU_OUT;
  if (shift_path) clean_preactivations(s, acts, p, B, n, cols);
  if (cols) { /* the clean output is the zero shift of the clean pre-activations: no second forward pass */
    for (int j = 0; j < n; j++) s->shift[j] = 0.0;
    *clean = shifted_sum_cols(NULL, s->preT, s->absxT, s->shift, s->importance, relu, B, n) / B;
  } else {
    tms_model_forward(spec->variant, acts, s->x, p, B);
    per_example_loss(s->loss, acts->out, s->x, s->importance, B, n);
    *clean = lane_sum_max(NULL, s->loss, B) / B;
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
      if (cols) {
        const double total = shifted_sum_cols(s->worst, s->preT, s->absxT, s->shift, s->importance, relu, B, n) / B;
        if (total > best_batch) best_batch = total;
        continue;
      }
      shifted_loss(s->loss, acts->out, s->xa, s->shift, s->x, s->importance, relu, B, n);
    } else {
      for (size_t b = 0; b < (size_t)B; b++)
        for (int j = 0; j < n; j++) s->xa[b * n + j] = (float)((double)s->x[b * n + j] + s->delta[j]);
      tms_model_forward(spec->variant, acts, s->xa, p, B);
      per_example_loss(s->loss, acts->out, s->x, s->importance, B, n); /* target: clean x */
    }
    const double total = lane_sum_max(s->worst, s->loss, B) / B;
    if (total > best_batch) best_batch = total;
  }
  return best_batch;
}

tms_status tms_attack_vulnerability(double *vuln_batch, double *vuln_per_example, const tms_spec *spec,
                                    const tms_params *p, int eval_batch, tms_error *err) {
  tms_attack_ws ws = {0};
  tms_status st = tms_attack_vulnerability_ws(&ws, vuln_batch, vuln_per_example, spec, p, eval_batch, err);
  tms_attack_ws_free(&ws);
  return st;
}

tms_status tms_attack_vulnerability_ws(tms_attack_ws *ws, double *vuln_batch, double *vuln_per_example,
                                       const tms_spec *spec, const tms_params *p, int eval_batch, tms_error *err) {
  return tms_attack_vulnerability_budget_ws(ws, vuln_batch, vuln_per_example, spec, p, eval_batch, 0.0, err);
}

tms_status tms_attack_vulnerability_budget_ws(tms_attack_ws *ws, double *vuln_batch, double *vuln_per_example,
                                              const tms_spec *spec, const tms_params *p, int eval_batch,
                                              double budget, tms_error *err) {
  const int n = p->n, m = p->m, B = eval_batch;
  if (n != spec->n_features || m != spec->n_hidden)
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "n_features",
                         "attack: model is %d x %d but the spec says %d x %d", n, m, spec->n_features,
                         spec->n_hidden);
  if (B < 1) return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "eval_batch", "attack: eval_batch %d < 1", B);

  tms_data_gen gen = {0};
  if (!scratch_reserve(ws, B, n, m))
    return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "attack: no memory for a batch of %d x %d", B, n);
  attack_scratch s = *ws; /* a copy of the pointers, for the s.x spelling below; ws keeps ownership */
  tms_status st = tms_data_init(&gen, spec, TMS_STREAM_ATTACK, err);
  if (st != TMS_OK) return st;
  tms_data_sample(&gen, s.x, B);
  tms_data_free(&gen);
  tms_spec_profile(spec, s.importance, s.density);

  const int cols = (spec->variant == TMS_LINEAR || spec->variant == TMS_RELU_OUT) && n <= 8;
  if (cols) abs_transposed(&s, B, n);
  if (!(budget >= 0.0) || !isfinite(budget))
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "attack_budget", "attack: budget %g is not >= 0", budget);
  /* the paper's budget is relative (0.1 of the mean input norm, which shrinks with density); an absolute one is the
   * same ball for every model, so models of different sparsity are attacked equally hard */
  const double lambda =
      budget > 0.0 ? budget : 0.1 * (cols ? mean_col_norm(s.absxT, B, n) : mean_row_norm(s.loss, s.x, B, n));

  tms_acts acts;
  tms_acts_bind(&acts, s.acts_mem, B, n, m);
  acts.dout = NULL; /* losses only, no gradients */

  double clean;
  const double best_batch = attack_every_direction(&s, &acts, spec, p, lambda, B, n, &clean);
  const double mean_worst = lane_sum_max(NULL, s.worst, B) / B;
  ws->clean_loss = clean;

  if (vuln_batch) *vuln_batch = ratio_minus_one(best_batch, clean);
  if (vuln_per_example) *vuln_per_example = ratio_minus_one(mean_worst, clean);
  return TMS_OK;
}
