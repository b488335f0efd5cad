/* products: allocation, defaults and the order of the post products (tms_post_compute).
 * Every array starts as "no data" (NaN, -1) so a point that is not done, or a product that does not apply to a
 * point's model, needs no special case downstream. Not here: the computations themselves (one file each). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "post/post.h"

void tms_post_options_default(tms_post_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->feature = -1;
}

static double *nan_array(size_t count) {
  double *a = malloc((count ? count : 1) * sizeof *a);
  for (size_t i = 0; a && i < count; i++) a[i] = NAN;
  return a;
}

tms_status tms_post_products_alloc(tms_post_products *pp, const tms_post_results *res, tms_error *err) {
  memset(pp, 0, sizeof *pp);
  size_t P = res->points, C = res->cells, N = (size_t)res->n_max, M = (size_t)res->m_max;
  pp->points = P;
  pp->cells = C;
  pp->replicates = res->replicates;
  pp->n_max = res->n_max;
  pp->m_max = res->m_max;
  pp->feature = -1;
  pp->agreement = pp->agreement_away = NAN;
  pp->class_per_seed = malloc(P ? P : 1);
  pp->fraction = nan_array(C * 3);
  pp->cell_class = malloc(C ? C : 1);
  pp->seeds_used = calloc(C ? C : 1, sizeof *pp->seeds_used);
  pp->dstar = nan_array(P);
  pp->loss_best = nan_array(C);
  pp->loss_mean = nan_array(C);
  pp->dstar_mean = nan_array(C);
  pp->best_replicate = malloc((C ? C : 1) * sizeof *pp->best_replicate);
  pp->best_class = malloc(C ? C : 1);
  pp->represented = malloc((P ? P : 1) * sizeof *pp->represented);
  pp->total_interference = nan_array(P);
  pp->norm = nan_array(P * N);
  pp->interference = nan_array(P * N);
  pp->dimensionality = nan_array(P * N);
  pp->geometry = malloc(P * N + 1);
  pp->vulnerability = nan_array(P);
  pp->vulnerability_per_example = nan_array(P);
  pp->vulnerability_absolute = nan_array(P);
  pp->attack_clean_loss = nan_array(P);
  pp->features_per_dim = nan_array(P);
  pp->polysemantic = malloc(P * M + 1);
  pp->features_per_neuron = malloc((P * M + 1) * sizeof *pp->features_per_neuron);
  pp->dyn_jump_step = nan_array(P);
  pp->dyn_drop_step = nan_array(P);
  pp->dyn_drop = nan_array(P);
  pp->dyn_chance = nan_array(P);
  if (!pp->class_per_seed || !pp->fraction || !pp->cell_class || !pp->seeds_used || !pp->dstar || !pp->loss_best ||
      !pp->loss_mean || !pp->dstar_mean || !pp->best_replicate || !pp->best_class || !pp->represented || !pp->total_interference ||
      !pp->norm || !pp->interference || !pp->dimensionality || !pp->geometry || !pp->vulnerability ||
      !pp->vulnerability_per_example || !pp->vulnerability_absolute || !pp->attack_clean_loss || !pp->features_per_dim || !pp->polysemantic || !pp->features_per_neuron ||
      !pp->dyn_jump_step || !pp->dyn_drop_step || !pp->dyn_drop || !pp->dyn_chance) {
    tms_post_products_free(pp);
    return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for the products of %zu points", P);
  }
  memset(pp->class_per_seed, -1, P);
  memset(pp->cell_class, -1, C);
  memset(pp->best_class, -1, C ? C : 1);
  memset(pp->geometry, -1, P * N);
  memset(pp->polysemantic, -1, P * M);
  for (size_t c = 0; c < C; c++) pp->best_replicate[c] = -1;
  for (size_t p = 0; p < P; p++) pp->represented[p] = -1;
  for (size_t k = 0; k < P * M; k++) pp->features_per_neuron[k] = -1;
  return TMS_OK;
}

void tms_post_products_free(tms_post_products *pp) {
  if (!pp) return;
  free(pp->class_per_seed);
  free(pp->fraction);
  free(pp->cell_class);
  free(pp->seeds_used);
  free(pp->theory_class);
  free(pp->dstar);
  free(pp->loss_best);
  free(pp->loss_mean);
  free(pp->dstar_mean);
  free(pp->best_replicate);
  free(pp->best_class);
  free(pp->away_from_boundary);
  free(pp->represented);
  free(pp->total_interference);
  free(pp->norm);
  free(pp->interference);
  free(pp->dimensionality);
  free(pp->geometry);
  free(pp->vulnerability);
  free(pp->vulnerability_per_example);
  free(pp->vulnerability_absolute);
  free(pp->attack_clean_loss);
  free(pp->features_per_dim);
  free(pp->polysemantic);
  free(pp->features_per_neuron);
  free(pp->W1_scaled);
  free(pp->W2_scaled);
  free(pp->dyn_jump_step);
  free(pp->dyn_drop_step);
  free(pp->dyn_drop);
  free(pp->dyn_chance);
  free(pp->dyn_dimensionality);
  memset(pp, 0, sizeof *pp);
}

tms_status tms_post_compute(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                            tms_error *err) {
  tms_post_timing *t = opt->timing;
  tms_post_timing_begin(t, TMS_POST_STAGE_SUMMARY); /* the allocation counts to the first stage */
  tms_status st = tms_post_products_alloc(pp, res, err);
  if (st == TMS_OK) st = tms_post_summary(pp, res, opt, err);
  tms_post_timing_begin(t, TMS_POST_STAGE_PHASE);
  if (st == TMS_OK) st = tms_post_phase(pp, res, opt, err);
  tms_post_timing_begin(t, TMS_POST_STAGE_VULNERABILITY);
  if (st == TMS_OK) st = tms_post_vulnerability(pp, res, opt, err);
  tms_post_timing_begin(t, TMS_POST_STAGE_NEURONS);
  if (st == TMS_OK) st = tms_post_neurons(pp, res, opt, err);
  tms_post_timing_begin(t, TMS_POST_STAGE_THEORY);
  if (st == TMS_OK) st = tms_post_theory_agreement(pp, res, opt, err);
  tms_post_timing_begin(t, TMS_POST_STAGE_DYNAMICS);
  if (st == TMS_OK) st = tms_post_dynamics(pp, res, err);
  tms_post_timing_end(t);
  if (st != TMS_OK) tms_post_products_free(pp);
  return st;
}
