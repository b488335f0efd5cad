/* check_dynamics: E6's must-show item, the jump/drop alignment (analysis/SCIENCE.md E6; the per-point jump and
 * drop steps are the post product of dynamics.c). Per setup (cell): the share of its done seeds whose largest late
 * loss drop lies within TMS_POST_ALIGN_STEPS of the last large D_i jump (a seed without a jump or drop counts as not
 * aligned), beside the mean chance level (the share a randomly placed late drop would reach). Judged for independent
 * features (uniform superposition): share >= 0.5 and >= 3x the chance level: most seeds align, far more often than a
 * drop placed at random would. Correlated setups are INFO: their late drops (measured: 8 seeds of n=6 m=3, drops
 * at steps 725..19825, last jumps at 225..2475) come without a D_i jump (geometric transformations). The median
 * |drop - jump| and the median jump step are INFO. */
#include <math.h>
#include <stdlib.h>

#include "post/check_internal.h"

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, size_t count) {
  if (!count) return NAN;
  qsort(v, count, sizeof *v, by_value);
  return count % 2 ? v[count / 2] : 0.5 * (v[count / 2 - 1] + v[count / 2]);
}

static void e6_cell(tms_chk *k, size_t c) {
  const tms_post_products *pp = k->pp;
  const size_t R = k->res->replicates;
  double *gap = malloc((R + 1) * sizeof *gap), *jump = malloc((R + 1) * sizeof *jump);
  if (!gap || !jump) {
    free(gap);
    free(jump);
    return;
  }
  size_t done = 0, aligned = 0, with_jump = 0;
  double chance = 0;
  for (size_t r = 0; r < R; r++) {
    const size_t p = c * R + r;
    if (!tms_point_done(k->res->status[p])) continue;
    done++;
    if (!isfinite(pp->dyn_jump_step[p]) || !isfinite(pp->dyn_drop_step[p])) continue;
    gap[with_jump] = fabs(pp->dyn_drop_step[p] - pp->dyn_jump_step[p]);
    jump[with_jump++] = pp->dyn_jump_step[p];
    aligned += gap[with_jump - 1] <= TMS_POST_ALIGN_STEPS;
    chance += pp->dyn_chance[p];
  }
  const tms_spec *s = &k->spec[c];
  const double share = done ? (double)aligned / (double)done : NAN, base = done ? chance / (double)done : NAN;
  /* judged for uniform superposition (independent features: energy-level jumps, [NB]); the correlated setup's
   * late drops are geometric transformations within one D_i level and are reported only */
  const int judged = s->correlation == TMS_INDEPENDENT, ok = done && share >= 0.5 && share >= 3 * base;
  tms_chk_add(k, !judged ? TMS_CHECK_INFO : ok ? TMS_CHECK_PASS : TMS_CHECK_FAIL, share, NAN, NAN,
              judged ? ">= 0.5 and >= 3x chance" : "",
              "n=%d m=%d density %.3g%s: share of seeds whose largest late loss drop is within %d steps of the last "
              "D_i jump (%zu of %zu seeds; chance %.3f)", s->n_features, s->n_hidden, s->density,
              s->correlation == TMS_INDEPENDENT ? "" : " correlated", TMS_POST_ALIGN_STEPS, aligned, done, base);
  const double mg = median(gap, with_jump), mj = median(jump, with_jump);
  tms_chk_add(k, TMS_CHECK_INFO, mg, NAN, NAN, "",
              "n=%d m=%d: median |drop step - jump step| over the %zu seeds with both (median jump at step %.0f)",
              s->n_features, s->n_hidden, with_jump, mj);
  free(gap);
  free(jump);
}

void tms_chk_e6(tms_chk *k) {
  if (!k->pp->dyn_jump_step) return;
  for (size_t c = 0; c < k->res->cells; c++)
    if (tms_chk_best_point(k, c) >= 0) e6_cell(k, c);
}
